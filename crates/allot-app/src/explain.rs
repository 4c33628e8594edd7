//! `allot explain`: why each line's cost changed between two months, split exactly into its
//! drivers (`allot_figures::explain` says how), with the people and spenders behind each.

use allot_core::{DateRange, Status};
use allot_figures::cents::PeriodCents;
use allot_figures::explain::{explain, Explanation, Sides};
use allot_report::explain::{explain_report, explain_teams_report, Compared};
use allot_report::Note;
use chrono::Duration;

use crate::error::AppError;
use crate::output::{file_name, Named, Output};
use crate::reports::ReportOptions;
use crate::sources::Facts;
use crate::workspace::{like_days, previous, whole_months, Needs, Period, Workspace};

/// What an explain run is told.
#[derive(Debug, Clone)]
pub struct ExplainOptions {
    /// The period whose change is explained: a month, or any days (`--from/--to`).
    pub period: DateRange,
    /// The period it is compared with, of the same kind (default the period before: the
    /// month before a month, the quarter before a quarter, as many days before for days).
    pub against: Option<DateRange>,
    /// Level and unmapped policy.
    pub common: ReportOptions,
    /// Only this line (a cost center, or a value of `--by`'s column).
    pub line: Option<String>,
}

/// An explain run: its reports, and the figures they render.
#[derive(Debug, Clone)]
pub struct ExplainRun {
    /// `explain_teams` (the terminal's team view) and `explain`.
    pub output: Output,
    /// Every line's change and drivers, and the organisation's.
    pub figures: Explanation,
    /// The worse of the two periods' statuses.
    pub status: Status,
    /// The earlier period's days compared (cut to the later period's days while it runs).
    pub before: DateRange,
    /// The later period's days known.
    pub now: DateRange,
}

/// The period `period` is compared with: `against`, checked to be of the same kind (as many
/// whole months, or as many days) and apart from it, else the period before. Comparing two
/// weeks with ten days, or a period with itself, is no comparison: a usage error says so.
pub fn compared_period(
    period: DateRange,
    against: Option<DateRange>,
) -> Result<DateRange, AppError> {
    let Some(against) = against else {
        return Ok(previous(period));
    };
    if period.intersect(&against).is_some() {
        return Err(AppError::Usage(format!(
            "{period} and {against} share days: compare two periods apart (e.g. against {}, the period before)",
            previous(period)
        )));
    }
    let months = (whole_months(period), whole_months(against));
    let same_kind = match months {
        (Some((_, a)), Some((_, b))) => a == b,
        _ => period.len() == against.len(),
    };
    if !same_kind {
        let kind = |r: DateRange| match whole_months(r) {
            Some((_, 1)) => "1 month".to_string(),
            Some((_, n)) => format!("{n} months"),
            None if r.len() == 1 => "1 day".to_string(),
            None => format!("{} days", r.len()),
        };
        return Err(AppError::Usage(format!(
            "{period} ({}) against {against} ({}): give two periods of the same kind (as many whole months, or as many days), e.g. against {}, the period before",
            kind(period),
            kind(against),
            previous(period)
        )));
    }
    Ok(against)
}

/// The change between `now`'s range and `before`'s (whole, and cut to like days), at the
/// level `common` names: each period's chargeback cents and usage handed to
/// `allot_figures::explain`. Both may be the same period when it loaded both months (the
/// dashboard's month). Returns the figures and the level's column name.
pub fn explain_between(
    (now_period, now_range): (&Period, DateRange),
    (before_period, before_full, before_range): (&Period, DateRange, DateRange),
    common: &ReportOptions,
) -> Result<(Explanation, String), AppError> {
    let now_keying = now_period.keying(common.by.as_deref(), &common.policy)?;
    let before_keying = before_period.keying(common.by.as_deref(), &common.policy)?;
    let now_cents = PeriodCents::of(&now_period.ledger.chargebacks(&now_keying, &[now_range])?[0]);
    let full_cents = PeriodCents::of(
        &before_period
            .ledger
            .chargebacks(&before_keying, &[before_full])?[0],
    );
    let cut_cents = if before_range == before_full {
        full_cents.clone()
    } else {
        PeriodCents::of(
            &before_period
                .ledger
                .chargebacks(&before_keying, &[before_range])?[0],
        )
    };
    let now_usage = now_period.ledger.usage(&now_keying, now_range)?;
    let before_usage = before_period.ledger.usage(&before_keying, before_range)?;
    let figures = explain(&Sides {
        before_full: &full_cents,
        before: &cut_cents,
        now: &now_cents,
        before_usage: &before_usage,
        now_usage: &now_usage,
    });
    Ok((figures, now_keying.level_name))
}

impl Workspace {
    /// Explains the change of `o.period` against `o.against` (the period before by default).
    pub fn explain(&self, o: &ExplainOptions) -> Result<ExplainRun, AppError> {
        let now_range = o.period;
        let before_full = compared_period(now_range, o.against)?;
        let (against, explained) = (before_full.label(), now_range.label());
        let before_range = like_days(now_range, before_full, self.as_of);
        // Each period's days summed in spans cut where the ranges asked of it start and end.
        let needs = |starts: Vec<chrono::NaiveDate>| Needs {
            usage: true,
            starts,
            ..Needs::default()
        };
        let now_period = self.period(now_range, &needs(vec![now_range.from]))?;
        let before_period = self.period(
            before_full,
            &needs(vec![before_full.from, before_range.to + Duration::days(1)]),
        )?;
        let last_known = now_range.to.min(self.as_of - Duration::days(1));
        let (mut figures, level_name) = explain_between(
            (&now_period, now_range),
            (&before_period, before_full, before_range),
            &o.common,
        )?;
        if let Some(line) = &o.line {
            let known: Vec<&str> = figures.lines.iter().map(|l| l.key.as_str()).collect();
            if !known.contains(&line.as_str()) {
                let hint = crate::spelling::nearest(line, known.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(AppError::Usage(format!(
                    "{line}: no cost on it in {against} or {explained}{hint}"
                )));
            }
            figures.lines.retain(|l| &l.key == line);
        }
        let status = now_period
            .status()
            .max(before_period.status_of(before_full, &[Facts::Cost]));
        let mut notes: Vec<Note> = now_period.status_notes(now_range, &[Facts::Cost]);
        notes.extend(before_period.status_notes(before_full, &[Facts::Cost]));
        if before_range != before_full {
            notes.push(
                format!(
                    "{explained} is still running: it is compared with {against} cut to the same days ({before_range}); partial_period is the cost of {against}'s other days."
                )
                .into(),
            );
        }
        notes.push(
            "Each driver adds up to the change to the cent: the change is the chargebacks' own cents; a spender's part lands on one driver (joined, left, moved_in, moved_out, other_spenders) or, for people who stayed, splits into volume, model_mix and rate (a price-volume-mix variance over models, rounded to the cent per person).".into(),
        );
        let compared = Compared {
            before: against.clone(),
            now: explained.clone(),
            level_name: level_name.clone(),
        };
        let teams = explain_teams_report(&compared, &figures, status, notes.clone());
        let full = explain_report(&compared, &figures, status, notes);
        let level = &level_name;
        Ok(ExplainRun {
            output: Output {
                run: file_name("explain", level),
                title: format!("Why cost changed from {against} to {explained}"),
                reports: vec![
                    Named::table(file_name("explain_teams", level), teams),
                    Named::file(file_name("explain", level), full),
                ],
                files: Vec::new(),
                messages: Vec::new(),
            },
            figures,
            status,
            before: before_range,
            now: DateRange {
                from: now_range.from,
                to: last_known.max(now_range.from),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(from: &str, to: &str) -> DateRange {
        format!("{from}..{to}").parse().unwrap()
    }

    #[test]
    fn the_period_before_is_of_the_same_kind() {
        // A month, a quarter, days.
        assert_eq!(
            compared_period(days("2026-11", "2026-11"), None).unwrap(),
            days("2026-10", "2026-10")
        );
        assert_eq!(
            compared_period(days("2026-07", "2026-09"), None).unwrap(),
            days("2026-04", "2026-06")
        );
        assert_eq!(
            compared_period(days("2026-03-01", "2026-03-14"), None).unwrap(),
            days("2026-02-15", "2026-02-28")
        );
    }

    #[test]
    fn periods_of_another_kind_or_sharing_days_are_refused() {
        // A quarter against another is fine though their days differ (92 against 91).
        assert!(
            compared_period(days("2026-07", "2026-09"), Some(days("2026-01", "2026-03"))).is_ok()
        );
        // A month against twenty days (thirty days against a 30-day month would be as many days).
        let err = compared_period(
            days("2026-09", "2026-09"),
            Some(days("2026-07-01", "2026-07-20")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("1 month") && err.contains("20 days"), "{err}");
        let err = compared_period(days("2026-09", "2026-10"), Some(days("2026-10", "2026-11")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("share days"), "{err}");
        // A later period is a comparison too.
        assert!(compared_period(
            days("2026-09-01", "2026-09-07"),
            Some(days("2026-09-08", "2026-09-14"))
        )
        .is_ok());
    }
}

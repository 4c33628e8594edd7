//! `allot explain`: why each line's cost changed between two months, split exactly into its
//! drivers (`allot_figures::explain` says how), with the people and spenders behind each.

use allot_core::{DateRange, Month, Status};
use allot_figures::cents::PeriodCents;
use allot_figures::explain::{explain, Explanation, Sides};
use allot_report::explain::{explain_report, explain_teams_report, Compared};
use allot_report::Note;
use chrono::Duration;

use crate::error::AppError;
use crate::output::{file_name, Named, Output};
use crate::reports::ReportOptions;
use crate::sources::Facts;
use crate::workspace::{like_days, Needs, Period, Workspace};

/// What an explain run is told.
#[derive(Debug, Clone)]
pub struct ExplainOptions {
    /// The month whose change is explained.
    pub month: Month,
    /// The month it is compared with (default the month before).
    pub against: Option<Month>,
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
    /// The worse of the two months' statuses.
    pub status: Status,
    /// The earlier month's days compared (cut to the later month's days while it runs).
    pub before: DateRange,
    /// The later month's days known.
    pub now: DateRange,
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
    /// Explains the change of `o.month` against `o.against` (the month before by default).
    pub fn explain(&self, o: &ExplainOptions) -> Result<ExplainRun, AppError> {
        let against = o.against.unwrap_or_else(|| o.month.prev());
        if against == o.month {
            return Err(AppError::Usage(format!(
                "--against {against} is the month explained: give another month"
            )));
        }
        let now_range = DateRange::month(o.month);
        let before_full = DateRange::month(against);
        let needs = Needs {
            usage: true,
            ..Needs::default()
        };
        let now_period = self.period(now_range, &needs)?;
        let before_period = self.period(before_full, &needs)?;
        let last_known = now_range.to.min(self.as_of - Duration::days(1));
        let before_range = like_days(now_range, before_full, self.as_of);
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
                    "{line}: no cost on it in {against} or {}{hint}",
                    o.month
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
                    "{} is still running: it is compared with {} cut to the same days ({before_range}); partial_period is the cost of {against}'s other days.",
                    o.month, against
                )
                .into(),
            );
        }
        notes.push(
            "Each driver adds up to the change to the cent: the change is the chargebacks' own cents; a spender's part lands on one driver (joined, left, moved_in, moved_out, other_spenders) or, for people who stayed, splits into volume, model_mix and rate (a price-volume-mix variance over models, rounded to the cent per person).".into(),
        );
        let compared = Compared {
            before: against.to_string(),
            now: o.month.to_string(),
            level_name: level_name.clone(),
        };
        let teams = explain_teams_report(&compared, &figures, status, notes.clone());
        let full = explain_report(&compared, &figures, status, notes);
        let level = &level_name;
        Ok(ExplainRun {
            output: Output {
                run: file_name("explain", level),
                title: format!("Why cost changed from {against} to {}", o.month),
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

//! The trend: cost per day, ISO week or month over any range, per cost center, mapping column
//! or fact dimension, each period rounded exactly like its own chargeback.

use allot_core::alloc::round_to_cents;
use allot_core::period::buckets;
use allot_core::{DateRange, Per};
use allot_engine::UnmappedPolicy;
use allot_figures::cents::PeriodCents;
use allot_report::views::{trend_report, Against, TrendPeriod};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

use crate::error::AppError;
use crate::output::{file_name, Named, Output};
use crate::sources::Facts;
use crate::workspace::Period;

/// The fact dimensions a trend can be grouped by (besides mapping columns).
pub const TREND_DIMENSIONS: [&str; 3] = ["product", "model", "context_window"];

/// What a trend is cut and grouped by.
#[derive(Debug, Clone)]
pub struct TrendOptions {
    /// Period length.
    pub per: Per,
    /// A mapping column, a fact dimension (`product`, `model`, `context_window`), or the cost
    /// center (None).
    pub by: Option<String>,
    /// Where uncovered cost goes.
    pub policy: UnmappedPolicy,
}

/// How one period of a trend is compared, like with like.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Compare {
    /// With the whole period before.
    Previous,
    /// With these days of the period before (the same days as this partial period's).
    SameDays(DateRange),
    /// Not at all, for this reason.
    Nothing(String),
}

/// Whether each period of `cuts` is partial (why), and what it is compared with: a whole
/// period with the one before (unless that one is cut by the range); a period still running
/// or cut by the end of the range with the same days of the period before, when `loaded`
/// holds them; a period cut by the start of the range with nothing.
fn comparisons(
    cuts: &[DateRange],
    per: Per,
    as_of: NaiveDate,
    loaded: DateRange,
) -> Vec<(Option<String>, Compare)> {
    let mut out: Vec<(Option<String>, Compare)> = Vec::new();
    let mut cut_before = false;
    for b in cuts {
        let start = per.start_of(b.from);
        let full = DateRange {
            from: start,
            to: per.end_of(start),
        };
        let known_to = b.to.min(as_of - Duration::days(1));
        let days = |r: DateRange| r.len();
        let this = if known_to < b.from {
            (
                Some("not started".to_string()),
                Compare::Nothing(format!("it has not started as of {as_of}")),
            )
        } else if b.from > full.from {
            let known = DateRange {
                from: b.from,
                to: known_to,
            };
            (
                Some(format!(
                    "{} of {} days, cut by the range",
                    days(known),
                    days(full)
                )),
                Compare::Nothing("the range starts inside it".into()),
            )
        } else if known_to < full.to {
            let n = (known_to - b.from).num_days();
            let before_start = per.start_of(full.from - Duration::days(1));
            let before = DateRange {
                from: before_start,
                to: (before_start + Duration::days(n)).min(per.end_of(before_start)),
            };
            let why = if b.to >= as_of {
                "to date"
            } else {
                "cut by the range"
            };
            (
                Some(format!("{} of {} days, {why}", n + 1, days(full))),
                if loaded.contains(before.from) {
                    Compare::SameDays(before)
                } else {
                    Compare::Nothing(format!(
                        "the same days before it ({before}) are not in the data read"
                    ))
                },
            )
        } else if cut_before {
            (
                None,
                Compare::Nothing("the period before it is cut by the range".into()),
            )
        } else {
            (None, Compare::Previous)
        };
        cut_before = b.from > full.from;
        out.push(this);
    }
    out
}

/// A trend's typed figures.
#[derive(Debug, Clone)]
pub struct TrendFigures {
    /// The level its lines are keyed by (`cost_center`, a hierarchy level or a dimension).
    pub level: String,
    /// The level's attribute columns.
    pub attributes: Vec<String>,
    /// Its periods, in order.
    pub periods: Vec<TrendPeriod>,
}

/// The days a trend over `range` per `per` starts its periods on, and the days its partial
/// periods' comparisons start and end on: a load cut at these answers every question the
/// trend asks exactly.
pub fn trend_starts(range: DateRange, per: Per, as_of: NaiveDate) -> Vec<NaiveDate> {
    let cuts = buckets(range, per);
    let mut starts: Vec<NaiveDate> = cuts.iter().map(|b| b.from).collect();
    for (_, c) in comparisons(&cuts, per, as_of, range) {
        if let Compare::SameDays(r) = c {
            starts.push(r.from);
            starts.push(r.to + Duration::days(1));
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Whether a trend grouped `by` needs the facts' dimensions loaded.
pub fn needs_dimensions(by: Option<&str>) -> bool {
    by.is_some_and(|b| TREND_DIMENSIONS.contains(&b))
}

impl crate::workspace::Workspace {
    /// `allot trend` over `range`: the load reads the usage dimensions only when the trend is
    /// by one, and sums each person's days in spans between the periods' starts.
    pub fn trend(&self, range: DateRange, o: &TrendOptions) -> Result<Output, AppError> {
        self.period(
            range,
            &crate::workspace::Needs {
                usage: needs_dimensions(o.by.as_deref()),
                starts: trend_starts(range, o.per, self.as_of),
                ..crate::workspace::Needs::default()
            },
        )?
        .trend(o)
    }
}

impl Period {
    /// The trend of the period.
    pub fn trend(&self, o: &TrendOptions) -> Result<Output, AppError> {
        let t = self.trend_figures(o)?;
        Ok(self.trend_output(&t, o.per))
    }

    /// The `trend` report of figures made by [`Period::trend_figures`] per `per`.
    pub fn trend_output(&self, t: &TrendFigures, per: Per) -> Output {
        let mut report = trend_report(
            &t.level,
            &t.attributes,
            per.as_str(),
            self.range,
            &t.periods,
            self.as_of,
        );
        let mut notes = self.status_notes(self.range, &[Facts::Cost]);
        notes.append(&mut report.notes);
        report.notes = notes;
        let name = file_name("trend", &t.level);
        Output {
            run: name.clone(),
            title: report.title.clone(),
            reports: vec![Named::table(name, report)],
            files: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// The trend as typed figures: each period's lines in cents, rounded as the chargeback
    /// of that period rounds, and what each period's change compares with.
    pub fn trend_figures(&self, o: &TrendOptions) -> Result<TrendFigures, AppError> {
        let cuts = buckets(self.range, o.per);
        let status = |b: &DateRange| self.status_of(*b, &[Facts::Cost]);
        let compare = comparisons(&cuts, o.per, self.as_of, self.loaded);
        let same_days: Vec<DateRange> = compare
            .iter()
            .filter_map(|(_, c)| match c {
                Compare::SameDays(r) => Some(*r),
                _ => None,
            })
            .collect();
        let mut bases: BTreeMap<(NaiveDate, NaiveDate), BTreeMap<String, i64>> = BTreeMap::new();
        let (level, attrs, periods): (String, Vec<String>, Vec<TrendPeriod>) = match o.by.as_deref()
        {
            Some(dim) if TREND_DIMENSIONS.contains(&dim) => {
                let split = self.ledger.by_dimension(dim, &cuts)?;
                for (r, rows) in same_days
                    .iter()
                    .zip(self.ledger.by_dimension(dim, &same_days)?)
                {
                    let parts: Vec<(String, allot_core::Nanos)> = rows
                        .iter()
                        .map(|(v, _, a)| {
                            (
                                if v.is_empty() {
                                    "(none)".into()
                                } else {
                                    v.clone()
                                },
                                *a,
                            )
                        })
                        .collect();
                    let cents = round_to_cents(&parts);
                    bases.insert(
                        (r.from, r.to),
                        parts.into_iter().map(|(k, _)| k).zip(cents).collect(),
                    );
                }
                let periods = cuts
                    .iter()
                    .zip(split)
                    .map(|(b, rows)| {
                        let parts: Vec<(String, allot_core::Nanos)> =
                            rows.iter().map(|(v, _, a)| (v.clone(), *a)).collect();
                        let cents = round_to_cents(&parts);
                        TrendPeriod {
                            range: *b,
                            status: status(b),
                            partial: None,
                            against: Against::Previous,
                            lines: rows
                                .into_iter()
                                .zip(cents)
                                .map(|((v, users, _), c)| {
                                    (
                                        if v.is_empty() { "(none)".into() } else { v },
                                        Vec::new(),
                                        users,
                                        c,
                                    )
                                })
                                .collect(),
                        }
                    })
                    .collect();
                (dim.to_string(), Vec::new(), periods)
            }
            by => {
                let keying = self.keying(by, &o.policy)?;
                let cbs = self.ledger.chargebacks(&keying, &cuts)?;
                for (r, cb) in same_days
                    .iter()
                    .zip(self.ledger.chargebacks(&keying, &same_days)?)
                {
                    bases.insert((r.from, r.to), PeriodCents::of(&cb).lines);
                }
                let attrs = cbs
                    .first()
                    .map(|c| c.attribute_names.clone())
                    .unwrap_or_default();
                let periods = cuts
                    .iter()
                    .zip(&cbs)
                    .map(|(b, cb)| {
                        let cents = PeriodCents::of(cb);
                        TrendPeriod {
                            range: *b,
                            status: status(b),
                            partial: None,
                            against: Against::Previous,
                            lines: cb
                                .lines
                                .iter()
                                .map(|l| {
                                    (
                                        l.key.clone(),
                                        l.attributes.clone(),
                                        l.users,
                                        cents.line(&l.key),
                                    )
                                })
                                .collect(),
                        }
                    })
                    .collect();
                (keying.level_name.clone(), attrs, periods)
            }
        };
        let mut periods = periods;
        for (p, (partial, c)) in periods.iter_mut().zip(compare) {
            p.partial = partial;
            p.against = match c {
                Compare::Previous => Against::Previous,
                Compare::SameDays(r) => {
                    Against::SameDays(r, bases.remove(&(r.from, r.to)).unwrap_or_default())
                }
                Compare::Nothing(why) => Against::Nothing(why),
            };
        }
        Ok(TrendFigures {
            level,
            attributes: attrs,
            periods,
        })
    }
}

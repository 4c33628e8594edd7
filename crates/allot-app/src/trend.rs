//! The trend: cost per day, ISO week or month over any range, per cost center, mapping column
//! or fact dimension, each period rounded exactly like its own chargeback.

use allot_core::alloc::round_to_cents;
use allot_core::period::buckets;
use allot_core::{DateRange, Per};
use allot_engine::UnmappedPolicy;
use allot_report::cents::PeriodCents;
use allot_report::views::{trend_report, TrendPeriod};

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

/// Whether a trend grouped `by` needs the facts' dimensions loaded.
pub fn needs_dimensions(by: Option<&str>) -> bool {
    by.is_some_and(|b| TREND_DIMENSIONS.contains(&b))
}

impl Period {
    /// The trend of the period.
    pub fn trend(&self, o: &TrendOptions) -> Result<Output, AppError> {
        let cuts = buckets(self.range, o.per);
        let status = |b: &DateRange| self.status_of(*b, &[Facts::Cost]);
        let (level, attrs, periods): (String, Vec<String>, Vec<TrendPeriod>) = match o.by.as_deref()
        {
            Some(dim) if TREND_DIMENSIONS.contains(&dim) => {
                let split = self.ledger.by_dimension(dim, &cuts)?;
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
        let mut report = trend_report(
            &level,
            &attrs,
            o.per.as_str(),
            self.range,
            &periods,
            self.as_of,
        );
        let mut notes = self.status_notes(self.range, &[Facts::Cost]);
        notes.append(&mut report.notes);
        report.notes = notes;
        let name = file_name("trend", &level);
        Ok(Output {
            run: name.clone(),
            title: report.title.clone(),
            reports: vec![Named::table(name, report)],
            files: Vec::new(),
            messages: Vec::new(),
        })
    }
}

//! The reports of a period: the chargeback (with shared pools, unmapped people, the daily
//! series and the FOCUS rows) and the reviews, each computed once from the period's ledger and
//! rounded once, so every report agrees with every other to the cent.

use std::collections::BTreeMap;

use allot_core::results::{ActivityRow, Chargeback, UsageRow};
use allot_core::shared::{allocate, Allocation, Policy, Pool, Recipient};
use allot_core::{DateRange, Month, Status, UNMAPPED};
use allot_engine::{Keying, Level, UnmappedPolicy};
use allot_figures::cents::{users_by_main_line, PeriodCents};
use allot_figures::chargeback::{day_cents, ChargebackFigures};
use allot_figures::reviews as figures;
use allot_report::reviews::{context_window, efficiency, model_mix, top_spenders, Context};
use allot_report::views::{allocations_report, chargeback_report, daily_report, unmapped_report};
use allot_report::Report;

use crate::error::AppError;
use crate::output::{file_name, Named, Output};
use crate::sources::Facts;
use crate::workspace::{compared_with, level_of, previous, Needs, Period, Workspace};

/// What every report of a period is shaped by.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Roll up by this mapping column instead of the cost center.
    pub by: Option<String>,
    /// Where uncovered cost goes.
    pub policy: UnmappedPolicy,
}

/// What a chargeback run adds.
#[derive(Debug, Clone, Default)]
pub struct ChargebackOptions {
    /// Level and policy.
    pub common: ReportOptions,
    /// Shared pools to split.
    pub pools: Vec<Pool>,
    /// Also the reviews the page and the workbook show (model mix, context window, top spenders).
    pub with_reviews: bool,
    /// Also the FOCUS 1.2 rows (`focus.csv`).
    pub focus: bool,
}

/// A chargeback run: its reports, and the figures they render.
#[derive(Debug, Clone)]
pub struct ChargebackRun {
    /// The reports and files, as `allot chargeback` writes them.
    pub output: Output,
    /// The chargeback's figures (its first report renders them).
    pub figures: ChargebackFigures,
    /// The cents of each day up to the as-of date (`daily.csv` renders them).
    pub days: Vec<(chrono::NaiveDate, i64)>,
}

/// How many top spenders a run shows unless told otherwise (the same everywhere).
pub const TOP_N: usize = 15;
/// The long-context share above which a person is flagged, unless told otherwise.
pub const CONTEXT_THRESHOLD_PCT: i64 = 25;

/// What a month's run reads beyond its cost, so the load reads nothing more: the reviews'
/// usage and activity, the month before (top spenders' change), the FOCUS columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthReads {
    /// Usage and activity, for the reviews.
    pub reviews: bool,
    /// The month before too.
    pub previous: bool,
    /// The FOCUS export's columns.
    pub focus: bool,
}

impl Workspace {
    /// A month's period, loading only what `reads` asks for (every report of it starts on
    /// the month's first day, so the load may sum each person's days in spans).
    pub fn month_period(&self, month: Month, reads: MonthReads) -> Result<Period, AppError> {
        self.period(
            DateRange::month(month),
            &Needs {
                usage: reads.reviews,
                focus: reads.focus,
                activity: reads.reviews,
                previous: reads.previous,
                starts: vec![month.first_day()],
                days: false,
            },
        )
    }

    /// `allot chargeback` of `month`: the load reads the reviews' facts only when the run
    /// shows them (a page or a workbook), and the FOCUS columns only for the FOCUS rows.
    pub fn chargeback(&self, month: Month, o: &ChargebackOptions) -> Result<Output, AppError> {
        self.month_period(
            month,
            MonthReads {
                reviews: o.with_reviews,
                previous: o.with_reviews,
                focus: o.focus,
            },
        )?
        .chargeback_output(o)
    }
}

impl Period {
    /// The exact chargeback of the period at a level.
    pub fn chargeback(&self, keying: &Keying) -> Result<Chargeback, AppError> {
        Ok(self
            .ledger
            .chargebacks(keying, &[self.range])?
            .pop()
            .expect("one bucket"))
    }

    /// Sets a report's status from what `kinds` of facts hold of the period, and puts the
    /// notes that explain it first.
    pub fn stamp(&self, report: &mut Report, kinds: &[Facts]) {
        apply(
            report,
            &(
                self.status_of(self.range, kinds),
                self.status_notes(self.range, kinds),
            ),
        );
    }

    /// The chargeback run: the chargeback, unmapped people, cost by day, shared-pool
    /// allocations, and on request the reviews the page shows and the FOCUS rows.
    pub fn chargeback_output(&self, o: &ChargebackOptions) -> Result<Output, AppError> {
        Ok(self.chargeback_run(o)?.output)
    }

    /// The chargeback run with its typed figures beside the reports (what the dashboard reads).
    pub fn chargeback_run(&self, o: &ChargebackOptions) -> Result<ChargebackRun, AppError> {
        let keying = self.keying(o.common.by.as_deref(), &o.common.policy)?;
        let cb = self.chargeback(&keying)?;
        let status = self.status();
        let allocations = self.allocate(&cb, &keying, &o.pools)?;
        let level = keying.level_name.clone();
        let name = |base: &str| file_name(base, &level);
        let mut reports = Vec::new();
        let figures = ChargebackFigures::of(&cb, self.range, status, &allocations);
        let mut main = chargeback_report(&figures, self.as_of);
        self.stamp(&mut main, &[Facts::Cost]);
        reports.push(Named::table(name("chargeback"), main));
        let mut unmapped = unmapped_report(&figures, &self.names);
        self.stamp(&mut unmapped, &[Facts::Cost]);
        reports.push(Named::file(name("unmapped"), unmapped));
        // Every day of the period up to the as-of date: a day with no cost is a zero day.
        let known: std::collections::BTreeMap<chrono::NaiveDate, allot_core::Nanos> =
            self.ledger.daily(self.range)?.into_iter().collect();
        let days: Vec<(chrono::NaiveDate, allot_core::Nanos)> = self
            .range
            .days()
            .filter(|d| *d < self.as_of)
            .map(|d| (d, known.get(&d).copied().unwrap_or(allot_core::Nanos::ZERO)))
            .collect();
        let days = day_cents(&days);
        let mut daily = daily_report(&days, self.range, status);
        self.stamp(&mut daily, &[Facts::Cost]);
        reports.push(Named::file(name("daily"), daily));
        if !allocations.is_empty() {
            let mut a = allocations_report(&cb.level_name, &allocations, self.range, status);
            self.stamp(&mut a, &[Facts::Cost]);
            reports.push(Named::file(name("allocations"), a));
        }
        if o.with_reviews {
            let r = self.reviews_with(&keying, &cb)?;
            let (mix, _, _) = r.models();
            let (_, teams) = r.context(CONTEXT_THRESHOLD_PCT);
            reports.push(Named::file(mix.name, mix.report));
            reports.push(Named::file(teams.name, teams.report));
            let top = r.top(TOP_N);
            reports.push(Named::file(top.name, top.report));
        }
        let mut files = Vec::new();
        if o.focus {
            files.push(("focus.csv".to_string(), self.focus_csv(&o.common.policy)?));
        }
        Ok(ChargebackRun {
            output: Output {
                run: name("chargeback"),
                title: format!("Chargeback {} by {level}", self.range),
                reports,
                files,
                messages: Vec::new(),
            },
            figures,
            days,
        })
    }

    /// Splits the shared pools over the chargeback's real lines.
    fn allocate(
        &self,
        cb: &Chargeback,
        keying: &Keying,
        pools: &[Pool],
    ) -> Result<Vec<Allocation>, AppError> {
        let mapping = self.ledger.mapping();
        let level = level_of(
            mapping,
            if keying.level_name == "cost_center" {
                None
            } else {
                Some(&keying.level_name)
            },
        )?;
        let main_line_users = users_by_main_line(cb);
        let recipients: Vec<Recipient> = cb
            .lines
            .iter()
            .filter(|l| l.key != UNMAPPED)
            .map(|l| Recipient {
                key: l.key.clone(),
                attributed: l.amount,
                users: main_line_users.get(&l.key).copied().unwrap_or(0),
            })
            .collect();
        let mut out = Vec::new();
        for pool in pools {
            let pool = match (&pool.policy, &level) {
                (Policy::CostCenter(cc), Level::Attribute(i)) => {
                    let row = mapping
                        .rows
                        .iter()
                        .find(|r| &r.cost_center == cc)
                        .ok_or_else(|| {
                            AppError::Usage(format!(
                                "shared pool `{}`: cost center `{cc}` is not in the mapping",
                                pool.name
                            ))
                        })?;
                    Pool {
                        policy: Policy::CostCenter(row.attributes[*i].clone()),
                        ..pool.clone()
                    }
                }
                (Policy::CostCenter(cc), Level::CostCenter)
                    if !mapping.rows.iter().any(|r| &r.cost_center == cc) =>
                {
                    return Err(AppError::Usage(format!(
                        "shared pool `{}`: cost center `{cc}` is not in the mapping",
                        pool.name
                    )))
                }
                _ => pool.clone(),
            };
            out.extend(allocate(&pool, &recipients)?);
        }
        Ok(out)
    }

    /// The period's cost facts as a FOCUS 1.2 CSV, each charged to its cost center.
    pub fn focus_csv(&self, policy: &UnmappedPolicy) -> Result<Vec<u8>, AppError> {
        let rows = self.ledger.focus(policy, self.range)?;
        let mapping = self.ledger.mapping();
        let attrs = mapping.cost_center_attributes();
        let mut by_cc: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for r in &mapping.rows {
            by_cc.entry(r.cost_center.clone()).or_insert_with(|| {
                attrs
                    .iter()
                    .map(|&i| {
                        (
                            mapping.attributes[i].to_ascii_lowercase(),
                            r.attributes[i].clone(),
                        )
                    })
                    .collect()
            });
        }
        let mut bytes = Vec::new();
        allot_report::focus_out::write(
            &rows,
            Month::of(self.range.from),
            self.as_of,
            "anthropic",
            &by_cc,
            &mut bytes,
        )
        .map_err(|source| AppError::Write {
            path: "focus.csv".into(),
            source,
        })?;
        Ok(bytes)
    }

    /// The reviews of the period at a level, computed once.
    pub fn reviews(&self, o: &ReportOptions) -> Result<Reviews, AppError> {
        let keying = self.keying(o.by.as_deref(), &o.policy)?;
        let cb = self.chargeback(&keying)?;
        self.reviews_with(&keying, &cb)
    }

    fn reviews_with(&self, keying: &Keying, cb: &Chargeback) -> Result<Reviews, AppError> {
        let usage = self.ledger.usage(keying, self.range)?;
        let activity = self.ledger.activity(keying, self.range)?;
        // Like with like: a month still running is compared with the same days before it.
        let prev = compared_with(self.range, self.as_of);
        let (previous, prev_cents, prev_note) = if self.loaded.contains(prev.from) {
            if self.status_of(prev, &[Facts::Cost]) == Status::Incomplete {
                (
                    Vec::new(),
                    None,
                    Some(format!("The period before ({prev}) is incomplete in the data: its amounts and the change are not shown.")),
                )
            } else {
                let pcb = self
                    .ledger
                    .chargebacks(keying, &[prev])?
                    .pop()
                    .expect("one bucket");
                (
                    self.ledger.usage(keying, prev)?,
                    Some(PeriodCents::of(&pcb)),
                    (prev != previous(self.range)).then(|| {
                        format!(
                            "{} is still running: previous_month_usd and the change compare it with the same days of the month before ({prev}), not with that whole month.",
                            self.range
                        )
                    }),
                )
            }
        } else {
            (Vec::new(), None, None)
        };
        let ctx = Context {
            period: self.range,
            as_of: self.as_of,
            status: self.status(),
            level_name: keying.level_name.clone(),
            notes: Vec::new(),
            names: self.names.clone(),
        };
        Ok(Reviews {
            cents: PeriodCents::of(cb),
            period: self.stamps(),
            usage,
            previous,
            prev_cents,
            prev_note,
            activity,
            ctx,
        })
    }

    fn stamps(&self) -> Stamp {
        Stamp {
            cost: (
                self.status_of(self.range, &[Facts::Cost]),
                self.status_notes(self.range, &[Facts::Cost]),
            ),
            with_activity: (
                self.status_of(self.range, &[Facts::Cost, Facts::Activity]),
                self.status_notes(self.range, &[Facts::Cost, Facts::Activity]),
            ),
        }
    }
}

/// Status and notes of a period for reports that use cost only, and cost with activity.
#[derive(Debug, Clone)]
struct Stamp {
    cost: (Status, Vec<allot_report::Note>),
    with_activity: (Status, Vec<allot_report::Note>),
}

/// Replaces the `status` cell of a row.
fn restamp(row: &mut [allot_report::Cell], status: Status, columns: &[allot_report::Column]) {
    if let Some(i) = columns.iter().position(|c| c.name == "status") {
        if let Some(cell) = row.get_mut(i) {
            if matches!(cell, allot_report::Cell::Text(_)) {
                *cell = allot_report::Cell::Text(status.to_string());
            }
        }
    }
}

fn apply(report: &mut Report, (status, notes): &(Status, Vec<allot_report::Note>)) {
    report.status = *status;
    let mut all = notes.clone();
    all.append(&mut report.notes);
    report.notes = all;
    let columns = report.columns.clone();
    for row in &mut report.rows {
        restamp(row, *status, &columns);
    }
    if let Some(t) = &mut report.total {
        restamp(t, *status, &columns);
    }
}

/// The reviews of one period at one level, sharing the period's cents.
#[derive(Debug, Clone)]
pub struct Reviews {
    period: Stamp,
    /// Per-person usage on each line.
    pub usage: Vec<UsageRow>,
    /// The same for the period before.
    pub previous: Vec<UsageRow>,
    prev_cents: Option<PeriodCents>,
    prev_note: Option<String>,
    /// Per-person activity on each line.
    pub activity: Vec<ActivityRow>,
    /// The period's cents at the level: every amount of every review reuses them.
    pub cents: PeriodCents,
    /// Period, status, level and names, for the reports.
    pub ctx: Context,
}

impl Reviews {
    fn name(&self, base: &str) -> String {
        file_name(base, &self.ctx.level_name)
    }

    /// Claude Code cost per commit, pull request, session and 1,000 lines, per team or person.
    pub fn efficiency(&self, per_person: bool) -> Named {
        self.efficiency_of(&self.efficiency_figures(per_person))
    }

    /// The efficiency report of its figures.
    pub fn efficiency_of(&self, figures: &figures::Efficiency) -> Named {
        let mut r = efficiency(figures, &self.ctx);
        apply(&mut r, &self.period.with_activity);
        Named::table(self.name("efficiency"), r)
    }

    /// The efficiency figures per team, or per person on each team.
    pub fn efficiency_figures(&self, per_person: bool) -> figures::Efficiency {
        figures::efficiency(&self.usage, &self.activity, &self.cents, per_person)
    }

    /// The cents of the period before (the same days of it while the period runs), when it
    /// is in the data and complete.
    pub fn previous_cents(&self) -> Option<&PeriodCents> {
        self.prev_cents.as_ref()
    }

    /// The top `n` spenders' figures.
    pub fn top_figures(&self, n: usize) -> figures::TopSpenders {
        figures::top_spenders(
            &self.usage,
            &self.previous,
            self.prev_cents.as_ref().unwrap_or(&PeriodCents::default()),
            &self.activity,
            &self.cents,
            n,
        )
    }

    /// The model mix's figures.
    pub fn model_figures(&self) -> figures::ModelMix {
        figures::model_mix(&self.usage, &self.cents)
    }

    /// The top `n` spenders.
    pub fn top(&self, n: usize) -> Named {
        self.top_of(&self.top_figures(n))
    }

    /// The top spenders' report of their figures.
    pub fn top_of(&self, figures: &figures::TopSpenders) -> Named {
        let mut r = top_spenders(figures, &self.ctx);
        if let Some(note) = &self.prev_note {
            r.notes.push(note.clone().into());
        }
        apply(&mut r, &self.period.cost);
        Named::table(self.name("top_spenders"), r)
    }

    /// The context-window review: (people, teams).
    pub fn context(&self, threshold_pct: i64) -> (Named, Named) {
        self.context_of(&self.context_figures(threshold_pct))
    }

    /// The context-window review's figures.
    pub fn context_figures(&self, threshold_pct: i64) -> figures::ContextWindow {
        figures::context_window(&self.usage, &self.cents, threshold_pct)
    }

    /// The context-window reports of their figures: (people, teams).
    pub fn context_of(&self, figures: &figures::ContextWindow) -> (Named, Named) {
        let (mut people, mut teams) = context_window(figures, &self.ctx);
        apply(&mut people, &self.period.cost);
        apply(&mut teams, &self.period.cost);
        (
            Named::people(self.name("context_window"), people),
            Named::table(self.name("context_window_teams"), teams),
        )
    }

    /// The model mix: (teams, people, mostly on the largest model).
    pub fn models(&self) -> (Named, Named, Named) {
        self.models_of(&self.model_figures())
    }

    /// The model-mix reports of their figures: (teams, people, mostly on the largest model).
    pub fn models_of(&self, figures: &figures::ModelMix) -> (Named, Named, Named) {
        let (mut teams, mut people, mut down) = model_mix(figures, &self.ctx);
        apply(&mut teams, &self.period.cost);
        apply(&mut people, &self.period.cost);
        apply(&mut down, &self.period.cost);
        (
            Named::table(self.name("model_mix"), teams),
            Named::people(self.name("model_mix_people"), people),
            Named::table(self.name("model_downgrade"), down),
        )
    }
}

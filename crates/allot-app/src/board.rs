//! What the dashboard (`allot serve`) shows, computed by the same period query, the same
//! rounding and the same report builders as the CLI, so every page agrees with the CLI's
//! reports to the cent. A front end renders these reports; nothing here knows about HTTP.
//!
//! A [`MonthBoard`] is one month loaded once (day grain, with usage, activity and the month
//! before): every hierarchy level's chargeback (exactly `allot chargeback --by LEVEL`), the
//! reviews (exactly `allot top`, `allot models`, `allot context`, `allot efficiency`), and
//! the cost-center and person pages cut from those same reports (their days and mixes split
//! from the same cents, so they add up to them).

use std::collections::{BTreeMap, BTreeSet};

use allot_core::results::{Severity, UsageRow};
use allot_core::{DateRange, Month, Nanos, Per, Status};
use allot_engine::UnmappedPolicy;
use allot_figures::cents::split;
use allot_figures::chargeback::ChargebackFigures;
use allot_figures::forecast::ForecastFigures;
use allot_figures::reviews::{ContextWindow, Efficiency, ModelMix, TopSpenders};
use allot_figures::trend::{self, PeriodTotal, Series};
use allot_report::watch::forecast_report;
use allot_report::{Cell, Column, Kind, Report};
use chrono::NaiveDate;

use crate::error::AppError;
use crate::output::{Named, Output};
use crate::reports::{ChargebackOptions, ReportOptions, Reviews, CONTEXT_THRESHOLD_PCT};
use crate::sources::Facts;
use crate::trend::TrendOptions;
use crate::workspace::{plural, Needs, Period, Workspace};

/// One month as the dashboard shows it, computed once.
#[derive(Debug, Clone)]
pub struct MonthBoard {
    /// The month.
    pub month: Month,
    /// Why each cost center's cost changed since the month before (like days while this one
    /// runs), when the month before is in the store.
    pub changes: Option<allot_figures::explain::Explanation>,
    /// The days of the month before the changes compare with.
    pub changes_against: Option<DateRange>,
    /// Settled, provisional or incomplete (cost facts).
    pub status: Status,
    /// Why, in words (missing days, days still open to revision).
    pub notes: Vec<allot_report::Note>,
    /// The hierarchy's levels, top first, `cost_center` last.
    pub levels: Vec<String>,
    /// For each level after the first: its value -> the value of the level above.
    parents: Vec<BTreeMap<String, String>>,
    /// Each level's chargeback run (same order as `levels`), as `allot chargeback --by LEVEL`.
    pub chargebacks: Vec<Output>,
    /// Each level's chargeback figures (what `chargebacks` render, row for row).
    pub figures: Vec<ChargebackFigures>,
    /// The cents of each day of the month to the as-of date (`daily` renders them).
    pub days: Vec<(NaiveDate, i64)>,
    /// The month's total cents, rounded once (every level's chargeback adds up to it).
    pub total_cents: i64,
    /// The reviews at the cost-center level (with the month before, for the change).
    pub reviews: Reviews,
    /// Every spender, as `allot top --n` with no limit.
    pub spenders: Named,
    /// Efficiency per person (`allot efficiency --per person`).
    pub efficiency_people: Named,
    /// The context-window review per person.
    pub context_people: Named,
    /// The model mix per person.
    pub models_people: Named,
    /// The top spenders as `allot top` shows them.
    pub top: Named,
    /// The model mix per cost center.
    pub models: Named,
    /// Who mostly uses the largest model.
    pub downgrade: Named,
    /// The context-window review per cost center.
    pub context: Named,
    /// Claude Code efficiency per cost center.
    pub efficiency: Named,
    /// Every spender's figures (`spenders` renders them).
    pub spender_figures: TopSpenders,
    /// The top spenders' figures (`top` renders them).
    pub top_figures: TopSpenders,
    /// Efficiency per person on each cost center (`efficiency_people`).
    pub efficiency_people_figures: Efficiency,
    /// Efficiency per cost center (`efficiency`).
    pub efficiency_figures: Efficiency,
    /// The context-window review (`context` and `context_people`).
    pub context_figures: ContextWindow,
    /// The model mix (`models`, `models_people` and `downgrade`).
    pub model_figures: ModelMix,
    /// Each person's exact cost per day.
    person_days: BTreeMap<String, Vec<(NaiveDate, Nanos)>>,
    /// Each cost center's exact cost per day.
    line_days: BTreeMap<String, Vec<(NaiveDate, Nanos)>>,
    /// Cost centers of the mapping and of the month, with their attributes' values.
    pub cost_centers: BTreeMap<String, Vec<(String, String)>>,
    /// Everyone with cost in the month or a mapping row valid in it.
    pub people: BTreeSet<String>,
    range: DateRange,
    as_of: NaiveDate,
}

/// One table of a cost center's or a person's page, with what its chart draws.
#[derive(Debug, Clone)]
pub struct Part {
    /// The table.
    pub table: Named,
    /// Its chart's figures.
    pub chart: Chart,
}

impl Part {
    /// A table with no chart.
    fn table(table: Named) -> Part {
        Part {
            table,
            chart: Chart::None,
        }
    }
}

/// What a part's chart draws: its title and (label, cents) in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chart {
    /// No chart.
    None,
    /// Bars, one per label.
    Bars(&'static str, Vec<(String, i64)>),
    /// A line over the days.
    Line(&'static str, Vec<(String, i64)>),
}

/// The months the store holds cost for that have started by `as_of`, oldest first.
pub fn months_held(ws: &Workspace) -> Result<Vec<Month>, AppError> {
    let Some(r) = ws.sources.held(Facts::Cost)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut month = Month::of(r.from);
    while month.first_day() <= r.to && month.first_day() < ws.as_of {
        out.push(month);
        month = month.next();
    }
    Ok(out)
}

/// The report `r` with only some of its rows (the total line and the notes
/// about the whole report dropped: the rows are a part, and the status notes stay). `keep`
/// is asked of each row's index in the figures the report renders (one row per figure, in
/// order), so a part is chosen by typed keys, never by reading a cell back.
pub fn only(r: &Named, name: &str, keep: impl Fn(usize) -> bool) -> Named {
    let mut report = r.report.clone();
    let mut i = 0;
    report.rows.retain(|_| {
        i += 1;
        keep(i - 1)
    });
    report.total = None;
    report.notes.retain(|n| n.kind.is_status());
    Named {
        name: name.to_string(),
        report,
        show: r.show,
    }
}

impl Workspace {
    /// The dashboard's month: one load, every level, the reviews and the daily series.
    pub fn month_board(
        &self,
        month: Month,
        policy: &UnmappedPolicy,
    ) -> Result<MonthBoard, AppError> {
        let range = DateRange::month(month);
        let period = self.period(
            range,
            &Needs {
                usage: true,
                focus: false,
                activity: true,
                previous: true,
                starts: vec![range.from],
                days: true,
            },
        )?;
        MonthBoard::build(&period, policy)
    }

    /// The dashboard's month and its adoption from one load: adoption's days (its month, the
    /// month before, the inactive window and 92 days of lookback) hold the month's, so the month
    /// is built from the same period looked at over the month alone. When adoption cannot
    /// load (or holds no cost in the month), each loads its own, so their errors read as
    /// before.
    pub fn month_board_and_adoption(
        &self,
        month: Month,
        policy: &UnmappedPolicy,
        adoption: &crate::AdoptionOptions,
    ) -> (
        Result<MonthBoard, AppError>,
        Result<crate::adoption::AdoptionRun, AppError>,
    ) {
        let range = DateRange::month(month);
        let shared = self.adoption_days(month, adoption).ok().and_then(|days| {
            let period = self
                .period(days.loaded, &self.adoption_needs(month, &days))
                .ok()?;
            let held = range.days().any(|d| period.coverage[0].holds(d));
            held.then_some((days, period))
        });
        let Some((days, period)) = shared else {
            return (
                self.month_board(month, policy),
                self.adoption_run(month, adoption),
            );
        };
        let run = self.adoption_of(month, adoption, &days, &period);
        let mut of_month = period;
        of_month.range = range;
        (MonthBoard::build(&of_month, policy), run)
    }
}

impl MonthBoard {
    fn build(period: &Period, policy: &UnmappedPolicy) -> Result<MonthBoard, AppError> {
        let mapping = period.ledger.mapping();
        let mut levels: Vec<String> = mapping
            .hierarchy
            .iter()
            .rev()
            .map(|&i| mapping.attributes[i].clone())
            .collect();
        levels.push("cost_center".into());
        // parents[k] maps a value of levels[k] to its value at levels[k-1].
        let mut parents = vec![BTreeMap::new(); levels.len()];
        let col_of = |name: &str| mapping.attribute(name);
        for r in &mapping.rows {
            for k in 1..levels.len() {
                let here = if k == levels.len() - 1 {
                    r.cost_center.clone()
                } else {
                    r.attributes[col_of(&levels[k]).expect("hierarchy column")].clone()
                };
                let up = r.attributes[col_of(&levels[k - 1]).expect("hierarchy column")].clone();
                parents[k].entry(here).or_insert(up);
            }
        }
        let mut chargebacks = Vec::new();
        let mut figures = Vec::new();
        let mut days = Vec::new();
        for (k, level) in levels.iter().enumerate() {
            let by = (k + 1 < levels.len()).then(|| level.clone());
            let run = period.chargeback_run(&ChargebackOptions {
                common: ReportOptions {
                    by,
                    policy: policy.clone(),
                },
                pools: Vec::new(),
                with_reviews: false,
                focus: false,
            })?;
            chargebacks.push(run.output);
            figures.push(run.figures);
            days = run.days;
        }
        let options = ReportOptions {
            by: None,
            policy: policy.clone(),
        };
        let reviews = period.reviews(&options)?;
        let spender_figures = reviews.top_figures(usize::MAX);
        let spenders = reviews.top_of(&spender_figures);
        let efficiency_people_figures = reviews.efficiency_figures(true);
        let efficiency_people = reviews.efficiency_of(&efficiency_people_figures);
        let context_figures = reviews.context_figures(CONTEXT_THRESHOLD_PCT);
        let (context_people, context) = reviews.context_of(&context_figures);
        let model_figures = reviews.model_figures();
        let (models, models_people, downgrade) = reviews.models_of(&model_figures);
        let efficiency_figures = reviews.efficiency_figures(false);
        let efficiency = reviews.efficiency_of(&efficiency_figures);
        let top_figures = reviews.top_figures(crate::reports::TOP_N);
        let top = reviews.top_of(&top_figures);
        // The month's cents and the month before's are the reviews' (the same level and
        // policy): computed once.
        let keying = period.keying(None, policy)?;
        let series = period.ledger.series(&keying, period.range)?;
        let (person_days, line_days) = (series.people, series.lines);
        let attrs = mapping.cost_center_attributes();
        let mut cost_centers: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut people: BTreeSet<String> = BTreeSet::new();
        for r in &mapping.rows {
            cost_centers
                .entry(r.cost_center.clone())
                .or_insert_with(|| {
                    attrs
                        .iter()
                        .map(|&i| (mapping.attributes[i].clone(), r.attributes[i].clone()))
                        .collect()
                });
            if r.effective_from.is_none_or(|f| f <= period.range.to)
                && r.effective_to.is_none_or(|t| t >= period.range.from)
            {
                people.insert(r.email.clone());
            }
        }
        let last = figures.len() - 1;
        for l in &figures[last].lines {
            cost_centers.entry(l.key.clone()).or_default();
        }
        people.extend(reviews.cents.persons.keys().cloned());
        // What drove each cost center's change, from this same load (it holds the month before).
        let (changes, changes_against) = if reviews.previous_cents().is_some() {
            let before_full = crate::workspace::previous(period.range);
            let before = crate::workspace::like_days(period.range, before_full, period.as_of);
            let (figures, _) = crate::explain::explain_between(
                (period, period.range),
                (period, before_full, before),
                &options,
            )?;
            (Some(figures), Some(before))
        } else {
            (None, None)
        };
        Ok(MonthBoard {
            month: Month::of(period.range.from),
            changes,
            changes_against,
            status: period.status(),
            notes: period.status_notes(period.range, &[Facts::Cost]),
            levels,
            parents,
            chargebacks,
            figures,
            days,
            total_cents: reviews.cents.total,
            reviews,
            spenders,
            efficiency_people,
            context_people,
            models_people,
            top,
            models,
            downgrade,
            context,
            efficiency,
            spender_figures,
            top_figures,
            efficiency_people_figures,
            efficiency_figures,
            context_figures,
            model_figures,
            person_days,
            line_days,
            cost_centers,
            people,
            range: period.range,
            as_of: period.as_of,
        })
    }

    /// The chargeback report of level `k` (as `allot chargeback --by LEVEL` writes it).
    pub fn chargeback(&self, k: usize) -> &Named {
        &self.chargebacks[k].reports[0]
    }

    /// The people whose cost no mapping row covered (`unmapped.csv`).
    pub fn unmapped(&self) -> &Named {
        let last = self.chargebacks.len() - 1;
        self.chargebacks[last]
            .reports
            .iter()
            .find(|n| n.name == "unmapped")
            .expect("the chargeback run has an unmapped report")
    }

    /// The cost of each day (`daily.csv`).
    pub fn daily(&self) -> &Named {
        let last = self.chargebacks.len() - 1;
        self.chargebacks[last]
            .reports
            .iter()
            .find(|n| n.name == "daily")
            .expect("the chargeback run has a daily report")
    }

    /// The index of a level by name (case-insensitive; `cost-center` accepted).
    pub fn level(&self, name: &str) -> Option<usize> {
        let name = name.replace('-', "_");
        self.levels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(&name))
    }

    /// The rows of level `k + 1` under `value` of level `k` (the drill-down), or None when
    /// the level has no such value or is the last.
    pub fn children(&self, k: usize, value: &str) -> Option<Named> {
        if k + 1 >= self.levels.len() || !self.has_value(k, value) {
            return None;
        }
        let below = self.chargeback(k + 1);
        let lines = &self.figures[k + 1].lines;
        let mut part = below.clone();
        let mut i = 0;
        part.report.rows.retain(|_| {
            i += 1;
            self.parents[k + 1]
                .get(&lines[i - 1].key)
                .is_some_and(|p| p == value)
        });
        part.report.total = None;
        part.name = format!("{}-in-{}", below.name, slug(value));
        Some(part)
    }

    /// The lines of level `k + 1` under `value` of level `k`, with their cents (what the
    /// drill-down's chart draws, in the order its table shows them).
    pub fn child_lines(&self, k: usize, value: &str) -> Vec<(String, i64)> {
        let Some(below) = self.figures.get(k + 1) else {
            return Vec::new();
        };
        below
            .lines
            .iter()
            .filter(|l| self.parents[k + 1].get(&l.key).is_some_and(|p| p == value))
            .map(|l| (l.key.clone(), l.amount_cents))
            .collect()
    }

    /// The row of `value` in level `k`'s chargeback (None when it has none).
    pub fn row_of(&self, k: usize, value: &str) -> Option<Named> {
        let lines = &self.figures[k].lines;
        let row = only(self.chargeback(k), &self.chargeback(k).name, |i| {
            lines[i].key == value
        });
        (!row.report.rows.is_empty()).then_some(row)
    }

    fn has_value(&self, k: usize, value: &str) -> bool {
        if k + 1 == self.levels.len() {
            return self.cost_centers.contains_key(value);
        }
        self.parents
            .get(k + 1)
            .is_some_and(|m| m.values().any(|v| v == value))
            || self.row_of(k, value).is_some()
    }

    /// The path above a value of level `k`: (level, value) pairs, top first.
    pub fn path(&self, k: usize, value: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut v = value.to_string();
        let mut k = k;
        while k > 0 {
            let Some(up) = self.parents[k].get(&v) else {
                break;
            };
            out.push((self.levels[k - 1].clone(), up.clone()));
            v = up.clone();
            k -= 1;
        }
        out.reverse();
        out
    }

    /// Whether `cc` is a cost center of the mapping or of the month's chargeback.
    pub fn has_cost_center(&self, cc: &str) -> bool {
        self.cost_centers.contains_key(cc)
    }

    /// The cost-center page's reports, or None for a cost center the month does not know.
    pub fn cost_center(&self, cc: &str) -> Option<Vec<Part>> {
        if !self.has_cost_center(cc) {
            return None;
        }
        let last = self.levels.len() - 1;
        let cb = self.chargeback(last);
        let lines = &self.figures[last].lines;
        let product_usage: Vec<&UsageRow> =
            self.reviews.usage.iter().filter(|u| u.key == cc).collect();
        let (teams, people) = (
            &self.model_figures.teams,
            &self.efficiency_people_figures.rows,
        );
        let (windows, efficiency) = (&self.context_figures.teams, &self.efficiency_figures.rows);
        let models = teams.iter().filter(|r| r.who == cc);
        Some(
            vec![
                Part::table(only(cb, "chargeback", |i| lines[i].key == cc)),
                Part::table(self.month_over_month_line(cc)),
            ]
            .into_iter()
            .chain(self.drivers_of(cc).map(Part::table))
            .chain([
                self.days_of(
                    self.line_days.get(cc),
                    self.reviews.cents.line(cc),
                    format!("{cc}: cost by day"),
                ),
                Part::table(self.spenders_on(cc)),
                self.mix(
                    "product_mix",
                    "Product mix",
                    "product",
                    &product_usage,
                    self.reviews.cents.line(cc),
                ),
                Part {
                    table: only(&self.models, "model_mix", |i| teams[i].who == cc),
                    chart: Chart::Bars(
                        "Model mix",
                        models.map(|r| (r.model.clone(), r.cents)).collect(),
                    ),
                },
                Part::table(only(&self.context, "context_window", |i| {
                    windows[i].key == cc
                })),
                Part::table(only(&self.efficiency, "efficiency", |i| {
                    efficiency[i].key == cc
                })),
                Part::table(only(&self.efficiency_people, "efficiency_people", |i| {
                    people[i].key == cc
                })),
            ])
            .collect(),
        )
    }

    /// What the month's changes compare: the month before, this month, by cost center.
    fn compared(&self) -> allot_report::explain::Compared {
        allot_report::explain::Compared {
            before: self.month.prev().to_string(),
            now: self.month.to_string(),
            level_name: "cost_center".into(),
        }
    }

    /// The team view of the month's changes: each cost center's change and its largest driver.
    pub fn changes_view(&self) -> Option<Named> {
        let changes = self.changes.as_ref()?;
        let mut notes = Vec::new();
        if let Some(against) = self
            .changes_against
            .filter(|r| *r != crate::workspace::previous(self.range))
        {
            notes.push(allot_report::Note::from(format!(
                "{} is still running: it is compared with {against} (the same days); partial_period is the cost of the rest of {}.",
                self.month,
                self.month.prev()
            )));
        }
        Some(Named::table(
            "explain_teams",
            allot_report::explain::explain_teams_report(
                &self.compared(),
                changes,
                self.status,
                notes,
            ),
        ))
    }

    /// What drove `cc`'s change since the month before on like days (the month over month's
    /// change, which it adds up to), driver by driver with its people.
    pub fn drivers_of(&self, cc: &str) -> Option<Named> {
        let line = self.changes.as_ref()?.lines.iter().find(|l| l.key == cc)?;
        Some(Named::table(
            "explain",
            allot_report::explain::explain_line_report(
                &self.compared(),
                line,
                true,
                self.status,
                Vec::new(),
            ),
        ))
    }

    /// Everyone charged to `cc` this month with their cents *on this cost center* (a person
    /// who moved team mid-month shows only their days here), so the rows add up to the cost
    /// center's amount to the cent; their whole month is beside it.
    pub fn spenders_on(&self, cc: &str) -> Named {
        let line = self.reviews.cents.line(cc);
        let on = self.reviews.cents.on_line(cc);
        let status = self.status.to_string();
        let rows: Vec<Vec<Cell>> = on
            .iter()
            .map(|(email, cents, share)| {
                vec![
                    Cell::Text(email.clone()),
                    Cell::Text(allot_core::identity::kind(email).as_str().to_string()),
                    allot_report::reviews::name_cell(&self.reviews.ctx.names, email),
                    Cell::Cents(*cents),
                    share.map_or(Cell::Empty, Cell::Pct),
                    Cell::Cents(self.reviews.cents.person(email).unwrap_or(0)),
                    Cell::Text(status.clone()),
                ]
            })
            .collect();
        let people = on
            .iter()
            .filter(|(e, _, _)| allot_core::identity::is_person(e))
            .count();
        let columns = vec![
            Column::new("email", Kind::Text),
            Column::new("kind", Kind::Text),
            Column::new("name", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("share_pct", Kind::Pct),
            Column::new("month_usd", Kind::Money),
            Column::new("status", Kind::Text),
        ];
        let mut total = vec![Cell::Empty; columns.len()];
        total[0] = Cell::Text("TOTAL".into());
        total[3] = Cell::Cents(line);
        total[6] = Cell::Text(status);
        let mut report = self.stamp(format!("{cc}: spenders, by cost on {cc}"), columns, rows);
        report.total = Some(total);
        report.notes.push(format!(
            "{} on {cc} this month ({} {}, {} other {}: API keys, service accounts, cloud principals and other actors). amount_usd is each one's cost on {cc} (days on another cost center are charged there), so the rows add up to {cc}'s amount; month_usd is their whole month.",
            plural(on.len(), "spender"),
            people,
            if people == 1 { "person" } else { "people" },
            on.len() - people,
            if on.len() - people == 1 { "spender" } else { "spenders" },
        ).into());
        Named::table("people", report)
    }

    /// People (seat users, not API keys or other actors) with cost in the month.
    pub fn people_with_cost(&self) -> usize {
        self.reviews
            .cents
            .persons
            .keys()
            .filter(|e| allot_core::identity::is_person(e))
            .count()
    }

    /// Spenders of every kind with cost in the month (people, API keys, service accounts...).
    pub fn spenders_with_cost(&self) -> usize {
        self.reviews.cents.persons.len()
    }

    /// The unmapped people and the unmapped other spenders, with their cents:
    /// ((people, cents), (other spenders, cents)).
    pub fn unmapped_counts(&self) -> ((usize, i64), (usize, i64)) {
        let (mut people, mut others) = ((0, 0), (0, 0));
        let last = self.figures.len() - 1;
        for u in &self.figures[last].unmapped {
            let side = if allot_core::identity::is_person(&u.email) {
                &mut people
            } else {
                &mut others
            };
            side.0 += 1;
            side.1 += u.cents;
        }
        (people, others)
    }

    /// Whether `email` has cost in the month or a mapping row valid in it.
    pub fn has_person(&self, email: &str) -> bool {
        self.people.contains(email)
    }

    /// The person's page reports, or None for someone the month does not know.
    pub fn person(&self, email: &str) -> Option<Vec<Part>> {
        if !self.has_person(email) {
            return None;
        }
        let usage: Vec<&UsageRow> = self
            .reviews
            .usage
            .iter()
            .filter(|u| u.email == email)
            .collect();
        let total = self.reviews.cents.person(email).unwrap_or(0);
        let spenders = &self.spender_figures.rows;
        let (models, windows) = (&self.model_figures.people, &self.context_figures.people);
        let efficiency = &self.efficiency_people_figures.rows;
        let on_models = models.iter().filter(|r| r.who == email);
        Some(vec![
            Part::table(only(&self.spenders, "top_spenders", |i| {
                spenders[i].email == email
            })),
            self.days_of(
                self.person_days.get(email),
                total,
                format!("{email}: cost by day"),
            ),
            self.mix("product_mix", "Product mix", "product", &usage, total),
            Part {
                table: only(&self.models_people, "model_mix", |i| models[i].who == email),
                chart: Chart::Bars(
                    "Model mix",
                    on_models.map(|r| (r.model.clone(), r.cents)).collect(),
                ),
            },
            Part::table(only(&self.context_people, "context_window", |i| {
                windows[i].key == email
            })),
            Part::table(only(&self.efficiency_people, "efficiency", |i| {
                efficiency[i].email.as_deref() == Some(email)
            })),
        ])
    }

    /// The cost center a person was last charged to in the month (their main line).
    pub fn home_of(&self, email: &str) -> Option<String> {
        self.spender_figures
            .rows
            .iter()
            .find(|r| r.email == email)
            .map(|r| r.main_line.clone())
    }

    fn stamp(&self, title: String, columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Report {
        Report {
            title,
            status: self.status,
            meta: vec![
                ("month".into(), self.month.to_string()),
                ("as_of".into(), self.as_of.to_string()),
            ],
            columns,
            rows,
            total: None,
            notes: self.notes.clone(),
        }
    }

    /// A split of `target` cents (a line's or a person's cents) by a usage dimension.
    fn mix(
        &self,
        name: &str,
        title: &'static str,
        dim: &str,
        usage: &[&UsageRow],
        target: i64,
    ) -> Part {
        let mut by: BTreeMap<String, Nanos> = BTreeMap::new();
        for u in usage {
            let value = match dim {
                "product" => &u.product,
                "model" => &u.model,
                _ => &u.context_window,
            };
            let value = if value.is_empty() {
                "(none)"
            } else {
                value.as_str()
            };
            *by.entry(value.to_string()).or_default() += u.cost;
        }
        let parts: Vec<(String, Nanos)> = by.into_iter().collect();
        let mixed = allot_figures::cents::mix(target, &parts);
        let status = self.status.to_string();
        let chart: Vec<(String, i64)> = mixed.iter().map(|(k, c, _)| (k.clone(), *c)).collect();
        let rows = mixed
            .into_iter()
            .map(|(k, c, s)| {
                vec![
                    Cell::Text(k),
                    Cell::Cents(c),
                    s.map_or(Cell::Empty, Cell::Pct),
                    Cell::Text(status.clone()),
                ]
            })
            .collect();
        Part {
            table: Named::table(
                name,
                self.stamp(
                    format!("{title} {}", self.month),
                    vec![
                        Column::new(dim, Kind::Text),
                        Column::new("amount_usd", Kind::Money),
                        Column::new("share_pct", Kind::Pct),
                        Column::new("status", Kind::Text),
                    ],
                    rows,
                ),
            ),
            chart: Chart::Bars(title, chart),
        }
    }

    /// A cost center's or a person's cents per day: the month's cents split over the days by
    /// their exact amounts, so the days add up to the amount every other report shows (a
    /// trend per day rounds each day on its own, and its days may differ by a cent).
    fn days_of(&self, days: Option<&Vec<(NaiveDate, Nanos)>>, target: i64, title: String) -> Part {
        // Every day of the month up to the as-of date, a day with no cost a zero day (a chart
        // of only the days with cost would spread them evenly over the month).
        let known: BTreeMap<NaiveDate, Nanos> =
            days.cloned().unwrap_or_default().into_iter().collect();
        let parts: Vec<(NaiveDate, Nanos)> = self
            .range
            .days()
            .filter(|d| *d < self.as_of)
            .map(|d| (d, known.get(&d).copied().unwrap_or(Nanos::ZERO)))
            .collect();
        let cents = split(target, &parts);
        let status_of = |d: NaiveDate| {
            if (self.as_of - d).num_days() < allot_core::settle::SETTLEMENT_DAYS {
                Status::Provisional
            } else {
                self.status
            }
        };
        let chart: Vec<(String, i64)> = parts
            .iter()
            .zip(&cents)
            .map(|((d, _), c)| (d.to_string(), *c))
            .collect();
        let rows = parts
            .iter()
            .zip(cents)
            .map(|((d, _), c)| {
                vec![
                    Cell::Text(d.to_string()),
                    Cell::Cents(c),
                    Cell::Text(status_of(*d).to_string()),
                ]
            })
            .collect();
        Part {
            table: Named::table(
                "daily",
                self.stamp(
                    title,
                    vec![
                        Column::new("date", Kind::Text),
                        Column::new("amount_usd", Kind::Money),
                        Column::new("status", Kind::Text),
                    ],
                    rows,
                ),
            ),
            chart: Chart::Line("Cost by day", chart),
        }
    }

    /// A cost center's month against the month before.
    fn month_over_month_line(&self, cc: &str) -> Named {
        let now = self.reviews.cents.line(cc);
        let before = self.reviews.previous_cents().map(|p| p.line(cc));
        let row = vec![
            Cell::Text(self.month.to_string()),
            Cell::Cents(now),
            before.map_or(Cell::Empty, Cell::Cents),
            before.map_or(Cell::Empty, |b| Cell::Cents(now - b)),
            before
                .and_then(|b| allot_figures::trend::change(now, b).bp)
                .map_or(Cell::Empty, Cell::Pct),
            Cell::Text(self.status.to_string()),
        ];
        let mut report = self.stamp(
            format!("{cc}: month over month"),
            vec![
                Column::new("month", Kind::Text),
                Column::new("amount_usd", Kind::Money),
                Column::new("previous_month_usd", Kind::Money),
                Column::new("change_usd", Kind::Money),
                Column::new("change_pct", Kind::Pct),
                Column::new("status", Kind::Text),
            ],
            vec![row],
        );
        if self.reviews.previous_cents().is_none() {
            report.notes.push(
                format!(
                    "The month before ({}) is not complete in the store: no change is shown.",
                    self.month.prev()
                )
                .into(),
            );
        }
        Named::table("month_over_month", report)
    }

    /// The month's range.
    pub fn range(&self) -> DateRange {
        self.range
    }
}

/// A value made safe for a file name: letters, digits and `-`, lower case.
pub fn slug(value: &str) -> String {
    let mut s: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').to_string()
}

/// The overview's figures: the month so far with its forecast and budget, the last weeks,
/// the open alerts.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The month the as-of date is in (or the last month with data).
    pub month: Month,
    /// `forecast.csv` of that month.
    pub forecast: Option<Named>,
    /// Why there is no forecast, when there is none.
    pub forecast_note: Option<String>,
    /// Cost per ISO week per cost center over the last 12 weeks (`allot trend --per week`).
    pub weeks: Option<Named>,
    /// `alerts.csv` of the as-of date.
    pub alerts: Option<Named>,
    /// Why there are no alerts, when they could not be computed.
    pub alerts_note: Option<String>,
    /// The last day the store holds cost for.
    pub last_day: Option<NaiveDate>,
    /// The days held that are still provisional (younger than 30 days, or fetched too early).
    pub provisional: Vec<NaiveDate>,
    /// The days of the overview's weeks the store holds no cost for.
    pub missing: Vec<NaiveDate>,
    /// The forecast's figures (`forecast` is their report).
    pub forecast_figures: Option<ForecastFigures>,
    /// The organisation's cost per week (the weeks' lines summed), oldest first.
    pub week_totals: Vec<PeriodTotal>,
    /// The cost centers' lines per week to draw: the eight largest and the rest summed
    /// (empty when there are no weeks).
    pub week_series: Series,
    /// How many of the alerts are critical.
    pub critical_alerts: usize,
    /// How many alerts are open (`alerts` shows each).
    pub open_alerts: usize,
}

impl Overview {
    /// The forecast's `n` largest rows by month to date (its `TOTAL` row left out), chosen by
    /// the figures and rendered as the forecast renders them.
    pub fn top_forecast(&self, name: &str, n: usize) -> Option<Named> {
        let (f, figures) = (self.forecast.as_ref()?, self.forecast_figures.as_ref()?);
        let mut order: Vec<usize> = (0..figures.rows.len()).collect();
        order.sort_by_key(|i| std::cmp::Reverse(figures.rows[*i].cents.month_to_date));
        order.truncate(n);
        let mut out = f.clone();
        out.name = name.to_string();
        out.report.total = None;
        out.report.rows = order
            .into_iter()
            .filter_map(|i| f.report.rows.get(i).cloned())
            .collect();
        Some(out)
    }
}

/// How many cost centers the trend's chart draws on their own (the rest are summed).
pub const CHART_LINES: usize = 8;

/// How many weeks the overview's chart shows.
pub const OVERVIEW_WEEKS: i64 = 12;

impl Workspace {
    /// The overview: forecast, the last weeks, alerts, what is provisional.
    pub fn overview(
        &self,
        watch: &crate::watch::WatchOptions,
        policy: &UnmappedPolicy,
    ) -> Result<Overview, AppError> {
        let held = self.sources.held(Facts::Cost)?;
        let last_day = held.map(|r| r.to.min(self.as_of - chrono::Duration::days(1)));
        let month = Month::of(last_day.unwrap_or(self.as_of - chrono::Duration::days(1)));
        // One load for both: the alerts' weeks hold the forecast's.
        let (alerts_run, forecast_run) = self.alerts_and_forecast(month, None, watch);
        let (forecast, forecast_figures, forecast_note) = match forecast_run {
            Ok((figures, notes)) => {
                let report = forecast_report(&figures, self.as_of, notes);
                let name = crate::output::file_name("forecast", &figures.level);
                (Some(Named::table(name, report)), Some(figures), None)
            }
            Err(e @ (AppError::NoData(_) | AppError::Usage(_))) => {
                (None, None, Some(e.to_string()))
            }
            Err(e) => return Err(e),
        };
        let (alerts, (critical_alerts, open_alerts), alerts_note) = match alerts_run {
            Ok(mut run) => {
                let critical = run
                    .alerts
                    .iter()
                    .filter(|j| j.alert.severity == Severity::Critical)
                    .count();
                (
                    Some(run.output.reports.remove(0)),
                    (critical, run.alerts.len()),
                    None,
                )
            }
            Err(e @ (AppError::NoData(_) | AppError::Usage(_))) => {
                (None, (0, 0), Some(e.to_string()))
            }
            Err(e) => return Err(e),
        };
        let mut weeks = None;
        let mut week_totals = Vec::new();
        let mut week_series = Series::default();
        let mut missing = Vec::new();
        let mut provisional = Vec::new();
        if let (Some(held), Some(last)) = (held, last_day) {
            let monday = Per::Week.start_of(last);
            let from = (monday - chrono::Duration::weeks(OVERVIEW_WEEKS - 1)).max(held.from);
            let from = Per::Week.start_of(from).max(held.from);
            if let Some(range) = DateRange::new(from, last) {
                let starts = crate::trend::trend_starts(range, Per::Week, self.as_of);
                let period = self.period(
                    range,
                    &Needs {
                        starts,
                        ..Needs::default()
                    },
                )?;
                let figures = period.trend_figures(&TrendOptions {
                    per: Per::Week,
                    by: None,
                    policy: policy.clone(),
                })?;
                week_totals = trend::totals(&figures.periods);
                week_series = Series::largest(&figures.periods, CHART_LINES);
                weeks = Some(period.trend_output(&figures, Per::Week).reports.remove(0));
                let cov = &period.coverage[0];
                missing = range.days().filter(|d| cov.missing.contains(d)).collect();
                provisional = range
                    .days()
                    .filter(|d| {
                        !cov.missing.contains(d)
                            && ((self.as_of - *d).num_days() < allot_core::settle::SETTLEMENT_DAYS
                                || cov.stale.contains(d))
                    })
                    .collect();
            }
        }
        Ok(Overview {
            month,
            forecast,
            forecast_note,
            weeks,
            alerts,
            alerts_note,
            last_day,
            provisional,
            missing,
            forecast_figures,
            week_totals,
            week_series,
            critical_alerts,
            open_alerts,
        })
    }
}

//! The reviews engineering leaders read, computed from per-person usage and activity: cost per
//! unit of shipped work, top spenders, the long context window and the model mix. Ratios are
//! exact integer divisions rounded once to the cent; a zero denominator gives an empty cell and
//! a reason, never 0 or infinity.

use std::collections::{BTreeMap, BTreeSet};

use allot_core::money::{div_round_half_away, format_cents, NANOS_PER_CENT};
use allot_core::results::{ActivityRow, UsageRow};
use allot_core::{DateRange, Nanos, Status};
use chrono::NaiveDate;

use crate::cents::{split, PeriodCents};
use crate::model::{Cell, Column, Kind, Report};

/// What every review shares: the period, its status, the level rows are grouped by, and the
/// period's cents (the chargeback's), which every amount of every review reuses.
#[derive(Debug, Clone)]
pub struct Context {
    /// The period reviewed (usually a month).
    pub period: DateRange,
    /// Settlement is judged as of this date.
    pub as_of: NaiveDate,
    /// Settled, provisional or incomplete.
    pub status: Status,
    /// Name of the team column (`cost_center` or the `--by` level).
    pub level_name: String,
    /// The cents of the period's lines, people on lines and people.
    pub cents: PeriodCents,
    /// Notes every review carries (e.g. which days are missing when incomplete).
    pub notes: Vec<crate::Note>,
    /// Readable names of non-person actors (API keys, workspaces, cloud accounts).
    pub names: std::sync::Arc<allot_core::identity::Names>,
}

/// The readable name of a non-person identity (empty for a person, whose email says it).
pub fn name_cell(names: &allot_core::identity::Names, identity: &str) -> Cell {
    if allot_core::identity::is_person(identity) {
        Cell::Empty
    } else {
        Cell::Text(names.label(identity))
    }
}

impl Context {
    fn report(
        &self,
        title: &str,
        columns: Vec<Column>,
        rows: Vec<Vec<Cell>>,
        notes: Vec<crate::Note>,
    ) -> Report {
        let mut all = self.notes.clone();
        all.extend(notes);
        Report {
            title: format!("{title} {}", self.period),
            status: self.status,
            meta: vec![
                ("month".into(), self.period.to_string()),
                ("as_of".into(), self.as_of.to_string()),
                ("level".into(), self.level_name.clone()),
            ],
            columns,
            rows,
            total: None,
            notes: all,
        }
    }
}

/// A total line for `columns`: `TOTAL` in the first text column, the given cells by name.
fn total_line(columns: &[Column], values: &[(&str, Cell)]) -> Vec<Cell> {
    let mut row: Vec<Cell> = columns.iter().map(|_| Cell::Empty).collect();
    row[0] = Cell::Text("TOTAL".into());
    for (name, v) in values {
        if let Some(i) = columns.iter().position(|c| c.name == *name) {
            row[i] = v.clone();
        }
    }
    row
}

/// Cost per unit in cents, or None when there are no units.
pub fn per_unit_cents(cost: Nanos, units: i64) -> Option<i64> {
    (units > 0)
        .then(|| div_round_half_away(cost.0, i128::from(units) * i128::from(NANOS_PER_CENT)) as i64)
}

/// `part` as hundredths of a percent of `whole`, or None when the whole is zero.
pub fn pct(part: i128, whole: i128) -> Option<i64> {
    (whole != 0).then(|| div_round_half_away(part * 10_000, whole) as i64)
}

fn money_or_reason(v: Option<i64>, reason: &str, reasons: &mut Vec<String>) -> Cell {
    if let Some(c) = v {
        Cell::Cents(c)
    } else {
        reasons.push(reason.to_string());
        Cell::Empty
    }
}

fn opt_pct(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Pct)
}

/// Everything known of one person (or team) for a period.
#[derive(Debug, Clone, Default)]
struct Tally {
    cost: Nanos,
    claude_code: Nanos,
    tokens: i64,
    long_tokens: i64,
    short_tokens: i64,
    long_cost: Nanos,
    short_cost: Nanos,
    by_product: BTreeMap<String, Nanos>,
    by_model: BTreeMap<String, Nanos>,
    sessions: i64,
    commits: i64,
    pull_requests: i64,
    lines_added: i64,
    lines_removed: i64,
}

impl Tally {
    fn add_usage(&mut self, u: &UsageRow) {
        self.cost += u.cost;
        if u.product == "claude_code" {
            self.claude_code += u.cost;
        }
        if u.context_window == "200k-1M" {
            self.long_tokens += u.tokens;
            self.long_cost += u.cost;
        } else {
            self.short_tokens += u.tokens;
            self.short_cost += u.cost;
        }
        self.tokens += u.tokens;
        *self.by_product.entry(u.product.clone()).or_default() += u.cost;
        *self.by_model.entry(u.model.clone()).or_default() += u.cost;
    }

    fn add_activity(&mut self, a: &ActivityRow) {
        self.sessions += a.sessions;
        self.commits += a.commits;
        self.pull_requests += a.pull_requests;
        self.lines_added += a.lines_added;
        self.lines_removed += a.lines_removed;
    }

    fn cost_per_commit(&self) -> Option<i64> {
        per_unit_cents(self.claude_code, self.commits)
    }

    fn mix(parts: &BTreeMap<String, Nanos>, total: Nanos) -> String {
        let mut v: Vec<(&String, &Nanos)> = parts.iter().filter(|(_, c)| c.0 != 0).collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.iter()
            .map(|(k, c)| {
                format!(
                    "{k} {}%",
                    pct(c.0, total.0).map_or_else(String::new, format_cents)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Tallies per (line, person) and per line.
struct Tallies {
    people: BTreeMap<(String, String), Tally>,
    teams: BTreeMap<String, Tally>,
    /// Each person's total over all lines.
    persons: BTreeMap<String, Tally>,
    /// Each person's main line (most cost; ties to the first by name).
    main_line: BTreeMap<String, String>,
}

fn tally(usage: &[UsageRow], activity: &[ActivityRow]) -> Tallies {
    let mut people: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut teams: BTreeMap<String, Tally> = BTreeMap::new();
    let mut persons: BTreeMap<String, Tally> = BTreeMap::new();
    for u in usage {
        people
            .entry((u.key.clone(), u.email.clone()))
            .or_default()
            .add_usage(u);
        teams.entry(u.key.clone()).or_default().add_usage(u);
        persons.entry(u.email.clone()).or_default().add_usage(u);
    }
    for a in activity {
        people
            .entry((a.key.clone(), a.email.clone()))
            .or_default()
            .add_activity(a);
        teams.entry(a.key.clone()).or_default().add_activity(a);
        persons.entry(a.email.clone()).or_default().add_activity(a);
    }
    let mut main_line: BTreeMap<String, (String, Nanos)> = BTreeMap::new();
    for ((key, email), t) in &people {
        let e = main_line
            .entry(email.clone())
            .or_insert((key.clone(), t.cost));
        if t.cost > e.1 {
            *e = (key.clone(), t.cost);
        }
    }
    Tallies {
        people,
        teams,
        persons,
        main_line: main_line.into_iter().map(|(e, (k, _))| (e, k)).collect(),
    }
}

/// Median and 90th percentile (nearest rank) of sorted values.
fn median_p90(sorted: &[i64]) -> (Option<i64>, Option<i64>) {
    if sorted.is_empty() {
        return (None, None);
    }
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        div_round_half_away(i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2]), 2) as i64
    };
    let rank = (n * 90).div_ceil(100).max(1);
    (Some(median), Some(sorted[rank - 1]))
}

/// A team's median and 90th percentile cost per commit, and its flagged people.
type TeamStats<'a> = (Option<i64>, Option<i64>, Vec<&'a str>);

/// Output-token cost and tokens, then all-token cost and tokens, of one model.
type ModelRate = (Nanos, i64, Nanos, i64);

/// How far above the team median a person's cost per commit must be to be flagged.
pub const FLAG_FACTOR: i64 = 3;
/// Fewest people with commits a team needs before anyone in it is flagged.
pub const FLAG_MIN_PEOPLE: usize = 3;

/// Claude Code cost per commit, pull request, session and 1,000 lines added, per team (or per
/// person with `per_person`), with each team's median and 90th percentile of its people's cost
/// per commit and the people far above their team's median flagged.
pub fn efficiency(
    usage: &[UsageRow],
    activity: &[ActivityRow],
    ctx: &Context,
    per_person: bool,
) -> Report {
    let t = tally(usage, activity);
    // Per team: each person's cost per commit, sorted.
    let mut per_commit: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for ((key, email), p) in &t.people {
        if let Some(c) = p.cost_per_commit() {
            per_commit
                .entry(key.as_str())
                .or_default()
                .push((c, email.as_str()));
        }
    }
    let mut stats: BTreeMap<&str, TeamStats<'_>> = BTreeMap::new();
    for (key, v) in &mut per_commit {
        v.sort_unstable();
        let values: Vec<i64> = v.iter().map(|(c, _)| *c).collect();
        let (median, p90) = median_p90(&values);
        let flagged = match median {
            Some(m) if v.len() >= FLAG_MIN_PEOPLE && m > 0 => v
                .iter()
                .filter(|(c, _)| *c > m * FLAG_FACTOR)
                .map(|(_, e)| *e)
                .collect(),
            _ => Vec::new(),
        };
        stats.insert(key, (median, p90, flagged));
    }
    let empty_stats = (None, None, Vec::new());
    let mut columns = Vec::new();
    if per_person {
        columns.push(Column::new("email", Kind::Text));
    }
    columns.push(Column::new(&ctx.level_name, Kind::Text));
    if ctx.level_name != "cost_center" {
        // Scripts look for `cost_center`; at another level it carries the level's value too.
        columns.push(Column::new("cost_center", Kind::Text).csv_only());
    }
    columns.extend([
        Column::new("claude_code_cost_usd", Kind::Money),
        Column::new("total_cost_usd", Kind::Money),
        Column::new("sessions", Kind::Int),
        Column::new("commits", Kind::Int),
        Column::new("pull_requests", Kind::Int),
        Column::new("lines_added", Kind::Int),
        Column::new("lines_removed", Kind::Int).csv_only(),
        Column::new("cost_per_commit_usd", Kind::Money),
        Column::new("cost_per_pr_usd", Kind::Money),
        Column::new("cost_per_session_usd", Kind::Money),
        Column::new("cost_per_1k_lines_usd", Kind::Money),
    ]);
    if per_person {
        columns.push(Column::new("team_median_cost_per_commit_usd", Kind::Money));
        columns.push(Column::new("flagged", Kind::Text));
    } else {
        columns.push(Column::new("median_cost_per_commit_usd", Kind::Money));
        columns.push(Column::new("p90_cost_per_commit_usd", Kind::Money));
        columns.push(Column::new("flagged_people", Kind::Text));
    }
    columns.push(Column::new("note", Kind::Text));
    columns.push(Column::new("status", Kind::Text));

    let entries: Vec<(Option<&str>, &str, &Tally)> = if per_person {
        t.people
            .iter()
            .map(|((k, e), p)| (Some(e.as_str()), k.as_str(), p))
            .collect()
    } else {
        t.teams.iter().map(|(k, p)| (None, k.as_str(), p)).collect()
    };
    // Amounts reuse the period's cents: a team's (or a person's on a team) total is the
    // chargeback's, and its Claude Code part is split from it.
    let totals: Vec<i64> = entries
        .iter()
        .map(|(e, k, _)| match e {
            Some(e) => ctx.cents.cell(k, e),
            None => ctx.cents.line(k),
        })
        .collect();
    // A team's Claude Code cents are split from its total; its people's from the team's, so
    // the person rows add up to the team rows.
    let team_cc: BTreeMap<&str, i64> = t
        .teams
        .iter()
        .map(|(k, p)| {
            (
                k.as_str(),
                split(
                    ctx.cents.line(k),
                    &[("a", p.claude_code), ("b", p.cost - p.claude_code)],
                )[0],
            )
        })
        .collect();
    let mut person_cc: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (key, cc) in &team_cc {
        let parts: Vec<(&str, Nanos)> = t
            .people
            .iter()
            .filter(|((k, _), _)| k == key)
            .map(|((_, e), p)| (e.as_str(), p.claude_code))
            .collect();
        for ((e, _), c) in parts.iter().zip(split(*cc, &parts)) {
            person_cc.insert((key, e), c);
        }
    }
    let cc_cents: Vec<i64> = entries
        .iter()
        .map(|(e, k, _)| match e {
            Some(e) => person_cc.get(&(*k, *e)).copied().unwrap_or(0),
            None => team_cc.get(k).copied().unwrap_or(0),
        })
        .collect();
    let total_cents = totals;
    let mut rows = Vec::new();
    for (i, (email, key, p)) in entries.iter().enumerate() {
        let mut reasons = Vec::new();
        let mut row = Vec::new();
        if let Some(e) = email {
            row.push(Cell::Text((*e).to_string()));
        }
        row.push(Cell::Text((*key).to_string()));
        if ctx.level_name != "cost_center" {
            row.push(Cell::Text((*key).to_string()));
        }
        row.extend([
            Cell::Cents(cc_cents[i]),
            Cell::Cents(total_cents[i]),
            Cell::Int(p.sessions),
            Cell::Int(p.commits),
            Cell::Int(p.pull_requests),
            Cell::Int(p.lines_added),
            Cell::Int(p.lines_removed),
        ]);
        row.push(money_or_reason(
            p.cost_per_commit(),
            "no commits",
            &mut reasons,
        ));
        row.push(money_or_reason(
            per_unit_cents(p.claude_code, p.pull_requests),
            "no pull requests",
            &mut reasons,
        ));
        row.push(money_or_reason(
            per_unit_cents(p.claude_code, p.sessions),
            "no sessions",
            &mut reasons,
        ));
        let per_k = (p.lines_added > 0).then(|| {
            div_round_half_away(
                p.claude_code.0 * 1000,
                i128::from(p.lines_added) * i128::from(NANOS_PER_CENT),
            ) as i64
        });
        row.push(money_or_reason(per_k, "no lines added", &mut reasons));
        let (median, p90, flagged) = stats.get(key).unwrap_or(&empty_stats);
        if let Some(e) = email {
            row.push(median.map_or(Cell::Empty, Cell::Cents));
            row.push(Cell::Text(
                if flagged.contains(e) { "true" } else { "false" }.into(),
            ));
        } else {
            row.push(median.map_or(Cell::Empty, Cell::Cents));
            row.push(p90.map_or(Cell::Empty, Cell::Cents));
            row.push(Cell::Text(flagged.join(" ")));
        }
        if p.claude_code.0 == 0 && p.commits + p.sessions > 0 {
            reasons.push("activity without Claude Code cost".into());
        }
        row.push(Cell::Text(reasons.join("; ")));
        row.push(Cell::Text(ctx.status.to_string()));
        rows.push(row);
    }
    let notes = vec![format!(
        "Ratios use Claude Code cost (product claude_code). People are flagged when their cost per commit is over {FLAG_FACTOR}x their team's median (teams with at least {FLAG_MIN_PEOPLE} people with commits)."
    )];
    let all = tally(usage, activity);
    let sum = |f: fn(&Tally) -> i64| -> i64 { all.teams.values().map(f).sum() };
    let whole = Tally {
        cost: all.teams.values().map(|t| t.cost).sum(),
        claude_code: all.teams.values().map(|t| t.claude_code).sum(),
        sessions: sum(|t| t.sessions),
        commits: sum(|t| t.commits),
        pull_requests: sum(|t| t.pull_requests),
        lines_added: sum(|t| t.lines_added),
        lines_removed: sum(|t| t.lines_removed),
        ..Tally::default()
    };
    let cc_total: i64 = cc_cents.iter().sum();
    let total = total_line(
        &columns,
        &[
            ("claude_code_cost_usd", Cell::Cents(cc_total)),
            ("total_cost_usd", Cell::Cents(total_cents.iter().sum())),
            ("sessions", Cell::Int(whole.sessions)),
            ("commits", Cell::Int(whole.commits)),
            ("pull_requests", Cell::Int(whole.pull_requests)),
            ("lines_added", Cell::Int(whole.lines_added)),
            ("lines_removed", Cell::Int(whole.lines_removed)),
            (
                "cost_per_commit_usd",
                whole.cost_per_commit().map_or(Cell::Empty, Cell::Cents),
            ),
            (
                "cost_per_pr_usd",
                per_unit_cents(whole.claude_code, whole.pull_requests)
                    .map_or(Cell::Empty, Cell::Cents),
            ),
            (
                "cost_per_session_usd",
                per_unit_cents(whole.claude_code, whole.sessions).map_or(Cell::Empty, Cell::Cents),
            ),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    );
    let mut r = ctx.report("Efficiency", columns, rows, crate::Note::infos(notes));
    r.total = Some(total);
    r
}

/// The top `n` people by cost, with their share, mix, long-context share, cost per commit and
/// the change against the previous month.
pub fn top_spenders(
    usage: &[UsageRow],
    previous: &[UsageRow],
    previous_cents: &PeriodCents,
    activity: &[ActivityRow],
    ctx: &Context,
    n: usize,
) -> Report {
    let t = tally(usage, activity);
    let prev = tally(previous, &[]);
    let total: Nanos = t.persons.values().map(|p| p.cost).sum();
    let cents: BTreeMap<&str, i64> = t
        .persons
        .keys()
        .map(|e| (e.as_str(), ctx.cents.person(e).unwrap_or(0)))
        .collect();
    let prev_cents: BTreeMap<&str, i64> = prev
        .persons
        .keys()
        .filter_map(|e| previous_cents.person(e).map(|c| (e.as_str(), c)))
        .collect();
    let mut ranked: Vec<(&String, &Tally)> = t.persons.iter().collect();
    ranked.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(b.0)));
    let columns = vec![
        Column::new("rank", Kind::Int),
        Column::new("email", Kind::Text),
        Column::new("cost_center", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("share_pct", Kind::Pct),
        Column::new("product_mix", Kind::Text).csv_only(),
        Column::new("model_mix", Kind::Text),
        Column::new("long_context_share_pct", Kind::Pct),
        Column::new("cost_per_commit_usd", Kind::Money),
        Column::new("previous_month_usd", Kind::Money),
        Column::new("change_usd", Kind::Money),
        Column::new("change_pct", Kind::Pct).csv_only(),
        Column::new("kind", Kind::Text).csv_only(),
        Column::new("name", Kind::Text).csv_only(),
        Column::new("status", Kind::Text),
    ];
    let rows = ranked
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, (email, p))| {
            let now = cents[email.as_str()];
            let before = prev_cents.get(email.as_str()).copied();
            vec![
                Cell::Int(i as i64 + 1),
                Cell::Text((*email).clone()),
                Cell::Text(t.main_line.get(*email).cloned().unwrap_or_default()),
                Cell::Cents(now),
                opt_pct(pct(p.cost.0, total.0)),
                Cell::Text(Tally::mix(&p.by_product, p.cost)),
                Cell::Text(Tally::mix(&p.by_model, p.cost)),
                opt_pct(pct(i128::from(p.long_tokens), i128::from(p.tokens))),
                p.cost_per_commit().map_or(Cell::Empty, Cell::Cents),
                before.map_or(Cell::Empty, Cell::Cents),
                before.map_or(Cell::Empty, |b| Cell::Cents(now - b)),
                before
                    .and_then(|b| pct(i128::from(now - b), i128::from(b)))
                    .map_or(Cell::Empty, Cell::Pct),
                Cell::Text(allot_core::identity::kind(email).as_str().into()),
                name_cell(&ctx.names, email),
                Cell::Text(ctx.status.to_string()),
            ]
        })
        .collect();
    let shown: Nanos = ranked.iter().take(n).map(|(_, p)| p.cost).sum();
    let shown_cents: i64 = ranked.iter().take(n).map(|(e, _)| cents[e.as_str()]).sum();
    let people = ranked
        .iter()
        .filter(|(e, _)| allot_core::identity::is_person(e))
        .count();
    let notes = vec![format!(
        "The top {} of {} spenders ({people} {}, {} other: API keys, service accounts, cloud principals and other actors, `kind` says which) spent ${} of ${} ({}%). cost_center is where each spent most; cost per commit uses Claude Code cost.",
        n.min(ranked.len()),
        ranked.len(),
        if people == 1 { "person" } else { "people" },
        ranked.len() - people,
        format_cents(shown_cents),
        format_cents(ctx.cents.total),
        pct(shown.0, total.0).map_or_else(|| "n/a".into(), format_cents)
    )];
    let total_row = total_line(
        &columns,
        &[
            ("amount_usd", Cell::Cents(shown_cents)),
            (
                "share_pct",
                pct(shown.0, total.0).map_or(Cell::Empty, Cell::Pct),
            ),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    );
    let mut r = ctx.report("Top spenders", columns, rows, crate::Note::infos(notes));
    r.total = Some(total_row);
    r
}

/// Tokens and cost in the 0-200K and 200K-1M windows per person, and per team; people whose
/// long-window token share is above `threshold_pct` are flagged, most expensive first.
pub fn context_window(usage: &[UsageRow], ctx: &Context, threshold_pct: i64) -> (Report, Report) {
    let t = tally(usage, &[]);
    let threshold = threshold_pct * 100;
    let person_columns = vec![
        Column::new("email", Kind::Text),
        Column::new("cost_center", Kind::Text),
        Column::new("tokens_0_200k", Kind::Int),
        Column::new("tokens_200k_1m", Kind::Int),
        Column::new("long_context_share_pct", Kind::Pct),
        Column::new("cost_0_200k_usd", Kind::Money),
        Column::new("cost_200k_1m_usd", Kind::Money),
        Column::new("amount_usd", Kind::Money),
        Column::new("flagged", Kind::Text),
        Column::new("status", Kind::Text),
    ];
    let mut people: Vec<(&String, &Tally, bool)> = t
        .persons
        .iter()
        .map(|(e, p)| {
            (
                e,
                p,
                pct(i128::from(p.long_tokens), i128::from(p.tokens)).is_some_and(|s| s > threshold),
            )
        })
        .collect();
    people.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then_with(|| b.1.cost.cmp(&a.1.cost))
            .then_with(|| a.0.cmp(b.0))
    });
    let person_cents: BTreeMap<String, i64> = t
        .persons
        .keys()
        .map(|e| (e.clone(), ctx.cents.person(e).unwrap_or(0)))
        .collect();
    let team_cents: BTreeMap<String, i64> = t
        .teams
        .keys()
        .map(|k| (k.clone(), ctx.cents.line(k)))
        .collect();
    let row_of =
        |key: String, label: Option<String>, p: &Tally, cents: i64, flag: Cell| -> Vec<Cell> {
            let mut r = vec![Cell::Text(key)];
            if let Some(l) = label {
                r.push(Cell::Text(l));
            }
            let windows = split(cents, &[("a", p.short_cost), ("b", p.long_cost)]);
            r.extend([
                Cell::Int(p.short_tokens),
                Cell::Int(p.long_tokens),
                opt_pct(pct(i128::from(p.long_tokens), i128::from(p.tokens))),
                Cell::Cents(windows[0]),
                Cell::Cents(windows[1]),
                Cell::Cents(cents),
                flag,
                Cell::Text(ctx.status.to_string()),
            ]);
            r
        };
    let person_rows = people
        .iter()
        .map(|(e, p, f)| {
            row_of(
                (*e).clone(),
                Some(t.main_line.get(*e).cloned().unwrap_or_default()),
                p,
                person_cents[*e],
                Cell::Text(if *f { "true" } else { "false" }.into()),
            )
        })
        .collect();
    let flagged = people.iter().filter(|p| p.2).count();
    let mut team_columns = vec![Column::new(&ctx.level_name, Kind::Text)];
    team_columns.extend(person_columns[2..8].iter().cloned());
    team_columns.push(Column::new("flagged_people", Kind::Int));
    team_columns.push(Column::new("status", Kind::Text));
    let mut flagged_by_team: BTreeMap<&str, i64> = BTreeMap::new();
    for (e, _, f) in &people {
        if *f {
            *flagged_by_team
                .entry(t.main_line.get(*e).map_or("", String::as_str))
                .or_default() += 1;
        }
    }
    let team_rows = t
        .teams
        .iter()
        .map(|(k, p)| {
            row_of(
                k.clone(),
                None,
                p,
                team_cents[k],
                Cell::Int(flagged_by_team.get(k.as_str()).copied().unwrap_or(0)),
            )
        })
        .collect();
    let note = format!(
        "{flagged} people have more than {threshold_pct}% of their tokens in the 200K-1M window (flagged, listed first, most expensive first). Amounts are the chargeback's cents; each row's two windows add up to its amount_usd."
    );
    let whole = Tally {
        short_tokens: t.teams.values().map(|p| p.short_tokens).sum(),
        long_tokens: t.teams.values().map(|p| p.long_tokens).sum(),
        tokens: t.teams.values().map(|p| p.tokens).sum(),
        short_cost: t.teams.values().map(|p| p.short_cost).sum(),
        long_cost: t.teams.values().map(|p| p.long_cost).sum(),
        ..Tally::default()
    };
    let total_cents: i64 = team_cents.values().sum();
    let mut team_total = row_of(
        "TOTAL".into(),
        None,
        &whole,
        total_cents,
        Cell::Int(flagged as i64),
    );
    let mut person_total = row_of(
        "TOTAL".into(),
        Some(String::new()),
        &whole,
        person_cents.values().sum(),
        Cell::Text(flagged.to_string()),
    );
    team_total[0] = Cell::Text("TOTAL".into());
    person_total[1] = Cell::Empty;
    let mut people_report = ctx.report(
        "Context window",
        person_columns,
        person_rows,
        vec![note.clone().into()],
    );
    people_report.total = Some(person_total);
    let mut teams_report = ctx.report(
        "Context window by team",
        team_columns,
        team_rows,
        vec![note.into()],
    );
    teams_report.total = Some(team_total);
    (people_report, teams_report)
}

/// The largest model in `usage`: the one with the highest cost per output token (per token
/// when no output tokens are given), as the model-mix review ranks them.
pub fn largest_model(usage: &[UsageRow]) -> Option<String> {
    Rates::of(usage).ranking().into_iter().next()
}

/// Rates the data itself shows: cost and tokens per (model, token type, context window).
#[derive(Debug, Default)]
struct Rates {
    exact: BTreeMap<(String, String, String), (Nanos, i64)>,
    by_type: BTreeMap<(String, String), (Nanos, i64)>,
}

impl Rates {
    fn of(usage: &[UsageRow]) -> Rates {
        let mut r = Rates::default();
        for u in usage.iter().filter(|u| u.tokens > 0) {
            let e = r
                .exact
                .entry((
                    u.model.clone(),
                    u.token_type.clone(),
                    u.context_window.clone(),
                ))
                .or_default();
            e.0 += u.cost;
            e.1 += u.tokens;
            let e = r
                .by_type
                .entry((u.model.clone(), u.token_type.clone()))
                .or_default();
            e.0 += u.cost;
            e.1 += u.tokens;
        }
        r
    }

    /// What `tokens` of this type would cost on `model`, at its observed average rate.
    fn price(&self, model: &str, token_type: &str, window: &str, tokens: i64) -> Option<Nanos> {
        let (cost, n) = self
            .exact
            .get(&(
                model.to_string(),
                token_type.to_string(),
                window.to_string(),
            ))
            .or_else(|| {
                self.by_type
                    .get(&(model.to_string(), token_type.to_string()))
            })?;
        (*n > 0).then(|| {
            Nanos(div_round_half_away(
                cost.0 * i128::from(tokens),
                i128::from(*n),
            ))
        })
    }

    /// Models from most to least expensive per output token (then per token overall).
    fn ranking(&self) -> Vec<String> {
        let mut per_model: BTreeMap<&str, ModelRate> = BTreeMap::new();
        for ((model, token_type), (c, n)) in &self.by_type {
            let e = per_model.entry(model.as_str()).or_default();
            if token_type == "output_tokens" {
                e.0 += *c;
                e.1 += *n;
            }
            e.2 += *c;
            e.3 += *n;
        }
        let mut v: Vec<(&str, ModelRate)> = per_model.into_iter().collect();
        // Compare rates a/b > c/d as a*d > c*b, exactly.
        let key = |x: &(Nanos, i64, Nanos, i64)| {
            if x.1 > 0 {
                (x.0, x.1)
            } else {
                (x.2, x.3.max(1))
            }
        };
        v.sort_by(|a, b| {
            let (ca, na) = key(&a.1);
            let (cb, nb) = key(&b.1);
            (cb.0 * i128::from(na))
                .cmp(&(ca.0 * i128::from(nb)))
                .then_with(|| a.0.cmp(b.0))
        });
        v.into_iter().map(|(m, _)| m.to_string()).collect()
    }
}

/// Spend by model per team and per person, and the people mostly on the largest model with
/// what the same tokens would have cost on the next model down at the rates the data shows.
pub fn model_mix(usage: &[UsageRow], ctx: &Context) -> (Report, Report, Report) {
    let t = tally(usage, &[]);
    let mix_columns = |first: &str, with_team: bool| {
        let mut c = vec![Column::new(first, Kind::Text)];
        if with_team {
            c.push(Column::new("cost_center", Kind::Text));
        }
        c.extend([
            Column::new("model", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("share_pct", Kind::Pct),
            Column::new("status", Kind::Text),
        ]);
        c
    };
    let mix_rows = |key: &str, team: Option<&str>, p: &Tally, whole: i64| -> Vec<Vec<Cell>> {
        let parts: Vec<(String, Nanos)> = p.by_model.iter().map(|(m, c)| (m.clone(), *c)).collect();
        let cents = split(whole, &parts);
        parts
            .iter()
            .zip(cents)
            .map(|((m, c), cents)| {
                let mut r = vec![Cell::Text(key.to_string())];
                if let Some(team) = team {
                    r.push(Cell::Text(team.to_string()));
                }
                r.extend([
                    Cell::Text(m.clone()),
                    Cell::Cents(cents),
                    opt_pct(pct(c.0, p.cost.0)),
                    Cell::Text(ctx.status.to_string()),
                ]);
                r
            })
            .collect()
    };
    let mut team_columns = mix_columns(&ctx.level_name, false);
    if ctx.level_name != "cost_center" {
        team_columns.insert(1, Column::new("cost_center", Kind::Text).csv_only());
    }
    let team_rows: Vec<Vec<Cell>> = t
        .teams
        .iter()
        .flat_map(|(k, p)| {
            let rows = mix_rows(k, None, p, ctx.cents.line(k));
            if ctx.level_name == "cost_center" {
                rows
            } else {
                rows.into_iter()
                    .map(|mut r| {
                        r.insert(1, Cell::Text(k.clone()));
                        r
                    })
                    .collect()
            }
        })
        .collect();
    // One block per person and line: a person who moved team mid-month has their days on
    // each team under that team, so a team's people add up to the team.
    let mut person_lines: Vec<(&(String, String), &Tally)> = t.people.iter().collect();
    person_lines.sort_by(|a, b| (&a.0 .1, &a.0 .0).cmp(&(&b.0 .1, &b.0 .0)));
    let person_rows: Vec<Vec<Cell>> = person_lines
        .into_iter()
        .filter(|(_, p)| !p.by_model.is_empty())
        .flat_map(|((key, e), p)| mix_rows(e, Some(key), p, ctx.cents.cell(key, e)))
        .collect();

    let rates = Rates::of(usage);
    let ranking = rates.ranking();
    let mut down_rows = Vec::new();
    let mut note = String::from("No model ranking: fewer than two models in the data.");
    if let [largest, next, ..] = ranking.as_slice() {
        // The next family down at its latest version: every seller's ids are Anthropic's
        // names here, and one seller billing an older version a little less per token does
        // not make it the advice.
        let next = &allot_core::model::latest_of_family(next, &ranking[1..]).to_string();
        note = format!(
            "Largest model: {largest}; next down: {next} (the latest version of the family ranked next). Ranked by each model's cost per output token in this month's facts. \
             'same_tokens_on_next_usd' prices each of a person's {largest} tokens at {next}'s average rate for the same token type \
             and context window (total cost / total tokens in this month's facts; the token type's rate over all windows when that window has no {next} usage)."
        );
        let mut people: Vec<(&String, &Tally)> = t
            .persons
            .iter()
            .filter(|(_, p)| p.by_model.get(largest).is_some_and(|c| c.0 * 2 > p.cost.0))
            .collect();
        people.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(b.0)));
        // Each person's rows on the largest model, found once (not a pass over every row per
        // person: that was quadratic, 150 s for 20,000 people).
        let mut on_model: std::collections::HashMap<&str, Vec<&UsageRow>> =
            std::collections::HashMap::new();
        for u in usage.iter().filter(|u| &u.model == largest) {
            on_model.entry(u.email.as_str()).or_default().push(u);
        }
        for (email, p) in people {
            let on_largest = p.by_model[largest];
            let parts: Vec<(String, Nanos)> =
                p.by_model.iter().map(|(m, c)| (m.clone(), *c)).collect();
            let on_largest_cents = parts
                .iter()
                .zip(split(ctx.cents.person(email).unwrap_or(0), &parts))
                .find(|((m, _), _)| m == largest)
                .map_or(0, |(_, c)| c);
            let mut alt = Nanos::ZERO;
            let mut missing = BTreeSet::new();
            for u in on_model.get(email.as_str()).into_iter().flatten() {
                if let Some(c) = rates.price(next, &u.token_type, &u.context_window, u.tokens) {
                    alt += c;
                } else {
                    missing.insert(u.token_type.clone());
                    alt += u.cost;
                }
            }
            down_rows.push(vec![
                Cell::Text(email.clone()),
                Cell::Text(t.main_line.get(email).cloned().unwrap_or_default()),
                Cell::Text(largest.clone()),
                Cell::Cents(on_largest_cents),
                opt_pct(pct(on_largest.0, p.cost.0)),
                Cell::Text(next.clone()),
                Cell::Cents(alt.round_cents()),
                Cell::Cents(on_largest_cents - alt.round_cents()),
                Cell::Text(if missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "kept at actual cost (no {next} rate): {}",
                        missing.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }),
                Cell::Text(ctx.status.to_string()),
            ]);
        }
    }
    let down_columns = vec![
        Column::new("email", Kind::Text),
        Column::new("cost_center", Kind::Text),
        Column::new("largest_model", Kind::Text),
        Column::new("largest_model_usd", Kind::Money),
        Column::new("share_pct", Kind::Pct),
        Column::new("next_model", Kind::Text),
        Column::new("same_tokens_on_next_usd", Kind::Money),
        Column::new("difference_usd", Kind::Money),
        Column::new("note", Kind::Text).csv_only(),
        Column::new("status", Kind::Text),
    ];
    let team_total_cents: i64 = t.teams.keys().map(|k| ctx.cents.line(k)).sum();
    let mut teams = ctx.report("Model mix", team_columns, team_rows, vec![]);
    teams.total = Some(total_line(
        &teams.columns,
        &[
            ("amount_usd", Cell::Cents(team_total_cents)),
            (
                "share_pct",
                Cell::Pct(if team_total_cents == 0 { 0 } else { 10_000 }),
            ),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    ));
    let mut people = ctx.report(
        "Model mix by person",
        mix_columns("email", true),
        person_rows,
        vec![],
    );
    people.total = Some(total_line(
        &people.columns,
        &[
            (
                "amount_usd",
                Cell::Cents(t.persons.keys().filter_map(|e| ctx.cents.person(e)).sum()),
            ),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    ));
    (
        teams,
        people,
        ctx.report(
            "Mostly on the largest model",
            down_columns,
            down_rows,
            vec![note.into()],
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median_p90(&[]), (None, None));
        assert_eq!(median_p90(&[5]), (Some(5), Some(5)));
        assert_eq!(median_p90(&[1, 3]), (Some(2), Some(3)));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(median_p90(&v), (Some(6), Some(9)));
    }

    #[test]
    fn a_zero_denominator_is_no_ratio() {
        assert_eq!(per_unit_cents(Nanos(1_000_000_000), 0), None);
        assert_eq!(per_unit_cents(Nanos(1_000_000_000), 3), Some(33));
        assert_eq!(pct(1, 0), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn ctx() -> Context {
        Context {
            period: DateRange::month("2026-09".parse().unwrap()),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            status: Status::Settled,
            level_name: "cost_center".into(),
            cents: PeriodCents::default(),
            notes: Vec::new(),
            names: std::sync::Arc::default(),
        }
    }

    fn column(report: &Report, name: &str) -> Vec<Cell> {
        let i = report.columns.iter().position(|c| c.name == name).unwrap();
        report.rows.iter().map(|r| r[i].clone()).collect()
    }

    /// The cents a chargeback of `usage` would give.
    fn cents_of(usage: &[UsageRow]) -> PeriodCents {
        use allot_core::results::{Chargeback, ChargebackLine, PersonCost};
        let mut lines: BTreeMap<String, Nanos> = BTreeMap::new();
        let mut people: BTreeMap<(String, String), Nanos> = BTreeMap::new();
        for u in usage {
            *lines.entry(u.key.clone()).or_default() += u.cost;
            *people.entry((u.key.clone(), u.email.clone())).or_default() += u.cost;
        }
        let total = lines.values().copied().sum();
        PeriodCents::of(&Chargeback {
            level_name: "cost_center".into(),
            attribute_names: vec![],
            lines: lines
                .into_iter()
                .map(|(key, amount)| ChargebackLine {
                    key,
                    attributes: vec![],
                    users: 0,
                    spenders: 0,
                    amount,
                })
                .collect(),
            total,
            users: 0,
            spenders: 0,
            unmapped: vec![],
            people: people
                .into_iter()
                .map(|((key, email), amount)| PersonCost { email, key, amount })
                .collect(),
            tree: vec![],
            tree_depth: 0,
            rollup: std::collections::BTreeMap::new(),
            mapped: total,
        })
    }

    fn sum(cells: &[Cell]) -> i64 {
        cells
            .iter()
            .map(|c| match c {
                Cell::Cents(v) | Cell::Int(v) => *v,
                _ => 0,
            })
            .sum()
    }

    proptest! {
        #[test]
        fn team_sums_of_cost_and_commits_equal_the_per_person_sums(
            usage in proptest::collection::vec((0u8..4, 0u8..6, 0u8..2, 0i128..50_000_000_000), 0..40),
            activity in proptest::collection::vec((0u8..4, 0u8..6, 0i64..20, 0i64..5), 0..40),
        ) {
            let usage: Vec<UsageRow> = usage
                .iter()
                .map(|(t, p, prod, c)| UsageRow {
                    email: format!("p{p}@x.test"),
                    key: format!("T{t}"),
                    product: if *prod == 0 { "claude_code".into() } else { "chat".into() },
                    model: "m".into(),
                    context_window: "0-200k".into(),
                    token_type: "output_tokens".into(),
                    tokens: 10,
                    cost: Nanos(*c),
                })
                .collect();
            let activity: Vec<ActivityRow> = activity
                .iter()
                .map(|(t, p, commits, prs)| ActivityRow {
                    email: format!("p{p}@x.test"),
                    key: format!("T{t}"),
                    sessions: 1,
                    commits: *commits,
                    pull_requests: *prs,
                    lines_added: 0,
                    lines_removed: 0,
                    ..ActivityRow::default()
                })
                .collect();
            let mut c = ctx();
            c.cents = cents_of(&usage);
            let teams = efficiency(&usage, &activity, &c, false);
            let people = efficiency(&usage, &activity, &c, true);
            for col in ["claude_code_cost_usd", "total_cost_usd", "commits", "pull_requests", "sessions"] {
                prop_assert_eq!(sum(&column(&teams, col)), sum(&column(&people, col)), "{}", col);
            }
            let total: Nanos = usage.iter().map(|u| u.cost).sum();
            prop_assert_eq!(sum(&column(&teams, "total_cost_usd")), total.round_cents());
        }
    }
}

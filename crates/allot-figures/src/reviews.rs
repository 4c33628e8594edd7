//! The reviews' figures, computed from per-person usage and activity: cost per unit of shipped
//! work, top spenders, the long context window and the model mix. Every amount reuses the
//! period's cents (the chargeback's); ratios are exact integer divisions rounded once to the
//! cent; a zero denominator is no ratio (None) and a reason, never 0 or infinity.

use std::collections::{BTreeMap, BTreeSet};

use allot_core::money::{div_round_half_away, NANOS_PER_CENT};
use allot_core::results::{ActivityRow, UsageRow};
use allot_core::Nanos;

use crate::cents::{split, PeriodCents};

/// Cost per unit in cents, or None when there are no units.
pub fn per_unit_cents(cost: Nanos, units: i64) -> Option<i64> {
    (units > 0)
        .then(|| div_round_half_away(cost.0, i128::from(units) * i128::from(NANOS_PER_CENT)) as i64)
}

/// `part` as hundredths of a percent of `whole`, or None when the whole is zero.
pub fn pct(part: i128, whole: i128) -> Option<i64> {
    (whole != 0).then(|| div_round_half_away(part * 10_000, whole) as i64)
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

    fn long_share(&self) -> Option<i64> {
        pct(i128::from(self.long_tokens), i128::from(self.tokens))
    }

    /// The parts with cost, largest first, each with its share of `total`.
    fn mix(parts: &BTreeMap<String, Nanos>, total: Nanos) -> Vec<(String, Option<i64>)> {
        let mut v: Vec<(&String, &Nanos)> = parts.iter().filter(|(_, c)| c.0 != 0).collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.iter()
            .map(|(k, c)| ((*k).clone(), pct(c.0, total.0)))
            .collect()
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

impl Tallies {
    fn main_line(&self, email: &str) -> String {
        self.main_line.get(email).cloned().unwrap_or_default()
    }
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
        let spender = main_line
            .entry(email.clone())
            .or_insert((key.clone(), t.cost));
        if t.cost > spender.1 {
            *spender = (key.clone(), t.cost);
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
    let len = sorted.len();
    let median = if len % 2 == 1 {
        sorted[len / 2]
    } else {
        div_round_half_away(
            i128::from(sorted[len / 2 - 1]) + i128::from(sorted[len / 2]),
            2,
        ) as i64
    };
    let rank = (len * 90).div_ceil(100).max(1);
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

/// Claude Code work and its cost per unit, of a team, a person on a team, or everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkFigures {
    /// Claude Code cents (split from the total, so people add up to their team).
    pub claude_code_cents: i64,
    /// All cents (the chargeback's).
    pub total_cents: i64,
    /// Claude Code sessions.
    pub sessions: i64,
    /// Commits.
    pub commits: i64,
    /// Pull requests.
    pub pull_requests: i64,
    /// Lines added.
    pub lines_added: i64,
    /// Lines removed.
    pub lines_removed: i64,
    /// Claude Code cents per commit (None: no commits).
    pub per_commit_cents: Option<i64>,
    /// Per pull request (None: no pull requests).
    pub per_pr_cents: Option<i64>,
    /// Per session (None: no sessions).
    pub per_session_cents: Option<i64>,
    /// Per 1,000 lines added (None: no lines added).
    pub per_1k_lines_cents: Option<i64>,
}

/// One row of the efficiency review: a team, or a person on a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfficiencyRow {
    /// The person (None on a team row).
    pub email: Option<String>,
    /// The team (level value).
    pub key: String,
    /// Their work and its cost.
    pub work: WorkFigures,
    /// The team's median cost per commit of its people.
    pub median_per_commit_cents: Option<i64>,
    /// The team's 90th percentile.
    pub p90_per_commit_cents: Option<i64>,
    /// On a person row: whether they are far above their team's median.
    pub flagged: bool,
    /// On a team row: its flagged people.
    pub flagged_people: Vec<String>,
    /// Why a ratio is missing, or activity has no cost (`no commits`, ...).
    pub reasons: Vec<String>,
}

/// The efficiency review: its rows and the organisation's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Efficiency {
    /// Per person on each team, or per team.
    pub per_person: bool,
    /// Teams by key, or (team, person) pairs by key then email.
    pub rows: Vec<EfficiencyRow>,
    /// Everyone (its per-1k-lines ratio is not shown).
    pub total: WorkFigures,
}

fn work_of(p: &Tally, claude_code_cents: i64, total_cents: i64) -> WorkFigures {
    WorkFigures {
        claude_code_cents,
        total_cents,
        sessions: p.sessions,
        commits: p.commits,
        pull_requests: p.pull_requests,
        lines_added: p.lines_added,
        lines_removed: p.lines_removed,
        per_commit_cents: p.cost_per_commit(),
        per_pr_cents: per_unit_cents(p.claude_code, p.pull_requests),
        per_session_cents: per_unit_cents(p.claude_code, p.sessions),
        per_1k_lines_cents: (p.lines_added > 0).then(|| {
            div_round_half_away(
                p.claude_code.0 * 1000,
                i128::from(p.lines_added) * i128::from(NANOS_PER_CENT),
            ) as i64
        }),
    }
}

/// Claude Code cost per commit, pull request, session and 1,000 lines added, per team (or per
/// person with `per_person`), with each team's median and 90th percentile of its people's cost
/// per commit and the people far above their team's median flagged.
pub fn efficiency(
    usage: &[UsageRow],
    activity: &[ActivityRow],
    cents: &PeriodCents,
    per_person: bool,
) -> Efficiency {
    let tallied = tally(usage, activity);
    // Per team: each person's cost per commit, sorted.
    let mut per_commit: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for ((key, email), p) in &tallied.people {
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
    let entries: Vec<(Option<&str>, &str, &Tally)> = if per_person {
        tallied
            .people
            .iter()
            .map(|((k, e), p)| (Some(e.as_str()), k.as_str(), p))
            .collect()
    } else {
        tallied
            .teams
            .iter()
            .map(|(k, p)| (None, k.as_str(), p))
            .collect()
    };
    // A team's Claude Code cents are split from its total (the chargeback's); its people's
    // from the team's, so the person rows add up to the team rows.
    let team_cc: BTreeMap<&str, i64> = tallied
        .teams
        .iter()
        .map(|(k, p)| {
            (
                k.as_str(),
                split(
                    cents.line(k),
                    &[("a", p.claude_code), ("b", p.cost - p.claude_code)],
                )[0],
            )
        })
        .collect();
    let mut person_cc: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (key, cc) in &team_cc {
        let parts: Vec<(&str, Nanos)> = tallied
            .people
            .iter()
            .filter(|((k, _), _)| k == key)
            .map(|((_, e), p)| (e.as_str(), p.claude_code))
            .collect();
        for ((e, _), c) in parts.iter().zip(split(*cc, &parts)) {
            person_cc.insert((key, e), c);
        }
    }
    let rows: Vec<EfficiencyRow> = entries
        .iter()
        .map(|(email, key, p)| {
            let (total_cents, cc_cents) = match email {
                Some(e) => (
                    cents.cell(key, e),
                    person_cc.get(&(*key, *e)).copied().unwrap_or(0),
                ),
                None => (cents.line(key), team_cc.get(key).copied().unwrap_or(0)),
            };
            let work = work_of(p, cc_cents, total_cents);
            let mut reasons: Vec<String> = [
                (work.per_commit_cents, "no commits"),
                (work.per_pr_cents, "no pull requests"),
                (work.per_session_cents, "no sessions"),
                (work.per_1k_lines_cents, "no lines added"),
            ]
            .iter()
            .filter(|(v, _)| v.is_none())
            .map(|(_, why)| (*why).to_string())
            .collect();
            if p.claude_code.0 == 0 && p.commits + p.sessions > 0 {
                reasons.push("activity without Claude Code cost".into());
            }
            let (median, p90, flagged) = stats.get(key).unwrap_or(&empty_stats);
            EfficiencyRow {
                email: email.map(str::to_string),
                key: (*key).to_string(),
                work,
                median_per_commit_cents: *median,
                p90_per_commit_cents: *p90,
                flagged: email.is_some_and(|e| flagged.contains(&e)),
                flagged_people: if email.is_none() {
                    flagged.iter().map(|e| (*e).to_string()).collect()
                } else {
                    Vec::new()
                },
                reasons,
            }
        })
        .collect();
    let sum = |f: fn(&Tally) -> i64| -> i64 { tallied.teams.values().map(f).sum() };
    let whole = Tally {
        cost: tallied.teams.values().map(|tallied| tallied.cost).sum(),
        claude_code: tallied
            .teams
            .values()
            .map(|tallied| tallied.claude_code)
            .sum(),
        sessions: sum(|tallied| tallied.sessions),
        commits: sum(|tallied| tallied.commits),
        pull_requests: sum(|tallied| tallied.pull_requests),
        lines_added: sum(|tallied| tallied.lines_added),
        lines_removed: sum(|tallied| tallied.lines_removed),
        ..Tally::default()
    };
    let total = work_of(
        &whole,
        rows.iter().map(|r| r.work.claude_code_cents).sum(),
        rows.iter().map(|r| r.work.total_cents).sum(),
    );
    Efficiency {
        per_person,
        rows,
        total,
    }
}

/// One of the top spenders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpenderRow {
    /// 1 for the largest.
    pub rank: usize,
    /// The person's email or the actor's identity.
    pub email: String,
    /// The line where they spent most.
    pub main_line: String,
    /// Their cents (the chargeback's).
    pub cents: i64,
    /// Their share of everyone's cost, in hundredths of a percent.
    pub share_bp: Option<i64>,
    /// Products, largest first, with their share of the spender's cost.
    pub product_mix: Vec<(String, Option<i64>)>,
    /// Models, largest first, with their share.
    pub model_mix: Vec<(String, Option<i64>)>,
    /// Their tokens' share in the 200K-1M window.
    pub long_context_bp: Option<i64>,
    /// Claude Code cents per commit.
    pub per_commit_cents: Option<i64>,
    /// Their cents in the period before (None when it is not known).
    pub previous_cents: Option<i64>,
    /// The change in cents.
    pub change_cents: Option<i64>,
    /// The change in hundredths of a percent of the period before.
    pub change_bp: Option<i64>,
}

/// The top spenders of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopSpenders {
    /// How many were asked for.
    pub n: usize,
    /// The top `n`, largest first.
    pub rows: Vec<SpenderRow>,
    /// Spenders with cost.
    pub spenders: usize,
    /// Of them, people.
    pub people: usize,
    /// The shown spenders' cents.
    pub shown_cents: i64,
    /// Their share of everyone's cost.
    pub shown_share_bp: Option<i64>,
    /// Everyone's cents.
    pub total_cents: i64,
}

/// The top `n` spenders by cost, with their share, mix, long-context share, cost per commit
/// and the change against the period before (`previous`, rounded as `previous_cents`).
pub fn top_spenders(
    usage: &[UsageRow],
    previous: &[UsageRow],
    previous_cents: &PeriodCents,
    activity: &[ActivityRow],
    cents: &PeriodCents,
    n: usize,
) -> TopSpenders {
    let tallied = tally(usage, activity);
    let prev = tally(previous, &[]);
    let total: Nanos = tallied.persons.values().map(|p| p.cost).sum();
    let now: BTreeMap<&str, i64> = tallied
        .persons
        .keys()
        .map(|e| (e.as_str(), cents.person(e).unwrap_or(0)))
        .collect();
    let before: BTreeMap<&str, i64> = prev
        .persons
        .keys()
        .filter_map(|e| previous_cents.person(e).map(|c| (e.as_str(), c)))
        .collect();
    let mut ranked: Vec<(&String, &Tally)> = tallied.persons.iter().collect();
    ranked.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(b.0)));
    let rows = ranked
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, (email, p))| {
            let cents = now[email.as_str()];
            let previous_cents = before.get(email.as_str()).copied();
            SpenderRow {
                rank: i + 1,
                email: (*email).clone(),
                main_line: tallied.main_line(email),
                cents,
                share_bp: pct(p.cost.0, total.0),
                product_mix: Tally::mix(&p.by_product, p.cost),
                model_mix: Tally::mix(&p.by_model, p.cost),
                long_context_bp: p.long_share(),
                per_commit_cents: p.cost_per_commit(),
                previous_cents,
                change_cents: previous_cents.map(|b| cents - b),
                change_bp: previous_cents.and_then(|b| pct(i128::from(cents - b), i128::from(b))),
            }
        })
        .collect();
    let shown: Nanos = ranked.iter().take(n).map(|(_, p)| p.cost).sum();
    TopSpenders {
        n,
        rows,
        spenders: ranked.len(),
        people: ranked
            .iter()
            .filter(|(e, _)| allot_core::identity::is_person(e))
            .count(),
        shown_cents: ranked.iter().take(n).map(|(e, _)| now[e.as_str()]).sum(),
        shown_share_bp: pct(shown.0, total.0),
        total_cents: cents.total,
    }
}

/// Tokens and cents in the two context windows of a person, a team or everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// The person's email or the team's key.
    pub key: String,
    /// A person's main line.
    pub main_line: Option<String>,
    /// Tokens in the 0-200K window.
    pub short_tokens: i64,
    /// Tokens in the 200K-1M window.
    pub long_tokens: i64,
    /// The long window's share of the tokens.
    pub long_share_bp: Option<i64>,
    /// Cents in the 0-200K window.
    pub short_cents: i64,
    /// Cents in the 200K-1M window (the two add up to `cents`).
    pub long_cents: i64,
    /// All cents (the chargeback's).
    pub cents: i64,
    /// A person: above the threshold.
    pub flagged: bool,
    /// A team: its flagged people (counted on their main line); everyone: all flagged.
    pub flagged_people: i64,
}

/// The context-window review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextWindow {
    /// The share above which a person is flagged, in percent.
    pub threshold_pct: i64,
    /// People, flagged first, then most expensive first.
    pub people: Vec<WindowRow>,
    /// Teams by key.
    pub teams: Vec<WindowRow>,
    /// Everyone, with the people's cents.
    pub people_total: WindowRow,
    /// Everyone, with the teams' cents.
    pub teams_total: WindowRow,
}

fn window_row(key: String, main_line: Option<String>, p: &Tally, cents: i64) -> WindowRow {
    let windows = split(cents, &[("a", p.short_cost), ("b", p.long_cost)]);
    WindowRow {
        key,
        main_line,
        short_tokens: p.short_tokens,
        long_tokens: p.long_tokens,
        long_share_bp: p.long_share(),
        short_cents: windows[0],
        long_cents: windows[1],
        cents,
        flagged: false,
        flagged_people: 0,
    }
}

/// Tokens and cost in the 0-200K and 200K-1M windows per person, and per team; people whose
/// long-window token share is above `threshold_pct` are flagged, most expensive first.
pub fn context_window(
    usage: &[UsageRow],
    cents: &PeriodCents,
    threshold_pct: i64,
) -> ContextWindow {
    let tallied = tally(usage, &[]);
    let threshold = threshold_pct * 100;
    let mut people: Vec<(&String, &Tally, bool)> = tallied
        .persons
        .iter()
        .map(|(e, p)| (e, p, p.long_share().is_some_and(|s| s > threshold)))
        .collect();
    people.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then_with(|| b.1.cost.cmp(&a.1.cost))
            .then_with(|| a.0.cmp(b.0))
    });
    let person_cents = |e: &str| cents.person(e).unwrap_or(0);
    let person_rows = people
        .iter()
        .map(|(e, p, f)| {
            let mut row = window_row((*e).clone(), Some(tallied.main_line(e)), p, person_cents(e));
            row.flagged = *f;
            row
        })
        .collect();
    let flagged = people.iter().filter(|p| p.2).count() as i64;
    let mut flagged_by_team: BTreeMap<&str, i64> = BTreeMap::new();
    for (e, _, f) in &people {
        if *f {
            *flagged_by_team
                .entry(tallied.main_line.get(*e).map_or("", String::as_str))
                .or_default() += 1;
        }
    }
    let team_rows = tallied
        .teams
        .iter()
        .map(|(k, p)| {
            let mut row = window_row(k.clone(), None, p, cents.line(k));
            row.flagged_people = flagged_by_team.get(k.as_str()).copied().unwrap_or(0);
            row
        })
        .collect();
    let whole = Tally {
        short_tokens: tallied.teams.values().map(|p| p.short_tokens).sum(),
        long_tokens: tallied.teams.values().map(|p| p.long_tokens).sum(),
        tokens: tallied.teams.values().map(|p| p.tokens).sum(),
        short_cost: tallied.teams.values().map(|p| p.short_cost).sum(),
        long_cost: tallied.teams.values().map(|p| p.long_cost).sum(),
        ..Tally::default()
    };
    let total = |cents: i64| {
        let mut row = window_row("TOTAL".into(), None, &whole, cents);
        row.flagged_people = flagged;
        row
    };
    ContextWindow {
        threshold_pct,
        people: person_rows,
        teams: team_rows,
        people_total: total(tallied.persons.keys().map(|e| person_cents(e)).sum()),
        teams_total: total(tallied.teams.keys().map(|k| cents.line(k)).sum()),
    }
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
        let mut rates = Rates::default();
        for u in usage.iter().filter(|u| u.tokens > 0) {
            let e = rates
                .exact
                .entry((
                    u.model.clone(),
                    u.token_type.clone(),
                    u.context_window.clone(),
                ))
                .or_default();
            e.0 += u.cost;
            e.1 += u.tokens;
            let e = rates
                .by_type
                .entry((u.model.clone(), u.token_type.clone()))
                .or_default();
            e.0 += u.cost;
            e.1 += u.tokens;
        }
        rates
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
            let cell = per_model.entry(model.as_str()).or_default();
            if token_type == "output_tokens" {
                cell.0 += *c;
                cell.1 += *n;
            }
            cell.2 += *c;
            cell.3 += *n;
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

/// A team's or a person's cents on one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixRow {
    /// The team's key, or the person's email.
    pub who: String,
    /// On a person row, the team the cost is charged to.
    pub team: Option<String>,
    /// The model.
    pub model: String,
    /// Cents, split from the team's (or the person's on the team) so the models add up to it.
    pub cents: i64,
    /// The model's share of the team's (person's) exact cost.
    pub share_bp: Option<i64>,
}

/// Someone mostly on the largest model, and the same tokens on the next model down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DowngradeRow {
    /// The person's email or the actor's identity.
    pub email: String,
    /// Their main line.
    pub main_line: String,
    /// The largest model.
    pub largest: String,
    /// Their cents on it.
    pub largest_cents: i64,
    /// Its share of their cost.
    pub share_bp: Option<i64>,
    /// The next model down.
    pub next: String,
    /// What the same tokens would cost on it.
    pub same_tokens_cents: i64,
    /// The difference.
    pub difference_cents: i64,
    /// Token types with no rate on the next model (kept at actual cost).
    pub missing: Vec<String>,
}

/// The model-mix review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelMix {
    /// Per team, each model.
    pub teams: Vec<MixRow>,
    /// The teams' cents.
    pub teams_total_cents: i64,
    /// Per person on each team, each model.
    pub people: Vec<MixRow>,
    /// The people's cents.
    pub people_total_cents: i64,
    /// The largest model and the next family down at its latest version (None: fewer than
    /// two models in the data).
    pub ranking: Option<(String, String)>,
    /// Who is mostly on the largest model, most expensive first.
    pub downgrade: Vec<DowngradeRow>,
}

fn mix_rows(who: &str, team: Option<&str>, p: &Tally, whole: i64) -> Vec<MixRow> {
    let parts: Vec<(String, Nanos)> = p.by_model.iter().map(|(m, c)| (m.clone(), *c)).collect();
    let cents = split(whole, &parts);
    parts
        .iter()
        .zip(cents)
        .map(|((model, c), cents)| MixRow {
            who: who.to_string(),
            team: team.map(str::to_string),
            model: model.clone(),
            cents,
            share_bp: pct(c.0, p.cost.0),
        })
        .collect()
}

/// Spend by model per team and per person, and the people mostly on the largest model with
/// what the same tokens would have cost on the next model down at the rates the data shows.
pub fn model_mix(usage: &[UsageRow], cents: &PeriodCents) -> ModelMix {
    let tallied = tally(usage, &[]);
    let teams = tallied
        .teams
        .iter()
        .flat_map(|(k, p)| mix_rows(k, None, p, cents.line(k)))
        .collect();
    // One block per person and line: a person who moved team mid-month has their days on
    // each team under that team, so a team's people add up to the team.
    let mut person_lines: Vec<(&(String, String), &Tally)> = tallied.people.iter().collect();
    person_lines.sort_by(|a, b| (&a.0 .1, &a.0 .0).cmp(&(&b.0 .1, &b.0 .0)));
    let people = person_lines
        .into_iter()
        .filter(|(_, p)| !p.by_model.is_empty())
        .flat_map(|((key, e), p)| mix_rows(e, Some(key), p, cents.cell(key, e)))
        .collect();
    let rates = Rates::of(usage);
    let ranking = rates.ranking();
    let mut downgrade = Vec::new();
    let mut pair = None;
    if let [largest, next, ..] = ranking.as_slice() {
        // The next family down at its latest version: every seller's ids are Anthropic's
        // names here, and one seller billing an older version a little less per token does
        // not make it the advice.
        let next = allot_core::model::latest_of_family(next, &ranking[1..]).to_string();
        let mut heavy: Vec<(&String, &Tally)> = tallied
            .persons
            .iter()
            .filter(|(_, p)| p.by_model.get(largest).is_some_and(|c| c.0 * 2 > p.cost.0))
            .collect();
        heavy.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(b.0)));
        // Each person's rows on the largest model, found once (not a pass over every row per
        // person: that was quadratic, 150 s for 20,000 people).
        let mut on_model: std::collections::HashMap<&str, Vec<&UsageRow>> =
            std::collections::HashMap::new();
        for u in usage.iter().filter(|u| &u.model == largest) {
            on_model.entry(u.email.as_str()).or_default().push(u);
        }
        for (email, p) in heavy {
            let on_largest = p.by_model[largest];
            let parts: Vec<(String, Nanos)> =
                p.by_model.iter().map(|(m, c)| (m.clone(), *c)).collect();
            let largest_cents = parts
                .iter()
                .zip(split(cents.person(email).unwrap_or(0), &parts))
                .find(|((m, _), _)| m == largest)
                .map_or(0, |(_, c)| c);
            let mut alt = Nanos::ZERO;
            let mut missing = BTreeSet::new();
            for u in on_model.get(email.as_str()).into_iter().flatten() {
                if let Some(c) = rates.price(&next, &u.token_type, &u.context_window, u.tokens) {
                    alt += c;
                } else {
                    missing.insert(u.token_type.clone());
                    alt += u.cost;
                }
            }
            downgrade.push(DowngradeRow {
                email: email.clone(),
                main_line: tallied.main_line(email),
                largest: largest.clone(),
                largest_cents,
                share_bp: pct(on_largest.0, p.cost.0),
                next: next.clone(),
                same_tokens_cents: alt.round_cents(),
                difference_cents: largest_cents - alt.round_cents(),
                missing: missing.into_iter().collect(),
            });
        }
        pair = Some((largest.clone(), next));
    }
    ModelMix {
        teams,
        teams_total_cents: tallied.teams.keys().map(|k| cents.line(k)).sum(),
        people,
        people_total_cents: tallied.persons.keys().filter_map(|e| cents.person(e)).sum(),
        ranking: pair,
        downgrade,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn sums(e: &Efficiency) -> [i64; 5] {
        let mut out = [0; 5];
        for r in &e.rows {
            let work = &r.work;
            for (o, v) in out.iter_mut().zip([
                work.claude_code_cents,
                work.total_cents,
                work.commits,
                work.pull_requests,
                work.sessions,
            ]) {
                *o += v;
            }
        }
        out
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
            let cents = cents_of(&usage);
            let teams = efficiency(&usage, &activity, &cents, false);
            let people = efficiency(&usage, &activity, &cents, true);
            prop_assert_eq!(sums(&teams), sums(&people));
            let total: Nanos = usage.iter().map(|u| u.cost).sum();
            prop_assert_eq!(sums(&teams)[1], total.round_cents());
            prop_assert_eq!(teams.total.total_cents, total.round_cents());
        }
    }
}

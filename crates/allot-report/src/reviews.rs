//! The reviews engineering leaders read, rendered from their figures (`allot_figures::reviews`):
//! cost per unit of shipped work, top spenders, the long context window and the model mix. A
//! ratio with no denominator is an empty cell and a reason, never 0 or infinity.

use allot_core::money::format_cents;
use allot_core::{DateRange, Status};
use allot_figures::reviews::{
    ContextWindow, Efficiency, ModelMix, TopSpenders, WindowRow, WorkFigures, FLAG_FACTOR,
    FLAG_MIN_PEOPLE,
};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// What every review shares: the period, its status, the level rows are grouped by, the notes
/// every review carries and the readable names of actors.
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

fn money(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Cents)
}

fn opt_pct(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Pct)
}

/// A mix as `model 61.20%, other 38.80%`, largest first.
fn mix_text(parts: &[(String, Option<i64>)]) -> String {
    parts
        .iter()
        .map(|(k, share)| format!("{k} {}%", share.map_or_else(String::new, format_cents)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The efficiency review as a report: per team, or per person on each team.
pub fn efficiency(f: &Efficiency, ctx: &Context) -> Report {
    let per_person = f.per_person;
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
    let rows = f
        .rows
        .iter()
        .map(|r| {
            let w = &r.work;
            let mut row = Vec::new();
            if let Some(e) = &r.email {
                row.push(Cell::Text(e.clone()));
            }
            row.push(Cell::Text(r.key.clone()));
            if ctx.level_name != "cost_center" {
                row.push(Cell::Text(r.key.clone()));
            }
            row.extend([
                Cell::Cents(w.claude_code_cents),
                Cell::Cents(w.total_cents),
                Cell::Int(w.sessions),
                Cell::Int(w.commits),
                Cell::Int(w.pull_requests),
                Cell::Int(w.lines_added),
                Cell::Int(w.lines_removed),
                money(w.per_commit_cents),
                money(w.per_pr_cents),
                money(w.per_session_cents),
                money(w.per_1k_lines_cents),
                money(r.median_per_commit_cents),
            ]);
            if r.email.is_some() {
                row.push(Cell::Text(if r.flagged { "true" } else { "false" }.into()));
            } else {
                row.push(money(r.p90_per_commit_cents));
                row.push(Cell::Text(r.flagged_people.join(" ")));
            }
            row.push(Cell::Text(r.reasons.join("; ")));
            row.push(Cell::Text(ctx.status.to_string()));
            row
        })
        .collect();
    let notes = vec![format!(
        "Ratios use Claude Code cost (product claude_code). People are flagged when their cost per commit is over {FLAG_FACTOR}x their team's median (teams with at least {FLAG_MIN_PEOPLE} people with commits)."
    )];
    let whole: &WorkFigures = &f.total;
    let total = total_line(
        &columns,
        &[
            ("claude_code_cost_usd", Cell::Cents(whole.claude_code_cents)),
            ("total_cost_usd", Cell::Cents(whole.total_cents)),
            ("sessions", Cell::Int(whole.sessions)),
            ("commits", Cell::Int(whole.commits)),
            ("pull_requests", Cell::Int(whole.pull_requests)),
            ("lines_added", Cell::Int(whole.lines_added)),
            ("lines_removed", Cell::Int(whole.lines_removed)),
            ("cost_per_commit_usd", money(whole.per_commit_cents)),
            ("cost_per_pr_usd", money(whole.per_pr_cents)),
            ("cost_per_session_usd", money(whole.per_session_cents)),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    );
    let mut r = ctx.report("Efficiency", columns, rows, crate::Note::infos(notes));
    r.total = Some(total);
    r
}

/// The top spenders as a report, with their share, mix, long-context share, cost per commit
/// and the change against the previous month.
pub fn top_spenders(f: &TopSpenders, ctx: &Context) -> Report {
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
    let rows = f
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.rank as i64),
                Cell::Text(r.email.clone()),
                Cell::Text(r.main_line.clone()),
                Cell::Cents(r.cents),
                opt_pct(r.share_bp),
                Cell::Text(mix_text(&r.product_mix)),
                Cell::Text(mix_text(&r.model_mix)),
                opt_pct(r.long_context_bp),
                money(r.per_commit_cents),
                money(r.previous_cents),
                money(r.change_cents),
                opt_pct(r.change_bp),
                Cell::Text(allot_core::identity::kind(&r.email).as_str().into()),
                name_cell(&ctx.names, &r.email),
                Cell::Text(ctx.status.to_string()),
            ]
        })
        .collect();
    let people = f.people;
    let notes = vec![format!(
        "The top {} of {} spenders ({people} {}, {} other: API keys, service accounts, cloud principals and other actors, `kind` says which) spent ${} of ${} ({}%). cost_center is where each spent most; cost per commit uses Claude Code cost.",
        f.n.min(f.spenders),
        f.spenders,
        if people == 1 { "person" } else { "people" },
        f.spenders - people,
        format_cents(f.shown_cents),
        format_cents(f.total_cents),
        f.shown_share_bp.map_or_else(|| "n/a".into(), format_cents)
    )];
    let total_row = total_line(
        &columns,
        &[
            ("amount_usd", Cell::Cents(f.shown_cents)),
            ("share_pct", opt_pct(f.shown_share_bp)),
            ("status", Cell::Text(ctx.status.to_string())),
        ],
    );
    let mut r = ctx.report("Top spenders", columns, rows, crate::Note::infos(notes));
    r.total = Some(total_row);
    r
}

/// The context-window review as (people, teams) reports, flagged people first.
pub fn context_window(f: &ContextWindow, ctx: &Context) -> (Report, Report) {
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
    let row_of = |r: &WindowRow, label: Option<Cell>, flag: Cell| -> Vec<Cell> {
        let mut row = vec![Cell::Text(r.key.clone())];
        row.extend(label);
        row.extend([
            Cell::Int(r.short_tokens),
            Cell::Int(r.long_tokens),
            opt_pct(r.long_share_bp),
            Cell::Cents(r.short_cents),
            Cell::Cents(r.long_cents),
            Cell::Cents(r.cents),
            flag,
            Cell::Text(ctx.status.to_string()),
        ]);
        row
    };
    let person_rows = f
        .people
        .iter()
        .map(|r| {
            row_of(
                r,
                Some(Cell::Text(r.main_line.clone().unwrap_or_default())),
                Cell::Text(if r.flagged { "true" } else { "false" }.into()),
            )
        })
        .collect();
    let mut team_columns = vec![Column::new(&ctx.level_name, Kind::Text)];
    team_columns.extend(person_columns[2..8].iter().cloned());
    team_columns.push(Column::new("flagged_people", Kind::Int));
    team_columns.push(Column::new("status", Kind::Text));
    let team_rows = f
        .teams
        .iter()
        .map(|r| row_of(r, None, Cell::Int(r.flagged_people)))
        .collect();
    let flagged = f.people_total.flagged_people;
    let note = format!(
        "{flagged} people have more than {}% of their tokens in the 200K-1M window (flagged, listed first, most expensive first). Amounts are the chargeback's cents; each row's two windows add up to its amount_usd.",
        f.threshold_pct
    );
    let team_total = row_of(&f.teams_total, None, Cell::Int(flagged));
    let person_total = row_of(
        &f.people_total,
        Some(Cell::Empty),
        Cell::Text(flagged.to_string()),
    );
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

/// The model mix as (teams, people, mostly on the largest model) reports.
pub fn model_mix(f: &ModelMix, ctx: &Context) -> (Report, Report, Report) {
    let mix_columns = |first: &str, with_team: bool| {
        let mut columns = vec![Column::new(first, Kind::Text)];
        if with_team {
            columns.push(Column::new("cost_center", Kind::Text));
        }
        columns.extend([
            Column::new("model", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("share_pct", Kind::Pct),
            Column::new("status", Kind::Text),
        ]);
        columns
    };
    let at_cost_center = ctx.level_name == "cost_center";
    let mix_row = |r: &allot_figures::reviews::MixRow, team: Option<&str>| -> Vec<Cell> {
        let mut row = vec![Cell::Text(r.who.clone())];
        if let Some(team) = team {
            row.push(Cell::Text(team.to_string()));
        }
        row.extend([
            Cell::Text(r.model.clone()),
            Cell::Cents(r.cents),
            opt_pct(r.share_bp),
            Cell::Text(ctx.status.to_string()),
        ]);
        row
    };
    let mut team_columns = mix_columns(&ctx.level_name, false);
    if !at_cost_center {
        team_columns.insert(1, Column::new("cost_center", Kind::Text).csv_only());
    }
    let team_rows: Vec<Vec<Cell>> = f
        .teams
        .iter()
        .map(|r| mix_row(r, (!at_cost_center).then_some(r.who.as_str())))
        .collect();
    let person_rows: Vec<Vec<Cell>> = f
        .people
        .iter()
        .map(|r| mix_row(r, Some(r.team.as_deref().unwrap_or_default())))
        .collect();
    let note = match &f.ranking {
        Some((largest, next)) => format!(
            "Largest model: {largest}; next down: {next} (the latest version of the family ranked next). Ranked by each model's cost per output token in this month's facts. \
             'same_tokens_on_next_usd' prices each of a person's {largest} tokens at {next}'s average rate for the same token type \
             and context window (total cost / total tokens in this month's facts; the token type's rate over all windows when that window has no {next} usage)."
        ),
        None => String::from("No model ranking: fewer than two models in the data."),
    };
    let down_rows = f
        .downgrade
        .iter()
        .map(|d| {
            vec![
                Cell::Text(d.email.clone()),
                Cell::Text(d.main_line.clone()),
                Cell::Text(d.largest.clone()),
                Cell::Cents(d.largest_cents),
                opt_pct(d.share_bp),
                Cell::Text(d.next.clone()),
                Cell::Cents(d.same_tokens_cents),
                Cell::Cents(d.difference_cents),
                Cell::Text(if d.missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "kept at actual cost (no {} rate): {}",
                        d.next,
                        d.missing.join(", ")
                    )
                }),
                Cell::Text(ctx.status.to_string()),
            ]
        })
        .collect();
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
    let mut teams = ctx.report("Model mix", team_columns, team_rows, vec![]);
    teams.total = Some(total_line(
        &teams.columns,
        &[
            ("amount_usd", Cell::Cents(f.teams_total_cents)),
            (
                "share_pct",
                Cell::Pct(if f.teams_total_cents == 0 { 0 } else { 10_000 }),
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
            ("amount_usd", Cell::Cents(f.people_total_cents)),
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

//! The adoption scorecard of a month: headcount against active users per team and surface,
//! the organisation's engagement summary, and the seats nobody used. One period load (cost
//! with its products, and activity) answers all three.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use allot_core::identity;
use allot_core::money::div_round_half_away;
use allot_core::{DateRange, Month, Status, UNMAPPED};
use allot_engine::UnmappedPolicy;
use allot_figures::adoption::{AdoptionLine, IdleSeat, OrgFigure};
use allot_figures::cents::PeriodCents;
use allot_report::adoption::{adoption_org_report, adoption_report, inactive_report};
use chrono::{Duration, NaiveDate};

use crate::error::AppError;
use crate::output::{file_name, Named, Output};
use crate::sources::Facts;
use crate::workspace::{level_of, Needs, Period, Workspace};

/// Days before the month the load reaches back for each idle person's last active day.
pub const LAST_ACTIVE_LOOKBACK_DAYS: i64 = 92;

/// What an adoption run is told.
#[derive(Debug, Clone, Default)]
pub struct AdoptionOptions {
    /// A mapping column to group by instead of the cost center.
    pub by: Option<String>,
    /// Count a seat idle when it has no cost and no activity in this many days up to the
    /// month's end (or the as-of date); default the month itself.
    pub inactive_days: Option<u32>,
    /// Where uncovered cost goes.
    pub policy: UnmappedPolicy,
}

/// An adoption run: its reports, and the teams' figures the first renders.
#[derive(Debug, Clone)]
pub struct AdoptionRun {
    /// `adoption`, `adoption_org` (when the store has engagement summaries), `inactive_seats`.
    pub output: Output,
    /// Each team's figures, in the order `adoption` shows them (its `TOTAL` row left out).
    pub lines: Vec<AdoptionLine>,
}

/// A day of engagement summaries: its whole-number figures by name.
type SummaryDay = (NaiveDate, BTreeMap<String, i64>);

/// Which surface a product's cost counts on.
fn surface_of_product(product: &str) -> Option<usize> {
    let p = product.to_ascii_lowercase();
    match p.as_str() {
        "chat" | "claude" | "claude_ai" => Some(0),
        "claude_code" | "code" => Some(1),
        "cowork" => Some(2),
        _ if ["office", "excel", "powerpoint", "word", "outlook"]
            .iter()
            .any(|o| p.contains(o)) =>
        {
            Some(3)
        }
        _ => None,
    }
}

/// The activity counters that show use of each surface.
const SURFACE_COUNTS: [&[&str]; 4] = [
    &[
        "chat_conversations",
        "chat_messages",
        "chat_projects_created",
        "chat_files_uploaded",
        "chat_artifacts_created",
        "web_searches",
    ],
    &[
        "sessions",
        "commits",
        "pull_requests",
        "lines_added",
        "lines_removed",
        "tool_accepted",
        "tool_rejected",
    ],
    &["cowork_sessions", "cowork_messages", "cowork_actions"],
    &["office_sessions", "office_messages"],
];

/// Who was active in a range, and on which surfaces.
#[derive(Default)]
struct Use {
    active: BTreeSet<String>,
    surfaces: [BTreeSet<String>; 4],
}

impl Workspace {
    /// The adoption scorecard of `month`.
    pub fn adoption(&self, month: Month, o: &AdoptionOptions) -> Result<Output, AppError> {
        Ok(self.adoption_run(month, o)?.output)
    }

    /// The adoption scorecard of `month` with its teams' figures beside the reports.
    pub fn adoption_run(&self, month: Month, o: &AdoptionOptions) -> Result<AdoptionRun, AppError> {
        let days = self.adoption_days(month, o)?;
        let period = self.period(days.loaded, &self.adoption_needs(month, &days))?;
        self.adoption_of(month, o, &days, &period)
    }

    /// The days adoption of `month` reads: the month, the month before, the inactive window
    /// and the last-active lookback, loaded together.
    pub fn adoption_days(
        &self,
        month: Month,
        o: &AdoptionOptions,
    ) -> Result<AdoptionDays, AppError> {
        let range = DateRange::month(month);
        if range.from >= self.as_of {
            return Err(AppError::NoData(format!(
                "{month} has not started as of {}: there is no adoption to score yet",
                self.as_of
            )));
        }
        // The headcount day: the month's last day, or the as-of date while it is not over.
        let headcount_day = if month.last_day() < self.as_of {
            month.last_day()
        } else {
            self.as_of
        };
        let end = headcount_day.min(month.last_day());
        let window_from = match o.inactive_days {
            Some(0) => return Err(AppError::Usage("--inactive-days must be at least 1".into())),
            Some(n) => end - Duration::days(i64::from(n) - 1),
            None => range.from,
        };
        let prev = DateRange::month(month.prev());
        let from = prev
            .from
            .min(window_from)
            .min(range.from - Duration::days(LAST_ACTIVE_LOOKBACK_DAYS));
        let loaded = DateRange::new(from, range.to).expect("from is before the month's end");
        Ok(AdoptionDays {
            headcount_day,
            window_from,
            loaded,
        })
    }

    /// The adoption scorecard of `month` from a period loaded over `days.loaded` with
    /// [`Workspace::adoption_needs`].
    pub fn adoption_of(
        &self,
        month: Month,
        o: &AdoptionOptions,
        days: &AdoptionDays,
        period: &Period,
    ) -> Result<AdoptionRun, AppError> {
        let AdoptionDays {
            headcount_day,
            window_from,
            loaded,
        } = *days;
        let (range, prev) = (DateRange::month(month), DateRange::month(month.prev()));
        // The headcount day is never after the month's last.
        let end = headcount_day;
        let mapping = self.mapping.clone();
        let level = level_of(&mapping, o.by.as_deref())?;
        let cov = &period.coverage[0];
        let held = |r: DateRange| r.days().filter(|d| cov.holds(*d)).count();
        if held(range) == 0 {
            return Err(AppError::NoData(format!(
                "no cost data for {month}: sync it (or give the files for it) first"
            )));
        }
        let keying = period.keying(o.by.as_deref(), &o.policy)?;
        let chargebacks = period.ledger.chargebacks(&keying, &[range])?;
        let chargeback = &chargebacks[0];
        let now = usage_in(period, &keying, range)?;
        let before = (held(prev) > 0)
            .then(|| usage_in(period, &keying, prev))
            .transpose()?;
        // Headcount: the people whose mapping row is valid on a day, by their key then.
        let people = heads(&mapping, &level, headcount_day);
        let prev_people = heads(&mapping, &level, prev.to);
        let (attribute_names, lines) = team_lines(
            &mapping,
            &level,
            chargeback,
            &now,
            before.as_ref(),
            (&people, &prev_people),
        );
        let status = period.status_of(range, &[Facts::Cost, Facts::Activity]);
        let mut notes = period.status_notes(range, &[Facts::Cost, Facts::Activity]);
        notes.push(format!(
            "headcount: people whose mapping row is valid on {headcount_day}; active_users: of those, people with any cost or any activity in {month}; a surface counts a person with cost on its product or activity on it (chat: conversations, messages, files, artifacts, web searches; claude_code: sessions, commits, lines, tool actions; cowork: sessions, messages, actions; office: Excel, PowerPoint, Word and Outlook sessions and messages)."
        ).into());
        notes.push(format!(
            "amount_usd is the chargeback of {month} (every cost on the line, people who left or moved included); cost_per_active_user_usd divides the part of it people spent (not API keys, service accounts, cloud principals or other actors) by active_users; active_users_change compares with {} counted the same way.",
            month.prev()
        ).into());
        if !self.sources.has(Facts::Activity)? {
            notes.push("No activity facts were given: people are active by their cost alone, and surfaces by the products they were charged for.".into());
        }
        let level_name = keying.level_name.clone();
        let score = adoption_report(
            &level_name,
            &attribute_names,
            month,
            headcount_day,
            &lines,
            status,
            self.as_of,
            notes,
        );

        // Idle seats: in headcount, no cost and no activity in the window.
        let window = DateRange::new(window_from, end).unwrap_or(range);
        let idle_use = if window == range {
            None
        } else {
            Some(usage_in(period, &keying, window)?)
        };
        let idle = idle_seats(
            period,
            &people,
            idle_use.as_ref().unwrap_or(&now),
            loaded,
            end,
        )?;
        let idle_notes = vec![
            format!(
                "People counted in the headcount on {headcount_day} with no cost and no activity from {} to {}. last_active is their last day with either in the data looked at (from {}); empty: none in it.",
                window.from, window.to, loaded.from
            ),
        ];
        let inactive = inactive_report(
            month,
            (window.from, window.to),
            &idle,
            status,
            allot_report::Note::infos(idle_notes),
        );

        let mut reports = vec![Named::table(file_name("adoption", &level_name), score)];
        if let Some(org) = self.adoption_org(month)? {
            reports.push(Named::table("adoption_org", org));
        }
        reports.push(Named::table("inactive_seats", inactive));
        Ok(AdoptionRun {
            output: Output {
                run: file_name("adoption", &level_name),
                title: format!("Adoption {month}"),
                reports,
                files: Vec::new(),
                messages: Vec::new(),
            },
            lines,
        })
    }
}

/// The days an adoption scorecard of a month reads (see [`Workspace::adoption_days`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdoptionDays {
    /// The day heads are counted on and the last day looked at: the month's last, or the
    /// as-of date while it runs.
    pub headcount_day: NaiveDate,
    /// The first day of the inactive window.
    pub window_from: NaiveDate,
    /// Everything loaded: the month before, the window and the last-active lookback.
    pub loaded: DateRange,
}

impl Workspace {
    /// What an adoption load of `month` over `days` keeps: usage and activity, each person's
    /// cost per day (the last day with cost), and the usage summed in spans cut where its
    /// periods start and end (the month, the month before, the inactive window) and where the
    /// dashboard's month, built from the same load, compares a running month.
    pub fn adoption_needs(&self, month: Month, days: &AdoptionDays) -> Needs {
        let range = DateRange::month(month);
        Needs {
            usage: true,
            focus: false,
            activity: true,
            previous: false,
            starts: vec![
                month.prev().first_day(),
                range.from,
                days.window_from,
                days.headcount_day + Duration::days(1),
                crate::workspace::compared_with(range, self.as_of).to + Duration::days(1),
            ],
            days: true,
        }
    }
}

/// Who used what in `range`, from cost (by product) and from activity (by counter).
fn usage_in(
    period: &crate::workspace::Period,
    keying: &allot_engine::Keying,
    range: DateRange,
) -> Result<Use, AppError> {
    let mut used = Use::default();
    for row in period.ledger.usage(keying, range)? {
        // Users are people: API keys, service accounts and other actors hold no seat.
        if (row.cost.0 == 0 && row.tokens == 0) || !identity::is_person(&row.email) {
            continue;
        }
        used.active.insert(row.email.clone());
        if let Some(surface) = surface_of_product(&row.product) {
            used.surfaces[surface].insert(row.email.clone());
        }
    }
    for person in period.ledger.activity(keying, range)? {
        if !person.any() {
            continue;
        }
        used.active.insert(person.email.clone());
        for (surface, names) in SURFACE_COUNTS.iter().enumerate() {
            if names.iter().any(|name| person.get(name) > 0) {
                used.surfaces[surface].insert(person.email.clone());
            }
        }
    }
    Ok(used)
}

/// Each person of a headcount: email -> (their key at the level, their cost center).
type Heads = BTreeMap<String, (String, String)>;

/// Each person of the headcount on `day` (their mapping row valid then): their key at `level`
/// and their cost center.
fn heads(
    mapping: &allot_mapping::OrgMapping,
    level: &allot_engine::Level,
    day: NaiveDate,
) -> Heads {
    let key_of = |row: &allot_mapping::org::Assignment| -> String {
        match level {
            allot_engine::Level::CostCenter => row.cost_center.clone(),
            allot_engine::Level::Attribute(i) => {
                let value = &row.attributes[*i];
                if value.is_empty() {
                    allot_engine::BLANK.to_string()
                } else {
                    value.clone()
                }
            }
        }
    };
    mapping
        .rows
        .iter()
        .filter(|row| row.covers(day) && row.is_person())
        .map(|row| (row.email.clone(), (key_of(row), row.cost_center.clone())))
        .collect()
}

/// The scorecard's lines, one per team (cost centers' attributes beside them, by cost
/// center), UNMAPPED last; and the attribute columns' names.
fn team_lines(
    mapping: &allot_mapping::OrgMapping,
    level: &allot_engine::Level,
    chargeback: &allot_core::results::Chargeback,
    now: &Use,
    before: Option<&Use>,
    (people, prev_people): (&Heads, &Heads),
) -> (Vec<String>, Vec<AdoptionLine>) {
    let cents = PeriodCents::of(chargeback);
    let cc_attrs = mapping.cost_center_attributes();
    let attribute_names: Vec<String> = match level {
        allot_engine::Level::CostCenter => cc_attrs
            .iter()
            .map(|i| mapping.attributes[*i].clone())
            .collect(),
        allot_engine::Level::Attribute(_) => Vec::new(),
    };
    let mut attrs_of: HashMap<String, Vec<String>> = HashMap::new();
    if matches!(level, allot_engine::Level::CostCenter) {
        for row in &mapping.rows {
            attrs_of.entry(row.cost_center.clone()).or_insert_with(|| {
                cc_attrs
                    .iter()
                    .map(|i| row.attributes[*i].clone())
                    .collect()
            });
        }
    }
    let mut keys: BTreeSet<String> = people.values().map(|(key, _)| key.clone()).collect();
    keys.extend(chargeback.lines.iter().map(|line| line.key.clone()));
    let count = |set: &BTreeSet<String>, heads: &BTreeMap<String, (String, String)>, key: &str| {
        heads
            .iter()
            .filter(|(email, (k, _))| k == key && set.contains(*email))
            .count() as u64
    };
    let mut people_cents: BTreeMap<&str, i64> = BTreeMap::new();
    for ((key, who), amount) in &cents.cells {
        if identity::is_person(who) {
            *people_cents.entry(key.as_str()).or_default() += amount;
        }
    }
    let mut lines: Vec<AdoptionLine> = keys
        .iter()
        .map(|key| {
            let mut surfaces = [0u64; 4];
            for (surface, set) in now.surfaces.iter().enumerate() {
                surfaces[surface] = count(set, people, key);
            }
            AdoptionLine {
                key: key.clone(),
                attributes: attrs_of.get(key).cloned().unwrap_or_default(),
                headcount: people.values().filter(|(k, _)| k == key).count() as u64,
                active: count(&now.active, people, key),
                surfaces,
                cents: cents.line(key),
                people_cents: people_cents.get(key.as_str()).copied().unwrap_or(0),
                previous_active: before.map(|b| count(&b.active, prev_people, key)),
            }
        })
        .collect();
    // UNMAPPED (cost no row covers) last, as in the chargeback.
    lines.sort_by_key(|line| (line.key == UNMAPPED, line.key.clone()));
    (attribute_names, lines)
}

/// The seats of the headcount with no cost and no activity in the window (`idle_use` is who
/// was active in it), longest idle first, with their last active day up to `end`.
fn idle_seats(
    period: &crate::workspace::Period,
    people: &Heads,
    idle_use: &Use,
    loaded: DateRange,
    end: NaiveDate,
) -> Result<Vec<IdleSeat>, AppError> {
    let mut last: HashMap<String, NaiveDate> = period.ledger.last_cost_day()?.into_iter().collect();
    let cc_keying = period.keying(None, &UnmappedPolicy::Bucket)?;
    for person in period.ledger.activity(&cc_keying, loaded)? {
        if let Some(day) = person.last_day.filter(|_| person.any()) {
            let seen = last.entry(person.email.clone()).or_insert(day);
            *seen = (*seen).max(day);
        }
    }
    let mut idle: Vec<IdleSeat> = people
        .iter()
        .filter(|(email, _)| !idle_use.active.contains(*email))
        .map(|(email, (_, cost_center))| {
            let last_active = last.get(email).copied().filter(|day| *day <= end);
            IdleSeat {
                email: email.clone(),
                cost_center: cost_center.clone(),
                last_active,
                days_inactive: last_active.map(|day| (end - day).num_days()),
            }
        })
        .collect();
    idle.sort_by(|a, b| {
        b.days_inactive
            .unwrap_or(i64::MAX)
            .cmp(&a.days_inactive.unwrap_or(i64::MAX))
            .then_with(|| a.email.cmp(&b.email))
    });
    Ok(idle)
}

impl Workspace {
    /// `adoption_org` from the store's engagement summaries, when it has them for the month.
    fn adoption_org(&self, month: Month) -> Result<Option<allot_report::Report>, AppError> {
        let Some(snap) = self.sources.snapshot()? else {
            return Ok(None);
        };
        let read = |m: Month| -> Result<Vec<SummaryDay>, AppError> {
            let r = DateRange::month(m);
            let mine = snap.files_with(allot_sync::store::Source::Summaries, &|d| r.contains(d));
            let mut rows: Vec<SummaryDay> = allot_engine::table_parquet::read_int_rows(&mine)?
                .into_iter()
                .filter_map(|(d, m)| allot_core::date::parse_date(&d).map(|d| (d, m)))
                .filter(|(d, _)| r.contains(*d))
                .collect();
            rows.sort_by_key(|r| r.0);
            Ok(rows)
        };
        let now = read(month)?;
        if now.is_empty() {
            return Ok(None);
        }
        let before = read(month.prev())?;
        let figures = org_figures(&now);
        let previous = org_figures(&before);
        let merged: Vec<OrgFigure> = figures
            .into_iter()
            .map(|(metric, value)| OrgFigure {
                previous: previous
                    .iter()
                    .find(|(m, _)| *m == metric)
                    .and_then(|(_, v)| *v),
                metric,
                value,
            })
            .collect();
        let first = now.first().map(|r| r.0);
        let last = now.last().map(|r| r.0);
        let days_held = now.len();
        let r = DateRange::month(month);
        let status = if days_held
            < r.days()
                .filter(|d| *d < self.as_of - Duration::days(crate::sources::ENGAGEMENT_LAG_DAYS))
                .count()
        {
            Status::Incomplete
        } else if (self.as_of - r.to).num_days() < allot_core::settle::SETTLEMENT_DAYS {
            Status::Provisional
        } else {
            Status::Settled
        };
        let notes = vec![format!(
            "From the engagement summaries of {} days ({} to {}): averages over those days; seats, invites and utilization (monthly active users over assigned seats) on the last of them. Values in units (users) or percent, two decimals.",
            days_held,
            first.map(|d| d.to_string()).unwrap_or_default(),
            last.map(|d| d.to_string()).unwrap_or_default()
        )];
        Ok(Some(adoption_org_report(
            month,
            &merged,
            status,
            allot_report::Note::infos(notes),
        )))
    }
}

/// The organisation's figures of one month of summaries, in hundredths.
fn org_figures(rows: &[SummaryDay]) -> Vec<(String, Option<i64>)> {
    let avg = |name: &str| -> Option<i64> {
        let v: Vec<i64> = rows
            .iter()
            .filter_map(|(_, m)| m.get(name).copied())
            .collect();
        (!v.is_empty()).then(|| {
            div_round_half_away(i128::from(v.iter().sum::<i64>()) * 100, v.len() as i128) as i64
        })
    };
    let last = rows.last().map(|(_, m)| m.clone()).unwrap_or_default();
    let at_end = |name: &str| last.get(name).map(|v| v * 100);
    let seats = last.get("assigned_seat_count").copied().filter(|s| *s > 0);
    let util = |name: &str| -> Option<i64> {
        let s = seats?;
        last.get(name)
            .map(|m| div_round_half_away(i128::from(*m) * 10_000, i128::from(s)) as i64)
    };
    let mut out = vec![
        (
            "avg_daily_active_users".to_string(),
            avg("daily_active_user_count"),
        ),
        (
            "avg_weekly_active_users".to_string(),
            avg("weekly_active_user_count"),
        ),
        (
            "avg_monthly_active_users".to_string(),
            avg("monthly_active_user_count"),
        ),
        (
            "monthly_active_users_at_month_end".to_string(),
            at_end("monthly_active_user_count"),
        ),
        ("assigned_seats".to_string(), at_end("assigned_seat_count")),
        (
            "pending_invites".to_string(),
            at_end("pending_invite_count"),
        ),
        (
            "utilization_pct".to_string(),
            util("monthly_active_user_count"),
        ),
    ];
    // Per surface: every `<surface>_monthly_active_user_count` the summaries carry.
    let mut surfaces: BTreeSet<String> = BTreeSet::new();
    for (_, m) in rows {
        for k in m.keys() {
            if let Some(s) = k.strip_suffix("_monthly_active_user_count") {
                if s != "monthly_active_user_count" && !s.is_empty() {
                    surfaces.insert(s.to_string());
                }
            }
        }
    }
    for s in surfaces {
        out.push((
            format!("{s}_avg_daily_active_users"),
            avg(&format!("{s}_daily_active_user_count")),
        ));
        out.push((
            format!("{s}_monthly_active_users_at_month_end"),
            at_end(&format!("{s}_monthly_active_user_count")),
        ));
        out.push((
            format!("{s}_utilization_pct"),
            util(&format!("{s}_monthly_active_user_count")),
        ));
    }
    out
}

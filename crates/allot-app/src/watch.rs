//! The weekly (or daily) run: anomaly alerts over the recent days against a weekday-aware
//! baseline, month-end forecasts against budgets, and the notification that tells people. All
//! of it reads one period load of the store or the files; the rules themselves are pure
//! functions in `allot-watch`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use allot_core::results::{Alert, ForecastLine, Severity};
use allot_core::{DateRange, Month, Nanos, Status, UNMAPPED};
use allot_engine::UnmappedPolicy;
use allot_figures::cents::PeriodCents;
use allot_figures::forecast::ForecastFigures;
use allot_mapping::budgets::Budgets;
use allot_report::watch::{alerts_report, forecast_report, sort_alerts, Judged};
use allot_watch::rules::{self, dollars, Daily, Rules, Shares, Subject};
use allot_watch::{forecast, notify};
use chrono::{Duration, NaiveDate};

use crate::error::AppError;
use crate::output::{Named, Output};
use crate::sources::Facts;
use crate::workspace::{Needs, Period, Workspace};

/// Days of history a load for files without a stated period reaches back.
const FILE_LOOKBACK_DAYS: i64 = 400;

/// What the weekly run is told.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// The rules and their thresholds.
    pub rules: Rules,
    /// Budgets, when given (`--budgets`), with the file they came from.
    pub budgets: Option<(PathBuf, Budgets)>,
    /// Where uncovered cost goes.
    pub policy: UnmappedPolicy,
}

/// Reads a rules file (`--rules`): every key optional, unknown keys errors naming the file.
pub fn read_rules(path: &Path) -> Result<Rules, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Usage(format!("the rules file `{}`: {e}", path.display())))?;
    Rules::parse(&text)
        .map_err(|e| AppError::Usage(format!("the rules file `{}`: {e}", path.display())))
}

/// Reads a budgets file (`--budgets`).
pub fn read_budgets(
    path: &Path,
    decimals: Option<allot_mapping::invoice::Decimals>,
) -> Result<(PathBuf, Budgets), AppError> {
    Ok((path.to_path_buf(), Budgets::read(path, decimals)?))
}

/// One run of the alert rules.
#[derive(Debug, Clone)]
pub struct AlertRun {
    /// The `alerts` report to show and write.
    pub output: Output,
    /// The alerts, most expensive first, each with its window's status.
    pub alerts: Vec<Judged>,
    /// The last day the run looked at.
    pub last: NaiveDate,
}

impl AlertRun {
    /// Whether an alert at or above `level` fired.
    pub fn fires(&self, level: Severity) -> bool {
        self.alerts.iter().any(|j| j.alert.severity >= level)
    }
}

/// Each key's month (outlook and budget, with its month-to-date cents), the level's name, and
/// warnings about budgets that name no key.
type MonthLines = (Vec<(ForecastLine, i64)>, String, Vec<allot_report::Note>);

/// A level's keys with their daily series, and how messages name them.
struct LevelSeries {
    name: String,
    lines: BTreeMap<String, Daily>,
    labels: BTreeMap<String, String>,
}

/// A loaded watch period: what every rule and forecast reads.
struct Watched {
    period: Period,
    last: NaiveDate,
    /// cost_center first, then each hierarchy column, lowest first.
    levels: Vec<LevelSeries>,
    people: BTreeMap<String, Daily>,
    org: Daily,
}

impl Watched {
    /// The same watch from `from` on, as if loaded from `from`: every series cut to the days
    /// from `from`, a line or person with no cost left dropped (a series holds only the days
    /// with facts, so this is what a load of the shorter range gives).
    fn cut_to(&self, from: NaiveDate) -> Watched {
        let cut = |daily: &Daily| -> Daily {
            daily
                .range(from..)
                .map(|(day, amount)| (*day, *amount))
                .collect()
        };
        let cut_all = |series: &BTreeMap<String, Daily>| -> BTreeMap<String, Daily> {
            series
                .iter()
                .filter_map(|(key, daily)| {
                    let kept = cut(daily);
                    (!kept.is_empty()).then(|| (key.clone(), kept))
                })
                .collect()
        };
        let mut period = self.period.clone();
        period.range = DateRange {
            from: from.max(period.range.from),
            to: period.range.to,
        };
        Watched {
            period,
            last: self.last,
            levels: self
                .levels
                .iter()
                .map(|level| LevelSeries {
                    name: level.name.clone(),
                    lines: cut_all(&level.lines),
                    labels: level.labels.clone(),
                })
                .collect(),
            people: cut_all(&self.people),
            org: cut(&self.org),
        }
    }
}

/// A forecast's figures and the notes its report carries, or why there is none.
type ForecastResult = Result<(ForecastFigures, Vec<allot_report::Note>), AppError>;

/// The days the alerts look at, ending on the data's last day: the rules' recent and baseline
/// windows, the month so far and the forecast's weeks (a budget alert forecasts).
fn alerts_span(o: &WatchOptions) -> impl Fn(NaiveDate) -> (NaiveDate, NaiveDate) {
    let windows = &o.rules.windows;
    let span = i64::from(windows.recent_days + windows.baseline_days);
    move |end| {
        let month_start = Month::of(end).first_day();
        let lookback = end - Duration::days(forecast::LOOKBACK_WEEKS * 7 - 1);
        (
            (end - Duration::days(span - 1))
                .min(month_start)
                .min(lookback),
            end,
        )
    }
}

/// The days the forecast of `month` reads: its weeks of history and the month so far.
fn forecast_span(month: Month) -> impl Fn(NaiveDate) -> (NaiveDate, NaiveDate) {
    move |end| {
        let to = end.min(month.last_day());
        (
            (to - Duration::days(forecast::LOOKBACK_WEEKS * 7 - 1)).min(month.first_day()),
            to,
        )
    }
}

fn to_daily(v: Vec<(NaiveDate, Nanos)>) -> Daily {
    v.into_iter().collect()
}

/// Signed dollars as a message writes them: `+$1,234.56`, `-$5.00`.
fn signed_dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "+" };
    let size = i64::try_from(cents.unsigned_abs()).unwrap_or(i64::MAX);
    // `dollars` writes `$1,234.56` (its own sign only for a negative amount).
    format!("{sign}{}", dollars(Nanos::from_cents(size)))
}

/// Adds to each sustained increase's message (of the organisation, a cost center or a
/// hierarchy level) the largest driver of its window against the same number of days just
/// before it, and who drove it most: what a manager asks first. A spike is one day: against
/// the day before, everyone idle that day would read as "joined", so spikes are left as they
/// are.
fn name_drivers(watched: &Watched, found: &mut [Alert]) -> Result<(), AppError> {
    use allot_figures::explain::Explanation;
    let period = &watched.period;
    // One explanation per level and window: the alerts of a level share their window.
    let mut explained: BTreeMap<(String, NaiveDate, NaiveDate), Explanation> = BTreeMap::new();
    for alert in found.iter_mut() {
        if alert.rule != "sustained_increase" {
            continue;
        }
        let by = match alert.level.as_str() {
            "org" | "cost_center" => None,
            other if watched.levels.iter().any(|l| l.name == other) => Some(other.to_string()),
            _ => continue,
        };
        let Some(window) = DateRange::new(alert.window_start, alert.window_end) else {
            continue;
        };
        let before = DateRange {
            from: window.from - Duration::days(window.len()),
            to: window.from - Duration::days(1),
        };
        if !period.loaded.contains(before.from) {
            continue;
        }
        let key = (
            by.clone().unwrap_or_else(|| "cost_center".into()),
            window.from,
            window.to,
        );
        if !explained.contains_key(&key) {
            let (figures, _) = crate::explain::explain_between(
                (period, window),
                (period, before, before),
                &crate::reports::ReportOptions {
                    by,
                    policy: UnmappedPolicy::Bucket,
                },
            )?;
            explained.insert(key.clone(), figures);
        }
        let figures = &explained[&key];
        let line = if alert.level == "org" {
            Some(&figures.total)
        } else {
            figures.lines.iter().find(|l| l.key == alert.key)
        };
        let Some(driver) = line.and_then(allot_figures::explain::LineChange::largest) else {
            continue;
        };
        let who = driver
            .contributors
            .first()
            .map(|c| format!(" (most: {} {})", c.who, signed_dollars(c.cents)))
            .unwrap_or_default();
        alert.message.push_str(&format!(
            " Largest driver against the {} days before: {} {}{who}.",
            window.len(),
            driver.driver.name(),
            signed_dollars(driver.cents),
        ));
    }
    Ok(())
}

impl Workspace {
    /// The last day a run can look at: yesterday (as of the run), or the last day the data
    /// holds when it ends earlier.
    fn data_end(&self) -> Result<NaiveDate, AppError> {
        let yesterday = self.as_of - Duration::days(1);
        Ok(match self.sources.held(Facts::Cost)? {
            Some(r) => r.to.min(yesterday),
            None => yesterday,
        })
    }

    /// The days a watch of `span` looks at: from `first` (or earlier, for files without a
    /// stated period) to the data's last day.
    fn watch_range(
        &self,
        span: impl Fn(NaiveDate) -> (NaiveDate, NaiveDate),
    ) -> Result<DateRange, AppError> {
        let data_end = self.data_end()?;
        let files_unstated = self.sources.held(Facts::Cost)?.is_none();
        let (first, end) = span(data_end);
        let end = end.min(data_end);
        let from = if files_unstated {
            first.min(end - Duration::days(FILE_LOOKBACK_DAYS))
        } else {
            first
        };
        DateRange::new(from, end)
            .ok_or_else(|| AppError::Usage(format!("nothing to look at before {end}")))
    }

    /// Loads `range` for the alerts: their daily series, and the usage summed in spans cut
    /// where the rules' windows (and the days their drivers compare with) start. The windows
    /// end on the data's last day, known once loaded: when it is not the range's last (days
    /// missing at the end), the load is made again with the windows cut there.
    fn watched_for_alerts(&self, range: DateRange, o: &WatchOptions) -> Result<Watched, AppError> {
        let cuts = |last: NaiveDate| {
            let (recent, base) = o.rules.windows_ending(last);
            let len = (recent.1 - recent.0).num_days() + 1;
            vec![base.0, recent.0, recent.0 - Duration::days(len)]
        };
        let watched = self.watched_range(range, Some(&cuts(range.to)))?;
        if watched.last == range.to {
            return Ok(watched);
        }
        self.watched_range(range, Some(&cuts(watched.last)))
    }

    /// Loads `range` for a watch: each person's cost per day and its daily series at every
    /// level; with `usage`, the usage too, summed in spans cut on those days (none: every day).
    fn watched_range(
        &self,
        range: DateRange,
        usage: Option<&[NaiveDate]>,
    ) -> Result<Watched, AppError> {
        let end = range.to;
        let period = self.period(
            range,
            &Needs {
                usage: usage.is_some(),
                starts: usage.map(<[NaiveDate]>::to_vec).unwrap_or_default(),
                days: true,
                ..Needs::default()
            },
        )?;
        // The last day with data: a store's last synced day, or the files' last fact.
        let cov = &period.coverage[0];
        let last = range.days().filter(|d| cov.holds(*d)).max().unwrap_or(end);
        let mapping = period.ledger.mapping();
        let mut names = vec!["cost_center".to_string()];
        names.extend(
            mapping
                .hierarchy
                .iter()
                .map(|i| mapping.attributes[*i].clone()),
        );
        // A cost center is named in messages by its first attribute (e.g. its department).
        let cc_attr = mapping.cost_center_attributes().into_iter().next();
        let mut levels = Vec::new();
        let mut people = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            let keying =
                period.keying((i > 0).then_some(name.as_str()), &UnmappedPolicy::Bucket)?;
            let series = period.ledger.series(&keying, range)?;
            if i == 0 {
                people = series
                    .people
                    .into_iter()
                    .map(|(k, v)| (k, to_daily(v)))
                    .collect();
            }
            let mut labels = BTreeMap::new();
            if i == 0 {
                if let Some(a) = cc_attr {
                    for r in &mapping.rows {
                        if !r.attributes[a].is_empty() {
                            labels.insert(
                                r.cost_center.clone(),
                                format!("{} ({})", r.cost_center, r.attributes[a]),
                            );
                        }
                    }
                }
            }
            levels.push(LevelSeries {
                name: name.clone(),
                lines: series
                    .lines
                    .into_iter()
                    .map(|(k, v)| (k, to_daily(v)))
                    .collect(),
                labels,
            });
        }
        let org = to_daily(period.ledger.daily(range)?);
        Ok(Watched {
            period,
            last,
            levels,
            people,
            org,
        })
    }

    /// Runs every alert rule over the recent days as of the workspace's date.
    pub fn alerts(&self, o: &WatchOptions) -> Result<AlertRun, AppError> {
        let watched = self.watched_for_alerts(self.watch_range(alerts_span(o))?, o)?;
        self.alerts_of(&watched, o)
    }

    /// The alerts and the forecast of `month` from one load, as the dashboard's overview shows
    /// them: when the alerts' days end where the forecast's do (the month the data ends in),
    /// the forecast reads the alerts' series cut to its own days, as if it had loaded them;
    /// otherwise (or when a load fails, so each says why) each loads its own.
    pub fn alerts_and_forecast(
        &self,
        month: Month,
        by: Option<&str>,
        o: &WatchOptions,
    ) -> (Result<AlertRun, AppError>, ForecastResult) {
        let shared = (month.first_day() < self.as_of)
            .then(|| {
                let alerts = self.watch_range(alerts_span(o)).ok()?;
                let forecast = self.watch_range(forecast_span(month)).ok()?;
                (alerts.to == forecast.to && alerts.from <= forecast.from)
                    .then_some((alerts, forecast.from))
            })
            .flatten()
            .and_then(|(range, forecast_from)| {
                let watched = self.watched_for_alerts(range, o).ok()?;
                let forecast = watched.cut_to(forecast_from);
                Some((watched, forecast))
            });
        match shared {
            Some((watched, forecast)) => (
                self.alerts_of(&watched, o),
                self.forecast_of(&forecast, month, by, o),
            ),
            None => (self.alerts(o), self.forecast_figures(month, by, o)),
        }
    }

    /// The alert rules run over a loaded watch.
    fn alerts_of(&self, watched: &Watched, o: &WatchOptions) -> Result<AlertRun, AppError> {
        let rule_set = &o.rules;
        let last = watched.last;
        let (recent, base) = rule_set.windows_ending(last);
        let period = &watched.period;
        let mut notes: Vec<allot_report::Note> = Vec::new();
        let window = DateRange::new(base.0, recent.1).unwrap_or(period.range);
        let missing: Vec<NaiveDate> = period.coverage[0]
            .missing
            .iter()
            .copied()
            .filter(|d| window.contains(*d))
            .collect();
        let mut found: Vec<Alert> = Vec::new();
        if missing.is_empty() && base.0 >= period.range.from {
            let subject = |level: &str, key: &str, label: Option<&String>| Subject {
                level: level.to_string(),
                key: key.to_string(),
                label: label.cloned().unwrap_or_else(|| key.to_string()),
            };
            let org = subject("org", "all", Some(&"The organisation".to_string()));
            found.extend(rules::sustained(rule_set, &org, &watched.org, last));
            found.extend(rules::spike(rule_set, &org, &watched.org, last));
            for l in &watched.levels {
                for (key, d) in &l.lines {
                    let subject_of = subject(&l.name, key, l.labels.get(key));
                    found.extend(rules::sustained(rule_set, &subject_of, d, last));
                    found.extend(rules::spike(rule_set, &subject_of, d, last));
                }
            }
            found.extend(rules::new_spenders(rule_set, &watched.people, last));
            found.extend(Self::share_rules(watched, rule_set, recent, base)?);
        } else {
            notes.push(format!(
                "The rules that compare with a baseline did not run: the cost data misses {} between {} and {}. Sync those days (or give the files for them) and run again.",
                crate::workspace::plural(missing.len().max(1), "day"),
                window.from,
                window.to
            ).into());
        }
        if let Some((path, budgets)) = &o.budgets {
            if rule_set.budget.enabled {
                let (lines, _, warnings) = Self::forecast_lines(
                    watched,
                    Some(&budgets.level),
                    Some((budgets, path)),
                    Month::of(last),
                    last,
                )?;
                notes.extend(warnings);
                found.extend(budget_alerts(
                    rule_set,
                    &lines,
                    Month::of(last),
                    last,
                    watched,
                ));
            }
        }
        name_drivers(watched, &mut found)?;
        let mut judged: Vec<Judged> = found
            .into_iter()
            .map(|alert| {
                let range =
                    DateRange::new(alert.window_start, alert.window_end).unwrap_or(period.range);
                Judged {
                    status: period.status_of(range, &[Facts::Cost]),
                    alert,
                }
            })
            .collect();
        sort_alerts(&mut judged);
        notes.push(format!(
            "Recent window: {} to {} ({} days); baseline: {} to {} ({} days). Baselines are per weekday (weekends and weekdays differ); spikes are judged against the median and MAD of days of the same kind.",
            recent.0, recent.1, rule_set.windows.recent_days, base.0, base.1, rule_set.windows.baseline_days
        ).into());
        let looked_at =
            DateRange::new(base.0.max(period.range.from), recent.1).unwrap_or(period.range);
        let window_status = period.status_of(looked_at, &[Facts::Cost]);
        if window_status != Status::Settled || judged.iter().any(|j| j.status != Status::Settled) {
            notes.push(allot_report::Note::new(
                allot_report::NoteKind::Provisional,
                "PROVISIONAL: alerts over days less than 30 days old rest on figures Anthropic may still revise.",
            ));
        }
        let report = alerts_report(&judged, recent, window_status, self.as_of, notes);
        Ok(AlertRun {
            output: Output {
                run: "alerts".into(),
                title: report.title.clone(),
                reports: vec![Named::table("alerts", report)],
                files: Vec::new(),
                messages: Vec::new(),
            },
            alerts: judged,
            last,
        })
    }

    /// `long_context` per person and `model_shift` per cost center.
    fn share_rules(
        w: &Watched,
        r: &Rules,
        recent: (NaiveDate, NaiveDate),
        base: (NaiveDate, NaiveDate),
    ) -> Result<Vec<Alert>, AppError> {
        let keying = w.period.keying(None, &UnmappedPolicy::Bucket)?;
        let range = |x: (NaiveDate, NaiveDate)| DateRange::new(x.0, x.1).unwrap_or(w.period.range);
        let before = w.period.ledger.usage(&keying, range(base))?;
        let now = w.period.ledger.usage(&keying, range(recent))?;
        let long = |cw: &str| cw.to_ascii_lowercase().starts_with("200k");
        // Person: tokens in the long window over all tokens.
        let mut people: BTreeMap<&str, Shares> = BTreeMap::new();
        for u in &before {
            let person = people.entry(u.email.as_str()).or_default();
            person.baseline.1 += i128::from(u.tokens);
            if long(&u.context_window) {
                person.baseline.0 += i128::from(u.tokens);
            }
        }
        for u in &now {
            let person = people.entry(u.email.as_str()).or_default();
            person.recent.1 += i128::from(u.tokens);
            if long(&u.context_window) {
                person.recent.0 += i128::from(u.tokens);
                person.recent_cost += u.cost;
            }
        }
        let mut out = Vec::new();
        for (email, sh) in people {
            let subject = Subject {
                level: "person".into(),
                key: email.to_string(),
                label: email.to_string(),
            };
            out.extend(rules::share_jump(
                r,
                "long_context",
                &subject,
                "of their tokens in the 200K-1M context window",
                sh,
                w.last,
            ));
        }
        // Team: spend on the largest model over all spend.
        let mut all = before.clone();
        all.extend(now.iter().cloned());
        if let Some(largest) = allot_figures::reviews::largest_model(&all) {
            let mut teams: BTreeMap<&str, Shares> = BTreeMap::new();
            for u in &before {
                let team = teams.entry(u.key.as_str()).or_default();
                team.baseline.1 += u.cost.0;
                if u.model == largest {
                    team.baseline.0 += u.cost.0;
                }
            }
            for u in &now {
                let team = teams.entry(u.key.as_str()).or_default();
                team.recent.1 += u.cost.0;
                if u.model == largest {
                    team.recent.0 += u.cost.0;
                    team.recent_cost += u.cost;
                }
            }
            let labels = &w.levels[0].labels;
            for (key, sh) in teams {
                if key == UNMAPPED {
                    continue;
                }
                let subject = Subject {
                    level: "cost_center".into(),
                    key: key.to_string(),
                    label: labels.get(key).cloned().unwrap_or_else(|| key.to_string()),
                };
                out.extend(rules::share_jump(
                    r,
                    "model_shift",
                    &subject,
                    &format!("of its spend on {largest}"),
                    sh,
                    w.last,
                ));
            }
        }
        Ok(out)
    }

    /// Each key's month at the budgets' level (or `by`): outlook and budget, with the
    /// chargeback's month-to-date cents; and warnings for budgets naming no key.
    fn forecast_lines(
        w: &Watched,
        by: Option<&str>,
        budgets: Option<(&Budgets, &Path)>,
        month: Month,
        through: NaiveDate,
    ) -> Result<MonthLines, AppError> {
        let level_name = match by {
            None => "cost_center".to_string(),
            Some(b) if b.eq_ignore_ascii_case("cost_center") => "cost_center".to_string(),
            Some(b) => {
                let mapping = w.period.ledger.mapping();
                let index = mapping.attribute(b).ok_or_else(|| {
                    AppError::Usage(format!(
                        "the budgets (or --by) name the level `{b}`, which the mapping has no column for (levels: cost_center, {})",
                        mapping.attributes.join(", ")
                    ))
                })?;
                mapping.attributes[index].clone()
            }
        };
        let level = w
            .levels
            .iter()
            .find(|l| l.name == level_name)
            .map(|l| &l.lines);
        // A level that is a mapping column but not of the hierarchy: its own series.
        let owned;
        let lines = if let Some(l) = level {
            l
        } else {
            let keying = w
                .period
                .keying(Some(&level_name), &UnmappedPolicy::Bucket)?;
            owned = w
                .period
                .ledger
                .series(&keying, w.period.range)?
                .lines
                .into_iter()
                .map(|(k, v)| (k, to_daily(v)))
                .collect::<BTreeMap<_, _>>();
            &owned
        };
        let mtd_range = DateRange::new(month.first_day(), through.min(month.last_day()));
        let keying = w.period.keying(
            (level_name != "cost_center").then_some(level_name.as_str()),
            &UnmappedPolicy::Bucket,
        )?;
        let cents = match mtd_range {
            Some(r) if r.from >= w.period.range.from => {
                let cb = w.period.ledger.chargebacks(&keying, &[r])?;
                Some(PeriodCents::of(&cb[0]))
            }
            _ => None,
        };
        let mut keys: BTreeSet<String> = lines.keys().cloned().collect();
        let mut warnings = Vec::new();
        if let Some((b, path)) = budgets {
            let known: BTreeSet<String> = w
                .period
                .ledger
                .mapping()
                .rows
                .iter()
                .map(|r| {
                    if level_name == "cost_center" {
                        r.cost_center.clone()
                    } else {
                        w.period
                            .ledger
                            .mapping()
                            .attribute(&level_name)
                            .map_or_else(String::new, |i| r.attributes[i].clone())
                    }
                })
                .collect();
            for line in &b.lines {
                if !known.contains(&line.key) {
                    let hint =
                        crate::spelling::nearest(&line.key, known.iter().map(String::as_str))
                            .map(|k| format!(" (did you mean `{k}`?)"))
                            .unwrap_or_default();
                    warnings.push(format!(
                        "warning: {} ({}): the budget names `{}`, which is no {level_name} of the mapping{hint}; it is not compared with anything",
                        path.display(),
                        line.location,
                        line.key
                    ));
                } else if line.month.is_none_or(|m| m == month) {
                    keys.insert(line.key.clone());
                }
            }
        }
        let empty = Daily::new();
        let out = keys
            .into_iter()
            .filter(|k| {
                // Keys with nothing this month and nothing in the lookback are left out.
                let days = lines.get(k).unwrap_or(&empty);
                budgets.is_some_and(|(b, _)| b.of(k, month).is_some())
                    || days.values().any(|v| v.0 != 0)
            })
            .map(|k| {
                let days = lines.get(&k).unwrap_or(&empty);
                let projected = forecast::outlook(days, month, through);
                let mtd = cents
                    .as_ref()
                    .map_or_else(|| projected.month_to_date.round_cents(), |c| c.line(&k));
                let budget = budgets.and_then(|(b, _)| b.of(&k, month));
                (
                    ForecastLine {
                        key: k,
                        month_to_date: projected.month_to_date,
                        forecast: projected.forecast,
                        low: projected.low,
                        high: projected.high,
                        budget,
                    },
                    mtd,
                )
            })
            .collect();
        Ok((out, level_name, allot_report::Note::infos(warnings)))
    }

    /// The month-end forecast of `month` per key of `by` (default: the budgets' level, else
    /// the cost center), with budgets when given, and the organisation's total line.
    pub fn forecast(
        &self,
        month: Month,
        by: Option<&str>,
        o: &WatchOptions,
    ) -> Result<Output, AppError> {
        let (figures, notes) = self.forecast_figures(month, by, o)?;
        let report = forecast_report(&figures, self.as_of, notes);
        let name = crate::output::file_name("forecast", &figures.level);
        Ok(Output {
            run: name.clone(),
            title: report.title.clone(),
            reports: vec![Named::table(name, report)],
            files: Vec::new(),
            messages: Vec::new(),
        })
    }

    /// The forecast of `month` as typed figures, with the notes its report carries.
    pub fn forecast_figures(
        &self,
        month: Month,
        by: Option<&str>,
        o: &WatchOptions,
    ) -> Result<(ForecastFigures, Vec<allot_report::Note>), AppError> {
        if month.first_day() >= self.as_of {
            return Err(AppError::NoData(format!(
                "{month} has not started as of {}: there is nothing to forecast from yet",
                self.as_of
            )));
        }
        // A forecast reads the daily series alone: no usage.
        let watched = self.watched_range(self.watch_range(forecast_span(month))?, None)?;
        self.forecast_of(&watched, month, by, o)
    }

    /// The forecast of `month` from a loaded watch.
    fn forecast_of(
        &self,
        watched: &Watched,
        month: Month,
        by: Option<&str>,
        o: &WatchOptions,
    ) -> Result<(ForecastFigures, Vec<allot_report::Note>), AppError> {
        let through = watched.last.min(month.last_day());
        let cov = &watched.period.coverage[0];
        let held = DateRange::month(month)
            .days()
            .filter(|d| *d <= through && cov.holds(*d))
            .count();
        if held == 0 {
            let hint = match self.sources.store() {
                Some(s) => format!(
                    "run `allot sync --store {} --from {} --to {}` first",
                    s.display(),
                    month.first_day(),
                    month.last_day().min(self.as_of - Duration::days(1))
                ),
                None => {
                    "give the files for it, or --covers to state a period the files cover".into()
                }
            };
            return Err(AppError::NoData(format!(
                "no cost data for {month}: the data held ends on {} or starts after the month; {hint}",
                watched.last
            )));
        }
        let by = by.or(o.budgets.as_ref().map(|(_, b)| b.level.as_str()));
        let (lines, level, mut notes) = Self::forecast_lines(
            watched,
            by,
            o.budgets.as_ref().map(|(p, b)| (b, p.as_path())),
            month,
            through,
        )?;
        let org = forecast::outlook(&watched.org, month, through);
        let org_line = ForecastLine {
            key: "TOTAL".into(),
            month_to_date: org.month_to_date,
            forecast: org.forecast,
            low: org.low,
            high: org.high,
            budget: None,
        };
        let range = DateRange::month(month);
        let status = watched.period.status_of(
            DateRange::new(range.from.max(watched.period.range.from), range.to).unwrap_or(range),
            &[Facts::Cost],
        );
        notes.push(format!(
            "forecast_usd is the month to date plus each remaining day at what that weekday cost on average over the {} weeks to {through}; the low and high bounds repeat the projection with each of those weeks alone (the organisation's TOTAL range is its own, not the sum of the rows').",
            forecast::LOOKBACK_WEEKS
        ).into());
        notes.push(format!(
            "month_to_date_usd is the chargeback of {} to {} at this level, rounded once: the rows add up to the total.",
            month.first_day(),
            through
        ).into());
        notes.extend(
            watched
                .period
                .status_notes(range, &[Facts::Cost])
                .into_iter()
                .filter(|n| {
                    n.kind != allot_report::NoteKind::Incomplete || through >= month.first_day()
                }),
        );
        let figures = ForecastFigures::new(&level, month, through, &lines, &org_line, status);
        Ok((figures, notes))
    }
}

/// The `budget` rule over a month's lines.
fn budget_alerts(
    r: &Rules,
    lines: &[(ForecastLine, i64)],
    month: Month,
    through: NaiveDate,
    w: &Watched,
) -> Vec<Alert> {
    let labels = &w.levels[0].labels;
    let mut out = Vec::new();
    // The cents the forecast report shows: an alert never says a cent the report does not.
    let cents = allot_figures::forecast::forecast_cents(lines);
    let usd = |c: i64| dollars(Nanos::from_cents(c));
    for ((l, _), c) in lines.iter().zip(cents) {
        let Some(budget) = l.budget else { continue };
        let label = labels.get(&l.key).cloned().unwrap_or_else(|| l.key.clone());
        let pct = rules::bp(l.forecast.0, budget.0);
        let over_now = l.month_to_date > budget;
        let heading_over = l.forecast > budget;
        let near = pct.is_some_and(|p| p >= r.budget.info_pct * 100);
        if !(over_now || heading_over || near) {
            continue;
        }
        let (severity, amount, message) = if over_now {
            (
                Severity::Critical,
                l.month_to_date - budget,
                format!(
                    "{label} has already spent {} of its {} budget for {month} and is heading for {}.",
                    usd(c.month_to_date),
                    dollars(budget),
                    usd(c.forecast)
                ),
            )
        } else if heading_over {
            (
                Severity::Warning,
                l.forecast - budget,
                format!(
                    "{label} is heading for {} in {month} (between {} and {}) against a budget of {}: {} over.",
                    usd(c.forecast),
                    usd(c.low),
                    usd(c.high),
                    dollars(budget),
                    usd(c.forecast - budget.round_cents())
                ),
            )
        } else {
            (
                Severity::Info,
                Nanos::ZERO,
                format!(
                    "{label} is heading for {} in {month}, {} of its {} budget.",
                    usd(c.forecast),
                    pct.map_or_else(String::new, |p| format!(
                        "{}%",
                        allot_core::money::div_round_half_away(i128::from(p), 100)
                    )),
                    dollars(budget)
                ),
            )
        };
        out.push(Alert {
            rule: "budget".into(),
            level: w
                .levels
                .iter()
                .find(|x| x.lines.contains_key(&l.key))
                .map_or_else(|| "cost_center".to_string(), |x| x.name.clone()),
            key: l.key.clone(),
            window_start: month.first_day(),
            window_end: through,
            baseline: budget,
            current: l.forecast,
            change_bp: pct.map(|p| p - 10_000),
            amount,
            severity,
            message,
        });
    }
    out
}

/// What became of the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Posted, with this many alerts.
    Sent(usize),
    /// Nothing new to send (every alert was sent before at this severity within a week).
    NothingNew,
}

/// Posts the run's new alerts to the webhook, once, and records what was sent in `state`
/// (the store's `alerts-sent.json` or `--state`), so a persisting alert is sent again only
/// when its severity rises or after a week. Alerts below `min` are not sent. With
/// `pseudonyms` (`--pseudonymize`), no email reaches the message.
pub fn notify(
    run: &AlertRun,
    url: &notify::WebhookUrl,
    state: Option<&Path>,
    today: NaiveDate,
    min: Severity,
    retry: notify::Retry,
    pseudonyms: Option<&allot_report::privacy::Pseudonymizer>,
) -> Result<Delivery, AppError> {
    let mut sent = match state {
        Some(p) => notify::Sent::read(p)?,
        None => notify::Sent::default(),
    };
    let alerts: Vec<Alert> = run
        .alerts
        .iter()
        .filter(|j| j.alert.severity >= min)
        .map(|j| j.alert.clone())
        .collect();
    let due: Vec<Alert> = sent.due(&alerts, today).into_iter().cloned().collect();
    if due.is_empty() {
        return Ok(Delivery::NothingNew);
    }
    let shown: Vec<Alert> = match pseudonyms {
        None => due.clone(),
        Some(p) => due
            .iter()
            .map(|a| Alert {
                key: p.text(&a.key),
                message: p.text(&a.message),
                ..a.clone()
            })
            .collect(),
    };
    let body = notify::message(
        &shown,
        &format!("allot: spend alerts for the days to {}", run.last),
    );
    let runtime = crate::error::runtime(false)?;
    runtime
        .block_on(notify::post(url, &body, retry))
        .map_err(|e| AppError::Notify(e.to_string()))?;
    if let Some(p) = state {
        let refs: Vec<&Alert> = due.iter().collect();
        sent.record(&refs, today);
        sent.write(p).map_err(|e| AppError::Notify(e.to_string()))?;
    }
    Ok(Delivery::Sent(due.len()))
}

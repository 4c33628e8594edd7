//! The alert rules, each a pure function of exact daily series: sustained increases and spikes
//! against weekday-aware, robust baselines; new heavy spenders; jumps into the long context
//! window; shifts to the largest model. Thresholds have documented defaults a TOML file can
//! change (unknown keys are errors). All money arithmetic is in integer nano-dollars.

use std::collections::BTreeMap;

use allot_core::money::{div_round_half_away, format_cents};
use allot_core::results::{Alert, Severity};
use allot_core::shared::parse_cents;
use allot_core::Nanos;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;

/// Dollars as written in the rules file (`"100"`, `"250.50"`), in cents.
fn cents(text: &str, what: &str) -> Result<i64, String> {
    parse_cents(text).map_err(|e| format!("{what}: {e}"))
}

/// The windows every rule compares: the recent days against the days before them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Windows {
    /// Days looked at, ending yesterday (as of the run).
    pub recent_days: u32,
    /// Days before them that say what is usual.
    pub baseline_days: u32,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows {
            recent_days: 14,
            baseline_days: 28,
        }
    }
}

/// `sustained_increase`: a level's recent spend above what its baseline says those weekdays
/// usually cost, by a share and by dollars.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sustained {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Percent above the usual that counts.
    pub min_change_pct: i64,
    /// Dollars above the usual over the window that count (noise of small teams stays quiet).
    pub min_amount_usd: String,
    /// Percent above the usual that is critical (with five times the dollars).
    pub critical_change_pct: i64,
    /// Standard deviations of the series' own day-to-day noise (what its baseline days vary
    /// by around their weekday's average) the rise must exceed: noise alone does not page.
    pub min_z: i64,
}

impl Default for Sustained {
    fn default() -> Sustained {
        Sustained {
            enabled: true,
            min_change_pct: 25,
            min_amount_usd: "200".into(),
            critical_change_pct: 100,
            min_z: 5,
        }
    }
}

/// `spike`: one day far above the robust baseline (median and MAD of the baseline's days of
/// the same kind: weekdays or weekend days).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spike {
    /// Whether the rule runs.
    pub enabled: bool,
    /// How many robust standard deviations (1.4826 x MAD) above the median.
    pub threshold: i64,
    /// Dollars above the median that count.
    pub min_amount_usd: String,
    /// The last days of the recent window looked at.
    pub days: u32,
}

impl Default for Spike {
    fn default() -> Spike {
        Spike {
            enabled: true,
            threshold: 6,
            min_amount_usd: "100".into(),
            days: 7,
        }
    }
}

/// `new_spender`: a person with no spend in the baseline who is now among the heaviest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewSpender {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Among the top this many spenders of the recent window.
    pub top: usize,
    /// And at least this many dollars in it.
    pub min_amount_usd: String,
}

impl Default for NewSpender {
    fn default() -> NewSpender {
        NewSpender {
            enabled: true,
            top: 10,
            min_amount_usd: "100".into(),
        }
    }
}

/// `long_context` and `model_shift`: a share that jumped against its own baseline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shift {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Percentage points the share must rise by.
    pub min_jump_pct: i64,
    /// Dollars the rise of the share added over the recent window (its cost now, less what
    /// it would have cost at the baseline share); default $50 for `long_context`, $100 for
    /// `model_shift` (a team's model mix moves more by chance than one person's context window).
    pub min_amount_usd: Option<String>,
}

impl Default for Shift {
    fn default() -> Shift {
        Shift {
            enabled: true,
            min_jump_pct: 20,
            min_amount_usd: None,
        }
    }
}

impl Shift {
    /// The dollars that count for `rule`.
    fn min_amount(&self, rule: &str) -> &str {
        self.min_amount_usd
            .as_deref()
            .unwrap_or(if rule == "long_context" { "50" } else { "100" })
    }
}

/// `budget`: month-to-date plus forecast against the month's budget.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetRule {
    /// Whether the rule runs (it needs a budgets file).
    pub enabled: bool,
    /// A forecast at this percent of the budget is worth an info alert.
    pub info_pct: i64,
}

impl Default for BudgetRule {
    fn default() -> BudgetRule {
        BudgetRule {
            enabled: true,
            info_pct: 90,
        }
    }
}

/// Every rule's settings: the defaults, or a `--rules` TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// The windows compared.
    pub windows: Windows,
    /// `sustained_increase`.
    pub sustained_increase: Sustained,
    /// `spike`.
    pub spike: Spike,
    /// `new_spender`.
    pub new_spender: NewSpender,
    /// `long_context`.
    pub long_context: Shift,
    /// `model_shift`.
    pub model_shift: Shift,
    /// `budget`.
    pub budget: BudgetRule,
}

impl Rules {
    /// Reads a rules file: every key optional, unknown keys and bad values errors.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let rules: Rules = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        rules.check()?;
        Ok(rules)
    }

    /// Checks the values make sense.
    pub fn check(&self) -> Result<(), String> {
        let w = &self.windows;
        if w.recent_days == 0 || w.baseline_days == 0 || w.recent_days > 92 || w.baseline_days > 366
        {
            return Err("windows: recent_days must be 1-92 and baseline_days 1-366".into());
        }
        if w.baseline_days < 7 {
            return Err("windows: baseline_days must cover a week (at least 7) so every weekday has a baseline".into());
        }
        cents(
            &self.sustained_increase.min_amount_usd,
            "sustained_increase.min_amount_usd",
        )?;
        cents(&self.spike.min_amount_usd, "spike.min_amount_usd")?;
        cents(
            &self.new_spender.min_amount_usd,
            "new_spender.min_amount_usd",
        )?;
        cents(
            self.long_context.min_amount("long_context"),
            "long_context.min_amount_usd",
        )?;
        cents(
            self.model_shift.min_amount("model_shift"),
            "model_shift.min_amount_usd",
        )?;
        if self.spike.threshold < 1 || self.spike.days == 0 || self.spike.days > w.recent_days {
            return Err(
                "spike: threshold must be at least 1 and days between 1 and windows.recent_days"
                    .into(),
            );
        }
        if self.sustained_increase.min_change_pct < 1
            || self.new_spender.top == 0
            || self.sustained_increase.min_z < 0
        {
            return Err("sustained_increase.min_change_pct and new_spender.top must be at least 1, min_z at least 0".into());
        }
        Ok(())
    }

    /// The recent window and the baseline window of a run whose last complete day is `last`.
    pub fn windows_ending(
        &self,
        last: NaiveDate,
    ) -> ((NaiveDate, NaiveDate), (NaiveDate, NaiveDate)) {
        let recent_from = last - Duration::days(i64::from(self.windows.recent_days) - 1);
        let base_to = recent_from - Duration::days(1);
        let base_from = base_to - Duration::days(i64::from(self.windows.baseline_days) - 1);
        ((recent_from, last), (base_from, base_to))
    }
}

/// A daily series as a map, days without cost absent (they count as zero).
pub type Daily = BTreeMap<NaiveDate, Nanos>;

fn sum(d: &Daily, from: NaiveDate, to: NaiveDate) -> Nanos {
    d.range(from..=to).map(|(_, v)| *v).sum()
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// What the baseline says the recent window should cost: each recent day at the baseline's
/// average for its weekday (so a window with more weekdays is not mistaken for growth).
pub fn expected(d: &Daily, recent: (NaiveDate, NaiveDate), base: (NaiveDate, NaiveDate)) -> Nanos {
    let mut by_weekday = [(0i128, 0i128); 7];
    for day in days(base.0, base.1) {
        let weekday = &mut by_weekday[day.weekday().num_days_from_monday() as usize];
        weekday.0 += d.get(&day).map_or(0, |v| v.0);
        weekday.1 += 1;
    }
    Nanos(
        days(recent.0, recent.1)
            .map(|day| {
                let (s, n) = by_weekday[day.weekday().num_days_from_monday() as usize];
                if n == 0 {
                    0
                } else {
                    div_round_half_away(s, n)
                }
            })
            .sum(),
    )
}

/// Whether `above` exceeds `z` standard deviations of the noise of a sum over the recent
/// window's days: the noise is what the baseline's days vary by around their weekday's
/// average. Compared squared, in integers.
fn significant(
    d: &Daily,
    recent: (NaiveDate, NaiveDate),
    base: (NaiveDate, NaiveDate),
    above: Nanos,
    z: i64,
) -> bool {
    let mut by_weekday = [(0i128, 0i128); 7];
    let base_days: Vec<NaiveDate> = days(base.0, base.1).collect();
    for day in &base_days {
        let weekday = &mut by_weekday[day.weekday().num_days_from_monday() as usize];
        weekday.0 += d.get(day).map_or(0, |v| v.0);
        weekday.1 += 1;
    }
    let n_base = base_days.len() as i128;
    let groups = by_weekday.iter().filter(|g| g.1 > 0).count() as i128;
    if n_base <= groups {
        return true;
    }
    // Sum of squared residuals, in nano-dollars squared.
    let ss: i128 = base_days
        .iter()
        .map(|day| {
            let (s, n) = by_weekday[day.weekday().num_days_from_monday() as usize];
            let residual = d.get(day).map_or(0, |v| v.0) - div_round_half_away(s, n);
            residual * residual
        })
        .sum();
    let n_recent = i128::from((recent.1 - recent.0).num_days()) + 1;
    // Variance of the window's sum against its expectation: each recent day's noise, plus the
    // uncertainty of the weekday averages it is compared with (about n_recent / (n_base/7)).
    // var_sum = var_day * (n_recent + n_recent^2 * 7 / n_base), var_day = ss / (n_base - groups).
    let var_num = ss * (n_recent * n_base + n_recent * n_recent * 7);
    let var_den = (n_base - groups) * n_base;
    // above^2 >= z^2 * var_num / var_den; the left side may be large: compare by dividing.
    let above_cents = above.0;
    if above_cents <= 0 {
        return false;
    }
    let z2 = i128::from(z) * i128::from(z);
    // a^2 * var_den >= z2 * var_num, computed without overflow by checked arithmetic.
    match (
        above_cents
            .checked_mul(above_cents)
            .and_then(|x| x.checked_mul(var_den)),
        z2.checked_mul(var_num),
    ) {
        (Some(l), Some(r)) => l >= r,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// `part / whole` in hundredths of a percent, when the whole is not zero.
pub fn bp(part: i128, whole: i128) -> Option<i64> {
    (whole != 0).then(|| div_round_half_away(part * 10_000, whole.abs()) as i64)
}

/// A dollar amount as a manager reads it: `$1,234.56`.
pub fn dollars(n: Nanos) -> String {
    let plain = format_cents(n.round_cents());
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (whole, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut growth = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            growth.push(',');
        }
        growth.push(c);
    }
    format!("{sign}${growth}.{frac}")
}

fn pct_text(bp: i64) -> String {
    format!("{}%", div_round_half_away(i128::from(bp), 100))
}

/// A series labelled for messages: `(level, key, label)`.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `org`, `cost_center`, a column's name, or `person`.
    pub level: String,
    /// Its key.
    pub key: String,
    /// How a message names it (e.g. `CC-1020 (Payments)`).
    pub label: String,
}

/// `sustained_increase` for one series.
pub fn sustained(rules: &Rules, s: &Subject, d: &Daily, last: NaiveDate) -> Option<Alert> {
    let config = &rules.sustained_increase;
    if !config.enabled {
        return None;
    }
    let (recent, base) = rules.windows_ending(last);
    let current = sum(d, recent.0, recent.1);
    let usual = expected(d, recent, base);
    let above = current - usual;
    let min = Nanos::from_cents(cents(&config.min_amount_usd, "").ok()?);
    let change = bp(above.0, usual.0);
    if above < min
        || change.is_some_and(|c| c < config.min_change_pct * 100)
        || !significant(d, recent, base, above, config.min_z)
    {
        return None;
    }
    let critical =
        change.is_none_or(|c| c >= config.critical_change_pct * 100) && above.0 >= 5 * min.0;
    Some(Alert {
        rule: "sustained_increase".into(),
        level: s.level.clone(),
        key: s.key.clone(),
        window_start: recent.0,
        window_end: recent.1,
        baseline: usual,
        current,
        change_bp: change,
        amount: above,
        severity: if critical {
            Severity::Critical
        } else {
            Severity::Warning
        },
        message: match change {
            Some(c) => format!(
                "{} spent {} in the {} days to {}, {} more than the usual {} for those weekdays.",
                s.label,
                dollars(current),
                rules.windows.recent_days,
                recent.1,
                pct_text(c),
                dollars(usual)
            ),
            None => format!(
                "{} spent {} in the {} days to {}, with nothing in the {} days before.",
                s.label,
                dollars(current),
                rules.windows.recent_days,
                recent.1,
                rules.windows.baseline_days
            ),
        },
    })
}

/// Median and MAD of values (nano-dollars), exact (halves rounded away from zero).
fn median_mad(values: &mut [i128]) -> (i128, i128) {
    fn median(v: &mut [i128]) -> i128 {
        v.sort_unstable();
        let len = v.len();
        if len == 0 {
            0
        } else if len % 2 == 1 {
            v[len / 2]
        } else {
            div_round_half_away(v[len / 2 - 1] + v[len / 2], 2)
        }
    }
    let middle = median(values);
    let mut dev: Vec<i128> = values.iter().map(|v| (v - middle).abs()).collect();
    (middle, median(&mut dev))
}

fn weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `spike` for one series: the largest day of the last `days` far above the baseline days of
/// the same kind (weekdays, or weekend days): at least `threshold` robust deviations (1.4826
/// x MAD) above their median, above the highest of them, and by `min_amount_usd`.
pub fn spike(rules: &Rules, s: &Subject, d: &Daily, last: NaiveDate) -> Option<Alert> {
    let config = &rules.spike;
    if !config.enabled {
        return None;
    }
    let (_, base) = rules.windows_ending(last);
    let min = Nanos::from_cents(cents(&config.min_amount_usd, "").ok()?);
    let from = last - Duration::days(i64::from(config.days) - 1);
    let mut best: Option<Alert> = None;
    for day in days(from, last) {
        let day_cents = d.get(&day).map_or(0, |v| v.0);
        let mut same: Vec<i128> = days(base.0, base.1)
            .filter(|b| weekend(*b) == weekend(day))
            .map(|b| d.get(&b).map_or(0, |v| v.0))
            .collect();
        if same.len() < 3 {
            continue;
        }
        let highest = same.iter().copied().max().unwrap_or(0);
        let (median, mad) = median_mad(&mut same);
        // A handful of baseline days can have almost no spread by chance: count at least a
        // tenth of their level (and a cent) as one deviation, so at the default threshold a
        // spike is at least about 90% above the usual, or more where the baseline varies more.
        let mad = mad
            .max(median.abs() / 10)
            .max(i128::from(allot_core::money::NANOS_PER_CENT));
        let above = day_cents - median;
        // above >= threshold * 1.4826 * MAD, in integers.
        if above < min.0
            || day_cents <= highest
            || above * 10_000 < i128::from(config.threshold) * 14_826 * mad
        {
            continue;
        }
        let z_x100 = div_round_half_away(above * 1_000_000, 14_826 * mad);
        let critical = z_x100 >= i128::from(config.threshold) * 200 && above >= 5 * min.0;
        let alert = Alert {
            rule: "spike".into(),
            level: s.level.clone(),
            key: s.key.clone(),
            window_start: day,
            window_end: day,
            baseline: Nanos(median),
            current: Nanos(day_cents),
            change_bp: bp(above, median),
            amount: Nanos(above),
            severity: if critical {
                Severity::Critical
            } else {
                Severity::Warning
            },
            message: format!(
                "{} spent {} on {} ({}), far above its usual {} for a {}.",
                s.label,
                dollars(Nanos(day_cents)),
                day,
                day.weekday(),
                dollars(Nanos(median)),
                if weekend(day) {
                    "weekend day"
                } else {
                    "weekday"
                }
            ),
        };
        if best.as_ref().is_none_or(|b| alert.amount > b.amount) {
            best = Some(alert);
        }
    }
    best
}

/// `new_spender`: people with no spend in the baseline who are among the top spenders of the
/// recent window.
pub fn new_spenders(
    rules: &Rules,
    people: &BTreeMap<String, Daily>,
    last: NaiveDate,
) -> Vec<Alert> {
    let config = &rules.new_spender;
    if !config.enabled {
        return Vec::new();
    }
    let (recent, base) = rules.windows_ending(last);
    let Ok(min) = cents(&config.min_amount_usd, "") else {
        return Vec::new();
    };
    let mut ranked: Vec<(&String, Nanos)> = people
        .iter()
        .map(|(e, d)| (e, sum(d, recent.0, recent.1)))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut out = Vec::new();
    for (rank, (email, spent)) in ranked.iter().take(config.top).enumerate() {
        let person_days = &people[*email];
        if sum(person_days, base.0, base.1) != Nanos::ZERO || spent.0 < Nanos::from_cents(min).0 {
            continue;
        }
        out.push(Alert {
            rule: "new_spender".into(),
            // An API key, service account or cloud principal that starts spending is said as such.
            level: allot_core::identity::kind(email).as_str().into(),
            key: (*email).clone(),
            window_start: recent.0,
            window_end: recent.1,
            baseline: Nanos::ZERO,
            current: *spent,
            change_bp: None,
            amount: *spent,
            severity: if spent.0 >= 5 * Nanos::from_cents(min).0 {
                Severity::Warning
            } else {
                Severity::Info
            },
            message: format!(
                "{email} had no Claude spend in the {} days before and is now the #{} spender of the last {} days, with {}.",
                rules.windows.baseline_days,
                rank + 1,
                rules.windows.recent_days,
                dollars(*spent)
            ),
        });
    }
    out
}

/// A share's two windows: (part, whole) in the baseline and in the recent window, in the
/// units the share is of (tokens or nano-dollars), and the recent part's cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shares {
    /// Part and whole in the baseline window.
    pub baseline: (i128, i128),
    /// Part and whole in the recent window.
    pub recent: (i128, i128),
    /// The recent part's cost.
    pub recent_cost: Nanos,
}

/// `long_context` (a person's token share in the 200K-1M window) or `model_shift` (a team's
/// spend share on the largest model): a share that rose by a number of points.
pub fn share_jump(
    rules: &Rules,
    rule: &str,
    s: &Subject,
    what: &str,
    sh: Shares,
    last: NaiveDate,
) -> Option<Alert> {
    let config = if rule == "long_context" {
        &rules.long_context
    } else {
        &rules.model_shift
    };
    if !config.enabled || sh.baseline.1 == 0 || sh.recent.1 == 0 {
        return None;
    }
    let (recent, _) = rules.windows_ending(last);
    let before = bp(sh.baseline.0, sh.baseline.1)?;
    let now = bp(sh.recent.0, sh.recent.1)?;
    let jump = now - before;
    let min = Nanos::from_cents(cents(config.min_amount(rule), "").ok()?);
    // The cost the share would have had at its baseline level, and the dollars at stake: what
    // the rise of the share added.
    let usual = Nanos(if now == 0 {
        0
    } else {
        div_round_half_away(sh.recent_cost.0 * i128::from(before), i128::from(now))
    });
    let amount = sh.recent_cost - usual;
    if jump < config.min_jump_pct * 100 || amount < min {
        return None;
    }
    let severity = match rule {
        "long_context" if amount.0 < 5 * min.0 => Severity::Info,
        _ => Severity::Warning,
    };
    Some(Alert {
        rule: rule.into(),
        level: s.level.clone(),
        key: s.key.clone(),
        window_start: recent.0,
        window_end: recent.1,
        baseline: usual,
        current: sh.recent_cost,
        change_bp: Some(jump),
        amount,
        severity,
        message: format!(
            "{} now has {} {what}, up from {}: {} in the last {} days.",
            s.label,
            pct_text(now),
            pct_text(before),
            dollars(sh.recent_cost),
            rules.windows.recent_days
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        allot_core::date::parse_date(s).unwrap()
    }

    fn usd(x: i64) -> Nanos {
        Nanos::from_cents(x * 100)
    }

    fn subject() -> Subject {
        Subject {
            level: "cost_center".into(),
            key: "CC-1".into(),
            label: "CC-1".into(),
        }
    }

    /// Weekdays at `weekday`, weekends at `weekend`, from `from` to `to`.
    fn weekly(from: &str, to: &str, weekday: i64, weekend_usd: i64) -> Daily {
        days(d(from), d(to))
            .map(|x| {
                (
                    x,
                    usd(if super::weekend(x) {
                        weekend_usd
                    } else {
                        weekday
                    }),
                )
            })
            .collect()
    }

    #[test]
    fn a_window_with_more_weekdays_is_not_growth() {
        let rules = Rules::default();
        // Weekday $100, weekend $0: any window of 14 days has 10 weekdays, baseline the same.
        let s = weekly("2026-08-01", "2026-09-30", 100, 0);
        assert!(sustained(&rules, &subject(), &s, d("2026-09-30")).is_none());
        let (recent, base) = rules.windows_ending(d("2026-09-30"));
        assert_eq!(expected(&s, recent, base), usd(1000));
    }

    #[test]
    fn a_doubling_fires_and_a_small_team_stays_quiet() {
        let rules = Rules::default();
        let mut s = weekly("2026-08-01", "2026-09-30", 100, 10);
        for (day, v) in &mut s {
            if *day >= d("2026-09-17") {
                *v = Nanos(v.0 * 2);
            }
        }
        let a = sustained(&rules, &subject(), &s, d("2026-09-30")).unwrap();
        assert_eq!(a.change_bp, Some(10_000));
        assert_eq!(a.amount, a.current - a.baseline);
        assert!(a.message.contains("100% more"), "{}", a.message);
        // The same doubling at $5 a day is $70: below the $200 that pages anyone.
        let small: Daily = s.iter().map(|(k, v)| (*k, Nanos(v.0 / 20))).collect();
        assert!(sustained(&rules, &subject(), &small, d("2026-09-30")).is_none());
    }

    #[test]
    fn one_huge_day_is_a_spike_judged_against_days_of_its_kind() {
        let rules = Rules::default();
        let mut s = weekly("2026-08-01", "2026-09-30", 100, 5);
        *s.get_mut(&d("2026-09-29")).unwrap() = usd(900);
        let a = spike(&rules, &subject(), &s, d("2026-09-30")).unwrap();
        assert_eq!(a.window_start, d("2026-09-29"));
        assert_eq!(a.baseline, usd(100));
        assert_eq!(a.amount, usd(800));
        // A weekday's usual cost on a Saturday is no spike when weekends are the quiet days.
        let mut w = weekly("2026-08-01", "2026-09-30", 100, 5);
        *w.get_mut(&d("2026-09-26")).unwrap() = usd(60);
        assert!(spike(&rules, &subject(), &w, d("2026-09-30")).is_none());
    }

    #[test]
    fn rules_files_reject_unknown_keys_and_bad_values() {
        assert!(Rules::parse("[spike]\nthreshold = 4\n").is_ok());
        let e = Rules::parse("[spike]\nthreshhold = 4\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        let e = Rules::parse("[sustained_increase]\nmin_amount_usd = \"lots\"\n").unwrap_err();
        assert!(e.contains("min_amount_usd"), "{e}");
        assert!(Rules::parse("[windows]\nbaseline_days = 3\n").is_err());
    }
}

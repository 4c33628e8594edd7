//! Why a line's cost changed between two periods, split exactly into drivers: who joined, left
//! or moved, the volume, model mix and rate of the people who stayed, the other spenders (API
//! keys, workspaces, service accounts, cloud principals), and the part of the change that is
//! only a running period's missing days.
//!
//! The method, in the order the effects are taken:
//! 1. **partial_period**: when the later period is still running, the earlier one is cut to
//!    the same days; the cut-off days are this driver (`before_cut - before_full`).
//! 2. Each spender on the line is then compared on like days, in the chargeback's own cents
//!    (`now - before_cut`, each a [`PeriodCents`] cell), so every driver adds up to the
//!    change the two chargebacks show, to the cent:
//!    - not a person: **other_spenders**;
//!    - a person with cost on the line on one side only: **joined** (no cost anywhere before),
//!      **left** (no cost anywhere now), else **moved_in** / **moved_out**;
//!    - a person on the line on both sides whose lines differ between them (a move during
//!      either period): **moved_in** when their cost here grew, else **moved_out**;
//!    - a person who stayed: their exact (nano-dollar) change split as a price-volume-mix
//!      variance over models: **volume** = the before cost scaled by the change in tokens
//!      (plus any change in costs that carry no tokens, such as web searches), **model_mix** = the now tokens at the
//!      before rate of each model, less that scaled cost, **rate** = the now cost less the now
//!      tokens at the before rates (a price change, or a long-context or cache share change
//!      within a model). A model new to the person is priced at its own now rate: what it
//!      costs beyond the tokens it replaced is mix, never rate. The three add up to the
//!      person's exact change; each is
//!      rounded to the cent and what rounding leaves is put on the largest, so they add up to
//!      the person's change in cents.
//!
//! Every driver of every line is a sum of whole-cent parts, and each spender's parts add up
//! to their own change: the drivers add up to each line's change and to the organisation's.

use std::collections::{BTreeMap, BTreeSet};

use allot_core::identity;
use allot_core::money::div_round_half_away;
use allot_core::money::NANOS_PER_CENT;
use allot_core::results::UsageRow;

use crate::cents::PeriodCents;

/// The organisation's row.
pub const TOTAL: &str = "TOTAL";

/// What drove part of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Driver {
    /// People with cost here now and none anywhere before.
    Joined,
    /// People with cost here before and none anywhere now.
    Left,
    /// People who came here from elsewhere (or whose cost here grew as they moved).
    MovedIn,
    /// People who went elsewhere (or whose cost here shrank as they moved).
    MovedOut,
    /// The same people and models, more or fewer tokens.
    Volume,
    /// The same tokens on dearer or cheaper models.
    ModelMix,
    /// The cost per token of the same model changed.
    Rate,
    /// API keys, workspaces, service accounts, cloud principals and accounts.
    OtherSpenders,
    /// The days the earlier period has and the running one has not had yet.
    PartialPeriod,
}

impl Driver {
    /// Every driver, in the order reports show them.
    pub const ALL: [Driver; 9] = [
        Driver::Joined,
        Driver::Left,
        Driver::MovedIn,
        Driver::MovedOut,
        Driver::Volume,
        Driver::ModelMix,
        Driver::Rate,
        Driver::OtherSpenders,
        Driver::PartialPeriod,
    ];

    /// The driver's name in `explain.csv` (a contract scripts read).
    pub fn name(self) -> &'static str {
        match self {
            Driver::Joined => "joined",
            Driver::Left => "left",
            Driver::MovedIn => "moved_in",
            Driver::MovedOut => "moved_out",
            Driver::Volume => "volume",
            Driver::ModelMix => "model_mix",
            Driver::Rate => "rate",
            Driver::OtherSpenders => "other_spenders",
            Driver::PartialPeriod => "partial_period",
        }
    }
}

/// One spender's part of a driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// The person's email or the spender's identity (`api_key:…`).
    pub who: String,
    /// Signed cents.
    pub cents: i64,
}

/// One driver of one line's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverFigure {
    /// Which driver.
    pub driver: Driver,
    /// Signed cents: the sum of the contributions.
    pub cents: i64,
    /// Who made it up, largest first (by size, either sign); empty for partial_period.
    pub contributors: Vec<Contribution>,
}

/// A line's change and its drivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    /// The line (cost center or level value), or `TOTAL`.
    pub key: String,
    /// The line's cents in the earlier period (whole).
    pub before_cents: i64,
    /// The line's cents in the later period.
    pub now_cents: i64,
    /// Every driver, in [`Driver::ALL`]'s order; they add up to `now_cents - before_cents`.
    pub drivers: Vec<DriverFigure>,
}

impl LineChange {
    /// The change the drivers explain.
    pub fn change_cents(&self) -> i64 {
        self.now_cents - self.before_cents
    }

    /// The change on like days: the change less the cut-off days of a running period (what a
    /// month over month on the same days shows).
    pub fn like_change_cents(&self) -> i64 {
        self.change_cents()
            - self
                .drivers
                .iter()
                .filter(|d| d.driver == Driver::PartialPeriod)
                .map(|d| d.cents)
                .sum::<i64>()
    }

    /// The drivers that moved the line, largest first (by size, either sign); on `like_days`
    /// without the cut-off days of a running period.
    pub fn moved(&self, like_days: bool) -> Vec<&DriverFigure> {
        let mut moved: Vec<&DriverFigure> = self
            .drivers
            .iter()
            .filter(|d| d.cents != 0 && !(like_days && d.driver == Driver::PartialPeriod))
            .collect();
        moved.sort_by_key(|d| (std::cmp::Reverse(d.cents.unsigned_abs()), d.driver));
        moved
    }

    /// The driver with the largest effect, when there is a change at all.
    pub fn largest(&self) -> Option<&DriverFigure> {
        self.moved(false).first().copied()
    }
}

/// Every line's change between two periods, and the organisation's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Each line with cost on either side, by key.
    pub lines: Vec<LineChange>,
    /// The organisation: each driver summed over the lines.
    pub total: LineChange,
}

/// The two periods compared: the earlier one whole and cut to the later one's days, the later
/// one, and what each spender used on each line (for the volume, mix and rate split).
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    /// The earlier period, whole.
    pub before_full: &'a PeriodCents,
    /// The earlier period cut to the later one's days (the same as `before_full` when the later
    /// period is over).
    pub before: &'a PeriodCents,
    /// The later period.
    pub now: &'a PeriodCents,
    /// Usage of the earlier period, cut as `before` is.
    pub before_usage: &'a [UsageRow],
    /// Usage of the later period.
    pub now_usage: &'a [UsageRow],
}

/// A spender's cost and tokens on one line, by model.
type ByModel = BTreeMap<String, (i128, i128)>;

/// Sums usage rows by (line, spender) and model: (cost nanos, tokens). Costs that carry no
/// tokens (web searches and other costs with no token type, whose count is not tokens) are
/// kept apart under the empty model with no tokens: they never set a model's rate.
fn by_model(rows: &[UsageRow]) -> BTreeMap<(&str, &str), ByModel> {
    let mut out: BTreeMap<(&str, &str), ByModel> = BTreeMap::new();
    for row in rows {
        let tokens = !row.token_type.is_empty();
        let cell = out
            .entry((row.key.as_str(), row.email.as_str()))
            .or_default()
            .entry(if tokens {
                row.model.clone()
            } else {
                String::new()
            })
            .or_default();
        cell.0 += row.cost.0;
        if tokens {
            cell.1 += i128::from(row.tokens);
        }
    }
    out
}

/// A person's exact change split into (volume, model mix, rate), in nanos; the three add up to
/// the change of their summed cost.
fn price_volume_mix(before: &ByModel, now: &ByModel) -> [i128; 3] {
    let split = |side: &ByModel| {
        let mut tokens = 0i128;
        let mut token_cost = 0i128;
        let mut other_cost = 0i128;
        for (cost, used) in side.values() {
            if *used > 0 {
                tokens += used;
                token_cost += cost;
            } else {
                other_cost += cost;
            }
        }
        (tokens, token_cost, other_cost)
    };
    let (tokens_before, cost_before, other_before) = split(before);
    let (tokens_now, cost_now, other_now) = split(now);
    if tokens_before == 0 || tokens_now == 0 {
        return [cost_now + other_now - cost_before - other_before, 0, 0];
    }
    let scaled = div_round_half_away(cost_before * tokens_now, tokens_before);
    // The now tokens of each model at its before rate.
    let at_before_rates: i128 = now
        .iter()
        .filter(|(_, (_, used))| *used > 0)
        .map(|(model, (cost, used))| {
            let (rate_cost, rate_tokens) = match before.get(model) {
                Some((c, t)) if *t > 0 => (*c, *t),
                _ => (*cost, *used),
            };
            div_round_half_away(used * rate_cost, rate_tokens)
        })
        .sum();
    [
        scaled - cost_before + other_now - other_before,
        at_before_rates - scaled,
        cost_now - at_before_rates,
    ]
}

/// Splits a change of `cents` over parts known exactly in nanos: each rounded to the cent,
/// what rounding leaves put on the largest part.
fn to_cents(cents: i64, nanos: [i128; 3]) -> [i64; 3] {
    let cent = i128::from(NANOS_PER_CENT);
    let mut out = nanos.map(|n| i64::try_from(div_round_half_away(n, cent)).unwrap_or(0));
    let left = cents - out.iter().sum::<i64>();
    let largest = (0..3)
        .max_by_key(|i| (nanos[*i].unsigned_abs(), std::cmp::Reverse(*i)))
        .unwrap_or(0);
    out[largest] += left;
    out
}

/// The lines each spender has cost on in a period.
fn lines_of(cents: &PeriodCents) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for ((key, who), amount) in &cents.cells {
        if *amount != 0 {
            out.entry(who.as_str()).or_default().insert(key.as_str());
        }
    }
    out
}

/// Explains every line's change between the two sides.
pub fn explain(sides: &Sides<'_>) -> Explanation {
    let before_usage = by_model(sides.before_usage);
    let now_usage = by_model(sides.now_usage);
    let lines_before = lines_of(sides.before);
    let lines_now = lines_of(sides.now);
    let keys: BTreeSet<&str> = sides
        .before_full
        .lines
        .keys()
        .chain(sides.now.lines.keys())
        .chain(sides.before.lines.keys())
        .map(String::as_str)
        .collect();
    let mut parts: BTreeMap<(&str, Driver), BTreeMap<&str, i64>> = BTreeMap::new();
    let mut spenders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, who) in sides.before.cells.keys().chain(sides.now.cells.keys()) {
        spenders
            .entry(key.as_str())
            .or_default()
            .insert(who.as_str());
    }
    let empty = ByModel::new();
    for (key, whos) in &spenders {
        for who in whos {
            let before = sides.before.cell(key, who);
            let now = sides.now.cell(key, who);
            let mut put = |driver: Driver, cents: i64| {
                if cents != 0 {
                    *parts
                        .entry((key, driver))
                        .or_default()
                        .entry(who)
                        .or_default() += cents;
                }
            };
            if !identity::is_person(who) {
                put(Driver::OtherSpenders, now - before);
                continue;
            }
            let anywhere_before = sides.before.person(who).unwrap_or(0) != 0;
            let anywhere_now = sides.now.person(who).unwrap_or(0) != 0;
            match (before != 0, now != 0) {
                (false, false) => {}
                (false, true) if anywhere_before => put(Driver::MovedIn, now),
                (false, true) => put(Driver::Joined, now),
                (true, false) if anywhere_now => put(Driver::MovedOut, -before),
                (true, false) => put(Driver::Left, -before),
                (true, true) => {
                    if lines_before.get(who) == lines_now.get(who) {
                        let nanos = price_volume_mix(
                            before_usage.get(&(*key, *who)).unwrap_or(&empty),
                            now_usage.get(&(*key, *who)).unwrap_or(&empty),
                        );
                        let [volume, mix, rate] = to_cents(now - before, nanos);
                        put(Driver::Volume, volume);
                        put(Driver::ModelMix, mix);
                        put(Driver::Rate, rate);
                    } else {
                        let driver = if now >= before {
                            Driver::MovedIn
                        } else {
                            Driver::MovedOut
                        };
                        put(driver, now - before);
                    }
                }
            }
        }
    }
    let line = |key: &str| -> LineChange {
        let drivers = Driver::ALL
            .iter()
            .map(|driver| {
                if *driver == Driver::PartialPeriod {
                    return DriverFigure {
                        driver: *driver,
                        cents: sides.before.line(key) - sides.before_full.line(key),
                        contributors: Vec::new(),
                    };
                }
                let contributors = parts
                    .get(&(key, *driver))
                    .map(|by_who| ranked(by_who.iter().map(|(who, c)| (*who, *c))))
                    .unwrap_or_default();
                DriverFigure {
                    driver: *driver,
                    cents: contributors.iter().map(|c| c.cents).sum(),
                    contributors,
                }
            })
            .collect();
        LineChange {
            key: key.to_string(),
            before_cents: sides.before_full.line(key),
            now_cents: sides.now.line(key),
            drivers,
        }
    };
    let lines: Vec<LineChange> = keys.iter().map(|key| line(key)).collect();
    let total = LineChange {
        key: TOTAL.to_string(),
        before_cents: sides.before_full.total,
        now_cents: sides.now.total,
        drivers: Driver::ALL
            .iter()
            .enumerate()
            .map(|(i, driver)| {
                let mut by_who: BTreeMap<&str, i64> = BTreeMap::new();
                for line in &lines {
                    for part in &line.drivers[i].contributors {
                        *by_who.entry(part.who.as_str()).or_default() += part.cents;
                    }
                }
                DriverFigure {
                    driver: *driver,
                    cents: lines.iter().map(|l| l.drivers[i].cents).sum(),
                    contributors: ranked(by_who.into_iter()),
                }
            })
            .collect(),
    };
    Explanation { lines, total }
}

/// Contributions largest first (by size, either sign), then by name; zeros left out.
fn ranked<'a>(parts: impl Iterator<Item = (&'a str, i64)>) -> Vec<Contribution> {
    let mut out: Vec<Contribution> = parts
        .filter(|(_, cents)| *cents != 0)
        .map(|(who, cents)| Contribution {
            who: who.to_string(),
            cents,
        })
        .collect();
    out.sort_by(|a, b| {
        b.cents
            .unsigned_abs()
            .cmp(&a.cents.unsigned_abs())
            .then_with(|| a.who.cmp(&b.who))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::Nanos;
    use proptest::prelude::*;

    /// Cents of one period from (line, spender, cents) cells.
    fn cents(cells: &[(&str, &str, i64)]) -> PeriodCents {
        let mut out = PeriodCents::default();
        for (key, who, amount) in cells {
            *out.cells
                .entry(((*key).to_string(), (*who).to_string()))
                .or_default() += amount;
            *out.lines.entry((*key).to_string()).or_default() += amount;
            *out.persons.entry((*who).to_string()).or_default() += amount;
            out.total += amount;
        }
        out
    }

    fn usage(key: &str, who: &str, model: &str, tokens: i64, cents: i64) -> UsageRow {
        UsageRow {
            email: who.into(),
            key: key.into(),
            model: model.into(),
            tokens,
            product: "claude_code".into(),
            context_window: String::new(),
            token_type: "input".into(),
            cost: Nanos::from_cents(cents),
        }
    }

    /// The change of two whole periods (no running month).
    fn whole(
        before: &PeriodCents,
        now: &PeriodCents,
        before_usage: &[UsageRow],
        now_usage: &[UsageRow],
    ) -> Explanation {
        explain(&Sides {
            before_full: before,
            before,
            now,
            before_usage,
            now_usage,
        })
    }

    fn driver(line: &LineChange, driver: Driver) -> i64 {
        line.drivers
            .iter()
            .find(|d| d.driver == driver)
            .map_or(0, |d| d.cents)
    }

    /// A team whose person doubled their tokens on the same model, a joiner, a leaver, a mover
    /// and an API key: each lands on its driver, and the drivers add up to the change.
    #[test]
    fn each_kind_of_change_lands_on_its_driver() {
        let before = cents(&[
            ("Mobile", "ann@x.com", 10_000),
            ("Mobile", "lea@x.com", 5_000),
            ("Web", "mo@x.com", 3_000),
            ("Web", "api_key:k1", 1_000),
        ]);
        let now = cents(&[
            ("Mobile", "ann@x.com", 20_000),
            ("Mobile", "joe@x.com", 4_000),
            ("Mobile", "mo@x.com", 2_500),
            ("Web", "api_key:k1", 1_500),
        ]);
        let before_usage = [usage("Mobile", "ann@x.com", "opus", 1_000, 10_000)];
        let now_usage = [usage("Mobile", "ann@x.com", "opus", 2_000, 20_000)];
        let explained = whole(&before, &now, &before_usage, &now_usage);
        let mobile = &explained.lines[0];
        assert_eq!(mobile.key, "Mobile");
        assert_eq!(driver(mobile, Driver::Volume), 10_000);
        assert_eq!(driver(mobile, Driver::Joined), 4_000);
        assert_eq!(driver(mobile, Driver::Left), -5_000);
        assert_eq!(driver(mobile, Driver::MovedIn), 2_500);
        let web = &explained.lines[1];
        assert_eq!(driver(web, Driver::MovedOut), -3_000);
        assert_eq!(driver(web, Driver::OtherSpenders), 500);
        assert_eq!(mobile.largest().map(|d| d.driver), Some(Driver::Volume));
        for line in explained.lines.iter().chain([&explained.total]) {
            assert_eq!(
                line.drivers.iter().map(|d| d.cents).sum::<i64>(),
                line.change_cents()
            );
        }
    }

    /// The same tokens moved from a cheap model to a dear one is mix; the same model at a new
    /// price is rate.
    #[test]
    fn mix_and_rate_are_told_apart() {
        let before = cents(&[("A", "ann@x.com", 1_100), ("A", "bo@x.com", 1_000)]);
        let now = cents(&[("A", "ann@x.com", 2_000), ("A", "bo@x.com", 1_200)]);
        let before_usage = [
            usage("A", "ann@x.com", "haiku", 1_000, 100),
            usage("A", "ann@x.com", "opus", 100, 1_000),
            usage("A", "bo@x.com", "opus", 100, 1_000),
        ];
        let now_usage = [
            usage("A", "ann@x.com", "haiku", 900, 90),
            usage("A", "ann@x.com", "opus", 200, 1_910),
            usage("A", "bo@x.com", "opus", 100, 1_200),
        ];
        let explained = whole(&before, &now, &before_usage, &now_usage);
        let line = &explained.lines[0];
        let ann = |d: Driver| {
            line.drivers
                .iter()
                .find(|f| f.driver == d)
                .and_then(|f| f.contributors.iter().find(|c| c.who == "ann@x.com"))
                .map_or(0, |c| c.cents)
        };
        // Ann: the same 1,100 tokens, 100 of them moved from haiku to opus: at the before
        // rates her now tokens cost 90 + 2,000 = 2,090 against 1,100 (mix +990); she paid
        // 2,000 (rate -90).
        assert_eq!(
            (
                ann(Driver::Volume),
                ann(Driver::ModelMix),
                ann(Driver::Rate)
            ),
            (0, 990, -90)
        );
        assert_eq!(driver(line, Driver::Rate), -90 + 200);
        assert_eq!(line.drivers.iter().map(|d| d.cents).sum::<i64>(), 1_100);
    }

    /// A cost with no token type (a web search, counted in searches) never sets a model's
    /// rate: a person whose only before cost on a model was searches is new to its tokens.
    #[test]
    fn a_web_search_never_sets_a_models_rate() {
        let before = cents(&[("A", "ann@x.com", 1_050)]);
        let now = cents(&[("A", "ann@x.com", 1_100)]);
        let mut search = usage("A", "ann@x.com", "sonnet", 40, 50);
        search.token_type = String::new();
        let before_usage = [usage("A", "ann@x.com", "opus", 1_000, 1_000), search];
        let now_usage = [
            usage("A", "ann@x.com", "opus", 900, 900),
            usage("A", "ann@x.com", "sonnet", 100_000, 200),
        ];
        let explained = whole(&before, &now, &before_usage, &now_usage);
        let line = &explained.lines[0];
        // Sonnet's tokens are priced at their own now rate: no rate effect from a search. The
        // tokens grew a hundredfold (volume at the before average rate, less the search),
        // on a model far cheaper than the before mix (model mix takes that back).
        assert_eq!(driver(line, Driver::Rate), 0);
        assert_eq!(driver(line, Driver::Volume), 99_850);
        assert_eq!(driver(line, Driver::ModelMix), -99_800);
        assert_eq!(line.drivers.iter().map(|d| d.cents).sum::<i64>(), 50);
    }

    /// A running month compared with the same days before it: the days not yet run are
    /// partial_period, and the drivers still add up to the whole change.
    #[test]
    fn the_days_a_running_period_has_not_had_are_partial_period() {
        let full = cents(&[("A", "ann@x.com", 3_000)]);
        let cut = cents(&[("A", "ann@x.com", 1_000)]);
        let now = cents(&[("A", "ann@x.com", 1_200)]);
        let explained = explain(&Sides {
            before_full: &full,
            before: &cut,
            now: &now,
            before_usage: &[],
            now_usage: &[],
        });
        let line = &explained.lines[0];
        assert_eq!(driver(line, Driver::PartialPeriod), -2_000);
        assert_eq!(driver(line, Driver::Volume), 200);
        assert_eq!(line.change_cents(), -1_800);
    }

    const PEOPLE: [&str; 6] = [
        "ann@x.com",
        "bo@x.com",
        "cy@x.com",
        "di@x.com",
        "api_key:k1",
        "workspace:w1",
    ];
    const LINES: [&str; 3] = ["Mobile", "Web", "UNMAPPED"];
    const MODELS: [&str; 3] = ["haiku", "sonnet", "opus"];

    /// One side of a generated organisation: cells of (person, line, model, tokens, cents).
    fn side() -> impl Strategy<Value = Vec<(usize, usize, usize, i64, i64)>> {
        proptest::collection::vec(
            (
                0..6usize,
                0..3usize,
                0..3usize,
                0..5_000i64,
                -50..900_000i64,
            ),
            0..30,
        )
    }

    fn build(side: &[(usize, usize, usize, i64, i64)]) -> (PeriodCents, Vec<UsageRow>) {
        let cells: Vec<(&str, &str, i64)> = side
            .iter()
            .map(|(who, line, _, _, c)| (LINES[*line], PEOPLE[*who], *c))
            .collect();
        let rows = side
            .iter()
            .map(|(who, line, model, tokens, c)| {
                // Usage need not match the cents to the nano (rounding, other costs).
                usage(LINES[*line], PEOPLE[*who], MODELS[*model], *tokens, *c + 3)
            })
            .collect();
        (cents(&cells), rows)
    }

    proptest! {
        /// Whatever the moves, joiners, leavers, models and prices, every line's drivers and
        /// the organisation's add up to the change exactly, and each driver to its
        /// contributors.
        #[test]
        fn drivers_always_add_up_to_the_change(
            before in side(),
            cut in 0..3usize,
            now in side(),
        ) {
            let (full, full_usage) = build(&before);
            let kept = &before[..before.len() * cut / 2];
            let (before_cut, before_usage) = if cut == 2 { (full.clone(), full_usage) } else { build(kept) };
            let (now_cents, now_usage) = build(&now);
            let explained = explain(&Sides {
                before_full: &full,
                before: &before_cut,
                now: &now_cents,
                before_usage: &before_usage,
                now_usage: &now_usage,
            });
            let mut summed = 0;
            for line in &explained.lines {
                prop_assert_eq!(line.drivers.iter().map(|d| d.cents).sum::<i64>(), line.change_cents());
                for d in &line.drivers {
                    if d.driver != Driver::PartialPeriod {
                        prop_assert_eq!(d.contributors.iter().map(|c| c.cents).sum::<i64>(), d.cents);
                    }
                }
                summed += line.change_cents();
            }
            prop_assert_eq!(summed, explained.total.change_cents());
            prop_assert_eq!(
                explained.total.drivers.iter().map(|d| d.cents).sum::<i64>(),
                now_cents.total - full.total
            );
        }
    }
}

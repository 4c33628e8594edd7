//! allot's watch over spend: the alert rules (sustained increases, spikes, new heavy spenders,
//! jumps into the long context window, shifts to the largest model, budgets), month-end
//! forecasts, and notifications to a webhook that repeat only what changed. Pure functions of
//! exact daily series; the application layer loads the series and writes the reports.

pub mod forecast;
pub mod notify;
pub mod rules;

pub use forecast::{outlook, Outlook};
pub use notify::{Sent, WebhookUrl};
pub use rules::{Daily, Rules, Shares, Subject};

#[cfg(test)]
mod steady {
    use super::rules::{spike, sustained, Daily, Rules, Subject};
    use allot_core::Nanos;
    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// An organisation whose spend only moves by noise (up to 30% a day either way, busy
        /// weekdays and quiet weekends, any size of team) raises no cost-center alert with
        /// the default rules.
        #[test]
        fn a_steady_organisation_raises_no_cost_center_alert(
            teams in proptest::collection::vec((1i64..5_000, 0i64..40, any::<u64>()), 1..8),
            start in 0i64..365,
        ) {
            let rules = Rules::default();
            let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(start);
            let last = first + chrono::Duration::days(69);
            for (i, (weekday_usd, weekend_pct, seed)) in teams.iter().enumerate() {
                // Each day's noise drawn independently (a seeded generator, not a sequence
                // the shrinker can flatten into a history with no noise at all).
                let mut state = *seed;
                let noise: Vec<u32> = (0..70)
                    .map(|_| {
                        // splitmix64
                        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                        let mut z = state;
                        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                        ((z ^ (z >> 31)) % 61) as u32
                    })
                    .collect();
                let series: Daily = first
                    .iter_days()
                    .take(70)
                    .zip(&noise)
                    .map(|(day, n)| {
                        let base = weekday_usd * 100 * if day.weekday().num_days_from_monday() >= 5 { *weekend_pct } else { 100 } / 100;
                        // noise: -30% .. +30% in whole percent
                        let cents = base * (70 + i64::from(*n)) / 100;
                        (day, Nanos::from_cents(cents))
                    })
                    .collect();
                let s = Subject { level: "cost_center".into(), key: format!("CC-{i}"), label: format!("CC-{i}") };
                prop_assert!(sustained(&rules, &s, &series, last).is_none(), "sustained on a steady team {i}");
                let sp = spike(&rules, &s, &series, last);
                prop_assert!(sp.is_none(), "spike on a steady team {i}: {sp:?}");
            }
        }
    }
}

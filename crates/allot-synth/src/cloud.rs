//! Claude bought through a cloud provider: a synthetic Amazon Bedrock bill in FOCUS, laid out
//! as the FinOps Foundation's AI-billing samples are (`SkuPriceDetails` carrying the model,
//! its developer and the token type), for the demo and the tests. Deterministic like the rest.
//!
//! What it holds, per day: a support assistant's IAM role (a principal the mapping maps),
//! an engineer calling Bedrock under their own email, one hour-by-hour batch a week in an
//! account nobody maps, an Amazon Titan embedding charge (not Claude: left out); and per month
//! that is over, a design prototype's charge for the whole month tagged with its cost center
//! and a tax line (not usage: left out).

use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::rng::Rng;

/// The bill's payer account.
pub const PAYER: (&str, &str) = ("111122223333", "Example Corp AWS");
/// The account most Claude usage runs in.
pub const PROD_ACCOUNT: (&str, &str) = ("444455556666", "ai-production");
/// An account nobody maps (its usage is charged to `UNMAPPED`, named by the account).
pub const SANDBOX_ACCOUNT: (&str, &str) = ("210987654321", "ml-sandbox");
/// The support assistant's role.
pub const SUPPORT_ROLE: &str = "arn:aws:iam::444455556666:role/support-assistant";
/// The engineer who calls Bedrock under their own email.
pub const ENGINEER: &str = "quinn.haddad@example.com";
/// The tag whose value names a cost center.
pub const TAG: &str = "team";
/// The cost center the design prototype's tag names.
pub const TAGGED_CC: &str = "CC-2010";

const HEADER: &str = "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,EffectiveCost,HostProviderName,InvoiceIssuerName,ListCost,PricingUnit,PrincipalId,RegionId,ServiceCategory,ServiceName,ServiceProviderName,SkuId,SkuMeter,SkuPriceDetails,SubAccountId,SubAccountName,Tags";

/// (model id, developer, price per million tokens in cents: input, output, cache read, cache write)
const SONNET: (&str, &str, [i64; 4]) = (
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "Anthropic",
    [300, 1500, 30, 375],
);
const HAIKU: (&str, &str, [i64; 4]) = (
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "Anthropic",
    [100, 500, 10, 125],
);
const TITAN: (&str, &str, [i64; 4]) = ("amazon.titan-embed-text-v2:0", "Amazon", [2, 0, 0, 0]);

fn ts(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Dollars with up to ten decimals, as cloud bills write them (finer than allot keeps facts).
fn dollars(tenth_nanos: i128) -> String {
    let d = rust_decimal::Decimal::from_i128_with_scale(tenth_nanos, 10).normalize();
    format!("{d}")
}

struct Row<'a> {
    start: chrono::NaiveDateTime,
    end: chrono::NaiveDateTime,
    category: &'a str,
    model: (&'a str, &'a str, [i64; 4]),
    /// 0 input, 1 output, 2 cache read, 3 cache write (ignored for non-token rows).
    token: usize,
    tokens: i64,
    amount_tenth_nanos: Option<i128>,
    principal: &'a str,
    account: (&'a str, &'a str),
    tags: &'a str,
    /// Which token-type spelling: `TokenType`, or `TokenDirection` and `TokenCacheAction`.
    directions: bool,
}

fn line(s: &mut String, r: &Row<'_>) {
    let (model, developer, prices) = r.model;
    // Price per token in tenths of a nano-dollar: cents per million tokens * 10^9 / 10^6 * 10.
    let amount = r
        .amount_tenth_nanos
        .unwrap_or_else(|| i128::from(r.tokens) * i128::from(prices[r.token]) * 100);
    let list = amount * 5 / 4;
    let kind = ["Input", "Output", "CacheRead", "CacheWrite"][r.token];
    let words = [
        "Input Tokens",
        "Output Tokens",
        "Cache Read Input Tokens",
        "Cache Write Input Tokens",
    ][r.token];
    let details = if r.category != "Usage" {
        String::new()
    } else if r.directions {
        let (dir, cache) = [
            ("Input", "Uncached"),
            ("Output", ""),
            ("Input", "Read"),
            ("Input", "Write"),
        ][r.token];
        let cache = if cache.is_empty() {
            String::new()
        } else {
            format!(",\"\"TokenCacheAction\"\":\"\"{cache}\"\"")
        };
        format!(
            "\"{{\"\"ModelDeveloper\"\":\"\"{developer}\"\",\"\"ModelId\"\":\"\"{model}\"\",\"\"TokenDirection\"\":\"\"{dir}\"\"{cache}}}\""
        )
    } else {
        format!(
            "\"{{\"\"ModelDeveloper\"\":\"\"{developer}\"\",\"\"ModelId\"\":\"\"{model}\"\",\"\"TokenType\"\":\"\"{kind}\"\",\"\"x_ContextWindow\"\":\"\"0-200k\"\"}}\""
        )
    };
    let month = r.start.date().with_day(1).expect("first day");
    let next_month = (month + Duration::days(32)).with_day(1).expect("first day");
    let (quantity, unit, meter, description) = if r.category == "Usage" {
        (
            r.tokens.to_string(),
            "Tokens",
            words.to_string(),
            format!("{words} for {model}"),
        )
    } else {
        (
            String::new(),
            "",
            String::new(),
            format!("{} on Amazon Bedrock", r.category),
        )
    };
    let tags = if r.tags.is_empty() {
        String::new()
    } else {
        format!("\"{}\"", r.tags.replace('"', "\"\""))
    };
    let _ = writeln!(
        s,
        "{amount},{payer},{payer_name},USD,{bpe},{bps},{category},,{description},Usage-Based,{end},{start},{quantity},{unit},{amount},AWS,AWS,{list},1000000 Tokens,{principal},us-east-1,AI and Machine Learning,Amazon Bedrock,{service_provider},{model}-{sku},{meter},{details},{account},{account_name},{tags}",
        amount = dollars(amount),
        list = dollars(list),
        payer = PAYER.0,
        payer_name = PAYER.1,
        bpe = ts(next_month.and_hms_opt(0, 0, 0).expect("midnight")),
        bps = ts(month.and_hms_opt(0, 0, 0).expect("midnight")),
        category = r.category,
        end = ts(r.end),
        start = ts(r.start),
        principal = r.principal,
        service_provider = if developer == "Anthropic" { "Anthropic" } else { "AWS" },
        sku = kind.to_ascii_lowercase(),
        account = r.account.0,
        account_name = r.account.1,
    );
}

/// A Bedrock bill in FOCUS from `from` to `to` (inclusive): the CSV text.
pub fn bedrock_focus_csv(seed: u64, from: NaiveDate, to: NaiveDate) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight");
    let mut day = from;
    while day <= to {
        let mut r = Rng::new(&[seed, u64::try_from(day.num_days_from_ce()).unwrap_or(0), 41]);
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let (start, end) = (midnight(day), midnight(day + Duration::days(1)));
        // The support assistant answers every day; more on weekdays.
        let volume = if weekend {
            r.range(800_000, 1_500_000)
        } else {
            r.range(3_000_000, 6_000_000)
        } as i64;
        for (token, share) in [(0usize, 100i64), (1, 18), (2, 260), (3, 25)] {
            line(
                &mut s,
                &Row {
                    start,
                    end,
                    category: "Usage",
                    model: SONNET,
                    token,
                    tokens: volume * share / 100,
                    amount_tenth_nanos: None,
                    principal: SUPPORT_ROLE,
                    account: PROD_ACCOUNT,
                    tags: "",
                    directions: false,
                },
            );
        }
        // An engineer's own calls, on weekdays, in the other spelling of token types.
        if !weekend {
            let volume = r.range(200_000, 900_000) as i64;
            for (token, share) in [(0usize, 100i64), (1, 30)] {
                line(
                    &mut s,
                    &Row {
                        start,
                        end,
                        category: "Usage",
                        model: HAIKU,
                        token,
                        tokens: volume * share / 100,
                        amount_tenth_nanos: None,
                        principal: ENGINEER,
                        account: PROD_ACCOUNT,
                        tags: "",
                        directions: true,
                    },
                );
            }
        }
        // Hour by hour on Wednesdays: a batch in an account nobody maps, with no principal.
        if day.weekday() == Weekday::Wed {
            for hour in 1..4 {
                let h = midnight(day) + Duration::hours(hour);
                line(
                    &mut s,
                    &Row {
                        start: h,
                        end: h + Duration::hours(1),
                        category: "Usage",
                        model: SONNET,
                        token: 0,
                        tokens: r.range(400_000, 700_000) as i64,
                        amount_tenth_nanos: None,
                        principal: "",
                        account: SANDBOX_ACCOUNT,
                        tags: "",
                        directions: false,
                    },
                );
            }
        }
        // Embeddings on Amazon's own model: not Claude.
        line(
            &mut s,
            &Row {
                start,
                end,
                category: "Usage",
                model: TITAN,
                token: 0,
                tokens: r.range(1_000_000, 3_000_000) as i64,
                amount_tenth_nanos: None,
                principal: SUPPORT_ROLE,
                account: PROD_ACCOUNT,
                tags: "",
                directions: false,
            },
        );
        // Per month, once it is over (on its last day): the design prototype's charge for
        // the whole month, tagged, and tax.
        let month_start = day.with_day(1).expect("first day");
        let next = (month_start + Duration::days(32))
            .with_day(1)
            .expect("first day");
        if day + Duration::days(1) == next {
            let (start, end) = (midnight(month_start), midnight(next));
            let mut m = Rng::new(&[seed, u64::from(month_start.month()), 43]);
            line(
                &mut s,
                &Row {
                    start,
                    end,
                    category: "Usage",
                    model: SONNET,
                    token: 1,
                    tokens: m.range(2_000_000, 4_000_000) as i64,
                    amount_tenth_nanos: None,
                    principal: "",
                    account: PROD_ACCOUNT,
                    tags: &format!("{{\"{TAG}\":\"{TAGGED_CC}\",\"project\":\"prototype\"}}"),
                    directions: false,
                },
            );
            line(
                &mut s,
                &Row {
                    start,
                    end,
                    category: "Tax",
                    model: SONNET,
                    token: 0,
                    tokens: 0,
                    // Sales tax of a few percent of the month's usage, as a real bill has.
                    amount_tenth_nanos: Some(i128::from(m.range(600, 900)) * 1_000_000_000),
                    principal: "",
                    account: PROD_ACCOUNT,
                    tags: "",
                    directions: false,
                },
            );
        }
        day += Duration::days(1);
    }
    s
}

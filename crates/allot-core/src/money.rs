//! Exact money: amounts travel as integer nano-dollars (1e-9 USD) inside allot and as
//! `rust_decimal::Decimal` at the edges. Floating point never touches money.

use std::fmt;

use rust_decimal::Decimal;

/// Nano-dollars per dollar: cost exports carry up to nine decimals, so this unit is exact for all of them.
pub const NANOS_PER_USD: i64 = 1_000_000_000;
/// Nano-dollars per cent, the unit reports round to.
pub const NANOS_PER_CENT: i64 = 10_000_000;
/// Decimal places of a nano-dollar amount.
pub const NANO_SCALE: u32 = 9;

/// An exact amount of US dollars, held as integer nano-dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nanos(pub i128);

impl Nanos {
    /// Zero dollars.
    pub const ZERO: Nanos = Nanos(0);

    /// The amount as an exact decimal number of dollars.
    pub fn to_decimal(self) -> Decimal {
        Decimal::from_i128_with_scale(self.0, NANO_SCALE).normalize()
    }

    /// Converts an exact decimal dollar amount; `None` when it has more than nine decimals or overflows.
    pub fn from_decimal(d: Decimal) -> Option<Nanos> {
        let scale = d.scale();
        let mantissa = d.mantissa();
        if scale <= NANO_SCALE {
            mantissa
                .checked_mul(10i128.pow(NANO_SCALE - scale))
                .map(Nanos)
        } else {
            let div = 10i128.pow(scale - NANO_SCALE);
            (mantissa % div == 0).then(|| Nanos(mantissa / div))
        }
    }

    /// Converts whole cents.
    pub fn from_cents(cents: i64) -> Nanos {
        Nanos(i128::from(cents) * i128::from(NANOS_PER_CENT))
    }

    /// Converts an amount in (possibly fractional) cents, as Anthropic's APIs send it; `None` past nine decimals of a dollar.
    pub fn from_cents_decimal(cents: Decimal) -> Option<Nanos> {
        let dollars = cents.checked_div(Decimal::ONE_HUNDRED)?;
        Nanos::from_decimal(dollars)
    }

    /// The amount rounded to whole cents, half away from zero.
    pub fn round_cents(self) -> i64 {
        div_round_half_away(self.0, i128::from(NANOS_PER_CENT)) as i64
    }
}

impl std::ops::Add for Nanos {
    type Output = Nanos;
    fn add(self, rhs: Nanos) -> Nanos {
        Nanos(self.0 + rhs.0)
    }
}

impl std::ops::AddAssign for Nanos {
    fn add_assign(&mut self, rhs: Nanos) {
        self.0 += rhs.0;
    }
}

impl std::ops::Sub for Nanos {
    type Output = Nanos;
    fn sub(self, rhs: Nanos) -> Nanos {
        Nanos(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Nanos {
    fn sum<I: Iterator<Item = Nanos>>(iter: I) -> Nanos {
        iter.fold(Nanos::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Nanos {
    /// Shows the exact amount with as many decimals as it needs (at least two).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.to_decimal();
        if d.scale() < 2 {
            write!(f, "{d:.2}")
        } else {
            write!(f, "{d}")
        }
    }
}

/// Integer division rounding half away from zero (`b > 0`).
pub fn div_round_half_away(a: i128, b: i128) -> i128 {
    let q = a / b;
    let r = a % b;
    if 2 * r.abs() >= b {
        q + a.signum()
    } else {
        q
    }
}

/// Formats whole cents as a dollar amount with exactly two decimals, e.g. `-12.05`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Whole cents as a `Decimal` with two decimals.
pub fn cents_to_decimal(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Why a text is not an exact dollar amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing but an optional sign.
    #[error("is empty")]
    Empty,
    /// A character that is not a digit, one leading sign or one decimal point.
    #[error("is not a decimal number")]
    NotANumber,
    /// More than nine decimals: allot would have to round it.
    #[error("has more than 9 decimals")]
    TooPrecise,
    /// Larger than allot can add up exactly.
    #[error("is too large")]
    TooLarge,
}

/// Parses a plain decimal dollar string (`12`, `-0.5`, `3.141592653`) into exact nano-dollars.
///
/// Accepts one leading sign and up to nine decimals; no exponents, separators or symbols.
pub fn parse_usd(text: &str) -> Result<i64, AmountError> {
    let s = text.trim().as_bytes();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(AmountError::Empty);
    }
    let mut whole: i64 = 0;
    let mut frac: i64 = 0;
    let mut frac_digits = 0u32;
    let mut seen_point = false;
    let mut any_digit = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                let v = i64::from(c - b'0');
                if seen_point {
                    if frac_digits == NANO_SCALE {
                        if v != 0 {
                            return Err(AmountError::TooPrecise);
                        }
                        continue;
                    }
                    frac = frac * 10 + v;
                    frac_digits += 1;
                } else {
                    whole = whole
                        .checked_mul(10)
                        .and_then(|w| w.checked_add(v))
                        .ok_or(AmountError::TooLarge)?;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(AmountError::NotANumber),
        }
    }
    if !any_digit {
        return Err(AmountError::NotANumber);
    }
    let frac = frac * 10i64.pow(NANO_SCALE - frac_digits);
    let n = whole
        .checked_mul(NANOS_PER_USD)
        .and_then(|w| w.checked_add(frac))
        .ok_or(AmountError::TooLarge)?;
    Ok(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn parses_plain_decimals_exactly() {
        assert_eq!(parse_usd("12"), Ok(12 * NANOS_PER_USD));
        assert_eq!(parse_usd("0.000000001"), Ok(1));
        assert_eq!(parse_usd("-1.5"), Ok(-1_500_000_000));
        assert_eq!(parse_usd(" 3.10 "), Ok(3_100_000_000));
        assert_eq!(parse_usd(".25"), Ok(250_000_000));
        assert_eq!(parse_usd("1.1234567890"), Ok(1_123_456_789));
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        assert_eq!(parse_usd(""), Err(AmountError::Empty));
        assert_eq!(parse_usd("-"), Err(AmountError::Empty));
        assert_eq!(parse_usd("1e5"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("1,000.00"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("$5"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("1.2.3"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("."), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("0.0000000001"), Err(AmountError::TooPrecise));
        assert_eq!(
            parse_usd("99999999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Nanos(5_000_000).round_cents(), 1);
        assert_eq!(Nanos(4_999_999).round_cents(), 0);
        assert_eq!(Nanos(-5_000_000).round_cents(), -1);
        assert_eq!(Nanos(-4_999_999).round_cents(), 0);
    }

    #[test]
    fn converts_api_cents_to_dollars() {
        let d = Decimal::from_str("41280.000000").unwrap();
        assert_eq!(
            Nanos::from_cents_decimal(d),
            Some(Nanos(41_280 * i128::from(NANOS_PER_CENT)))
        );
        let odd = Decimal::from_str("0.0000001").unwrap();
        assert_eq!(Nanos::from_cents_decimal(odd), Some(Nanos(1)));
        let too_fine = Decimal::from_str("0.00000001").unwrap();
        assert_eq!(Nanos::from_cents_decimal(too_fine), None);
    }

    #[test]
    fn formats_cents() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(123_456), "1234.56");
        assert_eq!(Nanos(1_500_000_000).to_string(), "1.50");
        assert_eq!(Nanos(1).to_string(), "0.000000001");
    }
}

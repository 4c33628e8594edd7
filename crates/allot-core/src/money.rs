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

    /// The amount in cents when it is a whole number of cents (a page shows it as money),
    /// else None (it is shown exactly).
    pub fn whole_cents(self) -> Option<i64> {
        let unit = i128::from(NANOS_PER_CENT);
        (self.0 % unit == 0).then(|| (self.0 / unit) as i64)
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

/// Parses a decimal dollar string (`12`, `-0.5`, `3.141592653`, or in exponent notation as
/// pandas and spreadsheets write small numbers: `7.0E-7`, `1.5e-06`) into exact nano-dollars.
///
/// Accepts one leading sign, digits with at most one decimal point, and an optional exponent;
/// the value must be a whole number of nano-dollars (a tenth decimal that is not zero is
/// refused, never rounded). No separators or symbols.
pub fn parse_usd(text: &str) -> Result<i64, AmountError> {
    parse_usd_bytes(text.trim().as_bytes())
}

/// [`parse_usd`] on raw bytes (already trimmed), for scanners that never build strings.
pub fn parse_usd_bytes(s: &[u8]) -> Result<i64, AmountError> {
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
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                let v = i64::from(c - b'0');
                if seen_point {
                    if frac_digits == NANO_SCALE {
                        if v != 0 {
                            // Finer than a nano-dollar, unless an exponent follows.
                            return match digits[i..].iter().position(|b| matches!(b, b'e' | b'E')) {
                                Some(_) => parse_exponent(neg, digits),
                                None => Err(AmountError::TooPrecise),
                            };
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
            b'e' | b'E' if any_digit => return parse_exponent(neg, digits),
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

/// The slow path of [`parse_usd`] for exponent notation: `digits` is the unsigned text.
fn parse_exponent(neg: bool, digits: &[u8]) -> Result<i64, AmountError> {
    let e = digits
        .iter()
        .position(|b| matches!(b, b'e' | b'E'))
        .ok_or(AmountError::NotANumber)?;
    let (mantissa, exponent) = (&digits[..e], &digits[e + 1..]);
    let exponent = std::str::from_utf8(exponent).map_err(|_| AmountError::NotANumber)?;
    let exp_digits = exponent.trim_start_matches(['+', '-']);
    if exp_digits.is_empty()
        || exponent.len() - exp_digits.len() > 1
        || !exp_digits.bytes().all(|b| b.is_ascii_digit())
        || exp_digits.len() > 4
    {
        return Err(AmountError::NotANumber);
    }
    let exp: i64 = exponent.parse().map_err(|_| AmountError::NotANumber)?;
    // The mantissa's digits as one integer and where its point was.
    let mut value: i128 = 0;
    let mut frac_digits: i64 = 0;
    let mut seen_point = false;
    let mut any = false;
    for &c in mantissa {
        match c {
            b'0'..=b'9' => {
                any = true;
                if value > i128::MAX / 100 {
                    return Err(AmountError::TooLarge);
                }
                value = value * 10 + i128::from(c - b'0');
                if seen_point {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(AmountError::NotANumber),
        }
    }
    if !any {
        return Err(AmountError::NotANumber);
    }
    // nanos = value * 10^(9 + exp - frac_digits)
    let power = i64::from(NANO_SCALE) + exp - frac_digits;
    let nanos = if value == 0 {
        0
    } else if power >= 0 {
        let p = u32::try_from(power).map_err(|_| AmountError::TooLarge)?;
        10i128
            .checked_pow(p)
            .and_then(|m| value.checked_mul(m))
            .ok_or(AmountError::TooLarge)?
    } else {
        let p = u32::try_from(-power).map_err(|_| AmountError::TooPrecise)?;
        match 10i128.checked_pow(p) {
            Some(d) if value % d == 0 => value / d,
            _ => return Err(AmountError::TooPrecise),
        }
    };
    let n = i64::try_from(nanos).map_err(|_| AmountError::TooLarge)?;
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
        assert_eq!(parse_usd("e5"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("1e"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("1e+-5"), Err(AmountError::NotANumber));
        assert_eq!(parse_usd("1.5e-10"), Err(AmountError::TooPrecise));
        assert_eq!(parse_usd("1e-10"), Err(AmountError::TooPrecise));
        assert_eq!(parse_usd("1e30"), Err(AmountError::TooLarge));
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
    fn reads_exponent_notation_exactly() {
        assert_eq!(parse_usd("7.0E-7"), Ok(700));
        assert_eq!(parse_usd("1.5e-06"), Ok(1_500));
        assert_eq!(parse_usd("-2.5E+2"), Ok(-250 * NANOS_PER_USD));
        assert_eq!(parse_usd("1e5"), Ok(100_000 * NANOS_PER_USD));
        assert_eq!(parse_usd("1.234567891e-0"), Ok(1_234_567_891));
        assert_eq!(parse_usd("0.0000000010e1"), Ok(10));
        assert_eq!(parse_usd("1E-9"), Ok(1));
        assert_eq!(parse_usd("0e-50"), Ok(0));
    }

    proptest::proptest! {
        #[test]
        fn exponent_and_plain_forms_agree(nanos in -1_000_000_000_000_000i64..1_000_000_000_000_000, shift in 0i32..12) {
            let plain = crate::Nanos(i128::from(nanos)).to_string();
            proptest::prop_assert_eq!(parse_usd(&plain), Ok(nanos));
            // The same value written as mantissa x 10^-shift.
            let d = rust_decimal::Decimal::from_i128_with_scale(i128::from(nanos), 9).normalize();
            let m = d * rust_decimal::Decimal::from(10i64.pow(shift as u32));
            let text = format!("{}e-{shift}", m.normalize());
            proptest::prop_assert_eq!(parse_usd(&text), Ok(nanos), "{}", text);
        }
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

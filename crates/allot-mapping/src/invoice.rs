//! Invoice lines from CSV or a workbook: the billing month, what was billed, the amount (as
//! people write it: `$1,234.56`, `(12.00)` for a credit), and what kind of line it is. Each
//! line is classified (usage, seat fees, credit, tax, other) and says why.

use std::path::Path;

use allot_core::date::parse_date;
use allot_core::money::parse_usd;
use allot_core::{InputError, Month, Nanos};
use serde::Deserialize;

use crate::org::parse_mapping_date;
use crate::table::{Row, Table};

/// What an invoice line is, for reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKind {
    /// Usage: comparable with the API's cost.
    Usage,
    /// Seat or subscription fees.
    Seats,
    /// Credits, discounts, promotions.
    Credit,
    /// Tax.
    Tax,
    /// Anything else.
    Other,
}

impl LineKind {
    /// The word used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Usage => "usage",
            LineKind::Seats => "seat_fees",
            LineKind::Credit => "credit",
            LineKind::Tax => "tax",
            LineKind::Other => "other",
        }
    }
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// Where it is in the file, e.g. `line 4` or `sheet "Invoice", row 4`.
    pub location: String,
    /// The billing month.
    pub month: Month,
    /// The product it bills (`claude_code`, `chat`...), empty when not product-specific.
    pub product: String,
    /// The description as written.
    pub description: String,
    /// The amount, exact.
    pub amount: Nanos,
    /// What kind of line it is.
    pub kind: LineKind,
    /// Why it was classified so.
    pub reason: String,
}

/// How the amounts of a file write their decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decimals {
    /// Not stated: an amount whose separators could be read two ways (`1,234`, `1.234`) is an
    /// error; unambiguous ones (`1,234.56`, `1.234,56`, `12,50`) are read as written.
    #[default]
    Auto,
    /// A decimal point; commas (and spaces) group thousands: `1,234.56`.
    Point,
    /// A decimal comma; points (and spaces) group thousands: `1.234,56`.
    Comma,
}

/// Column names for an invoice, from a TOML file beside it (same name, `.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceColumns {
    /// Sheet of a workbook.
    pub sheet: Option<String>,
    /// How amounts write their decimals (`point` or `comma`); `--decimal-comma` wins.
    pub decimal: Option<Decimals>,
    /// Header names.
    #[serde(default)]
    pub columns: InvoiceColumnNames,
}

/// Header names of an invoice's columns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceColumnNames {
    /// Billing month (or any date in it).
    pub month: Option<String>,
    /// Start of the billed period (when there is no month column).
    pub period_start: Option<String>,
    /// What was billed.
    pub description: Option<String>,
    /// The product, if a column of its own.
    pub product: Option<String>,
    /// The amount in dollars.
    pub amount: Option<String>,
    /// The line type, if given.
    pub line_type: Option<String>,
}

fn squash(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

const MONTH: &[&str] = &[
    "billingmonth",
    "invoicemonth",
    "month",
    "billingperiod",
    "period",
    "servicemonth",
];
const START: &[&str] = &[
    "periodstart",
    "servicePeriodstart",
    "startdate",
    "periodstartdate",
    "from",
    "start",
];
const DESCRIPTION: &[&str] = &[
    "description",
    "lineitem",
    "item",
    "itemdescription",
    "details",
    "charge",
];
const PRODUCT: &[&str] = &["product", "service", "productname"];
const AMOUNT: &[&str] = &[
    "amountusd",
    "amount",
    "netamount",
    "total",
    "totalusd",
    "cost",
    "costusd",
    "price",
];
const TYPE: &[&str] = &["linetype", "type", "category", "chargetype", "kind"];

/// Parses an invoice amount as people write it: `$1,234.56`, `1234.56 USD`, `(12.00)`,
/// `-12.00`, `1.234,56 €`; `None` when it is not an amount, or when its separators could be
/// read two ways and `decimals` does not say which (`1,234` is 1234 with a decimal point and
/// 1.234 with a decimal comma).
pub fn parse_invoice_amount(text: &str, decimals: Decimals) -> Option<Nanos> {
    parse_amount(text, decimals).ok()
}

/// Why an invoice amount cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountProblem {
    /// Not an amount at all.
    NotAnAmount,
    /// Separators that could be read two ways.
    Ambiguous,
}

/// Like [`parse_invoice_amount`], saying why it failed.
pub fn parse_amount(text: &str, decimals: Decimals) -> Result<Nanos, AmountProblem> {
    let mut s = text.trim().to_string();
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].to_string();
    }
    let s: String = s
        .replace("USD", "")
        .replace("EUR", "")
        .replace(['$', '€', ' ', '\u{a0}', '\u{202f}', '\''], "");
    let mut s = s.as_str();
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest;
    }
    let (dots, commas) = (s.matches('.').count(), s.matches(',').count());
    // Which separator is the decimal one.
    let decimal: Option<char> = match decimals {
        Decimals::Point => (dots > 0).then_some('.'),
        Decimals::Comma => (commas > 0).then_some(','),
        Decimals::Auto => match (dots, commas) {
            (0, 0) => None,
            (_, 0) | (0, _) => {
                let sep = if dots > 0 { '.' } else { ',' };
                let count = dots + commas;
                let after = s.len() - s.rfind(sep).map_or(0, |i| i + 1);
                if count > 1 {
                    // `1,234,567` or `1.234.567`: only thousands grouping reads that way.
                    None
                } else if after == 3 {
                    return Err(AmountProblem::Ambiguous);
                } else {
                    Some(sep)
                }
            }
            _ => {
                // Both: the last one is the decimal separator.
                let (d, c) = (s.rfind('.').unwrap_or(0), s.rfind(',').unwrap_or(0));
                Some(if d > c { '.' } else { ',' })
            }
        },
    };
    let group = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None => match decimals {
            Decimals::Comma => '.',
            _ => {
                if dots > 0 {
                    '.'
                } else {
                    ','
                }
            }
        },
    };
    // Grouping must be real grouping: digits in threes after the first group.
    let (int_part, frac_part) = match decimal {
        Some(d) => {
            let at = s.rfind(d).ok_or(AmountProblem::NotAnAmount)?;
            (&s[..at], Some(&s[at + 1..]))
        }
        None => (s, None),
    };
    if frac_part.is_some_and(|f| f.contains(['.', ','])) {
        return Err(AmountProblem::NotAnAmount);
    }
    let groups: Vec<&str> = int_part.split(group).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err(AmountProblem::NotAnAmount);
    }
    let digits: String = groups.concat();
    if digits.contains(['.', ',']) {
        return Err(AmountProblem::NotAnAmount);
    }
    let plain = match frac_part {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let nanos = parse_usd(&plain).map_err(|_| AmountProblem::NotAnAmount)?;
    Ok(Nanos(i128::from(if negative { -nanos } else { nanos })))
}

fn parse_month_cell(text: &str) -> Option<Month> {
    let t = text.trim();
    if let Ok(m) = t.parse::<Month>() {
        return Some(m);
    }
    if let Some(d) = parse_date(t).or_else(|| parse_mapping_date(t)) {
        return Some(Month::of(d));
    }
    // "Sep 2026", "September 2026"
    let (name, year) = t.split_once(' ')?;
    let year: i32 = year.trim().parse().ok()?;
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let month = names.iter().position(|n| lower.starts_with(n))? as u32 + 1;
    Month::new(year, month)
}

/// The product a description or product cell names, if any.
pub fn product_of(text: &str) -> String {
    let t = text.to_ascii_lowercase();
    let known = [
        ("claude code", "claude_code"),
        ("claude_code", "claude_code"),
        ("cowork", "cowork"),
        ("office", "office_agent"),
        ("chrome", "claude_in_chrome"),
        ("design", "claude_design"),
        ("slack", "claude-in-slack"),
        ("chat", "chat"),
        ("claude.ai", "chat"),
    ];
    known
        .iter()
        .find(|(k, _)| t.contains(k))
        .map_or_else(String::new, |(_, p)| (*p).to_string())
}

fn classify(line_type: &str, description: &str, amount: Nanos) -> (LineKind, String) {
    let by = |t: &str| -> Option<LineKind> {
        let t = t.to_ascii_lowercase();
        if t.contains("tax") || t.contains("vat") || t.contains("gst") {
            Some(LineKind::Tax)
        } else if t.contains("credit")
            || t.contains("discount")
            || t.contains("promo")
            || t.contains("refund")
        {
            Some(LineKind::Credit)
        } else if t.contains("seat")
            || t.contains("subscription")
            || t.contains("licen")
            || t.contains("platform fee")
        {
            Some(LineKind::Seats)
        } else if t.contains("usage")
            || t.contains("token")
            || t.contains("consumption")
            || t.contains("overage")
        {
            Some(LineKind::Usage)
        } else {
            None
        }
    };
    if !line_type.is_empty() {
        if let Some(k) = by(line_type) {
            return (k, format!("line type \"{line_type}\""));
        }
    }
    if let Some(k) = by(description) {
        return (k, format!("description \"{description}\""));
    }
    if amount.0 < 0 {
        return (LineKind::Credit, "negative amount".into());
    }
    (
        LineKind::Other,
        "no usage, seat, credit or tax word in its type or description".into(),
    )
}

/// Reads an invoice; a TOML file beside it (same name, `.toml`) may name its columns and say
/// how its amounts write decimals. `decimals` (from `--decimal-comma`) wins over the file's.
pub fn read_invoice(
    path: &Path,
    columns: Option<&Path>,
    decimals: Option<Decimals>,
) -> Result<Vec<InvoiceLine>, InputError> {
    let config_path = columns.map(Path::to_path_buf).or_else(|| {
        let columns_file = path.with_extension("toml");
        (columns_file != path && columns_file.exists()).then_some(columns_file)
    });
    let config: InvoiceColumns = match &config_path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| InputError::Unreadable {
                path: p.clone(),
                source,
            })?;
            toml::from_str(&text).map_err(|e| InputError::BadFile {
                path: p.clone(),
                problem: format!(
                    "is not a valid invoice column mapping: {}",
                    e.to_string().trim()
                ),
            })?
        }
        None => InvoiceColumns::default(),
    };
    let table = Table::read(path, config.sheet.as_deref())?;
    let find =
        |configured: &Option<String>, variants: &[&str]| -> Result<Option<usize>, InputError> {
            match configured {
                Some(name) => table.require(name).map(Some),
                None => Ok(variants.iter().find_map(|v| {
                    table
                        .headers
                        .iter()
                        .position(|h| squash(h) == v.to_ascii_lowercase())
                })),
            }
        };
    let columns = &config.columns;
    let month = find(&columns.month, MONTH)?;
    let start = find(&columns.period_start, START)?;
    let description = find(&columns.description, DESCRIPTION)?;
    let product = find(&columns.product, PRODUCT)?;
    let amount = find(&columns.amount, AMOUNT)?.ok_or_else(|| InputError::MissingColumn {
        path: path.to_path_buf(),
        column: "amount".into(),
        found: table.headers.clone(),
    })?;
    let line_type = find(&columns.line_type, TYPE)?;
    let Some(month_col) = month.or(start) else {
        return Err(InputError::MissingColumn {
            path: path.to_path_buf(),
            column: "billing month (or period start)".into(),
            found: table.headers.clone(),
        });
    };
    let convention = decimals.or(config.decimal).unwrap_or_default();
    let cell = |row: &Row, col: Option<usize>| {
        col.map_or_else(String::new, |columns| row.cells[columns].clone())
    };
    let mut lines = Vec::new();
    for row in &table.rows {
        let m = parse_month_cell(&row.cells[month_col]).ok_or_else(|| {
            table.bad_value(
                row,
                month_col,
                "is not a month (expected YYYY-MM, a date or \"Sep 2026\")",
            )
        })?;
        let a = parse_amount(&row.cells[amount], convention).map_err(|p| match p {
            AmountProblem::Ambiguous => table.bad_value(
                row,
                amount,
                "could be read two ways (a thousands separator or a decimal one): give --decimal-comma if the file writes 1.234,56, or write the amount with its cents (1,234.00)",
            ),
            AmountProblem::NotAnAmount => table.bad_value(
                row,
                amount,
                "is not an amount (e.g. 1234.56, $1,234.56 or (12.00))",
            ),
        })?;
        let desc = cell(row, description);
        let typ = cell(row, line_type);
        let prod_text = cell(row, product);
        let (kind, reason) = classify(&typ, &desc, a);
        let product = if prod_text.is_empty() {
            product_of(&desc)
        } else {
            product_of(&prod_text)
        };
        lines.push(InvoiceLine {
            location: table.locate(row.line),
            month: m,
            product,
            description: if desc.is_empty() { prod_text } else { desc },
            amount: a,
            kind,
            reason,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_write_them() {
        let n = |s: &str| parse_invoice_amount(s, Decimals::Auto).map(|n| n.to_string());
        assert_eq!(n("$1,234.56").as_deref(), Some("1234.56"));
        assert_eq!(n("(12.00)").as_deref(), Some("-12.00"));
        assert_eq!(n("-$5").as_deref(), Some("-5.00"));
        assert_eq!(n("1 234.50 USD").as_deref(), Some("1234.50"));
        assert_eq!(n("1.234,56").as_deref(), Some("1234.56"));
        assert_eq!(n("12,50").as_deref(), Some("12.50"));
        assert_eq!(n("1,234,567").as_deref(), Some("1234567.00"));
        assert_eq!(n("twelve"), None);
        assert_eq!(n("1,23,4.00"), None, "not thousands grouping");
        assert_eq!(n("1.2.3,4"), None);
    }

    #[test]
    fn separators_that_read_two_ways_are_refused_unless_stated() {
        assert_eq!(
            parse_amount("1,234", Decimals::Auto),
            Err(AmountProblem::Ambiguous)
        );
        assert_eq!(
            parse_amount("1.234", Decimals::Auto),
            Err(AmountProblem::Ambiguous)
        );
        let n = |s: &str, d| parse_invoice_amount(s, d).map(|n| n.to_string());
        assert_eq!(n("1,234", Decimals::Point).as_deref(), Some("1234.00"));
        assert_eq!(n("1,234", Decimals::Comma).as_deref(), Some("1.234"));
        assert_eq!(n("1.234,56", Decimals::Comma).as_deref(), Some("1234.56"));
        assert_eq!(
            n("1.234,56", Decimals::Point),
            None,
            "a comma after the point is no grouping"
        );
        assert_eq!(n("1.234", Decimals::Comma).as_deref(), Some("1234.00"));
    }

    #[test]
    fn lines_are_classified_with_a_reason() {
        assert_eq!(classify("Usage", "anything", Nanos(1)).0, LineKind::Usage);
        assert_eq!(classify("", "Sales tax", Nanos(1)).0, LineKind::Tax);
        assert_eq!(
            classify("", "Enterprise seats (50)", Nanos(1)).0,
            LineKind::Seats
        );
        let (k, why) = classify("", "Goodwill", Nanos(-1));
        assert_eq!((k, why.as_str()), (LineKind::Credit, "negative amount"));
        assert_eq!(classify("", "Consulting", Nanos(1)).0, LineKind::Other);
        assert_eq!(product_of("Claude Code usage - September"), "claude_code");
        assert_eq!(parse_month_cell("Sep 2026"), "2026-09".parse().ok());
        assert_eq!(parse_month_cell("2026-09-01"), "2026-09".parse().ok());
    }
}

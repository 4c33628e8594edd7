//! Budgets from CSV or a workbook: a level column (`cost_center`, or any hierarchy column such
//! as `department`), an optional `month` (YYYY-MM; empty means every month) and `budget_usd`.
//! Headers are recognised as in mappings; every problem names the file, row and column.

use std::path::Path;

use allot_core::{InputError, Month, Nanos};

use crate::invoice::{parse_amount, AmountProblem, Decimals};
use crate::table::Table;

/// One budget line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// The key at the file's level (a cost center, a department...).
    pub key: String,
    /// The month it applies to; `None`: every month.
    pub month: Option<Month>,
    /// The amount, exact and never negative.
    pub amount: Nanos,
    /// Where it is in the file, for messages.
    pub location: String,
}

/// A budgets file: the level its first column names and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budgets {
    /// The level column's header as written (`cost_center`, `Department`...).
    pub level: String,
    /// The lines.
    pub lines: Vec<Budget>,
}

fn squash(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

impl Budgets {
    /// Reads a budgets file (CSV, XLSX, XLS, ODS; first sheet).
    pub fn read(path: &Path, decimals: Option<Decimals>) -> Result<Budgets, InputError> {
        let table = Table::read(path, None)?;
        let find = |names: &[&str]| {
            table
                .headers
                .iter()
                .position(|h| names.contains(&squash(h).as_str()))
        };
        let amount = find(&["budgetusd", "budget", "amountusd", "amount", "budgetamount"])
            .ok_or_else(|| InputError::MissingColumn {
                path: path.to_path_buf(),
                column: "budget_usd".into(),
                found: table.headers.clone(),
            })?;
        let month = find(&["month", "budgetmonth", "period"]);
        // The level: a cost-center column, else the first other column.
        let level = find(&["costcenter", "costcentre", "costcentercode", "cc"])
            .or_else(|| (0..table.headers.len()).find(|i| Some(*i) != month && *i != amount))
            .ok_or_else(|| InputError::MissingColumn {
                path: path.to_path_buf(),
                column: "cost_center (or a hierarchy column such as department)".into(),
                found: table.headers.clone(),
            })?;
        let level_name = match squash(&table.headers[level]).as_str() {
            "costcenter" | "costcentre" | "costcentercode" | "cc" => "cost_center".to_string(),
            _ => table.headers[level].clone(),
        };
        let mut lines = Vec::new();
        for row in &table.rows {
            let key = row.cells[level].clone();
            if key.is_empty() {
                return Err(table.bad_value(
                    row,
                    level,
                    "is empty: every budget names what it is for",
                ));
            }
            let m = match month.map(|c| row.cells[c].as_str()) {
                None | Some("") => None,
                Some(t) => Some(t.parse::<Month>().map_err(|_| {
                    table.bad_value(
                        row,
                        month.unwrap_or(0),
                        "is not a month (YYYY-MM, or empty for every month)",
                    )
                })?),
            };
            let a = parse_amount(&row.cells[amount], decimals.unwrap_or_default()).map_err(|p| {
                table.bad_value(
                    row,
                    amount,
                    match p {
                        AmountProblem::Ambiguous => "could be read two ways (a thousands separator or a decimal one): write it with its cents, e.g. 45,000.00",
                        AmountProblem::NotAnAmount => "is not an amount of dollars (e.g. 45000 or $45,000.00)",
                    },
                )
            })?;
            if a.0 < 0 {
                return Err(table.bad_value(row, amount, "is negative: a budget cannot be"));
            }
            lines.push(Budget {
                key,
                month: m,
                amount: a,
                location: table.locate(row.line),
            });
        }
        // One budget per key and month.
        for (i, a) in lines.iter().enumerate() {
            if let Some(b) = lines[..i]
                .iter()
                .find(|b| b.key == a.key && b.month == a.month)
            {
                return Err(InputError::BadFile {
                    path: path.to_path_buf(),
                    problem: format!(
                        "{} and {} both set the budget of `{}`{}",
                        b.location,
                        a.location,
                        a.key,
                        a.month.map_or_else(
                            || " for every month".to_string(),
                            |m| format!(" for {m}")
                        )
                    ),
                });
            }
        }
        Ok(Budgets {
            level: level_name,
            lines,
        })
    }

    /// The budget of `key` in `month`: its own line for the month, else its every-month line.
    pub fn of(&self, key: &str, month: Month) -> Option<Nanos> {
        self.lines
            .iter()
            .find(|b| b.key == key && b.month == Some(month))
            .or_else(|| {
                self.lines
                    .iter()
                    .find(|b| b.key == key && b.month.is_none())
            })
            .map(|b| b.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("budgets.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn budgets_per_month_and_for_every_month() {
        let (_d, p) = write("Cost Center,Month,Budget USD\nCC-1,2026-09,\"$45,000.00\"\nCC-1,,40000\nCC-2,,1000.50\n");
        let b = Budgets::read(&p, None).unwrap();
        assert_eq!(b.level, "cost_center");
        let sep: Month = "2026-09".parse().unwrap();
        assert_eq!(b.of("CC-1", sep), Some(Nanos::from_cents(4_500_000)));
        assert_eq!(b.of("CC-1", sep.next()), Some(Nanos::from_cents(4_000_000)));
        assert_eq!(b.of("CC-3", sep), None);
    }

    #[test]
    fn bad_budgets_name_their_row_and_column() {
        let (_d, p) = write("department,month,budget_usd\nEng,2026-09,-5\n");
        let e = Budgets::read(&p, None).unwrap_err().to_string();
        assert!(
            e.contains("line 2") && e.contains("budget_usd") && e.contains("negative"),
            "{e}"
        );
        let (_d, p) = write("department,month,budget_usd\nEng,2026-13,5\n");
        assert!(Budgets::read(&p, None)
            .unwrap_err()
            .to_string()
            .contains("month"));
        let (_d, p) = write("department,month,budget_usd\nEng,,lots\n");
        assert!(Budgets::read(&p, None)
            .unwrap_err()
            .to_string()
            .contains("not an amount"));
        let (_d, p) = write("department,month,budget_usd\nEng,,5\nEng,,6\n");
        assert!(Budgets::read(&p, None)
            .unwrap_err()
            .to_string()
            .contains("both set"));
    }
}

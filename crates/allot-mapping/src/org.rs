//! The org mapping: who belongs to which cost center, from when to when, with the attributes
//! (department, division, manager...) reports can roll up by.

use std::collections::HashMap;
use std::path::Path;

use allot_core::date::parse_date;
use allot_core::facts::normalize_email;
use allot_core::InputError;
use chrono::NaiveDate;

use crate::table::Table;

/// One row of the mapping: a person's cost center over an inclusive date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Line in the mapping file, for messages.
    pub line: u64,
    /// The person, trimmed and lower-cased.
    pub email: String,
    /// The cost center, exactly as written (leading zeros kept).
    pub cost_center: String,
    /// First day the row applies; `None` means since always.
    pub effective_from: Option<NaiveDate>,
    /// Last day the row applies (inclusive); `None` means still valid.
    pub effective_to: Option<NaiveDate>,
    /// Values of the mapping's attribute columns, in `OrgMapping::attributes` order.
    pub attributes: Vec<String>,
}

impl Assignment {
    /// Whether this row applies on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.effective_from.is_none_or(|f| f <= day) && self.effective_to.is_none_or(|t| day <= t)
    }

    fn overlaps(&self, other: &Assignment) -> bool {
        let start = |a: &Assignment| a.effective_from.unwrap_or(NaiveDate::MIN);
        let end = |a: &Assignment| a.effective_to.unwrap_or(NaiveDate::MAX);
        start(self) <= end(other) && start(other) <= end(self)
    }
}

/// The whole mapping file, validated: every person has at most one row valid on any day.
#[derive(Debug, Clone)]
pub struct OrgMapping {
    /// Names of the attribute columns (every column but email, cost center and dates).
    pub attributes: Vec<String>,
    /// The rows, in file order.
    pub rows: Vec<Assignment>,
}

const EMAIL: &str = "email";
const COST_CENTER: &str = "cost_center";
const FROM: &str = "effective_from";
const TO: &str = "effective_to";

impl OrgMapping {
    /// Reads and validates a CSV mapping file.
    pub fn read(path: &Path) -> Result<OrgMapping, InputError> {
        let table = Table::read_csv(path)?;
        OrgMapping::from_table(&table)
    }

    /// Builds and validates a mapping from a table with `email`, `cost_center` and optional
    /// `effective_from` / `effective_to` columns; every other column is an attribute.
    pub fn from_table(table: &Table) -> Result<OrgMapping, InputError> {
        let email = table.require(EMAIL)?;
        let cc = table.require(COST_CENTER)?;
        let from = table.column(FROM);
        let to = table.column(TO);
        let special = [Some(email), Some(cc), from, to];
        let attr_cols: Vec<usize> = (0..table.headers.len())
            .filter(|i| !special.contains(&Some(*i)))
            .collect();
        let mut rows = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            let raw_email = &row.cells[email];
            if raw_email.is_empty() {
                return Err(table.bad_value(row, email, "is empty: every row needs an email"));
            }
            if !looks_like_email(raw_email) {
                return Err(table.bad_value(row, email, "is not an email address"));
            }
            if row.cells[cc].is_empty() {
                return Err(table.bad_value(row, cc, "is empty: every row needs a cost center"));
            }
            let date = |col: Option<usize>| -> Result<Option<NaiveDate>, InputError> {
                match col {
                    Some(c) if !row.cells[c].is_empty() => {
                        parse_date(&row.cells[c]).map(Some).ok_or_else(|| {
                            table.bad_value(row, c, "is not a date (expected YYYY-MM-DD)")
                        })
                    }
                    _ => Ok(None),
                }
            };
            let effective_from = date(from)?;
            let effective_to = date(to)?;
            if let (Some(f), Some(t)) = (effective_from, effective_to) {
                if t < f {
                    return Err(InputError::BadRow {
                        path: table.path.clone(),
                        line: row.line,
                        problem: format!(
                            "effective_to {t} is before effective_from {f} for {raw_email}"
                        ),
                    });
                }
            }
            rows.push(Assignment {
                line: row.line,
                email: normalize_email(raw_email),
                cost_center: row.cells[cc].clone(),
                effective_from,
                effective_to,
                attributes: attr_cols.iter().map(|&c| row.cells[c].clone()).collect(),
            });
        }
        let mapping = OrgMapping {
            attributes: attr_cols
                .iter()
                .map(|&c| table.headers[c].clone())
                .collect(),
            rows,
        };
        mapping.check_overlaps(&table.path)?;
        Ok(mapping)
    }

    /// Refuses a person with two rows valid on the same day: a cost must go to exactly one place.
    fn check_overlaps(&self, path: &Path) -> Result<(), InputError> {
        let mut by_person: HashMap<&str, Vec<&Assignment>> = HashMap::new();
        for row in &self.rows {
            by_person.entry(&row.email).or_default().push(row);
        }
        let mut first_problem: Option<(u64, String)> = None;
        for rows in by_person.values() {
            for (i, a) in rows.iter().enumerate() {
                for b in &rows[i + 1..] {
                    if a.overlaps(b) && first_problem.as_ref().is_none_or(|(l, _)| b.line < *l) {
                        first_problem = Some((
                            b.line,
                            format!(
                                "{} is mapped twice on the same days: this row overlaps line {} ({} and {})",
                                a.email, a.line, a.cost_center, b.cost_center
                            ),
                        ));
                    }
                }
            }
        }
        match first_problem {
            Some((line, problem)) => Err(InputError::BadRow {
                path: path.to_path_buf(),
                line,
                problem,
            }),
            None => Ok(()),
        }
    }

    /// The index of attribute `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<usize> {
        self.attributes
            .iter()
            .position(|a| a.eq_ignore_ascii_case(name))
    }

    /// Attributes that have one value per cost center throughout the file (levels of the
    /// hierarchy, like department or division), as opposed to per-person ones like manager.
    pub fn cost_center_attributes(&self) -> Vec<usize> {
        (0..self.attributes.len())
            .filter(|&i| {
                let mut seen: HashMap<&str, &str> = HashMap::new();
                self.rows.iter().all(|r| {
                    *seen
                        .entry(r.cost_center.as_str())
                        .or_insert(r.attributes[i].as_str())
                        == r.attributes[i]
                })
            })
            .collect()
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mapping(text: &str) -> Result<OrgMapping, InputError> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        OrgMapping::read(f.path())
    }

    #[test]
    fn reads_rows_attributes_and_dates() {
        let m = mapping(
            "email,cost_center,department,effective_from,effective_to,manager\n\
             Ann@X.com ,00123,Eng,,2026-09-14,bo@x.com\n\
             ann@x.com,00456,Sales,2026-09-15,,cy@x.com\n",
        )
        .unwrap();
        assert_eq!(m.attributes, vec!["department", "manager"]);
        assert_eq!(m.rows[0].email, "ann@x.com");
        assert_eq!(m.rows[0].cost_center, "00123");
        let d = |s| parse_date(s).unwrap();
        assert!(m.rows[0].covers(d("2026-09-14")));
        assert!(!m.rows[0].covers(d("2026-09-15")));
        assert!(m.rows[1].covers(d("2026-09-15")));
        assert_eq!(m.cost_center_attributes(), vec![0, 1]);
    }

    #[test]
    fn per_person_attributes_are_not_cost_center_attributes() {
        let m =
            mapping("email,cost_center,department,manager\na@x.com,C1,Eng,bo\nb@x.com,C1,Eng,cy\n")
                .unwrap();
        assert_eq!(m.cost_center_attributes(), vec![0]);
    }

    #[test]
    fn names_the_line_of_a_bad_row() {
        let err = mapping(
            "email,cost_center,effective_from,effective_to\na@x.com,C1,2026-09-15,2026-09-01\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2: effective_to 2026-09-01 is before effective_from 2026-09-15"),
            "{err}"
        );
        let err = mapping("email,cost_center,effective_from\na@x.com,C1,15/09/2026\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2, column `effective_from`: `15/09/2026` is not a date"),
            "{err}"
        );
        let err = mapping("email,cost_center\nnot-an-email,C1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`not-an-email` is not an email address"),
            "{err}"
        );
        let err = mapping("mail,cost_center\n").unwrap_err().to_string();
        assert!(
            err.contains("no `email` column (columns found: mail, cost_center)"),
            "{err}"
        );
    }

    #[test]
    fn refuses_overlapping_rows_for_one_person() {
        let err = mapping(
            "email,cost_center,effective_from,effective_to\n\
             a@x.com,C1,2026-09-01,2026-09-20\n\
             b@x.com,C1,,\n\
             A@x.com,C2,2026-09-15,\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 4: a@x.com is mapped twice"), "{err}");
        assert!(err.contains("overlaps line 2"), "{err}");
    }
}

//! The org mapping: who belongs to which cost center, from when to when, with the attributes
//! (department, division, manager...) reports can roll up by, and the checks that keep a
//! chargeback honest: no person in two places on one day, one hierarchy per cost center.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use allot_core::date::parse_date;
use allot_core::identity::{self, Kind, VIA_SEPARATOR};
use allot_core::InputError;
use chrono::NaiveDate;

use crate::columns::{resolve, ColumnConfig};
use crate::table::Table;

/// One row of the mapping: a person's (or a non-person actor's) cost center over an
/// inclusive date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Line (CSV) or row (workbook) of the row, for messages.
    pub line: u64,
    /// Who the row maps: a person's email, trimmed and lower-cased, or the typed identity of
    /// an API key, workspace, service account, cloud principal or account
    /// (`api_key:apikey_01...`, see [`allot_core::identity`]).
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
    /// Whether the row maps a person (not an API key, workspace or other actor).
    pub fn is_person(&self) -> bool {
        identity::is_person(&self.email)
    }

    /// Whether this row applies on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.effective_from.is_none_or(|f| f <= day) && self.effective_to.is_none_or(|t| day <= t)
    }

    fn start(&self) -> NaiveDate {
        self.effective_from.unwrap_or(NaiveDate::MIN)
    }

    fn end(&self) -> NaiveDate {
        self.effective_to.unwrap_or(NaiveDate::MAX)
    }

    fn overlaps(&self, other: &Assignment) -> bool {
        self.start() <= other.end() && other.start() <= self.end()
    }

    fn range(&self) -> String {
        let date_text = |x: Option<NaiveDate>, open: &str| {
            x.map_or_else(|| open.to_string(), |date_text| date_text.to_string())
        };
        format!(
            "{}..{}",
            date_text(self.effective_from, "start"),
            date_text(self.effective_to, "open")
        )
    }
}

/// How serious a mapping finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The chargeback would be wrong: refused.
    Error,
    /// Worth a look, not wrong (e.g. a gap between two rows of one person).
    Warning,
}

/// One problem found in a mapping, with the row(s) it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// What and where, e.g. `line 4 overlaps line 2 for ann@x.com: ...`.
    pub message: String,
}

/// The whole mapping file, validated: every person has at most one row valid on any day and
/// every cost center sits in one place of the hierarchy.
#[derive(Debug, Clone)]
pub struct OrgMapping {
    /// Names of the attribute columns (every column but email, cost center and dates).
    pub attributes: Vec<String>,
    /// Attribute indices of the hierarchy levels above the cost center, lowest first.
    pub hierarchy: Vec<usize>,
    /// The rows, in file order.
    pub rows: Vec<Assignment>,
    /// Which columns were recognised as what, for the person running allot.
    pub recognised: String,
    /// Warnings found while reading (errors refuse the mapping).
    pub warnings: Vec<Finding>,
}

/// How to read a mapping file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Sheet to read in a workbook (overrides the column config's).
    pub sheet: Option<String>,
    /// Column-mapping TOML; default `<mapping>.toml` when it exists.
    pub columns: Option<std::path::PathBuf>,
}

impl OrgMapping {
    /// Reads and validates a mapping (CSV with its default column names, no config).
    pub fn read(path: &Path) -> Result<OrgMapping, InputError> {
        OrgMapping::read_with(path, &ReadOptions::default())
    }

    /// Reads and validates a mapping (CSV, XLSX, XLS, ODS), refusing it when any check fails.
    pub fn read_with(path: &Path, options: &ReadOptions) -> Result<OrgMapping, InputError> {
        let (mapping, findings) = OrgMapping::check_file(path, options)?;
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.message.clone())
            .collect();
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(InputError::Invalid {
                path: path.to_path_buf(),
                problems: errors,
            })
        }
    }

    /// Reads a mapping and runs every check, returning what it could read and all findings.
    pub fn check_file(
        path: &Path,
        options: &ReadOptions,
    ) -> Result<(OrgMapping, Vec<Finding>), InputError> {
        let config_path = options
            .columns
            .clone()
            .or_else(|| ColumnConfig::beside(path));
        let config = match &config_path {
            Some(p) => ColumnConfig::read(p)?,
            None => ColumnConfig::default(),
        };
        let sheet = options.sheet.clone().or_else(|| config.sheet.clone());
        let table = Table::read(path, sheet.as_deref())?;
        // A title row (or a merged heading) above the real header: the header is the first
        // row, among the first ten, that has the columns a mapping needs.
        let table = match crate::columns::resolve(&table, &config) {
            Ok(_) => table,
            Err(first) => (0..table.rows.len().min(10))
                .map(|k| table.with_header_at(k))
                .find(|t| crate::columns::resolve(t, &config).is_ok())
                .ok_or(first)?,
        };
        OrgMapping::from_table(&table, &config)
    }

    /// Builds a mapping from a table and runs every check on it.
    pub fn from_table(
        table: &Table,
        config: &ColumnConfig,
    ) -> Result<(OrgMapping, Vec<Finding>), InputError> {
        let cols = resolve(table, config)?;
        let mut special: Vec<Option<usize>> = cols.keys.iter().map(|(_, i)| Some(*i)).collect();
        special.extend([
            Some(cols.cost_center),
            cols.effective_from,
            cols.effective_to,
        ]);
        let attr_cols: Vec<usize> = (0..table.headers.len())
            .filter(|i| !special.contains(&Some(*i)) && !table.headers[*i].is_empty())
            .collect();
        let key_names = cols
            .keys
            .iter()
            .map(|(k, _)| k.mapping_column().expect("a mappable kind"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut findings = Vec::new();
        let mut rows = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            let mut errors = Vec::new();
            let read = read_row(
                table,
                row,
                (&cols, config),
                &key_names,
                &attr_cols,
                &mut errors,
            );
            findings.extend(errors.into_iter().map(|message| Finding {
                severity: Severity::Error,
                message,
            }));
            rows.extend(read);
        }
        inherit_attributes(&mut rows);
        let hierarchy: Vec<usize> = cols
            .hierarchy
            .iter()
            .filter_map(|h| attr_cols.iter().position(|a| a == h))
            .collect();
        let mut mapping = OrgMapping {
            attributes: attr_cols
                .iter()
                .map(|&c| table.headers[c].clone())
                .collect(),
            hierarchy,
            rows,
            recognised: cols.summary,
            warnings: Vec::new(),
        };
        findings.extend(mapping.check_people(table));
        findings.extend(mapping.check_hierarchy(table));
        findings.extend(mapping.check_leading_zeros(table));
        if mapping.rows.is_empty() && !findings.iter().any(|f| f.severity == Severity::Error) {
            findings.push(Finding {
                severity: Severity::Error,
                message: "no mapping rows: every cost would go to UNMAPPED (add one row per person: email, cost center)".into(),
            });
        }
        mapping.warnings = findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .cloned()
            .collect();
        Ok((mapping, findings))
    }

    /// Duplicates and overlaps (errors) and gaps (warnings) between one person's rows.
    fn check_people(&self, table: &Table) -> Vec<Finding> {
        let mut by_person: BTreeMap<&str, Vec<&Assignment>> = BTreeMap::new();
        for row in &self.rows {
            by_person.entry(&row.email).or_default().push(row);
        }
        let mut out = Vec::new();
        for (email, rows) in &by_person {
            for (i, a) in rows.iter().enumerate() {
                for b in &rows[i + 1..] {
                    if a.cost_center == b.cost_center
                        && a.effective_from == b.effective_from
                        && a.effective_to == b.effective_to
                        && a.attributes == b.attributes
                    {
                        out.push(Finding {
                            severity: Severity::Error,
                            message: format!(
                                "{} duplicates {} ({email})",
                                table.locate(b.line),
                                table.locate(a.line)
                            ),
                        });
                    } else if a.overlaps(b) {
                        out.push(Finding {
                            severity: Severity::Error,
                            message: format!(
                                "{} overlaps {} for {email}: {} {} and {} {}",
                                table.locate(b.line),
                                table.locate(a.line),
                                a.cost_center,
                                a.range(),
                                b.cost_center,
                                b.range()
                            ),
                        });
                    }
                }
            }
            let mut sorted = rows.clone();
            sorted.sort_by_key(|r| r.start());
            for pair in sorted.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if let (Some(end), Some(start)) = (a.effective_to, b.effective_from) {
                    if start > end + chrono::Days::new(1) {
                        out.push(Finding {
                            severity: Severity::Warning,
                            message: format!(
                                "{email} has no cost center from {} to {} (between {} and {}): their cost those days goes to UNMAPPED",
                                end + chrono::Days::new(1),
                                start - chrono::Days::new(1),
                                table.locate(a.line),
                                table.locate(b.line)
                            ),
                        });
                    }
                }
            }
        }
        out
    }

    /// Two cost centers that differ only by leading zeros (`00456` and `456`) are one code
    /// a spreadsheet showed two ways (a number formatted `00000`, and the same number not):
    /// refused, naming both rows, rather than charged as two.
    fn check_leading_zeros(&self, table: &Table) -> Vec<Finding> {
        let mut seen: HashMap<&str, &Assignment> = HashMap::new();
        let mut said: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in &self.rows {
            let code = row.cost_center.as_str();
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let trimmed = code.trim_start_matches('0');
            let first = *seen.entry(trimmed).or_insert(row);
            if first.cost_center != code && said.insert((first.cost_center.as_str(), code)) {
                out.push(Finding {
                    severity: Severity::Error,
                    message: format!(
                        "cost centers \"{}\" ({}) and \"{code}\" ({}) differ only by leading zeros: a spreadsheet may show one number two ways; make the column text, or write the code the same way everywhere",
                        first.cost_center,
                        table.locate(first.line),
                        table.locate(row.line),
                    ),
                });
            }
        }
        out
    }

    /// A cost center must sit under one value of each hierarchy level.
    fn check_hierarchy(&self, table: &Table) -> Vec<Finding> {
        let mut out = Vec::new();
        for &level in &self.hierarchy {
            let mut first: HashMap<&str, &Assignment> = HashMap::new();
            for row in &self.rows {
                let seen = *first.entry(row.cost_center.as_str()).or_insert(row);
                if seen.attributes[level] != row.attributes[level] {
                    out.push(Finding {
                        severity: Severity::Error,
                        message: format!(
                            "cost center {} is under {} \"{}\" on {} but \"{}\" on {} ({}): a cost center has one place in the hierarchy",
                            row.cost_center,
                            self.attributes[level],
                            seen.attributes[level],
                            table.locate(seen.line),
                            row.attributes[level],
                            table.locate(row.line),
                            row.email
                        ),
                    });
                }
            }
        }
        // Every level above the cost center too: a department sits under one division.
        for pair in self.hierarchy.windows(2) {
            let (lower, upper) = (pair[0], pair[1]);
            let mut first: HashMap<&str, &Assignment> = HashMap::new();
            let mut said: std::collections::HashSet<(&str, &str)> =
                std::collections::HashSet::new();
            for row in &self.rows {
                let value = row.attributes[lower].as_str();
                if value.is_empty() {
                    continue;
                }
                let seen = *first.entry(value).or_insert(row);
                let parent = row.attributes[upper].as_str();
                if seen.attributes[upper] != parent && said.insert((value, parent)) {
                    out.push(Finding {
                        severity: Severity::Error,
                        message: format!(
                            "{} \"{value}\" is under {} \"{}\" on {} but \"{parent}\" on {}: each value of a level has one place in the hierarchy",
                            self.attributes[lower],
                            self.attributes[upper],
                            seen.attributes[upper],
                            table.locate(seen.line),
                            table.locate(row.line),
                        ),
                    });
                }
            }
        }
        out
    }

    /// The mapping with one more row per cost center, for the typed identity
    /// `cost_center:CC` (valid always, with the attributes of the cost center's last row), so
    /// a cost a cloud bill's tag names a cost center for is charged there like any other.
    /// Rows that are already there are not added twice.
    pub fn with_cost_center_identities(&self) -> OrgMapping {
        let mut out = self.clone();
        let mut last: BTreeMap<&str, &Assignment> = BTreeMap::new();
        for r in &self.rows {
            last.insert(r.cost_center.as_str(), r);
        }
        for (cc, r) in last {
            let id = identity::make(Kind::CostCenter, cc);
            if self.rows.iter().any(|x| x.email == id) {
                continue;
            }
            out.rows.push(Assignment {
                line: 0,
                email: id,
                cost_center: cc.to_string(),
                effective_from: None,
                effective_to: None,
                attributes: r.attributes.clone(),
            });
        }
        out
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

/// Reads one mapping row: its identity (exactly one identity column filled), cost center and
/// effective dates, checked; every problem goes to `errors` and the row is then left out.
fn read_row(
    table: &Table,
    row: &crate::table::Row,
    (cols, config): (&crate::columns::Resolved, &ColumnConfig),
    key_names: &str,
    attr_cols: &[usize],
    errors: &mut Vec<String>,
) -> Option<Assignment> {
    let cell = |c: usize| row.cells[c].as_str();
    let problem = |c: usize, what: &str| {
        let message = table.bad_value(row, c, what).to_string();
        // Drop the leading file name: the report names the file once.
        let prefix = format!("`{}`, ", table.path.display());
        message
            .strip_prefix(&prefix)
            .map_or(message.clone(), str::to_string)
    };
    let mut ok = true;
    // Exactly one identity column is filled: the person's email, or the id of the
    // API key, workspace, service account, cloud principal or account the row maps.
    let filled: Vec<(Kind, usize)> = cols
        .keys
        .iter()
        .copied()
        .filter(|(_, c)| !cell(*c).is_empty())
        .collect();
    let raw_email = filled.first().map_or("", |(_, c)| cell(*c));
    let mut identity = String::new();
    match filled.as_slice() {
        [] if cols.keys.len() == 1 && cols.keys[0].0 == Kind::Person => {
            errors.push(format!("{}: the email is empty", table.locate(row.line)));
            ok = false;
        }
        [] => {
            errors.push(format!(
                "{}: no identity: fill one of {key_names}",
                table.locate(row.line)
            ));
            ok = false;
        }
        [(Kind::Person, c)] if !looks_like_email(cell(*c)) => {
            errors.push(problem(*c, "is not an email address"));
            ok = false;
        }
        [(kind, c)] => {
            if cell(*c).contains(VIA_SEPARATOR) {
                errors.push(problem(*c, "holds `|`, which no id may contain"));
                ok = false;
            }
            // A principal that is an email is the person.
            let kind = if *kind == Kind::Principal && looks_like_email(cell(*c)) {
                Kind::Person
            } else {
                *kind
            };
            identity = identity::make(kind, cell(*c));
        }
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|(k, c)| {
                    format!(
                        "{} `{}`",
                        k.mapping_column().expect("a mappable kind"),
                        cell(*c)
                    )
                })
                .collect();
            errors.push(format!(
                "{}: a row maps one identity, and this one fills {}: put each on its own row",
                table.locate(row.line),
                names.join(" and ")
            ));
            ok = false;
        }
    }
    if cell(cols.cost_center).is_empty() {
        errors.push(format!(
            "{}: the cost center is empty",
            table.locate(row.line)
        ));
        ok = false;
    }
    let mut date = |col: Option<usize>| -> Option<NaiveDate> {
        let at = col?;
        if cell(at).is_empty() {
            return None;
        }
        let d = parse_mapping_date(cell(at)).or_else(|| {
            config
                .date_format
                .as_deref()
                .and_then(|f| NaiveDate::parse_from_str(cell(at), f).ok())
        });
        if d.is_none() {
            let why = match (&config.date_format, day_or_month_first(cell(at))) {
                (Some(f), _) => format!(
                    "is not a date (expected YYYY-MM-DD, a spreadsheet date, or `{f}` as the column map's date_format says)"
                ),
                (None, Some(sep)) => format!(
                    "is a date written with `{sep}`, which reads two ways (day first or month first): say which with date_format = \"%d{sep}%m{sep}%Y\" (or \"%m{sep}%d{sep}%Y\") in the column map, or write YYYY-MM-DD"
                ),
                (None, None) => {
                    "is not a date (expected YYYY-MM-DD or a spreadsheet date)".into()
                }
            };
            errors.push(problem(at, &why));
            ok = false;
        }
        d
    };
    let effective_from = date(cols.effective_from);
    let effective_to = date(cols.effective_to);
    if let (Some(f), Some(t)) = (effective_from, effective_to) {
        if t < f {
            errors.push(format!(
                "{}: effective_to {t} is before effective_from {f} for {raw_email}",
                table.locate(row.line)
            ));
            ok = false;
        }
    }
    ok.then(|| Assignment {
        line: row.line,
        email: identity,
        cost_center: cell(cols.cost_center).to_string(),
        effective_from,
        effective_to,
        attributes: attr_cols.iter().map(|&c| row.cells[c].clone()).collect(),
    })
}

/// A row mapping an API key, workspace or other actor needs only its id and cost center: the
/// attributes it leaves blank (department, division...) are its cost center's, taken from the
/// first person's row of that cost center, so the hierarchy holds without repeating them.
fn inherit_attributes(rows: &mut [Assignment]) {
    let mut of_cc: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows.iter().filter(|r| r.is_person()) {
        let seen = of_cc
            .entry(r.cost_center.clone())
            .or_insert_with(|| vec![String::new(); r.attributes.len()]);
        for (slot, v) in seen.iter_mut().zip(&r.attributes) {
            if slot.is_empty() {
                slot.clone_from(v);
            }
        }
    }
    for r in rows.iter_mut().filter(|r| !r.is_person()) {
        if let Some(values) = of_cc.get(&r.cost_center) {
            for (a, v) in r.attributes.iter_mut().zip(values) {
                if a.is_empty() {
                    a.clone_from(v);
                }
            }
        }
    }
}

/// Parses a mapping date: ISO `YYYY-MM-DD` (optionally with a midnight time), or a spreadsheet
/// serial number (days since 1899-12-30, as Excel stores dates).
pub fn parse_mapping_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(d) = parse_date(s) {
        return Some(d);
    }
    if s.len() > 10 && s.is_char_boundary(10) {
        let (date, time) = s.split_at(10);
        let time = time.trim_start_matches(['T', ' ']);
        if matches!(time, "00:00:00" | "00:00" | "00:00:00Z" | "00:00:00.000") {
            return parse_date(date);
        }
    }
    let serial: i64 = s.strip_suffix(".0").unwrap_or(s).parse().ok()?;
    // Serial 61 is 1900-03-01; earlier serials carry Excel's 1900 leap-year bug: refuse them.
    if !(61..=2_958_465).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(serial as u64))
}

/// The separator of a date written `01/09/2026`, `1.9.2026` or `01-09-2026` (day or month
/// first), if the text is one.
fn day_or_month_first(s: &str) -> Option<char> {
    let sep = s.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    (parts.len() == 3
        && digits(parts[0], 1..=2)
        && digits(parts[1], 1..=2)
        && digits(parts[2], 4..=4))
    .then_some(sep)
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.contains(char::is_whitespace)
                && !s.contains(':')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mapping(text: &str) -> Result<OrgMapping, InputError> {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
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
        assert_eq!(m.hierarchy, vec![0]);
        assert_eq!(m.rows[0].email, "ann@x.com");
        assert_eq!(m.rows[0].cost_center, "00123");
        let d = |s| parse_date(s).unwrap();
        assert!(m.rows[0].covers(d("2026-09-14")));
        assert!(!m.rows[0].covers(d("2026-09-15")));
        assert!(m.rows[1].covers(d("2026-09-15")));
        assert_eq!(m.cost_center_attributes(), vec![0, 1]);
    }

    #[test]
    fn rows_map_api_keys_workspaces_and_service_accounts_with_effective_dates() {
        let m = mapping(
            "email,api_key_id,workspace_id,service_account_id,cost_center,effective_from,effective_to\n\
             ann@x.com,,,,C1,,\n\
             ,apikey_01AbC,,,C1,,2026-09-15\n\
             ,apikey_01AbC,,,C2,2026-09-16,\n\
             ,,wrkspc_01Auto,,C3,,\n\
             ,,,svac_01Etl,C2,,\n",
        )
        .unwrap();
        let ids: Vec<&str> = m.rows.iter().map(|r| r.email.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "ann@x.com",
                "api_key:apikey_01AbC",
                "api_key:apikey_01AbC",
                "workspace:wrkspc_01Auto",
                "service_account:svac_01Etl"
            ]
        );
        assert!(m.rows[0].is_person() && !m.rows[1].is_person());
        assert!(m.attributes.is_empty(), "key columns are no attributes");
        assert!(m.recognised.starts_with(
            "email = \"email\", api_key_id = \"api_key_id\", workspace_id = \"workspace_id\""
        ));
        // A mapping of keys alone (a Console organisation) needs no email column.
        let m = mapping("API Key ID,Cost Center\napikey_9,C9\n").unwrap();
        assert_eq!(m.rows[0].email, "api_key:apikey_9");
        // Cloud principals: an email is the person, anything else a principal.
        let m = mapping(
            "principal_id,account_id,cost_center\nJo@X.com,,C1\narn:aws:iam::1:role/ci,,C2\n,123456789012,C3\narn:aws:sts::1:assumed-role/dev/ann@x.com,,C1\n",
        )
        .unwrap();
        let ids: Vec<&str> = m.rows.iter().map(|r| r.email.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "jo@x.com",
                "principal:arn:aws:iam::1:role/ci",
                "account:123456789012",
                "principal:arn:aws:sts::1:assumed-role/dev/ann@x.com"
            ]
        );
    }

    #[test]
    fn a_key_row_takes_its_cost_centers_attributes() {
        let m = mapping(
            "email,api_key_id,cost_center,department,division\n\
             ann@x.com,,C1,Eng,Tech\n\
             ,apikey_1,C1,,\n\
             ,apikey_2,C9,,\n",
        )
        .unwrap();
        assert_eq!(m.rows[1].attributes, vec!["Eng", "Tech"]);
        assert_eq!(
            m.rows[2].attributes,
            vec!["", ""],
            "a cost center with no people keeps blanks"
        );
        assert_eq!(m.cost_center_attributes(), vec![0, 1]);
    }

    #[test]
    fn a_row_maps_exactly_one_identity_and_key_rows_may_not_overlap() {
        let err = mapping(
            "email,api_key_id,cost_center,effective_from,effective_to\n\
             ann@x.com,apikey_1,C1,,\n\
             ,,C1,,\n\
             ,apikey_2,C1,,2026-09-30\n\
             ,apikey_2,C2,2026-09-15,\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2: a row maps one identity, and this one fills email `ann@x.com` and api_key_id `apikey_1`"),
            "{err}"
        );
        assert!(
            err.contains("line 3: no identity: fill one of email, api_key_id"),
            "{err}"
        );
        assert!(
            err.contains("line 5 overlaps line 4 for api_key:apikey_2"),
            "{err}"
        );
    }

    #[test]
    fn cost_centers_become_identities_for_tags() {
        let m = mapping("email,cost_center,department\na@x.com,C1,Eng\nb@x.com,C2,Ops\n")
            .unwrap()
            .with_cost_center_identities();
        let row = m.rows.iter().find(|r| r.email == "cost_center:C2").unwrap();
        assert_eq!(
            (row.cost_center.as_str(), row.attributes.clone()),
            ("C2", vec!["Ops".to_string()])
        );
        assert!(!row.is_person());
        assert_eq!(
            m.with_cost_center_identities().rows.len(),
            m.rows.len(),
            "not twice"
        );
    }

    #[test]
    fn recognises_common_header_spellings() {
        let m = mapping(
            "Work Email,Cost Centre,Start Date,End Date,Division\na@x.com,C1,2026-01-01,,Eng\n",
        )
        .unwrap();
        assert_eq!(m.rows[0].effective_from, parse_date("2026-01-01"));
        assert_eq!(
            m.recognised,
            "email = \"Work Email\", cost_center = \"Cost Centre\", effective_from = \"Start Date\", effective_to = \"End Date\", hierarchy = cost_center < \"Division\""
        );
    }

    #[test]
    fn per_person_attributes_are_not_cost_center_attributes() {
        let m =
            mapping("email,cost_center,department,manager\na@x.com,C1,Eng,bo\nb@x.com,C1,Eng,cy\n")
                .unwrap();
        assert_eq!(m.cost_center_attributes(), vec![0]);
    }

    #[test]
    fn spreadsheet_dates_are_understood() {
        assert_eq!(parse_mapping_date("46280"), parse_date("2026-09-15"));
        assert_eq!(
            parse_mapping_date("2026-09-15 00:00:00"),
            parse_date("2026-09-15")
        );
        assert_eq!(parse_mapping_date("15/09/2026"), None);
        assert_eq!(parse_mapping_date("12"), None);
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
            err.contains("line 2, column `effective_from`: `15/09/2026` is a date written with `/`, which reads two ways"),
            "{err}"
        );
        let err = mapping("email,cost_center\nnot-an-email,C1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`not-an-email` is not an email address"),
            "{err}"
        );
        let err = mapping("mail_box,cost_center\n").unwrap_err().to_string();
        assert!(
            err.contains("no `email` column (columns found: mail_box, cost_center)"),
            "{err}"
        );
    }

    #[test]
    fn refuses_overlaps_duplicates_and_split_hierarchies_and_warns_of_gaps() {
        let text = "email,cost_center,department,effective_from,effective_to\n\
             a@x.com,C1,Eng,2026-09-01,2026-09-20\n\
             b@x.com,C1,Eng,,\n\
             A@x.com,C2,Ops,2026-09-15,\n\
             b@x.com,C1,Eng,,\n\
             c@x.com,C1,Sales,,2026-08-31\n\
             c@x.com,C2,Ops,2026-09-10,\n";
        let err = mapping(text).unwrap_err().to_string();
        assert!(err.contains("line 4 overlaps line 2 for a@x.com: C1 2026-09-01..2026-09-20 and C2 2026-09-15..open"), "{err}");
        assert!(err.contains("line 5 duplicates line 3 (b@x.com)"), "{err}");
        assert!(
            err.contains(
                "cost center C1 is under department \"Eng\" on line 2 but \"Sales\" on line 6"
            ),
            "{err}"
        );
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        let (_, findings) = OrgMapping::check_file(f.path(), &ReadOptions::default()).unwrap();
        let gap = findings
            .iter()
            .find(|f| f.severity == Severity::Warning)
            .unwrap();
        assert!(
            gap.message
                .contains("c@x.com has no cost center from 2026-09-01 to 2026-09-09"),
            "{}",
            gap.message
        );
    }
}

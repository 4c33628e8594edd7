//! A spreadsheet read as text cells with their line numbers, whatever file it came from, so
//! every reader reports problems by file, line and column the same way.

use std::path::{Path, PathBuf};

use allot_core::InputError;

/// One data row: its 1-based line in the file (header = line 1) and its trimmed cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Where the row starts in the file.
    pub line: u64,
    /// Cells, trimmed, one per header (missing trailing cells are empty).
    pub cells: Vec<String>,
}

/// A header row and the data rows under it; blank rows are skipped.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file the table came from.
    pub path: PathBuf,
    /// Header cells, trimmed.
    pub headers: Vec<String>,
    /// Data rows, blank ones left out.
    pub rows: Vec<Row>,
}

impl Table {
    /// Reads a CSV file whose first line is the header.
    pub fn read_csv(path: &Path) -> Result<Table, InputError> {
        let bytes = std::fs::read(path).map_err(|source| InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let lines = LineIndex::new(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let bad = |e: csv::Error| InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("not a readable CSV file: {e}"),
        };
        let mut records = reader.records();
        let headers: Vec<String> = match records.next() {
            Some(r) => r
                .map_err(bad)?
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                .collect(),
            None => {
                return Err(InputError::BadFile {
                    path: path.to_path_buf(),
                    problem: "is empty: expected a header line".into(),
                })
            }
        };
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(bad)?;
            let line = record
                .position()
                .map_or(0, |p| lines.line_of(&bytes, p.byte()));
            let mut cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            if cells.len() > headers.len() && cells[headers.len()..].iter().any(|c| !c.is_empty()) {
                return Err(InputError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    problem: format!(
                        "has {} cells but the header has {} columns",
                        cells.len(),
                        headers.len()
                    ),
                });
            }
            cells.resize(headers.len(), String::new());
            rows.push(Row { line, cells });
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// The index of the column named `name` (case-insensitive), if any.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// The index of a column that must be there, or an error listing the columns found.
    pub fn require(&self, name: &str) -> Result<usize, InputError> {
        self.column(name).ok_or_else(|| InputError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            found: self.headers.clone(),
        })
    }

    /// An error about one cell.
    pub fn bad_value(&self, row: &Row, col: usize, problem: impl Into<String>) -> InputError {
        InputError::BadValue {
            path: self.path.clone(),
            line: row.line,
            column: self.headers[col].clone(),
            value: row.cells[col].clone(),
            problem: problem.into(),
        }
    }
}

/// Finds the 1-based line of a byte offset (the csv crate's own line count skips blank lines).
#[derive(Debug)]
pub struct LineIndex {
    newlines: Vec<u64>,
}

impl LineIndex {
    /// Indexes the line breaks of `bytes`.
    pub fn new(bytes: &[u8]) -> LineIndex {
        LineIndex {
            newlines: bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i as u64)
                .collect(),
        }
    }

    /// The line a record starting at byte `offset` of `bytes` is on; blank lines the CSV
    /// reader skipped before the record are stepped over.
    pub fn line_of(&self, bytes: &[u8], offset: u64) -> u64 {
        let mut at = offset as usize;
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            at += 1;
        }
        self.newlines.partition_point(|&n| n < at as u64) as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_cells_with_their_lines_and_skips_blank_rows() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "\u{feff}Email , cost_center\n a@x.com ,CC1\n,\n\nb@x.com,CC2\n"
        )
        .unwrap();
        let t = Table::read_csv(f.path()).unwrap();
        assert_eq!(t.headers, vec!["Email", "cost_center"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells, vec!["a@x.com", "CC1"]);
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.column("EMAIL"), Some(0));
        let err = t.require("effective_from").unwrap_err().to_string();
        assert!(
            err.contains("no `effective_from` column (columns found: Email, cost_center)"),
            "{err}"
        );
    }
}

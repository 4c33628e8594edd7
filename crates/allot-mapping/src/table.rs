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
    /// The sheet, for workbooks; `None` for CSV.
    pub sheet: Option<String>,
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
            .delimiter(sniff_delimiter(&bytes))
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
            sheet: None,
            headers,
            rows,
        })
    }

    /// Reads a mapping-like table from CSV, XLSX, XLS, XLSB or ODS, picking `sheet` (default: the first).
    pub fn read(path: &Path, sheet: Option<&str>) -> Result<Table, InputError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => {
                if let Some(s) = sheet {
                    return Err(InputError::BadFile {
                        path: path.to_path_buf(),
                        problem: format!("is a CSV file: it has no sheet `{s}`"),
                    });
                }
                Table::read_csv(path)
            }
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => {
                // A damaged workbook can make the spreadsheet reader panic (fuzzing found an
                // XLSX whose cell reference overflows calamine's arithmetic): bad input,
                // named, never a crash.
                std::panic::catch_unwind(|| Table::read_sheet(path, sheet)).unwrap_or_else(|_| {
                    Err(InputError::BadFile {
                        path: path.to_path_buf(),
                        problem: "is damaged: the workbook could not be read".into(),
                    })
                })
            }
            _ => Err(InputError::BadFile {
                path: path.to_path_buf(),
                problem: "is not a CSV, XLSX, XLS, XLSB or ODS file".into(),
            }),
        }
    }

    /// Reads one sheet of a workbook; cells become the text a person sees in them.
    pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Table, InputError> {
        use calamine::{open_workbook_auto, Reader};
        if let Err(source) = std::fs::metadata(path) {
            return Err(InputError::Unreadable {
                path: path.to_path_buf(),
                source,
            });
        }
        let bad = |problem: String| InputError::BadFile {
            path: path.to_path_buf(),
            problem,
        };
        let mut wb =
            open_workbook_auto(path).map_err(|e| bad(format!("not a readable workbook: {e}")))?;
        let names = wb.sheet_names();
        let name = match sheet {
            Some(s) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(s))
                .cloned()
                .ok_or_else(|| bad(format!("has no sheet `{s}` (sheets: {})", names.join(", "))))?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| bad("has no sheets".into()))?,
        };
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| bad(format!("sheet `{name}` cannot be read: {e}")))?;
        // A number shown with leading zeros (format `00000`: 123 shown as 00123) is read as
        // shown; the formats are known for XLSX.
        let styles = match &mut wb {
            calamine::Sheets::Xlsx(x) => x.worksheet_style(&name).ok(),
            _ => None,
        };
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let shown = |i: usize, j: usize, c: &calamine::Data| -> String {
            let text = cell_text(c);
            let format = styles
                .as_ref()
                .and_then(|s| s.get((row0 + i as u32, col0 + j as u32)))
                .and_then(|s| s.number_format.as_ref())
                .map(|f| f.format_code.as_str());
            match (c, format) {
                (calamine::Data::Int(_) | calamine::Data::Float(_), Some(code)) => {
                    zero_padded(&text, code).unwrap_or(text)
                }
                _ => text,
            }
        };
        let mut rows_iter = range
            .rows()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !cell_text(c).is_empty()));
        let Some((hi, header)) = rows_iter.next() else {
            return Err(bad(format!(
                "sheet `{name}` is empty: expected a header row"
            )));
        };
        // Columns before the sheet's first used column still count for letters in messages.
        // Columns left of the sheet's first used column are kept empty, so letters stay true.
        let pad = col0 as usize;
        let text_row = |i: usize, r: &[calamine::Data]| -> Vec<String> {
            std::iter::repeat_n(String::new(), pad)
                .chain(
                    r.iter()
                        .enumerate()
                        .map(|(j, c)| shown(i, j, c).trim().to_string()),
                )
                .collect()
        };
        let headers = text_row(hi, header);
        let mut rows = Vec::new();
        for (i, r) in rows_iter {
            rows.push(Row {
                line: u64::from(row0) + i as u64 + 1,
                cells: text_row(i, r),
            });
        }
        Ok(Table {
            path: path.to_path_buf(),
            sheet: Some(name),
            headers,
            rows,
        })
    }

    /// The table whose header is its data row `k` (the rows above it were a title).
    pub fn with_header_at(&self, k: usize) -> Table {
        Table {
            path: self.path.clone(),
            sheet: self.sheet.clone(),
            headers: self.rows[k].cells.clone(),
            rows: self.rows[k + 1..].to_vec(),
        }
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

    /// An error about one cell: by line for CSV, by sheet, row and column letter for workbooks.
    pub fn bad_value(&self, row: &Row, col: usize, problem: impl Into<String>) -> InputError {
        match &self.sheet {
            None => InputError::BadValue {
                path: self.path.clone(),
                line: row.line,
                column: self.headers[col].clone(),
                value: row.cells[col].clone(),
                problem: problem.into(),
            },
            Some(sheet) => InputError::BadCell {
                path: self.path.clone(),
                sheet: sheet.clone(),
                row: row.line,
                letter: column_letter(col),
                column: self.headers[col].clone(),
                value: row.cells[col].clone(),
                problem: problem.into(),
            },
        }
    }

    /// Where a row is, for messages: `line 12` or `sheet "Org", row 12`.
    pub fn locate(&self, row: u64) -> String {
        match &self.sheet {
            None => format!("line {row}"),
            Some(s) => format!("sheet \"{s}\", row {row}"),
        }
    }
}

/// The text a person sees in a spreadsheet cell: whole numbers without `.0`, dates as
/// YYYY-MM-DD, text as written (so `00123` stays `00123`).
fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            Some(d) => d.to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The delimiter of a CSV file, from its first line that is not blank: the most frequent of
/// `,`, `;` and tab outside quotes (a European export separates with `;`), `,` on a tie.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let first = bytes
        .split(|b| *b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or(&[]);
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in first {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], i == 0)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// A whole number as a zero-padding format shows it (`00000` shows 123 as `00123`), or None
/// when the format is not one (General, decimals, dates...).
fn zero_padded(text: &str, format: &str) -> Option<String> {
    let code = format.split(';').next().unwrap_or("");
    if code.len() < 2
        || !code.bytes().all(|b| b == b'0')
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(format!("{text:0>width$}", width = code.len()))
}

/// Spreadsheet column letters for a 0-based index: 0 is A, 26 is AA.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
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

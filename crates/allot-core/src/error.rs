//! Errors about input files, shared by every reader so messages name file, line, column and value alike.

use std::path::PathBuf;

/// Something wrong with an input file, precise enough for a person to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file is not there or cannot be opened.
    #[error("cannot read `{}`", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// An output file cannot be written.
    #[error("cannot write `{}`", path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A required column is absent.
    #[error("`{}` has no `{column}` column (columns found: {})", path.display(), found.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column that is needed.
        column: String,
        /// The columns the file has.
        found: Vec<String>,
    },
    /// A cell that cannot be read as what its column holds.
    #[error("`{}`, line {line}, column `{column}`: `{value}` {problem}", path.display())]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number, the header being line 1.
        line: u64,
        /// The column's name.
        column: String,
        /// The cell as written.
        value: String,
        /// What is wrong, e.g. "is not a date (expected YYYY-MM-DD)".
        problem: String,
    },
    /// A spreadsheet cell that cannot be read as what its column holds.
    #[error("`{}`, sheet \"{sheet}\", row {row}, column {letter} (`{column}`): `{value}` {problem}", path.display())]
    BadCell {
        /// The workbook.
        path: PathBuf,
        /// The sheet's name.
        sheet: String,
        /// 1-based row number.
        row: u64,
        /// Column letter, e.g. `C`.
        letter: String,
        /// The column's header.
        column: String,
        /// The cell as shown.
        value: String,
        /// What is wrong.
        problem: String,
    },
    /// A mapping with problems that make a chargeback wrong (overlaps, bad rows...), all listed.
    #[error("`{}` is not a valid mapping:\n  {}", path.display(), problems.join("\n  "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// One line per problem, each naming its row(s).
        problems: Vec<String>,
    },
    /// A row that is wrong as a whole (e.g. an end date before its start date).
    #[error("`{}`, line {line}: {problem}", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line number, the header being line 1.
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// The file's format is not one allot reads, or it is malformed as a whole.
    #[error("`{}`: {problem}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

//! The format-independent shape of a report: metadata, typed columns, rows and a total line.

use allot_core::money::format_cents;
use allot_core::Status;

/// What a column holds, which decides alignment and formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text, left-aligned.
    Text,
    /// A whole number.
    Int,
    /// Dollars, exact to the cent.
    Money,
    /// A percentage with two decimals.
    Pct,
}

/// A column: its name (a contract for scripts) and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header written in CSV and JSON.
    pub name: String,
    /// What the cells hold.
    pub kind: Kind,
    /// Whether the terminal table shows it (CSV and JSON always do).
    pub in_table: bool,
}

impl Column {
    /// A column named `name` holding `kind`.
    pub fn new(name: &str, kind: Kind) -> Column {
        Column {
            name: name.to_string(),
            kind,
            in_table: true,
        }
    }

    /// The same column, left out of the terminal table (detail for files only).
    #[must_use]
    pub fn csv_only(mut self) -> Column {
        self.in_table = false;
        self
    }
}

/// One cell's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// Whole cents.
    Cents(i64),
    /// Hundredths of a percent (`1234` is 12.34%).
    Pct(i64),
    /// An exact, unrounded amount of dollars.
    Exact(allot_core::Nanos),
    /// No value.
    Empty,
}

impl Cell {
    /// The cell as plain text, the way CSV writes it.
    pub fn to_plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Cents(c) | Cell::Pct(c) => format_cents(*c),
            Cell::Exact(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }

    /// Like [`Cell::to_plain`], but text that a spreadsheet would run as a formula (starting
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'` so it stays text.
    pub fn to_safe(&self) -> String {
        match self {
            Cell::Text(s) => neutralize(s),
            other => other.to_plain(),
        }
    }
}

/// A finished report, ready for any writer.
#[derive(Debug, Clone)]
pub struct Report {
    /// Title shown above the terminal table.
    pub title: String,
    /// Whether the figures are final; every output says it.
    pub status: Status,
    /// Key facts about the run (month, as-of date, level...), in order.
    pub meta: Vec<(String, String)>,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// The total line, if the report has one (shown in the table and JSON, not in CSV rows).
    pub total: Option<Vec<Cell>>,
    /// Notes for the reader (unmapped people, coverage...), shown under the table.
    pub notes: Vec<Note>,
}

/// What a note says about its figures: front ends style and keep notes by this, never by
/// their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Anything else: how figures were made, what was left out, what to do.
    Info,
    /// Some days hold seat users' cost only (synced from the older per-user report).
    SeatUsersOnly,
    /// Days the facts should hold are missing: the figures are not the period's whole cost.
    Incomplete,
    /// Days still open to revision: the figures may change.
    Provisional,
}

impl NoteKind {
    /// Whether the note says the figures are not final (incomplete or provisional): kept with
    /// any part of the report, and shown as a warning.
    pub fn is_status(self) -> bool {
        matches!(self, NoteKind::Incomplete | NoteKind::Provisional)
    }
}

/// A note under a report: its words, and what kind of thing it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What it says about the figures.
    pub kind: NoteKind,
    /// Its words, as every output prints them.
    pub text: String,
}

impl Note {
    /// A note of `kind`.
    pub fn new(kind: NoteKind, text: impl Into<String>) -> Note {
        Note {
            kind,
            text: text.into(),
        }
    }
}

impl Note {
    /// Plain notes (`NoteKind::Info`) of each text.
    pub fn infos(texts: impl IntoIterator<Item = String>) -> Vec<Note> {
        texts.into_iter().map(Note::from).collect()
    }
}

impl From<String> for Note {
    fn from(text: String) -> Note {
        Note::new(NoteKind::Info, text)
    }
}

impl From<&str> for Note {
    fn from(text: &str) -> Note {
        Note::new(NoteKind::Info, text)
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Makes text safe for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or carriage return would
/// make Excel or LibreOffice evaluate it as a formula, so such text gets a leading `'`.
pub fn neutralize(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_and_numbers_are_not() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("CC-100"), "CC-100");
        assert_eq!(Cell::Cents(-5).to_safe(), "-0.05");
        assert_eq!(
            Cell::Exact(allot_core::Nanos(-2_500_000_000)).to_safe(),
            "-2.50"
        );
        assert_eq!(Cell::Text("-5".into()).to_safe(), "'-5");
    }
}

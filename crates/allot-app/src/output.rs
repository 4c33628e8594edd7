//! What a run produces for a front end to show or write: named reports, ready-made files and
//! messages for the person. The CLI writes them atomically and prints the tables; the
//! dashboard renders them as pages.

use allot_report::Report;

/// When a report appears on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Always printed (the run's main tables).
    Table,
    /// Printed only when people are asked for (`--people`).
    People,
    /// Written to files only.
    File,
}

/// A report and the file name it is written under (without extension).
#[derive(Debug, Clone)]
pub struct Named {
    /// File stem, e.g. `chargeback` or `chargeback-division`.
    pub name: String,
    /// The report.
    pub report: Report,
    /// Whether the terminal shows it.
    pub show: Show,
}

impl Named {
    /// A report shown on the terminal.
    pub fn table(name: impl Into<String>, report: Report) -> Named {
        Named {
            name: name.into(),
            report,
            show: Show::Table,
        }
    }

    /// A report written to files only.
    pub fn file(name: impl Into<String>, report: Report) -> Named {
        Named {
            name: name.into(),
            report,
            show: Show::File,
        }
    }

    /// A per-person report shown on request.
    pub fn people(name: impl Into<String>, report: Report) -> Named {
        Named {
            name: name.into(),
            report,
            show: Show::People,
        }
    }
}

/// Everything one run produces.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Name of the run's workbook and page (`RUN.xlsx`, `RUN.html`).
    pub run: String,
    /// Title of the page.
    pub title: String,
    /// The reports, in the order they are shown.
    pub reports: Vec<Named>,
    /// Ready-made files (e.g. `focus.csv`).
    pub files: Vec<(String, Vec<u8>)>,
    /// What to tell the person (on stderr).
    pub messages: Vec<String>,
}

impl Output {
    /// The report named `name`, if any.
    pub fn report(&self, name: &str) -> Option<&Report> {
        self.reports
            .iter()
            .find(|n| n.name == name)
            .map(|n| &n.report)
    }
}

/// One naming rule for every file: a report at the cost-center level is `BASE`, at any other
/// level `BASE-LEVEL` (e.g. `chargeback-division`), so runs at two levels never overwrite each
/// other.
pub fn file_name(base: &str, level_name: &str) -> String {
    if level_name == "cost_center" {
        base.to_string()
    } else {
        format!(
            "{base}-{}",
            level_name.to_ascii_lowercase().replace(' ', "_")
        )
    }
}

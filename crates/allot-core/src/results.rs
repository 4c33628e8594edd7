//! Plain results the engine computes and the report writers present: exact, unrounded.

use chrono::NaiveDate;

use crate::money::Nanos;

/// One line of a chargeback: a cost center (or level value) and its exact cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargebackLine {
    /// The cost center or level value (`UNMAPPED` for uncovered cost).
    pub key: String,
    /// For cost-center lines, the values of the mapping's cost-center attributes.
    pub attributes: Vec<String>,
    /// Distinct people with cost on this line.
    pub users: u64,
    /// The exact amount.
    pub amount: Nanos,
}

/// A person whose cost (some or all of it) was not covered by any mapping row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedPerson {
    /// Normalised email.
    pub email: String,
    /// Their cost on days no mapping row covered.
    pub amount: Nanos,
    /// Days in the period with uncovered cost.
    pub days: u32,
    /// Their most recent cost center before the uncovered days, if they ever had one.
    pub last_cost_center: Option<String>,
    /// The first day they were uncovered after their last row ended (None: never mapped).
    pub unmapped_since: Option<NaiveDate>,
    /// Where the cost went: `UNMAPPED` or the cost center the policy chose.
    pub charged_to: String,
}

/// One person's cost on one chargeback line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCost {
    /// Normalised email.
    pub email: String,
    /// The line (cost center or level value).
    pub key: String,
    /// Their exact cost on that line.
    pub amount: Nanos,
}

/// The chargeback of one period, exact, before rounding.
#[derive(Debug, Clone)]
pub struct Chargeback {
    /// The name of the level column (`cost_center` or the attribute's name).
    pub level_name: String,
    /// Names of the attribute columns carried on cost-center lines.
    pub attribute_names: Vec<String>,
    /// Lines sorted by key, `UNMAPPED` last.
    pub lines: Vec<ChargebackLine>,
    /// Exact total, equal to the sum of the source rows.
    pub total: Nanos,
    /// Distinct people with cost.
    pub users: u64,
    /// People with unmapped cost, most expensive first.
    pub unmapped: Vec<UnmappedPerson>,
    /// Each person's cost per line.
    pub people: Vec<PersonCost>,
    /// Cost-center amounts with their hierarchy path, top level first and the cost center
    /// last, when the mapping has a hierarchy and the level is part of it; used to round every
    /// level consistently.
    pub tree: Vec<(Vec<String>, Nanos)>,
    /// Depth of the requested level in `tree` paths (0 = top level).
    pub tree_depth: usize,
    /// Cost that reached a real cost center (not `UNMAPPED`).
    pub mapped: Nanos,
}

/// One person's cost of one component on one line (summed over the period's days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// Normalised email.
    pub email: String,
    /// The line (cost center or level value) the cost is charged to.
    pub key: String,
    /// Anthropic product.
    pub product: String,
    /// Model id.
    pub model: String,
    /// `0-200k` or `200k-1M` (empty when not given).
    pub context_window: String,
    /// Token type (empty for non-token costs).
    pub token_type: String,
    /// Tokens.
    pub tokens: i64,
    /// Exact cost.
    pub cost: Nanos,
}

/// One person's activity on one line (summed over the period's days).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityRow {
    /// Normalised email.
    pub email: String,
    /// The line the activity is counted on.
    pub key: String,
    /// Claude Code sessions.
    pub sessions: i64,
    /// Commits.
    pub commits: i64,
    /// Pull requests.
    pub pull_requests: i64,
    /// Lines added.
    pub lines_added: i64,
    /// Lines removed.
    pub lines_removed: i64,
    /// Every activity count of the facts, by its column name (see
    /// [`crate::facts::ACTIVITY_COUNTS`]), the five above included.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// The last day with any activity row in the period.
    pub last_day: Option<NaiveDate>,
}

impl ActivityRow {
    /// Sets the count `name` (and its named field, for the Claude Code ones).
    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            "sessions" => self.sessions = value,
            "commits" => self.commits = value,
            "pull_requests" => self.pull_requests = value,
            "lines_added" => self.lines_added = value,
            "lines_removed" => self.lines_removed = value,
            _ => {}
        }
        self.counts.insert(name.to_string(), value);
    }

    /// The count `name` (0 when the facts did not carry it).
    pub fn get(&self, name: &str) -> i64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    /// Whether any count is non-zero: the person used Claude that period.
    pub fn any(&self) -> bool {
        self.counts.values().any(|v| *v != 0)
    }
}

/// One day's cost of one component for one person, with the cost center it was charged to:
/// a row of the FOCUS export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusFact {
    /// The UTC day.
    pub date: NaiveDate,
    /// Normalised email.
    pub email: String,
    /// Anthropic user id, when the facts carry it.
    pub user_id: String,
    /// Cost center charged (`UNMAPPED` when none).
    pub cost_center: String,
    /// Product.
    pub product: String,
    /// Model id.
    pub model: String,
    /// Context window.
    pub context_window: String,
    /// `tokens`, `web_search`, `code_execution`.
    pub cost_type: String,
    /// Token type.
    pub token_type: String,
    /// Tokens (or requests for non-token costs).
    pub tokens: i64,
    /// Net cost.
    pub cost: Nanos,
    /// List cost, when every fact of the row had one.
    pub list_cost: Option<Nanos>,
}

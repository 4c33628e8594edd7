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
    /// Distinct people (seat users) with cost on this line; API keys, service accounts,
    /// cloud principals and other actors are not people.
    pub users: u64,
    /// Distinct spenders with cost on this line: people and every other identity.
    pub spenders: u64,
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
    /// Distinct people (seat users) with cost.
    pub users: u64,
    /// Distinct spenders with cost: people and every other identity.
    pub spenders: u64,
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
    /// For a level outside the hierarchy with one value per cost center (e.g. the cost
    /// center's manager): each cost center's line. Its lines' cents are then the sums of their
    /// cost centers' cents, so they agree with every cost-center figure. Empty otherwise.
    pub rollup: std::collections::BTreeMap<String, String>,
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

/// How loud an alert is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; pages nobody.
    Info,
    /// Someone should look this week.
    Warning,
    /// Someone should look today.
    Critical,
}

impl Severity {
    /// The word used in outputs and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "`{other}` is not a severity (info, warning or critical)"
            )),
        }
    }
}

/// One alert: a rule that fired for a key at a level over a window, with the dollars at stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The rule (`sustained_increase`, `spike`, `new_spender`, `long_context`, `model_shift`,
    /// `budget`).
    pub rule: String,
    /// `org`, `cost_center`, a hierarchy column's name, or `person`.
    pub level: String,
    /// The cost center, the column's value, the email, or `all` for the organisation.
    pub key: String,
    /// First day of the window looked at.
    pub window_start: NaiveDate,
    /// Last day of the window looked at.
    pub window_end: NaiveDate,
    /// What the window would usually cost (or the budget, or the baseline share's cost).
    pub baseline: Nanos,
    /// What it cost.
    pub current: Nanos,
    /// Change against the baseline in hundredths of a percent (or percentage points for
    /// share rules), when defined.
    pub change_bp: Option<i64>,
    /// The dollars at stake.
    pub amount: Nanos,
    /// How loud.
    pub severity: Severity,
    /// One sentence a manager understands.
    pub message: String,
}

impl Alert {
    /// The dollars at stake in cents, as every output shows them (alerts.csv, the page, the
    /// webhook): where they are the rise itself, the difference of the baseline's and the
    /// current cents as shown, so a row adds up as printed; else the amount rounded.
    pub fn amount_cents(&self) -> i64 {
        if self.amount == self.current - self.baseline {
            self.current.round_cents() - self.baseline.round_cents()
        } else {
            self.amount.round_cents()
        }
    }

    /// The baseline in cents, as every output shows it.
    pub fn baseline_cents(&self) -> i64 {
        self.baseline.round_cents()
    }

    /// The current window's cost in cents, as every output shows it.
    pub fn current_cents(&self) -> i64 {
        self.current.round_cents()
    }
}

/// A key's month: what it has spent so far and where it is heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastLine {
    /// The cost center or level value (`TOTAL` for the organisation).
    pub key: String,
    /// Spent from the month's first day through the last day with data.
    pub month_to_date: Nanos,
    /// Expected for the whole month.
    pub forecast: Nanos,
    /// Low end of the expected range.
    pub low: Nanos,
    /// High end of the expected range.
    pub high: Nanos,
    /// The month's budget, when one is set.
    pub budget: Option<Nanos>,
}

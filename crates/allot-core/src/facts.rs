//! The two fact tables allot works from, as the sync stores them and as users may bring them.
//!
//! Cost facts: one row per day, user and cost component. Activity facts: one row per day and user.

use chrono::NaiveDate;

/// Columns every cost-fact file must have, in the order allot writes them.
pub const COST_REQUIRED: [&str; 9] = [
    "date",
    "email",
    "product",
    "model",
    "context_window",
    "cost_type",
    "token_type",
    "tokens",
    "cost_usd",
];

/// Columns a cost-fact file may add. `via` names where a fact's cost falls back to when its
/// actor is not mapped (see [`crate::identity`]).
pub const COST_OPTIONAL: [&str; 5] = ["user_id", "inference_geo", "speed", "list_cost_usd", "via"];

/// Columns every activity-fact file must have (the rest of [`ACTIVITY_COUNTS`] is optional).
pub const ACTIVITY_REQUIRED: [&str; 2] = ["date", "email"];

/// Every per-person daily activity count allot keeps, by surface: the columns an activity file
/// may carry beyond `date` and `email` (all optional but the five Claude Code ones, which the
/// efficiency review needs), and what the store keeps of the `users` endpoint.
pub const ACTIVITY_COUNTS: [&str; 20] = [
    // Claude Code
    "sessions",
    "commits",
    "pull_requests",
    "lines_added",
    "lines_removed",
    "tool_accepted",
    "tool_rejected",
    // Chat
    "chat_conversations",
    "chat_messages",
    "chat_projects_created",
    "chat_files_uploaded",
    "chat_artifacts_created",
    "chat_skills_used",
    "chat_connectors_used",
    "web_searches",
    // Cowork
    "cowork_sessions",
    "cowork_messages",
    "cowork_actions",
    // Office apps (Excel, PowerPoint, Word, Outlook), summed
    "office_sessions",
    "office_messages",
];

/// Whether a fact column holds a whole-number count (tokens or an activity count).
pub fn is_count(name: &str) -> bool {
    name == "tokens" || ACTIVITY_COUNTS.contains(&name)
}

/// One day's cost of one cost component for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostFact {
    /// The UTC day.
    pub date: NaiveDate,
    /// The person, as Anthropic reports them.
    pub email: String,
    /// Anthropic's product (`chat`, `claude_code`, ...).
    pub product: String,
    /// Model id, e.g. `claude-opus-4-6`.
    pub model: String,
    /// `0-200k` or `200k-1M`.
    pub context_window: String,
    /// `tokens`, `web_search`, `code_execution`.
    pub cost_type: String,
    /// `uncached_input_tokens`, `output_tokens`, ... (empty when not a token cost).
    pub token_type: String,
    /// Tokens (or requests for non-token costs).
    pub tokens: i64,
    /// Net cost in nano-dollars.
    pub cost_nanos: i64,
    /// List (pre-discount) cost in nano-dollars, when known.
    pub list_cost_nanos: Option<i64>,
}

/// One day's engineering activity of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFact {
    /// The UTC day.
    pub date: NaiveDate,
    /// The person.
    pub email: String,
    /// Claude Code sessions.
    pub sessions: i64,
    /// Commits made with Claude Code.
    pub commits: i64,
    /// Pull requests made with Claude Code.
    pub pull_requests: i64,
    /// Lines added.
    pub lines_added: i64,
    /// Lines removed.
    pub lines_removed: i64,
}

/// Normalises an email (or a typed identity, see [`crate::identity`]) for matching: an email
/// trimmed and lower-cased, a typed identity's id kept as written.
pub fn normalize_email(email: &str) -> String {
    crate::identity::normalize(email)
}

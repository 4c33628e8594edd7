//! Every environment variable allot reads, in one place.

/// Key for `--pseudonymize` (any text; keep it secret and stable).
pub const PSEUDONYM_KEY: &str = "ALLOT_PSEUDONYM_KEY";

/// Claude Enterprise Analytics API key (`allot sync`).
pub const ANALYTICS_KEY: &str = allot_sync::key::ANALYTICS_ENV;
/// Admin API key for the Claude Code Analytics report (`allot sync`).
pub const ADMIN_KEY: &str = allot_sync::key::ADMIN_ENV;
/// Base URL of the API (`allot sync --base-url`).
pub const BASE_URL: &str = "ALLOT_BASE_URL";
/// Webhook for `allot alerts --notify` (a secret: never printed).
pub const NOTIFY_URL: &str = "ALLOT_NOTIFY_URL";
/// Token of `allot serve` (a secret: never printed).
pub const SERVE_TOKEN: &str = "ALLOT_SERVE_TOKEN";
/// The settings file (`--config`), when not `./allot.toml`.
pub const CONFIG: &str = "ALLOT_CONFIG";

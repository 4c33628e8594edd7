//! Every environment variable allot reads, in one place.

/// Key for `--pseudonymize` (any text; keep it secret and stable).
pub const PSEUDONYM_KEY: &str = "ALLOT_PSEUDONYM_KEY";

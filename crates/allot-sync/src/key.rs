//! API keys: from the environment or a key file that only its owner can read, held in a type
//! whose `Debug` and `Display` never show the secret.

use std::fmt;
use std::path::Path;

use crate::error::SyncError;

/// Env var holding the Claude Enterprise Analytics API key.
pub const ANALYTICS_ENV: &str = "ANTHROPIC_ANALYTICS_API_KEY";
/// Env var holding the Admin API key (Claude Code Analytics).
pub const ADMIN_ENV: &str = "ANTHROPIC_ADMIN_API_KEY";

/// A secret API key. Formatting it prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The secret, for the one header that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The keys a sync may use; either may be absent.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// Claude Enterprise Analytics API key (`read:analytics`).
    pub analytics: Option<ApiKey>,
    /// Admin API key, for the Claude Code Analytics report.
    pub admin: Option<ApiKey>,
}

impl Keys {
    /// Keys from `ANTHROPIC_ANALYTICS_API_KEY` and `ANTHROPIC_ADMIN_API_KEY`, then from
    /// `key_file` for any still missing.
    pub fn load(key_file: Option<&Path>) -> Result<Keys, SyncError> {
        let env = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(ApiKey)
        };
        let mut keys = Keys {
            analytics: env(ANALYTICS_ENV),
            admin: env(ADMIN_ENV),
        };
        if let Some(path) = key_file {
            let from_file = Keys::from_file(path)?;
            keys.analytics = keys.analytics.or(from_file.analytics);
            keys.admin = keys.admin.or(from_file.admin);
        }
        Ok(keys)
    }

    /// Keys from a file: `NAME=key` lines (the env var names above), or bare keys, an Admin key
    /// recognised by its `sk-ant-admin` prefix. The file must not be readable by others.
    pub fn from_file(path: &Path) -> Result<Keys, SyncError> {
        let problem = |p: String| SyncError::KeyFile {
            path: path.to_path_buf(),
            problem: p,
        };
        let meta = std::fs::metadata(path).map_err(|e| problem(format!("cannot read it: {e}")))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(problem(format!(
                    "it is readable by others (mode {:o}); run `chmod 600` on it",
                    mode & 0o777
                )));
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text =
            std::fs::read_to_string(path).map_err(|e| problem(format!("cannot read it: {e}")))?;
        let mut keys = Keys::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = match line.split_once('=') {
                Some((n, v)) => (
                    Some(n.trim().trim_start_matches("export ").trim()),
                    v.trim(),
                ),
                None => (None, line),
            };
            let value = value.trim_matches('"').trim_matches('\'').to_string();
            let admin = match name {
                Some(ANALYTICS_ENV) => false,
                Some(ADMIN_ENV) => true,
                Some(other) => {
                    // Echo the name only when it looks like one: a key must never be printed.
                    let shown = if other
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                    {
                        format!(" `{other}`")
                    } else {
                        String::new()
                    };
                    return Err(problem(format!(
                        "line {}: unknown name{shown} (use {ANALYTICS_ENV}=... or {ADMIN_ENV}=...)",
                        i + 1
                    )));
                }
                None => value.starts_with("sk-ant-admin"),
            };
            if admin {
                keys.admin = Some(ApiKey(value));
            } else {
                keys.analytics = Some(ApiKey(value));
            }
        }
        if keys.analytics.is_none() && keys.admin.is_none() {
            return Err(problem("it holds no key".into()));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_never_formats_its_secret() {
        let k = ApiKey::new("sk-ant-secret-123");
        assert!(!format!(
            "{k:?} {k} {:?}",
            Keys {
                analytics: Some(k.clone()),
                admin: None
            }
        )
        .contains("secret"));
    }

    #[cfg(unix)]
    #[test]
    fn key_files_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(
            &path,
            "ANTHROPIC_ANALYTICS_API_KEY=sk-ant-x\nsk-ant-admin01-y\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Keys::from_file(&path).unwrap_err().to_string();
        assert!(
            e.contains("readable by others") && !e.contains("sk-ant"),
            "{e}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let k = Keys::from_file(&path).unwrap();
        assert_eq!(k.analytics.unwrap().expose(), "sk-ant-x");
        assert_eq!(k.admin.unwrap().expose(), "sk-ant-admin01-y");
    }
}

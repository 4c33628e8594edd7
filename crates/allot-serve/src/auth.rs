//! The token: required on every request when set, as `Authorization: Bearer TOKEN` or as the
//! session cookie the one-time link or the sign-in form sets (HttpOnly, SameSite=Strict).
//! Every comparison runs in constant time; the token never appears in a page or a log.

use std::sync::Mutex;

use subtle::ConstantTimeEq;

/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// The session cookie's name.
pub const COOKIE: &str = "allot_session";

/// The dashboard's token; prints as `[redacted]`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token from its text.
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into())
    }

    /// Whether it is long enough to stand up to guessing.
    pub fn strong(&self) -> bool {
        self.0.chars().count() >= MIN_TOKEN_LEN
    }

    /// Whether `given` is the token, in time that does not depend on where they differ.
    pub fn matches(&self, given: &str) -> bool {
        ct_eq(self.0.as_bytes(), given.as_bytes())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Constant-time equality (the length is not secret: tokens and ids have fixed lengths).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// 32 random bytes from the operating system, as hex.
fn random_id() -> String {
    let mut bytes = [0u8; 32];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    assert!(ok.is_ok(), "the system's random source is not readable");
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    })
}

/// How long a one-time sign-in link stays valid: a copy in a terminal's scrollback or the
/// service's journal is useless after it.
pub const ONE_TIME_LIFETIME: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// How long a session lasts from sign-in; then the browser signs in again.
pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);

/// One-time sign-in codes and live sessions, each with when it was made, held in memory
/// (a restart signs everyone out). Compared in constant time.
#[derive(Default)]
pub struct Sessions {
    once: Mutex<Vec<(String, std::time::Instant)>>,
    sessions: Mutex<Vec<(String, std::time::Instant)>>,
}

/// Whether any of `held` equals `given`, looking at every one (constant time in the match).
fn position(held: &[(String, std::time::Instant)], given: &str) -> Option<usize> {
    let mut found = None;
    for (i, (c, _)) in held.iter().enumerate() {
        if ct_eq(c.as_bytes(), given.as_bytes()) {
            found = Some(i);
        }
    }
    found
}

impl Sessions {
    /// A new one-time sign-in code, valid once within [`ONE_TIME_LIFETIME`].
    pub fn one_time(&self) -> String {
        let code = random_id();
        self.once
            .lock()
            .expect("sessions")
            .push((code.clone(), std::time::Instant::now()));
        code
    }

    /// Uses up a one-time code: a new session id if it was valid and not expired.
    pub fn redeem(&self, code: &str) -> Option<String> {
        let mut once = self.once.lock().expect("sessions");
        once.retain(|(_, at)| at.elapsed() < ONE_TIME_LIFETIME);
        let found = position(&once, code)?;
        once.remove(found);
        drop(once);
        Some(self.open())
    }

    /// Opens a session (after the token was given) and returns its id.
    pub fn open(&self) -> String {
        let id = random_id();
        self.sessions
            .lock()
            .expect("sessions")
            .push((id.clone(), std::time::Instant::now()));
        id
    }

    /// Whether `id` is a session opened less than [`SESSION_LIFETIME`] ago and not closed.
    pub fn live(&self, id: &str) -> bool {
        let mut sessions = self.sessions.lock().expect("sessions");
        sessions.retain(|(_, at)| at.elapsed() < SESSION_LIFETIME);
        position(&sessions, id).is_some()
    }

    /// Closes session `id` (sign out); nothing when it is not open.
    pub fn close(&self, id: &str) {
        let mut sessions = self.sessions.lock().expect("sessions");
        if let Some(i) = position(&sessions, id) {
            sessions.remove(i);
        }
    }

    /// Ages every code and session by `by` (tests: what an hour later looks like).
    #[cfg(test)]
    fn age(&self, by: std::time::Duration) {
        for held in [&self.once, &self.sessions] {
            for (_, at) in held.lock().expect("sessions").iter_mut() {
                *at = at.checked_sub(by).unwrap_or(*at);
            }
        }
    }
}

/// The session id in a `Cookie` header, if any.
pub fn session_cookie(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value of a session.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
        SESSION_LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie (sign out).
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly_and_never_print() {
        let t = Token::new("0123456789abcdef0123");
        assert!(t.matches("0123456789abcdef0123"));
        assert!(!t.matches("0123456789abcdef012"));
        assert!(!t.matches("0123456789abcdef0124"));
        assert_eq!(format!("{t} {t:?}"), "[redacted] [redacted]");
        assert!(!Token::new("short").strong());
    }

    #[test]
    fn a_one_time_code_works_once_and_opens_a_session() {
        let s = Sessions::default();
        let code = s.one_time();
        let id = s.redeem(&code).expect("first use");
        assert!(s.live(&id));
        assert!(s.redeem(&code).is_none(), "second use");
        assert!(!s.live("not-a-session"));
        assert_eq!(
            session_cookie(&format!("a=b; {COOKIE}={id}; c=d")),
            Some(id.as_str())
        );
    }

    #[test]
    fn links_and_sessions_expire_and_a_closed_session_is_gone() {
        let s = Sessions::default();
        let late = s.one_time();
        s.age(ONE_TIME_LIFETIME);
        assert!(s.redeem(&late).is_none(), "a link older than its lifetime");
        let id = s.open();
        let other = s.open();
        s.close(&id);
        assert!(!s.live(&id), "signed out");
        assert!(s.live(&other));
        s.age(SESSION_LIFETIME);
        assert!(!s.live(&other), "a session older than its lifetime");
        assert!(set_cookie("x", true).ends_with("; Secure"));
        assert!(!set_cookie("x", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}

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

/// The live one-time codes and sessions.
#[derive(Default)]
pub struct Sessions {
    once: Mutex<Vec<String>>,
    sessions: Mutex<Vec<String>>,
}

impl Sessions {
    /// A new one-time sign-in code (valid until used once).
    pub fn one_time(&self) -> String {
        let code = random_id();
        self.once.lock().expect("sessions").push(code.clone());
        code
    }

    /// Uses up a one-time code; a new session id when it was live.
    pub fn redeem(&self, code: &str) -> Option<String> {
        let mut once = self.once.lock().expect("sessions");
        let mut found = None;
        for (i, c) in once.iter().enumerate() {
            if ct_eq(c.as_bytes(), code.as_bytes()) {
                found = Some(i);
            }
        }
        once.remove(found?);
        drop(once);
        Some(self.open())
    }

    /// A new session id.
    pub fn open(&self) -> String {
        let id = random_id();
        self.sessions.lock().expect("sessions").push(id.clone());
        id
    }

    /// Whether `id` is a live session (every id compared, in constant time).
    pub fn live(&self, id: &str) -> bool {
        let sessions = self.sessions.lock().expect("sessions");
        sessions
            .iter()
            .fold(false, |hit, s| hit | ct_eq(s.as_bytes(), id.as_bytes()))
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
pub fn set_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict")
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
}

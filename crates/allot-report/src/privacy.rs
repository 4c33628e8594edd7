//! `--pseudonymize`: every email in every output becomes a stable keyed hash
//! (`person-` and 16 hex digits of HMAC-SHA256 under a local key), so a report can be shared
//! widely while the same person keeps the same pseudonym from run to run. The key never
//! leaves the machine and never appears in an output.

use sha2::{Digest, Sha256};

use crate::model::{Cell, Report};

/// Replaces emails with keyed pseudonyms.
#[derive(Clone)]
pub struct Pseudonymizer {
    inner: [u8; 64],
    outer: [u8; 64],
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(<key hidden>)")
    }
}

impl Pseudonymizer {
    /// A pseudonymizer for a secret key.
    pub fn new(key: &[u8]) -> Pseudonymizer {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = [0u8; 64];
        let mut outer = [0u8; 64];
        for i in 0..64 {
            inner[i] = block[i] ^ 0x36;
            outer[i] = block[i] ^ 0x5c;
        }
        Pseudonymizer { inner, outer }
    }

    /// The pseudonym of one email (matched case-insensitively, after trimming).
    pub fn pseudonym(&self, email: &str) -> String {
        let normal = email.trim().to_lowercase();
        let inner = Sha256::new()
            .chain_update(self.inner)
            .chain_update(normal.as_bytes())
            .finalize();
        let mac = Sha256::new()
            .chain_update(self.outer)
            .chain_update(inner)
            .finalize();
        let mut out = String::from("person-");
        for b in mac.iter().take(8) {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{b:02x}"));
        }
        out
    }

    /// Replaces every email-like run of characters in `text`.
    pub fn text(&self, text: &str) -> String {
        let b = text.as_bytes();
        let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-'".contains(&c);
        let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'@' {
                let mut start = i;
                while start > copied && local(b[start - 1]) {
                    start -= 1;
                }
                let mut end = i + 1;
                while end < b.len() && domain(b[end]) {
                    end += 1;
                }
                while end > i + 1 && b[end - 1] == b'.' {
                    end -= 1;
                }
                let dom = &text[i + 1..end];
                if start < i && dom.contains('.') {
                    out.push_str(&text[copied..start]);
                    out.push_str(&self.pseudonym(&text[start..end]));
                    copied = end;
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The report with every email replaced, in cells, metadata, notes and title.
    pub fn report(&self, report: &Report) -> Report {
        let mut r = report.clone();
        r.title = self.text(&r.title);
        for (_, v) in &mut r.meta {
            *v = self.text(v);
        }
        for n in &mut r.notes {
            n.text = self.text(&n.text);
        }
        for row in r.rows.iter_mut().chain(r.total.iter_mut()) {
            for cell in row.iter_mut() {
                if let Cell::Text(s) = cell {
                    *s = self.text(s);
                }
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_become_stable_pseudonyms_and_nothing_else_changes() {
        let p = Pseudonymizer::new(b"k");
        let a = p.pseudonym("Ann@Acme.test");
        assert_eq!(a, p.pseudonym(" ann@acme.test"));
        assert_ne!(a, Pseudonymizer::new(b"other").pseudonym("ann@acme.test"));
        assert_eq!(
            p.text("ann@acme.test $5.00 (3 days), bob@x.io."),
            format!("{a} $5.00 (3 days), {}.", p.pseudonym("bob@x.io"))
        );
        assert_eq!(p.text("no emails @ all, a@b"), "no emails @ all, a@b");
        assert_eq!(
            p.text("{\"manager\":\"kim@acme.test\"}"),
            format!("{{\"manager\":\"{}\"}}", p.pseudonym("kim@acme.test"))
        );
        assert_eq!(format!("{p:?}"), "Pseudonymizer(<key hidden>)");
    }
}

//! Telling people: one JSON message per run to a webhook (Slack-compatible `text`, plus the
//! structured `alerts`), retried with backoff on 429, 5xx and timeouts; and remembering what
//! was sent, so an alert that persists is sent again only when its severity rises or after a
//! week. The URL carries a secret: it is held in a type that never prints it, and no error
//! names it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use allot_core::results::{Alert, Severity};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use allot_core::money::format_cents;

/// A webhook URL: a secret. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Wraps a URL; only `http` and `https` are accepted.
    pub fn new(url: impl Into<String>) -> Result<WebhookUrl, NotifyError> {
        let url = url.into();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(NotifyError::BadUrl);
        }
        Ok(WebhookUrl(url))
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookUrl([redacted])")
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted webhook URL]")
    }
}

/// Why a notification was not delivered. No variant carries the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The URL is not an http(s) URL.
    #[error("the webhook URL is not an http:// or https:// URL")]
    BadUrl,
    /// The webhook kept failing.
    #[error("the webhook did not accept the message after {attempts} attempts: {last}")]
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last failure (status or transport error, without the URL).
        last: String,
    },
    /// The webhook refused it for good (4xx other than 429).
    #[error("the webhook refused the message: HTTP {0}")]
    Refused(u16),
    /// The sent-alerts state could not be read or written.
    #[error("the notification state `{}`: {problem}", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all.
    pub attempts: u32,
    /// First wait; doubled each time.
    pub backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 5,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The JSON body of one run's message.
pub fn message(alerts: &[Alert], title: &str) -> serde_json::Value {
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.amount));
    let mut text = format!(
        "{title}: {} alert{}",
        alerts.len(),
        if alerts.len() == 1 { "" } else { "s" }
    );
    for a in sorted.iter().take(5) {
        text.push_str(&format!("\n• [{}] {}", a.severity.as_str(), a.message));
    }
    if alerts.len() > 5 {
        text.push_str(&format!(
            "\n… and {} more (see alerts.csv)",
            alerts.len() - 5
        ));
    }
    let rows: Vec<serde_json::Value> = sorted
        .iter()
        .map(|a| {
            serde_json::json!({
                "rule": a.rule,
                "level": a.level,
                "key": a.key,
                "window_start": a.window_start.to_string(),
                "window_end": a.window_end.to_string(),
                // The cents alerts.csv shows for the same alert.
                "amount_usd": format_cents(a.amount_cents()),
                "severity": a.severity.as_str(),
                "message": a.message,
            })
        })
        .collect();
    serde_json::json!({ "text": text, "alerts": rows })
}

/// Posts `body` to the webhook, retrying 429, 5xx, timeouts and dropped connections with
/// exponential backoff (honouring `retry-after`).
pub async fn post(
    url: &WebhookUrl,
    body: &serde_json::Value,
    retry: Retry,
) -> Result<(), NotifyError> {
    let client = reqwest::Client::builder()
        .timeout(retry.timeout)
        .build()
        .map_err(|e| NotifyError::Failed {
            attempts: 0,
            last: e.without_url().to_string(),
        })?;
    let mut wait = retry.backoff;
    let mut last = String::new();
    for attempt in 1..=retry.attempts.max(1) {
        match client.post(&url.0).json(body).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => {
                let status = r.status().as_u16();
                if status != 429 && (400..500).contains(&status) {
                    return Err(NotifyError::Refused(status));
                }
                if let Some(secs) = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    wait = wait.max(Duration::from_secs(secs.min(60)));
                }
                last = format!("HTTP {status}");
            }
            Err(e) => last = e.without_url().to_string(),
        }
        tracing::info!(
            attempt,
            "the webhook did not take the message ({last}); retrying"
        );
        if attempt < retry.attempts {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }
    Err(NotifyError::Failed {
        attempts: retry.attempts,
        last,
    })
}

/// What was sent of each alert (by rule, level and key): its severity and the day.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sent {
    /// `rule|level|key` -> (severity, day sent).
    pub alerts: BTreeMap<String, (Severity, NaiveDate)>,
}

/// Days after which a persisting alert is sent again.
pub const RESEND_DAYS: i64 = 7;

fn id(a: &Alert) -> String {
    format!("{}|{}|{}", a.rule, a.level, a.key)
}

impl Sent {
    /// Reads the state file (empty when it does not exist yet).
    pub fn read(path: &Path) -> Result<Sent, NotifyError> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| NotifyError::State {
                path: path.to_path_buf(),
                problem: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Sent::default()),
            Err(e) => Err(NotifyError::State {
                path: path.to_path_buf(),
                problem: e.to_string(),
            }),
        }
    }

    /// Writes it atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> Result<(), NotifyError> {
        let err = |e: std::io::Error| NotifyError::State {
            path: path.to_path_buf(),
            problem: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec_pretty(self).expect("state serialises");
        std::fs::write(&tmp, bytes).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }

    /// The alerts worth sending today: new ones, ones whose severity rose, and ones last sent
    /// a week ago or more.
    pub fn due<'a>(&self, alerts: &'a [Alert], today: NaiveDate) -> Vec<&'a Alert> {
        alerts
            .iter()
            .filter(|a| match self.alerts.get(&id(a)) {
                None => true,
                Some((sev, on)) => a.severity > *sev || (today - *on).num_days() >= RESEND_DAYS,
            })
            .collect()
    }

    /// Records alerts as sent today.
    pub fn record(&mut self, sent: &[&Alert], today: NaiveDate) {
        for a in sent {
            self.alerts.insert(id(a), (a.severity, today));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::Nanos;

    fn alert(sev: Severity) -> Alert {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        Alert {
            rule: "spike".into(),
            level: "cost_center".into(),
            key: "CC-1".into(),
            window_start: d,
            window_end: d,
            baseline: Nanos::ZERO,
            current: Nanos::from_cents(10_000),
            change_bp: None,
            amount: Nanos::from_cents(10_000),
            severity: sev,
            message: "m".into(),
        }
    }

    #[test]
    fn the_webhook_shows_the_cents_alerts_csv_shows() {
        // $100.006 -> $271.214: the rise is $171.208, shown as 271.21 - 100.01 = 171.20.
        let a = Alert {
            baseline: Nanos(100_006_000_000),
            current: Nanos(271_214_000_000),
            amount: Nanos(171_208_000_000),
            ..alert(Severity::Warning)
        };
        let body = message(std::slice::from_ref(&a), "t");
        assert_eq!(body["alerts"][0]["amount_usd"], "171.20");
        // alerts.csv shows `Alert::amount_cents` too (allot-report's alerts table).
        assert_eq!(a.amount_cents(), 17_120);
    }

    #[test]
    fn a_persisting_alert_is_sent_again_only_when_louder_or_a_week_later() {
        let day = |n: u32| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        let mut s = Sent::default();
        let warn = [alert(Severity::Warning)];
        assert_eq!(s.due(&warn, day(20)).len(), 1);
        s.record(&s.due(&warn, day(20)), day(20));
        assert!(s.due(&warn, day(21)).is_empty());
        assert_eq!(s.due(&[alert(Severity::Critical)], day(21)).len(), 1);
        assert_eq!(s.due(&warn, day(27)).len(), 1);
    }

    #[test]
    fn the_url_never_prints() {
        let u = WebhookUrl::new("https://hooks.example/T000/secret").unwrap();
        assert!(!format!("{u} {u:?}").contains("secret"));
        assert!(WebhookUrl::new("file:///etc/passwd").is_err());
    }
}

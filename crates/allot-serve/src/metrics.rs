//! What a monitor reads: requests and their latency by route (the route's pattern, never the
//! path, so no email or code reaches a metric or the access log), and the store's freshness,
//! as Prometheus text at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Requests answered, by (route pattern, status): how many, and their seconds summed.
#[derive(Debug, Default)]
pub struct Requests {
    by: Mutex<BTreeMap<(String, u16), (u64, Duration)>>,
}

impl Requests {
    /// Records one answered request.
    pub fn record(&self, route: &str, status: u16, took: Duration) {
        let mut by = self.by.lock().expect("metrics");
        let e = by.entry((route.to_string(), status)).or_default();
        e.0 += 1;
        e.1 += took;
    }

    /// The requests in Prometheus text.
    fn text(&self, out: &mut String) {
        let by = self.by.lock().expect("metrics");
        out.push_str("# HELP allot_http_requests_total Requests answered, by route and status.\n");
        out.push_str("# TYPE allot_http_requests_total counter\n");
        for ((route, status), (n, _)) in by.iter() {
            let _ = writeln!(
                out,
                "allot_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        let mut per_route: BTreeMap<&str, (u64, Duration)> = BTreeMap::new();
        for ((route, _), (n, took)) in by.iter() {
            let e = per_route.entry(route).or_default();
            e.0 += n;
            e.1 += *took;
        }
        out.push_str(
            "# HELP allot_http_request_duration_seconds Time to answer, by route.\n# TYPE allot_http_request_duration_seconds summary\n",
        );
        for (route, (n, took)) in per_route {
            let route = label(route);
            let _ = writeln!(
                out,
                "allot_http_request_duration_seconds_sum{{route=\"{route}\"}} {:.6}",
                took.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "allot_http_request_duration_seconds_count{{route=\"{route}\"}} {n}"
            );
        }
    }
}

/// A label value with `\`, `"` and line ends escaped as the text format asks.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The store's state as a monitor sees it.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreState {
    /// When the newest version was committed, seconds since 1970 (none: no version yet).
    pub last_sync: Option<u64>,
    /// Its age in seconds.
    pub age: Option<u64>,
    /// Days of the overview's weeks still provisional (none: the overview is not loaded).
    pub provisional_days: Option<usize>,
    /// Days of the overview's weeks with no data where some was expected.
    pub incomplete_days: Option<usize>,
}

/// Every metric in Prometheus text (version 0.0.4).
pub fn text(requests: &Requests, store: StoreState) -> String {
    let mut out = String::new();
    let gauge = |out: &mut String, name: &str, help: &str, v: Option<u64>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        if let Some(v) = v {
            let _ = writeln!(out, "{name} {v}");
        }
    };
    gauge(
        &mut out,
        "allot_last_sync_timestamp_seconds",
        "When the store's newest version was committed (Unix time).",
        store.last_sync,
    );
    gauge(
        &mut out,
        "allot_last_sync_age_seconds",
        "Seconds since the store's newest version was committed.",
        store.age,
    );
    gauge(
        &mut out,
        "allot_provisional_days",
        "Days of the overview's weeks less than 30 days old or synced while they were.",
        store.provisional_days.map(|n| n as u64),
    );
    gauge(
        &mut out,
        "allot_incomplete_days",
        "Days of the overview's weeks the store holds no cost for.",
        store.incomplete_days.map(|n| n as u64),
    );
    requests.text(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_in_prometheus_text() {
        let r = Requests::default();
        r.record("/month/{month}", 200, Duration::from_millis(3));
        r.record("/month/{month}", 200, Duration::from_millis(5));
        r.record("/month/{month}", 404, Duration::from_millis(1));
        let t = text(
            &r,
            StoreState {
                last_sync: Some(1_796_000_000),
                age: Some(60),
                provisional_days: Some(22),
                incomplete_days: Some(0),
            },
        );
        assert!(
            t.contains("allot_http_requests_total{route=\"/month/{month}\",status=\"200\"} 2\n"),
            "{t}"
        );
        assert!(
            t.contains("allot_http_request_duration_seconds_count{route=\"/month/{month}\"} 3\n")
        );
        assert!(t.contains(
            "allot_http_request_duration_seconds_sum{route=\"/month/{month}\"} 0.009000\n"
        ));
        assert!(t.contains("allot_last_sync_timestamp_seconds 1796000000\n"));
        assert!(t.contains("allot_provisional_days 22\n"));
        for line in t.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("allot_"), "{line}");
        }
    }
}

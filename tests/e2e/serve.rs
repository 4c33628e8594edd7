//! `allot serve`: every route (200, 404, 400), CSV links equal to the CLI's CSV, parts that
//! add up to the figures they break down, the token (401 without, 200 with, the one-time link
//! and the cookie, refusal to bind without), pseudonyms on every page, a sync beside it picked
//! up, and a store left exactly as it was.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{allot, allot_env, demo, money, read_csv};

/// A running `allot serve`, stopped when dropped.
pub struct Served {
    child: Child,
    pub base: String,
    /// The first line it printed (the URL, or the one-time link).
    url: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

pub fn serve(args: &[&str], env: &[(&str, &str)]) -> Served {
    serve_in(&crate::support::repo(), args, env)
}

/// `allot serve ARGS --port 0` run in `cwd` (where an allot.toml may be).
pub fn serve_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let stderr = dir.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_allot"))
        .args(args)
        .args(["--port", "0"])
        .current_dir(cwd)
        .env_remove("ALLOT_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("ALLOT_SERVE_TOKEN")
        .env("NO_COLOR", "1")
        // What it converts (cloud bills) goes into this test's folder: a killed server
        // runs no destructor, and the folder is removed once it is gone.
        .env("TMPDIR", dir.path())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start allot serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "allot serve printed `{url}`; stderr: {}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    let base = url[..url[7..].find('/').map_or(url.len(), |i| i + 7)].to_string();
    Served {
        child,
        base,
        url,
        stderr,
        _dir: dir,
    }
}

pub fn demo_args(extra: &[&str]) -> Vec<String> {
    let d = demo();
    let mut v: Vec<String> = [
        "serve",
        "--store",
        d.join("store").to_str().unwrap(),
        "--cost",
        d.join("input/bedrock-focus.csv").to_str().unwrap(),
        "--focus-tag",
        "team",
        "--mapping",
        d.join("input/org-mapping.csv").to_str().unwrap(),
        "--budgets",
        d.join("input/budgets.csv").to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    v.extend(extra.iter().map(ToString::to_string));
    v
}

/// An HTTP answer.
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a fresh connection.
fn request(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

pub fn get(base: &str, path: &str) -> Answer {
    request(base, "GET", path, &[], "")
}

/// The CLI's CSV of a report: runs `allot ARGS --format csv --out DIR` and reads `NAME.csv`.
fn cli_csv(args: &[&str], name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = demo();
    let mut all: Vec<String> = args.iter().map(ToString::to_string).collect();
    // The dashboard charges the Bedrock bill back too (a cloud bill is never reconciled).
    if args[0] != "reconcile" {
        all.extend(
            [
                "--cost",
                d.join("input/bedrock-focus.csv").to_str().unwrap(),
                "--focus-tag",
                "team",
            ]
            .iter()
            .map(ToString::to_string),
        );
    }
    all.extend(
        [
            "--mapping",
            d.join("input/org-mapping.csv").to_str().unwrap(),
            "--store",
            d.join("store").to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
            "--out",
            dir.path().to_str().unwrap(),
        ]
        .iter()
        .map(ToString::to_string),
    );
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = allot(dir.path(), &refs);
    assert!(run.code == 0 || run.code == 3, "{:?}: {}", args, run.stderr);
    std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap()
}

/// A path segment as the dashboard writes its links.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@+".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub fn sum(rows: &[BTreeMap<String, String>], col: &str) -> rust_decimal::Decimal {
    rows.iter().map(|r| money(&r[col])).sum()
}

/// Every file under `dir` with its size and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), (m.len(), m.modified().unwrap()));
            }
        }
    }
    out
}

const PAGES: [&str; 11] = [
    "/",
    "/trend",
    "/forecast",
    "/month/2026-09",
    "/month/2026-09/by/division/Engineering",
    "/month/2026-09/by/department/Mobile",
    "/month/2026-09/cost-center/CC-1030",
    "/month/2026-09/person/ana.varga@example.com",
    "/month/2026-09/reviews",
    "/month/2026-09/adoption",
    "/month/2026-11",
];

#[test]
fn every_route_answers_and_the_store_is_left_as_it_was() {
    let before = snapshot(&demo().join("store"));
    let s = serve(
        &demo_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(s.url, format!("{}/", s.base));
    for p in PAGES {
        let a = get(&s.base, p);
        assert_eq!(a.status, 200, "{p}: {}", a.body);
        assert_eq!(
            a.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{p}"
        );
        assert_eq!(
            a.header("content-security-policy"),
            Some("default-src 'self'"),
            "{p}"
        );
        assert!(a.body.contains("</html>"), "{p} is a whole page");
        // Nothing from elsewhere: no absolute URL in any attribute.
        assert!(!a.body.contains("src=\"http"), "{p}");
        assert!(!a.body.contains("href=\"http"), "{p}");
        // Every table says where its CSV is, and that link works.
        let tables = a.body.matches("<table").count();
        assert_eq!(a.body.matches("?csv=").count(), tables, "{p}");
        for name in a.body.split("href=\"?csv=").skip(1) {
            let name = &name[..name.find('"').unwrap()];
            let c = get(&s.base, &format!("{p}?csv={name}"));
            assert_eq!(c.status, 200, "{p}?csv={name}");
            assert_eq!(c.header("content-type"), Some("text/csv; charset=utf-8"));
        }
    }
    // The overview links down: month, division, department, cost center, person.
    let home = get(&s.base, "/").body;
    for link in [
        "/month/2026-11",
        "/month/2026-11/cost-center/CC-1030",
        "/month/2026-11/person/",
    ] {
        assert!(
            home.contains(&format!("href=\"{link}")),
            "the overview links to {link}"
        );
    }
    let month = get(&s.base, "/month/2026-09").body;
    assert!(month.contains("href=\"/month/2026-09/by/division/Engineering\""));
    let division = get(&s.base, "/month/2026-09/by/division/Engineering").body;
    assert!(division.contains("href=\"/month/2026-09/by/department/Mobile\""));
    let department = get(&s.base, "/month/2026-09/by/department/Mobile").body;
    assert!(department.contains("href=\"/month/2026-09/cost-center/CC-1030\""));
    let cc = get(&s.base, "/month/2026-09/cost-center/CC-1030").body;
    assert!(cc.contains("href=\"/month/2026-09/person/"));
    assert!(month.contains("SETTLED"), "September is settled");
    assert!(get(&s.base, "/month/2026-11").body.contains("PROVISIONAL"));
    // A cost center's level link goes to its page.
    let r = get(&s.base, "/month/2026-09/by/cost_center/CC-1030");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/month/2026-09/cost-center/CC-1030")
    );
    for (p, code) in [
        ("/month/2025-01", 404),
        ("/month/2026-09/cost-center/CC-9999", 404),
        ("/month/2026-09/person/nobody@example.com", 404),
        ("/month/2026-09/by/region/North", 404),
        ("/month/2026-09/by/division/Nowhere", 404),
        ("/month/2025-01/reviews", 404),
        ("/month/2025-01/adoption", 404),
        ("/reconciliation", 404),
        ("/no/such/page", 404),
        ("/month/2026-13", 400),
        ("/month/september", 400),
        ("/month/2026-9x/reviews", 400),
        ("/month/2026-09?csv=nonsense", 400),
        ("/month/2026-09?sort=amount", 400),
        ("/month/2026-09/cost-center/CC-1030?csv=", 400),
        ("/month/2026-99/cost-center/CC-1030", 400),
        ("/month/26-09/person/ana.varga@example.com", 400),
        ("/month/2026-0/by/division/Engineering", 400),
        ("/month/x/adoption", 400),
        ("/trend?per=day", 400),
        ("/forecast?csv=nothing", 400),
        ("/?csv=chargeback", 400),
    ] {
        let a = get(&s.base, p);
        assert_eq!(a.status, code, "{p}: {}", a.body);
        assert!(a.body.contains("href=\"/\""), "{p}: the page links back");
        assert_eq!(
            a.header("content-security-policy"),
            Some("default-src 'self'")
        );
    }
    // The sorting script and the style sheet come from the dashboard itself.
    assert_eq!(get(&s.base, "/assets/sort.js").status, 200);
    assert!(get(&s.base, "/assets/style.css").body.contains("table"));
    drop(s);
    assert_eq!(
        before,
        snapshot(&demo().join("store")),
        "no route writes to the store"
    );
}

#[test]
fn every_csv_link_equals_the_clis_csv_and_parts_add_up() {
    let s = serve(
        &demo_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    let page = |p: &str, t: &str| {
        let a = get(&s.base, &format!("{p}?csv={t}"));
        assert_eq!(a.status, 200, "{p}?csv={t}");
        a.body
    };
    let month = ["--month", "2026-09"];
    for (p, table, args, file) in [
        (
            "/month/2026-09",
            "chargeback",
            vec!["chargeback"],
            "chargeback",
        ),
        ("/month/2026-09", "unmapped", vec!["chargeback"], "unmapped"),
        ("/month/2026-09", "daily", vec!["chargeback"], "daily"),
        (
            "/month/2026-09",
            "chargeback-division",
            vec!["chargeback", "--by", "division"],
            "chargeback-division",
        ),
        (
            "/month/2026-09/reviews",
            "top_spenders",
            vec!["top"],
            "top_spenders",
        ),
        (
            "/month/2026-09/reviews",
            "model_mix",
            vec!["models"],
            "model_mix",
        ),
        (
            "/month/2026-09/reviews",
            "model_downgrade",
            vec!["models"],
            "model_downgrade",
        ),
        (
            "/month/2026-09/reviews",
            "context_window_teams",
            vec!["context"],
            "context_window_teams",
        ),
        (
            "/month/2026-09/reviews",
            "context_window",
            vec!["context"],
            "context_window",
        ),
        (
            "/month/2026-09/reviews",
            "efficiency",
            vec!["efficiency"],
            "efficiency",
        ),
        (
            "/month/2026-09/adoption",
            "adoption",
            vec!["adoption"],
            "adoption",
        ),
        (
            "/month/2026-09/adoption",
            "inactive_seats",
            vec!["adoption"],
            "inactive_seats",
        ),
    ] {
        let mut a = args.clone();
        a.extend(month);
        assert_eq!(
            page(p, table),
            cli_csv(&a, file),
            "{p}?csv={table} against allot {args:?}"
        );
    }
    let budgets = demo().join("input/budgets.csv");
    let b = budgets.to_str().unwrap();
    assert_eq!(
        page("/forecast", "forecast"),
        cli_csv(
            &["forecast", "--month", "2026-11", "--budgets", b],
            "forecast"
        )
    );
    assert_eq!(
        page("/", "alerts"),
        cli_csv(&["alerts", "--budgets", b], "alerts")
    );
    // The overview's weeks are the trend's cents per week.
    let trend = csv_rows(&cli_csv(
        &[
            "trend",
            "--per",
            "week",
            "--from",
            "2026-08-31",
            "--to",
            "2026-11-22",
        ],
        "trend",
    ));
    let weeks = csv_rows(&page("/", "weeks"));
    assert_eq!(weeks.len(), 12);
    for w in &weeks {
        let of: Vec<_> = trend
            .iter()
            .filter(|r| r["period_start"] == w["week_start"])
            .cloned()
            .collect();
        assert_eq!(
            money(&w["amount_usd"]),
            sum(&of, "amount_usd"),
            "week {}",
            w["week_start"]
        );
    }
    assert_eq!(
        page("/trend", "trend"),
        cli_csv(
            &[
                "trend",
                "--per",
                "week",
                "--from",
                "2026-08-31",
                "--to",
                "2026-11-22"
            ],
            "trend"
        )
    );
    // Drill-down: each level's parts add up to the line above, down to the people.
    let division = csv_rows(&page("/month/2026-09/by/division/Engineering", "line"));
    let departments = csv_rows(&page(
        "/month/2026-09/by/division/Engineering",
        "chargeback-department-in-engineering",
    ));
    assert_eq!(division.len(), 1);
    assert!(departments.len() >= 2);
    assert_eq!(
        money(&division[0]["amount_usd"]),
        sum(&departments, "amount_usd")
    );
    let mobile = departments
        .iter()
        .find(|r| r["department"] == "Mobile")
        .unwrap();
    let ccs = csv_rows(&page(
        "/month/2026-09/by/department/Mobile",
        "chargeback-in-mobile",
    ));
    assert_eq!(money(&mobile["amount_usd"]), sum(&ccs, "amount_usd"));
    let cc_line = csv_rows(&page("/month/2026-09/cost-center/CC-1030", "chargeback"));
    let cli = read_csv(&demo().join("chargeback.csv"));
    let cli_line = cli.iter().find(|r| r["cost_center"] == "CC-1030").unwrap();
    assert_eq!(cc_line[0]["amount_usd"], cli_line["amount_usd"]);
    let cc = money(&cc_line[0]["amount_usd"]);
    let cc_days = csv_rows(&page("/month/2026-09/cost-center/CC-1030", "daily"));
    assert_eq!(
        sum(&cc_days, "amount_usd"),
        cc,
        "the cost center's days add up to it"
    );
    let products = csv_rows(&page("/month/2026-09/cost-center/CC-1030", "product_mix"));
    assert_eq!(
        sum(&products, "amount_usd"),
        cc,
        "its product mix adds up to it"
    );
    let models = csv_rows(&page("/month/2026-09/cost-center/CC-1030", "model_mix"));
    assert_eq!(
        sum(&models, "amount_usd"),
        cc,
        "its model mix adds up to it"
    );
    // Its spenders with their cost on it (a mover only their days here) add up to it.
    let people = csv_rows(&page("/month/2026-09/cost-center/CC-1030", "people"));
    assert_eq!(sum(&people, "amount_usd"), cc, "its spenders add up to it");
    let top = read_csv(&demo().join("top_spenders.csv"));
    let mom = csv_rows(&page(
        "/month/2026-09/cost-center/CC-1030",
        "month_over_month",
    ));
    assert_eq!(mom[0]["amount_usd"], cc_line[0]["amount_usd"]);
    // A person (here the top spender, Bedrock's support assistant, whose identity holds `/`):
    // the row of the top spenders, their days and mix adding up to it.
    let who = &top[0]["email"];
    let p = format!("/month/2026-09/person/{}", enc(who));
    let row = csv_rows(&page(&p, "top_spenders"));
    assert_eq!(row[0]["amount_usd"], top[0]["amount_usd"]);
    let amount = money(&top[0]["amount_usd"]);
    assert_eq!(sum(&csv_rows(&page(&p, "daily")), "amount_usd"), amount);
    assert_eq!(
        sum(&csv_rows(&page(&p, "product_mix")), "amount_usd"),
        amount
    );
    assert!(get(&s.base, &p).body.contains(&format!("{who} · 2026-09")));
}

#[test]
fn a_token_guards_every_page_and_never_shows() {
    let token = "s3cret-dashboard-token-0123456789";
    // Another address than loopback without a token: refused before binding.
    let d = demo();
    let store = d.join("store");
    let mapping = d.join("input/org-mapping.csv");
    let base_args = [
        "serve",
        "--store",
        store.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ];
    let mut open_bind = base_args.to_vec();
    open_bind.extend(["--bind", "0.0.0.0", "--port", "0"]);
    let run = allot(d, &open_bind);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to serve on 0.0.0.0"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--token"), "{}", run.stderr);
    // A mistyped store is refused, not served as an empty, settled dashboard.
    let typo = d.join("stroe");
    let mut mistyped = base_args.to_vec();
    mistyped[2] = typo.to_str().unwrap();
    mistyped.extend(["--port", "0"]);
    let run = allot(d, &mistyped);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("is not a store"), "{}", run.stderr);
    let mut weak = base_args.to_vec();
    weak.extend(["--token", "short", "--port", "0"]);
    let run = allot(d, &weak);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("too short"), "{}", run.stderr);
    // With a token (from the environment), on loopback.
    let mut args = base_args.to_vec();
    args.insert(0, "-vv");
    let s = serve(
        &args,
        &[("ALLOT_SERVE_TOKEN", token), ("RUST_LOG", "trace")],
    );
    assert!(
        s.url.starts_with(&format!("{}/login?once=", s.base)),
        "{}",
        s.url
    );
    for p in PAGES {
        let a = get(&s.base, p);
        assert_eq!(a.status, 401, "{p} without the token");
        assert!(
            !a.body.contains("Cost center"),
            "{p}: no figure without the token"
        );
        assert_eq!(a.header("www-authenticate"), Some("Bearer"));
        let bearer = format!("Bearer {token}");
        let a = request(&s.base, "GET", p, &[("Authorization", &bearer)], "");
        assert_eq!(a.status, 200, "{p} with the token");
        assert!(!a.body.contains(token));
        let csv = request(&s.base, "GET", &format!("{p}?csv=x"), &[], "");
        assert_eq!(csv.status, 401, "{p}?csv without the token");
    }
    let wrong = request(
        &s.base,
        "GET",
        "/",
        &[("Authorization", "Bearer s3cret-dashboard-token-0123456780")],
        "",
    );
    assert_eq!(wrong.status, 401);
    // The one-time link: a session cookie, once.
    let path = &s.url[s.base.len()..];
    let a = get(&s.base, path);
    assert_eq!(a.status, 303, "{}", a.body);
    let cookie = a.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains(token));
    let pair = cookie.split(';').next().unwrap().to_string();
    let a = request(&s.base, "GET", "/month/2026-09", &[("Cookie", &pair)], "");
    assert_eq!(a.status, 200);
    assert_eq!(get(&s.base, path).status, 401, "the link works once");
    let forged = request(&s.base, "GET", "/", &[("Cookie", "allot_session=00ff")], "");
    assert_eq!(forged.status, 401);
    // The sign-in form: the token posted, a cookie back; a wrong one refused.
    assert_eq!(get(&s.base, "/login").status, 200);
    assert!(!get(&s.base, "/login").body.contains(token));
    let a = request(&s.base, "POST", "/login", &[], &format!("token={token}"));
    assert_eq!(a.status, 303);
    let pair = a
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        request(&s.base, "GET", "/", &[("Cookie", &pair)], "").status,
        200
    );
    // The session lasts a working day, not for ever, and is Secure behind an HTTPS proxy.
    assert!(a.header("set-cookie").unwrap().contains("Max-Age=43200"));
    assert!(!a.header("set-cookie").unwrap().contains("Secure"));
    let proxied = request(
        &s.base,
        "POST",
        "/login",
        &[("X-Forwarded-Proto", "https")],
        &format!("token={token}"),
    );
    assert!(
        proxied.header("set-cookie").unwrap().contains("; Secure"),
        "{:?}",
        proxied.header("set-cookie")
    );
    // Signing out ends the session and removes the cookie.
    let out = request(&s.base, "GET", "/logout", &[("Cookie", &pair)], "");
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        request(&s.base, "GET", "/", &[("Cookie", &pair)], "").status,
        401,
        "the session is closed"
    );
    let a = request(
        &s.base,
        "POST",
        "/login",
        &[],
        "token=guess-guess-guess-guess",
    );
    assert_eq!(a.status, 401);
    let log = s.stderr();
    assert!(!log.contains(token), "the token is never logged");
    assert!(!s.url.contains(token), "the printed link is not the token");
}

#[test]
fn pseudonyms_reach_every_page_and_csv() {
    let s = serve(
        &{
            let mut a = vec!["--pseudonymize".to_string()];
            a.extend(demo_args(&[]));
            a
        }
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        &[("ALLOT_PSEUDONYM_KEY", "serve-test-key")],
    );
    let cc = get(&s.base, "/month/2026-09/cost-center/CC-1030").body;
    let who = cc
        .split("href=\"/month/2026-09/person/")
        .nth(1)
        .map(|x| x[..x.find('"').unwrap()].to_string())
        .expect("a person link");
    assert!(who.starts_with("person-"), "{who}");
    let mut pages: Vec<String> = PAGES.iter().map(ToString::to_string).collect();
    pages.retain(|p| !p.contains("/person/"));
    pages.push(format!("/month/2026-09/person/{who}"));
    for p in &pages {
        let a = get(&s.base, p);
        assert_eq!(a.status, 200, "{p}");
        assert!(!a.body.contains("@example.com"), "{p} shows an email");
        for name in a.body.split("href=\"?csv=").skip(1) {
            let name = &name[..name.find('"').unwrap()];
            let c = get(&s.base, &format!("{p}?csv={name}"));
            assert!(
                !c.body.contains("@example.com"),
                "{p}?csv={name} shows an email"
            );
        }
    }
    // People are addressed by pseudonym only.
    let a = get(&s.base, "/month/2026-09/person/ana.varga@example.com");
    assert_eq!(a.status, 404);
    assert!(!a.body.contains("@example.com"));
}

#[test]
fn a_sync_beside_it_is_picked_up_and_invoices_are_reconciled() {
    // A copy of the store without its last synced day, as if a sync had not got to it yet.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let cp = Command::new("cp")
        .args([
            "-r",
            demo().join("store").to_str().unwrap(),
            store.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(cp.success());
    let day: chrono::NaiveDate = "2026-11-22".parse().unwrap();
    allot_sync::Store::open(&store, false)
        .unwrap()
        .drop_days(allot_sync::Source::ActorCost, &[day].into(), day)
        .unwrap();
    let invoice = dir.path().join("invoice.csv");
    std::fs::write(
        &invoice,
        "Billing Month,Description,Line Type,Amount\n2026-09,Claude Code usage,Usage,\"$17,000.00\"\n2026-09,Claude usage - chat,Usage,\"$2,601.84\"\n",
    )
    .unwrap();
    let mapping = demo().join("input/org-mapping.csv");
    let s = serve(
        &[
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--invoice",
            invoice.to_str().unwrap(),
        ],
        &[],
    );
    let daily = |s: &Served| csv_rows(&get(&s.base, "/month/2026-11?csv=daily").body);
    let before = daily(&s);
    // A day not synced yet is a day with no cost (a zero day, the page says INCOMPLETE).
    assert!(before
        .iter()
        .all(|r| r["date"] != "2026-11-22" || money(&r["amount_usd"]).is_zero()));
    assert!(get(&s.base, "/month/2026-11").body.contains("INCOMPLETE"));
    // A sync beside the dashboard fetches the day and commits it.
    let api = crate::sync::fake(&["--rate", "100000"]);
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            "100000",
            "--from",
            "2026-11-22",
            "--to",
            "2026-11-22",
        ],
        true,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = daily(&s);
    assert!(
        after
            .iter()
            .any(|r| r["date"] == "2026-11-22" && !money(&r["amount_usd"]).is_zero()),
        "the new day is shown"
    );
    assert!(!get(&s.base, "/month/2026-11").body.contains("INCOMPLETE"));
    // The reconciliation page answers what `allot reconcile` answers.
    let page = get(&s.base, "/reconciliation");
    assert_eq!(page.status, 200, "{}", page.body);
    let rec = csv_rows(&get(&s.base, "/reconciliation?csv=reconciliation").body);
    let cli = dir.path().join("rec");
    let run = allot_env(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            invoice.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
            "--out",
            cli.to_str().unwrap(),
        ],
        &[],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let cli_rows = csv_rows(&std::fs::read_to_string(cli.join("reconciliation.csv")).unwrap());
    assert_eq!(rec, cli_rows);
    assert!(rec.iter().any(|r| r["month"] == "2026-09"));
}

/// A GET with the raw `Host` given (the helper above sends the address it connects to).
fn get_as_host(base: &str, path: &str, host: &str, extra: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_service_answers_its_own_names_says_its_health_and_takes_bearer_in_any_case() {
    let token = "s3cret-dashboard-token-0123456789";
    let s = serve(
        &demo_args(&["--token", token])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    let port = s.base.rsplit(':').next().unwrap().to_string();
    // DNS rebinding: a page of another site pointing its name at 127.0.0.1 gets nothing.
    assert_eq!(
        get_as_host(&s.base, "/healthz", "attacker.example", ""),
        421
    );
    assert_eq!(
        get_as_host(&s.base, "/", &format!("attacker.example:{port}"), ""),
        421
    );
    // The loopback names answer; /healthz needs no token.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert_eq!(get_as_host(&s.base, "/healthz", &host, ""), 200, "{host}");
    }
    let health = get(&s.base, "/healthz");
    assert_eq!(health.status, 200);
    assert!(health.body.starts_with("ok: last sync"), "{}", health.body);
    assert!(!health.body.contains(token));
    // The scheme of Authorization is case-insensitive.
    let host = format!("127.0.0.1:{port}");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("Authorization: {scheme} {token}\r\n");
        assert_eq!(get_as_host(&s.base, "/", &host, &auth), 200, "{scheme}");
    }
    assert_eq!(
        get_as_host(&s.base, "/", &host, "Authorization: Basic x\r\n"),
        401
    );
    drop(s);
    // A store synced longer ago than the bound is unhealthy, and --host adds a name.
    let s = serve(
        &demo_args(&["--stale-after-hours", "0", "--host", "allot.example"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    let port = s.base.rsplit(':').next().unwrap().to_string();
    assert_eq!(get(&s.base, "/healthz").status, 503);
    // /metrics: Prometheus text, every name allot_, requests by route pattern; the access
    // log names the pattern, never a person.
    let person = "/month/2026-09/person/ana.varga@example.com";
    assert_eq!(get(&s.base, person).status, 200);
    assert_eq!(get(&s.base, "/trend").status, 200);
    let m = get(&s.base, "/metrics");
    assert_eq!(m.status, 200);
    assert!(m
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    assert!(
        m.body
            .contains("allot_http_requests_total{route=\"/trend\",status=\"200\"} 1\n"),
        "{}",
        m.body
    );
    assert!(m.body.contains("allot_last_sync_timestamp_seconds "));
    assert!(m.body.contains("allot_provisional_days "));
    assert!(m.body.contains("route=\"/month/{month}/person/{who}\""));
    for line in m.body.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.starts_with("allot_"), "{line}");
    }
    assert!(!m.body.contains("ana.varga"));
    let log = s.stderr();
    assert!(
        log.contains("route=/trend") && log.contains("status=200"),
        "{log}"
    );
    assert!(
        !log.contains("ana.varga"),
        "no person in the access log: {log}"
    );
    assert_eq!(
        get_as_host(&s.base, "/trend", &format!("allot.example:{port}"), ""),
        200
    );
}

#[test]
fn pages_fit_a_phone_and_say_things_in_the_tables_words() {
    let s = serve(
        &demo_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    // At phone width the style sheet leaves out the detail columns; the first column and the
    // amount are never among them.
    let css = get(&s.base, "/assets/style.css").body;
    assert!(css.contains("@media (max-width:700px)") && css.contains(".wide{display:none}"));
    let page = get(&s.base, "/month/2026-09/cost-center/CC-1030").body;
    let header = |name: &str| {
        page.split("<th title=\"")
            .find(|t| t.starts_with(&format!("{name}\"")))
            .map_or_else(
                || panic!("no column {name}"),
                |t| t[..t.find('>').unwrap()].to_string(),
            )
    };
    assert!(
        !header("amount_usd").contains("wide"),
        "{}",
        header("amount_usd")
    );
    assert!(
        header("share_pct").contains("wide"),
        "{}",
        header("share_pct")
    );
    assert!(!header("email").contains("wide"));
    // A long label is cut in the middle, whole in its tooltip.
    let reviews = get(&s.base, "/month/2026-09/reviews").body;
    let who = "principal:arn:aws:iam::444455556666:role/support-assistant";
    assert!(
        reviews.contains(&format!("<title>{who}</title>")),
        "no tooltip"
    );
    assert!(
        !reviews.contains(&format!("</title>{who}</text>")),
        "the label is not cut"
    );
    // Notes use the headings the tables show, never a CSV column name.
    let forecast = get(&s.base, "/forecast").body;
    assert!(
        !forecast.contains("forecast_usd is"),
        "a note names a CSV column"
    );
    assert!(
        forecast.contains("&quot;Forecast ($)&quot; is"),
        "the note uses the heading"
    );
}

#[test]
fn slow_clients_are_closed_and_never_hold_the_dashboard() {
    let token = "s3cret-dashboard-token-0123456789";
    // The token from a file (a systemd credential): never on the command line.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("serve-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let s = serve(
        &demo_args(&["--token-file", token_file.to_str().unwrap()])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    let addr = s.base.trim_start_matches("http://").to_string();
    let started = std::time::Instant::now();
    // Twenty slowloris connections, each half a request head, and one silent socket.
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|i| {
            let mut c = TcpStream::connect(&addr).unwrap();
            write!(c, "GET /?n={i} HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").unwrap();
            c
        })
        .collect();
    slow.push(TcpStream::connect(&addr).unwrap());
    // The dashboard answers others meanwhile.
    let auth = format!("Authorization: Bearer {token}\r\n");
    assert_eq!(get_as_host(&s.base, "/healthz", &addr, ""), 200);
    assert_eq!(get_as_host(&s.base, "/trend", &addr, &auth), 200);
    assert_eq!(
        get_as_host(&s.base, "/trend", &addr, ""),
        401,
        "the file's token guards it"
    );
    // Every one of them is closed by the server within 30 s (the head must arrive in 10).
    for (i, c) in slow.iter_mut().enumerate() {
        c.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut buf = Vec::new();
        let closed = match c.read_to_end(&mut buf) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(
            closed,
            "connection {i} still open after {:?}",
            started.elapsed()
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "closed after {:?}",
        started.elapsed()
    );
    // And it still serves.
    assert_eq!(get_as_host(&s.base, "/trend", &addr, &auth), 200);
}

#[test]
fn a_mapping_or_budgets_edit_is_picked_up_and_a_broken_one_keeps_the_last_good() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("org.csv");
    let budgets = dir.path().join("budgets.csv");
    std::fs::copy(demo().join("input/org-mapping.csv"), &mapping).unwrap();
    std::fs::copy(demo().join("input/budgets.csv"), &budgets).unwrap();
    let s = serve(
        &[
            "serve",
            "--store",
            demo().join("store").to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--budgets",
            budgets.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
        ],
        &[],
    );
    let renamed = "/month/2026-10/by/department/Handsets";
    assert_eq!(get(&s.base, renamed).status, 404);
    assert!(get(&s.base, "/forecast").body.contains("4,500.00"));

    // Mobile is renamed Handsets, and its budget cut: the next request shows both.
    let text = std::fs::read_to_string(&mapping).unwrap();
    std::fs::write(&mapping, text.replace(",Mobile,", ",Handsets,")).unwrap();
    let text = std::fs::read_to_string(&budgets).unwrap();
    std::fs::write(
        &budgets,
        text.replace("CC-1030,,4500.00", "CC-1030,,4321.00"),
    )
    .unwrap();
    let page = get(&s.base, renamed);
    assert_eq!(page.status, 200, "{}", s.stderr());
    let forecast = get(&s.base, "/forecast").body;
    // (CC-1040 keeps its own $4,500.00.)
    assert!(forecast.contains("4,321.00"), "{forecast}");
    assert!(s.stderr().contains("changed: read again"), "{}", s.stderr());

    // A mapping that no longer reads: the pages keep the last good one, and the log says why.
    std::fs::write(&mapping, "email,cost_center\nnot an email,CC-1\n").unwrap();
    assert_eq!(get(&s.base, renamed).status, 200);
    assert!(s.stderr().contains("cannot be used"), "{}", s.stderr());
}

#[test]
fn connections_over_the_limit_are_closed_at_once_and_the_dashboard_serves_again() {
    let s = serve(
        &demo_args(&[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    let addr = s.base.trim_start_matches("http://").to_string();
    assert_eq!(get(&s.base, "/healthz").status, 200);
    // allot_serve::MAX_CONNECTIONS silent connections hold every place...
    let held: Vec<TcpStream> = (0..256)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // ...so the next one is closed at once, long before the 10 s a request head may take.
    let started = std::time::Instant::now();
    let mut over = TcpStream::connect(&addr).unwrap();
    over.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = write!(over, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut buf = Vec::new();
    let closed = match over.read_to_end(&mut buf) {
        Ok(_) => buf.is_empty(),
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(
        closed,
        "a connection over the limit was answered: {}",
        String::from_utf8_lossy(&buf)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Once they go, it serves again.
    drop(held);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = std::panic::catch_unwind(|| get(&s.base, "/healthz").status).unwrap_or(0);
        if answer == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not serving again");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

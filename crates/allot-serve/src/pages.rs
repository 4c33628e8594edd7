//! The routes: each page is built from `allot-app` (cached until the store changes), rendered
//! to HTML, or answered as the CSV of one of its tables (`?csv=NAME`). Every response carries
//! `Content-Security-Policy: default-src 'self'` and is never cached by the browser.
//!
//! | route | page |
//! |---|---|
//! | `/` | overview: the month so far, forecast, budget, 12 weeks, top cost centers and spenders, alerts |
//! | `/trend` | cost per week per cost center, 12 weeks |
//! | `/forecast` | the month's forecast per cost center |
//! | `/month/{month}` | the chargeback at every level, unmapped people, cost per day |
//! | `/month/{month}/by/{level}/{value}` | one value of a level and what is under it |
//! | `/month/{month}/cost-center/{cc}` | a cost center |
//! | `/month/{month}/person/{email}` | a person (their pseudonym with `--pseudonymize`) |
//! | `/month/{month}/reviews` | top spenders, context window, model mix, efficiency |
//! | `/month/{month}/adoption` | the adoption scorecard and idle seats |
//! | `/month/{month}/restatements` | what Anthropic revised of the month's cost, version by version |
//! | `/reconciliation` | the invoices against the API (with `--invoice`) |

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use allot_app::adoption::AdoptionRun;
use allot_app::board::OVERVIEW_WEEKS;
use allot_app::board::{Chart, Part};
use allot_app::{months_held, AdoptionOptions, AppError, MonthBoard, Named, Overview, Workspace};
use allot_core::money::format_cents;
use allot_core::{Month, Status};
use allot_figures::trend::PeriodTotal;
use allot_report::html_out::{bars, esc, lines, money_text};
use allot_report::{Cell, Column, Kind, Note, Report};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::auth;
use crate::render::{self, card, enc, section, Frame};
use crate::App;

/// Why a page cannot be shown.
#[derive(Debug)]
enum Fail {
    NotFound(String),
    BadRequest(String),
    Internal(String),
}

impl From<AppError> for Fail {
    fn from(e: AppError) -> Fail {
        match e {
            AppError::NoData(m) => Fail::NotFound(m),
            AppError::Usage(m) => Fail::BadRequest(m),
            other => {
                let mut text = other.to_string();
                let mut source = std::error::Error::source(&other);
                while let Some(s) = source {
                    text.push_str(&format!(": {s}"));
                    source = s.source();
                }
                Fail::Internal(text)
            }
        }
    }
}

/// A built page: its frame, its HTML body and the tables it shows (for `?csv=`).
struct View {
    title: String,
    status: Option<Status>,
    crumbs: Vec<(String, String)>,
    month: Option<Month>,
    here: &'static str,
    body: String,
    tables: Vec<Named>,
}

/// A finished response before it becomes an HTTP one.
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    download: Option<String>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(name) = self.download {
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
        }
        r
    }
}

fn problem(status: StatusCode, title: &str, message: &str) -> Reply {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        body: render::problem(title, message).into_bytes(),
        download: None,
    }
}

fn fail_reply(app: &App, f: Fail) -> Reply {
    let hide = |m: &str| {
        app.config
            .pseudonyms
            .as_ref()
            .map_or_else(|| m.to_string(), |p| p.text(m))
    };
    match f {
        Fail::NotFound(m) => problem(StatusCode::NOT_FOUND, "Not found", &hide(&m)),
        Fail::BadRequest(m) => problem(StatusCode::BAD_REQUEST, "Bad request", &hide(&m)),
        Fail::Internal(m) => {
            tracing::error!("{}", hide(&m));
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &hide(&m),
            )
        }
    }
}

/// The router of every page, behind the token (when set) and the security headers.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/trend", get(trend))
        .route("/forecast", get(forecast))
        .route("/month/{month}", get(month))
        .route("/month/{month}/by/{level}/{value}", get(drill))
        .route("/month/{month}/cost-center/{cc}", get(cost_center))
        .route("/month/{month}/person/{who}", get(person))
        .route("/month/{month}/reviews", get(reviews))
        .route("/month/{month}/adoption", get(adoption))
        .route("/month/{month}/restatements", get(restatements))
        .route("/reconciliation", get(reconciliation))
        .route("/login", get(login_page).post(login_form))
        .route("/logout", get(logout))
        .route("/assets/style.css", get(style))
        .route("/assets/sort.js", get(script))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .layer(middleware::from_fn_with_state(app.clone(), hosts))
        .layer(middleware::map_response(headers))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// Refuses a request whose Host is not a name this dashboard answers to (421): a page of
/// another site that rebinds its DNS name to 127.0.0.1 gets nothing.
async fn hosts(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The name without its port (`[::1]:8080` keeps its brackets).
    let name = match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host.as_str(),
    };
    if app.config.hosts.iter().any(|h| h == name) {
        return next.run(req).await;
    }
    let mut r = problem(
        StatusCode::MISDIRECTED_REQUEST,
        "Misdirected request",
        "This dashboard does not answer to that host name. Open it by the address allot serve printed, or start it with --host NAME for the name you use.",
    )
    .into_response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// When the store's newest version was committed, looked up now (not through the cache: a
/// health check must see a sync the pages have not been asked about yet).
fn last_sync(app: &App) -> Option<std::time::SystemTime> {
    app.config
        .workspace
        .sources
        .store()
        .and_then(|s| allot_app::store::head_stamp(s).1)
}

/// `GET /healthz`: 200 with the store's data age when the last sync is recent enough, 503
/// when it is older than `--stale-after` (or the store cannot be read); open without the
/// token, and it says nothing of the figures.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let age = last_sync(&app).and_then(|t| t.elapsed().ok());
    let (status, body) = match age {
        Some(a) if a <= app.config.stale_after => (
            StatusCode::OK,
            format!("ok: last sync {} s ago\n", a.as_secs()),
        ),
        Some(a) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "stale: last sync {} s ago, more than {} s\n",
                a.as_secs(),
                app.config.stale_after.as_secs()
            ),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no store: it has no committed version yet\n".to_string(),
        ),
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Times every request, counts it by route pattern and status for `/metrics`, and writes an
/// access line (`allot::access`): method, route pattern (never the path: no email, person or
/// sign-in code), status, milliseconds.
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let r = next.run(req).await;
    let took = started.elapsed();
    let status = r.status().as_u16();
    app.requests.record(&route, status, took);
    tracing::info!(
        target: "allot::access",
        method = %method,
        route = %route,
        status,
        ms = took.as_millis() as u64,
        "request"
    );
    r
}

/// `GET /metrics`: Prometheus text, every name starting `allot_`: requests and latency by
/// route, the last sync's time and age, provisional and incomplete days of the overview.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    let modified = last_sync(&app);
    let overview: Option<Arc<Overview>> = app.cache.lookup("overview");
    let state = crate::metrics::StoreState {
        last_sync: modified
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
        age: modified.and_then(|t| t.elapsed().ok()).map(|d| d.as_secs()),
        provisional_days: overview.as_ref().map(|o| o.provisional.len()),
        incomplete_days: overview.as_ref().map(|o| o.missing.len()),
    };
    let mut r = (StatusCode::OK, crate::metrics::text(&app.requests, state)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

async fn headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// With a token, lets through only requests that carry it (or a live session); the sign-in
/// routes and the style sheet are open.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(token) = &app.config.token else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/login"
        || path == "/logout"
        || path == "/assets/style.css"
        || path == "/favicon.ico"
        || path == "/healthz"
    {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 7235): `bearer`, `Bearer`, `BEARER`.
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, t)| token.matches(t.trim()));
    let session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(auth::session_cookie)
        .any(|id| app.auth.live(id));
    if bearer || session {
        return next.run(req).await;
    }
    let mut r = problem(
        StatusCode::UNAUTHORIZED,
        "Sign in needed",
        "This dashboard needs its token: open the one-time link allot serve printed, sign in at /login, or send Authorization: Bearer TOKEN.",
    )
    .into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

async fn login_page(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if app.config.token.is_none() {
        return redirect("/", None, false);
    }
    match q.get("once") {
        Some(code) => match app.auth.redeem(code) {
            Some(id) => redirect("/", Some(&id), secure_cookie(&app, &headers)),
            None => html(
                StatusCode::UNAUTHORIZED,
                render::login(
                    "That sign-in link was already used, has expired (links last 10 minutes) or is not valid: sign in with the token.",
                ),
            ),
        },
        None => html(
            StatusCode::OK,
            render::login("This dashboard is protected by a token."),
        ),
    }
}

async fn login_form(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(token) = &app.config.token else {
        return redirect("/", None, false);
    };
    if f.get("token").is_some_and(|t| token.matches(t.trim())) {
        let id = app.auth.open();
        redirect("/", Some(&id), secure_cookie(&app, &headers))
    } else {
        html(
            StatusCode::UNAUTHORIZED,
            render::login("That is not the token."),
        )
    }
}

/// Whether the session cookie is marked `Secure`: told so (`--behind-https`), or the request
/// came through a proxy that says it was HTTPS (`X-Forwarded-Proto: https`).
fn secure_cookie(app: &App, headers: &axum::http::HeaderMap) -> bool {
    app.config.behind_https
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// `/logout`: closes the session its cookie names and removes the cookie.
async fn logout(State(app): State<Arc<App>>, headers: axum::http::HeaderMap) -> Response {
    for id in headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(auth::session_cookie)
    {
        app.auth.close(id);
    }
    let mut r = html(
        StatusCode::OK,
        render::login("Signed out. Sign in again with the token."),
    );
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(secure_cookie(&app, &headers))) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn html(status: StatusCode, body: String) -> Response {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        body: body.into_bytes(),
        download: None,
    }
    .into_response()
}

fn redirect(to: &'static str, session: Option<&str>, secure: bool) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    if let Some(id) = session {
        if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(id, secure)) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

async fn style() -> Response {
    Reply {
        status: StatusCode::OK,
        content_type: "text/css; charset=utf-8",
        body: render::style().into_bytes(),
        download: None,
    }
    .into_response()
}

async fn script() -> Response {
    Reply {
        status: StatusCode::OK,
        content_type: "text/javascript; charset=utf-8",
        body: render::SORT_JS.as_bytes().to_vec(),
        download: None,
    }
    .into_response()
}

async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such page in this dashboard.",
    )
    .into_response()
}

/// Builds (or takes from the cache) the page at `path` and answers it as HTML or as one of
/// its tables' CSV.
async fn respond(
    app: Arc<App>,
    path: String,
    q: HashMap<String, String>,
    build: impl FnOnce(&App) -> Result<View, Fail> + Send + 'static,
) -> Response {
    let worker = app.clone();
    let done = tokio::task::spawn_blocking(move || {
        let app = worker;
        for k in q.keys() {
            if k != "csv" {
                return Err(Fail::BadRequest(format!(
                    "unknown parameter `{k}`: a page takes only ?csv=TABLE"
                )));
            }
        }
        check(&app);
        let view = app.cache.get(&format!("page:{path}"), || build(&app))?;
        Ok(finish(&app, &view, q.get("csv").map(String::as_str)))
    })
    .await;
    match done {
        Ok(Ok(reply)) => reply.into_response(),
        Ok(Err(f)) => fail_reply(&app, f).into_response(),
        Err(e) => fail_reply(&app, Fail::Internal(format!("the page failed: {e}"))).into_response(),
    }
}

/// Looks at the store before answering (drops the cache when a sync changed it).
fn check(app: &App) {
    if app.live.refresh() {
        app.cache.clear();
    }
    app.cache.check(app.config.as_of_today.then(today));
}

/// When the store's newest version was committed (as the request's look at the store found
/// it).
fn synced(app: &App) -> String {
    app.cache.modified().map_or_else(
        || "never".into(),
        |t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The workspace as of now (today, when the dashboard follows the calendar), its store's
/// tables pinned at the versions the request's look at the store found (one pin per store
/// change, kept in the cache): every figure of a page comes from one version of each table.
fn ws(app: &App) -> Workspace {
    let mut ws = app.live.workspace();
    if app.config.as_of_today {
        ws.as_of = today();
    }
    let as_of = ws.as_of;
    let pinned = app.cache.get("store:pin", || {
        ws.sources.clone().pin(as_of).map(|(s, _)| s.snapshot)
    });
    match pinned {
        Ok(snapshot) => ws.sources.snapshot.clone_from(&snapshot),
        Err(e) => tracing::warn!("the store cannot be read: {e}"),
    }
    ws
}

fn finish(app: &App, view: &View, csv: Option<&str>) -> Reply {
    let p = app.config.pseudonyms.as_ref();
    if let Some(name) = csv {
        let Some(t) = view.tables.iter().find(|t| t.name == name) else {
            let names: Vec<&str> = view.tables.iter().map(|t| t.name.as_str()).collect();
            return problem(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!(
                    "this page has no table `{name}` (its tables: {})",
                    names.join(", ")
                ),
            );
        };
        let report = p.map_or_else(|| t.report.clone(), |p| p.report(&t.report));
        let mut body = Vec::new();
        if let Err(e) = allot_report::csv_out::write(&report, &mut body) {
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &e.to_string(),
            );
        }
        return Reply {
            status: StatusCode::OK,
            content_type: "text/csv; charset=utf-8",
            body,
            download: Some(format!("{name}.csv")),
        };
    }
    let months = months(app).map(|m| (*m).clone()).unwrap_or_default();
    let stamp = synced(app);
    let footer = format!(
        "As of {}; the store was last synced {stamp}.",
        ws(app).as_of
    );
    let html = render::page(
        &Frame {
            title: &view.title,
            status: view.status,
            crumbs: &view.crumbs,
            month: view.month.or_else(|| months.last().copied()),
            months: &months,
            invoices: !app.config.invoices.is_empty(),
            here: view.here,
            footer: &footer,
        },
        &view.body,
    );
    let html = match p {
        Some(p) => p.text(&html),
        None => html,
    };
    Reply {
        status: StatusCode::OK,
        content_type: "text/html; charset=utf-8",
        body: html.into_bytes(),
        download: None,
    }
}

fn months(app: &App) -> Result<Arc<Vec<Month>>, Fail> {
    app.cache
        .get("months", || months_held(&ws(app)).map_err(Fail::from))
}

fn parse_month(s: &str) -> Result<Month, Fail> {
    s.parse::<Month>().map_err(|_| {
        Fail::BadRequest(format!(
            "`{s}` is not a month: write it as YYYY-MM, e.g. 2026-09"
        ))
    })
}

fn board(app: &App, m: Month) -> Result<Arc<MonthBoard>, Fail> {
    let held = months(app)?;
    if !held.contains(&m) {
        return Err(Fail::NotFound(format!(
            "the store holds no cost for {m} (it holds {})",
            match (held.first(), held.last()) {
                (Some(a), Some(b)) => format!("{a} to {b}"),
                _ => "nothing yet".into(),
            }
        )));
    }
    app.cache.get(&format!("board:{m}"), || {
        ws(app)
            .month_board(m, &app.config.policy)
            .map_err(Fail::from)
    })
}

fn overview_data(app: &App) -> Result<Arc<Overview>, Fail> {
    app.cache.get("overview", || {
        ws(app)
            .overview(&app.live.watch(), &app.config.policy)
            .map_err(Fail::from)
    })
}

/// Loads the overview, the month it shows and that month's adoption (called once at start).
pub fn warm(app: &App) {
    check(app);
    if let Ok(ov) = overview_data(app) {
        let _ = board(app, ov.month);
        let _ = adoption_data(app, ov.month);
    }
}

/// Loads the months before the overview's, newest first, as many as the cache keeps (run
/// in the background once serving).
pub fn warm_rest(app: &App) {
    let Ok(held) = months(app) else { return };
    for m in held
        .iter()
        .rev()
        .skip(1)
        .take(crate::cache::MONTHS_KEPT - 1)
    {
        let _ = board(app, *m);
        let _ = adoption_data(app, *m);
    }
}

fn adoption_data(app: &App, m: Month) -> Result<Arc<AdoptionRun>, Fail> {
    app.cache.get(&format!("adoption:{m}"), || {
        ws(app)
            .adoption_run(
                m,
                &AdoptionOptions {
                    policy: app.config.policy.clone(),
                    ..AdoptionOptions::default()
                },
            )
            .map_err(Fail::from)
    })
}

/// Links of a month's tables: cost centers, people and hierarchy values to their pages.
fn month_links(m: Month, levels: Vec<String>) -> impl Fn(&str, &str) -> Option<String> {
    move |col: &str, text: &str| {
        if text.is_empty() || text == "UNMAPPED" || text == "TOTAL" {
            return None;
        }
        match col {
            "cost_center" | "last_cost_center" | "charged_to" => {
                Some(format!("/month/{m}/cost-center/{}", enc(text)))
            }
            "email" => Some(format!("/month/{m}/person/{}", enc(text))),
            c if levels.iter().any(|l| l == c) => {
                Some(format!("/month/{m}/by/{}/{}", enc(c), enc(text)))
            }
            _ => None,
        }
    }
}

fn cost_center_label(b: &MonthBoard, cc: &str) -> String {
    match b.cost_centers.get(cc).and_then(|a| a.first()) {
        Some((_, v)) if !v.is_empty() => format!("{cc} · {v}"),
        _ => cc.to_string(),
    }
}

/// (label, URL) of the path above a level's value, from the month down.
fn crumbs_of(b: &MonthBoard, k: usize, value: &str) -> Vec<(String, String)> {
    let m = b.month;
    let mut out = vec![(format!("Month {m}"), format!("/month/{m}"))];
    for (level, v) in b.path(k, value) {
        out.push((
            v.clone(),
            format!("/month/{m}/by/{}/{}", enc(&level), enc(&v)),
        ));
    }
    out
}

/// A report's notes as the page says them: in the words of its table's headings.
fn report_notes_html(report: &Report) -> String {
    let said: Vec<Note> = report
        .notes
        .iter()
        .map(|n| {
            Note::new(
                n.kind,
                allot_report::html_out::note_in_words(report, &n.text),
            )
        })
        .collect();
    notes_html(&said)
}

/// Notes as paragraphs: a note saying the figures are not final is a warning, by its kind.
fn notes_html(notes: &[Note]) -> String {
    let mut h = String::new();
    for n in notes {
        let class = if n.kind.is_status() { "warn" } else { "notes" };
        h.push_str(&format!("<p class=\"{class}\">{}</p>", esc(&n.text)));
    }
    h
}

fn dollars(c: i64) -> String {
    format!("${}", money_text(c))
}

async fn overview(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/".into(), q, |app| {
        let ov = overview_data(app)?;
        let m = ov.month;
        let mut body = String::new();
        let mut tables = Vec::new();
        let mut said = Vec::new();
        let mut cards = String::from("<div class=\"cards\">");
        let mut status = None;
        if let Some(f) = &ov.forecast_figures {
            status = Some(f.status);
            let t = &f.total;
            cards.push_str(&card(
                &format!("{m} to date"),
                &dollars(t.cents.month_to_date),
                &format!("{} · through {}", f.status, ov.last_day.map(|d| d.to_string()).unwrap_or_default()),
            ));
            cards.push_str(&card(
                "Forecast for the month",
                &dollars(t.cents.forecast),
                &format!("range {} to {}", dollars(t.cents.low), dollars(t.cents.high)),
            ));
            if let Some(b) = t.budget {
                let pct = t.vs_budget_bp.map(format_cents).unwrap_or_default();
                cards.push_str(&card(
                    "Budget",
                    &dollars(b),
                    &format!("forecast is {pct}% of it"),
                ));
            }
        }
        if ov.alerts.is_some() {
            cards.push_str(&card(
                "Open alerts",
                &ov.open_alerts.to_string(),
                &format!("{} critical", ov.critical_alerts),
            ));
        }
        cards.push_str(&card("Last sync", &synced(app), "when the store's newest version was committed"));
        cards.push_str(&card(
            "Data through",
            &ov.last_day.map_or_else(|| "no data".into(), |d| d.to_string()),
            &if ov.provisional.is_empty() {
                "every day settled".to_string()
            } else {
                format!(
                    "provisional: {}",
                    allot_core::period::describe_days(&ov.provisional)
                )
            },
        ));
        cards.push_str("</div>");
        body.push_str(&cards);
        if !ov.provisional.is_empty() {
            body.push_str(&format!(
                "<p class=\"warn\">PROVISIONAL: {} are less than 30 days old or were synced while they were; Anthropic may still revise them. Every figure that includes them says so.</p>",
                allot_core::period::describe_days(&ov.provisional),
            ));
        }
        for n in [&ov.forecast_note, &ov.alerts_note].into_iter().flatten() {
            body.push_str(&format!("<p class=\"notes\">{}</p>", esc(n)));
        }
        let b = board(app, m).ok();
        let levels = b.as_ref().map(|b| b.levels.clone()).unwrap_or_default();
        let link = month_links(m, levels);
        if let Some(w) = &ov.weeks {
            let (weeks, chart) = week_totals(&ov.week_totals, &w.report);
            // The banner above says which days are provisional; the trend's notes are on /trend.
            said.extend(w.report.notes.iter().cloned());
            body.push_str(&section(&weeks, &said, &link, &[chart]));
            body.push_str("<p class=\"csv\"><a href=\"/trend\">Each cost center per week</a></p>");
            tables.push(weeks);
        }
        if let (Some(f), Some(mut top)) = (&ov.forecast, ov.top_forecast("top_cost_centers", 10)) {
            top.report.title = format!("Top cost centers, {m} to date, with their forecast");
            body.push_str(&section(&top, &said, &link, &[]));
            body.push_str("<p class=\"csv\"><a href=\"/forecast\">Every cost center's forecast</a></p>");
            said.extend(f.report.notes.iter().cloned());
            tables.push(top);
        }
        if let Some(b) = &b {
            let mut top = b.top.clone();
            top.report.title = format!("Top spenders, {m} so far");
            body.push_str(&section(&top, &said, &link, &[]));
            said.extend(top.report.notes.iter().cloned());
            tables.push(top);
        }
        if let Some(a) = &ov.alerts {
            let mut a = a.clone();
            a.report.title = format!("Open alerts ({})", ov.open_alerts);
            body.push_str(&section(&a, &said, &link, &[]));
            tables.push(a);
        }
        Ok(View {
            title: "Overview".into(),
            status,
            crumbs: Vec::new(),
            month: Some(m),
            here: "overview",
            body,
            tables,
        })
    })
    .await
}

/// The organisation's cost per week as a table and its chart (the figures sum each week's
/// lines, so the weeks add up to the trend's rows).
fn week_totals(weeks: &[PeriodTotal], trend: &Report) -> (Named, String) {
    let periods: Vec<String> = weeks.iter().map(|w| w.range.from.to_string()).collect();
    let values: Vec<i64> = weeks.iter().map(|w| w.cents).collect();
    let chart = lines(
        &format!("Cost per week, last {OVERVIEW_WEEKS} weeks (all cost centers)"),
        &periods,
        &[("all cost centers".into(), values)],
    );
    let rows = weeks
        .iter()
        .map(|w| {
            vec![
                Cell::Text(w.range.from.to_string()),
                Cell::Text(w.range.to.to_string()),
                Cell::Cents(w.cents),
                Cell::Text(w.status.to_string()),
            ]
        })
        .collect();
    let report = Report {
        title: format!("Cost per week, last {OVERVIEW_WEEKS} weeks"),
        status: trend.status,
        meta: trend.meta.clone(),
        columns: vec![
            Column::new("week_start", Kind::Text),
            Column::new("week_end", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("status", Kind::Text),
        ],
        rows,
        total: None,
        notes: trend.notes.clone(),
    };
    (Named::table("weeks", report), chart)
}

async fn trend(State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>) -> Response {
    respond(app, "/trend".into(), q, |app| {
        let ov = overview_data(app)?;
        let Some(w) = ov.weeks.clone() else {
            return Err(Fail::NotFound("the store holds no cost yet".into()));
        };
        let r = &w.report;
        let series = &ov.week_series;
        let periods: Vec<String> = series.periods.iter().map(|p| p.from.to_string()).collect();
        let chart = lines("Cost per week by cost center", &periods, &series.lines);
        let b = board(app, ov.month).ok();
        let link = month_links(ov.month, b.map(|b| b.levels.clone()).unwrap_or_default());
        let mut body = report_notes_html(r);
        body.push_str(&section(&w, &r.notes, &link, &[chart]));
        Ok(View {
            title: format!("Trend: cost per week, last {OVERVIEW_WEEKS} weeks"),
            status: Some(r.status),
            crumbs: Vec::new(),
            month: Some(ov.month),
            here: "trend",
            body,
            tables: vec![w],
        })
    })
    .await
}

async fn forecast(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/forecast".into(), q, |app| {
        let ov = overview_data(app)?;
        let Some(f) = ov.forecast.clone() else {
            return Err(Fail::NotFound(
                ov.forecast_note
                    .clone()
                    .unwrap_or_else(|| "no forecast can be made yet".into()),
            ));
        };
        let rows: Vec<(String, i64)> = ov
            .forecast_figures
            .iter()
            .flat_map(|f| &f.rows)
            .take(60)
            .map(|r| (r.key.clone(), r.cents.forecast))
            .collect();
        let chart = bars("Forecast for the month", &rows, "$");
        let b = board(app, ov.month).ok();
        let link = month_links(ov.month, b.map(|b| b.levels.clone()).unwrap_or_default());
        let mut body = report_notes_html(&f.report);
        body.push_str(&section(&f, &f.report.notes, &link, &[chart]));
        Ok(View {
            title: format!("Forecast {}", ov.month),
            status: Some(f.report.status),
            crumbs: Vec::new(),
            month: Some(ov.month),
            here: "forecast",
            body,
            tables: vec![f],
        })
    })
    .await
}

async fn month(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let link = month_links(m, b.levels.clone());
        let last = b.levels.len() - 1;
        let cc = b.chargeback(last);
        let mut body = notes_html(&b.notes);
        let figures = &b.figures[last];
        let unmapped = b.unmapped();
        body.push_str("<div class=\"cards\">");
        let (people, others) = (b.people_with_cost(), b.spenders_with_cost() - b.people_with_cost());
        body.push_str(&card(
            "Total",
            &dollars(b.total_cents),
            &format!(
                "{people} {} with cost, and {others} other {} (API keys, service accounts, cloud principals...)",
                if people == 1 { "person" } else { "people" },
                if others == 1 { "spender" } else { "spenders" },
            ),
        ));
        body.push_str(&card(
            "Coverage",
            &format!("{}%", figures.coverage_bp.map(format_cents).unwrap_or_default()),
            "of the cost reached a real cost center",
        ));
        let ((people, people_cents), (others, others_cents)) = b.unmapped_counts();
        body.push_str(&card(
            "Unmapped people",
            &people.to_string(),
            &dollars(people_cents),
        ));
        body.push_str(&card(
            "Unmapped other spenders",
            &others.to_string(),
            &format!("{} (API keys, accounts, principals...)", dollars(others_cents)),
        ));
        body.push_str("</div>");
        let mut tables = Vec::new();
        let mut said = b.notes.clone();
        // Every level of the hierarchy, top first; each value links to what is under it.
        for k in 0..last {
            let level = b.chargeback(k);
            let chart = (k == 0).then(|| {
                let amounts: Vec<(String, i64)> =
                    b.figures[0].amounts().into_iter().take(60).collect();
                bars(&format!("Cost by {}", b.levels[0]), &amounts, "$")
            });
            body.push_str(&section(level, &said, &link, &chart.into_iter().collect::<Vec<_>>()));
            said.extend(level.report.notes.iter().cloned());
            tables.push(level.clone());
        }
        let labelled: Vec<(String, i64)> = figures
            .amounts()
            .into_iter()
            .take(60)
            .map(|(k, v)| (cost_center_label(&b, &k), v))
            .collect();
        let chart = (last == 0).then(|| bars("Cost by cost center", &labelled, "$"));
        body.push_str(&section(cc, &said, &link, &chart.into_iter().collect::<Vec<_>>()));
        tables.push(cc.clone());
        said.extend(cc.report.notes.iter().cloned());
        body.push_str(&section(unmapped, &said, &link, &[]));
        tables.push(unmapped.clone());
        let daily = b.daily();
        let days: Vec<(String, i64)> =
            b.days.iter().take(400).map(|(d, c)| (d.to_string(), *c)).collect();
        let chart = allot_report::html_out::line("Cost by day", &days);
        body.push_str(&section(daily, &said, &link, &[chart]));
        tables.push(daily.clone());
        body.push_str(&format!(
            "<p class=\"csv\"><a href=\"/month/{m}/reviews\">Reviews of {m}</a> · <a href=\"/month/{m}/adoption\">Adoption in {m}</a></p>"
        ));
        Ok(View {
            title: format!("Month {m}"),
            status: Some(b.status),
            crumbs: Vec::new(),
            month: Some(m),
            here: "month",
            body,
            tables,
        })
    })
    .await
}

async fn drill(
    State(app): State<Arc<App>>,
    Path((m, level, value)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/by/{}/{}", enc(&level), enc(&value));
    let app2 = app.clone();
    if let Ok(month) = parse_month(&m) {
        if let Ok(b) = tokio::task::spawn_blocking(move || {
            check(&app2);
            board(&app2, month)
        })
        .await
        .unwrap_or_else(|e| Err(Fail::Internal(e.to_string())))
        {
            if b.level(&level) == Some(b.levels.len() - 1) {
                let to = format!("/month/{month}/cost-center/{}", enc(&value));
                return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            }
        }
    }
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let Some(k) = b.level(&level) else {
            return Err(Fail::NotFound(format!(
                "`{level}` is not a level of the mapping (levels: {})",
                b.levels.join(", ")
            )));
        };
        let Some(children) = b.children(k, &value) else {
            return Err(Fail::NotFound(format!("{m} has no {level} `{value}`")));
        };
        let link = month_links(m, b.levels.clone());
        let mut body = notes_html(&b.notes);
        let mut tables = Vec::new();
        if let Some(row) = b.row_of(k, &value) {
            let mut row = row;
            row.name = "line".into();
            row.report.title = format!("{value} in the {} chargeback", b.levels[k]);
            body.push_str(&section(&row, &b.notes, &link, &[]));
            tables.push(row);
        }
        let below = &b.levels[k + 1];
        let mut items: Vec<(String, i64)> = b.child_lines(k, &value).into_iter().take(60).collect();
        if k + 1 == b.levels.len() - 1 {
            for it in &mut items {
                it.0 = cost_center_label(&b, &it.0);
            }
        }
        let chart = bars(&format!("Cost by {below} in {value}"), &items, "$");
        let mut children = children;
        children.report.title = format!("{value}: by {below}");
        body.push_str(&section(&children, &b.notes, &link, &[chart]));
        tables.push(children);
        let crumbs = crumbs_of(&b, k, &value);
        Ok(View {
            title: format!("{value} ({}) · {m}", b.levels[k]),
            status: Some(b.status),
            crumbs,
            month: Some(m),
            here: "month",
            body,
            tables,
        })
    })
    .await
}

async fn cost_center(
    State(app): State<Arc<App>>,
    Path((m, cc)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/cost-center/{}", enc(&cc));
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let Some(parts) = b.cost_center(&cc) else {
            return Err(Fail::NotFound(format!("{m} has no cost center `{cc}`")));
        };
        let link = month_links(m, b.levels.clone());
        let body = breakdown(&b, &parts, &link);
        let crumbs = crumbs_of(&b, b.levels.len() - 1, &cc);
        Ok(View {
            title: format!("{} · {m}", cost_center_label(&b, &cc)),
            status: Some(b.status),
            crumbs,
            month: Some(m),
            here: "month",
            body,
            tables: parts.into_iter().map(|p| p.table).collect(),
        })
    })
    .await
}

/// The sections of a cost center's or a person's page: the month's status notes, then each
/// report, the daily cost and the product and model mix with their chart.
fn breakdown(b: &MonthBoard, parts: &[Part], link: render::Linker<'_>) -> String {
    let mut body = notes_html(&b.notes);
    for part in parts {
        let first =
            |points: &[(String, i64)], n: usize| points.iter().take(n).cloned().collect::<Vec<_>>();
        let chart = match (&part.chart, part.table.name.as_str()) {
            (Chart::Line(days), _) => {
                vec![allot_report::html_out::line(
                    "Cost by day",
                    &first(days, 400),
                )]
            }
            (Chart::Bars(bars_of), "product_mix") => {
                vec![bars("Product mix", &first(bars_of, 20), "$")]
            }
            (Chart::Bars(bars_of), _) => vec![bars("Model mix", &first(bars_of, 20), "$")],
            (Chart::None, _) => Vec::new(),
        };
        body.push_str(&section(&part.table, &b.notes, link, &chart));
    }
    body
}

async fn person(
    State(app): State<Arc<App>>,
    Path((m, who)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/person/{}", enc(&who));
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        // Emails match case-insensitively, the ids of keys, workspaces and other actors
        // exactly: the identity type's rule, as everywhere else.
        let who = allot_core::identity::normalize(&who);
        // With --pseudonymize people are addressed by pseudonym only.
        // With --pseudonymize an email is addressed by its pseudonym only; API keys,
        // workspaces and other actors (no email in them) by their identity as everywhere.
        let email = match &app.config.pseudonyms {
            Some(p) if who.starts_with("person-") || who.contains('@') => {
                b.people.iter().find(|e| p.pseudonym(e) == who).cloned()
            }
            _ => b.has_person(&who).then(|| who.clone()),
        };
        let Some(email) = email else {
            return Err(Fail::NotFound(format!("{m} has no person `{who}`")));
        };
        let parts = b.person(&email).expect("known person");
        let link = month_links(m, b.levels.clone());
        let body = breakdown(&b, &parts, &link);
        let mut crumbs = Vec::new();
        if let Some(home) = b.home_of(&email) {
            let last = b.levels.len() - 1;
            crumbs = crumbs_of(&b, last, &home);
            if home != "UNMAPPED" {
                crumbs.push((
                    cost_center_label(&b, &home),
                    format!("/month/{m}/cost-center/{}", enc(&home)),
                ));
            }
        } else {
            crumbs.push((format!("Month {m}"), format!("/month/{m}")));
        }
        Ok(View {
            title: format!("{email} · {m}"),
            status: Some(b.status),
            crumbs,
            month: Some(m),
            here: "month",
            body,
            tables: parts.into_iter().map(|p| p.table).collect(),
        })
    })
    .await
}

async fn reviews(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/reviews");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let link = month_links(m, b.levels.clone());
        let mut body = notes_html(&b.notes);
        let top: Vec<(String, i64)> = b
            .top_figures
            .rows
            .iter()
            .take(15)
            .map(|r| (r.email.clone(), r.cents))
            .collect();
        let top_chart = bars("Top spenders", &top, "$");
        let mut by_model: BTreeMap<String, i64> = BTreeMap::new();
        for r in &b.model_figures.teams {
            *by_model.entry(r.model.clone()).or_default() += r.cents;
        }
        let mut mix: Vec<(String, i64)> = by_model.into_iter().collect();
        mix.sort_by_key(|x| std::cmp::Reverse(x.1));
        let shares: Vec<(String, i64)> = b
            .context_figures
            .teams
            .iter()
            .take(60)
            .map(|r| (r.key.clone(), r.long_share_bp.unwrap_or(0)))
            .collect();
        let ctx_chart = bars("Share of tokens in the 200K-1M window", &shares, "%");
        let parts: Vec<(&Named, Vec<String>)> = vec![
            (&b.top, vec![top_chart]),
            (&b.context, vec![ctx_chart]),
            (&b.context_people, Vec::new()),
            (&b.models, vec![bars("Model mix", &mix, "$")]),
            (&b.downgrade, Vec::new()),
            (&b.efficiency, Vec::new()),
        ];
        let mut tables = Vec::new();
        for (n, charts) in parts {
            body.push_str(&section(n, &b.notes, &link, &charts));
            tables.push(n.clone());
        }
        Ok(View {
            title: format!("Reviews {m}"),
            status: Some(b.status),
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "reviews",
            body,
            tables,
        })
    })
    .await
}

async fn adoption(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/adoption");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let held = months(app)?;
        if !held.contains(&m) {
            return Err(Fail::NotFound(format!("the store holds no cost for {m}")));
        }
        let run = adoption_data(app, m)?;
        let out = run.output.clone();
        let levels = board(app, m).map(|b| b.levels.clone()).unwrap_or_default();
        let link = month_links(m, levels);
        let status = out.reports.first().map(|n| n.report.status);
        let mut said: Vec<Note> = Vec::new();
        let mut body = String::new();
        if let Some(first) = out.reports.first() {
            body.push_str(&report_notes_html(&first.report));
            said.extend(first.report.notes.iter().cloned());
        }
        for n in &out.reports {
            let charts = if n.name == "adoption" {
                let rows: Vec<(String, i64)> = run
                    .lines
                    .iter()
                    .take(60)
                    .filter(|l| l.key != "TOTAL" && l.key != allot_core::UNMAPPED)
                    .map(|l| (l.key.clone(), l.utilization_bp().unwrap_or(0)))
                    .collect();
                vec![bars(
                    "Utilization by team (active users over headcount)",
                    &rows,
                    "%",
                )]
            } else {
                Vec::new()
            };
            body.push_str(&section(n, &said, &link, &charts));
        }
        Ok(View {
            title: format!("Adoption {m}"),
            status,
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "adoption",
            body,
            tables: out.reports,
        })
    })
    .await
}

async fn restatements(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/restatements");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let ws = ws(app);
        let Some(snap) = ws.sources.snapshot()? else {
            return Err(Fail::NotFound(
                "this dashboard reads files, not a store: revisions are recorded by `allot sync` in a store (start allot serve with --store)".into(),
            ));
        };
        let out = allot_app::restatements::restatements_in(&snap, m)?;
        let mut body = String::from("<p>Each row is a person's or spender's cost component that moved when a provisional day was fetched again: the day, the old and the new amount, and the sync (and table version) that recorded it. With <code>--as-of</code>, what was known then.</p>");
        let mut tables = Vec::new();
        for n in out.reports {
            body.push_str(&report_notes_html(&n.report));
            body.push_str(&section(&n, &n.report.notes.clone(), &|_: &str, _: &str| None, &[]));
            tables.push(n);
        }
        Ok(View {
            title: format!("Restatements {m}"),
            // Records of what moved: the month's own status is its chargeback's to say.
            status: None,
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "restatements",
            body,
            tables,
        })
    })
    .await
}

async fn reconciliation(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/reconciliation".into(), q, |app| {
        if app.config.invoices.is_empty() {
            return Err(Fail::NotFound(
                "no invoice was given: start allot serve with --invoice FILE to reconcile it here".into(),
            ));
        }
        let ws = ws(app);
        let mut body = String::new();
        let mut tables = Vec::new();
        let several = app.config.invoices.len() > 1;
        let mut status = Status::Settled;
        for (i, inv) in app.config.invoices.iter().enumerate() {
            let rec = allot_app::reconcile::run(&ws.sources, inv, ws.as_of)?;
            let file = inv
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            body.push_str(&format!("<h2>Invoice {}</h2>", esc(&file)));
            if rec.variance {
                body.push_str("<p class=\"warn\">A settled month is off, or API cost is billed on no line: see the rows marked below.</p>");
            }
            if rec.incomplete {
                body.push_str("<p class=\"warn\">INCOMPLETE: a month's data is not all in the store; it cannot be confirmed.</p>");
            }
            for mut n in rec.output.reports {
                if n.report.status != Status::Settled && status == Status::Settled {
                    status = n.report.status;
                }
                if several {
                    n.name = format!("{}-{}", n.name, i + 1);
                }
                body.push_str(&section(&n, &[], &|_: &str, _: &str| None, &[]));
                tables.push(n);
            }
        }
        Ok(View {
            title: "Reconciliation".into(),
            status: Some(status),
            crumbs: Vec::new(),
            month: None,
            here: "reconciliation",
            body,
            tables,
        })
    })
    .await
}

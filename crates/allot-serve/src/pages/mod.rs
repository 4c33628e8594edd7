//! The pages, one file each: a handler parses its path, asks `allot-app` for the typed
//! figures and tables (cached until the store changes), and renders them to HTML, or answers
//! the CSV of one of its tables (`?csv=NAME`). This module holds what every page shares: the
//! build-and-answer step (`respond`), the cached loads (`board`, `overview_data`,
//! `adoption_data`), links, crumbs and notes. The router and the middleware are in `routes`.
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

mod adoption;
mod cost_center;
mod drill;
mod forecast;
mod month;
mod overview;
mod person;
mod reconciliation;
mod restatements;
mod reviews;
mod trend;

pub(crate) use adoption::adoption;
pub(crate) use cost_center::cost_center;
pub(crate) use drill::drill;
pub(crate) use forecast::forecast;
pub(crate) use month::month;
pub(crate) use overview::overview;
pub(crate) use person::person;
pub(crate) use reconciliation::reconciliation;
pub(crate) use restatements::restatements;
pub(crate) use reviews::reviews;
pub(crate) use trend::trend;

use std::collections::HashMap;
use std::sync::Arc;

use allot_app::adoption::AdoptionRun;
use allot_app::board::{Chart, Part};
use allot_app::{months_held, AdoptionOptions, AppError, MonthBoard, Named, Overview, Workspace};
use allot_core::{Month, Status};
use allot_report::html_out::{bars, esc, money_text};
use allot_report::{Note, Report};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::render::{self, enc, section, Frame};
use crate::App;

/// Why a page cannot be shown.
#[derive(Debug)]
pub(crate) enum Fail {
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
pub(crate) struct View {
    title: String,
    status: Option<Status>,
    crumbs: Vec<(String, String)>,
    month: Option<Month>,
    here: &'static str,
    body: String,
    tables: Vec<Named>,
}

/// A finished response before it becomes an HTTP one.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) download: Option<String>,
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

pub(crate) fn problem(status: StatusCode, title: &str, message: &str) -> Reply {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        body: render::problem(title, message).into_bytes(),
        download: None,
    }
}

pub(crate) fn fail_reply(app: &App, f: Fail) -> Reply {
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
pub(crate) fn check(app: &App) {
    if app.live.refresh() {
        app.cache.clear();
    }
    app.cache.check(app.config.as_of_today.then(today));
}

/// When the store's newest version was committed (as the request's look at the store found
/// it).
pub(crate) fn synced(app: &App) -> String {
    app.cache.modified().map_or_else(
        || "never".into(),
        |t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The workspace as of now (today, when the dashboard follows the calendar), its store's
/// tables pinned at the versions the request's look at the store found (one pin per store
/// change, kept in the cache): every figure of a page comes from one version of each table.
pub(crate) fn ws(app: &App) -> Workspace {
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

pub(crate) fn finish(app: &App, view: &View, csv: Option<&str>) -> Reply {
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

pub(crate) fn months(app: &App) -> Result<Arc<Vec<Month>>, Fail> {
    app.cache
        .get("months", || months_held(&ws(app)).map_err(Fail::from))
}

pub(crate) fn parse_month(s: &str) -> Result<Month, Fail> {
    s.parse::<Month>().map_err(|_| {
        Fail::BadRequest(format!(
            "`{s}` is not a month: write it as YYYY-MM, e.g. 2026-09"
        ))
    })
}

pub(crate) fn board(app: &App, m: Month) -> Result<Arc<MonthBoard>, Fail> {
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
        // The month and its adoption come from one load; the adoption is kept for its page.
        let generation = app.cache.generation();
        let (board, adoption) =
            ws(app).month_board_and_adoption(m, &app.config.policy, &adoption_options(app));
        if let Ok(run) = adoption {
            app.cache.put(&format!("adoption:{m}"), run, generation);
        }
        board.map_err(Fail::from)
    })
}

/// How the dashboard scores adoption: its unmapped policy, the rest as `allot adoption`.
fn adoption_options(app: &App) -> AdoptionOptions {
    AdoptionOptions {
        policy: app.config.policy.clone(),
        ..AdoptionOptions::default()
    }
}

pub(crate) fn overview_data(app: &App) -> Result<Arc<Overview>, Fail> {
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

pub(crate) fn adoption_data(app: &App, m: Month) -> Result<Arc<AdoptionRun>, Fail> {
    app.cache.get(&format!("adoption:{m}"), || {
        ws(app)
            .adoption_run(m, &adoption_options(app))
            .map_err(Fail::from)
    })
}

/// Links of a month's tables: cost centers, people and hierarchy values to their pages.
pub(crate) fn month_links(m: Month, levels: Vec<String>) -> impl Fn(&str, &str) -> Option<String> {
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

pub(crate) fn cost_center_label(b: &MonthBoard, cc: &str) -> String {
    match b.cost_centers.get(cc).and_then(|a| a.first()) {
        Some((_, v)) if !v.is_empty() => format!("{cc} · {v}"),
        _ => cc.to_string(),
    }
}

/// (label, URL) of the path above a level's value, from the month down.
pub(crate) fn crumbs_of(b: &MonthBoard, k: usize, value: &str) -> Vec<(String, String)> {
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
pub(crate) fn report_notes_html(report: &Report) -> String {
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
pub(crate) fn notes_html(notes: &[Note]) -> String {
    let mut h = String::new();
    for n in notes {
        let class = if n.kind.is_status() { "warn" } else { "notes" };
        h.push_str(&format!("<p class=\"{class}\">{}</p>", esc(&n.text)));
    }
    h
}

pub(crate) fn dollars(c: i64) -> String {
    format!("${}", money_text(c))
}

/// The sections of a cost center's or a person's page: the month's status notes, then each
/// report, the daily cost and the product and model mix with their chart.
pub(crate) fn breakdown(b: &MonthBoard, parts: &[Part], link: render::Linker<'_>) -> String {
    let mut body = notes_html(&b.notes);
    for part in parts {
        let first =
            |points: &[(String, i64)], n: usize| points.iter().take(n).cloned().collect::<Vec<_>>();
        let chart = match &part.chart {
            Chart::Line(title, days) => {
                vec![allot_report::html_out::line(title, &first(days, 400))]
            }
            Chart::Bars(title, points) => vec![bars(title, &first(points, 20), "$")],
            Chart::None => Vec::new(),
        };
        body.push_str(&section(&part.table, &b.notes, link, &chart));
    }
    body
}

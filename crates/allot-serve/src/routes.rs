//! The router: every route of the dashboard, the middleware around them (Host allow-list,
//! token guard, security headers, access log and metrics), sign-in and sign-out, the assets,
//! `/healthz` and `/metrics`. Each page's handler is in `pages`.

use std::collections::HashMap;
use std::sync::Arc;

use allot_app::Overview;
use axum::extract::{Form, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::auth;
use crate::pages::{
    adoption, cost_center, drill, forecast, month, overview, person, problem, reconciliation,
    restatements, reviews, trend, Reply,
};
use crate::render::{self};
use crate::App;

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

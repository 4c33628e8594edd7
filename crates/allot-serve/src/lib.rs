//! `allot serve`: a read-only dashboard over the store. Every page is a handful of the
//! reports the CLI writes (the same `allot-app` calls, so the same cents), rendered as HTML
//! with inline SVG charts, each table with a link to the CSV of exactly its rows.
//!
//! Safe by default: it binds 127.0.0.1; any other address needs a token, and with a token
//! every request needs `Authorization: Bearer TOKEN` or the session cookie that the printed
//! one-time link (or the sign-in form) sets. Nothing a page loads comes from elsewhere
//! (`Content-Security-Policy: default-src 'self'`), and no route writes to the store.

mod auth;
mod cache;
mod measure;
mod metrics;
mod pages;
mod reload;
mod render;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use allot_app::reconcile::InvoiceSpec;
use allot_app::{WatchOptions, Workspace};
use allot_engine::UnmappedPolicy;
use allot_report::privacy::Pseudonymizer;

pub use auth::Token;
pub use measure::{measure, Measured, PageTime};
pub use reload::Reload;

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding another address than loopback without a token.
    #[error("refusing to serve on {0} without a token: anyone who can reach it could read the chargeback. Give --token TOKEN (or ALLOT_SERVE_TOKEN) and every request then needs it, or bind 127.0.0.1")]
    NeedsToken(SocketAddr),
    /// A token too short to stand up to guessing.
    #[error(
        "the token is too short: use at least {} characters (e.g. `openssl rand -hex 24`)",
        auth::MIN_TOKEN_LEN
    )]
    WeakToken,
    /// The serve command works over a store only.
    #[error("allot serve reads a store: give --store DIR (made by `allot sync` or `allot demo`)")]
    NoStore,
    /// The store given is not one, or holds nothing yet.
    #[error("{0}")]
    NotAStore(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What the dashboard serves and how.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The mapping, the store and the as-of date.
    pub workspace: Workspace,
    /// Budgets, rules and the unmapped policy of the overview's forecast and alerts.
    pub watch: WatchOptions,
    /// Invoices to reconcile (the reconciliation page), when given.
    pub invoices: Vec<InvoiceSpec>,
    /// Where uncovered cost goes.
    pub policy: UnmappedPolicy,
    /// Emails replaced by pseudonyms on every page and CSV.
    pub pseudonyms: Option<Pseudonymizer>,
    /// Required on every request when set.
    pub token: Option<Token>,
    /// Whether the as-of date follows the calendar (no `--as-of`): then each page is as of today.
    pub as_of_today: bool,
    /// Host names a request may address besides the loopback names and the bound address
    /// (`--host`): any other `Host` is refused, so a DNS-rebinding page cannot read it.
    pub hosts: Vec<String>,
    /// `/healthz` answers 503 when the store was last synced longer ago than this.
    pub stale_after: std::time::Duration,
    /// The dashboard is reached over HTTPS (behind a proxy): session cookies are `Secure`.
    pub behind_https: bool,
    /// The files the mapping, budgets and rules came from: an edit is picked up by the next
    /// request (None: they are never read again).
    pub reload: Option<Reload>,
}

/// The shared state of the running dashboard.
pub(crate) struct App {
    pub config: ServeConfig,
    /// The mapping, budgets and rules in use (read again when their files change).
    pub live: reload::Live,
    pub cache: cache::Cache,
    pub auth: auth::Sessions,
    pub requests: metrics::Requests,
}

/// The most connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a request head may take to arrive (and an idle connection wait for the next).
pub const HEADER_READ: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest a connection is kept, however busy.
pub const CONNECTION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(300);

/// A bound dashboard, ready to serve.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl Server {
    /// Checks the configuration against the address and binds it.
    pub async fn bind(config: ServeConfig, addr: SocketAddr) -> Result<Server, ServeError> {
        if !addr.ip().is_loopback() && config.token.is_none() {
            return Err(ServeError::NeedsToken(addr));
        }
        if config.token.as_ref().is_some_and(|t| !t.strong()) {
            return Err(ServeError::WeakToken);
        }
        let store: PathBuf = config
            .workspace
            .sources
            .store()
            .ok_or(ServeError::NoStore)?
            .to_path_buf();
        allot_app::restatements::check_store(&store)
            .map_err(|e| ServeError::NotAStore(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let mut config = config;
        // The names a request may carry in Host: loopback, the bound address, the host's own
        // name when bound to every address (the printed link uses it), and --host.
        let mut hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]", "::1"]
            .iter()
            .map(ToString::to_string)
            .collect();
        hosts.push(match addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            std::net::IpAddr::V4(ip) => ip.to_string(),
        });
        if addr.ip().is_unspecified() {
            hosts.push(host_name());
        }
        hosts.append(&mut config.hosts);
        config.hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        let live = reload::Live::new(
            config.workspace.clone(),
            config.watch.clone(),
            config.reload.clone(),
        );
        let app = Arc::new(App {
            live,
            cache: cache::Cache::new(&store),
            auth: auth::Sessions::default(),
            requests: metrics::Requests::default(),
            config,
        });
        Ok(Server {
            listener,
            app,
            addr,
        })
    }

    /// The URL to print: the overview, or with a token the one-time sign-in link.
    pub fn url(&self) -> String {
        // Bound to every address (0.0.0.0 or ::): a colleague opens it by the machine's name.
        let base = if self.addr.ip().is_unspecified() {
            format!("http://{}:{}", host_name(), self.addr.port())
        } else {
            format!("http://{}", self.addr)
        };
        match self.app.config.token {
            Some(_) => format!("{base}/login?once={}", self.app.auth.one_time()),
            None => format!("{base}/"),
        }
    }

    /// Loads the overview and the latest month into the cache, so the first visitor does not
    /// wait for them.
    pub async fn warm(&self) {
        let app = self.app.clone();
        let _ = tokio::task::spawn_blocking(move || pages::warm(&app)).await;
    }

    /// Loads the overview, its month, then the months before it, in the background; the
    /// handle ends when all of them are loaded.
    pub fn warming(&self) -> tokio::task::JoinHandle<()> {
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || {
            pages::warm(&app);
            pages::warm_rest(&app);
        })
    }

    /// Serves until the process is stopped: HTTP/1.1, at most [`MAX_CONNECTIONS`] at once (a
    /// connection over the limit is closed at once), a request head that does not arrive
    /// within [`HEADER_READ`] closes its connection, and no connection lives longer than
    /// [`CONNECTION_LIFETIME`], so slow or silent clients cannot hold the dashboard.
    pub async fn run(self) -> std::io::Result<()> {
        use tower::ServiceExt;
        let router = routes::router(self.app);
        let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                // Out of file descriptors and the like: wait a moment, keep serving.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let Ok(permit) = open.clone().try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let router = router.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| router.clone().oneshot(req),
                );
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_READ);
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
                drop(permit);
            });
        }
    }
}

/// The machine's host name, for links to a dashboard bound to every address.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod rule {
    /// Every source file of the dashboard, with its name (pages added later are held too).
    fn sources() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let mut text = std::fs::read_to_string(&path).expect("source");
                    // This rule's own words are not code that reads a table.
                    if let Some(at) = text.find("mod rule {") {
                        text.truncate(at);
                    }
                    out.push((path.display().to_string(), text));
                }
            }
        }
        assert!(out.len() > 5, "the rule read the dashboard's sources");
        out
    }

    /// Figures compute, reports render, front ends never read a cell back: the dashboard's
    /// pages take numbers and statuses from typed figures, never out of a rendered table.
    #[test]
    fn the_pages_never_read_a_number_or_a_status_back_out_of_a_table() {
        let banned = [
            "to_plain()",
            "cell_of",
            "total_cell",
            "=> Status::Settled",
            "items(",
            ".meta.iter()",
            "report.rows =",
        ];
        for (file, text) in sources() {
            for b in banned {
                assert!(
                    !text.contains(b),
                    "{file} reads a table back ({b}): take the figure from allot-app instead"
                );
            }
        }
    }

    /// A note is a warning, or kept with a part of its report, by its kind, never by its words.
    #[test]
    fn status_notes_are_known_by_their_kind_never_by_their_words() {
        let mut files = sources();
        for (name, text) in [
            (
                "allot-app/src/board.rs",
                include_str!("../../allot-app/src/board.rs"),
            ),
            (
                "allot-app/src/watch.rs",
                include_str!("../../allot-app/src/watch.rs"),
            ),
        ] {
            files.push((name.to_string(), text.to_string()));
        }
        for (file, text) in files {
            for banned in ["starts_with(\"PROVISIONAL", "starts_with(\"INCOMPLETE"] {
                assert!(
                    !text.contains(banned),
                    "{file} recognises a status note by its words ({banned}): use Note::kind"
                );
            }
        }
    }
}

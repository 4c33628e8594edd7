//! How fast the dashboard answers (`allot bench --serve`): binds a server on a free loopback
//! port, times loading the overview and its month, then requests every kind of page twice
//! (the first time it is built, then from the cache) over plain HTTP, and reports each.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{ServeConfig, ServeError, Server};

/// One page's timings.
#[derive(Debug, Clone)]
pub struct PageTime {
    /// The path requested.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Bytes of the answer.
    pub bytes: usize,
    /// The first request (the page built from the loaded month).
    pub first: Duration,
    /// The second request (from the cache).
    pub again: Duration,
}

/// What a measurement found.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Loading the overview and its month at start.
    pub warm: Duration,
    /// Every page.
    pub pages: Vec<PageTime>,
}

fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The first link in `html` whose address starts with `prefix`.
fn first_link(html: &str, prefix: &str) -> Option<String> {
    let needle = format!("href=\"{prefix}");
    let at = html.find(&needle)? + 6;
    let end = html[at..].find('"')? + at;
    Some(html[at..end].replace("&amp;", "&"))
}

/// Serves `config` on a free port and times every kind of page of `month`'s store.
pub fn measure(config: ServeConfig) -> Result<Measured, ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            source,
        })?;
    let server = runtime.block_on(Server::bind(config, SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let addr = server.addr;
    let started = Instant::now();
    runtime.block_on(server.warm());
    let warm = started.elapsed();
    // Then the months before it, as `allot serve` does in the background.
    let _ = runtime.block_on(async { server.warming().await });
    runtime.spawn(async move {
        let _ = server.run().await;
    });
    let mut pages = Vec::new();
    // Times a path twice and returns its first body.
    let mut time = |path: &str| -> String {
        let t = Instant::now();
        let Ok((status, body)) = get(addr, path) else {
            return String::new();
        };
        let first = t.elapsed();
        let t = Instant::now();
        let _ = get(addr, path);
        pages.push(PageTime {
            path: path.to_string(),
            status,
            bytes: body.len(),
            first,
            again: t.elapsed(),
        });
        body
    };
    let home = time("/");
    time("/trend");
    time("/forecast");
    if let Some(month) = first_link(&home, "/month/") {
        let month: String = month.split('/').take(3).collect::<Vec<_>>().join("/");
        let page = time(&month);
        if let Some(l) = first_link(&page, &format!("{month}/by/")) {
            time(&l);
        }
        if let Some(cc) = first_link(&page, &format!("{month}/cost-center/")) {
            let cc_page = time(&cc);
            if let Some(l) = first_link(&cc_page, &format!("{month}/person/")) {
                time(&l);
            }
        }
        time(&format!("{month}/reviews"));
        time(&format!("{month}/adoption"));
        time(&format!("{month}?csv=chargeback"));
    }
    runtime.shutdown_background();
    Ok(Measured { warm, pages })
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "loading the overview and its month at start: {:.0} ms",
            self.warm.as_secs_f64() * 1000.0
        )?;
        writeln!(
            f,
            "{:<58} {:>6} {:>9} {:>10} {:>8}",
            "page", "status", "bytes", "first ms", "again ms"
        )?;
        for p in &self.pages {
            writeln!(
                f,
                "{:<58} {:>6} {:>9} {:>10.1} {:>8.1}",
                p.path,
                p.status,
                p.bytes,
                p.first.as_secs_f64() * 1000.0,
                p.again.as_secs_f64() * 1000.0
            )?;
        }
        let worst = self.pages.iter().map(|p| p.first).max().unwrap_or_default();
        writeln!(
            f,
            "slowest first request: {:.0} ms",
            worst.as_secs_f64() * 1000.0
        )
    }
}

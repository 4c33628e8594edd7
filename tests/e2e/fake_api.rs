//! `allot fake-api` serves on 127.0.0.1 and refuses a wrong key.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str, key: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {key}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_fake_api_answers_on_loopback() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_allot"))
        .args([
            "fake-api",
            "--port",
            "0",
            "--today",
            "2026-11-23",
            "--key",
            "k1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    let path = "/v1/organizations/analytics/user_cost_report?starting_at=2026-09-01T00:00:00Z&ending_at=2026-09-02T00:00:00Z&limit=5";
    let ok = get(&addr, path, "k1");
    let wrong = get(&addr, path, "nope");
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("\"has_more\":true"), "{ok}");
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    // A fake's key is no secret: the banner says which one it accepts, so a first try works.
    assert!(
        line.contains("Analytics key k1") && line.contains("k1-admin"),
        "{line}"
    );
}

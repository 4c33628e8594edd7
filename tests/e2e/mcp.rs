//! `allot mcp`: a scripted MCP client over stdio. It initializes, lists the tools, calls every
//! one, and gets the CLI's figures to the cent; bad arguments get clear errors and the server
//! keeps serving.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::support::{allot, demo, read_csv};

/// A running `allot mcp` and the client's side of its pipes.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
    /// Every message, in order, for the transcript.
    transcript: Vec<String>,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_allot"))
            .arg("mcp")
            .args(args)
            .env_remove("ALLOT_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start allot mcp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut s = Session {
            child,
            stdin,
            stdout,
            next: 1,
            transcript: Vec::new(),
        };
        let init = s.request(
            "initialize",
            &json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "allot-e2e", "version": "1"}
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "allot", "{init}");
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        s
    }

    fn send(&mut self, message: &Value) {
        let line = message.to_string();
        self.transcript.push(format!("client: {line}"));
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: &Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "allot mcp closed stdout");
            let message: Value = serde_json::from_str(&line).expect("a JSON-RPC message per line");
            if message["id"] == json!(id) {
                self.transcript.push(format!("server: {}", line.trim_end()));
                return message;
            }
        }
    }

    fn call(&mut self, tool: &str, arguments: &Value) -> Value {
        self.request("tools/call", &json!({"name": tool, "arguments": arguments}))
    }
}

/// The answer's rows, each as column -> text.
fn rows(answer: &Value) -> Vec<serde_json::Map<String, Value>> {
    answer["result"]["structuredContent"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {answer}"))
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

#[test]
fn every_tool_answers_with_the_clis_figures_and_bad_arguments_are_said() {
    let d = demo();
    let (store, mapping, budgets) = (
        d.join("store"),
        d.join("input/org-mapping.csv"),
        d.join("input/budgets.csv"),
    );
    let inputs = [
        "--store",
        store.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ];
    let mut args: Vec<&str> = inputs.to_vec();
    args.extend(["--budgets", budgets.to_str().unwrap()]);
    let mut s = Session::start(&args);

    let listed = s.request("tools/list", &json!({}));
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "chargeback",
            "top_spenders",
            "trend",
            "explain",
            "alerts",
            "forecast",
            "adoption",
            "reconcile"
        ]
    );

    // chargeback: the CLI's rows, to the cent, and the status word.
    let answer = s.call("chargeback", &json!({"month": "2026-10"}));
    let got = rows(&answer);
    assert_eq!(
        answer["result"]["structuredContent"]["status"],
        "provisional"
    );
    let dir = tempfile::tempdir().unwrap();
    // What the CLI writes in `file` for `args` on the same inputs.
    let cli_rows = |args: &[&str], file: &str| {
        let out = dir.path().join(args.join("-"));
        let mut cli = vec!["-q"];
        cli.extend(args);
        cli.extend(["--format", "csv", "--out", out.to_str().unwrap()]);
        cli.extend(inputs);
        let run = allot(dir.path(), &cli);
        assert_eq!(run.code, 0, "{}", run.stderr);
        read_csv(&out.join(file))
    };
    let want = cli_rows(&["chargeback", "--month", "2026-10"], "chargeback.csv");
    for line in &want {
        let found = got
            .iter()
            .find(|r| r["cost_center"] == line["cost_center"].as_str())
            .unwrap_or_else(|| panic!("{} missing from the answer", line["cost_center"]));
        assert_eq!(
            found["amount_usd"],
            line["amount_usd"].as_str(),
            "{}",
            line["cost_center"]
        );
    }

    // explain: the CLI's drivers.
    let answer = s.call(
        "explain",
        &json!({"month": "2026-11", "cost_center": "CC-1030"}),
    );
    let got = rows(&answer);
    let want = cli_rows(
        &["explain", "--month", "2026-11", "--cost-center", "CC-1030"],
        "explain.csv",
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (g["driver"].as_str(), g["amount_usd"].as_str()),
            (Some(w["driver"].as_str()), Some(w["amount_usd"].as_str()))
        );
    }

    // explain over days: the CLI's --from/--to drivers; a half-given pair is refused.
    let answer = s.call(
        "explain",
        &json!({"from": "2026-11-09", "to": "2026-11-22", "cost_center": "CC-1030"}),
    );
    let got = rows(&answer);
    let want = cli_rows(
        &[
            "explain",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-22",
            "--cost-center",
            "CC-1030",
        ],
        "explain.csv",
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (
                g["driver"].as_str(),
                g["amount_usd"].as_str(),
                g["before"].as_str()
            ),
            (
                Some(w["driver"].as_str()),
                Some(w["amount_usd"].as_str()),
                Some("2026-10-26..2026-11-08")
            )
        );
    }
    let bad = s.call("explain", &json!({"from": "2026-11-09"}));
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`from` and `to` together"),
        "{bad}"
    );

    // Every other tool answers with rows and a status.
    for (tool, arguments) in [
        ("top_spenders", json!({"month": "2026-10", "n": 5})),
        (
            "trend",
            json!({"from": "2026-09", "to": "2026-11", "per": "month"}),
        ),
        ("alerts", json!({})),
        ("forecast", json!({})),
        ("adoption", json!({"month": "2026-10", "level": "division"})),
    ] {
        let answer = s.call(tool, &arguments);
        let content = &answer["result"]["structuredContent"];
        assert!(
            content["rows"].as_array().is_some_and(|r| !r.is_empty()),
            "{tool}: {answer}"
        );
        assert!(
            ["settled", "provisional", "incomplete"].contains(&content["status"].as_str().unwrap()),
            "{tool}: {answer}"
        );
    }
    assert_eq!(
        rows(&s.call("top_spenders", &json!({"month": "2026-10", "n": 5}))).len(),
        5
    );

    // Bad arguments: a clear error, and the server keeps serving.
    let bad = s.call("chargeback", &json!({"month": "October"}));
    let message = bad["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("YYYY-MM"), "{bad}");
    let bad = s.call(
        "chargeback",
        &json!({"month": "2026-10", "levle": "division"}),
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no argument `levle`"),
        "{bad}"
    );
    let bad = s.call("no_such_tool", &json!({}));
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("chargeback"),
        "{bad}"
    );
    // A month with no data is the tool's error, said in words.
    let empty = s.call("chargeback", &json!({"month": "2025-01"}));
    assert_eq!(empty["result"]["isError"], true, "{empty}");
    // A reconcile with no invoice says how to give one.
    let rec = s.call("reconcile", &json!({}));
    assert_eq!(rec["result"]["isError"], true, "{rec}");
    assert!(rec.to_string().contains("--invoice"), "{rec}");
    let again = s.call(
        "chargeback",
        &json!({"month": "2026-10", "level": "division"}),
    );
    assert!(
        !rows(&again).is_empty(),
        "the server stopped serving after errors: {again}"
    );
}

/// The conversation README shows, made by this test: a client starts `allot mcp` on the demo,
/// and asks for October's chargeback by division. `ALLOT_BLESS=1` writes it anew.
#[test]
fn the_readme_transcript_is_what_the_server_answers() {
    let d = demo();
    let (store, mapping) = (d.join("store"), d.join("input/org-mapping.csv"));
    let mut s = Session::start(&[
        "--store",
        store.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ]);
    let answer = s.call(
        "chargeback",
        &json!({"month": "2026-10", "level": "division"}),
    );
    assert!(!rows(&answer).is_empty(), "{answer}");
    let transcript = s.transcript.join("\n") + "\n";
    let file = crate::support::repo().join("reports/examples/mcp-transcript.jsonl");
    if std::env::var_os("ALLOT_BLESS").is_some() {
        std::fs::write(&file, &transcript).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        transcript, want,
        "the server's answers changed: run with ALLOT_BLESS=1 and review reports/examples/mcp-transcript.jsonl"
    );
}

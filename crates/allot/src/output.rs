//! Everything the binary says: data to stdout, messages and logs to stderr, errors as
//! `error:` / `Caused by:` paragraphs, and the one place a run's reports are written (all
//! files atomically) and printed.

use std::io::Write;
use std::path::Path;

use allot_app::{Output, Show};
use allot_report::{stage, table_out, Format, OutputSet, Report};
use anyhow::Context;

use tracing_subscriber::EnvFilter;

/// Whether log lines and messages are JSON objects (`--log-format json`).
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn json() -> bool {
    JSON.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets up logging to stderr: warnings (and the dashboard's access lines) by default, `-v`
/// info, `-vv` debug, `-q` errors only; `RUST_LOG` overrides. With `--log-format json` every
/// line on stderr (logs, messages and errors) is one JSON object.
pub fn init_logging(verbose: u8, quiet: bool, format: crate::cli::LogFormat) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    // The dashboard's access log (`allot::access`, one line per request) and its service
    // events (`allot::service`: the store or the mapping changed) are on unless `-q`: a
    // service's log says what it answered and what it reloaded.
    let access = if quiet {
        ""
    } else {
        ",allot::access=info,allot::service=info"
    };
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level}{access}")));
    if format == crate::cli::LogFormat::Json {
        JSON.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(
            std::env::var_os("NO_COLOR").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .try_init();
}

/// One JSON line on stderr, shaped as the JSON log lines are.
fn json_line(level: &str, message: &str, causes: &[String]) {
    let mut line = serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": level,
        "target": "allot",
        "message": message,
    });
    if !causes.is_empty() {
        line["causes"] = serde_json::json!(causes);
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes data to standard output.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes a message for the person at the terminal to standard error. `--quiet` hides
/// progress and summaries, never a warning: a scheduled `allot -q alerts` still tells its
/// log that a budget names no cost center.
pub fn say(quiet: bool, text: &str) {
    let warning = text.starts_with("warning");
    if quiet && !warning {
        return;
    }
    if json() {
        json_line(if warning { "WARN" } else { "INFO" }, text, &[]);
    } else {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

/// Whether the error is only a closed pipe (e.g. `allot ... | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints an error and its causes, each on its own line.
pub fn report_error(err: &anyhow::Error) {
    if json() {
        let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
        json_line("ERROR", &err.to_string(), &causes);
        return;
    }
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(e, "  Caused by: {cause}");
    }
}

static PSEUDONYMS: std::sync::OnceLock<allot_report::privacy::Pseudonymizer> =
    std::sync::OnceLock::new();

/// Turns on pseudonymised output for this run, with the key from `file`, the
/// `ALLOT_PSEUDONYM_KEY` variable, or a key file made on first use.
pub fn enable_pseudonyms(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context;
    let key: Vec<u8> = if let Some(f) = file {
        std::fs::read(f)
            .with_context(|| format!("cannot read the pseudonym key file `{}`", f.display()))?
    } else if let Some(k) = std::env::var_os(crate::env::PSEUDONYM_KEY) {
        k.into_encoded_bytes()
    } else {
        let home =
            std::env::var_os("HOME").context("HOME is not set: give --pseudonym-key-file")?;
        let path = std::path::Path::new(&home).join(".config/allot/pseudonym.key");
        if !path.exists() {
            let mut key = [0u8; 32];
            std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut key)?;
            std::fs::create_dir_all(path.parent().expect("parent"))?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(&path)?.write_all(&key)?;
            tracing::info!("made a new pseudonym key at {}", path.display());
        }
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?
    };
    if key.is_empty() {
        anyhow::bail!("the pseudonym key is empty");
    }
    let _ = PSEUDONYMS.set(allot_report::privacy::Pseudonymizer::new(&key));
    Ok(())
}

/// The pseudonymizer, when `--pseudonymize` is on.
pub fn pseudonyms() -> Option<&'static allot_report::privacy::Pseudonymizer> {
    PSEUDONYMS.get()
}

/// Writes a run's files atomically (all appear together, or none) and prints its tables:
/// the reports marked for the terminal, the per-person ones too when `people` is set.
pub fn emit(
    out: &Output,
    formats: &[Format],
    dir: &Path,
    quiet: bool,
    people: bool,
) -> anyhow::Result<()> {
    for m in &out.messages {
        say(quiet, m);
    }
    // With --pseudonymize, every output (files and tables) is made from pseudonymised copies.
    let reports: Vec<(Report, &str)> = out
        .reports
        .iter()
        .map(|n| {
            (
                pseudonyms().map_or_else(|| n.report.clone(), |p| p.report(&n.report)),
                n.name.as_str(),
            )
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = out
        .files
        .iter()
        .map(|(n, b)| match pseudonyms() {
            Some(p) => (n.clone(), p.text(&String::from_utf8_lossy(b)).into_bytes()),
            None => (n.clone(), b.clone()),
        })
        .collect();
    let to_disk: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| *f != Format::Table)
        .collect();
    if !to_disk.is_empty() {
        let mut set = OutputSet::new(dir);
        stage(&out.run, &out.title, &reports, &to_disk, &mut set)
            .with_context(|| format!("writing reports to `{}`", dir.display()))?;
        for (name, bytes) in &files {
            set.write(name, |w| w.write_all(bytes))
                .with_context(|| format!("writing `{name}` to `{}`", dir.display()))?;
        }
        let written = set
            .commit()
            .with_context(|| format!("writing reports to `{}`", dir.display()))?;
        for path in written {
            say(quiet, &format!("wrote {}", path.display()));
        }
    }
    if formats.contains(&Format::Table) && !quiet {
        let width = terminal_width();
        for ((report, _), named) in reports.iter().zip(&out.reports) {
            let shown = match named.show {
                Show::Table => true,
                Show::People => people,
                Show::File => false,
            };
            if shown {
                stdout(&table_out::render(report, width))?;
            }
        }
    }
    Ok(())
}

/// The terminal's width: `COLUMNS`, else the terminal's own when stdout is one.
pub fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

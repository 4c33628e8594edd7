//! Everything the binary says: data to stdout, messages and logs to stderr, errors as
//! `error:` / `Caused by:` paragraphs.

use std::io::Write;

use tracing_subscriber::EnvFilter;

/// Sets up logging to stderr: warnings by default, `-v` info, `-vv` debug, `-q` errors only;
/// `RUST_LOG` overrides.
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
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

/// Writes data to standard output.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes a message for the person at the terminal to standard error (suppressed by `--quiet`).
pub fn say(quiet: bool, text: &str) {
    if !quiet {
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

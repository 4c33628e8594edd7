//! `allot init` writes a commented `allot.toml`; `allot config` shows the settings in effect
//! and where each comes from, secrets redacted.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::InitArgs;
use crate::config::{self, Found};
use crate::output;

/// The fake API's address as `allot fake-api` serves it by default.
const FAKE_URL: &str = "http://127.0.0.1:8787";

/// What `allot init` writes: each setting's value, or None to leave it commented out.
struct Answers {
    store: String,
    mapping: String,
    cost: Vec<String>,
    budgets: Option<String>,
    out: String,
    base_url: Option<String>,
    key_file: Option<String>,
}

/// Writes the settings file (and, with `--fake`, the demo's mapping, budgets and the fake's
/// keys beside it).
pub fn init(args: &InitArgs, quiet: bool) -> anyhow::Result<()> {
    if args.path.exists() && !args.force {
        anyhow::bail!(
            "`{}` exists: `allot config` shows what it sets; give --force to overwrite it",
            args.path.display()
        );
    }
    let dir = args
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let text = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    let mut answers = Answers {
        store: text(&args.store).unwrap_or_else(|| "allot-data".into()),
        mapping: text(&args.mapping).unwrap_or_else(|| "org.csv".into()),
        cost: args
            .cost
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        budgets: text(&args.budgets).or_else(|| args.fake.then(|| "budgets.csv".into())),
        out: text(&args.out).unwrap_or_else(|| "reports".into()),
        base_url: args
            .base_url
            .clone()
            .or_else(|| args.fake.then(|| FAKE_URL.into())),
        key_file: text(&args.key_file).or_else(|| args.fake.then(|| "keys".into())),
    };
    if !args.yes && std::io::stdin().is_terminal() {
        ask(&mut answers)?;
    }
    // Every file is written whole, and all of them or none (the key file readable by its
    // owner only from the start).
    let mut set = allot_report::OutputSet::new(&dir);
    let mut kept = Vec::new();
    if args.fake {
        let keys = format!(
            "{}={key}\n{}={key}-admin\n",
            crate::env::ANALYTICS_KEY,
            crate::env::ADMIN_KEY,
            key = crate::cli::FAKE_KEY
        );
        let files = [
            (
                &answers.mapping,
                allot_app::demo::DEMO_MAPPING.to_string(),
                false,
            ),
            (
                answers.budgets.as_ref().expect("--fake sets budgets"),
                allot_app::demo::DEMO_BUDGETS.to_string(),
                false,
            ),
            (
                answers.key_file.as_ref().expect("--fake sets the key file"),
                keys,
                true,
            ),
        ];
        for (name, content, secret) in files {
            if dir.join(name).exists() {
                kept.push(dir.join(name));
                continue;
            }
            let fill = |w: &mut dyn Write| w.write_all(content.as_bytes());
            if secret {
                set.write_private(name, fill)
            } else {
                set.write(name, fill)
            }
            .with_context(|| format!("cannot write `{}`", dir.join(name).display()))?;
        }
    }
    let name = args.path.file_name().map_or_else(
        || crate::config::FILE_NAME.into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let settings = render(&answers);
    set.write(&name, |w| w.write_all(settings.as_bytes()))
        .with_context(|| format!("cannot write `{}`", args.path.display()))?;
    let written = set
        .commit()
        .with_context(|| format!("cannot write into `{}`", dir.display()))?;
    for path in &kept {
        output::say(quiet, &format!("init: kept `{}` as it is", path.display()));
    }
    for path in written
        .iter()
        .filter(|p| p.file_name() != args.path.file_name())
    {
        output::say(quiet, &format!("init: wrote `{}`", path.display()));
    }
    let next = if args.fake {
        "start the fake API (`allot fake-api --events &`), then `allot sync && allot alerts && allot serve`"
    } else {
        "put the org chart in the mapping file and the keys in the key file or the environment, then `allot sync && allot alerts && allot serve`"
    };
    output::say(
        quiet,
        &format!(
            "init: wrote `{}`; `allot config` shows what it sets. Next: {next}",
            args.path.display()
        ),
    );
    Ok(())
}

/// Asks for each answer on the terminal, the current one as the default.
fn ask(answers: &mut Answers) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut one = |question: &str, current: &str| -> anyhow::Result<String> {
        let mut err = std::io::stderr().lock();
        write!(err, "{question} [{current}]: ")?;
        err.flush()?;
        let line = lines.next().transpose()?.unwrap_or_default();
        let line = line.trim();
        Ok(if line.is_empty() {
            current.to_string()
        } else {
            line.to_string()
        })
    };
    answers.store = one("Store folder (allot sync writes it)", &answers.store)?;
    answers.mapping = one(
        "Org mapping file (email, cost_center, ...)",
        &answers.mapping,
    )?;
    let budgets = one(
        "Budgets file (empty: none)",
        answers.budgets.as_deref().unwrap_or(""),
    )?;
    answers.budgets = Some(budgets).filter(|b| !b.is_empty());
    answers.out = one("Reports folder", &answers.out)?;
    let base = one(
        "API base URL",
        answers
            .base_url
            .as_deref()
            .unwrap_or(allot_sync::client::ANTHROPIC_BASE_URL),
    )?;
    answers.base_url = Some(base).filter(|b| b != allot_sync::client::ANTHROPIC_BASE_URL);
    let keys = one(
        "Key file, mode 600 (empty: the environment variables)",
        answers.key_file.as_deref().unwrap_or(""),
    )?;
    answers.key_file = Some(keys).filter(|k| !k.is_empty());
    Ok(())
}

/// A TOML string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `key = value`, or the key commented out with an example when there is no answer.
fn line(key: &str, value: Option<&String>, example: &str) -> String {
    match value {
        Some(v) => format!("{key} = {}\n", quoted(v)),
        None => format!("# {key} = {example}\n"),
    }
}

/// The commented settings file.
fn render(a: &Answers) -> String {
    let cost: Vec<String> = a.cost.iter().map(|c| quoted(c)).collect();
    let mut s = String::from(
        "# allot.toml: the settings every allot command reads; a flag given on the command line wins.\n\
         # Found in the working directory, or named by --config FILE or ALLOT_CONFIG.\n\
         # Relative paths are relative to this file. It never holds a secret: name a file readable\n\
         # by allot only (key_file, token_file, notify_url_file) or use the environment.\n\
         # `allot config` shows the settings in effect and where each comes from.\n\n",
    );
    s += "# The store `allot sync` writes and every report and the dashboard read.\n";
    s += &line("store", Some(&a.store), "\"allot-data\"");
    s += "# The org chart: email, cost_center, optional effective_from/effective_to, any attribute columns.\n";
    s += &line("mapping", Some(&a.mapping), "\"org.csv\"");
    s += "# Cloud bills in FOCUS (Amazon Bedrock, Google Vertex AI...) charged back beside the store.\n";
    s += &format!("cost = [{}]\n", cost.join(", "));
    s += "# Budgets: cost_center (or a hierarchy column), month (YYYY-MM, empty for every month), budget_usd.\n";
    s += &line("budgets", a.budgets.as_ref(), "\"budgets.csv\"");
    s += "# Alert rule thresholds (every key optional).\n# rules = \"rules.toml\"\n";
    s += "# An invoice, or a folder of invoices, reconciled on the dashboard.\n# invoices = \"invoices\"\n";
    s += "# Where reports are written, each in its own folder (reports/2026-10, reports/alerts...).\n";
    s += &line("out", Some(&a.out), "\"reports\"");
    s += "# Replace every email in every output with a stable keyed pseudonym.\n# pseudonymize = false\n";
    s += "\n[sync]\n";
    s += &line(
        "base_url",
        a.base_url.as_ref(),
        &quoted(allot_sync::client::ANTHROPIC_BASE_URL),
    );
    s += "# NAME=KEY lines (ANTHROPIC_ANALYTICS_API_KEY=..., ANTHROPIC_ADMIN_API_KEY=...), mode 600;\n\
          # without it the sync reads those environment variables (which win over the file).\n";
    s += &line("key_file", a.key_file.as_ref(), "\"/etc/allot/keys\"");
    s += "# Requests per minute across the whole API (Anthropic allows 60).\n# rate = 60\n";
    s += "\n[alerts]\n";
    s += "# The webhook's URL, in a file readable by allot only (ALLOT_NOTIFY_URL wins over it).\n\
          # notify_url_file = \"/etc/allot/webhook\"\n\
          # Exit 3 when an alert at or above this fires: info, warning or critical.\n\
          # fail_on = \"warning\"\n";
    s += "\n[serve]\n";
    s += "# bind = \"127.0.0.1\"\n# port = 8080\n\
          # Other names the dashboard answers to (behind a proxy); any other Host is refused.\n\
          # hosts = [\"allot.example.com\"]\n\
          # The token every request needs, in a file readable by allot only (ALLOT_SERVE_TOKEN wins).\n\
          # token_file = \"/etc/allot/token\"\n\
          # behind_https = false\n";
    s
}

/// The keys `allot config` shows, each with what applies when the file does not set it.
const KEYS: &[(&str, &str)] = &[
    (
        "store",
        "allot-data for sync and store; reports need --store or fact files",
    ),
    ("mapping", "none: reports need --mapping"),
    ("mapping_sheet", "the first sheet"),
    ("mapping_columns", "<mapping>.toml when it exists"),
    ("cost", "none"),
    ("activity", "none"),
    ("budgets", "none"),
    ("rules", "the built-in thresholds"),
    ("invoices", "none"),
    ("out", "reports"),
    ("decimal_comma", "false"),
    ("unmapped_to", "the UNMAPPED cost center"),
    ("pseudonymize", "false"),
    (
        "pseudonym_key_file",
        "ALLOT_PSEUDONYM_KEY, else ~/.config/allot/pseudonym.key",
    ),
    ("focus.cost", "BilledCost"),
    ("focus.tag", "none"),
    ("focus.filter", "none"),
    ("sync.base_url", allot_sync::client::ANTHROPIC_BASE_URL),
    ("sync.key_file", "the environment variables"),
    ("sync.rate", "60"),
    ("sync.cost_api", "auto"),
    ("sync.concurrency", "4"),
    ("alerts.notify_url_file", "none"),
    ("alerts.fail_on", "warning"),
    ("alerts.notify_min", "info"),
    ("serve.bind", "127.0.0.1"),
    ("serve.port", "8080"),
    ("serve.hosts", "the loopback names only"),
    ("serve.token_file", "none"),
    ("serve.behind_https", "false"),
    ("serve.stale_after_hours", "36"),
];

/// Keys naming a file whose content is a secret.
const SECRET_FILES: &[&str] = &[
    "sync.key_file",
    "alerts.notify_url_file",
    "serve.token_file",
    "pseudonym_key_file",
];

/// Environment variables allot reads, and whether their value is a secret.
const ENVIRONMENT: &[(&str, bool)] = &[
    (crate::env::CONFIG, false),
    (crate::env::BASE_URL, false),
    (crate::env::ANALYTICS_KEY, true),
    (crate::env::ADMIN_KEY, true),
    (crate::env::NOTIFY_URL, true),
    (crate::env::SERVE_TOKEN, true),
    (crate::env::PSEUDONYM_KEY, true),
];

/// Prints the effective settings.
pub fn show() -> anyhow::Result<()> {
    let mut text = String::new();
    let loaded = config::loaded();
    match loaded {
        Some(l) => {
            let how = match l.found {
                Found::Flag => "named by --config".to_string(),
                Found::Env => format!("named by {}", crate::env::CONFIG),
                Found::WorkingDirectory => "found in the working directory".to_string(),
            };
            text += &format!("# settings file: {} ({how})\n", l.path.display());
        }
        None => {
            text += &format!(
                "# no settings file: none given with --config or {}, and no {} in the working directory (`allot init` writes one)\n",
                crate::env::CONFIG,
                config::FILE_NAME
            );
        }
    }
    text += "# precedence: a flag, then its environment variable, then the settings file, then the default\n";
    let source = source_of(loaded);
    for (key, default) in KEYS {
        let values: Option<Vec<String>> = loaded.and_then(|l| {
            let path =
                |p: &Option<PathBuf>| p.as_ref().map(|p| vec![p.to_string_lossy().into_owned()]);
            match *key {
                // The file's own values, not the flag defaults made of them.
                "out" => path(&l.config.out),
                "invoices" => path(&l.config.invoices),
                _ => l
                    .settings
                    .iter()
                    .find(|s| s.key == *key)
                    .map(|s| s.values.clone()),
            }
        });
        let list = ["cost", "activity", "focus.filter", "serve.hosts"].contains(key);
        let shown = match &values {
            Some(v) if list => format!(
                "[{}]",
                v.iter().map(|x| quoted(x)).collect::<Vec<_>>().join(", ")
            ),
            // Numbers and booleans as TOML writes them; anything else quoted.
            Some(v) if v[0] == "true" || v[0] == "false" || v[0].parse::<u64>().is_ok() => {
                v[0].clone()
            }
            Some(v) => quoted(&v[0]),
            None => String::new(),
        };
        let note = match &values {
            None => format!("default: {default}"),
            Some(v) => {
                let mut note = source.clone();
                let missing: Vec<&String> = v
                    .iter()
                    .filter(|p| is_path_key(key) && !Path::new(p).exists())
                    .collect();
                if !missing.is_empty() {
                    note += "; missing!";
                }
                if SECRET_FILES.contains(key) {
                    note += &secret_file_note(Path::new(&v[0]));
                }
                note
            }
        };
        if shown.is_empty() {
            text += &format!("# {key:<24} {note}\n");
        } else {
            text += &format!("{key} = {shown}    # {note}\n");
        }
    }
    if let Some(l) = loaded {
        if !l.config.shared.is_empty() {
            text += &format!(
                "# shared pools: {} ({})\n",
                l.config
                    .shared
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.amount_usd))
                    .collect::<Vec<_>>()
                    .join(", "),
                source
            );
        }
    }
    text += "# environment:\n";
    for (name, secret) in ENVIRONMENT {
        let shown = match std::env::var_os(name) {
            None => "not set".to_string(),
            Some(_) if *secret => "set (secret, not shown)".to_string(),
            Some(v) => format!("set to {}", v.to_string_lossy()),
        };
        text += &format!("#   {name:<28} {shown}\n");
    }
    output::stdout(&text).map_err(anyhow::Error::from)
}

fn source_of(loaded: Option<&config::Loaded>) -> String {
    loaded.map_or_else(String::new, |l| format!("from {}", l.path.display()))
}

/// Whether a key's values are paths (checked for existence).
fn is_path_key(key: &str) -> bool {
    [
        "mapping",
        "mapping_columns",
        "cost",
        "activity",
        "budgets",
        "rules",
        "invoices",
        "pseudonym_key_file",
        "sync.key_file",
        "alerts.notify_url_file",
        "serve.token_file",
    ]
    .contains(&key)
}

/// Says when a secret's file is readable by others.
fn secret_file_note(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                return format!(
                    "; readable by others (mode {:o}): chmod 600 it",
                    mode & 0o777
                );
            }
        }
    }
    let _ = path;
    String::new()
}

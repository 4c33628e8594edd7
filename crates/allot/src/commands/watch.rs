//! `allot alerts` and `allot forecast`: the weekly run over the store or files.

use allot_app::watch::{notify, read_budgets, read_rules};
use allot_app::{Delivery, WatchOptions, Workspace};
use allot_mapping::invoice::Decimals;

use crate::cli::{AlertsArgs, ForecastArgs, WatchArgs};
use crate::{inputs, output};

/// Prints the warnings of a run's reports once each (several reports carry the same note).
fn say_warnings(out: &allot_app::Output, quiet: bool) {
    let mut said = std::collections::BTreeSet::new();
    for n in out.reports.iter().flat_map(|n| n.report.notes.iter()) {
        if n.text.starts_with("warning") && said.insert(n.text.as_str()) {
            output::say(quiet, &n.text);
        }
    }
}

/// Opens the workspace and reads the rules and budgets of a watch command.
fn open(w: &WatchArgs, quiet: bool) -> anyhow::Result<(Workspace, WatchOptions)> {
    let ws = inputs::workspace(&w.input.facts, &w.input.activity, w.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let rules = match &w.rules {
        Some(p) => read_rules(p)?,
        None => allot_watch::Rules::default(),
    };
    let budgets = match &w.budgets {
        Some(p) => Some(read_budgets(p, w.decimal_comma.then_some(Decimals::Comma))?),
        None => None,
    };
    Ok((
        ws,
        WatchOptions {
            rules,
            budgets,
            ..WatchOptions::default()
        },
    ))
}

/// Runs the rules, writes `alerts.csv` and the other formats, then notifies; returns whether
/// an alert at or above `--fail-on` fired.
pub fn alerts(args: &AlertsArgs, quiet: bool) -> anyhow::Result<bool> {
    // --notify (or ALLOT_NOTIFY_URL) wins over a file the settings file names.
    let url = match (&args.notify, &args.notify_file) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(file)) => Some(super::secret_file(file)?),
        (None, None) => None,
    };
    let url = url
        .filter(|u| !u.is_empty())
        .map(allot_watch::WebhookUrl::new)
        .transpose()?;
    let (ws, opts) = open(&args.watch, quiet)?;
    let run = ws.alerts(&opts)?;
    say_warnings(&run.output, quiet);
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join("alerts"));
    output::emit(&run.output, &args.watch.format, &dir, quiet, false)?;
    if let Some(url) = url {
        let state = args.state.clone().or_else(|| {
            args.watch
                .input
                .facts
                .store
                .as_ref()
                .map(|s| s.join("alerts-sent.json"))
        });
        if state.is_none() {
            output::say(
                quiet,
                "warning: no --store or --state: every run sends every alert again",
            );
        }
        let retry = allot_watch::notify::Retry {
            backoff: std::time::Duration::from_millis(args.notify_backoff_ms),
            ..allot_watch::notify::Retry::default()
        };
        match notify(
            &run,
            &url,
            state.as_deref(),
            ws.as_of,
            args.notify_min,
            retry,
            output::pseudonyms(),
        )? {
            Delivery::Sent(n) => {
                output::say(quiet, &format!("notified the webhook of {n} alert(s)"));
            }
            Delivery::NothingNew => output::say(
                quiet,
                "nothing new to notify: every alert was sent before at this severity within a week",
            ),
        }
    }
    Ok(run.fires(args.fail_on))
}

/// Writes `forecast.csv` for the month.
pub fn forecast(args: &ForecastArgs, quiet: bool) -> anyhow::Result<()> {
    let (ws, opts) = open(&args.watch, quiet)?;
    let out = ws.forecast(args.month, args.by.as_deref(), &opts)?;
    say_warnings(&out, quiet);
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join(args.month.to_string()));
    output::emit(&out, &args.watch.format, &dir, quiet, false)
}

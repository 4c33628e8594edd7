//! `allot serve`: the dashboard over the store, until interrupted.

use std::net::SocketAddr;

use allot_app::reconcile::InvoiceSpec;
use allot_app::watch::{read_budgets, read_rules};
use allot_app::{WatchOptions, Workspace};
use allot_mapping::invoice::Decimals;
use allot_serve::{ServeConfig, Server, Token};

use crate::cli::ServeArgs;
use crate::{inputs, output};

pub fn run(args: &ServeArgs, quiet: bool) -> anyhow::Result<()> {
    let ws = Workspace::open(
        &inputs::mapping(&args.mapping, &args.read),
        inputs::sources(
            Some(&args.store),
            &args.cost,
            &[],
            &[],
            None,
            Some(&args.focus),
        )?,
        args.as_of.unwrap_or_else(crate::inputs::today),
    )?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let decimals = args.decimal_comma.then_some(Decimals::Comma);
    let policy = inputs::policy(args.unmapped, args.unmapped_to.as_ref());
    let watch = WatchOptions {
        rules: match &args.rules {
            Some(p) => read_rules(p)?,
            None => allot_watch::Rules::default(),
        },
        budgets: args
            .budgets
            .as_ref()
            .map(|p| read_budgets(p, decimals))
            .transpose()?,
        policy: policy.clone(),
    };
    let invoices: Vec<InvoiceSpec> = args
        .invoice
        .iter()
        .map(|p| InvoiceSpec {
            path: p.clone(),
            columns: None,
            decimals,
            tolerance_cents: 1,
        })
        .collect();
    for inv in &invoices {
        // A bad invoice is named now, not on the first visit of the page.
        inv.lines()?;
    }
    // --token (or ALLOT_SERVE_TOKEN) wins over a file the settings file names.
    let token = match (&args.token, &args.token_file) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(file)) => Some(super::secret_file(file)?),
        (None, None) => None,
    };
    let config = ServeConfig {
        workspace: ws,
        watch,
        invoices,
        policy,
        pseudonyms: output::pseudonyms().cloned(),
        token: token.filter(|t| !t.is_empty()).map(Token::new),
        as_of_today: args.as_of.is_none(),
        hosts: args.hosts.clone(),
        stale_after: std::time::Duration::from_secs(args.stale_after_hours * 3600),
        behind_https: args.behind_https,
        reload: Some(allot_serve::Reload {
            mapping: inputs::mapping(&args.mapping, &args.read),
            budgets: args.budgets.clone(),
            rules: args.rules.clone(),
            decimals,
        }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::bind(config, SocketAddr::new(args.bind, args.port)).await?;
        // The URL goes to stdout first (scripts and tests read it; with a token it is a
        // one-time link); the figures load meanwhile, and a page asked for before they are
        // ready waits for them instead of loading them a second time.
        output::stdout(&format!("{}\n", server.url()))?;
        output::say(
            quiet,
            "allot serve: read-only; loading the overview and its month (on a large store this takes a while); Ctrl-C to stop",
        );
        let warming = server.warming();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let _ = warming.await;
            tracing::info!(
                "figures loaded in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        });
        server.run().await?;
        Ok(())
    })
}

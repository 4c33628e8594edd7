//! `allot serve`: the dashboard over the store, until interrupted.

use std::net::SocketAddr;

use allot_app::reconcile::InvoiceSpec;
use allot_app::watch::{read_budgets, read_rules};
use allot_app::{Sources, WatchOptions, Workspace};
use allot_mapping::invoice::Decimals;
use allot_serve::{ServeConfig, Server, Token};

use crate::cli::ServeArgs;
use crate::{inputs, output};

pub fn run(args: &ServeArgs, quiet: bool) -> anyhow::Result<()> {
    let ws = Workspace::open(
        &inputs::mapping(&args.mapping, &args.read),
        Sources::Store(args.store.clone()),
        args.as_of.unwrap_or_else(crate::commands::today),
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
    let config = ServeConfig {
        workspace: ws,
        watch,
        invoices,
        policy,
        pseudonyms: output::pseudonyms().cloned(),
        token: args
            .token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(Token::new),
        as_of_today: args.as_of.is_none(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::bind(config, SocketAddr::new(args.bind, args.port)).await?;
        let started = std::time::Instant::now();
        output::say(
            quiet,
            &format!(
                "allot serve: loading the overview and its month on {} (on a large store this takes a while)",
                server.addr
            ),
        );
        server.warm().await;
        output::say(
            quiet,
            &format!(
                "allot serve: figures loaded in {:.1} s; read-only, Ctrl-C to stop",
                started.elapsed().as_secs_f64()
            ),
        );
        // The URL goes to stdout (scripts and tests read it); with a token it is a one-time link.
        output::stdout(&format!("{}\n", server.url()))?;
        server.run().await?;
        Ok(())
    })
}

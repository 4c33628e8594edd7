//! `allot demo`: the embedded demo organisation, synced from the in-process fake API, and
//! every report of its latest settled month: no key, no network.

use crate::cli::DemoArgs;
use crate::output;

pub fn run(args: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(crate::inputs::today);
    let demo = allot_app::demo::run(&args.out, as_of)?;
    for m in &demo.messages {
        output::say(quiet, m);
    }
    for (out, formats) in &demo.outputs {
        output::emit(out, formats, &args.out, quiet, false)?;
    }
    let dir = args.out.display();
    let as_of = args
        .as_of
        .map(|d| format!(" --as-of {d}"))
        .unwrap_or_default();
    output::say(
        quiet,
        &format!(
            "demo: to browse it, run `allot serve --store {dir}/store --cost {dir}/input/{bill} --focus-tag {tag} --mapping {dir}/input/org-mapping.csv --budgets {dir}/input/budgets.csv{as_of}` and open the URL it prints",
            bill = allot_app::demo::CLOUD_BILL,
            tag = allot_synth::cloud::TAG,
        ),
    );
    Ok(())
}

//! `allot mapping check`: every problem of a mapping file at once, errors and warnings.

use allot_mapping::{ReadOptions, Severity};

use crate::cli::MappingCheckArgs;
use crate::output;

/// Prints the findings; fails (exit 2) when any is an error.
pub fn check(args: &MappingCheckArgs, quiet: bool) -> anyhow::Result<()> {
    let options = ReadOptions {
        sheet: args.read.sheet.clone(),
        columns: args.read.columns.clone(),
    };
    let checked = allot_app::operate::check_mapping(&args.file, &options)?;
    let mut text = format!(
        "mapping {}: {}\n",
        args.file.display(),
        checked.mapping.recognised
    );
    text.push_str(&format!(
        "{} rows, {} people, {}{} cost centers\n",
        checked.mapping.rows.len(),
        checked.people,
        if checked.actors == 0 {
            String::new()
        } else {
            format!(
                "{} API keys, workspaces, service accounts, principals or accounts, ",
                checked.actors
            )
        },
        checked.cost_centers
    ));
    for finding in &checked.findings {
        let word = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        text.push_str(&format!("{word}: {}\n", finding.message));
    }
    let errors = checked.errors();
    text.push_str(&format!(
        "{errors} errors, {} warnings\n",
        checked.warnings()
    ));
    if !quiet || errors > 0 {
        output::stdout(&text)?;
    }
    if errors > 0 {
        anyhow::bail!("`{}` has {errors} errors", args.file.display());
    }
    Ok(())
}

//! `allot mapping check`: every problem of a mapping file at once, errors and warnings.

use allot_mapping::{OrgMapping, ReadOptions, Severity};

use crate::cli::MappingCheckArgs;
use crate::output;

/// Prints the findings; fails (exit 2) when any is an error.
pub fn check(args: &MappingCheckArgs, quiet: bool) -> anyhow::Result<()> {
    let options = ReadOptions {
        sheet: args.read.sheet.clone(),
        columns: args.read.columns.clone(),
    };
    let (mapping, findings) = OrgMapping::check_file(&args.file, &options)?;
    let mut text = format!("mapping {}: {}\n", args.file.display(), mapping.recognised);
    let people: std::collections::BTreeSet<&str> = mapping
        .rows
        .iter()
        .filter(|r| r.is_person())
        .map(|r| r.email.as_str())
        .collect();
    let actors: std::collections::BTreeSet<&str> = mapping
        .rows
        .iter()
        .filter(|r| !r.is_person())
        .map(|r| r.email.as_str())
        .collect();
    let ccs: std::collections::BTreeSet<&str> = mapping
        .rows
        .iter()
        .map(|r| r.cost_center.as_str())
        .collect();
    text.push_str(&format!(
        "{} rows, {} people, {}{} cost centers\n",
        mapping.rows.len(),
        people.len(),
        if actors.is_empty() {
            String::new()
        } else {
            format!(
                "{} API keys, workspaces, service accounts, principals or accounts, ",
                actors.len()
            )
        },
        ccs.len()
    ));
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    for f in &findings {
        let word = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        text.push_str(&format!("{word}: {}\n", f.message));
    }
    text.push_str(&format!(
        "{errors} errors, {} warnings\n",
        findings.len() - errors
    ));
    if !quiet || errors > 0 {
        output::stdout(&text)?;
    }
    if errors > 0 {
        anyhow::bail!("`{}` has {errors} errors", args.file.display());
    }
    Ok(())
}

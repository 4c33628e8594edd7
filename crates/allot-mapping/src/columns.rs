//! Which column is which: an optional TOML file next to the mapping names the columns; without
//! one, common header spellings are recognised ("Work Email", "Cost Centre", "Start Date"...).

use std::path::{Path, PathBuf};

use allot_core::InputError;
use serde::Deserialize;

use allot_core::identity::Kind;

use crate::table::Table;

/// The TOML column mapping, e.g. `org.toml` beside `org.xlsx`:
///
/// ```toml
/// sheet = "Org"
/// hierarchy = ["Department", "Division"]   # levels above the cost center, lowest first
/// [columns]
/// email = "Work Email"
/// cost_center = "Cost Center"
/// effective_from = "Start Date"
/// effective_to = "End Date"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// The sheet to read (workbooks only); default the first.
    pub sheet: Option<String>,
    /// Header names of the special columns.
    #[serde(default)]
    pub columns: Columns,
    /// Header names of the levels above the cost center, lowest first.
    #[serde(default)]
    pub hierarchy: Vec<String>,
    /// How dates that are not ISO are written, in chrono's `strftime` codes: `%d/%m/%Y` for
    /// `01/09/2026` as 1 September, `%m/%d/%Y` for 9 January, `%d.%m.%Y` for `1.9.2026`.
    pub date_format: Option<String>,
}

/// Header names of the columns allot needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The person's email.
    pub email: Option<String>,
    /// An API key's id (`apikey_...`), for rows that map a key instead of a person.
    pub api_key_id: Option<String>,
    /// A workspace's id (`wrkspc_...`, or `default`).
    pub workspace_id: Option<String>,
    /// A service account's id (`svac_...`).
    pub service_account_id: Option<String>,
    /// A cloud principal (an IAM role or user ARN, a service account), from a cloud bill.
    pub principal_id: Option<String>,
    /// A cloud account (AWS account, Google Cloud project, Azure subscription).
    pub account_id: Option<String>,
    /// The cost center.
    pub cost_center: Option<String>,
    /// First day the row applies.
    pub effective_from: Option<String>,
    /// Last day the row applies (inclusive).
    pub effective_to: Option<String>,
}

impl ColumnConfig {
    /// Reads a column-mapping TOML file; unknown keys are errors so a typo never goes unnoticed.
    pub fn read(path: &Path) -> Result<ColumnConfig, InputError> {
        let text = std::fs::read_to_string(path).map_err(|source| InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("is not a valid column mapping: {}", e.to_string().trim()),
        })
    }

    /// The TOML file that goes with a mapping: same name, `.toml` extension, if it exists.
    pub fn beside(mapping: &Path) -> Option<PathBuf> {
        let p = mapping.with_extension("toml");
        (p != mapping && p.exists()).then_some(p)
    }
}

/// Where the special columns are in a table.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The identity columns found (the email, and the columns mapping non-person actors), in
    /// [`allot_core::identity::MAPPABLE`] order; at least one. A row fills exactly one of them.
    pub keys: Vec<(Kind, usize)>,
    /// Column of the cost center.
    pub cost_center: usize,
    /// Column of the first valid day, if any.
    pub effective_from: Option<usize>,
    /// Column of the last valid day, if any.
    pub effective_to: Option<usize>,
    /// Columns of the hierarchy levels above the cost center, lowest first.
    pub hierarchy: Vec<usize>,
    /// What was recognised, for the person running allot.
    pub summary: String,
}

fn squash(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

const EMAIL: &[&str] = &[
    "email",
    "workemail",
    "emailaddress",
    "workemailaddress",
    "useremail",
    "employeeemail",
    "mail",
];
const API_KEY: &[&str] = &["apikeyid", "apikey", "anthropicapikey", "apikeyname"];
const WORKSPACE: &[&str] = &["workspaceid", "workspace", "anthropicworkspace"];
const SERVICE_ACCOUNT: &[&str] = &["serviceaccountid", "serviceaccount", "svac"];
const PRINCIPAL: &[&str] = &[
    "principalid",
    "principal",
    "iamprincipal",
    "iamrole",
    "rolearn",
    "principalarn",
];
const ACCOUNT: &[&str] = &[
    "accountid",
    "cloudaccount",
    "cloudaccountid",
    "awsaccount",
    "awsaccountid",
    "subaccountid",
    "projectid",
    "gcpproject",
    "subscriptionid",
];
const COST_CENTER: &[&str] = &[
    "costcenter",
    "costcentre",
    "costcentercode",
    "costcentrecode",
    "costcenterid",
    "cc",
];
const FROM: &[&str] = &[
    "effectivefrom",
    "startdate",
    "validfrom",
    "effectivestart",
    "effectivedate",
    "from",
    "start",
];
const TO: &[&str] = &[
    "effectiveto",
    "enddate",
    "validto",
    "effectiveend",
    "terminationdate",
    "leavingdate",
    "to",
    "end",
];
const LEVELS: &[&str] = &[
    "department",
    "dept",
    "team",
    "division",
    "businessunit",
    "bu",
    "segment",
    "function",
    "organisation",
    "organization",
    "org",
];

/// Finds the special columns, from `config` where it names them, else by common spellings.
pub fn resolve(table: &Table, config: &ColumnConfig) -> Result<Resolved, InputError> {
    let find_named = |name: &str| -> Result<usize, InputError> {
        table.column(name).ok_or_else(|| InputError::MissingColumn {
            path: table.path.clone(),
            column: name.to_string(),
            found: table.headers.clone(),
        })
    };
    let find_variant = |variants: &[&str]| -> Option<usize> {
        variants
            .iter()
            .find_map(|v| table.headers.iter().position(|h| squash(h) == *v))
    };
    let pick = |configured: &Option<String>, variants: &[&str], canonical: &str, required: bool| {
        match configured {
            Some(name) => find_named(name).map(Some),
            None => match find_variant(variants) {
                Some(i) => Ok(Some(i)),
                None if required => Err(InputError::MissingColumn {
                    path: table.path.clone(),
                    column: canonical.to_string(),
                    found: table.headers.clone(),
                }),
                None => Ok(None),
            },
        }
    };
    let cols = &config.columns;
    let mut keys: Vec<(Kind, usize)> = Vec::new();
    for (kind, configured, variants) in [
        (Kind::Person, &cols.email, EMAIL),
        (Kind::ApiKey, &cols.api_key_id, API_KEY),
        (Kind::Workspace, &cols.workspace_id, WORKSPACE),
        (
            Kind::ServiceAccount,
            &cols.service_account_id,
            SERVICE_ACCOUNT,
        ),
        (Kind::Principal, &cols.principal_id, PRINCIPAL),
        (Kind::Account, &cols.account_id, ACCOUNT),
    ] {
        let canonical = kind.mapping_column().expect("a mappable kind");
        if let Some(i) = pick(configured, variants, canonical, false)? {
            keys.push((kind, i));
        }
    }
    if keys.is_empty() {
        // The email is the usual key: name it, and the others a row may use instead.
        return Err(InputError::MissingColumn {
            path: table.path.clone(),
            column: "email".to_string(),
            found: table.headers.clone(),
        });
    }
    let cost_center = pick(&cols.cost_center, COST_CENTER, "cost_center", true)?.expect("required");
    let effective_from = pick(&cols.effective_from, FROM, "effective_from", false)?;
    let effective_to = pick(&cols.effective_to, TO, "effective_to", false)?;
    let mut special: Vec<Option<usize>> = keys.iter().map(|(_, i)| Some(*i)).collect();
    special.extend([Some(cost_center), effective_from, effective_to]);
    let hierarchy: Vec<usize> = if config.hierarchy.is_empty() {
        let mut found: Vec<usize> = (0..table.headers.len())
            .filter(|i| {
                !special.contains(&Some(*i))
                    && LEVELS.contains(&squash(&table.headers[*i]).as_str())
            })
            .collect();
        // Lower levels have more distinct values.
        let distinct = |c: usize| {
            let mut v: Vec<&str> = table.rows.iter().map(|r| r.cells[c].as_str()).collect();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        found.sort_by_key(|c| std::cmp::Reverse(distinct(*c)));
        found
    } else {
        config
            .hierarchy
            .iter()
            .map(|h| find_named(h))
            .collect::<Result<_, _>>()?
    };
    let name = |i: usize| format!("\"{}\"", table.headers[i]);
    let mut summary = keys
        .iter()
        .map(|(k, i)| {
            format!(
                "{} = {}",
                k.mapping_column().expect("a mappable kind"),
                name(*i)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    summary.push_str(&format!(", cost_center = {}", name(cost_center)));
    if let Some(f) = effective_from {
        summary.push_str(&format!(", effective_from = {}", name(f)));
    }
    if let Some(t) = effective_to {
        summary.push_str(&format!(", effective_to = {}", name(t)));
    }
    if !hierarchy.is_empty() {
        let levels: Vec<String> = hierarchy.iter().map(|&i| name(i)).collect();
        summary.push_str(&format!(
            ", hierarchy = cost_center < {}",
            levels.join(" < ")
        ));
    }
    Ok(Resolved {
        keys,
        cost_center,
        effective_from,
        effective_to,
        hierarchy,
        summary,
    })
}

//! The ids and names of the demo organisation's actors behind the rest of the bill (API keys,
//! workspaces, a service account, a federated identity, an actor of an unknown kind): the
//! organisation's mapping (`org`) and the actors' usage (`actors`) both name them.

/// The workspace automations run in.
pub const AUTOMATION: (&str, &str) = ("wrkspc_01Automation4KxQ", "Automation");
/// The workspace of the engineers' shared key.
pub const ENGINEERING: (&str, &str) = ("wrkspc_01Engineering8PwT", "Engineering");
/// The key some engineers run Claude Code with.
pub const SHARED_KEY: (&str, &str) = ("apikey_01DevShared3HnVc", "dev-shared");
/// The evaluation key.
pub const EVALS_KEY: (&str, &str) = ("apikey_01EvalsNightly7Qm2", "nightly-evals");
/// The key the ETL service account authenticates with.
pub const ETL_KEY: (&str, &str) = ("apikey_01EtlIngest5Lw8", "etl-ingest");
/// The ETL service account.
pub const ETL_ACCOUNT: (&str, &str) = ("svac_01EtlPipeline9ZtD", "etl-pipeline");
/// A key nobody mapped, in the default workspace.
pub const SANDBOX_KEY: (&str, &str) = ("apikey_01Sandbox5RbYe", "sandbox");
/// A federated identity.
pub const FEDERATED: &str = "spiffe://example.com/ns/batch/sa/report-builder";
/// An actor of a kind allot does not know.
pub const AGENT: (&str, &str, &str) = ("agent_actor", "agent_01Triage2MfK", "nightly-triage");

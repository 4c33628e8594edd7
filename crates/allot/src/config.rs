//! The settings file (`--config allot.toml`): shared cost pools, with unknown keys refused so a
//! typo is an error, not a silently ignored setting.

use std::path::Path;

use allot_core::shared::{parse_cents, Policy, Pool};
use anyhow::Context;
use serde::Deserialize;

/// The whole settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Shared cost pools split across cost centers.
    #[serde(default)]
    pub shared: Vec<SharedPool>,
}

/// `[[shared]]`: one pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedPool {
    /// What the pool is.
    pub name: String,
    /// Its amount in dollars, as text (`"1500.00"`) so it is exact.
    pub amount_usd: String,
    /// `proportional` (default), `per-user` or `cost-center:CC`.
    #[serde(default)]
    pub policy: String,
}

impl Config {
    /// Reads a settings file.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("`{}` is not a valid allot settings file", path.display()))
    }

    /// The pools, parsed.
    pub fn pools(&self) -> anyhow::Result<Vec<Pool>> {
        self.shared
            .iter()
            .map(|p| {
                let policy: Policy = p.policy.parse().map_err(anyhow::Error::msg)?;
                let cents = parse_cents(&p.amount_usd).map_err(anyhow::Error::msg)?;
                Ok(Pool {
                    name: p.name.clone(),
                    cents,
                    policy,
                })
            })
            .collect::<anyhow::Result<_>>()
            .context("in [[shared]]")
    }
}

//! Shared cost: money that belongs to no seat user (API keys and automation, seat fees, a
//! platform charge) split across cost centers by a policy, exactly to the cent.

use std::fmt;
use std::str::FromStr;

use crate::alloc::split_proportional;
use crate::money::{format_cents, Nanos};

/// How a pool is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// In proportion to each cost center's attributed cost (the default).
    Proportional,
    /// Evenly per active user: each person counts once, on the line where they spent most.
    PerUser,
    /// All of it to one named cost center.
    CostCenter(String),
}

impl Policy {
    /// The method name written on every allocated line.
    pub fn method(&self) -> String {
        match self {
            Policy::Proportional => "proportional".into(),
            Policy::PerUser => "per-user".into(),
            Policy::CostCenter(cc) => format!("cost-center:{cc}"),
        }
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Policy, String> {
        match s.trim() {
            "" | "proportional" => Ok(Policy::Proportional),
            "per-user" | "per_user" | "even" => Ok(Policy::PerUser),
            other => match other.strip_prefix("cost-center:").or_else(|| other.strip_prefix("cost_center:")) {
                Some(cc) if !cc.trim().is_empty() => Ok(Policy::CostCenter(cc.trim().to_string())),
                _ => Err(format!(
                    "`{other}` is not a split policy (expected proportional, per-user or cost-center:CC)"
                )),
            },
        }
    }
}

/// A pool of shared cost in whole cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// What the pool is, e.g. "Platform fee" or "API keys and automation".
    pub name: String,
    /// Its amount in cents (negative for a shared credit).
    pub cents: i64,
    /// How it is split.
    pub policy: Policy,
}

impl FromStr for Pool {
    type Err = String;
    /// Parses `NAME=AMOUNT[@POLICY]`, e.g. `Platform fee=1500.00@per-user`.
    fn from_str(s: &str) -> Result<Pool, String> {
        let (name, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not a shared pool: expected NAME=AMOUNT[@POLICY]"))?;
        let (amount, policy) = rest.split_once('@').unwrap_or((rest, ""));
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{s}`: the pool needs a name before `=`"));
        }
        Ok(Pool {
            name: name.to_string(),
            cents: parse_cents(amount)?,
            policy: policy.parse()?,
        })
    }
}

/// Parses a dollar amount with at most two decimals into cents.
pub fn parse_cents(text: &str) -> Result<i64, String> {
    let nanos = crate::money::parse_usd(text).map_err(|e| format!("`{}` {e}", text.trim()))?;
    let n = Nanos(i128::from(nanos));
    if n.0 % i128::from(crate::money::NANOS_PER_CENT) != 0 {
        return Err(format!(
            "`{}` has more than 2 decimals: a pool is whole cents",
            text.trim()
        ));
    }
    Ok(n.round_cents())
}

/// One allocated piece of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The pool it came from.
    pub pool: String,
    /// The policy's method name.
    pub method: String,
    /// The receiving line (cost center or level value).
    pub key: String,
    /// Cents allocated.
    pub cents: i64,
}

/// Why a pool cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllocError {
    /// Nothing to be proportional to.
    #[error("pool `{0}` cannot be split: no cost center has {1}")]
    NothingToSplitBy(String, &'static str),
    /// A recipient has a net credit, which has no share of a proportional split.
    #[error("pool `{pool}` cannot be split proportionally: `{key}` has a net credit of ${amount}")]
    NegativeWeight {
        /// The pool.
        pool: String,
        /// The line with a credit.
        key: String,
        /// Its amount.
        amount: String,
    },
}

/// A line that can receive shared cost: its key, exact attributed cost and active users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Cost center or level value.
    pub key: String,
    /// Its attributed (seat-user) cost.
    pub attributed: Nanos,
    /// People counted on this line for per-user splits.
    pub users: u64,
}

/// Splits a pool across recipients; the pieces always sum to the pool.
pub fn allocate(pool: &Pool, recipients: &[Recipient]) -> Result<Vec<Allocation>, AllocError> {
    let piece = |key: &str, cents: i64| Allocation {
        pool: pool.name.clone(),
        method: pool.policy.method(),
        key: key.to_string(),
        cents,
    };
    let weights: Vec<(&str, i128)> = match &pool.policy {
        Policy::CostCenter(cc) => return Ok(vec![piece(cc, pool.cents)]),
        Policy::Proportional => {
            if let Some(r) = recipients.iter().find(|r| r.attributed.0 < 0) {
                return Err(AllocError::NegativeWeight {
                    pool: pool.name.clone(),
                    key: r.key.clone(),
                    amount: format_cents(r.attributed.round_cents()),
                });
            }
            recipients
                .iter()
                .map(|r| (r.key.as_str(), r.attributed.0))
                .collect()
        }
        Policy::PerUser => recipients
            .iter()
            .map(|r| (r.key.as_str(), i128::from(r.users)))
            .collect(),
    };
    let what = if pool.policy == Policy::PerUser {
        "active users"
    } else {
        "attributed cost"
    };
    let split = split_proportional(pool.cents, &weights)
        .ok_or_else(|| AllocError::NothingToSplitBy(pool.name.clone(), what))?;
    Ok(recipients
        .iter()
        .zip(split)
        .filter(|(_, c)| *c != 0)
        .map(|(r, c)| piece(&r.key, c))
        .collect())
}

impl fmt::Display for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ${} ({})",
            self.name,
            format_cents(self.cents),
            self.policy.method()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(key: &str, dollars: i128, users: u64) -> Recipient {
        Recipient {
            key: key.into(),
            attributed: Nanos(dollars * 1_000_000_000),
            users,
        }
    }

    #[test]
    fn parses_pool_specs() {
        let p: Pool = "Platform fee=1500.00@per-user".parse().unwrap();
        assert_eq!(
            (p.name.as_str(), p.cents, p.policy),
            ("Platform fee", 150_000, Policy::PerUser)
        );
        let p: Pool = "Seats=99.5@cost-center:CC-4010".parse().unwrap();
        assert_eq!(p.policy, Policy::CostCenter("CC-4010".into()));
        assert_eq!(p.cents, 9950);
        assert!("Fee=1.005"
            .parse::<Pool>()
            .unwrap_err()
            .contains("more than 2 decimals"));
        assert!("Fee".parse::<Pool>().is_err());
        assert!("Fee=1@weird"
            .parse::<Pool>()
            .unwrap_err()
            .contains("not a split policy"));
    }

    #[test]
    fn splits_by_each_policy() {
        let lines = [r("A", 200, 1), r("B", 100, 3)];
        let p = |policy| Pool {
            name: "fee".into(),
            cents: 1000,
            policy,
        };
        let prop = allocate(&p(Policy::Proportional), &lines).unwrap();
        assert_eq!(
            prop.iter().map(|a| a.cents).collect::<Vec<_>>(),
            vec![667, 333]
        );
        let even = allocate(&p(Policy::PerUser), &lines).unwrap();
        assert_eq!(
            even.iter().map(|a| a.cents).collect::<Vec<_>>(),
            vec![250, 750]
        );
        let one = allocate(&p(Policy::CostCenter("Z".into())), &lines).unwrap();
        assert_eq!(
            (one[0].key.as_str(), one[0].cents, one[0].method.as_str()),
            ("Z", 1000, "cost-center:Z")
        );
        let credit = allocate(&p(Policy::Proportional), &[r("A", 5, 1), r("B", -1, 1)]);
        assert!(matches!(credit, Err(AllocError::NegativeWeight { .. })));
    }

    proptest! {
        #[test]
        fn any_pool_split_by_any_policy_sums_exactly(
            cents in -10_000_000i64..10_000_000,
            lines in proptest::collection::vec((0i128..1_000_000_000_000, 0u64..500), 1..30),
            policy in 0u8..3,
        ) {
            let recipients: Vec<Recipient> = lines
                .iter()
                .enumerate()
                .map(|(i, (a, u))| Recipient { key: format!("cc{i:03}"), attributed: Nanos(*a), users: *u })
                .collect();
            let policy = match policy { 0 => Policy::Proportional, 1 => Policy::PerUser, _ => Policy::CostCenter("cc000".into()) };
            let pool = Pool { name: "p".into(), cents, policy };
            match allocate(&pool, &recipients) {
                Ok(pieces) => prop_assert_eq!(pieces.iter().map(|p| p.cents).sum::<i64>(), cents),
                Err(AllocError::NothingToSplitBy(..)) => {}
                Err(e) => prop_assert!(false, "{}", e),
            }
        }
    }
}

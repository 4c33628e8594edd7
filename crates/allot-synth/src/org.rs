//! Synthetic organisations: people, their roles and habits, and the org mapping that assigns
//! them to cost centers over time (with mid-month moves, leavers and unmapped contractors).

use std::fmt::Write;

use chrono::NaiveDate;

use crate::rng::Rng;

/// What a person mostly does, which drives which products they use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Writes code with Claude Code most days.
    Engineer,
    /// Uses chat (and some cowork).
    Knowledge,
}

/// One person of a synthetic organisation.
#[derive(Debug, Clone)]
pub struct Person {
    /// Stable index, part of every random seed for this person.
    pub id: u64,
    /// Email as the mapping writes it (lower case).
    pub email: String,
    /// Email as the usage data spells it (sometimes mixed case, as exports do).
    pub usage_email: String,
    /// Anthropic-style user id.
    pub user_id: String,
    /// Engineer or not.
    pub role: Role,
    /// Per-mille of their token volume on the largest model.
    pub opus_share: u64,
    /// Per-mille of their tokens in the 200K-1M context window.
    pub long_context: u64,
    /// Typical daily input tokens.
    pub volume: u64,
    /// Last day they use Claude, if they leave.
    pub last_active: Option<NaiveDate>,
}

/// One row of the org mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    /// Person (lower case).
    pub email: String,
    /// Cost center code.
    pub cost_center: String,
    /// Department name.
    pub department: String,
    /// Division name.
    pub division: String,
    /// The person's manager.
    pub manager: String,
    /// First valid day, if not since always.
    pub effective_from: Option<NaiveDate>,
    /// Last valid day (inclusive), if not open.
    pub effective_to: Option<NaiveDate>,
}

/// One row of the org mapping that maps a non-person actor (an API key, a workspace, a
/// service account) to a cost center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRow {
    /// The mapping column naming it: `api_key_id`, `workspace_id`, `service_account_id` or
    /// `principal_id`.
    pub column: &'static str,
    /// Its id.
    pub id: &'static str,
    /// Cost center code.
    pub cost_center: &'static str,
    /// First valid day, if not since always.
    pub effective_from: Option<NaiveDate>,
    /// Last valid day (inclusive), if not open.
    pub effective_to: Option<NaiveDate>,
}

/// Something the demo organisation does on purpose, so its alerts have something to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// These people use `percent`% of their usual volume from `from` on (a team ramping up).
    Ramp {
        /// Person ids.
        people: Vec<u64>,
        /// First day.
        from: NaiveDate,
        /// Percent of the usual volume.
        percent: u64,
    },
    /// The person uses nothing before `from`, then `percent`% of their usual volume every
    /// working day (a new heavy user).
    Starts {
        /// Person id.
        person: u64,
        /// First day.
        from: NaiveDate,
        /// Percent of the usual volume.
        percent: u64,
    },
    /// From `from`, the person's share of requests in the 200K-1M window is `per_mille`.
    LongContext {
        /// Person id.
        person: u64,
        /// First day.
        from: NaiveDate,
        /// Per mille.
        per_mille: u64,
    },
}

/// A synthetic organisation: its people and its mapping.
#[derive(Debug, Clone)]
pub struct Org {
    /// Seed every fact is drawn from.
    pub seed: u64,
    /// Everyone who uses Claude, mapped or not.
    pub people: Vec<Person>,
    /// The mapping rows, in file order (people who hold a seat and never use it included).
    pub mapping: Vec<MappingRow>,
    /// The rows mapping non-person actors (API keys, workspaces, service accounts), after
    /// the people's in the file.
    pub actor_mapping: Vec<ActorRow>,
    /// Planted events (none unless asked for).
    pub events: Vec<Event>,
}

impl Org {
    /// The mapping as CSV text (`email,cost_center,department,division,manager,effective_from,effective_to`,
    /// and with `api_key_id,workspace_id,service_account_id` after `email` when the
    /// organisation maps non-person actors).
    pub fn mapping_csv(&self) -> String {
        let actors = !self.actor_mapping.is_empty();
        let mut s = String::from(if actors {
            "email,api_key_id,workspace_id,service_account_id,principal_id,cost_center,department,division,manager,effective_from,effective_to\n"
        } else {
            "email,cost_center,department,division,manager,effective_from,effective_to\n"
        });
        let d = |x: Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
        for r in &self.mapping {
            let _ = writeln!(
                s,
                "{}{},{},{},{},{},{},{}",
                r.email,
                if actors { ",,,," } else { "" },
                r.cost_center,
                r.department,
                r.division,
                r.manager,
                d(r.effective_from),
                d(r.effective_to)
            );
        }
        for r in &self.actor_mapping {
            let keys = [
                "api_key_id",
                "workspace_id",
                "service_account_id",
                "principal_id",
            ]
            .map(|c| if c == r.column { r.id } else { "" });
            let (_, dept, div, _, _) = UNITS
                .iter()
                .find(|u| u.0 == r.cost_center)
                .copied()
                .unwrap_or(UNITS[0]);
            let _ = writeln!(
                s,
                ",{},{},{},{},{},{},{},,{},{}",
                keys[0],
                keys[1],
                keys[2],
                keys[3],
                r.cost_center,
                dept,
                div,
                d(r.effective_from),
                d(r.effective_to)
            );
        }
        s
    }
}

const FIRST: [&str; 40] = [
    "ada", "alan", "amara", "ana", "ben", "carla", "chen", "dev", "diego", "elena", "emeka", "eva",
    "farah", "femi", "grace", "hana", "ian", "ines", "jonas", "julia", "kai", "kemi", "lars",
    "lea", "liam", "maya", "mei", "nils", "noor", "omar", "priya", "quinn", "rosa", "sam", "sara",
    "tariq", "uma", "vera", "wen", "yusuf",
];
const LAST: [&str; 30] = [
    "abara", "berg", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito", "jensen",
    "kowalski", "larsen", "mensah", "novak", "okafor", "park", "quispe", "rossi", "silva",
    "tanaka", "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "moreau", "nakamura", "oliveira",
    "petrov",
];

/// (cost center, department, division, engineering?, headcount weight)
const UNITS: [(&str, &str, &str, bool, u64); 12] = [
    ("CC-1010", "Platform", "Engineering", true, 30),
    ("CC-1020", "Payments", "Engineering", true, 24),
    ("CC-1030", "Mobile", "Engineering", true, 18),
    ("CC-1040", "Data", "Engineering", true, 16),
    ("CC-2010", "Design", "Product", false, 10),
    ("CC-2020", "Product Management", "Product", false, 12),
    ("CC-3010", "Sales", "Go-To-Market", false, 26),
    ("CC-3020", "Marketing", "Go-To-Market", false, 14),
    ("CC-3030", "Support", "Go-To-Market", false, 18),
    ("CC-4010", "Finance", "Operations", false, 12),
    ("CC-4020", "People", "Operations", false, 10),
    ("CC-4030", "Legal", "Operations", false, 10),
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn name(i: u64) -> String {
    let f = FIRST[(i % FIRST.len() as u64) as usize];
    let l = LAST[((i / FIRST.len() as u64 + i * 7) % LAST.len() as u64) as usize];
    format!("{f}.{l}")
}

fn unit_of(weights_total: u64, pick: u64) -> usize {
    let mut acc = 0;
    for (i, u) in UNITS.iter().enumerate() {
        acc += u.4;
        if pick % weights_total < acc {
            return i;
        }
    }
    UNITS.len() - 1
}

/// The demo organisation: 200 mapped people in 12 cost centers under 4 divisions, 8 of whom
/// move team mid-month, 2 leavers who keep spending after their last mapped day, 4
/// contractors nobody mapped, a few whose exports spell their email in mixed case, and 3
/// people who hold a seat (a mapping row) and never use it.
pub fn demo_org() -> Org {
    build_org(2026, 200, 4, true)
}

/// People of the demo organisation who hold a seat and never use it.
pub const IDLE_SEATS: [(&str, &str); 3] = [
    ("rita.idle@example.com", "CC-2010"),
    ("otto.unused@example.com", "CC-3010"),
    ("vera.seatonly@example.com", "CC-4020"),
];

/// The demo organisation with events planted in the four weeks before `anchor` (the demo's
/// as-of date), so alerts have something to find whatever day the demo runs: Mobile (CC-1030)
/// doubles its usage two weeks before; an engineer who never used Claude starts as one of
/// its heaviest users twelve days before; an engineer moves most of their work into the
/// 200K-1M window two weeks before.
pub fn demo_org_at(anchor: NaiveDate) -> Org {
    let mut org = demo_org();
    let days = |n: u64| {
        anchor
            .checked_sub_days(chrono::Days::new(n))
            .unwrap_or(anchor)
    };
    let in_unit = |cc: &str| -> Vec<u64> {
        org.mapping
            .iter()
            .filter(|r| {
                r.cost_center == cc && r.effective_from.is_none() && r.effective_to.is_none()
            })
            .filter_map(|r| org.people.iter().find(|p| p.email == r.email).map(|p| p.id))
            .collect()
    };
    let mobile = in_unit("CC-1030");
    // Stable choices: the first knowledge worker and the first engineer without long context
    // who are mapped for good and outside Mobile.
    let steady = |p: &&Person| {
        !mobile.contains(&p.id)
            && p.last_active.is_none()
            && org.mapping.iter().filter(|r| r.email == p.email).count() == 1
    };
    let long = org
        .people
        .iter()
        .filter(steady)
        .find(|p| {
            p.role == Role::Engineer && p.long_context == 0 && p.volume > 1_500_000 && p.id < 10_000
        })
        .map(|p| p.id);
    let newcomer = org
        .people
        .iter()
        .filter(steady)
        .find(|p| {
            p.role == Role::Engineer && p.volume > 1_000_000 && p.id < 10_000 && Some(p.id) != long
        })
        .map(|p| p.id);
    let mut events = vec![Event::Ramp {
        people: mobile,
        from: days(14),
        percent: 200,
    }];
    if let Some(person) = newcomer {
        events.push(Event::Starts {
            person,
            from: days(12),
            percent: 600,
        });
    }
    if let Some(person) = long {
        events.push(Event::LongContext {
            person,
            from: days(14),
            per_mille: 800,
        });
    }
    org.events = events;
    org
}

/// A large organisation for benchmarks: `people` mapped people across 200 cost centers.
pub fn scale_org(people: u64) -> Org {
    build_org(7, people, 0, false)
}

fn build_org(seed: u64, mapped: u64, contractors: u64, demo: bool) -> Org {
    let weights_total: u64 = UNITS.iter().map(|u| u.4).sum();
    let mut people = Vec::new();
    let mut mapping = Vec::new();
    let mut taken = std::collections::HashSet::new();
    let managers: Vec<String> = (0..UNITS.len() as u64)
        .map(|u| format!("{}@example.com", name(1000 + u * 13)))
        .collect();
    for i in 0..mapped {
        let mut r = Rng::new(&[seed, i, 1]);
        let mut email = format!("{}@example.com", name(i));
        let mut n = 2;
        while !taken.insert(email.clone()) {
            email = format!("{}{n}@example.com", name(i));
            n += 1;
        }
        let u = unit_of(weights_total, r.next_u64());
        let (cc, dept, div, eng, _) = UNITS[u];
        let cost_center = if demo {
            cc.to_string()
        } else {
            format!("{}-{:02}", cc, i % 17)
        };
        let role = if eng || r.chance(60) {
            Role::Engineer
        } else {
            Role::Knowledge
        };
        let usage_email = if demo && i % 23 == 5 {
            // Exports sometimes capitalise: allot must still match them.
            let mut chars: Vec<char> = email.chars().collect();
            chars[0] = chars[0].to_ascii_uppercase();
            chars.into_iter().collect()
        } else {
            email.clone()
        };
        let mut last_active = None;
        let base_row = MappingRow {
            email: email.clone(),
            cost_center: cost_center.clone(),
            department: dept.to_string(),
            division: div.to_string(),
            manager: managers[u].clone(),
            effective_from: None,
            effective_to: None,
        };
        if demo && i % 25 == 3 {
            // A mover: changes team mid-month (Aug, Sep or Oct), so their cost splits by day.
            let (y, m, d) = [(2026, 8, 17), (2026, 9, 14), (2026, 10, 12)][(i / 25 % 3) as usize];
            let moved = date(y, m, d);
            let to = (u + 5) % UNITS.len();
            let (cc2, dept2, div2, _, _) = UNITS[to];
            mapping.push(MappingRow {
                effective_to: moved.pred_opt(),
                ..base_row.clone()
            });
            mapping.push(MappingRow {
                email: email.clone(),
                cost_center: cc2.to_string(),
                department: dept2.to_string(),
                division: div2.to_string(),
                manager: managers[to].clone(),
                effective_from: Some(moved),
                effective_to: None,
            });
        } else if demo && (i == 61 || i == 137) {
            // A leaver whose account kept spending a few days after HR closed their row.
            let end = date(2026, 9, 18);
            last_active = end.checked_add_days(chrono::Days::new(6));
            mapping.push(MappingRow {
                effective_to: Some(end),
                ..base_row
            });
        } else {
            mapping.push(base_row);
        }
        people.push(Person {
            id: i,
            email,
            usage_email,
            user_id: format!("user_{:016x}", Rng::new(&[seed, i, 99]).next_u64()),
            role,
            opus_share: if r.chance(200) {
                r.range(500, 900)
            } else {
                r.range(0, 250)
            },
            long_context: if r.chance(120) {
                r.range(250, 650)
            } else if r.chance(300) {
                r.range(10, 120)
            } else {
                0
            },
            volume: match role {
                Role::Engineer => r.range(400_000, 2_600_000),
                Role::Knowledge => r.range(20_000, 160_000),
            },
            last_active,
        });
    }
    for c in 0..contractors {
        let mut r = Rng::new(&[seed, 10_000 + c, 1]);
        let email = format!("contractor{}@partner.example", c + 1);
        people.push(Person {
            id: 10_000 + c,
            email: email.clone(),
            usage_email: email,
            user_id: format!("user_{:016x}", r.next_u64()),
            role: Role::Engineer,
            opus_share: r.range(100, 400),
            long_context: 0,
            volume: r.range(100_000, 400_000),
            last_active: None,
        });
    }
    if demo {
        for (email, cc) in IDLE_SEATS {
            let u = UNITS.iter().position(|x| x.0 == cc).unwrap_or(0);
            let (_, dept, div, _, _) = UNITS[u];
            mapping.push(MappingRow {
                email: email.to_string(),
                cost_center: cc.to_string(),
                department: dept.to_string(),
                division: div.to_string(),
                manager: managers[u].clone(),
                effective_from: None,
                effective_to: None,
            });
        }
    }
    let actor_mapping = if demo { demo_actor_rows() } else { Vec::new() };
    Org {
        seed,
        people,
        mapping,
        actor_mapping,
        events: Vec::new(),
    }
}

/// The demo's non-person rows: the evaluation key moves from Data to Platform mid-October,
/// the ETL service account is Data's, the Automation workspace (what nothing more specific
/// covers: the federated report builder) Platform's, and the support assistant's AWS role
/// (Claude on Amazon Bedrock) Support's. The sandbox key, the engineers' shared key and its
/// workspace, and the sandbox AWS account are left unmapped on purpose.
fn demo_actor_rows() -> Vec<ActorRow> {
    use crate::cloud::SUPPORT_ROLE;
    use crate::ids::{AUTOMATION, ETL_ACCOUNT, EVALS_KEY};
    let moved = date(2026, 10, 16);
    vec![
        ActorRow {
            column: "api_key_id",
            id: EVALS_KEY.0,
            cost_center: "CC-1040",
            effective_from: None,
            effective_to: moved.pred_opt(),
        },
        ActorRow {
            column: "api_key_id",
            id: EVALS_KEY.0,
            cost_center: "CC-1010",
            effective_from: Some(moved),
            effective_to: None,
        },
        ActorRow {
            column: "service_account_id",
            id: ETL_ACCOUNT.0,
            cost_center: "CC-1040",
            effective_from: None,
            effective_to: None,
        },
        ActorRow {
            column: "workspace_id",
            id: AUTOMATION.0,
            cost_center: "CC-1010",
            effective_from: None,
            effective_to: None,
        },
        ActorRow {
            column: "principal_id",
            id: SUPPORT_ROLE,
            cost_center: "CC-3030",
            effective_from: None,
            effective_to: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mappings/demo-org.csv` is this generator's output; `ALLOT_BLESS=1 cargo test` rewrites it.
    #[test]
    fn the_committed_demo_mapping_is_what_the_generator_builds() {
        // The package's folder as cargo gives it to this run (a test binary built in another
        // clone of the repository can be reused from a shared target folder).
        let dir = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let path = format!("{dir}/../../mappings/demo-org.csv");
        let built = demo_org().mapping_csv();
        if std::env::var_os("ALLOT_BLESS").is_some() {
            std::fs::write(&path, &built).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            committed, built,
            "run `ALLOT_BLESS=1 cargo test -p allot-synth` to update it"
        );
    }

    #[test]
    fn the_demo_has_movers_leavers_and_contractors() {
        let org = demo_org();
        let mapped: std::collections::HashSet<&str> =
            org.mapping.iter().map(|r| r.email.as_str()).collect();
        assert_eq!(mapped.len(), 203, "200 people and 3 seats nobody uses");
        assert_eq!(org.people.len(), 204);
        assert!(org.mapping.len() >= 206, "movers have two rows");
        assert!(org.people.iter().any(|p| p.last_active.is_some()));
        assert!(org.people.iter().any(|p| p.usage_email != p.email));
    }
}

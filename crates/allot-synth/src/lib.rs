//! Deterministic synthetic organisations and their Claude usage, for the demo, the tests, the
//! fake API and the benchmarks. The same seed, person and day always give the same facts, on
//! every machine and in every run, so demo output can be checked in and compared.

pub mod actors;
pub mod cloud;
pub mod ids;
pub mod org;
pub mod rng;
pub mod usage;

pub use actors::{actor_costs, Actor, ActorFact};
pub use org::{demo_org, demo_org_at, scale_org, ActorRow, Event, Org, Person, IDLE_SEATS};
pub use usage::{
    activity_for, costs_for, unattributed_costs, write_activity_csv, write_costs_csv, Intensity,
};

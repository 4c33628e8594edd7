//! End-to-end tests of the `allot` binary, one test binary for all (polars makes each binary
//! large, so they share one). Each module is named after what it guards.

mod adoption;
mod alerts;
mod architecture;
mod bad_input;
mod chargeback;
mod close;
mod crawl;
mod demo;
mod explain;
mod fake_api;
mod formats;
mod ledger;
mod mapping;
mod mcp;
mod one_meaning;
mod reconcile;
mod reviews;
mod serve;
mod settings;
mod support;
mod sync;
mod trend;
mod trust;
mod whole_bill;

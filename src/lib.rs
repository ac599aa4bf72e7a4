//! callsla: an SLA compliance engine for contact-centre outsourcing contracts.
//!
//! The pipeline is the architecture: [`ingest`] (profile + files → canonical rows and a
//! reconciliation), then metrics, contract, rules and report stages, each a module with one
//! public entry point and a typed output.

pub mod assessment;
pub mod billing;
pub mod cli;
pub mod config_error;
pub mod contract;
pub mod exit;
pub mod generate;
pub mod ingest;
pub mod ledger;
pub mod lookalike;
pub mod manifest;
pub mod metrics;
pub mod money;
pub mod pseudonym;
pub mod report;
pub mod rules;
pub mod run;
pub mod schema;
pub mod time;
pub mod util;

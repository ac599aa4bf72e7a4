//! callsla's integration tests, in one crate: one binary links Polars once (instead of one
//! binary per file), and every module shares the helpers in `common`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests fail loudly by design

mod common;

mod billing;
mod browser;
mod calendar;
mod catalogue;
mod cli_metrics;
mod columnar;
mod contract;
mod conventions;
mod disputes;
mod docs;
mod faults;
mod finance;
mod generated;
mod hostile;
mod ingest;
mod layers;
mod ledger;
mod metrics;
mod obligations;
mod outbound;
mod outbound_metrics;
mod privacy;
mod properties;
mod realdata;
mod rules;
mod run;
mod schema;
mod silent;
mod sql_engines;
mod workbook;
mod workforce;

//! Reports: render what the other stages computed, for people and for other programs.
//! Nothing here computes a figure; it only formats.

pub mod audit;
pub mod finance;
pub mod metrics;
pub mod statement;
pub mod summary;

//! Time and period arithmetic, below every stage: timestamps read exactly
//! ([`timestamp`]) and measurement periods in an IANA zone ([`period`]).

pub mod calendar;
pub mod period;
pub mod timestamp;

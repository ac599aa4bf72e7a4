//! The forecast: offered contacts expected per period, channel and queue, for volume relief.
//!
//! `period,channel,queue,forecast_offered` (docs/contract.md, "[volume_relief]"); `*` as the
//! channel or queue stands for all of them. The older `period,queue,forecast_offered` layout
//! reads as channel `*` (all channels), and every run that reads it says so among its
//! assumptions. Rows naming a channel or queue outside the contract's scope, a period that is
//! not one, or the same period, channel and queue twice are refused with their line.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::RulesError;
use crate::contract::Contract;
use crate::metrics::{period, ALL};

/// Forecast offered contacts for a period, channel and queue (`*` = all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forecast {
    pub period: String,
    pub channel: String,
    pub queue: String,
    pub offered: u64,
}

/// A forecast file as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastFile {
    pub rows: Vec<Forecast>,
    /// The file has no `channel` column (the older layout): every row is for all channels.
    pub without_channel: bool,
}

/// Reads a forecast CSV, checking every row against the contract's scope.
pub fn load_forecast(path: &Path, contract: &Contract) -> Result<ForecastFile, RulesError> {
    let shown = path.display().to_string();
    let err = |(line, message): (u64, String)| RulesError::Forecast { path: shown.clone(), line, message };
    let header =
        csv::Reader::from_path(path).and_then(|mut r| r.headers().cloned()).map_err(|e| err((1, e.to_string())))?;
    let without_channel = !header.iter().any(|h| h.trim() == "channel");
    let columns: &[&str] = if without_channel {
        &["period", "queue", "forecast_offered"]
    } else {
        &["period", "channel", "queue", "forecast_offered"]
    };
    let mut rows: Vec<Forecast> = Vec::new();
    for (line, f) in crate::util::read_named_csv(path, columns).map_err(err)? {
        let (period_label, channel, queue, offered) =
            if without_channel { (&f[0], "*", &f[1], &f[2]) } else { (&f[0], f[1].as_str(), &f[2], &f[3]) };
        if period::parse_label(contract.period, contract.zone, period_label).is_none() {
            return Err(err((
                line,
                format!(
                    "column period: \"{period_label}\" is not a contract period (e.g. 2026-08 for a monthly contract)"
                ),
            )));
        }
        if channel != "*" && !contract.channels.iter().any(|c| c == channel) {
            return Err(err((
                line,
                format!(
                    "column channel: \"{channel}\" is not a channel of the contract's scope ({}) nor *",
                    contract.channels.join(", ")
                ),
            )));
        }
        if queue != "*" && !contract.queues.iter().any(|q| q == queue) {
            return Err(err((
                line,
                format!(
                    "column queue: \"{queue}\" is not a queue of the contract's scope ({}) nor *{}",
                    contract.queues.join(", "),
                    crate::util::did_you_mean(queue, contract.queues.iter().map(String::as_str))
                ),
            )));
        }
        let offered: u64 = offered
            .parse()
            .map_err(|_| err((line, format!("column forecast_offered: \"{offered}\" is not a whole number"))))?;
        if rows.iter().any(|r| r.period == *period_label && r.channel == channel && r.queue == *queue) {
            return Err(err((
                line,
                format!("{period_label}, channel {channel}, queue {queue} is forecast twice; keep one row"),
            )));
        }
        rows.push(Forecast {
            period: period_label.clone(),
            channel: channel.to_string(),
            queue: queue.clone(),
            offered,
        });
    }
    Ok(ForecastFile { rows, without_channel })
}

/// The forecast for one channel key (a channel, or `*`) and queue (or [`ALL`]) in a period:
/// for one queue, its row; for all queues, the `*` row, or else the sum of the rows of every
/// one of the contract's `queues` (a forecast for some queues only covers none of "all").
/// `None` when no row covers it.
pub fn forecast_for(file: &ForecastFile, label: &str, channel: &str, queue: &str, queues: &[String]) -> Option<u64> {
    let rows: Vec<&Forecast> = file.rows.iter().filter(|f| f.period == label && f.channel == channel).collect();
    if queue == ALL {
        if let Some(all) = rows.iter().find(|f| f.queue == "*") {
            return Some(all.offered);
        }
        return queues.iter().map(|q| rows.iter().find(|f| f.queue == *q).map(|f| f.offered)).sum();
    }
    rows.iter().find(|f| f.queue == queue).map(|f| f.offered)
}

//! `run --contract C --emit-sql duckdb|spark`: the SQL that measures *this contract's* metrics
//! on a warehouse or a Spark cluster — the contacts in its scope (channels, queues, directions,
//! `[scope.outbound]`) outside its exclusion windows, on its calendars, by its measurement
//! period in its zone, with the offered volumes volume relief reads and every SLA's definition —
//! so the metrics of an assessment can run where the data lives (docs/scaling.md); with
//! `--sql-for outbound`, the metrics of its outbound attempts; with `--sql-for volumes`, the
//! billing volumes its rate cards price; and with `--sql-for scope` its scope accounting
//! (out-of-scope, excluded and judged contacts).

use super::{as_of_option, bind_csat_scale, measured_definitions, RunError, RunOptions};
use crate::contract::Contract;
use crate::ingest::{IngestError, Profile};
use crate::metrics::sql::{self, Dialect, Judged};

/// What `--emit-sql` prints (`--sql-for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SqlPart {
    /// The metrics the SLAs and volume relief read.
    #[default]
    Metrics,
    /// The billing volumes the rate cards price.
    Volumes,
    /// The scope accounting: out-of-scope and excluded contacts, judged contacts per period.
    Scope,
    /// The metrics of the outbound attempts (dialler, calling window, right-party rate, …).
    Outbound,
}

/// The SQL for the contract `opts.contract` in `dialect`; with `--input` (a canonical CSV or
/// Parquet file, no `--profile`) and DuckDB, a view `interactions` over it comes first.
pub fn emit_sql(opts: &RunOptions, dialect: Dialect, part: SqlPart) -> Result<String, RunError> {
    let mut contract = Contract::load(&opts.contract)?;
    // Read (and refused when wrong) whatever is printed.
    let profile = match &opts.profile {
        Some(p) => Profile::load(p).map_err(IngestError::from)?,
        None => Profile::canonical(),
    };
    let as_of = as_of_option(opts, &contract)?;
    bind_csat_scale(&mut contract, &profile)?;
    let contract = contract;
    let sha256 = super::read_hash(&opts.contract)?.sha256;
    // The rows' source as the scope accounting's `read` row names it (as `run` names its input).
    let source = opts.inputs.first().map_or_else(|| "interactions".to_string(), |p| p.display().to_string());
    let judged = Judged {
        channels: &contract.channels,
        queues: &contract.queues,
        directions: &contract.directions,
        outbound: contract.outbound_scope.as_ref(),
        exclusions: &contract.exclusions,
        sha256: &sha256,
        source: &source,
    };
    let outbound = contract.directions.iter().any(|d| d == "outbound");
    // The metrics' header comment comes before the view, as `metrics --emit-sql` prints it.
    let (header, body) = match part {
        SqlPart::Volumes => {
            let mut sets: Vec<Vec<crate::metrics::definition::Component>> = Vec::new();
            for p in contract.terms.iter().flat_map(|t| &t.pricing) {
                if !sets.contains(&p.billable) {
                    sets.push(p.billable.clone());
                }
            }
            sql::emit_volumes(dialect, &judged, &sets, contract.period, contract.zone, outbound)
                .map(|body| (String::new(), body))
        }
        SqlPart::Scope => {
            sql::emit_scope(dialect, &judged, contract.period, contract.zone, outbound).map(|body| (String::new(), body))
        }
        SqlPart::Outbound => sql::emit_outbound(
            dialect,
            &measured_definitions(&contract, |_| true),
            contract.period,
            contract.zone,
            as_of.map(|us| us.div_euclid(1000)),
            &judged,
        )
        .map(|body| (String::new(), body)),
        SqlPart::Metrics => {
            // Every definition the contract names: those the SQL does not compute (availability,
            // the outbound and side-table metrics) are listed as such in the header comment.
            let definitions = measured_definitions(&contract, |_| true);
            sql::emit(
                dialect,
                &definitions,
                &contract.calendars,
                contract.period,
                contract.zone,
                as_of.map(|us| us.div_euclid(1000)),
                Some(&judged),
            )
            .map(|body| {
                let header = format!(
                    "-- contract {}: the contacts in its scope and outside its {} exclusion window(s) (the `judged` relation),\n-- measured by {} in {}; definition 0 is the offered volume (volume relief), then one per channel, then the SLAs' metrics.\n",
                    contract.id,
                    contract.exclusions.len(),
                    if contract.period == crate::metrics::PeriodKind::Month { "month" } else { "quarter" },
                    contract.zone.name()
                );
                (header, body)
            })
        }
    }
    .ok_or_else(|| RunError::Internal("the contract's measurement period has no SQL label".into()))?;
    Ok(format!("{header}{}{body}", preamble(opts, dialect)?))
}

/// What comes before the query: the DuckDB view over `--input`, or how to register the
/// canonical rows when `--profile` reads an export.
fn preamble(opts: &RunOptions, dialect: Dialect) -> Result<String, RunError> {
    Ok(match (dialect, opts.inputs.first(), &opts.profile) {
        (Dialect::DuckDb, Some(p), None) => view(p)?,
        (_, Some(_), Some(q)) => format!(
            "-- The query reads canonical rows: register `callsla ingest --profile {} --out canonical.parquet` as `interactions`.\n",
            q.display()
        ),
        _ => String::new(),
    })
}

/// The DuckDB view `interactions` over a canonical file: Parquet as it is, CSV (gzip or not)
/// with the canonical types and its other columns as text, from its header line.
fn view(path: &std::path::Path) -> Result<String, RunError> {
    use std::io::BufRead;
    let shown = path.display().to_string();
    if shown.ends_with(".parquet") {
        return Ok(format!(
            "CREATE OR REPLACE VIEW interactions AS SELECT * FROM read_parquet('{}');\n",
            shown.replace('\'', "''")
        ));
    }
    let read_err = |source| RunError::Read { path: shown.clone(), source };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut reader: Box<dyn BufRead> = if shown.ends_with(".gz") {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let mut header = String::new();
    reader.read_line(&mut header).map_err(read_err)?;
    Ok(sql::duckdb_csv_view_with(&shown, header.trim_start_matches('\u{feff}')))
}

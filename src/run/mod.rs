//! The monthly run: logs + contract → finance files and an audit report, written atomically.
//!
//! Orchestrates the stages (ingest → scope and exclusions → metrics → rules → reports) for
//! `callsla run`, and re-derives a run for `callsla verify`. Outputs go to a temporary folder
//! beside the target and are renamed into place only when every file is written, so a failed
//! run leaves no partial output and never replaces a previous good one. A lock file keeps two
//! runs from writing the same folder at once. The one entry point is [`run`].
//!
//! One file on purpose (above 500 lines): the order of the stages of a run, read top to
//! bottom; what is judged and billed (scope, exclusions, volumes, coverage) is in
//! `metrics/scope.rs`, how outputs are written in `output.rs`.

mod counts;
mod emit;
mod error;
mod output;
pub mod verify;

use crate::metrics::scope::{
    apply_exclusions, billable_sets, clip_outages, coverage, coverage_cells, in_scope, volume_cells, volumes, Priced,
};
pub use emit::{emit_sql, SqlPart};
use error::fail_point;
pub use error::{RejectStop, RunError};
use output::{check_replaceable, run_dir_of, Lock};
pub(crate) use output::{default_rejects_path, write_outputs};

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use crate::assessment::{AssessmentFile, ContractSummary, DataSummary, ExclusionCount, PeriodCoverage, ScopeCount};
pub use crate::manifest::{engine, sha256_hex, FileHash, Manifest, RunOptions, OUTPUT_VERSION};

use crate::billing::{self, BillingError};
use crate::contract::{Contract, ContractError};
use crate::ingest::{self, IngestError, IngestOptions, Profile};
use crate::metrics::{self, period, Dim, MetricTable, MetricsError, MetricsRequest};
use crate::report;
use crate::rules::{self, Assessment, RulesError, RulesInput};

/// What the ledger contributes to a run: earlier periods' results and restatement adjustments.
/// Written to `ledger_input.json` so `verify` can re-derive the run without the ledger.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LedgerInput {
    pub history: Vec<rules::PeriodAssessment>,
    /// Every period the ledger records for the contract, with its state and sign-off (for the
    /// audit page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<crate::assessment::PeriodState>,
    /// The account so far: documents, payments, charged interest, pending restatements, and
    /// this run's restatement (for its note).
    pub receivables: crate::billing::Receivables,
}

/// Where the ledger is and what a run may do to it.
#[derive(Debug, Clone, Default)]
pub struct LedgerOptions {
    /// `None`: no ledger.
    pub path: Option<PathBuf>,
    /// Restate closed periods whose results change.
    pub restate: Option<crate::ledger::Restatement>,
}

/// Where a computation reads its inputs from, and what its manifest records about that.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// Relative input paths are read against this folder (empty: the current folder).
    pub base: PathBuf,
    /// The manifest's `run_dir`.
    pub run_dir: String,
}

impl Place {
    fn at(&self, p: &Path) -> PathBuf {
        self.base.join(p)
    }

    /// Size and SHA-256 of an input, recorded under the path as given.
    fn hash(&self, p: &Path) -> Result<FileHash, RunError> {
        let h = read_hash(&self.at(p))?;
        Ok(FileHash { path: p.display().to_string(), ..h })
    }
}

/// [`crate::manifest::hash_file`], an unreadable file being a run error naming it.
pub(crate) fn read_hash(path: &Path) -> Result<FileHash, RunError> {
    crate::manifest::hash_file(path).map_err(|source| RunError::Read { path: path.display().to_string(), source })
}

/// The outputs of a run, in memory: file name → bytes.
pub(crate) type Outputs = BTreeMap<String, Vec<u8>>;

/// Stops a run that lacks a side input the contract needs, unless the contract marks it
/// optional (`[inputs]`).
fn check_inputs(opts: &RunOptions, c: &Contract) -> Result<(), RunError> {
    use crate::contract::Need;
    if c.needs_outages() && opts.outages.is_none() && c.inputs.outages == Need::Required {
        return Err(RunError::MissingInput {
            what: "an outage log",
            why: "it has an availability SLA",
            option: "--outages",
            key: "outages",
        });
    }
    if c.needs_suppression() && opts.suppression.is_none() && c.inputs.suppression == Need::Required {
        return Err(RunError::MissingInput {
            what: "a suppression list",
            why: "it has a suppression_hits SLA",
            option: "--suppression",
            key: "suppression",
        });
    }
    if c.needs_side(metrics::definition::SideInput::Qa) && opts.qa.is_none() && c.inputs.qa == Need::Required {
        return Err(RunError::MissingInput {
            what: "quality evaluations",
            why: "it has a QA SLA",
            option: "--qa",
            key: "qa",
        });
    }
    if c.needs_side(metrics::definition::SideInput::AgentHours)
        && opts.agent_hours.is_none()
        && c.inputs.agent_hours == Need::Required
    {
        return Err(RunError::MissingInput {
            what: "agent hours",
            why: "it has an adherence, occupancy, shrinkage or hours SLA, or prices agent hours",
            option: "--agent-hours",
            key: "agent_hours",
        });
    }
    if c.needs_forecast() && opts.forecast.is_none() && c.inputs.forecast == Need::Required {
        return Err(RunError::MissingInput {
            what: "a forecast",
            why: "it grants [volume_relief]",
            option: "--forecast",
            key: "forecast",
        });
    }
    if c.needs_events() && opts.events.is_none() && c.inputs.events == Need::Required {
        return Err(RunError::MissingInput {
            what: "an events log (a header line alone when nothing happened)",
            why: "it has [[obligation]] entries",
            option: "--events",
            key: "events",
        });
    }
    if c.needs_payments() && opts.payments.is_none() && c.inputs.payments == Need::Required {
        return Err(RunError::MissingInput {
            what: "a payments file (a header line alone when nothing was paid yet)",
            why: "its [payment] terms charge late interest",
            option: "--payments",
            key: "payments",
        });
    }
    Ok(())
}

/// The periods to assess: those given, or those the contacts fall in. Quality evaluations and
/// agent hours (the side metrics, named in `side`) never make a period of their own: an
/// evaluation made after the last month of contacts is not a month to invoice.
fn period_starts(opts: &RunOptions, c: &Contract, table: &MetricTable, side: &[&str]) -> Result<Vec<i64>, RunError> {
    let parse = |label: &str| {
        period::parse_label(c.period, c.zone, label).ok_or_else(|| {
            let month = c.period == period::PeriodKind::Month;
            RunError::BadPeriod {
                label: label.to_string(),
                kind: if month { "month" } else { "quarter" },
                example: if month { "2026-10" } else { "2026-Q4" },
            }
        })
    };
    let contract_start = period::local_midnight(c.zone, c.effective_from);
    let contract_end =
        c.effective_to.map(|d| period::local_midnight(c.zone, d.succ_opt().unwrap_or(chrono::NaiveDate::MAX)));
    let mut starts: Vec<i64> = match (&opts.period, &opts.from, &opts.to) {
        (Some(p), None, None) => vec![parse(p)?],
        (None, Some(f), Some(t)) => {
            let (mut s, end) = (parse(f)?, parse(t)?);
            let mut v = Vec::new();
            while s <= end {
                v.push(s);
                s = period::period_end(c.period, c.zone, s);
            }
            v
        }
        (None, None, None) => {
            let mut v: Vec<i64> =
                table.rows.iter().filter(|r| !side.contains(&r.metric.as_str())).map(|r| r.period_start).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        _ => return Err(RunError::PeriodOptions),
    };
    starts.retain(|s| *s >= contract_start && contract_end.is_none_or(|e| *s < e));
    if starts.is_empty() {
        return Err(RunError::NoPeriod);
    }
    Ok(starts)
}

/// How many periods at the start and at the end of the data are *stray*: with some contacts,
/// but fewer than 1 % of the median period's (a row dated a year ahead would otherwise make a
/// whole invoice of fees and minimum charges). Never every period; periods without contacts are
/// left to the empty-period rule.
fn stray_edges(coverage: &[metrics::scope::PeriodCoverage]) -> (usize, usize) {
    if coverage.len() < 2 {
        return (0, 0);
    }
    let mut counts: Vec<u64> = coverage.iter().map(|c| c.contacts).collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let stray = |c: &metrics::scope::PeriodCoverage| c.contacts > 0 && c.contacts.saturating_mul(100) < median;
    let lead = coverage.iter().take_while(|c| stray(c)).count();
    if lead == coverage.len() {
        return (0, 0);
    }
    let trail = coverage[lead..].iter().rev().take_while(|c| stray(c)).count();
    (lead, trail)
}

/// Everything a run computes, before anything is written.
pub struct Computed {
    pub file: AssessmentFile,
    pub metrics: MetricTable,
    pub rejects: Vec<ingest::Reject>,
    pub manifest: Manifest,
    pub contract: Contract,
}

/// Binds the contract's CSAT definitions to the scale the profile declares for the data; the
/// assumption lines for a scale the profile leaves to the documented default.
fn bind_csat_scale(contract: &mut Contract, profile: &Profile) -> Result<Vec<String>, RunError> {
    let (csat_scale, scale_origin) = profile.csat_scale();
    let mut assumptions = Vec::new();
    for t in &mut contract.terms {
        for s in &mut t.slas {
            metrics::definition::bind_csat_scale(&mut s.metric, csat_scale, &scale_origin)
                .map_err(MetricsError::from)?;
            if matches!(s.metric, metrics::MetricDef::Csat(_)) && !profile.source.csat_scale_declared {
                let line = format!(
                    "CSAT scale: {}..{}, the documented default (the profile \"{}\" states no csat_scale)",
                    csat_scale[0], csat_scale[1], profile.name
                );
                if !assumptions.contains(&line) {
                    assumptions.push(line);
                }
            }
        }
    }
    Ok(assumptions)
}

/// The definitions a run measures: the billing volumes, then each SLA's metric that `keep`
/// accepts, each once.
fn measured_definitions(contract: &Contract, keep: impl Fn(&metrics::MetricDef) -> bool) -> Vec<metrics::MetricDef> {
    let mut definitions: Vec<metrics::MetricDef> = rules::volume_defs(contract);
    for s in contract.terms.iter().flat_map(|t| &t.slas).filter(|s| keep(&s.metric)) {
        if !definitions.iter().any(|d| d.definition() == s.metric.definition() && d.name() == s.metric.name()) {
            definitions.push(s.metric.clone());
        }
    }
    definitions
}

/// `--as-of` as an instant (µs), read in the contract's zone when it has no offset.
fn as_of_option(opts: &RunOptions, contract: &Contract) -> Result<Option<i64>, RunError> {
    let Some(s) = &opts.as_of else { return Ok(None) };
    crate::time::timestamp::rfc3339(s, Some((contract.zone, crate::time::timestamp::DstAmbiguous::Earliest)))
        .map(Some)
        .map_err(|_| RunError::BadAsOf(s.clone()))
}

/// Gives the ledger's contribution for (contract id, first period start, first period label).
pub(crate) type LedgerSource<'a> = dyn FnMut(&str, i64, &str) -> Result<LedgerInput, RunError> + 'a;

/// Runs every stage and renders the outputs in memory.
pub fn compute(
    opts: &RunOptions,
    place: &Place,
    ledger: &mut LedgerSource<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Computed, Outputs), RunError> {
    progress("reading the contract and profile");
    let mut contract = Contract::load(&place.at(&opts.contract))?;
    let profile = match &opts.profile {
        Some(p) => Profile::load(&place.at(p)).map_err(IngestError::from)?,
        None => Profile::canonical(),
    };
    check_inputs(opts, &contract)?;
    let (csat_scale, scale_origin) = profile.csat_scale();
    let mut assumptions = bind_csat_scale(&mut contract, &profile)?;
    // A counts run (`--counts`) reads no interaction log.
    let files = match opts.counts.is_empty() {
        true => ingest::expand_inputs(&opts.inputs.iter().map(|p| place.at(p)).collect::<Vec<_>>())?,
        false => Vec::new(),
    };
    // Each file as the run names it: relative to the folder it started in.
    let shown: Vec<String> =
        files.iter().map(|f| f.strip_prefix(&place.base).unwrap_or(f).display().to_string()).collect();
    let hash_opt = |p: &Option<PathBuf>| p.as_deref().map(|p| place.hash(p)).transpose();
    let mut manifest = Manifest {
        output_version: OUTPUT_VERSION,
        engine: engine(),
        contract: place.hash(&opts.contract)?,
        profile: hash_opt(&opts.profile)?,
        inputs: Vec::new(),
        counts: opts.counts.iter().map(|p| place.hash(p)).collect::<Result<_, _>>()?,
        forecast: hash_opt(&opts.forecast)?,
        outages: hash_opt(&opts.outages)?,
        suppression: hash_opt(&opts.suppression)?,
        qa: hash_opt(&opts.qa)?,
        qa_profile: hash_opt(&opts.qa_profile)?,
        agent_hours: hash_opt(&opts.agent_hours)?,
        agent_hours_profile: hash_opt(&opts.agent_hours_profile)?,
        payments: hash_opt(&opts.payments)?,
        events: hash_opt(&opts.events)?,
        events_profile: hash_opt(&opts.events_profile)?,
        options: opts.clone(),
        run_dir: place.run_dir.clone(),
        outputs: BTreeMap::new(),
        pseudonym_key: Some(crate::pseudonym::current().record()),
    };

    // The counts of the contract's emitted SQL, run where the data is (`--counts`): what they
    // count stands in for the contacts below.
    let counts = match opts.counts.is_empty() {
        true => None,
        false => {
            progress("reading the counts");
            Some(counts::read(&opts.counts, &place.base, &contract, &manifest.contract.sha256)?)
        }
    };

    progress("ingesting the interaction logs");
    // An unreadable input is reported as the manifest's hashing would report it, first.
    for f in &files {
        let read_err = |source| RunError::Read { path: f.display().to_string(), source };
        std::fs::File::open(f).and_then(|mut h| h.read(&mut [0u8; 1])).map_err(read_err)?;
    }
    // Thresholds are checked here, so a stop on rejected rows carries them to be written.
    let lenient = IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: true };
    let mut ingested = match &counts {
        None => ingest::ingest(&profile, &files, &lenient)?,
        // The rows the SQL read, as its `read` rows count them (the warehouse's own load
        // accounts for rows it refused).
        Some(c) => ingest::Ingested {
            accepted: DataFrame::empty(),
            rejects: Vec::new(),
            reconciliation: ingest::Reconciliation::of(c.files.clone()),
            input_hashes: Vec::new(),
        },
    };
    if !place.base.as_os_str().is_empty() {
        for (f, name) in files.iter().zip(&shown) {
            let read_as = f.display().to_string();
            for r in ingested.rejects.iter_mut().filter(|r| r.file == read_as) {
                r.file = name.clone();
            }
            for r in ingested.reconciliation.files.iter_mut().filter(|r| r.path == read_as) {
                r.path = name.clone();
            }
        }
    }
    // Quality evaluations and agent hours: read as the logs are, into one accounting.
    let mut side = |path: &Option<PathBuf>, profile: &Option<PathBuf>, schema| -> Result<_, RunError> {
        let Some(p) = path else { return Ok(None) };
        let profile = profile.as_ref().map(|q| place.at(q));
        Ok(Some(ingest::side::load_into(
            &place.at(p),
            &p.display().to_string(),
            schema,
            profile.as_deref(),
            &mut ingested,
        )?))
    };
    let qa = side(&opts.qa, &opts.qa_profile, ingest::side::QA)?;
    let agent_hours = side(&opts.agent_hours, &opts.agent_hours_profile, ingest::side::AGENT_HOURS)?;
    // A per-queue SLA on a side table needs the table's queue column (or it could only read
    // "no data").
    for t in &contract.terms {
        for s in t.slas.iter().filter(|s| s.queue.is_some()) {
            let table = match s.metric.side_table() {
                Some(metrics::definition::SideInput::Qa) => qa.as_deref(),
                Some(metrics::definition::SideInput::AgentHours) => agent_hours.as_deref(),
                None => None,
            };
            if let Some(table) = table.filter(|t| !t.has("queue")) {
                return Err(RunError::from(MetricsError::Input {
                    metric: s.metric.name().to_string(),
                    message: format!(
                        "SLA {} is for queue {}, but {} has no queue column; export it, or make the SLA for all queues",
                        s.id,
                        s.queue.as_deref().unwrap_or_default(),
                        table.reconciliation.path
                    ),
                }));
            }
        }
    }
    let thresholds = IngestOptions { max_reject_rate: opts.max_reject_rate, strict: opts.strict, hash_inputs: true };
    if let Err(error) = ingest::check_thresholds(&ingested.reconciliation, &ingested.rejects, &thresholds, None) {
        return Err(RunError::RejectLimit(Box::new(RejectStop {
            error,
            rejects: ingested.rejects,
            raw: opts.raw_rejects,
        })));
    }
    // Plain CSV inputs were hashed as they were read (each byte read once); others are hashed now.
    manifest.inputs = files
        .iter()
        .zip(&shown)
        .zip(&ingested.input_hashes)
        .map(|((f, name), h)| match h {
            Some((size, sha256)) => Ok(FileHash { path: name.clone(), size: *size, sha256: sha256.clone() }),
            None => read_hash(f).map(|h| FileHash { path: name.clone(), ..h }),
        })
        .collect::<Result<_, _>>()?;
    // Scope and exclusions are masks over the ingested rows: nothing is copied. What is judged
    // and billed is summed per period (coverage) and per period, channel, direction and
    // campaign (volumes), or read so summed from the counts.
    let rows = &ingested.accepted;
    let sets = billable_sets(contract.terms.iter().flat_map(|t| &t.pricing).map(|p| p.billable.as_slice()));
    let (judged, out_of_scope, exclusions, judged_cells, volume_cells) = match &counts {
        None => {
            progress("applying the scope and the exclusion windows");
            let (scoped, out_of_scope) = in_scope(
                rows,
                &contract.channels,
                &contract.queues,
                &contract.directions,
                contract.outbound_scope.as_ref(),
            )?;
            // Exclusions remove contacts from measurement, not from billing: volumes use `scoped`.
            let (judged, exclusions) = apply_exclusions(rows, &scoped, &contract.exclusions)?;
            progress("summing the judged and billed contacts");
            let cells = coverage_cells(rows, &judged, contract.period, contract.zone)?;
            let billed = volume_cells(rows, &scoped, contract.period, contract.zone, &sets)?;
            (Some(judged), out_of_scope, exclusions, cells, billed)
        }
        Some(c) => (None, c.out_of_scope.clone(), c.exclusions.clone(), c.coverage.clone(), c.volumes.clone()),
    };
    // Outbound contacts: out of scope unless `[scope] directions` names them, and priced only
    // by an outbound rate card — never at an inbound rate (both stated in the assumptions).
    let outbound_out: u64 = out_of_scope.iter().filter(|o| o.direction == "outbound").map(|o| o.contacts).sum();
    if contract.directions_defaulted && outbound_out > 0 {
        assumptions.push(format!(
            "scope: inbound contacts only, the documented default ([scope] has no directions): {outbound_out} outbound contact(s) are out of scope, not judged and not billed"
        ));
    }
    if contract.directions.iter().any(|d| d == "outbound") {
        for ch in &contract.channels {
            let cards: Vec<&crate::contract::Pricing> = contract
                .terms
                .iter()
                .flat_map(|t| &t.pricing)
                .filter(|p| p.channel == *ch && p.direction == "outbound")
                .collect();
            if cards.is_empty() {
                let n = metrics::scope::scoped_count(&volume_cells, ch, "outbound", &[]);
                if n > 0 {
                    assumptions.push(format!(
                        "not priced: {n} outbound {ch} contact(s) in scope — no [[pricing]] for channel \"{ch}\" with direction = \"outbound\" (inbound rates never apply to them)"
                    ));
                }
            } else if cards.iter().all(|p| p.campaign.is_some()) {
                // Campaign cards only: attempts of other campaigns (or none) have no card.
                let mut named: Vec<String> = cards.iter().filter_map(|p| p.campaign.clone()).collect();
                named.sort();
                named.dedup();
                let n = metrics::scope::scoped_count(&volume_cells, ch, "outbound", &named);
                if n > 0 {
                    assumptions.push(format!(
                        "not priced: {n} outbound {ch} attempt(s) in scope of campaigns without a rate card — the outbound {ch} cards price campaigns {} only; add a card for the campaign, or one without campaign for the rest",
                        named.join(", ")
                    ));
                }
            }
        }
    }

    progress("measuring");
    // Without an outage log, availability is not measured at all (not reported as 100 %);
    // nor suppression hits without a suppression list (never reported as none).
    let definitions = measured_definitions(&contract, |m| match m {
        metrics::MetricDef::Availability(_) => opts.outages.is_some(),
        metrics::MetricDef::SuppressionHits(_) => opts.suppression.is_some(),
        m if m.side_table() == Some(metrics::definition::SideInput::Qa) => opts.qa.is_some(),
        m if m.side_table() == Some(metrics::definition::SideInput::AgentHours) => opts.agent_hours.is_some(),
        _ => true,
    });
    let outages = match &opts.outages {
        Some(p) => clip_outages(
            metrics::availability::load_outages(&place.at(p), contract.zone).map_err(MetricsError::from)?,
            &contract.exclusions,
        ),
        None => Vec::new(),
    };
    let as_of = as_of_option(opts, &contract)?;
    if as_of.is_none() {
        assumptions.push(
            "as of: the latest arrival in the judged data (--as-of not given); contacts whose FCR window or response deadline ends later are left out as provisional".to_string(),
        );
    }
    let req = MetricsRequest {
        period: contract.period,
        zone: contract.zone,
        by: vec![Dim::Queue],
        definitions,
        as_of,
        outages,
        csat_scale: (csat_scale, scale_origin),
        calendars: contract.calendars.clone(),
        suppression: opts
            .suppression
            .as_ref()
            .map(|p| metrics::outbound::load_suppression(&place.at(p)))
            .transpose()?,
        qa,
        agent_hours,
        // Nothing before the contract's start is measured under it.
        since: Some(metrics::period::local_midnight(contract.zone, contract.effective_from)),
    };
    let table = match (&counts, &judged) {
        (Some(c), _) => {
            // As `compute` takes it: the latest arrival judged, unless --as-of says.
            let as_of = req.as_of.unwrap_or_else(|| judged_cells.iter().map(|c| c.last).max().unwrap_or(0));
            if let Some(measured) = c.as_of().filter(|m| *m != as_of) {
                return Err(RunError::Counts(format!(
                    "the metrics counts were measured as of {}, this run is as of {}; emit the SQL with the run's --as-of (or neither with one)",
                    period::rfc3339(contract.zone, measured),
                    period::rfc3339(contract.zone, as_of)
                )));
            }
            let emitted = measured_definitions(&contract, |_| true);
            metrics::counts::from_counts(&req, &c.metric_rows(&req.definitions, &emitted)?, as_of)?
        }
        (None, judged) => metrics::compute_subset(rows, judged.as_ref(), &req)?,
    };

    progress("judging against the contract");
    let side: Vec<&str> = req.definitions.iter().filter(|d| d.side_table().is_some()).map(|d| d.name()).collect();
    let mut periods = period_starts(opts, &contract, &table, &side)?;
    let (mut period_coverage, empty) = coverage(&judged_cells, contract.period, contract.zone, &periods);
    if opts.period.is_none() && opts.from.is_none() {
        let (lead, trail) = stray_edges(&period_coverage);
        if lead + trail > 0 {
            let stray: Vec<&metrics::scope::PeriodCoverage> =
                period_coverage[..lead].iter().chain(&period_coverage[period_coverage.len() - trail..]).collect();
            let contacts: u64 = stray.iter().map(|c| c.contacts).sum();
            let listed: Vec<String> = stray
                .iter()
                .map(|c| format!("{} ({} contact(s), {} to {})", c.period, c.contacts, c.first_arrival, c.last_arrival))
                .collect();
            let kept = &period_coverage[lead..period_coverage.len() - trail];
            let range = format!(
                "{}..{}",
                kept.first().map_or("", |c| c.period.as_str()),
                kept.last().map_or("", |c| c.period.as_str())
            );
            if contacts > opts.max_stray_rows {
                return Err(RunError::StrayPeriods { periods: listed.join(", "), contacts, range });
            }
            assumptions.push(format!(
                "stray periods left out: {} — fewer than 1% of a typical period's contacts, outside the periods assessed ({range}); not invoiced (--max-stray-rows {})",
                listed.join(", "),
                opts.max_stray_rows
            ));
            periods = periods[lead..periods.len() - trail].to_vec();
            period_coverage = kept.to_vec();
        }
    }
    if let Some(e) = empty.filter(|_| !opts.allow_empty_period) {
        return Err(RunError::EmptyPeriod { period: e.period, found: e.found });
    }
    let forecast = opts.forecast.as_deref().map(|p| rules::load_forecast(&place.at(p), &contract)).transpose()?;
    let payments_file = opts.payments.as_deref().map(|p| billing::load_payments(&place.at(p))).transpose()?;
    if let (Some(p), Some(file)) = (opts.payments.as_deref(), &payments_file) {
        if !file.has_ids {
            assumptions.push(format!(
                "payments file {} has no payment_id column: each payment is known by paid_date/invoice_id/amount, so a corrected amount in a later file counts as another payment (add a payment_id column to correct payments)",
                p.display()
            ));
        }
    }
    let payments = payments_file.map(|f| f.records);
    if contract.needs_payments() && payments.is_none() {
        assumptions.push(
            "no payments file (--payments), which [inputs] marks optional: no payment is known, so late-payment interest is not computed"
                .to_string(),
        );
    }
    let first = periods.first().copied().unwrap_or(0);
    let ledger_input = ledger(&contract.id, first, &period::label(contract.period, contract.zone, first))?;
    let event_profile =
        opts.events_profile.as_deref().map(|p| rules::event_profile::EventProfile::load(&place.at(p))).transpose()?;
    let events = opts
        .events
        .as_deref()
        .map(|p| rules::obligation::load_events(&place.at(p), event_profile.as_ref()))
        .transpose()?;
    if contract.needs_events() && events.is_none() {
        assumptions
            .push("no events log (--events), which [inputs] marks optional: obligations are not measured".to_string());
    }
    let cards = priced(&contract, &periods);
    let mut billed = volumes(&volume_cells, &sets, &cards);
    if contract.prices_hours() {
        match &req.agent_hours {
            Some(table) => {
                let unpriced = metrics::workforce::add_hours(&mut billed, &cards, table, contract.period, contract.zone)?;
                for (start, channel, ms) in unpriced.into_iter().filter(|(s, ..)| periods.contains(s)) {
                    assumptions.push(format!(
                        "not priced: {} agent hours of channel {channel} in {} — no [[pricing]] of the channel prices hours",
                        crate::money::ratio(Decimal::from(ms), Decimal::from(3_600_000), 4).unwrap_or_default(),
                        period::label(contract.period, contract.zone, start)
                    ));
                }
            }
            None => assumptions.push(
                "no agent hours (--agent-hours), which [inputs] marks optional: hours priced per_logged_in_hour or per_productive_hour are not billed".to_string(),
            ),
        }
    }
    let input = RulesInput {
        events,
        contract: &contract,
        metrics: &table,
        periods: periods.clone(),
        volumes: billed,
        forecast,
        history: ledger_input.history.clone(),
        outages_given: opts.outages.is_some(),
        suppression_given: opts.suppression.is_some(),
        qa_given: opts.qa.is_some(),
        agent_hours_given: opts.agent_hours.is_some(),
        assumptions,
    };
    let assessment = rules::assess(&input)?;

    progress("billing");
    // Without a payments file (optional in the contract) no payment is known, and interest
    // would run on every balance: none is fixed.
    let statement_date = if contract.needs_payments() && payments.is_none() { None } else { opts.statement_date };
    let billing = billing::bill(&billing::BillingInput {
        contract: &contract,
        periods: &assessment.periods,
        receivables: &ledger_input.receivables,
        payments: payments.as_deref(),
        statement_date,
    })?;

    let reject_reasons = ingested.reconciliation.rejected_by_reason.clone();
    let file = AssessmentFile {
        output_version: OUTPUT_VERSION,
        engine: engine(),
        contract: ContractSummary {
            id: contract.id.clone(),
            name: contract.name.clone(),
            client: contract.client.clone(),
            provider: contract.provider.clone(),
            currency: contract.currency.clone(),
            time_zone: contract.zone.name().to_string(),
            measurement_period: if contract.period == period::PeriodKind::Month { "month" } else { "quarter" }
                .to_string(),
            rounding: format!("{} minor units, {}", contract.rounding.minor_units, contract.rounding.strategy.as_str()),
        },
        data: DataSummary {
            reconciliation: ingested.reconciliation.clone(),
            reject_reasons,
            out_of_scope,
            exclusions,
            judged_contacts: judged_cells.iter().map(|c| c.contacts).sum(),
            coverage: period_coverage,
            as_of: period::rfc3339(contract.zone, table.as_of),
        },
        assessment,
        billing,
    };

    progress("writing the reports");
    // Only the assessed periods' metrics go to metrics.csv.
    let mut judged_table = table.clone();
    judged_table.rows.retain(|r| periods.contains(&r.period_start));
    let mut outputs: Outputs = BTreeMap::new();
    let render = |f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| -> Result<Vec<u8>, RunError> {
        let mut buf = Vec::new();
        f(&mut buf).map_err(|e| RunError::Internal(e.to_string()))?;
        Ok(buf)
    };
    let mut json = serde_json::to_vec_pretty(&file).map_err(|e| RunError::Internal(e.to_string()))?;
    json.push(b'\n');
    outputs.insert("assessment.json".into(), json);
    // `--excel-csv`: each CSV starts with the UTF-8 byte order mark, by which Excel knows the
    // encoding (without it, non-ASCII text is shown in the local code page).
    let csv = |f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| -> Result<Vec<u8>, RunError> {
        let mut buf = if opts.excel_csv { crate::util::UTF8_BOM.to_vec() } else { Vec::new() };
        buf.extend(render(f)?);
        Ok(buf)
    };
    outputs.insert("sla_results.csv".into(), csv(&|w| report::finance::write_sla_results(&file, w))?);
    outputs.insert("invoice.csv".into(), csv(&|w| report::finance::write_invoice(&file, w))?);
    outputs.insert("metrics.csv".into(), csv(&|w| report::metrics::write_csv(&judged_table, w))?);
    outputs.insert("rejects.csv".into(), csv(&|w| ingest::write_rejects_csv(&ingested.rejects, opts.raw_rejects, w))?);
    outputs.insert(
        "invoice.xlsx".into(),
        report::workbook::render(&file).map_err(|e| RunError::Internal(format!("invoice.xlsx: {e}")))?,
    );
    outputs.insert(
        "audit.html".into(),
        report::audit::render(
            &file,
            &manifest,
            &crate::assessment::LedgerView { history: &ledger_input.history, periods: &ledger_input.periods },
        )
        .into_bytes(),
    );
    if ledger_input != LedgerInput::default() {
        let mut li = serde_json::to_vec_pretty(&ledger_input).map_err(|e| RunError::Internal(e.to_string()))?;
        li.push(b'\n');
        outputs.insert("ledger_input.json".into(), li);
    }
    for (name, bytes) in &outputs {
        manifest.outputs.insert(name.clone(), sha256_hex(bytes));
    }
    let mut m = serde_json::to_vec_pretty(&manifest).map_err(|e| RunError::Internal(e.to_string()))?;
    m.push(b'\n');
    outputs.insert("manifest.json".into(), m);
    Ok((Computed { file, metrics: judged_table, rejects: ingested.rejects, manifest, contract }, outputs))
}

/// What `--force` must never replace: every file the run reads, the ledger, the rejects file
/// and the working folder.
fn protected_paths(opts: &RunOptions, ledger: &LedgerOptions, rejects: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = vec![opts.contract.clone()];
    out.extend(opts.inputs.iter().cloned());
    out.extend(opts.counts.iter().cloned());
    for p in [
        &opts.profile,
        &opts.forecast,
        &opts.outages,
        &opts.suppression,
        &opts.payments,
        &opts.events,
        &opts.events_profile,
    ] {
        out.extend(p.iter().cloned());
    }
    out.extend(ledger.path.iter().cloned());
    out.extend(rejects.map(Path::to_path_buf));
    out.push(PathBuf::from("."));
    out
}

/// `callsla run`: computes everything (reading earlier periods from the ledger), refuses to
/// change a closed period without a restatement, writes the output folder atomically, and only
/// then records the periods in the ledger in the one transaction held since the start.
///
/// When too many rows are rejected the run stops (exit 3) and writes every rejected row to
/// `rejects` (default: `OUT.rejects.csv` beside the output folder), which the message names.
pub fn run(
    opts: &RunOptions,
    ledger_opts: &LedgerOptions,
    out: &Path,
    force: bool,
    rejects: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<RunOutcome, RunError> {
    if out.exists() && !force {
        return Err(RunError::OutputExists(out.display().to_string()));
    }
    let protected = protected_paths(opts, ledger_opts, rejects);
    check_replaceable(out, &protected)?;
    let _lock = Lock::take(out)?;
    let ledger = match &ledger_opts.path {
        Some(p) => Some(crate::ledger::Ledger::open(p)?),
        None => None,
    };
    let mut source = |contract: &str, first: i64, label: &str| -> Result<LedgerInput, RunError> {
        match &ledger {
            Some(l) => Ok(LedgerInput {
                history: l.history_before(contract, first)?,
                periods: l
                    .periods(Some(contract))?
                    .into_iter()
                    .map(|p| crate::assessment::PeriodState {
                        period: p.period,
                        state: p.state,
                        closed_by: p.closed_by,
                        closed_at: p.closed_at,
                    })
                    .collect(),
                receivables: crate::billing::Receivables {
                    restatement: ledger_opts
                        .restate
                        .as_ref()
                        .map(|r| crate::billing::NoteRequest { reason: r.reason.clone(), at: r.at.clone() }),
                    ..l.receivables(contract, label)?
                },
            }),
            None => Ok(LedgerInput::default()),
        }
    };
    let place = Place { base: PathBuf::new(), run_dir: run_dir_of(out) };
    let (computed, outputs) = match compute(opts, &place, &mut source, progress) {
        Ok(done) => done,
        Err(RunError::RejectLimit(stop)) => {
            let RejectStop { error, rejects: rows, raw } = *stop;
            let path = rejects.map_or_else(|| default_rejects_path(out), Path::to_path_buf);
            let bom: &[u8] = if opts.excel_csv { crate::util::UTF8_BOM } else { &[] };
            crate::util::write_atomic(&path, |w| {
                w.write_all(bom)?;
                ingest::write_rejects_csv(&rows, raw, w)
            })
            .map_err(|source| RunError::Write { path: path.display().to_string(), source })?;
            let error = match error {
                IngestError::TooManyRejects { rejected, read, rate, max, mut detail } => {
                    detail.file = Some(path.display().to_string());
                    IngestError::TooManyRejects { rejected, read, rate, max, detail }
                }
                IngestError::StrictRejects { rejected, mut detail } => {
                    detail.file = Some(path.display().to_string());
                    IngestError::StrictRejects { rejected, detail }
                }
                other => other,
            };
            return Err(RunError::Ingest(error));
        }
        Err(e) => return Err(e),
    };
    if let Some(l) = &ledger {
        l.plan(&computed.contract.id, &computed.file.assessment.periods, ledger_opts.restate.as_ref())?;
    }
    // Checked again under the lock: the folder may have changed while the run computed.
    check_replaceable(out, &protected)?;
    let swept = write_outputs(out, &outputs, force)?;
    fail_point("outputs")?;
    let changes = match ledger {
        Some(l) => {
            let manifest =
                String::from_utf8_lossy(outputs.get("manifest.json").map_or(&[][..], |v| v.as_slice())).into_owned();
            l.commit(
                &computed.contract.id,
                &computed.file.assessment.periods,
                &computed.file.assessment.termination_events,
                Some((&computed.file.billing.terms, &computed.file.billing)),
                &manifest,
                ledger_opts.restate.as_ref(),
            )?
        }
        None => crate::ledger::Committed::default(),
    };
    Ok(RunOutcome { computed, outputs, ledger: changes, swept })
}

/// What `run` returns.
pub struct RunOutcome {
    pub computed: Computed,
    pub outputs: Outputs,
    /// What the run did to each period in the ledger, and the later periods it made stale
    /// (empty without a ledger).
    pub ledger: crate::ledger::Committed,
    /// Partial outputs of killed runs removed beside the output folder.
    pub swept: Vec<String>,
}

/// True when a critical SLA was missed in an assessed period.
pub(crate) fn breached(a: &Assessment) -> bool {
    a.periods.iter().any(|p| p.slas.iter().any(|s| s.kind == crate::contract::SlaKind::Critical && s.status.is_miss()))
        || a.periods.iter().any(|p| p.obligations.iter().any(|o| o.material_breach))
}

/// Each assessed period's priced channels and what they bill, from the terms in force.
fn priced(c: &Contract, periods: &[i64]) -> Vec<Priced> {
    periods
        .iter()
        .flat_map(|&start| {
            let all = &c.terms_for(crate::contract::period_date(c, start)).pricing;
            all.iter().map(move |p| Priced {
                period_start: start,
                channel: p.channel.clone(),
                direction: p.direction.clone(),
                campaign: p.campaign.clone(),
                claimed: all
                    .iter()
                    .filter(|o| o.channel == p.channel && o.direction == p.direction)
                    .filter_map(|o| o.campaign.clone())
                    .collect(),
                billable: p.billable.clone(),
                logged_in_hours: p.per_logged_in_hour.is_some(),
                productive_hours: p.per_productive_hour.is_some(),
            })
        })
        .collect()
}

//! What each subcommand does, as library functions the binary and the tests both call.
//! Each returns what to print and the exit code, or a [`CliError`] that knows its exit code.
//!
//! One file on purpose (above 500 lines): what each data command prints and exits with;
//! the ledger's commands are in `ledger.rs`.

use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::contract::{Contract, ContractError, SlaKind};
use crate::generate::{self, GenerateError, GenerateOptions};
use crate::ingest::{self, IngestError, IngestOptions, Profile};
use crate::metrics::{self, definition::MetricsFile, Dim, MetricsError, MetricsRequest, PeriodKind};
use crate::report;
use crate::util::write_atomic;

mod dispute;
pub mod examples;
mod ledger;
mod manual;
mod progress;

pub use crate::exit::Exit;
pub use dispute::{dispute, DisputeAction};
pub use ledger::{close, history, ledger_export, ledger_rebuild, report, statement};
pub use manual::{completions, man};

/// Any error a subcommand can end with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error(transparent)]
    Run(#[from] crate::run::RunError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no ledger at {0}; run `callsla run` first or pass --ledger")]
    NoLedger(String),
    #[error("the ledger {ledger} has no account for contract {contract}")]
    NoAccount { ledger: String, contract: String },
    #[error("cannot write the {what}: {message}")]
    Render { what: &'static str, message: String },
    #[error("{option} \"{value}\" is not {expected}")]
    BadValue { option: &'static str, value: String, expected: &'static str },
    #[error("name the time zone periods are measured in with --tz (e.g. --tz America/New_York)")]
    NoTimeZone,
    #[error("--emit-sql covers the calendar periods: quarter, month, week, day")]
    EmitSqlPeriod,
    #[error("--format parquet needs --out FILE")]
    ParquetNeedsOut,
    #[error("cannot read {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path} is not a callsla assessment: {message}")]
    NotAnAssessment { path: String, message: String },
    #[error("no SLA \"{sla}\" in period \"{period}\" in {dir}")]
    NoSuchSla { sla: String, period: String, dir: String },
    #[error(transparent)]
    Dispute(#[from] crate::billing::dispute::DisputeError),
}

impl CliError {
    /// The exit code: wrapped errors answer for themselves.
    pub fn exit_code(&self) -> Exit {
        match self {
            CliError::Ingest(e) => e.exit_code(),
            CliError::Run(e) => e.exit_code(),
            CliError::Generate(_)
            | CliError::Metrics(_)
            | CliError::Contract(_)
            | CliError::Write { .. }
            | CliError::NoLedger(_)
            | CliError::NoAccount { .. }
            | CliError::Render { .. }
            | CliError::BadValue { .. }
            | CliError::NoTimeZone
            | CliError::EmitSqlPeriod
            | CliError::ParquetNeedsOut
            | CliError::Unreadable { .. }
            | CliError::NotAnAssessment { .. }
            | CliError::NoSuchSla { .. }
            | CliError::Dispute(_) => Exit::BadInput,
        }
    }
}

/// What a successful subcommand prints, and its exit code.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The result (a table, a summary, JSON).
    pub stdout: String,
    /// Warnings and differences, always printed on standard error.
    pub stderr: String,
    /// What was done ("wrote …", "read … rows"), on standard error unless `-q`.
    pub info: String,
    pub code: Exit,
}

impl Outcome {
    /// A result on standard output, exit 0.
    pub fn ok(stdout: String) -> Outcome {
        Outcome { stdout, stderr: String::new(), info: String::new(), code: Exit::Success }
    }

    /// Nothing on standard output, a line of what was done, exit 0.
    pub fn info(info: String) -> Outcome {
        Outcome { info, ..Outcome::ok(String::new()) }
    }
}

fn write_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Write { path: path.display().to_string(), source }
}

/// The options of `callsla ingest` (the command line's one definition).
#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// Ingest profile (TOML); without it the canonical schema is expected.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Input files (CSV, gzip CSV or Parquet); globs like 'logs/*.csv' are expanded; `-` reads a
    /// CSV (or gzip CSV) from standard input.
    #[arg(long = "input", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Write rejected rows here (CSV).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Write the accepted canonical rows here (Parquet).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Stop (exit 3) when more than this share of rows is rejected: a fraction (0.005) or a
    /// percentage (0.5%).
    #[arg(long, default_value = "0.5%", value_parser = crate::util::parse_rate)]
    pub max_reject_rate: Decimal,
    /// Stop (exit 3) on any rejected row.
    #[arg(long)]
    pub strict: bool,
    /// Write customer and agent ids into the rejects file as they are (default: pseudonyms).
    #[arg(long)]
    pub raw_rejects: bool,
    /// Write customer and agent ids into --out as they are (default: long keyed pseudonyms,
    /// cust-… and agent-…, the same for the same id under one key).
    #[arg(long, requires = "out")]
    pub raw_ids: bool,
}

/// `callsla ingest`: reconciliation on stdout; rejects and canonical rows to files on request.
/// The rejects file is written even when the reject threshold fails the run, so the user can
/// see why.
pub fn ingest(args: &IngestArgs) -> Result<Outcome, CliError> {
    let profile = match &args.profile {
        Some(p) => Profile::load(p).map_err(IngestError::from)?,
        None => Profile::canonical(),
    };
    // Thresholds are applied here, after the rejects file is written.
    let lenient = IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: false };
    // The spinner is cleared when it goes out of scope, before anything is printed.
    let spinner = progress::Progress::steps();
    spinner.step("reading the interaction logs");
    let result = ingest::ingest(&profile, &args.inputs, &lenient)?;
    if let Some(path) = &args.rejects {
        write_atomic(path, |w| ingest::write_rejects_csv(&result.rejects, args.raw_rejects, w))
            .map_err(write_err(path))?;
    }
    let verdict = ingest::check_thresholds(
        &result.reconciliation,
        &result.rejects,
        &IngestOptions { max_reject_rate: args.max_reject_rate, strict: args.strict, hash_inputs: false },
        args.rejects.as_deref(),
    );
    if let Some(path) = &args.out {
        // Enums and categoricals in memory, text in the file (the canonical format).
        let internal = |e: polars::prelude::PolarsError| IngestError::Internal(e.to_string());
        let mut out = ingest::with_text_columns(&result.accepted).map_err(internal)?;
        if !args.raw_ids {
            out = ingest::with_pseudonymous_ids(&out).map_err(internal)?;
        }
        write_atomic(path, |w| {
            polars::prelude::ParquetWriter::new(w)
                .finish(&mut out)
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .map_err(write_err(path))?;
    }
    verdict?;
    Ok(Outcome::ok(result.reconciliation.render_text()))
}

/// The options of `callsla generate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// How many contacts to write (spread over the months).
    #[arg(long)]
    pub rows: u64,
    /// How many calendar months, from --start.
    #[arg(long, default_value_t = 1)]
    pub months: u32,
    /// The random seed: the same seed writes the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First month (YYYY-MM).
    #[arg(long, default_value = "2026-10")]
    pub start: String,
    /// IANA time zone the contact centre runs in.
    #[arg(long, default_value = "America/New_York")]
    pub tz: String,
    /// Append this many bad rows of each reject kind.
    #[arg(long, default_value_t = 0)]
    pub bad_rows: u64,
    /// Make the first N months understaffed (waits four times longer), so SLAs fail there.
    #[arg(long, default_value_t = 0)]
    pub slow_months: u32,
    /// Add this many outbound dial attempts (campaign, disposition, called party's zone,
    /// number hash columns; 0 = none, and the file keeps the inbound columns only).
    #[arg(long, default_value_t = 0)]
    pub outbound_rows: u64,
    /// The file to write (canonical CSV), atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write quality evaluations of 3 % of the answered voice, chat and email contacts
    /// (the `--qa` columns) to this file.
    #[arg(long, value_name = "FILE")]
    pub qa_out: Option<PathBuf>,
    /// Also write agent hours (one interval per agent, day and channel worked; the
    /// `--agent-hours` columns) to this file.
    #[arg(long, value_name = "FILE")]
    pub agent_hours_out: Option<PathBuf>,
}

/// `callsla generate`: a synthetic canonical CSV.
pub fn generate(args: &GenerateArgs) -> Result<Outcome, CliError> {
    let start = generate::parse_month(&args.start).ok_or_else(|| CliError::BadValue {
        option: "--start",
        value: args.start.clone(),
        expected: "a month like 2026-10",
    })?;
    let zone = args.tz.parse().map_err(|_| CliError::BadValue {
        option: "--tz",
        value: args.tz.clone(),
        expected: "an IANA time zone such as America/New_York",
    })?;
    let opts = GenerateOptions {
        rows: args.rows,
        months: args.months,
        seed: args.seed,
        start,
        zone,
        bad_rows_per_kind: args.bad_rows,
        slow_months: args.slow_months,
        outbound_rows: args.outbound_rows,
    };
    let mut counts = (0, 0);
    let bar = progress::Progress::rows(args.rows, "generating");
    let mut side = generate::SideTables::new(opts.seed, zone, args.qa_out.is_some(), args.agent_hours_out.is_some());
    write_atomic(&args.out, |w| {
        counts = generate::generate_with_side(&opts, w, &mut side, &mut |done| bar.set(done))?;
        Ok(())
    })
    .map_err(|source| GenerateError::Io { path: args.out.display().to_string(), source })?;
    let mut said =
        format!("wrote {}: {} rows, {} of them bad on purpose\n", args.out.display(), counts.0 + counts.1, counts.1);
    let tables: [(&Option<PathBuf>, &str); 2] =
        [(&args.qa_out, "quality evaluations"), (&args.agent_hours_out, "agent-hour intervals")];
    for (i, (path, what)) in tables.into_iter().enumerate() {
        let Some(path) = path else { continue };
        let mut n = 0;
        write_atomic(path, |w| {
            n = if i == 0 { side.write_qa(w)? } else { side.write_agent_hours(w)? };
            Ok(())
        })
        .map_err(|source| GenerateError::Io { path: path.display().to_string(), source })?;
        said += &format!("wrote {}: {n} {what}\n", path.display());
    }
    Ok(Outcome::info(said))
}

/// Reads a date or instant given on the command line (`--at`): RFC 3339 or YYYY-MM-DD,
/// returned as given.
pub fn parse_when(s: &str) -> Result<String, String> {
    let ok =
        chrono::DateTime::parse_from_rfc3339(s).is_ok() || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("\"{s}\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp such as 2026-11-05T09:00:00Z"))
    }
}

/// Output formats of `callsla history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    Table,
    Csv,
    Json,
}

/// Output formats of `callsla statement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatementFormat {
    Table,
    Csv,
    Json,
    /// A workbook (one sheet per contract), written to --out.
    Xlsx,
}

/// Output formats of `callsla metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

/// The options of `callsla metrics`.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// Ingest profile (TOML); without it the canonical schema is expected.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Input files (CSV, gzip CSV or Parquet); globs like 'logs/*.csv' are expanded; `-` reads a
    /// CSV (or gzip CSV) from standard input.
    #[arg(long = "input", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// The period length the figures are measured over.
    #[arg(long, value_enum, default_value = "month")]
    pub period: PeriodKind,
    /// Grouping dimensions, comma-separated; roll-ups are added. `--by` with no value: the
    /// totals only.
    #[arg(long, value_enum, value_delimiter = ',', num_args = 0.., default_value = "channel,queue")]
    pub by: Vec<Dim>,
    /// IANA time zone the periods are measured in (default: the profile's time zone).
    #[arg(long)]
    pub tz: Option<String>,
    /// The output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: MetricsFormat,
    /// Write the table here instead of standard output (atomically; needed for parquet).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Metric definitions (TOML, [[metric]] tables); default: the standard catalogue.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// The data is complete up to this instant (RFC 3339); default: the latest arrival.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Outage log (CSV: start,end,scope,reason) for availability.
    #[arg(long)]
    pub outages: Option<PathBuf>,
    /// Suppression list (CSV with a number_hash column of keyed hashes) for suppression_hits.
    #[arg(long)]
    pub suppression: Option<PathBuf>,
    /// Quality evaluations (CSV, docs/schema.md) for the QA metrics.
    #[arg(long)]
    pub qa: Option<PathBuf>,
    /// Profile (TOML) for --qa: the export's own column names and formats.
    #[arg(long, requires = "qa")]
    pub qa_profile: Option<PathBuf>,
    /// Agent hours (CSV, docs/schema.md) for the workforce metrics.
    #[arg(long)]
    pub agent_hours: Option<PathBuf>,
    /// Profile (TOML) for --agent-hours: the export's own column names and formats.
    #[arg(long, requires = "agent_hours")]
    pub agent_hours_profile: Option<PathBuf>,
    /// Stop (exit 3) when more than this share of rows is rejected: a fraction (0.005) or a
    /// percentage (0.5%).
    #[arg(long, default_value = "0.5%", value_parser = crate::util::parse_rate)]
    pub max_reject_rate: Decimal,
    /// Stop (exit 3) on any rejected row.
    #[arg(long)]
    pub strict: bool,
    /// Print the SQL that computes the same metrics in this dialect, instead of computing them.
    #[arg(long, value_enum)]
    pub emit_sql: Option<metrics::sql::Dialect>,
    /// Print timings, memory and the Polars query plans on stderr (for understanding a slow run).
    #[arg(long)]
    pub explain: bool,
    /// Write rejected rows here (CSV).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Write customer and agent ids into the rejects file as they are (default: pseudonyms).
    #[arg(long)]
    pub raw_rejects: bool,
}

/// Reads a metrics definition file (`[[metric]]` tables).
pub(crate) fn load_metric_defs(
    path: &std::path::Path,
) -> Result<(Vec<metrics::MetricDef>, Vec<metrics::CalendarSpec>), MetricsError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| MetricsError::File { path: shown.clone(), message: e.to_string() })?;
    let file: MetricsFile = toml::from_str(&text).map_err(|e| MetricsError::File {
        path: format!("{shown}:{}", e.span().map_or(1, |s| crate::util::line_of(&text, s.start))),
        message: crate::util::suggest_in_message(e.message().trim_end()),
    })?;
    Ok((file.metric, file.calendar))
}

/// `callsla metrics`: ingest, then the metric table in the chosen format.
pub fn metrics(args: &MetricsArgs) -> Result<Outcome, CliError> {
    if args.explain {
        // Read by the metrics stage: print each Polars plan before running it.
        crate::util::set_explaining();
    }
    let profile = match &args.profile {
        Some(p) => Profile::load(p).map_err(IngestError::from)?,
        None => Profile::canonical(),
    };
    let period = args.period;
    let zone = match (&args.tz, profile.source.zone) {
        (Some(z), _) => z.parse().map_err(|_| CliError::BadValue {
            option: "--tz",
            value: z.clone(),
            expected: "an IANA time zone such as America/New_York",
        })?,
        (None, Some(z)) => z,
        (None, None) => return Err(CliError::NoTimeZone),
    };
    let as_of = match &args.as_of {
        Some(s) => Some(
            crate::time::timestamp::rfc3339(s, Some((zone, crate::time::timestamp::DstAmbiguous::Earliest))).map_err(
                |_| CliError::BadValue { option: "--as-of", value: s.clone(), expected: "an RFC 3339 timestamp" },
            )?,
        ),
        None => None,
    };
    let (definitions, calendar_specs) = match &args.metrics {
        Some(p) => load_metric_defs(p)?,
        None => (metrics::definition::default_catalogue(), Vec::new()),
    };
    let calendars = calendar_specs
        .iter()
        .map(|c| metrics::Calendar::from_spec(c, zone))
        .collect::<Result<Vec<_>, _>>()
        .map_err(MetricsError::from)?;
    let outages = match &args.outages {
        Some(p) => metrics::availability::load_outages(p, zone).map_err(MetricsError::from)?,
        None => Vec::new(),
    };
    let definitions = definitions
        .into_iter()
        .map(|mut d| {
            let (scale, origin) = profile.csat_scale();
            metrics::definition::bind_csat_scale(&mut d, scale, &origin).map(|()| d)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(MetricsError::from)?;
    let known: Vec<&str> = calendars.iter().map(|c| c.id.as_str()).collect();
    for d in &definitions {
        d.check_calendar(&known).map_err(MetricsError::from)?;
    }
    if let Some(d) = args.emit_sql {
        let sql = metrics::sql::emit(d, &definitions, &calendars, period, zone, as_of.map(|us| us / 1000), None)
            .ok_or(CliError::EmitSqlPeriod)?;
        let view = match (d, args.inputs.first()) {
            (metrics::sql::Dialect::DuckDb, Some(p)) => metrics::sql::duckdb_csv_view(&p.display().to_string()),
            _ => String::new(),
        };
        return Ok(Outcome::ok(format!("{view}{sql}")));
    }
    let explain = crate::util::explaining();
    let started = std::time::Instant::now();
    // Thresholds are applied after the rejects file is written, so a stop can point at it.
    let lenient = IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: false };
    let spinner = progress::Progress::steps();
    spinner.step("reading the interaction logs");
    let mut ingested = ingest::ingest(&profile, &args.inputs, &lenient)?;
    let mut side = |path: &Option<PathBuf>, prof: &Option<PathBuf>, schema| -> Result<_, CliError> {
        let Some(p) = path else { return Ok(None) };
        Ok(Some(ingest::side::load_into(p, &p.display().to_string(), schema, prof.as_deref(), &mut ingested)?))
    };
    let qa = side(&args.qa, &args.qa_profile, ingest::side::QA)?;
    let agent_hours = side(&args.agent_hours, &args.agent_hours_profile, ingest::side::AGENT_HOURS)?;
    if let Some(path) = &args.rejects {
        write_atomic(path, |w| ingest::write_rejects_csv(&ingested.rejects, args.raw_rejects, w))
            .map_err(write_err(path))?;
    }
    ingest::check_thresholds(
        &ingested.reconciliation,
        &ingested.rejects,
        &IngestOptions { max_reject_rate: args.max_reject_rate, strict: args.strict, hash_inputs: false },
        args.rejects.as_deref(),
    )?;
    let ingest_s = started.elapsed().as_secs_f64();
    if explain {
        eprintln!("-- time: ingest done at {ingest_s:.3} s{}", crate::util::memory_note());
    }
    let req = MetricsRequest {
        period,
        zone,
        by: args.by.clone(),
        definitions,
        as_of,
        outages,
        csat_scale: profile.csat_scale(),
        calendars,
        suppression: args.suppression.as_deref().map(metrics::outbound::load_suppression).transpose()?,
        qa,
        agent_hours,
        since: None,
    };
    spinner.step("measuring");
    let table = metrics::compute(&ingested.accepted, &req)?;
    drop(spinner);
    if explain {
        // `--explain`: where the time went, for understanding a slow run.
        eprintln!(
            "-- time: ingest {ingest_s:.3} s ({} rows accepted, frame {} MiB), metrics {:.3} s",
            ingested.reconciliation.accepted,
            crate::util::frame_bytes(&ingested.accepted) >> 20,
            started.elapsed().as_secs_f64() - ingest_s
        );
        eprintln!("-- memory at the end{}", crate::util::memory_note());
    }
    let render = |w: &mut dyn std::io::Write| match args.format {
        MetricsFormat::Table => report::metrics::write_table(&table, w),
        MetricsFormat::Csv => report::metrics::write_csv(&table, w),
        MetricsFormat::Json => report::metrics::write_json(&table, w),
        MetricsFormat::Parquet => report::metrics::write_parquet(&table, w),
    };
    let info = format!(
        "read {} rows: {} accepted, {} rejected, {} excluded\n",
        ingested.reconciliation.read,
        ingested.reconciliation.accepted,
        ingested.reconciliation.rejected,
        ingested.reconciliation.excluded
    );
    match &args.out {
        Some(path) => {
            write_atomic(path, render).map_err(write_err(path))?;
            Ok(Outcome::info(info))
        }
        None if args.format == MetricsFormat::Parquet => Err(CliError::ParquetNeedsOut),
        None => {
            let mut buf = Vec::new();
            render(&mut buf).map_err(|source| CliError::Write { path: "stdout".to_string(), source })?;
            Ok(Outcome { info, ..Outcome::ok(String::from_utf8_lossy(&buf).into_owned()) })
        }
    }
}

/// `callsla check`: validates a contract (and a profile) without data.
pub fn check(contract: &std::path::Path, profile: Option<&std::path::Path>) -> Result<Outcome, CliError> {
    // `-`: the contract comes on standard input (named `<stdin>` in messages).
    let c = if contract.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
            crate::contract::ContractError::Io { file: "contract", path: "<stdin>".to_string(), source }
        })?;
        Contract::parse(&text, "<stdin>")?
    } else {
        Contract::load(contract)?
    };
    let mut out = String::new();
    let latest = c.terms.last().unwrap_or(&c.terms[0]);
    let critical = latest.slas.iter().filter(|s| s.kind == SlaKind::Critical).count();
    let plural = |n: usize, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
    out += &format!(
        "contract {} is valid: {} ({} critical, {} key), {}, {}{}\n",
        c.id,
        plural(latest.slas.len(), "SLA"),
        critical,
        latest.slas.len() - critical,
        plural(c.terms.len() - 1, "amendment"),
        plural(c.exclusions.len(), "exclusion"),
        if c.calendars.is_empty() { String::new() } else { format!(", {}", plural(c.calendars.len(), "calendar")) }
    );
    for t in &c.terms {
        out += &format!(
            "  terms {} from {}: {}\n",
            t.version,
            t.from,
            t.slas.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(p) = profile {
        let prof = Profile::load(p).map_err(IngestError::from)?;
        out += &format!(
            "profile {} is valid: {} fields mapped, {} exclusion rules\n",
            prof.name,
            prof.fields.len(),
            prof.exclusions.len()
        );
    }
    // Valid but probably not meant: look-alike names (the exit stays 0; they are warnings).
    let stderr: String = c.lookalike_warnings().iter().map(|w| format!("warning: {w}\n")).collect();
    Ok(Outcome { stderr, ..Outcome::ok(out) })
}

/// The ledger every command reads or writes, found by one rule (docs/ledger.md, "Where the
/// ledger is"): `--ledger FILE`, else the `CALLSLA_LEDGER` environment variable, else
/// `callsla.db` in the working folder. `run` with `--no-ledger` uses none.
#[derive(Debug, Clone, clap::Args)]
pub struct LedgerArg {
    /// The ledger (SQLite) [default: the CALLSLA_LEDGER environment variable, else callsla.db
    /// in the working folder; the same rule for every command].
    #[arg(
        long,
        value_name = "FILE",
        env = "CALLSLA_LEDGER",
        default_value = "callsla.db",
        hide_default_value = true,
        hide_env = true
    )]
    pub ledger: PathBuf,
}

/// `callsla run`: the main job.
pub fn run(
    opts: &crate::run::RunOptions,
    ledger: &crate::run::LedgerOptions,
    out: &std::path::Path,
    force: bool,
    fail_on_breach: bool,
    rejects: Option<&std::path::Path>,
) -> Result<Outcome, CliError> {
    // A run records every input's SHA-256 for `verify`, which could not read standard input
    // again.
    if opts.inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(CliError::BadValue {
            option: "--input",
            value: "-".to_string(),
            expected:
                "accepted by run (verify re-reads every input the manifest names; save standard input to a file first)",
        });
    }
    // `-v` (or CALLSLA_EXPLAIN): each step with its start time; on a terminal otherwise, a
    // spinner naming the step.
    let timed = crate::util::explaining();
    let started = std::time::Instant::now();
    let spinner = progress::Progress::steps();
    let mut progress = |step: &str| {
        if timed {
            eprintln!("-- time: {step} from {:.3} s", started.elapsed().as_secs_f64());
        }
        spinner.step(step);
    };
    let outcome = crate::run::run(opts, ledger, out, force, rejects, &mut progress)?;
    let mut stdout = report::summary::run_summary(&outcome.computed.file, &out.display().to_string());
    if let Some(path) = &ledger.path {
        let changes: Vec<String> = outcome
            .ledger
            .changes
            .iter()
            .map(|(p, c)| match c {
                crate::ledger::Change::Added => format!("{p} added"),
                crate::ledger::Change::Unchanged => format!("{p} unchanged"),
                crate::ledger::Change::Replaced { old_net_due, new_net_due } => {
                    format!("{p} replaced (open; net due {old_net_due} → {new_net_due})")
                }
                crate::ledger::Change::Restated { id, difference } => {
                    let settled = outcome
                        .computed
                        .file
                        .billing
                        .documents
                        .iter()
                        .find(|d| d.period == *p && !d.references.is_empty())
                        .map_or_else(
                            || "on the next invoice".to_string(),
                            |n| format!("on {} {}", n.kind.as_str().replace('_', " "), n.id),
                        );
                    format!("{p} restated (#{id}, {difference:+} {settled})")
                }
                crate::ledger::Change::InvoiceReplaced { old_total, new_total } => {
                    format!("{p} invoice re-issued (open; total {old_total} → {new_total})")
                }
            })
            .collect();
        stdout += &format!("ledger {}: {}\n", path.display(), changes.join("; "));
        for (p, why) in &outcome.ledger.stale {
            stdout += &format!(
                "ledger: {p} is stale ({why}): its escalation, earn-back and termination counts did not see it; re-run {p}\n"
            );
        }
    }
    for name in &outcome.swept {
        stdout += &format!("removed {name}: the partial output of a run that was killed\n");
    }
    let breach = crate::run::breached(&outcome.computed.file.assessment);
    Ok(Outcome { code: if breach && fail_on_breach { Exit::Breach } else { Exit::Success }, ..Outcome::ok(stdout) })
}

/// `callsla verify`: exit 4 naming each file that differs.
pub fn verify(dir: &std::path::Path, inputs: Option<&std::path::Path>) -> Result<Outcome, CliError> {
    let diffs = crate::run::verify::verify(dir, inputs)?;
    if diffs.is_empty() {
        return Ok(Outcome::ok(format!(
            "verified {}: every input and output matches the manifest and re-derives identically\n",
            dir.display()
        )));
    }
    let stderr: String = diffs.iter().map(|d| format!("{}: {}\n", d.file, d.what)).collect();
    Ok(Outcome { stderr, code: Exit::VerifyDiffers, ..Outcome::ok(String::new()) })
}

pub(crate) fn load_assessment(dir: &std::path::Path) -> Result<crate::run::AssessmentFile, CliError> {
    let p = if dir.is_dir() { dir.join("assessment.json") } else { dir.to_path_buf() };
    let text = std::fs::read_to_string(&p)
        .map_err(|e| CliError::Unreadable { path: p.display().to_string(), message: e.to_string() })?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::NotAnAssessment { path: p.display().to_string(), message: e.to_string() })
}

/// `callsla diff A B`.
pub fn diff(a: &std::path::Path, b: &std::path::Path) -> Result<Outcome, CliError> {
    let (text, changed) = report::summary::diff(&load_assessment(a)?, &load_assessment(b)?);
    // As diff(1): 0 when the assessments agree, 1 when they differ.
    Ok(Outcome { code: if changed { Exit::DIFFERENT } else { Exit::Success }, ..Outcome::ok(text) })
}

/// `callsla run --contract C --emit-sql D`: the contract's SQL on standard output.
pub fn run_emit_sql(
    opts: &crate::run::RunOptions,
    dialect: metrics::sql::Dialect,
    part: crate::run::SqlPart,
) -> Result<Outcome, CliError> {
    Ok(Outcome::ok(crate::run::emit_sql(opts, dialect, part)?))
}

/// `callsla explain`.
pub fn explain(dir: &std::path::Path, sla: &str, period: &str) -> Result<Outcome, CliError> {
    let f = load_assessment(dir)?;
    report::summary::explain(&f, sla, period).map(Outcome::ok).ok_or_else(|| CliError::NoSuchSla {
        sla: sla.to_string(),
        period: period.to_string(),
        dir: dir.display().to_string(),
    })
}

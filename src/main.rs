//! The `callsla` command: parses arguments, calls one library function per subcommand and maps
//! the result to a documented exit code (README.md, "Exit codes").

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rust_decimal::Decimal;

use callsla::cli;

#[derive(Parser)]
#[command(name = "callsla", version, about = "SLA compliance engine for contact-centre outsourcing contracts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: logs + contract → assessment, finance files and an audit report in DIR.
    Run {
        #[command(flatten)]
        opts: callsla::run::RunOptions,
        /// Output folder (written atomically).
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing output folder.
        #[arg(long)]
        force: bool,
        /// Exit 1 when a critical SLA was missed.
        #[arg(long)]
        fail_on_breach: bool,
        /// The ledger (SQLite); default: callsla.db beside the contract.
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// Do not read or write a ledger.
        #[arg(long, conflicts_with = "ledger")]
        no_ledger: bool,
        /// Where to write the rejected rows when the run stops on them (default: OUT.rejects.csv
        /// beside the output folder; a finished run has them in OUT/rejects.csv).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Restate closed periods whose results change (needs --reason).
        #[arg(long, requires = "reason")]
        restate: bool,
        /// Why the closed period is restated.
        #[arg(long, requires = "restate")]
        reason: Option<String>,
        /// Who restates (recorded in the ledger; needed with --restate).
        #[arg(long, requires = "restate")]
        by: Option<String>,
        /// When, as RFC 3339 or YYYY-MM-DD (recorded as given; callsla does not read the clock;
        /// needed with --restate).
        #[arg(long, requires = "restate", value_parser = cli::parse_when)]
        at: Option<String>,
    },
    /// Sign a period off in the ledger: later runs may change it only by restatement.
    Close {
        #[arg(long)]
        contract: PathBuf,
        #[arg(long)]
        period: String,
        #[arg(long)]
        ledger: Option<PathBuf>,
        #[arg(long)]
        by: String,
        /// When it was closed, as RFC 3339 or YYYY-MM-DD (recorded as given; callsla does not
        /// read the clock).
        #[arg(long, value_parser = cli::parse_when)]
        at: String,
        /// Close a period whose results are provisional (FCR windows or response deadlines
        /// still open at its as-of instant); recorded in the ledger.
        #[arg(long)]
        accept_provisional: bool,
    },
    /// Periods in the ledger with state, credits, net due, restatements and termination events.
    History {
        #[arg(long, default_value = "callsla.db")]
        ledger: PathBuf,
        /// Only this contract id.
        #[arg(long)]
        contract: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: cli::HistoryFormat,
    },
    /// The statement of account from the ledger: documents, notes and payments with the running
    /// balance, open items and their ageing.
    Statement {
        /// The ledger (SQLite).
        #[arg(long, default_value = "callsla.db")]
        ledger: PathBuf,
        /// Only this contract id (default: every contract in the ledger).
        #[arg(long)]
        contract: Option<String>,
        /// The statement date (YYYY-MM-DD): documents issued and payments received by then.
        #[arg(long)]
        as_of: chrono::NaiveDate,
        #[arg(long, value_enum, default_value = "table")]
        format: cli::HistoryFormat,
        /// Write the statement here instead of standard output (atomically).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the ledger to JSON, or rebuild a ledger from run output folders.
    Ledger {
        #[command(subcommand)]
        action: LedgerAction,
    },
    /// Re-derive a run from the inputs in its manifest and check every hash (exit 4 on a difference).
    Verify {
        dir: PathBuf,
        /// The folder the run was started in, against which the manifest's relative input paths
        /// are read (default: the folder the manifest records, relative to DIR).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// Compare two assessments: per SLA and period, what changed in status and money.
    Diff { a: PathBuf, b: PathBuf },
    /// Explain in plain words how one SLA's credit in one period came about.
    Explain {
        /// An output folder (or its assessment.json).
        #[arg(long)]
        assessment: PathBuf,
        #[arg(long)]
        sla: String,
        #[arg(long)]
        period: String,
    },
    /// Read interaction logs through a profile and print the row reconciliation.
    Ingest {
        /// Ingest profile (TOML); without it the canonical schema is expected.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Input files (CSV, gzip CSV or Parquet); globs like 'logs/*.csv' are expanded.
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        /// Write rejected rows here (CSV).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Write the accepted canonical rows here (Parquet).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fail (exit 3) when more than this share of rows is rejected: a fraction (0.005) or a percentage (0.5%).
        #[arg(long, default_value = "0.5%", value_parser = callsla::util::parse_rate)]
        max_reject_rate: Decimal,
        /// Fail (exit 3) on any rejected row.
        #[arg(long)]
        strict: bool,
        /// Write customer and agent ids into the rejects file as they are (default: pseudonyms).
        #[arg(long)]
        raw_rejects: bool,
    },
    /// Compute the metric table: one row per period, group and metric, with numerator and denominator.
    Metrics {
        /// Ingest profile (TOML); without it the canonical schema is expected.
        #[arg(long)]
        profile: Option<PathBuf>,
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        /// The period length the figures are measured over.
        #[arg(long, value_enum, default_value = "month")]
        period: callsla::metrics::PeriodKind,
        /// Grouping dimensions, comma-separated; roll-ups are added. `--by` with no value: the
        /// totals only.
        #[arg(long, value_enum, value_delimiter = ',', num_args = 0.., default_value = "channel,queue")]
        by: Vec<callsla::metrics::Dim>,
        /// IANA time zone the periods are measured in (default: the profile's time zone).
        #[arg(long)]
        tz: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: cli::MetricsFormat,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Metric definitions (TOML, [[metric]] tables); default: the standard catalogue.
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// The data is complete up to this instant (RFC 3339); default: the latest arrival.
        #[arg(long)]
        as_of: Option<String>,
        /// Outage log (CSV: start,end,scope,reason) for availability.
        #[arg(long)]
        outages: Option<PathBuf>,
        #[arg(long, default_value = "0.5%", value_parser = callsla::util::parse_rate)]
        max_reject_rate: Decimal,
        #[arg(long)]
        strict: bool,
        /// Print the SQL that computes the same metrics in this dialect, instead of computing them.
        #[arg(long, value_enum)]
        emit_sql: Option<callsla::metrics::sql::Dialect>,
        /// Print the Polars query plans on stderr (for understanding a slow run).
        #[arg(long)]
        explain: bool,
        /// Write rejected rows here (CSV).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Write customer and agent ids into the rejects file as they are (default: pseudonyms).
        #[arg(long)]
        raw_rejects: bool,
    },
    /// Validate a contract (and optionally a profile) without data.
    Check {
        #[arg(long)]
        contract: PathBuf,
        #[arg(long)]
        profile: Option<PathBuf>,
    },
    /// Write a realistic synthetic interaction log (canonical CSV).
    Generate {
        #[arg(long)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        months: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First month (YYYY-MM).
        #[arg(long, default_value = "2026-10")]
        start: String,
        /// IANA time zone the contact centre runs in.
        #[arg(long, default_value = "America/New_York")]
        tz: String,
        /// Append this many bad rows of each reject kind.
        #[arg(long, default_value_t = 0)]
        bad_rows: u64,
        /// Make the first N months understaffed (waits four times longer), so SLAs fail there.
        #[arg(long, default_value_t = 0)]
        slow_months: u32,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LedgerAction {
    /// Write every period, restatement and termination event as JSON.
    Export {
        #[arg(long, default_value = "callsla.db")]
        ledger: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Build a new ledger from output folders (their assessment.json and manifest.json), in order.
    Rebuild {
        #[arg(long)]
        ledger: PathBuf,
        #[arg(long, required = true, num_args = 1..)]
        from: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    callsla::util::install_panic_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { opts, out, force, fail_on_breach, ledger, no_ledger, rejects, restate, reason, by, at } => {
            let restate = match (restate, by, at) {
                (false, _, _) => None,
                (true, Some(by), Some(at)) => {
                    Some(callsla::ledger::Restatement { reason: reason.unwrap_or_default(), by, at })
                }
                (true, _, _) => {
                    eprintln!("error: --restate records who restated and when: give --by NAME and --at DATE too");
                    return ExitCode::from(cli::Exit::BadInput as u8);
                }
            };
            let ledger = callsla::run::LedgerOptions {
                path: cli::ledger_path(&opts.contract, ledger.as_deref(), no_ledger),
                restate,
            };
            cli::run(&opts, &ledger, &out, force, fail_on_breach, rejects.as_deref())
        }
        Command::Close { contract, period, ledger, by, at, accept_provisional } => {
            match callsla::contract::Contract::load(&contract) {
                Ok(c) => cli::close(
                    &cli::ledger_path(&contract, ledger.as_deref(), false).unwrap_or_default(),
                    &c.id,
                    &period,
                    &by,
                    &at,
                    accept_provisional,
                ),
                Err(e) => Err(e.into()),
            }
        }
        Command::Ledger { action: LedgerAction::Export { ledger, out } } => cli::ledger_export(&ledger, &out),
        Command::Ledger { action: LedgerAction::Rebuild { ledger, from } } => cli::ledger_rebuild(&ledger, &from),
        Command::History { ledger, contract, format } => cli::history(&ledger, contract.as_deref(), format),
        Command::Statement { ledger, contract, as_of, format, out } => {
            cli::statement(&ledger, contract.as_deref(), as_of, format, out.as_deref())
        }
        Command::Verify { dir, inputs } => cli::verify(&dir, inputs.as_deref()),
        Command::Diff { a, b } => cli::diff(&a, &b),
        Command::Explain { assessment, sla, period } => cli::explain(&assessment, &sla, &period),
        Command::Ingest { profile, input, rejects, out, max_reject_rate, strict, raw_rejects } => {
            cli::ingest(&cli::IngestArgs { raw_rejects, profile, inputs: input, rejects, out, max_reject_rate, strict })
        }
        Command::Metrics {
            profile,
            input,
            period,
            by,
            tz,
            format,
            out,
            metrics,
            as_of,
            outages,
            max_reject_rate,
            strict,
            emit_sql,
            explain,
            rejects,
            raw_rejects,
        } => {
            if explain {
                // Read by the metrics stage: print each Polars plan before running it.
                callsla::util::set_explaining();
            }
            cli::metrics(&cli::MetricsArgs {
                profile,
                inputs: input,
                period,
                by,
                tz,
                format,
                out,
                metrics,
                as_of,
                outages,
                max_reject_rate,
                strict,
                emit_sql,
                rejects,
                raw_rejects,
            })
        }
        Command::Check { contract, profile } => cli::check(&contract, profile.as_deref()),
        Command::Generate { rows, months, seed, start, tz, bad_rows, slow_months, out } => {
            cli::generate(&cli::GenerateArgs { rows, months, seed, start, tz, bad_rows, slow_months, out })
        }
    };
    match result {
        Ok(report) => {
            print!("{}", report.stdout);
            eprint!("{}", report.stderr);
            ExitCode::from(report.code as u8)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

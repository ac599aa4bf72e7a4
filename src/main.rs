//! The `callsla` command: parses arguments, calls one library function per subcommand and maps
//! the result to a documented exit code (README.md, "Exit codes").

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use callsla::cli;
use callsla::util::term_safe;

#[derive(Parser)]
#[command(name = "callsla", version, about = "SLA compliance engine for contact-centre outsourcing contracts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The key for pseudonyms of agents and customers (a file of at least 16 bytes; default:
    /// the CALLSLA_PSEUDONYM_KEY environment variable, else a built-in public key, with a
    /// warning).
    #[arg(long, global = true, value_name = "FILE")]
    pseudonym_key_file: Option<PathBuf>,
    /// Say more on standard error: each step's time and memory and the Polars query plans
    /// (as `metrics --explain` or CALLSLA_EXPLAIN=1).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Say less on standard error: no progress or "wrote"/"read" lines; warnings and errors
    /// are still printed.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // reason: parsed once per process; boxing would only obscure the clap derive
enum Command {
    /// The main job: logs + contract → assessment, finance files and an audit report in DIR.
    #[command(after_help = cli::examples::RUN)]
    Run {
        #[command(flatten)]
        opts: callsla::run::RunOptions,
        /// Output folder (written atomically).
        #[arg(long, required_unless_present = "emit_sql")]
        out: Option<PathBuf>,
        /// Print the SQL that measures this contract's metrics (its scope, exclusion windows,
        /// calendars, SLA definitions) on DuckDB or Spark, instead of running (docs/scaling.md).
        #[arg(long, value_enum, conflicts_with_all = ["out", "force", "restate"])]
        emit_sql: Option<callsla::metrics::sql::Dialect>,
        /// With --emit-sql: the metrics (default), the billing volumes the rate cards price
        /// (handled contacts, connects, resolved, billable time and started minutes in scope),
        /// or the scope accounting (out-of-scope, excluded and judged contacts per period).
        #[arg(long, value_enum, requires = "emit_sql", conflicts_with_all = ["out", "force", "restate"])]
        sql_for: Option<callsla::run::SqlPart>,
        /// Replace an existing output folder.
        #[arg(long)]
        force: bool,
        /// Exit 1 when a critical SLA was missed.
        #[arg(long)]
        fail_on_breach: bool,
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// Do not read or write a ledger (CALLSLA_LEDGER is then ignored; --ledger is refused).
        #[arg(long)]
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
    /// The dispute register: open, advance and resolve disputes of documents, and list them.
    Dispute {
        #[command(subcommand)]
        action: cli::DisputeAction,
    },
    /// Sign a period off in the ledger: later runs may change it only by restatement.
    #[command(after_help = cli::examples::CLOSE)]
    Close {
        /// The contract (TOML) whose period is closed; its id keys the ledger.
        #[arg(long)]
        contract: PathBuf,
        /// The period to close, as the run labels it (e.g. 2026-10).
        #[arg(long)]
        period: String,
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// Who closes it (recorded in the ledger).
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
    #[command(after_help = cli::examples::HISTORY)]
    History {
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// Only this contract id.
        #[arg(long)]
        contract: Option<String>,
        /// How to print the periods.
        #[arg(long, value_enum, default_value = "table")]
        format: cli::HistoryFormat,
        /// Judge the open disputes' stage deadlines on this day (YYYY-MM-DD); default: the
        /// latest day recorded in the dispute register.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// The portfolio page from the ledger: per contract an SLA × month heat map, fees, credits
    /// and net due over time, chronic failures, termination rights and open disputes.
    #[command(after_help = cli::examples::REPORT)]
    Report {
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// Only these contract ids (repeatable; default: every contract in the ledger).
        #[arg(long)]
        contract: Vec<String>,
        /// Output folders of `callsla run`: their periods link to their audit pages
        /// (repeatable).
        #[arg(long, num_args = 1..)]
        runs: Vec<PathBuf>,
        /// Judge the open disputes on this day (YYYY-MM-DD); default: the latest day recorded
        /// in the dispute register.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// The page to write (HTML, atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// The statement of account from the ledger: documents, notes and payments with the running
    /// balance, open items and their ageing.
    #[command(after_help = cli::examples::STATEMENT)]
    Statement {
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// Only this contract id (default: every contract in the ledger).
        #[arg(long)]
        contract: Option<String>,
        /// The statement date (YYYY-MM-DD): documents issued and payments received by then.
        #[arg(long)]
        as_of: chrono::NaiveDate,
        /// How to print the statement.
        #[arg(long, value_enum, default_value = "table")]
        format: cli::StatementFormat,
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
    #[command(after_help = cli::examples::VERIFY)]
    Verify {
        /// The run's output folder (with its manifest.json).
        dir: PathBuf,
        /// The folder the run was started in, against which the manifest's relative input paths
        /// are read (default: the folder the manifest records, relative to DIR).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// Compare two assessments: per SLA and period, what changed in status and money.
    #[command(after_help = cli::examples::DIFF)]
    Diff {
        /// The earlier output folder (or its assessment.json).
        a: PathBuf,
        /// The later output folder (or its assessment.json).
        b: PathBuf,
    },
    /// Explain in plain words how one SLA's credit in one period came about.
    #[command(after_help = cli::examples::EXPLAIN)]
    Explain {
        /// An output folder (or its assessment.json).
        #[arg(long)]
        assessment: PathBuf,
        /// The SLA id (as in the contract, e.g. SL-1).
        #[arg(long)]
        sla: String,
        /// The period label (as in the assessment, e.g. 2026-10).
        #[arg(long)]
        period: String,
    },
    /// Read interaction logs through a profile and print the row reconciliation.
    #[command(after_help = cli::examples::INGEST)]
    Ingest(cli::IngestArgs),
    /// Compute the metric table: one row per period, group and metric, with numerator and denominator.
    #[command(after_help = cli::examples::METRICS)]
    Metrics(cli::MetricsArgs),
    /// Validate a contract (and optionally a profile) without data.
    #[command(after_help = cli::examples::CHECK)]
    Check {
        /// The contract (TOML, docs/contract.md); `-` reads it from standard input.
        #[arg(long)]
        contract: PathBuf,
        /// An ingest profile (TOML, docs/profiles.md) to validate as well.
        #[arg(long)]
        profile: Option<PathBuf>,
    },
    /// Print a shell completion script for callsla (bash, zsh, fish, elvish, powershell).
    #[command(after_help = cli::examples::COMPLETIONS)]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print callsla's man page (roff), or write one page per subcommand into a folder.
    #[command(after_help = cli::examples::MAN)]
    Man {
        /// Write callsla.1 and callsla-SUBCOMMAND.1 here (atomically) instead of printing
        /// callsla.1 on standard output.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write a realistic synthetic interaction log (canonical CSV).
    #[command(after_help = cli::examples::GENERATE)]
    Generate(cli::GenerateArgs),
}

#[derive(Subcommand)]
enum LedgerAction {
    /// Write every period, restatement and termination event as JSON.
    #[command(after_help = cli::examples::LEDGER_EXPORT)]
    Export {
        #[command(flatten)]
        ledger: cli::LedgerArg,
        /// The JSON file to write (atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Build a new ledger from output folders (their assessment.json and manifest.json), in order.
    #[command(after_help = cli::examples::LEDGER_REBUILD)]
    Rebuild {
        /// The new ledger (SQLite) to build; an existing file is refused.
        #[arg(long)]
        ledger: PathBuf,
        /// Run output folders, oldest first.
        #[arg(long, required = true, num_args = 1..)]
        from: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    callsla::util::install_panic_hook();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // `--no-ledger` overrides CALLSLA_LEDGER from the environment, but not a `--ledger` given
    // on the same command line: that contradiction is refused.
    if let Some(("run", m)) = matches.subcommand() {
        if m.get_flag("no_ledger") && m.value_source("ledger") == Some(clap::parser::ValueSource::CommandLine) {
            eprintln!("error: --no-ledger and --ledger contradict each other: give one of them");
            return ExitCode::from(cli::Exit::BadInput as u8);
        }
    }
    if cli.verbose > 0 {
        callsla::util::set_explaining();
    }
    if cli.quiet {
        callsla::util::set_quiet();
    }
    if let Some(path) = &cli.pseudonym_key_file {
        match callsla::pseudonym::PseudonymKey::from_file(path) {
            Ok(key) => callsla::pseudonym::use_key(key),
            Err(e) => {
                eprintln!("error: {}", term_safe(&e.to_string()));
                return ExitCode::from(cli::Exit::BadInput as u8);
            }
        }
    }
    // The commands that write pseudonyms say when the key is the public default.
    let writes_pseudonyms = matches!(cli.command, Command::Run { .. } | Command::Ingest(_) | Command::Metrics(_));
    if let Some(w) = callsla::pseudonym::public_key_warning().filter(|_| writes_pseudonyms) {
        eprintln!("{w}");
    }
    let result = match cli.command {
        Command::Run { opts, emit_sql: Some(dialect), sql_for, .. } => {
            cli::run_emit_sql(&opts, dialect, sql_for.unwrap_or_default())
        }
        Command::Run {
            opts, out, force, fail_on_breach, ledger, no_ledger, rejects, restate, reason, by, at, ..
        } => {
            // clap requires --out unless --emit-sql is given.
            let out = out.unwrap_or_default();
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
            let ledger = callsla::run::LedgerOptions { path: (!no_ledger).then_some(ledger.ledger), restate };
            cli::run(&opts, &ledger, &out, force, fail_on_breach, rejects.as_deref())
        }
        Command::Close { contract, period, ledger, by, at, accept_provisional } => {
            match callsla::contract::Contract::load(&contract) {
                Ok(c) => cli::close(&ledger.ledger, &c.id, &period, &by, &at, accept_provisional),
                Err(e) => Err(e.into()),
            }
        }
        Command::Dispute { action } => cli::dispute(&action),
        Command::Ledger { action: LedgerAction::Export { ledger, out } } => cli::ledger_export(&ledger.ledger, &out),
        Command::Ledger { action: LedgerAction::Rebuild { ledger, from } } => cli::ledger_rebuild(&ledger, &from),
        Command::History { ledger, contract, format, as_of } => {
            cli::history(&ledger.ledger, contract.as_deref(), format, as_of)
        }
        Command::Statement { ledger, contract, as_of, format, out } => {
            cli::statement(&ledger.ledger, contract.as_deref(), as_of, format, out.as_deref())
        }
        Command::Report { ledger, contract, runs, as_of, out } => {
            cli::report(&ledger.ledger, &contract, &runs, as_of, &out)
        }
        Command::Verify { dir, inputs } => cli::verify(&dir, inputs.as_deref()),
        Command::Diff { a, b } => cli::diff(&a, &b),
        Command::Explain { assessment, sla, period } => cli::explain(&assessment, &sla, &period),
        Command::Ingest(args) => cli::ingest(&args),
        Command::Metrics(args) => cli::metrics(&args),
        Command::Check { contract, profile } => cli::check(&contract, profile.as_deref()),
        Command::Generate(args) => cli::generate(&args),
        Command::Completions { shell } => Ok(cli::completions(Cli::command(), shell)),
        Command::Man { out } => cli::man(Cli::command(), out.as_deref()),
    };
    match result {
        // Text from inputs and contracts reaches the terminal escaped (util::term_safe).
        Ok(report) => {
            print!("{}", term_safe(&report.stdout));
            if !cli.quiet {
                eprint!("{}", term_safe(&report.info));
            }
            eprint!("{}", term_safe(&report.stderr));
            ExitCode::from(report.code as u8)
        }
        Err(e) => {
            eprintln!("error: {}", term_safe(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)] // reason: tests fail loudly by design
mod tests {
    /// clap's own consistency checks, and every command and option has help text.
    #[test]
    fn the_command_line_is_well_formed_and_every_option_has_help() {
        use clap::CommandFactory;
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            if cmd.get_about().is_none() {
                missing.push(path.to_string());
            }
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let cmd = super::Cli::command();
        cmd.clone().debug_assert();
        let mut missing = Vec::new();
        walk(&cmd, "callsla", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    /// Every subcommand that does something shows an example after its help, and every
    /// example parses as the command line it claims to be (for that subcommand).
    #[test]
    fn every_subcommand_has_an_example_that_parses() {
        use clap::{CommandFactory, Parser};
        fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
            let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|c| c.get_name() != "help").collect();
            if subs.is_empty() {
                out.push((path.clone(), cmd.get_after_help().map(|h| h.to_string())));
            }
            for sub in subs {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                walk(sub, p, out);
            }
        }
        let mut leaves = Vec::new();
        walk(&super::Cli::command(), vec!["callsla".to_string()], &mut leaves);
        assert!(leaves.len() >= 18, "{leaves:?}");
        for (path, help) in leaves {
            let help = help.unwrap_or_else(|| panic!("{path:?} has no example"));
            let lines = callsla::cli::examples::command_lines(&help);
            assert!(!lines.is_empty(), "{path:?}: no command in {help:?}");
            for words in lines {
                assert_eq!(words[..path.len()], path[..], "{path:?}: the example is for another command: {words:?}");
                if let Err(e) = super::Cli::try_parse_from(&words) {
                    panic!("{path:?}: the example does not parse: {words:?}\n{e}");
                }
            }
        }
    }

    #[test]
    fn quiet_and_verbose_are_global_and_exclusive() {
        use clap::Parser;
        let cli = super::Cli::try_parse_from(["callsla", "check", "-q", "--contract", "c.toml"]).unwrap();
        assert!(cli.quiet);
        let cli = super::Cli::try_parse_from(["callsla", "-vv", "check", "--contract", "c.toml"]).unwrap();
        assert_eq!(cli.verbose, 2);
        assert!(super::Cli::try_parse_from(["callsla", "-v", "-q", "check", "--contract", "c.toml"]).is_err());
    }
}

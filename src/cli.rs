//! What each subcommand does, as library functions the binary and the tests both call.
//! Each returns what to print and the exit code, or a [`CliError`] that knows its exit code.

use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::generate::{self, GenerateError, GenerateOptions};
use crate::ingest::{self, IngestError, IngestOptions, Profile};
use crate::util::write_atomic;

/// Process exit codes (README.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// `--fail-on-breach` and an SLA was breached.
    Breach = 1,
    /// Bad invocation, contract, profile or input.
    BadInput = 2,
    /// The data-quality threshold was exceeded.
    DataQuality = 3,
    /// `verify` found a difference.
    VerifyDiffers = 4,
}

/// Any error a subcommand can end with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn exit_code(&self) -> Exit {
        match self {
            CliError::Ingest(IngestError::TooManyRejects { .. } | IngestError::StrictRejects { .. }) => {
                Exit::DataQuality
            }
            _ => Exit::BadInput,
        }
    }
}

/// What a successful subcommand prints, and its exit code.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: Exit,
}

impl Outcome {
    fn ok(stdout: String) -> Outcome {
        Outcome { stdout, stderr: String::new(), code: Exit::Success }
    }
}

fn write_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Write { path: path.display().to_string(), source }
}

pub struct IngestArgs {
    pub profile: Option<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub rejects: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub max_reject_rate: Decimal,
    pub strict: bool,
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
    let lenient = IngestOptions { max_reject_rate: Decimal::ONE, strict: false };
    let mut result = ingest::ingest(&profile, &args.inputs, &lenient)?;
    if let Some(path) = &args.rejects {
        write_atomic(path, |w| ingest::write_rejects_csv(&result.rejects, w)).map_err(write_err(path))?;
    }
    let verdict = ingest::check_thresholds(
        &result.reconciliation,
        &IngestOptions { max_reject_rate: args.max_reject_rate, strict: args.strict },
    );
    if let Some(path) = &args.out {
        write_atomic(path, |w| {
            polars::prelude::ParquetWriter::new(w)
                .finish(&mut result.accepted)
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .map_err(write_err(path))?;
    }
    verdict?;
    Ok(Outcome::ok(result.reconciliation.render_text()))
}

pub struct GenerateArgs {
    pub rows: u64,
    pub months: u32,
    pub seed: u64,
    pub start: String,
    pub tz: String,
    pub bad_rows: u64,
    pub out: PathBuf,
}

/// `callsla generate`: a synthetic canonical CSV.
pub fn generate(args: &GenerateArgs) -> Result<Outcome, CliError> {
    let start = generate::parse_month(&args.start)
        .ok_or_else(|| CliError::Usage(format!("--start \"{}\" is not a month like 2026-10", args.start)))?;
    let zone = args.tz.parse().map_err(|_| {
        CliError::Usage(format!("--tz \"{}\" is not an IANA time zone such as America/New_York", args.tz))
    })?;
    let opts = GenerateOptions {
        rows: args.rows,
        months: args.months,
        seed: args.seed,
        start,
        zone,
        bad_rows_per_kind: args.bad_rows,
    };
    let mut counts = (0, 0);
    write_atomic(&args.out, |w| {
        counts = generate::generate(&opts, w)?;
        Ok(())
    })
    .map_err(|source| GenerateError::Io { path: args.out.display().to_string(), source })?;
    Ok(Outcome {
        stdout: String::new(),
        stderr: format!(
            "wrote {}: {} rows, {} of them bad on purpose\n",
            args.out.display(),
            counts.0 + counts.1,
            counts.1
        ),
        code: Exit::Success,
    })
}

//! Process exit codes (README.md, "Exit codes"). Every error type of every stage says which
//! one it ends with (`exit_code`), and wrapping errors delegate to what they wrap, so a code
//! is never lost on the way up.

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// `--fail-on-breach` and an SLA was breached; for `diff`, the assessments differ
    /// ([`Exit::DIFFERENT`], as diff(1) exits 1).
    Breach = 1,
    /// Bad invocation, contract, profile or input, or an output that cannot be written.
    BadInput = 2,
    /// The data-quality threshold was exceeded.
    DataQuality = 3,
    /// `verify` found a difference.
    VerifyDiffers = 4,
}

impl Exit {
    /// `callsla diff`: the two assessments differ (code 1, as diff(1)).
    pub const DIFFERENT: Exit = Exit::Breach;
}

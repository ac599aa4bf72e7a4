//! Accounting for every row: the reconciliation per file and in total (read = accepted +
//! rejected + excluded, checked), the reject-limit check, and the rejects file.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{IngestError, IngestOptions, Reject, RejectDetail};

/// Row accounting for one input file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReconciliation {
    pub path: String,
    pub format: String,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub excluded: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub excluded_by_rule: BTreeMap<String, u64>,
}

/// Row accounting for a whole ingest: per file and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub files: Vec<FileReconciliation>,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub excluded: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub excluded_by_rule: BTreeMap<String, u64>,
}

impl Reconciliation {
    /// Checks `read = accepted + rejected + excluded` per file and in total, and that the
    /// per-reason and per-rule counts add up. A failure is a bug, never a data problem.
    pub fn check(&self) -> Result<(), IngestError> {
        let mut totals = Reconciliation::default();
        for f in &self.files {
            let by_reason: u64 = f.rejected_by_reason.values().sum();
            let by_rule: u64 = f.excluded_by_rule.values().sum();
            if f.read != f.accepted + f.rejected + f.excluded || by_reason != f.rejected || by_rule != f.excluded {
                return Err(IngestError::Internal(format!(
                    "reconciliation does not hold for {}: read {} != accepted {} + rejected {} ({} by reason) + excluded {} ({} by rule)",
                    f.path, f.read, f.accepted, f.rejected, by_reason, f.excluded, by_rule
                )));
            }
            totals.add(f);
        }
        if (totals.read, totals.accepted, totals.rejected, totals.excluded)
            != (self.read, self.accepted, self.rejected, self.excluded)
        {
            return Err(IngestError::Internal("reconciliation totals differ from the sum of the files".to_string()));
        }
        Ok(())
    }

    /// The accounting of these files, with their totals.
    pub fn of(files: Vec<FileReconciliation>) -> Reconciliation {
        let mut r = Reconciliation::default();
        for f in &files {
            r.add(f);
        }
        r.files = files;
        r
    }

    pub(super) fn add(&mut self, f: &FileReconciliation) {
        self.read += f.read;
        self.accepted += f.accepted;
        self.rejected += f.rejected;
        self.excluded += f.excluded;
        for (k, v) in &f.rejected_by_reason {
            *self.rejected_by_reason.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &f.excluded_by_rule {
            *self.excluded_by_rule.entry(k.clone()).or_default() += v;
        }
    }

    /// A short plain-text account, one line per file and a total.
    pub(crate) fn render_text(&self) -> String {
        let mut out = String::new();
        let line = |name: &str, r: u64, a: u64, j: u64, e: u64| {
            format!("{name}: read {r}, accepted {a}, rejected {j}, excluded {e}\n")
        };
        for f in &self.files {
            out += &line(&f.path, f.read, f.accepted, f.rejected, f.excluded);
        }
        out += &line("total", self.read, self.accepted, self.rejected, self.excluded);
        for (k, v) in &self.rejected_by_reason {
            out += &format!("  rejected {k}: {v}\n");
        }
        for (k, v) in &self.excluded_by_rule {
            out += &format!("  excluded by rule {k}: {v}\n");
        }
        out
    }
}

/// Fails when the rejects exceed `--max-reject-rate`, or any reject under `--strict`; the
/// error names the commonest reasons, the first rejected row and `rejects_file` (where the
/// caller writes them all).
pub fn check_thresholds(
    reconciliation: &Reconciliation,
    rejects: &[Reject],
    options: &IngestOptions,
    rejects_file: Option<&Path>,
) -> Result<(), IngestError> {
    let rejected = reconciliation.rejected;
    let detail = || Box::new(RejectDetail::of(reconciliation, rejects, rejects_file));
    if options.strict && rejected > 0 {
        return Err(IngestError::StrictRejects { rejected, detail: detail() });
    }
    if reconciliation.read > 0 {
        let rate = Decimal::from(rejected) / Decimal::from(reconciliation.read);
        if rate > options.max_reject_rate {
            return Err(IngestError::TooManyRejects {
                rejected,
                read: reconciliation.read,
                rate: format!("{}%", (rate * Decimal::ONE_HUNDRED).round_dp(3).normalize()),
                max: format!("{}%", (options.max_reject_rate * Decimal::ONE_HUNDRED).normalize()),
                detail: detail(),
            });
        }
    }
    Ok(())
}

/// Writes rejects as CSV: `file,line,column,field,value,normalised,reason,message`. Values of personal
/// fields (customer and agent ids) are written as keyed pseudonyms unless `raw` is asked for.
pub fn write_rejects_csv(rejects: &[Reject], raw: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = crate::util::SafeCsv::from_writer(out);
    w.write_record(["file", "line", "column", "field", "value", "normalised", "reason", "message"])?;
    for r in rejects {
        let personal = !raw && (crate::schema::personal(&r.field));
        let (value, normalised, message) = if personal && !r.value.is_empty() {
            let p = crate::util::pseudonym(&r.field, &r.value);
            let hide = |s: &str| s.replace(&r.value, &p);
            (p.clone(), hide(&r.normalised), hide(&r.message))
        } else {
            (r.value.clone(), r.normalised.clone(), r.message.clone())
        };
        w.write_record([
            &r.file,
            &r.line.to_string(),
            &r.column,
            r.field.as_str(),
            &value,
            &normalised,
            r.kind.code(),
            &message,
        ])?;
    }
    w.flush()
}

//! Rejections: why a row was rejected (the codes rejects files and summaries show), the
//! rejected row as written, and how a rejection is counted in a file's reconciliation.

use serde::Serialize;

use super::super::FileReconciliation;
use crate::schema::Field;

/// Why a row was rejected. The code (snake_case) is what rejects files and summaries show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    MissingValue,
    UnreadableTimestamp,
    NoUtcOffset,
    DstGap,
    DstAmbiguous,
    UnreadableNumber,
    NegativeDuration,
    DurationTooLong,
    UnreadableBoolean,
    CsatOutOfScale,
    UnknownChannel,
    UnknownDirection,
    AnswerBeforeArrival,
    EndBeforeArrival,
    EndBeforeAnswer,
    Inconsistent,
    DuplicateId,
    UnmappedValue,
    UnknownZone,
    UnknownDisposition,
}

impl RejectKind {
    pub const ALL: [RejectKind; 20] = [
        RejectKind::MissingValue,
        RejectKind::UnreadableTimestamp,
        RejectKind::NoUtcOffset,
        RejectKind::DstGap,
        RejectKind::DstAmbiguous,
        RejectKind::UnreadableNumber,
        RejectKind::NegativeDuration,
        RejectKind::DurationTooLong,
        RejectKind::UnreadableBoolean,
        RejectKind::CsatOutOfScale,
        RejectKind::UnknownChannel,
        RejectKind::UnknownDirection,
        RejectKind::AnswerBeforeArrival,
        RejectKind::EndBeforeArrival,
        RejectKind::EndBeforeAnswer,
        RejectKind::Inconsistent,
        RejectKind::DuplicateId,
        RejectKind::UnmappedValue,
        RejectKind::UnknownZone,
        RejectKind::UnknownDisposition,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectKind::MissingValue => "missing_value",
            RejectKind::UnreadableTimestamp => "unreadable_timestamp",
            RejectKind::NoUtcOffset => "no_utc_offset",
            RejectKind::DstGap => "dst_gap",
            RejectKind::DstAmbiguous => "dst_ambiguous",
            RejectKind::UnreadableNumber => "unreadable_number",
            RejectKind::NegativeDuration => "negative_duration",
            RejectKind::DurationTooLong => "duration_too_long",
            RejectKind::UnreadableBoolean => "unreadable_boolean",
            RejectKind::CsatOutOfScale => "csat_out_of_scale",
            RejectKind::UnknownChannel => "unknown_channel",
            RejectKind::UnknownDirection => "unknown_direction",
            RejectKind::AnswerBeforeArrival => "answer_before_arrival",
            RejectKind::EndBeforeArrival => "end_before_arrival",
            RejectKind::EndBeforeAnswer => "end_before_answer",
            RejectKind::Inconsistent => "inconsistent",
            RejectKind::DuplicateId => "duplicate_id",
            RejectKind::UnmappedValue => "unmapped_value",
            RejectKind::UnknownZone => "unknown_zone",
            RejectKind::UnknownDisposition => "unknown_disposition",
        }
    }
}

/// One rejected source row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    /// 1-based line in a CSV file (the header is line 1); 1-based row number in a Parquet file.
    pub line: u64,
    /// The source column(s) the value came from.
    pub column: String,
    /// The canonical field being read.
    pub field: String,
    /// The source text as it stands in the file (for a date and a time read from two
    /// columns, both, separated by a space), so the row can be found by its value.
    pub value: String,
    /// What callsla read the value as, when that differs from the source text (a mapped
    /// value, a timestamp in UTC); empty otherwise.
    pub normalised: String,
    pub kind: RejectKind,
    pub message: String,
}

/// A rejection in the making: which column and value, and why.
pub(super) struct Fail {
    pub(super) column: String,
    pub(super) field: Field,
    /// The value as callsla read it (the source text when it could not be read).
    pub(super) value: String,
    pub(super) kind: RejectKind,
    pub(super) message: String,
    /// The source text of the field, when the row validator knows it ([`Plan::row`]).
    pub(super) source: Option<String>,
}

/// Counts a rejection in a file's reconciliation and lists it among the file's rejects.
pub(super) fn record_reject(recon: &mut FileReconciliation, rejects: &mut Vec<Reject>, line: u64, f: Fail) {
    recon.rejected += 1;
    *recon.rejected_by_reason.entry(f.kind.code().to_string()).or_default() += 1;
    let (value, normalised) = match f.source {
        Some(source) if source != f.value => (source, f.value),
        Some(source) => (source, String::new()),
        None => (f.value, String::new()),
    };
    rejects.push(Reject {
        file: recon.path.clone(),
        line,
        column: f.column,
        field: f.field.name().to_string(),
        value,
        normalised,
        kind: f.kind,
        message: f.message,
    });
}

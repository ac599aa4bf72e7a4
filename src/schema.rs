//! The canonical interaction schema: the one shape every source export is mapped onto.
//!
//! Ingest produces a Polars frame with exactly these columns (plus `source_file` and
//! `source_line` for audit); metrics read only these. `docs/schema.md` documents the same table
//! and a test keeps the two in step.

use std::fmt;

/// What kind of value a canonical field holds, which decides how a source value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (identifiers, queue names).
    Text,
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
    /// An instant: RFC 3339 with offset, or wall-clock time in a named zone.
    Timestamp,
    /// A non-negative duration, stored in milliseconds.
    Duration,
    /// true / false.
    Boolean,
    /// A whole-number survey score.
    Score,
}

/// Every field of the canonical schema, in the order columns appear and checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    InteractionId,
    Channel,
    Direction,
    Queue,
    CustomerId,
    AgentId,
    ArrivedAt,
    AnsweredAt,
    EndedAt,
    Answered,
    WaitS,
    TalkS,
    HoldS,
    WrapS,
    Resolved,
    Csat,
}

/// The channels callsla measures.
pub const CHANNELS: &[&str] = &["voice", "email", "chat", "social"];
/// Contact directions.
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];

impl Field {
    pub const ALL: [Field; 16] = [
        Field::InteractionId,
        Field::Channel,
        Field::Direction,
        Field::Queue,
        Field::CustomerId,
        Field::AgentId,
        Field::ArrivedAt,
        Field::AnsweredAt,
        Field::EndedAt,
        Field::Answered,
        Field::WaitS,
        Field::TalkS,
        Field::HoldS,
        Field::WrapS,
        Field::Resolved,
        Field::Csat,
    ];

    /// The column name, in profiles, in canonical files and in the accepted frame.
    pub fn name(self) -> &'static str {
        match self {
            Field::InteractionId => "interaction_id",
            Field::Channel => "channel",
            Field::Direction => "direction",
            Field::Queue => "queue",
            Field::CustomerId => "customer_id",
            Field::AgentId => "agent_id",
            Field::ArrivedAt => "arrived_at",
            Field::AnsweredAt => "answered_at",
            Field::EndedAt => "ended_at",
            Field::Answered => "answered",
            Field::WaitS => "wait_s",
            Field::TalkS => "talk_s",
            Field::HoldS => "hold_s",
            Field::WrapS => "wrap_s",
            Field::Resolved => "resolved",
            Field::Csat => "csat",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Field::InteractionId | Field::Queue | Field::CustomerId | Field::AgentId => Kind::Text,
            Field::Channel => Kind::Choice(CHANNELS),
            Field::Direction => Kind::Choice(DIRECTIONS),
            Field::ArrivedAt | Field::AnsweredAt | Field::EndedAt => Kind::Timestamp,
            Field::WaitS | Field::TalkS | Field::HoldS | Field::WrapS => Kind::Duration,
            Field::Answered | Field::Resolved => Kind::Boolean,
            Field::Csat => Kind::Score,
        }
    }

    /// Whether a row without a value for this field is rejected.
    pub fn required(self) -> bool {
        matches!(self, Field::InteractionId | Field::Channel | Field::Queue | Field::ArrivedAt)
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Column names of the accepted frame beyond the canonical fields.
pub const SOURCE_FILE: &str = "source_file";
pub const SOURCE_LINE: &str = "source_line";

//! The canonical interaction schema: the one shape every source export is mapped onto.
//!
//! Ingest produces a Polars frame with exactly these columns (plus `source_file` and
//! `source_line` for audit); metrics read only these. `docs/schema.md` documents the same table
//! and a test keeps the two in step.

use std::fmt;

/// What kind of value a canonical field holds, which decides how a source value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
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
    /// An IANA time-zone name (`Europe/London`).
    Zone,
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
    Campaign,
    Disposition,
    PartyZone,
    NumberHash,
}

/// The channels callsla measures.
pub(crate) const CHANNELS: &[&str] = &["voice", "email", "chat", "social"];
/// Contact directions.
pub(crate) const DIRECTIONS: &[&str] = &["inbound", "outbound"];
/// Outcomes of an outbound attempt (docs/schema.md, "Outbound attempts"). `converted` is a
/// right-party contact that met the campaign's goal; `right_party` a live contact with the
/// person sought; `connected` a live contact with someone else; `dialler_abandoned` a live
/// answer the dialler dropped for want of an agent.
pub(crate) const DISPOSITIONS: &[&str] =
    &["connected", "right_party", "converted", "no_answer", "busy", "voicemail", "dialler_abandoned", "blocked"];

impl Field {
    pub const ALL: [Field; 20] = [
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
        Field::Campaign,
        Field::Disposition,
        Field::PartyZone,
        Field::NumberHash,
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
            Field::Campaign => "campaign",
            Field::Disposition => "disposition",
            Field::PartyZone => "party_zone",
            Field::NumberHash => "number_hash",
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            Field::InteractionId
            | Field::Queue
            | Field::CustomerId
            | Field::AgentId
            | Field::Campaign
            | Field::NumberHash => Kind::Text,
            Field::Disposition => Kind::Choice(DISPOSITIONS),
            Field::PartyZone => Kind::Zone,
            Field::Channel => Kind::Choice(CHANNELS),
            Field::Direction => Kind::Choice(DIRECTIONS),
            Field::ArrivedAt | Field::AnsweredAt | Field::EndedAt => Kind::Timestamp,
            Field::WaitS | Field::TalkS | Field::HoldS | Field::WrapS => Kind::Duration,
            Field::Answered | Field::Resolved => Kind::Boolean,
            Field::Csat => Kind::Score,
        }
    }

    /// Whether a row without a value for this field is rejected.
    pub(crate) fn required(self) -> bool {
        matches!(self, Field::InteractionId | Field::Channel | Field::Queue | Field::ArrivedAt)
    }

    pub(crate) fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a field names a person (customer, agent, called number): its values are shown only
/// as keyed pseudonyms in rejects and messages.
pub(crate) fn personal(field: &str) -> bool {
    [Field::CustomerId, Field::AgentId, Field::NumberHash].iter().any(|f| f.name() == field)
}

/// Column names of the accepted frame beyond the canonical fields.
pub(crate) const SOURCE_FILE: &str = "source_file";
pub(crate) const SOURCE_LINE: &str = "source_line";

/// The type of the `channel` and `direction` columns: a Polars enum over the field's word list
/// ([`CHANNELS`], [`DIRECTIONS`]), one byte a contact instead of a 16-byte string view. Codes
/// are the words' positions in the list, so they are the same in every run; outputs show the
/// words (`canonical Parquet` writes them as text).
pub(crate) fn choice_dtype(words: &'static [&'static str]) -> polars::prelude::PolarsResult<polars::prelude::DataType> {
    use polars::prelude::*;
    Ok(DataType::from_frozen_categories(FrozenCategories::new(words.iter().copied())?))
}

/// A choice column from word positions: `codes[i]` is row i's index into `words`.
pub(crate) fn choice_column(
    name: &str,
    words: &'static [&'static str],
    codes: Vec<u8>,
) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    use polars::prelude::*;
    if let Some(bad) = codes.iter().find(|c| usize::from(**c) >= words.len()) {
        polars_bail!(ComputeError: "internal error: code {bad} for a list of {} words", words.len());
    }
    let dtype = choice_dtype(words)?;
    if dtype.cat_physical()? != CategoricalPhysical::U8 {
        polars_bail!(ComputeError: "internal error: more than 255 words in a choice list");
    }
    let codes = UInt8Chunked::from_vec(name.into(), codes);
    Ok(Categorical8Chunked::from_cats_and_dtype(codes, dtype).into_series().into_column())
}

/// The type of the `queue` and `agent_id` columns: a Polars categorical (a 4-byte code a contact
/// instead of a 16-byte view and, for names longer than 12 bytes, a copy of the text; a queue
/// or agent name is stored once). Codes are given in the order names are first met by parallel
/// workers, so they are not the same from run to run: nothing may depend on them — categoricals
/// sort by their text, reports read the text, canonical Parquet stores the text.
pub(crate) fn names_dtype() -> polars::prelude::DataType {
    use polars::prelude::*;
    DataType::from_categories(Categories::new("callsla_names".into(), "callsla".into(), CategoricalPhysical::U32))
}

/// A `queue` or `agent_id` column from text: each name's code is looked up once per batch (a
/// short name by its 16-byte view, which holds the whole name), not hashed again for every row.
pub(crate) fn names_column(
    text: &polars::prelude::StringChunked,
) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    use polars::prelude::*;
    use polars_arrow::array::Array as _;
    let dtype = names_dtype();
    let DataType::Categorical(_, mapping) = &dtype else {
        polars_bail!(ComputeError: "internal error: the names type is not categorical");
    };
    let mut seen: crate::util::FastMap<[u8; 16], u32> = Default::default();
    let mut codes: Vec<Option<u32>> = Vec::with_capacity(text.len());
    for arr in text.downcast_iter() {
        for (i, view) in arr.views().iter().enumerate() {
            if !arr.is_valid(i) {
                codes.push(None);
                continue;
            }
            let code = if view.length <= 12 {
                let key = view.as_u128().to_le_bytes();
                match seen.get(&key) {
                    Some(c) => *c,
                    None => {
                        let c = mapping.insert_cat(arr.value(i))?;
                        seen.insert(key, c);
                        c
                    }
                }
            } else {
                mapping.insert_cat(arr.value(i))?
            };
            codes.push(Some(code));
        }
    }
    let codes = UInt32Chunked::from_iter_options(text.name().clone(), codes.into_iter());
    Ok(Categorical32Chunked::from_cats_and_dtype(codes, dtype).into_series().into_column())
}

/// A text-valued column's values as text, whether it holds strings or an enum or categorical
/// (the canonical frame's `channel` and `direction`, or a hand-built frame's strings).
pub(crate) fn text_values(
    c: &polars::prelude::Column,
) -> polars::prelude::PolarsResult<Box<dyn Iterator<Item = Option<&str>> + '_>> {
    use polars::prelude::*;
    let s = c.as_materialized_series();
    Ok(match s.dtype() {
        DataType::String => Box::new(s.str()?.iter()),
        DataType::Enum(..) | DataType::Categorical(..) => match s.dtype().cat_physical()? {
            CategoricalPhysical::U8 => Box::new(s.cat8()?.iter_str()),
            CategoricalPhysical::U16 => Box::new(s.cat16()?.iter_str()),
            CategoricalPhysical::U32 => Box::new(s.cat32()?.iter_str()),
        },
        other => polars_bail!(ComputeError: "column \"{}\" is {other}, not text", c.name()),
    })
}

/// A choice column that may hold no word (`None`), such as `disposition` on inbound contacts.
pub(crate) fn optional_choice_column<'a>(
    name: &str,
    words: &'static [&'static str],
    values: impl Iterator<Item = Option<&'a str>>,
) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    use polars::prelude::*;
    let mut codes: Vec<Option<u8>> = Vec::with_capacity(values.size_hint().0);
    for v in values {
        match v {
            None => codes.push(None),
            Some(v) => match words.iter().position(|w| *w == v) {
                Some(p) => codes.push(Some(p as u8)),
                None => polars_bail!(ComputeError: "internal error: \"{v}\" is not one of {words:?}"),
            },
        }
    }
    let dtype = choice_dtype(words)?;
    let codes = UInt8Chunked::from_iter_options(name.into(), codes.into_iter());
    Ok(Categorical8Chunked::from_cats_and_dtype(codes, dtype).into_series().into_column())
}

/// A choice column from its words (each one of `words`; anything else is an internal error,
/// as the validator has already read every value into the list).
pub(crate) fn choice_column_of<'a>(
    name: &str,
    words: &'static [&'static str],
    values: impl Iterator<Item = &'a str>,
) -> polars::prelude::PolarsResult<polars::prelude::Column> {
    let mut codes = Vec::with_capacity(values.size_hint().0);
    for v in values {
        match words.iter().position(|w| *w == v) {
            Some(p) => codes.push(p as u8),
            None => polars::prelude::polars_bail!(ComputeError: "internal error: \"{v}\" is not one of {words:?}"),
        }
    }
    choice_column(name, words, codes)
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    #[test]
    fn a_choice_column_holds_one_byte_codes_and_reads_back_as_its_words() -> PolarsResult<()> {
        let c = choice_column_of("channel", CHANNELS, ["chat", "voice", "social", "voice"].into_iter())?;
        assert!(matches!(c.dtype(), DataType::Enum(..)));
        assert_eq!(c.as_materialized_series().to_physical_repr().u8()?.cont_slice()?, &[2, 0, 3, 0]);
        let words: Vec<Option<&str>> = text_values(&c)?.collect();
        assert_eq!(words, [Some("chat"), Some("voice"), Some("social"), Some("voice")]);
        // The same words from a text column read the same.
        let text = Column::new("channel".into(), ["chat", "voice"]);
        assert_eq!(text_values(&text)?.collect::<Vec<_>>(), [Some("chat"), Some("voice")]);
        // Comparing with a word, as the metrics do, sees the words, not the codes.
        let df = DataFrame::new(4, vec![c])?;
        let voice = df.lazy().select([col("channel").eq(lit("voice")).alias("v")]).collect()?;
        assert_eq!(
            voice.column("v")?.bool()?.iter().collect::<Vec<_>>(),
            [Some(false), Some(true), Some(false), Some(true)]
        );
        Ok(())
    }

    #[test]
    fn names_are_stored_once_and_read_back_as_text() -> PolarsResult<()> {
        let long = "a queue name longer than twelve bytes";
        let batch = |names: &[Option<&str>]| {
            names_column(&StringChunked::from_iter_options("queue".into(), names.iter().copied()))
        };
        let a = batch(&[Some("billing"), None, Some(long), Some("billing"), Some(long)])?;
        let b = batch(&[Some(long), Some("sales"), Some("billing")])?;
        assert!(matches!(a.dtype(), DataType::Categorical(..)));
        assert_eq!(
            text_values(&a)?.collect::<Vec<_>>(),
            [Some("billing"), None, Some(long), Some("billing"), Some(long)]
        );
        assert_eq!(text_values(&b)?.collect::<Vec<_>>(), [Some(long), Some("sales"), Some("billing")]);
        // One code a name, across batches (so batches stack into one column).
        let code =
            |c: &Column, i: usize| c.as_materialized_series().to_physical_repr().u32().ok().and_then(|p| p.get(i));
        assert_eq!(code(&a, 0), code(&a, 3));
        assert_eq!(code(&a, 0), code(&b, 2));
        assert_eq!(code(&a, 2), code(&b, 0));
        assert_ne!(code(&a, 0), code(&b, 1));
        let mut stacked = DataFrame::new(5, vec![a])?;
        stacked.vstack_mut(&DataFrame::new(3, vec![b])?)?;
        let queue = stacked.column("queue")?;
        assert_eq!(text_values(queue)?.filter(|v| *v == Some("billing")).count(), 3);
        // Compared with a name, as a contract's scope is, it sees the text.
        let sales = stacked.clone().lazy().select([col("queue").eq(lit("sales")).alias("s")]).collect()?;
        assert_eq!(sales.column("s")?.bool()?.sum(), Some(1));
        // A name no contact has (a contract's queue with no traffic) matches nothing.
        let none = stacked.lazy().select([col("queue").eq(lit("no such queue ever seen")).alias("s")]).collect()?;
        assert_eq!(none.column("s")?.bool()?.sum(), Some(0));
        Ok(())
    }

    #[test]
    fn a_word_outside_the_list_or_a_code_past_it_is_an_error_not_a_wrong_value() {
        assert!(choice_column_of("direction", DIRECTIONS, ["inbound", "sideways"].into_iter()).is_err());
        assert!(choice_column("direction", DIRECTIONS, vec![0, 2]).is_err());
        let numbers = Column::new("n".into(), [1i64]);
        assert!(text_values(&numbers).is_err());
    }
}

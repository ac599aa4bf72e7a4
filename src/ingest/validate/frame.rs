//! The accepted canonical rows as a Polars frame: the schema's columns and types, and a batch
//! of validated rows turned into one.

use std::borrow::Cow;

use polars::prelude::*;

use crate::schema::{self, Field};

/// One accepted canonical row.
#[derive(Default)]
pub(super) struct Row<'a> {
    pub(super) id: Cow<'a, str>,
    pub(super) channel: &'static str,
    pub(super) direction: &'static str,
    pub(super) queue: Cow<'a, str>,
    pub(super) customer: Option<Cow<'a, str>>,
    pub(super) agent: Option<Cow<'a, str>>,
    pub(super) arrived: i64,
    pub(super) answered_at: Option<i64>,
    pub(super) ended_at: Option<i64>,
    pub(super) answered: bool,
    pub(super) wait: Option<i64>,
    pub(super) talk: Option<i64>,
    pub(super) hold: Option<i64>,
    pub(super) wrap: Option<i64>,
    pub(super) resolved: Option<bool>,
    pub(super) csat: Option<i64>,
    pub(super) campaign: Option<Cow<'a, str>>,
    pub(super) disposition: Option<&'static str>,
    pub(super) party_zone: Option<Cow<'a, str>>,
    pub(super) number_hash: Option<Cow<'a, str>>,
    pub(super) line: u64,
}

pub(super) fn datetime_type() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
}

/// The canonical frame's columns and types, in order.
pub(crate) fn canonical_schema() -> PolarsResult<Vec<(&'static str, DataType)>> {
    let dur = DataType::Duration(TimeUnit::Milliseconds);
    Ok(vec![
        (Field::InteractionId.name(), DataType::String),
        (Field::Channel.name(), schema::choice_dtype(schema::CHANNELS)?),
        (Field::Direction.name(), schema::choice_dtype(schema::DIRECTIONS)?),
        (Field::Queue.name(), schema::names_dtype()),
        (Field::CustomerId.name(), DataType::String),
        (Field::AgentId.name(), schema::names_dtype()),
        (Field::ArrivedAt.name(), datetime_type()),
        (Field::AnsweredAt.name(), datetime_type()),
        (Field::EndedAt.name(), datetime_type()),
        (Field::Answered.name(), DataType::Boolean),
        (Field::WaitS.name(), dur.clone()),
        (Field::TalkS.name(), dur.clone()),
        (Field::HoldS.name(), dur.clone()),
        (Field::WrapS.name(), dur),
        (Field::Resolved.name(), DataType::Boolean),
        (Field::Csat.name(), DataType::Int32),
        (Field::Campaign.name(), schema::names_dtype()),
        (Field::Disposition.name(), schema::choice_dtype(schema::DISPOSITIONS)?),
        (Field::PartyZone.name(), schema::names_dtype()),
        (Field::NumberHash.name(), DataType::String),
        (schema::SOURCE_FILE, DataType::UInt32),
        (schema::SOURCE_LINE, DataType::UInt64),
    ])
}

/// A canonical frame with no rows.
pub(crate) fn empty_canonical() -> PolarsResult<DataFrame> {
    let cols = canonical_schema()?.into_iter().map(|(n, t)| Column::new_empty(n.into(), &t)).collect();
    DataFrame::new(0, cols)
}

pub(super) fn rows_to_frame(rows: &[Row<'_>], file_idx: u32) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let text = |name: &str, f: &dyn for<'r> Fn(&'r Row<'r>) -> Option<&'r str>| -> Column {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let ts = |name: &str, f: &dyn Fn(&Row<'_>) -> Option<i64>| -> PolarsResult<Column> {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).cast(&datetime_type())
    };
    let dur = |name: &str, f: &dyn Fn(&Row<'_>) -> Option<i64>| -> PolarsResult<Column> {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
            .cast(&DataType::Duration(TimeUnit::Milliseconds))
    };
    let cols = vec![
        text(Field::InteractionId.name(), &|r| Some(&r.id)),
        schema::choice_column_of(Field::Channel.name(), schema::CHANNELS, rows.iter().map(|r| r.channel))?,
        schema::choice_column_of(Field::Direction.name(), schema::DIRECTIONS, rows.iter().map(|r| r.direction))?,
        schema::names_column(text(Field::Queue.name(), &|r| Some(&r.queue)).str()?)?,
        text(Field::CustomerId.name(), &|r| r.customer.as_deref()),
        schema::names_column(text(Field::AgentId.name(), &|r| r.agent.as_deref()).str()?)?,
        ts(Field::ArrivedAt.name(), &|r| Some(r.arrived))?,
        ts(Field::AnsweredAt.name(), &|r| r.answered_at)?,
        ts(Field::EndedAt.name(), &|r| r.ended_at)?,
        Column::new(Field::Answered.name().into(), rows.iter().map(|r| r.answered).collect::<Vec<_>>()),
        dur(Field::WaitS.name(), &|r| r.wait)?,
        dur(Field::TalkS.name(), &|r| r.talk)?,
        dur(Field::HoldS.name(), &|r| r.hold)?,
        dur(Field::WrapS.name(), &|r| r.wrap)?,
        Column::new(Field::Resolved.name().into(), rows.iter().map(|r| r.resolved).collect::<Vec<_>>()),
        Column::new(
            Field::Csat.name().into(),
            rows.iter().map(|r| r.csat.and_then(|c| i32::try_from(c).ok())).collect::<Vec<_>>(),
        ),
        schema::names_column(text(Field::Campaign.name(), &|r| r.campaign.as_deref()).str()?)?,
        schema::optional_choice_column(
            Field::Disposition.name(),
            schema::DISPOSITIONS,
            rows.iter().map(|r| r.disposition),
        )?,
        schema::names_column(text(Field::PartyZone.name(), &|r| r.party_zone.as_deref()).str()?)?,
        text(Field::NumberHash.name(), &|r| r.number_hash.as_deref()),
        Column::new(schema::SOURCE_FILE.into(), vec![file_idx; n]),
        Column::new(schema::SOURCE_LINE.into(), rows.iter().map(|r| r.line).collect::<Vec<_>>()),
    ];
    DataFrame::new(n, cols)
}

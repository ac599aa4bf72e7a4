//! Reading one field of one row: the raw cell (or joined cells) → a canonical value, through
//! the profile's null list, value map and reader (timestamps, durations, booleans, scores,
//! choices), with the reject that names the column and the value when it cannot be read.

use std::borrow::Cow;

use super::reject::Fail;
use super::value::{Raw, Value, View};
use super::*;

impl Plan {
    pub(super) fn read_field<'a>(
        &self,
        spec: &'a FieldSpec,
        k: usize,
        views: &[View<'a>],
        i: usize,
        arrived: Option<i64>,
    ) -> Result<Option<Value<'a>>, Fail> {
        if let Source::Joined(cols, _) = &spec.source {
            let Some(s) = self.joined(spec, k, views, i) else {
                return Ok(None);
            };
            let label = cols.join("+");
            let s = match self.mapped_value(spec, &s, &label)? {
                Some(m) => m.to_string(),
                None => s,
            };
            return match &spec.reader {
                Reader::Text => Ok(Some(Value::Text(Cow::Owned(s)))),
                _ => self.read_value(spec, k, Raw::Text(&s), &label, (views, i), arrived).map(|v| Some(v.into_owned())),
            };
        }
        let Some((raw, column)) = self.raw(spec, k, views, i) else {
            return Ok(None);
        };
        let column = if column.is_empty() { format!("(constant {})", spec.field) } else { column.to_string() };
        self.read_value(spec, k, raw, &column, (views, i), arrived).map(Some)
    }

    pub(super) fn read_value<'b>(
        &self,
        spec: &'b FieldSpec,
        k: usize,
        raw: Raw<'b>,
        column_label: &str,
        (views, i): (&[View<'_>], usize),
        arrived: Option<i64>,
    ) -> Result<Value<'b>, Fail> {
        let field = spec.field;
        let raw = if spec.map.is_empty() {
            raw
        } else {
            match self.mapped_value(spec, &raw.show(), column_label)? {
                Some(m) => Raw::Text(m),
                None => raw,
            }
        };
        let fail = |kind: RejectKind, value: String, message: String| Fail {
            column: column_label.to_string(),
            field,
            value,
            kind,
            message,
            source: None,
        };
        let src = &self.profile.source;
        let value = match (&spec.reader, raw) {
            (Reader::Text, Raw::Text(s)) => Value::Text(Cow::Borrowed(s)),
            (Reader::Text, other) => Value::Text(Cow::Owned(other.show())),
            (Reader::Choice(choices), r) => {
                let s: Cow<'_, str> = match r {
                    Raw::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.show()),
                };
                match choices.iter().find(|c| c.eq_ignore_ascii_case(&s)) {
                    Some(c) => Value::Choice(c),
                    None => {
                        let kind = match field {
                            Field::Channel => RejectKind::UnknownChannel,
                            Field::Direction => RejectKind::UnknownDirection,
                            _ => RejectKind::UnknownDisposition,
                        };
                        return Err(fail(kind, s.to_string(), format!("{field} \"{s}\" is not one of {}; map it in the profile's [fields.{field}] map", choices.join(", "))));
                    }
                }
            }
            (Reader::Zone, r) => {
                let s: Cow<'_, str> = match r {
                    Raw::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.show()),
                };
                if s.parse::<chrono_tz::Tz>().is_err() {
                    return Err(fail(RejectKind::UnknownZone, s.to_string(), format!("{field} \"{s}\" is not a time zone of the IANA database (such as Europe/London or America/New_York); map it in the profile's [fields.{field}] map")));
                }
                Value::Text(s)
            }
            (Reader::Timestamp(ts), r) => Value::Ts(self.read_timestamp(ts, self.date_cols[k], r, views, i, arrived).map_err(|(kind, value, message)| fail(kind, value, message))?),
            (Reader::Duration(unit), r) => {
                let ms = match r {
                    Raw::Text(s) => parse::duration_ms(s, *unit),
                    Raw::DurMs(ms) if ms < 0 => Err(DurError::Negative),
                    Raw::DurMs(ms) => Ok(ms),
                    _ => Err(DurError::Unreadable),
                };
                let (max, key) = if field == Field::WaitS { (src.max_wait_ms, "max_wait_s") } else { (src.max_duration_ms, "max_duration_s") };
                match ms {
                    Ok(ms) if ms > max => {
                        return Err(fail(
                            RejectKind::DurationTooLong,
                            r.show(),
                            format!("{field} of {} is longer than the profile's {key} ({})", fmt_ms(ms), fmt_ms(max)),
                        ))
                    }
                    Ok(ms) => Value::Dur(ms),
                    Err(DurError::Negative) => return Err(fail(RejectKind::NegativeDuration, r.show(), format!("{field} \"{}\" is negative", r.show()))),
                    Err(DurError::Unreadable) => {
                        return Err(fail(
                            RejectKind::UnreadableNumber,
                            r.show(),
                            format!("cannot read \"{}\" as a duration (expected seconds such as 109 or 109.5, or H:MM:SS; unit {unit:?})", r.show()),
                        ))
                    }
                }
            }
            (Reader::Boolean { true_values, false_values }, r) => match r {
                Raw::Bool(b) => Value::Bool(b != spec.invert),
                Raw::Text(s) if true_values.iter().any(|t| t == s) => Value::Bool(!spec.invert),
                Raw::Text(s) if false_values.iter().any(|t| t == s) => Value::Bool(spec.invert),
                Raw::Text(s) => match parse::boolean(s) {
                    Some(b) => Value::Bool(b != spec.invert),
                    None => {
                        return Err(fail(
                            RejectKind::UnreadableBoolean,
                            s.to_string(),
                            format!("cannot read \"{s}\" as {field} (expected Y/N, true/false or 1/0, or the profile's true_values/false_values)"),
                        ))
                    }
                },
                other => return Err(fail(RejectKind::UnreadableBoolean, other.show(), format!("cannot read {} as a boolean", other.show()))),
            },
            (Reader::Score, r) => {
                let s: Cow<'_, str> = match r {
                    Raw::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.show()),
                };
                let (lo, hi) = src.csat_scale;
                match parse::score(&s) {
                    Ok(v) if v < lo || v > hi => {
                        return Err(fail(RejectKind::CsatOutOfScale, s.to_string(), format!("{field} {v} is outside the profile's scale {lo}..{hi}")))
                    }
                    Ok(v) => Value::Score(v),
                    Err(ScoreError::NotWhole) => {
                        return Err(fail(RejectKind::UnreadableNumber, s.to_string(), format!("{field} \"{s}\" is not a whole number on the scale {lo}..{hi}")))
                    }
                    Err(ScoreError::Unreadable) => return Err(fail(RejectKind::UnreadableNumber, s.to_string(), format!("cannot read \"{s}\" as a {field} score"))),
                }
            }
        };
        Ok(value)
    }

    pub(super) fn read_timestamp(
        &self,
        ts: &TimestampSpec,
        date_pos: Option<usize>,
        raw: Raw<'_>,
        views: &[View<'_>],
        i: usize,
        arrived: Option<i64>,
    ) -> Result<i64, (RejectKind, String, String)> {
        let (result, shown) = match raw {
            Raw::Instant(us) => (Ok(us), raw.show()),
            Raw::Wall(us) => {
                let days = us.div_euclid(86_400_000_000);
                let rem = us.rem_euclid(86_400_000_000);
                let secs = u32::try_from(rem / 1_000_000).unwrap_or(0);
                let micros = u32::try_from(rem % 1_000_000).unwrap_or(0);
                let wall = parse::wall_from_parts(days, (secs, micros));
                let r = match ts.zone {
                    Some((tz, rule)) => parse::localize(wall, tz, rule),
                    None => Err(TsError::NoOffset),
                };
                (r, raw.show())
            }
            Raw::Text(s) => match (&ts.date, &ts.pattern) {
                (Some((_, date_fmt)), pattern) => {
                    let time_fmt = pattern.as_deref().unwrap_or("%H:%M:%S");
                    let date_raw = date_pos.and_then(|p| views[p].get(i)).map(|r| r.show()).unwrap_or_default();
                    let shown = format!("{date_raw} {s}");
                    let r = match (parse::date_with_pattern(&date_raw, date_fmt), parse::time_with_pattern(s, time_fmt))
                    {
                        (Some(days), Some(t)) => match ts.zone {
                            Some((tz, rule)) => parse::localize(parse::wall_from_parts(days, t), tz, rule),
                            None => Err(TsError::NoOffset),
                        },
                        _ => Err(TsError::Unreadable),
                    };
                    (r, shown)
                }
                (None, None) => (parse::rfc3339(s, ts.zone), s.to_string()),
                (None, Some(p)) => (parse::with_pattern(s, p, ts.zone), s.to_string()),
            },
            other => (Err(TsError::Unreadable), other.show()),
        };
        let expected = match (&ts.date, &ts.pattern) {
            (Some((_, df)), p) => {
                format!("the profile's date format \"{df}\" and time format \"{}\"", p.as_deref().unwrap_or("%H:%M:%S"))
            }
            (None, Some(p)) => format!("the profile's format \"{p}\""),
            (None, None) => "RFC 3339 such as 2026-10-01T09:00:00-04:00".to_string(),
        };
        let zone = ts.zone.map(|(z, _)| z.name().to_string()).unwrap_or_default();
        match result {
            Ok(mut us) => {
                // A time of day more than 12 h before arrival is on the next day (docs/profiles.md).
                if let (true, Some(arr)) = (ts.next_day_if_before_arrival, arrived) {
                    if us < arr - 43_200_000_000 {
                        us += 86_400_000_000;
                    }
                }
                Ok(us)
            }
            Err(TsError::Unreadable) => Err((RejectKind::UnreadableTimestamp, shown.clone(), format!("cannot read \"{shown}\" as a timestamp (expected {expected})"))),
            Err(TsError::NoOffset) => Err((
                RejectKind::NoUtcOffset,
                shown.clone(),
                format!("timestamp \"{shown}\" has no UTC offset and the profile names no time zone; add an offset or set source.time_zone"),
            )),
            Err(TsError::DstGap) => Err((
                RejectKind::DstGap,
                shown.clone(),
                format!("local time \"{shown}\" does not exist in {zone} (clocks went forward); the source clock is wrong or not in {zone}"),
            )),
            Err(TsError::DstAmbiguous) => Err((
                RejectKind::DstAmbiguous,
                shown.clone(),
                format!("local time \"{shown}\" occurs twice in {zone} (clocks went back) and source.dst_ambiguous is \"reject\""),
            )),
        }
    }

    /// The map's value for a source value (`Ok(None)` when the field has no map), or an
    /// `unmapped_value` failure naming the keys: a map is a complete list, never a partial
    /// one with a fallback to another reading (docs/profiles.md, "map").
    pub(super) fn mapped_value<'s>(
        &self,
        spec: &'s FieldSpec,
        s: &str,
        column_label: &str,
    ) -> Result<Option<&'s str>, Fail> {
        if spec.map.is_empty() {
            return Ok(None);
        }
        match spec.map.get(&crate::ingest::profile::map_key(s)) {
            Some(m) => Ok(Some(m.as_str())),
            None => Err(Fail {
                column: column_label.to_string(),
                field: spec.field,
                value: s.to_string(),
                kind: RejectKind::UnmappedValue,
                message: format!(
                    "{} \"{s}\" matches no key of the profile's [fields.{}] map (keys: {}; matched after trimming, ignoring case); add it to the map",
                    spec.field,
                    spec.field,
                    spec.map_keys.join(", ")
                ),
                source: None,
            }),
        }
    }
}

//! Field parsers for source values: durations, booleans and scores (timestamps are
//! [`crate::time::timestamp`]'s, re-exported here for the validator).
//!
//! These run once per source value on the hot path of ingest, so the common shapes have
//! hand-written fast paths (`H:MM:SS` times, decimal seconds). Every parser is exact: no value
//! passes through floating point.

pub use crate::time::timestamp::*;

/// Why a duration could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurError {
    Unreadable,
    Negative,
}

/// The unit a duration column is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// `H:MM:SS` when the value contains a colon, otherwise decimal seconds. The default.
    #[default]
    Auto,
    /// Decimal seconds: `109`, `109.0`, `109.25`.
    Seconds,
    /// Decimal milliseconds.
    Milliseconds,
    /// Decimal minutes.
    Minutes,
    /// `[H]H:MM:SS[.fff]` or `MM:SS`; hours may exceed 23.
    Hms,
}

/// Reads a non-negative decimal `123`, `123.45` as an integer count of `10^-scale` units,
/// rounding half away from zero beyond `scale` digits. No exponent, no thousands separators.
fn decimal_scaled(s: &str, scale: u32) -> Result<i64, DurError> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || int.len() > 15
    {
        return Err(DurError::Unreadable);
    }
    let mut v: i64 = 0;
    for c in int.bytes() {
        v = v * 10 + i64::from(c - b'0');
    }
    let fb = frac.as_bytes();
    for i in 0..scale as usize {
        let d = fb.get(i).map_or(0, |c| i64::from(c - b'0'));
        v = v * 10 + d;
    }
    if fb.get(scale as usize).is_some_and(|c| *c >= b'5') {
        v += 1;
    }
    if neg && v != 0 {
        return Err(DurError::Negative);
    }
    Ok(v)
}

fn hms_ms(s: &str) -> Result<i64, DurError> {
    if s.starts_with('-') {
        return Err(DurError::Negative);
    }
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, sec] => (*h, *m, *sec),
        [m, sec] => ("0", *m, *sec),
        _ => return Err(DurError::Unreadable),
    };
    let whole = |p: &str, max_len: usize| -> Result<i64, DurError> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(DurError::Unreadable);
        }
        p.parse().map_err(|_| DurError::Unreadable)
    };
    let (h, m) = (whole(h, 9)?, whole(m, 2)?);
    // Seconds are always two digits before an optional fraction: `SS` or `SS.fff`.
    if sec.split('.').next().map_or(0, str::len) != 2 {
        return Err(DurError::Unreadable);
    }
    let sec_ms = decimal_scaled(sec, 3)?;
    if m > 59 || sec_ms >= 60_000 {
        return Err(DurError::Unreadable);
    }
    Ok((h * 3600 + m * 60) * 1000 + sec_ms)
}

/// Reads a duration as whole milliseconds.
pub(crate) fn duration_ms(s: &str, unit: DurationUnit) -> Result<i64, DurError> {
    match unit {
        DurationUnit::Auto if s.as_bytes().contains(&b':') => hms_ms(s),
        DurationUnit::Auto | DurationUnit::Seconds => decimal_scaled(s, 3),
        DurationUnit::Milliseconds => decimal_scaled(s, 0),
        DurationUnit::Minutes => decimal_scaled(s, 3).and_then(|v| v.checked_mul(60).ok_or(DurError::Unreadable)),
        DurationUnit::Hms => hms_ms(s),
    }
}

/// Booleans as exports write them: true/false, t/f, yes/no, y/n, 1/0 (any case).
pub(crate) fn boolean(s: &str) -> Option<bool> {
    const T: [&str; 5] = ["true", "t", "yes", "y", "1"];
    const F: [&str; 5] = ["false", "f", "no", "n", "0"];
    if T.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if F.iter().any(|f| s.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// Why a score could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScoreError {
    Unreadable,
    NotWhole,
}

/// A whole-number score; `4` and `4.0` read as 4, `4.5` is [`ScoreError::NotWhole`].
pub(crate) fn score(s: &str) -> Result<i64, ScoreError> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits_part = int.strip_prefix('-').unwrap_or(int);
    if digits_part.is_empty()
        || !digits_part.bytes().all(|c| c.is_ascii_digit())
        || digits_part.len() > 9
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(ScoreError::Unreadable);
    }
    if frac.bytes().any(|c| c != b'0') {
        return Err(ScoreError::NotWhole);
    }
    int.parse::<i64>().map_err(|_| ScoreError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone as _};
    use chrono_tz::Tz;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Micros {
        chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
    }

    #[test]
    fn rfc3339_table() {
        let ny: Tz = "America/New_York".parse().unwrap_or(Tz::UTC);
        type Case = (&'static str, Option<(Tz, DstAmbiguous)>, Result<Micros, TsError>);
        let cases: Vec<Case> = vec![
            ("2026-10-01T09:00:00Z", None, Ok(utc(2026, 10, 1, 9, 0, 0))),
            ("2026-10-01T09:00:00-04:00", None, Ok(utc(2026, 10, 1, 13, 0, 0))),
            ("2026-10-01 09:00:00+0530", None, Ok(utc(2026, 10, 1, 3, 30, 0))),
            ("2026-10-01T09:00:00.250Z", None, Ok(utc(2026, 10, 1, 9, 0, 0) + 250_000)),
            ("2026-10-01T09:00:00", None, Err(TsError::NoOffset)),
            ("2026-10-01T09:00:00", Some((ny, DstAmbiguous::Earliest)), Ok(utc(2026, 10, 1, 13, 0, 0))),
            // 2026-11-01 01:30 happens twice in New York: EDT (05:30Z) then EST (06:30Z).
            ("2026-11-01T01:30:00", Some((ny, DstAmbiguous::Earliest)), Ok(utc(2026, 11, 1, 5, 30, 0))),
            ("2026-11-01T01:30:00", Some((ny, DstAmbiguous::Latest)), Ok(utc(2026, 11, 1, 6, 30, 0))),
            ("2026-11-01T01:30:00", Some((ny, DstAmbiguous::Reject)), Err(TsError::DstAmbiguous)),
            // 2026-03-08 02:30 does not exist in New York.
            ("2026-03-08T02:30:00", Some((ny, DstAmbiguous::Earliest)), Err(TsError::DstGap)),
            ("2026-02-29T09:00:00Z", None, Err(TsError::Unreadable)),
            ("2024-02-29T09:00:00Z", None, Ok(utc(2024, 2, 29, 9, 0, 0))),
            ("2026-10-01T24:00:00Z", None, Err(TsError::Unreadable)),
            ("31/02/2026 10:00", None, Err(TsError::Unreadable)),
            ("2026-10-01T09:00:00+25:00", None, Err(TsError::Unreadable)),
        ];
        for (input, zone, expected) in cases {
            assert_eq!(rfc3339(input, zone), expected, "{input} with {zone:?}");
        }
    }

    #[test]
    fn fast_paths_agree_with_chrono() {
        for (s, fmt) in [("990201", "%y%m%d"), ("20261001", "%Y%m%d"), ("2026-10-01", "%Y-%m-%d"), ("711231", "%y%m%d")]
        {
            let chrono = NaiveDate::parse_from_str(s, fmt)
                .map(|d| i64::from(chrono::Datelike::num_days_from_ce(&d)) - 719_163)
                .ok();
            assert_eq!(date_with_pattern(s, fmt), chrono, "{s} {fmt}");
        }
        assert_eq!(time_with_pattern("7:02:47", "%H:%M:%S"), Some((7 * 3600 + 2 * 60 + 47, 0)));
        assert_eq!(time_with_pattern("23:59:59", "%H:%M:%S"), Some((86_399, 0)));
        assert_eq!(time_with_pattern("24:00:00", "%H:%M:%S"), None);
        assert_eq!(time_with_pattern("7:2:47", "%H:%M:%S"), None);
    }

    #[test]
    fn durations_table() {
        use DurationUnit::*;
        let cases = [
            ("109", Auto, Ok(109_000)),
            ("109.0", Auto, Ok(109_000)),
            ("0.0005", Seconds, Ok(1)),
            ("0.0004", Seconds, Ok(0)),
            ("00:02:23", Auto, Ok(143_000)),
            ("1:02:03", Hms, Ok(3_723_000)),
            ("2:03", Hms, Ok(123_000)),
            ("30:00:00", Hms, Ok(108_000_000)),
            ("00:61:00", Hms, Err(DurError::Unreadable)),
            ("-3", Auto, Err(DurError::Negative)),
            ("-0:00:03", Auto, Err(DurError::Negative)),
            ("1,234", Auto, Err(DurError::Unreadable)),
            ("1e3", Auto, Err(DurError::Unreadable)),
            ("", Auto, Err(DurError::Unreadable)),
            ("1.5", Minutes, Ok(90_000)),
            ("250", Milliseconds, Ok(250)),
        ];
        for (input, unit, expected) in cases {
            assert_eq!(duration_ms(input, unit), expected, "{input} as {unit:?}");
        }
    }

    #[test]
    fn booleans_and_scores() {
        for (s, b) in [("Y", Some(true)), ("n", Some(false)), ("TRUE", Some(true)), ("0", Some(false)), ("maybe", None)]
        {
            assert_eq!(boolean(s), b, "{s}");
        }
        for (s, v) in [
            ("3", Ok(3)),
            ("3.0", Ok(3)),
            ("3.5", Err(ScoreError::NotWhole)),
            ("x", Err(ScoreError::Unreadable)),
            ("-1", Ok(-1)),
        ] {
            assert_eq!(score(s), v, "{s}");
        }
    }
}

//! Timestamps: RFC 3339 and strftime patterns read into microseconds, wall-clock times placed
//! in an IANA zone under a documented DST rule.
//!
//! These run once per source value on the hot path of ingest, so the common shapes have
//! hand-written fast paths (RFC 3339, `H:MM:SS` times) and fall back to chrono's generic
//! strftime parser only for other patterns. Exact: no value passes through floating point.
//! Used by ingest (source values), the contract (exclusion windows) and the run (`--as-of`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use chrono_tz::Tz;

/// Microseconds since the Unix epoch, UTC. The canonical representation of an instant.
pub(crate) type Micros = i64;

const US_PER_SEC: i64 = 1_000_000;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TsError {
    /// Not in the expected format at all.
    Unreadable,
    /// A wall-clock time given where the profile requires an explicit UTC offset.
    NoOffset,
    /// A local time that does not exist in the zone (skipped by a DST change).
    DstGap,
    /// A local time that occurs twice (DST fall-back) and the profile says to reject those.
    DstAmbiguous,
}

/// How to read a local wall-clock time that occurs twice because clocks went back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DstAmbiguous {
    /// The first occurrence (the earlier instant, still on summer time). The default.
    #[default]
    Earliest,
    /// The second occurrence (the later instant, on standard time).
    Latest,
    /// Reject the row: the source cannot say which instant was meant.
    Reject,
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// A wall-clock date and time with microseconds, already range-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wall {
    pub days: i64,
    pub secs_of_day: u32,
    pub micros: u32,
}

impl Wall {
    fn as_local_micros(self) -> Micros {
        (self.days * 86_400 + i64::from(self.secs_of_day)) * US_PER_SEC + i64::from(self.micros)
    }

    fn to_naive(self) -> Option<NaiveDateTime> {
        let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(self.days + 719_163).ok()?)?;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(self.secs_of_day, self.micros * 1000)?;
        Some(NaiveDateTime::new(date, time))
    }

    fn from_naive(n: NaiveDateTime) -> Wall {
        use chrono::Timelike;
        let days = i64::from(chrono::Datelike::num_days_from_ce(&n.date())) - 719_163;
        Wall { days, secs_of_day: n.time().num_seconds_from_midnight(), micros: n.time().nanosecond() / 1000 }
    }
}

/// Reads `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]` and returns the wall time and the unread rest.
fn wall_prefix(b: &[u8]) -> Option<(Wall, &[u8])> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let y = i64::from(digits(&b[0..4])?);
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0u32;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        let mut v = digits(&frac[..n.min(6)])?;
        for _ in n.min(6)..6 {
            v *= 10;
        }
        // Digits beyond microseconds are truncated (documented in docs/schema.md).
        micros = v;
        rest = &frac[n..];
    }
    let wall = Wall { days: days_from_civil(y, mo, d), secs_of_day: h * 3600 + mi * 60 + s, micros };
    Some((wall, rest))
}

/// Parses an offset `Z`, `+HH:MM`, `-HH:MM` or `+HHMM`, in seconds east of UTC.
fn offset_secs(b: &[u8]) -> Option<i64> {
    match b {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// RFC 3339 (`2026-10-01T09:00:00-04:00`, `...Z`, fractional seconds, a space for the `T`)
/// read without allocation. A value without an offset is [`TsError::NoOffset`], unless
/// `zone` is given, in which case it is read as wall-clock time in that zone.
pub(crate) fn rfc3339(s: &str, zone: Option<(Tz, DstAmbiguous)>) -> Result<Micros, TsError> {
    let (wall, rest) = wall_prefix(s.as_bytes()).ok_or(TsError::Unreadable)?;
    if rest.is_empty() {
        return match zone {
            Some((tz, rule)) => localize(wall, tz, rule),
            None => Err(TsError::NoOffset),
        };
    }
    let off = offset_secs(rest).ok_or(TsError::Unreadable)?;
    Ok(wall.as_local_micros() - off * US_PER_SEC)
}

/// Turns a wall-clock time in `tz` into an instant, applying the DST rule:
/// a time in a gap is always an error; a repeated time follows `rule`.
pub(crate) fn localize(wall: Wall, tz: Tz, rule: DstAmbiguous) -> Result<Micros, TsError> {
    let naive = wall.to_naive().ok_or(TsError::Unreadable)?;
    let utc = match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t,
        chrono::LocalResult::Ambiguous(early, late) => match rule {
            DstAmbiguous::Earliest => early,
            DstAmbiguous::Latest => late,
            DstAmbiguous::Reject => return Err(TsError::DstAmbiguous),
        },
        chrono::LocalResult::None => return Err(TsError::DstGap),
    };
    Ok(utc.timestamp_micros())
}

/// True when a strftime pattern carries a UTC offset (`%z`, `%:z`, `%#z`) or is `%+`/`%s`.
pub(crate) fn pattern_has_offset(fmt: &str) -> bool {
    fmt.contains("%z")
        || fmt.contains("%:z")
        || fmt.contains("%#z")
        || fmt.contains("%::z")
        || fmt.contains("%+")
        || fmt.contains("%s")
}

/// True when chrono understands every specifier in the pattern.
pub(crate) fn pattern_is_valid(fmt: &str) -> bool {
    !chrono::format::StrftimeItems::new(fmt).any(|i| matches!(i, chrono::format::Item::Error))
}

/// A timestamp read with a strftime pattern. Patterns with an offset give instants directly;
/// others are wall-clock times localized in `zone`.
pub(crate) fn with_pattern(s: &str, fmt: &str, zone: Option<(Tz, DstAmbiguous)>) -> Result<Micros, TsError> {
    if pattern_has_offset(fmt) {
        return DateTime::parse_from_str(s, fmt).map(|t| t.timestamp_micros()).map_err(|_| TsError::Unreadable);
    }
    let naive = NaiveDateTime::parse_from_str(s, fmt).map_err(|_| TsError::Unreadable)?;
    match zone {
        Some((tz, rule)) => localize(Wall::from_naive(naive), tz, rule),
        None => Err(TsError::NoOffset),
    }
}

/// A date read with a strftime pattern, as days since the epoch. `%Y%m%d`-like patterns
/// and `%y%m%d` get a fast path.
pub(crate) fn date_with_pattern(s: &str, fmt: &str) -> Option<i64> {
    let b = s.as_bytes();
    let fast = match (fmt, b.len()) {
        ("%Y-%m-%d", 10) if b[4] == b'-' && b[7] == b'-' => {
            Some((i64::from(digits(&b[0..4])?), digits(&b[5..7])?, digits(&b[8..10])?))
        }
        ("%Y%m%d", 8) => Some((i64::from(digits(&b[0..4])?), digits(&b[4..6])?, digits(&b[6..8])?)),
        // chrono's %y pivot: 00-69 → 2000s, 70-99 → 1900s.
        ("%y%m%d", 6) => {
            let yy = i64::from(digits(&b[0..2])?);
            let y = if yy < 70 { 2000 + yy } else { 1900 + yy };
            Some((y, digits(&b[2..4])?, digits(&b[4..6])?))
        }
        _ => None,
    };
    if let Some((y, m, d)) = fast {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        return Some(days_from_civil(y, m, d));
    }
    let date = NaiveDate::parse_from_str(s, fmt).ok()?;
    Some(i64::from(chrono::Datelike::num_days_from_ce(&date)) - 719_163)
}

/// A time of day read with a strftime pattern, as (seconds of day, microseconds).
/// `%H:%M:%S` accepts one- or two-digit hours (`7:02:47`) without chrono.
pub(crate) fn time_with_pattern(s: &str, fmt: &str) -> Option<(u32, u32)> {
    if fmt == "%H:%M:%S" {
        let b = s.as_bytes();
        let (h, rest) = match b {
            [h, b':', rest @ ..] => (digits(&[*h])?, rest),
            [h1, h2, b':', rest @ ..] => (digits(&[*h1, *h2])?, rest),
            _ => return None,
        };
        if let [m1, m2, b':', s1, s2] = rest {
            let (m, sec) = (digits(&[*m1, *m2])?, digits(&[*s1, *s2])?);
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            return Some((h * 3600 + m * 60 + sec, 0));
        }
        return None;
    }
    use chrono::Timelike;
    let t = NaiveTime::parse_from_str(s, fmt).ok()?;
    Some((t.num_seconds_from_midnight(), t.nanosecond() / 1000))
}

/// Combines a date (days since epoch) and a time of day into a wall-clock value.
pub(crate) fn wall_from_parts(days: i64, (secs_of_day, micros): (u32, u32)) -> Wall {
    Wall { days, secs_of_day, micros }
}

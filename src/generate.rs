//! Synthetic interaction logs in the canonical schema, for sample data, tests and benches.
//!
//! Deterministic for a seed (own xoshiro256** generator, so output never changes with a
//! dependency update). The model: arrivals follow a weekday and intraday profile; voice and
//! chat contacts wait an exponential time and abandon when their exponential patience runs out;
//! email and social get a first response after hours; talk, hold and wrap follow skewed
//! distributions; customers come back (repeat contacts) because they are drawn from a pool;
//! a minority answer a CSAT survey. Optional bad rows of each reject kind are appended.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate, Offset, TimeZone as _, Timelike};
use chrono_tz::Tz;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub rows: u64,
    pub months: u32,
    pub seed: u64,
    /// First month, `YYYY-MM`.
    pub start: (i32, u32),
    pub zone: Tz,
    /// How many bad rows of each kind to append (0 = a clean file).
    pub bad_rows_per_kind: u64,
    /// The first N months are understaffed: waits four times longer, so service levels fail.
    pub slow_months: u32,
    /// Outbound dial attempts to add (0 = none, and no outbound columns in the header).
    pub outbound_rows: u64,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid option: {0}")]
    Invalid(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// The bad-row kinds `--bad-rows` appends, by the reject code ingest gives them.
pub const BAD_KINDS: [&str; 10] = [
    "missing_value",
    "unreadable_timestamp",
    "unreadable_number",
    "negative_duration",
    "answer_before_arrival",
    "end_before_arrival",
    "csat_out_of_scale",
    "unknown_channel",
    "unreadable_boolean",
    "duplicate_id",
];

/// xoshiro256** seeded through SplitMix64.
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    fn exp(&mut self, mean: f64) -> f64 {
        -(1.0 - self.f64()).ln() * mean
    }

    /// Log-normal with the given median and shape.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * z).exp()
    }

    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f64() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// Share of a day's contacts arriving in each local hour (0-23).
const INTRADAY: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2.0, 5.0, 8.0, 9.5, 9.0, 7.5, 7.5, 8.5, 8.0, 7.0, 6.0, 4.5, 3.5, 2.5, 1.5, 0.8,
    0.4,
];

const QUEUES: [(&str, f64); 4] = [("billing", 0.35), ("technical", 0.30), ("sales", 0.20), ("retention", 0.15)];
const CHANNELS: [(&str, f64); 4] = [("voice", 0.60), ("email", 0.18), ("chat", 0.17), ("social", 0.05)];

/// CSV header of generated files (the canonical schema).
pub(crate) const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat";

#[derive(Clone, Copy)]
struct Contact {
    id: u64,
    channel: &'static str,
    queue: &'static str,
    customer: Option<u64>,
    agent: Option<u64>,
    arrived: i64,
    answered: Option<i64>,
    ended: Option<i64>,
    wait: i64,
    talk: Option<i64>,
    hold: Option<i64>,
    wrap: Option<i64>,
    resolved: Option<bool>,
    csat: Option<u8>,
}

/// Formats instants as RFC 3339 in one zone, caching the offset per UTC hour.
struct Stamp {
    zone: Tz,
    hour: i64,
    offset: i32,
}

impl Stamp {
    fn fmt(&mut self, secs: i64, out: &mut Vec<u8>) {
        let hour = secs.div_euclid(3600);
        if hour != self.hour {
            self.hour = hour;
            self.offset = self
                .zone
                .offset_from_utc_datetime(&chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc())
                .fix()
                .local_minus_utc();
        }
        let local = chrono::DateTime::from_timestamp(secs + i64::from(self.offset), 0).unwrap_or_default().naive_utc();
        let off = self.offset.abs();
        let sign = if self.offset < 0 { '-' } else { '+' };
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute(),
            local.second(),
            sign,
            off / 3600,
            (off % 3600) / 60
        );
    }
}

fn month_bounds(zone: Tz, (y, m): (i32, u32), months: u32) -> Option<(i64, NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let total = i64::from(y) * 12 + i64::from(m) - 1 + i64::from(months);
    let end = NaiveDate::from_ymd_opt(i32::try_from(total / 12).ok()?, u32::try_from(total % 12).ok()? + 1, 1)?;
    let start = zone.from_local_datetime(&first.and_hms_opt(0, 0, 0)?).earliest()?.timestamp();
    Some((start, first, end))
}

/// Writes a generated log as canonical CSV to `out`; returns (good rows, bad rows).
pub fn generate(opts: &GenerateOptions, out: &mut dyn Write) -> Result<(u64, u64), io::Error> {
    generate_with_progress(opts, out, &mut |_| {})
}

/// [`generate`], telling `progress` how many contacts are written (every 65,536 and at the end).
pub fn generate_with_progress(
    opts: &GenerateOptions,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<(u64, u64), io::Error> {
    generate_with_side(opts, out, &mut SideTables::new(opts.seed, opts.zone, false, false), progress)
}

/// [`generate_with_progress`], also collecting what `side` writes afterwards (quality
/// evaluations, agent hours). The log is the same bytes with or without them: the side tables
/// draw from generators of their own.
pub fn generate_with_side(
    opts: &GenerateOptions,
    out: &mut dyn Write,
    side: &mut SideTables,
    progress: &mut dyn FnMut(u64),
) -> Result<(u64, u64), io::Error> {
    let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_string());
    if opts.months == 0 {
        return Err(invalid("--months must be at least 1"));
    }
    let (_, first, end) =
        month_bounds(opts.zone, opts.start, opts.months).ok_or_else(|| invalid("--start must be YYYY-MM"))?;
    let mut rng = Rng::new(opts.seed);

    // Day weights: weekdays 1.0, Saturday 0.5, Sunday 0.3.
    let mut days: Vec<(NaiveDate, f64)> = Vec::new();
    let mut d = first;
    while d < end {
        let w = match d.weekday() {
            chrono::Weekday::Sat => 0.5,
            chrono::Weekday::Sun => 0.3,
            _ => 1.0,
        };
        days.push((d, w));
        d = d.succ_opt().ok_or_else(|| invalid("date overflow"))?;
    }
    let hours: Vec<(u32, f64)> = INTRADAY.iter().enumerate().map(|(h, w)| (h as u32, *w)).collect();
    let mut arrivals: Vec<i64> = Vec::with_capacity(usize::try_from(opts.rows).unwrap_or(0));
    for _ in 0..opts.rows {
        let day = *rng.pick(&days);
        let hour = *rng.pick(&hours);
        let sec = rng.below(3600) as u32;
        let naive = day.and_hms_opt(hour, sec / 60, sec % 60).unwrap_or_default();
        // A wall time in a DST gap does not exist: move it an hour on, as a clock would.
        let t = match opts.zone.from_local_datetime(&naive).earliest() {
            Some(t) => t.timestamp(),
            None => opts
                .zone
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map_or(0, |t| t.timestamp()),
        };
        arrivals.push(t);
    }
    arrivals.sort_unstable();

    let customers = (opts.rows / 3).max(1);
    // Contacts arriving before this instant fall in the understaffed months.
    let slow_until = month_bounds(opts.zone, opts.start, opts.slow_months).map_or(i64::MIN, |(_, _, end)| {
        end.and_hms_opt(0, 0, 0)
            .and_then(|n| opts.zone.from_local_datetime(&n).earliest())
            .map_or(i64::MIN, |t| t.timestamp())
    });
    let agents = (opts.rows / 2_000).clamp(8, 400);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    let outbound = opts.outbound_rows > 0;
    if outbound {
        writeln!(w, "{HEADER}{OUTBOUND_HEADER}")?;
    } else {
        writeln!(w, "{HEADER}")?;
    }
    let mut stamp = Stamp { zone: opts.zone, hour: i64::MIN, offset: 0 };
    let mut line = Vec::with_capacity(256);
    let mut good = Vec::new();
    for (i, &arrived) in arrivals.iter().enumerate() {
        let slow = opts.slow_months > 0 && arrived < slow_until;
        let c = contact(&mut rng, i as u64 + 1, arrived, customers, agents, slow);
        line.clear();
        write_contact(&c, &mut stamp, &mut line, outbound);
        w.write_all(&line)?;
        side.observe(&c, slow);
        if i % 65_536 == 65_535 {
            progress(i as u64 + 1);
        }
        if good.len() < 64 {
            good.push(c);
        }
    }
    if outbound {
        write_attempts(opts, &days, &mut rng, &mut stamp, &mut w)?;
    }
    let mut bad = 0;
    if opts.bad_rows_per_kind > 0 && !good.is_empty() {
        let mut next_id = opts.rows + 1_000_000_000;
        for kind in BAD_KINDS {
            for k in 0..opts.bad_rows_per_kind {
                let base = &good[(k as usize) % good.len()];
                line.clear();
                next_id += 1;
                let mut c = Contact { id: next_id, ..*base };
                let text = bad_row(kind, &mut c, &mut stamp, base.id, outbound);
                line.extend_from_slice(text.as_bytes());
                w.write_all(&line)?;
                bad += 1;
            }
        }
    }
    w.flush()?;
    progress(opts.rows);
    Ok((opts.rows + opts.outbound_rows, bad))
}

fn contact(rng: &mut Rng, id: u64, arrived: i64, customers: u64, agents: u64, slow: bool) -> Contact {
    let channel = *rng.pick(&CHANNELS);
    let queue = *rng.pick(&QUEUES);
    let customer = if rng.f64() < 0.05 { None } else { Some(rng.below(customers) + 1) };
    let deferred = matches!(channel, "email" | "social");
    let (wait, answered) = if deferred {
        let wait = rng.exp(6.0 * 3600.0).round() as i64 + 60;
        (wait, rng.f64() >= 0.02)
    } else {
        let mean = if queue == "technical" { 12.0 } else { 7.0 };
        let wait = rng.exp(if slow { mean * 4.0 } else { mean }).round() as i64;
        let patience = rng.exp(if channel == "chat" { 240.0 } else { 150.0 }).round() as i64;
        if patience < wait {
            (patience, false)
        } else {
            (wait, true)
        }
    };
    let mut c = Contact {
        id,
        channel,
        queue,
        customer,
        agent: None,
        arrived,
        answered: None,
        ended: None,
        wait,
        talk: None,
        hold: None,
        wrap: None,
        resolved: None,
        csat: None,
    };
    if answered {
        let ans = arrived + wait;
        let talk = match channel {
            "voice" => rng.lognormal(240.0, 0.6),
            "chat" => rng.lognormal(420.0, 0.5),
            _ => rng.lognormal(300.0, 0.7),
        }
        .round()
        .clamp(5.0, 7200.0) as i64;
        let hold = if channel == "voice" && rng.f64() < 0.3 { rng.exp(60.0).round() as i64 } else { 0 };
        let wrap = (rng.exp(30.0) + 10.0).round() as i64;
        let ended = if deferred { ans + talk + rng.exp(4.0 * 3600.0).round() as i64 } else { ans + talk + hold };
        c.answered = Some(ans);
        c.ended = Some(ended);
        c.talk = Some(talk);
        c.hold = Some(hold);
        c.wrap = Some(wrap);
        c.agent = Some(rng.below(agents) + 1);
        c.resolved = Some(rng.f64() < 0.78);
        if rng.f64() < 0.2 {
            c.csat = Some(*rng.pick(&[(1u8, 0.05), (2, 0.07), (3, 0.13), (4, 0.35), (5, 0.40)]));
        }
    } else if !deferred {
        c.ended = Some(arrived + wait);
    } else {
        c.wait = 0;
    }
    c
}

fn write_contact(c: &Contact, stamp: &mut Stamp, out: &mut Vec<u8>, outbound_columns: bool) {
    let _ = write!(out, "I{:010},{},inbound,{},", c.id, c.channel, c.queue);
    if let Some(cu) = c.customer {
        let _ = write!(out, "C{cu:08}");
    }
    out.push(b',');
    if let Some(a) = c.agent {
        let _ = write!(out, "A{a:04}");
    }
    out.push(b',');
    stamp.fmt(c.arrived, out);
    out.push(b',');
    if let Some(a) = c.answered {
        stamp.fmt(a, out);
    }
    out.push(b',');
    if let Some(e) = c.ended {
        stamp.fmt(e, out);
    }
    out.push(b',');
    let deferred_unanswered = c.answered.is_none() && c.ended.is_none();
    if !deferred_unanswered {
        let _ = write!(out, "{}", c.wait);
    }
    for v in [c.talk, c.hold, c.wrap] {
        out.push(b',');
        if let Some(v) = v {
            let _ = write!(out, "{v}");
        }
    }
    out.push(b',');
    if let Some(r) = c.resolved {
        out.extend_from_slice(if r { b"true" } else { b"false" });
    }
    out.push(b',');
    if let Some(s) = c.csat {
        let _ = write!(out, "{s}");
    }
    if outbound_columns {
        out.extend_from_slice(b",,,,");
    }
    out.push(b'\n');
}

/// The outbound columns of generated files with outbound attempts.
const OUTBOUND_HEADER: &str = ",campaign,disposition,party_zone,number_hash";

const CAMPAIGNS: [(&str, f64); 2] = [("renewals", 0.6), ("winback", 0.4)];
const DISPOSITIONS: [(&str, f64); 8] = [
    ("connected", 0.30),
    ("right_party", 0.22),
    ("converted", 0.06),
    ("no_answer", 0.22),
    ("voicemail", 0.12),
    ("busy", 0.04),
    ("dialler_abandoned", 0.008),
    ("blocked", 0.032),
];
const PARTY_ZONES: [(&str, f64); 4] =
    [("America/New_York", 0.5), ("America/Chicago", 0.3), ("America/Denver", 0.1), ("America/Los_Angeles", 0.1)];

/// Outbound dial attempts from the `retention` queue, dialled 09:00–21:00 in the file's zone
/// on the same days (so some west-coast attempts fall before 08:00 their time): connects are
/// answered after ringing and talk; the others end after ringing. Numbers repeat (a pool of
/// attempts / 3), as hashes (`nh` + 16 hex digits).
fn write_attempts(
    opts: &GenerateOptions,
    days: &[(NaiveDate, f64)],
    rng: &mut Rng,
    stamp: &mut Stamp,
    w: &mut dyn Write,
) -> io::Result<()> {
    let numbers = (opts.outbound_rows / 3).max(1);
    let hours: Vec<(u32, f64)> = (9..21).map(|h| (h, 1.0)).collect();
    let mut attempts: Vec<i64> = (0..opts.outbound_rows)
        .map(|_| {
            let day = *rng.pick(days);
            let sec = rng.below(3600) as u32;
            let naive = day.and_hms_opt(*rng.pick(&hours), sec / 60, sec % 60).unwrap_or_default();
            opts.zone.from_local_datetime(&naive).earliest().map_or(0, |t| t.timestamp())
        })
        .collect();
    attempts.sort_unstable();
    let mut line = Vec::with_capacity(256);
    for (i, arrived) in attempts.into_iter().enumerate() {
        let campaign = *rng.pick(&CAMPAIGNS);
        let disposition = *rng.pick(&DISPOSITIONS);
        let zone = *rng.pick(&PARTY_ZONES);
        let number = rng.below(numbers) + 1;
        let ring = 5 + rng.below(25) as i64;
        let connect = matches!(disposition, "connected" | "right_party" | "converted");
        line.clear();
        let _ = write!(line, "O{:010},voice,outbound,retention,,", i + 1);
        let agent = if connect { format!("A{:04}", rng.below(8) + 1) } else { String::new() };
        line.extend_from_slice(agent.as_bytes());
        line.push(b',');
        stamp.fmt(arrived, &mut line);
        line.push(b',');
        let talk = if connect { rng.lognormal(180.0, 0.6).round().clamp(10.0, 3600.0) as i64 } else { 0 };
        if connect {
            stamp.fmt(arrived + ring, &mut line);
        }
        line.push(b',');
        stamp.fmt(arrived + ring + talk, &mut line);
        let _ = write!(line, ",{ring},");
        if connect {
            let _ = write!(line, "{talk},0,{}", 15 + rng.below(30));
        } else {
            line.extend_from_slice(b",,");
        }
        let hash = number.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (number >> 7).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let _ = writeln!(line, ",,,{campaign},{disposition},{zone},nh{hash:016x}");
        w.write_all(&line)?;
    }
    Ok(())
}

/// One generated quality evaluation.
#[derive(Debug, Clone)]
struct Evaluation {
    contact: u64,
    agent: u64,
    queue: &'static str,
    channel: &'static str,
    at: i64,
    score: u32,
    critical: bool,
}

/// The side tables `generate` writes beside the log (`--qa-out`, `--agent-hours-out`), built
/// from the generated contacts as they are written:
///
/// - **Quality evaluations**: 3 % of answered voice, chat and email contacts, evaluated 1–49
///   hours after the answer; score out of 100 (a median of 91 less an exponential lapse, lower
///   in understaffed months), a critical fail in 2 % (5 % understaffed).
/// - **Agent hours**: one interval per agent, day and channel worked, starting at 08:00 (voice),
///   10:00 (chat), 12:00 (email) or 14:00 (social) local time: productive = the handle time
///   (talk + hold + wrap) of the agent's contacts that day on that channel; logged in =
///   productive ÷ occupancy (78–90 %); scheduled = logged in ÷ (1 − shrinkage 8–18 %); adherent
///   = scheduled × 90–97 % (80–90 % in understaffed months).
pub struct SideTables {
    zone: Tz,
    rng: Rng,
    qa: Option<Vec<Evaluation>>,
    hours: Option<AgentDays>,
}

/// (agent, local day, channel) → (productive seconds, understaffed).
type AgentDays = std::collections::BTreeMap<(u64, NaiveDate, &'static str), (i64, bool)>;

impl SideTables {
    /// Collects the tables asked for (`qa`, `agent_hours`), deterministic for the seed.
    pub fn new(seed: u64, zone: Tz, qa: bool, agent_hours: bool) -> SideTables {
        SideTables {
            zone,
            rng: Rng::new(seed ^ 0x51de_7ab1_e5ee_d000),
            qa: qa.then(Vec::new),
            hours: agent_hours.then(std::collections::BTreeMap::new),
        }
    }

    fn observe(&mut self, c: &Contact, slow: bool) {
        let (Some(answered), Some(agent)) = (c.answered, c.agent) else { return };
        let handle = c.talk.unwrap_or(0) + c.hold.unwrap_or(0) + c.wrap.unwrap_or(0);
        if let Some(hours) = &mut self.hours {
            let day = chrono::DateTime::from_timestamp(c.arrived, 0)
                .map(|t| t.with_timezone(&self.zone).date_naive())
                .unwrap_or_default();
            let e = hours.entry((agent, day, c.channel)).or_insert((0, slow));
            e.0 += handle;
        }
        if let Some(qa) = &mut self.qa {
            if matches!(c.channel, "voice" | "chat" | "email") && self.rng.f64() < 0.03 {
                let lapse = self.rng.exp(if slow { 9.0 } else { 4.0 });
                let score = (91.0 + self.rng.f64() * 9.0 - lapse).round().clamp(0.0, 100.0) as u32;
                let critical = self.rng.f64() < if slow { 0.05 } else { 0.02 };
                let at = answered + 3600 + self.rng.below(48 * 3600) as i64;
                qa.push(Evaluation { contact: c.id, agent, queue: c.queue, channel: c.channel, at, score, critical });
            }
        }
    }

    /// Writes the quality evaluations (canonical `--qa` columns), in evaluation order; returns
    /// how many.
    pub fn write_qa(&mut self, w: &mut dyn Write) -> io::Result<u64> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "evaluation_id,interaction_id,agent_id,queue,channel,evaluated_at,score,max_score,critical_fail")?;
        let rows = self.qa.get_or_insert_with(Vec::new);
        rows.sort_by_key(|e| (e.at, e.contact));
        let mut stamp = Stamp { zone: self.zone, hour: i64::MIN, offset: 0 };
        let mut line = Vec::with_capacity(160);
        for (i, e) in rows.iter().enumerate() {
            line.clear();
            let _ = write!(line, "E{:08},I{:010},A{:04},{},{},", i + 1, e.contact, e.agent, e.queue, e.channel);
            stamp.fmt(e.at, &mut line);
            let _ = writeln!(line, ",{},100,{}", e.score, e.critical);
            w.write_all(&line)?;
        }
        w.flush()?;
        Ok(rows.len() as u64)
    }

    /// Writes the agent hours (canonical `--agent-hours` columns), by agent, day and channel;
    /// returns how many rows.
    pub fn write_agent_hours(&mut self, w: &mut dyn Write) -> io::Result<u64> {
        let mut w = io::BufWriter::new(w);
        writeln!(w, "agent_id,interval_start,channel,scheduled_s,logged_in_s,productive_s,adherent_s")?;
        let mut stamp = Stamp { zone: self.zone, hour: i64::MIN, offset: 0 };
        let mut line = Vec::with_capacity(120);
        let mut n = 0;
        for (&(agent, day, channel), &(productive, slow)) in self.hours.iter().flatten() {
            let start_hour = match channel {
                "voice" => 8,
                "chat" => 10,
                "email" => 12,
                _ => 14,
            };
            let start = day
                .and_hms_opt(start_hour, 0, 0)
                .and_then(|t| self.zone.from_local_datetime(&t).earliest())
                .map_or(0, |t| t.timestamp());
            let occupancy = 0.78 + self.rng.f64() * 0.12;
            let shrinkage = 0.08 + self.rng.f64() * 0.10;
            let adherence = if slow { 0.80 + self.rng.f64() * 0.10 } else { 0.90 + self.rng.f64() * 0.07 };
            let logged_in = (productive as f64 / occupancy).round() as i64;
            let scheduled = (logged_in as f64 / (1.0 - shrinkage)).round() as i64;
            let adherent = (scheduled as f64 * adherence).round() as i64;
            line.clear();
            let _ = write!(line, "A{agent:04},");
            stamp.fmt(start, &mut line);
            let _ = writeln!(line, ",{channel},{scheduled},{logged_in},{productive},{adherent}");
            w.write_all(&line)?;
            n += 1;
        }
        w.flush()?;
        Ok(n)
    }
}

/// One bad row of the given kind, made from a good contact.
fn bad_row(kind: &str, c: &mut Contact, stamp: &mut Stamp, original_id: u64, outbound_columns: bool) -> String {
    let mut buf = Vec::new();
    // Make sure the base row is an answered voice call so every corruption applies.
    if c.answered.is_none() {
        c.answered = Some(c.arrived + 10);
        c.ended = Some(c.arrived + 200);
        c.wait = 10;
        c.talk = Some(190);
        c.hold = Some(0);
        c.wrap = Some(20);
        c.agent = Some(1);
        c.resolved = Some(true);
    }
    write_contact(c, stamp, &mut buf, outbound_columns);
    let line = String::from_utf8_lossy(&buf).trim_end().to_string();
    let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
    match kind {
        "missing_value" => f[3] = String::new(),
        "unreadable_timestamp" => f[6] = "31/02/2026 10:00".to_string(),
        "unreadable_number" => f[10] = "\"1,234\"".to_string(),
        "negative_duration" => f[10] = "-30".to_string(),
        "answer_before_arrival" => {
            let mut b = Vec::new();
            stamp.fmt(c.arrived - 3600, &mut b);
            f[7] = String::from_utf8_lossy(&b).into_owned();
        }
        "end_before_arrival" => {
            let mut b = Vec::new();
            stamp.fmt(c.arrived - 7200, &mut b);
            f[8] = String::from_utf8_lossy(&b).into_owned();
        }
        "csat_out_of_scale" => f[14] = "11".to_string(),
        "unknown_channel" => f[1] = "fax".to_string(),
        "unreadable_boolean" => f[13] = "maybe".to_string(),
        "duplicate_id" => f[0] = format!("I{original_id:010}"),
        _ => {}
    }
    format!("{}\n", f.join(","))
}

/// Parses `YYYY-MM`.
pub(crate) fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1..=12).contains(&m) && (1900..=9999).contains(&y)).then_some((y, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let opts = GenerateOptions {
            rows: 500,
            months: 1,
            seed: 7,
            start: (2026, 10),
            zone: chrono_tz::America::New_York,
            bad_rows_per_kind: 0,
            slow_months: 0,
            outbound_rows: 0,
        };
        let run = |o: &GenerateOptions| {
            let mut v = Vec::new();
            let _ = generate(o, &mut v);
            v
        };
        let a = run(&opts);
        assert_eq!(a, run(&opts));
        assert_ne!(a, run(&GenerateOptions { seed: 8, ..opts.clone() }));
        assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 501);
    }

    #[test]
    fn side_tables_leave_the_log_unchanged_and_hold_their_invariants() {
        let opts = GenerateOptions {
            rows: 3000,
            months: 1,
            seed: 11,
            start: (2026, 10),
            zone: chrono_tz::America::New_York,
            bad_rows_per_kind: 0,
            slow_months: 0,
            outbound_rows: 0,
        };
        let mut plain = Vec::new();
        let _ = generate(&opts, &mut plain);
        let mut log = Vec::new();
        let mut side = SideTables::new(opts.seed, opts.zone, true, true);
        let _ = generate_with_side(&opts, &mut log, &mut side, &mut |_| {});
        assert_eq!(plain, log, "the side tables change the log");
        let (mut qa, mut hours) = (Vec::new(), Vec::new());
        let n_qa = side.write_qa(&mut qa).unwrap_or(0);
        let n_hours = side.write_agent_hours(&mut hours).unwrap_or(0);
        assert!(n_qa > 30 && n_hours > 30, "{n_qa} evaluations, {n_hours} intervals");
        let qa = String::from_utf8(qa).unwrap_or_default();
        for l in qa.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            let score: u32 = f[6].parse().unwrap_or(999);
            assert!(score <= 100 && f[7] == "100" && (f[8] == "true" || f[8] == "false"), "{l}");
        }
        let hours = String::from_utf8(hours).unwrap_or_default();
        for l in hours.lines().skip(1) {
            let v: Vec<i64> = l.split(',').skip(3).map(|x| x.parse().unwrap_or(-1)).collect();
            let (scheduled, logged_in, productive, adherent) = (v[0], v[1], v[2], v[3]);
            assert!(productive >= 0 && logged_in >= productive && scheduled >= logged_in, "{l}");
            assert!((0..=scheduled).contains(&adherent), "{l}");
        }
    }

    #[test]
    fn months() {
        assert_eq!(parse_month("2026-10"), Some((2026, 10)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("26-1x"), None);
    }
}

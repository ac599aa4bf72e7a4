//! Portable definitions: the SQL that computes the same metrics, with the same parameters, on
//! DuckDB or Spark SQL, for data that outgrows one machine or already lives in a warehouse.
//!
//! The query reads a relation `interactions` with the canonical columns (docs/schema.md;
//! timestamps as timestamps with zone, durations in seconds) and returns, per period label,
//! channel and queue (with `*` roll-ups via CUBE), each additive definition's numerator,
//! denominator, sample size and unsettled count under the column names `n{i}`, `d{i}`, `s{i}`,
//! `u{i}` (i = the definition's position). Percentiles (nearest rank: DuckDB's `quantile_disc`,
//! on Spark `row_number()` over each grouping set) add `v{i}`, the value in ms, with the rank
//! and the count of values as numerator and denominator; interval compliance is summed per clock interval, then the
//! intervals are counted per period. Availability comes from the outage log, not the contacts,
//! and is not emitted. docs/scaling.md explains how the work partitions.

use chrono_tz::Tz;

use super::definition::*;
use super::period::PeriodKind;
use super::term::{indicators, sl_formula, Cond, Field, Linear, Num, SlCount, Stamp};
use crate::time::calendar::Calendar;

/// Target SQL dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    #[value(name = "duckdb")]
    DuckDb,
    Spark,
}

impl Dialect {
    fn ms(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_ms({ts})"),
            Dialect::Spark => format!("unix_millis({ts})"),
        }
    }

    fn us(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_us({ts})"),
            Dialect::Spark => format!("unix_micros({ts})"),
        }
    }

    /// The instant `ms` milliseconds after the epoch (a whole number of seconds here).
    fn instant_at_ms(self, ms: &str) -> String {
        match self {
            Dialect::DuckDb => format!("to_timestamp(({ms}) / 1000)"),
            Dialect::Spark => format!("timestamp_millis({ms})"),
        }
    }

    /// Integer division of non-negative integers.
    fn idiv(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("({a}) // ({b})"),
            Dialect::Spark => format!("({a}) div ({b})"),
        }
    }

    fn local(self, ts: &str, tz: &str) -> String {
        match self {
            Dialect::DuckDb => format!("timezone('{tz}', {ts})"),
            Dialect::Spark => format!("from_utc_timestamp({ts}, '{tz}')"),
        }
    }

    fn label(self, local: &str, period: PeriodKind) -> Option<String> {
        Some(match (self, period) {
            (Dialect::DuckDb, PeriodKind::Month) => format!("strftime({local}, '%Y-%m')"),
            (Dialect::DuckDb, PeriodKind::Day) => format!("strftime({local}, '%Y-%m-%d')"),
            (Dialect::DuckDb, PeriodKind::Week) => format!("strftime({local}, '%G-W%V')"),
            (Dialect::DuckDb, PeriodKind::Quarter) => {
                format!("strftime({local}, '%Y') || '-Q' || CAST(quarter({local}) AS VARCHAR)")
            }
            (Dialect::Spark, PeriodKind::Month) => format!("date_format({local}, 'yyyy-MM')"),
            (Dialect::Spark, PeriodKind::Day) => format!("date_format({local}, 'yyyy-MM-dd')"),
            (Dialect::Spark, PeriodKind::Week) => {
                format!("concat(cast(year(date_add({local}, 3 - ((dayofweek({local}) + 5) % 7))) as string), '-W', lpad(cast(weekofyear({local}) as string), 2, '0'))")
            }
            (Dialect::Spark, PeriodKind::Quarter) => {
                format!("concat(date_format({local}, 'yyyy'), '-Q', cast(quarter({local}) as string))")
            }
            _ => return None,
        })
    }

    /// The name of the text type.
    fn text(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Spark => "STRING",
        }
    }

    /// The campaign of a contact: the column when the relation has the outbound columns, a
    /// typed NULL otherwise.
    fn campaign(self, outbound: bool) -> String {
        if outbound {
            "campaign".to_string()
        } else {
            format!("CAST(NULL AS {})", self.text())
        }
    }

    /// A timestamp on the local clock of the zone an expression names (a column).
    fn local_in(self, ts: &str, zone: &str) -> String {
        match self {
            Dialect::DuckDb => format!("timezone({zone}, {ts})"),
            Dialect::Spark => format!("from_utc_timestamp({ts}, {zone})"),
        }
    }

    /// The ISO weekday of a local timestamp: 1 = Monday … 7 = Sunday.
    fn iso_weekday(self, local: &str) -> String {
        match self {
            Dialect::DuckDb => format!("isodow({local})"),
            Dialect::Spark => format!("((dayofweek({local}) + 5) % 7 + 1)"),
        }
    }

    fn grouping(self, column: &str) -> String {
        format!("CASE WHEN grouping({column}) = 1 THEN '*' ELSE {column} END")
    }
}

fn b(cond: &str) -> String {
    format!("CASE WHEN {cond} THEN 1 ELSE 0 END")
}

/// The column of the `flagged` relation that holds a field (timestamps in µs, durations in ms,
/// as [`Field`] says).
fn field(f: Field) -> String {
    match f {
        Field::Arrived => "arrived_us".into(),
        Field::Answered => "answered_us".into(),
        Field::Ended => "ended_us".into(),
        Field::Wait => "wait_ms".into(),
        Field::Talk => "talk_ms".into(),
        Field::Hold => "hold_ms".into(),
        Field::Wrap => "wrap_ms".into(),
        Field::Csat => "csat".into(),
        Field::Resolved => "resolved".into(),
        Field::Repeat(i) => format!("rep{i}"),
        Field::CustomerId => "customer_id".into(),
        Field::AsOf => "as_of_us".into(),
        Field::Biz(c, s) => biz(c, s),
        // Outbound metrics are not emitted (see `emit`); these names are defined by no query.
        Field::OutsideWindow(i) => format!("outside{i}"),
        Field::Suppressed => "suppressed".into(),
    }
}

/// The column of calendar `c`'s business clock for a timestamp (see [`calendar_ctes`]).
fn biz(c: usize, s: Stamp) -> String {
    format!("biz{c}_{}", s.suffix())
}

/// A term ([`super::term`]) as an SQL expression.
fn num_sql(dialect: Dialect, n: &Num) -> String {
    let r = |n: &Num| num_sql(dialect, n);
    match n {
        Num::Int(v) => v.to_string(),
        Num::One => "1".into(),
        Num::Field(f) => field(*f),
        Num::OrZero(f) => format!("coalesce({}, 0)", field(*f)),
        Num::Ind(c) => b(&cond(dialect, c)),
        Num::If(c, t, e) => format!("CASE WHEN {} THEN {} ELSE {} END", cond(dialect, c), r(t), r(e)),
        Num::Add(a, b) => format!("{} + {}", r(a), r(b)),
        // Right-hand sums are bracketed (the only place precedence matters here).
        Num::Sub(a, b) => match **b {
            Num::Add(..) | Num::Sub(..) => format!("{} - ({})", r(a), r(b)),
            _ => format!("{} - {}", r(a), r(b)),
        },
        Num::Div(a, d) => dialect.idiv(&r(a), &d.to_string()),
    }
}

fn cond(dialect: Dialect, c: &Cond) -> String {
    let n = |x: &Num| num_sql(dialect, x);
    let atom = |c: &Cond| match c {
        Cond::Answered | Cond::Flag(_) | Cond::InChannels(_) | Cond::Open(_) => cond(dialect, c),
        _ => format!("({})", cond(dialect, c)),
    };
    match c {
        Cond::Answered => "answered".into(),
        Cond::Present(f) => format!("{} IS NOT NULL", field(*f)),
        Cond::Missing(f) => format!("{} IS NULL", field(*f)),
        Cond::Flag(f) => format!("coalesce({}, false)", field(*f)),
        Cond::Not(c) => format!("NOT {}", atom(c)),
        Cond::And(a, b) => format!("{} AND {}", cond(dialect, a), cond(dialect, b)),
        Cond::Le(a, b) => format!("{} <= {}", n(a), n(b)),
        Cond::Lt(a, b) => format!("{} < {}", n(a), n(b)),
        Cond::Ge(a, b) => format!("{} >= {}", n(a), n(b)),
        Cond::Eq(a, b) => format!("{} = {}", n(a), n(b)),
        Cond::InChannels(chans) => in_list("channel", chans),
        Cond::Open(c) => format!("open{c}"),
        Cond::Disposition(words) => format!("coalesce(disposition IN ({}), false)", quoted(words.iter().copied())),
        Cond::InCampaigns(cs) => format!("coalesce(campaign IN ({}), false)", quoted(cs.iter().map(String::as_str))),
    }
}

/// SQL string literals, comma-separated (quotes doubled).
fn quoted<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.map(|w| format!("'{}'", w.replace('\'', "''"))).collect::<Vec<_>>().join(", ")
}

/// The contacts a contract judges (`run --contract C --emit-sql`): its scope of channels, queues
/// and directions (and `[scope.outbound]`), outside its exclusion windows — the same masks as
/// [`super::scope`], as an SQL predicate over `interactions`' columns.
pub struct Judged<'a> {
    pub channels: &'a [String],
    pub queues: &'a [String],
    pub directions: &'a [String],
    pub outbound: Option<&'a super::scope::OutboundScope>,
    pub exclusions: &'a [super::scope::Exclusion],
    /// The SHA-256 of the contract file: every row of the counts carries it, so `run --counts`
    /// refuses counts made for another contract (or another version of it).
    pub sha256: &'a str,
    /// Where the rows of `interactions` came from (the `--input` path as given, or
    /// `interactions`): the scope accounting's `read` row names it.
    pub source: &'a str,
}

impl Judged<'_> {
    /// The column every row of a contract's counts ends with: the contract's SHA-256.
    fn tag(&self) -> String {
        format!("'{}' AS contract_sha256", self.sha256.replace('\'', "''"))
    }

    /// The predicate. A missing direction reads as inbound (as ingest reads it); an attempt
    /// without a campaign is outside a campaign list; an exclusion window holds the arrivals
    /// from its start (inclusive) to its end (exclusive), on its channels and queues.
    pub fn predicate(&self, dialect: Dialect) -> String {
        let mut parts = self.scope_parts();
        parts.extend(self.exclusions.iter().map(|e| format!("NOT {}", window(dialect, e))));
        parts.join("\n    AND ")
    }

    /// The scope alone, without the exclusion windows: the contacts that are billed.
    pub fn scope(&self) -> String {
        self.scope_parts().join("\n    AND ")
    }

    fn scope_parts(&self) -> Vec<String> {
        let list = in_list;
        let direction = "coalesce(direction, 'inbound')";
        let mut parts =
            vec![list("channel", self.channels), list("queue", self.queues), list(direction, self.directions)];
        if let Some(o) = self.outbound {
            let mut ok = Vec::new();
            if let Some(c) = &o.channels {
                ok.push(list("channel", c));
            }
            if let Some(q) = &o.queues {
                ok.push(list("queue", q));
            }
            if let Some(k) = &o.campaigns {
                ok.push(format!("coalesce({}, false)", list("campaign", k)));
            }
            if !ok.is_empty() {
                parts.push(format!("({direction} <> 'outbound' OR ({}))", ok.join(" AND ")));
            }
        }
        parts
    }
}

/// An exclusion window as a condition: the arrivals from its start (inclusive) to its end
/// (exclusive), on its channels and queues.
fn window(dialect: Dialect, e: &super::scope::Exclusion) -> String {
    let arrived = dialect.us("arrived_at");
    let mut parts = vec![format!("{arrived} >= {}", e.start), format!("{arrived} < {}", e.end)];
    if let Some(c) = &e.channels {
        parts.push(in_list("channel", c));
    }
    if let Some(q) = &e.queues {
        parts.push(in_list("queue", q));
    }
    format!("({})", parts.join(" AND "))
}

/// The SQL for a contract's scope accounting (`run --emit-sql … --sql-for scope`), one long
/// table of `kind` rows: `read` (every row of `interactions`, under `source`), `out_of_scope` (contacts outside the scope by channel, queue, direction
/// and campaign), `excluded` (the contacts in scope each exclusion window takes, each contact
/// under the first window that covers it, as `run` counts them) and `judged` (per period the
/// contacts measured, and the first and last arrival in µs) — what assessment.json's `data`
/// reports as `reconciliation`, `out_of_scope`, `exclusions`, `judged_contacts` and `coverage`.
/// Every row ends with the contract's SHA-256 (`contract_sha256`).
pub fn emit_scope(
    dialect: Dialect,
    judged: &Judged<'_>,
    period: PeriodKind,
    zone: Tz,
    outbound: bool,
) -> Option<String> {
    let label = dialect.label(&dialect.local("arrived_at", zone.name()), period)?;
    let text = dialect.text();
    let null = |t: &str| format!("CAST(NULL AS {t})");
    let (n, bi) = (null(text), null("BIGINT"));
    let campaign = dialect.campaign(outbound);
    let sha = format!("'{}'", judged.sha256.replace('\'', "''"));
    let mut marks = String::new();
    let mut parts = vec![
        format!(
            "SELECT 'read' AS kind, {n} AS period, {n} AS channel, {n} AS queue, {n} AS direction, {n} AS campaign, {n} AS exclusion, '{}' AS source, COUNT(*) AS contacts, {bi} AS first_us, {bi} AS last_us, {}\nFROM marked",
            judged.source.replace('\'', "''"),
            judged.tag(),
        ),
        format!(
            "SELECT 'out_of_scope', {n}, channel, queue, coalesce(direction, 'inbound'), {campaign}, {n}, {n}, COUNT(*), {bi}, {bi}, {sha}
FROM marked WHERE NOT in_scope
GROUP BY channel, queue, coalesce(direction, 'inbound'), {campaign}"
        ),
    ];
    let mut earlier = String::new();
    for (i, e) in judged.exclusions.iter().enumerate() {
        marks += &format!(",\n    {} AS w{i}", window(dialect, e));
        parts.push(format!(
            "SELECT 'excluded', {n}, {n}, {n}, {n}, {n}, '{}', {n}, SUM(CASE WHEN in_scope AND w{i}{earlier} THEN 1 ELSE 0 END), {bi}, {bi}, {sha}\nFROM marked",
            e.id.replace('\'', "''"),
        ));
        earlier += &format!(" AND NOT w{i}");
    }
    parts.push(format!(
        "SELECT 'judged', period, {n}, {n}, {n}, {n}, {n}, {n}, COUNT(*), min(arrived_us), max(arrived_us), {sha}\nFROM marked WHERE in_scope{earlier}\nGROUP BY period",
    ));
    Some(format!(
        "-- callsla {} scope accounting as {} SQL: read, out_of_scope, excluded and judged rows (kind).
WITH marked AS (
  SELECT *,
    {label} AS period,
    {arrived} AS arrived_us,
    ({scope}) AS in_scope{marks}
  FROM interactions
)
{}
ORDER BY 1, 2, 3, 4, 5, 6, 7;
",
        env!("CARGO_PKG_VERSION"),
        if dialect == Dialect::DuckDb { "DuckDB" } else { "Spark" },
        parts.join("\nUNION ALL\n"),
        arrived = dialect.us("arrived_at"),
        scope = judged.scope(),
    ))
}

/// `column IN ('a', 'b')`.
fn in_list(column: &str, values: &[String]) -> String {
    format!("{column} IN ({})", quoted(values.iter().map(String::as_str)))
}

/// How the header comment marks a definition the SQL does not compute (availability).
pub(crate) const NOT_EMITTED: &str = "  (from the outage log: not emitted)";
/// How the header comment marks an outbound definition (computed by callsla only).
pub(crate) const OUTBOUND_NOT_EMITTED: &str = "  (outbound: computed by callsla, not emitted)";
/// How the header comment marks a definition read from a side table (QA, agent hours).
pub(crate) const SIDE_NOT_EMITTED: &str = "  (from the QA or agent-hours file: not emitted)";

/// The timestamp column a percentile measures to: answered for response times, ended for
/// resolution times.
fn measured_to(def: &MetricDef) -> &'static str {
    if matches!(def, MetricDef::ResponseTimePercentile(_)) {
        "answered_at"
    } else {
        "ended_at"
    }
}

/// Service-level (numerator, denominator) from an interval's count columns, from the one
/// formula in [`sl_formula`].
fn sl_counts(t: AbandonTreatment) -> (String, String) {
    let text = |l: &Linear| {
        let mut out = if l.offered { "a + ab".to_string() } else { String::new() };
        for (sign, c) in &l.terms {
            let op = if *sign >= 0 { "+" } else { "-" };
            out = match (out.is_empty(), *sign >= 0) {
                (true, true) => c.column().to_string(),
                (true, false) => format!("0 - {}", c.column()),
                (false, _) => format!("{out} {op} {}", c.column()),
            };
        }
        out
    };
    let (n, d) = sl_formula(t);
    (text(&n), text(&d))
}

/// Milliseconds from arrival to `at`, from the microseconds (as callsla: the µs difference
/// divided by 1000, not the difference of two rounded ms).
fn elapsed_ms(dialect: Dialect, at: &str) -> String {
    dialect.idiv(&format!("{} - {}", dialect.us(at), dialect.us("arrived_at")), "1000")
}

/// A percentile's value in ms: wall-clock time from arrival, or business time on its calendar.
fn percentile_value(dialect: Dialect, def: &MetricDef, cal: Option<usize>) -> String {
    match cal {
        None => elapsed_ms(dialect, measured_to(def)),
        Some(c) => {
            let to = if matches!(def, MetricDef::ResponseTimePercentile(_)) { Stamp::Answered } else { Stamp::Ended };
            dialect.idiv(&format!("{} - {}", biz(c, to), biz(c, Stamp::Arrived)), "1000")
        }
    }
}

/// The nearest rank ⌈p/100 × n⌉ of `n` values (before the floor of 1), in integers.
fn nearest_rank(dialect: Dialect, p: &PercentileDef, n: &str) -> String {
    dialect.idiv(&format!("{} * {n} + 99", p.percentile), "100")
}

/// The CTEs of one percentile definition on Spark: every value with its rank in each grouping
/// set (`pv{i}`), and the value at the nearest rank ⌈p/100 × n⌉ (`pr{i}`), in integers.
fn percentile_ctes(dialect: Dialect, def: &MetricDef, p: &PercentileDef, i: usize, cal: Option<usize>) -> String {
    let at = measured_to(def);
    let v = percentile_value(dialect, def, cal);
    let filter = format!("{} AND {at} IS NOT NULL", in_list("channel", &def.channels()));
    let sets: Vec<String> = [("channel", "queue"), ("channel", "'*'"), ("'*'", "queue"), ("'*'", "'*'")]
        .iter()
        .map(|(c, q)| format!("    SELECT period, {c} AS channel, {q} AS queue, {v} AS v FROM flagged WHERE {filter}"))
        .collect();
    let k = nearest_rank(dialect, p, "cnt");
    format!(
        ", pv{i} AS (
  SELECT period, channel, queue, v,
    row_number() OVER (PARTITION BY period, channel, queue ORDER BY v) AS rnk,
    count(*) OVER (PARTITION BY period, channel, queue) AS cnt
  FROM (
{sets}
  ) x
), pr{i} AS (
  SELECT period, channel, queue, rnk AS n, cnt AS d, v FROM pv{i} WHERE rnk = greatest(1, {k})
)",
        sets = sets.join("\n    UNION ALL\n"),
    )
}

/// The CTEs of one interval-compliance definition: the service-level counts per clock interval
/// (offset-aware, as callsla buckets them) and grouping set (`iv{i}`), then per period the
/// intervals meeting the target, the eligible ones and those with contacts (`ic{i}`).
#[allow(clippy::too_many_arguments)] // reason: one private helper, the definition's parts
fn interval_ctes(
    dialect: Dialect,
    def: &MetricDef,
    ic: &IntervalComplianceDef,
    i: usize,
    cal: Option<usize>,
    tz: &str,
    period: &str,
) -> String {
    let len = i64::from(ic.interval_minutes) * 60_000;
    let (num, den) = sl_counts(ic.abandons);
    let count = |c: SlCount| {
        num_sql(dialect, &c.indicator(ic.threshold_s, ic.inclusive, ic.short_abandon_s, ic.short_inclusive))
    };
    format!(
        ", iv{i} AS (
  SELECT ival, {gc} AS channel, {gq} AS queue,
    SUM({a}) AS a, SUM({ab}) AS ab, SUM({a_le}) AS a_le, SUM({ab_le}) AS ab_le, SUM({sa}) AS sa
  FROM (
    SELECT channel, queue, answered, wait_ms, {bucket} * {len} - (local_ms - arrived_ms) AS ival
    FROM (SELECT *, {local_ms} AS local_ms FROM flagged WHERE {ch}) y
  ) x
  GROUP BY ival, CUBE (channel, queue)
), ic{i} AS (
  SELECT {period} AS period, channel, queue,
    SUM(CASE WHEN a + ab >= {min} AND {den} > 0 AND ({num}) * 100 >= {target} * ({den}) THEN 1 ELSE 0 END) AS n,
    SUM(CASE WHEN a + ab >= {min} THEN 1 ELSE 0 END) AS d,
    COUNT(*) AS s
  FROM iv{i}
  GROUP BY 1, channel, queue
)",
        gc = dialect.grouping("channel"),
        gq = dialect.grouping("queue"),
        a = count(SlCount::A),
        ab = count(SlCount::Ab),
        a_le = count(SlCount::ALe),
        ab_le = count(SlCount::AbLe),
        sa = count(SlCount::Sa),
        bucket = dialect.idiv("local_ms", &len.to_string()),
        local_ms = dialect.ms(&dialect.local("arrived_at", tz)),
        ch = match cal {
            Some(c) => format!("{} AND open{c}", in_list("channel", &def.channels())),
            None => in_list("channel", &def.channels()),
        },
        min = ic.min_offered,
        target = ic.target_percent,
    )
}

/// The CTEs that put contacts on the calendars' business clocks (docs/metrics.md,
/// "Calendars"): per calendar `c`, the local days the data spans (`cal{c}_days`, one day of
/// margin each side), the open spans of those days in µs — the weekly hours on days that are
/// neither holidays nor overridden, plus the overrides' hours (`cal{c}_spans`) — and each span
/// with the open time before it and the next span's start (`cal{c}`). `timed` then joins each
/// timestamp to the span at or before it: `biz = before + least(t − start, end − start)`, and
/// `open` = the arrival is before that span's end. Empty when no definition names a calendar.
fn calendar_ctes(dialect: Dialect, calendars: &[Calendar], used: &[usize], as_of: &str) -> String {
    if used.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut cols = String::new();
    let mut joins = String::new();
    for &c in used {
        let Some(cal) = calendars.get(c) else { continue };
        let tz = cal.zone.name();
        let local_date = |us: &str| match dialect {
            Dialect::DuckDb => format!("CAST(timezone('{tz}', to_timestamp(({us}) // 1000000)) AS DATE)"),
            Dialect::Spark => format!("to_date(from_utc_timestamp(timestamp_micros({us}), '{tz}'))"),
        };
        // The instant (µs) of local minute `m` of day `d` (m = 1440 is the next midnight).
        let at = |d: &str, m: &str| match dialect {
            Dialect::DuckDb => {
                format!("epoch_us(timezone('{tz}', CAST({d} AS TIMESTAMP) + to_minutes(CAST({m} AS BIGINT))))")
            }
            Dialect::Spark => {
                format!("unix_micros(to_utc_timestamp(timestamp_seconds(unix_date({d}) * 86400 + {m} * 60), '{tz}'))")
            }
        };
        let shift = |d: &str, n: i32| match dialect {
            Dialect::DuckDb => format!("{d} + ({n})"),
            Dialect::Spark => format!("date_add({d}, {n})"),
        };
        let values = |rows: &str| match dialect {
            Dialect::DuckDb => format!("(VALUES {rows}) AS w(k, s, e)"),
            Dialect::Spark => format!("VALUES {rows} AS w(k, s, e)"),
        };
        let days = match dialect {
            Dialect::DuckDb => {
                "SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS DATE) AS d FROM bounds".to_string()
            }
            Dialect::Spark => "SELECT explode(sequence(lo, hi, interval 1 day)) AS d FROM bounds".to_string(),
        };
        let dow = match dialect {
            Dialect::DuckDb => "isodow(days.d) - 1",
            Dialect::Spark => "weekday(days.d)",
        };
        let minute = |t: &chrono::NaiveTime| {
            use chrono::Timelike;
            t.hour() * 60 + t.minute()
        };
        let end_minute = |e: &Option<chrono::NaiveTime>| e.as_ref().map_or(1440, minute);
        let weekly: Vec<String> = cal
            .hours
            .0
            .iter()
            .map(|(wd, s, e)| format!("({}, {}, {})", wd.num_days_from_monday(), minute(s), end_minute(e)))
            .collect();
        let date = |d: &chrono::NaiveDate| match dialect {
            Dialect::DuckDb => format!("DATE '{d}'"),
            Dialect::Spark => format!("DATE'{d}'"),
        };
        let closed: Vec<String> = cal.holidays.iter().chain(cal.overrides.keys()).map(date).collect();
        let not_closed =
            if closed.is_empty() { String::new() } else { format!(" WHERE days.d NOT IN ({})", closed.join(", ")) };
        let mut special = String::new();
        for (d, spans) in &cal.overrides {
            for (s, e) in spans {
                special += &format!(
                    "
    UNION ALL SELECT {} AS d, {} AS s, {} AS e",
                    date(d),
                    minute(s),
                    end_minute(e)
                );
            }
        }
        out += &format!(
            ", cal{c}_days AS (
  WITH bounds AS (
    SELECT {lo} AS lo, {hi} AS hi
    FROM (SELECT min(arrived_us) AS lo_us, greatest(max(arrived_us), coalesce(max(answered_us), 0), coalesce(max(ended_us), 0), {as_of}) AS hi_us FROM base) r
  )
  {days}
), cal{c}_spans AS (
  SELECT {a} AS a, {b} AS b FROM (
    SELECT days.d, w.s, w.e FROM cal{c}_days days JOIN {weekly} ON {dow} = w.k{not_closed}{special}
  ) x
), cal{c} AS (
  SELECT a, b, coalesce(lead(a) OVER (ORDER BY a), 9223372036854775807) AS next_a,
    coalesce(sum(b - a) OVER (ORDER BY a ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM cal{c}_spans
)",
            lo = shift(&local_date("lo_us"), -1),
            hi = shift(&local_date("hi_us"), 1),
            a = at("x.d", "x.s"),
            b = at("x.d", "x.e"),
            weekly = values(&weekly.join(", ")),
        );
        let reading = |j: &str, t: &str| format!("{j}.before + least({t} - {j}.a, {j}.b - {j}.a)");
        for (stamp, col) in
            [(Stamp::Arrived, "arrived_us"), (Stamp::Answered, "answered_us"), (Stamp::Ended, "ended_us")]
        {
            let j = format!("j{c}_{}", stamp.suffix());
            cols += &format!(
                ",
    {} AS {}",
                reading(&j, &format!("base.{col}")),
                biz(c, stamp)
            );
            joins += &format!(
                "
  LEFT JOIN cal{c} {j} ON {j}.a <= base.{col} AND base.{col} < {j}.next_a"
            );
        }
        cols += &format!(
            ",
    coalesce(base.arrived_us < j{c}_arr.b, false) AS open{c}"
        );
        cols += &format!(
            ",
    (SELECT {} FROM cal{c} q WHERE q.a <= {as_of} AND {as_of} < q.next_a) AS {}",
            reading("q", as_of),
            biz(c, Stamp::AsOf)
        );
    }
    out += &format!(
        ", timed AS (
  SELECT base.*{cols}
  FROM base{joins}
)"
    );
    out
}

/// The SQL for the definitions, grouped by period, channel and queue with CUBE roll-ups.
/// `as_of_ms` is the data-complete instant in ms, or `None` for the latest arrival. With
/// `judged` (a contract's scope and exclusions, [`Judged::predicate`]) only the contacts of
/// `interactions` that satisfy it are measured: every path — the default `as_of`, the
/// repeat-contact search, the roll-ups — sees only those contacts, as `run` measures them.
pub fn emit(
    dialect: Dialect,
    defs: &[MetricDef],
    calendars: &[Calendar],
    period: PeriodKind,
    zone: Tz,
    as_of_ms: Option<i64>,
    judged: Option<&Judged<'_>>,
) -> Option<String> {
    let source = if judged.is_some() { "judged" } else { "interactions" };
    // A contract's counts end with its SHA-256.
    let fingerprint = judged.map_or(String::new(), |j| format!(", {}", j.tag()));
    let contract = judged.is_some();
    let judged = judged.map(|j| j.predicate(dialect));
    let judged = judged.as_deref();
    let tz = zone.name();
    let local = dialect.local("arrived_at", tz);
    let label = dialect.label(&local, period)?;
    // The period of an interval is the period of the interval's first instant.
    let interval_label = dialect.label(&dialect.local(&dialect.instant_at_ms("ival"), tz), period)?;
    let mut out = String::new();
    out += &format!(
        "-- callsla {} metric definitions as {} SQL: one row per period, channel and queue ('*' = all),\n-- with n<i>/d<i>/s<i>/u<i> = numerator, denominator, sample size and unsettled count of definition i.\n",
        env!("CARGO_PKG_VERSION"),
        if dialect == Dialect::DuckDb { "DuckDB" } else { "Spark" }
    );
    if dialect == Dialect::Spark {
        // The labels come from `from_utc_timestamp`, rendered in the session's zone.
        out += "-- Run with the session time zone UTC (SET spark.sql.session.timeZone = UTC): the period labels depend on it.\n";
    }
    for (i, d) in defs.iter().enumerate() {
        let note = if matches!(d, MetricDef::Availability(_)) {
            NOT_EMITTED
        } else if d.outbound() && contract && outbound_emitted(d) {
            "  (outbound: in --sql-for outbound)"
        } else if d.outbound() {
            OUTBOUND_NOT_EMITTED
        } else if d.side_table().is_some() {
            SIDE_NOT_EMITTED
        } else {
            ""
        };
        out += &format!("--   {i}: {} {}{note}\n", d.name(), d.definition());
    }
    // Derivations as in ingest (docs/schema.md): answered = answered_at present; the wait from
    // timestamps when not given; durations in whole milliseconds (seconds rounded half up).
    let mut fcr_cols = String::new();
    for (i, d) in defs.iter().enumerate() {
        if let MetricDef::Fcr(f) = d {
            if f.method == FcrMethod::RepeatContact {
                let part = match f.scope {
                    RepeatScope::AnyChannel => "customer_id",
                    RepeatScope::SameChannel => "customer_id, channel",
                    RepeatScope::SameQueue => "customer_id, queue",
                };
                fcr_cols += &format!(
                    ",\n    CASE WHEN customer_id IS NULL THEN NULL ELSE coalesce(lead(arrived_ms) OVER (PARTITION BY {part} ORDER BY arrived_ms, interaction_id) - arrived_ms <= {}, false) END AS rep{i}",
                    u64::from(f.window_days) * 86_400_000
                );
            }
        }
    }
    let as_of = match as_of_ms {
        Some(v) => (i128::from(v) * 1000).to_string(),
        None => format!("(SELECT max({}) FROM {source})", dialect.us("arrived_at")),
    };
    let used: Vec<usize> = {
        let mut u: Vec<usize> =
            defs.iter().filter_map(|d| d.calendar().and_then(|id| calendars.iter().position(|c| c.id == id))).collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    let calendar_ctes = calendar_ctes(dialect, calendars, &used, &as_of);
    // A contract's counts also carry the instant they were measured as of (µs).
    let fingerprint = if contract { format!("{fingerprint}, {as_of} AS as_of_us") } else { fingerprint };
    out += &format!(
        "WITH {judged_cte}base AS (
  SELECT *,
{columns}
  FROM {source}
  WHERE coalesce(direction, 'inbound') = 'inbound'
){calendar_ctes}, flagged AS (
  SELECT *{fcr_cols}
  FROM {flag_from}
), additive AS (
  SELECT period, {gc} AS channel, {gq} AS queue",
        columns = base_columns(dialect, &label, &as_of),
        gc = dialect.grouping("channel"),
        gq = dialect.grouping("queue"),
        flag_from = if used.is_empty() { "base" } else { "timed" },
        judged_cte =
            judged.map_or(String::new(), |p| format!("judged AS (\n  SELECT * FROM interactions\n  WHERE {p}\n), ")),
    );
    let mut ctes = String::new();
    let mut select = String::new();
    let mut joins = String::new();
    let join = |name: String| {
        format!(
            "\nLEFT JOIN {name} ON {name}.period = additive.period AND {name}.channel IS NOT DISTINCT FROM additive.channel AND {name}.queue IS NOT DISTINCT FROM additive.queue"
        )
    };
    for (i, d) in defs.iter().enumerate() {
        let cal = d.calendar().and_then(|id| calendars.iter().position(|c| c.id == id));
        if d.outbound() || d.side_table().is_some() {
            continue;
        }
        if let Some(t) = indicators(d, i, cal) {
            for (tag, e) in ["n", "d", "s", "u"].iter().zip(t) {
                out += &format!(",\n  SUM({}) AS {tag}{i}", num_sql(dialect, &e));
                select += &format!(", additive.{tag}{i}");
            }
            continue;
        }
        match d {
            MetricDef::ResponseTimePercentile(p) | MetricDef::ResolutionTimePercentile(p) => {
                // Sample size and unsettled count are additive: the values present and missing.
                let ch = in_list("channel", &d.channels());
                let at = measured_to(d);
                out += &format!(",\n  SUM(CASE WHEN {ch} AND {at} IS NOT NULL THEN 1 ELSE 0 END) AS s{i}");
                out += &format!(",\n  SUM(CASE WHEN {ch} AND {at} IS NULL THEN 1 ELSE 0 END) AS u{i}");
                if dialect == Dialect::DuckDb {
                    // DuckDB's quantile_disc is the nearest rank (the differential test checks
                    // it): one aggregate in the CUBE, no ranking of each grouping set.
                    let v = percentile_value(dialect, d, cal);
                    let q = format!("{}.{:02}", p.percentile / 100, p.percentile % 100);
                    out +=
                        &format!(",\n  quantile_disc(CASE WHEN {ch} AND {at} IS NOT NULL THEN {v} END, {q}) AS v{i}");
                    let k = nearest_rank(dialect, p, &format!("additive.s{i}"));
                    select += &format!(
                        ", CASE WHEN additive.s{i} > 0 THEN greatest(1, {k}) ELSE 0 END AS n{i}, additive.s{i} AS d{i}, additive.s{i}, additive.u{i}, additive.v{i}"
                    );
                } else {
                    ctes += &percentile_ctes(dialect, d, p, i, cal);
                    select += &format!(
                        ", coalesce(pr{i}.n, 0) AS n{i}, coalesce(pr{i}.d, 0) AS d{i}, additive.s{i}, additive.u{i}, pr{i}.v AS v{i}"
                    );
                    joins += &join(format!("pr{i}"));
                }
            }
            MetricDef::IntervalCompliance(ic) => {
                ctes += &interval_ctes(dialect, d, ic, i, cal, tz, &interval_label);
                // A group with no contacts in the definition's channels has no row in callsla.
                select += &format!(
                    ", ic{i}.n AS n{i}, ic{i}.d AS d{i}, ic{i}.s AS s{i}, CASE WHEN ic{i}.s IS NULL THEN NULL ELSE 0 END AS u{i}"
                );
                joins += &join(format!("ic{i}"));
            }
            _ => {}
        }
    }
    out += "\nFROM flagged\nGROUP BY period, CUBE (channel, queue)\n)";
    out += &ctes;
    out += &format!(
        "\nSELECT additive.period, additive.channel, additive.queue{select}{fingerprint}\nFROM additive{joins}\nORDER BY 1, 2, 3;\n"
    );
    Some(out)
}

/// The columns every contact gets before it is measured (as ingest derives them, docs/schema.md):
/// answered = answered_at present; timestamps in ms and µs; the wait from the timestamps when
/// not given; durations in whole milliseconds; the period label; the data-complete instant.
fn base_columns(dialect: Dialect, label: &str, as_of: &str) -> String {
    let ms = |c: &str| dialect.ms(c);
    let (arr, ans, end) = (ms("arrived_at"), ms("answered_at"), ms("ended_at"));
    format!(
        "    answered_at IS NOT NULL AS answered,
    {arr} AS arrived_ms,
    {ans} AS answered_ms,
    {end} AS ended_ms,
    {arr_us} AS arrived_us,
    {ans_us} AS answered_us,
    {end_us} AS ended_us,
    coalesce({wait}, CASE WHEN answered_at IS NOT NULL THEN {ans} - {arr} ELSE {end} - {arr} END) AS wait_ms,
    {talk} AS talk_ms, {hold} AS hold_ms, {wrap} AS wrap_ms,
    {label} AS period,
    {as_of} AS as_of_us",
        arr_us = dialect.us("arrived_at"),
        ans_us = dialect.us("answered_at"),
        end_us = dialect.us("ended_at"),
        wait = dur("wait_s"),
        talk = dur("talk_s"),
        hold = dur("hold_s"),
        wrap = dur("wrap_s"),
    )
}

/// Whether the outbound SQL computes a definition: not suppression hits (the list of numbers
/// stays with callsla) nor the dialler abandonment rate over rolling 30-day windows.
pub fn outbound_emitted(def: &MetricDef) -> bool {
    match def {
        MetricDef::SuppressionHits(_) => false,
        MetricDef::DiallerAbandonmentRate(d) => d.window != AbandonWindow::Days30,
        d => d.outbound(),
    }
}

/// Whether a local timestamp is inside weekly hours: on a span's weekday, at or after its
/// start and before its end (to the second: the spans are whole minutes).
fn inside_hours(dialect: Dialect, local: &str, hours: &crate::time::calendar::WeeklyHours) -> String {
    use chrono::Timelike as _;
    let tod = format!("(hour({local}) * 3600 + minute({local}) * 60 + second({local}))");
    let day = dialect.iso_weekday(local);
    let spans: Vec<String> = hours
        .0
        .iter()
        .map(|(wd, start, end)| {
            let mut c =
                format!("{day} = {} AND {tod} >= {}", wd.number_from_monday(), start.num_seconds_from_midnight());
            if let Some(e) = end {
                c += &format!(" AND {tod} < {}", e.num_seconds_from_midnight());
            }
            format!("({c})")
        })
        .collect();
    if spans.is_empty() {
        "false".to_string()
    } else {
        spans.join(" OR ")
    }
}

/// The SQL for a contract's outbound metrics (`run --emit-sql … --sql-for outbound`): over the
/// outbound attempts it judges (the `judged` relation of [`emit`]), grouped by period and
/// `CUBE (channel, queue)`, the n/d/s/u of each outbound definition — the additive ones (connects,
/// contact, right-party and conversion rates, calling-window violations with each attempt's
/// local time in its `party_zone`, the dialler abandonment rate per period) and the dialler
/// abandonment rate per campaign per day, whose worst campaign-day in the group (the highest
/// abandoned ÷ live, the first campaign then day on a tie) gives n and d and whose windows with
/// live answers give s; `m<i>` counts the attempts a definition measures that lack a value it
/// reads (a disposition; a called party's zone without `unknown_zone`). Rows end with
/// `contract_sha256`, `as_of_us` and `direction` (`outbound`). Suppression hits and 30-day dialler windows are listed as not emitted.
/// `defs` are numbered as in [`emit`]; `None` when the period kind has no SQL label or a
/// calling window's hours or zone cannot be read.
pub fn emit_outbound(
    dialect: Dialect,
    defs: &[MetricDef],
    period: PeriodKind,
    zone: Tz,
    as_of_ms: Option<i64>,
    judged: &Judged<'_>,
) -> Option<String> {
    let tz = zone.name();
    let label = dialect.label(&dialect.local("arrived_at", tz), period)?;
    let day = dialect.label(&dialect.local("arrived_at", tz), PeriodKind::Day)?;
    let as_of = match as_of_ms {
        Some(v) => (i128::from(v) * 1000).to_string(),
        None => format!("(SELECT max({}) FROM judged)", dialect.us("arrived_at")),
    };
    let mut out = format!(
        "-- callsla {} outbound metrics as {} SQL: one row per period, channel and queue ('*' = all) of the outbound attempts judged,\n-- with n<i>/d<i>/s<i>/u<i> = numerator, denominator, sample size and unsettled count of definition i.\n",
        env!("CARGO_PKG_VERSION"),
        if dialect == Dialect::DuckDb { "DuckDB" } else { "Spark" }
    );
    if dialect == Dialect::Spark {
        out += "-- Run with the session time zone UTC (SET spark.sql.session.timeZone = UTC): the period labels depend on it.\n";
    }
    let mut flags = String::new();
    let mut sums = String::new();
    let mut select = String::new();
    let mut ctes = String::new();
    let mut joins = String::new();
    for (i, d) in defs.iter().enumerate().filter(|(_, d)| d.outbound()) {
        if !outbound_emitted(d) {
            out += &format!("--   {i}: {} {} (not emitted: callsla computes it)\n", d.name(), d.definition());
            continue;
        }
        out += &format!("--   {i}: {} {}\n", d.name(), d.definition());
        if let MetricDef::CallingWindowViolations(w) = d {
            let hours = crate::time::calendar::WeeklyHours::parse(&w.hours).ok()?;
            // The called party's zone, or the one the definition assumes.
            let party = match &w.unknown_zone {
                Some(z) => {
                    z.parse::<Tz>().ok()?;
                    format!("coalesce(party_zone, '{}')", z.replace('\'', "''"))
                }
                None => "party_zone".to_string(),
            };
            let local = dialect.local_in("arrived_at", &party);
            flags += &format!(
                ",\n    CASE WHEN {party} IS NULL THEN NULL ELSE NOT ({}) END AS outside{i}",
                inside_hours(dialect, &local, &hours)
            );
        }
        // The attempts it measures that lack a value it reads (`run` stops on them, as on the
        // logs): a disposition, or a called party's zone without a fallback.
        let mut gate = vec![in_list("channel", &d.channels())];
        if let Some(cs) = d.campaigns() {
            gate.push(format!("coalesce({}, false)", in_list("campaign", cs)));
        }
        let gate = gate.join(" AND ");
        let mut lacking = Vec::new();
        if d.reads_disposition() {
            lacking.push("disposition IS NULL");
        }
        if matches!(d, MetricDef::CallingWindowViolations(w) if w.unknown_zone.is_none()) {
            lacking.push("party_zone IS NULL");
        }
        if !lacking.is_empty() {
            sums += &format!(",\n  SUM(CASE WHEN {gate} AND ({}) THEN 1 ELSE 0 END) AS m{i}", lacking.join(" OR "));
            select += &format!(", oadditive.m{i}");
        }
        if let Some(t) = indicators(d, i, None) {
            for (tag, e) in ["n", "d", "s", "u"].iter().zip(t) {
                sums += &format!(",\n  SUM({}) AS {tag}{i}", num_sql(dialect, &e));
                select += &format!(", oadditive.{tag}{i}");
            }
            continue;
        }
        let MetricDef::DiallerAbandonmentRate(_) = d else { continue };
        ctes += &format!(
            ", dd{i} AS (
  SELECT period, {gc} AS channel, {gq} AS queue, campaign_k, day,
    SUM({ab}) AS ab, SUM({live}) AS live
  FROM (SELECT *, coalesce(campaign, '(none)') AS campaign_k, {day} AS day FROM oflagged WHERE {gate}) cells
  GROUP BY period, campaign_k, day, CUBE (channel, queue)
), dw{i} AS (
  SELECT period, channel, queue, ab, live, windows FROM (
    SELECT *, row_number() OVER (PARTITION BY period, channel, queue ORDER BY CAST(ab AS DOUBLE) / live DESC, campaign_k, day) AS rk,
      COUNT(*) OVER (PARTITION BY period, channel, queue) AS windows
    FROM dd{i} WHERE live > 0
  ) ranked WHERE rk = 1
)",
            gc = dialect.grouping("channel"),
            gq = dialect.grouping("queue"),
            ab = b(&cond(dialect, &Cond::Disposition(super::term::DIALLER_ABANDONED))),
            live = b(&cond(dialect, &Cond::Disposition(super::term::LIVE))),
        );
        select += &format!(
            ", coalesce(dw{i}.ab, 0) AS n{i}, coalesce(dw{i}.live, 0) AS d{i}, coalesce(dw{i}.windows, 0) AS s{i}, 0 AS u{i}"
        );
        joins += &format!(
            "\nLEFT JOIN dw{i} ON dw{i}.period = oadditive.period AND dw{i}.channel = oadditive.channel AND dw{i}.queue = oadditive.queue"
        );
    }
    out += &format!(
        "WITH judged AS (
  SELECT * FROM interactions
  WHERE {predicate}
), obase AS (
  SELECT *,
{columns}
  FROM judged
  WHERE coalesce(direction, 'inbound') = 'outbound'
), oflagged AS (
  SELECT *{flags}
  FROM obase
), oadditive AS (
  SELECT period, {gc} AS channel, {gq} AS queue{sums}
  FROM oflagged
  GROUP BY period, CUBE (channel, queue)
){ctes}
SELECT oadditive.period, oadditive.channel, oadditive.queue{select}, {tag}, {as_of} AS as_of_us, 'outbound' AS direction
FROM oadditive{joins}
ORDER BY 1, 2, 3;
",
        predicate = judged.predicate(dialect),
        columns = base_columns(dialect, &label, &as_of),
        gc = dialect.grouping("channel"),
        gq = dialect.grouping("queue"),
        tag = judged.tag(),
    );
    Some(out)
}

/// A duration column in whole milliseconds (seconds rounded half up, as ingest reads them).
fn dur(c: &str) -> String {
    format!("CAST(floor({c} * 1000 + 0.5) AS BIGINT)")
}

/// The column names of a billable set's sums: `ms_talk_hold_wrap`, `started_talk_hold_wrap`.
pub fn billable_name(set: &[Component]) -> String {
    set.iter()
        .map(|c| match c {
            Component::Talk => "talk",
            Component::Hold => "hold",
            Component::Wrap => "wrap",
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// The SQL for a contract's billing volumes (`run --emit-sql … --sql-for volumes`): over the
/// contacts of `interactions` in its scope (`scoped`, the scope part of [`Judged::predicate`]:
/// exclusion windows do not remove contacts from billing), one row per period label, channel,
/// direction and campaign with the handled (answered) contacts, the connects (dispositions
/// `connected`, `right_party`, `converted`), the resolved handled contacts and, for each
/// billable set of the rate cards, the billable milliseconds of handled contacts (`ms_<set>`)
/// and their started minutes, each contact's rounded up (`started_<set>`) — the sums `run`
/// prices (docs/contract.md, "[[pricing]]"). `outbound`: the relation has the outbound columns
/// (`campaign`, `disposition`); without them the campaign is NULL and there are no connects.
/// `contacts` counts every contact of the row (handled or not); every row ends with the
/// contract's SHA-256 (`contract_sha256`).
pub fn emit_volumes(
    dialect: Dialect,
    judged: &Judged<'_>,
    sets: &[Vec<Component>],
    period: PeriodKind,
    zone: Tz,
    outbound: bool,
) -> Option<String> {
    let label = dialect.label(&dialect.local("arrived_at", zone.name()), period)?;
    let campaign = dialect.campaign(outbound);
    let connect = if outbound {
        b(&format!("disposition IN ({})", quoted(super::term::CONNECT.iter().copied())))
    } else {
        "0".to_string()
    };
    let mut timed = String::new();
    let mut sums = String::new();
    for set in sets.iter().filter(|s| !s.is_empty()) {
        let name = billable_name(set);
        let parts: Vec<String> = set.iter().map(|c| format!("coalesce({}_ms, 0)", billable_name(&[*c]))).collect();
        timed += &format!(",\n    CASE WHEN answered THEN {} ELSE 0 END AS ms_{name}", parts.join(" + "));
        sums += &format!(
            ",\n  SUM(ms_{name}) AS ms_{name},\n  SUM({}) AS started_{name}",
            dialect.idiv(&format!("ms_{name} + 59999"), "60000")
        );
    }
    Some(format!(
        "-- callsla {} billing volumes as {} SQL: one row per period, channel, direction and campaign of the contacts in scope.
WITH scoped AS (
  SELECT * FROM interactions
  WHERE {scoped}
), base AS (
  SELECT *,
    answered_at IS NOT NULL AS answered,
    {label} AS period,
    {talk} AS talk_ms, {hold} AS hold_ms, {wrap} AS wrap_ms
  FROM scoped
), timed AS (
  SELECT *{timed}
  FROM base
)
SELECT period, channel, coalesce(direction, 'inbound') AS direction, {campaign} AS campaign,
  COUNT(*) AS contacts,
  SUM(CASE WHEN answered THEN 1 ELSE 0 END) AS handled,
  SUM({connect}) AS connects,
  SUM(CASE WHEN answered AND coalesce(resolved, false) THEN 1 ELSE 0 END) AS resolved{sums},
  {tag}
FROM timed
GROUP BY period, channel, coalesce(direction, 'inbound'), {campaign}
ORDER BY 1, 2, 3, 4;
",
        env!("CARGO_PKG_VERSION"),
        if dialect == Dialect::DuckDb { "DuckDB" } else { "Spark" },
        talk = dur("talk_s"),
        hold = dur("hold_s"),
        wrap = dur("wrap_s"),
        scoped = judged.scope(),
        tag = judged.tag(),
    ))
}

/// The DuckDB view over a canonical CSV that the emitted query reads.
pub(crate) fn duckdb_csv_view(path: &str) -> String {
    format!(
        "CREATE OR REPLACE VIEW interactions AS SELECT * FROM read_csv('{}', header = true, columns = {{
  'interaction_id': 'VARCHAR', 'channel': 'VARCHAR', 'direction': 'VARCHAR', 'queue': 'VARCHAR',
  'customer_id': 'VARCHAR', 'agent_id': 'VARCHAR', 'arrived_at': 'TIMESTAMPTZ', 'answered_at': 'TIMESTAMPTZ',
  'ended_at': 'TIMESTAMPTZ', 'wait_s': 'DOUBLE', 'talk_s': 'DOUBLE', 'hold_s': 'DOUBLE', 'wrap_s': 'DOUBLE',
  'resolved': 'BOOLEAN', 'csat': 'INTEGER'}});\n",
        path.replace('\'', "''")
    )
}

/// The type DuckDB reads a canonical column as (docs/schema.md); any other column is text.
fn duckdb_type(column: &str) -> &'static str {
    match column {
        "arrived_at" | "answered_at" | "ended_at" => "TIMESTAMPTZ",
        "wait_s" | "talk_s" | "hold_s" | "wrap_s" => "DOUBLE",
        "resolved" => "BOOLEAN",
        "csat" => "INTEGER",
        _ => "VARCHAR",
    }
}

/// The DuckDB view over a canonical CSV whose header line is `header`: the canonical columns
/// with their types and any others (the outbound columns, `campaign` among them) as text.
pub(crate) fn duckdb_csv_view_with(path: &str, header: &str) -> String {
    let columns: Vec<String> = header
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| {
            let c = c.trim_matches('"');
            format!("'{}': '{}'", c.replace('\'', "''"), duckdb_type(c))
        })
        .collect();
    format!(
        "CREATE OR REPLACE VIEW interactions AS SELECT * FROM read_csv('{}', header = true, columns = {{\n  {}}});\n",
        path.replace('\'', "''"),
        columns.join(", ")
    )
}

//! Portable definitions: the SQL that computes the same metrics, with the same parameters, on
//! DuckDB or Spark SQL, for data that outgrows one machine or already lives in a warehouse.
//!
//! The query reads a relation `interactions` with the canonical columns (docs/schema.md;
//! timestamps as timestamps with zone, durations in seconds) and returns, per period label,
//! channel and queue (with `*` roll-ups via CUBE), each additive definition's numerator,
//! denominator, sample size and unsettled count under the column names `n{i}`, `d{i}`, `s{i}`,
//! `u{i}` (i = the definition's position). Percentiles, interval compliance and availability are
//! not additive and are not emitted. docs/scaling.md explains how the work partitions.

use chrono_tz::Tz;

use super::definition::*;
use super::period::PeriodKind;

/// Target SQL dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Spark,
}

impl Dialect {
    pub fn parse(s: &str) -> Option<Dialect> {
        match s {
            "duckdb" => Some(Dialect::DuckDb),
            "spark" => Some(Dialect::Spark),
            _ => None,
        }
    }

    fn ms(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_ms({ts})"),
            Dialect::Spark => format!("unix_millis({ts})"),
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

    fn grouping(self, column: &str) -> String {
        format!("CASE WHEN grouping({column}) = 1 THEN '*' ELSE {column} END")
    }
}

fn in_channels(channels: &[String]) -> String {
    let list: Vec<String> = channels.iter().map(|c| format!("'{}'", c.replace('\'', "''"))).collect();
    format!("channel IN ({})", list.join(", "))
}

fn b(cond: &str) -> String {
    format!("CASE WHEN {cond} THEN 1 ELSE 0 END")
}

fn within(col: &str, threshold_s: u32, inclusive: bool) -> String {
    format!("{col} {} {}", if inclusive { "<=" } else { "<" }, u64::from(threshold_s) * 1000)
}

/// Per-contact terms of one definition, as SQL expressions (before SUM); `None` when the
/// metric is not additive.
fn terms(def: &MetricDef, idx: usize) -> Option<[String; 4]> {
    let ch = in_channels(&def.channels());
    let gate = |e: String| format!("CASE WHEN {ch} THEN {e} ELSE 0 END");
    let short = |s: u32, inc: bool| format!("NOT answered AND {}", within("wait_ms", s, inc));
    let zero = || "0".to_string();
    Some(match def {
        MetricDef::Offered(_) => [gate("1".into()), zero(), gate("1".into()), zero()],
        MetricDef::Answered(_) => [gate(b("answered")), zero(), gate("1".into()), zero()],
        MetricDef::Abandoned(_) => [gate(b("NOT answered")), zero(), gate("1".into()), zero()],
        MetricDef::ShortAbandoned(d) => {
            [gate(b(&short(d.short_abandon_s, d.short_inclusive))), zero(), gate("1".into()), zero()]
        }
        MetricDef::AbandonmentRate(d) => {
            let sa = b(&short(d.short_abandon_s, d.short_inclusive));
            match d.short_abandons {
                ShortAbandons::Exclude => {
                    [gate(format!("{} - {sa}", b("NOT answered"))), gate(format!("1 - {sa}")), gate("1".into()), zero()]
                }
                ShortAbandons::Include => [gate(b("NOT answered")), gate("1".into()), gate("1".into()), zero()],
            }
        }
        MetricDef::ServiceLevel(d) => {
            let a_le = b(&format!("answered AND {}", within("wait_ms", d.threshold_s, d.inclusive)));
            let ab_le = b(&format!("NOT answered AND {}", within("wait_ms", d.threshold_s, d.inclusive)));
            let sa = b(&short(d.short_abandon_s, d.short_inclusive));
            let (n, den) = match d.abandons {
                AbandonTreatment::CountAgainst => (a_le, "1".to_string()),
                AbandonTreatment::IgnoreBeforeT => (a_le, format!("1 - {ab_le}")),
                AbandonTreatment::MetBeforeT => (format!("{a_le} + {ab_le}"), "1".to_string()),
                AbandonTreatment::AnsweredOnly => (a_le, b("answered")),
                AbandonTreatment::ExcludeShort => (a_le, format!("1 - {sa}")),
                AbandonTreatment::ShortMet => (format!("{a_le} + {sa}"), "1".to_string()),
            };
            [gate(n), gate(den), gate("1".into()), zero()]
        }
        MetricDef::Asa(_) => [
            gate("CASE WHEN answered THEN coalesce(wait_ms, 0) ELSE 0 END".into()),
            gate(b("answered")),
            gate(b("answered")),
            zero(),
        ],
        MetricDef::Aht(d) => {
            let parts: Vec<&str> = d
                .components
                .iter()
                .map(|c| match c {
                    Component::Talk => "coalesce(talk_ms, 0)",
                    Component::Hold => "coalesce(hold_ms, 0)",
                    Component::Wrap => "coalesce(wrap_ms, 0)",
                })
                .collect();
            [
                gate(format!("CASE WHEN answered THEN {} ELSE 0 END", parts.join(" + "))),
                gate(b("answered")),
                gate(b("answered")),
                zero(),
            ]
        }
        MetricDef::Fcr(d) => match d.method {
            FcrMethod::Disposition => {
                let den = match d.denominator {
                    FcrDenominator::Handled => b("answered"),
                    FcrDenominator::Offered => "1".to_string(),
                };
                [gate(b("answered AND coalesce(resolved, false)")), gate(den.clone()), gate(den), zero()]
            }
            FcrMethod::RepeatContact => {
                let rep = format!("rep{idx}");
                let window = u64::from(d.window_days) * 86_400_000;
                let settled = format!("(coalesce({rep}, false) OR arrived_ms + {window} <= as_of_ms)");
                let base = "answered AND customer_id IS NOT NULL";
                [
                    gate(b(&format!("{base} AND {settled} AND NOT coalesce({rep}, false)"))),
                    gate(b(&format!("{base} AND {settled}"))),
                    gate(b("answered")),
                    gate(b(&format!("{base} AND NOT {settled}"))),
                ]
            }
        },
        MetricDef::Csat(d) => {
            let [lo, hi] = d.scale;
            let valid = format!("csat IS NOT NULL AND csat >= {lo} AND csat <= {hi}");
            let num = match d.measure {
                CsatMeasure::Top2Box => b(&format!("{valid} AND csat >= {}", hi - 1)),
                CsatMeasure::TopBox => b(&format!("{valid} AND csat = {hi}")),
                CsatMeasure::Mean => format!("CASE WHEN {valid} THEN csat ELSE 0 END"),
            };
            [gate(num), gate(b(&valid)), gate(b(&valid)), zero()]
        }
        MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => {
            let at = if matches!(def, MetricDef::ResponseTime(_)) { "answered_ms" } else { "ended_ms" };
            let t = u64::from(d.threshold_s) * 1000;
            let decided = format!("({at} IS NOT NULL OR arrived_ms + {t} <= as_of_ms)");
            [
                gate(b(&format!("{at} IS NOT NULL AND {at} - arrived_ms <= {t}"))),
                gate(b(&decided)),
                gate("1".into()),
                gate(b(&format!("NOT {decided}"))),
            ]
        }
        MetricDef::ResponseTimeMean(_) | MetricDef::ResolutionTimeMean(_) => {
            let at = if matches!(def, MetricDef::ResponseTimeMean(_)) { "answered_ms" } else { "ended_ms" };
            [
                gate(format!("CASE WHEN {at} IS NOT NULL THEN {at} - arrived_ms ELSE 0 END")),
                gate(b(&format!("{at} IS NOT NULL"))),
                gate("1".into()),
                gate(b(&format!("{at} IS NULL"))),
            ]
        }
        MetricDef::ResponseTimePercentile(_)
        | MetricDef::ResolutionTimePercentile(_)
        | MetricDef::Availability(_)
        | MetricDef::IntervalCompliance(_) => return None,
    })
}

/// The SQL for the definitions, grouped by period, channel and queue with CUBE roll-ups.
/// `as_of_ms` is the data-complete instant in ms, or `None` for the latest arrival.
pub fn emit(
    dialect: Dialect,
    defs: &[MetricDef],
    period: PeriodKind,
    zone: Tz,
    as_of_ms: Option<i64>,
) -> Option<String> {
    let tz = zone.name();
    let local = dialect.local("arrived_at", tz);
    let label = dialect.label(&local, period)?;
    let ms = |c: &str| dialect.ms(c);
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
        let note = if terms(d, i).is_some() { "" } else { "  (not additive: not emitted)" };
        out += &format!("--   {i}: {} {}{note}\n", d.name(), d.definition());
    }
    // Derivations as in ingest (docs/schema.md): answered = answered_at present; the wait from
    // timestamps when not given; durations in whole milliseconds (seconds rounded half up).
    let dur = |c: &str| format!("CAST(floor({c} * 1000 + 0.5) AS BIGINT)");
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
        Some(v) => v.to_string(),
        None => format!("(SELECT max({}) FROM interactions)", ms("arrived_at")),
    };
    out += &format!(
        "WITH base AS (
  SELECT *,
    answered_at IS NOT NULL AS answered,
    {arr} AS arrived_ms,
    {ans} AS answered_ms,
    {end} AS ended_ms,
    coalesce({wait}, CASE WHEN answered_at IS NOT NULL THEN {ans} - {arr} ELSE {end} - {arr} END) AS wait_ms,
    {talk} AS talk_ms, {hold} AS hold_ms, {wrap} AS wrap_ms,
    {label} AS period,
    {as_of} AS as_of_ms
  FROM interactions
  WHERE coalesce(direction, 'inbound') = 'inbound'
), flagged AS (
  SELECT *{fcr_cols}
  FROM base
)
SELECT period, {gc} AS channel, {gq} AS queue",
        arr = ms("arrived_at"),
        ans = ms("answered_at"),
        end = ms("ended_at"),
        wait = dur("wait_s"),
        talk = dur("talk_s"),
        hold = dur("hold_s"),
        wrap = dur("wrap_s"),
        gc = dialect.grouping("channel"),
        gq = dialect.grouping("queue"),
    );
    for (i, d) in defs.iter().enumerate() {
        if let Some(t) = terms(d, i) {
            for (tag, e) in ["n", "d", "s", "u"].iter().zip(t) {
                out += &format!(",\n  SUM({e}) AS {tag}{i}");
            }
        }
    }
    out += "\nFROM flagged\nGROUP BY period, CUBE (channel, queue)\nORDER BY period, channel, queue;\n";
    Some(out)
}

/// The DuckDB view over a canonical CSV that the emitted query reads.
pub fn duckdb_csv_view(path: &str) -> String {
    format!(
        "CREATE OR REPLACE VIEW interactions AS SELECT * FROM read_csv('{}', header = true, columns = {{
  'interaction_id': 'VARCHAR', 'channel': 'VARCHAR', 'direction': 'VARCHAR', 'queue': 'VARCHAR',
  'customer_id': 'VARCHAR', 'agent_id': 'VARCHAR', 'arrived_at': 'TIMESTAMPTZ', 'answered_at': 'TIMESTAMPTZ',
  'ended_at': 'TIMESTAMPTZ', 'wait_s': 'DOUBLE', 'talk_s': 'DOUBLE', 'hold_s': 'DOUBLE', 'wrap_s': 'DOUBLE',
  'resolved': 'BOOLEAN', 'csat': 'INTEGER'}});\n",
        path.replace('\'', "''")
    )
}

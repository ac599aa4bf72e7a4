//! Metrics engine: hand-worked vectors for every metric and variant, at their boundaries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::ingest::{self, IngestOptions, Profile};
use callsla::metrics::definition::*;
use callsla::metrics::{self, Dim, MetricRow, MetricTable, MetricsRequest, PeriodKind};
use chrono::{DateTime, Duration, Utc};
use common::*;
use rust_decimal::Decimal;

const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat";
const NY: chrono_tz::Tz = chrono_tz::America::New_York;

/// One contact for a test log.
#[derive(Clone)]
struct C {
    channel: &'static str,
    queue: &'static str,
    customer: Option<&'static str>,
    arrived: DateTime<Utc>,
    /// Seconds waited; answered when `answered` is true.
    wait: i64,
    answered: bool,
    talk: i64,
    hold: i64,
    wrap: i64,
    resolved: Option<bool>,
    csat: Option<i64>,
    /// Seconds from arrival to end, when it differs from wait + talk (email resolution).
    ended_after: Option<i64>,
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn voice(arrived: &str, wait: i64, answered: bool) -> C {
    C {
        channel: "voice",
        queue: "billing",
        customer: None,
        arrived: t(arrived),
        wait,
        answered,
        talk: if answered { 100 } else { 0 },
        hold: 0,
        wrap: 0,
        resolved: None,
        csat: None,
        ended_after: None,
    }
}

fn log(contacts: &[C]) -> String {
    let mut out = format!("{HEADER}\n");
    for (i, c) in contacts.iter().enumerate() {
        let fmt = |d: DateTime<Utc>| d.to_rfc3339();
        let (ans, end) = if c.answered {
            let a = c.arrived + Duration::seconds(c.wait);
            (fmt(a), fmt(c.arrived + Duration::seconds(c.ended_after.unwrap_or(c.wait + c.talk + c.hold))))
        } else if c.channel == "voice" || c.channel == "chat" {
            (String::new(), fmt(c.arrived + Duration::seconds(c.wait)))
        } else {
            (String::new(), String::new())
        };
        let wait =
            if c.answered || c.channel == "voice" || c.channel == "chat" { c.wait.to_string() } else { String::new() };
        out += &format!(
            "I{i},{},inbound,{},{},A1,{},{ans},{end},{wait},{},{},{},{},{}\n",
            c.channel,
            c.queue,
            c.customer.unwrap_or(""),
            fmt(c.arrived),
            c.talk,
            c.hold,
            c.wrap,
            c.resolved.map(|b| b.to_string()).unwrap_or_default(),
            c.csat.map(|v| v.to_string()).unwrap_or_default(),
        );
    }
    out
}

fn compute(contacts: &[C], defs: Vec<MetricDef>, period: PeriodKind, by: Vec<Dim>, as_of: Option<&str>) -> MetricTable {
    let dir = TempDir::new("metrics");
    let input = dir.write("log.csv", &log(contacts));
    let rows = ingest::ingest(
        &Profile::canonical(),
        &[input],
        &IngestOptions { max_reject_rate: Decimal::ZERO, strict: true, hash_inputs: false },
    )
    .unwrap();
    let req = MetricsRequest {
        period,
        zone: NY,
        by,
        definitions: defs,
        as_of: as_of.map(|s| t(s).timestamp_micros()),
        outages: vec![],
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: ([1, 5], "the canonical profile".to_string()),
    };
    metrics::compute(&rows.accepted, &req).unwrap()
}

/// The all-groups row of a metric whose definition contains `definition_part` (or, when it
/// starts with `$`, ends with the rest).
fn find<'a>(tb: &'a MetricTable, period: &str, metric: &str, definition_part: &str) -> &'a MetricRow {
    let matches = |def: &str| match definition_part.strip_prefix('$') {
        Some(end) => def.ends_with(end),
        None => def.contains(definition_part),
    };
    tb.rows
        .iter()
        .find(|r| {
            r.period == period && r.metric == metric && r.channel == "*" && r.queue == "*" && matches(&r.definition)
        })
        .unwrap_or_else(|| panic!("no {metric} [{definition_part}] row for {period}"))
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sl(threshold_s: u32, abandons: AbandonTreatment, inclusive: bool) -> MetricDef {
    MetricDef::ServiceLevel(ServiceLevelDef {
        threshold_s,
        abandons,
        inclusive,
        short_abandon_s: 5,
        short_inclusive: false,
        channels: None,
        calendar: None,
    })
}

/// The ICMI vector: A=1000, AB=60, A≤T=860, AB≤T=20, SA=10, T=20 s, built as real contacts
/// with waits exactly at the boundaries: 860 answered at exactly 20 s (inclusive T), 140 at
/// 21 s; 10 abandoned at 4 s (short: below 5 s), 10 at exactly 20 s (≤ T, not short), 40 at 60 s.
fn icmi_contacts() -> Vec<C> {
    let mut v = Vec::new();
    let base = t("2026-10-05T14:00:00Z");
    let mut push = |n: usize, wait: i64, answered: bool| {
        for _ in 0..n {
            let mut c = voice("2026-10-05T14:00:00Z", wait, answered);
            c.arrived = base + Duration::seconds(v.len() as i64);
            v.push(c);
        }
    };
    push(860, 20, true);
    push(140, 21, true);
    push(10, 4, false);
    push(10, 20, false);
    push(40, 60, false);
    v
}

#[test]
fn service_level_icmi_vector_all_six_variants() {
    use AbandonTreatment::*;
    let cases = [
        (CountAgainst, "860", "1060", "81.1321"),
        (IgnoreBeforeT, "860", "1040", "82.6923"),
        (MetBeforeT, "880", "1060", "83.0189"),
        (AnsweredOnly, "860", "1000", "86.0000"),
        (ExcludeShort, "860", "1050", "81.9048"),
        (ShortMet, "870", "1060", "82.0755"),
    ];
    let defs = cases.iter().map(|(a, ..)| sl(20, *a, true)).collect();
    let tb = compute(&icmi_contacts(), defs, PeriodKind::Month, vec![], None);
    for (abandons, num, den, value) in cases {
        let name = serde_json::to_value(abandons).unwrap().as_str().unwrap().to_string();
        let r = find(&tb, "2026-10", "service_level", &format!("abandons={name};"));
        assert_eq!((r.numerator, r.denominator, r.value), (Some(d(num)), Some(d(den)), Some(d(value))), "{name}");
        assert_eq!(r.sample_size, 1060, "{name}");
    }
    // The same vector through the count formula.
    assert_eq!(metrics::service_level_counts(CountAgainst, 1000, 60, 860, 20, 10), (860, 1060));
}

#[test]
fn service_level_threshold_is_inclusive_by_default_and_strict_on_request() {
    let tb =
        compute(&icmi_contacts(), vec![sl(20, AbandonTreatment::AnsweredOnly, false)], PeriodKind::Month, vec![], None);
    let r = find(&tb, "2026-10", "service_level", "inclusive=false");
    assert_eq!((r.numerator, r.denominator), (Some(d("0")), Some(d("1000"))));
    // One second more: all 1000 answered within 21 s.
    let tb =
        compute(&icmi_contacts(), vec![sl(21, AbandonTreatment::AnsweredOnly, true)], PeriodKind::Month, vec![], None);
    assert_eq!(find(&tb, "2026-10", "service_level", "").value, Some(d("100.0000")));
}

#[test]
fn abandonment_and_short_abandons_at_the_threshold() {
    let short = |inclusive| {
        MetricDef::ShortAbandoned(ShortAbandonedDef {
            short_abandon_s: 5,
            short_inclusive: inclusive,
            channels: None,
            calendar: None,
        })
    };
    let rate = |sa| {
        MetricDef::AbandonmentRate(AbandonmentDef {
            short_abandons: sa,
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        })
    };
    let contacts = vec![
        voice("2026-10-05T14:00:00Z", 4, false),
        voice("2026-10-05T14:01:00Z", 5, false), // exactly the threshold: short only when inclusive
        voice("2026-10-05T14:02:00Z", 30, false),
        voice("2026-10-05T14:03:00Z", 10, true),
    ];
    let tb = compute(
        &contacts,
        vec![short(false), short(true), rate(ShortAbandons::Exclude), rate(ShortAbandons::Include)],
        PeriodKind::Month,
        vec![],
        None,
    );
    assert_eq!(find(&tb, "2026-10", "short_abandoned", "short_inclusive=false").value, Some(d("1")));
    assert_eq!(find(&tb, "2026-10", "short_abandoned", "short_inclusive=true").value, Some(d("2")));
    let ex = find(&tb, "2026-10", "abandonment_rate", "short_abandons=exclude");
    assert_eq!((ex.numerator, ex.denominator, ex.value), (Some(d("2")), Some(d("3")), Some(d("66.6667"))));
    let inc = find(&tb, "2026-10", "abandonment_rate", "short_abandons=include");
    assert_eq!((inc.numerator, inc.denominator, inc.value), (Some(d("3")), Some(d("4")), Some(d("75.0000"))));
}

#[test]
fn empty_denominators_are_no_data_not_zero() {
    // Only short abandons: (AB − SA)/(offered − SA) = 0/0.
    let contacts = vec![voice("2026-10-05T14:00:00Z", 2, false)];
    let defs = vec![
        MetricDef::AbandonmentRate(AbandonmentDef {
            short_abandons: ShortAbandons::Exclude,
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        }),
        MetricDef::Asa(Scope::default()),
        MetricDef::Csat(CsatDef { measure: CsatMeasure::Top2Box, scale: Some([1, 5]), channels: None }),
    ];
    let tb = compute(&contacts, defs, PeriodKind::Month, vec![], None);
    for m in ["abandonment_rate", "asa", "csat"] {
        let r = find(&tb, "2026-10", m, "");
        assert_eq!(r.value, None, "{m}");
        assert_eq!(r.denominator, Some(Decimal::ZERO), "{m}");
    }
}

#[test]
fn asa_aht_csat_and_disposition_fcr() {
    let mut a = voice("2026-10-05T14:00:00Z", 10, true);
    a.talk = 100;
    a.hold = 20;
    a.wrap = 30;
    a.resolved = Some(true);
    a.csat = Some(5);
    let mut b = voice("2026-10-05T15:00:00Z", 31, true);
    b.talk = 200;
    b.resolved = Some(false);
    b.csat = Some(4);
    let mut c = voice("2026-10-05T16:00:00Z", 0, true);
    c.talk = 60;
    c.csat = Some(2);
    let ab = voice("2026-10-05T17:00:00Z", 50, false);
    let defs = vec![
        MetricDef::Asa(Scope::default()),
        MetricDef::Aht(AhtDef { components: vec![Component::Talk, Component::Hold, Component::Wrap], channels: None }),
        MetricDef::Aht(AhtDef { components: vec![Component::Talk], channels: None }),
        MetricDef::Csat(CsatDef { measure: CsatMeasure::Top2Box, scale: Some([1, 5]), channels: None }),
        MetricDef::Csat(CsatDef { measure: CsatMeasure::TopBox, scale: Some([1, 5]), channels: None }),
        MetricDef::Csat(CsatDef { measure: CsatMeasure::Mean, scale: Some([1, 5]), channels: None }),
        MetricDef::Fcr(FcrDef {
            method: FcrMethod::Disposition,
            window_days: 7,
            scope: RepeatScope::AnyChannel,
            denominator: FcrDenominator::Handled,
            channels: None,
        }),
        MetricDef::Fcr(FcrDef {
            method: FcrMethod::Disposition,
            window_days: 7,
            scope: RepeatScope::AnyChannel,
            denominator: FcrDenominator::Offered,
            channels: None,
        }),
    ];
    let tb = compute(&[a, b, c, ab], defs, PeriodKind::Month, vec![], None);
    let get = |m: &str, part: &str| {
        let r = find(&tb, "2026-10", m, part);
        (r.numerator.unwrap(), r.denominator.unwrap(), r.value)
    };
    // ASA: (10 + 31 + 0) / 3 answered.
    assert_eq!(get("asa", ""), (d("41.000"), d("3"), Some(d("13.667"))));
    // AHT: (150 + 200 + 60) / 3 and talk only (100 + 200 + 60) / 3.
    assert_eq!(get("aht", "components=talk|hold|wrap"), (d("410.000"), d("3"), Some(d("136.667"))));
    assert_eq!(get("aht", "$components=talk"), (d("360.000"), d("3"), Some(d("120.000"))));
    assert_eq!(get("csat", "measure=top2_box"), (d("2"), d("3"), Some(d("66.6667"))));
    assert_eq!(get("csat", "measure=top_box"), (d("1"), d("3"), Some(d("33.3333"))));
    assert_eq!(get("csat", "measure=mean"), (d("11"), d("3"), Some(d("3.6667"))));
    // Disposition: 1 resolved of 3 handled (no disposition counts as not resolved), or of 4 offered.
    assert_eq!(get("fcr", "denominator=handled"), (d("1"), d("3"), Some(d("33.3333"))));
    assert_eq!(get("fcr", "denominator=offered"), (d("1"), d("4"), Some(d("25.0000"))));
}

fn fcr(scope: RepeatScope) -> MetricDef {
    MetricDef::Fcr(FcrDef {
        method: FcrMethod::RepeatContact,
        window_days: 7,
        scope,
        denominator: FcrDenominator::Handled,
        channels: None,
    })
}

fn with_customer(mut c: C, cust: &'static str, channel: &'static str) -> C {
    c.customer = Some(cust);
    c.channel = channel;
    c
}

#[test]
fn fcr_repeat_contact_window_edge_unknown_customers_and_scope() {
    let contacts = vec![
        // C1: called again exactly 7 days later (inclusive window): the first is not resolved first time.
        with_customer(voice("2026-10-01T14:00:00Z", 5, true), "C1", "voice"),
        with_customer(voice("2026-10-08T14:00:00Z", 5, true), "C1", "voice"),
        // C2: 7 days and 1 second later: outside the window, resolved first time.
        with_customer(voice("2026-10-01T15:00:00Z", 5, true), "C2", "voice"),
        with_customer(voice("2026-10-08T15:00:01Z", 5, true), "C2", "voice"),
        // C3: a voice call then an email a day later: a repeat for any channel, not for same channel.
        with_customer(voice("2026-10-02T14:00:00Z", 5, true), "C3", "voice"),
        with_customer(voice("2026-10-03T14:00:00Z", 5, true), "C3", "email"),
        // No customer id: not in the denominator.
        voice("2026-10-02T16:00:00Z", 5, true),
        // The last arrival: fixes as_of at 2026-10-30T14:00Z.
        with_customer(voice("2026-10-30T14:00:00Z", 5, true), "C9", "voice"),
    ];
    let tb = compute(
        &contacts,
        vec![fcr(RepeatScope::AnyChannel), fcr(RepeatScope::SameChannel)],
        PeriodKind::Month,
        vec![],
        None,
    );
    let any = find(&tb, "2026-10", "fcr", "scope=any_channel");
    // Handled with a customer and settled: C1a, C1b, C2a, C2b, C3a, C3b = 6; C9 unsettled
    // (its window ends after as_of). Not first-time: C1a, C3a.
    assert_eq!((any.numerator, any.denominator, any.unsettled, any.provisional), (Some(d("4")), Some(d("6")), 1, true));
    assert_eq!(any.sample_size, 8);
    let same = find(&tb, "2026-10", "fcr", "scope=same_channel");
    assert_eq!((same.numerator, same.denominator), (Some(d("5")), Some(d("6"))));
    // With as_of far enough out, nothing is provisional.
    let tb =
        compute(&contacts, vec![fcr(RepeatScope::AnyChannel)], PeriodKind::Month, vec![], Some("2026-11-07T00:00:00Z"));
    let r = find(&tb, "2026-10", "fcr", "");
    assert_eq!((r.numerator, r.denominator, r.unsettled, r.provisional), (Some(d("5")), Some(d("7")), 0, false));
}

#[test]
fn fcr_window_crosses_the_period_end() {
    let contacts = vec![
        with_customer(voice("2026-10-30T14:00:00Z", 5, true), "C1", "voice"),
        with_customer(voice("2026-11-02T14:00:00Z", 5, true), "C1", "voice"),
    ];
    let tb =
        compute(&contacts, vec![fcr(RepeatScope::AnyChannel)], PeriodKind::Month, vec![], Some("2026-12-01T00:00:00Z"));
    let oct = find(&tb, "2026-10", "fcr", "");
    assert_eq!((oct.numerator, oct.denominator), (Some(d("0")), Some(d("1"))));
    let nov = find(&tb, "2026-11", "fcr", "");
    assert_eq!((nov.numerator, nov.denominator), (Some(d("1")), Some(d("1"))));
}

fn email(arrived: &str, response_s: Option<i64>, resolution_s: Option<i64>) -> C {
    let mut c = voice(arrived, response_s.unwrap_or(0), response_s.is_some());
    c.channel = "email";
    c.talk = 60;
    c.ended_after = resolution_s;
    c
}

#[test]
fn response_and_resolution_times_with_deadlines_and_percentiles() {
    let contacts = vec![
        email("2026-10-05T12:00:00Z", Some(3_600), Some(7_200)),
        email("2026-10-05T13:00:00Z", Some(86_400), Some(90_000)), // exactly 24 h: met
        email("2026-10-05T14:00:00Z", Some(86_401), Some(100_000)), // one second late
        email("2026-10-05T15:00:00Z", None, None),                 // unanswered, deadline passed by as_of
        email("2026-10-30T15:00:00Z", None, None),                 // unanswered, deadline not yet passed
    ];
    let defs = vec![
        MetricDef::ResponseTime(DeferredDef { threshold_s: 86_400, channels: None, calendar: None }),
        MetricDef::ResponseTimeMean(Scope::default()),
        MetricDef::ResponseTimePercentile(PercentileDef { percentile: 50, channels: None, calendar: None }),
        MetricDef::ResponseTimePercentile(PercentileDef { percentile: 90, channels: None, calendar: None }),
        MetricDef::ResolutionTime(DeferredDef { threshold_s: 86_400, channels: None, calendar: None }),
    ];
    let tb = compute(&contacts, defs, PeriodKind::Month, vec![], Some("2026-10-31T00:00:00Z"));
    let rt = find(&tb, "2026-10", "response_time", "");
    assert_eq!((rt.numerator, rt.denominator, rt.unsettled, rt.provisional), (Some(d("2")), Some(d("4")), 1, true));
    let mean = find(&tb, "2026-10", "response_time_mean", "");
    assert_eq!(
        (mean.numerator, mean.denominator, mean.value),
        (Some(d("176401.000")), Some(d("3")), Some(d("58800.333")))
    );
    // Nearest rank of [3600, 86400, 86401]: p50 → rank 2, p90 → rank 3.
    let p50 = find(&tb, "2026-10", "response_time_percentile", "percentile=50");
    assert_eq!((p50.value, p50.numerator, p50.denominator), (Some(d("86400.000")), Some(d("2")), Some(d("3"))));
    let p90 = find(&tb, "2026-10", "response_time_percentile", "percentile=90");
    assert_eq!(p90.value, Some(d("86401.000")));
    let res = find(&tb, "2026-10", "resolution_time", "");
    assert_eq!((res.numerator, res.denominator), (Some(d("1")), Some(d("4"))));
}

#[test]
fn nearest_rank_percentile_boundaries() {
    assert_eq!(metrics::nearest_rank(&[], 50), None);
    assert_eq!(metrics::nearest_rank(&[7], 1), Some((1, 7)));
    assert_eq!(metrics::nearest_rank(&[1, 2, 3, 4], 50), Some((2, 2)));
    assert_eq!(metrics::nearest_rank(&[1, 2, 3, 4], 51), Some((3, 3)));
    assert_eq!(metrics::nearest_rank(&[1, 2, 3, 4], 100), Some((4, 4)));
}

#[test]
fn groups_pool_and_roll_up_exactly() {
    let mut contacts = icmi_contacts();
    for (i, c) in contacts.iter_mut().enumerate() {
        c.queue = if i % 3 == 0 { "sales" } else { "billing" };
    }
    let tb = compute(
        &contacts,
        vec![sl(20, AbandonTreatment::CountAgainst, true)],
        PeriodKind::Month,
        vec![Dim::Channel, Dim::Queue],
        None,
    );
    let rows: Vec<&MetricRow> = tb.rows.iter().filter(|r| r.metric == "service_level").collect();
    let get = |ch: &str, q: &str| rows.iter().find(|r| r.channel == ch && r.queue == q).unwrap();
    let (s, b, all) = (get("voice", "sales"), get("voice", "billing"), get("*", "*"));
    assert_eq!(s.numerator.unwrap() + b.numerator.unwrap(), all.numerator.unwrap());
    assert_eq!(s.denominator.unwrap() + b.denominator.unwrap(), all.denominator.unwrap());
    assert_eq!(all.value, Some(d("81.1321")));
    assert_eq!(get("*", "sales").numerator, s.numerator);
    assert_eq!(get("voice", "*").numerator, all.numerator);
    assert_eq!(rows.len(), 6); // (voice|*) × (sales|billing|*)
}

fn every_half_hour(day_start: &str, hours: i64) -> Vec<C> {
    (0..hours * 2)
        .map(|i| {
            let mut c = voice(day_start, 5, true);
            c.arrived = t(day_start) + Duration::minutes(30 * i);
            c
        })
        .collect()
}

#[test]
fn dst_days_and_hours_in_new_york() {
    let offered = || vec![MetricDef::Offered(Scope::default())];
    for (day, day_start, hours) in
        [("2026-11-01", "2026-11-01T04:00:00Z", 25), ("2026-03-08", "2026-03-08T05:00:00Z", 23)]
    {
        // One contact every 30 minutes of elapsed time through the local day.
        let contacts = every_half_hour(day_start, hours);
        let daily = compute(&contacts, offered(), PeriodKind::Day, vec![], None);
        let r = find(&daily, day, "offered", "");
        assert_eq!(r.value, Some(Decimal::from(hours * 2)), "{day}");
        assert_eq!((r.period_end - r.period_start) / 3_600_000_000, hours, "{day}");
        let hourly = compute(&contacts, offered(), PeriodKind::Hour, vec![], None);
        let hour_rows: Vec<&MetricRow> = hourly.rows.iter().filter(|r| r.metric == "offered").collect();
        assert_eq!(hour_rows.len() as i64, hours, "{day}");
        let total: i64 = hour_rows.iter().map(|r| r.period_end - r.period_start).sum();
        assert_eq!(total / 3_600_000_000, hours, "{day}");
        assert!(hour_rows.iter().all(|r| r.value == Some(Decimal::from(2))), "{day}");
    }
    let hourly = compute(&every_half_hour("2026-11-01T04:00:00Z", 25), offered(), PeriodKind::Hour, vec![], None);
    let labels: Vec<&str> = hourly.rows.iter().map(|r| r.period.as_str()).take(4).collect();
    assert_eq!(
        labels,
        ["2026-11-01T00:00-04:00", "2026-11-01T01:00-04:00", "2026-11-01T01:00-05:00", "2026-11-01T02:00-05:00"]
    );
}

#[test]
fn interval_compliance_counts_intervals_meeting_target() {
    // Three 30-minute intervals: 100 % (2 answered in 10 s), 50 % (1 in 10 s, 1 in 60 s),
    // and one with a single contact, below min_offered = 2.
    let contacts = vec![
        voice("2026-10-05T14:00:00Z", 10, true),
        voice("2026-10-05T14:10:00Z", 10, true),
        voice("2026-10-05T14:30:00Z", 10, true),
        voice("2026-10-05T14:40:00Z", 60, true),
        voice("2026-10-05T15:00:00Z", 10, true),
    ];
    let ic = |target: &str| {
        MetricDef::IntervalCompliance(IntervalComplianceDef {
            interval_minutes: 30,
            target_percent: d(target),
            min_offered: 2,
            threshold_s: 20,
            abandons: AbandonTreatment::ExcludeShort,
            inclusive: true,
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        })
    };
    let tb = compute(&contacts, vec![ic("80"), ic("50")], PeriodKind::Day, vec![], None);
    let r80 = find(&tb, "2026-10-05", "interval_compliance", "target_percent=80");
    assert_eq!((r80.numerator, r80.denominator, r80.sample_size), (Some(d("1")), Some(d("2")), 3));
    // 50 % exactly meets a 50 % target.
    let r50 = find(&tb, "2026-10-05", "interval_compliance", "target_percent=50");
    assert_eq!((r50.numerator, r50.value), (Some(d("2")), Some(d("100.0000"))));
}

#[test]
fn availability_merges_outages_within_service_hours() {
    use callsla::metrics::Outage;
    let contacts = vec![voice("2026-10-05T14:00:00Z", 10, true)];
    let dir = TempDir::new("avail");
    let input = dir.write("log.csv", &log(&contacts));
    let rows = ingest::ingest(&Profile::canonical(), &[input], &IngestOptions::default()).unwrap();
    let us = |s: &str| t(s).timestamp_micros();
    // Monday 2026-10-05, service 08:00-20:00 New York (12:00-00:00Z). Outages 13:00-14:00Z and
    // 13:30-15:00Z overlap (2 h merged, 1 h of it in hours), plus one at night outside hours.
    let outages = vec![
        Outage {
            start: us("2026-10-05T11:00:00Z"),
            end: us("2026-10-05T13:00:00Z"),
            scope: "*".into(),
            reason: "a".into(),
        },
        Outage {
            start: us("2026-10-05T12:30:00Z"),
            end: us("2026-10-05T14:00:00Z"),
            scope: "*".into(),
            reason: "b".into(),
        },
        Outage {
            start: us("2026-10-06T02:00:00Z"),
            end: us("2026-10-06T03:00:00Z"),
            scope: "*".into(),
            reason: "c".into(),
        },
    ];
    let def = MetricDef::Availability(AvailabilityDef {
        service_hours: Some("Mon-Fri 08:00-20:00".into()),
        scope: None,
        calendar: None,
    });
    let req = MetricsRequest {
        period: PeriodKind::Day,
        zone: NY,
        by: vec![],
        definitions: vec![def],
        as_of: None,
        outages,
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: ([1, 5], "the canonical profile".to_string()),
    };
    let tb = metrics::compute(&rows.accepted, &req).unwrap();
    let r = find(&tb, "2026-10-05", "availability", "");
    // Covered 12 h = 43200 s; down 12:00-14:00Z = 7200 s.
    assert_eq!((r.numerator, r.denominator, r.value), (Some(d("36000.000")), Some(d("43200.000")), Some(d("83.3333"))));
}

#[test]
fn fcr_orders_a_customers_simultaneous_contacts_by_interaction_id() {
    // Ids are "I{position}": the chat at position 2 ("I2") and the voice call at position 10
    // ("I10") arrive at the same instant from the same customer. In (arrived_at,
    // interaction_id) order "I10" < "I2", so the voice call is the one followed by a repeat
    // (not resolved first time) and the chat is resolved — the reverse of file order.
    let mut contacts: Vec<C> = (0..11).map(|k| voice(&format!("2026-10-01T{:02}:00:00Z", 8 + k), 5, true)).collect();
    contacts[2] = with_customer(voice("2026-10-05T14:00:00Z", 5, true), "C1", "chat");
    contacts[10] = with_customer(voice("2026-10-05T14:00:00Z", 5, true), "C1", "voice");
    let tb = compute(
        &contacts,
        vec![fcr(RepeatScope::AnyChannel)],
        PeriodKind::Month,
        vec![Dim::Channel],
        Some("2026-12-01T00:00:00Z"),
    );
    let by_channel = |ch: &str| {
        let r = tb.rows.iter().find(|r| r.metric == "fcr" && r.channel == ch && r.queue == "*").unwrap();
        (r.numerator, r.denominator)
    };
    assert_eq!(by_channel("voice"), (Some(d("0")), Some(d("1"))));
    assert_eq!(by_channel("chat"), (Some(d("1")), Some(d("1"))));
}

#[test]
fn period_column_equals_period_start_per_instant_across_dst_and_wide_spans() {
    use polars::prelude::*;
    // Instants every 7 h 13 min 17 s (so every hour of the day and both sides of each DST
    // change are hit) over spans of 40 days to 12 years, before and after 1972, in zones with
    // whole-hour, half-hour and historical second offsets. Wide spans of days take the per-row
    // path (more than 1,024 starts); the rest the list of starts. Both must equal period_start.
    let step = (7 * 3600 + 13 * 60 + 17) * 1_000_000i64;
    let zones = [
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Europe::Amsterdam,
    ];
    let spans = [("2026-02-20T00:00:00Z", 40), ("2025-12-01T00:00:00Z", 800), ("1961-01-01T00:00:00Z", 4400)];
    for tz in zones {
        for (from, days) in spans {
            let lo = t(from).timestamp_micros();
            let mut values: Vec<i64> =
                (0..).map(|k| lo + k * step).take_while(|us| *us < lo + days * 86_400_000_000).collect();
            // Every period start itself, and the microsecond before it.
            let kinds = [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter];
            let edges: Vec<i64> =
                values.iter().flat_map(|us| kinds.map(|k| metrics::period::period_start(k, tz, *us))).collect();
            values.extend(edges.iter().flat_map(|e| [*e, e - 1]));
            let arrived = Series::new("arrived_at".into(), &values)
                .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))
                .unwrap();
            let df = DataFrame::new(values.len(), vec![arrived.into()]).unwrap();
            for kind in [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter] {
                let got = df.clone().lazy().select([metrics::period_column(kind, tz).alias("p")]).collect().unwrap();
                let got: Vec<i64> = got.column("p").unwrap().i64().unwrap().into_no_null_iter().collect();
                let want: Vec<i64> = values.iter().map(|us| metrics::period::period_start(kind, tz, *us)).collect();
                assert_eq!(got, want, "{kind:?} in {tz} from {from} for {days} days");
            }
        }
    }
}

/// Issue 15, case 6: a contact whose repeat window has not ended by `as_of` counts neither as
/// resolved nor as not resolved, even when its repeat was already seen. Counting the early
/// repeats but not the early non-repeats read the rate low.
#[test]
fn fcr_contacts_whose_window_is_still_open_count_neither_way() {
    let contacts = vec![
        // A: Oct 1 and Oct 3. Both windows end by as_of (Oct 12): the first is a repeat, the
        // second resolved first time.
        with_customer(voice("2026-10-01T14:00:00Z", 5, true), "A", "voice"),
        with_customer(voice("2026-10-03T14:00:00Z", 5, true), "A", "voice"),
        // B: Oct 9 and Oct 10. Windows end Oct 16 and 17, after as_of: left out, although the
        // first one's repeat is already in the data.
        with_customer(voice("2026-10-09T14:00:00Z", 5, true), "B", "voice"),
        with_customer(voice("2026-10-10T14:00:00Z", 5, true), "B", "voice"),
    ];
    let tb =
        compute(&contacts, vec![fcr(RepeatScope::AnyChannel)], PeriodKind::Month, vec![], Some("2026-10-12T00:00:00Z"));
    let r = find(&tb, "2026-10", "fcr", "");
    // 1 resolved of 2 settled (50 %); the old rule gave 1 of 3 (33.3 %).
    assert_eq!(
        (r.numerator, r.denominator, r.unsettled, r.provisional, r.value),
        (Some(d("1")), Some(d("2")), 2, true, Some(d("50.0000")))
    );
    // Exactly at the window's end (Oct 10 14:00 = Oct 3 + 7 days): settled.
    let tb =
        compute(&contacts, vec![fcr(RepeatScope::AnyChannel)], PeriodKind::Month, vec![], Some("2026-10-10T14:00:00Z"));
    let r = find(&tb, "2026-10", "fcr", "");
    assert_eq!((r.numerator, r.denominator, r.unsettled), (Some(d("1")), Some(d("2")), 2));
    // One microsecond before: the Oct 3 contact is still open.
    let tb = compute(
        &contacts,
        vec![fcr(RepeatScope::AnyChannel)],
        PeriodKind::Month,
        vec![],
        Some("2026-10-10T13:59:59.999999Z"),
    );
    let r = find(&tb, "2026-10", "fcr", "");
    assert_eq!((r.numerator, r.denominator, r.unsettled), (Some(d("0")), Some(d("1")), 3));
}

/// The same cohort rule for response times: an email answered within the threshold, but whose
/// deadline is still ahead at `as_of`, is left out with the unanswered ones, not counted met.
#[test]
fn response_time_counts_only_contacts_whose_deadline_has_passed() {
    let contacts = vec![
        email("2026-10-05T12:00:00Z", Some(3_600), Some(7_200)), // settled, met
        email("2026-10-05T13:00:00Z", None, None),               // settled, missed
        email("2026-10-30T16:00:00Z", Some(3_600), Some(7_200)), // answered in 1 h, deadline ahead
        email("2026-10-30T17:00:00Z", None, None),               // unanswered, deadline ahead
    ];
    let defs = vec![MetricDef::ResponseTime(DeferredDef { threshold_s: 86_400, channels: None, calendar: None })];
    let tb = compute(&contacts, defs, PeriodKind::Month, vec![], Some("2026-10-31T00:00:00Z"));
    let rt = find(&tb, "2026-10", "response_time", "");
    assert_eq!((rt.numerator, rt.denominator, rt.unsettled, rt.provisional), (Some(d("1")), Some(d("2")), 2, true));
}

/// Issue 15, case 2: CSAT is measured on the scale the profile declares; top-2-box on 1..10
/// is 9 and 10. A definition naming another scale is refused, not silently used.
#[test]
fn csat_uses_the_scale_the_profile_declares() {
    let mut contacts = Vec::new();
    for (i, score) in [1, 5, 6, 8, 9, 10, 10, 3, 7, 9].iter().enumerate() {
        let mut c = voice(&format!("2026-10-05T12:{i:02}:00Z"), 5, true);
        c.csat = Some(*score);
        contacts.push(c);
    }
    let dir = TempDir::new("csat-scale");
    let input = dir.write("log.csv", &log(&contacts));
    let profile = Profile::parse(
        &format!(
            "name = \"ten\"\n[source]\ncsat_scale = [1, 10]\n[fields]\n{}",
            HEADER.split(',').map(|f| format!("{f} = {{ column = \"{f}\" }}\n")).collect::<String>()
        ),
        "ten.toml",
    )
    .unwrap();
    let rows = ingest::ingest(&profile, &[input], &IngestOptions::default()).unwrap();
    assert_eq!(rows.reconciliation.rejected, 0, "scores 6..10 are on the declared scale");
    let mut req = MetricsRequest {
        period: PeriodKind::Month,
        zone: NY,
        by: vec![],
        definitions: vec![MetricDef::Csat(CsatDef { measure: CsatMeasure::Top2Box, scale: None, channels: None })],
        as_of: None,
        outages: vec![],
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: profile.csat_scale(),
    };
    let tb = metrics::compute(&rows.accepted, &req).unwrap();
    let r = find(&tb, "2026-10", "csat", "");
    // 9, 10, 10, 9 of ten responses.
    assert_eq!((r.numerator, r.denominator, r.value), (Some(d("4")), Some(d("10")), Some(d("40.0000"))));
    assert!(r.definition.contains("scale=1|10"), "{}", r.definition);
    req.definitions =
        vec![MetricDef::Csat(CsatDef { measure: CsatMeasure::Top2Box, scale: Some([1, 5]), channels: None })];
    let err = metrics::compute(&rows.accepted, &req).unwrap_err().to_string();
    assert_eq!(
        err,
        "csat: scale = [1, 5] differs from the scale the profile declares for the data (profile \"ten\" (ten.toml): csat_scale = [1, 10]); remove the metric's `scale` (the profile's is used) or correct the one that is wrong"
    );
}

//! Service calendars (`[[calendar]]`): business time elapsed and in-hours selection, on
//! hand-worked vectors — a weekend, a holiday with a half day before it, both DST changes, a
//! contact arriving outside hours, a calendar in another zone than the run's — through
//! `callsla metrics` and `callsla run`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use std::collections::BTreeMap;

use crate::common::*;

const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat";

/// Calendars: UK office hours with Christmas closed and a half day on Christmas Eve;
/// three early hours each Sunday (for the DST nights); New York office hours.
const CALENDARS: &str = r#"
[[calendar]]
id = "UK"
zone = "Europe/London"
hours = "Mon-Fri 08:00-20:00"
holidays = ["2025-12-25..2025-12-26"]
overrides = [{ date = "2025-12-24", hours = "09:00-13:00" }]

[[calendar]]
id = "SUNDAYS"
zone = "Europe/London"
hours = "Sun 00:00-03:00"

[[calendar]]
id = "NYC"
zone = "America/New_York"
hours = "Mon-Fri 09:00-17:00"
"#;

/// An email (arrived, answered) in its own queue.
fn email(id: &str, queue: &str, arrived: &str, answered: &str) -> String {
    format!("{id},email,inbound,{queue},,A1,{arrived},{answered},{answered},,60,0,0,,\n")
}

fn voice(id: &str, arrived: &str, wait: u32) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(arrived).unwrap();
    let ans = (at + chrono::Duration::seconds(i64::from(wait))).to_rfc3339();
    let end = (at + chrono::Duration::seconds(i64::from(wait) + 100)).to_rfc3339();
    format!("{id},voice,inbound,phones,,A1,{arrived},{ans},{end},{wait},100,0,0,,\n")
}

fn log() -> String {
    let mut out = format!("{HEADER}\n");
    // Friday 18:00 BST → Monday 09:00 BST: 2 h Friday + 1 h Monday (63 h on the wall clock).
    out += &email("E1", "weekend", "2025-10-03T17:00:00Z", "2025-10-06T08:00:00Z");
    // Tuesday 23 Dec 18:00 → Monday 29 Dec 09:00: 2 h + 4 h (half day) + 0 (25th, 26th,
    // weekend) + 1 h = 7 h.
    out += &email("E2", "holiday", "2025-12-23T18:00:00Z", "2025-12-29T09:00:00Z");
    // Saturday 25 Oct 21:00 BST → Sunday 26 Oct 05:00 GMT; Sunday 00:00–03:00 local is
    // 4 h on the night the clocks go back.
    out += &email("E3", "autumn", "2025-10-25T20:00:00Z", "2025-10-26T05:00:00Z");
    // Saturday 29 Mar 20:00 GMT → Sunday 30 Mar 05:00 BST; Sunday 00:00–03:00 local is 2 h
    // on the night the clocks go forward.
    out += &email("E4", "spring", "2025-03-29T20:00:00Z", "2025-03-30T04:00:00Z");
    // Arrives Saturday (closed), answered Monday 08:30 BST: 30 min from the opening.
    out += &email("E5", "outside", "2025-10-04T10:00:00Z", "2025-10-06T07:30:00Z");
    // New York hours, London run: 08:00 EDT → 10:00 EDT is 1 h (opening at 09:00).
    out += &email("E6", "newyork", "2025-10-06T12:00:00Z", "2025-10-06T14:00:00Z");
    // Voice: one inside hours (Monday 11:00 BST, 10 s), one outside (Saturday, 100 s).
    out += &voice("V1", "2025-10-06T10:00:00Z", 10);
    out += &voice("V2", "2025-10-04T10:00:00Z", 100);
    out
}

const DEFS: &str = r#"
[[metric]]
metric = "response_time_mean"
calendar = "UK"
[[metric]]
metric = "response_time_mean"
calendar = "SUNDAYS"
[[metric]]
metric = "response_time_mean"
calendar = "NYC"
[[metric]]
metric = "response_time_mean"
[[metric]]
metric = "response_time"
threshold_s = 86400
calendar = "UK"
[[metric]]
metric = "response_time"
threshold_s = 86400
[[metric]]
metric = "response_time_percentile"
percentile = 100
calendar = "UK"
[[metric]]
metric = "offered"
calendar = "UK"
[[metric]]
metric = "service_level"
threshold_s = 20
calendar = "UK"
[[metric]]
metric = "service_level"
threshold_s = 20
[[metric]]
metric = "interval_compliance"
target_percent = "80"
threshold_s = 20
calendar = "UK"
[[metric]]
metric = "interval_compliance"
target_percent = "80"
threshold_s = 20
[[metric]]
metric = "availability"
calendar = "UK"
"#;

type Rows = Vec<BTreeMap<String, String>>;

fn read_rows(path: &std::path::Path) -> Rows {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    rdr.records().map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.into(), v.into())).collect()).collect()
}

/// Runs `callsla metrics` by queue over the month periods in Europe/London.
fn metrics_run(t: &TempDir) -> Rows {
    let input = t.write("log.csv", &log());
    let defs = t.write("defs.toml", &format!("{DEFS}{CALENDARS}"));
    // Christmas Day is down (closed: not counted); 24 Dec 12:00–14:00 UTC is one hour of the
    // half day (09:00–13:00).
    let outages = t.write(
        "outages.csv",
        "start,end,scope,reason\n2025-12-25T00:00:00Z,2025-12-26T00:00:00Z,*,closed anyway\n2025-12-24T12:00:00Z,2025-12-24T14:00:00Z,*,power\n",
    );
    let out = t.path("m.csv");
    let r = callsla(&[
        "metrics",
        "--input",
        s(&input),
        "--metrics",
        s(&defs),
        "--tz",
        "Europe/London",
        "--by",
        "queue",
        "--as-of",
        "2026-01-31T00:00:00Z",
        "--outages",
        s(&outages),
        "--format",
        "csv",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    read_rows(&out)
}

fn value<'a>(rows: &'a Rows, queue: &str, metric: &str, definition: &str) -> &'a str {
    rows.iter()
        .find(|r| r["queue"] == queue && r["metric"] == metric && r["definition"] == definition)
        .map(|r| r["value"].as_str())
        .unwrap_or_else(|| panic!("no {metric} {definition} row for queue {queue}"))
}

#[test]
fn business_time_skips_nights_weekends_holidays_and_follows_dst() {
    let t = TempDir::new("calendar");
    let rows = metrics_run(&t);
    let mean = |cal: &str, q: &str| {
        value(&rows, q, "response_time_mean", &format!("calendar={cal};channels=email|social")).to_string()
    };
    assert_eq!(mean("UK", "weekend"), "10800.000", "Friday 18:00 → Monday 09:00 is 3 business hours");
    assert_eq!(mean("UK", "holiday"), "25200.000", "2 h + half day 4 h + 1 h");
    assert_eq!(mean("UK", "outside"), "1800.000", "the clock starts at Monday's opening");
    assert_eq!(mean("SUNDAYS", "autumn"), "14400.000", "00:00–03:00 is 4 h when the clocks go back");
    assert_eq!(mean("SUNDAYS", "spring"), "7200.000", "00:00–03:00 is 2 h when the clocks go forward");
    assert_eq!(mean("NYC", "newyork"), "3600.000", "New York hours in a London run");
    // Without a calendar: the wall clock.
    assert_eq!(value(&rows, "weekend", "response_time_mean", "channels=email|social"), "226800.000");
    // 24 business hours: met in 3 business hours, missed in 63 wall-clock hours.
    let met = |def: &str| value(&rows, "weekend", "response_time", def).to_string();
    assert_eq!(met("calendar=UK;channels=email|social;threshold_s=86400"), "100.0000");
    assert_eq!(met("channels=email|social;threshold_s=86400"), "0.0000");
    assert_eq!(
        value(&rows, "holiday", "response_time_percentile", "calendar=UK;channels=email|social;percentile=100"),
        "25200.000"
    );
}

#[test]
fn realtime_metrics_count_only_contacts_arriving_inside_hours() {
    let t = TempDir::new("calendar");
    let rows = metrics_run(&t);
    let v = |metric: &str, def: &str| value(&rows, "phones", metric, def).to_string();
    assert_eq!(v("offered", "calendar=UK;channels=voice|chat"), "1", "Saturday's call is outside hours");
    assert_eq!(
        v("service_level", "abandons=exclude_short;calendar=UK;channels=voice|chat;inclusive=true;short_abandon_s=5;short_inclusive=false;threshold_s=20"),
        "100.0000"
    );
    assert_eq!(
        v("service_level", "abandons=exclude_short;channels=voice|chat;inclusive=true;short_abandon_s=5;short_inclusive=false;threshold_s=20"),
        "50.0000"
    );
    let ic = |cal: &str| {
        v(
            "interval_compliance",
            &format!("abandons=exclude_short;{cal}channels=voice|chat;inclusive=true;interval_minutes=30;min_offered=1;short_abandon_s=5;short_inclusive=false;target_percent=80;threshold_s=20"),
        )
    };
    assert_eq!(ic("calendar=UK;"), "100.0000", "the Saturday interval is not judged");
    assert_eq!(ic(""), "50.0000");
}

#[test]
fn availability_covers_the_calendar_hours_only() {
    let t = TempDir::new("calendar");
    let rows = metrics_run(&t);
    let row = rows
        .iter()
        .find(|r| r["period"] == "2025-12" && r["metric"] == "availability" && r["queue"] == "*")
        .expect("an availability row for December");
    // December 2025: 23 weekdays − 25th, 26th = 21, of which the 24th is 4 h: 20 × 12 + 4 =
    // 244 h; the outage hits 1 h of the half day, Christmas Day is closed.
    assert_eq!(row["denominator"], (244 * 3600).to_string() + ".000");
    assert_eq!(row["numerator"], (243 * 3600).to_string() + ".000");
    assert_eq!(row["value"], "99.5902");
}

#[test]
fn bad_calendars_are_refused_with_the_reason() {
    let t = TempDir::new("calendar");
    let input = t.write("log.csv", &log());
    let cases = [
        ("[[metric]]\nmetric = \"offered\"\ncalendar = \"UK\"\n", "no calendar \"UK\""),
        (
            "[[metric]]\nmetric = \"offered\"\n[[calendar]]\nid = \"X\"\nhours = \"Mon 08:00-12:00; Mon 11:00-13:00\"\n",
            "overlap",
        ),
        (
            "[[metric]]\nmetric = \"offered\"\n[[calendar]]\nid = \"X\"\nhours = \"Mon-Fri 08:00-20:00\"\nholidays = [\"2025-12-26..2025-12-25\"]\n",
            "ends before it starts",
        ),
        (
            "[[metric]]\nmetric = \"offered\"\n[[calendar]]\nid = \"X\"\nzone = \"Mars/Olympus\"\nhours = \"Mon-Fri 08:00-20:00\"\n",
            "not an IANA time zone",
        ),
        ("[[metric]]\nmetric = \"aht\"\ncalendar = \"UK\"\n", "unknown field `calendar`"),
    ];
    for (i, (defs, want)) in cases.iter().enumerate() {
        let f = t.write(&format!("bad{i}.toml"), defs);
        let r = callsla(&["metrics", "--input", s(&input), "--metrics", s(&f), "--tz", "Europe/London"]);
        assert_eq!(r.code, 2, "{defs}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{defs}: wanted {want:?} in {}", r.stderr);
    }
}

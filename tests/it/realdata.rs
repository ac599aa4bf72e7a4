//! The two real public datasets ingest unchanged through their shipped profiles, with exact
//! reconciliation. Expected counts come from tests/realdata/derive_expected.py, which reads
//! the files with Python's csv module and the documented rules, independently of callsla.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::ingest::{self, IngestOptions, Profile};
use common::*;
use polars::prelude::*;
use rust_decimal::Decimal;

fn lenient() -> IngestOptions {
    IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: false }
}

#[test]
fn anonbank_reconciles_exactly() {
    let Some(root) = realdata() else { return };
    let profile = Profile::load(&repo("sample-data/profiles/anonbank_feb1999.toml")).unwrap();
    let input = root.join("anonbank_feb1999_mtpa/data_anonymous_bank_february.txt");
    let out = ingest::ingest(&profile, &[input], &lenient()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (33_344, 30_942, 183, 2_219));
    assert_eq!(r.excluded_by_rule.get("phantom"), Some(&278));
    assert_eq!(r.excluded_by_rule.get("abandoned_in_vru"), Some(&1_941));
    assert_eq!(r.rejected_by_reason.get("answer_before_arrival"), Some(&86));
    assert_eq!(r.rejected_by_reason.get("inconsistent"), Some(&97));
    assert_eq!(out.rejects.len(), 183);

    let df = &out.accepted;
    assert_eq!(df.height(), 30_942);
    let answered = df.column("answered").unwrap().bool().unwrap().sum().unwrap();
    assert_eq!(answered, 27_076);
    // Sum of queue waits of answered calls, in ms.
    let waits = df
        .clone()
        .lazy()
        .filter(col("answered"))
        .select([col("wait_s").dt().total_milliseconds(false).sum()])
        .collect()
        .unwrap();
    assert_eq!(waits.column("wait_s").unwrap().i64().unwrap().get(0), Some(1_107_416_000));
    // The first data row: AA0101 34536, vru_exit 7:02:56 on 1999-02-01 in Israel (UTC+2).
    assert_eq!(df.column("interaction_id").unwrap().str().unwrap().get(0), Some("AA0101-34536"));
    let first = df.column("arrived_at").unwrap().datetime().unwrap().phys.get(0).unwrap();
    assert_eq!(chrono::DateTime::from_timestamp_micros(first).unwrap().to_rfc3339(), "1999-02-01T05:02:56+00:00");
    // Line numbers: the header is line 1.
    assert_eq!(df.column("source_line").unwrap().u64().unwrap().get(0), Some(2));
}

#[test]
fn anonbank_default_threshold_fails_with_exit_3_and_still_writes_rejects() {
    let Some(root) = realdata() else { return };
    let t = TempDir::new("anonbank-threshold");
    let rejects = t.path("rejects.csv");
    let input = root.join("anonbank_feb1999_mtpa/data_anonymous_bank_february.txt");
    let run = callsla(&[
        "ingest",
        "--profile",
        s(&repo("sample-data/profiles/anonbank_feb1999.toml")),
        "--input",
        s(&input),
        "--rejects",
        s(&rejects),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("error: 183 of 33344 rows rejected (0.549%), above the limit of 0.5%; most often inconsistent (97), answer_before_arrival (86); the first: {}:419: column ser_start: answered_at 1999-02-07T14:30:21Z is before arrived_at 1999-02-07T14:30:25Z; every rejected row is listed in {}; fix the data or the profile, or raise --max-reject-rate\n", s(&input), s(&rejects))
    );
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(text.lines().count(), 184);
    // Line 511 is a HANG row that has a service start: the outcome and the times disagree. The
    // value is the cell as the file holds it (HANG), what callsla read it as beside it.
    assert!(
        text.contains(
            ",511,outcome,answered,HANG,false,inconsistent,the row says not answered but has an answered_at time\n"
        ),
        "{text}"
    );
    // Line 419: the service start 16:30:21 (local) is before the queue exit; the reject shows
    // the date and time cells, not the UTC instant (issue 15, case 10).
    assert!(
        text.contains(",419,ser_start,answered_at,990207 16:30:21,1999-02-07T14:30:21Z,answer_before_arrival,"),
        "{text}"
    );
}

#[test]
fn pwc_reconciles_exactly() {
    let Some(root) = realdata() else { return };
    let profile = Profile::load(&repo("sample-data/profiles/pwc_phonenow.toml")).unwrap();
    let input = root.join("pwc_phonenow_callcenter/call_center_dataset.csv");
    let out = ingest::ingest(&profile, &[input], &IngestOptions::default()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (5_000, 5_000, 0, 0));
    let df = out
        .accepted
        .lazy()
        .select([
            col("answered").sum().alias("answered"),
            col("resolved").sum().alias("resolved"),
            col("wait_s").dt().total_milliseconds(false).sum().alias("wait_ms"),
            col("talk_s").dt().total_milliseconds(false).sum().alias("talk_ms"),
            col("csat").count().alias("csat_n"),
            col("csat").cast(DataType::Int64).sum().alias("csat_sum"),
        ])
        .collect()
        .unwrap();
    let get = |c: &str| df.column(c).unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().get(0).unwrap();
    assert_eq!(get("answered"), 4_054);
    assert_eq!(get("resolved"), 3_646);
    assert_eq!(get("wait_ms"), 273_729_000);
    assert_eq!(get("talk_ms"), 911_837_000);
    assert_eq!(get("csat_n"), 4_054);
    assert_eq!(get("csat_sum"), 13_798);
}

fn metric<'a>(t: &'a callsla::metrics::MetricTable, name: &str) -> &'a callsla::metrics::MetricRow {
    t.rows.iter().find(|r| r.metric == name && r.channel == "*" && r.queue == "*").unwrap()
}

fn nd(r: &callsla::metrics::MetricRow) -> (String, String) {
    (r.numerator.unwrap().to_string(), r.denominator.map(|d| d.to_string()).unwrap_or_default())
}

#[test]
fn anonbank_february_metrics_match_an_independent_count() {
    use callsla::metrics::{self, definition::default_catalogue, MetricsRequest, PeriodKind};
    let Some(root) = realdata() else { return };
    let profile = Profile::load(&repo("sample-data/profiles/anonbank_feb1999.toml")).unwrap();
    let input = root.join("anonbank_feb1999_mtpa/data_anonymous_bank_february.txt");
    let rows = ingest::ingest(&profile, &[input], &lenient()).unwrap();
    let req = MetricsRequest {
        period: PeriodKind::Month,
        zone: chrono_tz::Asia::Jerusalem,
        by: vec![],
        definitions: default_catalogue(),
        as_of: None,
        outages: vec![],
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: ([1, 5], "the canonical profile".to_string()),
    };
    let t = metrics::compute(&rows.accepted, &req).unwrap();
    assert!(t.rows.iter().all(|r| r.period == "1999-02"));
    // Expected values: tests/realdata/derive_expected.py.
    assert_eq!(metric(&t, "offered").value.unwrap().to_string(), "30942");
    assert_eq!(metric(&t, "answered").value.unwrap().to_string(), "27076");
    assert_eq!(metric(&t, "abandoned").value.unwrap().to_string(), "3866");
    assert_eq!(metric(&t, "short_abandoned").value.unwrap().to_string(), "215");
    assert_eq!(nd(metric(&t, "abandonment_rate")), ("3651".into(), "30727".into()));
    assert_eq!(nd(metric(&t, "service_level")), ("16125".into(), "30727".into()));
    assert_eq!(metric(&t, "service_level").value.unwrap().to_string(), "52.4783");
    assert_eq!(nd(metric(&t, "asa")), ("1107416.000".into(), "27076".into()));
    assert_eq!(nd(metric(&t, "aht")), ("4770228.000".into(), "27076".into()));
}

#[test]
fn pwc_quarter_metrics_match_an_independent_count() {
    let Some(root) = realdata() else { return };
    let t = TempDir::new("pwc-metrics");
    let defs = t.write(
        "metrics.toml",
        r#"
[[metric]]
metric = "offered"
[[metric]]
metric = "service_level"
threshold_s = 20
[[metric]]
metric = "abandonment_rate"
[[metric]]
metric = "asa"
[[metric]]
metric = "aht"
components = ["talk"]
[[metric]]
metric = "csat"
[[metric]]
metric = "fcr"
method = "disposition"
"#,
    );
    let out = t.path("m.csv");
    let input = root.join("pwc_phonenow_callcenter/call_center_dataset.csv");
    let run = callsla(&[
        "metrics",
        "--profile",
        s(&repo("sample-data/profiles/pwc_phonenow.toml")),
        "--input",
        s(&input),
        "--period",
        "quarter",
        "--by",
        "--metrics",
        s(&defs),
        "--format",
        "csv",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "read 5000 rows: 5000 accepted, 0 rejected, 0 excluded\n");
    let text = std::fs::read_to_string(&out).unwrap();
    let expected = "period_start,period_end,period,channel,queue,agent,metric,definition,value,unit,numerator,denominator,sample_size,provisional,unsettled
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,offered,channels=voice|chat,5000,count,5000,,5000,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,service_level,abandons=exclude_short;channels=voice|chat;inclusive=true;short_abandon_s=5;short_inclusive=false;threshold_s=20,7.4800,percent,374,5000,5000,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,abandonment_rate,channels=voice|chat;short_abandon_s=5;short_abandons=exclude;short_inclusive=false,18.9200,percent,946,5000,5000,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,asa,channels=voice|chat,67.521,seconds,273729.000,4054,4054,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,aht,channels=voice|email|chat|social;components=talk,224.923,seconds,911837.000,4054,4054,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,csat,channels=voice|email|chat|social;measure=top2_box;scale=1|5,49.9013,percent,2023,4054,4054,false,0
2021-01-01T00:00:00+00:00,2021-04-01T00:00:00+00:00,2021-Q1,*,*,*,fcr,channels=voice|email|chat|social;denominator=handled;method=disposition;scope=any_channel;window_days=7,89.9359,percent,3646,4054,4054,false,0
";
    assert_eq!(text, expected);
}

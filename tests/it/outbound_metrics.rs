//! Outbound metrics (issue 19): hand-worked vectors for attempts, connects, contact,
//! right-party and conversion rates, the dialler abandonment rate per campaign per day (a day
//! at exactly 3 %), per rolling 30 days and per period, calling windows across time zones and
//! at their edges, and suppression-list hits; and the stops when a value they read is missing.

use callsla::ingest::{self, IngestOptions, Profile};
use callsla::metrics::definition::*;
use callsla::metrics::{self, MetricTable, MetricsRequest, PeriodKind};
use rust_decimal::Decimal;

use crate::common::*;

const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat,campaign,disposition,party_zone,number_hash";
const NY: chrono_tz::Tz = chrono_tz::America::New_York;

/// One outbound attempt: campaign, local New York time of the dial, disposition, called
/// party's zone.
struct A {
    campaign: &'static str,
    at: &'static str,
    disposition: &'static str,
    zone: &'static str,
}

fn attempts(campaign: &'static str, day: &'static str, counts: &[(&'static str, usize)]) -> Vec<A> {
    let at: &'static str = if day == "01" { "2026-09-01T12:00:00-04:00" } else { "2026-09-02T12:00:00-04:00" };
    counts
        .iter()
        .flat_map(|(d, n)| (0..*n).map(move |_| A { campaign, at, disposition: d, zone: "America/New_York" }))
        .collect()
}

/// The hand-worked data set (docs in the test below).
fn data() -> Vec<A> {
    let mut v = attempts(
        "renew",
        "01",
        &[
            ("converted", 10),
            ("right_party", 40),
            ("connected", 47),
            ("dialler_abandoned", 3),
            ("no_answer", 20),
            ("voicemail", 10),
            ("busy", 5),
            ("blocked", 5),
        ],
    );
    v.extend(attempts(
        "renew",
        "02",
        &[("converted", 5), ("right_party", 15), ("connected", 19), ("dialler_abandoned", 1), ("no_answer", 10)],
    ));
    v.extend(attempts("collect", "01", &[("right_party", 20), ("connected", 18), ("dialler_abandoned", 2)]));
    // Calling-window cases among the no-answers of renew's first day: 07:30 in Los Angeles
    // (outside), 21:00 in New York (the window's end: outside), 20:59:59 (inside).
    for (i, (at, zone)) in [
        ("2026-09-01T10:30:00-04:00", "America/Los_Angeles"),
        ("2026-09-01T10:30:00-04:00", "America/Los_Angeles"),
        ("2026-09-01T21:00:00-04:00", "America/New_York"),
        ("2026-09-01T20:59:59-04:00", "America/New_York"),
    ]
    .into_iter()
    .enumerate()
    {
        v[100 + i] = A { campaign: "renew", at, disposition: "no_answer", zone };
    }
    v
}

fn log(rows: &[A], disposition_of_first: Option<&str>, zone_of_first: Option<&str>) -> String {
    let mut out = format!("{HEADER}\n");
    // An inbound call, which no outbound metric counts.
    out += "IN1,voice,inbound,billing,C1,A1,2026-09-01T12:00:00-04:00,2026-09-01T12:00:10-04:00,2026-09-01T12:05:00-04:00,10,290,0,0,,,,,,\n";
    for (i, a) in rows.iter().enumerate() {
        let disposition = if i == 0 { disposition_of_first.unwrap_or(a.disposition) } else { a.disposition };
        let zone = if i == 0 { zone_of_first.unwrap_or(a.zone) } else { a.zone };
        out += &format!("O{i},voice,outbound,dialler,,A1,{},,,,,,,,,{},{disposition},{zone},h{i}\n", a.at, a.campaign);
    }
    out
}

fn compute(csv: &str, defs: Vec<MetricDef>, suppression: Option<&[&str]>) -> Result<MetricTable, String> {
    let t = TempDir::new("outbound-metrics");
    let input = t.write("log.csv", csv);
    let rows = ingest::ingest(
        &Profile::canonical(),
        &[input],
        &IngestOptions { max_reject_rate: Decimal::ZERO, strict: true, hash_inputs: false },
    )
    .map_err(|e| e.to_string())?;
    metrics::compute(&rows.accepted, &request(defs, suppression)).map_err(|e| e.to_string())
}

/// Monthly in New York, no grouping, the given definitions and suppression list.
fn request(definitions: Vec<MetricDef>, suppression: Option<&[&str]>) -> MetricsRequest {
    MetricsRequest {
        period: PeriodKind::Month,
        zone: NY,
        by: vec![],
        definitions,
        as_of: None,
        outages: vec![],
        calendars: vec![],
        suppression: suppression
            .map(|s| std::sync::Arc::new(s.iter().map(|h| h.to_string()).collect::<std::collections::BTreeSet<_>>())),
        csat_scale: ([1, 5], "the canonical profile".to_string()),
        qa: None,
        agent_hours: None,
        since: None,
    }
}

/// (value, numerator, denominator, sample, unsettled) of the one row of a metric.
fn figures(tb: &MetricTable, metric: &str, def_part: &str) -> (String, String, String, u64, u64) {
    let r = tb
        .rows
        .iter()
        .find(|r| {
            r.metric == metric
                && match def_part.strip_prefix('=') {
                    Some(exact) => r.definition == exact,
                    None => r.definition.contains(def_part),
                }
        })
        .unwrap_or_else(|| {
            panic!("no {metric} [{def_part}] row: {:?}", tb.rows.iter().map(|r| &r.metric).collect::<Vec<_>>())
        });
    let show = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    (show(r.value), show(r.numerator), show(r.denominator), r.sample_size, r.unsettled)
}

fn def(toml_line: &str) -> MetricDef {
    let f: MetricsFile = toml::from_str(&format!("[[metric]]\n{}\n", toml_line.replace(", ", "\n"))).unwrap();
    f.metric.into_iter().next().unwrap()
}

fn f(v: &str, n: &str, d: &str, s: u64, u: u64) -> (String, String, String, u64, u64) {
    (v.into(), n.into(), d.into(), s, u)
}

#[test]
fn outbound_metrics_match_the_hand_worked_figures() {
    // 230 attempts: renew day 1 = 140 (100 live: 10 converted, 40 right party, 47 connected,
    // 3 dialler-abandoned), renew day 2 = 50 (40 live, 1 abandoned), collect day 1 = 40 (all
    // live, 2 abandoned). Connects 97 + 39 + 38 = 174; right party 50 + 20 + 20 = 90;
    // converted 15; live 180; dialler-abandoned 6.
    let defs = vec![
        def("metric = \"outbound_attempts\""),
        def("metric = \"outbound_connects\""),
        def("metric = \"contact_rate\""),
        def("metric = \"right_party_contact_rate\""),
        def("metric = \"conversion_rate\""),
        def("metric = \"dialler_abandonment_rate\", window = \"period\""),
        def("metric = \"dialler_abandonment_rate\", window = \"day\""),
        def("metric = \"dialler_abandonment_rate\", window = \"day\", campaigns = [\"renew\"]"),
        def("metric = \"dialler_abandonment_rate\", window = \"30_days\""),
        def("metric = \"calling_window_violations\", hours = \"Mon-Sat 08:00-21:00\""),
        def("metric = \"suppression_hits\""),
        def("metric = \"offered\""),
    ];
    let tb = compute(&log(&data(), None, None), defs, Some(&["h3", "h7", "zzz"])).unwrap();
    assert_eq!(figures(&tb, "outbound_attempts", ""), f("230", "230", "", 230, 0));
    assert_eq!(figures(&tb, "outbound_connects", ""), f("174", "174", "", 230, 0));
    assert_eq!(figures(&tb, "contact_rate", ""), f("75.6522", "174", "230", 230, 0));
    assert_eq!(figures(&tb, "right_party_contact_rate", ""), f("51.7241", "90", "174", 230, 0));
    assert_eq!(figures(&tb, "conversion_rate", ""), f("16.6667", "15", "90", 230, 0));
    assert_eq!(figures(&tb, "dialler_abandonment_rate", "window=period"), f("3.3333", "6", "180", 230, 0));
    // Per campaign per day: the worst of three campaign-days is collect's 2 of 40.
    assert_eq!(figures(&tb, "dialler_abandonment_rate", "=channels=voice;window=day"), f("5.0000", "2", "40", 3, 0));
    // renew alone: its first day is at exactly 3 % (3 of 100 live), its second 2.5 %.
    assert_eq!(figures(&tb, "dialler_abandonment_rate", "campaigns=renew"), f("3.0000", "3", "100", 2, 0));
    // Rolling 30 days ending on each day: renew 3/100 then 4/140, collect 2/40. Every window
    // reaches before the first day in the data: provisional.
    assert_eq!(figures(&tb, "dialler_abandonment_rate", "window=30_days"), f("5.0000", "2", "40", 3, 3));
    // 07:30 in Los Angeles twice and 21:00 in New York are outside; 20:59:59 is inside.
    assert_eq!(figures(&tb, "calling_window_violations", ""), f("3", "3", "", 230, 0));
    // h3 and h7 are dialled; zzz is not in the data.
    assert_eq!(figures(&tb, "suppression_hits", ""), f("2", "2", "", 230, 0));
    // The inbound call is measured by the inbound metrics, and only by them.
    assert_eq!(figures(&tb, "offered", ""), f("1", "1", "", 1, 0));
}

#[test]
fn a_value_an_outbound_metric_reads_is_never_assumed() {
    let missing_disposition = log(&data(), Some(""), None);
    let e = compute(&missing_disposition, vec![def("metric = \"contact_rate\"")], None).unwrap_err();
    assert!(
        e.contains("contact_rate: 1 outbound attempt(s) it measures have no disposition (the first: input 1, line 3)"),
        "{e}"
    );
    assert!(e.contains("map `disposition` in the profile"), "{e}");
    // Attempts count without a disposition.
    let tb = compute(&missing_disposition, vec![def("metric = \"outbound_attempts\"")], None).unwrap();
    assert_eq!(figures(&tb, "outbound_attempts", ""), f("230", "230", "", 230, 0));

    let missing_zone = log(&data(), None, Some(""));
    let e = compute(&missing_zone, vec![def("metric = \"calling_window_violations\"")], None).unwrap_err();
    assert!(e.contains("have no party_zone") && e.contains("unknown_zone = \"Area/City\""), "{e}");
    // With the zone to assume stated in the definition, it is used (and shown in the row).
    let tb = compute(
        &missing_zone,
        vec![def("metric = \"calling_window_violations\", hours = \"Mon-Sat 08:00-21:00\", unknown_zone = \"America/Los_Angeles\"")],
        None,
    )
    .unwrap();
    // The first attempt, 12:00 in New York, is 09:00 in Los Angeles: inside.
    assert_eq!(figures(&tb, "calling_window_violations", "unknown_zone=America/Los_Angeles"), f("3", "3", "", 230, 0));

    let e = compute(&log(&data(), None, None), vec![def("metric = \"suppression_hits\"")], None).unwrap_err();
    assert!(e.contains("suppression_hits: needs the suppression list") && e.contains("--suppression FILE"), "{e}");
}

#[test]
fn bad_outbound_values_are_rejected_with_their_column() {
    let t = TempDir::new("outbound-rejects");
    let mut csv = log(&data()[..3], None, None);
    csv += "X1,voice,outbound,dialler,,A1,2026-09-01T12:00:00-04:00,,,,,,,,,renew,hung_up,America/New_York,hx\n";
    csv += "X2,voice,outbound,dialler,,A1,2026-09-01T12:00:00-04:00,,,,,,,,,renew,busy,Mars/Olympus_Mons,hy\n";
    let input = t.write("log.csv", &csv);
    let rejects = t.path("rejects.csv");
    let r = callsla(&["ingest", "--input", s(&input), "--rejects", s(&rejects), "--max-reject-rate", "100%"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.contains("disposition,hung_up,") && text.contains("unknown_disposition"), "{text}");
    assert!(text.contains("party_zone,Mars/Olympus_Mons,") && text.contains("unknown_zone"), "{text}");
}

#[test]
fn the_metrics_command_reads_a_suppression_list_and_never_prints_a_hash() {
    let t = TempDir::new("outbound-cli");
    let input = t.write("log.csv", &log(&data(), None, None));
    let defs = t.write("defs.toml", "[[metric]]\nmetric = \"suppression_hits\"\n");
    let list = t.write("suppress.csv", "number_hash\nh3\nh7\nzzz\n");
    let with_list = |list: &std::path::Path| {
        callsla(&[
            "metrics",
            "--input",
            s(&input),
            "--metrics",
            s(&defs),
            "--suppression",
            s(list),
            "--tz",
            "America/New_York",
            "--format",
            "csv",
        ])
    };
    let r = with_list(&list);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let row = r.stdout.lines().find(|l| l.contains("suppression_hits")).unwrap();
    assert!(row.contains(",2,"), "{row}");
    assert!(!r.stdout.contains("h3") && !r.stdout.contains("zzz"), "{}", r.stdout);
    let bad = t.write("bad.csv", "number_hash\nh3\n\"\"\n");
    let r = with_list(&bad);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("bad.csv:3") && r.stderr.contains("empty number_hash"), "{}", r.stderr);
}

/// The sample log with the outbound columns and `n` attempts on September 1–30 (campaign
/// renewals, 14:00 New York, called in Chicago; 100 a day for 3,000): per 10 attempts 4 connected, 3 right party,
/// 1 converted, 1 no answer and — on the 15th only — 1 dialler-abandoned (else voicemail).
fn sample_with_attempts(t: &TempDir, n: usize) -> std::path::PathBuf {
    // The sample's inbound contacts (it has the outbound columns), without its own attempts.
    let text = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let mut log = String::new();
    for l in text.lines().filter(|l| !l.starts_with('O')) {
        log += l;
        log.push('\n');
    }
    for i in 0..n {
        let day = 1 + (i / 100) % 30;
        let d = match i % 10 {
            0..=3 => "connected",
            4..=6 => "right_party",
            7 => "converted",
            8 => "no_answer",
            _ if day == 15 => "dialler_abandoned",
            _ => "voicemail",
        };
        log += &format!(
            "OB{i:06},voice,outbound,retention,,A0001,2026-09-{day:02}T14:00:00-04:00,,,,300,0,0,,,renewals,{d},America/Chicago,nh{}\n",
            i % 500
        );
    }
    t.write("log.csv", &log)
}

/// The sample contract as it is (inbound only) and with outbound in scope.
fn sample_contracts() -> (String, String) {
    let sample = sample_contract_inbound();
    let both = sample.replace(
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]",
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]\ndirections = [\"inbound\", \"outbound\"]",
    );
    (sample, both)
}

/// The sample run's arguments with another contract, output folder and log.
fn run_args<'a>(contract: &'a std::path::Path, out: &'a std::path::Path, log: &'a std::path::Path) -> Vec<&'a str> {
    let mut args = sample_run_args(s(contract), s(out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args[i] = s(log);
    args
}

const OUTBOUND_SLAS: &str = r#"
[[sla]]
id = "OUT-1"
name = "Dialler abandonment at most 3% per campaign per day"
metric = { metric = "dialler_abandonment_rate", window = "day" }
target = "3"
direction = "at_most"
min_sample = 1
kind = "key"

[[sla]]
id = "OUT-2"
name = "No suppressed number dialled"
metric = { metric = "suppression_hits" }
target = "0"
direction = "at_most"
min_sample = 1
kind = "key"
"#;

#[test]
fn a_contract_judges_outbound_slas_from_the_attempts() {
    let t = TempDir::new("outbound-run");
    let log = sample_with_attempts(&t, 3000);
    let (sample, both) = sample_contracts();
    // An outbound SLA in an inbound-only scope would only ever read "no data": refused.
    let inbound_only = t.write("inbound-only.toml", &format!("{sample}{OUTBOUND_SLAS}"));
    let r = callsla(&["check", "--contract", s(&inbound_only)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("sla[OUT-1].metric: \"outbound\" is not in [scope] directions (inbound)"),
        "{}",
        r.stderr
    );

    let contract = t.write("c.toml", &format!("{both}{OUTBOUND_SLAS}"));
    let list = t.write("suppress.csv", "number_hash\nnh7\nnh9999\n");
    let out = t.path("out");
    let mut args = run_args(&contract, &out, &log);
    // The suppression list is required by the suppression SLA: without it the run stops.
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--suppression"), "{}", r.stderr);
    args.extend(["--suppression", s(&list)]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let results = std::fs::read_to_string(out.join("sla_results.csv")).unwrap();
    let row = |id: &str, period: &str| -> Vec<String> {
        let l = results.lines().find(|l| l.contains(&format!(",{period},")) && l.contains(&format!(",{id},"))).unwrap();
        l.split(',').map(str::to_string).collect()
    };
    let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
    let col = |r: &[String], name: &str| r[header.iter().position(|h| *h == name).unwrap()].clone();
    // 100 attempts a day; on the 15th, 10 dialler-abandoned of 90 live answers: 11.1111 %.
    let ab = row("OUT-1", "2026-09");
    assert_eq!(
        (col(&ab, "numerator"), col(&ab, "denominator"), col(&ab, "achieved"), col(&ab, "status")),
        ("10".into(), "90".into(), "11.1111".into(), "missed".into())
    );
    // nh7 is dialled on 6 attempts (i = 7, 507, …, 2507); nh9999 never.
    let hits = row("OUT-2", "2026-09");
    assert_eq!((col(&hits, "achieved"), col(&hits, "status")), ("6".into(), "missed".into()));
    // Months without attempts have no data for the outbound SLAs.
    assert_eq!(col(&row("OUT-1", "2026-08"), "status"), "not_measured");
    // The suppression list is an input of the run: hashed in the manifest, and verify holds.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"suppression\""), "{manifest}");
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // No hash reaches an output.
    for f in ["sla_results.csv", "assessment.json", "audit.html", "invoice.csv"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!text.contains("nh7"), "{f} shows a number hash");
    }
}

#[test]
fn outbound_connects_are_priced_and_a_volume_commitment_charges_its_shortfall() {
    let t = TempDir::new("outbound-pricing");
    let log = sample_with_attempts(&t, 3000);
    let (sample, both) = sample_contracts();
    let card = "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\nper_connect = \"0.40\"\nvolume_commitment = { contacts = \"2500\", shortfall_rate = \"0.25\" }\n\n[[pricing]]\nchannel = \"email\"";
    let priced = both.replacen("[[pricing]]\nchannel = \"email\"", card, 1);
    // And a rate per resolved chat.
    let priced = priced.replacen(
        "minute_tiers = [ { rate = \"0.70\" } ]",
        "minute_tiers = [ { rate = \"0.70\" } ]\nper_resolved = \"0.10\"",
        1,
    );
    let contract = t.write("c.toml", &priced);
    let out = t.path("out");
    let args = run_args(&contract, &out, &log);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out.join("invoice.csv")).unwrap();
    let lines: Vec<&str> =
        invoice.lines().filter(|l| l.contains("ACME-CONTOSO-2026-09,invoice") && l.contains("outbound")).collect();
    // 8 connects in every 10 attempts: 2,400 × 0.40 = 960.00. No attempt was answered (no
    // answered_at), so 0 handled against 2,500 committed: 2,500 × 0.25 = 625.00.
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains(",outbound connects,2400,connect,"), "{}", lines[0]);
    assert!(
        lines[0].contains(",0.40,960.00,") && lines[0].ends_with(",pricing.voice.outbound.per_connect"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(",outbound volume commitment shortfall (2500 committed; 0 handled),2500,contact,")
            && lines[1].contains(",0.25,625.00,")
            && lines[1].ends_with(",pricing.voice.outbound.volume_commitment"),
        "{}",
        lines[1]
    );
    // August has no attempts: the whole commitment is short.
    assert!(invoice
        .lines()
        .any(|l| l.contains("ACME-CONTOSO-2026-08,invoice") && l.contains("(2500 committed; 0 handled)")));

    // Resolved chats: answered September chats in scope with resolved = true, counted here
    // from the log itself.
    let text = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let resolved = text
        .lines()
        .filter(|l| {
            let c: Vec<&str> = l.split(',').collect();
            c[1] == "chat" && c[6].starts_with("2026-09") && !c[7].is_empty() && c[13] == "true"
        })
        .count();
    let line = invoice
        .lines()
        .find(|l| l.contains("ACME-CONTOSO-2026-09,invoice") && l.contains(",resolved contacts,"))
        .unwrap();
    assert!(line.contains(&format!(",resolved contacts,{resolved},contact,0.10,")), "{line} ({resolved})");
    assert!(line.ends_with(",pricing.chat.per_resolved"), "{line}");

    // per_connect on an inbound card is refused, naming the fix.
    let inbound = t.write("inbound.toml", &sample.replacen("per_contact = \"2.40\"", "per_connect = \"2.40\"", 1));
    let r = callsla(&["check", "--contract", s(&inbound)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("pricing[email].per_connect: per_connect prices outbound connects; add direction = \"outbound\""),
        "{}",
        r.stderr
    );
}

#[test]
fn generate_writes_outbound_attempts_that_ingest_cleanly_and_measure() {
    let t = TempDir::new("outbound-generate");
    let out = t.path("g.csv");
    let r = callsla(&[
        "generate",
        "--rows",
        "3000",
        "--months",
        "2",
        "--start",
        "2026-09",
        "--seed",
        "5",
        "--outbound-rows",
        "1500",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, format!("wrote {}: 4500 rows, 0 of them bad on purpose\n", s(&out)));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(&format!("{HEADER}\n")), "the outbound columns are in the header");
    let rows = ingest::ingest(
        &Profile::canonical(),
        &[out],
        &IngestOptions { max_reject_rate: Decimal::ZERO, strict: true, hash_inputs: false },
    )
    .unwrap();
    assert_eq!((rows.reconciliation.accepted, rows.reconciliation.rejected), (4500, 0));
    let req = request(
        vec![
            def("metric = \"outbound_attempts\""),
            def("metric = \"contact_rate\""),
            def("metric = \"dialler_abandonment_rate\""),
            def("metric = \"calling_window_violations\""),
            def("metric = \"offered\""),
        ],
        None,
    );
    let tb = metrics::compute(&rows.accepted, &req).unwrap();
    let sum = |metric: &str| -> Decimal {
        tb.rows.iter().filter(|r| r.metric == metric && r.channel == "*").filter_map(|r| r.numerator).sum()
    };
    // Every attempt is measured by the outbound metrics and none by the inbound ones.
    assert_eq!(sum("outbound_attempts"), Decimal::from(1500));
    let realtime_inbound =
        text.lines().filter(|l| l.contains(",inbound,") && (l.contains(",voice,") || l.contains(",chat,"))).count();
    assert_eq!(sum("offered"), Decimal::from(realtime_inbound));
    // Connects are about 58 % of attempts; west-coast dials before 08:00 their time violate.
    let connects = sum("contact_rate");
    assert!(connects > Decimal::from(700) && connects < Decimal::from(1050), "{connects}");
    assert!(sum("calling_window_violations") > Decimal::ZERO);
}

#[test]
fn campaign_rate_cards_price_their_own_campaigns_and_say_what_no_card_prices() {
    let t = TempDir::new("outbound-campaigns");
    let base = std::fs::read_to_string(sample_with_attempts(&t, 3000)).unwrap();
    // 50 connected winback attempts and 10 connected attempts without a campaign, on 2 September.
    let mut log = base;
    for i in 0..60 {
        let campaign = if i < 50 { "winback" } else { "" };
        log += &format!(
            "WB{i:04},voice,outbound,retention,,A0002,2026-09-02T15:00:00-04:00,,,,60,0,0,,,{campaign},connected,America/New_York,nw{i}\n"
        );
    }
    let log = t.write("log2.csv", &log);
    let (sample, both) = sample_contracts();
    let cards = "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\ncampaign = \"renewals\"\nper_connect = \"0.40\"\n\n[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\ncampaign = \"winback\"\nper_connect = \"0.55\"\n\n[[pricing]]\nchannel = \"email\"";
    let priced = both.replacen("[[pricing]]\nchannel = \"email\"", cards, 1);
    let contract = t.write("c.toml", &priced);
    let out = t.path("out");
    let r = callsla_in_repo(&run_args(&contract, &out, &log));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out.join("invoice.csv")).unwrap();
    let september: Vec<&str> =
        invoice.lines().filter(|l| l.contains("ACME-CONTOSO-2026-09,invoice") && l.contains("outbound")).collect();
    // renewals: 2,400 connects × 0.40 = 960.00; winback: 50 × 0.55 = 27.50. The 10 attempts
    // without a campaign have no card: not billed, and said so.
    assert_eq!(september.len(), 2, "{september:#?}");
    assert!(
        september[0].contains(",outbound renewals connects,2400,connect,0.40,960.00,")
            && september[0].ends_with(",pricing.voice.outbound.renewals.per_connect"),
        "{}",
        september[0]
    );
    assert!(
        september[1].contains(",outbound winback connects,50,connect,0.55,27.50,")
            && september[1].ends_with(",pricing.voice.outbound.winback.per_connect"),
        "{}",
        september[1]
    );
    assert!(
        r.stdout.contains("not priced: 10 outbound voice attempt(s) in scope of campaigns without a rate card — the outbound voice cards price campaigns renewals, winback only"),
        "{}",
        r.stdout
    );

    // A card without a campaign prices the rest: the 10 attempts at 0.10 = 1.00, no notice.
    let rest = priced.replacen(
        "[[pricing]]\nchannel = \"email\"",
        "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\nper_connect = \"0.10\"\n\n[[pricing]]\nchannel = \"email\"",
        1,
    );
    let contract = t.write("rest.toml", &rest);
    let out2 = t.path("out2");
    let r = callsla_in_repo(&run_args(&contract, &out2, &log));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out2.join("invoice.csv")).unwrap();
    let line = invoice
        .lines()
        .find(|l| l.contains("ACME-CONTOSO-2026-09,invoice") && l.ends_with(",pricing.voice.outbound.per_connect"))
        .unwrap();
    assert!(line.contains(",outbound connects,10,connect,0.10,1.00,"), "{line}");
    assert!(!r.stdout.contains("not priced"), "{}", r.stdout);

    // A campaign on an inbound card, and the same campaign priced twice, are refused.
    let inbound = t.write(
        "inbound.toml",
        &sample.replacen("per_contact = \"2.40\"", "per_contact = \"2.40\"\ncampaign = \"renewals\"", 1),
    );
    let r = callsla(&["check", "--contract", s(&inbound)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pricing.campaign: a campaign rate card prices outbound attempts"), "{}", r.stderr);
    let twice = t.write("twice.toml", &priced.replacen("campaign = \"winback\"", "campaign = \"renewals\"", 1));
    let r = callsla(&["check", "--contract", s(&twice)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("voice (outbound, campaign renewals) is priced twice"), "{}", r.stderr);
}

/// A rolling 30-day window that reaches before the data is provisional — unless the data starts
/// on or before the contract does (issue 19): under the contract nothing earlier is measured.
/// The sample's attempts start on 1 August 2026, the contract's first day.
#[test]
fn thirty_day_windows_before_the_contract_start_are_complete() {
    let t = TempDir::new("outbound-30-days");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let day = "metric = { metric = \"dialler_abandonment_rate\", window = \"day\" }";
    assert!(sample.contains(day));
    let c = t.write(
        "c.toml",
        &sample.replacen(day, "metric = { metric = \"dialler_abandonment_rate\", window = \"30_days\" }", 1),
    );
    let out = t.path("out");
    let r = callsla_in_repo(&sample_run_args(s(&c), s(&out)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stdout.lines().find(|l| l.starts_with("  OUT-1")).unwrap();
    assert!(!line.ends_with("(provisional)"), "{line}");
    // Starting the contract a month earlier leaves July out of the data: August's windows
    // reach into it and are provisional.
    let earlier = sample.replacen("effective_from = \"2026-08-01\"", "effective_from = \"2026-07-01\"", 1).replacen(
        day,
        "metric = { metric = \"dialler_abandonment_rate\", window = \"30_days\" }",
        1,
    );
    let c = t.write("early.toml", &earlier);
    let out2 = t.path("out2");
    let mut args = sample_run_args(s(&c), s(&out2));
    args.extend(["--from", "2026-08", "--to", "2026-10"]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stdout.lines().find(|l| l.starts_with("  OUT-1")).unwrap();
    assert!(line.ends_with("(provisional)"), "{line}");
}

/// docs/profiles.md's dialler profile, as written, reads a dialler's export: outcomes mapped
/// onto dispositions, states onto zones, and an outcome the map does not list rejected.
#[test]
fn the_documented_dialler_profile_reads_an_export() {
    let doc = std::fs::read_to_string(repo("docs/profiles.md")).unwrap();
    let section = &doc[doc.find("## Outbound fields").unwrap()..];
    let start = section.find("```toml\n").unwrap() + 8;
    let profile = &section[start..start + section[start..].find("```").unwrap()];
    let t = TempDir::new("dialler-profile");
    let p = t.write("dialler.toml", profile);
    let export = t.write(
        "attempts.csv",
        "Attempt,List Name,Dialled,Call Result,Ring,Talk,State,Phone Hash
A1,Renewals Q4,2026-10-05 10:00:00,SALE,12,300,NY,nh1
A2,Renewals Q4,2026-10-05 10:01:00,NA,30,,CA,nh2
A3,Renewals Q4,2026-10-05 10:02:00,DROP,8,,IL,nh3
A4,Renewals Q4,2026-10-05 10:03:00,HANGUP,5,,NY,nh4
A5,Renewals Q4,2026-10-05 10:04:00,RPC,9,120,TX,nh5
",
    );
    let rejects = t.path("rejects.csv");
    let r = callsla(&[
        "ingest",
        "--input",
        s(&export),
        "--profile",
        s(&p),
        "--rejects",
        s(&rejects),
        "--max-reject-rate",
        "100%",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("read 5, accepted 3, rejected 2"), "{}", r.stdout);
    let rej = std::fs::read_to_string(&rejects).unwrap();
    assert!(rej.contains(",5,Call Result,") && rej.contains("HANGUP") && rej.contains("unmapped_value"), "{rej}");
    assert!(rej.contains(",6,State,") && rej.contains("TX"), "{rej}");
    // The accepted attempts measure: 3 attempts (SALE, NA, DROP), 1 connect (SALE), and the
    // DROP is the one dialler abandonment among 2 live answers; the NA was called in California
    // at 07:01 local time, outside 08:00-21:00.
    let defs = t.write(
        "defs.toml",
        "[[metric]]\nmetric = \"outbound_attempts\"\n[[metric]]\nmetric = \"outbound_connects\"\n[[metric]]\nmetric = \"dialler_abandonment_rate\"\nwindow = \"period\"\n[[metric]]\nmetric = \"calling_window_violations\"\nhours = \"Mon-Sun 08:00-21:00\"\n",
    );
    let m = callsla(&[
        "metrics",
        "--input",
        s(&export),
        "--profile",
        s(&p),
        "--metrics",
        s(&defs),
        "--tz",
        "America/New_York",
        "--format",
        "csv",
        "--max-reject-rate",
        "100%",
    ]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    let value = |metric: &str| {
        let l = m.stdout.lines().find(|l| l.contains(",*,*,*,") && l.contains(&format!(",{metric},"))).unwrap();
        let f: Vec<&str> = l.split(',').collect();
        (f[8].to_string(), f[10].to_string(), f[11].to_string())
    };
    assert_eq!(value("outbound_attempts").0, "3");
    assert_eq!(value("outbound_connects").0, "1");
    assert_eq!(value("dialler_abandonment_rate"), ("50.0000".into(), "1".into(), "2".into()));
    assert_eq!(value("calling_window_violations").0, "1");
}

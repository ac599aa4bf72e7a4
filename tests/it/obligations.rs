//! Obligations judged from the events log (issue 18): hand-worked vectors for each kind at its
//! boundaries — on the deadline, one microsecond past it, across a daylight-saving change, at
//! the count limit and one over, a certificate ending exactly at the period's end — credits per
//! event, per hour late and capped, and the events file's errors word for word.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::contract::Contract;
use callsla::metrics::period;
use callsla::rules::obligation::{judge, load_events, Event, ObligationResult};
use common::*;
use rust_decimal::Decimal;

fn sample(edit: impl Fn(String) -> String) -> Contract {
    let text = edit(std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap());
    Contract::parse(&text, "contract.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn us(ts: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(ts).unwrap().timestamp_micros()
}

fn event(id: &str, t: &str, occurred: &str, detected: Option<&str>, notified: Option<&str>) -> Event {
    Event {
        event_id: id.into(),
        event_type: t.into(),
        occurred_at: us(occurred),
        detected_at: detected.map(us),
        notified_at: notified.map(us),
        resolved_at: None,
        severity: None,
        reference: String::new(),
        line: 2,
    }
}

/// The obligations of a month of the sample contract (America/New_York).
fn month(c: &Contract, label: &str, events: &[Event]) -> Vec<ObligationResult> {
    let start = period::parse_label(c.period, c.zone, label).unwrap();
    let end = period::period_end(c.period, c.zone, start);
    judge(c, Some(events), start, end).unwrap()
}

fn get<'a>(r: &'a [ObligationResult], id: &str) -> &'a ObligationResult {
    r.iter().find(|o| o.obligation_id == id).unwrap()
}

#[test]
fn a_notification_exactly_on_the_deadline_is_on_time_and_a_microsecond_later_is_an_hour_late() {
    let c = sample(|t| t);
    let on_time = event(
        "A",
        "data_breach",
        "2026-08-10T09:00:00-04:00",
        Some("2026-08-10T14:00:00-04:00"),
        Some("2026-08-13T14:00:00-04:00"),
    );
    let r = month(&c, "2026-08", &[on_time]);
    let ob1 = get(&r, "OB-1");
    assert_eq!((ob1.status.as_str(), ob1.breaches, ob1.credit), ("met", 0, Decimal::new(0, 2)));
    assert_eq!(ob1.events[0].deadline, "2026-08-13T14:00:00-04:00");
    let late = event(
        "B",
        "data_breach",
        "2026-08-10T09:00:00-04:00",
        Some("2026-08-10T14:00:00-04:00"),
        Some("2026-08-13T14:00:00.000001-04:00"),
    );
    let r = month(&c, "2026-08", &[late]);
    let ob1 = get(&r, "OB-1");
    assert_eq!((ob1.status.as_str(), ob1.breaches, ob1.hours_late), ("missed", 1, 1));
    assert_eq!(ob1.credit, Decimal::new(500000, 2), "per_event 5000");
    assert!(ob1.material_breach);
}

/// 72 hours are 72 elapsed hours: across the end of daylight saving (2026-11-01 02:00 EDT →
/// 01:00 EST) the deadline of a breach detected at 00:30 EDT is 23:30 EST on 11-03, not the
/// wall-clock 00:30 on 11-04.
#[test]
fn hour_deadlines_count_elapsed_time_across_a_dst_change() {
    let c = sample(|t| t);
    let detected = "2026-11-01T00:30:00-04:00";
    let at_deadline = event("A", "data_breach", detected, Some(detected), Some("2026-11-03T23:30:00-05:00"));
    let wall_clock = event("B", "data_breach", detected, Some(detected), Some("2026-11-04T00:30:00-05:00"));
    let r = month(&c, "2026-11", &[at_deadline, wall_clock]);
    let ob1 = get(&r, "OB-1");
    assert_eq!(ob1.events[0].deadline, "2026-11-03T23:30:00-05:00");
    assert!(!ob1.events[0].late);
    assert!(ob1.events[1].late);
    assert_eq!(ob1.events[1].hours_late, 1);
}

/// Per hour late, summed over the late events, a started hour counting whole, then the cap.
#[test]
fn per_hour_credits_sum_the_started_hours_and_stop_at_the_cap() {
    let c = sample(|t| {
        t.replace(
            "credit = { per_event = \"5000\" }\ncap = \"15000\"",
            "credit = { per_hour_late = \"100\" }\ncap = \"2500\"",
        )
    });
    let d = "2026-08-10T14:00:00-04:00";
    let a = event("A", "data_breach", d, Some(d), Some("2026-08-14T09:30:00-04:00")); // 19.5 h → 20
    let b = event("B", "data_breach", d, Some(d), Some("2026-08-13T15:00:00-04:00")); // 1 h
    let r = month(&c, "2026-08", &[a.clone(), b.clone()]);
    let ob1 = get(&r, "OB-1");
    assert_eq!((ob1.hours_late, ob1.credit_base, ob1.credit), (21, Decimal::from(2100), Decimal::new(210000, 2)));
    let later = event("C", "data_breach", d, Some(d), Some("2026-08-15T14:00:00-04:00")); // 48 h
    let r = month(&c, "2026-08", &[a, b, later]);
    let ob1 = get(&r, "OB-1");
    assert_eq!((ob1.hours_late, ob1.credit_base, ob1.credit), (69, Decimal::from(6900), Decimal::new(250000, 2)));
}

/// Not notified yet: late by the time to the period's end when the deadline fell inside it;
/// not judged yet when it falls after.
#[test]
fn an_unnotified_breach_is_late_only_once_its_deadline_has_passed_in_the_period() {
    let c = sample(|t| t);
    let early = event("A", "data_breach", "2026-08-20T09:00:00-04:00", Some("2026-08-20T10:00:00-04:00"), None);
    let at_end = event("B", "data_breach", "2026-08-30T09:00:00-04:00", Some("2026-08-30T10:00:00-04:00"), None);
    let r = month(&c, "2026-08", &[early, at_end]);
    let ob1 = get(&r, "OB-1");
    assert!(ob1.events[0].late);
    assert_eq!(ob1.events[0].hours_late, 206, "08-23 10:00 to 09-01 00:00 is 14 h + 8 days = 206 h");
    assert_eq!(ob1.events[0].note, "no notified_at by the period end");
    assert!(!ob1.events[1].late);
    assert_eq!(ob1.events[1].note, "no notified_at yet; the deadline is after the period end");
    assert_eq!(ob1.breaches, 1);
}

#[test]
fn a_count_limit_is_met_at_the_limit_and_missed_one_over() {
    let c = sample(|t| t.replace("severity = 1\nmax_count = 0", "severity = 1\nmax_count = 1"));
    let sev = |id: &str, s: u8| Event {
        severity: Some(s),
        ..event(id, "security_incident", "2026-09-05T10:00:00-04:00", None, None)
    };
    let r = month(&c, "2026-09", &[sev("A", 1), sev("B", 2)]);
    assert_eq!((get(&r, "OB-2").status.as_str(), get(&r, "OB-2").breaches), ("met", 0));
    let r = month(&c, "2026-09", &[sev("A", 1), sev("B", 1), sev("C", 1)]);
    let ob2 = get(&r, "OB-2");
    assert_eq!((ob2.status.as_str(), ob2.breaches, ob2.credit), ("missed", 2, Decimal::new(500000, 2)));
}

/// A certificate ending exactly at the period's end covers it; one second earlier does not.
#[test]
fn a_certificate_must_cover_the_whole_period() {
    let c = sample(|t| t);
    let cert = |until: &str| Event {
        resolved_at: Some(us(until)),
        reference: "ISO 27001".into(),
        ..event("A", "certification", "2026-01-01T00:00:00-05:00", None, None)
    };
    let r = month(&c, "2026-09", &[cert("2026-10-01T00:00:00-04:00")]);
    assert_eq!(get(&r, "OB-3").status, "met");
    let r = month(&c, "2026-09", &[cert("2026-09-30T23:59:59-04:00")]);
    let ob3 = get(&r, "OB-3");
    assert_eq!((ob3.status.as_str(), ob3.credit), ("missed", Decimal::new(300000, 2)));
    let other = Event { reference: "PCI DSS".into(), ..cert("2027-01-01T00:00:00-05:00") };
    assert_eq!(get(&month(&c, "2026-09", &[other]), "OB-3").status, "missed", "another standard does not count");
}

#[test]
fn an_event_without_the_timestamp_its_obligation_reads_stops_the_run() {
    let c = sample(|t| t);
    let start = period::parse_label(c.period, c.zone, "2026-08").unwrap();
    let e = event("A", "data_breach", "2026-08-10T09:00:00-04:00", None, None);
    let err = judge(&c, Some(&[e]), start, period::period_end(c.period, c.zone, start)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event A (line 2 of the events log) has no detected_at, which obligation OB-1 measures from; fill it in, or correct the event's type"
    );
    assert!(judge(&c, None, start, start + 1).unwrap().iter().all(|o| o.status == "not_measured"));
}

#[test]
fn bad_events_files_are_refused_naming_line_column_and_value() {
    let t = TempDir::new("events-bad");
    let head = "event_id,type,occurred_at,detected_at,notified_at,resolved_at,severity,reference,description\n";
    let cases = [
        ("E1,breach,2026-08-10T09:00:00-04:00,,,,,,\n", "events f.csv:2: column type: \"breach\" is not an event type; use security_incident, data_breach, audit_finding, certification, training, breach_notice, cure, other"),
        ("E1,data_breach,10/08/2026 09:00,,,,,,\n", "events f.csv:2: column occurred_at: \"10/08/2026 09:00\" is not an RFC 3339 timestamp with an offset, such as 2026-09-14T08:00:00-04:00"),
        ("E1,data_breach,2026-08-10T09:00:00,,,,,,\n", "events f.csv:2: column occurred_at: \"2026-08-10T09:00:00\" is not an RFC 3339 timestamp with an offset, such as 2026-09-14T08:00:00-04:00"),
        ("E1,data_breach,2026-08-10T09:00:00Z,,,,9,,\n", "events f.csv:2: column severity: \"9\" is not a severity from 1 to 5"),
        ("E1,data_breach,2026-08-10T09:00:00Z,,,,,,\nE1,other,2026-08-11T09:00:00Z,,,,,,\n", "events f.csv:3: column event_id: \"E1\" is used twice (first on line 2)"),
        (",data_breach,2026-08-10T09:00:00Z,,,,,,\n", "events f.csv:2: column event_id: empty; every event needs an id"),
    ];
    for (rows, want) in cases {
        let p = t.write("f.csv", &format!("{head}{rows}"));
        let err = load_events(&p, None).unwrap_err().to_string().replace(&format!("{}", p.display()), "f.csv");
        assert_eq!(err, want, "{rows}");
    }
    let p = t.write("f.csv", "event_id,kind,occurred_at\n");
    let err = load_events(&p, None).unwrap_err().to_string().replace(&format!("{}", p.display()), "f.csv");
    assert_eq!(err, "events f.csv:1: no column type; the columns are event_id, type, occurred_at, detected_at, notified_at, resolved_at, severity, reference, description");
    // The sample's events, read whole; a header alone is no event.
    assert_eq!(load_events(&repo("sample-data/events.csv"), None).unwrap().len(), 8);
    assert!(load_events(&t.write("h.csv", "event_id,type,occurred_at\n"), None).unwrap().is_empty());
}

/// Without --events the run stops naming the option; `[inputs] events = "optional"` runs
/// with the obligations not measured, said among the assumptions.
#[test]
fn a_missing_events_log_stops_the_run_unless_the_contract_marks_it_optional() {
    let t = TempDir::new("events-missing");
    let out = t.path("out");
    let mut args = sample_run_args("sample-data/contract.toml", s(&out));
    let i = args.iter().position(|a| *a == "--events").unwrap();
    args.drain(i..i + 2);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("pass --events FILE, or mark it optional in the contract ([inputs] events = \"optional\")"),
        "{}",
        r.stderr
    );
    let text =
        std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap() + "\n[inputs]\nevents = \"optional\"\n";
    let c = t.write("contract.toml", &text);
    let mut args = sample_run_args(s(&c), s(&out));
    let i = args.iter().position(|a| *a == "--events").unwrap();
    args.drain(i..i + 2);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("assumed: no events log (--events), which [inputs] marks optional: obligations are not measured"));
    assert!(r.stdout.contains("OB-1 obligation (deadline on data_breach events): not_measured"), "{}", r.stdout);
}

/// Rights for breach under notice and cure terms, on the sample (notice 30 days, cure 30
/// days): August's late breach notification was noticed on 2026-09-02 and never cured, so
/// the client's right stands from 2026-10-03 and takes effect at the earliest 2026-11-02;
/// October's severity-1 incident was noticed on 10-08 and cured on 10-20, so it gives no
/// right. Without the cure event the cure period runs past the log; without notices, none
/// has started.
#[test]
fn termination_rights_follow_notice_and_cure() {
    let t = TempDir::new("cure");
    let rights = |events: &str| {
        let e = t.write("events.csv", events);
        let out = t.path("out");
        let mut args = sample_run_args("sample-data/contract.toml", s(&out));
        let i = args.iter().position(|a| *a == "--events").unwrap();
        args[i + 1] = s(&e);
        args.push("--force");
        let r = callsla_in_repo(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
        v["assessment"]["termination_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let r = &e["right"];
                format!(
                    "{} {} {} {} {}",
                    e["sla_id"].as_str().unwrap(),
                    r["status"].as_str().unwrap(),
                    r["arises_on"].as_str().unwrap_or("-"),
                    r["cure_deadline"].as_str().unwrap_or("-"),
                    r["effective_from"].as_str().unwrap_or("-")
                )
            })
            .collect::<Vec<_>>()
    };
    let all = std::fs::read_to_string(repo("sample-data/events.csv")).unwrap();
    assert_eq!(rights(&all), ["OB-1 arisen 2026-10-03 2026-10-02 2026-11-02", "OB-2 cured - 2026-11-07 -"]);
    let no_cure: String = all.lines().filter(|l| !l.starts_with("EV-8")).map(|l| format!("{l}\n")).collect();
    assert_eq!(rights(&no_cure), ["OB-1 arisen 2026-10-03 2026-10-02 2026-11-02", "OB-2 in_cure - 2026-11-07 -"]);
    let no_notice: String = all
        .lines()
        .filter(|l| !l.contains(",breach_notice,") && !l.contains(",cure,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(rights(&no_notice), ["OB-1 awaiting_notice - - -", "OB-2 awaiting_notice - - -"]);
}

/// `[termination] unpaid_days = 60`: September's invoice (due 2026-10-31) still unpaid on the
/// statement date 2027-01-15 gives the provider a right from 2026-12-31 (effective 2027-01-30
/// on 30 days' notice); October's (due 2026-12-01) is not 60 days late yet; August's is paid.
#[test]
fn an_invoice_unpaid_past_the_limit_gives_the_provider_a_right() {
    let t = TempDir::new("unpaid");
    let text = std::fs::read_to_string(repo("sample-data/contract.toml"))
        .unwrap()
        .replace("notice_days = 30\ncure_days = 30", "notice_days = 30\ncure_days = 30\nunpaid_days = 60");
    let c = t.write("contract.toml", &text);
    let pay = t.write("payments.csv", "invoice_id,paid_date,amount\nACME-CONTOSO-2026-08,2026-10-16,31976.38\n");
    let out = t.path("out");
    let mut args = sample_run_args(s(&c), s(&out));
    let i = args.iter().position(|a| *a == "--payments").unwrap();
    args[i + 1] = s(&pay);
    args.extend(["--statement-date", "2027-01-15"]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("termination right of the provider: ACME-CONTOSO-2026-09 unpaid 76 days after its due date 2026-10-31 (termination.unpaid_days) — the provider's right from 2026-12-31, effective at the earliest 2027-01-30\n"),
        "{}",
        r.stdout
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    let rights = v["billing"]["provider_rights"].as_array().unwrap();
    assert_eq!(rights.len(), 1, "only September's invoice is 60 days late");
    assert_eq!(rights[0]["right"]["party"], "provider");
    assert!(std::fs::read_to_string(out.join("audit.html")).unwrap().contains("unpaid 76 days after its due date"));
}

/// An incident export in its own shape (columns, words, local timestamps) read through an
/// events profile gives the same events as the canonical log; its errors name the source
/// column; a run records the profile in its manifest.
#[test]
fn an_events_profile_reads_an_export_in_its_own_shape() {
    use callsla::rules::event_profile::EventProfile;
    let t = TempDir::new("event-profile");
    let profile = t.write(
        "servicenow.toml",
        r#"name = "ServiceNow security incidents"
time_zone = "America/New_York"
timestamp_format = "%d/%m/%Y %H:%M"
[columns]
event_id = "Number"
type = "Category"
occurred_at = "Opened"
detected_at = "Detected"
notified_at = "Customer notified"
severity = "Priority"
[types]
"Data Breach" = "data_breach"
"Security Incident" = "security_incident"
[severity]
P1 = 1
P2 = 2
"#,
    );
    let export = t.write(
        "export.csv",
        "Number,Category,Opened,Detected,Customer notified,Priority,Assignment group\n\
         INC1,Data Breach,10/08/2026 09:00,10/08/2026 14:00,14/08/2026 09:30,P2,Security Ops\n\
         INC2,security incident ,07/10/2026 11:20,07/10/2026 11:45,,P1,Desktop\n",
    );
    let p = EventProfile::load(&profile).unwrap();
    let got = load_events(&export, Some(&p)).unwrap();
    let canonical = t.write(
        "canonical.csv",
        "event_id,type,occurred_at,detected_at,notified_at,severity\n\
         INC1,data_breach,2026-08-10T09:00:00-04:00,2026-08-10T14:00:00-04:00,2026-08-14T09:30:00-04:00,2\n\
         INC2,security_incident,2026-10-07T11:20:00-04:00,2026-10-07T11:45:00-04:00,,1\n",
    );
    assert_eq!(got, load_events(&canonical, None).unwrap());
    let bad =
        t.write("bad.csv", "Number,Category,Opened\nINC3,Phishing,01/09/2026 10:00\nINC4,Data Breach,2026-09-01\n");
    let err = load_events(&bad, Some(&p)).unwrap_err().to_string().replace(s(&bad), "bad.csv");
    assert_eq!(err, "events bad.csv:2: column Category: \"Phishing\" matches no key of the profile's [types] (keys: data breach, security incident); add it");
    let bad = t.write("bad2.csv", "Number,Category,Opened\nINC4,Data Breach,2026-09-01\n");
    let err = load_events(&bad, Some(&p)).unwrap_err().to_string().replace(s(&bad), "bad.csv");
    assert_eq!(err, "events bad.csv:2: column Opened: \"2026-09-01\" does not match the profile's timestamp_format \"%d/%m/%Y %H:%M\"");
    let no_zone =
        t.write("nz.toml", "name = \"x\"\ntimestamp_format = \"%d/%m/%Y %H:%M\"\n[columns]\nevent_id = \"Number\"\n");
    let err = EventProfile::load(&no_zone).unwrap_err().to_string().replace(s(&no_zone), "nz.toml");
    assert_eq!(err, "events profile nz.toml: timestamp_format \"%d/%m/%Y %H:%M\" has no offset (%z), so its times need a time_zone; add one");
    let unknown = t.write("u.toml", "name = \"x\"\n[columns]\nticket = \"Number\"\n");
    assert!(EventProfile::load(&unknown)
        .unwrap_err()
        .to_string()
        .contains("[columns] ticket: not a column of the events log"));
    // Through a run: the profile's hash in the manifest.
    let out = t.path("out");
    let mut args = sample_run_args("sample-data/contract.toml", s(&out));
    let i = args.iter().position(|a| *a == "--events").unwrap();
    args[i + 1] = s(&export);
    args.extend(["--events-profile", s(&profile)]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("OB-2 obligation (count_limit on security_incident events): missed"), "{}", r.stdout);
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"events_profile\""), "{manifest}");
}

/// Tiered credits by the period's measure: hours late for a deadline (up to 24 h: 1000, up to
/// 72 h: 3000, more: 6000), the boundary hour in the lower tier.
#[test]
fn tiered_obligation_credits_follow_the_hours_late() {
    let c = sample(|t| {
        t.replace(
            "credit = { per_event = \"5000\" }\ncap = \"15000\"",
            "credit = { tiers = [{ up_to = 24, amount = \"1000\" }, { up_to = 72, amount = \"3000\" }, { amount = \"6000\" }] }",
        )
    });
    let d = "2026-08-10T14:00:00-04:00";
    let late_by = |to: &str| {
        let r = month(&c, "2026-08", &[event("A", "data_breach", d, Some(d), Some(to))]);
        let o = get(&r, "OB-1");
        (o.hours_late, o.credit.to_string())
    };
    assert_eq!(late_by("2026-08-14T14:00:00-04:00"), (24, "1000.00".to_string()), "24 h: the first tier");
    assert_eq!(late_by("2026-08-14T14:00:01-04:00"), (25, "3000.00".to_string()), "a second more: 25 started hours");
    assert_eq!(late_by("2026-08-16T14:00:00-04:00"), (72, "3000.00".to_string()));
    assert_eq!(late_by("2026-08-20T14:00:00-04:00"), (168, "6000.00".to_string()), "the open last tier");
    let bad = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap().replace(
        "credit = { per_event = \"5000\" }\ncap = \"15000\"",
        "credit = { tiers = [{ amount = \"1000\" }, { up_to = 72, amount = \"3000\" }] }",
    );
    let e = Contract::parse(&bad, "c.toml").unwrap_err().to_string();
    assert!(e.ends_with("obligation.credit.tiers: only the last tier may be open-ended (no `up_to`)"), "{e}");
}

/// `count_minimum`: at least so many events a period (security training sessions): met at the
/// minimum, one short credited per missing event.
#[test]
fn a_count_minimum_is_met_at_the_minimum_and_credited_per_missing_event() {
    let c = sample(|t| {
        t + "\n[[obligation]]\nid = \"OB-4\"\nname = \"Two security-awareness sessions a month\"\nkind = \"count_minimum\"\nevent_type = \"training\"\nmin_count = 2\ncredit = { per_event = \"750\" }\n"
    });
    let training = |id: &str| event(id, "training", "2026-09-10T10:00:00-04:00", None, None);
    let r = month(&c, "2026-09", &[training("T1"), training("T2")]);
    assert_eq!((get(&r, "OB-4").status.as_str(), get(&r, "OB-4").breaches), ("met", 0));
    let r = month(&c, "2026-09", &[training("T1")]);
    let ob4 = get(&r, "OB-4");
    assert_eq!((ob4.status.as_str(), ob4.breaches, ob4.credit.to_string()), ("missed", 1, "750.00".to_string()));
    let r = month(&c, "2026-09", &[]);
    assert_eq!(get(&r, "OB-4").credit.to_string(), "1500.00", "no session: two missing");
    assert_eq!(get(&r, "OB-4").explanation[0], "0 training event(s) in the period; at least 2 required: 2 short");
}

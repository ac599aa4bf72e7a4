//! Quality evaluations and agent hours (issue 19): hand-worked vectors for the QA score, pass
//! rate (at exactly the pass mark) and critical errors, schedule adherence, occupancy, shrinkage
//! and hours; bad rows rejected with file, line, column and value and counted in the one
//! reconciliation; profiles for other exports; and contracts judging QA and adherence SLAs.

use crate::common::*;

const QA: &str = "evaluation_id,interaction_id,agent_id,queue,channel,evaluated_at,score,max_score,critical_fail
E1,I1,A1,billing,voice,2026-09-02T10:00:00-04:00,90,100,false
E2,I2,A1,billing,voice,2026-09-03T10:00:00-04:00,70,100,false
E3,I3,A2,sales,chat,2026-09-04T10:00:00-04:00,45,50,true
E4,I4,A2,sales,chat,2026-09-05T10:00:00-04:00,40,50,false
E5,,A3,billing,voice,2026-10-01T10:00:00-04:00,80,100,false
E6,I6,A3,billing,voice,2026-09-30T10:00:00-04:00,120,100,false
E7,I7,A3,billing,voice,not a date,80,100,false
E1,I8,A3,billing,voice,2026-09-30T11:00:00-04:00,80,100,false
";

const HOURS: &str = "agent_id,interval_start,queue,scheduled_s,logged_in_s,productive_s,adherent_s
A1,2026-09-01T08:00:00-04:00,billing,28800,27000,20000,26000
A2,2026-09-01T08:00:00-04:00,sales,28800,28800,25000,28800
A1,2026-09-02T08:00:00-04:00,billing,28800,25200,18000,24000
A1,2026-09-02T08:00:00-04:00,billing,28800,25200,18000,24000
A2,2026-09-02T08:00:00-04:00,sales,28800,28000,29000,28000
";

const DEFS: &str = "[[metric]]\nmetric = \"qa_score\"\n[[metric]]\nmetric = \"qa_pass_rate\"\npass_percent = \"80\"\n[[metric]]\nmetric = \"critical_error_rate\"\n[[metric]]\nmetric = \"schedule_adherence\"\n[[metric]]\nmetric = \"occupancy\"\n[[metric]]\nmetric = \"shrinkage\"\n[[metric]]\nmetric = \"logged_in_hours\"\n[[metric]]\nmetric = \"productive_hours\"\n";

const QA_DEFS: &str = "[[metric]]\nmetric = \"qa_score\"\n[[metric]]\nmetric = \"qa_pass_rate\"\n";
const HOURS_DEFS: &str = "[[metric]]\nmetric = \"schedule_adherence\"\n[[metric]]\nmetric = \"occupancy\"\n";

/// `metrics` on the sample log with these definitions and the side tables in `extra`.
fn metrics(t: &TempDir, defs: &str, extra: &[&str]) -> Run {
    let defs = t.write("defs.toml", defs);
    let mut args = vec![
        "metrics",
        "--input",
        "sample-data/interactions.csv",
        "--metrics",
        s(&defs),
        "--tz",
        "America/New_York",
        "--by",
        "queue",
        "--format",
        "csv",
    ];
    args.extend_from_slice(extra);
    callsla_in_repo(&args)
}

/// (value, numerator, denominator, sample) of a metric's row for a period and queue.
fn row(csv: &str, period: &str, queue: &str, metric: &str) -> (String, String, String, String) {
    let l = csv
        .lines()
        .find(|l| {
            let c: Vec<&str> = l.split(',').collect();
            c.len() > 12 && c[2] == period && c[4] == queue && c[6] == metric
        })
        .unwrap_or_else(|| panic!("no {metric} row for {period} {queue}:\n{csv}"));
    let c: Vec<&str> = l.split(',').collect();
    (c[8].into(), c[10].into(), c[11].into(), c[12].into())
}

fn q(v: &str, n: &str, d: &str, s: &str) -> (String, String, String, String) {
    (v.into(), n.into(), d.into(), s.into())
}

#[test]
fn quality_and_workforce_metrics_match_the_hand_worked_figures() {
    let t = TempDir::new("workforce");
    let qa = t.write("qa.csv", QA);
    let hours = t.write("hours.csv", HOURS);
    let rejects = t.path("rejects.csv");
    let r = metrics(
        &t,
        DEFS,
        &["--qa", s(&qa), "--agent-hours", s(&hours), "--rejects", s(&rejects), "--max-reject-rate", "100%"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    // September: E1 90/100, E2 70/100, E3 45/50 (critical fail), E4 40/50 — E6 (score above
    // its maximum), E7 (no date) and the second E1 are rejected. 245 of 300 points.
    assert_eq!(row(out, "2026-09", "*", "qa_score"), q("81.6667", "245", "300", "4"));
    // Passes: E1, and E4 at exactly 80 %; E3 scores 90 % but fails critically.
    assert_eq!(row(out, "2026-09", "*", "qa_pass_rate"), q("50.0000", "2", "4", "4"));
    assert_eq!(row(out, "2026-09", "*", "critical_error_rate"), q("25.0000", "1", "4", "4"));
    assert_eq!(row(out, "2026-09", "sales", "qa_score"), q("85.0000", "85", "100", "2"));
    assert_eq!(row(out, "2026-10", "*", "qa_score"), q("80.0000", "80", "100", "1"));
    // Agent hours: three rows accepted (a repeated agent-interval and productive time above
    // logged-in time are rejected). Adherent 78,800 of 86,400 scheduled seconds; productive
    // 63,000 of 81,000 logged in; 5,400 s of shrinkage; 22.5 logged-in hours.
    assert_eq!(row(out, "2026-09", "*", "schedule_adherence"), q("91.2037", "78800", "86400", "3"));
    assert_eq!(row(out, "2026-09", "*", "occupancy"), q("77.7778", "63000", "81000", "3"));
    assert_eq!(row(out, "2026-09", "*", "shrinkage"), q("6.2500", "5400", "86400", "3"));
    assert_eq!(row(out, "2026-09", "*", "logged_in_hours"), q("22.5000", "81000", "", "3"));
    assert_eq!(row(out, "2026-09", "*", "productive_hours"), q("17.5000", "63000", "", "3"));
    assert_eq!(row(out, "2026-09", "billing", "schedule_adherence"), q("86.8056", "50000", "57600", "2"));

    // Every row is accounted for, in the one reconciliation, and every reject names its file,
    // line, column and value (agent ids as pseudonyms).
    assert!(r.stderr.contains("read 30013 rows: 30008 accepted, 5 rejected, 0 excluded"), "{}", r.stderr);
    let text = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0]
            .starts_with(&format!("{},7,score,score,120,,inconsistent,score 120 is more than max_score 100", s(&qa))),
        "{text}"
    );
    assert!(lines[1].contains(",8,evaluated_at,evaluated_at,not a date,,unreadable_timestamp,"), "{text}");
    assert!(
        lines[2].contains(",9,evaluation_id,evaluation_id,E1,,duplicate_id,the same evaluation_id as line 2"),
        "{text}"
    );
    assert!(
        lines[3].contains(",5,agent_id,agent_id,agent_id-")
            && lines[3].contains("the same agent_id and interval_start as line 4"),
        "{text}"
    );
    assert!(!text.contains(",A1,"), "an agent id in the rejects: {text}");
    assert!(
        lines[4].contains(
            ",6,productive_s,productive_s,29000 s,,inconsistent,productive_s 29000 s is more than logged_in_s 28000 s"
        ),
        "{text}"
    );

    // The reject limit covers them: at the default 0.5 %, 5 of 13 side rows is still far
    // below 0.5 % of all rows read; with --strict, any reject stops.
    let r = metrics(&t, QA_DEFS, &["--qa", s(&qa), "--strict"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn a_value_a_qa_or_workforce_metric_reads_is_never_assumed() {
    let t = TempDir::new("workforce-missing");
    // No critical_fail column: the pass rate cannot be judged (a missing flag is no pass).
    let qa = t.write("qa.csv", "evaluation_id,evaluated_at,score,max_score\nE1,2026-09-02T10:00:00-04:00,90,100\n");
    let r = metrics(&t, QA_DEFS, &["--qa", s(&qa)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("qa_pass_rate: the quality evaluations file has no critical_fail column"),
        "{}",
        r.stderr
    );
    // An empty cell in an optional column a metric reads stops too, naming the line.
    let hours = t.write(
        "hours.csv",
        "agent_id,interval_start,scheduled_s,logged_in_s,productive_s,adherent_s\nA1,2026-09-01T08:00:00-04:00,28800,,20000,26000\n",
    );
    let r = metrics(&t, HOURS_DEFS, &["--agent-hours", s(&hours)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("occupancy: {}:2: logged_in_s is empty", s(&hours))), "{}", r.stderr);
    // Without the file at all, the metric names the option.
    let r = metrics(&t, QA_DEFS, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("qa_score: needs the quality evaluations table: give --qa FILE"), "{}", r.stderr);
    // A column the table does not know is refused without a profile.
    let odd = t.write("odd.csv", "evaluation_id,evaluated_at,score,max_score,mood\n");
    let r = metrics(&t, QA_DEFS, &["--qa", s(&odd)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{}:1: unknown column \"mood\"", s(&odd))), "{}", r.stderr);
}

#[test]
fn profiles_read_other_exports() {
    let t = TempDir::new("workforce-profiles");
    // A WFM export: its own names, day-first local times in London, durations as H:MM:SS.
    let hours = t.write(
        "wfm.csv",
        "Agent,Date,Sched,Logged,Handling,InAdherence\nA1,02/09/2026 08:00,8:00:00,7:30:00,5:00:00,7:00:00\n",
    );
    let profile = t.write(
        "wfm.toml",
        "name = \"WFM export\"\ntime_zone = \"Europe/London\"\ntimestamp_format = \"%d/%m/%Y %H:%M\"\nduration_unit = \"hms\"\n[columns]\nagent_id = \"Agent\"\ninterval_start = \"Date\"\nscheduled_s = \"Sched\"\nlogged_in_s = \"Logged\"\nproductive_s = \"Handling\"\nadherent_s = \"InAdherence\"\n",
    );
    let r = metrics(&t, HOURS_DEFS, &["--agent-hours", s(&hours), "--agent-hours-profile", s(&profile)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 7 of 8 scheduled hours adherent: 87.5 %; 5 of 7.5 logged-in hours productive.
    assert_eq!(row(&r.stdout, "2026-09", "*", "schedule_adherence"), q("87.5000", "25200", "28800", "1"));
    assert_eq!(row(&r.stdout, "2026-09", "*", "occupancy"), q("66.6667", "18000", "27000", "1"));
    // A profile naming a column the table does not have is refused.
    let bad = t.write("bad.toml", "[columns]\nagent = \"Agent\"\n");
    let r = metrics(&t, HOURS_DEFS, &["--agent-hours", s(&hours), "--agent-hours-profile", s(&bad)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("[columns] agent: not a column of the agent hours"), "{}", r.stderr);
}

const SIDE_SLAS: &str = r#"
[[sla]]
id = "QA-9"
name = "QA score at least 85%"
metric = { metric = "qa_score" }
target = "85"
direction = "at_least"
min_sample = 1
kind = "key"

[[sla]]
id = "WF-9"
name = "Schedule adherence at least 90%"
metric = { metric = "schedule_adherence" }
queue = "billing"
target = "90"
direction = "at_least"
min_sample = 1
kind = "key"
"#;

#[test]
fn a_contract_judges_qa_and_adherence_slas() {
    let t = TempDir::new("workforce-run");
    let qa = t.write("qa.csv", QA);
    let hours = t.write("hours.csv", HOURS);
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let contract = t.write("c.toml", &format!("{sample}{SIDE_SLAS}"));
    let out = t.path("out");
    let mut args = sample_run_args(s(&contract), s(&out));
    args.extend(["--max-reject-rate", "100%"]);
    // Both files are required by default.
    drop_arg(&mut args, "--qa");
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--qa"), "{}", r.stderr);
    set_arg(&mut args, "--qa", s(&qa));
    set_arg(&mut args, "--agent-hours", s(&hours));
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let results = std::fs::read_to_string(out.join("sla_results.csv")).unwrap();
    let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
    let get = |id: &str, period: &str, name: &str| -> String {
        let l = results.lines().find(|l| l.contains(&format!(",{period},")) && l.contains(&format!(",{id},"))).unwrap();
        l.split(',').nth(header.iter().position(|h| *h == name).unwrap()).unwrap().to_string()
    };
    assert_eq!(
        (get("QA-9", "2026-09", "achieved"), get("QA-9", "2026-09", "status")),
        ("81.6667".into(), "missed".into())
    );
    assert_eq!(
        (get("QA-9", "2026-10", "achieved"), get("QA-9", "2026-10", "status")),
        ("80.0000".into(), "missed".into())
    );
    // No evaluation in August: no data, not a pass.
    assert_eq!(get("QA-9", "2026-08", "status"), "not_measured");
    assert_eq!(
        (get("WF-9", "2026-09", "achieved"), get("WF-9", "2026-09", "status")),
        ("86.8056".into(), "missed".into())
    );
    // The side files are inputs of the run: hashed, their rows in the reconciliation, verify holds.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"qa\"") && manifest.contains("\"agent_hours\""), "{manifest}");
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // Optional in [inputs]: without the files the SLAs are not measured, and said so.
    let optional =
        t.write("opt.toml", &format!("{sample}{SIDE_SLAS}\n[inputs]\nqa = \"optional\"\nagent_hours = \"optional\"\n"));
    let out2 = t.path("out2");
    let mut args2 = sample_run_args(s(&optional), s(&out2));
    drop_arg(&mut args2, "--qa");
    drop_arg(&mut args2, "--agent-hours");
    let r = callsla_in_repo(&args2);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no quality evaluations (--qa), which [inputs] marks optional"), "{}", r.stdout);

    // A per-queue SLA on a file without a queue column stops; channels on a QA SLA are refused.
    let no_queue =
        t.write("nq.csv", "agent_id,interval_start,scheduled_s,adherent_s\nA1,2026-09-01T08:00:00-04:00,28800,26000\n");
    let out3 = t.path("out3");
    let mut args = sample_run_args(s(&contract), s(&out3));
    set_arg(&mut args, "--qa", s(&qa));
    set_arg(&mut args, "--agent-hours", s(&no_queue));
    args.extend(["--max-reject-rate", "100%"]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("SLA WF-9 is for queue billing, but") && r.stderr.contains("has no queue column"),
        "{}",
        r.stderr
    );
    let chans = t.write(
        "ch.toml",
        &format!(
            "{sample}{}",
            SIDE_SLAS.replace(
                "metric = { metric = \"qa_score\" }",
                "metric = { metric = \"qa_score\" }\nchannels = [\"voice\"]"
            )
        ),
    );
    let r = callsla(&["check", "--contract", s(&chans)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("sla[QA-9].channels: a QA or workforce SLA measures evaluations or agent hours"),
        "{}",
        r.stderr
    );
}

#[test]
fn agent_hours_are_priced_per_channel_on_the_card_that_prices_them() {
    let t = TempDir::new("workforce-pricing");
    let hours = t.write(
        "hours.csv",
        "agent_id,interval_start,channel,scheduled_s,logged_in_s,productive_s,adherent_s
A1,2026-09-01T08:00:00-04:00,voice,28800,27000,20000,26000
A2,2026-09-01T08:00:00-04:00,chat,28800,28800,25000,28800
A1,2026-09-02T08:00:00-04:00,voice,28800,25200,18000,24000
A3,2026-09-02T08:00:00-04:00,email,3600,3600,1800,3600
",
    );
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let priced = sample
        .replacen("monthly_fee = \"5000.00\"", "monthly_fee = \"5000.00\"\nper_productive_hour = \"30.00\"", 1)
        .replacen(
            "minute_tiers = [ { rate = \"0.70\" } ]",
            "minute_tiers = [ { rate = \"0.70\" } ]\nper_logged_in_hour = \"20.00\"",
            1,
        );
    let contract = t.write("c.toml", &priced);
    let out = t.path("out");
    let mut args = sample_run_args(s(&contract), s(&out));
    // Priced hours need the agent-hours file.
    drop_arg(&mut args, "--agent-hours");
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--agent-hours"), "{}", r.stderr);
    set_arg(&mut args, "--agent-hours", s(&hours));
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out.join("invoice.csv")).unwrap();
    let line = |clause: &str| {
        invoice
            .lines()
            .find(|l| l.contains("ACME-CONTOSO-2026-09,invoice") && l.ends_with(clause))
            .unwrap_or_else(|| panic!("no {clause} in\n{invoice}"))
            .to_string()
    };
    // Voice productive: 20,000 + 18,000 s = 10.5556 h (rounded to 4 places) × 30.00 = 316.668 → 316.67.
    assert!(line(",pricing.voice.per_productive_hour").contains(",productive hours,10.5556,hour,30.00,316.67,"));
    // Chat logged in: 28,800 s = 8.0000 h × 20.00 = 160.00.
    assert!(line(",pricing.chat.per_logged_in_hour").contains(",logged-in hours,8.0000,hour,20.00,160.00,"));
    // Email hours have no card that prices them: not billed, and said so.
    assert!(
        r.stdout.contains(
            "not priced: 1.0000 agent hours of channel email in 2026-09 — no [[pricing]] of the channel prices hours"
        ),
        "{}",
        r.stdout
    );
    // August has no hours: zero-hour lines, not a guess.
    assert!(
        invoice
            .lines()
            .any(|l| l.contains("ACME-CONTOSO-2026-08,invoice")
                && l.contains(",productive hours,0.0000,hour,30.00,0.00,"))
    );

    // Optional in [inputs] and not given: no hour lines at all (a zero quantity would read as
    // measured), and the assumption says the hours are not billed.
    let optional = t.write("opt.toml", &format!("{priced}\n[inputs]\nagent_hours = \"optional\"\n"));
    let out_opt = t.path("out-opt");
    let mut a = sample_run_args(s(&optional), s(&out_opt));
    drop_arg(&mut a, "--agent-hours");
    let r = callsla_in_repo(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no agent hours (--agent-hours), which [inputs] marks optional"), "{}", r.stdout);
    let invoice_opt = std::fs::read_to_string(out_opt.join("invoice.csv")).unwrap();
    assert!(!invoice_opt.contains(" hours,"), "{invoice_opt}");
    assert!(invoice_opt.contains(",fixed fee,"), "{invoice_opt}");

    // Hours are priced per channel: a file without a channel, or a row without one, stops.
    let no_channel =
        t.write("nc.csv", "agent_id,interval_start,scheduled_s,logged_in_s,productive_s,adherent_s\nA1,2026-09-01T08:00:00-04:00,120,100,50,110\n");
    let mut a = sample_run_args(s(&contract), s(&out));
    set_arg(&mut a, "--agent-hours", s(&no_channel));
    a.push("--force");
    let r = callsla_in_repo(&a);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nc.csv has no channel column"), "{}", r.stderr);
    let empty = t.write(
        "empty.csv",
        "agent_id,interval_start,channel,scheduled_s,logged_in_s,productive_s,adherent_s\nA1,2026-09-01T08:00:00-04:00,voice,120,100,50,110\nA2,2026-09-01T08:00:00-04:00,,120,100,50,110\n",
    );
    let mut a = sample_run_args(s(&contract), s(&out));
    set_arg(&mut a, "--agent-hours", s(&empty));
    a.push("--force");
    let r = callsla_in_repo(&a);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("empty.csv:3: channel is empty"), "{}", r.stderr);

    // Two cards of a channel pricing hours would bill them twice: refused.
    let twice = t.write(
        "twice.toml",
        &priced
            .replacen("[[pricing]]\nchannel = \"email\"", "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\nper_logged_in_hour = \"25\"\n\n[[pricing]]\nchannel = \"email\"", 1),
    );
    let r = callsla(&["check", "--contract", s(&twice)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("agent hours of channel voice are priced on two rate cards"), "{}", r.stderr);
}

/// The sample's evaluations run into November, after the last month of contacts: that makes no
/// period of its own (it was refused as an empty period). And the adherence SLA's volume relief
/// is judged on the contract's channels (it read "no forecast row covers … social").
#[test]
fn side_rows_make_no_period_and_side_slas_are_relieved_on_the_scope() {
    let qa = std::fs::read_to_string(repo("sample-data/qa.csv")).unwrap();
    assert!(qa.lines().any(|l| l.contains(",2026-11-")), "the sample has November evaluations");
    let t = TempDir::new("workforce-periods");
    let out = t.path("out");
    let r = callsla_in_repo(&sample_run_args("sample-data/contract.toml", s(&out)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("2026-11 ("), "{}", r.stdout);
    assert!(!r.stdout.contains("no forecast row"), "{}", r.stdout);
    let explain = callsla_in_repo(&["explain", "--assessment", s(&out), "--sla", "WF-1", "--period", "2026-08"]);
    assert!(explain.stdout.contains("(voice, email, chat) is within forecast"), "{}", explain.stdout);
}

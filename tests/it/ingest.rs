//! Ingest end to end: every reject kind, missing columns, DST rules, formats and the generator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::ingest::{self, IngestError, IngestOptions, Profile};
use common::*;
use polars::prelude::*;
use rust_decimal::Decimal;

const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat";
const GOOD: [&str; 3] = [
    "I1,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,2026-10-01T09:05:00-04:00,20,280,0,30,true,5",
    "I2,email,inbound,sales,C2,A2,2026-10-01T10:00:00-04:00,2026-10-01T12:00:00-04:00,2026-10-01T13:00:00-04:00,,300,,60,false,",
    "I3,chat,inbound,billing,,,2026-10-01T11:00:00-04:00,,2026-10-01T11:01:10-04:00,,,,,,",
];

fn lenient() -> IngestOptions {
    IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: false }
}

/// Feeds the three good rows with one bad row in the middle (line 3) and returns the result.
fn with_bad_row(bad: &str) -> ingest::Ingested {
    let t = TempDir::new("reject");
    let text = format!("{HEADER}\n{}\n{bad}\n{}\n{}\n", GOOD[0], GOOD[1], GOOD[2]);
    let input = t.write("in.csv", &text);
    ingest::ingest(&Profile::canonical(), &[input], &lenient()).unwrap()
}

#[test]
fn each_reject_kind_is_reported_and_no_other_row_is_lost() {
    // (bad row, column, field, value, reason)
    let cases = [
        ("I9,voice,inbound,,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,280,0,30,true,5", "queue", "queue", "", "missing_value"),
        ("I9,voice,inbound,billing,C1,A1,31/02/2026 10:00,,,20,,,,,", "arrived_at", "arrived_at", "31/02/2026 10:00", "unreadable_timestamp"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00,,,20,,,,,", "arrived_at", "arrived_at", "2026-10-01T09:00:00", "no_utc_offset"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,\"1,234\",0,30,true,5", "talk_s", "talk_s", "1,234", "unreadable_number"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,-30,0,30,true,5", "talk_s", "talk_s", "-30", "negative_duration"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,2592000,0,30,true,5", "talk_s", "talk_s", "2592000", "duration_too_long"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T08:59:00-04:00,,,,,,,", "answered_at", "answered_at", "2026-10-01T08:59:00-04:00", "answer_before_arrival"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,,2026-10-01T08:00:00-04:00,,,,,,", "ended_at", "ended_at", "2026-10-01T08:00:00-04:00", "end_before_arrival"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:01:00-04:00,2026-10-01T09:00:30-04:00,,,,,,", "ended_at", "ended_at", "2026-10-01T09:00:30-04:00", "end_before_answer"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,280,0,30,true,11", "csat", "csat", "11", "csat_out_of_scale"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,280,0,30,true,0", "csat", "csat", "0", "csat_out_of_scale"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,280,0,30,true,4.5", "csat", "csat", "4.5", "unreadable_number"),
        ("I9,fax,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,,,,,,,,", "channel", "channel", "fax", "unknown_channel"),
        ("I9,voice,sideways,billing,C1,A1,2026-10-01T09:00:00-04:00,,,,,,,,", "direction", "direction", "sideways", "unknown_direction"),
        ("I9,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,,20,280,0,30,maybe,5", "resolved", "resolved", "maybe", "unreadable_boolean"),
        ("I1,voice,inbound,billing,C1,A1,2026-10-02T09:00:00-04:00,,,,,,,,", "interaction_id", "interaction_id", "I1", "duplicate_id"),
    ];
    for (bad, column, field, value, reason) in cases {
        let out = with_bad_row(bad);
        let r = &out.reconciliation;
        assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (4, 3, 1, 0), "case {reason}: {bad}");
        let rej = &out.rejects[0];
        assert_eq!(
            (rej.line, rej.column.as_str(), rej.field.as_str(), rej.value.as_str(), rej.kind.code()),
            (3, column, field, value, reason),
            "case {reason}: {}",
            rej.message
        );
        // The value is the cell as the file holds it; what callsla read it as stands beside it
        // when that differs (a timestamp in UTC for the ordering checks).
        let cross = matches!(reason, "answer_before_arrival" | "end_before_arrival" | "end_before_answer");
        assert_eq!(rej.normalised.ends_with('Z'), cross, "case {reason}: normalised {}", rej.normalised);
        let ids: Vec<_> = out
            .accepted
            .column("interaction_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        assert_eq!(ids, ["I1", "I2", "I3"], "case {reason}");
    }
}

#[test]
fn duplicate_id_keeps_the_first_and_names_it() {
    let out = with_bad_row("I1,voice,inbound,billing,C1,A1,2026-10-02T09:00:00-04:00,,,,,,,,");
    assert_eq!(out.rejects[0].message, "interaction_id \"I1\" already seen at line 2; the first occurrence is kept");
}

#[test]
fn duplicates_across_files_and_batches_keep_the_first_and_count_on_their_own_file() {
    let t = TempDir::new("dup-files");
    // File 1: 120,000 rows (three validation batches, many small blocks), I7 again at the end.
    let row = |i: usize| format!("X{i},voice,inbound,billing,C{i},A1,2026-10-01T09:00:00-04:00,,,,,,,,");
    let mut one: Vec<String> = (0..120_000).map(row).collect();
    one.push(row(7));
    let first = t.write("one.csv", &format!("{HEADER}\n{}\n", one.join("\n")));
    // File 2: a row of file 1's last batch, a row of its own repeated, and a new row.
    let second = t.write(
        "two.csv",
        &format!("{HEADER}\n{}\n{}\n{}\n{}\n", row(110_000), row(200_000), row(200_000), row(200_001)),
    );
    let rejects = t.path("rejects.csv");
    let run = |env: Option<&str>| {
        let args = [
            "ingest",
            "--input",
            s(&first),
            "--input",
            s(&second),
            "--rejects",
            s(&rejects),
            "--max-reject-rate",
            "100%",
        ];
        let out = callsla_with(&args, None, &[("CALLSLA_CSV_BLOCK_BYTES", env)]);
        (out, std::fs::read_to_string(&rejects).unwrap_or_default())
    };
    let (out, rejected) = run(Some("65536"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let f1 = s(&first);
    let f2 = s(&second);
    assert!(
        out.stdout.contains(&format!("{f1}: read 120001, accepted 120000, rejected 1, excluded 0\n")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&format!("{f2}: read 4, accepted 2, rejected 2, excluded 0\n")), "{}", out.stdout);
    assert!(out.stdout.contains("total: read 120005, accepted 120002, rejected 3, excluded 0\n"), "{}", out.stdout);
    for (file, line, id, seen) in [
        (f1, 120_002, "X7", "line 9".to_string()),
        (f2, 2, "X110000", "line 110002 of input file #1".to_string()),
        (f2, 4, "X200000", "line 3".to_string()),
    ] {
        let expected = format!("{file},{line},interaction_id,interaction_id,{id},,duplicate_id,\"interaction_id \"\"{id}\"\" already seen at {seen}; the first occurrence is kept\"\n");
        assert!(rejected.contains(&expected), "{expected} in {rejected}");
    }
    // The same result from one block per file.
    let (again, rejected_again) = run(None);
    assert_eq!((again.stdout, rejected_again), (out.stdout, rejected));
    // The frame keeps the first occurrences only, in input order.
    let both = ingest::ingest(&Profile::canonical(), &[first.clone(), second.clone()], &lenient()).unwrap();
    let ids = both.accepted.column("interaction_id").unwrap().str().unwrap().clone();
    assert_eq!(ids.len(), 120_002);
    assert_eq!(ids.get(7), Some("X7"));
    assert_eq!(ids.get(119_999), Some("X119999"));
    assert_eq!((ids.get(120_000), ids.get(120_001)), (Some("X200000"), Some("X200001")));
    assert_eq!(both.rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [120_002, 2, 4]);
}

#[test]
fn reject_messages_name_the_expected_format() {
    let out = with_bad_row("I9,voice,inbound,billing,C1,A1,31/02/2026 10:00,,,20,,,,,");
    assert_eq!(
        out.rejects[0].message,
        "cannot read \"31/02/2026 10:00\" as a timestamp (expected RFC 3339 such as 2026-10-01T09:00:00-04:00)"
    );
}

#[test]
fn rejects_csv_has_file_line_column_value_reason() {
    let t = TempDir::new("rejects-csv");
    let input = t.write(
        "in.csv",
        &format!("{HEADER}\n{}\nI9,fax,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,,,,,,,,\n", GOOD[0]),
    );
    let rejects = t.path("rejects.csv");
    let run = callsla(&["ingest", "--input", s(&input), "--rejects", s(&rejects), "--max-reject-rate", "100%"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{}: read 2, accepted 1, rejected 1, excluded 0\ntotal: read 2, accepted 1, rejected 1, excluded 0\n  rejected unknown_channel: 1\n", s(&input)));
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!(
            "file,line,column,field,value,normalised,reason,message\n{},3,channel,channel,fax,,unknown_channel,\"channel \"\"fax\"\" is not one of voice, email, chat, social; map it in the profile's [fields.channel] map\"\n",
            s(&input)
        )
    );
}

#[test]
fn reject_rate_threshold_and_strict_exit_3() {
    let t = TempDir::new("threshold");
    let input = t.write(
        "in.csv",
        &format!("{HEADER}\n{}\nI9,fax,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,,,,,,,,\n", GOOD[0]),
    );
    let run = callsla(&["ingest", "--input", s(&input)]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        format!("error: 1 of 2 rows rejected (50%), above the limit of 0.5%; most often unknown_channel (1); the first: {}:3: column channel: channel \"fax\" is not one of voice, email, chat, social; map it in the profile's [fields.channel] map; pass --rejects FILE to list every rejected row; fix the data or the profile, or raise --max-reject-rate\n", s(&input))
    );
    let run = callsla(&["ingest", "--input", s(&input), "--max-reject-rate", "0.5"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = callsla(&["ingest", "--input", s(&input), "--max-reject-rate", "100%", "--strict"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        format!("error: 1 rows rejected and --strict is set; most often unknown_channel (1); the first: {}:3: column channel: channel \"fax\" is not one of voice, email, chat, social; map it in the profile's [fields.channel] map; pass --rejects FILE to list every rejected row\n", s(&input))
    );
    // With --rejects, the message names the file it wrote.
    let rejects = t.path("rejects.csv");
    let run = callsla(&["ingest", "--input", s(&input), "--rejects", s(&rejects), "--strict"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.ends_with(&format!("; every rejected row is listed in {}\n", s(&rejects))), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&rejects).unwrap().lines().count(), 2);
}

#[test]
fn missing_required_column_is_exit_2_naming_column_file_and_profile() {
    let t = TempDir::new("missing-col");
    let input = t.write("in.csv", "interaction_id,channel,arrived_at,answered_at\nI1,voice,2026-10-01T09:00:00Z,\n");
    let run = callsla(&["ingest", "--input", s(&input)]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: column \"queue\" is missing; profile \"canonical\" (built-in canonical profile) maps queue to it. Columns found: \"interaction_id\", \"channel\", \"arrived_at\", \"answered_at\". Fix the profile's [fields.queue] or export the column\n",
            s(&input)
        )
    );
}

#[test]
fn profile_errors_are_exit_2() {
    let t = TempDir::new("bad-profile");
    let profile = t.write("p.toml", "name = \"x\"\n[fields]\nquee = { column = \"q\" }\n");
    let input = t.write("in.csv", &format!("{HEADER}\n{}\n", GOOD[0]));
    let run = callsla(&["ingest", "--profile", s(&profile), "--input", s(&input)]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!("error: {}:3: fields.quee: \"quee\" is not a canonical field (did you mean \"queue\"?); the fields are listed in docs/schema.md\n", s(&profile))
    );
}

fn dst_profile(rule: &str) -> Profile {
    let text = format!(
        "name = \"dst\"\n[source]\ntime_zone = \"America/New_York\"\ndst_ambiguous = \"{rule}\"\n[fields]\ninteraction_id = {{ column = \"id\" }}\nchannel = {{ value = \"voice\" }}\nqueue = {{ value = \"q\" }}\narrived_at = {{ column = \"t\", format = \"%Y-%m-%d %H:%M:%S\" }}\nanswered = {{ value = \"false\" }}\n"
    );
    Profile::parse(&text, "dst.toml").unwrap()
}

fn arrivals(out: &ingest::Ingested) -> Vec<String> {
    let ca = out.accepted.column("arrived_at").unwrap().datetime().unwrap();
    ca.phys.iter().map(|us| chrono::DateTime::from_timestamp_micros(us.unwrap()).unwrap().to_rfc3339()).collect()
}

#[test]
fn dst_fall_back_day_follows_the_documented_rule() {
    let t = TempDir::new("dst");
    // 2026-11-01 in New York: 01:00-01:59 happens twice (EDT, then EST).
    let input = t.write("in.csv", "id,t\na,2026-11-01 00:30:00\nb,2026-11-01 01:30:00\nc,2026-11-01 02:30:00\n");
    let earliest = ingest::ingest(&dst_profile("earliest"), std::slice::from_ref(&input), &lenient()).unwrap();
    assert_eq!(
        arrivals(&earliest),
        ["2026-11-01T04:30:00+00:00", "2026-11-01T05:30:00+00:00", "2026-11-01T07:30:00+00:00"]
    );
    let latest = ingest::ingest(&dst_profile("latest"), std::slice::from_ref(&input), &lenient()).unwrap();
    assert_eq!(
        arrivals(&latest),
        ["2026-11-01T04:30:00+00:00", "2026-11-01T06:30:00+00:00", "2026-11-01T07:30:00+00:00"]
    );
    let reject = ingest::ingest(&dst_profile("reject"), &[input], &lenient()).unwrap();
    assert_eq!(reject.reconciliation.rejected_by_reason.get("dst_ambiguous"), Some(&1));
    assert_eq!(reject.rejects[0].line, 3);
    assert_eq!(
        reject.rejects[0].message,
        "local time \"2026-11-01 01:30:00\" occurs twice in America/New_York (clocks went back) and source.dst_ambiguous is \"reject\""
    );
}

#[test]
fn dst_gap_is_rejected_never_shifted() {
    let t = TempDir::new("dst-gap");
    let input = t.write("in.csv", "id,t\na,2026-03-08 01:59:59\nb,2026-03-08 02:30:00\nc,2026-03-08 03:00:00\n");
    let out = ingest::ingest(&dst_profile("earliest"), &[input], &lenient()).unwrap();
    assert_eq!(arrivals(&out), ["2026-03-08T06:59:59+00:00", "2026-03-08T07:00:00+00:00"]);
    assert_eq!(out.rejects[0].kind.code(), "dst_gap");
    assert_eq!(
        out.rejects[0].message,
        "local time \"2026-03-08 02:30:00\" does not exist in America/New_York (clocks went forward); the source clock is wrong or not in America/New_York"
    );
}

#[test]
fn tab_delimited_crlf_with_spaced_headers_and_exclusions() {
    let t = TempDir::new("tab");
    let profile = t.write(
        "p.toml",
        r#"name = "tab"
[source]
delimiter = "\t"
time_zone = "UTC"
[fields]
interaction_id = { column = "Call Id" }
channel = { value = "voice" }
queue = { column = "Topic (name)" }
arrived_at = { date_column = "Date", date_format = "%d/%m/%Y", column = "Time", format = "%H:%M:%S" }
answered = { column = "Answered (Y/N)" }
wait_s = { column = "Speed of answer", unit = "hms" }
[[exclude]]
rule = "test_calls"
when = { "Topic (name)" = ["TEST", "DEMO"] }
"#,
    );
    let input = t.write(
        "in.tsv",
        "Call Id\tDate\tTime\tTopic (name)\tAnswered (Y/N)\tSpeed of answer\r\n1\t01/10/2026\t9:00:00\tBilling\tY\t0:00:20\r\n2\t01/10/2026\t09:01:00\tTEST\tY\t0:00:20\r\n3\t01/10/2026\t09:02:00\tBilling\tN\t\r\n",
    );
    let prof = Profile::load(&profile).unwrap();
    let out = ingest::ingest(&prof, &[input], &lenient()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (3, 2, 0, 1));
    assert_eq!(r.excluded_by_rule.get("test_calls"), Some(&1));
    assert_eq!(arrivals(&out), ["2026-10-01T09:00:00+00:00", "2026-10-01T09:02:00+00:00"]);
    let ans = out.accepted.column("answered_at").unwrap().datetime().unwrap().phys.get(0).unwrap();
    assert_eq!(chrono::DateTime::from_timestamp_micros(ans).unwrap().to_rfc3339(), "2026-10-01T09:00:20+00:00");
}

#[test]
fn parquet_round_trip_and_gzip_and_globs() {
    let t = TempDir::new("formats");
    let text = format!("{HEADER}\n{}\n{}\n{}\n", GOOD[0], GOOD[1], GOOD[2]);
    let csv_path = t.write("a.csv", &text);
    let parquet = t.path("rows.parquet");
    let run = callsla(&["ingest", "--input", s(&csv_path), "--out", s(&parquet), "--raw-ids"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_csv = ingest::ingest(&Profile::canonical(), std::slice::from_ref(&csv_path), &lenient()).unwrap();
    let from_parquet = ingest::ingest(&Profile::canonical(), std::slice::from_ref(&parquet), &lenient()).unwrap();
    assert_eq!(from_parquet.reconciliation.accepted, 3);
    // In memory channel and direction are one-byte enums, queue and agent categoricals; the
    // canonical file stores all four as text.
    let dtype = |name: &str| from_csv.accepted.column(name).unwrap().dtype().clone();
    assert!(matches!(dtype("channel"), DataType::Enum(..)));
    assert!(matches!(dtype("direction"), DataType::Enum(..)));
    assert!(matches!(dtype("queue"), DataType::Categorical(..)));
    assert!(matches!(dtype("agent_id"), DataType::Categorical(..)));
    let file_schema =
        LazyFrame::scan_parquet(PlRefPath::from(s(&parquet)), Default::default()).unwrap().collect_schema().unwrap();
    for name in ["channel", "direction", "queue", "agent_id"] {
        assert_eq!(file_schema.get(name), Some(&DataType::String), "{name} in canonical Parquet");
    }
    let strip = |df: &DataFrame| df.drop_many(["source_file", "source_line"]);
    assert!(strip(&from_csv.accepted).equals_missing(&strip(&from_parquet.accepted)));

    // gzip is recognised by content, whatever the name.
    let gz = t.path("b.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut enc,
        text.replace("I1,", "J1,").replace("I2,", "J2,").replace("I3,", "J3,").as_bytes(),
    )
    .unwrap();
    enc.finish().unwrap();
    let both = ingest::ingest(&Profile::canonical(), &[t.path("*.csv*")], &lenient()).unwrap();
    assert_eq!(both.reconciliation.files.len(), 2);
    assert_eq!(both.reconciliation.accepted, 6);

    let none = ingest::ingest(&Profile::canonical(), &[t.path("*.nothing")], &lenient());
    assert!(matches!(none, Err(IngestError::NoInput { .. })));
    // Sets: [ab] matches a.csv and b.csv.gz, [c-z] neither (the hand-written matcher took `[`
    // literally and matched nothing).
    let set = ingest::ingest(&Profile::canonical(), &[t.path("[ab].csv*")], &lenient()).unwrap();
    assert_eq!(set.reconciliation.files.len(), 2);
    let none = ingest::ingest(&Profile::canonical(), &[t.path("[c-z].csv*")], &lenient());
    assert!(matches!(none, Err(IngestError::NoInput { .. })));
    // The decompressed copy is gone once ingest is done.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("callsla-{}-", std::process::id())))
        .collect();
    assert!(left.is_empty(), "no temporary copy named after the process id: {left:?}");
}

#[test]
fn generated_logs_ingest_cleanly_and_bad_rows_match_the_rejects() {
    let t = TempDir::new("generate");
    let clean = t.path("clean.csv");
    let run = callsla(&["generate", "--rows", "3000", "--months", "2", "--seed", "3", "--out", s(&clean)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, format!("wrote {}: 3000 rows, 0 of them bad on purpose\n", s(&clean)));
    let out = ingest::ingest(
        &Profile::canonical(),
        &[clean],
        &IngestOptions { max_reject_rate: Decimal::ZERO, strict: true, hash_inputs: false },
    )
    .unwrap();
    assert_eq!(out.reconciliation.accepted, 3000);
    assert_eq!(out.reconciliation.rejected, 0);
    // The frame's size a contact (a guard on its layout, not a timing): channel and direction
    // as one-byte codes, queue and agent as four-byte codes, ids and customers as 16-byte views,
    // three timestamps and four durations at 8 bytes, csat, file and line; the outbound fields
    // (empty here) as a one-byte disposition, four-byte campaign and zone codes and a 16-byte
    // view for the number hash.
    let per_contact = callsla::util::frame_bytes(&out.accepted) as f64 / 3000.0;
    assert!((135.0..=145.0).contains(&per_contact), "{per_contact} bytes a contact");

    let bad = t.path("bad.csv");
    let run = callsla(&["generate", "--rows", "3000", "--seed", "3", "--bad-rows", "2", "--out", s(&bad)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = ingest::ingest(&Profile::canonical(), &[bad], &lenient()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected), (3020, 3000, 20));
    for kind in callsla::generate::BAD_KINDS {
        assert_eq!(r.rejected_by_reason.get(kind), Some(&2), "{kind}: {:?}", r.rejected_by_reason);
    }
}

#[test]
fn a_value_that_is_not_utf8_deep_in_a_big_file_is_found_by_line_and_byte() {
    // 40,000 rows (many batches); the bad byte is in the queue of line 30,001.
    let t = TempDir::new("utf8");
    let row = |i: usize, queue: &[u8], notes: &[u8]| -> Vec<u8> {
        let mut r = format!("I{i},voice,inbound,").into_bytes();
        r.extend_from_slice(queue);
        r.extend_from_slice(b",C1,A1,2026-10-01T09:00:00-04:00,,,5,,,,,,");
        r.extend_from_slice(notes);
        r.push(b'\n');
        r
    };
    let build = |bad_queue_at: Option<usize>| {
        let mut text = format!("{HEADER},notes\n").into_bytes();
        for i in 0..40_000 {
            let queue: &[u8] = if Some(i) == bad_queue_at { b"bill\xe9ng" } else { b"billing" };
            text.extend(row(i, queue, b"ok"));
        }
        text
    };
    let bad = t.path("bad.csv");
    let data = build(Some(29_999));
    std::fs::write(&bad, &data).unwrap();
    let offset = data.windows(4).position(|w| w == b"l\xe9ng").unwrap() as u64 + 1;
    match ingest::ingest(&Profile::canonical(), &[bad], &lenient()) {
        Err(IngestError::NotUtf8 { line, byte, offset: o, .. }) => assert_eq!((line, byte, o), (30_001, 0xe9, offset)),
        other => panic!("expected NotUtf8, got {:?}", other.map(|r| r.reconciliation)),
    }
    let ok = t.path("ok.csv");
    std::fs::write(&ok, build(None)).unwrap();
    let r = ingest::ingest(&Profile::canonical(), &[ok], &lenient()).unwrap();
    assert_eq!((r.reconciliation.read, r.reconciliation.accepted), (40_000, 40_000));
}

/// Line endings and quoting (issue 22): a CR-only file is refused (it read as zero rows, exit
/// 0), blank lines are counted as the rows they are, and a stray quote names its line; every
/// block's records are counted twice (the parser, and a plain count of line breaks).
#[test]
fn line_endings_and_quotes_are_checked_and_rows_counted_twice() {
    let t = TempDir::new("line-endings");
    let ingest_text = |name: &str, text: &str| {
        let p = t.write(name, text);
        ingest::ingest(&Profile::canonical(), &[p], &lenient())
    };
    let cr = format!("{HEADER}\r{}\r{}\r", GOOD[0], GOOD[1]);
    let err = ingest_text("cr.csv", &cr).unwrap_err().to_string();
    assert!(err.contains("cr.csv:1: the lines end in a carriage return only"), "{err}");
    // Blank lines are rows (rejected as empty), in LF and CRLF files; none lost.
    for (name, eol) in [("blank-lf.csv", "\n"), ("blank-crlf.csv", "\r\n")] {
        let text = [HEADER, GOOD[0], "", GOOD[1], GOOD[2], ""].join(eol);
        let out = ingest_text(name, &text).unwrap();
        let r = &out.reconciliation;
        assert_eq!((r.read, r.accepted, r.rejected), (4, 3, 1), "{name}");
    }
    // A stray quote inside a value: the lines and the first line with an odd count of quotes.
    let bad = GOOD[1].replacen(",sales,", ",sa\"les,", 1);
    assert_ne!(bad, GOOD[1]);
    let text = [HEADER, GOOD[0], &bad, GOOD[2], ""].join("\n");
    let err = ingest_text("quote.csv", &text).unwrap_err().to_string();
    assert!(err.contains("quote.csv: lines 2–4: "), "{err}");
    assert!(err.contains("line 3 is the first with an odd number of quote characters"), "{err}");
}

/// A folder given as an input is named as a folder, with the glob to use (it read as "no such
/// file", issue 22).
#[test]
fn a_folder_given_as_input_says_so() {
    let t = TempDir::new("folder-input");
    std::fs::create_dir_all(t.path("logs")).unwrap();
    let err = ingest::ingest(&Profile::canonical(), &[t.path("logs")], &lenient()).unwrap_err().to_string();
    assert!(err.contains("logs is a folder, not a file; give the files in it, e.g. --input '"), "{err}");
    assert!(err.ends_with("logs/*.csv'"), "{err}");
}

//! Hostile text (issue 22): formula text from logs and contracts is neutralised in every CSV
//! output, and stays as it was in the JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common::*;

/// Would a spreadsheet run this cell? (A leading `=`, `+`, `-`, `@`, tab or CR, and not a plain
/// number.)
fn runs_as_formula(cell: &str) -> bool {
    let plain_number = cell.trim_start_matches(['+', '-']).replacen('.', "", 1).bytes().all(|b| b.is_ascii_digit())
        && !cell.trim_start_matches(['+', '-']).is_empty();
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !plain_number
}

#[test]
fn formula_text_never_reaches_a_csv_output_unneutralised() {
    let t = TempDir::new("hostile");
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap().replace(
        "name = \"Voice service level: 80% answered within 20 seconds\"",
        "name = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"click\\\")\"",
    );
    let contract = t.write("contract.toml", &contract);
    let mut log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    // A row with formula text in the channel (rejected) and one with it in the agent id.
    log +=
        "X1,=cmd|' /C calc'!A0,inbound,billing,C1,A1,2026-08-03T10:00:00-04:00,,2026-08-03T10:00:09-04:00,9,0,0,0,,\n";
    log += "X2,voice,inbound,billing,C1,+1+1,2026-08-03T10:00:00-04:00,2026-08-03T10:00:05-04:00,2026-08-03T10:02:00-04:00,5,100,0,15,,\n";
    let log = t.write("log.csv", &log);
    let out = t.path("out");
    let mut args = sample_run_args(s(&contract), s(&out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args[i] = s(&log);
    args.extend(["--raw-rejects"]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut seen_neutralised = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
            for rec in rdr.records() {
                for cell in rec.unwrap().iter() {
                    assert!(!runs_as_formula(cell), "{}: {cell:?}", path.display());
                    seen_neutralised += usize::from(cell.starts_with("'=") || cell.starts_with("'+"));
                }
            }
        }
    }
    assert!(seen_neutralised >= 2, "the SLA name and the rejected channel appear neutralised");
    // The JSON keeps the text as written.
    let json = std::fs::read_to_string(out.join("assessment.json")).unwrap();
    assert!(json.contains("=HYPERLINK(\\\"http://evil.example\\\""), "the JSON holds the name as it is");
}

/// Contract values that made `run` panic (issue 22: decimal overflow in net due, date overflow
/// from a huge `net_days`, integer overflow from a huge FCR window) or were silently rounded
/// (40 decimal places) are refused by `check`, naming the key.
#[test]
fn values_that_used_to_panic_or_round_are_refused_by_check() {
    let t = TempDir::new("bounds");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let cases = [
        ("window_days = 7,", "window_days = 4000000000,", "window_days must be between 1 and 366"),
        ("net_days = 30", "net_days = 4000000000", "payment.net_days"),
        ("monthly_fee = \"5000.00\"", "monthly_fee = \"79228162514264337593543950335\"", "beyond the largest value"),
        (
            "target = \"80\"",
            "target = \"80.0000000000000000000000000000000000001\"",
            "more digits than callsla keeps exactly",
        ),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        assert!(sample.contains(from), "{from}");
        let c = t.write(&format!("c{i}.toml"), &sample.replacen(from, to, 1));
        let r = callsla(&["check", "--contract", s(&c)]);
        assert_eq!(r.code, 2, "{to}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{to}: wanted {want:?} in {}", r.stderr);
    }
}

/// The amendment-before-contract message gave its two dates the wrong way round (issue 22).
#[test]
fn an_amendment_before_the_contract_names_both_dates_in_order() {
    let t = TempDir::new("amendment-dates");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let from = "effective_from = \"2026-10-01\"";
    assert!(sample.contains(from));
    let c = t.write("c.toml", &sample.replacen(from, "effective_from = \"2026-07-01\"", 1));
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("the amendment (2026-07-01) is before or on the contract's effective_from (2026-08-01)"),
        "{}",
        r.stderr
    );
}

/// "number too large to fit in target type" named no key (issue 22): a whole number beyond its
/// type now names the key and the range.
#[test]
fn a_number_too_large_for_its_key_names_the_key() {
    let t = TempDir::new("too-large");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let c = t.write("c.toml", &sample.replacen("net_days = 30", "net_days = 99999999999", 1));
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!(
            "c.toml:{}: net_days: invalid value: integer `99999999999`, expected a whole number from 0 to 4294967295",
            sample.lines().position(|l| l.starts_with("net_days = ")).unwrap() + 1
        )),
        "{}",
        r.stderr
    );
}

/// A record longer than `source.max_record_bytes` (default 1 MiB) stops the read naming its
/// line and size, in linear time: a 64 MiB line (longer than a whole block) and a 2 MiB one
/// inside a block, a quoted value that runs on over many lines, a long header; a profile
/// that raises the limit reads the 2 MiB record (then rejected for its value, not lost).
#[test]
fn a_record_longer_than_the_maximum_stops_naming_its_line() {
    let t = TempDir::new("long-record");
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let lines: Vec<&str> = log.lines().take(201).collect();
    let with_long = |name: &str, at: usize, value: &str| {
        let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut fields: Vec<&str> = v[at].split(',').collect();
        fields[3] = value;
        v[at] = fields.join(",");
        t.write(name, &(v.join("\n") + "\n"))
    };
    let ingest = |input: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["ingest", "--input", s(input)];
        args.extend_from_slice(extra);
        callsla(&args)
    };
    let huge = with_long("huge.csv", 101, &"x".repeat(64 << 20));
    let r = ingest(&huge, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "error: {}:102: a record of more than 1048576 bytes starts here, longer than the 1048576 bytes a record may have; a line this long is not a contact-centre record (a broken export, or a quote left open). Fix the export, or raise source.max_record_bytes in the profile\n",
            s(&huge)
        )
    );
    let two = "y".repeat(2 << 20);
    let long = with_long("long.csv", 150, &two);
    let r = ingest(&long, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let size = lines[150].len() - "billing".len() + (2 << 20) + 1;
    assert!(r.stderr.contains(&format!(":151: a record of {size} bytes starts here")), "{}", r.stderr);
    // The same in blocks of 1 KiB (the record then spans many blocks).
    let r = callsla_with(&["ingest", "--input", s(&long)], None, &[("CALLSLA_CSV_BLOCK_BYTES", Some("1024"))]);
    assert!(r.stderr.contains(":151: a record of more than 1048576 bytes starts here"), "{}", r.stderr);
    // A quote left open runs on over the rest of the file: one long record.
    let open = with_long("open.csv", 20, "\"billing\n");
    let mut text = std::fs::read_to_string(&open).unwrap();
    while text.len() < 3 << 20 {
        text.push_str(lines[30]);
        text.push('\n');
    }
    t.write("open.csv", &text);
    let r = ingest(&open, &[]);
    assert!(r.stderr.contains("open.csv:21: a record of "), "{}", r.stderr);
    // A quote left open in a small file: located by lines, never by quoting the rows (the
    // parser's own message quoted them, customer ids included).
    let small = with_long("small-open.csv", 20, "\"billing");
    let r = ingest(&small, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 21 is the first with an odd number of quote characters"), "{}", r.stderr);
    assert!(!r.stderr.contains("C0000") && r.stderr.lines().count() == 1, "{}", r.stderr);
    // A header longer than the maximum.
    let header = t.write("header.csv", &format!("{}{}\n{}\n", lines[0], ",x".repeat(600_000), lines[1]));
    let r = ingest(&header, &[]);
    assert!(r.stderr.contains("header.csv:1: a record of more than 1048576 bytes starts here"), "{}", r.stderr);
    // A profile may raise the limit: the record is read (and its queue is then just unknown).
    let profile = t.write("p.toml", &canonical_profile_with("max_record_bytes = 4194304"));
    let r = callsla(&["ingest", "--profile", s(&profile), "--input", s(&long)]);
    assert!(!r.stderr.contains("a record of"), "{}", r.stderr);
    assert!(r.stdout.contains("read 200"), "{}\n{}", r.stdout, r.stderr);
    // The key is bounded.
    let profile = t.write("q.toml", &canonical_profile_with("max_record_bytes = 10"));
    let r = callsla(&["ingest", "--profile", s(&profile), "--input", s(&long)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("source.max_record_bytes: must be between 256 and 1073741824, got 10"), "{}", r.stderr);
}

/// Control characters and bidirectional overrides from inputs never reach the terminal raw:
/// everything callsla prints writes them as `\uXXXX` (valid JSON escapes too), so a queue
/// named with an escape sequence cannot recolour or rewrite the terminal, nor reorder text.
#[test]
fn control_characters_reach_the_terminal_escaped() {
    let t = TempDir::new("term");
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let hostile = "bill\u{1b}[2J\u{1b}[31mred\u{202e}gnilb\r";
    let text: String =
        log.lines().take(300).map(|l| l.replacen(",billing,", &format!(",\"{hostile}\","), 1) + "\n").collect();
    let input = t.write("in.csv", &text);
    for format in ["table", "json", "csv"] {
        let r = callsla(&["metrics", "--input", s(&input), "--tz", "UTC", "--by", "queue", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for out in [&r.stdout, &r.stderr] {
            assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\r'), "{format}: {out:?}");
        }
        if format == "json" {
            // Still JSON, with the queue's exact value (values are trimmed when read).
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            assert!(v.to_string().contains("bill\\u001b[2J\\u001b[31mred\u{202e}gnilb\""), "{v}");
        } else {
            assert!(r.stdout.contains("bill\\u001B[2J\\u001B[31mred\\u202Egnilb"), "{format}: {}", r.stdout);
        }
    }
    // In an error message too (an unknown channel named in the message).
    let bad = t.write("bad.csv", &text.replacen(",voice,", ",\"v\u{1b}]0;pwned\u{7}\",", 1));
    let r = callsla(&["ingest", "--input", s(&bad), "--strict"]);
    assert!(!r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'), "{:?}", r.stderr);
}

/// Look-alike names (issue 22): a queue spelled with a Cyrillic letter differs from the Latin
/// one by exact text, so its contacts leave the scope. `check` warns about look-alike and
/// mixed-script names in the contract (still valid, exit 0), and a run warns about an
/// out-of-scope queue in the data that looks like one of the contract's, in the summary, the
/// JSON and the audit page.
#[test]
fn lookalike_queue_names_are_warned_about_in_check_and_in_the_run() {
    let t = TempDir::new("lookalike");
    let cyr = "b\u{456}lling"; // Cyrillic small letter byelorussian-ukrainian i
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    // The sample contract as it is: no warning.
    let r = callsla_in_repo(&["check", "--contract", "sample-data/contract.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // Both spellings in the scope: valid, with warnings naming the odd character.
    let both = t.write(
        "both.toml",
        &sample.replace(
            "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]",
            &format!("queues = [\"billing\", \"technical\", \"sales\", \"retention\", \"{cyr}\"]"),
        ),
    );
    let r = callsla(&["check", "--contract", s(&both)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("is valid"), "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "warning: scope.queues: \"billing\" and \"{cyr}\" (\u{456} U+0456 Cyrillic) look alike"
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("mixes scripts (Latin and Cyrillic)"), "{}", r.stderr);

    // The data spells one billing contact with the Cyrillic letter: it is out of scope, and
    // the run says which contract queue it looks like.
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let log = t.write("log.csv", &log.replacen(",billing,", &format!(",{cyr},"), 1));
    let out = t.path("out");
    let r = run_sample_with_log(&log, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "warning: queue \"{cyr}\" (\u{456} U+0456 Cyrillic) is outside the scope (1 voice contacts not judged) but looks like the contract's queue \"billing\""
        )),
        "{}",
        r.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    let scope = json["data"]["out_of_scope"].as_array().unwrap();
    let entry = scope.iter().find(|e| e["queue"] == cyr).unwrap();
    assert_eq!(entry["looks_like"], "billing");
    assert_eq!(entry["contacts"], 1);
    assert!(scope.iter().filter(|e| e["queue"] != cyr).all(|e| e.get("looks_like").is_none()));
    let html = std::fs::read_to_string(out.join("audit.html")).unwrap();
    assert!(html.contains("looks like the contract&#39;s queue") || html.contains("looks like the contract's queue"));
}

/// Control characters in audit.html (issue 22): HTML escaping leaves ESC, CR and the
/// bidirectional overrides as they are, and an override reorders what a reader sees. A queue
/// holding them (out of scope, so shown on the page by name) appears as visible `\uXXXX`.
#[test]
fn control_characters_in_the_audit_page_are_shown_escaped() {
    let t = TempDir::new("htmlctl");
    let hostile = "bill\u{1b}[31m\u{202e}gnilb\u{7}";
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let log = t.write("log.csv", &log.replacen(",billing,", &format!(",\"{hostile}\","), 1));
    let out = t.path("out");
    let r = run_sample_with_log(&log, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(out.join("audit.html")).unwrap();
    for c in ['\u{1b}', '\u{202e}', '\u{7}', '\r'] {
        assert!(!html.contains(c), "audit.html holds U+{:04X} raw", u32::from(c));
    }
    assert!(html.contains("bill\\u001B[31m\\u202Egnilb\\u0007"), "the queue is not shown escaped");
    // The JSON keeps the exact value (JSON escapes are reversible).
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    assert!(json["data"]["out_of_scope"].as_array().unwrap().iter().any(|e| e["queue"] == hostile));
}

/// The README's main run (no ledger) on the sample contract, with `log` for the sample log.
fn run_sample_with_log(log: &std::path::Path, out: &std::path::Path) -> Run {
    let contract = repo("sample-data/contract.toml");
    let mut args = sample_run_args(s(&contract), s(out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args[i] = s(log);
    callsla_in_repo(&args)
}

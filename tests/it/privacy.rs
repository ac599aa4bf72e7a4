//! Private data stays private: customer ids, phone numbers and agent names never appear in any
//! output of a run or in the terminal summary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use common::*;

#[test]
fn no_customer_phone_or_agent_in_any_output() {
    let t = TempDir::new("privacy");
    // The sample log with recognisable identifiers: customers are phone numbers, agents named.
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let mut out = String::new();
    let mut phones = Vec::new();
    for (i, line) in log.lines().enumerate() {
        if i == 0 {
            out += line;
            out += "\n";
            continue;
        }
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        if !f[4].is_empty() {
            f[4] = format!("+1-555-{:07}", &f[4][1..].parse::<u64>().unwrap());
            if phones.len() < 50 {
                phones.push(f[4].clone());
            }
        }
        if !f[5].is_empty() {
            f[5] = format!("Agent Smith {}", &f[5][1..]);
        }
        out += &f.join(",");
        out += "\n";
    }
    // Plus one bad row, so rejects.csv has a line.
    out += "X1,voice,inbound,billing,+1-555-9999999,Agent Smith 9,not-a-time,,,,,,,,\n";
    let input = t.write("log.csv", &out);
    std::fs::copy(repo("sample-data/contract.toml"), t.path("contract.toml")).unwrap();
    let dir = t.path("out");
    let side = side_inputs();
    let contract = t.path("contract.toml");
    let mut args = vec!["run", "--contract", s(&contract), "--input", s(&input), "--no-ledger", "--out", s(&dir)];
    args.extend(side.iter().map(String::as_str));
    let run = callsla(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let by_agent = callsla(&["metrics", "--input", s(&input), "--tz", "America/New_York", "--by", "agent"]);
    assert_eq!(by_agent.code, 0, "{}", by_agent.stderr);
    assert!(by_agent.stdout.contains("agent-"), "agents are shown as pseudonyms");

    let mut texts = vec![("stdout".to_string(), run.stdout), ("metrics --by agent".to_string(), by_agent.stdout)];
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        texts.push((p.display().to_string(), String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()));
    }
    let rejects = std::fs::read_to_string(dir.join("rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    for (name, text) in &texts {
        assert!(!text.contains("+1-555-"), "a phone number in {name}");
        assert!(!text.contains("Agent Smith"), "an agent name in {name}");
        for p in &phones {
            assert!(!text.contains(p.as_str()), "customer {p} in {name}");
        }
    }
}

#[test]
fn pseudonyms_are_keyed() {
    let t = TempDir::new("pseudonym");
    let input = t.write(
        "log.csv",
        "interaction_id,channel,queue,agent_id,arrived_at,answered_at\nI1,voice,q,Jane Doe,2026-10-05T09:00:00Z,2026-10-05T09:00:10Z\n",
    );
    let args = ["metrics", "--input", s(&input), "--tz", "UTC", "--by", "agent"];
    let a = callsla(&args);
    let b = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
        .env("CALLSLA_PSEUDONYM_KEY", "another secret")
        .args(args)
        .output()
        .unwrap();
    let b = String::from_utf8_lossy(&b.stdout).into_owned();
    let pseudo = |text: &str| text.split_whitespace().find(|w| w.starts_with("agent-")).map(str::to_string);
    assert!(pseudo(&a.stdout).is_some());
    assert_ne!(pseudo(&a.stdout), pseudo(&b), "a different key gives different pseudonyms");
    assert!(!a.stdout.contains("Jane"));
}

/// Without a key of the user's, the built-in public key is used, said on stderr and marked in
/// the manifest.
#[test]
fn the_built_in_key_warns_and_is_marked_in_the_manifest() {
    let t = TempDir::new("builtin-key");
    let out = t.path("out");
    let run = callsla_with(
        &sample_run_args("sample-data/contract.toml", s(&out)),
        Some(&repo(".")),
        &[("CALLSLA_PSEUDONYM_KEY", None)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: pseudonyms use callsla's built-in public key, with which anyone can re-identify agents and customers by trying names; give --pseudonym-key-file FILE or set CALLSLA_PSEUDONYM_KEY\n"),
        "{}",
        run.stderr
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["pseudonym_key"]["source"], "built_in");
    assert_eq!(manifest["pseudonym_key"]["public"], true);
    // With the user's key: no warning, and the manifest says where the key came from.
    let keyed = t.path("keyed");
    let run = callsla_in_repo(&sample_run_args("sample-data/contract.toml", s(&keyed)));
    assert!(!run.stderr.contains("warning: pseudonyms"), "{}", run.stderr);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(keyed.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["pseudonym_key"]["source"], "environment");
    assert_eq!(manifest["pseudonym_key"]["public"], false);
    assert!(!std::fs::read_to_string(keyed.join("manifest.json")).unwrap().contains(TEST_KEY), "never the key");
}

/// `--pseudonym-key-file` sets the key; verify re-derives only under the run's key; a key file
/// too short to be a key is refused.
#[test]
fn a_key_file_sets_the_key_and_verify_needs_the_same_one() {
    let t = TempDir::new("key-file");
    let key = t.write("pseudonym.key", "f3a9c1d27b8e4f60a1b2c3d4e5f60718\n");
    let out = t.path("out");
    let mut args = sample_run_args("sample-data/contract.toml", s(&out));
    args.extend(["--pseudonym-key-file", s(&key)]);
    let run = callsla_in_repo(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["pseudonym_key"]["source"]["file"], s(&key));
    let same = callsla_in_repo(&["verify", s(&out), "--pseudonym-key-file", s(&key)]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    let other = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(other.code, 4, "{}", other.stderr);
    assert!(other.stderr.contains("give verify the run's key"), "{}", other.stderr);
    let short = t.write("short.key", "secret\n");
    let refused = callsla_in_repo(&["verify", s(&out), "--pseudonym-key-file", s(&short)]);
    assert_eq!(refused.code, 2);
    assert_eq!(
        refused.stderr,
        format!(
            "error: pseudonym key file {p} holds 6 bytes; a key needs at least 16 (e.g. `head -c 32 /dev/urandom | base64 > {p}`)\n",
            p = s(&short)
        )
    );
}

/// `ingest --out` writes customers and agents as long keyed pseudonyms (the same id, the same
/// pseudonym), so the metrics on the written rows are the metrics on the source; `--raw-ids`
/// keeps the ids.
#[test]
fn ingest_out_pseudonymises_ids_unless_raw_ids() {
    let t = TempDir::new("ingest-ids");
    let log = "interaction_id,channel,queue,customer_id,agent_id,arrived_at,answered_at,ended_at\n\
               I1,voice,q,+1-555-0100,Jane Doe,2026-10-05T09:00:00Z,2026-10-05T09:00:10Z,2026-10-05T09:05:00Z\n\
               I2,voice,q,+1-555-0100,John Roe,2026-10-06T09:00:00Z,2026-10-06T09:00:10Z,2026-10-06T09:05:00Z\n\
               I3,voice,q,+1-555-0199,Jane Doe,2026-10-20T09:00:00Z,2026-10-20T09:00:10Z,2026-10-20T09:05:00Z\n";
    let input = t.write("log.csv", log);
    let (pseudo, raw) = (t.path("pseudo.parquet"), t.path("raw.parquet"));
    assert_eq!(callsla(&["ingest", "--input", s(&input), "--out", s(&pseudo)]).code, 0);
    assert_eq!(callsla(&["ingest", "--input", s(&input), "--out", s(&raw), "--raw-ids"]).code, 0);
    let read = |p: &std::path::Path, c: &str| -> Vec<String> {
        use polars::prelude::*;
        let df = LazyFrame::scan_parquet(PlRefPath::from(s(p)), Default::default()).unwrap().collect().unwrap();
        df.column(c).unwrap().str().unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    let customers = read(&pseudo, "customer_id");
    let agents = read(&pseudo, "agent_id");
    assert!(customers.iter().all(|c| c.starts_with("cust-") && c.len() == 5 + 32), "{customers:?}");
    assert!(agents.iter().all(|a| a.starts_with("agent-") && a.len() == 6 + 32), "{agents:?}");
    assert_eq!(customers[0], customers[1], "the same customer, the same pseudonym");
    assert_ne!(customers[0], customers[2]);
    assert_eq!(agents[0], agents[2]);
    let bytes = std::fs::read(&pseudo).unwrap();
    for id in ["+1-555-0100", "+1-555-0199", "Jane Doe", "John Roe"] {
        assert!(!bytes.windows(id.len()).any(|w| w == id.as_bytes()), "{id} in the pseudonymised file");
    }
    assert_eq!(read(&raw, "customer_id")[0], "+1-555-0100");
    // The same figures (FCR's repeat search included) from the pseudonymised rows.
    let metrics = |p: &std::path::Path| callsla(&["metrics", "--input", s(p), "--tz", "UTC", "--format", "csv"]).stdout;
    assert_eq!(metrics(&pseudo), metrics(&raw));
    assert!(metrics(&raw).contains("fcr"));
}

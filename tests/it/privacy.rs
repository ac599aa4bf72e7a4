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
    let mut args = vec!["run", "--contract", s(&contract), "--input", s(&input), "--out", s(&dir)];
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

//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: test helpers fail loudly by design

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh empty folder under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "callsla-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real public datasets, or `None` (after saying why) when `../shared/realdata` is absent.
pub fn realdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; the real-data tests need the shared datasets beside the checkout",
            dir.display()
        );
        None
    }
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The sample contract's side inputs as `run` options (absolute paths): the forecast, the
/// outage log and the payments, which the contract needs (it grants volume relief, has an
/// availability SLA and charges late interest).
pub fn side_inputs() -> Vec<String> {
    let mut v = Vec::new();
    for (opt, file) in [
        ("--forecast", "forecast.csv"),
        ("--outages", "outages.csv"),
        ("--payments", "payments.csv"),
        ("--events", "events.csv"),
        ("--qa", "qa.csv"),
        ("--agent-hours", "agent_hours.csv"),
    ] {
        v.push(opt.to_string());
        v.push(repo("sample-data").join(file).display().to_string());
    }
    v
}

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn callsla(args: &[&str]) -> Run {
    callsla_with(args, None, &[])
}

/// The binary run from the repository root (paths in its output are then relative).
pub fn callsla_in_repo(args: &[&str]) -> Run {
    callsla_with(args, Some(&repo(".")), &[])
}

/// The binary with a working folder and environment variables (`None` removes one).
/// The pseudonym key the tests' commands run with (`callsla_with`).
pub const TEST_KEY: &str = "callsla test suite key, not secret";

pub fn callsla_with(args: &[&str], dir: Option<&Path>, env: &[(&str, Option<&str>)]) -> Run {
    // The default ledger is callsla.db in the working folder, which tests running side by side
    // in the repository would share: a test's `run` names its ledger (or --no-ledger, or only
    // prints SQL), or runs in a folder of its own.
    assert!(
        args.first() != Some(&"run")
            || dir.is_some_and(|d| d != repo("."))
            || args.iter().any(|a| ["--ledger", "--no-ledger", "--help", "--emit-sql"].contains(a)),
        "a test's `run` names its ledger: {args:?}"
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callsla"));
    cmd.args(args);
    // A configured user: pseudonyms under a key of their own (the built-in public key warns;
    // tests of that pass the variable themselves).
    cmd.env("CALLSLA_PSEUDONYM_KEY", TEST_KEY);
    cmd.env_remove("CALLSLA_LEDGER");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The README's main command on the bundled sample (with `contract` in place of the sample
/// contract), without the ledger, into `out`.
pub fn sample_run_args<'a>(contract: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--contract",
        contract,
        "--input",
        "sample-data/interactions.csv",
        "--forecast",
        "sample-data/forecast.csv",
        "--outages",
        "sample-data/outages.csv",
        "--payments",
        "sample-data/payments.csv",
        "--events",
        "sample-data/events.csv",
        "--qa",
        "sample-data/qa.csv",
        "--agent-hours",
        "sample-data/agent_hours.csv",
        "--no-ledger",
        "--out",
        out,
    ]
}

/// The files of `sample-data/` a run reads.
pub const SAMPLE_FILES: [&str; 8] = [
    "contract.toml",
    "interactions.csv",
    "forecast.csv",
    "outages.csv",
    "payments.csv",
    "events.csv",
    "qa.csv",
    "agent_hours.csv",
];

/// Gives `option` the value `value` in `args` (replacing the sample's value, or adding it).
pub fn set_arg<'a>(args: &mut Vec<&'a str>, option: &'a str, value: &'a str) {
    match args.iter().position(|a| *a == option) {
        Some(i) => args[i + 1] = value,
        None => args.extend([option, value]),
    }
}

/// The sample contract without its outbound part (the `directions` line, the outbound rate
/// cards and the `OUT-` SLAs), for tests that bring their own outbound attempts and cards.
pub fn sample_contract_inbound() -> String {
    let text = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let mut out = String::new();
    let mut chunk = String::new();
    let outbound_card = |c: &str| c.starts_with("[[pricing]]") && c.contains("direction = \"outbound\"");
    let outbound_sla = |c: &str| c.starts_with("[[sla]]") && c.contains("id = \"OUT-");
    let keep = |c: &str| !outbound_card(c) && !outbound_sla(c);
    for line in text.lines().filter(|l| !l.starts_with("directions = ")) {
        if line.starts_with('[') {
            if keep(&chunk) {
                out += &chunk;
            }
            chunk.clear();
        }
        chunk += line;
        chunk.push('\n');
    }
    if keep(&chunk) {
        out += &chunk;
    }
    out
}

/// Leaves `option` and its value out of `args`.
pub fn drop_arg(args: &mut Vec<&str>, option: &str) {
    if let Some(i) = args.iter().position(|a| *a == option) {
        args.drain(i..i + 2);
    }
}

/// The `[contract]` and `[rounding]` sections the hand-written test contracts start with
/// (contract `T`, USD, New York, monthly from 2026-08-01), with the rounding strategy given.
pub fn contract_head(strategy: &str) -> String {
    format!(
        r#"
[contract]
id = "T"
client = "C"
provider = "P"
currency = "USD"
time_zone = "America/New_York"
measurement_period = "month"
effective_from = "2026-08-01"

[rounding]
minor_units = 2
strategy = "{strategy}"
"#
    )
}

/// A profile reading the canonical columns, with one more `[source]` line.
pub fn canonical_profile_with(source_line: &str) -> String {
    let mut p = format!("name = \"canonical-copy\"\n[source]\n{source_line}\n[fields]\n");
    for f in [
        "interaction_id",
        "channel",
        "direction",
        "queue",
        "customer_id",
        "agent_id",
        "arrived_at",
        "answered_at",
        "ended_at",
        "wait_s",
        "talk_s",
        "hold_s",
        "wrap_s",
        "resolved",
        "csat",
    ] {
        p += &format!("{f} = {{ column = \"{f}\" }}\n");
    }
    p
}

/// A project folder in `t` with a copy of the sample contract and inputs in `sample-data/`,
/// as a user has after cloning: commands run in it find their inputs by the README's paths.
pub fn sample_project(t: &TempDir) -> PathBuf {
    let dir = t.path("project");
    std::fs::create_dir_all(dir.join("sample-data")).unwrap();
    for f in SAMPLE_FILES {
        std::fs::copy(repo("sample-data").join(f), dir.join("sample-data").join(f)).unwrap();
    }
    dir
}

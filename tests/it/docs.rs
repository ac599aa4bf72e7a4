//! The documentation and the code name the same things.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::ingest::RejectKind;
use callsla::metrics::definition::METRIC_NAMES;
use callsla::schema::Field;

fn doc(name: &str) -> String {
    std::fs::read_to_string(common::repo(name)).unwrap()
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let text = doc("docs/metrics.md");
    let documented: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("### `")).map(|l| l.trim_end_matches('`')).collect();
    assert_eq!(documented, METRIC_NAMES.to_vec());
}

#[test]
fn every_canonical_field_and_reject_reason_is_documented() {
    let text = doc("docs/schema.md");
    for f in Field::ALL {
        assert!(text.contains(&format!("| `{}` |", f.name())), "{f} missing from docs/schema.md");
    }
    for k in RejectKind::ALL {
        assert!(text.contains(&format!("`{}`", k.code())), "{} missing from docs/schema.md", k.code());
    }
}

/// The README's commands run as written (issue 20): every ```sh block, in order, in a fresh
/// project folder holding the sample data, with `callsla` on the PATH and a fresh home
/// folder. `cargo run --release --` stands for `callsla`; other `cargo` lines (building,
/// installing, testing) are CI's own job and not run here. A ```text block right after a
/// ```sh block is its standard output: exactly, or where it elides with `...`, its other lines
/// in order.
#[test]
fn the_readme_commands_run_as_written() {
    let readme = doc("README.md");
    let mut blocks: Vec<(String, Option<String>)> = Vec::new();
    let mut lines = readme.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) else { continue };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        let body = body.join("\n") + "\n";
        match lang {
            "sh" => blocks.push((body, None)),
            "text" => {
                if let Some(last) = blocks.last_mut().filter(|b| b.1.is_none()) {
                    last.1 = Some(body);
                }
            }
            _ => {}
        }
        // Only a text block that follows at once (blank lines aside) is the output.
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        if !lines.peek().is_some_and(|l| l.starts_with("```text")) {
            if let Some(last) = blocks.last_mut() {
                last.1.get_or_insert_with(String::new);
            }
        }
    }
    assert!(blocks.len() >= 6, "{blocks:?}");
    let t = common::TempDir::new("readme");
    let dir = common::sample_project(&t);
    let home = t.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_callsla")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut compared = 0;
    for (script, expected) in &blocks {
        let script: String = script
            .lines()
            .filter(|l| !l.starts_with("cargo ") || l.starts_with("cargo run --release -- "))
            .map(|l| l.replacen("cargo run --release -- ", "callsla ", 1) + "\n")
            .collect();
        let out = std::process::Command::new("bash")
            .args(["-eo", "pipefail", "-c", &script])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("HOME", &home)
            .env_remove("CALLSLA_LEDGER")
            .env_remove("CALLSLA_PSEUDONYM_KEY")
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "README block failed ({:?}):\n{script}\n{stderr}", out.status.code());
        match expected.as_deref() {
            Some(text) if !text.is_empty() => {
                compared += 1;
                let elided = text.lines().any(|l| l.trim() == "...");
                if elided {
                    let mut got = stdout.lines();
                    for want in text.lines().filter(|l| l.trim() != "...") {
                        assert!(got.any(|g| g == want), "README output line not printed (in order): {want}\n{stdout}");
                    }
                } else {
                    assert_eq!(stdout.trim_end(), text.trim_end(), "README output differs for:\n{script}");
                }
            }
            _ => {}
        }
    }
    assert_eq!(compared, 3, "the diff, the statement and the dispute outputs are compared");
    // What the blocks say they write is there.
    assert!(dir.join("callsla.db").is_file(), "the main command's ledger");
    assert!(home.join(".local/share/man/man1/callsla-run.1").is_file());
    assert!(home.join(".local/share/bash-completion/completions/callsla").is_file());
    // The generate command in the README writes the bundled sample log, byte for byte.
    for f in ["interactions.csv", "qa.csv", "agent_hours.csv"] {
        assert_eq!(
            std::fs::read(dir.join("sample-data").join(f)).unwrap(),
            std::fs::read(common::repo("sample-data").join(f)).unwrap(),
            "{f}"
        );
    }
}

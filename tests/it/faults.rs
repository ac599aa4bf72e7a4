//! Faults: an output folder that cannot be written, a disk that fills mid-write, inputs opened
//! read-only. Each gives a clear error and leaves no partial output; a previous good output
//! folder survives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::process::Command;

use common::*;

fn sample_run_args(out: &str) -> Vec<&str> {
    common::sample_run_args("sample-data/contract.toml", out)
}

#[test]
fn an_output_folder_that_cannot_be_created_is_a_clear_error() {
    let t = TempDir::new("unwritable");
    let blocker = t.write("not-a-folder", "a file where the output's parent should be");
    let out = blocker.join("out");
    let o = callsla_in_repo(&sample_run_args(s(&out)));
    assert_eq!(o.code, 2);
    let err = &o.stderr;
    assert!(err.starts_with("error: cannot write "), "{err}");
    assert!(err.contains("the previous output (if any) is untouched"), "{err}");
}

#[test]
fn a_disk_that_fills_mid_write_leaves_the_previous_output_intact() {
    let t = TempDir::new("disk-full");
    let out = t.path("out");
    let first = callsla_in_repo(&sample_run_args(s(&out)));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = std::fs::read(out.join("assessment.json")).unwrap();
    // File size limit of 20 KiB: the larger outputs cannot all be written. SIGXFSZ is
    // ignored so the write fails with EFBIG, as on a full disk.
    let script = format!(
        "trap '' XFSZ; ulimit -f 20; exec '{}' {}",
        env!("CARGO_BIN_EXE_callsla"),
        sample_run_args(s(&out)).iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ") + " --force"
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
        .current_dir(repo("."))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("error: cannot write "), "{err}");
    assert_eq!(std::fs::read(out.join("assessment.json")).unwrap(), before, "the previous output changed");
    let leftovers: Vec<_> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn inputs_are_read_only_and_never_modified() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new("read-only");
    let input = t.path("log.csv");
    std::fs::copy(repo("sample-data/interactions.csv"), &input).unwrap();
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = (std::fs::read(&input).unwrap(), std::fs::metadata(&input).unwrap().modified().unwrap());
    let contract = t.path("contract.toml");
    std::fs::copy(repo("sample-data/contract.toml"), &contract).unwrap();
    let side = side_inputs();
    let out = t.path("out");
    let mut args = vec!["run", "--contract", s(&contract), "--input", s(&input), "--no-ledger", "--out", s(&out)];
    args.extend(side.iter().map(String::as_str));
    let run = callsla(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(callsla(&["verify", s(&t.path("out"))]).code, 0);
    assert_eq!((std::fs::read(&input).unwrap(), std::fs::metadata(&input).unwrap().modified().unwrap()), before);
}

/// The files of a folder, name → SHA-256.
fn snapshot(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    use sha2::Digest as _;
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let hash = sha2::Sha256::digest(std::fs::read(e.path()).unwrap());
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            (e.file_name().to_string_lossy().into_owned(), hex)
        })
        .collect()
}

/// What a folder holds besides the given names (temporary folders and files left behind).
fn debris(dir: &std::path::Path, expected: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

/// A run into `t/out` with a ledger in `t`, reading `input`, with the environment given.
fn run_into(t: &TempDir, input: &std::path::Path, env: &[(&str, Option<&str>)]) -> Run {
    let contract = repo("sample-data/contract.toml");
    let (out, ledger) = (t.path("out"), t.path("callsla.db"));
    let mut args = vec![
        "run",
        "--contract",
        s(&contract),
        "--input",
        s(input),
        "--ledger",
        s(&ledger),
        "--out",
        s(&out),
        "--force",
    ];
    let side = side_inputs();
    args.extend(side.iter().map(String::as_str));
    callsla_with(&args, None, env)
}

fn history(t: &TempDir) -> String {
    let h = callsla(&["history", "--ledger", s(&t.path("callsla.db")), "--format", "csv"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    h.stdout
}

/// An I/O error at every step of writing (`CALLSLA_FAIL_AT`: creating and writing a file,
/// its fsync, the swap into place, the folder's fsync, between outputs and ledger, the
/// ledger's commit): the run fails with a message naming the step, the previous output stays
/// as it was (or, once swapped in, the new one is complete), the ledger is unchanged, nothing
/// is left behind, and the next run records everything.
#[test]
fn an_io_error_at_every_step_leaves_outputs_and_ledger_consistent() {
    let t = TempDir::new("fail-at");
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let first = t.write("first.csv", &log);
    // The second export lacks its last 500 rows: other outputs.
    let lines: Vec<&str> = log.lines().collect();
    let second = t.write("second.csv", &(lines[..lines.len() - 500].join("\n") + "\n"));
    let ok = run_into(&t, &first, &[]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    // Run again: from now on the ledger knows the invoice it issued (ledger_input.json).
    assert_eq!(run_into(&t, &first, &[]).code, 0);
    let good = snapshot(&t.path("out"));
    let recorded = history(&t);
    let expected = ["first.csv", "second.csv", "out", "out.lock", "callsla.db", "callsla.db-wal", "callsla.db-shm"];
    for (step, new_in_place) in
        [("write", false), ("fsync", false), ("swap", false), ("dirsync", true), ("outputs", true), ("ledger", true)]
    {
        let r = run_into(&t, &second, &[("CALLSLA_FAIL_AT", Some(step))]);
        assert_eq!(r.code, 2, "{step}: {}", r.stderr);
        let names_step = if step == "outputs" {
            r.stderr.contains("stopped on purpose after outputs")
        } else {
            r.stderr.contains(&format!("injected I/O error at {step} (CALLSLA_FAIL_AT)"))
        };
        assert!(names_step, "{step}: {}", r.stderr);
        if new_in_place {
            // The new output is complete and re-derives; only the ledger does not know it.
            assert_ne!(snapshot(&t.path("out")), good, "{step}");
            let v = callsla(&["verify", s(&t.path("out"))]);
            assert_eq!(v.code, 0, "{step}: {}", v.stderr);
        } else {
            assert_eq!(snapshot(&t.path("out")), good, "{step}: the previous output changed");
            assert!(r.stderr.contains("the previous output (if any) is untouched"), "{step}: {}", r.stderr);
        }
        assert_eq!(history(&t), recorded, "{step}: the ledger changed");
        assert_eq!(debris(&t.path(""), &expected), Vec::<String>::new(), "{step}: left behind");
        // Back to the first output for the next step.
        assert_eq!(run_into(&t, &first, &[]).code, 0);
        assert_eq!(snapshot(&t.path("out")), good);
    }
    // Without a fault the second export is recorded.
    assert_eq!(run_into(&t, &second, &[]).code, 0);
    assert_ne!(history(&t), recorded);
}

/// `kill -9` at points spread over a run (reading a gzip input, computing, writing, recording):
/// the output folder is always the previous output or the new one, complete (`verify` passes);
/// the ledger opens and passes SQLite's integrity check; no temporary copy of the input is
/// left anywhere (it has no name); and the next run removes the partial output folder a kill
/// left, saying so. `CALLSLA_FAULT_ITERATIONS` sets the number of kills (default 6; the
/// nightly mode runs hundreds).
#[test]
fn killed_runs_leave_the_old_or_the_new_output_and_no_debris() {
    let iterations: u64 = std::env::var("CALLSLA_FAULT_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let t = TempDir::new("kill");
    let g = t.path("g.csv");
    let gen = callsla(&[
        "generate",
        "--rows",
        "200000",
        "--start",
        "2026-08",
        "--months",
        "3",
        "--seed",
        "3",
        "--out",
        s(&g),
    ]);
    assert_eq!(gen.code, 0, "{}", gen.stderr);
    let gz = t.path("g.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&g).unwrap()).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(&g).unwrap();
    let tmp = t.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let tmp_s = s(&tmp).to_string();
    let env = [("TMPDIR", Some(tmp_s.as_str()))];
    let started = std::time::Instant::now();
    let first = run_into(&t, &gz, &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let full = started.elapsed().as_millis() as u64;
    let contract = repo("sample-data/contract.toml");
    let (out, ledger) = (t.path("out"), t.path("callsla.db"));
    let side = side_inputs();
    let mut swept = 0;
    for i in 0..iterations {
        // Spread over the run, with a deterministic jitter.
        let at = full * (i % 16 + 1) / 17 + (i * 37) % 23;
        let mut args = vec![
            "run",
            "--contract",
            s(&contract),
            "--input",
            s(&gz),
            "--ledger",
            s(&ledger),
            "--out",
            s(&out),
            "--force",
        ];
        args.extend(side.iter().map(String::as_str));
        let mut child = Command::new(env!("CARGO_BIN_EXE_callsla"))
            .args(&args)
            .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(at));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "kill {i} at {at} ms left a temporary copy");
        let v = callsla(&["verify", s(&out)]);
        assert_eq!(v.code, 0, "kill {i} at {at} ms: {}", v.stderr);
        let conn = rusqlite::Connection::open(&ledger).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok", "kill {i} at {at} ms");
        drop(conn);
        let partial = debris(
            &t.path(""),
            &["g.csv.gz", "tmp", "out", "out.lock", "callsla.db", "callsla.db-wal", "callsla.db-shm"],
        );
        if !partial.is_empty() {
            assert!(partial.iter().all(|n| n.starts_with(".out.tmp-")), "kill {i}: {partial:?}");
            let next = run_into(&t, &gz, &env);
            assert_eq!(next.code, 0, "{}", next.stderr);
            for n in &partial {
                assert!(
                    next.stdout.contains(&format!("removed {n}: the partial output of a run that was killed\n")),
                    "{}",
                    next.stdout
                );
            }
            swept += 1;
        }
        assert_eq!(
            debris(
                &t.path(""),
                &["g.csv.gz", "tmp", "out", "out.lock", "callsla.db", "callsla.db-wal", "callsla.db-shm"]
            ),
            Vec::<String>::new()
        );
    }
    eprintln!("{iterations} kills, {swept} left a partial output folder that the next run removed");
}

/// The partial output folder a kill leaves (`.OUT.tmp-XXXXXX` holding output files) is removed
/// by the next run into the same folder, which says so; a look-alike holding anything else, or
/// named otherwise, is left alone (a command never deletes what it did not write).
#[test]
fn the_next_run_removes_only_what_a_killed_run_left() {
    let t = TempDir::new("sweep");
    let out = t.path("out");
    let out_s = s(&out).to_string();
    let r = callsla_in_repo(&sample_run_args(&out_s));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let partial = t.path(".out.tmp-Ab12Cd");
    std::fs::create_dir(&partial).unwrap();
    std::fs::write(partial.join("assessment.json"), "{\"partial\"").unwrap();
    std::fs::write(partial.join("invoice.csv"), "").unwrap();
    let foreign = t.path(".out.tmp-Zz99Yy");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let other_name = t.path(".out.tmp-toolong1");
    std::fs::create_dir(&other_name).unwrap();
    let mut args = sample_run_args(&out_s);
    args.push("--force");
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("removed .out.tmp-Ab12Cd: the partial output of a run that was killed\n"),
        "{}",
        r.stdout
    );
    assert!(!partial.exists());
    assert!(foreign.join("notes.txt").is_file(), "a folder holding another file is not callsla's");
    assert!(other_name.is_dir(), "another name is not callsla's");
}

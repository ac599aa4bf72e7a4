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
    let mut args = vec!["run", "--contract", s(&contract), "--input", s(&input), "--out", s(&out)];
    args.extend(side.iter().map(String::as_str));
    let run = callsla(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(callsla(&["verify", s(&t.path("out"))]).code, 0);
    assert_eq!((std::fs::read(&input).unwrap(), std::fs::metadata(&input).unwrap().modified().unwrap()), before);
}

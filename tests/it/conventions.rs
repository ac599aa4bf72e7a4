//! The command line's conventions (issue 20): `-q` and `-v` on every command, shell
//! completions and man pages generated from the one definition, examples after each help.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use common::*;

#[test]
fn quiet_leaves_out_what_was_done_and_verbose_adds_timings() {
    let t = TempDir::new("quiet");
    let out = t.path("g.csv");
    let gen = ["generate", "--rows", "200", "--start", "2026-08", "--out", s(&out)];
    let r = callsla(&gen);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (0, format!("wrote {}: 200 rows, 0 of them bad on purpose\n", s(&out)).as_str())
    );
    let r = callsla(&[&gen[..], &["-q"]].concat());
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    let m = ["metrics", "--input", s(&out), "--tz", "America/New_York", "--by", "channel"];
    let loud = callsla(&[&m[..], &["-v"]].concat());
    assert_eq!(loud.code, 0, "{}", loud.stderr);
    assert!(loud.stderr.contains("-- time: ingest"), "{}", loud.stderr);
    assert!(loud.stderr.contains("read 200 rows: 200 accepted, 0 rejected, 0 excluded\n"), "{}", loud.stderr);
    let quiet = callsla(&[&m[..], &["-q"]].concat());
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, callsla(&m).stdout, "-q changes nothing on standard output");
    // Warnings stay: a look-alike scope queue under -q.
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let c = t.write("c.toml", &sample.replace("\"retention\"]", "\"retention\", \"b\u{456}lling\"]"));
    let r = callsla(&["check", "-q", "--contract", s(&c)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("warning: scope.queues"), "{}", r.stderr);
    let both = callsla(&["-q", "-v", "check", "--contract", s(&c)]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_itself() {
    let bash = callsla(&["completions", "bash"]);
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    assert!(bash.stdout.contains("_callsla()") && bash.stdout.contains("--accept-provisional"), "{}", bash.stdout);
    for (shell, mark) in
        [("zsh", "#compdef callsla"), ("fish", "complete -c callsla"), ("powershell", "Register-ArgumentCompleter")]
    {
        let r = callsla(&["completions", shell]);
        assert!(r.stdout.contains(mark), "{shell}: {}", r.stdout);
    }
    let r = callsla(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("possible values: bash"), "{}", r.stderr);

    let page = callsla(&["man"]);
    assert!(page.stdout.contains(".TH callsla 1"), "{}", page.stdout);
    let t = TempDir::new("man");
    let dir = t.path("man");
    let r = callsla(&["man", "--out", s(&dir)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with(&format!("wrote 23 man pages to {}: callsla-check.1, ", s(&dir))), "{}", r.stderr);
    let run = std::fs::read_to_string(dir.join("callsla-run.1")).unwrap();
    assert!(run.contains(".TH callsla-run 1") && run.contains("\\-\\-no\\-ledger"), "{run}");
    assert!(std::fs::read_to_string(dir.join("callsla-dispute-open.1")).unwrap().contains("\\-\\-document"));
    // The same pages again, byte for byte (nothing dated).
    let before = std::fs::read(dir.join("callsla.1")).unwrap();
    callsla(&["man", "--out", s(&dir)]);
    assert_eq!(std::fs::read(dir.join("callsla.1")).unwrap(), before);
}

#[test]
fn every_help_ends_with_an_example() {
    for sub in [&["run"][..], &["dispute", "open"], &["ledger", "export"], &["metrics"], &["completions"]] {
        let r = callsla(&[sub, &["--help"][..]].concat());
        assert_eq!(r.code, 0, "{sub:?}: {}", r.stderr);
        let tail = r.stdout.rsplit("\n\n").next().unwrap();
        assert!(tail.starts_with("Example"), "{sub:?}: {}", r.stdout);
        assert!(tail.contains(&format!("callsla {}", sub.join(" "))), "{sub:?}: {tail}");
    }
}

/// Progress (issue 20): on a terminal, `generate` draws a bar of rows with the time left and
/// `metrics` a spinner naming its step; with `-q`, or when standard error is not a terminal
/// (a pipe, a file, CI), nothing is drawn. The terminal is a real pseudo-terminal from
/// util-linux's `script`.
#[test]
fn progress_is_drawn_on_a_terminal_only() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: util-linux `script` (a pseudo-terminal) is not installed");
        return;
    }
    let t = TempDir::new("progress");
    let bin = env!("CARGO_BIN_EXE_callsla");
    let out = t.path("g.csv");
    let on_terminal = |args: &str| {
        let typescript = t.path("typescript");
        let cmd = format!("{bin} {args}");
        let r = std::process::Command::new("script")
            .args(["-qec", &cmd, s(&typescript)])
            .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
            .env_remove("CALLSLA_EXPLAIN")
            .output()
            .unwrap();
        assert!(r.status.success(), "{cmd}: {}", String::from_utf8_lossy(&r.stderr));
        String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
    };
    let shown = on_terminal(&format!("generate --rows 300000 --out {}", s(&out)));
    assert!(shown.contains("callsla: generating ["), "{shown:?}");
    assert!(shown.contains("300,000/300,000 rows"), "{shown:?}");
    // A month big enough for the bars of long work inside a step: reading the input (bytes)
    // and the repeat-contact search (contacts), each with the share done and the time left.
    let big = t.path("big.csv");
    assert_eq!(callsla(&["generate", "--rows", "1000000", "--out", s(&big)]).code, 0);
    let shown = on_terminal(&format!("metrics --input {} --tz UTC --by channel", s(&big)));
    assert!(shown.contains("callsla: reading the input ["), "{shown:?}");
    assert!(shown.contains("callsla: searching for repeat contacts ["), "{shown:?}");
    assert!(shown.contains("% (") && shown.contains(" left)"), "{shown:?}");
    let quiet = on_terminal(&format!("generate -q --rows 300000 --out {}", s(&out)));
    assert!(!quiet.contains("callsla:"), "{quiet:?}");
    // Not a terminal: no progress, no cursor control.
    let r = callsla(&["generate", "--rows", "300000", "--out", s(&out)]);
    assert_eq!(r.stderr, format!("wrote {}: 300000 rows, 0 of them bad on purpose\n", s(&out)));
}

/// `-` reads the contract from standard input (issue 20): `check` names it `<stdin>` in its
/// messages, with the line of the mistake.
#[test]
fn check_reads_a_contract_from_standard_input() {
    use std::io::Write as _;
    let check = |text: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
            .args(["check", "--contract", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let (code, stdout, _) = check(&sample);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("contract ACME-CONTOSO is valid: 14 SLAs"), "{stdout}");
    let (code, _, stderr) = check(&sample.replace("currency = \"USD\"", "currency = \"usd\""));
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: <stdin>:"), "{stderr}");
    assert!(stderr.contains("contract.currency"), "{stderr}");
}

/// `--input -` reads a log from standard input for `ingest` and `metrics` (issue 20): named
/// `<stdin>` in the reconciliation, the rejects and messages; `run` refuses it (verify could not
/// read it again).
#[test]
fn ingest_and_metrics_read_a_log_from_standard_input() {
    use std::io::Write as _;
    let t = TempDir::new("stdin");
    let piped = |args: &[&str], input: &[u8]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
            .args(args)
            .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
            .current_dir(repo("."))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let sample = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let mut log: String = sample.lines().take(200).map(|l| format!("{l}\n")).collect();
    log += "BAD1,voice,inbound,billing,C1,A1,not-a-time,,,,,,,,,,,,\n";
    let rejects = t.path("rejects.csv");
    let (code, stdout, stderr) =
        piped(&["ingest", "--input", "-", "--rejects", s(&rejects), "--max-reject-rate", "100%"], log.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("<stdin>: read 200, accepted 199, rejected 1, excluded 0"), "{stdout}");
    let rej = std::fs::read_to_string(&rejects).unwrap();
    assert!(rej.contains("\n<stdin>,201,arrived_at,"), "{rej}");
    let (code, stdout, stderr) = piped(
        &["metrics", "--input", "-", "--tz", "America/New_York", "--format", "csv", "--max-reject-rate", "100%"],
        log.as_bytes(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(",offered,"), "{stdout}");
    let (code, _, stderr) = piped(
        &["run", "--contract", "sample-data/contract.toml", "--input", "-", "--no-ledger", "--out", s(&t.path("out"))],
        log.as_bytes(),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--input \"-\" is not accepted by run"), "{stderr}");
}

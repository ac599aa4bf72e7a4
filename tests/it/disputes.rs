//! The dispute register (issue 18): a dispute worked from notice to note on the sample
//! contract, the notice window at its boundary, the held amount's interest hand-worked, and
//! every step the clause or the register refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use common::*;

/// A folder with the sample contract and logs, and the README's main command run into it
/// (the ledger in that working folder).
fn sample(t: &TempDir) -> std::path::PathBuf {
    let dir = sample_project(t);
    let run = main_run(&dir, "out");
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

fn main_run(dir: &std::path::Path, out: &str) -> Run {
    let mut args = sample_run_args("sample-data/contract.toml", out);
    args.retain(|a| *a != "--no-ledger");
    args.push("--force");
    callsla_with(&args, Some(dir), &[])
}

fn dispute(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["dispute", args[0], "--contract", "sample-data/contract.toml"];
    all.extend_from_slice(&args[1..]);
    callsla_with(&all, Some(dir), &[])
}

const OPEN: &[&str] = &[
    "open",
    "--document",
    "ACME-CONTOSO-2026-08",
    "--sla",
    "SL-1",
    "--period",
    "2026-08",
    "--amount",
    "1764.78",
    "--reason",
    "the 14 Aug outage was agreed as excluded",
    "--by",
    "J. Client",
    "--at",
    "2026-09-20",
];

#[test]
fn a_dispute_from_notice_to_settlement_note() {
    let t = TempDir::new("dispute-life");
    let dir = sample(&t);
    let o = dispute(&dir, OPEN);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "dispute #1 opened on ACME-CONTOSO-2026-08 (1764.78 USD): stage operational_review until 2026-09-30; the amount is held from late interest\n"
    );
    let a = dispute(
        &dir,
        &["advance", "--id", "1", "--to", "executive_escalation", "--by", "P. Provider", "--at", "2026-09-29"],
    );
    assert_eq!(
        a.stdout, "dispute #1 is in stage executive_escalation from 2026-09-29 until 2026-10-14\n",
        "{}",
        a.stderr
    );
    let a = dispute(&dir, &["advance", "--id", "1", "--to", "mediation", "--by", "P. Provider", "--at", "2026-10-10"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    // The mediation stage (30 days from 2026-10-10) is late from 2026-11-10.
    let l = dispute(&dir, &["list", "--as-of", "2026-11-10"]);
    assert_eq!(
        l.stdout,
        "disputes as of 2026-11-10\n\
         id  document              sla           party    amount  opened      stage      deadline    late     outcome  settled  note\n \
         1  ACME-CONTOSO-2026-08  SL-1 2026-08  client  1764.78  2026-09-20  mediation  2026-11-09  overdue  open\n"
    );
    let h = callsla_with(&["history", "--ledger", "callsla.db", "--as-of", "2026-11-10"], Some(&dir), &[]);
    assert!(
        h.stdout.contains("open dispute: ACME-CONTOSO #1 on ACME-CONTOSO-2026-08: 1764.78, stage mediation until 2026-11-09 (overdue on 2026-11-10)\n"),
        "{}",
        h.stdout
    );
    // The client's disputed amount is held: the August invoice, paid 15 days late, accrues
    // interest only on (31976.38 − 1764.78) × 8 % × 15 / 365 = 99.33 (105.13 without the hold).
    let rerun = main_run(&dir, "out2");
    assert!(
        rerun.stdout.contains("late interest on ACME-CONTOSO-2026-08: 2026-10-01 to 2026-10-16, 15 days, 99.33 USD"),
        "{}",
        rerun.stdout
    );
    // Settled at a part of the amount: a credit note referencing the invoice and the dispute.
    let r = dispute(
        &dir,
        &["resolve", "--id", "1", "--outcome", "settled", "--amount", "800", "--by", "Mediator", "--at", "2026-11-05"],
    );
    assert_eq!(
        r.stdout,
        "dispute #1 settled: credit note ACME-CONTOSO-2026-08-CN1 issued 2026-11-05, total -800.00 USD, due 2026-12-05\n",
        "{}",
        r.stderr
    );
    let st = callsla_with(&["statement", "--ledger", "callsla.db", "--as-of", "2026-11-30"], Some(&dir), &[]);
    assert!(
        st.stdout.contains("2026-11-05  credit_note  ACME-CONTOSO-2026-08-CN1                    -800.00  42949.46  credit note of ACME-CONTOSO-2026-08: dispute #1 settled: the 14 Aug outage was agreed as excluded\n"),
        "{}",
        st.stdout
    );
    let before = callsla_with(&["statement", "--ledger", "callsla.db", "--as-of", "2026-10-05"], Some(&dir), &[]);
    assert!(
        before.stdout.contains("dispute #1 open on ACME-CONTOSO-2026-08: 1764.78 USD held from late interest, stage executive_escalation until 2026-10-14\n"),
        "{}",
        before.stdout
    );
    // Every step with who and when, in the register and in the next run's audit page.
    let j = dispute(&dir, &["list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let steps: Vec<String> = v["disputes"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!("{} {} {}", s["at"].as_str().unwrap(), s["action"].as_str().unwrap(), s["by"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        steps,
        [
            "2026-09-20 open J. Client",
            "2026-09-29 advance P. Provider",
            "2026-10-10 advance P. Provider",
            "2026-11-05 resolve Mediator"
        ]
    );
    assert_eq!(v["disputes"][0]["note_id"], "ACME-CONTOSO-2026-08-CN1");
    assert_eq!(v["disputes"][0]["settled_amount"], "800.00");
    let rerun = main_run(&dir, "out3");
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let audit = std::fs::read_to_string(dir.join("out3/audit.html")).unwrap();
    assert!(audit.contains("id=\"dispute-table\""), "the audit page lists the register");
    assert!(audit.contains("ACME-CONTOSO-2026-08-CN1"));
    // A resolved dispute does not change.
    let again = dispute(&dir, &["resolve", "--id", "1", "--outcome", "upheld", "--by", "x", "--at", "2026-11-06"]);
    assert_eq!(again.code, 2);
    assert_eq!(again.stderr, "error: dispute #1 was resolved on 2026-11-05; a resolved dispute does not change\n");
}

/// Notice is given within `notice_days` of the document's date: the 30th day is in time, the
/// 31st is refused naming the clause.
#[test]
fn the_notice_window_holds_at_its_boundary() {
    let t = TempDir::new("dispute-notice");
    let dir = sample(&t);
    let with = |at: &'static str| {
        let mut a = OPEN.to_vec();
        let i = a.iter().position(|x| *x == "--at").unwrap();
        a[i + 1] = at;
        dispute(&dir, &a)
    };
    let late = with("2026-10-02");
    assert_eq!(late.code, 2);
    assert_eq!(
        late.stderr,
        "error: the dispute is raised on 2026-10-02, 31 days after ACME-CONTOSO-2026-08 was issued (2026-09-01); [disputes] notice_days = 30 allows 30 days, so it is refused\n"
    );
    let in_time = with("2026-10-01");
    assert_eq!(in_time.code, 0, "{}", in_time.stderr);
}

/// What the register refuses, word for word; and a rejected dispute issues no note.
#[test]
fn the_register_refuses_what_the_clause_does_not_allow() {
    let t = TempDir::new("dispute-refusals");
    let dir = sample(&t);
    let err = |r: Run| {
        assert_eq!(r.code, 2, "{}", r.stdout);
        r.stderr
    };
    let mut too_much = OPEN.to_vec();
    too_much[8] = "40000";
    assert_eq!(
        err(dispute(&dir, &too_much)),
        "error: the disputed amount must be more than 0 and at most the document's total 31976.38, got 40000.00\n"
    );
    let mut precise = OPEN.to_vec();
    precise[8] = "10.005";
    assert_eq!(err(dispute(&dir, &precise)), "error: 10.005 has more decimals than the currency's 2 minor units\n");
    let mut unknown = OPEN.to_vec();
    unknown[2] = "NO-SUCH-DOC";
    assert_eq!(
        err(dispute(&dir, &unknown)),
        "error: NO-SUCH-DOC is not a document of contract ACME-CONTOSO in the ledger (documents are recorded by `callsla run`)\n"
    );
    assert_eq!(dispute(&dir, OPEN).code, 0);
    assert_eq!(
        err(dispute(&dir, &["advance", "--id", "1", "--to", "operational_review", "--by", "x", "--at", "2026-09-21"])),
        "error: \"operational_review\" is not a later stage than \"operational_review\" in [disputes] stages (operational_review, executive_escalation, mediation, arbitration)\n"
    );
    assert_eq!(
        err(dispute(&dir, &["advance", "--id", "1", "--to", "mediation", "--by", "x", "--at", "2026-09-19"])),
        "error: the step is dated 2026-09-19, before the dispute's last step (2026-09-20)\n"
    );
    assert_eq!(
        err(dispute(
            &dir,
            &["resolve", "--id", "1", "--outcome", "settled", "--amount", "2000", "--by", "x", "--at", "2026-10-01"]
        )),
        "error: a settlement must be more than 0 and at most the disputed amount 1764.78, got 2000\n"
    );
    assert_eq!(
        err(dispute(
            &dir,
            &["resolve", "--id", "1", "--outcome", "upheld", "--amount", "5", "--by", "x", "--at", "2026-10-01"]
        )),
        "error: outcome upheld settles the disputed amount or nothing; give --amount only with settled\n"
    );
    assert_eq!(
        err(dispute(&dir, &["resolve", "--id", "9", "--outcome", "rejected", "--by", "x", "--at", "2026-10-01"])),
        "error: dispute #9 is not in the register of contract ACME-CONTOSO\n"
    );
    let rejected = dispute(&dir, &["resolve", "--id", "1", "--outcome", "rejected", "--by", "x", "--at", "2026-10-01"]);
    assert_eq!(rejected.stdout, "dispute #1 rejected: nothing is settled; ACME-CONTOSO-2026-08 stands\n");
    // A contract without [disputes] states no way to dispute.
    let text = std::fs::read_to_string(dir.join("sample-data/contract.toml")).unwrap();
    let cut = text.find("[disputes]").unwrap();
    let end = text[cut..].find("\n]\n").unwrap() + cut + 3;
    std::fs::write(dir.join("sample-data/contract.toml"), format!("{}{}", &text[..cut], &text[end..])).unwrap();
    assert_eq!(
        err(dispute(&dir, OPEN)),
        "error: the contract has no [disputes] section, so it states no way to dispute a document; add one (docs/contract.md, \"[disputes]\")\n"
    );
}

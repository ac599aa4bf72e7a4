//! Finance across months (issue 16): six monthly runs with one ledger, as a finance team runs
//! them — a late payment, a partial payment, an overpayment, an unreferenced payment, unpaid
//! invoices at the statement date, a closed month restated by a debit note, tax on fees —
//! with golden invoice files per month and the golden statement of account. Every amount is
//! booked once: each document in one file, each interest charge once, and the statement
//! balances to the cent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;

const MONTHS: [&str; 6] = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"];

fn golden(name: &str) -> PathBuf {
    repo("tests/golden/finance").join(name)
}

fn check_golden(name: &str, got: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(repo("tests/golden/finance")).unwrap();
        std::fs::write(golden(name), got).unwrap();
    }
    let want = std::fs::read_to_string(golden(name))
        .unwrap_or_else(|_| panic!("tests/golden/finance/{name} is missing (UPDATE_GOLDEN=1 writes it)"));
    assert_eq!(got, want, "tests/golden/finance/{name} differs (UPDATE_GOLDEN=1 to accept)");
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The sample contract without volume relief (no forecast needed), with VAT on the
/// performance lines and restatements settled by notes.
fn contract(extra: &str) -> String {
    let c = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let relief = c.find("[volume_relief]").unwrap();
    let relief_end = c[relief..].find("# --- Termination").unwrap() + relief;
    let c = format!("{}{}", &c[..relief], &c[relief_end..])
        .replace("restatements = \"next_invoice\"", "restatements = \"notes\"");
    c + "\n[[tax]]\nname = \"VAT\"\nrate_percent = \"20\"\napplies_to = [\"fee\", \"credit\", \"cap_adjustment\", \"earn_back\", \"restatement\"]\nrounding = \"document\"\n" + extra
}

struct Scenario {
    t: TempDir,
}

impl Scenario {
    fn new() -> Scenario {
        let t = TempDir::new("finance");
        t.write("contract.toml", &contract(""));
        let all = t.path("all.csv");
        let g = callsla(&[
            "generate",
            "--rows",
            "18000",
            "--months",
            "6",
            "--start",
            "2026-08",
            "--seed",
            "16",
            "--slow-months",
            "1",
            "--out",
            s(&all),
        ]);
        assert_eq!(g.code, 0, "{}", g.stderr);
        let log = std::fs::read_to_string(&all).unwrap();
        let header = log.lines().next().unwrap();
        for m in MONTHS {
            let rows: Vec<&str> =
                log.lines().skip(1).filter(|l| l.split(',').nth(6).is_some_and(|a| a.starts_with(m))).collect();
            t.write(&format!("{m}.csv"), &format!("{header}\n{}\n", rows.join("\n")));
            if m == "2026-08" {
                // The first August export misses its last 300 calls (found after it was closed).
                let first = &rows[..rows.len() - 300];
                t.write("2026-08-first-export.csv", &format!("{header}\n{}\n", first.join("\n")));
            }
        }
        Scenario { t }
    }

    #[allow(clippy::too_many_arguments)] // reason: a test helper
    fn run(
        &self,
        contract: &str,
        month: &str,
        log: &str,
        out: &str,
        payments: &[(String, String, String, Decimal)],
        extra: &[&str],
    ) -> Run {
        let mut p = String::from("payment_id,invoice_id,paid_date,amount\n");
        for (id, doc, date, amount) in payments {
            p += &format!("{id},{doc},{date},{amount}\n");
        }
        let pay = self.t.write("payments.csv", &p);
        // The statement date is the invoice's issue date: interest on balances still open is
        // fixed then, and charged by this very invoice.
        let issue = statement_date(month);
        let (c, input, o, ledger) =
            (self.t.path(contract), self.t.path(log), self.t.path(out), self.t.path("callsla.db"));
        let mut args = vec![
            "run",
            "--contract",
            s(&c),
            "--ledger",
            s(&ledger),
            "--input",
            s(&input),
            "--period",
            month,
            "--outages",
            s(&repo("sample-data/outages.csv")).to_string().leak(),
            "--payments",
            s(&pay),
            "--events",
            s(&repo("sample-data/events.csv")).to_string().leak(),
            "--qa",
            s(&repo("sample-data/qa.csv")).to_string().leak(),
            "--agent-hours",
            s(&repo("sample-data/agent_hours.csv")).to_string().leak(),
            "--statement-date",
            issue.leak(),
            "--out",
            s(&o),
        ];
        args.extend_from_slice(extra);
        let r = callsla(&args);
        assert_eq!(r.code, 0, "{month}: {}", r.stderr);
        r
    }

    fn close(&self, month: &str) {
        let (c, ledger) = (self.t.path("contract.toml"), self.t.path("callsla.db"));
        let r = callsla(&[
            "close",
            "--contract",
            s(&c),
            "--ledger",
            s(&ledger),
            "--period",
            month,
            "--by",
            "finance@acme",
            "--at",
            "2027-02-01",
            "--accept-provisional",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }

    fn documents(&self, out: &str) -> Vec<Value> {
        let a: Value =
            serde_json::from_str(&std::fs::read_to_string(self.t.path(out).join("assessment.json")).unwrap()).unwrap();
        a["billing"]["documents"].as_array().unwrap().clone()
    }
}

fn statement_date(month: &str) -> String {
    let (y, m): (i32, u32) = (month[..4].parse().unwrap(), month[5..].parse().unwrap());
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    format!("{y}-{m:02}-01")
}

fn total(docs: &[Value], id: &str) -> Decimal {
    d(docs.iter().find(|x| x["id"] == id).unwrap()["total"].as_str().unwrap())
}

fn invoice_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| h.iter().zip(rec.unwrap().iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .collect()
}

#[test]
fn six_months_book_every_amount_once_and_the_statement_balances() {
    let sc = Scenario::new();
    let mut payments: Vec<(String, String, String, Decimal)> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new(); // (golden name, out folder)
    let inv = |m: &str| format!("ACME-CONTOSO-{m}");
    for (i, m) in MONTHS.iter().enumerate() {
        let out = format!("out-{m}");
        let log = if *m == "2026-08" { "2026-08-first-export.csv".to_string() } else { format!("{m}.csv") };
        sc.run("contract.toml", m, &log, &out, &payments, &[]);
        files.push((format!("invoice-{m}.csv"), out.clone()));
        let docs = sc.documents(&out);
        let t = total(&docs, &inv(m));
        // Payments the next month's run knows of.
        match i {
            // August: paid in full 15 days late.
            0 => payments.push(("P-0801".into(), inv(m), "2026-10-16".into(), t)),
            // September: half on time, the rest 20 days late.
            1 => {
                let half = (t / Decimal::TWO).round_dp(2);
                payments.push(("P-0901".into(), inv(m), "2026-10-30".into(), half));
                payments.push(("P-0902".into(), inv(m), "2026-11-20".into(), t - half));
            }
            // October: overpaid by 500.00.
            2 => payments.push(("P-1001".into(), inv(m), "2026-11-28".into(), t + d("500.00"))),
            // November: a payment naming no invoice, for its amount: applied to the oldest open.
            3 => payments.push(("P-1101".into(), String::new(), "2026-12-30".into(), t)),
            // December and January stay unpaid.
            _ => {}
        }
        if i >= 1 {
            sc.close(MONTHS[i - 1]);
        }
        // After November's run, August (closed) is restated: 300 calls were missing from its
        // export. The difference goes on a debit note of its own.
        if *m == "2026-11" {
            let r = sc.run(
                "contract.toml",
                "2026-08",
                "2026-08.csv",
                "out-2026-08-restated",
                &payments,
                &[
                    "--force",
                    "--restate",
                    "--reason",
                    "300 calls missing from the first export",
                    "--by",
                    "finance@acme",
                    "--at",
                    "2026-12-10",
                ],
            );
            assert!(r.stdout.contains("2026-08 restated (#1, "), "{}", r.stdout);
            assert!(r.stdout.contains("on debit note ACME-CONTOSO-2026-08-DN1)"), "{}", r.stdout);
            files.push(("invoice-2026-08-restated.csv".into(), "out-2026-08-restated".into()));
            // The restating run issues the note only; August's invoice stays as issued.
            let docs = sc.documents("out-2026-08-restated");
            assert_eq!(docs.len(), 1);
            assert_eq!(docs[0]["id"], "ACME-CONTOSO-2026-08-DN1");
            // August's figures changed: November, judged with the old August in its history,
            // is stale (September and October are closed: a restatement would be theirs).
            assert!(
                r.stdout.contains("ledger: 2026-11 is stale (assessed before 2026-08 was changed)"),
                "{}",
                r.stdout
            );
            // Re-run with the restated August in its history; nothing November reads changed.
            let again =
                sc.run("contract.toml", m, &format!("{m}.csv"), &out, &payments[..payments.len() - 1], &["--force"]);
            assert!(again.stdout.contains("2026-11 unchanged"), "{}", again.stdout);
        }
    }

    // Golden invoice files, one per month and the restating run's.
    let mut seen_docs: BTreeMap<String, String> = BTreeMap::new();
    let mut interest_lines: Vec<String> = Vec::new();
    let mut by_type: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut totals = Decimal::ZERO;
    for (name, out) in &files {
        let path = sc.t.path(out).join("invoice.csv");
        check_golden(name, &std::fs::read_to_string(&path).unwrap());
        for row in invoice_rows(&path) {
            let doc = row["document_id"].clone();
            if let Some(other) = seen_docs.get(&doc) {
                assert_eq!(other, name, "{doc} is in {other} and {name}: booked twice");
            } else {
                seen_docs.insert(doc.clone(), name.clone());
                totals += d(&row["document_total"]);
            }
            if row["line_type"] == "late_interest" {
                interest_lines.push(format!("{} {}", row["line_reference"], row["description"]));
            }
            *by_type.entry(row["line_type"].clone()).or_default() += d(&row["amount"]);
        }
    }
    // Each interest charge appears exactly once across all files.
    let mut unique = interest_lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), interest_lines.len(), "{interest_lines:?}");
    assert!(interest_lines.len() >= 3, "late August, late rest of September, unpaid balances: {interest_lines:?}");
    // Σ documents = fees − credits (+ cap, earn-back) + restatements + interest + tax.
    let parts: Decimal = by_type.values().copied().sum();
    assert_eq!(parts, totals, "{by_type:?}");
    assert!(by_type["tax"] > Decimal::ZERO && by_type["restatement"] != Decimal::ZERO, "{by_type:?}");

    // The statement of account: golden, and balanced to the cent.
    let ledger = sc.t.path("callsla.db");
    let table = callsla(&["statement", "--ledger", s(&ledger), "--as-of", "2027-03-15"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    check_golden("statement.txt", &table.stdout);
    let csv_out = callsla(&["statement", "--ledger", s(&ledger), "--as-of", "2027-03-15", "--format", "csv"]);
    check_golden("statement.csv", &csv_out.stdout);
    let json = callsla(&["statement", "--ledger", s(&ledger), "--as-of", "2027-03-15", "--format", "json"]);
    let st: Value = serde_json::from_str(&json.stdout).unwrap();
    let st = &st[0];
    let (docs_total, paid, balance) = (
        d(st["documents_total"].as_str().unwrap()),
        d(st["payments_total"].as_str().unwrap()),
        d(st["balance"].as_str().unwrap()),
    );
    assert_eq!(docs_total, totals, "the statement's documents are the files' documents");
    assert_eq!(balance, docs_total - paid);
    let open: Decimal = st["open_items"].as_array().unwrap().iter().map(|o| d(o["open"].as_str().unwrap())).sum();
    assert_eq!(open, balance, "open items add up to the balance");
    // The overpayment is on the account as unapplied money, reported by the run that saw it.
    assert!(st["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "unapplied_payment" && o["id"] == "P-1001"));
    let nov = std::fs::read_to_string(sc.t.path("out-2026-11").join("assessment.json")).unwrap();
    assert!(nov.contains("\"kind\": \"overpaid\""), "the November run reports the overpayment");
    // History shows every invoice total the files show.
    let h = callsla(&["history", "--ledger", s(&ledger), "--format", "csv"]);
    for row in csv::Reader::from_reader(h.stdout.as_bytes()).records() {
        let row = row.unwrap();
        let id = format!("ACME-CONTOSO-{}", &row[1]);
        let (name, out) = files.iter().find(|(n, _)| seen_docs.get(&id) == Some(n)).unwrap();
        let _ = name;
        assert_eq!(d(&row[11]), total(&sc.documents(out), &id), "history and invoice.csv agree on {id}");
    }
}

/// An empty period is not invoiced by accident (exit 3, naming what was found), and a period
/// whose data stops early is flagged in the summary and audit.html.
#[test]
fn empty_and_partial_periods() {
    let t = TempDir::new("empty-period");
    let side = side_inputs();
    let run = |input: &str, out: &Path, extra: &[&str]| {
        let mut args =
            vec!["run", "--contract", "sample-data/contract.toml", "--input", input, "--no-ledger", "--out", s(out)];
        args.extend(side.iter().map(String::as_str));
        args.extend_from_slice(extra);
        callsla_in_repo(&args)
    };
    let r = run("sample-data/interactions.csv", &t.path("dec"), &["--period", "2026-12"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: period 2026-12 has no contacts in the contract's scope (the judged contacts fall in 2026-08 to 2026-10); an invoice for it would bill fixed fees and minimum charges on no data. Check --period and the inputs, or pass --allow-empty-period to invoice it anyway\n"
    );
    assert!(!t.path("dec").exists());
    let r = run("sample-data/interactions.csv", &t.path("dec"), &["--period", "2026-12", "--allow-empty-period"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("  partial period: no contacts in scope (--allow-empty-period)\n"), "{}", r.stdout);
    // October's logs stop on the 20th.
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let late = |l: &&str| l.split(',').nth(6).is_some_and(|a| a.as_bytes().get(..10) > Some(b"2026-10-20".as_slice()));
    let cut: Vec<&str> = log.lines().take(1).chain(log.lines().skip(1).filter(|l| !late(l))).collect();
    let input = t.write("cut.csv", &(cut.join("\n") + "\n"));
    let r = run(s(&input), &t.path("oct"), &["--period", "2026-10"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("  partial period: the data ends 2026-10-20, 11 days before the period ends\n"),
        "{}",
        r.stdout
    );
    let html = std::fs::read_to_string(t.path("oct").join("audit.html")).unwrap();
    assert!(
        html.contains("Partial period 2026-10: the data ends 2026-10-20, 11 days before the period ends"),
        "audit.html flags it"
    );
}

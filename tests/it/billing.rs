//! Billing: documents, payments applied, late interest charged once, notes, taxes and the
//! statement of account — hand-worked amounts, boundaries, and a property test over random
//! sequences of months, payments and restatements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use callsla::billing::{
    self, statement::statement, AccountTerms, BillingInput, DocKind, Document, LineType, NoteRequest, PaymentRecord,
    Receivables,
};
use callsla::contract::{Contract, DayCount};
use callsla::metrics::{period, PeriodKind};
use callsla::rules::{InvoiceLine, PeriodAssessment};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A contract with payment terms (net 30, 8 % a year) and the given extra sections.
fn contract(payment_extra: &str, extra: &str) -> Contract {
    let text = format!(
        r#"{head}

[scope]
channels = ["voice"]
queues = ["billing"]

[[pricing]]
channel = "voice"
monthly_fee = "1000"

[credits]
at_risk_percent = "10"
pool_percent = "100"

[[sla]]
id = "SL"
name = "Service level"
metric = {{ metric = "service_level", threshold_s = 20 }}
channels = ["voice"]
target = "80"
direction = "at_least"
min_sample = 1
kind = "critical"
credit = {{ shape = "fixed", amount = "100" }}

[payment]
net_days = 30
invoice_lag_days = 0
late_interest_annual_percent = "8"
day_count = "actual_365"
{payment_extra}
{extra}
"#,
        head = crate::common::contract_head("half_even"),
    );
    Contract::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// A period whose performance asks for `net_due` (a fee line of that amount).
fn period(label: &str, net_due: &str) -> PeriodAssessment {
    let start = period::parse_label(PeriodKind::Month, NY, label).unwrap();
    let amount = d(net_due);
    PeriodAssessment {
        obligations: vec![],
        obligation_credits: Decimal::ZERO,
        period: label.to_string(),
        period_start: start,
        period_end: period::period_end(PeriodKind::Month, NY, start),
        terms_version: "original".to_string(),
        invoice_id: format!("T-{label}"),
        invoice: vec![InvoiceLine {
            channel: "voice".to_string(),
            item: "fixed fee".to_string(),
            quantity: Decimal::ONE,
            rate: amount,
            amount,
            clause: "pricing.voice.monthly_fee".to_string(),
        }],
        fees: amount,
        at_risk_amount: Decimal::ZERO,
        slas: vec![],
        credits_before_cap: Decimal::ZERO,
        cap_adjustment: Decimal::ZERO,
        credits_after_cap: Decimal::ZERO,
        earn_back: vec![],
        earn_back_applied: Decimal::ZERO,
        earn_back_forfeited: vec![],
        net_credit: Decimal::ZERO,
        net_due: amount,
    }
}

fn pay(id: &str, doc: &str, on: &str, amount: &str) -> PaymentRecord {
    PaymentRecord { payment_id: id.to_string(), document_id: doc.to_string(), paid_date: date(on), amount: d(amount) }
}

fn bill(
    c: &Contract,
    periods: &[PeriodAssessment],
    rec: &Receivables,
    payments: &[PaymentRecord],
    statement_date: Option<&str>,
) -> billing::Billing {
    billing::bill(&BillingInput {
        contract: c,
        periods,
        receivables: rec,
        payments: Some(payments),
        statement_date: statement_date.map(date),
    })
    .unwrap()
}

/// What the ledger would hold after recording `b` (documents, charged interest, payments),
/// with `closed` periods' invoices final.
fn recorded(mut rec: Receivables, b: &billing::Billing, closed: &[&str]) -> Receivables {
    for doc in &b.documents {
        if rec.final_ids.contains(&doc.id) {
            continue;
        }
        rec.documents.retain(|x| x.id != doc.id);
        rec.interest.retain(|ch| ch.charged_on != doc.id);
        rec.documents.push(doc.clone());
        if doc.kind != DocKind::Invoice {
            rec.final_ids.push(doc.id.clone());
        }
    }
    rec.interest.extend(b.interest.iter().filter(|ch| !ch.charged_on.is_empty()).cloned());
    rec.payments = b.payments.clone();
    for p in closed {
        let id = format!("T-{p}");
        if !rec.final_ids.contains(&id) {
            rec.final_ids.push(id);
        }
    }
    rec.restatement = None;
    rec
}

fn interest_lines(doc: &Document) -> Vec<(String, Decimal)> {
    doc.lines
        .iter()
        .filter(|l| l.line_type == LineType::LateInterest)
        .map(|l| (l.reference.clone(), l.amount))
        .collect()
}

/// Two partial payments after the due date: interest on each balance for its days, each span
/// charged on the first invoice issued on or after the day it was fixed.
#[test]
fn interest_on_partial_late_payments_is_charged_on_the_next_invoice() {
    let c = contract("grace_days = 0\nrestatements = \"next_invoice\"", "");
    // October: issued 2026-11-01, due 2026-12-01, 99,000. Paid 49,000 on 12-11, 50,000 on 12-21.
    let pays = [pay("P1", "T-2026-10", "2026-12-11", "49000"), pay("P2", "T-2026-10", "2026-12-21", "50000")];
    let b = bill(
        &c,
        &[period("2026-10", "99000"), period("2026-11", "1000"), period("2026-12", "1000")],
        &Receivables::default(),
        &pays,
        None,
    );
    // 99,000 × 8 % × 10/365 = 216.99 (fixed 12-11); 50,000 × 8 % × 10/365 = 109.59 (fixed 12-21).
    let spans: Vec<(NaiveDate, NaiveDate, Decimal, String)> =
        b.interest.iter().map(|ch| (ch.from, ch.to, ch.amount, ch.charged_on.clone())).collect();
    assert_eq!(
        spans,
        [
            (date("2026-12-01"), date("2026-12-11"), d("216.99"), "T-2026-12".to_string()),
            (date("2026-12-11"), date("2026-12-21"), d("109.59"), "T-2026-12".to_string()),
        ]
    );
    // November's invoice (issued 12-01) carries nothing: it was issued before either was fixed.
    assert!(interest_lines(b.invoice_of("T-2026-11").unwrap()).is_empty());
    let dec = b.invoice_of("T-2026-12").unwrap();
    assert_eq!(interest_lines(dec), [("T-2026-10".to_string(), d("216.99")), ("T-2026-10".to_string(), d("109.59"))]);
    assert_eq!(dec.total, d("1326.58"));
    // Paid on the due date: no interest. One day late: one day's.
    let b = bill(
        &c,
        &[period("2026-10", "99000"), period("2026-12", "1000")],
        &Receivables::default(),
        &[pay("P", "T-2026-10", "2026-12-01", "99000")],
        None,
    );
    assert!(b.interest.is_empty());
    let b = bill(
        &c,
        &[period("2026-10", "99000"), period("2026-12", "1000")],
        &Receivables::default(),
        &[pay("P", "T-2026-10", "2026-12-02", "99000")],
        None,
    );
    // 99,000 × 8 % / 365 = 21.698… → 21.70
    assert_eq!(b.interest.iter().map(|ch| ch.amount).collect::<Vec<_>>(), [d("21.70")]);
}

/// A grace period moves the start of interest; the statement date fixes interest on what is
/// still open, charged by an invoice issued that day.
#[test]
fn grace_days_and_statement_date() {
    let c = contract("grace_days = 5\nrestatements = \"next_invoice\"", "");
    let periods = [period("2026-10", "36500"), period("2026-11", "1000")];
    // Paid 2026-12-06: within 5 days' grace, no interest.
    let b = bill(&c, &periods, &Receivables::default(), &[pay("P", "T-2026-10", "2026-12-06", "36500")], None);
    assert!(b.interest.is_empty());
    // Paid 2026-12-16: 10 days after the grace ends: 36,500 × 8 % × 10/365 = 80.00.
    let b = bill(&c, &periods, &Receivables::default(), &[pay("P", "T-2026-10", "2026-12-16", "36500")], None);
    assert_eq!((b.interest[0].from, b.interest[0].days, b.interest[0].amount), (date("2026-12-06"), 10, d("80.00")));
    // Unpaid; a run of December with statement date 2027-01-01 charges to that day on
    // December's invoice (issued 2027-01-01): 26 days → 208.00.
    let b = bill(
        &c,
        &[period("2026-10", "36500"), period("2026-12", "1000")],
        &Receivables::default(),
        &[],
        Some("2027-01-01"),
    );
    assert_eq!(interest_lines(b.invoice_of("T-2026-12").unwrap()), [("T-2026-10".to_string(), d("208.00"))]);
}

/// Interest charged by one run is never charged again by a later one; the next span starts
/// where the charged one ended.
#[test]
fn interest_is_charged_once_across_runs() {
    let c = contract("grace_days = 0\nrestatements = \"next_invoice\"", "");
    let pays = [pay("P1", "T-2026-10", "2026-12-11", "49000")];
    let b1 = bill(&c, &[period("2026-10", "99000"), period("2026-12", "1000")], &Receivables::default(), &pays, None);
    assert_eq!(b1.interest.len(), 1);
    let rec = recorded(Receivables::default(), &b1, &["2026-10", "2026-12"]);
    // January: the rest paid 2027-01-10: only 12-11 → 01-10 on 50,000 (30 days: 328.77).
    let pays2 = [pays[0].clone(), pay("P2", "T-2026-10", "2027-01-10", "50000")];
    let b2 = bill(&c, &[period("2027-01", "1000")], &rec, &pays2, None);
    let jan = b2.invoice_of("T-2027-01").unwrap();
    assert_eq!(interest_lines(jan), [("T-2026-10".to_string(), d("328.77"))]);
    assert!(b2.interest.iter().all(|ch| ch.from >= date("2026-12-11")));
    // Re-running January gives the same invoice.
    let b3 = bill(&c, &[period("2027-01", "1000")], &rec, &pays2, None);
    assert_eq!(b3.invoice_of("T-2027-01"), b2.invoice_of("T-2027-01"));
}

/// Payments: by reference up to the open balance, unreferenced oldest due first, and what is
/// left — overpaid, unknown document, more than open — unapplied and reported.
#[test]
fn payments_are_applied_deterministically_and_leftovers_reported() {
    let c = contract("grace_days = 0\nrestatements = \"next_invoice\"", "");
    let periods = [period("2026-08", "1000"), period("2026-09", "2000")];
    let pays = [
        // Unreferenced, after both were issued: August (due first) then September.
        pay("U1", "", "2026-10-05", "1500"),
        // Overpays September (1,500 left open) by 100.
        pay("R1", "T-2026-09", "2026-10-20", "1600"),
        // Names a document that does not exist.
        pay("X1", "T-2025-01", "2026-10-21", "50"),
    ];
    let b = bill(&c, &periods, &Receivables::default(), &pays, None);
    let applied: Vec<(String, String, Decimal)> =
        b.applications.iter().map(|a| (a.payment_id.clone(), a.document_id.clone(), a.amount)).collect();
    assert_eq!(
        applied,
        [
            ("U1".to_string(), "T-2026-08".to_string(), d("1000.00")),
            ("U1".to_string(), "T-2026-09".to_string(), d("500")),
            ("R1".to_string(), "T-2026-09".to_string(), d("1500.00")),
        ]
    );
    let issues: Vec<(String, String, Decimal)> =
        b.payment_issues.iter().map(|i| (i.payment_id.clone(), i.kind.clone(), i.amount)).collect();
    assert_eq!(
        issues,
        [
            ("R1".to_string(), "overpaid".to_string(), d("100.00")),
            ("X1".to_string(), "unknown_document".to_string(), d("50"))
        ]
    );
    // The statement balances: 3,000 of documents − 3,150 paid = −150, the unapplied money.
    let terms = AccountTerms::of(&c);
    let st = statement(&terms, &b.documents, &b.payments, &[], &[], date("2026-12-31")).unwrap();
    assert_eq!((st.documents_total, st.payments_total, st.balance), (d("3000.00"), d("3150"), d("-150.00")));
    assert_eq!(st.ageing.iter().find(|(b, _)| b == "credit").unwrap().1, d("-150.00"));
}

/// A restated closed period in notes mode: the original invoice stays; a debit note of its own
/// (dated the restatement, due net days later) carries the difference and accrues interest
/// only from its own due date.
#[test]
fn a_restatement_is_a_note_and_the_original_never_changes() {
    let c = contract("grace_days = 0\nrestatements = \"notes\"", "");
    let b1 = bill(
        &c,
        &[period("2026-08", "1000")],
        &Receivables::default(),
        &[pay("P1", "T-2026-08", "2026-09-20", "1000")],
        None,
    );
    let mut rec = recorded(Receivables::default(), &b1, &["2026-08"]);
    rec.restatement = Some(NoteRequest { reason: "dispute D-4 settled".to_string(), at: "2026-11-20".to_string() });
    let b2 = bill(&c, &[period("2026-08", "1250")], &rec, &b1.payments, None);
    // The closed period's invoice stays as issued, and is not issued again: only the note is.
    assert_eq!(b2.documents.len(), 1);
    assert_eq!(b2.final_documents, b1.documents);
    let note = &b2.documents[0];
    assert_eq!(
        (note.id.as_str(), note.kind, note.issue_date, note.due_date, note.total, note.references.as_str()),
        ("T-2026-08-DN1", DocKind::DebitNote, date("2026-11-20"), date("2026-12-20"), d("250.00"), "T-2026-08")
    );
    // The original was paid in full: no interest on it, none on the note before its due date.
    assert!(b2.interest.is_empty());
    // A lower restatement is a credit note that reduces what is open.
    let b3 = bill(&c, &[period("2026-08", "900")], &rec, &[], None);
    assert_eq!((b3.documents[0].id.as_str(), b3.documents[0].total), ("T-2026-08-CN1", d("-100.00")));
}

/// Taxes: credits reduce the base; rounding per line and per document differ on x.5 cents.
#[test]
fn taxes_per_line_and_per_document() {
    let tax = |rounding: &str| {
        format!("[[tax]]\nname = \"VAT\"\nrate_percent = \"10\"\napplies_to = [\"fee\", \"credit\"]\nrounding = \"{rounding}\"\n")
    };
    let mut p = period("2026-08", "10.05");
    p.invoice.push(InvoiceLine {
        channel: "voice".to_string(),
        item: "handled contacts".to_string(),
        quantity: d("1"),
        rate: d("10.05"),
        amount: d("10.05"),
        clause: "pricing.voice.per_contact".to_string(),
    });
    p.fees = d("20.10");
    p.net_due = d("20.10");
    // Per line: 1.005 → 1.00 (half even) twice = 2.00. Per document: 2.01.
    let c = contract("grace_days = 0\nrestatements = \"next_invoice\"", &tax("line"));
    let b = bill(&c, std::slice::from_ref(&p), &Receivables::default(), &[], None);
    let doc = &b.documents[0];
    assert_eq!((doc.subtotal, doc.tax, doc.total), (d("20.10"), d("2.00"), d("22.10")));
    let c = contract("grace_days = 0\nrestatements = \"next_invoice\"", &tax("document"));
    let b = bill(&c, std::slice::from_ref(&p), &Receivables::default(), &[], None);
    assert_eq!((b.documents[0].tax, b.documents[0].total), (d("2.01"), d("22.11")));
    let line = b.documents[0].lines.last().unwrap();
    assert_eq!((line.line_type, line.quantity.as_str(), line.rate), (LineType::Tax, "20.10", Some(d("10"))));
}

/// 30/360 (bond basis) day counts at month ends.
#[test]
fn thirty_360_day_count() {
    let cases = [
        ("2026-01-31", "2026-02-28", 28), // 31 → 30; Feb 28 stays: 30 - 30 + 28 = 28
        ("2026-01-30", "2026-03-31", 60), // both ends 30
        ("2026-01-15", "2026-02-15", 30),
        ("2026-02-28", "2026-03-31", 33), // start not 30/31: the end's 31 stays
        ("2026-12-31", "2027-01-31", 30),
    ];
    for (a, b, days) in cases {
        assert_eq!(DayCount::Thirty360.days(date(a), date(b)), days, "{a} → {b}");
    }
    assert_eq!(DayCount::Actual360.days(date("2026-01-31"), date("2026-02-28")), 28);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any sequence of monthly runs (each closing the month before), payments and
        /// restatements keeps the statement balanced to the cent, and never charges a span of
        /// interest twice: the spans of each document never overlap.
        #[test]
        fn the_account_balances_and_interest_is_charged_once(
            months in 2usize..7,
            dues in proptest::collection::vec(500u32..5000, 7),
            paid in proptest::collection::vec((0u32..4, 0i64..70, 0u32..120), 12),
            restate_at in proptest::option::of(1usize..6),
            notes in any::<bool>(),
        ) {
            let c = contract(
                &format!("grace_days = 0\nrestatements = \"{}\"", if notes { "notes" } else { "next_invoice" }),
                "[[tax]]\nname = \"VAT\"\nrate_percent = \"20\"\napplies_to = [\"fee\", \"restatement\"]\nrounding = \"document\"\n",
            );
            let labels = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"];
            let mut rec = Receivables::default();
            let mut payments: Vec<PaymentRecord> = Vec::new();
            let mut all_docs: Vec<Document> = Vec::new();
            for m in 0..months {
                // Payments known by this run: against earlier months, at various delays and shares.
                for (k, (target, delay, share)) in paid.iter().enumerate() {
                    let t = *target as usize;
                    if t >= m || k % months != m {
                        continue;
                    }
                    let Some(doc) = all_docs.iter().find(|d| d.id == format!("T-{}", labels[t])) else { continue };
                    let amount = (doc.total * Decimal::from(*share) / Decimal::from(100)).round_dp(2);
                    if amount <= Decimal::ZERO {
                        continue;
                    }
                    let on = doc.due_date + chrono::Duration::days(*delay - 20);
                    payments.push(pay(&format!("P{m}-{k}"), if k % 3 == 0 { "" } else { &doc.id }, &on.to_string(), &amount.to_string()));
                }
                let mut periods = vec![period(labels[m], &dues[m].to_string())];
                // A restatement of the month before (closed), raising or lowering it.
                if restate_at == Some(m) {
                    let prev = labels[m - 1];
                    periods.insert(0, period(prev, &(dues[m - 1] + 100 + 37 * m as u32).to_string()));
                    rec.restatement = Some(NoteRequest { reason: "restated".to_string(), at: format!("{}-15", &labels[m][..7]) });
                    if !notes {
                        rec.adjustments.push(billing::AdjustmentLine {
                            restated_period: prev.to_string(),
                            amount: Decimal::from(100 + 37 * m as u32),
                            reason: "restated".to_string(),
                            clause: format!("restatement #{m}"),
                        });
                    }
                }
                let issue = period::period_end(PeriodKind::Month, NY, periods.last().unwrap().period_start);
                let statement_day = callsla::contract::period_date(&c, issue);
                let b = bill(&c, &periods, &rec, &payments, Some(&statement_day.to_string()));
                for doc in &b.documents {
                    all_docs.retain(|x| x.id != doc.id || rec.final_ids.contains(&x.id));
                    if !all_docs.iter().any(|x| x.id == doc.id) {
                        all_docs.push(doc.clone());
                    }
                }
                let closed: Vec<&str> = labels[..=m].to_vec();
                rec = recorded(rec, &b, &closed[..closed.len().saturating_sub(1)]);
                rec.adjustments.retain(|a| !b.documents.iter().any(|d| d.lines.iter().any(|l| l.clause == a.clause)));
            }
            let terms = AccountTerms::of(&c);
            // Balanced (statement() checks it to the cent and errors otherwise).
            let st = statement(&terms, &rec.documents, &rec.payments, &rec.interest, &[], NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
            prop_assert!(st.is_ok(), "{:?}", st.err());
            let st = st.unwrap();
            prop_assert_eq!(st.balance, st.documents_total - st.payments_total);
            // Each document's charged spans are disjoint, and every charged span is on exactly one document.
            let mut spans: Vec<(String, NaiveDate, NaiveDate)> =
                rec.interest.iter().map(|ch| (ch.document_id.clone(), ch.from, ch.to)).collect();
            spans.sort();
            for w in spans.windows(2) {
                prop_assert!(w[0].0 != w[1].0 || w[0].2 <= w[1].1, "overlapping spans {:?} and {:?}", w[0], w[1]);
            }
            let lines: usize = rec.documents.iter().map(|d| interest_lines(d).len()).sum();
            prop_assert_eq!(lines, rec.interest.len());
        }
    }
}

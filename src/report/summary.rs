//! Plain-text views of an assessment for the terminal: the run summary, `explain` and `diff`.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::assessment::AssessmentFile;

/// The short summary `callsla run` prints: per SLA achieved vs target, status and credit;
/// per period the totals; termination events; reject counts.
pub(crate) fn run_summary(f: &AssessmentFile, out_dir: &str) -> String {
    let a = &f.assessment;
    let cur = &f.contract.currency;
    let mut s = String::new();
    for p in &a.periods {
        let _ = writeln!(s, "{} ({}, terms {})", p.period, p.invoice_id, p.terms_version);
        let rows: Vec<Vec<String>> = p
            .slas
            .iter()
            .map(|r| {
                vec![
                    r.sla_id.clone(),
                    r.metric.clone(),
                    "achieved".to_string(),
                    r.achieved.map(|v| v.to_string()).unwrap_or_else(|| "no data".to_string()),
                    format!("{} {}", r.direction.symbol(), r.target),
                    r.status.as_str().to_string(),
                    "credit".to_string(),
                    r.credit.to_string(),
                    format!("{cur}{}", if r.provisional { " (provisional)" } else { "" }),
                ]
            })
            .collect();
        for line in super::table(&[], &rows, &[3, 7]).lines() {
            let _ = writeln!(s, "  {line}");
        }
        for o in &p.obligations {
            let _ = writeln!(
                s,
                "  {} obligation ({} on {} events): {}, {} breach(es){}; credit {} {cur}{}",
                o.obligation_id,
                o.kind,
                o.event_type,
                o.status,
                o.breaches,
                if o.hours_late > 0 { format!(", {} h late", o.hours_late) } else { String::new() },
                o.credit,
                if o.material_breach { " (material breach)" } else { "" }
            );
        }
        for f in &p.earn_back_forfeited {
            let _ = writeln!(
                s,
                "  earn-back forfeited: {} credit of {} ({} {cur}): {}",
                f.sla_id, f.credit_period, f.amount, f.reason
            );
        }
        let _ = writeln!(
            s,
            "  fees {} {cur}; credits {} − cap {} − earn-back {} = net credit {}{}; net due {} {cur}",
            p.fees,
            p.credits_before_cap,
            p.cap_adjustment.abs(),
            p.earn_back_applied,
            p.net_credit,
            if p.obligation_credits.is_zero() {
                String::new()
            } else {
                format!("; obligation credits {}", p.obligation_credits)
            },
            p.net_due
        );
        if let Some(cov) = f.data.coverage.iter().find(|c| c.period == p.period && !c.partial.is_empty()) {
            let _ = writeln!(s, "  partial period: {}", cov.partial);
        }
        if let Some(d) = f.billing.documents.iter().find(|d| d.id == p.invoice_id) {
            let _ = writeln!(s, "  {}", document_line(d, p.net_due, cur));
        } else if let Some(d) = f.billing.final_documents.iter().find(|d| d.id == p.invoice_id) {
            let _ = writeln!(
                s,
                "  invoice {} is final (the period is closed): issued {} for {} {cur}, not issued again",
                d.id, d.issue_date, d.total
            );
        }
    }
    for d in f.billing.documents.iter().filter(|d| !d.references.is_empty()) {
        let _ = writeln!(
            s,
            "{} {} of {} issued {}, due {}: {} {cur} ({})",
            d.kind.as_str().replace('_', " "),
            d.id,
            d.references,
            d.issue_date,
            d.due_date,
            d.total,
            d.reason
        );
    }
    for e in &a.termination_events {
        let _ = writeln!(
            s,
            "termination right in {}: {} {} (periods {}; {}){}",
            e.period,
            e.sla_id,
            e.trigger,
            e.periods.join(", "),
            e.clause,
            e.right.as_ref().map(standing).unwrap_or_default()
        );
    }
    for e in &f.billing.provider_rights {
        let _ = writeln!(
            s,
            "termination right of the provider: {} ({}){}",
            e.trigger,
            e.clause,
            e.right.as_ref().map(standing).unwrap_or_default()
        );
    }
    if let Some(fc) = &a.convenience {
        let _ = writeln!(
            s,
            "termination for convenience: the {} may end the contract on {} days' notice; fee {} {cur} in contract year {} ({})",
            fc.party, fc.notice_days, fc.fee, fc.contract_year, fc.clause
        );
    }
    for ch in &f.billing.interest {
        let _ = writeln!(
            s,
            "late interest on {}: {} to {}, {} days, {} {cur}, {}",
            ch.document_id,
            ch.from,
            ch.to,
            ch.days,
            ch.amount,
            if ch.charged_on.is_empty() {
                "accrued, not yet charged (no invoice issued since)".to_string()
            } else {
                format!("charged on {}", ch.charged_on)
            }
        );
    }
    for i in &f.billing.payment_issues {
        let _ =
            writeln!(s, "payment {} of {}: {} ({} {cur} unapplied)", i.payment_id, i.paid_date, i.message, i.amount);
    }
    for line in &a.assumptions {
        let _ = writeln!(s, "assumed: {line}");
    }
    for o in &f.data.out_of_scope {
        if let Some(like) = &o.looks_like {
            let _ = writeln!(
                s,
                "warning: queue {} is outside the scope ({} {} contacts not judged) but looks like the contract's queue {} \
                 (Unicode UTS #39); if they are one queue, correct the export or the profile",
                crate::lookalike::spelled(&o.queue),
                o.contacts,
                o.channel,
                crate::lookalike::spelled(like)
            );
        }
    }
    let r = &f.data.reconciliation;
    let _ =
        writeln!(s, "rows: read {}, accepted {}, rejected {}, excluded {}", r.read, r.accepted, r.rejected, r.excluded);
    for (k, v) in &f.data.reject_reasons {
        let _ = writeln!(s, "  rejected {k}: {v}");
    }
    let _ = writeln!(s, "outputs in {out_dir}");
    s
}

/// A period's invoice in one line: the performance's net due, what the document carries for
/// others, tax, and the total — the same figures as invoice.csv and audit.html.
pub(crate) fn document_line(d: &crate::billing::Document, net_due: Decimal, cur: &str) -> String {
    use crate::billing::LineType;
    let sum = |t: LineType| d.lines.iter().filter(|l| l.line_type == t).map(|l| l.amount).sum::<Decimal>();
    let mut parts = format!("invoice {} issued {}, due {}: net due {net_due}", d.id, d.issue_date, d.due_date);
    let restated = sum(LineType::Restatement);
    if !restated.is_zero() {
        parts += &format!(" + restatements {restated}");
    }
    let interest = sum(LineType::LateInterest);
    if !interest.is_zero() {
        parts += &format!(" + late interest {interest}");
    }
    if d.lines.iter().any(|l| l.line_type == LineType::Tax) {
        parts += &format!(" + tax {}", d.tax);
    }
    format!("{parts} = total {} {cur}", d.total)
}

/// `callsla explain`: how one SLA's credit in one period came about, in plain words.
pub fn explain(f: &AssessmentFile, sla: &str, period: &str) -> Option<String> {
    let p = f.assessment.periods.iter().find(|p| p.period == period)?;
    if let Some(o) = p.obligations.iter().find(|o| o.obligation_id == sla) {
        return Some(explain_obligation(o, &p.period, &f.contract.currency));
    }
    let r = p.slas.iter().find(|s| s.sla_id == sla)?;
    let cur = &f.contract.currency;
    let mut s = String::new();
    let _ = writeln!(s, "{} — {} in {} (terms {})", r.sla_id, r.name, p.period, p.terms_version);
    let _ = writeln!(s, "Metric: {} ({})", r.metric, r.definition);
    if r.provisional {
        let _ = writeln!(
            s,
            "Provisional: some contacts' windows or deadlines had not ended at the data's as-of instant ({}); they are left out until they have, so the figure can still change.",
            f.data.as_of
        );
    }
    for (i, step) in r.explanation.iter().enumerate() {
        let _ = writeln!(s, "{}. {step}", i + 1);
    }
    let _ = writeln!(
        s,
        "Status: {}. Credit {} {cur} (base {}, escalation × {}), from clause {}.",
        r.status.as_str(),
        r.credit,
        r.credit_base,
        r.escalation_factor,
        r.clause
    );
    if !r.earn_back.is_zero() {
        let _ = writeln!(s, "Earn-back granted in this period for earlier credits: {} {cur}.", r.earn_back);
    }
    if !r.earn_back_forfeited.is_zero() {
        let _ = writeln!(s, "Earn-back forfeited in this period for earlier credits: {} {cur}.", r.earn_back_forfeited);
    }
    let _ = writeln!(
        s,
        "Period: fees {} {cur}, at-risk amount {} {cur}, credits {} before the cap, cap adjustment {}{}, net due {} {cur}.",
        p.fees,
        p.at_risk_amount,
        p.credits_before_cap,
        p.cap_adjustment,
        if p.obligation_credits.is_zero() {
            String::new()
        } else {
            format!(", obligation credits {} (outside the cap)", p.obligation_credits)
        },
        p.net_due
    );
    Some(s)
}

/// `callsla diff`: per SLA and period what changed in status and money, and the total.
pub fn diff(a: &AssessmentFile, b: &AssessmentFile) -> (String, bool) {
    let mut s = String::new();
    let mut changed = false;
    let mut total_due = Decimal::ZERO;
    let cur = &b.contract.currency;
    for pb in &b.assessment.periods {
        let pa = a.assessment.periods.iter().find(|p| p.period == pb.period);
        for rb in &pb.slas {
            let ra = pa.and_then(|p| p.slas.iter().find(|s| s.sla_id == rb.sla_id));
            match ra {
                Some(ra) if ra.status == rb.status && ra.credit == rb.credit => {}
                Some(ra) => {
                    changed = true;
                    let _ = writeln!(
                        s,
                        "{} {}: {} → {}, achieved {} → {}, credit {} → {} ({:+} {cur})",
                        pb.period,
                        rb.sla_id,
                        ra.status.as_str(),
                        rb.status.as_str(),
                        ra.achieved.map(|v| v.to_string()).unwrap_or_else(|| "no data".into()),
                        rb.achieved.map(|v| v.to_string()).unwrap_or_else(|| "no data".into()),
                        ra.credit,
                        rb.credit,
                        rb.credit - ra.credit
                    );
                }
                None => {
                    changed = true;
                    let _ = writeln!(
                        s,
                        "{} {}: only in B ({}, credit {})",
                        pb.period,
                        rb.sla_id,
                        rb.status.as_str(),
                        rb.credit
                    );
                }
            }
        }
        let due_a = pa.map_or(Decimal::ZERO, |p| p.net_due);
        if due_a != pb.net_due {
            changed = true;
            let _ = writeln!(s, "{} net due: {} → {} ({:+} {cur})", pb.period, due_a, pb.net_due, pb.net_due - due_a);
        }
        total_due += pb.net_due - due_a;
    }
    for pa in &a.assessment.periods {
        if !b.assessment.periods.iter().any(|p| p.period == pa.period) {
            changed = true;
            let _ = writeln!(s, "{}: only in A (net due {})", pa.period, pa.net_due);
            total_due -= pa.net_due;
        }
    }
    if !changed {
        s += "no differences\n";
    }
    let _ = writeln!(s, "total difference in net due: {total_due:+} {cur}");
    (s, changed)
}

/// `explain` for an obligation: each event judged, then the status and the credit.
fn explain_obligation(o: &crate::rules::obligation::ObligationResult, period: &str, cur: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} — {} in {} ({} obligation on {} events)",
        o.obligation_id, o.name, period, o.kind, o.event_type
    );
    for e in &o.events {
        let _ = writeln!(
            s,
            "- {}: {}{}{}{}{}",
            e.event_id,
            e.from,
            if e.deadline.is_empty() { String::new() } else { format!(", deadline {}", e.deadline) },
            if e.to.is_empty() { String::new() } else { format!(", then {}", e.to) },
            if e.late { format!(": {} h late", e.hours_late) } else { String::new() },
            if e.note.is_empty() { String::new() } else { format!(" ({})", e.note) }
        );
    }
    for (i, step) in o.explanation.iter().enumerate() {
        let _ = writeln!(s, "{}. {step}", i + 1);
    }
    let _ = writeln!(
        s,
        "Status: {}{}. Credit {} {cur} (base {}), from clause {}.",
        o.status,
        if o.material_breach { ", a material breach" } else { "" },
        o.credit,
        o.credit_base,
        o.clause
    );
    s
}

/// A right's standing in words: who, whether it stands, from when.
pub(crate) fn standing(r: &crate::rules::Right) -> String {
    let d = |x: Option<chrono::NaiveDate>| x.map(|v| v.to_string()).unwrap_or_default();
    match r.status.as_str() {
        "arisen" => format!(
            " — the {}'s right from {}{}, effective at the earliest {}",
            r.party,
            d(r.arises_on),
            r.cure_deadline.map(|c| format!(" (not cured by {c})")).unwrap_or_default(),
            d(r.effective_from)
        ),
        "cured" => format!(" — cured within the cure period (by {}): no right", d(r.cure_deadline)),
        "in_cure" => format!(" — in its cure period until {}", d(r.cure_deadline)),
        _ => " — no breach notice given yet: the cure period has not started".to_string(),
    }
}

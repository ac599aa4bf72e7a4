//! The statement of account for people (a table) and for ledger systems (CSV).

use std::fmt::Write as _;

use crate::billing::statement::Statement;

/// The statements as plain text: entries with the running balance, open items, ageing, and
/// interest accrued but not yet charged.
pub(crate) fn table(statements: &[Statement]) -> String {
    let mut s = String::new();
    for st in statements {
        let cur = &st.currency;
        let _ = writeln!(s, "statement of account {} as of {} ({cur})", st.contract_id, st.as_of);
        let entries: Vec<Vec<String>> = st
            .entries
            .iter()
            .map(|e| {
                vec![
                    e.date.to_string(),
                    e.kind.to_string(),
                    e.id.clone(),
                    e.amount.to_string(),
                    e.balance.to_string(),
                    e.description.clone(),
                ]
            })
            .collect();
        s += &super::table(&["date", "kind", "id", "amount", "balance", "description"], &entries, &[3, 4]);
        let _ = writeln!(
            s,
            "documents {} − payments {} = balance {} {cur}",
            st.documents_total, st.payments_total, st.balance
        );
        let _ = writeln!(s, "open items:");
        let open: Vec<Vec<String>> = st
            .open_items
            .iter()
            .map(|o| {
                vec![
                    format!("  {}", o.id),
                    o.kind.to_string(),
                    format!("due {}", o.due_date.map(|d| d.to_string()).unwrap_or_else(|| "-".to_string())),
                    format!("{} days past due", o.days_past_due),
                    o.bucket.to_string(),
                    o.open.to_string(),
                ]
            })
            .collect();
        s += &super::table(&[], &open, &[3, 5]);
        let ageing: Vec<String> = st.ageing.iter().map(|(b, v)| format!("{b} {v}")).collect();
        let _ = writeln!(s, "ageing: {}", ageing.join("; "));
        for d in &st.disputes_open {
            let _ = writeln!(
                s,
                "dispute #{} open on {}: {} {cur}{}, stage {} until {}{}",
                d.id,
                d.document_id,
                d.amount,
                if d.held { " held from late interest" } else { "" },
                d.stage,
                d.deadline.map(|x| x.to_string()).unwrap_or_default(),
                if d.overdue { " (overdue)" } else { "" }
            );
        }
        for ch in &st.interest_accrued_not_charged {
            let _ = writeln!(
                s,
                "interest accrued, not yet charged (not in the balance): {} {} to {}, {} days, {} {cur}",
                ch.document_id, ch.from, ch.to, ch.days, ch.amount
            );
        }
        s.push('\n');
    }
    s
}

/// The statements as CSV: one row per entry, then one per open item (`section` tells which),
/// so a ledger system can reconcile line by line.
pub(crate) fn csv(statements: &[Statement]) -> Result<String, csv::Error> {
    let mut w = crate::util::SafeCsv::from_writer(Vec::new());
    w.write_record([
        "contract_id",
        "as_of",
        "section",
        "date",
        "kind",
        "id",
        "description",
        "amount",
        "balance",
        "due_date",
        "days_past_due",
        "bucket",
        "currency",
    ])?;
    for st in statements {
        let base = |section: &str| vec![st.contract_id.clone(), st.as_of.to_string(), section.to_string()];
        for e in &st.entries {
            let mut r = base("entry");
            r.extend([
                e.date.to_string(),
                e.kind.clone(),
                e.id.clone(),
                e.description.clone(),
                e.amount.to_string(),
                e.balance.to_string(),
                String::new(),
                String::new(),
                String::new(),
                st.currency.clone(),
            ]);
            w.write_record(&r)?;
        }
        for o in &st.open_items {
            let mut r = base("open_item");
            r.extend([
                String::new(),
                o.kind.clone(),
                o.id.clone(),
                String::new(),
                o.open.to_string(),
                String::new(),
                o.due_date.map(|d| d.to_string()).unwrap_or_default(),
                o.days_past_due.to_string(),
                o.bucket.clone(),
                st.currency.clone(),
            ]);
            w.write_record(&r)?;
        }
    }
    let bytes = w.into_inner()?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

//! The statement of account for people (a table) and for ledger systems (CSV).

use super::finance::Cell;
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

/// Columns of the statement as CSV (and of its workbook sheets).
pub(crate) const COLUMNS: [&str; 13] = [
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
];

/// The statements as CSV: one row per entry, then one per open item (`section` tells which),
/// so a ledger system can reconcile line by line.
pub(crate) fn csv(statements: &[Statement]) -> Result<String, std::io::Error> {
    let rows: Vec<[Cell; 13]> = statements.iter().flat_map(rows).collect();
    let mut out = Vec::new();
    super::finance::write_rows(COLUMNS, &rows, &mut out)?;
    String::from_utf8(out).map_err(std::io::Error::other)
}

/// One statement's rows: its entries, then its open items.
pub(crate) fn rows(st: &Statement) -> Vec<[Cell; 13]> {
    let text = |s: &str| Cell::Text(s.to_string());
    let mut rows = Vec::new();
    for e in &st.entries {
        rows.push([
            text(&st.contract_id),
            Cell::Date(st.as_of),
            text("entry"),
            Cell::Date(e.date),
            text(&e.kind),
            text(&e.id),
            text(&e.description),
            Cell::Number(Some(e.amount)),
            Cell::Number(Some(e.balance)),
            text(""),
            text(""),
            text(""),
            text(&st.currency),
        ]);
    }
    for o in &st.open_items {
        rows.push([
            text(&st.contract_id),
            Cell::Date(st.as_of),
            text("open_item"),
            text(""),
            text(&o.kind),
            text(&o.id),
            text(""),
            Cell::Number(Some(o.open)),
            text(""),
            o.due_date.map_or_else(|| text(""), Cell::Date),
            Cell::Number(Some(rust_decimal::Decimal::from(o.days_past_due))),
            text(&o.bucket),
            text(&st.currency),
        ]);
    }
    rows
}

//! Reports: render what the other stages computed, for people and for other programs.
//! Nothing here computes a figure; it only formats.

pub mod audit;
pub(crate) mod chart;
pub mod finance;
pub mod metrics;
pub mod portfolio;
pub mod statement;
pub mod summary;
pub(crate) mod workbook;

/// A plain terminal table: a header row (none when `head` is empty) and body rows, columns
/// separated by two spaces and aligned by display width, the columns listed in `right`
/// (numbers) aligned right, trailing spaces trimmed, each line ended by `\n`.
pub(crate) fn table(head: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    use comfy_table::{CellAlignment, ContentArrangement, Table, TableStyle};
    let mut t = Table::new();
    t.load_style(TableStyle::new()).set_content_arrangement(ContentArrangement::Disabled);
    if !head.is_empty() {
        t.set_header(head.iter().copied());
    }
    for r in rows {
        t.add_row(r.iter().map(String::as_str));
    }
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding((0, 2));
        if right.contains(&i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = String::new();
    for line in t.lines() {
        out += line.trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aligns_by_display_width_and_right_aligns_numbers() {
        let rows = vec![
            vec!["Zürich".to_string(), "1.50".to_string(), "x".to_string()],
            vec!["a-much-longer-name".to_string(), "-1234.00".to_string(), String::new()],
        ];
        let got = super::table(&["name", "amount", "note"], &rows, &[1]);
        let want = "name                  amount  note\n\
                    Zürich                  1.50  x\n\
                    a-much-longer-name  -1234.00\n";
        assert_eq!(got, want);
        assert_eq!(super::table(&[], &rows[..1], &[]), "Zürich  1.50  x\n");
    }
}

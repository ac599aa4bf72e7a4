//! `invoice.xlsx`: the finance files as a workbook (rust_xlsxwriter), for finance teams that
//! open files in Excel. One sheet "SLA results" (the rows of `sla_results.csv`) and one sheet
//! per document the run issues (the rows of `invoice.csv` for that document, then its total).
//!
//! Cells are typed: decimal figures are number cells, issue and due dates date cells
//! (`yyyy-mm-dd`), counts integers, everything else text cells — written as text, so a value
//! that begins with `=` is never a formula. Totals are values, not formulas. Excel holds every
//! number as an IEEE double: a figure with at most 15 significant digits (every amount callsla
//! bounds) is the double nearest its decimal, shown and read back as exactly that decimal; a
//! figure with more digits is written as a text cell rather than lose one. Header rows are
//! frozen and filtered. The workbook is the same bytes for the same assessment: its creation
//! date is the latest issue date of its documents (else the first period's start), never the
//! clock, and the ZIP entries carry a fixed time.

use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::finance::{invoice_rows, sla_rows, zone, Cell, INVOICE_COLUMNS, SLA_COLUMNS};
use crate::assessment::AssessmentFile;
use crate::billing::statement::Statement;

/// The most significant digits an IEEE double carries exactly through decimal text (DBL_DIG).
const EXACT_DIGITS: u32 = 15;

/// Whether a decimal survives a double unchanged: at most 15 significant digits.
fn fits_a_double(d: Decimal) -> bool {
    let digits = d.normalize().mantissa().unsigned_abs().checked_ilog10().map_or(1, |l| l + 1);
    digits <= EXACT_DIGITS
}

struct Formats {
    header: Format,
    date: Format,
    total: Format,
}

fn formats() -> Formats {
    Formats {
        header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        total: Format::new().set_bold().set_border_top(FormatBorder::Thin),
    }
}

/// `statement --format xlsx`: one sheet per contract's statement (named by the contract id),
/// the rows of the statement as CSV, then its balance as a value. Created on the latest as-of
/// date.
pub(crate) fn statement(statements: &[Statement], engine: &str) -> Result<Vec<u8>, XlsxError> {
    let formats = formats();
    let mut book = Workbook::new();
    let created = statements.iter().map(|s| s.as_of).max().unwrap_or_default();
    book.set_properties(
        &DocProperties::new()
            .set_title("Statement of account")
            .set_author(engine)
            .set_creation_datetime(&excel_date(created).or_else(|_| ExcelDateTime::from_ymd(1980, 1, 1))?),
    );
    let mut names = Vec::new();
    for st in statements {
        let sheet = book.add_worksheet();
        sheet.set_name(unique_name(&st.contract_id, &mut names))?;
        let rows = super::statement::rows(st);
        write_table(sheet, &super::statement::COLUMNS, &rows, &formats)?;
        let last = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
        let at =
            |name: &str| super::statement::COLUMNS.iter().position(|c| *c == name).and_then(|i| u16::try_from(i).ok());
        if let (Some(label), Some(amount)) = (at("description"), at("balance")) {
            sheet.write_string_with_format(last, label, "balance", &formats.total)?;
            write_cell(sheet, last, amount, &Cell::Number(Some(st.balance)), &formats, Some(&formats.total))?;
        }
    }
    book.save_to_buffer()
}

/// Renders the workbook.
pub(crate) fn render(f: &AssessmentFile) -> Result<Vec<u8>, XlsxError> {
    let formats = formats();
    let mut book = Workbook::new();
    let created = f
        .billing
        .documents
        .iter()
        .map(|d| d.issue_date)
        .max()
        .or_else(|| {
            let first = f.assessment.periods.first()?;
            chrono::DateTime::from_timestamp_micros(first.period_start).map(|t| t.with_timezone(&zone(f)).date_naive())
        })
        .unwrap_or_default();
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("Invoices and SLA results, contract {}", f.contract.id))
            .set_author(f.engine.clone())
            .set_creation_datetime(&excel_date(created).or_else(|_| ExcelDateTime::from_ymd(1980, 1, 1))?),
    );
    let mut names: Vec<String> = Vec::new();
    let sheet = book.add_worksheet();
    sheet.set_name(unique_name("SLA results", &mut names))?;
    write_table(sheet, &SLA_COLUMNS, &sla_rows(f), &formats)?;
    for d in &f.billing.documents {
        let sheet = book.add_worksheet();
        sheet.set_name(unique_name(&d.id, &mut names))?;
        let rows = invoice_rows(d);
        write_table(sheet, &INVOICE_COLUMNS, &rows, &formats)?;
        // The document's total under its lines, as a value.
        let last = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
        let at = |name: &str| INVOICE_COLUMNS.iter().position(|c| *c == name).and_then(|i| u16::try_from(i).ok());
        if let (Some(label), Some(amount)) = (at("description"), at("amount")) {
            sheet.write_string_with_format(last, label, "document total", &formats.total)?;
            write_cell(sheet, last, amount, &Cell::Number(Some(d.total)), &formats, Some(&formats.total))?;
        }
    }
    book.save_to_buffer()
}

fn write_table<const N: usize>(
    sheet: &mut Worksheet,
    columns: &[&str; N],
    rows: &[[Cell; N]],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, name) in columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, c, *name, &formats.header)?;
        let width = match *name {
            "description" | "definition" | "sla_name" | "clause" => 40.0,
            "period_start" | "period_end" | "document_id" | "references" => 26.0,
            _ => 14.0,
        };
        sheet.set_column_width(c, width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            write_cell(sheet, r, u16::try_from(c).unwrap_or(u16::MAX), cell, formats, None)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, u16::try_from(N.saturating_sub(1)).unwrap_or(u16::MAX))?;
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell,
    formats: &Formats,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    let plain = Format::new();
    let format = format.unwrap_or(&plain);
    match cell {
        Cell::Text(t) if t.is_empty() => {}
        Cell::Text(t) => {
            sheet.write_string_with_format(r, c, t, format)?;
        }
        Cell::Number(None) => {}
        // The decimal's own text, parsed once into the nearest double (never arithmetic).
        Cell::Number(Some(d)) if fits_a_double(*d) => match d.to_string().parse::<f64>() {
            Ok(v) => {
                sheet.write_number_with_format(r, c, v, format)?;
            }
            Err(_) => {
                sheet.write_string_with_format(r, c, d.to_string(), format)?;
            }
        },
        Cell::Number(Some(d)) => {
            sheet.write_string_with_format(r, c, d.to_string(), format)?;
        }
        // Excel's dates start in 1900; an earlier one stays text.
        Cell::Date(d) => match excel_date(*d) {
            Ok(date) => {
                sheet.write_date_with_format(r, c, &date, &formats.date)?;
            }
            Err(_) => {
                sheet.write_string_with_format(r, c, d.to_string(), format)?;
            }
        },
        Cell::Count(n) => {
            // Counts up to 2^53 are exact doubles; beyond, as text.
            if *n < (1u64 << 53) {
                sheet.write_number_with_format(r, c, *n as f64, format)?;
            } else {
                sheet.write_string_with_format(r, c, n.to_string(), format)?;
            }
        }
    }
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike as _;
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        u8::try_from(d.month()).unwrap_or(1),
        u8::try_from(d.day()).unwrap_or(1),
    )
}

/// A sheet name Excel accepts, unique in the workbook: at most 31 characters, none of
/// `[]:*?/\` (each becomes `_`), not starting or ending with `'`; a repeated name gets `~2`, `~3`…
fn unique_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String =
        wanted.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
    let clean = clean.trim_matches('\'');
    let base: String = if clean.is_empty() { "sheet".to_string() } else { clean.chars().take(31).collect() };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        let suffix = format!("~{n}");
        name = base.chars().take(31 - suffix.len()).collect::<String>() + &suffix;
        n += 1;
    }
    taken.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_beyond_fifteen_digits_are_not_numbers() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert!(fits_a_double(d("999999999999.99")));
        assert!(fits_a_double(d("0.00")));
        assert!(fits_a_double(d("-29497.88")));
        assert!(fits_a_double(d("1.500000000000000000")));
        assert!(!fits_a_double(d("1234567890123.456")));
        // The nearest double's shortest text is the decimal itself.
        assert_eq!(format!("{}", "999999999999.99".parse::<f64>().unwrap_or_default()), "999999999999.99");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(unique_name("SLA results", &mut taken), "SLA results");
        assert_eq!(unique_name("sla results", &mut taken), "sla results~2");
        assert_eq!(unique_name("'A/B:C'", &mut taken), "A_B_C");
        let long = "X".repeat(40);
        assert_eq!(unique_name(&long, &mut taken), "X".repeat(31));
        assert_eq!(unique_name(&long, &mut taken), "X".repeat(29) + "~2");
    }
}

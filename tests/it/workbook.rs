//! `invoice.xlsx` (issue 20): read back from its ZIP package, every amount, date and text cell
//! is the one `invoice.csv` and `sla_results.csv` hold; numbers and dates are typed cells, no
//! cell is a formula (formula text from the logs stays text), totals are values, and the file
//! is the same bytes for the same inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::io::Read as _;

use common::*;

/// The package's parts by name.
fn parts(path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().unwrap().to_string(), text)
        })
        .collect()
}

/// The cells of a sheet: reference → (type attribute, style attribute, value).
fn cells(xml: &str) -> std::collections::BTreeMap<String, (String, String, String)> {
    let attr = |tag: &str, name: &str| {
        tag.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next()).unwrap_or("").to_string()
    };
    xml.split("<c ")
        .skip(1)
        .map(|c| {
            let tag = format!(" {}", c.split('>').next().unwrap());
            let tag = tag.as_str();
            let value = c.split("<v>").nth(1).and_then(|v| v.split("</v>").next()).unwrap_or("").to_string();
            (attr(tag, "r"), (attr(tag, "t"), attr(tag, "s"), value))
        })
        .collect()
}

fn shared_strings(xml: &str) -> Vec<String> {
    xml.split("<si>")
        .skip(1)
        .map(|si| {
            si.split("<t")
                .nth(1)
                .and_then(|t| t.split_once('>'))
                .map(|(_, rest)| rest.split("</t>").next().unwrap_or("").to_string())
                .unwrap_or_default()
        })
        .collect()
}

fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = String::new();
    while n > 0 {
        s.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

#[test]
fn the_workbook_holds_the_finance_files_as_typed_cells() {
    let t = TempDir::new("xlsx");
    // A description with formula text: the sample's billing queue renamed in contract and log.
    let evil = "=HYPERLINK(\"http://x\",\"y\")";
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let c = t.write(
        "contract.toml",
        &contract.replacen(
            "name = \"Voice service level",
            &format!("name = \"{} Voice service level", evil.replace('"', "\\\"")),
            1,
        ),
    );
    let (a, b) = (t.path("a"), t.path("b"));
    for out in [&a, &b] {
        let r = callsla_in_repo(&sample_run_args(s(&c), s(out)));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let xlsx = a.join("invoice.xlsx");
    assert_eq!(std::fs::read(&xlsx).unwrap(), std::fs::read(b.join("invoice.xlsx")).unwrap(), "same bytes");
    let v = callsla_in_repo(&["verify", s(&a)]);
    assert_eq!(v.code, 0, "{}", v.stderr);

    let parts = parts(&xlsx);
    let strings = shared_strings(&parts["xl/sharedStrings.xml"]);
    let workbook = &parts["xl/workbook.xml"];
    let invoice = std::fs::read_to_string(a.join("invoice.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(invoice.as_bytes());
    let head: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let mut docs: Vec<String> = records.iter().map(|r| r[1].to_string()).collect();
    docs.dedup();
    assert_eq!(docs.len(), 3);
    // Sheets: the SLA results, then one per document, in issue order.
    let names: Vec<&str> = workbook.split("<sheet name=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(names[0], "SLA results");
    assert_eq!(names[1..], docs.iter().map(String::as_str).collect::<Vec<_>>()[..]);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    for (k, doc) in docs.iter().enumerate() {
        let sheet = cells(&parts[&format!("xl/worksheets/sheet{}.xml", k + 2)]);
        let lines: Vec<&csv::StringRecord> = records.iter().filter(|r| &r[1] == doc).collect();
        for (i, line) in lines.iter().enumerate() {
            let row = i + 2;
            let at = |name: &str| sheet.get(&format!("{}{row}", column_letter(col(name)))).cloned();
            // Amounts: number cells holding the CSV's decimal exactly (trailing zeros aside).
            let (kind, _, value) = at("amount").unwrap();
            assert_eq!(kind, "", "a number cell");
            let want: rust_decimal::Decimal = line[col("amount")].parse().unwrap();
            assert_eq!(value.parse::<rust_decimal::Decimal>().unwrap(), want, "{doc} line {}", i + 1);
            assert_eq!(value, want.normalize().to_string());
            // Dates: serial day numbers with a date style.
            let (kind, style, value) = at("issue_date").unwrap();
            assert_eq!(kind, "");
            assert_ne!(style, "");
            let issued = chrono::NaiveDate::parse_from_str(&line[col("issue_date")], "%Y-%m-%d").unwrap();
            let serial = (issued - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
            assert_eq!(value, serial.to_string());
            // Text: shared strings, exactly the CSV's (which neutralises formula text with ').
            for name in ["description", "line_type", "sla_id", "clause"] {
                match at(name) {
                    None => assert_eq!(&line[col(name)], "", "{doc} {name}: an empty text is no cell"),
                    Some((kind, _, value)) => {
                        assert_eq!(kind, "s");
                        let text =
                            strings[value.parse::<usize>().unwrap()].replace("&amp;", "&").replace("&quot;", "\"");
                        assert_eq!(line[col(name)].trim_start_matches('\''), text);
                    }
                }
            }
        }
        // The total under the lines, a value.
        let total_row = lines.len() + 2;
        let (_, _, total) = sheet[&format!("{}{total_row}", column_letter(col("amount")))].clone();
        assert_eq!(total.parse::<rust_decimal::Decimal>().unwrap(), lines[0][col("document_total")].parse().unwrap());
    }
    // No formula anywhere; the contract's formula text is a text cell.
    for (name, xml) in &parts {
        assert!(!xml.contains("<f>") && !xml.contains("<f "), "{name} holds a formula");
    }
    assert!(strings.iter().any(|s| s.contains("HYPERLINK")), "the formula text is kept as text");
    // The workbook names no customer.
    assert!(!parts.values().any(|x| x.contains("+1-555")));
}

/// `statement --format xlsx --out F`: one sheet per contract with the statement's rows (the
/// same as its CSV) and the balance under them as a value; without `--out` it is refused.
#[test]
fn the_statement_of_account_as_a_workbook() {
    let t = TempDir::new("xlsx-statement");
    let dir = sample_project(&t);
    let mut main = sample_run_args("sample-data/contract.toml", "out");
    main.retain(|a| *a != "--no-ledger");
    let r = callsla_with(&main, Some(&dir), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = ["statement", "--as-of", "2026-12-15"];
    let r = callsla_with(&[&st[..], &["--format", "xlsx"]].concat(), Some(&dir), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("give --out FILE.xlsx"), "{}", r.stderr);
    let r = callsla_with(&[&st[..], &["--format", "xlsx", "--out", "st.xlsx"]].concat(), Some(&dir), &[]);
    assert_eq!(r.stdout, "wrote the statement of account as of 2026-12-15 to st.xlsx\n", "{}", r.stderr);
    let csv = callsla_with(&[&st[..], &["--format", "csv"]].concat(), Some(&dir), &[]).stdout;
    let parts = parts(&dir.join("st.xlsx"));
    assert!(parts["xl/workbook.xml"].contains("<sheet name=\"ACME-CONTOSO\""));
    let sheet = cells(&parts["xl/worksheets/sheet1.xml"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let amount = column_letter(head.iter().position(|h| h == "amount").unwrap());
    for (i, rec) in records.iter().enumerate() {
        let (_, _, v) = &sheet[&format!("{amount}{}", i + 2)];
        assert_eq!(v.parse::<rust_decimal::Decimal>().unwrap(), rec[7].parse::<rust_decimal::Decimal>().unwrap());
    }
    let balance = column_letter(head.iter().position(|h| h == "balance").unwrap());
    assert_eq!(sheet[&format!("{balance}{}", records.len() + 2)].2, "43755.26");
    // The same bytes again.
    let before = std::fs::read(dir.join("st.xlsx")).unwrap();
    callsla_with(&[&st[..], &["--format", "xlsx", "--out", "st.xlsx"]].concat(), Some(&dir), &[]);
    assert_eq!(std::fs::read(dir.join("st.xlsx")).unwrap(), before);
}

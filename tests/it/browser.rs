//! audit.html in a real browser: headless Chromium renders the page and the test reads the
//! rendered DOM. Chromium comes from Debian's `chromium` package (installed by .ci/run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install Debian's chromium package (.ci/run does)");
        eprintln!("SKIPPED: no chromium on PATH; install Debian's `chromium` to run the browser test");
    }
    found
}

/// Chromium, headless, on `page` with `action` (`--dump-dom`, `--screenshot=…`, …); its stdout.
fn headless(browser: &Path, page: &Path, profile: &Path, action: &str) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,1600",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM after Chromium has parsed and laid out the page.
fn rendered_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    headless(browser, page, profile, "--dump-dom")
}

/// Layout as laid out at 1280 px: a test-only copy of the page with a script that measures
/// the charts, their text and the SLA ids and writes the findings into the DOM (the page
/// itself never carries a script).
fn layout(browser: &Path, page: &Path, profile: &Path) -> Vec<String> {
    const MEASURE: &str = r#"<script>
const r = [];
document.querySelectorAll('svg.sla-chart, svg.waterfall').forEach(s => {
  const b = s.getBoundingClientRect();
  r.push('svg ' + (s.dataset.sla || s.dataset.period) + ' ' + Math.round(b.width) + ' ' + Math.round(b.height));
});
let small = 0;
document.querySelectorAll('svg text').forEach(t => { if (t.getBoundingClientRect().height < 11) small++; });
r.push('small-text ' + small);
document.querySelectorAll('td.id a').forEach(a => { if (a.getClientRects().length > 1) r.push('wrapped ' + a.textContent); });
const pre = document.createElement('pre'); pre.id = 'layout'; pre.textContent = r.join('\n');
document.body.appendChild(pre);
</script>"#;
    let html = std::fs::read_to_string(page).unwrap().replace("</body>", &format!("{MEASURE}</body>"));
    let copy = page.with_file_name("measured.html");
    std::fs::write(&copy, html).unwrap();
    let dom = rendered_dom(browser, &copy, profile);
    let start = dom.find("<pre id=\"layout\">").expect("the measuring script ran") + "<pre id=\"layout\">".len();
    dom[start..start + dom[start..].find("</pre>").unwrap()].lines().map(str::to_string).collect()
}

#[test]
fn audit_page_renders_tables_charts_and_reconciliation_and_escapes_input() {
    let Some(browser) = chromium() else { return };
    let t = TempDir::new("browser");
    // A queue name that is HTML: it must render as text, never run.
    let evil = "<script>document.title='pwned'</script>";
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml"))
        .unwrap()
        .replace("\"retention\"", &format!("\"{evil}\""));
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv"))
        .unwrap()
        .replace(",retention,", &format!(",{evil},"));
    let forecast =
        std::fs::read_to_string(repo("sample-data/forecast.csv")).unwrap().replace(",retention,", &format!(",{evil},"));
    let (c, l) = (t.write("contract.toml", &contract), t.write("log.csv", &log));
    let f = t.write("forecast.csv", &forecast);
    let out = t.path("out");
    let run = callsla(&[
        "run",
        "--contract",
        s(&c),
        "--input",
        s(&l),
        "--outages",
        s(&repo("sample-data/outages.csv")),
        "--forecast",
        s(&f),
        "--payments",
        s(&repo("sample-data/payments.csv")),
        "--events",
        s(&repo("sample-data/events.csv")),
        "--qa",
        s(&repo("sample-data/qa.csv")),
        "--agent-hours",
        s(&repo("sample-data/agent_hours.csv")),
        "--no-ledger",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = out.join("audit.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "the page must not carry scripts");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external resources");

    let dom = rendered_dom(&browser, &page, &t.path("chromium-profile"));
    assert!(dom.contains("<title>SLA assessment ACME-CONTOSO</title>"), "title changed: a script ran?");
    assert!(dom.contains("id=\"sla-table\""));
    assert!(dom.contains("id=\"reconciliation\""));
    assert!(dom.contains("id=\"reconciliation-table\""));
    assert!(dom.contains("id=\"inputs-table\""));
    let charts = dom.matches("class=\"sla-chart\"").count();
    assert_eq!(charts, 14, "one chart per SLA");
    for id in 1..=8 {
        assert!(dom.contains(&format!("data-sla=\"SL-{id}\"")), "chart for SL-{id}");
    }
    assert_eq!(dom.matches("class=\"waterfall\"").count(), 3, "one waterfall per period");
    // Read as a person reads it (issue 20): every chart has a legend, gridlines with unit
    // labels, the target line and, for SL-1, the minimum with its bands; a zero is never -0.00;
    // the pooled queue is said in words; the SLAs cite the contract's clauses; a glossary
    // explains each metric; the page prints cleanly.
    assert_eq!(dom.matches("class=\"legend\"").count(), 14, "a legend per chart");
    assert!(dom.matches("class=\"grid\"").count() >= 14 * 4, "gridlines");
    assert!(dom.contains(">80 %</text>") || dom.contains(">80 %<"), "y-axis labels carry the unit");
    assert!(dom.contains("class=\"band-shortfall\"") && dom.contains("class=\"minimum\""));
    assert!(!dom.contains("-0.00"), "a zero shown as -0.00");
    assert!(dom.contains("<td>all queues</td>"), "the pooled queue named in words");
    assert!(dom.contains("Schedule 3, §2.1"), "the SLA's clause label");
    assert!(dom.contains("id=\"glossary\"") && dom.contains("id=\"metric-service_level\""));
    assert!(dom.contains("Average speed of answer"), "the glossary's meaning of asa");
    assert!(html.contains("@media print"), "a print stylesheet");
    // The drill-down by queue of a pooled SLA.
    let sl1 = &dom[dom.find("id=\"sla-SL-1\"").unwrap()..];
    let sl1 = &sl1[..sl1.find("</section>").unwrap()];
    assert!(sl1.contains("class=\"by-queue\"") && sl1.contains("<td>technical</td>"), "SL-1 by queue");
    let measured = layout(&browser, &page, &t.path("chromium-profile-2"));
    for l in measured.iter().filter(|l| l.starts_with("svg ")) {
        let f: Vec<&str> = l.split(' ').collect();
        let (w, h): (u32, u32) = (f[2].parse().unwrap(), f[3].parse().unwrap());
        assert!(w >= 640 && h >= 200, "a chart drawn too small: {l}");
    }
    assert_eq!(measured.iter().filter(|l| l.starts_with("svg ")).count(), 14 + 3, "{measured:?}");
    assert!(measured.contains(&"small-text 0".to_string()), "chart text under 11 px: {measured:?}");
    assert!(!measured.iter().any(|l| l.starts_with("wrapped ")), "an SLA id wraps: {measured:?}");
    // It prints to a PDF, and a screenshot is written for the docs (UPDATE_GOLDEN=1 refreshes
    // docs/audit.png).
    let pdf = t.path("audit.pdf");
    headless(&browser, &page, &t.path("chromium-profile-3"), &format!("--print-to-pdf={}", pdf.display()));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 20_000, "{} bytes", bytes.len());
    let png = if std::env::var_os("UPDATE_GOLDEN").is_some() { repo("docs/audit.png") } else { t.path("audit.png") };
    // The evidence section (a copy of the page from its heading on): the first SLAs' charts
    // and how their credits came about.
    // Of the sample as it is (the page above has a hostile queue name).
    let plain = t.path("plain");
    let r = callsla_in_repo(&sample_run_args("sample-data/contract.toml", s(&plain)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html_text = std::fs::read_to_string(plain.join("audit.html")).unwrap();
    let (body, evidence) = (html_text.find("<body>").unwrap() + 6, html_text.find("<h2 id=\"evidence\"").unwrap());
    let shot = t.path("evidence.html");
    std::fs::write(&shot, format!("{}{}", &html_text[..body], &html_text[evidence..])).unwrap();
    headless(&browser, &shot, &t.path("chromium-profile-4"), &format!("--screenshot={}", png.display()));
    let png = std::fs::read(&png).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "a blank screenshot ({} bytes)", png.len());
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the queue name is shown as text");
    assert!(!dom.contains("<script>document.title"), "the queue name became markup");
}

/// The portfolio page (`callsla report`) in Chromium: the heat map and the money chart render,
/// no script runs, and the screenshot for the README is written (`UPDATE_GOLDEN=1` refreshes
/// docs/portfolio.png).
#[test]
fn portfolio_page_renders_the_heat_map() {
    let Some(browser) = chromium() else { return };
    let t = TempDir::new("browser-portfolio");
    let db = t.path("acme.db");
    let mut runs = Vec::new();
    for m in ["2026-08", "2026-09", "2026-10"] {
        let out = t.path(m);
        let mut args = sample_run_args("sample-data/contract.toml", s(&out));
        args.retain(|a| *a != "--no-ledger");
        let (db, out_s) = (s(&db).to_string(), s(&out).to_string());
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.extend(["--period".into(), m.into(), "--ledger".into(), db]);
        let r = callsla_in_repo(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{}", r.stderr);
        runs.push(out_s);
    }
    let page = t.path("portfolio.html");
    let mut args = vec!["report", "--ledger", s(&db), "--out", s(&page), "--runs"];
    args.extend(runs.iter().map(String::as_str));
    let r = callsla(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dom = rendered_dom(&browser, &page, &t.path("chromium-profile"));
    assert!(dom.contains("<title>SLA portfolio</title>"));
    assert!(dom.contains("class=\"heatmap\"") && dom.contains("class=\"money-chart\""));
    assert_eq!(dom.matches("<td class=\"heat ").count(), 14 * 3);
    assert!(dom.contains("2026-08/audit.html"), "links to the audit pages");
    let png = if std::env::var_os("UPDATE_GOLDEN").is_some() { repo("docs/portfolio.png") } else { t.path("p.png") };
    headless(&browser, &page, &t.path("chromium-profile-2"), &format!("--screenshot={}", png.display()));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 30_000, "a blank screenshot ({} bytes)", bytes.len());
}

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

/// The DOM after Chromium has parsed and laid out the page.
fn rendered_dom(browser: &Path, page: &Path, profile: &Path) -> String {
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
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
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
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the queue name is shown as text");
    assert!(!dom.contains("<script>document.title"), "the queue name became markup");
}

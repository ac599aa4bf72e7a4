//! Contract validation: each kind of mistake gives its documented message, word for word,
//! naming the file, the line and the key. And no floating point on the money path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::contract::Contract;

fn sample() -> String {
    std::fs::read_to_string(common::repo("sample-data/contract.toml")).unwrap()
}

fn error_for(text: &str) -> String {
    match Contract::parse(text, "c.toml") {
        Ok(_) => "no error".to_string(),
        Err(e) => e.to_string(),
    }
}

/// The line number of the first line containing `needle` in the sample.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_sample_contract_is_valid() {
    assert_eq!(error_for(&sample()), "no error");
}

#[test]
fn mistakes_are_named_word_for_word() {
    let s = sample();
    let cases: Vec<(String, String)> = vec![
        (
            s.replace("time_zone = \"America/New_York\"", "time_zone = \"America/Gotham\""),
            format!("c.toml:{}: contract.time_zone: unknown time zone \"America/Gotham\"; use an IANA name such as \"America/New_York\"", line_of(&s, "time_zone = ")),
        ),
        (
            s.replace("currency = \"USD\"", "currency = \"dollars\""),
            format!("c.toml:{}: contract.currency: \"dollars\" is not an ISO 4217 currency code (three capital letters, e.g. \"USD\")", line_of(&s, "currency = ")),
        ),
        (
            s.replace("queue = \"technical\"", "queue = \"tech\""),
            format!(
                "c.toml:{}: sla[SL-4].queue: \"tech\" is not in [scope] queues (billing, technical, sales, retention); name one of them, or add it to [scope] queues",
                line_of(&s, "queue = \"technical\"")
            ),
        ),
        (
            s.replace("queue = \"technical\"", "queue = \"technicl\""),
            format!(
                "c.toml:{}: sla[SL-4].queue: \"technicl\" is not in [scope] queues (billing, technical, sales, retention) (did you mean \"technical\"?); name one of them, or add it to [scope] queues",
                line_of(&s, "queue = \"technical\"")
            ),
        ),
        (
            s.replace("{ from = \"60\", to = \"90\", amount = \"1500\" }", "{ from = \"55\", to = \"90\", amount = \"1500\" }"),
            format!(
                "c.toml:{}: sla[SL-4].credit.tiers: tiers must be in ascending order without overlaps: tier 2 starts at 55, before the previous tier ends at 60",
                line_of(&s, "credit = { shape = \"tiers\"")
            ),
        ),
        (
            s.replace("allocation_percent = \"20\"", "allocation_percent = \"45\""),
            format!(
                "c.toml:{}: sla.credit.allocation_percent: allocations add up to 115% of the pool, more than 100%; lower the allocation_percent of the SLAs",
                line_of(&s, "id = \"WF-1\"") - 1
            ),
        ),
        (
            s.replace("metric = { metric = \"asa\" }", "metric = { metric = \"average_speed\" }"),
            format!(
                "c.toml:{}: unknown variant `average_speed`, expected one of `offered`, `answered`, `abandoned`, `short_abandoned`, `abandonment_rate`, `service_level`, `asa`, `aht`, `fcr`, `csat`, `response_time`, `response_time_mean`, `response_time_percentile`, `resolution_time`, `resolution_time_mean`, `resolution_time_percentile`, `availability`, `interval_compliance`, `outbound_attempts`, `outbound_connects`, `contact_rate`, `right_party_contact_rate`, `conversion_rate`, `dialler_abandonment_rate`, `calling_window_violations`, `suppression_hits`, `qa_score`, `qa_pass_rate`, `critical_error_rate`, `schedule_adherence`, `occupancy`, `shrinkage`, `logged_in_hours`, `productive_hours`",
                line_of(&s, "metric = { metric = \"asa\" }")
            ),
        ),
        (
            s.replace("minimum = \"70\"", "minimum = \"85\""),
            format!(
                "c.toml:{}: sla[SL-1].minimum: the minimum level 85 is stricter than the target 80; for direction \"at_least\" the minimum must be at or below the target",
                line_of(&s, "minimum = \"70\"")
            ),
        ),
        (
            s.replace("at_risk_percent = \"12\"", "at_risk_percent = \"120\""),
            format!("c.toml:{}: credits.at_risk_percent: a percentage must be between 0 and 100, got 120", line_of(&s, "at_risk_percent = ")),
        ),
        (
            s.replace("at_risk_percent = \"12\"", "at_risk_percent = 12.5"),
            format!(
                "c.toml:{}: write decimals as strings (\"12.5\"), not as floating-point numbers, so they are read exactly",
                line_of(&s, "at_risk_percent = ")
            ),
        ),
        (
            s.replace("effective_from = \"2026-10-01\"", "effective_from = \"2026-10-15\""),
            format!(
                "c.toml:{}: amendment.effective_from: must start a measurement period (the first day of a month), got 2026-10-15",
                line_of(&s, "effective_from = \"2026-10-01\"")
            ),
        ),
        (
            format!("{s}\n[[amendment]]\nid = \"AMD-2\"\neffective_from = \"2026-10-01\"\nreason = \"twice\"\n"),
            format!("c.toml:{}: amendment.effective_from: two amendments take effect on 2026-10-01; merge them into one", s.lines().count() + 4),
        ),
        (
            s.replace("kind = \"key\"", "kind = \"critical\""),
            format!("c.toml:{}: sla[SL-6].credit: a critical SLA needs a [sla.credit] telling how the credit is computed", line_of(&s, "id = \"SL-6\"") - 1),
        ),
        (
            s.replace("channels = [\"chat\"]", "channels = [\"social\"]"),
            format!("c.toml:{}: sla[SL-7].channels: \"social\" is not in [scope] channels (voice, email, chat); name one of them, or add it to [scope] channels", line_of(&s, "channels = [\"chat\"]")),
        ),
        (
            s.replace("id = \"SL-7\"", "id = \"SL-6\""),
            format!("c.toml:{}: sla[SL-6].id: the id \"SL-6\" is used twice; every SLA needs its own id: rename one", line_of(&s, "id = \"SL-6\"") - 1),
        ),
        (
            s.replace("net_days = 30", "net_days = 30\nnet_dayz = 3"),
            format!("c.toml:{}: unknown field `net_dayz`, expected one of `net_days`, `invoice_lag_days`, `late_interest_annual_percent`, `day_count`, `grace_days`, `restatements` (did you mean \"net_days\"?)", line_of(&s, "net_days = 30") + 1),
        ),
    ];
    assert!(cases.len() >= 8);
    for (text, expected) in cases {
        assert_eq!(error_for(&text), expected);
    }
}

#[test]
fn cli_check_reports_contract_errors_with_exit_2() {
    let t = common::TempDir::new("check");
    let bad = t.write("c.toml", &sample().replace("currency = \"USD\"", "currency = \"usd\""));
    let run = common::callsla(&["check", "--contract", common::s(&bad)]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {}:{}: contract.currency: \"usd\" is not an ISO 4217 currency code (three capital letters, e.g. \"USD\")\n",
            common::s(&bad),
            line_of(&sample(), "currency = ")
        )
    );
    let run = common::callsla(&["check", "--contract", common::s(&common::repo("sample-data/contract.toml"))]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "contract ACME-CONTOSO is valid: 14 SLAs (8 critical, 6 key), 1 amendment, 1 exclusion, 1 calendar\n"
        ),
        "{}",
        run.stdout
    );
}

/// Money never passes through floating point: the contract, rules and money modules contain
/// no `f32`/`f64` (outside comments).
#[test]
fn no_floating_point_on_the_money_path() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for dir in ["src/contract", "src/rules", "src/billing"] {
        walk(&common::repo(dir), &mut files);
    }
    files.push(common::repo("src/money.rs"));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            // `visit_f64` is where a float in a contract is refused, not used.
            if line.contains("fn visit_f64") {
                continue;
            }
            let code = line.split("//").next().unwrap_or("");
            for t in ["f64", "f32", "as_f64", "to_f64", "from_f64"] {
                assert!(!code.contains(t), "{}:{}: `{t}` on the money path: {line}", f.display(), i + 1);
            }
        }
    }
}

/// One leaf of a TOML document: the keys and indices leading to it.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn leaves(v: &toml::Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                path.push(Seg::Key(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(v: &'a mut toml::Value, path: &[Seg]) -> &'a mut toml::Value {
    path.iter().fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()).unwrap(),
        Seg::Index(i) => v.get_mut(*i).unwrap(),
    })
}

/// Another value of the same kind: numbers and decimal strings one more, dates a month later,
/// booleans flipped, other text with a letter appended.
fn changed(v: &toml::Value) -> toml::Value {
    match v {
        toml::Value::Integer(i) => toml::Value::Integer(i + 1),
        toml::Value::Boolean(b) => toml::Value::Boolean(!b),
        toml::Value::String(s) => {
            if let Ok(d) = s.parse::<rust_decimal::Decimal>() {
                return toml::Value::String((d + rust_decimal::Decimal::ONE).to_string());
            }
            if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                return toml::Value::String((d + chrono::Months::new(1)).to_string());
            }
            toml::Value::String(format!("{s}x"))
        }
        other => panic!("unexpected leaf {other:?}"),
    }
}

/// Walks every key of a file that sets every key, changes its value, and checks the change is
/// either used (the validated result differs) or refused (an error): no key is read and then
/// ignored. Issue 15: "a test that walks every contract and profile key".
fn every_key_is_used_or_refused(file: &str, parse: &dyn Fn(&str) -> Result<String, String>) {
    let text = std::fs::read_to_string(common::repo(file)).unwrap();
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let base = parse(&toml::to_string(&doc).unwrap()).unwrap_or_else(|e| panic!("{file} must be valid: {e}"));
    let mut paths = Vec::new();
    leaves(&doc, &mut Vec::new(), &mut paths);
    assert!(paths.len() > 40, "{file}: only {} keys", paths.len());
    let mut ignored = Vec::new();
    for path in &paths {
        let mut d = doc.clone();
        let leaf = at(&mut d, path);
        *leaf = changed(leaf);
        match parse(&toml::to_string(&d).unwrap()) {
            Ok(result) if result == base => ignored.push(format!("{path:?}")),
            _ => {}
        }
    }
    assert!(ignored.is_empty(), "{file}: changing these keys changed nothing:\n{}", ignored.join("\n"));
}

#[test]
fn every_contract_key_is_used_or_refused() {
    every_key_is_used_or_refused("tests/keys/every_contract_key.toml", &|t| {
        Contract::parse(t, "c.toml").map(|c| format!("{c:?}")).map_err(|e| e.to_string())
    });
}

#[test]
fn every_profile_key_is_used_or_refused() {
    every_key_is_used_or_refused("tests/keys/every_profile_key.toml", &|t| {
        callsla::ingest::Profile::parse(t, "p.toml").map(|p| format!("{p:?}")).map_err(|e| e.to_string())
    });
}

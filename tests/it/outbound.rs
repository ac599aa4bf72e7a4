//! Outbound contacts (issue 19, in part): outside the scope unless `[scope] directions` names
//! them, and priced only by an outbound rate card — never at an inbound rate. Before, 2,000
//! outbound 10-minute calls raised September's voice fees by 17,000.00 at the inbound rate.

use crate::common::*;

/// The sample's inbound contacts (without its own outbound attempts).
fn inbound_log() -> String {
    let text = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    text.lines().filter(|l| !l.starts_with('O')).map(|l| format!("{l}\n")).collect()
}

/// The sample's inbound log with `n` answered outbound voice calls of 10 minutes in September.
fn with_outbound(t: &TempDir, n: usize) -> std::path::PathBuf {
    let mut log = inbound_log();
    for i in 0..n {
        log += &format!(
            "O{i:09},voice,outbound,billing,X{i:08},A0001,2026-09-15T10:00:00-04:00,2026-09-15T10:00:05-04:00,2026-09-15T10:10:05-04:00,5,600,0,0,,,,,,\n"
        );
    }
    t.write("log.csv", &log)
}

fn run(t: &TempDir, contract: &std::path::Path, log: &std::path::Path, out: &str) -> (serde_json::Value, String) {
    let out = t.path(out);
    let mut args = sample_run_args(s(contract), s(&out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args[i] = s(log);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    (json, std::fs::read_to_string(out.join("invoice.csv")).unwrap())
}

fn assumptions(j: &serde_json::Value) -> Vec<String> {
    j["assessment"]["assumptions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

#[test]
fn outbound_contacts_are_never_priced_at_an_inbound_rate() {
    let t = TempDir::new("outbound");
    let sample = t.write("sample.toml", &sample_contract_inbound());
    let plain = t.write("plain.csv", &inbound_log());
    let log = with_outbound(&t, 200);
    let (base, base_invoice) = run(&t, &sample, &plain, "base");

    // The sample contract scopes inbound only (the default): the outbound calls are out of
    // scope, counted, named among the assumptions, and the invoice is unchanged.
    let (j, invoice) = run(&t, &sample, &log, "default");
    assert_eq!(invoice, base_invoice, "outbound calls changed the invoice");
    let scope = j["data"]["out_of_scope"].as_array().unwrap();
    let o = scope.iter().find(|e| e["direction"] == "outbound").unwrap();
    assert_eq!(
        (o["channel"].as_str(), o["queue"].as_str(), o["contacts"].as_u64()),
        (Some("voice"), Some("billing"), Some(200))
    );
    assert!(
        assumptions(&j).iter().any(|a| a.starts_with("scope: inbound contacts only, the documented default")
            && a.contains("200 outbound contact(s) are out of scope")),
        "{:?}",
        assumptions(&j)
    );
    assert!(!assumptions(&base).iter().any(|a| a.contains("outbound")), "no outbound, no line");
    assert_eq!(j["assessment"]["periods"], base["assessment"]["periods"], "the judgement is unchanged");

    // Outbound in scope with its own rate card: one more line at the outbound rate; the
    // inbound lines are unchanged (200 × 1.10 = 220.00).
    let text = std::fs::read_to_string(&sample).unwrap();
    let both = text.replace(
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]",
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]\ndirections = [\"inbound\", \"outbound\"]",
    );
    let priced = t.write(
        "priced.toml",
        &both.replacen(
            "[[pricing]]\nchannel = \"email\"",
            "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\nper_contact = \"1.10\"\n\n[[pricing]]\nchannel = \"email\"",
            1,
        ),
    );
    let (j, invoice) = run(&t, &priced, &log, "priced");
    let september: Vec<&str> = invoice.lines().filter(|l| l.contains("ACME-CONTOSO-2026-09,invoice")).collect();
    let outbound: Vec<&&str> = september.iter().filter(|l| l.contains("outbound")).collect();
    assert_eq!(outbound.len(), 1, "{september:#?}");
    assert!(
        outbound[0].contains(",fee,voice,,outbound handled contacts,200,contact,1.10,220.00,")
            && outbound[0].ends_with(",pricing.voice.outbound.per_contact"),
        "{}",
        outbound[0]
    );
    let inbound_lines = |inv: &str| -> Vec<String> {
        inv.lines()
            .filter(|l| l.contains(",fee,voice,") && !l.contains("outbound"))
            .map(|l| l.split(',').skip(9).take(7).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(inbound_lines(&invoice), inbound_lines(&base_invoice), "inbound voice lines changed");
    assert!(j["data"]["out_of_scope"].as_array().unwrap().iter().all(|e| e["direction"] != "outbound"));

    // Outbound in scope without an outbound rate card: not billed, and said so.
    let unpriced = t.write("unpriced.toml", &both);
    let (j, invoice) = run(&t, &unpriced, &log, "unpriced");
    assert_eq!(inbound_lines(&invoice), inbound_lines(&base_invoice));
    assert!(!invoice.contains("outbound"));
    assert!(
        assumptions(&j).iter().any(|a| a.starts_with("not priced: 200 outbound voice contact(s) in scope")),
        "{:?}",
        assumptions(&j)
    );

    // A rate card for a direction outside the scope, or an unknown direction, is refused.
    let outside = t.write(
        "outside.toml",
        &text.replacen("channel = \"email\"", "channel = \"email\"\ndirection = \"outbound\"", 1),
    );
    let r = callsla(&["check", "--contract", s(&outside)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("pricing.direction: \"outbound\" is not in [scope] directions (inbound)"),
        "{}",
        r.stderr
    );
    let sideways = t.write(
        "sideways.toml",
        &both.replacen("directions = [\"inbound\", \"outbound\"]", "directions = [\"inbound\", \"sideways\"]", 1),
    );
    let r = callsla(&["check", "--contract", s(&sideways)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("scope.directions: \"sideways\" is not a direction; use inbound or outbound"),
        "{}",
        r.stderr
    );
}

/// `[scope.outbound]` (issue 19): outbound in or out per channel, queue and campaign. Attempts
/// outside it are reported by campaign, not judged and not billed; a rate card for a campaign
/// outside it, or the table without outbound in `directions`, is refused.
#[test]
fn outbound_scope_chooses_channels_queues_and_campaigns() {
    let t = TempDir::new("outbound-scope");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let directions = "directions = [\"inbound\", \"outbound\"]\n";
    let renewals_only =
        sample.replacen(directions, &format!("{directions}\n[scope.outbound]\ncampaigns = [\"renewals\"]\n"), 1);
    // The sample's win-back card prices a campaign the scope leaves out: refused.
    let c = t.write("with-card.toml", &renewals_only);
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("pricing.campaign: \"winback\" is not in [scope] outbound.campaigns (renewals)"),
        "{}",
        r.stderr
    );
    let winback_card =
        "[[pricing]]\nchannel = \"voice\"\ndirection = \"outbound\"\ncampaign = \"winback\"\nper_connect = \"0.60\"\n";
    let c = t.write("renewals.toml", &renewals_only.replacen(winback_card, "", 1));
    let out = t.path("out");
    let r = callsla_in_repo(&sample_run_args(s(&c), s(&out)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let winback = log.lines().filter(|l| l.starts_with('O') && l.contains(",winback,")).count() as u64;
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    let outside = j["data"]["out_of_scope"].as_array().unwrap();
    let n: u64 = outside.iter().filter(|o| o["campaign"] == "winback").map(|o| o["contacts"].as_u64().unwrap()).sum();
    assert_eq!(n, winback);
    assert!(outside.iter().filter(|o| o["campaign"] == "winback").all(|o| o["direction"] == "outbound"));
    assert!(!outside.iter().any(|o| o["campaign"] == "renewals"));
    let invoice = std::fs::read_to_string(out.join("invoice.csv")).unwrap();
    assert!(!invoice.contains("winback") && invoice.contains("outbound renewals connects"));
    let html = std::fs::read_to_string(out.join("audit.html")).unwrap();
    assert!(html.contains("retention (outbound), campaign winback"), "the audit page names the campaign");

    // A queue the attempts are not in: none of them is in scope, none is billed.
    let other_queue =
        sample.replacen(directions, &format!("{directions}\n[scope.outbound]\nqueues = [\"sales\"]\n"), 1);
    let c = t.write("sales.toml", &other_queue);
    let out2 = t.path("out2");
    let r = callsla_in_repo(&sample_run_args(s(&c), s(&out2)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out2.join("invoice.csv")).unwrap();
    assert!(invoice.contains("outbound renewals connects,0,connect"), "{invoice}");
    let attempts = log.lines().filter(|l| l.starts_with('O')).count() as u64;
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("assessment.json")).unwrap()).unwrap();
    let n: u64 = j["data"]["out_of_scope"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["direction"] == "outbound")
        .map(|o| o["contacts"].as_u64().unwrap())
        .sum();
    assert_eq!(n, attempts);

    // Without outbound in directions the table is refused, naming the fix; a queue outside the
    // scope too.
    let inbound_only = sample_contract_inbound().replacen(
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]\n",
        "queues = [\"billing\", \"technical\", \"sales\", \"retention\"]\n\n[scope.outbound]\ncampaigns = [\"renewals\"]\n",
        1,
    );
    let c = t.write("inbound.toml", &inbound_only);
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("scope.outbound: [scope.outbound] chooses the outbound attempts in scope, but [scope] directions leaves outbound out"), "{}", r.stderr);
    let c = t.write(
        "q.toml",
        &sample.replacen(directions, &format!("{directions}\n[scope.outbound]\nqueues = [\"collections\"]\n"), 1),
    );
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("scope.outbound.queues: \"collections\" is not in [scope] queues"), "{}", r.stderr);
}

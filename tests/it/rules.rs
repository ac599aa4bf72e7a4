//! Rules engine: hand-worked amounts for every credit shape, cap, escalation, earn-back,
//! exclusion, volume relief, termination trigger, amendment and late fee.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use callsla::contract::Contract;
use callsla::metrics::definition::MetricDef;
use callsla::metrics::{period, MetricRow, MetricTable, PeriodKind};
use callsla::rules::{self, Assessment, Forecast, ForecastFile, RulesInput, Status};
use rust_decimal::Decimal;

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A contract with $100,000 of monthly fees (voice fixed fee), 10 % at risk, and the given
/// SLA tables and extra sections.
fn contract(slas: &str, extra: &str) -> Contract {
    contract_with("at_risk_percent = \"10\"\npool_percent = \"50\"", "half_even", slas, extra)
}

fn contract_with(credits: &str, rounding: &str, slas: &str, extra: &str) -> Contract {
    let text = format!(
        r#"{head}

[scope]
channels = ["voice", "email"]
queues = ["billing", "sales"]

[[pricing]]
channel = "voice"
monthly_fee = "100000"

[credits]
{credits}

{slas}
{extra}
"#,
        head = crate::common::contract_head(rounding),
    );
    Contract::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const SL: &str = r#"
[[sla]]
id = "SL"
name = "Service level"
metric = { metric = "service_level", threshold_s = 20 }
channels = ["voice"]
target = "80"
minimum = "70"
direction = "at_least"
min_sample = 10
kind = "critical"
"#;

fn sla_with(credit: &str, more: &str) -> String {
    format!("{SL}credit = {credit}\n{more}")
}

fn month(label: &str) -> i64 {
    period::parse_label(PeriodKind::Month, NY, label).unwrap()
}

/// A metric table holding the SLA metric's num/den for each month given, plus offered.
fn table(c: &Contract, months: &[(&str, i64, i64)]) -> MetricTable {
    let mut rows = Vec::new();
    for (label, num, den) in months {
        let start = month(label);
        for terms in &c.terms {
            for sla in &terms.slas {
                rows.push(row(start, label, &sla.metric, *num, *den));
            }
        }
        rows.push(row(start, label, &rules::volume_def(c), *den, 0));
        // The SLA's own channel (voice) carries all of the offered contacts.
        rows.push(row(start, label, &rules::channel_volume_def("voice"), *den, 0));
        rows.push(row(start, label, &rules::channel_volume_def("email"), 0, 0));
    }
    MetricTable { rows, period: PeriodKind::Month, zone: NY, as_of: 0 }
}

fn row(start: i64, label: &str, def: &MetricDef, num: i64, den: i64) -> MetricRow {
    let unit = def.unit();
    MetricRow {
        period_start: start,
        period_end: period::period_end(PeriodKind::Month, NY, start),
        period: label.to_string(),
        channel: "*".into(),
        queue: "*".into(),
        agent: "*".into(),
        metric: def.name().into(),
        definition: def.definition(),
        value: callsla::money::ratio(Decimal::from(num) * Decimal::ONE_HUNDRED, Decimal::from(den), 4),
        unit,
        numerator: Some(Decimal::from(num)),
        denominator: if unit == callsla::metrics::Unit::Count { None } else { Some(Decimal::from(den)) },
        sample_size: den as u64,
        provisional: false,
        unsettled: 0,
    }
}

fn assess(c: &Contract, months: &[(&str, i64, i64)]) -> Assessment {
    assess_with(c, months, None)
}

fn assess_with(c: &Contract, months: &[(&str, i64, i64)], forecast: Option<ForecastFile>) -> Assessment {
    let t = table(c, months);
    let input = RulesInput {
        events: None,
        contract: c,
        metrics: &t,
        periods: months.iter().map(|m| month(m.0)).collect(),
        volumes: vec![],
        forecast,
        history: vec![],
        outages_given: true,
        suppression_given: false,
        qa_given: false,
        agent_hours_given: false,
        assumptions: vec![],
    };
    rules::assess(&input).unwrap()
}

fn sla<'a>(a: &'a Assessment, period: &str) -> &'a rules::SlaResult {
    &a.periods.iter().find(|p| p.period == period).unwrap().slas[0]
}

#[test]
fn allocation_credit_matches_the_worked_example_and_boundaries() {
    // 40 % allocation × 50 % pool × (10 % × $100,000) = $2,000.
    let c = contract(&sla_with("{ shape = \"allocation\", allocation_percent = \"40\" }", ""), "");
    let cases = [
        // (num, den, status, credit): exactly at target is met; one count below is missed.
        (800, 1000, Status::Met, "0.00"),
        (799, 1000, Status::Missed, "2000.00"),
        (700, 1000, Status::Missed, "2000.00"),
        (699, 1000, Status::BelowMinimum, "2000.00"),
        (8, 9, Status::NotMeasured, "0.00"), // below min_sample 10
    ];
    for (num, den, status, credit) in cases {
        let a = assess(&c, &[("2026-10", num, den)]);
        let s = sla(&a, "2026-10");
        assert_eq!((s.status, s.credit.to_string().as_str()), (status, credit), "{num}/{den}");
        assert_eq!(a.periods[0].fees, d("100000.00"));
        assert_eq!(a.periods[0].at_risk_amount, d("10000.00"));
    }
}

#[test]
fn every_credit_shape() {
    // achieved 75 % (750/1000): shortfall 5 points.
    let cases = [
        ("{ shape = \"fixed\", amount = \"1234.56\" }", "1234.56", ".amount"),
        ("{ shape = \"percent_of_fees\", percent = \"1.5\" }", "1500.00", ".percent"),
        ("{ shape = \"linear\", per_point = \"300\" }", "1500.00", ".per_point"),
        (
            "{ shape = \"tiers\", tiers = [ { from = \"0\", to = \"70\", amount = \"5000\" }, { from = \"70\", to = \"75\", amount = \"3000\" }, { from = \"75\", to = \"80\", percent_of_at_risk = \"10\" } ] }",
            "1000.00",
            ".tiers[3]",
        ),
    ];
    for (credit, amount, clause) in cases {
        let c = contract(&sla_with(credit, ""), "");
        let a = assess(&c, &[("2026-10", 750, 1000)]);
        let s = sla(&a, "2026-10");
        assert_eq!(s.credit.to_string(), amount, "{credit}");
        assert_eq!(s.clause, format!("sla.SL.credit{clause}"), "{credit}");
    }
    // Linear with a fractional shortfall: 80 − 2/3 × 100 = 13.333… points × 300 = 3999.999… → 4000.00.
    let c = contract(&sla_with("{ shape = \"linear\", per_point = \"300\" }", ""), "");
    assert_eq!(sla(&assess(&c, &[("2026-10", 20, 30)]), "2026-10").credit, d("4000.00"));
}

#[test]
fn sla_cap_and_monthly_cap() {
    let c = contract(&sla_with("{ shape = \"percent_of_fees\", percent = \"5\" }", "cap = \"3000\""), "");
    let a = assess(&c, &[("2026-10", 750, 1000)]);
    assert_eq!(sla(&a, "2026-10").credit_base, d("5000.00"));
    assert_eq!(sla(&a, "2026-10").credit, d("3000.00"));
    // 20 % of fees is above the 10 % at-risk amount: the month is capped at $10,000.
    let c = contract(&sla_with("{ shape = \"percent_of_fees\", percent = \"20\" }", ""), "");
    let p = &assess(&c, &[("2026-10", 750, 1000)]).periods[0];
    assert_eq!(
        (p.credits_before_cap, p.cap_adjustment, p.credits_after_cap),
        (d("20000.00"), d("-10000.00"), d("10000.00"))
    );
    assert_eq!(p.net_due, d("90000.00"));
}

#[test]
fn escalation_when_missed_the_previous_period() {
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "escalation = { factor = \"1.5\" }"), "");
    let a =
        assess(&c, &[("2026-09", 750, 1000), ("2026-10", 750, 1000), ("2026-11", 800, 1000), ("2026-12", 750, 1000)]);
    let credits: Vec<String> = a.periods.iter().map(|p| p.slas[0].credit.to_string()).collect();
    assert_eq!(credits, ["1000.00", "1500.00", "0.00", "1000.00"]);
}

#[test]
fn earn_back_after_the_next_two_periods_met() {
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "earn_back = { periods = 2 }"), "");
    let a =
        assess(&c, &[("2026-08", 750, 1000), ("2026-09", 800, 1000), ("2026-10", 900, 1000), ("2026-11", 900, 1000)]);
    let p = |i: usize| &a.periods[i];
    assert_eq!(p(0).net_credit, d("1000.00"));
    // Granted in October (September and October met): the August credit is returned.
    assert_eq!(p(2).earn_back.len(), 1);
    assert_eq!((p(2).earn_back[0].credit_period.as_str(), p(2).earn_back[0].amount), ("2026-08", d("1000.00")));
    assert_eq!((p(2).earn_back_applied, p(2).net_credit, p(2).net_due), (d("1000.00"), d("-1000.00"), d("101000.00")));
    assert_eq!(sla(&a, "2026-10").earn_back, d("1000.00"));
    // Only once.
    assert!(p(3).earn_back.is_empty());
    // A miss inside the window forfeits the earn-back.
    let a =
        assess(&c, &[("2026-08", 750, 1000), ("2026-09", 700, 1000), ("2026-10", 900, 1000), ("2026-11", 900, 1000)]);
    assert!(a.periods.iter().all(|p| p.earn_back.iter().all(|e| e.credit_period != "2026-08")));
}

#[test]
fn earn_back_never_returns_more_than_the_capped_credit() {
    // 20 % of fees credited, capped at the 10 % at-risk amount: only $10,000 was charged.
    let c = contract(&sla_with("{ shape = \"percent_of_fees\", percent = \"20\" }", "earn_back = { periods = 1 }"), "");
    let a = assess(&c, &[("2026-08", 700, 1000), ("2026-09", 900, 1000)]);
    assert_eq!(a.periods[0].credits_after_cap, d("10000.00"));
    assert_eq!(a.periods[1].earn_back_applied, d("10000.00"));
    assert_eq!(a.periods.iter().map(|p| p.net_credit).sum::<Decimal>(), d("0"));
}

#[test]
fn exclusion_window_covering_the_period_and_volume_relief() {
    let excl = "[[exclusion]]\nid = \"FM\"\nstart = \"2026-10-01T00:00:00-04:00\"\nend = \"2026-11-01T00:00:00-04:00\"\nreason = \"force majeure\"\nreference = \"letter 12\"\n";
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", ""), excl);
    let a = assess(&c, &[("2026-10", 0, 0)]);
    assert_eq!((sla(&a, "2026-10").status, sla(&a, "2026-10").credit), (Status::Excluded, d("0")));

    let relief = "[volume_relief]\ntolerance_percent = \"10\"\n";
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", ""), relief);
    let fc = |n| {
        Some(ForecastFile {
            rows: vec![Forecast { period: "2026-10".into(), channel: "*".into(), queue: "*".into(), offered: n }],
            without_channel: false,
        })
    };
    // 1000 offered against a forecast of 900: +11.1 % > 10 %: waived.
    let a = assess_with(&c, &[("2026-10", 750, 1000)], fc(900));
    assert_eq!(sla(&a, "2026-10").status, Status::Waived);
    // Against 910: limit 1001, not exceeded: judged and missed.
    let a = assess_with(&c, &[("2026-10", 750, 1000)], fc(910));
    assert_eq!(sla(&a, "2026-10").status, Status::Missed);
}

#[test]
fn termination_triggers() {
    let term = "[termination]\nconsecutive_misses = 3\nmisses_in_window = { count = 3, window = 5 }\ncap_hits_in_window = { count = 2, window = 3 }\n";
    let c = contract(&sla_with("{ shape = \"percent_of_fees\", percent = \"20\" }", ""), term);
    let a = assess(
        &c,
        &[
            ("2026-08", 700, 1000),
            ("2026-09", 800, 1000),
            ("2026-10", 700, 1000),
            ("2026-11", 700, 1000),
            ("2026-12", 700, 1000),
        ],
    );
    let ev: Vec<(String, String, Vec<String>)> =
        a.termination_events.iter().map(|e| (e.period.clone(), e.clause.clone(), e.periods.clone())).collect();
    assert_eq!(
        ev,
        vec![
            (
                "2026-10".to_string(),
                "termination.cap_hits_in_window".to_string(),
                vec!["2026-08".to_string(), "2026-10".to_string()]
            ),
            (
                "2026-11".to_string(),
                "termination.misses_in_window".to_string(),
                vec!["2026-08".to_string(), "2026-10".to_string(), "2026-11".to_string()]
            ),
            (
                "2026-12".to_string(),
                "termination.consecutive_misses".to_string(),
                vec!["2026-10".to_string(), "2026-11".to_string(), "2026-12".to_string()]
            ),
        ]
    );
}

#[test]
fn amendment_changes_the_terms_from_its_date() {
    let amend = r#"
[[amendment]]
id = "A1"
effective_from = "2026-10-01"
reason = "target to 75"
[[amendment.sla]]
id = "SL"
name = "Service level"
metric = { metric = "service_level", threshold_s = 20 }
channels = ["voice"]
target = "75"
direction = "at_least"
kind = "critical"
credit = { shape = "fixed", amount = "1000" }
"#;
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", ""), amend);
    let a = assess(&c, &[("2026-09", 760, 1000), ("2026-10", 760, 1000)]);
    assert_eq!((a.periods[0].terms_version.as_str(), sla(&a, "2026-09").status), ("original", Status::Missed));
    assert_eq!((a.periods[1].terms_version.as_str(), sla(&a, "2026-10").status), ("A1", Status::Met));
}

#[test]
fn rounding_half_up_and_half_even_differ_on_credit_lines() {
    // 0.0125 % of $100,000 = $12.50 exactly; 0.01245 % = $12.45; use 1.00125 % fee credit = $1001.25 → no midpoint.
    // A midpoint: 0.000005 % of 100000 = 0.005.
    for (strategy, expected) in [("half_up", "0.01"), ("half_even", "0.00")] {
        let c = contract_with(
            "at_risk_percent = \"10\"",
            strategy,
            &sla_with("{ shape = \"percent_of_fees\", percent = \"0.000005\" }", ""),
            "",
        );
        assert_eq!(sla(&assess(&c, &[("2026-10", 700, 1000)]), "2026-10").credit.to_string(), expected, "{strategy}");
    }
}

#[test]
fn assessment_totals_equal_the_sum_of_lines() {
    let c = contract(&sla_with("{ shape = \"percent_of_fees\", percent = \"3\" }", ""), "");
    let a = assess(&c, &[("2026-10", 700, 1000)]);
    let p = &a.periods[0];
    assert_eq!(p.fees, p.invoice.iter().map(|l| l.amount).sum::<Decimal>());
    assert_eq!(p.credits_before_cap, p.slas.iter().map(|s| s.credit).sum::<Decimal>());
    assert_eq!(p.net_due, p.fees - p.net_credit);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn shape() -> impl Strategy<Value = String> {
        prop_oneof![
            (1u32..=100).prop_map(|a| format!("{{ shape = \"allocation\", allocation_percent = \"{a}\" }}")),
            (0u32..50_000).prop_map(|a| format!("{{ shape = \"fixed\", amount = \"{a}.25\" }}")),
            (0u32..=40).prop_map(|p| format!("{{ shape = \"percent_of_fees\", percent = \"{p}.5\" }}")),
            (0u32..5_000).prop_map(|p| format!("{{ shape = \"linear\", per_point = \"{p}\" }}")),
            Just("{ shape = \"tiers\", tiers = [ { from = \"0\", to = \"50\", amount = \"9000\" }, { from = \"50\", to = \"70\", percent_of_at_risk = \"50\" }, { from = \"70\", to = \"80\", amount = \"500\" } ] }".to_string()),
        ]
    }

    fn setup(credit: &str, cap: Option<u32>, earn_back: bool, escalate: bool) -> Contract {
        let mut more = String::new();
        if let Some(c) = cap {
            more += &format!("cap = \"{c}\"\n");
        }
        if earn_back {
            more += "earn_back = { periods = 1 }\n";
        }
        if escalate {
            more += "escalation = { factor = \"1.5\" }\n";
        }
        contract_with("at_risk_percent = \"10\"\npool_percent = \"250\"", "half_up", &sla_with(credit, &more), "")
    }

    const MONTHS: [&str; 6] = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn caps_totals_and_earn_back_invariants(
            credit in shape(),
            cap in proptest::option::of(0u32..20_000),
            earn_back in any::<bool>(),
            escalate in any::<bool>(),
            nums in proptest::collection::vec(0i64..=1000, 1..=6),
        ) {
            let c = setup(&credit, cap, earn_back, escalate);
            let months: Vec<(&str, i64, i64)> = nums.iter().enumerate().map(|(i, n)| (MONTHS[i], *n, 1000)).collect();
            let a = assess(&c, &months);
            for p in &a.periods {
                for s in &p.slas {
                    if let Some(cap) = cap {
                        prop_assert!(s.credit <= Decimal::from(cap), "credit {} above cap {cap}", s.credit);
                    }
                    prop_assert!(s.credit >= Decimal::ZERO);
                }
                prop_assert!(p.credits_after_cap <= p.at_risk_amount);
                prop_assert_eq!(p.fees, p.invoice.iter().map(|l| l.amount).sum::<Decimal>());
                prop_assert_eq!(p.credits_before_cap, p.slas.iter().map(|s| s.credit).sum::<Decimal>());
                prop_assert_eq!(p.credits_after_cap, p.credits_before_cap + p.cap_adjustment);
                prop_assert_eq!(p.net_credit, p.credits_after_cap - p.earn_back_applied);
                prop_assert_eq!(p.net_due, p.fees - p.net_credit);
                prop_assert_eq!(p.earn_back_applied, p.earn_back.iter().map(|e| e.amount).sum::<Decimal>());
            }
            // Earn-back never makes the net credit negative: cumulatively, no more is returned
            // than was credited.
            let mut cumulative = Decimal::ZERO;
            for p in &a.periods {
                cumulative += p.net_credit;
                prop_assert!(cumulative >= Decimal::ZERO, "cumulative net credit {cumulative} negative at {}", p.period);
            }
        }

        #[test]
        fn worse_performance_never_yields_a_smaller_credit(credit in shape(), cap in proptest::option::of(0u32..20_000), a in 0i64..=1000, b in 0i64..=1000) {
            let c = setup(&credit, cap, false, false);
            let (worse, better) = (a.min(b), a.max(b));
            let cw = sla(&assess(&c, &[("2026-10", worse, 1000)]), "2026-10").credit;
            let cb = sla(&assess(&c, &[("2026-10", better, 1000)]), "2026-10").credit;
            prop_assert!(cw >= cb, "{worse}/1000 gives {cw}, {better}/1000 gives {cb}");
        }
    }
}

#[test]
fn year_average_earn_back_at_the_contract_anniversary() {
    // Contract year 2026-08 .. 2027-07. Misses in two months, but the pooled year meets 80 %.
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "earn_back = { year_average = true }"), "");
    let months = [
        "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05",
        "2027-06", "2027-07",
    ];
    let figures: Vec<(&str, i64, i64)> =
        months.iter().enumerate().map(|(i, m)| (*m, if i < 2 { 790 } else { 900 }, 1000)).collect();
    let a = assess(&c, &figures);
    assert_eq!((a.periods[0].slas[0].credit, a.periods[1].slas[0].credit), (d("1000.00"), d("1000.00")));
    // Nothing is returned before the year ends; at July 2027 both credits come back.
    assert!(a.periods[..11].iter().all(|p| p.earn_back.is_empty()));
    let july = &a.periods[11];
    let returned: Vec<(&str, Decimal)> = july.earn_back.iter().map(|e| (e.credit_period.as_str(), e.amount)).collect();
    assert_eq!(returned, [("2026-08", d("1000.00")), ("2026-09", d("1000.00"))]);
    // A year whose pooled figure misses keeps its credits.
    let bad: Vec<(&str, i64, i64)> = months.iter().map(|m| (*m, 700, 1000)).collect();
    assert!(assess(&c, &bad).periods.iter().all(|p| p.earn_back.is_empty()));
}

/// Issue 15, case 8: an earn-back that can no longer happen is forfeited in the period that
/// breaks its window, with the reason, instead of disappearing.
#[test]
fn earn_back_forfeited_when_a_period_in_its_window_is_not_measured_or_missed() {
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "earn_back = { periods = 2 }"), "");
    // August missed (credit 1000); September below the minimum sample (8 of 9 < 10): not measured.
    let a = assess(&c, &[("2026-08", 750, 1000), ("2026-09", 8, 9), ("2026-10", 900, 1000)]);
    let sep = &a.periods[1];
    assert_eq!(sep.slas[0].status, Status::NotMeasured);
    let f: Vec<(&str, &str, Decimal, &str)> = sep
        .earn_back_forfeited
        .iter()
        .map(|f| (f.sla_id.as_str(), f.credit_period.as_str(), f.amount, f.reason.as_str()))
        .collect();
    assert_eq!(
        f,
        [("SL", "2026-08", d("1000.00"), "2026-09 was not_measured (earn-back needs the next 2 period(s) met)")]
    );
    assert_eq!(sep.slas[0].earn_back_forfeited, d("1000.00"));
    assert!(sep.slas[0]
        .explanation
        .iter()
        .any(|l| l.starts_with("earn-back of the 2026-08 credit of 1000.00 forfeited")));
    // Never returned later, and not forfeited twice.
    assert!(a.periods[2].earn_back.is_empty() && a.periods[2].earn_back_forfeited.is_empty());
    // A miss in the window forfeits too; the money is unchanged (a forfeit is not a line).
    let a = assess(&c, &[("2026-08", 750, 1000), ("2026-09", 700, 1000), ("2026-10", 900, 1000)]);
    assert_eq!(
        a.periods[1].earn_back_forfeited[0].reason,
        "2026-09 was missed (earn-back needs the next 2 period(s) met)"
    );
    assert_eq!(a.periods[1].net_credit, d("1000.00"));
    // The year average: a year that misses forfeits its open credits at the anniversary.
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "earn_back = { year_average = true }"), "");
    let months = [
        "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05",
        "2027-06", "2027-07",
    ];
    let bad: Vec<(&str, i64, i64)> = months.iter().map(|m| (*m, 700, 1000)).collect();
    let a = assess(&c, &bad);
    assert!(a.periods[..11].iter().all(|p| p.earn_back_forfeited.is_empty()));
    assert_eq!(a.periods[11].earn_back_forfeited.len(), 12);
    assert_eq!(
        a.periods[11].earn_back_forfeited[0].reason,
        "the contract year ending 2027-07 did not meet the target on average"
    );
}

/// Issue 15, case 5: volume relief is judged on the SLA's own channels when the forecast has
/// them: the email and chat contacts of a queue do not waive its voice SLA.
#[test]
fn volume_relief_per_channel_and_queue() {
    let relief = "[volume_relief]\ntolerance_percent = \"10\"\n";
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", ""), relief);
    let file = |rows: &[(&str, u64)]| {
        Some(ForecastFile {
            rows: rows
                .iter()
                .map(|(ch, n)| Forecast {
                    period: "2026-10".into(),
                    channel: ch.to_string(),
                    queue: "*".into(),
                    offered: *n,
                })
                .collect(),
            without_channel: false,
        })
    };
    // The table's 1000 offered contacts are all voice. A voice forecast of 950 (limit 1045):
    // not waived, although an all-channel comparison against 900 would be.
    let a = assess_with(&c, &[("2026-10", 750, 1000)], file(&[("voice", 950), ("*", 900)]));
    let s = sla(&a, "2026-10");
    assert_eq!(s.status, Status::Missed);
    assert!(
        s.explanation
            .iter()
            .any(|l| l == "offered 1000 (voice) is within forecast 950 + 10% (limit 1045): no volume relief"),
        "{:?}",
        s.explanation
    );
    // No row for voice: the all-channel row is used, and the explanation says so.
    let a = assess_with(&c, &[("2026-10", 750, 1000)], file(&[("*", 900)]));
    let s = sla(&a, "2026-10");
    assert_eq!(s.status, Status::Waived);
    assert!(
        s.explanation.iter().any(|l| l.starts_with("offered 1000 (all channels) exceeds forecast 900")),
        "{:?}",
        s.explanation
    );
    // No row covers the SLA's scope: judged without relief, and the run lists it.
    let a = assess_with(&c, &[("2026-10", 750, 1000)], file(&[("email", 10)]));
    assert_eq!(sla(&a, "2026-10").status, Status::Missed);
    assert!(
        a.assumptions
            .iter()
            .any(|l| l.starts_with("2026-10 SL: no forecast row covers channel(s) voice in all queues")),
        "{:?}",
        a.assumptions
    );
}

/// Tiers may start at the minimum: a miss between the target and the minimum then earns no
/// credit, and the explanation says why (`check` refuses any other uncovered range).
#[test]
fn tiers_starting_at_the_minimum_explain_a_miss_without_credit() {
    let asa = r#"
[[sla]]
id = "ASA"
name = "ASA"
metric = { metric = "asa" }
channels = ["voice"]
target = "30"
minimum = "40"
direction = "at_most"
min_sample = 1
kind = "critical"
credit = { shape = "tiers", tiers = [ { from = "40", to = "60", amount = "750" }, { from = "60", amount = "1500" } ] }
"#;
    let c = contract(asa, "");
    // ASA 35 s: missed, above the minimum, no tier.
    let a = assess(&c, &[("2026-10", 35_000_000, 1_000_000)]);
    let s = sla(&a, "2026-10");
    assert_eq!((s.status, s.credit), (Status::Missed, d("0.00")));
    assert!(
        s.explanation.iter().any(|l| l == "achieved 35 is missed but not below the minimum 40, where the tiers of ASA start: no credit"),
        "{:?}",
        s.explanation
    );
    // 45 s: below the minimum, in the first tier.
    let a = assess(&c, &[("2026-10", 45_000_000, 1_000_000)]);
    assert_eq!((sla(&a, "2026-10").status, sla(&a, "2026-10").credit), (Status::BelowMinimum, d("750.00")));
}

/// History counts calendar periods, not assessed ones (issue 22): with October missing from the
/// data, November's miss is not escalated as if October had been missed, an earn-back window
/// over the gap is forfeited with the gap named, and a gap breaks a run of misses.
#[test]
fn a_period_missing_from_the_data_breaks_runs_and_windows() {
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "escalation = { factor = \"1.5\" }"), "");
    let a = assess(&c, &[("2026-09", 750, 1000), ("2026-11", 750, 1000)]);
    assert_eq!(sla(&a, "2026-11").credit, d("1000.00"), "not escalated over the gap");
    assert!(sla(&a, "2026-11").explanation.iter().any(|l| l.starts_with("not escalated: 2026-10 not assessed")));
    // Consecutive: with a gap the same months are assessed without it.
    let a = assess(&c, &[("2026-09", 750, 1000), ("2026-10", 750, 1000)]);
    assert_eq!(sla(&a, "2026-10").credit, d("1500.00"), "escalated when the previous month was missed");

    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", "earn_back = { periods = 2 }"), "");
    let a = assess(&c, &[("2026-08", 750, 1000), ("2026-10", 900, 1000), ("2026-11", 900, 1000)]);
    let oct = &a.periods[1];
    assert_eq!(oct.earn_back_forfeited.len(), 1);
    assert_eq!(
        oct.earn_back_forfeited[0].reason,
        "2026-09 was not assessed (earn-back needs the next 2 period(s) met)"
    );
    assert!(a.periods[2].earn_back.is_empty(), "never returned across the gap");

    let term = "[termination]\nconsecutive_misses = 3\n";
    let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", ""), term);
    let a = assess(&c, &[("2026-08", 700, 1000), ("2026-09", 700, 1000), ("2026-11", 700, 1000)]);
    assert!(a.termination_events.is_empty(), "three misses with a gap are not three in a row");
}

/// `contract.not_assessed` chooses what a period with no assessment counts as (issue 22):
/// `missed` continues a run of misses (escalation, k in a row) and forfeits earn-back; `met`
/// breaks a run and counts as met in an earn-back window; left out, the default is listed
/// among the assumptions only when a gap occurs.
#[test]
fn not_assessed_periods_count_as_the_contract_says() {
    let with = |policy: &str, more: &str, extra: &str| {
        let c = contract(&sla_with("{ shape = \"fixed\", amount = \"1000\" }", more), extra);
        let text = format!("{}\n", crate::common::contract_head("half_even")).replace(
            "effective_from = \"2026-08-01\"\n",
            &format!("effective_from = \"2026-08-01\"\nnot_assessed = \"{policy}\"\n"),
        );
        assert!(text.contains("not_assessed"));
        let full = format!(
            "{text}\n[scope]\nchannels = [\"voice\", \"email\"]\nqueues = [\"billing\", \"sales\"]\n\n[[pricing]]\nchannel = \"voice\"\nmonthly_fee = \"100000\"\n\n[credits]\nat_risk_percent = \"10\"\npool_percent = \"50\"\n\n{}\n{extra}\n",
            sla_with("{ shape = \"fixed\", amount = \"1000\" }", more)
        );
        let parsed = Contract::parse(&full, "t.toml").unwrap_or_else(|e| panic!("{e}\n{full}"));
        assert_eq!(parsed.not_assessed.as_str(), policy);
        assert!(!parsed.not_assessed_defaulted);
        (c, parsed)
    };
    let esc = "escalation = { factor = \"1.5\" }";
    let months = [("2026-09", 750, 1000), ("2026-11", 750, 1000)];

    // Default: breaks the run, and the default is listed because a gap occurred.
    let (default, missed) = with("missed", esc, "");
    let a = assess(&default, &months);
    assert_eq!(sla(&a, "2026-11").credit, d("1000.00"));
    assert!(
        a.assumptions.iter().any(|l| l.starts_with("2026-10 not assessed (no data, or never run)")
            && l.ends_with("(contract.not_assessed: breaks_run, the key is left out)")),
        "{:?}",
        a.assumptions
    );
    // Without a gap the default is not listed.
    let a = assess(&default, &[("2026-09", 750, 1000), ("2026-10", 750, 1000)]);
    assert!(!a.assumptions.iter().any(|l| l.contains("contract.not_assessed")), "{:?}", a.assumptions);

    // missed: October counts as a miss, so November is escalated, and says why.
    let a = assess(&missed, &months);
    assert_eq!(sla(&a, "2026-11").credit, d("1500.00"));
    assert!(sla(&a, "2026-11")
        .explanation
        .iter()
        .any(|l| l == "2026-10 not assessed, counted as missed (contract.not_assessed = \"missed\")"));
    assert!(!a.assumptions.iter().any(|l| l.contains("contract.not_assessed")), "set, not defaulted");

    // met: breaks the run.
    let (_, met) = with("met", esc, "");
    assert_eq!(sla(&assess(&met, &months), "2026-11").credit, d("1000.00"));

    // Earn-back over a gap: forfeited under breaks_run and missed, returned under met.
    let eb = "earn_back = { periods = 2 }";
    let months = [("2026-08", 750, 1000), ("2026-10", 900, 1000)];
    let (_, met) = with("met", eb, "");
    let a = assess(&met, &months);
    assert_eq!(a.periods[1].earn_back.len(), 1, "September counts as met: the window is met");
    assert!(a.periods[1].earn_back_forfeited.is_empty());
    let (_, missed) = with("missed", eb, "");
    let a = assess(&missed, &months);
    assert!(a.periods[1].earn_back.is_empty());
    assert_eq!(
        a.periods[1].earn_back_forfeited[0].reason,
        "2026-09 was not assessed (earn-back needs the next 2 period(s) met)"
    );

    // k in a row: two misses around a gap are three under missed, not under met.
    let term = "[termination]\nconsecutive_misses = 3\n";
    let months = [("2026-08", 700, 1000), ("2026-09", 700, 1000), ("2026-11", 700, 1000)];
    let (_, missed) = with("missed", "", term);
    let ev = assess(&missed, &months).termination_events;
    assert_eq!(ev.len(), 1, "reached at October, a gap, and raised in November");
    assert_eq!((ev[0].period.as_str(), ev[0].periods.join(",")), ("2026-11", "2026-08,2026-09,2026-10".to_string()));
    let (_, met) = with("met", "", term);
    assert!(assess(&met, &months).termination_events.is_empty());
}

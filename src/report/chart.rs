//! The audit page's charts as inline SVG: an SLA's achieved figure per period on a y-axis with
//! "nice" ticks, gridlines and units, the target and minimum as lines over shaded bands (the
//! shortfall band between them, the below-minimum band beyond), and a legend; and a period's
//! waterfall from fees to net due. Pure functions of the figures, no script, no external
//! resource. Coordinates are display only: the money and figures shown come from the assessment
//! as decimals, never from the f64 geometry.

use maud::{html, Markup};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

const MET: &str = "#17652f";
const MISS: &str = "#b3261e";
const OTHER: &str = "#8a8f9c";
const LINE: &str = "#3b5bdb";

/// Up to about `max` evenly spaced round values (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering
/// `lo..=hi`: the first tick is at or below `lo`, the last at or above `hi`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let raw = (hi - lo) / (max.max(2) - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw - 1e-12).unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut ticks = Vec::new();
    let mut k = 0.0;
    loop {
        let t = first + k * step;
        // Round away binary noise (0.30000000000000004).
        let t = (t / step).round() * step;
        ticks.push(if t == 0.0 { 0.0 } else { t });
        if t >= hi - 1e-9 || ticks.len() > 40 {
            break;
        }
        k += 1.0;
    }
    ticks
}

/// A tick label: as few decimals as the step needs.
fn tick_label(v: f64, step: f64) -> String {
    let step = format!("{step:.6}");
    let decimals = step.trim_end_matches('0').split('.').nth(1).map_or(0, str::len);
    format!("{v:.decimals$}")
}

/// The symbol shown after a figure of this unit.
pub(crate) fn unit_symbol(unit: &str) -> &'static str {
    match unit {
        "percent" => "%",
        "seconds" => "s",
        "score" => "pts",
        "hours" => "h",
        _ => "",
    }
}

/// A money amount as text, a zero never shown as `-0.00`.
pub(crate) fn amount(d: Decimal) -> String {
    if d.is_zero() {
        d.abs().to_string()
    } else {
        d.to_string()
    }
}

fn num(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A coordinate, to one decimal.
fn at(v: f64) -> String {
    format!("{v:.1}")
}

/// One period's point of an SLA chart.
pub(crate) struct Point<'a> {
    pub period: &'a str,
    pub achieved: Option<Decimal>,
    pub status: &'a str,
    /// A period before this run's, from the ledger (drawn hollow: the trend).
    pub earlier: bool,
}

/// What an SLA chart shows.
pub(crate) struct SlaChart<'a> {
    pub sla_id: &'a str,
    /// The metric's unit (`percent`, `seconds`, `count`, …).
    pub unit: &'a str,
    pub target: Decimal,
    pub minimum: Option<Decimal>,
    /// `at_least` (true) or `at_most`.
    pub higher_is_better: bool,
    pub points: Vec<Point<'a>>,
}

const W: f64 = 720.0;
const H: f64 = 300.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 40.0;

/// The SVG of one SLA: achieved per period against the target and the minimum.
pub(crate) fn sla_chart(c: &SlaChart<'_>) -> Markup {
    let mut values: Vec<f64> = c.points.iter().filter_map(|p| p.achieved.map(num)).collect();
    values.push(num(c.target));
    values.extend(c.minimum.map(num));
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let pad = ((hi - lo) * 0.1).max(0.5);
    let mut ticks = nice_ticks(lo - pad, hi + pad, 6);
    // A percentage axis never runs past 0 or 100.
    if c.unit == "percent" {
        ticks.retain(|t| (0.0..=100.0).contains(t));
    } else if lo >= 0.0 {
        ticks.retain(|t| *t >= 0.0);
    }
    let (y_lo, y_hi) = (ticks.first().copied().unwrap_or(0.0), ticks.last().copied().unwrap_or(1.0));
    let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
    let plot_h = H - TOP - BOTTOM;
    let span = (y_hi - y_lo).max(1e-9);
    let y = |v: f64| TOP + (y_hi - v.clamp(y_lo, y_hi)) / span * plot_h;
    let n = c.points.len().max(1) as f64;
    let x = |i: usize| LEFT + (i as f64 + 0.5) * (W - LEFT - RIGHT) / n;
    let sym = unit_symbol(c.unit);
    let target = num(c.target);
    // Bands: between target and minimum a shortfall (amber), beyond the minimum (or beyond the
    // target when there is none) the below-minimum band (red).
    let worse_end = if c.higher_is_better { y_lo } else { y_hi };
    let band = |from: f64, to: f64| {
        let (a, b) = (y(from), y(to));
        (a.min(b), (a - b).abs())
    };
    let shortfall = c.minimum.map(|m| band(target, num(m)));
    let beyond = band(c.minimum.map_or(target, num), worse_end);
    let pts: Vec<(usize, f64)> =
        c.points.iter().enumerate().filter_map(|(i, p)| p.achieved.map(|a| (i, num(a)))).collect();
    let path: Vec<String> = pts.iter().map(|(i, v)| format!("{},{}", at(x(*i)), at(y(*v)))).collect();
    html! {
        svg.sla-chart data-sla=(c.sla_id) role="img"
            aria-label={ (c.sla_id) " achieved per period against target " (c.target) (sym) }
            width=(W) height=(H) viewBox={ "0 0 " (W) " " (H) } xmlns="http://www.w3.org/2000/svg"
            font-family="system-ui,sans-serif" font-size="13" {
            // Bands first, under everything.
            @if let Some((top, height)) = shortfall {
                rect.band-shortfall x=(LEFT) y=(at(top)) width=(at(W - LEFT - RIGHT)) height=(at(height)) fill="#f6c445" fill-opacity="0.18" {}
            }
            rect.band-miss x=(LEFT) y=(at(beyond.0)) width=(at(W - LEFT - RIGHT)) height=(at(beyond.1)) fill=(MISS) fill-opacity="0.08" {}
            // Gridlines and the y-axis.
            @for t in &ticks {
                line.grid x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(y(*t))) y2=(at(y(*t))) stroke="#dfe2ea" stroke-width="1" {}
                text.tick x=(at(LEFT - 8.0)) y=(at(y(*t) + 4.5)) text-anchor="end" fill="#4a4f5c" {
                    (tick_label(*t, step)) @if !sym.is_empty() { " " (sym) }
                }
            }
            line.axis x1=(LEFT) x2=(LEFT) y1=(TOP) y2=(at(H - BOTTOM)) stroke="#6b6f7b" {}
            line.axis x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(H - BOTTOM)) y2=(at(H - BOTTOM)) stroke="#6b6f7b" {}
            // Target and minimum.
            line.target x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(y(target))) y2=(at(y(target))) stroke=(MET) stroke-width="2" stroke-dasharray="7 4" {}
            @if let Some(m) = c.minimum {
                line.minimum x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(y(num(m)))) y2=(at(y(num(m)))) stroke=(MISS) stroke-width="2" stroke-dasharray="2 4" {}
            }
            // Achieved.
            @if pts.len() > 1 {
                polyline points=(path.join(" ")) fill="none" stroke=(LINE) stroke-width="2" {}
            }
            @for (i, p) in c.points.iter().enumerate() {
                @let colour = match p.status {
                    "met" => MET,
                    "missed" | "below_minimum" => MISS,
                    _ => OTHER,
                };
                @if let Some(a) = p.achieved {
                    @if p.earlier {
                        circle.point.earlier cx=(at(x(i))) cy=(at(y(num(a)))) r="5" fill="#fff" stroke=(colour) stroke-width="2" {
                            title { (p.period) ": " (a) (sym) " (" (p.status) ", from the ledger)" }
                        }
                    } @else {
                        circle.point cx=(at(x(i))) cy=(at(y(num(a)))) r="5.5" fill=(colour) stroke="#fff" stroke-width="1.5" {
                            title { (p.period) ": " (a) (sym) " (" (p.status) ")" }
                        }
                    }
                }
                text.period x=(at(x(i))) y=(at(H - BOTTOM + 20.0)) text-anchor="middle" fill="#1d2330" { (p.period) }
            }
            // Legend, above the plot.
            g.legend transform={ "translate(" (LEFT) ",14)" } {
                circle cx="6" cy="0" r="5" fill=(MET) {}
                text x="16" y="4.5" { "achieved, met" }
                circle cx="126" cy="0" r="5" fill=(MISS) {}
                text x="136" y="4.5" { "missed" }
                line x1="200" x2="228" y1="0" y2="0" stroke=(MET) stroke-width="2" stroke-dasharray="7 4" {}
                text x="234" y="4.5" { "target " (c.target) (sym) }
                @if let Some(m) = c.minimum {
                    line x1="360" x2="388" y1="0" y2="0" stroke=(MISS) stroke-width="2" stroke-dasharray="2 4" {}
                    text x="394" y="4.5" { "minimum " (m) (sym) }
                }
                rect x="500" y="-6" width="14" height="12" fill=(MISS) fill-opacity="0.15" {}
                text x="520" y="4.5" { @if c.minimum.is_some() { "below minimum" } @else { "below target" } }
                @if c.points.iter().any(|p| p.earlier) {
                    circle cx="6" cy="20" r="4.5" fill="#fff" stroke=(OTHER) stroke-width="2" {}
                    text x="16" y="24.5" { "earlier periods, from the ledger" }
                }
            }
        }
    }
}

/// The steps of a period's waterfall: label, amount, and whether it is a total (drawn from 0).
pub(crate) type Step<'a> = (&'a str, Decimal, bool);

/// The SVG of a period's waterfall from fees to net due.
pub(crate) fn waterfall(period: &str, steps: &[Step<'_>]) -> Markup {
    let (w, h, top, base) = (W, 240.0, 20.0, 196.0);
    let max = steps.iter().map(|(_, a, _)| num(*a).abs()).fold(1.0, f64::max);
    let scale = |v: f64| v / max * (base - top);
    let width = (w - 40.0) / steps.len().max(1) as f64;
    let mut level = 0.0;
    let bars: Vec<(&str, Decimal, f64, f64, f64, &str)> = steps
        .iter()
        .enumerate()
        .map(|(i, (label, amount, total))| {
            let v = num(*amount);
            let (from, to) = if *total { (0.0, v) } else { (level, level + v) };
            level = if *total { v } else { level + v };
            let (y0, y1) = (base - scale(from.max(to)), base - scale(from.min(to)));
            let colour = if *total {
                LINE
            } else if v < 0.0 {
                MISS
            } else {
                MET
            };
            (*label, *amount, 20.0 + i as f64 * width, y0, (y1 - y0).max(1.0), colour)
        })
        .collect();
    html! {
        svg.waterfall data-period=(period) role="img" aria-label={ (period) ": from fees to net due" }
            width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } xmlns="http://www.w3.org/2000/svg"
            font-family="system-ui,sans-serif" font-size="13" {
            line.axis x1="10" x2=(at(w - 10.0)) y1=(at(base)) y2=(at(base)) stroke="#6b6f7b" {}
            @for (label, value, x, y0, height, colour) in &bars {
                rect x=(at(*x)) y=(at(*y0)) width=(at(width - 24.0)) height=(at(*height)) fill=(colour) {
                    title { (label) ": " (amount(*value)) }
                }
                text.label x=(at(x + (width - 24.0) / 2.0)) y=(at(base + 18.0)) text-anchor="middle" fill="#1d2330" { (label) }
                text.value x=(at(x + (width - 24.0) / 2.0)) y=(at(base + 34.0)) text-anchor="middle" fill="#4a4f5c" { (amount(*value)) }
            }
        }
    }
}

/// The SVG of a contract's money per period: net due (blue) and credits (red) side by side,
/// on a y-axis of round amounts in the currency.
pub(crate) fn money_chart(contract: &str, currency: &str, rows: &[(&str, Decimal, Decimal)]) -> Markup {
    let max = rows.iter().map(|(_, n, c)| num(*n).max(num(*c))).fold(0.0, f64::max);
    let min = rows.iter().map(|(_, n, c)| num(*n).min(num(*c))).fold(0.0, f64::min);
    let ticks = nice_ticks(min, max.max(1.0), 6);
    let (y_lo, y_hi) = (ticks.first().copied().unwrap_or(0.0), ticks.last().copied().unwrap_or(1.0));
    let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + (y_hi - v) / (y_hi - y_lo).max(1e-9) * plot_h;
    let slot = (W - LEFT - RIGHT) / rows.len().max(1) as f64;
    let bar = (slot / 3.0).min(40.0);
    html! {
        svg.money-chart data-contract=(contract) role="img" aria-label={ (contract) ": net due and credits per period" }
            width=(W) height=(H) viewBox={ "0 0 " (W) " " (H) } xmlns="http://www.w3.org/2000/svg"
            font-family="system-ui,sans-serif" font-size="13" {
            @for t in &ticks {
                line.grid x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(y(*t))) y2=(at(y(*t))) stroke="#dfe2ea" {}
                text.tick x=(at(LEFT - 8.0)) y=(at(y(*t) + 4.5)) text-anchor="end" fill="#4a4f5c" { (tick_label(*t, step)) }
            }
            line.axis x1=(LEFT) x2=(at(W - RIGHT)) y1=(at(y(0.0))) y2=(at(y(0.0))) stroke="#6b6f7b" {}
            @for (i, (period, net, credits)) in rows.iter().enumerate() {
                @let x0 = LEFT + i as f64 * slot + slot / 2.0 - bar;
                @let (n, c) = (num(*net), num(*credits));
                rect.net x=(at(x0)) y=(at(y(n.max(0.0)))) width=(at(bar - 2.0)) height=(at((y(n.min(0.0)) - y(n.max(0.0))).max(1.0))) fill=(LINE) {
                    title { (period) ": net due " (amount(*net)) " " (currency) }
                }
                rect.credits x=(at(x0 + bar)) y=(at(y(c.max(0.0)))) width=(at(bar - 2.0)) height=(at((y(c.min(0.0)) - y(c.max(0.0))).max(1.0))) fill=(MISS) {
                    title { (period) ": credits " (amount(*credits)) " " (currency) }
                }
                text.period x=(at(x0 + bar)) y=(at(H - BOTTOM + 20.0)) text-anchor="middle" fill="#1d2330" { (period) }
            }
            g.legend transform={ "translate(" (LEFT) ",14)" } {
                rect x="0" y="-6" width="14" height="12" fill=(LINE) {}
                text x="20" y="4.5" { "net due (" (currency) ")" }
                rect x="160" y="-6" width="14" height="12" fill=(MISS) {}
                text x="180" y="4.5" { "credits: SLA after the cap, and obligations" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 100.0, 6), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(43.2, 81.7, 6), vec![40.0, 50.0, 60.0, 70.0, 80.0, 90.0]);
        assert_eq!(nice_ticks(99.1, 100.2, 6), vec![99.0, 99.25, 99.5, 99.75, 100.0, 100.25]);
        assert_eq!(nice_ticks(0.0, 0.0, 6), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        let t = nice_ticks(0.1, 0.7, 6);
        assert!(t.iter().all(|v| (v * 10.0 - (v * 10.0).round()).abs() < 1e-9), "{t:?}");
        assert!(t[0] <= 0.1 && *t.last().unwrap_or(&0.0) >= 0.7);
    }

    #[test]
    fn labels_use_the_decimals_the_step_needs() {
        assert_eq!(tick_label(80.0, 10.0), "80");
        assert_eq!(tick_label(99.5, 0.5), "99.5");
        assert_eq!(tick_label(99.25, 0.25), "99.25");
    }

    #[test]
    fn a_zero_amount_is_never_negative() {
        assert_eq!(amount(-Decimal::new(0, 2)), "0.00");
        assert_eq!(amount(Decimal::new(-5914, 2)), "-59.14");
    }

    #[test]
    fn an_sla_chart_has_gridlines_units_bands_and_a_legend() {
        let points = vec![
            Point { period: "2026-07", achieved: Some(Decimal::new(81, 0)), status: "met", earlier: true },
            Point {
                period: "2026-08",
                achieved: Some(Decimal::new(440553, 4)),
                status: "below_minimum",
                earlier: false,
            },
            Point { period: "2026-09", achieved: Some(Decimal::new(887711, 4)), status: "met", earlier: false },
        ];
        let chart = SlaChart {
            sla_id: "SL-1",
            unit: "percent",
            target: Decimal::from(80),
            minimum: Some(Decimal::from(70)),
            higher_is_better: true,
            points,
        }
        .render();
        assert!(chart.contains("class=\"legend\""), "{chart}");
        assert!(chart.contains("class=\"band-shortfall\"") && chart.contains("class=\"band-miss\""));
        assert!(chart.matches("class=\"grid\"").count() >= 4, "{chart}");
        assert!(chart.contains(">80 %<") || chart.contains(">80 %</text>"), "{chart}");
        assert!(chart.contains("target 80%") && chart.contains("minimum 70%"));
        assert!(chart.contains("2026-08: 44.0553% (below_minimum)"));
        assert!(
            chart.contains("2026-07: 81% (met, from the ledger)") && chart.contains("earlier periods, from the ledger")
        );
    }

    #[test]
    fn a_waterfall_labels_zero_steps_without_a_sign() {
        let steps = [
            ("fees", Decimal::new(100, 0), true),
            ("cap", -Decimal::new(0, 2), false),
            ("net due", Decimal::new(100, 0), true),
        ];
        let svg = waterfall("2026-09", &steps).into_string();
        assert!(!svg.contains("-0.00") && svg.contains(">0.00<"), "{svg}");
    }

    impl SlaChart<'_> {
        fn render(self) -> String {
            sla_chart(&self).into_string()
        }
    }
}

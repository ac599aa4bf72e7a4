//! A metric table from counts made elsewhere (`run --counts`): the numerators, denominators,
//! sample sizes, unsettled counts and percentile values that a contract's emitted SQL returns
//! per period and queue, finished into the rows [`super::compute`] makes from the contacts by
//! the same code (the additive sums, the nearest-rank percentile, interval compliance, the
//! worst dialler window), and the
//! metrics that need no contacts (availability, quality evaluations, agent hours) computed
//! here as `compute` computes them.

use super::outbound::fill_dialler;
use super::percentile::{fill_interval, fill_percentile};
use super::*;

/// One definition's figures in one period and queue, as the emitted SQL returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub n: i64,
    pub d: i64,
    pub s: i64,
    pub u: i64,
    /// A percentile's value in ms (`None`: no values).
    pub v: Option<i64>,
    /// Outbound: the attempts measured that lack a value the definition reads.
    pub missing: i64,
}

/// The figures of one period and queue ([`ALL`]: all queues), one per definition of the
/// request, in its order (`None`: the SQL has no figures there — interval compliance in a
/// queue without contacts on its channels — or the definition is not measured from contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub period_start: i64,
    pub queue: String,
    /// The outbound attempts' row (`--sql-for outbound`), or the inbound contacts'.
    pub outbound: bool,
    pub figures: Vec<Option<Figures>>,
}

/// Whether a definition is measured from the contacts, and so comes in the counts.
pub fn from_contacts(def: &MetricDef) -> bool {
    def.side_table().is_none() && !matches!(def, MetricDef::Availability(_))
}

/// The metric table `compute` would make, grouped by queue, from the counts of the contacts and
/// of the outbound attempts. Suppression hits and 30-day dialler windows are refused: the
/// emitted SQL does not compute them; so are attempts that lack a value a definition reads.
pub fn from_counts(req: &MetricsRequest, rows: &[CountRow], as_of: i64) -> Result<MetricTable, MetricsError> {
    let (bound, by) = bind(req)?;
    let req = &bound;
    if by != [Dim::Queue] {
        return Err(MetricsError::Engine("counts are read per queue only".to_string()));
    }
    if let Some(d) = req.definitions.iter().find(|d| d.outbound() && !super::sql::outbound_emitted(d)) {
        return Err(MetricsError::Input {
            metric: d.name().to_string(),
            message: format!(
                "{} is not in the counts the emitted SQL returns (callsla computes it from the attempts); assess this contract from the contact logs (--input instead of --counts)",
                d.definition()
            ),
        });
    }
    let (side, contacts): (Vec<MetricDef>, Vec<MetricDef>) =
        req.definitions.iter().cloned().partition(|d| d.side_table().is_some());
    let mut out = workforce::rows(req, &by, &side)?;
    let row_for = |key: &Key, def: &MetricDef| MetricRow::empty(req, key, def);
    let missing = |d: &MetricDef, r: &CountRow| {
        MetricsError::Input {
        metric: d.name().to_string(),
        message: format!(
            "the counts have no figures for {} in {}, queue {}; give the counts the contract's emitted SQL returns, unchanged",
            d.definition(),
            period::label(req.period, req.zone, r.period_start),
            r.queue
        ),
    }
    };
    for r in rows {
        let key: Key = (r.period_start, ALL.to_string(), r.queue.clone(), ALL.to_string());
        for (i, d) in req.definitions.iter().enumerate().filter(|(_, d)| from_contacts(d) && d.outbound() == r.outbound)
        {
            let f = r.figures.get(i).copied().flatten();
            if let Some(f) = f.filter(|f| f.missing > 0) {
                return Err(MetricsError::Input {
                    metric: d.name().to_string(),
                    message: format!(
                        "{} outbound attempt(s) it measures have no {} (counted by the emitted SQL); map it in the profile the warehouse loads with, or leave these attempts out of the contract's scope",
                        f.missing,
                        if d.reads_disposition() { "disposition (or party_zone)" } else { "party_zone" }
                    ),
                });
            }
            let mut row = row_for(&key, d);
            match d {
                // The worst campaign-day: its counts, and the windows with live answers.
                MetricDef::DiallerAbandonmentRate(da) if da.window != AbandonWindow::Period => {
                    let f = f.ok_or_else(|| missing(d, r))?;
                    fill_dialler(&mut row, count(f.s), count(f.u), (f.s > 0).then_some((f.n, f.d)));
                }
                MetricDef::IntervalCompliance(_) => match f {
                    Some(f) => fill_interval(&mut row, f.n, f.d, f.s),
                    None => continue,
                },
                MetricDef::ResponseTimePercentile(_) | MetricDef::ResolutionTimePercentile(_) => {
                    let f = f.ok_or_else(|| missing(d, r))?;
                    let found = match (f.s > 0, f.v) {
                        (false, _) => None,
                        (true, Some(v)) => Some((count(f.n), v)),
                        (true, None) => return Err(missing(d, r)),
                    };
                    fill_percentile(&mut row, count(f.s), count(f.u), found);
                }
                _ => {
                    let f = f.ok_or_else(|| missing(d, r))?;
                    fill_additive(&mut row, d, Sums { num: f.n, den: f.d, sample: f.s, unsettled: f.u });
                }
            }
            out.push(row);
        }
    }
    // Availability over the periods with inbound contacts, as `compute` measures it.
    let periods: Vec<i64> = rows
        .iter()
        .filter(|r| !r.outbound)
        .map(|r| r.period_start)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for d in &contacts {
        if let MetricDef::Availability(a) = d {
            out.extend(availability::rows(req, a, &periods, d, &row_for)?);
        }
    }
    Ok(table(req, out, as_of))
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)] // reason: tests fail loudly by design
mod tests {
    use super::*;

    fn request(definitions: Vec<MetricDef>) -> MetricsRequest {
        MetricsRequest {
            period: PeriodKind::Month,
            zone: chrono_tz::UTC,
            by: vec![Dim::Queue],
            definitions,
            as_of: None,
            outages: Vec::new(),
            csat_scale: ([1, 5], "test".to_string()),
            calendars: Vec::new(),
            suppression: None,
            qa: None,
            agent_hours: None,
            since: None,
        }
    }

    /// A definition from its `[[metric]]` table's lines.
    fn def(lines: &str) -> MetricDef {
        let file: definition::MetricsFile = toml::from_str(&format!("[[metric]]\n{lines}")).unwrap();
        file.metric.into_iter().next().unwrap()
    }

    /// Hand-worked: 3 of 4 answered within 20 s is 75.0000 %; the ASA of 2 answered contacts
    /// waiting 10.5 s in all is 5.250 s; a 90th percentile of 5 values is the value at rank
    /// ⌈4.5⌉ = 5; a percentile without values has no value but keeps its pending count.
    #[test]
    fn counts_are_finished_as_the_contacts_would_be() {
        let defs = vec![
            def("metric = \"service_level\"\nthreshold_s = 20"),
            def("metric = \"asa\""),
            def("metric = \"response_time_percentile\"\npercentile = 90"),
        ];
        let req = request(defs);
        let sep = period::parse_label(PeriodKind::Month, chrono_tz::UTC, "2026-09").unwrap();
        let f = |n, d, s, u, v| Some(Figures { n, d, s, u, v, missing: 0 });
        let rows = vec![
            CountRow {
                period_start: sep,
                queue: ALL.to_string(),
                outbound: false,
                figures: vec![f(3, 4, 4, 0, None), f(10_500, 2, 2, 0, None), f(5, 5, 5, 1, Some(61_000))],
            },
            CountRow {
                period_start: sep,
                queue: "billing".to_string(),
                outbound: false,
                figures: vec![f(0, 0, 0, 0, None), f(0, 0, 0, 0, None), f(0, 0, 0, 2, None)],
            },
        ];
        let t = from_counts(&req, &rows, 0).unwrap();
        let get = |q: &str, m: &str| t.rows.iter().find(|r| r.queue == q && r.metric == m).unwrap().clone();
        assert_eq!(get("*", "service_level").value, Some(Decimal::new(750_000, 4)));
        assert_eq!(get("*", "asa").value, Some(Decimal::new(5_250, 3)));
        let p = get("*", "response_time_percentile");
        assert_eq!(
            (p.value, p.numerator, p.denominator),
            (Some(Decimal::new(61_000, 3)), Some(5.into()), Some(5.into()))
        );
        assert!(p.provisional && p.unsettled == 1);
        let empty = get("billing", "response_time_percentile");
        assert_eq!((empty.value, empty.sample_size, empty.unsettled), (None, 0, 2));
        assert_eq!(get("billing", "service_level").value, None);
        // Rows in group order: all queues ('*') before billing.
        assert_eq!(t.rows[0].queue, "*");
    }

    /// Hand-worked: the worst campaign-day of 2 abandoned of 40 live answers is 5.0000 %, over 5
    /// campaign-days with live answers; a queue without live answers has no value.
    #[test]
    fn the_worst_dialler_day_is_finished_from_its_counts() {
        let req = request(vec![def("metric = \"dialler_abandonment_rate\"\nwindow = \"day\"")]);
        let f = |n, d, s| Some(Figures { n, d, s, u: 0, v: None, missing: 0 });
        let rows = vec![
            CountRow { period_start: 0, queue: ALL.to_string(), outbound: true, figures: vec![f(2, 40, 5)] },
            CountRow { period_start: 0, queue: "sales".to_string(), outbound: true, figures: vec![f(0, 0, 0)] },
        ];
        let t = from_counts(&req, &rows, 0).unwrap();
        let (all, sales) = (&t.rows[0], &t.rows[1]);
        assert_eq!(
            (all.value, all.numerator, all.denominator),
            (Some(Decimal::new(50_000, 4)), Some(2.into()), Some(40.into()))
        );
        assert_eq!(all.sample_size, 5);
        assert_eq!((sales.value, sales.numerator, sales.sample_size), (None, None, 0));
    }

    #[test]
    fn missing_figures_and_metrics_the_sql_lacks_are_refused() {
        let req = request(vec![def("metric = \"asa\"")]);
        let rows = vec![CountRow { period_start: 0, queue: ALL.to_string(), outbound: false, figures: vec![None] }];
        let e = from_counts(&req, &rows, 0).unwrap_err().to_string();
        assert!(e.contains("no figures for"), "{e}");
        let req = request(vec![def("metric = \"suppression_hits\"")]);
        let e = from_counts(&req, &[], 0).unwrap_err().to_string();
        assert!(e.contains("--input instead of --counts"), "{e}");
        // Attempts without a disposition are never read as compliant.
        let req = request(vec![def("metric = \"right_party_contact_rate\"")]);
        let figures = vec![Some(Figures { n: 1, d: 2, s: 2, u: 0, v: None, missing: 3 })];
        let rows = vec![CountRow { period_start: 0, queue: ALL.to_string(), outbound: true, figures }];
        let e = from_counts(&req, &rows, 0).unwrap_err().to_string();
        assert!(e.contains("3 outbound attempt(s) it measures have no disposition"), "{e}");
    }
}

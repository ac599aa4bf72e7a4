//! Outbound attempts: the per-attempt flags the additive outbound metrics read (calling window,
//! suppression list), the checks that every value they read is present, and the dialler
//! abandonment rate per campaign per day or per rolling 30 days. Formulas: docs/metrics.md,
//! "Outbound".

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, TimeZone as _};
use chrono_tz::Tz;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::columns::period_expr;
use super::rollup::{group_cols, group_index, i64_col, rollup_key};
use super::term::{DIALLER_ABANDONED, LIVE};
use super::terms::{b2i, in_channels, window_column, SUPPRESSED};
use super::*;
use crate::time::calendar::WeeklyHours;

/// The suppression list: keyed hashes of numbers not to be called (`--suppression`).
pub type SuppressionList = std::sync::Arc<std::collections::BTreeSet<String>>;

/// Reads a suppression list: a CSV with a `number_hash` column, one keyed hash a row (the same
/// key and hash as the logs' `number_hash`; docs/metrics.md, "Suppression list").
pub fn load_suppression(path: &std::path::Path) -> Result<SuppressionList, MetricsError> {
    let shown = path.display().to_string();
    let rows = crate::util::read_named_csv(path, &["number_hash"])
        .map_err(|(line, message)| MetricsError::File { path: format!("{shown}:{line}"), message })?;
    let mut out = std::collections::BTreeSet::new();
    for (line, values) in rows {
        let hash = values.into_iter().next().unwrap_or_default();
        if hash.is_empty() {
            return Err(MetricsError::File {
                path: format!("{shown}:{line}"),
                message: "empty number_hash; every row of a suppression list names one keyed hash".to_string(),
            });
        }
        out.insert(hash);
    }
    Ok(std::sync::Arc::new(out))
}

/// The campaign shown for attempts without one.
pub(crate) const NO_CAMPAIGN: &str = "(none)";

/// One outbound attempt's values, as the checks and flags read them.
struct Attempts<'a> {
    outbound: Vec<bool>,
    channel: Vec<Option<&'a str>>,
    campaign: Vec<Option<&'a str>>,
    judged: Option<Vec<bool>>,
    file: Vec<u32>,
    line: Vec<u64>,
}

impl<'a> Attempts<'a> {
    fn read(rows: &'a DataFrame) -> Result<Attempts<'a>, MetricsError> {
        let text = |name: &str| -> Result<Vec<Option<&'a str>>, MetricsError> {
            Ok(crate::schema::text_values(rows.column(name)?)?.collect())
        };
        let judged = match rows.column(JUDGED) {
            Ok(c) => Some(c.bool()?.iter().map(|v| v.unwrap_or(false)).collect()),
            Err(_) => None,
        };
        Ok(Attempts {
            outbound: text("direction")?.into_iter().map(|d| d == Some("outbound")).collect(),
            channel: text("channel")?,
            campaign: text("campaign")?,
            judged,
            file: rows.column(crate::schema::SOURCE_FILE)?.u32()?.iter().map(|v| v.unwrap_or(0)).collect(),
            line: rows.column(crate::schema::SOURCE_LINE)?.u64()?.iter().map(|v| v.unwrap_or(0)).collect(),
        })
    }

    /// Whether row `i` is an outbound attempt the definition measures.
    fn measured(&self, i: usize, def: &MetricDef, channels: &[String]) -> bool {
        self.outbound[i]
            && self.judged.as_ref().is_none_or(|j| j[i])
            && self.channel[i].is_some_and(|c| channels.iter().any(|x| x == c))
            && def.campaigns().is_none_or(|cs| self.campaign[i].is_some_and(|c| cs.iter().any(|x| x == c)))
    }

    /// Stops when measured attempts lack a value the definition reads.
    fn require(&self, def: &MetricDef, values: &[Option<&str>], field: &str, fix: &str) -> Result<(), MetricsError> {
        let channels = def.channels();
        let missing: Vec<usize> =
            (0..values.len()).filter(|&i| values[i].is_none() && self.measured(i, def, &channels)).collect();
        match missing.first() {
            None => Ok(()),
            Some(&i) => Err(MetricsError::Input {
                metric: def.name().to_string(),
                message: format!(
                    "{} outbound attempt(s) it measures have no {field} (the first: input {}, line {}); {fix}",
                    missing.len(),
                    self.file[i] + 1,
                    self.line[i]
                ),
            }),
        }
    }
}

/// Checks the outbound definitions' inputs and adds the helper columns they read:
/// `__outside{i}` for each calling-window definition and `__suppressed` for suppression hits.
pub(super) fn with_flags(rows: &DataFrame, req: &MetricsRequest) -> Result<DataFrame, MetricsError> {
    let mut out = rows.clone();
    let attempts = Attempts::read(rows)?;
    let disposition: Vec<Option<&str>> = crate::schema::text_values(rows.column("disposition")?)?.collect();
    let zone: Vec<Option<&str>> = crate::schema::text_values(rows.column("party_zone")?)?.collect();
    let hash: Vec<Option<&str>> = crate::schema::text_values(rows.column("number_hash")?)?.collect();
    let arrived: Vec<i64> = rows.column("arrived_at")?.datetime()?.phys.iter().map(|v| v.unwrap_or(0)).collect();
    let keep_out = "map `disposition` in the profile, or leave these attempts out of the contract's scope";
    for (idx, def) in req.definitions.iter().enumerate() {
        if def.reads_disposition() {
            attempts.require(def, &disposition, "disposition", keep_out)?;
        }
        match def {
            MetricDef::CallingWindowViolations(w) => {
                let hours = WeeklyHours::parse(&w.hours)?;
                let fallback =
                    w.unknown_zone.as_deref().map(str::parse::<Tz>).transpose().map_err(|_| MetricsError::Input {
                        metric: def.name().to_string(),
                        message: "unknown_zone is not an IANA time zone".to_string(),
                    })?;
                if fallback.is_none() {
                    attempts.require(
                        def,
                        &zone,
                        "party_zone",
                        "map `party_zone` in the profile, or give the metric `unknown_zone = \"Area/City\"` (the zone to assume, shown in its definition)",
                    )?;
                }
                let mut zones: HashMap<&str, Option<Tz>> = HashMap::new();
                let flags: Vec<Option<bool>> = (0..rows.height())
                    .map(|i| {
                        if !attempts.outbound[i] {
                            return None;
                        }
                        let tz = match zone[i] {
                            Some(z) => *zones.entry(z).or_insert_with(|| z.parse::<Tz>().ok()),
                            None => fallback,
                        }?;
                        let local = tz.timestamp_micros(arrived[i]).single()?.naive_local();
                        Some(!hours.contains(local))
                    })
                    .collect();
                out.with_column(aligned(
                    rows,
                    &window_column(idx),
                    &BooleanChunked::from_iter_options("w".into(), flags.into_iter()),
                )?)?;
            }
            MetricDef::SuppressionHits(_) => {
                let Some(list) = &req.suppression else {
                    return Err(MetricsError::Input {
                        metric: def.name().to_string(),
                        message: "needs the suppression list of keyed number hashes: give --suppression FILE"
                            .to_string(),
                    });
                };
                attempts.require(
                    def,
                    &hash,
                    "number_hash",
                    "map `number_hash` in the profile (a keyed hash of the called number), or leave these attempts out of the contract's scope",
                )?;
                let flags = BooleanChunked::from_iter_options(
                    "s".into(),
                    (0..rows.height()).map(|i| hash[i].map(|h| attempts.outbound[i] && list.contains(h))),
                );
                if out.column(SUPPRESSED).is_err() {
                    out.with_column(aligned(rows, SUPPRESSED, &flags)?)?;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Abandoned and live counts of one campaign window.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    abandoned: i64,
    live: i64,
}

/// The dialler abandonment rate per campaign per day, or per rolling 30 days: the worst window
/// of the period (numerator and denominator are its counts, the sample the windows measured).
#[allow(clippy::too_many_arguments)] // reason: one private helper, arguments are the request's parts
pub(super) fn dialler_abandonment(
    prepared: LazyFrame,
    req: &MetricsRequest,
    by: &[Dim],
    subsets: &[Vec<Dim>],
    all_keys: &[&Key],
    def: &MetricDef,
    window: AbandonWindow,
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, MetricsError> {
    const DAY: &str = "__day";
    let mut gate = in_channels(&def.channels());
    if let Some(cs) = def.campaigns() {
        gate = gate.and(cs.iter().fold(lit(false), |acc, c| acc.or(col("campaign").eq(lit(c.as_str())))));
    }
    let words = |ws: &[&str]| ws.iter().fold(lit(false), |acc, w| acc.or(col("disposition").eq(lit(*w))));
    let mut keys = group_cols(P, by);
    keys.push(col("campaign"));
    keys.push(col(DAY));
    let df = collect_streaming(
        prepared
            .filter(gate.fill_null(lit(false)))
            .with_column(period_expr(PeriodKind::Day, req.zone).alias(DAY))
            .group_by(keys)
            .agg([b2i(words(DIALLER_ABANDONED)).sum().alias("ab"), b2i(words(LIVE)).sum().alias("live")]),
    )?;
    let (groups, row_group) = group_index(&df, by, P)?;
    let campaigns: Vec<String> =
        crate::schema::text_values(df.column("campaign")?)?.map(|c| c.unwrap_or(NO_CAMPAIGN).to_string()).collect();
    let days = i64_col(&df, DAY)?;
    let (ab, live) = (i64_col(&df, "ab")?, i64_col(&df, "live")?);
    let date = |us: i64| req.zone.timestamp_micros(us).single().map(|t| t.date_naive());
    // Per roll-up group (period included), campaign and day.
    let mut cells: BTreeMap<Key, BTreeMap<(String, NaiveDate), Counts>> = BTreeMap::new();
    let mut first_day: Option<NaiveDate> = None;
    let since_day = req.since.and_then(date);
    for (r, g) in row_group.iter().enumerate() {
        let Some(d) = date(days[r]) else { continue };
        first_day = Some(first_day.map_or(d, |f| f.min(d)));
        for keep in subsets {
            let e = cells
                .entry(rollup_key(&groups[*g as usize], keep))
                .or_default()
                .entry((campaigns[r].clone(), d))
                .or_default();
            e.abandoned += ab[r];
            e.live += live[r];
        }
    }
    // For the rolling window: each group's days across periods, per campaign.
    let mut across: BTreeMap<(String, String, String, String), BTreeMap<NaiveDate, Counts>> = BTreeMap::new();
    if window == AbandonWindow::Days30 {
        for (key, per) in &cells {
            for ((campaign, day), c) in per {
                let e = across
                    .entry((key.1.clone(), key.2.clone(), key.3.clone(), campaign.clone()))
                    .or_default()
                    .entry(*day)
                    .or_default();
                e.abandoned += c.abandoned;
                e.live += c.live;
            }
        }
    }
    let mut out = Vec::new();
    let mut keys: Vec<Key> = all_keys.iter().map(|k| (*k).clone()).collect();
    keys.extend(cells.keys().cloned());
    keys.sort();
    keys.dedup();
    for key in keys {
        let mut worst: Option<Counts> = None;
        let (mut windows, mut partial) = (0u64, 0u64);
        for ((campaign, day), c) in cells.get(&key).into_iter().flatten() {
            let c = match window {
                AbandonWindow::Days30 => {
                    let start = day.checked_sub_days(chrono::Days::new(29)).unwrap_or(NaiveDate::MIN);
                    // Days missing from the window: those before the data's first day, unless
                    // the measurement starts on or after that day (nothing earlier counts).
                    if first_day.is_some_and(|f| start < f && since_day.is_none_or(|s| f > s)) {
                        partial += 1;
                    }
                    let days = across.get(&(key.1.clone(), key.2.clone(), key.3.clone(), campaign.clone()));
                    days.into_iter().flat_map(|m| m.range(start..=*day)).fold(Counts::default(), |acc, (_, c)| Counts {
                        abandoned: acc.abandoned + c.abandoned,
                        live: acc.live + c.live,
                    })
                }
                _ => *c,
            };
            if c.live == 0 {
                continue;
            }
            windows += 1;
            // Worse when ab/live is greater, compared exactly; the first such window is kept.
            if worst.is_none_or(|w| {
                i128::from(c.abandoned) * i128::from(w.live) > i128::from(w.abandoned) * i128::from(c.live)
            }) {
                worst = Some(c);
            }
        }
        let mut row = row_for(&key, def);
        fill_dialler(&mut row, windows, partial, worst.map(|w| (w.abandoned, w.live)));
        out.push(row);
    }
    Ok(out)
}

/// A dialler abandonment rate's figures over windows: the windows with live answers, those
/// missing days, and the worst window's abandoned and live counts (`None`: no window).
pub(super) fn fill_dialler(row: &mut MetricRow, windows: u64, partial: u64, worst: Option<(i64, i64)>) {
    row.sample_size = windows;
    row.unsettled = partial;
    row.provisional = partial > 0;
    if let Some((abandoned, live)) = worst {
        let (n, d) = (Decimal::from(abandoned), Decimal::from(live));
        row.numerator = Some(n);
        row.denominator = Some(d);
        row.value = crate::money::ratio(n * Decimal::ONE_HUNDRED, d, 4);
    }
}

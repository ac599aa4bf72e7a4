//! What a run judges and bills, as masks over the ingested rows (nothing is copied): the
//! contract's scope, its exclusion windows (and the outage time they remove), the billing
//! volumes per period and channel, and how much of each period the data covers. Written on
//! plain data (channel and queue lists, windows, the billable components of each period), so
//! this stage knows nothing of the contract that states them.

use chrono_tz::Tz;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::definition::Component;
use super::{aligned, collect_streaming, period, period_column, MetricsError, Outage, PeriodKind};

/// An agreed window in which contacts (and outage time) are not judged: a planned
/// maintenance, a declared incident (docs/contract.md, "[[exclusion]]").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    pub id: String,
    /// Start (inclusive) and end (exclusive), µs since the epoch.
    pub start: i64,
    pub end: i64,
    pub reason: String,
    pub reference: String,
    /// Channels and queues it applies to (`None` = all).
    pub channels: Option<Vec<String>>,
    pub queues: Option<Vec<String>>,
}

/// `[scope.outbound]`: the outbound attempts in scope — of these channels, queues and campaigns
/// (each `None`: all of the contract's scope). An attempt without a campaign is outside a
/// campaign list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboundScope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queues: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<Vec<String>>,
}

/// Contacts outside the scope, by channel, queue and direction (and campaign, for outbound
/// attempts that have one).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScopeCount {
    pub channel: String,
    pub queue: String,
    /// `inbound` or `outbound` (empty in assessments written before outputs recorded it).
    #[serde(default)]
    pub direction: String,
    pub contacts: u64,
    /// The outbound campaign, when the attempts have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The contract's queue this out-of-scope queue looks like (equal UTS #39 skeletons), when
    /// one does: probably the same queue spelled with a look-alike character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looks_like: Option<String>,
}

/// Contacts removed by an agreed exclusion window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExclusionCount {
    pub id: String,
    pub reason: String,
    pub reference: String,
    pub contacts: u64,
}

/// What the judged data covers of one assessed period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeriodCoverage {
    pub period: String,
    /// Judged contacts that arrived in the period.
    pub contacts: u64,
    /// First and last arrival (RFC 3339 in the contract's zone); empty without contacts.
    pub first_arrival: String,
    pub last_arrival: String,
    /// Why the period looks partial (the data starts or ends more than two days inside it),
    /// or empty.
    pub partial: String,
}

/// Billing volumes of one channel in one period (handled contacts and billable time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub period_start: i64,
    pub channel: String,
    /// `inbound` or `outbound`: the rate card that prices these contacts.
    pub direction: String,
    /// The outbound campaign card these attempts are priced on (`None`: the channel's card
    /// without a campaign).
    pub campaign: Option<String>,
    pub handled: u64,
    /// Σ billable milliseconds (the pricing's `billable` components of handled contacts).
    pub billable_ms: i64,
    /// Σ per contact of billable time rounded up to whole minutes.
    pub started_minutes: i64,
    /// Attempts whose disposition is a connect (outbound; docs/metrics.md, "Outbound").
    pub connects: u64,
    /// Handled contacts with `resolved` true.
    pub resolved: u64,
    /// Σ logged-in and productive milliseconds of the channel's agents (the agent-hours file),
    /// on the card that prices hours ([`super::workforce::add_hours`]).
    pub logged_in_ms: i64,
    pub productive_ms: i64,
}

/// One channel priced in one period, and which parts of handle time it bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub period_start: i64,
    pub channel: String,
    pub direction: String,
    /// The card's campaign (outbound campaign cards).
    pub campaign: Option<String>,
    /// For a card without a campaign: the campaigns other cards of its channel and direction
    /// price (their attempts are not this card's).
    pub claimed: Vec<String>,
    pub billable: Vec<Component>,
    /// The card prices logged-in hours, productive hours (from the agent-hours file).
    pub logged_in_hours: bool,
    pub productive_hours: bool,
}

impl Priced {
    /// The card prices contacts of this campaign (`None`: no campaign).
    fn takes(&self, campaign: Option<&str>) -> bool {
        match &self.campaign {
            Some(c) => campaign == Some(c.as_str()),
            None => campaign.is_none_or(|k| !self.claimed.iter().any(|c| c == k)),
        }
    }
}

/// A boolean expression evaluated on every row (no copy of the rows).
fn mask_of(rows: &DataFrame, expr: Expr) -> Result<BooleanChunked, MetricsError> {
    let df = rows.clone().lazy().select([expr.alias("__mask")]).collect()?;
    Ok(df.column("__mask")?.bool()?.rechunk().into_owned())
}

pub(crate) fn trues(mask: &BooleanChunked) -> u64 {
    u64::from(mask.sum().unwrap_or(0))
}

/// The column's value is one of `values`.
fn any_of(column: &str, values: &[String]) -> Expr {
    values.iter().fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v.clone()))))
}

/// Which contacts are in the contract's scope (a mask over the rows), and the out-of-scope
/// counts.
pub(crate) fn in_scope(
    rows: &DataFrame,
    channels: &[String],
    queues: &[String],
    directions: &[String],
    outbound: Option<&OutboundScope>,
) -> Result<(BooleanChunked, Vec<ScopeCount>), MetricsError> {
    let mut inside = any_of("channel", channels).and(any_of("queue", queues)).and(any_of("direction", directions));
    if let Some(o) = outbound {
        let mut ok = lit(true);
        if let Some(c) = &o.channels {
            ok = ok.and(any_of("channel", c));
        }
        if let Some(q) = &o.queues {
            ok = ok.and(any_of("queue", q));
        }
        if let Some(k) = &o.campaigns {
            ok = ok.and(any_of("campaign", k).fill_null(lit(false)));
        }
        inside = inside.and(col("direction").neq(lit("outbound")).or(ok));
    }
    let kept = mask_of(rows, inside.clone())?;
    let outside = rows
        .clone()
        .lazy()
        .filter(inside.not())
        .group_by([col("channel"), col("queue"), col("direction"), col("campaign")])
        .agg([len().alias("n")])
        // As text: an enum sorts by its codes, the report lists channels alphabetically.
        .with_columns([
            col("channel").cast(DataType::String),
            col("queue").cast(DataType::String),
            col("direction").cast(DataType::String),
            col("campaign").cast(DataType::String),
        ])
        .sort_by_exprs(
            [col("channel"), col("queue"), col("direction"), col("campaign")],
            SortMultipleOptions::default().with_nulls_last(false),
        )
        .collect()?;
    let mut counts = Vec::new();
    for i in 0..outside.height() {
        counts.push(ScopeCount {
            channel: outside.column("channel")?.str()?.get(i).unwrap_or_default().to_string(),
            queue: outside.column("queue")?.str()?.get(i).unwrap_or_default().to_string(),
            direction: outside.column("direction")?.str()?.get(i).unwrap_or_default().to_string(),
            contacts: outside.column("n")?.cast(&DataType::UInt64)?.u64()?.get(i).unwrap_or(0),
            campaign: outside.column("campaign")?.str()?.get(i).map(str::to_string),
            looks_like: None,
        });
    }
    for c in &mut counts {
        c.looks_like = crate::lookalike::resembles(&c.queue, queues).map(str::to_string);
    }
    Ok((kept, counts))
}

/// Takes the contacts that arrived inside an exclusion window (in its scope) out of `scoped`,
/// counting each contact under the first window that covers it; returns the judged contacts.
pub(crate) fn apply_exclusions(
    rows: &DataFrame,
    scoped: &BooleanChunked,
    exclusions: &[Exclusion],
) -> Result<(BooleanChunked, Vec<ExclusionCount>), MetricsError> {
    let mut current = scoped.clone();
    let mut counts = Vec::new();
    for e in exclusions {
        let t = col("arrived_at").dt().timestamp(TimeUnit::Microseconds);
        let mut mask = t.clone().gt_eq(lit(e.start)).and(t.lt(lit(e.end)));
        if let Some(chs) = &e.channels {
            mask = mask.and(any_of("channel", chs));
        }
        if let Some(qs) = &e.queues {
            mask = mask.and(any_of("queue", qs));
        }
        let window = mask_of(rows, mask)?;
        let hit = &current & &window;
        current = &current & &!&window;
        counts.push(ExclusionCount {
            id: e.id.clone(),
            reason: e.reason.clone(),
            reference: e.reference.clone(),
            contacts: trues(&hit),
        });
    }
    Ok((current, counts))
}

/// Removes the agreed exclusion windows from the outages: time inside an exclusion does not
/// count against availability (docs/contract.md, "[[exclusion]]").
pub(crate) fn clip_outages(outages: Vec<Outage>, exclusions: &[Exclusion]) -> Vec<Outage> {
    let mut out = Vec::new();
    for o in outages {
        let mut pieces = vec![(o.start, o.end)];
        for e in exclusions {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, t)| {
                    let mut keep = Vec::new();
                    if s < e.start {
                        keep.push((s, t.min(e.start)));
                    }
                    if t > e.end {
                        keep.push((s.max(e.end), t));
                    }
                    keep
                })
                .collect();
        }
        out.extend(pieces.into_iter().map(|(start, end)| Outage { start, end, ..o.clone() }));
    }
    out
}

/// The sums billing reads, for the contacts in scope of one period, channel, direction and
/// campaign: what `--sql-for volumes` returns per row, and what [`volumes`] prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeCell {
    pub period_start: i64,
    pub channel: String,
    pub direction: String,
    pub campaign: Option<String>,
    /// Every contact in scope (handled or not).
    pub contacts: u64,
    pub handled: u64,
    pub connects: u64,
    pub resolved: u64,
    /// Per billable set (in the order given to [`volume_cells`]): Σ billable ms of handled
    /// contacts, and Σ of each one's time rounded up to whole minutes.
    pub ms: Vec<i64>,
    pub started: Vec<i64>,
}

/// The billable sets of a contract's rate cards, each once, in the order of its cards.
pub fn billable_sets<'a>(cards: impl Iterator<Item = &'a [Component]>) -> Vec<Vec<Component>> {
    let mut sets: Vec<Vec<Component>> = Vec::new();
    for set in cards {
        if !sets.iter().any(|s| s == set) {
            sets.push(set.to_vec());
        }
    }
    sets
}

/// The contacts in scope (exclusions do not remove contacts from billing), summed per period,
/// channel, direction and campaign, with the billable time of each of `sets`.
pub(crate) fn volume_cells(
    rows: &DataFrame,
    scoped: &BooleanChunked,
    kind: PeriodKind,
    zone: Tz,
    sets: &[Vec<Component>],
) -> Result<Vec<VolumeCell>, MetricsError> {
    let mut rows = rows.clone();
    rows.with_column(aligned(&rows, "__scoped", scoped)?)?;
    let comp_ms = |comps: &[Component]| {
        comps.iter().fold(lit(0i64), |acc, comp| {
            let name = match comp {
                Component::Talk => "talk_s",
                Component::Hold => "hold_s",
                Component::Wrap => "wrap_s",
            };
            acc + col(name).dt().total_milliseconds(false).fill_null(lit(0i64))
        })
    };
    // Time and counts of handled (answered) contacts; connects by disposition.
    let connect = super::term::CONNECT
        .iter()
        .fold(lit(false), |acc, w| acc.or(col("disposition").eq(lit(*w))))
        .fill_null(lit(false));
    let resolved = col("answered").and(col("resolved").fill_null(lit(false)));
    let mut aggs = vec![
        len().alias("contacts"),
        col("answered").cast(DataType::Int64).sum().alias("handled"),
        connect.cast(DataType::Int64).sum().alias("connects"),
        resolved.cast(DataType::Int64).sum().alias("resolved"),
    ];
    for (k, set) in sets.iter().enumerate() {
        let ms = when(col("answered")).then(comp_ms(set)).otherwise(lit(0i64));
        aggs.push(ms.clone().sum().alias(format!("ms{k}")));
        aggs.push(((ms + lit(59_999i64)) / lit(60_000i64)).sum().alias(format!("started{k}")));
    }
    // On the streaming engine, as the metrics' group-by: the batches in parallel.
    let df = collect_streaming(
        rows.lazy()
            .filter(col("__scoped"))
            .with_column(period_column(kind, zone).alias("__p"))
            .group_by([col("__p"), col("channel"), col("direction"), col("campaign")])
            .agg(aggs)
            .with_columns([
                col("channel").cast(DataType::String),
                col("direction").cast(DataType::String),
                col("campaign").cast(DataType::String),
            ]),
    )?;
    let ints = |name: &str| -> Result<Vec<i64>, MetricsError> {
        let c = df.column(name)?.cast(&DataType::Int64)?;
        Ok(c.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
    };
    let text = |name: &str| -> Result<Vec<Option<String>>, MetricsError> {
        Ok(df.column(name)?.str()?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let (periods, contacts, handled, connects, resolved) =
        (ints("__p")?, ints("contacts")?, ints("handled")?, ints("connects")?, ints("resolved")?);
    let (channels, directions, campaigns) = (text("channel")?, text("direction")?, text("campaign")?);
    let per_set: Vec<(Vec<i64>, Vec<i64>)> = (0..sets.len())
        .map(|k| Ok((ints(&format!("ms{k}"))?, ints(&format!("started{k}"))?)))
        .collect::<Result<_, MetricsError>>()?;
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    let mut out: Vec<VolumeCell> = (0..df.height())
        .map(|i| VolumeCell {
            period_start: periods[i],
            channel: channels[i].clone().unwrap_or_default(),
            direction: directions[i].clone().unwrap_or_default(),
            campaign: campaigns[i].clone(),
            contacts: count(contacts[i]),
            handled: count(handled[i]),
            connects: count(connects[i]),
            resolved: count(resolved[i]),
            ms: per_set.iter().map(|(ms, _)| ms[i]).collect(),
            started: per_set.iter().map(|(_, st)| st[i]).collect(),
        })
        .collect();
    sort_cells(&mut out);
    Ok(out)
}

/// Volume cells in period, channel, direction and campaign order (no campaign first).
pub(crate) fn sort_cells(cells: &mut [VolumeCell]) {
    cells.sort_by(|a, b| {
        (a.period_start, &a.channel, &a.direction, &a.campaign).cmp(&(
            b.period_start,
            &b.channel,
            &b.direction,
            &b.campaign,
        ))
    });
}

/// How many contacts in scope are on `channel` in `direction`, outside `except_campaigns`.
pub(crate) fn scoped_count(cells: &[VolumeCell], channel: &str, direction: &str, except_campaigns: &[String]) -> u64 {
    cells
        .iter()
        .filter(|c| c.channel == channel && c.direction == direction)
        .filter(|c| c.campaign.as_ref().is_none_or(|k| !except_campaigns.contains(k)))
        .map(|c| c.contacts)
        .sum()
}

/// Billing volumes per priced period and channel, from the cells of [`volume_cells`] (`sets`
/// as given to it): each card takes the cells of its period, channel and direction — an
/// outbound card its own campaign, or the channel's unclaimed ones.
pub(crate) fn volumes(cells: &[VolumeCell], sets: &[Vec<Component>], priced: &[Priced]) -> Vec<Volume> {
    let mut out = Vec::new();
    for p in priced {
        let Some(k) = sets.iter().position(|s| *s == p.billable) else { continue };
        let mut v = Volume {
            period_start: p.period_start,
            channel: p.channel.clone(),
            direction: p.direction.clone(),
            campaign: p.campaign.clone(),
            ..Default::default()
        };
        for c in cells.iter().filter(|c| {
            c.period_start == p.period_start
                && c.channel == p.channel
                && c.direction == p.direction
                && (p.direction != "outbound" || p.takes(c.campaign.as_deref()))
        }) {
            v.handled += c.handled;
            v.billable_ms += c.ms.get(k).copied().unwrap_or(0);
            v.started_minutes += c.started.get(k).copied().unwrap_or(0);
            v.connects += c.connects;
            v.resolved += c.resolved;
        }
        out.push(v);
    }
    out
}

/// An assessed period with no judged contact, and where the judged contacts do fall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyPeriod {
    pub period: String,
    pub found: String,
}

/// How much of each assessed period the judged contacts cover. A gap of more than two days at
/// either end marks the period partial (said in the summary and audit.html). The first period
/// with no judged contact is returned beside the coverage: `run` stops on it (exit 3) unless
/// `--allow-empty-period`, and then the period is marked partial.
pub(crate) fn coverage(
    cells: &[CoverageCell],
    kind: PeriodKind,
    zone: Tz,
    periods: &[i64],
) -> (Vec<PeriodCoverage>, Option<EmptyPeriod>) {
    let two_days = 2 * 86_400_000_000_i64;
    let mut out = Vec::new();
    let mut empty = None;
    for &start in periods {
        let label = period::label(kind, zone, start);
        let end = period::period_end(kind, zone, start);
        let (n, first, last) = match cells.iter().find(|c| c.period_start == start) {
            Some(c) => (c.contacts, Some(c.first), Some(c.last)),
            None => (0, None, None),
        };
        if n == 0 && empty.is_none() {
            let all: Vec<i64> = cells.iter().map(|c| c.period_start).collect();
            let found = match (all.iter().min(), all.iter().max()) {
                (Some(a), Some(b)) => format!(
                    "the judged contacts fall in {} to {}",
                    period::label(kind, zone, *a),
                    period::label(kind, zone, *b)
                ),
                _ => "no contact is in scope at all".to_string(),
            };
            empty = Some(EmptyPeriod { period: label.clone(), found });
        }
        let day = |us: i64| period::rfc3339(zone, us).get(..10).unwrap_or_default().to_string();
        let mut partial = Vec::new();
        if let Some(f) = first.filter(|f| *f - start > two_days) {
            partial.push(format!("the data starts {}, {} days into the period", day(f), (f - start) / 86_400_000_000));
        }
        if let Some(l) = last.filter(|l| end - *l > two_days) {
            partial.push(format!(
                "the data ends {}, {} days before the period ends",
                day(l),
                (end - l) / 86_400_000_000
            ));
        }
        if n == 0 {
            partial.push("no contacts in scope (--allow-empty-period)".to_string());
        }
        out.push(PeriodCoverage {
            period: label,
            contacts: n,
            first_arrival: first.map(|f| period::rfc3339(zone, f)).unwrap_or_default(),
            last_arrival: last.map(|l| period::rfc3339(zone, l)).unwrap_or_default(),
            partial: partial.join("; "),
        });
    }
    (out, empty)
}

/// The judged contacts of one period: how many, and the first and last arrival (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageCell {
    pub period_start: i64,
    pub contacts: u64,
    pub first: i64,
    pub last: i64,
}

/// The judged contacts per period (what [`coverage`] reads), in period order.
pub(crate) fn coverage_cells(
    rows: &DataFrame,
    judged: &BooleanChunked,
    kind: PeriodKind,
    zone: Tz,
) -> Result<Vec<CoverageCell>, MetricsError> {
    let mut rows = rows.clone();
    rows.with_column(aligned(&rows, "__judged_c", judged)?)?;
    let t = col("arrived_at").dt().timestamp(TimeUnit::Microseconds);
    let df = rows
        .lazy()
        .filter(col("__judged_c"))
        .with_column(period_column(kind, zone).alias("__p"))
        .group_by([col("__p")])
        .agg([len().alias("n"), t.clone().min().alias("first"), t.max().alias("last")])
        .sort(["__p"], SortMultipleOptions::default())
        .collect()?;
    let (ps, ns, firsts, lasts) = (
        df.column("__p")?.i64()?,
        df.column("n")?.cast(&DataType::UInt64)?,
        df.column("first")?.i64()?,
        df.column("last")?.i64()?,
    );
    let ns = ns.u64()?;
    Ok((0..df.height())
        .map(|i| CoverageCell {
            period_start: ps.get(i).unwrap_or(0),
            contacts: ns.get(i).unwrap_or(0),
            first: firsts.get(i).unwrap_or(0),
            last: lasts.get(i).unwrap_or(0),
        })
        .collect())
}

//! The second step of reading a contract: the raw TOML (`raw`) checked key by key into the
//! validated [`Contract`], with every error naming the file, line and key. Contract-level
//! sections here; SLAs, credit shapes and tiers in [`sla`].
//!
//! One file on purpose (above 500 lines): the contract-level sections are checked in one
//! pass that resolves amendments into complete terms.

mod sla;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use toml::Spanned;

use super::raw::*;
use super::*;
use crate::metrics::scope::OutboundScope;
use crate::money::{Dec, Rounding, RoundingStrategy};
use crate::schema::CHANNELS;
use crate::time::calendar::{Calendar, CalendarSpec};
use crate::util::{did_you_mean, line_of};

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a str,
    /// Documented defaults applied so far, in words (see [`Contract::defaults`]).
    pub(super) noted: std::cell::RefCell<Vec<String>>,
}

type R<T> = Result<T, ContractError>;

impl Validator<'_> {
    /// Records a documented default the contract relies on (once).
    fn default_used(&self, line: String) {
        let mut noted = self.noted.borrow_mut();
        if !noted.contains(&line) {
            noted.push(line);
        }
    }

    /// `[[obligation]]`: each checked for its kind's keys, its event type and its credit.
    /// `sla_ids`: the ids of every SLA of the contract and its amendments — an obligation and
    /// an SLA share one list of results, so they may not share an id.
    fn obligations(&self, raw: &[Spanned<RawObligation>], sla_ids: &[&str]) -> R<Vec<Obligation>> {
        let mut out: Vec<Obligation> = Vec::new();
        for o in raw {
            let r = o.get_ref();
            if out.iter().any(|x| x.id == r.id) {
                return Err(self.err(o.span(), "obligation.id", Problem::DuplicateId(r.id.clone(), "obligation")));
            }
            if sla_ids.contains(&r.id.as_str()) {
                return Err(self.err(
                    o.span(),
                    "obligation.id",
                    Problem::DuplicateId(r.id.clone(), "SLA and obligation"),
                ));
            }
            let et = r.event_type.get_ref();
            if !EVENT_TYPES.contains(&et.as_str()) {
                return Err(self.err(
                    r.event_type.span(),
                    "obligation.event_type",
                    Problem::BadEventType(
                        et.clone(),
                        "security_incident, data_breach, audit_finding, certification, training, breach_notice, cure or other",
                    ),
                ));
            }
            let time = |t: &Option<Spanned<String>>, key: &str| -> R<Option<EventTime>> {
                let Some(t) = t else { return Ok(None) };
                Ok(Some(match t.get_ref().as_str() {
                    "occurred_at" => EventTime::OccurredAt,
                    "detected_at" => EventTime::DetectedAt,
                    "notified_at" => EventTime::NotifiedAt,
                    "resolved_at" => EventTime::ResolvedAt,
                    other => return Err(self.err(t.span(), key, Problem::BadEventTimestamp(other.to_string()))),
                }))
            };
            let keys = |kind: &'static str, what: &'static str| {
                self.err(o.span(), "obligation", Problem::ObligationKeys { kind, what })
            };
            let deadline_keys = r.from.is_some() || r.to.is_some() || r.within_hours.is_some();
            let kind = match r.kind.get_ref().as_str() {
                "deadline" => {
                    let (Some(from), Some(to), Some(h)) =
                        (time(&r.from, "obligation.from")?, time(&r.to, "obligation.to")?, r.within_hours.as_ref())
                    else {
                        return Err(keys("deadline", "needs from, to and within_hours"));
                    };
                    if r.max_count.is_some() || r.min_count.is_some() || r.severity.is_some() || r.reference.is_some() {
                        return Err(keys("deadline", "takes no max_count, min_count, severity or reference"));
                    }
                    if *h.get_ref() == 0 || *h.get_ref() > MAX_DISPUTE_DAYS * 24 {
                        return Err(self.err(
                            h.span(),
                            "obligation.within_hours",
                            Problem::OutOfRange { what: "within_hours", max: "87600", got: h.get_ref().to_string() },
                        ));
                    }
                    ObligationKind::Deadline { from, to, within_hours: *h.get_ref() }
                }
                "count_minimum" => {
                    let Some(min_count) = r.min_count.filter(|m| *m >= 1) else {
                        return Err(keys("count_minimum", "needs min_count of at least 1"));
                    };
                    if deadline_keys || r.reference.is_some() || r.max_count.is_some() {
                        return Err(keys("count_minimum", "takes no from, to, within_hours, max_count or reference"));
                    }
                    if let Some(s) = r.severity.as_ref().filter(|s| !(1..=5).contains(s.get_ref())) {
                        return Err(self.err(s.span(), "obligation.severity", Problem::BadSeverity(*s.get_ref())));
                    }
                    ObligationKind::CountMinimum { min_count, severity: r.severity.as_ref().map(|s| *s.get_ref()) }
                }
                "count_limit" => {
                    let Some(max_count) = r.max_count else { return Err(keys("count_limit", "needs max_count")) };
                    if deadline_keys || r.reference.is_some() || r.min_count.is_some() {
                        return Err(keys("count_limit", "takes no from, to, within_hours, min_count or reference"));
                    }
                    if let Some(s) = r.severity.as_ref().filter(|s| !(1..=5).contains(s.get_ref())) {
                        return Err(self.err(s.span(), "obligation.severity", Problem::BadSeverity(*s.get_ref())));
                    }
                    ObligationKind::CountLimit { max_count, severity: r.severity.as_ref().map(|s| *s.get_ref()) }
                }
                "certification" => {
                    if deadline_keys || r.max_count.is_some() || r.min_count.is_some() || r.severity.is_some() {
                        return Err(keys(
                            "certification",
                            "takes no from, to, within_hours, max_count, min_count or severity",
                        ));
                    }
                    ObligationKind::Certification { reference: r.reference.clone() }
                }
                other => {
                    return Err(self.err(
                        r.kind.span(),
                        "obligation.kind",
                        Problem::BadObligationKind(other.to_string()),
                    ))
                }
            };
            let c = r.credit.get_ref();
            let money = |v: &Spanned<Dec>, key: &str| self.non_negative(v.get_ref().0, v.span(), key);
            let credit = match (&c.per_event, &c.per_hour_late, &c.fixed) {
                (None, None, None) if c.tiers.is_some() => {
                    let Some(tiers) = c.tiers.as_ref() else { return Err(keys("deadline", "needs a credit")) };
                    if matches!(kind, ObligationKind::Certification { .. }) {
                        return Err(keys(
                            "certification",
                            "is credited with fixed (once per period without a valid certificate)",
                        ));
                    }
                    let list = tiers.get_ref();
                    if list.is_empty() {
                        return Err(self.err(tiers.span(), "obligation.credit.tiers", Problem::ObligationCreditNotOne));
                    }
                    let mut out_tiers = Vec::new();
                    let mut previous: Option<u32> = None;
                    for (i, t) in list.iter().enumerate() {
                        let last = i + 1 == list.len();
                        match t.up_to {
                            None if !last => {
                                return Err(self.err(
                                    tiers.span(),
                                    "obligation.credit.tiers",
                                    Problem::OpenTierNotLast("up_to"),
                                ))
                            }
                            Some(u) if previous.is_some_and(|p| u <= p) => {
                                return Err(self.err(
                                    tiers.span(),
                                    "obligation.credit.tiers",
                                    Problem::TiersOverlap {
                                        index: i + 1,
                                        start: u.to_string(),
                                        previous_end: previous.map(|p| p.to_string()).unwrap_or_default(),
                                    },
                                ))
                            }
                            _ => {}
                        }
                        previous = t.up_to;
                        out_tiers.push((
                            t.up_to,
                            self.non_negative(t.amount.0, tiers.span(), "obligation.credit.tiers.amount")?,
                        ));
                    }
                    ObligationCredit::Tiers(out_tiers)
                }
                _ if c.tiers.is_some() => {
                    return Err(self.err(r.credit.span(), "obligation.credit", Problem::ObligationCreditNotOne))
                }
                (Some(v), None, None) => ObligationCredit::PerEvent(money(v, "obligation.credit.per_event")?),
                (None, Some(v), None) => {
                    if !matches!(kind, ObligationKind::Deadline { .. }) {
                        return Err(self.err(v.span(), "obligation.credit.per_hour_late", Problem::PerHourNotDeadline));
                    }
                    ObligationCredit::PerHourLate(money(v, "obligation.credit.per_hour_late")?)
                }
                (None, None, Some(v)) => ObligationCredit::Fixed(money(v, "obligation.credit.fixed")?),
                _ => return Err(self.err(r.credit.span(), "obligation.credit", Problem::ObligationCreditNotOne)),
            };
            if matches!(kind, ObligationKind::Certification { .. }) && !matches!(credit, ObligationCredit::Fixed(_)) {
                // (tiers were refused above with the same message)
                return Err(keys(
                    "certification",
                    "is credited with fixed (once per period without a valid certificate)",
                ));
            }
            let cap = r.cap.as_ref().map(|v| money(v, "obligation.cap")).transpose()?;
            out.push(Obligation {
                id: r.id.clone(),
                name: r.name.clone(),
                event_type: et.clone(),
                kind,
                credit,
                cap,
                material_breach: r.material_breach.unwrap_or(false),
                clause: r.clause.clone().unwrap_or_else(|| format!("obligation.{}", r.id)),
            });
        }
        Ok(out)
    }

    /// `[disputes]`: the notice window and the stages, each bounded (docs/contract.md).
    fn disputes(&self, d: &Spanned<RawDisputes>) -> R<Disputes> {
        let r = d.get_ref();
        let days = |v: u32, span: std::ops::Range<usize>, key: &str| {
            if v == 0 || v > MAX_DISPUTE_DAYS {
                return Err(self.err(span, key, Problem::DaysOutOfRange { max: MAX_DISPUTE_DAYS, got: v }));
            }
            Ok(v)
        };
        let notice_days = days(*r.notice_days.get_ref(), r.notice_days.span(), "disputes.notice_days")?;
        if r.stages.get_ref().is_empty() {
            return Err(self.err(r.stages.span(), "disputes.stages", Problem::NoDisputeStages));
        }
        let mut stages: Vec<DisputeStage> = Vec::new();
        for st in r.stages.get_ref() {
            let ok = !st.name.is_empty()
                && st.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(self.err(r.stages.span(), "disputes.stages.name", Problem::BadStageName(st.name.clone())));
            }
            if stages.iter().any(|x| x.name == st.name) {
                return Err(self.err(
                    r.stages.span(),
                    "disputes.stages.name",
                    Problem::DuplicateId(st.name.clone(), "dispute stage"),
                ));
            }
            let days = days(st.days, r.stages.span(), "disputes.stages.days")?;
            stages.push(DisputeStage { name: st.name.clone(), days });
        }
        let hold = r.hold_disputed_amounts.unwrap_or_else(|| {
            self.default_used(
                "disputes.hold_disputed_amounts: true, a disputed amount accrues no late interest while the dispute is open (the key is left out)"
                    .to_string(),
            );
            true
        });
        Ok(Disputes { notice_days, hold, stages })
    }

    fn err(&self, span: std::ops::Range<usize>, key: impl Into<String>, problem: Problem) -> ContractError {
        ContractError::Invalid {
            path: self.path.to_string(),
            line: line_of(self.text, span.start),
            key: key.into(),
            problem: Box::new(problem),
        }
    }

    fn date(&self, s: &Spanned<String>, key: &str) -> R<NaiveDate> {
        NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d")
            .map_err(|_| self.err(s.span(), key, Problem::BadDate(s.get_ref().clone())))
    }

    fn percent(&self, v: &Spanned<Dec>, key: &str, max: &'static str) -> R<Decimal> {
        let d = v.get_ref().0;
        let limit: Decimal = max.parse().unwrap_or(Decimal::ONE_HUNDRED);
        if d < Decimal::ZERO || d > limit {
            return Err(self.err(v.span(), key, Problem::OutOfRange { what: "a percentage", max, got: d.to_string() }));
        }
        Ok(d)
    }

    /// `[[calendar]]` entries: each checked, ids unique.
    fn calendars(&self, raw: &[Spanned<CalendarSpec>], zone: Tz) -> R<Vec<Calendar>> {
        let mut out: Vec<Calendar> = Vec::new();
        for c in raw {
            let cal = Calendar::from_spec(c.get_ref(), zone)
                .map_err(|e| self.err(c.span(), "calendar", Problem::Calendar(e.to_string())))?;
            if out.iter().any(|o| o.id == cal.id) {
                return Err(self.err(c.span(), "calendar.id", Problem::DuplicateId(cal.id.clone(), "calendar")));
            }
            out.push(cal);
        }
        Ok(out)
    }

    fn non_negative(&self, v: Decimal, span: std::ops::Range<usize>, key: &str) -> R<Decimal> {
        if v < Decimal::ZERO {
            return Err(self.err(span, key, Problem::Negative(v.to_string())));
        }
        Ok(v)
    }

    pub(super) fn contract(&self, raw: RawContract) -> R<Contract> {
        let mut defaults: Vec<String> = Vec::new();
        let h = raw.contract.get_ref();
        let hs = raw.contract.span();
        let zone: Tz = h.time_zone.get_ref().parse().map_err(|_| {
            self.err(h.time_zone.span(), "contract.time_zone", Problem::UnknownZone(h.time_zone.get_ref().clone()))
        })?;
        let cur = h.currency.get_ref();
        if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.err(h.currency.span(), "contract.currency", Problem::BadCurrency(cur.clone())));
        }
        let period = match h.measurement_period.get_ref().as_str() {
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            other => {
                return Err(self.err(
                    h.measurement_period.span(),
                    "contract.measurement_period",
                    Problem::BadPeriod(other.to_string()),
                ))
            }
        };
        let period_name = if period == PeriodKind::Month { "month" } else { "quarter" };
        let effective_from = self.date(&h.effective_from, "contract.effective_from")?;
        let effective_to = h.effective_to.as_ref().map(|d| self.date(d, "contract.effective_to")).transpose()?;
        if let (Some(to), Some(span)) = (effective_to, h.effective_to.as_ref().map(|s| s.span())) {
            if to < effective_from {
                return Err(self.err(
                    span,
                    "contract.effective_to",
                    Problem::DatesOutOfOrder {
                        what: "effective_to",
                        later: to.to_string(),
                        earlier_what: "effective_from",
                        earlier: effective_from.to_string(),
                    },
                ));
            }
        }
        let is_period_start = |d: NaiveDate| {
            use chrono::Datelike;
            d.day() == 1 && (period == PeriodKind::Month || d.month0().is_multiple_of(3))
        };
        if !is_period_start(effective_from) {
            return Err(self.err(
                h.effective_from.span(),
                "contract.effective_from",
                Problem::NotPeriodStart { period: period_name, date: effective_from.to_string() },
            ));
        }
        let rounding = match &raw.rounding {
            Some(r) => {
                let rr = r.get_ref();
                if rr.minor_units > 4 {
                    return Err(self.err(
                        r.span(),
                        "rounding.minor_units",
                        Problem::OutOfRange { what: "minor units", max: "4", got: rr.minor_units.to_string() },
                    ));
                }
                Rounding { minor_units: rr.minor_units, strategy: rr.strategy }
            }
            None => {
                defaults.push("rounding: 2 minor units, half_even (the contract has no [rounding])".to_string());
                Rounding { minor_units: 2, strategy: RoundingStrategy::HalfEven }
            }
        };

        let scope = raw.scope.get_ref();
        let mut channels = Vec::new();
        for c in &scope.channels {
            if !CHANNELS.contains(&c.get_ref().as_str()) {
                return Err(self.err(c.span(), "scope.channels", Problem::UnknownChannel(c.get_ref().clone())));
            }
            channels.push(c.get_ref().clone());
        }
        let queues: Vec<String> = scope.queues.iter().map(|q| q.get_ref().clone()).collect();
        let mut directions = Vec::new();
        for d in scope.directions.iter().flatten() {
            if !crate::schema::DIRECTIONS.contains(&d.get_ref().as_str()) {
                return Err(self.err(d.span(), "scope.directions", Problem::UnknownDirection(d.get_ref().clone())));
            }
            if !directions.contains(d.get_ref()) {
                directions.push(d.get_ref().clone());
            }
        }
        let directions_defaulted = scope.directions.is_none();
        if directions_defaulted {
            directions.push("inbound".to_string());
        }

        let outbound_scope =
            scope.outbound.as_ref().map(|o| self.outbound_scope(o, &channels, &queues, &directions)).transpose()?;

        let calendars = self.calendars(&raw.calendar, zone)?;
        let calendar_ids: Vec<&str> = calendars.iter().map(|c| c.id.as_str()).collect();
        let ctx = Ctx {
            channels: &channels,
            queues: &queues,
            directions: &directions,
            calendars: &calendar_ids,
            campaigns: outbound_scope.as_ref().and_then(|o| o.campaigns.as_deref()),
        };
        let pricing = self.pricing(&raw.pricing, &ctx)?;
        let credits = self.credits(&raw.credits)?;
        if raw.sla.is_empty() {
            return Err(self.err(hs.clone(), "sla", Problem::NoSla));
        }
        let slas = raw.sla.iter().map(|s| self.sla(s, &ctx)).collect::<R<Vec<_>>>()?;
        self.check_slas(&slas, &raw.sla)?;
        let mut terms = vec![Terms {
            version: "original".to_string(),
            reason: String::new(),
            from: effective_from,
            pricing,
            credits,
            slas,
        }];

        let mut seen_dates = BTreeSet::new();
        let mut amendments: Vec<&Spanned<RawAmendment>> = raw.amendment.iter().collect();
        amendments.sort_by(|a, b| a.get_ref().effective_from.get_ref().cmp(b.get_ref().effective_from.get_ref()));
        for a in amendments {
            let ar = a.get_ref();
            let from = self.date(&ar.effective_from, "amendment.effective_from")?;
            if from <= effective_from {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::DatesOutOfOrder {
                        what: "the amendment",
                        later: from.to_string(),
                        earlier_what: "or on the contract's effective_from",
                        earlier: effective_from.to_string(),
                    },
                ));
            }
            if !is_period_start(from) {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::NotPeriodStart { period: period_name, date: from.to_string() },
                ));
            }
            if !seen_dates.insert(from) {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::AmendmentsOverlap(from.to_string()),
                ));
            }
            let prev = terms.last().cloned().unwrap_or_else(|| terms[0].clone());
            let mut next = Terms { version: ar.id.clone(), reason: ar.reason.clone(), from, ..prev };
            for id in &ar.remove_sla {
                let before = next.slas.len();
                next.slas.retain(|s| &s.id != id);
                if next.slas.len() == before {
                    let hint = did_you_mean(id, next.slas.iter().map(|s| s.id.as_str()));
                    return Err(self.err(a.span(), "amendment.remove_sla", Problem::UnknownSla(id.clone(), hint)));
                }
            }
            for s in &ar.sla {
                let sla = self.sla(s, &ctx)?;
                match next.slas.iter_mut().find(|x| x.id == sla.id) {
                    Some(x) => *x = sla,
                    None => next.slas.push(sla),
                }
            }
            for p in self.pricing(&ar.pricing, &ctx)? {
                match next
                    .pricing
                    .iter_mut()
                    .find(|x| x.channel == p.channel && x.direction == p.direction && x.campaign == p.campaign)
                {
                    Some(x) => *x = p,
                    None => next.pricing.push(p),
                }
            }
            // An amendment's card may price hours that another card of the channel still does.
            for (i, p) in next.pricing.iter().enumerate().filter(|(_, p)| p.prices_hours()) {
                if next.pricing[..i].iter().any(|x| x.channel == p.channel && x.prices_hours()) {
                    let at = ar.pricing.first().map_or(0..0, |r| r.span());
                    return Err(self.err(at, "amendment.pricing", Problem::HoursPricedTwice(p.channel.clone())));
                }
            }
            if let Some(c) = &ar.credits {
                next.credits = self.credits(c)?;
            }
            self.check_slas(&next.slas, &ar.sla)?;
            terms.push(next);
        }

        let exclusions = raw
            .exclusion
            .iter()
            .map(|e| {
                let er = e.get_ref();
                let ts = |s: &Spanned<String>, key: &str| {
                    crate::time::timestamp::rfc3339(
                        s.get_ref().trim(),
                        Some((zone, crate::time::timestamp::DstAmbiguous::Earliest)),
                    )
                    .map_err(|_| self.err(s.span(), key, Problem::BadTimestamp(s.get_ref().clone())))
                };
                let (start, end) = (ts(&er.start, "exclusion.start")?, ts(&er.end, "exclusion.end")?);
                if end <= start {
                    return Err(self.err(
                        er.end.span(),
                        "exclusion.end",
                        Problem::DatesOutOfOrder {
                            what: "end",
                            later: er.end.get_ref().clone(),
                            earlier_what: "start",
                            earlier: er.start.get_ref().clone(),
                        },
                    ));
                }
                // A channel or queue outside the scope would never match: a typo, refused.
                for (values, allowed, what, key) in [
                    (&er.channels, &channels, "channels", "exclusion.channels"),
                    (&er.queues, &queues, "queues", "exclusion.queues"),
                ] {
                    for v in values.iter().flatten() {
                        if !allowed.contains(v) {
                            return Err(self.err(e.span(), key, Problem::not_in_scope(what, v, allowed)));
                        }
                    }
                }
                Ok(Exclusion {
                    id: er.id.clone(),
                    start,
                    end,
                    reason: er.reason.clone(),
                    reference: er.reference.clone().unwrap_or_default(),
                    channels: er.channels.clone(),
                    queues: er.queues.clone(),
                })
            })
            .collect::<R<Vec<_>>>()?;
        let mut ids = BTreeSet::new();
        for (e, raw_e) in exclusions.iter().zip(&raw.exclusion) {
            if !ids.insert(e.id.clone()) {
                return Err(self.err(raw_e.span(), "exclusion.id", Problem::DuplicateId(e.id.clone(), "exclusion")));
            }
        }
        let volume_relief_tolerance_percent = raw
            .volume_relief
            .as_ref()
            .map(|v| self.percent(&v.get_ref().tolerance_percent, "volume_relief.tolerance_percent", "1000"))
            .transpose()?;
        let termination = match &raw.termination {
            None => Termination::default(),
            Some(t) => {
                let tr = t.get_ref();
                let window = |w: &Option<RawWindow>, key: &str| -> R<Option<Window>> {
                    match w {
                        None => Ok(None),
                        Some(w) if w.count >= 1 && w.count <= w.window => {
                            Ok(Some(Window { count: w.count, window: w.window }))
                        }
                        Some(w) => {
                            Err(self.err(t.span(), key, Problem::BadWindow { count: w.count, window: w.window }))
                        }
                    }
                };
                if tr.consecutive_misses == Some(0) {
                    return Err(self.err(t.span(), "termination.consecutive_misses", Problem::ZeroCount));
                }
                let days = |v: Option<u32>, key: &str, zero_ok: bool| -> R<Option<u32>> {
                    match v {
                        Some(d) if d > MAX_DISPUTE_DAYS || (d == 0 && !zero_ok) => {
                            Err(self.err(t.span(), key, Problem::DaysOutOfRange { max: MAX_DISPUTE_DAYS, got: d }))
                        }
                        v => Ok(v),
                    }
                };
                let notice_days = days(tr.notice_days, "termination.notice_days", true)?.unwrap_or_else(|| {
                    self.default_used(
                        "termination.notice_days: 0, a termination takes effect on notice (the key is left out)"
                            .to_string(),
                    );
                    0
                });
                let for_convenience = match &tr.for_convenience {
                    None => None,
                    Some(fc) => {
                        if fc.party != "client" && fc.party != "provider" {
                            return Err(self.err(
                                t.span(),
                                "termination.for_convenience.party",
                                Problem::BadParty(fc.party.clone()),
                            ));
                        }
                        days(Some(fc.notice_days), "termination.for_convenience.notice_days", true)?;
                        if fc.fees.is_empty() {
                            return Err(self.err(t.span(), "termination.for_convenience.fees", Problem::NoFees));
                        }
                        let mut fees = Vec::new();
                        for f in &fc.fees {
                            fees.push(self.non_negative(f.0, t.span(), "termination.for_convenience.fees")?);
                        }
                        Some(Convenience { party: fc.party.clone(), notice_days: fc.notice_days, fees })
                    }
                };
                Termination {
                    consecutive_misses: tr.consecutive_misses,
                    misses_in_window: window(&tr.misses_in_window, "termination.misses_in_window")?,
                    cap_hits_in_window: window(&tr.cap_hits_in_window, "termination.cap_hits_in_window")?,
                    notice_days,
                    cure_days: days(tr.cure_days, "termination.cure_days", false)?,
                    for_convenience,
                    unpaid_days: days(tr.unpaid_days, "termination.unpaid_days", false)?,
                }
            }
        };
        let payment = raw
            .payment
            .as_ref()
            .map(|p| {
                let pr = p.get_ref();
                let day_count = match pr.day_count.get_ref().as_str() {
                    "actual_365" => DayCount::Actual365,
                    "actual_360" => DayCount::Actual360,
                    "thirty_360" => DayCount::Thirty360,
                    other => {
                        return Err(self.err(
                            pr.day_count.span(),
                            "payment.day_count",
                            Problem::BadDayCount(other.to_string()),
                        ))
                    }
                };
                for (key, days) in [
                    ("payment.net_days", Some(pr.net_days)),
                    ("payment.invoice_lag_days", pr.invoice_lag_days),
                    ("payment.grace_days", pr.grace_days),
                ] {
                    if let Some(d) = days.filter(|d| *d > 3650) {
                        return Err(self.err(
                            p.span(),
                            key,
                            Problem::OutOfRange { what: "a number of days", max: "3650", got: d.to_string() },
                        ));
                    }
                }
                Ok(Payment {
                    net_days: pr.net_days,
                    invoice_lag_days: pr.invoice_lag_days.unwrap_or_else(|| {
                        self.default_used(
                            "payment.invoice_lag_days: 0, invoices dated the day after the period (the key is left out)"
                                .to_string(),
                        );
                        0
                    }),
                    late_interest_annual_percent: self.percent(
                        &pr.late_interest_annual_percent,
                        "payment.late_interest_annual_percent",
                        "100",
                    )?,
                    day_count,
                    grace_days: pr.grace_days.unwrap_or_else(|| {
                        self.default_used(
                            "payment.grace_days: 0, interest from the due date (the key is left out)".to_string(),
                        );
                        0
                    }),
                    restatements: match pr.restatements.as_ref().map(|r| (r, r.get_ref().as_str())) {
                        None => {
                            self.default_used("payment.restatements: next_invoice (the key is left out)".to_string());
                            Restatements::NextInvoice
                        }
                        Some((_, "next_invoice")) => Restatements::NextInvoice,
                        Some((_, "notes")) => Restatements::Notes,
                        Some((r, other)) => {
                            return Err(self.err(
                                r.span(),
                                "payment.restatements",
                                Problem::BadRestatements(other.to_string()),
                            ))
                        }
                    },
                })
            })
            .transpose()?;
        let mut taxes: Vec<Tax> = Vec::new();
        for t in &raw.tax {
            let tr = t.get_ref();
            if taxes.iter().any(|x| x.name == tr.name) {
                return Err(self.err(t.span(), "tax.name", Problem::DuplicateTax(tr.name.clone())));
            }
            for lt in tr.applies_to.get_ref() {
                if !LINE_TYPES.contains(&lt.as_str()) {
                    return Err(self.err(
                        tr.applies_to.span(),
                        "tax.applies_to",
                        Problem::BadLineType(
                            lt.clone(),
                            "fee, credit, cap_adjustment, earn_back, restatement, late_interest or dispute_settlement",
                        ),
                    ));
                }
            }
            taxes.push(Tax {
                name: tr.name.clone(),
                rate_percent: self.percent(&tr.rate_percent, "tax.rate_percent", "100")?,
                applies_to: tr.applies_to.get_ref().clone(),
                rounding: match tr.rounding.get_ref().as_str() {
                    "line" => TaxRounding::Line,
                    "document" => TaxRounding::Document,
                    other => {
                        return Err(self.err(
                            tr.rounding.span(),
                            "tax.rounding",
                            Problem::BadTaxRounding(other.to_string()),
                        ))
                    }
                },
            });
        }

        let mut contract = Contract {
            id: h.id.clone(),
            name: h.name.clone().unwrap_or_default(),
            client: h.client.clone(),
            provider: h.provider.clone(),
            currency: cur.clone(),
            zone,
            period,
            effective_from,
            effective_to,
            rounding,
            channels,
            queues,
            directions,
            directions_defaulted,
            outbound_scope,
            terms,
            exclusions,
            volume_relief_tolerance_percent,
            termination,
            payment,
            taxes,
            inputs: Inputs {
                outages: Need::Required,
                forecast: Need::Required,
                payments: Need::Required,
                events: Need::Required,
                suppression: Need::Required,
                qa: Need::Required,
                agent_hours: Need::Required,
            },
            disputes: raw.disputes.as_ref().map(|d| self.disputes(d)).transpose()?,
            obligations: self.obligations(
                &raw.obligation,
                &raw.sla
                    .iter()
                    .chain(raw.amendment.iter().flat_map(|a| a.get_ref().sla.iter()))
                    .map(|s| s.get_ref().id.as_str())
                    .collect::<Vec<_>>(),
            )?,
            not_assessed: h.not_assessed.unwrap_or_default(),
            not_assessed_defaulted: h.not_assessed.is_none(),
            calendars: calendars.clone(),
            defaults,
        };
        contract.inputs = self.inputs(raw.inputs.as_ref(), &contract)?;
        contract.defaults.extend(self.noted.borrow().iter().cloned());
        let allocates = |t: &Terms| t.slas.iter().any(|s| matches!(s.credit, Some(CreditShape::Allocation { .. })));
        if contract.terms.iter().any(|t| t.credits.pool_defaulted && allocates(t)) {
            contract.defaults.push("credits.pool_percent: 100 (the key is left out)".to_string());
        }
        for t in &contract.terms {
            for p in &t.pricing {
                if p.billable_defaulted {
                    let line =
                        format!("pricing[{}].billable: talk, hold and wrap time (the key is left out)", p.channel);
                    if !contract.defaults.contains(&line) {
                        contract.defaults.push(line);
                    }
                }
            }
        }
        Ok(contract)
    }

    /// `[inputs]`: each key must name an input the contract needs.
    fn inputs(&self, raw: Option<&Spanned<RawInputs>>, c: &Contract) -> R<Inputs> {
        let mut out = Inputs {
            outages: Need::Required,
            forecast: Need::Required,
            payments: Need::Required,
            events: Need::Required,
            suppression: Need::Required,
            qa: Need::Required,
            agent_hours: Need::Required,
        };
        let Some(raw) = raw else { return Ok(out) };
        let r = raw.get_ref();
        type Check<'c> = (&'c Option<Spanned<String>>, &'c mut Need, bool, &'static str, &'static str, &'static str);
        use crate::metrics::definition::SideInput;
        let checks: [Check<'_>; 7] = [
            (&r.outages, &mut out.outages, c.needs_outages(), "inputs.outages", "outage log", "availability SLA"),
            (&r.forecast, &mut out.forecast, c.needs_forecast(), "inputs.forecast", "forecast", "[volume_relief]"),
            (&r.payments, &mut out.payments, c.needs_payments(), "inputs.payments", "payments file", "[payment] terms"),
            (&r.events, &mut out.events, c.needs_events(), "inputs.events", "events log", "[[obligation]] entries"),
            (
                &r.suppression,
                &mut out.suppression,
                c.needs_suppression(),
                "inputs.suppression",
                "suppression list",
                "suppression_hits SLA",
            ),
            (&r.qa, &mut out.qa, c.needs_side(SideInput::Qa), "inputs.qa", "QA file", "QA SLA"),
            (
                &r.agent_hours,
                &mut out.agent_hours,
                c.needs_side(SideInput::AgentHours),
                "inputs.agent_hours",
                "agent-hours file",
                "workforce SLA or hour-priced rate card",
            ),
        ];
        for (value, slot, needed, key, input, needs) in checks {
            let Some(v) = value else { continue };
            if !needed {
                return Err(self.err(v.span(), key, Problem::InputNotNeeded { input, needs }));
            }
            *slot = match v.get_ref().as_str() {
                "required" => Need::Required,
                "optional" => Need::Optional,
                other => return Err(self.err(v.span(), key, Problem::BadNeed(other.to_string()))),
            };
        }
        Ok(out)
    }

    fn credits(&self, c: &Spanned<RawCredits>) -> R<Credits> {
        let cr = c.get_ref();
        Ok(Credits {
            pool_defaulted: cr.pool_percent.is_none(),
            at_risk_percent: self.percent(&cr.at_risk_percent, "credits.at_risk_percent", "100")?,
            pool_percent: match &cr.pool_percent {
                Some(p) => self.percent(p, "credits.pool_percent", "1000")?,
                None => Decimal::ONE_HUNDRED,
            },
        })
    }

    /// `[scope.outbound]`: outbound must be in `directions`; its channels and queues are the
    /// scope's.
    fn outbound_scope(
        &self,
        raw: &Spanned<RawOutboundScope>,
        channels: &[String],
        queues: &[String],
        directions: &[String],
    ) -> R<OutboundScope> {
        if !directions.iter().any(|d| d == "outbound") {
            return Err(self.err(raw.span(), "scope.outbound", Problem::OutboundScopeWithoutOutbound));
        }
        let o = raw.get_ref();
        let within =
            |list: &Option<Vec<Spanned<String>>>, key: &'static str, allowed: &[String]| -> R<Option<Vec<String>>> {
                let Some(list) = list else { return Ok(None) };
                let mut out: Vec<String> = Vec::new();
                for v in list {
                    if !allowed.is_empty() && !allowed.contains(v.get_ref()) {
                        return Err(self.err(
                            v.span(),
                            format!("scope.outbound.{key}"),
                            Problem::not_in_scope(key, v.get_ref(), allowed),
                        ));
                    }
                    if !out.contains(v.get_ref()) {
                        out.push(v.get_ref().clone());
                    }
                }
                Ok(Some(out))
            };
        Ok(OutboundScope {
            channels: within(&o.channels, "channels", channels)?,
            queues: within(&o.queues, "queues", queues)?,
            campaigns: within(&o.campaigns, "campaigns", &[])?,
        })
    }

    fn pricing(&self, raw: &[Spanned<RawPricing>], ctx: &Ctx<'_>) -> R<Vec<Pricing>> {
        let mut out: Vec<Pricing> = Vec::new();
        for p in raw {
            let pr = p.get_ref();
            let ch = pr.channel.get_ref();
            if !ctx.channels.contains(ch) {
                return Err(self.err(
                    pr.channel.span(),
                    "pricing.channel",
                    Problem::not_in_scope("channels", ch, ctx.channels),
                ));
            }
            let (direction, at) = match &pr.direction {
                None => ("inbound".to_string(), pr.channel.span()),
                Some(d) => (d.get_ref().clone(), d.span()),
            };
            if !crate::schema::DIRECTIONS.contains(&direction.as_str()) {
                return Err(self.err(at, "pricing.direction", Problem::UnknownDirection(direction)));
            }
            if !ctx.directions.contains(&direction) {
                return Err(self.err(
                    at,
                    "pricing.direction",
                    Problem::not_in_scope("directions", &direction, ctx.directions),
                ));
            }
            let campaign = pr.campaign.as_ref().map(|c| c.get_ref().clone());
            if let Some(c) = &pr.campaign {
                if direction != "outbound" {
                    return Err(self.err(c.span(), "pricing.campaign", Problem::CampaignOnInbound));
                }
                if let Some(allowed) = ctx.campaigns.filter(|a| !a.contains(c.get_ref())) {
                    return Err(self.err(
                        c.span(),
                        "pricing.campaign",
                        Problem::not_in_scope("outbound.campaigns", c.get_ref(), allowed),
                    ));
                }
            }
            if out.iter().any(|x| &x.channel == ch && x.direction == direction && x.campaign == campaign) {
                let what = match (&campaign, direction.as_str()) {
                    (_, "inbound") => ch.clone(),
                    (Some(c), _) => format!("{ch} ({direction}, campaign {c})"),
                    (None, _) => format!("{ch} ({direction})"),
                };
                return Err(self.err(pr.channel.span(), "pricing.channel", Problem::DuplicatePricing(what)));
            }
            let key = match (&campaign, direction.as_str()) {
                (_, "inbound") => format!("pricing[{ch}]"),
                (Some(c), _) => format!("pricing[{ch} {direction} {c}]"),
                (None, _) => format!("pricing[{ch} {direction}]"),
            };
            let prices_hours = pr.per_logged_in_hour.is_some() || pr.per_productive_hour.is_some();
            if prices_hours && out.iter().any(|x| &x.channel == ch && x.prices_hours()) {
                return Err(self.err(
                    p.span(),
                    format!("{key}.per_logged_in_hour"),
                    Problem::HoursPricedTwice(ch.clone()),
                ));
            }
            let nn = |v: Option<Dec>, k: &str| {
                v.map(|d| self.non_negative(d.0, p.span(), &format!("{key}.{k}"))).transpose()
            };
            let minute_tiers = match (&pr.per_minute, &pr.minute_tiers) {
                (Some(_), Some(_)) => return Err(self.err(p.span(), &key, Problem::MinuteRateTwice)),
                (Some(r), None) => vec![(None, self.non_negative(r.0, p.span(), &format!("{key}.per_minute"))?)],
                (None, Some(tiers)) => {
                    let mut v = Vec::new();
                    let mut prev_end = Decimal::ZERO;
                    for (i, t) in tiers.get_ref().iter().enumerate() {
                        let rate = self.non_negative(t.rate.0, tiers.span(), &format!("{key}.minute_tiers"))?;
                        match t.up_to {
                            Some(u) if u.0 <= prev_end => {
                                return Err(self.err(
                                    tiers.span(),
                                    format!("{key}.minute_tiers"),
                                    Problem::TiersOverlap {
                                        index: i + 1,
                                        start: u.0.to_string(),
                                        previous_end: prev_end.to_string(),
                                    },
                                ))
                            }
                            Some(u) => prev_end = u.0,
                            None if i + 1 != tiers.get_ref().len() => {
                                return Err(self.err(
                                    tiers.span(),
                                    format!("{key}.minute_tiers"),
                                    Problem::OpenTierNotLast("up_to"),
                                ))
                            }
                            None => {}
                        }
                        v.push((t.up_to.map(|u| u.0), rate));
                    }
                    v
                }
                (None, None) => Vec::new(),
            };
            let bills_time = !minute_tiers.is_empty();
            if pr.per_connect.is_some() && direction != "outbound" {
                return Err(self.err(p.span(), format!("{key}.per_connect"), Problem::ConnectOnInbound));
            }
            let volume_commitment = match &pr.volume_commitment {
                None => None,
                Some(c) => {
                    let contacts = c.contacts.0;
                    if contacts < Decimal::ONE || contacts.fract() != Decimal::ZERO {
                        return Err(self.err(
                            p.span(),
                            format!("{key}.volume_commitment.contacts"),
                            Problem::BadCommitment(contacts.to_string()),
                        ));
                    }
                    let rate = self.non_negative(
                        c.shortfall_rate.0,
                        p.span(),
                        &format!("{key}.volume_commitment.shortfall_rate"),
                    )?;
                    Some(VolumeCommitment { contacts, shortfall_rate: rate })
                }
            };
            out.push(Pricing {
                channel: ch.clone(),
                direction,
                campaign,
                minute_tiers,
                billing_increment: pr.billing_increment,
                billable: pr
                    .billable
                    .clone()
                    .unwrap_or_else(|| vec![Component::Talk, Component::Hold, Component::Wrap]),
                billable_defaulted: pr.billable.is_none() && bills_time,
                per_contact: nn(pr.per_contact, "per_contact")?,
                per_connect: nn(pr.per_connect, "per_connect")?,
                per_resolved: nn(pr.per_resolved, "per_resolved")?,
                per_logged_in_hour: nn(pr.per_logged_in_hour, "per_logged_in_hour")?,
                per_productive_hour: nn(pr.per_productive_hour, "per_productive_hour")?,
                volume_commitment,
                monthly_fee: nn(pr.monthly_fee, "monthly_fee")?,
                minimum_charge: nn(pr.minimum_charge, "minimum_charge")?,
            });
        }
        Ok(out)
    }
}

struct Ctx<'a> {
    /// `[scope.outbound] campaigns`, when the contract lists them.
    campaigns: Option<&'a [String]>,
    channels: &'a [String],
    queues: &'a [String],
    directions: &'a [String],
    /// The ids of the contract's `[[calendar]]` entries.
    calendars: &'a [&'a str],
}

/// Sets a metric definition's channels (the SLA's scope overrides the metric's default).
fn set_channels(m: &mut MetricDef, chs: Vec<String>) {
    if let Some(slot) = m.channels_mut() {
        *slot = Some(chs);
    }
}

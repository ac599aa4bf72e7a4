//! Events profiles: a TOML file that maps an incident or compliance export (its own column
//! names, type and severity words, timestamp format and zone) onto the events log's canonical
//! columns (docs/schema.md, "Events"), as an ingest profile does for interaction logs.
//!
//! ```toml
//! name = "ServiceNow security incidents"
//! time_zone = "Europe/London"           # timestamps without an offset are read in this zone
//! timestamp_format = "%d/%m/%Y %H:%M"   # default: RFC 3339
//! [columns]                              # canonical column = source column
//! event_id = "Number"
//! type = "Category"
//! occurred_at = "Opened"
//! [types]                                # source value = canonical type
//! "Data Breach" = "data_breach"
//! [severity]                             # source value = 1..5 (default: the number itself)
//! P1 = 1
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;

use super::RulesError;
use crate::contract::EVENT_TYPES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEventProfile {
    name: String,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    timestamp_format: Option<String>,
    columns: BTreeMap<String, String>,
    #[serde(default)]
    types: BTreeMap<String, String>,
    #[serde(default)]
    severity: BTreeMap<String, u8>,
}

/// A validated events profile.
#[derive(Debug, Clone)]
pub struct EventProfile {
    pub name: String,
    pub zone: Option<Tz>,
    pub timestamp_format: Option<String>,
    /// Canonical column → source column.
    pub columns: BTreeMap<String, String>,
    /// Source value (trimmed, lower case) → canonical type.
    pub types: BTreeMap<String, String>,
    /// Source value (trimmed, lower case) → severity.
    pub severity: BTreeMap<String, u8>,
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

impl EventProfile {
    /// Reads and checks a profile: every canonical column it names exists, every mapped type is
    /// an event type, every severity is 1..5, the zone is an IANA name.
    pub fn load(path: &Path) -> Result<EventProfile, RulesError> {
        let shown = path.display().to_string();
        let err = |message: String| RulesError::EventProfile { path: shown.clone(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let raw: RawEventProfile = toml::from_str(&text).map_err(|e| err(e.message().to_string()))?;
        for c in raw.columns.keys() {
            if !super::obligation::COLUMNS.contains(&c.as_str()) {
                return Err(err(format!(
                    "[columns] {c}: not a column of the events log; use {}",
                    super::obligation::COLUMNS.join(", ")
                )));
            }
        }
        let mut types = BTreeMap::new();
        for (from, to) in &raw.types {
            if !EVENT_TYPES.contains(&to.as_str()) {
                return Err(err(format!(
                    "[types] \"{from}\" = \"{to}\": not an event type; use {}",
                    EVENT_TYPES.join(", ")
                )));
            }
            if types.insert(key(from), to.clone()).is_some() {
                return Err(err(format!("[types] \"{from}\": the same key twice after trimming and ignoring case")));
            }
        }
        let mut severity = BTreeMap::new();
        for (from, v) in &raw.severity {
            if !(1..=5).contains(v) {
                return Err(err(format!("[severity] \"{from}\" = {v}: a severity is 1 to 5")));
            }
            if severity.insert(key(from), *v).is_some() {
                return Err(err(format!("[severity] \"{from}\": the same key twice after trimming and ignoring case")));
            }
        }
        let zone = match &raw.time_zone {
            None => None,
            Some(z) => Some(z.parse::<Tz>().map_err(|_| {
                err(format!("time_zone: unknown time zone \"{z}\"; use an IANA name such as \"Europe/London\""))
            })?),
        };
        if raw.timestamp_format.is_some() && zone.is_none() {
            let f = raw.timestamp_format.as_deref().unwrap_or_default();
            if !crate::time::timestamp::pattern_has_offset(f) {
                return Err(err(format!(
                    "timestamp_format \"{f}\" has no offset (%z), so its times need a time_zone; add one"
                )));
            }
        }
        Ok(EventProfile {
            name: raw.name,
            zone,
            timestamp_format: raw.timestamp_format,
            columns: raw.columns,
            types,
            severity,
        })
    }

    /// The source column of a canonical column.
    pub(crate) fn column<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.columns.get(canonical).map(String::as_str).unwrap_or(canonical)
    }

    /// A source type word as a canonical type: the map when the profile has one, else as is.
    pub(crate) fn event_type(&self, v: &str) -> Option<String> {
        if self.types.is_empty() {
            return Some(v.to_string());
        }
        self.types.get(&key(v)).cloned()
    }

    /// A source severity as 1..5: the map when the profile has one, else the number.
    pub(crate) fn severity(&self, v: &str) -> Option<u8> {
        if self.severity.is_empty() {
            return v.parse().ok().filter(|s| (1..=5).contains(s));
        }
        self.severity.get(&key(v)).copied()
    }

    /// A timestamp: the profile's format (in its zone unless the format has an offset), else
    /// RFC 3339 (an offset required unless the profile names a zone). DST: a time in a gap or
    /// a repeated time is refused.
    pub(crate) fn timestamp(&self, v: &str) -> Option<i64> {
        use crate::time::timestamp::DstAmbiguous;
        match (&self.timestamp_format, self.zone) {
            (Some(f), _) if crate::time::timestamp::pattern_has_offset(f) => {
                chrono::DateTime::parse_from_str(v, f).ok().map(|t| t.timestamp_micros())
            }
            (Some(f), Some(tz)) => {
                let naive = chrono::NaiveDateTime::parse_from_str(v, f).ok()?;
                match chrono::TimeZone::from_local_datetime(&tz, &naive) {
                    chrono::LocalResult::Single(t) => Some(t.timestamp_micros()),
                    _ => None,
                }
            }
            (_, zone) => crate::time::timestamp::rfc3339(v, zone.map(|z| (z, DstAmbiguous::Reject))).ok(),
        }
    }
}

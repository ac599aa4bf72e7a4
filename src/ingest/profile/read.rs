//! The second step of reading a profile: the `Raw*` structs that mirror the TOML file, checked
//! key by key into the validated [`Profile`]; every error names the file, line and key.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: RawSource,
    fields: BTreeMap<Spanned<String>, Spanned<RawField>>,
    #[serde(default)]
    exclude: Vec<Spanned<RawExclude>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    format: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
    quote: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    #[serde(default)]
    null_values: Vec<String>,
    time_zone: Option<Spanned<String>>,
    #[serde(default)]
    dst_ambiguous: DstAmbiguous,
    order_tolerance_s: Option<u32>,
    max_duration_s: Option<u32>,
    max_wait_s: Option<u32>,
    max_record_bytes: Option<Spanned<u32>>,
    csat_scale: Option<Spanned<[i64; 2]>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    column: Option<String>,
    columns: Option<Vec<String>>,
    join: Option<Vec<String>>,
    separator: Option<String>,
    value: Option<String>,
    format: Option<String>,
    date_column: Option<String>,
    date_format: Option<String>,
    time_zone: Option<String>,
    unit: Option<DurationUnit>,
    #[serde(default)]
    null_values: Vec<String>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    true_values: Option<Vec<String>>,
    false_values: Option<Vec<String>>,
    #[serde(default)]
    next_day_if_before_arrival: bool,
    #[serde(default)]
    invert: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclude {
    rule: String,
    #[serde(default)]
    reason: Option<String>,
    when: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Profile {
    /// Validates profile text; `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile = toml::from_str(text).map_err(|e| ProfileError::Syntax {
            path: path.to_string(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: crate::util::suggest_in_message(e.message().trim_end()),
        })?;
        let invalid = |span: std::ops::Range<usize>, key: &str, problem: ProfileProblem| ProfileError::Invalid {
            path: path.to_string(),
            line: line_of(text, span.start),
            key: key.to_string(),
            problem,
        };
        let zone = |name: &Spanned<String>, key: &str| -> Result<Tz, ProfileError> {
            name.get_ref()
                .parse::<Tz>()
                .map_err(|_| invalid(name.span(), key, ProfileProblem::UnknownZone(name.get_ref().clone())))
        };

        let mut source = SourceOptions::default();
        let rs = &raw.source;
        if let Some(f) = &rs.format {
            source.format = match f.get_ref().as_str() {
                "auto" => Format::Auto,
                "csv" => Format::Csv,
                "parquet" => Format::Parquet,
                other => {
                    return Err(invalid(
                        f.span(),
                        "source.format",
                        ProfileProblem::NotOneOf { expected: "auto, csv, parquet", got: other.to_string() },
                    ))
                }
            };
        }
        let one_byte = |s: &Spanned<String>, key: &str| -> Result<u8, ProfileError> {
            match s.get_ref().as_bytes() {
                [b] => Ok(*b),
                _ => Err(invalid(s.span(), key, ProfileProblem::NotOneChar(s.get_ref().clone()))),
            }
        };
        if let Some(d) = &rs.delimiter {
            source.delimiter = one_byte(d, "source.delimiter")?;
        }
        if let Some(q) = &rs.quote {
            source.quote = if q.get_ref().is_empty() { None } else { Some(one_byte(q, "source.quote")?) };
        }
        if let Some(e) = &rs.encoding {
            source.encoding = match e.get_ref().as_str() {
                "utf8" => Encoding::Utf8,
                "utf8-lossy" => Encoding::Utf8Lossy,
                "latin1" => Encoding::Latin1,
                other => {
                    return Err(invalid(
                        e.span(),
                        "source.encoding",
                        ProfileProblem::NotOneOf { expected: "utf8, utf8-lossy, latin1", got: other.to_string() },
                    ))
                }
            };
        }
        source.null_values = rs.null_values.clone();
        if let Some(z) = &rs.time_zone {
            source.zone = Some(zone(z, "source.time_zone")?);
        }
        source.dst_ambiguous = rs.dst_ambiguous;
        if let Some(t) = rs.order_tolerance_s {
            source.order_tolerance_ms = i64::from(t) * 1000;
        }
        if let Some(m) = rs.max_duration_s {
            source.max_duration_ms = i64::from(m) * 1000;
        }
        if let Some(m) = rs.max_wait_s {
            source.max_wait_ms = i64::from(m) * 1000;
        }
        if let Some(m) = &rs.max_record_bytes {
            // At least a few fields' worth, at most 1 GiB.
            let v = *m.get_ref();
            if !(256..=1 << 30).contains(&v) {
                return Err(invalid(
                    m.span(),
                    "source.max_record_bytes",
                    ProfileProblem::OutOfRange { min: 256, max: 1 << 30, got: i64::from(v) },
                ));
            }
            source.max_record_bytes = v as usize;
        }
        if let Some(s) = &rs.csat_scale {
            let [lo, hi] = *s.get_ref();
            if lo >= hi {
                return Err(invalid(s.span(), "source.csat_scale", ProfileProblem::BadScale(lo, hi)));
            }
            source.csat_scale = (lo, hi);
            source.csat_scale_declared = true;
        }

        let mut fields = Vec::new();
        for (name, spec) in &raw.fields {
            let key = format!("fields.{}", name.get_ref());
            let field = Field::from_name(name.get_ref()).ok_or_else(|| {
                invalid(
                    name.span(),
                    &key,
                    ProfileProblem::UnknownField {
                        name: name.get_ref().clone(),
                        hint: did_you_mean(name.get_ref(), Field::ALL.iter().map(|f| f.name())),
                    },
                )
            })?;
            let at = spec.span();
            let r = spec.get_ref();
            let src = match (&r.column, &r.columns, &r.join, &r.value) {
                (Some(c), None, None, None) => Source::Columns(vec![c.clone()]),
                (None, Some(cs), None, None) if !cs.is_empty() => Source::Columns(cs.clone()),
                (None, None, Some(cs), None) if cs.len() >= 2 => {
                    Source::Joined(cs.clone(), r.separator.clone().unwrap_or_else(|| "-".to_string()))
                }
                (None, None, None, Some(v)) => Source::Constant(v.clone()),
                _ => return Err(invalid(at, &key, ProfileProblem::SourceNotOne)),
            };
            if r.separator.is_some() && !matches!(src, Source::Joined(..)) {
                return Err(invalid(
                    at,
                    &key,
                    ProfileProblem::NotApplicable { option: "separator", kind: "column that is not a `join`" },
                ));
            }
            let kind = field.kind();
            let not_for = |option: &'static str| {
                invalid(at.clone(), &key, ProfileProblem::NotApplicable { option, kind: kind_name(kind) })
            };
            let mut reader = default_reader(field);
            match &mut reader {
                Reader::Timestamp(ts) => {
                    let field_zone = match &r.time_zone {
                        Some(z) => Some(
                            z.parse::<Tz>()
                                .map_err(|_| invalid(at.clone(), &key, ProfileProblem::UnknownZone(z.clone())))?,
                        ),
                        None => source.zone,
                    };
                    let date_pattern = r.date_format.clone().unwrap_or_else(|| "%Y-%m-%d".to_string());
                    if let Some(dc) = &r.date_column {
                        ts.date = Some((dc.clone(), date_pattern.clone()));
                        ts.pattern = Some(r.format.clone().unwrap_or_else(|| "%H:%M:%S".to_string()));
                    } else if r.date_format.is_some() {
                        return Err(not_for("date_format without date_column"));
                    } else {
                        ts.pattern = r.format.clone().filter(|f| f != "rfc3339");
                    }
                    for p in ts.pattern.iter().chain(ts.date.as_ref().map(|(_, p)| p)) {
                        if !parse::pattern_is_valid(p) {
                            return Err(invalid(at.clone(), &key, ProfileProblem::BadPattern(p.clone())));
                        }
                    }
                    if let Some(p) = &ts.pattern {
                        let offset = ts.date.is_none() && parse::pattern_has_offset(p);
                        if !offset && field_zone.is_none() {
                            return Err(invalid(at.clone(), &key, ProfileProblem::NeedsZone(p.clone())));
                        }
                    }
                    ts.zone = field_zone.map(|z| (z, source.dst_ambiguous));
                    ts.next_day_if_before_arrival = r.next_day_if_before_arrival;
                    if r.next_day_if_before_arrival && field == Field::ArrivedAt {
                        return Err(not_for("next_day_if_before_arrival on arrived_at"));
                    }
                }
                _ => {
                    if r.format.is_some() {
                        return Err(not_for("format"));
                    }
                    if r.date_column.is_some() || r.date_format.is_some() {
                        return Err(not_for("date_column"));
                    }
                    if r.time_zone.is_some() {
                        return Err(not_for("time_zone"));
                    }
                    if r.next_day_if_before_arrival {
                        return Err(not_for("next_day_if_before_arrival"));
                    }
                }
            }
            match &mut reader {
                Reader::Duration(unit) => *unit = r.unit.unwrap_or_default(),
                _ if r.unit.is_some() => return Err(not_for("unit")),
                _ => {}
            }
            match &mut reader {
                Reader::Boolean { true_values, false_values } => {
                    *true_values = r.true_values.clone().unwrap_or_default();
                    *false_values = r.false_values.clone().unwrap_or_default();
                }
                _ if r.true_values.is_some() || r.false_values.is_some() => return Err(not_for("true_values")),
                _ => {}
            }
            if r.invert && !matches!(reader, Reader::Boolean { .. }) {
                return Err(not_for("invert"));
            }
            let mut map = BTreeMap::new();
            let mut originals: BTreeMap<String, &String> = BTreeMap::new();
            for (k, v) in &r.map {
                let norm = map_key(k);
                if let Some(first) = originals.get(&norm) {
                    return Err(invalid(at, &key, ProfileProblem::DuplicateMapKey((*first).clone(), k.clone())));
                }
                originals.insert(norm.clone(), k);
                map.insert(norm, v.clone());
            }
            let map_keys: Vec<String> = r.map.keys().cloned().collect();
            if let (Source::Constant(v), false) = (&src, map.is_empty()) {
                if !map.contains_key(&map_key(v)) {
                    return Err(invalid(
                        at,
                        &key,
                        ProfileProblem::ConstantNotMapped { value: v.clone(), keys: map_keys.join(", ") },
                    ));
                }
            }
            if let (Source::Constant(v), Reader::Choice(choices)) = (&src, &reader) {
                let mapped = map.get(&map_key(v)).unwrap_or(v);
                if !choices.contains(&mapped.as_str()) {
                    return Err(invalid(
                        at,
                        &key,
                        ProfileProblem::BadConstant { field, value: v.clone(), expected: choices.join(", ") },
                    ));
                }
            }
            fields.push(FieldSpec {
                field,
                source: src,
                null_values: r.null_values.clone(),
                map,
                map_keys,
                invert: r.invert,
                reader,
                optional_column: false,
            });
        }
        fields.sort_by_key(|f| f.field);
        let whole = 0..0;
        for required in Field::ALL.into_iter().filter(|f| f.required()) {
            if !fields.iter().any(|f| f.field == required) {
                return Err(invalid(whole.clone(), "fields", ProfileProblem::MissingRequired(required)));
            }
        }
        if !fields.iter().any(|f| matches!(f.field, Field::AnsweredAt | Field::Answered)) {
            return Err(invalid(whole, "fields", ProfileProblem::NoAnswerSignal));
        }

        let mut exclusions: Vec<Exclusion> = Vec::new();
        for ex in &raw.exclude {
            let e = ex.get_ref();
            if e.when.is_empty() {
                return Err(invalid(ex.span(), "exclude.when", ProfileProblem::EmptyRule));
            }
            if exclusions.iter().any(|x| x.rule == e.rule) {
                return Err(invalid(ex.span(), "exclude.rule", ProfileProblem::DuplicateRule(e.rule.clone())));
            }
            exclusions.push(Exclusion {
                rule: e.rule.clone(),
                reason: e.reason.clone().unwrap_or_default(),
                when: e
                    .when
                    .iter()
                    .map(|(c, v)| {
                        let values = match v {
                            OneOrMany::One(s) => vec![s.clone()],
                            OneOrMany::Many(vs) => vs.clone(),
                        };
                        (c.clone(), values)
                    })
                    .collect(),
            });
        }

        Ok(Profile {
            name: raw.name,
            description: raw.description.unwrap_or_default(),
            origin: path.to_string(),
            source,
            fields,
            exclusions,
        })
    }
}

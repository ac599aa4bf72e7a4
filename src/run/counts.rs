//! `run --counts FILE…`: the data side of a run read back from the results of the contract's
//! emitted SQL (`run --contract C --emit-sql D --sql-for metrics|outbound|volumes|scope`), run on a
//! warehouse or a Spark cluster — so only counts travel, and the assessment is the one the
//! contact logs would give (docs/scaling.md, "The distributed path").
//!
//! Each file (CSV with a header, or Parquet; a result may come in several files, as Spark
//! writes it) is known by its columns. Every row carries the SHA-256 of the contract the SQL was
//! emitted for, and the metrics the instant they were measured as of: counts made for another
//! contract, another version of it or another `--as-of` are refused, never read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::RunError;
use crate::contract::Contract;
use crate::ingest::FileReconciliation;
use crate::metrics::counts::{CountRow, Figures};
use crate::metrics::definition::Component;
use crate::metrics::scope::{CoverageCell, ExclusionCount, ScopeCount, VolumeCell};
use crate::metrics::{period, MetricDef, ALL};

/// The three results of a contract's SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Metrics,
    Outbound,
    Volumes,
    Scope,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Metrics => "metrics",
            Kind::Outbound => "outbound",
            Kind::Volumes => "volumes",
            Kind::Scope => "scope",
        }
    }

    /// Known by its columns.
    fn of(header: &[String]) -> Option<Kind> {
        let has = |c: &str| header.iter().any(|h| h == c);
        if has("kind") && has("source") && has("contacts") {
            Some(Kind::Scope)
        } else if has("handled") && has("direction") {
            Some(Kind::Volumes)
        } else if has("queue") && has("as_of_us") && has("direction") {
            Some(Kind::Outbound)
        } else if has("queue") && has("as_of_us") {
            Some(Kind::Metrics)
        } else {
            None
        }
    }
}

/// One counts file as text: its header and rows (an empty field or NULL is `None`), each with
/// where it is (`file:line` for CSV, `file, row N` for Parquet).
struct Table {
    header: Vec<String>,
    rows: Vec<(String, Vec<Option<String>>)>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn bad(at: &str, message: impl std::fmt::Display) -> RunError {
    RunError::Counts(format!("{at}: {message}"))
}

/// Reads a counts file (named `shown` in messages): Parquet by its extension, CSV otherwise.
fn read_table(path: &Path, shown: &str) -> Result<Table, RunError> {
    let shown = shown.to_string();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if ext == "parquet" || ext == "pq" {
        let file = std::fs::File::open(path).map_err(|source| RunError::Read { path: shown.clone(), source })?;
        let df = crate::util::catch_panic(|| ParquetReader::new(file).finish()).ok().and_then(Result::ok).ok_or_else(
            || bad(&shown, "not a readable Parquet file; write the SQL's result as CSV with a header, or as Parquet"),
        )?;
        let header: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
        let mut cols = Vec::new();
        for c in df.columns() {
            // A sum an engine wrote as a float (DuckDB writes HUGEINT sums as DOUBLE) is read as
            // a whole number, or refused: above 2^53 a float no longer holds every unit.
            if matches!(c.dtype(), DataType::Float32 | DataType::Float64) {
                let f = c
                    .cast(&DataType::Float64)
                    .map_err(|_| bad(&shown, format!("column {} is unreadable", c.name())))?;
                let mut values = Vec::with_capacity(f.len());
                for (i, v) in
                    f.f64().map_err(|_| bad(&shown, format!("column {} is unreadable", c.name())))?.iter().enumerate()
                {
                    values.push(match v {
                        None => None,
                        Some(v) if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 => {
                            Some(format!("{}", v as i64))
                        }
                        Some(v) => {
                            return Err(bad(
                                &format!("{shown}, row {}", i + 1),
                                format!("column {} is {v}, not a whole number below 2^53", c.name()),
                            ))
                        }
                    });
                }
                cols.push(values);
                continue;
            }
            let text = c
                .cast(&DataType::String)
                .map_err(|_| bad(&shown, format!("column {} cannot be read as text", c.name())))?;
            cols.push(
                text.str()
                    .map(|t| t.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>())
                    .map_err(|_| bad(&shown, format!("column {} cannot be read as text", c.name())))?,
            );
        }
        let rows = (0..df.height())
            .map(|i| (format!("{shown}, row {}", i + 1), cols.iter().map(|c| c[i].clone()).collect()))
            .collect();
        return Ok(Table { header, rows });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(std::fs::File::open(path).map_err(|source| RunError::Read { path: shown.clone(), source })?);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(&shown, format!("cannot read its header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            bad(&format!("{shown}:{line}"), "a malformed CSV record; write the SQL's result unchanged")
        })?;
        let line = rec.position().map_or(0, csv::Position::line);
        rows.push((format!("{shown}:{line}"), rec.iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect()));
    }
    Ok(Table { header, rows })
}

/// What the counts files give the run.
pub(crate) struct Counts {
    pub files: Vec<FileReconciliation>,
    pub out_of_scope: Vec<ScopeCount>,
    pub exclusions: Vec<ExclusionCount>,
    pub coverage: Vec<CoverageCell>,
    pub volumes: Vec<VolumeCell>,
    /// Per period, queue and direction (outbound?), the figures of the emitted definitions (by
    /// their index).
    metrics: Vec<(i64, String, bool, BTreeMap<usize, Figures>)>,
    /// Whether the outbound result was given.
    outbound: bool,
    /// The instant the metrics were measured as of (µs).
    as_of: Option<i64>,
}

/// A row's field by column name.
struct Row<'a> {
    table: &'a Table,
    at: &'a str,
    values: &'a [Option<String>],
}

impl Row<'_> {
    fn text(&self, name: &str) -> Result<Option<&str>, RunError> {
        let i = self.table.column(name).ok_or_else(|| {
            bad(
                self.at,
                format!("the counts have no column {name}; give the result of the contract's emitted SQL, unchanged"),
            )
        })?;
        Ok(self.values.get(i).and_then(|v| v.as_deref()))
    }

    fn required(&self, name: &str) -> Result<&str, RunError> {
        self.text(name)?.ok_or_else(|| bad(self.at, format!("column {name} is empty")))
    }

    /// An integer (a Parquet export may write a sum as `12.0`).
    fn int(&self, name: &str) -> Result<Option<i64>, RunError> {
        let Some(v) = self.text(name)? else { return Ok(None) };
        let whole = v.strip_suffix(".0").unwrap_or(v);
        whole.parse::<i64>().map(Some).map_err(|_| {
            bad(self.at, format!("column {name} is \"{}\", not a whole number", crate::util::term_safe(v)))
        })
    }

    fn count(&self, name: &str) -> Result<u64, RunError> {
        let v = self.int(name)?.ok_or_else(|| bad(self.at, format!("column {name} is empty")))?;
        u64::try_from(v).map_err(|_| bad(self.at, format!("column {name} is {v}, a negative count")))
    }
}

/// Reads every counts file, checks each row is for this contract, and sorts them by kind.
pub(crate) fn read(
    paths: &[PathBuf],
    base: &Path,
    contract: &Contract,
    contract_sha256: &str,
) -> Result<Counts, RunError> {
    let mut by_kind: BTreeMap<Kind, Vec<Table>> = BTreeMap::new();
    for p in paths {
        let shown = p.display().to_string();
        let table = read_table(&base.join(p), &shown)?;
        let kind = Kind::of(&table.header).ok_or_else(|| {
            bad(
                &shown,
                format!(
                    "not a result of a contract's emitted SQL (its header is \"{}\"); give what `callsla run --contract C --emit-sql D --sql-for metrics|volumes|scope` returns",
                    crate::util::term_safe(&table.header.join(","))
                ),
            )
        })?;
        let sha = table.column("contract_sha256").ok_or_else(|| {
            bad(&shown, "has no contract_sha256 column; emit the SQL with `callsla run --contract C --emit-sql D`")
        })?;
        for (at, values) in &table.rows {
            let got = values.get(sha).cloned().flatten().unwrap_or_default();
            if got != contract_sha256 {
                return Err(bad(
                    at,
                    format!(
                        "these counts were computed for the contract with SHA-256 {}, not for {} ({contract_sha256}); run the SQL `callsla run --contract {} --emit-sql D` prints for this contract",
                        crate::util::term_safe(&got),
                        contract.id,
                        contract.id
                    ),
                ));
            }
        }
        by_kind.entry(kind).or_default().push(table);
    }
    let missing: Vec<&str> = [Kind::Metrics, Kind::Volumes, Kind::Scope]
        .into_iter()
        .filter(|k| !by_kind.contains_key(k))
        .map(Kind::name)
        .collect();
    if !missing.is_empty() {
        return Err(RunError::Counts(format!(
            "--counts lacks the contract's {} result(s): give the result of each of `--sql-for metrics`, `--sql-for volumes` and `--sql-for scope` (and `--sql-for outbound` for outbound metrics)",
            missing.join(" and ")
        )));
    }
    let rows = |k: Kind| -> Vec<Row<'_>> {
        by_kind
            .get(&k)
            .into_iter()
            .flatten()
            .flat_map(|t| t.rows.iter().map(move |(at, values)| Row { table: t, at, values }))
            .collect()
    };
    let mut out = Counts {
        files: Vec::new(),
        out_of_scope: Vec::new(),
        exclusions: Vec::new(),
        coverage: Vec::new(),
        volumes: Vec::new(),
        metrics: Vec::new(),
        outbound: by_kind.contains_key(&Kind::Outbound),
        as_of: None,
    };
    read_scope(&rows(Kind::Scope), contract, &mut out)?;
    out.volumes = read_volumes(&rows(Kind::Volumes), contract)?;
    read_metrics(&rows(Kind::Metrics), false, contract, &mut out)?;
    read_metrics(&rows(Kind::Outbound), true, contract, &mut out)?;
    Ok(out)
}

/// A row's period, from its label.
fn label(r: &Row<'_>, contract: &Contract) -> Result<i64, RunError> {
    let l = r.required("period")?;
    period::parse_label(contract.period, contract.zone, l).ok_or_else(|| {
        bad(r.at, format!("period \"{}\" is not a {} label", crate::util::term_safe(l), period_word(contract)))
    })
}

/// The scope accounting: the sources read, out-of-scope contacts, exclusions, judged contacts.
fn read_scope(rows: &[Row<'_>], contract: &Contract, out: &mut Counts) -> Result<(), RunError> {
    let label = |r: &Row<'_>| label(r, contract);
    let mut excluded: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in rows {
        let kind = r.required("kind")?;
        let key = (
            kind.to_string(),
            r.text("period")?.map(str::to_string),
            [
                r.text("channel")?.map(str::to_string),
                r.text("queue")?.map(str::to_string),
                r.text("direction")?.map(str::to_string),
                r.text("campaign")?.map(str::to_string),
                r.text("exclusion")?.map(str::to_string),
                r.text("source")?.map(str::to_string),
            ],
        );
        if !seen.insert(key) {
            return Err(bad(r.at, "this row appears twice in the counts; give each result once"));
        }
        let contacts = r.count("contacts")?;
        match kind {
            "read" => {
                let source = r.required("source")?.to_string();
                let lower = source.to_ascii_lowercase();
                let format = if lower.ends_with(".parquet") || lower.ends_with(".pq") { "parquet" } else { "csv" };
                out.files.push(FileReconciliation {
                    path: source,
                    format: format.to_string(),
                    read: contacts,
                    accepted: contacts,
                    ..Default::default()
                });
            }
            "out_of_scope" => out.out_of_scope.push(ScopeCount {
                channel: r.required("channel")?.to_string(),
                queue: r.required("queue")?.to_string(),
                direction: r.required("direction")?.to_string(),
                contacts,
                campaign: r.text("campaign")?.map(str::to_string),
                looks_like: None,
            }),
            "excluded" => {
                excluded.insert(r.required("exclusion")?.to_string(), contacts);
            }
            "judged" => {
                let (first, last) = (r.int("first_us")?, r.int("last_us")?);
                let (Some(first), Some(last)) = (first, last) else {
                    return Err(bad(r.at, "a judged row without first_us and last_us"));
                };
                out.coverage.push(CoverageCell { period_start: label(r)?, contacts, first, last });
            }
            other => {
                return Err(bad(
                    r.at,
                    format!("kind \"{}\" is not read, out_of_scope, excluded or judged", crate::util::term_safe(other)),
                ))
            }
        }
    }
    if out.files.is_empty() {
        return Err(RunError::Counts(
            "the scope result has no `read` row; give the result of `--sql-for scope`, unchanged".to_string(),
        ));
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.out_of_scope.sort_by(|a, b| {
        (&a.channel, &a.queue, &a.direction, &a.campaign).cmp(&(&b.channel, &b.queue, &b.direction, &b.campaign))
    });
    for s in &mut out.out_of_scope {
        s.looks_like = crate::lookalike::resembles(&s.queue, &contract.queues).map(str::to_string);
    }
    for e in &contract.exclusions {
        let contacts = excluded.remove(&e.id).ok_or_else(|| {
            RunError::Counts(format!(
                "the scope result has no row for exclusion window {}; it was emitted for a contract without it — run the SQL this contract's `--emit-sql` prints",
                e.id
            ))
        })?;
        out.exclusions.push(ExclusionCount {
            id: e.id.clone(),
            reason: e.reason.clone(),
            reference: e.reference.clone(),
            contacts,
        });
    }
    out.coverage.sort_by_key(|c| c.period_start);
    Ok(())
}

/// The billing volumes: per period, channel, direction and campaign.
fn read_volumes(rows: &[Row<'_>], contract: &Contract) -> Result<Vec<VolumeCell>, RunError> {
    let label = |r: &Row<'_>| label(r, contract);
    let mut volumes: Vec<VolumeCell> = Vec::new();
    let sets = crate::metrics::scope::billable_sets(
        contract.terms.iter().flat_map(|t| &t.pricing).map(|p| p.billable.as_slice()),
    );
    let mut seen = BTreeSet::new();
    for r in rows {
        let cell = VolumeCell {
            period_start: label(r)?,
            channel: r.required("channel")?.to_string(),
            direction: r.required("direction")?.to_string(),
            campaign: r.text("campaign")?.map(str::to_string),
            contacts: r.count("contacts")?,
            handled: r.count("handled")?,
            connects: r.count("connects")?,
            resolved: r.count("resolved")?,
            ms: sets.iter().map(|s| set_sum(r, "ms", s)).collect::<Result<_, _>>()?,
            started: sets.iter().map(|s| set_sum(r, "started", s)).collect::<Result<_, _>>()?,
        };
        if !seen.insert((cell.period_start, cell.channel.clone(), cell.direction.clone(), cell.campaign.clone())) {
            return Err(bad(r.at, "this period, channel, direction and campaign appear twice; give each result once"));
        }
        volumes.push(cell);
    }
    crate::metrics::scope::sort_cells(&mut volumes);
    Ok(volumes)
}

/// The metrics of the contacts, or of the outbound attempts: the roll-up over channels (`*`),
/// per queue and over all queues.
fn read_metrics(rows: &[Row<'_>], outbound: bool, contract: &Contract, out: &mut Counts) -> Result<(), RunError> {
    let mut seen = BTreeSet::new();
    for r in rows {
        if r.required("channel")? != ALL {
            continue;
        }
        let start = label(r, contract)?;
        let queue = r.required("queue")?.to_string();
        if !seen.insert((start, queue.clone(), outbound)) {
            return Err(bad(r.at, "this period and queue appear twice; give each result once"));
        }
        let as_of = r.int("as_of_us")?.ok_or_else(|| bad(r.at, "column as_of_us is empty"))?;
        if out.as_of.is_some_and(|a| a != as_of) {
            return Err(bad(r.at, "the rows were measured as of different instants; give one result of the SQL"));
        }
        out.as_of = Some(as_of);
        let mut figures = BTreeMap::new();
        let table = r.table;
        for h in &table.header {
            let Some(index) = h.strip_prefix('n').and_then(|d| d.parse::<usize>().ok()) else { continue };
            let (n, d, s, u) =
                (r.int(h)?, r.int(&format!("d{index}"))?, r.int(&format!("s{index}"))?, r.int(&format!("u{index}"))?);
            let v = match table.column(&format!("v{index}")) {
                Some(_) => r.int(&format!("v{index}"))?,
                None => None,
            };
            let missing = match table.column(&format!("m{index}")) {
                Some(_) => r.int(&format!("m{index}"))?.unwrap_or(0),
                None => 0,
            };
            if let (Some(n), Some(d), Some(s), Some(u)) = (n, d, s, u) {
                figures.insert(index, Figures { n, d, s, u, v, missing });
            }
        }
        out.metrics.push((start, queue, outbound, figures));
    }
    Ok(())
}

/// A billable set's sum (`ms_<set>` or `started_<set>`); an empty set bills nothing.
fn set_sum(r: &Row<'_>, what: &str, set: &[Component]) -> Result<i64, RunError> {
    if set.is_empty() {
        return Ok(0);
    }
    Ok(r.int(&format!("{what}_{}", crate::metrics::sql::billable_name(set)))?.unwrap_or(0))
}

fn period_word(c: &Contract) -> &'static str {
    if c.period == period::PeriodKind::Month {
        "month (2026-10)"
    } else {
        "quarter (2026-Q4)"
    }
}

impl Counts {
    /// The metric rows for the run's definitions: each definition's figures found by its
    /// position among the definitions the SQL was emitted for (`emitted`).
    pub(crate) fn metric_rows(
        &self,
        definitions: &[MetricDef],
        emitted: &[MetricDef],
    ) -> Result<Vec<CountRow>, RunError> {
        if let Some(d) = definitions.iter().find(|d| d.outbound()).filter(|_| !self.outbound) {
            return Err(RunError::Counts(format!(
                "the contract measures {} of its outbound attempts, and --counts has no outbound result: give the result of `--sql-for outbound` too",
                d.name()
            )));
        }
        let index: Vec<Option<usize>> = definitions
            .iter()
            .map(|d| emitted.iter().position(|e| e.name() == d.name() && e.definition() == d.definition()))
            .collect();
        Ok(self
            .metrics
            .iter()
            .map(|(start, queue, outbound, figures)| CountRow {
                period_start: *start,
                queue: queue.clone(),
                outbound: *outbound,
                figures: index.iter().map(|i| i.and_then(|i| figures.get(&i).copied())).collect(),
            })
            .collect())
    }

    /// The instant the metrics were measured as of; `run` checks it is its own.
    pub(crate) fn as_of(&self) -> Option<i64> {
        self.as_of
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)] // reason: tests fail loudly by design
mod tests {
    use super::*;

    /// Reads counts files with these contents against the sample contract; the error's text.
    fn refusal(files: &[(&str, &str)]) -> String {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/contract.toml");
        let contract = Contract::load(&sample).unwrap();
        let sha = crate::manifest::hash_file(&sample).unwrap().sha256;
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, text)| {
                let p = dir.path().join(name);
                std::fs::write(&p, text.replace("SHA", &sha)).unwrap();
                PathBuf::from(name)
            })
            .collect();
        match read(&paths, dir.path(), &contract, &sha) {
            Ok(_) => panic!("counts {files:?} were read"),
            Err(e) => e.to_string(),
        }
    }

    const SCOPE: &str = "kind,period,channel,queue,direction,campaign,exclusion,source,contacts,first_us,last_us,contract_sha256\nread,,,,,,,logs.csv,3,,,SHA\nexcluded,,,,,,EX-1,,0,,,SHA\njudged,2026-08,,,,,,,3,1785574422000000,1785574423000000,SHA\n";
    const VOLUMES: &str = "period,channel,direction,campaign,contacts,handled,connects,resolved,ms_talk_hold_wrap,started_talk_hold_wrap,ms_talk_wrap,started_talk_wrap,contract_sha256\n2026-08,voice,inbound,,3,2,0,1,90000,2,60000,1,SHA\n";
    const METRICS: &str =
        "period,channel,queue,n0,d0,s0,u0,contract_sha256,as_of_us\n2026-08,*,*,3,3,3,0,SHA,1785574423000000\n";

    #[test]
    fn counts_that_are_not_the_sqls_result_are_refused_with_file_and_line() {
        let bad_number = METRICS.replace(",3,3,3,0,", ",3,three,3,0,");
        let e = refusal(&[("s.csv", SCOPE), ("v.csv", VOLUMES), ("m.csv", &bad_number)]);
        assert!(e.starts_with("m.csv:2: column d0 is \"three\", not a whole number"), "{e}");
        let twice = format!("{METRICS}{}", METRICS.lines().nth(1).unwrap());
        let e = refusal(&[("s.csv", SCOPE), ("v.csv", VOLUMES), ("m.csv", &twice)]);
        assert!(e.starts_with("m.csv:3: this period and queue appear twice"), "{e}");
        let e = refusal(&[("s.csv", SCOPE), ("v.csv", VOLUMES), ("m.csv", METRICS), ("x.csv", "a,b\n1,2\n")]);
        assert!(e.starts_with("x.csv: not a result of a contract's emitted SQL (its header is \"a,b\")"), "{e}");
        let negative = VOLUMES.replace(",3,2,0,1,", ",3,-2,0,1,");
        let e = refusal(&[("s.csv", SCOPE), ("v.csv", &negative), ("m.csv", METRICS)]);
        assert!(e.starts_with("v.csv:2: column handled is -2, a negative count"), "{e}");
        let no_window = SCOPE.replace("excluded,,,,,,EX-1,,0,,,SHA\n", "");
        let e = refusal(&[("s.csv", &no_window), ("v.csv", VOLUMES), ("m.csv", METRICS)]);
        assert!(e.contains("no row for exclusion window EX-1"), "{e}");
        let bad_period = VOLUMES.replace("2026-08,voice", "2026-13,voice");
        let e = refusal(&[("s.csv", SCOPE), ("v.csv", &bad_period), ("m.csv", METRICS)]);
        assert!(e.starts_with("v.csv:2: period \"2026-13\" is not a month (2026-10) label"), "{e}");
    }
}

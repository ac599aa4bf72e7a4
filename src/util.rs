//! Small helpers shared by the stages: "did you mean" suggestions, line numbers from spans,
//! atomic file writes and content hashes.

use std::io::{self, Write};
use std::path::Path;

/// Levenshtein distance, for suggesting the key a user probably meant.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The closest candidate within a third of the word's length, if any.
pub(crate) fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (word.len().max(c.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean "x"?)` or nothing.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(word, candidates).map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default()
}

/// 1-based line number of a byte offset in a text.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// Writes a file atomically: into a temporary file beside it, flushed and synced, then renamed
/// over the target. Readers see the old file or the new one, never a partial one.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // An unpredictable name, created exclusively, removed if anything fails before the rename.
    let tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    // Readable like any file the user writes (a temporary file is private by default).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    let mut out = io::BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out.into_inner().map_err(|e| e.into_error())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_a_value_is_found_on_its_line() {
        let text = "[payment]\nnet_days = 99\nm = { metric = \"fcr\", window_days = 4 }\n";
        assert_eq!(key_at(text, text.find("99").unwrap_or(0)).as_deref(), Some("net_days"));
        assert_eq!(key_at(text, text.find("4 }").unwrap_or(0)).as_deref(), Some("window_days"));
        assert_eq!(key_at(text, 0), None);
    }

    #[test]
    fn formula_text_is_neutralised_and_numbers_are_not() {
        for (input, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-1-2", "'-1-2"),
            ("-12.50", "-12.50"),
            ("+3", "+3"),
            ("billing", "billing"),
            ("", ""),
        ] {
            assert_eq!(csv_safe(input), want, "{input:?}");
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("arived_at", ["arrived_at", "ended_at"]), Some("arrived_at"));
        assert_eq!(suggest("xyz", ["arrived_at", "ended_at"]), None);
        assert_eq!(did_you_mean("quee", ["queue"]), " (did you mean \"queue\"?)");
    }

    #[test]
    fn escaping_paths() {
        for (p, e) in [
            ("a/b.csv", false),
            ("../b.csv", true),
            ("a/../../b", true),
            ("a/../b", false),
            ("/etc/x", false),
            ("./a", false),
        ] {
            assert_eq!(escapes(Path::new(p)), e, "{p}");
        }
    }

    #[test]
    fn lines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}

/// `HashMap` with foldhash's fast hasher (fixed seed, so iteration order does not vary between
/// runs), in place of SipHash on hot paths where keys are not attacker-controlled.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// A 64-bit hash of bytes, seeded: foldhash's quality hasher (measured against the
/// hand-written wyhash-style function it replaced: as fast on the 10M-row ingest and
/// repeat-contact search; benches/README.md).
pub(crate) fn hash64(bytes: &[u8], seed: u64) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(seed).hash_one(bytes)
}

/// Bytes as lower-case hex (hashes in manifests and pseudonyms).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A keyed pseudonym for a personal identifier in a report (see [`crate::pseudonym`]).
pub(crate) fn pseudonym(prefix: &str, value: &str) -> String {
    crate::pseudonym::short(prefix, value)
}

/// Adds a "did you mean" to serde's unknown-key messages:
/// "unknown field `colum`, expected one of `column`, ..." gets ` (did you mean "column"?)`; and
/// the remedy to its missing-key messages.
pub(crate) fn suggest_in_message(message: &str) -> String {
    // "missing field `scope`": say what to do.
    if let Some(key) = message.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        return format!("{message}; add `{key}` (a required key or [{key}] table; the docs list each with an example)");
    }
    let Some(rest) = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((word, tail)) = rest.split_once('`') else { return message.to_string() };
    let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    format!("{message}{}", did_you_mean(word, candidates))
}

thread_local! {
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside it (from a dependency: callsla's own code does not panic)
/// into `Err(message)`. The panic hook installed by [`install_panic_hook`] stays silent for it.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    QUIET_PANICS.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(false));
    r.map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// Keeps the default panic report, except for panics [`catch_panic`] turns into errors.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET_PANICS.with(|q| q.get()) {
            default(info);
        }
    }));
}

/// One data row of a side file: its 1-based line and the asked columns' values.
pub(crate) type CsvRow = (u64, Vec<String>);

/// Reads a small CSV side file (forecast, payments, outages) by column name: for each data row,
/// its 1-based line and the named columns' trimmed values, in the order asked. Errors are
/// `(line, message)` for the caller to wrap with the file's name.
pub(crate) fn read_named_csv(path: &Path, columns: &[&str]) -> Result<Vec<CsvRow>, (u64, String)> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| (1, e.to_string()))?;
    let headers = rdr.headers().map_err(|e| (1, e.to_string()))?.clone();
    let idx = columns
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h.trim() == *name)
                .ok_or_else(|| (1, format!("no \"{name}\" column (expected {})", columns.join(","))))
        })
        .collect::<Result<Vec<usize>, _>>()?;
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 2;
        let rec = rec.map_err(|e| (line, e.to_string()))?;
        out.push((line, idx.iter().map(|i| rec.get(*i).unwrap_or("").trim().to_string()).collect()));
    }
    Ok(out)
}

/// The relative path that leads from folder `from` to `to` (both absolute and canonical):
/// `..` for each component of `from` past their common prefix, then the rest of `to`.
pub(crate) fn relative_path(from: &Path, to: &Path) -> std::path::PathBuf {
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// True when a relative path climbs out of the folder it is resolved against (`../x`,
/// `a/../../x`). Absolute paths are taken as given.
pub(crate) fn escapes(path: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return false,
            std::path::Component::CurDir => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Runs `a` on this thread and `b` on another one, and returns both results; a panic on the
/// other thread becomes an error naming `what` ("the repeat-contact search", ...).
pub(crate) fn on_two_threads<A, B: Send>(
    what: &str,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> polars::prelude::PolarsResult<(A, B)> {
    let (a, b) = std::thread::scope(|s| {
        let t = s.spawn(b);
        (a(), t.join())
    });
    let b = b.map_err(|_| polars::prelude::polars_err!(ComputeError: "{what} stopped unexpectedly"))?;
    Ok((a, b))
}

/// The environment variable behind `callsla metrics --explain` (also set by hand for any
/// command): print where the time and memory went.
pub(crate) const EXPLAIN_ENV: &str = "CALLSLA_EXPLAIN";

static EXPLAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks for timings and plans on standard error (`--explain`), for the rest of the process.
pub fn set_explaining() {
    EXPLAIN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `--explain`, or the documented [`EXPLAIN_ENV`] variable, asked for timings and plans.
pub(crate) fn explaining() -> bool {
    EXPLAIN.load(std::sync::atomic::Ordering::Relaxed) || std::env::var_os(EXPLAIN_ENV).is_some()
}

/// Reports progress of long work to the command line's display: what is under way, how much is
/// done of how much (bytes of an input read, contacts searched for repeats).
pub type WorkHook = Box<dyn Fn(&'static str, u64, u64) + Send + Sync>;

static WORK: std::sync::OnceLock<WorkHook> = std::sync::OnceLock::new();

/// Installs the progress hook (the first one stays). Without one, [`work`] does nothing; what it
/// reports never reaches an output.
pub fn on_work(hook: WorkHook) {
    let _ = WORK.set(hook);
}

/// `done` of `total` of the work `what` is done.
pub(crate) fn work(what: &'static str, done: u64, total: u64) {
    if let Some(hook) = WORK.get() {
        hook(what, done, total);
    }
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks for no progress or informational lines on standard error (`-q`), for the rest of the
/// process. Warnings and errors are printed all the same.
pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `-q` asked for quiet.
pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// " (resident N MiB, peak M MiB)" for an `--explain` line; empty where memory is not known.
pub(crate) fn memory_note() -> String {
    memory_mib().map_or(String::new(), |(now, peak)| format!(" (resident {now} MiB, peak {peak} MiB)"))
}

/// The process's resident memory now and at its peak, in MiB (Linux `/proc/self/status`), for
/// `--explain`; `None` where that is not available.
pub(crate) fn memory_mib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The bytes a frame's columns hold, for `--explain`. Polars' `estimated_size` counts a string
/// column by its text only; a string column here counts its 16-byte views, the text kept
/// outside them, and its validity (measured: the views are most of a frame of short ids).
pub fn frame_bytes(df: &polars::prelude::DataFrame) -> usize {
    use polars_arrow::array::Array as _;
    df.columns()
        .iter()
        .map(|c| match c.str() {
            Ok(ca) => ca
                .downcast_iter()
                .map(|a| a.len() * 16 + a.total_buffer_len() + a.validity().map_or(0, |v| v.len().div_ceil(8)))
                .sum(),
            Err(_) => c.as_materialized_series().estimated_size(),
        })
        .sum()
}

/// The key whose value starts at byte `offset` of a TOML text (`net_days` in
/// `net_days = 99999999999`, `window_days` inside an inline table), for messages that would
/// otherwise name only the line.
pub(crate) fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let lhs = line.trim_end().strip_suffix('=')?.trim_end();
    let key: String = lhs
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let key = key.trim_matches('"').to_string();
    (!key.is_empty()).then_some(key)
}

/// Text for a CSV cell a spreadsheet may open: a cell starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, so it is shown as text and never run as a formula
/// (OWASP, "CSV injection") — except a plain number (`-12.50`, `+3`), which a spreadsheet reads
/// as the number it is. The JSON outputs keep the text as it was (docs/outputs.md).
pub(crate) fn csv_safe(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !plain_number(s) => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// `[+-]digits[.digits]`: a number as callsla writes amounts and counts.
fn plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A CSV writer whose every cell goes through [`csv_safe`]: every CSV callsla writes (results,
/// invoice, metrics, rejects, statements, exports) is safe to open in a spreadsheet.
pub(crate) struct SafeCsv<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> SafeCsv<W> {
    pub(crate) fn from_writer(w: W) -> SafeCsv<W> {
        SafeCsv(csv::Writer::from_writer(w))
    }

    pub(crate) fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(record.into_iter().map(|c| csv_safe(c.as_ref()).into_owned()))
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }

    /// The writer, once everything is flushed to it.
    pub(crate) fn into_inner(self) -> csv::Result<W> {
        self.0.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// A rate given on the command line: a fraction (`0.005`) or a percentage (`0.5%`), 0 to 1.
pub(crate) fn parse_rate(s: &str) -> Result<rust_decimal::Decimal, String> {
    use rust_decimal::Decimal;
    let (num, pct) = match s.strip_suffix('%') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let v: Decimal = num.trim().parse().map_err(|_| format!("\"{s}\" is not a rate such as 0.005 or 0.5%"))?;
    let v = if pct { v / Decimal::ONE_HUNDRED } else { v };
    if v < Decimal::ZERO || v > Decimal::ONE {
        return Err(format!("\"{s}\" must be between 0 and 1 (or 0% and 100%)"));
    }
    Ok(v)
}

/// The UTF-8 byte order mark, which `--excel-csv` writes at the start of each CSV output.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// SHA-256 of bytes, lowercase hex (manifests, ledger content hashes, the block reader's check).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}

/// An I/O error injected at a named step when `CALLSLA_FAIL_AT` names it (crash and fault
/// tests: `tests/it/faults.rs`; docs/reliability.md lists the steps). Never set in normal use.
pub(crate) fn fail_io(step: &str) -> std::io::Result<()> {
    match std::env::var("CALLSLA_FAIL_AT") {
        Ok(v) if v == step => Err(std::io::Error::other(format!("injected I/O error at {step} (CALLSLA_FAIL_AT)"))),
        _ => Ok(()),
    }
}

/// Whether a character could take over a terminal or reorder what it shows: C0 controls other
/// than line feed and tab (ESC starts escape sequences, CR overwrites a line), DEL, C1
/// controls, and the Unicode bidirectional controls (which display text in another order).
fn unsafe_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal (everything callsla prints): each character that could take over a
/// terminal or reorder the display ([`unsafe_on_terminal`]) written as `\uXXXX`, which is also
/// a valid JSON escape for the same character (JSON printed to the terminal keeps its values).
pub fn term_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_on_terminal) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_on_terminal(c) {
            out += &format!("\\u{:04X}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

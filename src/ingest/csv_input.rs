//! The CSV side of reading an input: the header checked against the profile before any row is
//! read, and the file handed to Polars block by block (`blocks.rs`) in batches for the
//! validators; the messages for a missing column or a file that is not UTF-8.

use super::*;

/// Rows per batch handed to a validation worker.
pub(super) const BATCH_ROWS: usize = 50_000;

/// Reads a CSV file block by block (see [`blocks`]): Polars parses each block from memory, in
/// parallel, and the rows go to `send` in batches, in file order. Row numbers continue across
/// blocks, so lines are counted as in one pass.
///
/// The reader thread also counts each block's records with a second, simple reader
/// ([`blocks::count_records`]); a block where Polars parsed another number stops the read,
/// with the lines it spans in `mismatch`.
pub(super) fn read_csv_blocks(
    path: &Path,
    profile: &Profile,
    columns: &[String],
    hash: bool,
    mismatch: &mut Option<Mismatch>,
    mut send: impl FnMut(DataFrame) -> PolarsResult<bool>,
) -> PolarsResult<Option<(u64, String)>> {
    let src = &profile.source;
    // CALLSLA_CSV_BLOCK_BYTES: a smaller block size, so tests cover many blocks on small files.
    let size = std::env::var("CALLSLA_CSV_BLOCK_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(blocks::BLOCK);
    let max_record = src.max_record_bytes;
    let mut blocks = match blocks::Blocks::open(path, src.quote, size, max_record, hash) {
        Ok(b) => b,
        Err(e) if e.to_string() == blocks::TOO_LONG => {
            *mismatch = Some(Mismatch::too_long(1, None));
            return Err(PolarsError::from(e));
        }
        Err(e) => return Err(PolarsError::from(e)),
    };
    let quote = src.quote;
    let header_lines = blocks.header_lines();
    // Physical lines before the current block's data (the header's first).
    let mut lines_before = header_lines;
    let names: Arc<[PlSmallStr]> = columns.iter().map(|c| PlSmallStr::from(c.as_str())).collect();
    let mut rows_before: u64 = 0;
    // One thread reads the next block while this one parses the current one.
    let (block_tx, block_rx) = std::sync::mpsc::sync_channel::<std::io::Result<(Vec<u8>, blocks::Counted)>>(1);
    // Parsed blocks' buffers go back to the reader to be filled again.
    let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
    let reader = std::thread::spawn(move || {
        loop {
            let spare = spare_rx.try_recv().unwrap_or_default();
            let next = match blocks.next_block_into(spare) {
                Ok(Some(b)) => {
                    let counted = blocks::count_records(&b, quote);
                    Ok((b, counted))
                }
                Ok(None) => break,
                Err(e) => Err(e),
            };
            let stop = next.is_err();
            if block_tx.send(next).is_err() || stop {
                break;
            }
        }
        blocks.finish()
    });
    for block in block_rx {
        let (block, count) = match block {
            Ok(b) => b,
            Err(e) if e.to_string() == blocks::TOO_LONG => {
                // The block reader found no record end within the maximum: the record starts
                // at the first line after the last block.
                *mismatch = Some(Mismatch::too_long(lines_before + 1, None));
                return Err(PolarsError::from(e));
            }
            Err(e) => return Err(PolarsError::from(e)),
        };
        let (counted, block_lines) = (count.records, count.lines);
        if count.longest.0 > max_record {
            let line = lines_before + 1 + count.longest.1 - header_lines.min(count.longest.1);
            *mismatch = Some(Mismatch::too_long(line, Some(count.longest.0)));
            polars_bail!(ComputeError: "{}", blocks::TOO_LONG);
        }
        let offset = IdxSize::try_from(rows_before)
            .map_err(|_| polars_err!(ComputeError: "more rows than this build of Polars can number"))?;
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_columns(Some(Arc::clone(&names)))
            .with_row_index(Some(RowIndex { name: ROW.into(), offset }))
            .with_raise_if_empty(false)
            .with_rechunk(false)
            .map_parse_options(|p| {
                p.with_separator(src.delimiter)
                    .with_quote_char(src.quote)
                    .with_missing_is_null(true)
                    .with_encoding(CsvEncoding::Utf8)
            })
            .into_reader_with_file_handle(std::io::Cursor::new(block.as_slice()))
            .finish();
        let data_lines = block_lines.saturating_sub(header_lines);
        // Where a parse failure or a count mismatch is: the block's lines, and the first line
        // with an odd number of quotes (the block's first line is the header).
        let locate = |parsed: Option<u64>| Mismatch {
            first: lines_before + 1,
            last: lines_before + data_lines,
            parsed,
            counted,
            odd_quote: blocks::first_odd_quote_line(&block, quote)
                .filter(|i| *i >= header_lines)
                .map(|i| lines_before + 1 + i - header_lines),
            too_long: None,
        };
        let mut df = match df {
            Ok(df) if df.height() as u64 == counted => df,
            Ok(df) => {
                *mismatch = Some(locate(Some(df.height() as u64)));
                polars_bail!(ComputeError: "record count mismatch");
            }
            Err(e) => {
                // Located by lines and quotes, never with the parser's text (which quotes the
                // rows it could not parse: customer ids included).
                let text = e.to_string();
                // Too many fields and bytes that are not UTF-8 have messages of their own.
                if !text.contains("found more fields than defined") && !text.contains("invalid utf-8") {
                    *mismatch = Some(locate(None));
                }
                return Err(e);
            }
        };
        let _ = spare_tx.try_send(block);
        lines_before += data_lines;
        rows_before += df.height() as u64;
        for chunk in df.split_chunks() {
            let mut start = 0;
            while start < chunk.height() {
                let len = BATCH_ROWS.min(chunk.height() - start);
                send(chunk.slice(start as i64, len))?;
                start += len;
            }
        }
    }
    reader.join().map_err(|_| polars_err!(ComputeError: "the CSV block reader stopped unexpectedly"))
}

/// A block where the parser and the plain record count disagree: its lines (1-based, the
/// header is line 1) and the two counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mismatch {
    pub first: u64,
    pub last: u64,
    /// `None`: the parser stopped on the block (malformed).
    pub parsed: Option<u64>,
    pub counted: u64,
    /// The first line of the block with an odd number of quote characters.
    pub odd_quote: Option<u64>,
    /// A record longer than `source.max_record_bytes` starts at `first`: its length, when
    /// known (`None`: longer than a whole block).
    pub too_long: Option<Option<usize>>,
}

impl Mismatch {
    fn too_long(line: u64, bytes: Option<usize>) -> Mismatch {
        Mismatch { first: line, last: line, parsed: None, counted: 0, odd_quote: None, too_long: Some(bytes) }
    }
}

/// The error for a file the reader found not UTF-8: the line and byte of the first bad byte,
/// from a scan of the file.
pub(super) fn not_utf8(scanned: &Path, shown: &str) -> IngestError {
    match encoding::validate_utf8(scanned) {
        Err(IngestError::NotUtf8 { line, offset, byte, .. }) => {
            IngestError::NotUtf8 { path: shown.to_string(), line, offset, byte }
        }
        Err(other) => other,
        Ok(()) => IngestError::Internal("the reader found a byte that is not UTF-8 but the file is UTF-8".to_string()),
    }
}

/// The error for a file the reader found a record too wide in: the first record (by a plain,
/// quote-aware second reading) with more fields than the header, its line and the two counts.
pub(super) fn ragged(scanned: &Path, shown: &str, profile: &Profile) -> IngestError {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(profile.source.delimiter)
        .quoting(profile.source.quote.is_some())
        .quote(profile.source.quote.unwrap_or(b'"'))
        .from_path(scanned);
    let mut header = None;
    if let Ok(reader) = reader.as_mut() {
        let mut record = ::csv::ByteRecord::new();
        while let Ok(true) = reader.read_byte_record(&mut record) {
            let line = record.position().map_or(0, |p| p.line());
            match header {
                None => header = Some(record.len()),
                Some(h) if record.len() > h => {
                    return IngestError::Ragged { path: shown.to_string(), line, fields: record.len(), header: h };
                }
                Some(_) => {}
            }
        }
    }
    IngestError::Read {
        path: shown.to_string(),
        message: "a line has more fields than the header; check source.delimiter and source.quote in the profile, or quotes around values that contain the delimiter".to_string(),
    }
}

pub(super) fn missing_column(
    path: &str,
    column: &str,
    field: Field,
    profile: &Profile,
    schema: &Schema,
) -> IngestError {
    let names: Vec<&str> = schema.iter_names().filter(|n| n.as_str() != ROW).map(|n| n.as_str()).collect();
    let found: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    // One column whose name holds another likely delimiter: the delimiter is wrong.
    let hint = match names.as_slice() {
        [only] => [';', '\t', '|', ','].iter().find(|d| only.contains(**d)).map_or(String::new(), |d| {
            format!(
                " (the header looks {}-separated: set source.delimiter = {:?} in the profile)",
                if *d == '\t' { "tab".to_string() } else { format!("'{d}'") },
                d.to_string()
            )
        }),
        _ => String::new(),
    };
    IngestError::MissingColumn(Box::new(MissingColumn {
        path: path.to_string(),
        column: column.to_string(),
        field,
        profile: profile.to_string(),
        found: found.join(", "),
        hint,
    }))
}

/// Reads the CSV header line and refuses a header that names a column the profile reads twice,
/// and a file whose lines end in CR only (it would read as one line: zero rows).
pub(super) fn check_header(path: &Path, shown: &str, profile: &Profile) -> Result<(), IngestError> {
    let mut head = Vec::new();
    {
        use std::io::Read as _;
        let f = std::fs::File::open(path).map_err(|e| IngestError::read(path, e))?;
        f.take(64 << 10).read_to_end(&mut head).map_err(|e| IngestError::read(path, e))?;
    }

    if head.contains(&b'\r') && !head.contains(&b'\n') {
        return Err(IngestError::CrLineEndings { path: shown.to_string() });
    }
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(profile.source.delimiter)
        .quoting(profile.source.quote.is_some())
        .quote(profile.source.quote.unwrap_or(b'"'))
        .from_path(path)
        .map_err(|e| IngestError::Read { path: shown.to_string(), message: e.to_string() })?;
    let headers = match rdr.headers() {
        Ok(h) => h,
        Err(e) if matches!(e.kind(), ::csv::ErrorKind::Utf8 { .. }) => return Err(not_utf8(path, shown)),
        Err(e) => return Err(IngestError::Read { path: shown.to_string(), message: e.to_string() }),
    };
    let names: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}')).collect();
    let wanted = profile.source_columns();
    for (i, n) in names.iter().enumerate() {
        if let Some(j) = names[i + 1..].iter().position(|m| m == n) {
            if wanted.iter().any(|w| w == n) {
                return Err(IngestError::DuplicateHeader {
                    path: shown.to_string(),
                    column: n.to_string(),
                    first: i + 1,
                    second: i + j + 2,
                });
            }
        }
    }
    Ok(())
}

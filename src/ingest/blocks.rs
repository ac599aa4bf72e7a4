//! A CSV file in blocks of whole records, for Polars' CSV reader to parse from memory.
//!
//! Letting Polars stream a local file maps the whole file into memory (a 1.4 GB export is then
//! 1.4 GB of resident memory) and copies it again into its own buffers. Instead callsla reads
//! the file in blocks of about 32 MB with positioned reads, cuts each block after the last
//! line break that is outside quotes, and gives Polars the header line plus that block. Peak
//! memory is then a few blocks, whatever the file size.
//!
//! Cutting is quote-aware: every block starts outside quotes, so a line break is a record end
//! when the number of quote characters before it in the block is even (an escaped quote `""`
//! counts twice and changes nothing). A record longer than a block makes the block grow.

use std::fs::File;
use std::io;
use std::path::Path;

use sha2::Digest as _;

/// Default block size.
pub(crate) const BLOCK: usize = 32 << 20;

/// The message of the I/O error [`Blocks`] returns for a record longer than its maximum (the
/// record starts where the block would: just after the last record handed out).
pub(crate) const TOO_LONG: &str = "a record is longer than source.max_record_bytes";

/// Reads a CSV file as blocks of whole records.
pub(crate) struct Blocks {
    file: File,
    /// The longest record read: a block or header that finds no record end within it stops.
    max_record: usize,
    len: u64,
    /// Offset of the next unread byte.
    pos: u64,
    /// The header line, line break included (prefixed to every block after the first).
    header: Vec<u8>,
    quote: Option<u8>,
    block: usize,
    /// SHA-256 of the bytes handed out so far (the header, then each block's records): at the
    /// end, of the whole file, which is then read once for both parsing and the run manifest.
    /// `None` when the caller does not need it.
    sha256: Option<sha2::Sha256>,
}

impl Blocks {
    /// Opens `path`; with `hash`, the blocks' bytes are hashed as they are handed out.
    pub(crate) fn open(
        path: &Path,
        quote: Option<u8>,
        block: usize,
        max_record: usize,
        hash: bool,
    ) -> io::Result<Blocks> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut b = Blocks {
            file,
            max_record,
            len,
            pos: 0,
            header: Vec::new(),
            quote,
            block: block.max(1024),
            sha256: hash.then(sha2::Sha256::new),
        };
        // The header is the first record: everything up to its record end.
        let mut size = 64 << 10;
        loop {
            let buf = b.read(0, size)?;
            let at_end = buf.len() as u64 >= len;
            match first_record_end(&buf, quote) {
                Some(end) if end > max_record => return Err(io::Error::new(io::ErrorKind::InvalidData, TOO_LONG)),
                Some(end) => {
                    b.header = buf[..end].to_vec();
                    break;
                }
                None if at_end => {
                    // A header without a line break: the whole file is the header.
                    b.header = buf;
                    b.header.push(b'\n');
                    break;
                }
                None if size > max_record => return Err(io::Error::new(io::ErrorKind::InvalidData, TOO_LONG)),
                None => size *= 4,
            }
        }
        Ok(b)
    }

    /// Physical lines the header takes (1, or more when a quoted name holds a line break).
    pub(crate) fn header_lines(&self) -> u64 {
        self.header.iter().filter(|b| **b == b'\n').count() as u64
    }

    /// The file's size and SHA-256 (lower-case hex), once every block has been read (and if
    /// it was opened to hash).
    pub(crate) fn finish(self) -> Option<(u64, String)> {
        let sha = self.sha256.filter(|_| self.pos >= self.len)?;
        Some((self.len, crate::util::hex(&sha.finalize())))
    }

    fn read(&self, offset: u64, size: usize) -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_into(&mut buf, offset, size)?;
        Ok(buf)
    }

    /// Appends up to `size` bytes from `offset` to `buf`; returns how many were read.
    fn read_into(&self, buf: &mut Vec<u8>, offset: u64, size: usize) -> io::Result<usize> {
        let want = usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX).min(size);
        let start = buf.len();
        buf.resize(start + want, 0);
        let done = super::encoding::read_at(&self.file, &mut buf[start..], offset)?;
        buf.truncate(start + done);
        Ok(done)
    }

    /// The next block: the header, then whole records. `None` when the file is read.
    #[cfg(test)]
    pub(crate) fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        self.next_block_into(Vec::new())
    }

    /// [`Blocks::next_block`] into a buffer given back from an earlier block (its memory is
    /// reused: no fresh pages to fault in for every block).
    pub(crate) fn next_block_into(&mut self, mut out: Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        if self.pos == 0 {
            self.pos = (self.header.len() as u64).min(self.len);
            if let Some(sha) = self.sha256.as_mut() {
                sha.update(&self.header[..self.pos as usize]);
            }
        }
        if self.pos >= self.len {
            return Ok(None);
        }
        let mut size = self.block;
        let h = self.header.len();
        loop {
            // The header, then the data read straight after it (no second copy).
            out.clear();
            out.reserve(h + size);
            out.extend_from_slice(&self.header);
            let n = self.read_into(&mut out, self.pos, size)?;
            let at_end = self.pos + n as u64 >= self.len;
            let cut = if at_end { Some(n) } else { last_record_end(&out[h..], self.quote) };
            if let Some(cut) = cut {
                out.truncate(h + cut);
                if let Some(sha) = self.sha256.as_mut() {
                    sha.update(&out[h..]);
                }
                self.pos += cut as u64;
                crate::util::work("reading the input", self.pos, self.len);
                return Ok(Some(out));
            }
            // One record longer than the block: read a bigger block, up to the longest record.
            if size > self.max_record {
                return Err(io::Error::new(io::ErrorKind::InvalidData, TOO_LONG));
            }
            size = size.saturating_mul(2);
        }
    }
}

/// The offset just after the first line break outside quotes.
fn first_record_end(buf: &[u8], quote: Option<u8>) -> Option<usize> {
    let mut in_quote = false;
    for (i, b) in buf.iter().enumerate() {
        if Some(*b) == quote {
            in_quote = !in_quote;
        } else if *b == b'\n' && !in_quote {
            return Some(i + 1);
        }
    }
    None
}

/// What the second reader finds in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    /// Records after the header.
    pub records: u64,
    /// Physical lines the block holds.
    pub lines: u64,
    /// The longest record's length in bytes (line break included) and its first physical line
    /// (0-based in the block, the header's first line 0).
    pub longest: (usize, u64),
}

/// Records in a block (the header line first), counted by a second, simple reader: line
/// breaks outside quotes (a blank line is a record, as Polars reads it: an empty row that
/// validation rejects), plus a last record without a line break — so a parser that loses or
/// merges rows is caught (issue 22: CR-only files read as no rows). Also the longest record,
/// in the same linear pass.
pub(crate) fn count_records(block: &[u8], quote: Option<u8>) -> Counted {
    let unterminated = block.last().is_some_and(|b| *b != b'\n');
    let (mut records, mut lines) = (0u64, 0u64);
    let (mut start, mut start_line, mut longest) = (0usize, 0u64, (0usize, 0u64));
    let mut end_record = |at: usize, lines: u64, start: &mut usize, start_line: &mut u64| {
        if at - *start > longest.0 {
            longest = (at - *start, *start_line);
        }
        *start = at;
        *start_line = lines;
    };
    match quote {
        // Without quotes in the block (most exports), every line break ends a record.
        Some(q) if block.contains(&q) => {
            let mut in_quote = false;
            for (i, &b) in block.iter().enumerate() {
                if b == q {
                    in_quote = !in_quote;
                } else if b == b'\n' {
                    lines += 1;
                    if !in_quote {
                        records += 1;
                        end_record(i + 1, lines, &mut start, &mut start_line);
                    }
                }
            }
        }
        _ => {
            for i in memchr::memchr_iter(b'\n', block) {
                lines += 1;
                records += 1;
                end_record(i + 1, lines, &mut start, &mut start_line);
            }
        }
    }
    // A last record without a line break, or one left open by a quote that never closes.
    if start < block.len() {
        end_record(block.len(), lines, &mut start, &mut start_line);
    }
    Counted {
        records: (records + u64::from(unterminated)).saturating_sub(1),
        lines: lines + u64::from(unterminated),
        longest,
    }
}

/// The first line of a block (0-based, the block's first line included) holding an odd number
/// of quote characters: where a stray or unclosed quote most likely is. For messages only.
pub(crate) fn first_odd_quote_line(block: &[u8], quote: Option<u8>) -> Option<u64> {
    let q = quote?;
    block.split(|b| *b == b'\n').position(|line| count_byte(line, q) % 2 == 1).map(|i| i as u64)
}

/// The offset just after the last line break outside quotes, for a block that starts outside
/// quotes.
fn last_record_end(buf: &[u8], quote: Option<u8>) -> Option<usize> {
    let mut end = buf.iter().rposition(|b| *b == b'\n')?;
    let Some(q) = quote else {
        return Some(end + 1);
    };
    // No quote at all (most exports): the last line break ends a record. `contains` on bytes
    // is a word-at-a-time search, faster than counting.
    if !buf[..end].contains(&q) {
        return Some(end + 1);
    }
    // Quotes before the candidate line break; step back one line break at a time until even.
    let mut quotes = count_byte(&buf[..end], q);
    loop {
        if quotes.is_multiple_of(2) {
            return Some(end + 1);
        }
        let prev = buf[..end].iter().rposition(|b| *b == b'\n')?;
        quotes -= count_byte(&buf[prev..end], q);
        end = prev;
    }
}

/// How many times `q` occurs in `buf`: 32 byte-wide counters that cannot overflow within 255
/// rounds, which the compiler turns into vector compares (several GB/s).
fn count_byte(buf: &[u8], q: u8) -> usize {
    const LANES: usize = 32;
    let mut total = 0usize;
    for block in buf.chunks(LANES * 255) {
        let mut acc = [0u8; LANES];
        let mut lanes = block.chunks_exact(LANES);
        for c in &mut lanes {
            for (a, b) in acc.iter_mut().zip(c) {
                *a += u8::from(*b == q);
            }
        }
        total += acc.iter().map(|a| usize::from(*a)).sum::<usize>();
        total += lanes.remainder().iter().filter(|b| **b == q).count();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records after the header and physical lines: a quoted value over two lines is one
    /// record, a blank line is one, a last record without a line break is one.
    #[test]
    fn records_are_counted_by_line_breaks_outside_quotes() {
        let c = |b: &[u8], q| {
            let c = count_records(b, q);
            (c.records, c.lines)
        };
        assert_eq!(c(b"h\na,\"x\ny\"\n\nb,c", Some(b'"')), (3, 5));
        assert_eq!(c(b"h\r\na\r\nb\r\n", Some(b'"')), (2, 3));
        assert_eq!(c(b"h\na\"b\n", None), (1, 2), "without quoting a quote is text");
        assert_eq!(first_odd_quote_line(b"h\nok\nbad\"x\nok", Some(b'"')), Some(2));
        // The longest record, line break included, and the line it starts on.
        assert_eq!(count_records(b"h\na,\"x\ny\"\n\nb,c", Some(b'"')).longest, (8, 1));
        assert_eq!(count_records(b"h\nab\nlongest\nc", None).longest, (8, 2));
        assert_eq!(count_records(b"h\nab\nc\nlongest", Some(b'"')).longest, (7, 3), "unterminated last");
        assert_eq!(count_records(b"h\nab\n\"c\nd\ne\n", Some(b'"')).longest, (7, 2), "a quote left open");
        assert_eq!(first_odd_quote_line(b"h\n\"a\",b", Some(b'"')), None);
    }

    fn blocks_of(text: &[u8], block: usize) -> Vec<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("callsla-blocks-{}-{block}-{}", std::process::id(), text.len()));
        let _ = std::fs::write(&dir, text);
        let mut out = Vec::new();
        let opened = Blocks::open(&dir, Some(b'"'), block, usize::MAX, false);
        assert!(opened.is_ok(), "{:?}", opened.err());
        if let Ok(mut b) = opened {
            while let Ok(Some(x)) = b.next_block() {
                out.push(x);
            }
        }
        let _ = std::fs::remove_file(&dir);
        out
    }

    #[test]
    fn blocks_hold_whole_records_and_every_byte_once() {
        let mut text = b"id,note\n".to_vec();
        for i in 0..2000 {
            let note = if i % 3 == 0 { "\"a, \"\"quoted\"\"\nline\"" } else { "plain" };
            text.extend_from_slice(format!("{i},{note}\n").as_bytes());
        }
        text.extend_from_slice(b"last,no line break");
        for block in [1024, 4096, 1 << 20] {
            let blocks = blocks_of(&text, block);
            let mut joined = b"id,note\n".to_vec();
            for b in &blocks {
                assert!(b.starts_with(b"id,note\n"));
                let body = &b[8..];
                // Each block is whole records: an even number of quotes.
                assert_eq!(body.iter().filter(|c| **c == b'"').count() % 2, 0);
                joined.extend_from_slice(body);
            }
            assert_eq!(joined, text, "block size {block}");
            assert!(block >= 1 << 20 || blocks.len() > 1);
        }
    }

    #[test]
    fn a_record_longer_than_a_block_makes_the_block_grow() {
        let long = "x".repeat(5000);
        let text = format!("h\n\"{long}\"\nb\n");
        let blocks = blocks_of(text.as_bytes(), 1024);
        let joined: Vec<u8> = blocks.iter().flat_map(|b| b[2..].to_vec()).collect();
        assert_eq!(joined, text.as_bytes()[2..]);
    }

    #[test]
    fn counting_a_byte_matches_the_plain_count() {
        let data: Vec<u8> = (0..100_000u32).map(|i| if i % 7 == 0 || i % 1000 == 3 { b'"' } else { b'a' }).collect();
        for len in [0, 1, 31, 32, 33, 8159, 8160, 8161, 100_000] {
            let plain = data[..len].iter().filter(|b| **b == b'"').count();
            assert_eq!(count_byte(&data[..len], b'"'), plain, "length {len}");
        }
    }

    #[test]
    fn the_blocks_hash_is_the_files_hash() {
        let mut text = b"id,note\n".to_vec();
        for i in 0..3000 {
            text.extend_from_slice(format!("{i},\"a\nb\"\n").as_bytes());
        }
        let path = std::env::temp_dir().join(format!("callsla-blocks-hash-{}", std::process::id()));
        let _ = std::fs::write(&path, &text);
        for (block, hash) in [(1024, true), (1 << 20, true), (1024, false)] {
            let opened = Blocks::open(&path, Some(b'"'), block, usize::MAX, hash);
            assert!(opened.is_ok());
            if let Ok(mut b) = opened {
                while let Ok(Some(_)) = b.next_block() {}
                let want = hash.then(|| (text.len() as u64, crate::util::sha256_hex(&text)));
                assert_eq!(b.finish(), want, "block {block}, hash {hash}");
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_header_only_file_has_no_blocks() {
        assert!(blocks_of(b"a,b\n", 1024).is_empty());
        assert!(blocks_of(b"a,b", 1024).is_empty());
    }
}

//! Text encodings of CSV inputs. Polars reads bytes as UTF-8 without checking every value, so
//! callsla checks (or transcodes) the file first: a file that is not valid UTF-8 is an error
//! naming the line and byte, unless the profile says it is Latin-1 or asks for lossy reading.

use std::io::{Read, Write};

use std::path::{Path, PathBuf};

use super::IngestError;

const CHUNK: usize = 1 << 20;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io { path: path.display().to_string(), source }
}

/// Checks that the whole file is UTF-8. The error names the line and byte offset.
///
/// The file is split into one region per core, each starting at a character boundary (not on a
/// continuation byte), and the regions are checked in parallel with positioned reads; lines
/// are only counted when a bad byte is found.
pub fn validate_utf8(path: &Path) -> Result<(), IngestError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let len = f.metadata().map_err(io_err(path))?.len();
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u64;
    let mut bounds = vec![0u64];
    for k in 1..parts {
        let b = char_boundary_at(&f, len * k / parts, len).map_err(io_err(path))?;
        if b > *bounds.last().unwrap_or(&0) && b < len {
            bounds.push(b);
        }
    }
    bounds.push(len);
    let results: Vec<std::io::Result<Option<(u64, u8)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let f = &f;
                s.spawn(move || first_bad_byte(f, start, end))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(std::io::Error::other("UTF-8 check stopped"))))
            .collect()
    });
    for r in results {
        if let Some((offset, byte)) = r.map_err(io_err(path))? {
            let line = 1 + count_newlines(&f, offset).map_err(io_err(path))?;
            return Err(IngestError::NotUtf8 { path: path.display().to_string(), line, offset, byte });
        }
    }
    Ok(())
}

/// Like [`validate_utf8`], from the start of line `line` (1-based, counting line breaks): the
/// error names the first bad byte at or after it.
pub fn validate_utf8_from_line(path: &Path, line: u64) -> Result<(), IngestError> {
    if line <= 1 {
        return validate_utf8(path);
    }
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let len = f.metadata().map_err(io_err(path))?.len();
    let start = line_start(&f, line).map_err(io_err(path))?;
    match first_bad_byte(&f, start, len).map_err(io_err(path))? {
        Some((offset, byte)) => {
            let line = 1 + count_newlines(&f, offset).map_err(io_err(path))?;
            Err(IngestError::NotUtf8 { path: path.display().to_string(), line, offset, byte })
        }
        None => validate_utf8(path),
    }
}

/// The byte offset where line `line` (1-based) starts.
fn line_start(f: &std::fs::File, line: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let (mut at, mut seen) = (0u64, 1u64);
    loop {
        let n = read_at(f, &mut buf, at)?;
        if n == 0 {
            return Ok(at);
        }
        for (k, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                seen += 1;
                if seen == line {
                    return Ok(at + k as u64 + 1);
                }
            }
        }
        at += n as u64;
    }
}

/// The first offset at or after `at` that is not a UTF-8 continuation byte (at most 3 ahead).
fn char_boundary_at(f: &std::fs::File, at: u64, len: u64) -> std::io::Result<u64> {
    let mut b = [0u8; 4];
    let n = read_at(f, &mut b, at)?;
    let skip = b[..n].iter().take(3).take_while(|x| (0x80..0xC0).contains(*x)).count() as u64;
    Ok((at + skip).min(len))
}

/// Fills `buf` from `offset` (positioned reads, so threads can share the file); returns the
/// bytes read, fewer only at the end of the file.
pub(super) fn read_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt as _;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt as _;
    let mut done = 0;
    while done < buf.len() {
        #[cfg(unix)]
        let n = f.read_at(&mut buf[done..], offset + done as u64)?;
        #[cfg(windows)]
        let n = f.seek_read(&mut buf[done..], offset + done as u64)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// The offset and value of the first byte in `[start, end)` that makes the text invalid UTF-8.
fn first_bad_byte(f: &std::fs::File, start: u64, end: u64) -> std::io::Result<Option<(u64, u8)>> {
    let mut buf = vec![0u8; CHUNK + 4];
    let mut carry = 0usize;
    let mut offset = start; // file offset of buf[0]
    loop {
        let want = usize::try_from((end - offset).saturating_sub(carry as u64)).unwrap_or(CHUNK).min(CHUNK);
        let n = read_at(f, &mut buf[carry..carry + want], offset + carry as u64)?;
        let len = carry + n;
        if len == 0 {
            return Ok(None);
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => {
                offset += len as u64;
                carry = 0;
            }
            Err(e) if e.error_len().is_none() && n > 0 => {
                // An incomplete sequence at the end of the chunk: carry it over.
                let good = e.valid_up_to();
                offset += good as u64;
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
            Err(e) => {
                let good = e.valid_up_to();
                return Ok(Some((offset + good as u64, buf[good])));
            }
        }
        if n == 0 {
            return Ok(None);
        }
    }
}

/// Line breaks before `offset` (only on the error path).
fn count_newlines(f: &std::fs::File, offset: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let (mut at, mut lines) = (0u64, 0u64);
    while at < offset {
        let want = usize::try_from(offset - at).unwrap_or(CHUNK).min(CHUNK);
        let n = read_at(f, &mut buf[..want], at)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        at += n as u64;
    }
    Ok(lines)
}

/// How to turn the file's bytes into UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transcode {
    /// Invalid sequences become U+FFFD.
    Lossy,
    /// Every byte is a Latin-1 (ISO 8859-1) character.
    Latin1,
}

/// Writes a UTF-8 copy of the file to `out`.
pub fn transcode(path: &Path, how: Transcode, out: &PathBuf) -> Result<(), IngestError> {
    let mut input = std::io::BufReader::new(std::fs::File::open(path).map_err(io_err(path))?);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).map_err(io_err(out))?);
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(io_err(path))?;
    match how {
        Transcode::Lossy => w.write_all(String::from_utf8_lossy(&bytes).as_bytes()).map_err(io_err(out))?,
        Transcode::Latin1 => {
            let s: String = bytes.iter().map(|b| char::from(*b)).collect();
            w.write_all(s.as_bytes()).map_err(io_err(out))?
        }
    }
    w.flush().map_err(io_err(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_bad_byte_across_chunk_boundaries() {
        let dir = std::env::temp_dir().join(format!("callsla-enc-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("a.csv");
        // A multi-byte character straddles the first chunk boundary; the bad byte is on line 3.
        let mut data = vec![b'a'; CHUNK - 1];
        data.extend_from_slice("é\nok\nbad ".as_bytes());
        data.push(0xe9);
        data.extend_from_slice(b" here\n");
        let _ = std::fs::write(&p, &data);
        let r = validate_utf8(&p);
        assert!(matches!(r, Err(IngestError::NotUtf8 { line: 3, byte: 0xe9, .. })), "{r:?}");
        let _ = std::fs::write(&p, "é\nfine\n");
        assert!(validate_utf8(&p).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

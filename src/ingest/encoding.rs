//! Text encodings of CSV inputs. Polars' CSV reader refuses bytes that are not UTF-8 (it checks
//! every chunk it parses); callsla then scans the file once more to name the line and byte, or
//! transcodes the file first when the profile says it is Latin-1 or asks for lossy reading.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::IngestError;

const CHUNK: usize = 1 << 20;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io { path: path.display().to_string(), source }
}

/// Checks that the whole file is UTF-8; the error names the line and byte offset of the first
/// bad byte. Run only after the reader found one, so a valid file is never read twice.
pub(crate) fn validate_utf8(path: &Path) -> Result<(), IngestError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let len = f.metadata().map_err(io_err(path))?.len();
    match first_bad_byte(&f, 0, len).map_err(io_err(path))? {
        Some((offset, byte)) => {
            let line = 1 + count_newlines(&f, offset).map_err(io_err(path))?;
            Err(IngestError::NotUtf8 { path: path.display().to_string(), line, offset, byte })
        }
        None => Ok(()),
    }
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
pub(crate) enum Transcode {
    /// Invalid sequences become U+FFFD.
    Lossy,
    /// Every byte is a Latin-1 (ISO 8859-1) character.
    Latin1,
}

/// Writes a UTF-8 copy of the file to `out`.
pub(crate) fn transcode(path: &Path, how: Transcode, out: &PathBuf) -> Result<(), IngestError> {
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

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

/// Checks that the whole file is UTF-8, streaming. The error names the line and byte offset.
pub fn validate_utf8(path: &Path) -> Result<(), IngestError> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut buf = vec![0u8; CHUNK + 4];
    let mut carry = 0usize;
    let mut offset = 0u64;
    let mut lines = 1u64;
    loop {
        let n = f.read(&mut buf[carry..carry + CHUNK]).map_err(io_err(path))?;
        let len = carry + n;
        if len == 0 {
            return Ok(());
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => {
                lines += buf[..len].iter().filter(|b| **b == b'\n').count() as u64;
                offset += len as u64;
                carry = 0;
            }
            Err(e) if e.error_len().is_none() && n > 0 => {
                // An incomplete sequence at the end of the chunk: carry it over.
                let good = e.valid_up_to();
                lines += buf[..good].iter().filter(|b| **b == b'\n').count() as u64;
                offset += good as u64;
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
            Err(e) => {
                let good = e.valid_up_to();
                lines += buf[..good].iter().filter(|b| **b == b'\n').count() as u64;
                return Err(IngestError::NotUtf8 {
                    path: path.display().to_string(),
                    line: lines,
                    offset: offset + good as u64,
                    byte: buf[good],
                });
            }
        }
        if n == 0 {
            return Ok(());
        }
    }
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

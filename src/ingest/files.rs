//! The input files themselves: temporary copies (decompressed, transcoded), gzip detection,
//! the format a file is read as, and the rows a file is expected to hold.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use polars::prelude::ParquetReader;
use polars::prelude::SerReader as _;

use super::{Format, IngestError, Profile};

/// A temporary copy of an input (decompressed or transcoded). On Linux it has no name at all:
/// an unnamed file (`O_TMPFILE`, or created and unlinked at once) read back through
/// `/proc/self/fd/N`, so nothing is left behind even when the process is killed, and no other
/// process can open or replace it. Elsewhere: an unpredictable name, created exclusively (never
/// through a planted link), removed when dropped.
pub(super) struct TempCopy {
    #[cfg(target_os = "linux")]
    file: std::fs::File,
    #[cfg(not(target_os = "linux"))]
    file: tempfile::NamedTempFile,
}

impl TempCopy {
    pub(super) fn new(what: &str, path: &Path) -> Result<TempCopy, IngestError> {
        let io = |source| IngestError::Io { path: path.display().to_string(), source };
        #[cfg(target_os = "linux")]
        {
            let _ = what;
            tempfile::tempfile().map(|file| TempCopy { file }).map_err(io)
        }
        #[cfg(not(target_os = "linux"))]
        {
            tempfile::Builder::new()
                .prefix(&format!("callsla-{what}-"))
                .suffix(".csv")
                .tempfile()
                .map(|file| TempCopy { file })
                .map_err(io)
        }
    }

    /// The path the copy is read (and written) through.
    pub(super) fn path(&self) -> PathBuf {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd as _;
            PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.file.path().to_path_buf()
        }
    }
}

pub(super) fn is_gzip(path: &Path) -> Result<bool, IngestError> {
    let mut magic = [0u8; 2];
    let mut f =
        std::fs::File::open(path).map_err(|source| IngestError::Io { path: path.display().to_string(), source })?;
    let n = f.read(&mut magic).map_err(|source| IngestError::Io { path: path.display().to_string(), source })?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

pub(super) fn gunzip_to_temp(path: &Path) -> Result<TempCopy, IngestError> {
    let io = |source| IngestError::Io { path: path.display().to_string(), source };
    let tmp = TempCopy::new("gunzip", path)?;
    let input = std::fs::File::open(path).map_err(io)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
    let mut out = std::io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(tmp.path()).map_err(io)?);
    std::io::copy(&mut decoder, &mut out).map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)?;
    Ok(tmp)
}

/// Whether the profile reads this file as Parquet (by its format, or else the file's extension).
pub(super) fn is_parquet(profile: &Profile, path: &Path) -> bool {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match profile.source.format {
        Format::Parquet => true,
        Format::Csv => false,
        Format::Auto => ext == "parquet" || ext == "pq",
    }
}

/// About how many rows a file holds, to size the duplicate-id table: a Parquet footer's count,
/// else the CSV's size at 140 bytes a row. 0 when the file cannot be read (its error comes later).
pub(super) fn expected_rows(profile: &Profile, path: &Path) -> u64 {
    if is_parquet(profile, path) {
        let rows = std::fs::File::open(path)
            .ok()
            .and_then(|f| crate::util::catch_panic(|| ParquetReader::new(f).num_rows().ok()).ok().flatten());
        return rows.map_or(0, |n| n as u64);
    }
    std::fs::metadata(path).map_or(0, |m| m.len() / 140)
}

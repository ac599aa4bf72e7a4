//! The input files themselves: temporary copies (decompressed, transcoded), gzip detection,
//! the format a file is read as, and the rows a file is expected to hold.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use polars::prelude::ParquetReader;
use polars::prelude::SerReader as _;

use super::{Format, IngestError, Profile};

/// A gzip input decompressed to a temporary file that is removed when dropped.
/// A temporary copy of an input (decompressed or transcoded): an unpredictable name, created
/// exclusively (never through a planted link), removed when dropped.
pub(super) struct TempCopy(tempfile::TempPath);

impl TempCopy {
    pub(super) fn new(what: &str, path: &Path) -> Result<TempCopy, IngestError> {
        tempfile::Builder::new()
            .prefix(&format!("callsla-{what}-"))
            .suffix(".csv")
            .tempfile()
            .map(|f| TempCopy(f.into_temp_path()))
            .map_err(|source| IngestError::Io { path: path.display().to_string(), source })
    }

    pub(super) fn path(&self) -> PathBuf {
        self.0.to_path_buf()
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

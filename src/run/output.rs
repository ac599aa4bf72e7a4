//! Writing a run's outputs safely: the lock that keeps two runs out of one folder, the
//! folder written beside its target and renamed into place only when complete, and where the
//! rejects of a stopped run go.

use std::path::{Path, PathBuf};

use super::{Outputs, RunError};

/// The folder the run starts in, relative to the output folder `out` (whose parent exists):
/// what `verify` climbs to find the inputs. Empty when it cannot be told (then `verify`
/// reads inputs from its own folder or `--inputs`).
pub(super) fn run_dir_of(out: &Path) -> String {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let (Ok(cwd), Ok(parent), Some(name)) = (std::env::current_dir(), parent.canonicalize(), out.file_name()) else {
        return String::new();
    };
    let Ok(cwd) = cwd.canonicalize() else { return String::new() };
    crate::util::relative_path(&parent.join(name), &cwd).display().to_string()
}

/// Where `run` writes the rejects of a run stopped on them: `OUT.rejects.csv` beside `OUT`.
pub(crate) fn default_rejects_path(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_string());
    out.with_file_name(format!("{name}.rejects.csv"))
}

/// An exclusive OS lock on `OUT.lock` beside the output folder, held while the run writes:
/// released when dropped or when the process ends, so a killed run leaves no stale lock. The
/// lock file stays (removing it would let a second run lock a new file while a third holds the
/// old one).
pub(super) struct Lock(#[allow(dead_code)] std::fs::File); // reason: held for its lock, never read

impl Lock {
    pub(super) fn take(out: &Path) -> Result<Lock, RunError> {
        // The output folder's parent may not exist yet (e.g. `--out target/assessment` on a
        // fresh clone): create it, so the lock file has somewhere to go.
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|source| RunError::Write { path: parent.display().to_string(), source })?;
        // One lock per folder however it is named (`D`, `D/`, `./D`, a link to its parent).
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_string());
        let canonical =
            parent.canonicalize().map_err(|source| RunError::Write { path: parent.display().to_string(), source })?;
        let path = canonical.join(format!("{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| RunError::Write { path: path.display().to_string(), source })?;
        match file.try_lock() {
            Ok(()) => Ok(Lock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(RunError::Busy(out.display().to_string())),
            Err(std::fs::TryLockError::Error(source)) => {
                Err(RunError::Write { path: path.display().to_string(), source })
            }
        }
    }
}

/// Writes the outputs into `out` atomically: a sibling temporary folder, synced, then renamed.
/// An existing `out` is replaced only with `force`, and only after the new one is complete.
pub(crate) fn write_outputs(out: &Path, outputs: &Outputs, force: bool) -> Result<(), RunError> {
    let write_err = |p: &Path| {
        let p = p.display().to_string();
        move |source| RunError::Write { path: p, source }
    };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_string());
    // An unpredictable name, created exclusively; removed (when dropped) if anything fails.
    let tmp_dir =
        tempfile::Builder::new().prefix(&format!(".{name}.tmp-")).tempdir_in(parent).map_err(write_err(parent))?;
    let tmp = tmp_dir.path().to_path_buf();
    // Readable like any folder the user makes (a temporary folder is private by default).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).map_err(write_err(&tmp))?;
    }
    let result = (|| {
        for (file, bytes) in outputs {
            let p = tmp.join(file);
            let mut f = std::fs::File::create(&p).map_err(write_err(&p))?;
            std::io::Write::write_all(&mut f, bytes).map_err(write_err(&p))?;
            f.sync_all().map_err(write_err(&p))?;
        }
        if out.exists() {
            if !force {
                return Err(RunError::OutputExists(out.display().to_string()));
            }
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(write_err(out))?;
            if let Err(source) = std::fs::rename(&tmp, out) {
                let _ = std::fs::rename(&old, out);
                return Err(RunError::Write { path: out.display().to_string(), source });
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, out).map_err(write_err(out))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

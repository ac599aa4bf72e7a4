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

/// The part of a path before its first glob character (`logs/*.csv` → `logs`), for inputs
/// given as patterns.
fn literal_prefix(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[', '{']) {
            break;
        }
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Refuses to let a run replace `out` (with `--force`) unless callsla wrote it — a folder, not a
/// link, with a readable callsla `manifest.json` and no file the manifest does not list — and
/// none of `protected` (the run's inputs, the ledger, the rejects file, the working folder) is
/// it or lies inside it. A command never deletes what it did not write (docs/reliability.md).
pub(super) fn check_replaceable(out: &Path, protected: &[PathBuf]) -> Result<(), RunError> {
    let Ok(meta) = std::fs::symlink_metadata(out) else { return Ok(()) };
    let refuse = |why: String| RunError::NotOurs { path: out.display().to_string(), why };
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link".into()));
    }
    if !meta.is_dir() {
        return Err(refuse("it is a file, not an output folder".into()));
    }
    let canon = out.canonicalize().map_err(|source| RunError::Read { path: out.display().to_string(), source })?;
    for p in protected {
        if let Ok(c) = literal_prefix(p).canonicalize() {
            if c.starts_with(&canon) {
                return Err(RunError::Protected { out: out.display().to_string(), inside: p.display().to_string() });
            }
        }
    }
    let manifest = canon.join("manifest.json");
    let text = std::fs::read(&manifest).map_err(|_| refuse("it has no manifest.json".into()))?;
    let m: crate::manifest::Manifest =
        serde_json::from_slice(&text).map_err(|_| refuse("its manifest.json is not a callsla manifest".into()))?;
    let entries =
        std::fs::read_dir(&canon).map_err(|source| RunError::Read { path: out.display().to_string(), source })?;
    let mut foreign = Vec::new();
    for e in entries {
        let e = e.map_err(|source| RunError::Read { path: out.display().to_string(), source })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "manifest.json" && !m.outputs.contains_key(&name) {
            foreign.push(name);
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        foreign.truncate(5);
        return Err(refuse(format!("it holds files callsla did not write ({})", foreign.join(", "))));
    }
    Ok(())
}

/// Swaps two paths in one step (`renameat2(RENAME_EXCHANGE)`), where the system has it.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Makes a rename in `dir` durable (the folder's entry is on disk when `run` reports success).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    crate::util::fail_io("dirsync")?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// The folders a killed run left beside `out` (called under `out`'s lock, so no live run is
/// writing them): named `.NAME.tmp-` and six letters or digits as [`write_outputs`] names them,
/// real folders (not links) holding only regular files with names of callsla outputs. Removes
/// them and returns their names; anything else is left alone.
fn sweep_debris(parent: &Path, name: &str, outputs: &Outputs) -> Vec<String> {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(parent) else { return Vec::new() };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let file_name = e.file_name().to_string_lossy().into_owned();
        let Some(suffix) = file_name.strip_prefix(&prefix) else { continue };
        if suffix.len() != 6 || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let path = e.path();
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let Ok(inside) = std::fs::read_dir(&path) else { continue };
        let ours = inside.into_iter().all(|f| {
            f.is_ok_and(|f| {
                let n = f.file_name().to_string_lossy().into_owned();
                std::fs::symlink_metadata(f.path()).is_ok_and(|m| m.is_file()) && outputs.contains_key(&n)
            })
        });
        if ours && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(file_name);
        }
    }
    removed.sort();
    removed
}

/// Writes the outputs into `out` atomically: a sibling temporary folder, synced, then renamed.
/// An existing `out` is replaced only with `force`, and only after the new one is complete.
/// Returns the names of partial outputs of killed runs it removed first ([`sweep_debris`]).
pub(crate) fn write_outputs(out: &Path, outputs: &Outputs, force: bool) -> Result<Vec<String>, RunError> {
    let write_err = |p: &Path| {
        let p = p.display().to_string();
        move |source| RunError::Write { path: p, source }
    };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".to_string());
    let swept = sweep_debris(parent, &name, outputs);
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
    let fail = crate::util::fail_io;
    let not_durable = |out: &Path| {
        let out = out.display().to_string();
        move |source| RunError::NotDurable { out, source }
    };
    let result = (|| {
        for (i, (file, bytes)) in outputs.iter().enumerate() {
            let p = tmp.join(file);
            let mut f = std::fs::File::create(&p).map_err(write_err(&p))?;
            if i == 1 {
                fail("write").map_err(write_err(&p))?;
            }
            std::io::Write::write_all(&mut f, bytes).map_err(write_err(&p))?;
            fail("fsync").and_then(|()| f.sync_all()).map_err(write_err(&p))?;
        }
        fail("swap").map_err(write_err(out))?;
        if out.exists() {
            if !force {
                return Err(RunError::OutputExists(out.display().to_string()));
            }
            // One atomic exchange: `out` holds the old output or the new, never neither; the
            // old one, now at the temporary name, goes with the temporary folder.
            if exchange(&tmp, out).is_ok() {
                return sync_dir(parent).map_err(not_durable(out));
            }
            // Without an exchange (another system, or a filesystem without it): two renames,
            // and if the second fails, the first is undone or the message says where the old
            // output is.
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(write_err(out))?;
            if let Err(source) = std::fs::rename(&tmp, out) {
                return Err(match std::fs::rename(&old, out) {
                    Ok(()) => RunError::Write { path: out.display().to_string(), source },
                    Err(_) => {
                        RunError::SwapFailed { out: out.display().to_string(), old: old.display().to_string(), source }
                    }
                });
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, out).map_err(write_err(out))?;
        }
        sync_dir(parent).map_err(not_durable(out))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| swept)
}

//! `callsla verify`: the auditor's command. Checks every input named in a run's manifest
//! against its recorded hash, re-derives the run from those inputs under the recorded options,
//! and compares every output, byte for byte, with the manifest and with the files on disk.
//!
//! The manifest names inputs relative to the folder the run started in, and records that
//! folder relative to the output folder (`run_dir`), so verify finds the inputs from wherever
//! it is started; `--inputs DIR` names the folder instead (a copy of the inputs elsewhere).
//! An input that cannot be found is not a difference: verify stops (exit 2) and says where it
//! looked.

use std::path::{Path, PathBuf};

use super::{compute, read_hash, sha256_hex, Manifest, Place, RunError};

/// One difference found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub file: String,
    pub what: String,
}

/// A path a manifest may name for an input: never climbing above where it starts (`../x`).
/// An absolute path is kept as the run was given it; it is only hashed (the message never
/// shows a file's present hash or content) and read for re-derivation only once every
/// recorded hash matches, so an edited manifest cannot make verify reveal a file.
fn inside(p: &Path) -> bool {
    !p.as_os_str().is_empty() && !crate::util::escapes(p)
}

/// Every path a manifest's options name, which the re-derivation reads.
fn option_paths(o: &crate::manifest::RunOptions) -> Vec<&Path> {
    let mut out: Vec<&Path> = vec![o.contract.as_path()];
    out.extend(o.inputs.iter().map(PathBuf::as_path));
    out.extend(o.counts.iter().map(PathBuf::as_path));
    for p in [
        &o.profile,
        &o.forecast,
        &o.outages,
        &o.suppression,
        &o.qa,
        &o.qa_profile,
        &o.agent_hours,
        &o.agent_hours_profile,
        &o.payments,
        &o.events,
        &o.events_profile,
    ] {
        out.extend(p.as_deref());
    }
    out
}

/// Verifies an output folder. `Ok(vec![])` means everything matches.
pub fn verify(dir: &Path, inputs: Option<&Path>) -> Result<Vec<Difference>, RunError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|source| RunError::Read { path: manifest_path.display().to_string(), source })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| RunError::NotAManifest { path: manifest_path.display().to_string(), message: e.to_string() })?;
    // The folder the run started in may be above the output folder (`../..`), but is relative.
    if Path::new(&manifest.run_dir).has_root() {
        return Err(RunError::Verify(format!(
            "{}: run_dir \"{}\" is not relative to the output folder; verify refuses it (pass --inputs DIR to name the inputs' folder)",
            manifest_path.display(),
            manifest.run_dir
        )));
    }
    let base = match inputs {
        Some(d) => d.to_path_buf(),
        None if manifest.run_dir.is_empty() => PathBuf::new(),
        None => dir.join(&manifest.run_dir),
    };
    let mut diffs = Vec::new();
    let mut recorded_inputs = vec![
        Some(&manifest.contract),
        manifest.profile.as_ref(),
        manifest.forecast.as_ref(),
        manifest.outages.as_ref(),
        manifest.suppression.as_ref(),
        manifest.qa.as_ref(),
        manifest.qa_profile.as_ref(),
        manifest.agent_hours.as_ref(),
        manifest.agent_hours_profile.as_ref(),
        manifest.payments.as_ref(),
        manifest.events.as_ref(),
        manifest.events_profile.as_ref(),
    ];
    recorded_inputs.extend(manifest.inputs.iter().map(Some));
    recorded_inputs.extend(manifest.counts.iter().map(Some));
    // What the re-derivation reads (the options) must be exactly the recorded, hashed inputs.
    let recorded_paths: Vec<&str> = recorded_inputs.iter().flatten().map(|r| r.path.as_str()).collect();
    for p in option_paths(&manifest.options) {
        let shown = p.display().to_string();
        // A glob (`logs/*.csv`) was expanded into the recorded files; re-deriving expands it
        // again, and a file it finds that was not recorded makes a different manifest.
        let glob = shown.contains(['*', '?', '[', '{']);
        if !inside(p) || !(glob || recorded_paths.contains(&shown.as_str())) {
            diffs.push(Difference {
                file: shown,
                what: "refused: an option names a file that is not a recorded input inside the run's folder"
                    .to_string(),
            });
        }
    }
    for recorded in recorded_inputs.into_iter().flatten() {
        // A manifest names files relative to where the run started; it may not reach outside.
        if !inside(Path::new(&recorded.path)) {
            diffs.push(Difference {
                file: recorded.path.clone(),
                what: "refused: the path leaves the folder verify runs in".to_string(),
            });
            continue;
        }
        let at = base.join(&recorded.path);
        if !at.exists() {
            return Err(RunError::Verify(format!(
                "cannot find the input {} at {} ({}); run verify where the inputs are, or pass --inputs DIR naming the folder the run was started in",
                recorded.path,
                at.display(),
                if inputs.is_some() { "under --inputs" } else { "where the manifest says the run started" }
            )));
        }
        match read_hash(&at) {
            Ok(now) if now.sha256 == recorded.sha256 => {}
            Ok(now) => diffs.push(Difference {
                file: recorded.path.clone(),
                what: format!(
                    "input changed: SHA-256 {} (size {}) in the manifest, another now (size {})",
                    recorded.sha256, recorded.size, now.size
                ),
            }),
            Err(e) => diffs.push(Difference { file: recorded.path.clone(), what: format!("input unreadable: {e}") }),
        }
    }
    for (name, sha) in &manifest.outputs {
        // Outputs are plain file names in the folder.
        let plain = matches!(Path::new(name).components().collect::<Vec<_>>()[..], [std::path::Component::Normal(_)]);
        if !plain {
            diffs.push(Difference {
                file: name.clone(),
                what: "refused: an output name that is not a file in this folder".to_string(),
            });
            continue;
        }
        let p = dir.join(name);
        match std::fs::read(&p) {
            Ok(bytes) if sha256_hex(&bytes) == *sha => {}
            Ok(_) => diffs.push(Difference {
                file: p.display().to_string(),
                what: "output differs from the hash in the manifest".to_string(),
            }),
            Err(e) => diffs.push(Difference { file: p.display().to_string(), what: format!("output unreadable: {e}") }),
        }
    }
    // Files callsla did not list: planted, or left from something else.
    let entries =
        std::fs::read_dir(dir).map_err(|source| RunError::Read { path: dir.display().to_string(), source })?;
    let mut unlisted: Vec<String> = Vec::new();
    for e in entries {
        let e = e.map_err(|source| RunError::Read { path: dir.display().to_string(), source })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "manifest.json" && !manifest.outputs.contains_key(&name) {
            unlisted.push(name);
        }
    }
    unlisted.sort();
    for name in unlisted {
        diffs.push(Difference {
            file: dir.join(&name).display().to_string(),
            what: "not listed in the manifest".to_string(),
        });
    }
    // Pseudonyms (rejects, evidence) re-derive only under the run's key.
    let key_now = crate::pseudonym::current().record();
    if let Some(recorded) = manifest.pseudonym_key.as_ref().filter(|k| k.fingerprint != key_now.fingerprint) {
        diffs.push(Difference {
            file: manifest_path.display().to_string(),
            what: format!(
                "the run made its pseudonyms with key {} ({}); this verify uses key {} ({}): give verify the run's key (--pseudonym-key-file or CALLSLA_PSEUDONYM_KEY)",
                recorded.fingerprint,
                describe(&recorded.source),
                key_now.fingerprint,
                describe(&key_now.source)
            ),
        });
    }
    if !diffs.is_empty() {
        return Ok(diffs);
    }
    // Re-derive from the inputs (and the ledger's contribution the run recorded) and compare.
    let ledger_input: super::LedgerInput = match std::fs::read_to_string(dir.join("ledger_input.json")) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| RunError::BadLedgerInput(e.to_string()))?,
        Err(_) => super::LedgerInput::default(),
    };
    let mut source = |_: &str, _: i64, _: &str| Ok(ledger_input.clone());
    let place = Place { base, run_dir: manifest.run_dir.clone() };
    // Re-derivation that fails is a difference too (exit 4), not a usage error: the recorded
    // inputs and options no longer make the recorded outputs.
    let outputs = match compute(&manifest.options, &place, &mut source, &mut |_| {}) {
        Ok((_, outputs)) => outputs,
        Err(e) => {
            diffs.push(Difference {
                file: manifest_path.display().to_string(),
                what: format!("re-running the assessment from the recorded inputs fails: {e}"),
            });
            return Ok(diffs);
        }
    };
    for (name, bytes) in &outputs {
        if name == "manifest.json" {
            continue;
        }
        match manifest.outputs.get(name) {
            Some(sha) if *sha == sha256_hex(bytes) => {}
            Some(_) => diffs.push(Difference {
                file: dir.join(name).display().to_string(),
                what: "re-running the assessment from the inputs gives different content".to_string(),
            }),
            None => diffs.push(Difference {
                file: dir.join(name).display().to_string(),
                what: "not listed in the manifest".to_string(),
            }),
        }
    }
    Ok(diffs)
}

fn describe(source: &crate::pseudonym::KeySource) -> String {
    match source {
        crate::pseudonym::KeySource::File(p) => format!("from file {p}"),
        crate::pseudonym::KeySource::Environment => format!("from {}", crate::pseudonym::KEY_ENV),
        crate::pseudonym::KeySource::BuiltIn => "the built-in public key".to_string(),
    }
}

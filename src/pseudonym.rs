//! Keyed pseudonyms for personal identifiers (agents, customers): HMAC-SHA256 of the value
//! under a key the user supplies, so a report can name "agent-3f9c…" without naming the agent,
//! and nobody without the key can test a candidate name against it.
//!
//! The key comes, in this order, from `--pseudonym-key-file` (set once by the binary,
//! [`use_key`]), from the environment variable `CALLSLA_PSEUDONYM_KEY`, or from a built-in
//! default. The default is public — anyone can re-identify agents with it by trying names —
//! so the commands that write pseudonyms warn when it is used, and the run manifest records
//! which key was used (its source and a fingerprint, never the key).

use std::path::Path;
use std::sync::OnceLock;

use hmac::{KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};

/// The environment variable holding the key.
pub const KEY_ENV: &str = "CALLSLA_PSEUDONYM_KEY";

const BUILT_IN: &str = "callsla-public-default-key";

/// The shortest key a key file may hold (bytes, after trimming the end of the file).
pub const MIN_KEY_BYTES: usize = 16;

/// Where the key came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// `--pseudonym-key-file` (the path as given).
    File(String),
    /// `CALLSLA_PSEUDONYM_KEY`.
    Environment,
    /// The built-in public default.
    BuiltIn,
}

/// A pseudonym key and where it came from.
#[derive(Debug, Clone)]
pub struct PseudonymKey {
    key: Vec<u8>,
    source: KeySource,
}

/// Which key a run used, as the manifest records it: the source and a fingerprint (the first
/// 16 hex digits of HMAC-SHA256(key, "callsla key fingerprint")), never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub source: KeySource,
    pub fingerprint: String,
    /// True for the built-in default: anyone can re-identify agents with it.
    pub public: bool,
}

/// A key file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read pseudonym key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("pseudonym key file {path} holds {len} bytes; a key needs at least {MIN_KEY_BYTES} (e.g. `head -c 32 /dev/urandom | base64 > {path}`)")]
    TooShort { path: String, len: usize },
}

impl PseudonymKey {
    /// The key from a file (its bytes, with trailing whitespace trimmed).
    pub fn from_file(path: &Path) -> Result<PseudonymKey, KeyError> {
        let shown = path.display().to_string();
        let mut key = std::fs::read(path).map_err(|source| KeyError::Io { path: shown.clone(), source })?;
        while key.last().is_some_and(u8::is_ascii_whitespace) {
            key.pop();
        }
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort { path: shown, len: key.len() });
        }
        Ok(PseudonymKey { key, source: KeySource::File(shown) })
    }

    /// The key from the environment, or the built-in default.
    pub fn from_environment() -> PseudonymKey {
        match std::env::var(KEY_ENV) {
            Ok(k) if !k.is_empty() => PseudonymKey { key: k.into_bytes(), source: KeySource::Environment },
            _ => PseudonymKey { key: BUILT_IN.as_bytes().to_vec(), source: KeySource::BuiltIn },
        }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// Whether this is the built-in public default.
    pub fn is_public(&self) -> bool {
        self.source == KeySource::BuiltIn
    }

    fn mac(&self, value: &[u8]) -> Vec<u8> {
        // HMAC takes a key of any length, so this cannot fail.
        match hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(value);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }

    pub fn record(&self) -> KeyRecord {
        KeyRecord {
            source: self.source.clone(),
            fingerprint: crate::util::hex(self.mac(b"callsla key fingerprint").get(..8).unwrap_or_default()),
            public: self.is_public(),
        }
    }
}

static KEY: OnceLock<PseudonymKey> = OnceLock::new();

/// Sets the process's key (the binary, from `--pseudonym-key-file`); the first call wins.
pub fn use_key(key: PseudonymKey) {
    let _ = KEY.set(key);
}

/// The key in use: the one set by [`use_key`], else the environment's or the built-in one.
pub fn current() -> &'static PseudonymKey {
    KEY.get_or_init(PseudonymKey::from_environment)
}

/// The warning the commands that write pseudonyms print when the key is the public default.
pub fn public_key_warning() -> Option<String> {
    current().is_public().then(|| {
        format!("warning: pseudonyms use callsla's built-in public key, with which anyone can re-identify agents and customers by trying names; give --pseudonym-key-file FILE or set {KEY_ENV}")
    })
}

/// A short pseudonym for reports: `prefix-` and the first 12 hex digits of the HMAC (48 bits:
/// enough to tell agents and rejected values apart in a report, not to stand for an identity
/// across millions of values; see [`long`]).
pub(crate) fn short(prefix: &str, value: &str) -> String {
    format!("{prefix}-{}", crate::util::hex(current().mac(value.as_bytes()).get(..6).unwrap_or_default()))
}

/// A long pseudonym that can stand for the identifier in data (`ingest --out`): `prefix-` and
/// 32 hex digits (128 bits), so two customers never share one in practice and the
/// repeat-contact search gives the same answer on pseudonymised data.
pub(crate) fn long(prefix: &str, value: &str) -> String {
    format!("{prefix}-{}", crate::util::hex(current().mac(value.as_bytes()).get(..16).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PseudonymKey {
        PseudonymKey { key: k.as_bytes().to_vec(), source: KeySource::Environment }
    }

    #[test]
    fn different_keys_give_different_macs_and_fingerprints() {
        let (a, b) = (key("one secret key value"), key("another secret key"));
        assert_ne!(a.mac(b"Jane"), b.mac(b"Jane"));
        assert_eq!(a.mac(b"Jane"), a.mac(b"Jane"));
        assert_ne!(a.record().fingerprint, b.record().fingerprint);
        assert_eq!(a.record().fingerprint.len(), 16);
        assert!(!a.record().public);
    }

    #[test]
    fn a_key_file_is_trimmed_and_must_be_long_enough() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let good = dir.path().join("good.key");
        std::fs::write(&good, "0123456789abcdef0123\n")?;
        let k = PseudonymKey::from_file(&good)?;
        assert_eq!(k.key, b"0123456789abcdef0123");
        let short = dir.path().join("short.key");
        std::fs::write(&short, "too short\n")?;
        let e = PseudonymKey::from_file(&short).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("holds 9 bytes; a key needs at least 16"), "{e}");
        Ok(())
    }
}

//! The error shape the two configuration files share, contracts and ingest profiles: the file
//! cannot be read, is not TOML, or has a key that makes no sense (with the file, the line, the
//! key and the stage's own description of the problem, `P`).

/// A configuration file that could not be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError<P: std::fmt::Display + std::fmt::Debug> {
    /// `file` says which kind of file ("contract", "profile").
    #[error("cannot read {file} {path}: {source}")]
    Io {
        file: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax { path: String, line: usize, message: String },
    #[error("{path}:{line}: {key}: {problem}")]
    Invalid { path: String, line: usize, key: String, problem: P },
}

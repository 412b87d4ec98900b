//! The configuration boundary's one error type. Every message names what is wrong and where:
//! the file for read errors, the key with its path (`channels[1].line`) for everything else.

use std::path::PathBuf;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML, or does not have the shape of a configuration (an unknown
    /// key, a missing key, a value of the wrong type). The message starts with the key path when
    /// it can be found and carries TOML's line and column.
    #[error("{0}")]
    Parse(String),
    /// A value is well-formed but not acceptable (unknown id, out of range, ...).
    #[error("{key}: {message}")]
    Invalid {
        /// The key with its path, e.g. `channels[1].line`.
        key: String,
        /// What is wrong with its value.
        message: String,
    },
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] for `key`.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }
}

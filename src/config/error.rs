//! The configuration boundary's one error type. Every message names what is wrong and where:
//! the file for read errors, the key with its path (`channels[1].line`) for everything else.
//! Validation goes on after a problem, so one error may carry every problem of a file
//! ([`ConfigError::Many`]); [`Problems`] collects them while building.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read. The OS error is part of the message in plain words
    /// (`no such file or directory`), not a source: printed as a chain it would repeat.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said, in plain words.
        reason: String,
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
    /// Several values are not acceptable: every problem validation found, in the order they
    /// are checked (top-level keys and tables, then lines, operators, channels and rules)
    /// (at least two; a single problem is reported as itself).
    #[error("{} problems:{}", .0.len(), Listed(.0))]
    Many(Vec<ConfigError>),
}

/// The problems of [`ConfigError::Many`], one indented line each.
struct Listed<'a>(&'a [ConfigError]);

impl fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|problem| write!(f, "\n  {problem}"))
    }
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] for `key`.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }

    /// A [`ConfigError::Read`] for `path`.
    pub fn read(path: impl Into<PathBuf>, error: &std::io::Error) -> Self {
        Self::Read { path: path.into(), reason: plain_io_error(error) }
    }

    /// Every single problem this error stands for (itself, or the members of `Many`).
    pub fn problems(&self) -> Vec<&ConfigError> {
        match self {
            Self::Many(all) => all.iter().collect(),
            other => vec![other],
        }
    }
}

/// An IO error in plain lower-case words, without the OS error number: `no such file or
/// directory`, `address already in use`, `permission denied`.
pub fn plain_io_error(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        // "Address already in use" -> "address ...", but an acronym ("IO error") stays.
        Some(first) if !chars.clone().next().is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text,
    }
}

/// Every problem found while building, so that a file's problems are reported together rather
/// than one per run. Builders record a problem and go on with a stand-in value.
#[derive(Debug, Default)]
pub(super) struct Problems(Vec<ConfigError>);

impl Problems {
    /// Records `problem`.
    pub(super) fn push(&mut self, problem: ConfigError) {
        self.0.push(problem);
    }

    /// `result`'s value, or `None` with its problem recorded.
    pub(super) fn ok<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.push(problem);
                None
            }
        }
    }

    /// `result`'s value, or `stand_in` with its problem recorded (so checks can go on).
    pub(super) fn or<T>(&mut self, result: Result<T, ConfigError>, stand_in: T) -> T {
        self.ok(result).unwrap_or(stand_in)
    }

    /// The recorded problems as one error: `None` when there are none, the problem itself
    /// when there is one.
    pub(super) fn into_error(mut self) -> Option<ConfigError> {
        match self.0.len() {
            0 => None,
            1 => self.0.pop(),
            _ => Some(ConfigError::Many(self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_as_plain_words() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(plain_io_error(&missing), "entity not found");
        let os = std::io::Error::from_raw_os_error(2);
        assert_eq!(plain_io_error(&os), "no such file or directory");
        let in_use = std::io::Error::from_raw_os_error(98);
        assert_eq!(plain_io_error(&in_use), "address already in use");
        let acronym = std::io::Error::other("TLS handshake failed");
        assert_eq!(plain_io_error(&acronym), "TLS handshake failed");
    }

    #[test]
    fn several_problems_are_listed_one_per_line_and_one_stays_itself() {
        let mut problems = Problems::default();
        assert!(problems.ok::<()>(Err(ConfigError::invalid("a", "bad"))).is_none());
        assert_eq!(problems.or(Ok(5), 0), 5);
        let one = Problems(vec![ConfigError::invalid("a", "bad")]).into_error().map(|e| e.to_string());
        assert_eq!(one.as_deref(), Some("a: bad"));
        problems.push(ConfigError::invalid("b.c", "worse"));
        let many = problems.into_error().map(|e| e.to_string());
        assert_eq!(many.as_deref(), Some("2 problems:\n  a: bad\n  b.c: worse"));
        assert!(Problems::default().into_error().is_none());
    }
}

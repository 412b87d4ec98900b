//! Configuration (PROTOCOL 2): the TOML file, validated into [`Config`] and the domain's
//! [`Settings`](crate::domain::Settings).
//!
//! Reading order:
//! - [`raw`]: serde structs mirroring the file key for key, with defaults; unknown keys rejected.
//! - `build`, `hours` and `rules`: raw values -> domain types, every id cross-checked (`hours`
//!   reads a line's working-hours windows and time zone); `check` holds the shared value checks.
//! - `model`: [`Config`], [`Overrides`] and the entry points [`Config::from_toml_str`],
//!   [`Config::load`], [`Config::demo`]; `demo` holds the built-in demo as TOML ([`DEMO_TOML`]).
//! - `summary`: [`Config::summary`] for the start-up banner; `warnings`: [`warnings()`], risky
//!   but valid setups (`frontline check` prints them).
//! - `starter`: [`Starter`], the commented starting configuration `frontline init` writes.
//! - `locate`: maps a serde error's position back to its key path.
//!
//! Every error names its key with a path (`channels[1].line: unknown line "line9"`), and every
//! value problem of a file is reported at once ([`ConfigError::Many`]). This module
//! reads at most the one file it is given: environment variables and flags arrive as
//! [`Overrides`], merged by the CLI.

mod build;
mod check;
mod demo;
mod error;
mod hours;
mod load;
mod locate;
mod model;
pub mod raw;
mod rules;
mod starter;
mod summary;
mod warnings;

#[cfg(test)]
mod tests;

pub use demo::DEMO_TOML;
pub use error::{plain_io_error, ConfigError};
pub use model::{Auth, Config, Limits, Overrides, Webhooks};
pub use starter::Starter;
pub use summary::mask_password;
pub use warnings::{warnings, Warning};

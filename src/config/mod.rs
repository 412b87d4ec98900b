//! Configuration (PROTOCOL 2): the TOML file, validated into [`Config`] and the domain's
//! [`Settings`](crate::domain::Settings).
//!
//! Reading order:
//! - [`raw`]: serde structs mirroring the file key for key, with defaults; unknown keys rejected.
//! - `build` and `rules`: raw values -> domain types, every id cross-checked; `check` holds the
//!   shared value checks.
//! - `model`: [`Config`], [`Overrides`] and the entry points [`Config::from_toml_str`],
//!   [`Config::load`], [`Config::demo`]; `demo` holds the built-in demo as TOML ([`DEMO_TOML`]).
//! - `summary`: [`Config::summary`] for the start-up banner.
//! - `locate`: maps a serde error's position back to its key path.
//!
//! Every error names its key with a path (`channels[1].line: unknown line "line9"`). This module
//! reads at most the one file it is given: environment variables and flags arrive as
//! [`Overrides`], merged by the CLI.

mod build;
mod check;
mod demo;
mod error;
mod locate;
mod model;
pub mod raw;
mod rules;
mod summary;

#[cfg(test)]
mod tests;

pub use demo::DEMO_TOML;
pub use error::ConfigError;
pub use model::{Auth, Config, Limits, Overrides, Webhooks};

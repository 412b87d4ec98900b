//! The entry points of configuration: parse a TOML string, load a file, or take the built-in
//! demo, each with command-line/environment overrides applied on top, then validated by
//! `build`. Kept apart from the types (`model`) so that `build` can produce them without a
//! circle between the two.

use std::path::Path;

use super::build::build;
use super::demo::DEMO_TOML;
use super::error::ConfigError;
use super::locate::parse_error;
use super::model::{Config, Overrides};
use super::raw::RawConfig;

impl Config {
    /// Parses and validates a configuration file's text, then applies `overrides`.
    pub fn from_toml_str(text: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
        build(parse(text)?, overrides, false)
    }

    /// Loads the file at `path`, or the built-in demo when `path` is `None`.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let Some(path) = path else { return Config::demo(overrides) };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::read(path, &e))?;
        Config::from_toml_str(&text, overrides)
    }

    /// The built-in demo configuration ([`DEMO_TOML`]), validated like a file.
    pub fn demo(overrides: &Overrides) -> Result<Config, ConfigError> {
        build(parse(DEMO_TOML)?, overrides, true)
    }
}

fn parse(text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| parse_error(text, &e))
}

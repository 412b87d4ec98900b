//! Unit tests of the configuration module: valid files land where expected, each kind of bad
//! file is rejected with a message naming its key.

mod hours;
mod invalid;
mod invalid_rules;
mod support;
mod valid;

//! The fuzz targets' stored inputs (`tests/fuzz/corpus/<target>/`: seeds, what the fuzzer kept,
//! and every input that once made a target fail) replayed through what each target does
//! (`tests/fuzz/exercise.rs`), on every `cargo test`: a regression comes back as a failing test
//! without the nightly toolchain. Also each input cut short at every length a fuzzer would try
//! first (the prefixes), which is where parsers of framed input usually break.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fuzz/exercise.rs"]
mod exercise;

use std::path::Path;

/// The stored inputs of `target`.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no stored inputs for {target}");
    inputs
}

/// Runs `exercise` on every stored input of `target` and on every prefix of each.
fn replay(target: &str, exercise: fn(&[u8])) {
    for (name, input) in corpus(target) {
        for end in 0..=input.len() {
            let run = std::panic::catch_unwind(|| exercise(&input[..end]));
            assert!(run.is_ok(), "{target}: {name} cut at {end} of {} bytes panicked", input.len());
        }
    }
}

#[test]
fn ws_frames() {
    replay("ws_frame", exercise::ws_frame);
}

#[test]
fn configs() {
    replay("config", exercise::config);
}

#[test]
fn list_queries() {
    replay("list_query", exercise::list_query);
}

#[test]
fn tokens() {
    replay("token", exercise::token);
}

#[test]
fn journal_segments() {
    replay("journal_segment", exercise::journal_segment);
}

#[test]
fn rule_matchings() {
    replay("rule_matching", exercise::rule_matching);
}

//! What each fuzz target does with its input, shared by the fuzz targets (`tests/fuzz`, run with
//! `cargo fuzz`) and by `tests/fuzz_corpus.rs`, which replays every stored input on every
//! `cargo test`. Each function must never panic, whatever the bytes: a panic is the bug the
//! fuzzer reports. The answers are checked only for what must hold of any input.

#![allow(dead_code)]

use frontline::api::filters::{chat_query, FILTERS};
use frontline::config::{Config, Overrides};
use frontline::edge::params::Params;
use frontline::ws::frames::{
    parse, reference_of, ClientRequest, OperatorRequest, CLIENT_TYPES, OPERATOR_TYPES,
};

/// A WebSocket text frame, as an operator's and as a client's socket read it.
pub fn ws_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let operator = parse::<OperatorRequest>(text, &OPERATOR_TYPES);
    let client = parse::<ClientRequest>(text, &CLIENT_TYPES);
    let reference = reference_of(text);
    // Whatever the outcome, the `ref` answered is the frame's own.
    for answered in [operator.err().and_then(|e| e.reference), client.err().and_then(|e| e.reference)]
        .into_iter()
        .flatten()
    {
        assert_eq!(Some(&answered), reference.as_ref(), "an error names another ref than the frame's");
    }
}

/// A configuration file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = Config::from_toml_str(text, &Overrides::default()) {
        // A configuration that loads is whole: every operator's lines exist.
        for operator in config.settings.operators.values() {
            for line in &operator.lines {
                assert!(
                    config.settings.lines.contains_key(line),
                    "operator {} names line {line}",
                    operator.id
                );
            }
        }
    }
}

/// The query string of the dialog list.
pub fn list_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let known: Vec<&str> = FILTERS.iter().copied().chain(["limit", "cursor"]).collect();
    if let Ok(params) = Params::parse(text, &known) {
        let _ = chat_query(&params);
    }
}

/// An operator's JWT, and a client's signature, checked against the demo's configuration.
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    static DEMO: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    let demo =
        DEMO.get_or_init(|| Config::demo(&Overrides::default()).expect("the demo configuration loads"));
    let verified = frontline::auth::verify(&demo.auth, &demo.settings, text, 1_800_000_000);
    // Nothing but a token signed with the demo's secret is accepted, and random bytes are not.
    if let Ok(identity) = verified {
        assert!(demo.settings.operators.contains_key(&identity.operator), "{identity:?}");
    }
    let (client, sig) = text.split_once(':').unwrap_or((text, ""));
    let _ = frontline::auth::client_signature_ok("widget-secret", client, sig);
}

/// The bytes of a journal segment.
pub fn journal_segment(data: &[u8]) {
    if let Ok((_, valid)) = frontline::store::journal::read_segment(data) {
        assert!(valid <= data.len());
        // The valid part reads back the same on its own: recovery's cut is stable.
        let again = frontline::store::journal::read_segment(&data[..valid]).expect("the valid part reads");
        assert_eq!(again.1, valid);
    }
}

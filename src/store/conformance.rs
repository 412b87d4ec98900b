//! placeholder: the backend conformance suite

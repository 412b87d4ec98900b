//! The black-box conformance suite (`../shared/acceptance`, Python) against the binary this
//! `cargo test` built, so one command runs every test. It needs `python3` with `pytest` and
//! `websockets` (`pip install websockets pytest`); without them, or without the suite, this test
//! fails and says so. `FRONTLINE_ACCEPTANCE` points at another copy of the suite.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_acceptance_suite_passes_against_this_build() {
    let suite = std::env::var_os("FRONTLINE_ACCEPTANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/acceptance"));
    assert!(suite.is_dir(), "the acceptance suite is not at {} (set FRONTLINE_ACCEPTANCE)", suite.display());
    let probe = Command::new("python3").args(["-c", "import pytest, websockets"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "python3 with pytest and websockets is needed: pip install websockets pytest"
    );
    let status = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&suite)
        .env("FRONTLINE_BIN", env!("CARGO_BIN_EXE_frontline"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("python3 runs");
    assert!(status.success(), "the acceptance suite failed (its output is above)");
}

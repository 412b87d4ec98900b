//! `frontline init` against the real binary: it writes a commented starting configuration that
//! `frontline check` accepts, with a fresh random secret each time, refuses to overwrite a file
//! unless `--force`, and writes where it is told (a path, or `--config`).

// Test helpers panic on a broken environment; that is a test failure, as it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in `dir` with `args` (no `FRONTLINE_*` variables).
fn frontline(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontline"));
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
        cmd.env_remove(k);
    }
    cmd.output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `jwt_secret` value of a configuration file.
fn jwt_secret(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table = text.parse().unwrap();
    table["auth"]["jwt_secret"].as_str().unwrap().to_owned()
}

#[test]
fn init_writes_a_starting_configuration_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = frontline(dir.path(), &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote frontline.toml"), "{}", stdout(&out));
    let path = dir.path().join("frontline.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().filter(|l| l.trim_start().starts_with('#')).count() >= 20, "commented:\n{text}");

    let out = frontline(dir.path(), &["check", "--config", "frontline.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stdout(&out);
    for part in [
        "channels: web (realtime, line line1), email (email, line line1)",
        "lines: line1 (round_robin, overflow to line2 after 120s), line2 (broadcast)",
        "sam (line1+line2, capacity 10, supervisor)",
        "rules: 2",
    ] {
        assert!(summary.contains(part), "{part:?} missing:\n{summary}");
    }
    // The one warning is the email channel's reply address, which the file leaves to the user.
    let warnings: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("channels[1].webhook_url"), "{warnings:?}");

    // It holds secrets: only its owner may read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}

#[test]
fn every_init_writes_a_fresh_random_secret() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.toml", "b.toml"] {
        let out = frontline(dir.path(), &["init", name]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (a, b) = (jwt_secret(&dir.path().join("a.toml")), jwt_secret(&dir.path().join("b.toml")));
    assert_ne!(a, b);
    for secret in [&a, &b] {
        assert_eq!(secret.len(), 64, "32 random bytes in hex: {secret}");
        assert!(secret.bytes().all(|c| c.is_ascii_hexdigit()), "{secret}");
    }
}

#[test]
fn init_refuses_to_overwrite_a_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frontline.toml");
    std::fs::write(&path, "# mine\n").unwrap();
    let out = frontline(dir.path(), &["init"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "frontline: frontline.toml already exists; pass --force to overwrite it\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n", "left as it was");

    let out = frontline(dir.path(), &["init", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = jwt_secret(&path);
    let out = frontline(dir.path(), &["init", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(jwt_secret(&path), first, "rewritten with a new secret");
}

#[test]
fn init_writes_where_it_is_told_with_the_listen_and_data_dir_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("etc")).unwrap();
    let out = frontline(
        dir.path(),
        &["--listen", "0.0.0.0:9000", "init", "etc/acme.toml", "--data-dir", "/var/lib/frontline"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = frontline(dir.path(), &["check", "--config", "etc/acme.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("listen: 0.0.0.0:9000"), "{}", stdout(&out));
    assert!(stdout(&out).contains("data dir: /var/lib/frontline"), "{}", stdout(&out));
    // Listening on every interface, the channels without a secret are warned about.
    assert!(stderr(&out).contains("channels[0].secret"), "{}", stderr(&out));

    // --config names the file to write, before or after the subcommand.
    for args in [&["--config", "b.toml", "init"][..], &["init", "--config", "c.toml"]] {
        let out = frontline(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert!(dir.path().join("b.toml").exists() && dir.path().join("c.toml").exists());
    let out = frontline(dir.path(), &["init", "d.toml", "--config", "e.toml"]);
    assert!(!out.status.success() && stderr(&out).contains("give one"), "{}", stderr(&out));
}

#[test]
fn init_with_a_bad_listen_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = frontline(dir.path(), &["init", "--listen", "example.com:80"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("listen: "), "{}", stderr(&out));
    assert!(!dir.path().join("frontline.toml").exists());
}

//! The `frontline` binary's command line (PROTOCOL 1-2): configuration precedence file < env <
//! flags, the reference configuration in `deploy/` is valid, and bad configuration is refused
//! at start with the key named and a non-zero exit.

// Test helpers panic on a broken environment; that is a test failure, as it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn frontline(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontline"));
    cmd.args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("frontline.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const MINIMAL: &str = r#"
listen = "127.0.0.1:7000"
[auth]
jwt_secret = "cli-test-secret-0123456789abcdef-0123"
[[channels]]
id = "web"
kind = "realtime"
line = "line1"
[[lines]]
id = "line1"
strategy = "broadcast"
"#;

#[test]
fn the_reference_configuration_in_deploy_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/frontline.toml");
    let out = frontline(&["check", "--config", path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("configuration is valid"));
    assert!(stdout(&out).contains("rules: 5"));
    // Each rule in words, in order, under the count.
    let text = stdout(&out);
    let rules: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("rules: ")).skip(1).take(5).collect();
    assert_eq!(
        rules,
        vec![
            "  rule \"incoming chat written by line 2 goes to line 1\": when a new chat, author operator, \
             author line line2 → assign line line1, stop",
            "  rule \"line 2 wrote into a finished chat\": when a changed chat, author operator, author line \
             line2, status before open or pending, phase before finished → finish pending, assign line line1, \
             stop",
            "  rule \"line 2 became responsible of an active chat\": when a changed chat, author operator, \
             responsible line line2, phase before active → finish pending, assign line line1, stop",
            "  rule \"reactivated chats stay with their line 1 responsible\": when a changed chat, author \
             client, responsible line line1, reactivated → pin",
            "  rule \"ask new clients for their email\": when a new chat, channel web, author client → \
             auto-reply \"Hi! Leave your email in case we get disconnected.\" (on the client's first chat only)",
        ],
        "{text}"
    );
}

#[test]
fn without_a_configuration_file_the_demo_setup_is_used() {
    let out = frontline(&["check"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("built-in demo"), "{text}");
    assert!(
        text.contains("listen: 127.0.0.1:8080") && text.contains("line1") && text.contains("line2"),
        "{text}"
    );
}

#[test]
fn environment_overrides_the_file_and_flags_override_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, MINIMAL);
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(stdout(&out).contains("listen: 127.0.0.1:7000"));
    let out = frontline(&["check", "--config", &path], &[("FRONTLINE_LISTEN", "127.0.0.1:7001")]);
    assert!(stdout(&out).contains("listen: 127.0.0.1:7001"), "{}", stdout(&out));
    let out = frontline(
        &["check", "--config", &path, "--listen", "127.0.0.1:7002"],
        &[("FRONTLINE_LISTEN", "127.0.0.1:7001")],
    );
    assert!(stdout(&out).contains("listen: 127.0.0.1:7002"), "{}", stdout(&out));
    let out =
        frontline(&["check"], &[("FRONTLINE_CONFIG", path.as_str()), ("FRONTLINE_DATA_DIR", "/tmp/fl-data")]);
    assert!(
        stdout(&out).contains("listen: 127.0.0.1:7000") && stdout(&out).contains("/tmp/fl-data"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_unknown_key_is_refused_at_start_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &format!("{MINIMAL}\n[timeouts]\ninactivty = 5\n"));
    for args in [vec!["check", "--config", &path], vec!["serve", "--config", &path], vec!["--config", &path]]
    {
        let out = frontline(&args, &[]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("timeouts.inactivty") && err.contains(&path), "{err}");
        assert_eq!(err.lines().count(), 1, "one clear line, no backtrace: {err}");
    }
}

#[test]
fn an_unknown_line_reference_is_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &MINIMAL.replace("line = \"line1\"", "line = \"line9\""));
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("channels[0].line: unknown line \"line9\""), "{}", stderr(&out));
}

/// The README's example of working hours and the two auto-replies, on a minimal setup.
fn with_readme_hours() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let example = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains("within_hours"))
        .expect("the README has a TOML example with within_hours");
    let head = MINIMAL.split("[[lines]]").next().unwrap();
    format!("{head}{example}\n[[operators]]\nid = \"alice\"\nlines = [\"line1\"]\ncapacity = 5\n")
}

#[test]
fn check_describes_a_lines_hours_and_the_after_hours_and_nobody_online_rules_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &with_readme_hours());
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("lines: line1 (round_robin, hours mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv)\n"),
        "{text}"
    );
    let rules: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("rules: 2")).skip(1).take(2).collect();
    assert_eq!(rules.len(), 2, "{text}");
    assert!(
        rules[0].starts_with(
            "  rule \"after hours\": when a new chat, author client, outside the line's hours → auto-reply \"We \
             are closed now"
        ) && rules[0].ends_with("\", stop"),
        "{text}"
    );
    assert!(
        rules[1].starts_with(
            "  rule \"nobody online\": when a new chat, author client, no operator of the line online → \
             auto-reply \"All our operators are away"
        ),
        "{text}"
    );
}

#[test]
fn bad_hours_and_time_zones_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        (
            "\"mon-fri 09:00-18:00\", \"sat 10-14\"",
            "Europe/Kyiv",
            "lines[0].hours[1]: \"sat 10-14\": bad time \"10\"",
        ),
        ("\"mon-fri 09:00-18:00\"", "Europe/Kiev2", "lines[0].timezone: unknown time zone \"Europe/Kiev2\""),
    ];
    for (hours, zone, why) in rows {
        let bad = with_readme_hours()
            .replace("\"mon-fri 09:00-18:00\", \"sat 10:00-14:00\"", hours)
            .replace("\"Europe/Kyiv\"", &format!("{zone:?}"));
        let path = write_config(&dir, &bad);
        for args in [vec!["check", "--config", &path], vec!["serve", "--config", &path]] {
            let out = frontline(&args, &[]);
            assert!(!out.status.success());
            let err = stderr(&out);
            assert!(err.contains(why) && err.contains(&path), "{err}");
            assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        }
    }
}

#[test]
fn a_bad_override_is_refused_like_a_bad_file_value() {
    let out = frontline(&["check", "--listen", "not-an-address"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("listen"), "{}", stderr(&out));
}

#[test]
fn a_missing_configuration_file_is_one_plain_line() {
    for args in [
        &["check", "--config", "/nonexistent/frontline.toml"][..],
        &["--config", "/nonexistent/frontline.toml"],
    ] {
        let out = frontline(args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&out),
            "frontline: cannot read /nonexistent/frontline.toml: no such file or directory\n"
        );
    }
}

#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "ulimit -Sn 256 && exec '{}' serve --listen 127.0.0.1:0 --data-dir '{}'",
        env!("CARGO_BIN_EXE_frontline"),
        data.path().join("data").display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening =
        BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.starts_with("listening on "));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the server did not start");
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    // "Max open files  <soft>  <hard>  files"
    assert_eq!(fields[3], fields[4], "{line}");
    assert_ne!(fields[3], "256", "{line}");
}

/// Runs the binary with `args` and `env` in a fresh temp dir and returns its output and whether
/// the `--data-dir` it was given exists afterwards.
fn demo_with(args: &[&str], env: &[(&str, &str)]) -> (Output, bool) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--data-dir", &data_arg]);
    let out = frontline(&all, env);
    (out, data.exists())
}

/// Command-line arguments and environment variables of one run.
type Run<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn the_demo_refuses_a_public_listen_address_and_creates_nothing() {
    let attempts: [Run; 5] = [
        (&["--listen", "0.0.0.0:8080"], &[]),
        (&["serve", "--listen", "192.168.1.20:8080"], &[]),
        (&["serve", "--listen", "[::]:0"], &[]),
        (&["serve"], &[("FRONTLINE_LISTEN", "0.0.0.0:0")]),
        (&["serve", "--listen", "10.0.0.1:0"], &[("FRONTLINE_ALLOW_PUBLIC_DEMO", "0")]),
    ];
    for (args, env) in attempts {
        let (out, created) = demo_with(args, env);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} {env:?} started: {}", stdout(&out));
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        assert!(
            err.contains("built-in demo") && err.contains("listen:") && err.contains("--allow-public-demo"),
            "{err}"
        );
        assert!(!created, "{args:?}: the data dir was created");
        assert!(!stdout(&out).contains("listening on"), "{args:?}");
    }
}

#[test]
fn the_demo_on_loopback_or_forced_public_is_accepted() {
    for listen in ["127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080"] {
        let out = frontline(&["check", "--listen", listen], &[]);
        assert!(out.status.success(), "{listen}: {}", stderr(&out));
    }
    let out = frontline(&["check", "--listen", "0.0.0.0:8080", "--allow-public-demo"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("listen: 0.0.0.0:8080"), "{}", stdout(&out));
    let env = [("FRONTLINE_LISTEN", "0.0.0.0:8080"), ("FRONTLINE_ALLOW_PUBLIC_DEMO", "1")];
    let out = frontline(&["check"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    // A configuration file has its own secret: any address is its owner's choice.
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &MINIMAL.replace("127.0.0.1:7000", "0.0.0.0:7000"));
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_jwt_secret_shorter_than_32_bytes_is_refused_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &MINIMAL.replace("cli-test-secret-0123456789abcdef-0123", "change-me"));
    for args in [vec!["check", "--config", &path], vec!["serve", "--config", &path]] {
        let out = frontline(&args, &[]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("auth.jwt_secret: must be at least 32 bytes (got 9)"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("change-me"), "the secret itself is not echoed: {err}");
    }
}

/// Seconds from now to a token's `exp` (the payload is read without checking the signature).
fn ttl_of(token: &str) -> u64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    claims["exp"].as_u64().unwrap() - now
}

#[test]
fn token_refuses_a_ttl_over_max_token_ttl_and_defaults_within_it() {
    let out = frontline(&["token", "--operator", "alice", "--ttl", "604801"], &[]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--ttl 604801") && err.contains("auth.max_token_ttl (604800 s)"), "{err}");
    assert!(stdout(&out).is_empty(), "no token printed");

    let out = frontline(&["token", "--operator", "alice", "--ttl", "604800"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!((604_790..=604_800).contains(&ttl_of(stdout(&out).trim())));
    let out = frontline(&["token", "--operator", "alice"], &[]);
    assert!((86_390..=86_400).contains(&ttl_of(stdout(&out).trim())), "a day by default");

    let dir = tempfile::tempdir().unwrap();
    let capped = format!("{}\n[[operators]]\nid = \"alice\"\nlines = [\"line1\"]\ncapacity = 1\n", MINIMAL)
        .replace("[auth]\n", "[auth]\nmax_token_ttl = 600\n");
    let path = write_config(&dir, &capped);
    let out = frontline(&["token", "--operator", "alice", "--config", &path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!((590..=600).contains(&ttl_of(stdout(&out).trim())), "the default is capped");
    let out = frontline(&["token", "--operator", "alice", "--config", &path, "--ttl", "601"], &[]);
    assert!(!out.status.success() && stderr(&out).contains("auth.max_token_ttl (600 s)"), "{}", stderr(&out));
}

/// [`MINIMAL`] plus an operator `zoe`, whom the built-in demo does not have.
fn with_zoe() -> String {
    format!("{MINIMAL}[[operators]]\nid = \"zoe\"\nlines = [\"line1\"]\ncapacity = 1\n")
}

#[test]
fn config_before_or_after_the_subcommand_is_honoured_by_check_serve_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_config(&dir, &with_zoe());
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[timeouts]\ninactivty = 5\n").unwrap();
    let broken = broken.to_string_lossy().into_owned();

    for args in [vec!["--config", &good, "check"], vec!["check", "--config", &good]] {
        let out = frontline(&args, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("listen: 127.0.0.1:7000") && !text.contains("built-in demo"),
            "{args:?}: {text}"
        );
    }
    // A broken file is refused wherever --config is written: the demo never runs instead.
    let data = dir.path().join("data");
    let data = data.to_string_lossy();
    for args in [
        vec!["--config", &broken, "check"],
        vec!["check", "--config", &broken],
        vec!["--config", &broken, "serve", "--data-dir", &data],
        vec!["serve", "--config", &broken, "--data-dir", &data],
        vec!["--config", &broken, "--data-dir", &data],
        vec!["--config", &broken, "token", "--operator", "alice"],
        vec!["token", "--operator", "alice", "--config", &broken],
    ] {
        let out = frontline(&args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains("timeouts.inactivty"), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).contains("listening on"), "{args:?}");
    }
    // zoe exists only in the file: a token for her proves the file was read.
    for args in [
        vec!["--config", &good, "token", "--operator", "zoe"],
        vec!["token", "--operator", "zoe", "--config", &good],
    ] {
        let out = frontline(&args, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim().split('.').count(), 3, "a JWT: {}", stdout(&out));
    }
    let out = frontline(&["token", "--operator", "zoe"], &[]);
    assert!(!out.status.success() && stderr(&out).contains("unknown operator zoe"), "{}", stderr(&out));
}

#[test]
fn serve_runs_the_file_given_before_the_subcommand() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    // The demo would listen on 127.0.0.1:8080; the file says `localhost:0`: a free port.
    let path = write_config(&dir, &MINIMAL.replace("127.0.0.1:7000", "localhost:0"));
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["--config", &path, "--data-dir", &data.to_string_lossy(), "serve"])
        .env_remove("FRONTLINE_CONFIG")
        .env_remove("FRONTLINE_LISTEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let listening = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on http://127.0.0.1:").map(str::to_owned));
    let _ = child.kill();
    let _ = child.wait();
    let port = listening.expect("no `listening on http://127.0.0.1:PORT` line");
    assert_ne!(port, "8080", "the demo's address: the file was ignored");
    assert!(data.exists(), "the store is where --data-dir (written before serve) says");
}

#[test]
fn a_serve_flag_written_for_a_command_it_does_not_apply_to_is_refused() {
    for args in [
        &["--data-dir", "d", "token", "--operator", "alice"][..],
        &["token", "--operator", "alice", "--node-id", "n2"],
    ] {
        let out = frontline(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains("does not apply to `frontline token`"), "{}", stderr(&out));
        assert!(stdout(&out).is_empty(), "no token printed");
    }
    // The same value in the environment is not the command's business: it is left alone.
    let out = frontline(&["token", "--operator", "alice"], &[("FRONTLINE_DATA_DIR", "d")]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_taken_port_is_one_line_exit_1_and_creates_nothing() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = held.local_addr().unwrap().to_string();
    for config in [None, Some(MINIMAL.replace("127.0.0.1:7000", &listen))] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_arg = data.to_string_lossy().into_owned();
        let mut args = vec!["serve", "--listen", &listen, "--data-dir", &data_arg];
        let path = config.map(|text| write_config(&dir, &text));
        if let Some(path) = &path {
            args.extend(["--config", path]);
        }
        let out = frontline(&args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert_eq!(stderr(&out), format!("frontline: cannot listen on {listen}: address already in use\n"));
        assert!(!data.exists(), "the data dir was created");
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    drop(held);
}

#[test]
fn every_value_problem_of_a_file_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{MINIMAL}[[operators]]\nid = \"zoe\"\nlines = [\"line9\"]\ncapacity = 0\n")
        .replace("strategy = \"broadcast\"", "strategy = \"fastest\"")
        .replace("[auth]\n", "[auth]\nmax_token_ttl = -1\n");
    let path = write_config(&dir, &text);
    let out = frontline(&["check", "--config", &path], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("frontline: invalid configuration in {path}: 4 problems:").as_str()),
        "{err}"
    );
    for key in [
        "auth.max_token_ttl: ",
        "lines[0].strategy: ",
        "operators[0].lines: unknown line \"line9\"",
        "operators[0].capacity: ",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(&format!("  {key}"))), "{key} missing:\n{err}");
    }
    assert_eq!(lines.len(), 5, "one line per problem:\n{err}");
}

#[test]
fn wrong_value_types_are_named_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, words) in [
        ("listen = \"127.0.0.1:7000\"", "listen = 7000", "invalid type: whole number 7000, expected text"),
        ("kind = \"realtime\"", "kind = \"realtime\"\nreopen_closed = \"yes\"", "expected true or false"),
        (
            "[auth]\n",
            "[timeouts]\ninactivity = \"10m\"\n[auth]\n",
            "invalid type: text \"10m\", expected a number",
        ),
        ("[auth]\n", "[limits]\nmax_frame_bytes = 1.5\n[auth]\n", "expected a whole number"),
        ("[auth]\n", "[dialogs]\nreasons = \"x\"\n[auth]\n", "expected a list"),
        ("[auth]\n", "timeouts = 5\n[auth]\n", "expected a table"),
    ] {
        assert_eq!(MINIMAL.matches(from).count(), 1, "{from}");
        let path = write_config(&dir, &MINIMAL.replacen(from, to, 1));
        let out = frontline(&["check", "--config", &path], &[]);
        let err = stderr(&out);
        assert!(!out.status.success() && err.contains(words), "{to}: {err}");
        for serde_word in ["i64", "f64", "a string", "a boolean", "a sequence", "struct Raw", "a map"] {
            assert!(!err.contains(serde_word), "{to}: {serde_word:?} in {err}");
        }
    }
}

#[test]
fn localhost_is_accepted_as_a_listen_address() {
    let out = frontline(&["check", "--listen", "localhost:8091"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("listen: 127.0.0.1:8091"), "{}", stdout(&out));
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, &MINIMAL.replace("127.0.0.1:7000", "localhost:8091"));
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(out.status.success() && stdout(&out).contains("listen: 127.0.0.1:8091"), "{}", stderr(&out));
}

#[test]
fn check_warns_about_risky_setups_on_stderr_and_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{MINIMAL}[[channels]]\nid = \"mail\"\nkind = \"email\"\nline = \"line1\"\nsecret = \"s\"\n\
         [[channels]]\nid = \"shop\"\nkind = \"realtime\"\nline = \"line1\"\nsecret = \"s\"\n\
         webhook_url = \"http://shop.example.com/hook\"\n"
    )
    .replace("127.0.0.1:7000", "0.0.0.0:7000");
    let path = write_config(&dir, &text);
    let out = frontline(&["check", "--config", &path], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("frontline: warning: ")).collect();
    assert_eq!(warnings.len(), 3, "{err}");
    assert!(
        warnings[0].contains("channels[0].secret") && warnings[0].contains("conversation tokens"),
        "{err}"
    );
    assert!(
        warnings[1].contains("channels[1].webhook_url") && warnings[1].contains("replies go nowhere"),
        "{err}"
    );
    assert!(warnings[2].contains("channels[2].webhook_url") && warnings[2].contains("https://"), "{err}");
    assert!(stdout(&out).contains("configuration is valid, with 3 warnings"), "{}", stdout(&out));
    // A safe setup: no warning, and nothing on stderr.
    let out = frontline(&["check", "--config", &write_config(&dir, MINIMAL)], &[]);
    assert!(out.status.success() && stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(stdout(&out).ends_with("configuration is valid\n"), "{}", stdout(&out));
}

#[test]
fn serve_options_before_or_after_check_are_applied() {
    for args in [
        &["--listen", "127.0.0.1:7003", "--no-access-log", "check"][..],
        &["check", "--listen", "127.0.0.1:7003", "--no-access-log"],
    ] {
        let out = frontline(args, &[]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("listen: 127.0.0.1:7003") && text.contains("access log: off"),
            "{args:?}: {text}"
        );
    }
    let out = frontline(&["check"], &[("FRONTLINE_ACCESS_LOG", "0")]);
    assert!(stdout(&out).contains("access log: off"), "{}", stdout(&out));
    let out = frontline(&["check"], &[]);
    assert!(stdout(&out).contains("access log: on"), "{}", stdout(&out));
}

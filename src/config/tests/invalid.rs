//! Bad configurations outside rules: each is rejected with a message naming the offending key.

use super::support::{assert_rejected, base_with, rejection, BASE};

#[test]
fn unknown_top_level_key_is_named_with_its_line() {
    assert_rejected(
        &format!("colour = \"red\"\n{BASE}"),
        &["colour: unknown field `colour`", "line 1, column 1"],
    );
}

#[test]
fn misspelled_timeout_is_named_with_its_table() {
    assert_rejected(
        &base_with("inactivity = 600", "inactivty = 600"),
        &["timeouts.inactivty", "unknown field `inactivty`", "line 4"],
    );
}

#[test]
fn unknown_key_in_a_channel_entry_is_named_with_its_index() {
    assert_rejected(
        &base_with("kind = \"email\"", "kind = \"email\"\ncolour = \"x\""),
        &["channels[1].colour", "unknown field `colour`"],
    );
}

#[test]
fn unknown_keys_in_other_tables_are_rejected() {
    assert_rejected(&format!("{BASE}\n[limits]\nmax_frames = 1\n"), &["limits.max_frames"]);
    assert_rejected(&format!("{BASE}\n[rating]\nlabel = []\n"), &["rating.label"]);
    assert_rejected(&format!("{BASE}\n[dialogs]\nreason = []\n"), &["dialogs.reason"]);
    assert_rejected(&base_with("[auth]\n", "[auth]\nsecret = \"x\"\n"), &["auth.secret"]);
    assert_rejected(
        &base_with("strategy = \"broadcast\"", "strategy = \"broadcast\"\noverflow = 1"),
        &["lines[1].overflow"],
    );
    assert_rejected(
        &base_with("role = \"supervisor\"", "role = \"supervisor\"\nteam = \"x\""),
        &["operators[1].team"],
    );
}

#[test]
fn wrong_value_types_and_missing_keys_are_named_with_their_path() {
    assert_rejected(
        &base_with("capacity = 5\nrole", "capacity = \"five\"\nrole"),
        &["operators[1].capacity", "invalid type"],
    );
    assert_rejected(&base_with("kind = \"email\"\n", ""), &["channels[1]", "missing field `kind`"]);
    assert_rejected(&base_with("inactivity = 600", "inactivity = \"10m\""), &["timeouts.inactivity"]);
}

#[test]
fn syntax_errors_keep_toml_line_and_column() {
    assert_rejected(&base_with("inactivity = 600", "inactivity = = 600"), &["line 4, column"]);
}

#[test]
fn unknown_line_in_a_channel_is_named() {
    assert_eq!(
        rejection(&base_with("line = \"line2\"", "line = \"line9\"")),
        r#"channels[1].line: unknown line "line9""#
    );
}

#[test]
fn unknown_line_of_an_operator_is_named() {
    assert_rejected(
        &base_with("lines = [\"line2\"]", "lines = [\"line2\", \"line9\"]"),
        &["operators[1].lines: unknown line \"line9\""],
    );
    assert_rejected(
        &base_with("lines = [\"line2\"]", "lines = []"),
        &["operators[1].lines: must list at least one line"],
    );
    assert_rejected(
        &base_with("lines = [\"line2\"]", "lines = [\"line2\", \"line2\"]"),
        &["operators[1].lines"],
    );
}

#[test]
fn overflow_needs_an_existing_other_line_and_both_keys() {
    let overflow = |extra: &str| {
        base_with("strategy = \"round_robin\"", &format!("strategy = \"round_robin\"\n{extra}"))
    };
    assert_rejected(
        &overflow("overflow_after = 60\noverflow_to = \"line9\""),
        &["lines[0].overflow_to: unknown line \"line9\""],
    );
    assert_rejected(
        &overflow("overflow_after = 60\noverflow_to = \"line1\""),
        &["lines[0].overflow_to", "itself"],
    );
    assert_rejected(&overflow("overflow_after = 60"), &["lines[0].overflow_to", "required"]);
    assert_rejected(&overflow("overflow_to = \"line2\""), &["lines[0].overflow_after", "required"]);
    assert_rejected(
        &overflow("overflow_after = 0\noverflow_to = \"line2\""),
        &["lines[0].overflow_after", "positive"],
    );
}

#[test]
fn bad_strategy_kind_and_role_values_are_named() {
    assert_rejected(
        &base_with("\"round_robin\"", "\"roundrobin\""),
        &["lines[0].strategy", "\"roundrobin\"", "round_robin"],
    );
    assert_rejected(&base_with("\"email\"", "\"sms\""), &["channels[1].kind", "realtime, email"]);
    assert_rejected(
        &base_with("\"supervisor\"", "\"boss\""),
        &["operators[1].role", "operator, supervisor, admin"],
    );
}

#[test]
fn zero_negative_and_too_small_durations_are_rejected() {
    for bad in ["0", "-5", "0.0", "-0.5", "0.0004", "nan", "inf"] {
        assert_rejected(
            &base_with("inactivity = 600", &format!("inactivity = {bad}")),
            &["timeouts.inactivity: must be a positive number of seconds"],
        );
    }
    assert_rejected(
        &base_with("inactivity = 600", "inactivity = 600\nauto_close_pending = 0"),
        &["timeouts.auto_close_pending"],
    );
    assert_rejected(&base_with("inactivity = 600", "inactivity = 600\nvoting = -1"), &["timeouts.voting"]);
}

#[test]
fn bad_channel_ids_and_line_or_operator_ids_are_rejected() {
    for bad in ["Web", "we b", "", "web!", "a-very-long-channel-id-of-more-than-32"] {
        assert_rejected(
            &base_with("id = \"web\"", &format!("id = {bad:?}")),
            &["channels[0].id", "[a-z0-9_-]{1,32}"],
        );
    }
    assert_rejected(&base_with("id = \"alice\"", "id = \"al ice\""), &["operators[0].id"]);
    assert_rejected(&base_with("id = \"line2\"", "id = \"\""), &["lines[1].id"]);
}

#[test]
fn duplicate_ids_are_rejected_naming_both_entries() {
    assert_rejected(
        &base_with("id = \"mail\"", "id = \"web\""),
        &["channels[1].id", "duplicate channel id \"web\"", "channels[0]"],
    );
    assert_rejected(
        &base_with("id = \"xena\"", "id = \"alice\""),
        &["operators[1].id", "duplicate operator id \"alice\""],
    );
    let dup_line =
        base_with("id = \"line2\"\nstrategy = \"broadcast\"", "id = \"line1\"\nstrategy = \"broadcast\"");
    assert_rejected(&dup_line, &["lines[1].id", "duplicate line id \"line1\"", "lines[0]"]);
}

#[test]
fn missing_or_empty_jwt_secret_is_rejected() {
    assert_rejected(
        &base_with("jwt_secret = \"test-secret-0123456789-abcdef-0123456789\"", ""),
        &["auth.jwt_secret: required"],
    );
    assert_rejected(
        &base_with("[auth]\njwt_secret = \"test-secret-0123456789-abcdef-0123456789\"", ""),
        &["auth.jwt_secret: required"],
    );
    assert_rejected(
        &base_with("\"test-secret-0123456789-abcdef-0123456789\"", "\"\""),
        &["auth.jwt_secret: must not be empty"],
    );
}

#[test]
fn a_jwt_secret_shorter_than_32_bytes_is_rejected() {
    for short in ["s", "change-me", "0123456789abcdef0123456789abcde"] {
        assert_rejected(
            &base_with("\"test-secret-0123456789-abcdef-0123456789\"", &format!("{short:?}")),
            &["auth.jwt_secret: must be at least 32 bytes", &format!("(got {})", short.len())],
        );
    }
    // 32 bytes is enough; counted in bytes (16 two-byte characters are 32 bytes).
    assert!(super::support::parse(&base_with(
        "\"test-secret-0123456789-abcdef-0123456789\"",
        "\"0123456789abcdef0123456789abcdef\""
    ))
    .is_ok());
    assert!(super::support::parse(&base_with(
        "\"test-secret-0123456789-abcdef-0123456789\"",
        &format!("{:?}", "ä".repeat(16))
    ))
    .is_ok());
}

#[test]
fn max_token_ttl_must_be_at_least_a_second() {
    for bad in ["0", "-5", "0.5"] {
        assert_rejected(
            &base_with("[auth]\n", &format!("[auth]\nmax_token_ttl = {bad}\n")),
            &["auth.max_token_ttl"],
        );
    }
    let cfg = super::support::parse(&base_with("[auth]\n", "[auth]\nmax_token_ttl = 3600.9\n")).unwrap();
    assert_eq!(cfg.auth.max_token_ttl, 3600, "whole seconds");
}

#[test]
fn the_demo_refuses_a_non_loopback_listen_address_unless_forced() {
    use crate::config::{Config, Overrides};
    for public in ["0.0.0.0:8080", "192.168.1.20:8080", "[::]:8080", "10.0.0.1:0"] {
        let overrides = Overrides { listen: Some(public.into()), ..Overrides::default() };
        let err = Config::demo(&overrides).unwrap_err().to_string();
        assert!(err.starts_with("listen: ") && err.contains("--allow-public-demo"), "{err}");
        let forced = Overrides { allow_public_demo: true, ..overrides };
        assert_eq!(Config::demo(&forced).unwrap().listen, public);
    }
    for local in ["127.0.0.1:8080", "127.1.2.3:0", "[::1]:8080", "[::ffff:127.0.0.1]:80"] {
        let overrides = Overrides { listen: Some(local.into()), ..Overrides::default() };
        assert!(Config::demo(&overrides).is_ok(), "{local}");
    }
    // A configuration file is the operator's own business.
    let file = base_with("\"127.0.0.1:0\"", "\"0.0.0.0:0\"");
    assert!(super::support::parse(&file).is_ok());
}

#[test]
fn loopback_addresses_are_recognised() {
    use crate::config::check::is_loopback;
    for yes in [
        "127.0.0.1:8080",
        "127.255.0.9:1",
        "[::1]:80",
        "localhost:8080",
        "LOCALHOST:1",
        "[::ffff:127.0.0.1]:80",
    ] {
        assert!(is_loopback(yes), "{yes}");
    }
    for no in [
        "0.0.0.0:8080",
        "[::]:80",
        "192.168.0.1:80",
        "10.1.1.1:80",
        "example.com:80",
        "localhost.evil.com:80",
        "[::ffff:10.0.0.1]:80",
        "",
    ] {
        assert!(!is_loopback(no), "{no}");
    }
}

#[test]
fn bad_listen_address_is_rejected() {
    for bad in ["example.com:8080", "localhost", "localhost:99999", "127.0.0.1", "127.0.0.1:99999", ""] {
        assert_rejected(
            &base_with("\"127.0.0.1:0\"", &format!("{bad:?}")),
            &["listen: ", "expected IP:PORT or localhost:PORT"],
        );
    }
}

#[test]
fn localhost_listens_on_the_ipv4_loopback() {
    for (given, bound) in [("localhost:8091", "127.0.0.1:8091"), ("LocalHost:0", "127.0.0.1:0")] {
        let cfg = super::support::parse(&base_with("\"127.0.0.1:0\"", &format!("{given:?}"))).unwrap();
        assert_eq!(cfg.listen, bound);
    }
}

#[test]
fn bad_urls_are_rejected() {
    assert_rejected(&format!("redis_url = \"http://x\"\n{BASE}"), &["redis_url: ", "redis://"]);
    assert_rejected(&format!("redis_url = \"redis://\"\n{BASE}"), &["redis_url: "]);
    assert_rejected(
        &base_with("line = \"line1\"", "line = \"line1\"\nwebhook_url = \"ftp://x\""),
        &["channels[0].webhook_url", "http:// or https://"],
    );
    assert_rejected(
        &base_with("line = \"line1\"", "line = \"line1\"\nsecret = \"\""),
        &["channels[0].secret"],
    );
}

#[test]
fn limits_must_be_positive() {
    assert_rejected(
        &format!("{BASE}\n[limits]\nmax_frame_bytes = 0\n"),
        &["limits.max_frame_bytes: must be a positive integer"],
    );
    assert_rejected(
        &format!("{BASE}\n[limits]\nmessages_per_second = -1\n"),
        &["limits.messages_per_second"],
    );
    assert_rejected(
        &format!("{BASE}\n[limits]\nmessages_per_second = 5000000000\n"),
        &["limits.messages_per_second", "too large"],
    );
}

#[test]
fn capacity_must_be_at_least_one() {
    assert_rejected(&base_with("capacity = 5\nrole", "capacity = 0\nrole"), &["operators[1].capacity"]);
}

#[test]
fn rating_needs_three_non_empty_labels() {
    assert_rejected(&format!("{BASE}\n[rating]\nlabels = [\"a\", \"b\"]\n"), &["rating.labels", "exactly 3"]);
    assert_rejected(&format!("{BASE}\n[rating]\nlabels = [\"a\", \"\", \"c\"]\n"), &["rating.labels[1]"]);
}

#[test]
fn dialog_lists_reject_empty_and_duplicate_values() {
    assert_rejected(
        &format!("{BASE}\n[dialogs]\nreasons = [\"x\", \"\"]\n"),
        &["dialogs.reasons[1]: must not be empty"],
    );
    assert_rejected(
        &format!("{BASE}\n[dialogs]\ncomponents = [\"x\", \"x\"]\n"),
        &["dialogs.components", "twice"],
    );
}

#[test]
fn at_least_one_channel_and_one_line_are_required() {
    let lines = "[[lines]]\nid = \"l\"\nstrategy = \"broadcast\"\n";
    let auth = "[auth]\njwt_secret = \"test-secret-0123456789-abcdef-0123456789\"\n";
    assert_rejected(&format!("{auth}{lines}"), &["channels: at least one"]);
    assert_rejected(auth, &["lines: at least one"]);
}

#[test]
fn webhook_retry_values_must_be_positive_and_are_named_by_key() {
    for (key, value, says) in [
        ("max_attempts", "0", "must be a positive integer"),
        ("max_attempts", "-3", "must be a positive integer"),
        ("max_attempts", "5000000000", "too large"),
        ("max_age", "0", "must be a positive number of seconds"),
        ("max_age", "-1", "must be a positive number of seconds"),
        ("retry_backoff", "0", "must be a positive number of seconds"),
        ("retry_backoff", "301", "at most 300 seconds"),
    ] {
        assert_rejected(
            &format!("{BASE}\n[webhooks]\n{key} = {value}\n"),
            &[&format!("webhooks.{key}: "), says],
        );
    }
    assert_rejected(
        &format!("{BASE}\n[webhooks]\nmax_attempts = \"many\"\n"),
        &["webhooks.max_attempts", "invalid type"],
    );
    assert_rejected(
        &format!("{BASE}\n[webhooks]\nmax_retries = 3\n"),
        &["webhooks.max_retries", "unknown field"],
    );
}

#[test]
fn every_value_problem_is_reported_at_once() {
    let text = base_with("inactivity = 600", "inactivity = 0\nvoting = -1")
        .replace("capacity = 5\nrole", "capacity = 0\nrole")
        .replace("{ assign_operator = \"alice\" }", "{ assign_operator = \"zed\" }");
    let err = super::support::parse(&text).unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "timeouts.inactivity: must be a positive number of seconds (got 0)",
            "timeouts.voting: must be a positive number of seconds (got -1)",
            "operators[1].capacity: must be a positive integer (got 0)",
            r#"rules[0] ("greet").then[1].assign_operator: unknown operator "zed""#,
        ]
    );
    assert!(err.to_string().starts_with("4 problems:\n  timeouts.inactivity: "), "{err}");
}

#[test]
fn an_entry_with_a_bad_field_still_counts_as_declared() {
    // line1's strategy is wrong: the channel, operator and rule naming line1 add nothing.
    let text = base_with("\"round_robin\"", "\"roundrobin\"")
        .replace("when = { channel = \"web\" }", "when = { channel = \"web\", line = \"line1\" }");
    assert_eq!(
        rejection(&text),
        r#"lines[0].strategy: invalid value "roundrobin" (expected one of broadcast, round_robin, least_loaded, longest_idle)"#
    );
    // A channel with a bad kind is still the rule's `channel = "web"`; each problem is listed.
    let text = base_with("capacity = 5\nrole", "capacity = -1\nrole")
        .replace("kind = \"realtime\"", "kind = \"chat\"");
    let err = super::support::parse(&text).unwrap_err();
    let keys: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys[0].starts_with("operators[1].capacity") && keys[1].starts_with("channels[0].kind"),
        "{keys:?}"
    );
}

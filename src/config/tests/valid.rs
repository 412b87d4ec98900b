//! Valid configurations: PROTOCOL 2's example, defaults, fractions, the demo, overrides, loading
//! files and the summary.

use std::path::{Path, PathBuf};

use super::support::{
    base_with, parse, protocol_example_uncommented, rejection, BASE, LINE2, PROTOCOL_EXAMPLE,
};
use crate::config::{Config, ConfigError, Limits, Overrides, Webhooks};
use crate::domain::{
    Action, ChannelId, ChannelKind, LineId, OperatorId, Phase, Role, RuleAuthor, Span, Status, Strategy,
    Trigger,
};

#[test]
fn protocol_example_lands_every_value_where_expected() {
    let cfg = parse(&format!("{PROTOCOL_EXAMPLE}{LINE2}")).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:8080");
    assert_eq!(cfg.data_dir, PathBuf::from("./frontline-data"));
    assert_eq!((cfg.redis_url.as_deref(), cfg.node_id.as_deref()), (None, None));
    assert_eq!(cfg.auth.jwt_secret, "change-me-to-32-or-more-random-bytes");
    assert_eq!(cfg.auth.max_token_ttl, 604_800, "7 days by default");
    assert_eq!(cfg.limits, Limits::default(), "the documented defaults");
    assert_eq!(
        (cfg.limits.max_frame_bytes, cfg.limits.max_text_chars, cfg.limits.messages_per_second),
        (65536, 8000, 20)
    );
    assert!(!cfg.demo);

    let s = &cfg.settings;
    assert_eq!(s.timeouts.inactivity, Span(600_000));
    assert_eq!(s.timeouts.voting, Span(600_000));
    assert_eq!(s.timeouts.offer, Span(30_000));
    assert_eq!(s.timeouts.presence_grace, Span(30_000));
    assert_eq!(s.timeouts.auto_close_pending, None);
    assert!(s.rating.enabled);
    assert_eq!(s.rating.labels, ["Bad", "Normal", "Excellent"].map(String::from));
    assert_eq!(s.rating.thanks_text, "Thank you for your feedback!");
    assert_eq!(s.dialogs.request_types, ["support", "refund"]);
    assert!(s.dialogs.reasons.is_empty() && s.dialogs.components.is_empty());

    let web = s.channel(&ChannelId::from("web")).unwrap();
    assert_eq!((web.kind, web.line.as_str(), web.reopen_closed), (ChannelKind::Realtime, "line1", false));
    assert_eq!((&web.secret, &web.token, &web.webhook_url), (&None, &None, &None));

    let line1 = &s.lines[&LineId::from("line1")];
    assert_eq!(
        (line1.strategy, line1.overflow_after, &line1.overflow_to),
        (Strategy::RoundRobin, None, &None)
    );

    let alice = s.operator(&OperatorId::from("alice")).unwrap();
    assert_eq!((alice.name.as_str(), alice.capacity, alice.role), ("Alice", 5, Role::Operator));
    assert_eq!(alice.lines, [LineId::from("line1")]);

    assert_eq!(s.rules.len(), 1);
    let rule = &s.rules[0];
    assert_eq!((rule.name.as_str(), rule.on), ("line 2 hands back to line 1", Trigger::Changed));
    assert_eq!(rule.when.author, Some(vec![RuleAuthor::Operator]));
    assert_eq!(rule.when.responsible_line, Some(vec![LineId::from("line2")]));
    assert_eq!(rule.when.status_before, Some(vec![Status::Open, Status::Pending]));
    assert_eq!((&rule.when.channel, &rule.when.line, rule.when.first_chat), (&None, &None, None));
    assert_eq!(
        rule.then,
        [Action::Finish(Status::Pending), Action::AssignLine(LineId::from("line1")), Action::Stop]
    );
}

#[test]
fn protocol_example_verbatim_is_rejected_only_for_naming_the_undefined_line2() {
    // The example's rule names line2, which the example does not define: cross-references win.
    assert_eq!(
        rejection(PROTOCOL_EXAMPLE),
        r#"rules[0] ("line 2 hands back to line 1").when.responsible_line: unknown line "line2""#
    );
}

#[test]
fn protocol_example_with_optional_lines_uncommented_lands_them_too() {
    let cfg = parse(&protocol_example_uncommented()).unwrap();
    let s = &cfg.settings;
    assert_eq!(s.timeouts.auto_close_pending, Some(Span(86_400_000)));
    assert_eq!(s.rating.labels, ["Bad", "Normal", "Excellent"].map(String::from));
    assert_eq!(s.rating.thanks_text, "Thank you for your feedback!");
    let web = s.channel(&ChannelId::from("web")).unwrap();
    assert_eq!(web.secret.as_deref(), Some("..."));
    assert_eq!(web.token.as_deref(), Some("..."));
    assert_eq!(web.webhook_url.as_deref(), Some("http://127.0.0.1:9000/out"));
    assert!(!web.reopen_closed);
    let line1 = &s.lines[&LineId::from("line1")];
    assert_eq!(line1.overflow_after, Some(Span(60_000)));
    assert_eq!(line1.overflow_to, Some(LineId::from("line2")));
    assert_eq!(s.lines[&LineId::from("line2")].strategy, Strategy::Broadcast);
}

#[test]
fn fractional_durations_become_milliseconds() {
    let cfg = parse(&base_with(
        "inactivity = 600",
        "inactivity = 0.5\nvoting = 1.25\noffer = 2.0\npresence_grace = 0.0004999",
    ));
    // 0.0004999 s rounds to 0 ms: rejected, the rest is fine on its own.
    assert!(cfg.is_err());
    let cfg = parse(&base_with(
        "inactivity = 600",
        "inactivity = 0.5\nvoting = 1.25\noffer = 2.0\npresence_grace = 0.0015",
    ))
    .unwrap();
    let t = &cfg.settings.timeouts;
    assert_eq!(
        (t.inactivity, t.voting, t.offer, t.presence_grace),
        (Span(500), Span(1250), Span(2000), Span(2))
    );
}

#[test]
fn omitted_tables_take_the_documented_defaults() {
    let cfg = parse(&base_with("listen = \"127.0.0.1:0\"\n\n[timeouts]\ninactivity = 600\n", "")).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:8080");
    assert_eq!(cfg.data_dir, PathBuf::from("./frontline-data"));
    assert_eq!(cfg.limits, Limits::default());
    let s = &cfg.settings;
    assert_eq!(s.timeouts, crate::domain::Timeouts::default());
    assert_eq!(s.rating, crate::domain::Rating::default());
    assert_eq!(s.dialogs, crate::domain::Dialogs::default());
    let alice = s.operator(&OperatorId::from("alice")).unwrap();
    assert_eq!((alice.name.as_str(), alice.role), ("alice", Role::Operator));
}

#[test]
fn rule_conditions_take_one_value_or_a_list_and_unnamed_rules_are_numbered() {
    let rules = r#"
[[rules]]
on = "changed"
when = { channel = ["web", "mail"], line = "line1", author_line = ["line2"], phase_before = "finished", author = ["client"], first_chat = false, reactivated = true }
then = [ { set_status = "on_hold" }, { pin = true }, { unpin = true }, { auto_reply = "back soon", only_first_chat = false } ]
"#;
    let cfg = parse(&format!("{BASE}{rules}")).unwrap();
    let rule = &cfg.settings.rules[1];
    assert_eq!(rule.name, "rule #2");
    assert_eq!(rule.when.channel, Some(vec![ChannelId::from("web"), ChannelId::from("mail")]));
    assert_eq!(rule.when.line, Some(vec![LineId::from("line1")]));
    assert_eq!(rule.when.author_line, Some(vec![LineId::from("line2")]));
    assert_eq!(rule.when.phase_before, Some(vec![Phase::Finished]));
    assert_eq!(rule.when.author, Some(vec![RuleAuthor::Client]));
    assert_eq!((rule.when.first_chat, rule.when.reactivated), (Some(false), Some(true)));
    assert_eq!(
        rule.then,
        [
            Action::SetStatus(Status::OnHold),
            Action::Pin,
            Action::Unpin,
            Action::AutoReply { text: "back soon".into(), only_first_chat: false },
        ]
    );
    // The base rule's auto_reply leaves only_first_chat out: it defaults to true.
    let greet = &cfg.settings.rules[0];
    assert_eq!(greet.then[0], Action::AutoReply { text: "hello".into(), only_first_chat: true });
    assert_eq!(greet.then[1], Action::AssignOperator(OperatorId::from("alice")));
}

#[test]
fn demo_config_has_the_demo_lines_operators_channel_and_rule() {
    let cfg = Config::demo(&Overrides::default()).unwrap();
    assert!(cfg.demo);
    assert_eq!(cfg.listen, "127.0.0.1:8080");
    assert_eq!(cfg.data_dir, PathBuf::from("./frontline-data"));
    assert!(cfg.auth.jwt_secret.contains("demo"));
    let s = &cfg.settings;
    let lines: Vec<(&str, Strategy)> = s.lines.values().map(|l| (l.id.as_str(), l.strategy)).collect();
    assert_eq!(lines, [("line1", Strategy::RoundRobin), ("line2", Strategy::Broadcast)]);
    let ops: Vec<(&str, Vec<&str>, Role)> = s
        .operators
        .values()
        .map(|o| (o.id.as_str(), o.lines.iter().map(LineId::as_str).collect(), o.role))
        .collect();
    assert_eq!(
        ops,
        [
            ("alice", vec!["line1"], Role::Operator),
            ("bob", vec!["line1"], Role::Operator),
            ("xena", vec!["line2"], Role::Operator),
            ("sam", vec!["line1", "line2"], Role::Supervisor),
        ]
    );
    let channels: Vec<_> = s.channels.values().map(|c| (c.id.as_str(), c.kind, c.line.as_str())).collect();
    assert_eq!(channels, [("web", ChannelKind::Realtime, "line1")]);
    assert_eq!(s.rules.len(), 1);
    assert_eq!(s.rules[0].name, "line 2 hands back to line 1");
    assert_eq!(s.rules[0].then.last(), Some(&Action::Stop));
}

#[test]
fn overrides_beat_the_file() {
    let file = base_with(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ndata_dir = \"/file\"\nnode_id = \"file\"",
    );
    let overrides = Overrides {
        listen: Some("0.0.0.0:9000".into()),
        data_dir: Some(PathBuf::from("/flag")),
        redis_url: Some("redis://127.0.0.1:6379".into()),
        node_id: Some("n2".into()),
        allow_public_demo: false,
        no_access_log: true,
    };
    let cfg = Config::from_toml_str(&file, &overrides).unwrap();
    assert_eq!(cfg.listen, "0.0.0.0:9000");
    assert_eq!(cfg.data_dir, PathBuf::from("/flag"));
    assert_eq!(cfg.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
    assert_eq!(cfg.node_id.as_deref(), Some("n2"));
    assert!(!cfg.access_log);
    // Unset overrides keep the file's values.
    let cfg = Config::from_toml_str(&file, &Overrides::default()).unwrap();
    assert_eq!((cfg.data_dir, cfg.node_id.as_deref()), (PathBuf::from("/file"), Some("file")));
    assert!(cfg.access_log, "the access log is on unless turned off");
    // The demo takes overrides too.
    let demo =
        Config::demo(&Overrides { listen: Some("127.0.0.1:0".into()), ..Overrides::default() }).unwrap();
    assert_eq!(demo.listen, "127.0.0.1:0");
}

#[test]
fn overrides_are_validated_like_file_values() {
    let bad = |o: Overrides| Config::from_toml_str(BASE, &o).unwrap_err().to_string();
    assert!(bad(Overrides { listen: Some("example.com:80".into()), ..Overrides::default() })
        .starts_with("listen: "));
    assert!(bad(Overrides { redis_url: Some("http://x".into()), ..Overrides::default() })
        .starts_with("redis_url: "));
    assert!(bad(Overrides { node_id: Some("a b".into()), ..Overrides::default() }).starts_with("node_id: "));
    assert!(
        bad(Overrides { data_dir: Some(PathBuf::new()), ..Overrides::default() }).starts_with("data_dir: ")
    );
}

#[test]
fn load_reads_a_file_and_none_means_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frontline.toml");
    std::fs::write(&path, BASE).unwrap();
    let cfg = Config::load(Some(&path), &Overrides::default()).unwrap();
    assert!(!cfg.demo);
    assert_eq!(cfg.listen, "127.0.0.1:0");
    assert!(Config::load(None, &Overrides::default()).unwrap().demo);
}

#[test]
fn load_names_the_file_it_cannot_read() {
    let missing = Path::new("/nonexistent/frontline-missing.toml");
    let err = Config::load(Some(missing), &Overrides::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert_eq!(err.to_string(), "cannot read /nonexistent/frontline-missing.toml: no such file or directory");
}

#[test]
fn summary_describes_store_channels_lines_operators_rules_and_timeouts() {
    let text =
        protocol_example_uncommented().replace("# redis_url", "redis_url").replace("# node_id", "node_id");
    let summary = parse(&text).unwrap().summary();
    for part in [
        "listen: 127.0.0.1:8080",
        "data dir: ./frontline-data",
        "store: redis redis://127.0.0.1:6379 (node n1)",
        "channels: web (realtime, line line1)",
        "lines: line1 (round_robin, overflow to line2 after 60s), line2 (broadcast)",
        "operators: alice (line1, capacity 5, operator)",
        "rules: 1\n  rule \"line 2 hands back to line 1\": when a changed chat, author operator, responsible \
         line line2, status before open or pending → finish pending, assign line line1, stop\n",
        "timeouts: inactivity 600s, voting 600s, offer 30s, presence grace 30s, auto-close pending 86400s",
        "webhooks: retry after 1s doubling, parked after 50 failed attempts or 86400s",
        "access log: on",
    ] {
        assert!(summary.contains(part), "{summary}\nlacks {part:?}");
    }
    assert!(!summary.contains("change-me"), "the summary must not show the JWT secret");

    let demo = Config::demo(&Overrides::default()).unwrap().summary();
    assert!(demo.contains("built-in demo") && demo.contains("store: embedded"), "{demo}");
    assert!(demo.contains("sam (line1+line2, capacity 10, supervisor)"), "{demo}");
    assert!(demo.contains("auto-close pending off"), "{demo}");
    let quiet = Overrides { no_access_log: true, ..Overrides::default() };
    assert!(Config::demo(&quiet).unwrap().summary().ends_with("access log: off"));
}

#[test]
fn debug_output_hides_the_jwt_secret() {
    let cfg = parse(BASE).unwrap();
    let debug = format!("{cfg:?}");
    assert!(!debug.contains("test-secret") && debug.contains("redacted"));
}

#[test]
fn limits_default_matches_the_file_defaults() {
    let cfg = parse(BASE).unwrap();
    assert_eq!(cfg.limits, Limits::default());
}

#[test]
fn webhook_retries_default_to_the_documented_values() {
    let cfg = parse(BASE).unwrap();
    assert_eq!(cfg.webhooks, Webhooks::default());
    assert_eq!(
        (cfg.webhooks.max_attempts, cfg.webhooks.max_age, cfg.webhooks.retry_backoff),
        (50, Span::secs(86_400), Span::secs(1))
    );
}

#[test]
fn webhook_retry_keys_land_and_take_fractions_of_a_second() {
    let cfg = parse(&format!("{BASE}\n[webhooks]\nmax_attempts = 2\nmax_age = 0.5\nretry_backoff = 0.05\n"))
        .unwrap();
    assert_eq!(cfg.webhooks, Webhooks { max_attempts: 2, max_age: Span(500), retry_backoff: Span(50) });
    let cfg = parse(&format!("{BASE}\n[webhooks]\nretry_backoff = 300\n")).unwrap();
    assert_eq!(cfg.webhooks.retry_backoff, Span::secs(300), "the cap itself is allowed");
}

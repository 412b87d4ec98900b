//! Bad rules: each is rejected with a message naming the rule (index and name) and the key.

use super::support::{assert_rejected, base_with, rejection, BASE};

/// [`BASE`] with the rule's `when` table replaced.
fn when(table: &str) -> String {
    base_with("when = { channel = \"web\" }", &format!("when = {table}"))
}

/// [`BASE`] with the rule's `then` list replaced.
fn then(list: &str) -> String {
    base_with(
        "then = [ { auto_reply = \"hello\" }, { assign_operator = \"alice\" } ]",
        &format!("then = {list}"),
    )
}

#[test]
fn unknown_key_in_a_rule_when_is_named_with_the_rule() {
    assert_rejected(
        &when("{ channel = \"web\", chanel = \"web\" }"),
        &[r#"rules[0] ("greet").when.chanel"#, "unknown field `chanel`"],
    );
}

#[test]
fn unknown_key_in_a_rule_action_is_named_with_its_index() {
    assert_rejected(
        &then("[ { stop = true }, { auto_reply = \"hi\", only_first = true } ]"),
        &[r#"rules[0] ("greet").then[1].only_first"#],
    );
}

#[test]
fn unknown_key_in_a_rule_itself_is_named() {
    assert_rejected(
        &base_with("on = \"incoming\"", "on = \"incoming\"\npriority = 1"),
        &[r#"rules[0] ("greet").priority"#],
    );
}

#[test]
fn unknown_ids_in_rule_conditions_are_named() {
    assert_eq!(
        rejection(&when("{ line = \"line9\" }")),
        r#"rules[0] ("greet").when.line: unknown line "line9""#
    );
    assert_rejected(
        &when("{ responsible_line = [\"line1\", \"line9\"] }"),
        &["when.responsible_line: unknown line \"line9\""],
    );
    assert_rejected(&when("{ author_line = \"line9\" }"), &["when.author_line: unknown line \"line9\""]);
    assert_rejected(&when("{ channel = \"sms\" }"), &["when.channel: unknown channel \"sms\""]);
}

#[test]
fn unknown_operator_in_assign_operator_is_named() {
    assert_eq!(
        rejection(&then("[ { auto_reply = \"hello\" }, { assign_operator = \"zed\" } ]")),
        r#"rules[0] ("greet").then[1].assign_operator: unknown operator "zed""#
    );
}

#[test]
fn unknown_line_in_assign_line_is_named() {
    assert_rejected(
        &then("[ { assign_line = \"line9\" } ]"),
        &["then[0].assign_line: unknown line \"line9\""],
    );
}

#[test]
fn bad_status_phase_author_and_trigger_values_are_named() {
    assert_rejected(
        &when("{ status_before = [\"open\", \"opened\"] }"),
        &["when.status_before", "\"opened\"", "on_hold"],
    );
    assert_rejected(
        &when("{ phase_before = \"done\" }"),
        &["when.phase_before", "active, closing, finished"],
    );
    assert_rejected(&when("{ author = \"bot\" }"), &["when.author", "client, operator"]);
    assert_rejected(
        &base_with("on = \"incoming\"", "on = \"created\""),
        &[r#"rules[0] ("greet").on"#, "incoming, changed"],
    );
    assert_rejected(&when("{ status_before = [] }"), &["when.status_before: must not be an empty list"]);
    assert_rejected(&when("{ status_before = 3 }"), &["when.status_before", "one value or a list"]);
}

#[test]
fn set_status_and_finish_accept_only_their_statuses() {
    assert_rejected(
        &then("[ { set_status = \"closed\" } ]"),
        &["then[0].set_status", "open, pending, on_hold"],
    );
    assert_rejected(&then("[ { finish = \"on_hold\" } ]"), &["then[0].finish", "open, pending, closed"]);
    assert!(super::support::parse(&then("[ { set_status = \"pending\" }, { finish = \"closed\" } ]")).is_ok());
}

#[test]
fn action_table_with_two_keys_is_rejected_naming_rule_and_index() {
    assert_rejected(
        &then("[ { stop = true }, { pin = true, stop = true } ]"),
        &[r#"rules[0] ("greet").then[1]: exactly one action"#, "pin, stop"],
    );
}

#[test]
fn action_table_with_no_action_is_rejected() {
    assert_rejected(&then("[ {} ]"), &[r#"rules[0] ("greet").then[0]: no action"#]);
    assert_rejected(&then("[]"), &[r#"rules[0] ("greet").then: must list at least one action"#]);
}

#[test]
fn pin_unpin_and_stop_must_be_true() {
    assert_rejected(&then("[ { pin = false } ]"), &["then[0].pin: must be true"]);
    assert_rejected(&then("[ { unpin = false } ]"), &["then[0].unpin: must be true"]);
    assert_rejected(&then("[ { stop = false } ]"), &["then[0].stop: must be true"]);
}

#[test]
fn only_first_chat_without_auto_reply_is_rejected() {
    assert_rejected(
        &then("[ { pin = true, only_first_chat = true } ]"),
        &["then[0].only_first_chat: allowed only beside auto_reply"],
    );
    assert_rejected(&then("[ { only_first_chat = false } ]"), &["then[0].only_first_chat"]);
}

#[test]
fn unnamed_rules_are_named_by_index_in_errors() {
    let text =
        format!("{BASE}\n[[rules]]\non = \"changed\"\nthen = [ {{ assign_operator = \"nobody\" }} ]\n");
    assert_eq!(rejection(&text), r#"rules[1].then[0].assign_operator: unknown operator "nobody""#);
    let text = format!("{BASE}\n[[rules]]\non = \"changed\"\nthen = [ {{ pin = 1 }} ]\n");
    assert_rejected(&text, &["rules[1].then[0].pin", "invalid type"]);
}

#[test]
fn empty_rule_name_and_empty_auto_reply_are_rejected() {
    assert_rejected(&base_with("name = \"greet\"", "name = \"\""), &["rules[0].name: must not be empty"]);
    assert_rejected(&then("[ { auto_reply = \" \" } ]"), &["then[0].auto_reply: must not be empty"]);
}

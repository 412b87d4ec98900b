//! Plain words for the wire's codes: chat statuses and detailed statuses (`pending (waiting for
//! the client)`), causes (`by rule "line 2 hands back to line 1"`), why an offer was withdrawn,
//! and durations. Pure; every word from the wire goes through [`clean`].

use super::wire::By;

/// Escapes control characters (terminal escape sequences, carriage returns); a newline becomes
/// a newline plus indentation, so a multi-line message stays visibly one message.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\n    "),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Plain words for a chat `status` (PROTOCOL 3.1), `None` for a code the console does not know.
pub fn status_words(status: &str) -> Option<&'static str> {
    Some(match status {
        "new" => "nobody has answered yet",
        "open" => "being worked on",
        "pending" => "waiting for the client",
        "on_hold" => "waiting on someone else",
        "closed" => "resolved",
        "spam" => "marked as spam",
        _ => return None,
    })
}

/// Plain words for a chat `detailed_status` (SPEC 6), `None` for a code the console does not know.
pub fn detailed_words(detailed: &str) -> Option<&'static str> {
    Some(match detailed {
        "spam" => "marked as spam",
        "finished" => "done",
        "closing" => "waiting for the client's vote",
        "queued" => "forwarded, waiting to be taken",
        "new" => "waiting for an operator",
        "in_work" => "taken, no reply yet",
        "client_waiting" => "assigned, no reply yet",
        "operator_answered" => "an operator answered last",
        "client_waiting_new_question" => "the client wrote again",
        _ => return None,
    })
}

/// `pending (waiting for the client)`; a code without words as it is.
pub(super) fn worded(code: &str, words: Option<&str>) -> String {
    match words {
        Some(words) => format!("{} ({words})", clean(code)),
        None => clean(code),
    }
}

/// Who or what made a change, as the words after a verb: `by sam`, `by you`, `by the client`,
/// `by rule "line 2 hands back to line 1"`, `by the inactivity timer`. `None` for the router
/// itself and for kinds the console does not know.
pub fn by_words(by: &By, me: &str) -> Option<String> {
    let name = |v: &Option<String>| clean(v.as_deref().unwrap_or("?"));
    Some(match by.kind.as_str() {
        "operator" if by.id.as_deref() == Some(me) => "by you".to_string(),
        "operator" => format!("by {}", name(&by.id)),
        "client" => "by the client".to_string(),
        "rule" => format!("by rule \"{}\"", name(&by.rule)),
        "timer" => match by.timer.as_deref().unwrap_or_default() {
            "inactivity" => "by the inactivity timer".to_string(),
            "voting" => "by the voting timer".to_string(),
            "auto_close" => "by auto-close".to_string(),
            "offer" => "by the offer timer".to_string(),
            "presence_grace" => "by the end of the presence grace".to_string(),
            "overflow" => "by overflow".to_string(),
            "reassign" => "because the client waited too long for an answer".to_string(),
            other => format!("by the {} timer", clean(other)),
        },
        _ => return None,
    })
}

/// [`by_words`] of an optional `by`.
pub(super) fn by_of(by: &Option<By>, me: &str) -> Option<String> {
    by.as_ref().and_then(|b| by_words(b, me))
}

/// Why an offer was withdrawn, in words: `taken by bob`, `expired`, `declined by you`, ...
pub(super) fn withdrawn_words(reason: &str, by: &Option<By>, me: &str) -> Option<String> {
    let grace_ended = by.as_ref().is_some_and(|b| b.timer.as_deref() == Some("presence_grace"));
    let (words, joint) = match reason {
        "timeout" => return Some("expired".to_string()),
        "unavailable" if grace_ended => return Some("you went offline".to_string()),
        "unavailable" => return Some("you are away or offline".to_string()),
        "taken" => ("taken", " "),
        "declined" => ("declined", " "),
        "gone" => ("no longer waiting", ", "),
        "" => return by_of(by, me),
        other => return Some(clean(other)),
    };
    Some(match by_of(by, me) {
        Some(by) => format!("{words}{joint}{by}"),
        None => words.to_string(),
    })
}

/// `42 s`, `1 min 12 s`, `2 h 5 min`.
pub fn span(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

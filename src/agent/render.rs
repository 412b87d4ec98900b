//! Server frames and answers as console lines. Pure: a frame and the tabs as they were before
//! it in, display lines out. Text from the wire is untrusted (a client chooses its name and
//! message text), so control characters are escaped before they reach the terminal. Status
//! codes get plain words beside them, and every change says who or what made it (`by`); the
//! words themselves are [`words`](super::words).

use serde_json::{Map, Value};

use super::command::Command;
use super::view::Tabs;
use super::wire::{ChatSummary, Lines, MessageLine, Operators, ServerFrame};
pub use super::words::clean;
use super::words::{by_of, detailed_words, span, status_words, withdrawn_words, worded};

/// `2025-01-02T12:03:10.123Z` → `2025-01-02 12:03:10` (UTC); anything else as it is.
pub fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(10..11), rfc3339.get(11..19)) {
        (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
        _ => clean(rfc3339),
    }
}

/// One chat: `#17  Ann (web:c-42)  line1  open (being worked on), operator_answered (an operator
/// answered last)  last message 2025-01-02 12:03:10`, plus the phase when not active, the
/// responsible when not `me`, and `splittable`.
pub fn chat_line(chat: &ChatSummary, me: &str) -> String {
    let detailed = worded(&chat.detailed_status, detailed_words(&chat.detailed_status));
    let statuses = if chat.status == chat.detailed_status {
        detailed // `new`, `spam`: once
    } else {
        format!("{}, {detailed}", worded(&chat.status, status_words(&chat.status)))
    };
    let mut line = format!(
        "#{}  {} ({})  {}  {statuses}",
        chat.id,
        clean(chat.client_name()),
        clean(&chat.conversation),
        clean(&chat.line),
    );
    if !chat.phase.is_empty() && chat.phase != "active" {
        line.push_str(&format!(", {}", chat.phase));
    }
    match chat.responsible.as_deref() {
        Some(who) if who != me => line.push_str(&format!(", @{}", clean(who))),
        _ => {}
    }
    if chat.splittable {
        line.push_str(", splittable");
    }
    match &chat.metrics.last_message_at {
        Some(at) => line.push_str(&format!("  last message {}", when(at))),
        None => line.push_str("  no messages"),
    }
    line
}

/// The operator and both tabs, as printed on connect.
pub fn welcome_lines(tabs: &Tabs) -> Vec<String> {
    let me = &tabs.me;
    let name = me.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&me.id);
    let mut lines = vec![format!(
        "connected as {} ({}), role {}, lines {}, capacity {}",
        clean(name),
        clean(&me.id),
        me.role,
        clean(&me.lines.join(", ")),
        me.capacity
    )];
    lines.extend(my_lines(tabs));
    lines.extend(new_lines(tabs));
    lines
}

/// The My tab (`/my`).
pub fn my_lines(tabs: &Tabs) -> Vec<String> {
    let mut lines = vec![format!("My ({}):", tabs.my.len())];
    lines.extend(tabs.my.values().map(|c| format!("  {}", chat_line(c, &tabs.me.id))));
    lines
}

/// The New tab and open offers (`/new`).
pub fn new_lines(tabs: &Tabs) -> Vec<String> {
    let mut lines = vec![format!("New ({}):", tabs.new.len())];
    lines.extend(tabs.new.values().map(|c| format!("  {}", chat_line(c, &tabs.me.id))));
    if !tabs.offers.is_empty() {
        lines.push(format!("Offers ({}):", tabs.offers.len()));
        lines.extend(tabs.offers.values().map(|o| format!("  {}", chat_line(&o.chat, &tabs.me.id))));
    }
    lines
}

/// A message: `[chat 17] Ann: text`; operators, notes, bots and system messages are marked.
/// `before` names the client.
pub fn message_line(message: &MessageLine, before: &Tabs) -> String {
    let chat = message.chat.map_or_else(|| "?".to_string(), |c| c.to_string());
    format!("[chat {chat}] {}: {}", author(message, before), clean(&message.text))
}

fn author(message: &MessageLine, before: &Tabs) -> String {
    let id = clean(&message.author.id);
    match message.author.kind.as_str() {
        "client" => match message.chat.and_then(|c| before.chat(c)) {
            Some(chat) => clean(chat.client_name()),
            None => id,
        },
        _ if message.private => format!("{id} (note)"),
        "operator" => format!("{id} (operator)"),
        "bot" => format!("{id} (bot)"),
        "system" => "system".to_string(),
        other => format!("{id} ({})", clean(other)),
    }
}

/// The lines of an event (anything but `welcome`, `ack`, `error` and `pong`), given the tabs as
/// they were before it. A `chat_updated` shows what changed among the fields a chat line shows
/// (none when only times changed: a message already printed its own line).
pub fn event_lines(frame: &ServerFrame, before: &Tabs) -> Vec<String> {
    let me = before.me.id.as_str();
    let name = |id: u64| before.chat(id).map(|c| format!(" {}", clean(c.client_name()))).unwrap_or_default();
    let line = match frame {
        ServerFrame::ChatNew { chat } => format!("new chat {}", chat_line(chat, me)),
        ServerFrame::Offer { chat, expires_in_ms } => {
            let secs = (expires_in_ms.max(&0) + 999) / 1000;
            format!(
                "offer {}, expires in {secs} s: /accept {id} or /decline {id}",
                chat_line(chat, me),
                id = chat.id
            )
        }
        ServerFrame::OfferWithdrawn { chat, reason, by } => match withdrawn_words(reason, by, me) {
            Some(why) => format!("offer #{chat}{} withdrawn ({why})", name(*chat)),
            None => format!("offer #{chat}{} withdrawn", name(*chat)),
        },
        ServerFrame::ChatAssigned { chat, by } => match by_of(by, me) {
            Some(by) => format!("assigned {by}: {}", chat_line(chat, me)),
            None => format!("assigned {}", chat_line(chat, me)),
        },
        ServerFrame::ChatUpdated { chat, by } => {
            let by = by_of(by, me).map(|by| format!(" {by}")).unwrap_or_default();
            match before.chat(chat.id) {
                None if by.is_empty() => format!("updated {}", chat_line(chat, me)),
                None => format!("updated{by}: {}", chat_line(chat, me)),
                Some(old) => {
                    let changes = changes(old, chat);
                    if changes.is_empty() {
                        return Vec::new();
                    }
                    format!("updated #{}{}{by}: {}", chat.id, name(chat.id), changes.join(", "))
                }
            }
        }
        ServerFrame::ChatRemoved { chat, reason, by } => {
            let why = [Some(clean(reason)).filter(|r| !r.is_empty()), by_of(by, me)];
            let why: Vec<String> = why.into_iter().flatten().collect();
            match why.is_empty() {
                true => format!("removed #{chat}{}", name(*chat)),
                false => format!("removed #{chat}{} ({})", name(*chat), why.join(" ")),
            }
        }
        ServerFrame::ClientVoted { chat, score, label } => {
            let label = if label.is_empty() { String::new() } else { format!(" ({})", clean(label)) };
            format!("client voted {score}{label} on #{chat}{}", name(*chat))
        }
        ServerFrame::Message { message } => message_line(message, before),
        ServerFrame::Typing { chat, author } => {
            let who = before.chat(*chat).map_or_else(|| clean(author), |c| clean(c.client_name()));
            format!("[chat {chat}] {who} is typing...")
        }
        ServerFrame::Presence { operator, status } => {
            format!("presence: {} is {}", clean(operator), clean(status))
        }
        ServerFrame::Welcome { .. }
        | ServerFrame::Ack { .. }
        | ServerFrame::Error { .. }
        | ServerFrame::Pong { .. } => return Vec::new(),
    };
    vec![line]
}

/// `field old -> new` for each shown field that changed.
fn changes(old: &ChatSummary, new: &ChatSummary) -> Vec<String> {
    let optional = |v: &Option<String>| v.as_deref().map_or_else(|| "none".to_string(), clean);
    // (field, before, after, words for the new value)
    let fields = [
        ("status", clean(&old.status), clean(&new.status), status_words(&new.status)),
        (
            "detailed",
            clean(&old.detailed_status),
            clean(&new.detailed_status),
            detailed_words(&new.detailed_status),
        ),
        ("phase", clean(&old.phase), clean(&new.phase), None),
        ("responsible", optional(&old.responsible), optional(&new.responsible), None),
        ("participants", clean(&old.participants.join(",")), clean(&new.participants.join(",")), None),
        ("line", clean(&old.line), clean(&new.line), None),
        ("splittable", old.splittable.to_string(), new.splittable.to_string(), None),
    ];
    fields
        .into_iter()
        .filter(|(_, before, after, _)| before != after)
        .map(|(field, before, after, words)| {
            let shown = |v: String| if v.is_empty() { "none".to_string() } else { v };
            let words = words.map(|w| format!(" ({w})")).unwrap_or_default();
            format!("{field} {} -> {}{words}", shown(before), shown(after))
        })
        .collect()
}

/// The lines of an `ack` answering `command`: `ok <verb> N` plus its result fields
/// (`ok split 17: new chat 18`); a reply or note is echoed after it (`[chat 17] you: text`),
/// `/history` prints the messages after it.
pub fn ack_lines(command: &Command, fields: &Map<String, Value>, tabs: &Tabs) -> Vec<String> {
    let mut head = format!("ok {}", command.verb());
    if let Some(chat) = command.chat() {
        head.push_str(&format!(" {chat}"));
    }
    let number = |key: &str| fields.get(key).and_then(Value::as_u64);
    match command {
        Command::Reply { chat, text } | Command::Note { chat, text } => {
            if let Some(seq) = number("seq") {
                head.push_str(&format!(": seq {seq}"));
            }
            // The server does not echo a socket's own message back to it: the ack is the echo.
            let chat = number("chat").unwrap_or(*chat);
            let who = if matches!(command, Command::Note { .. }) { "you (note)" } else { "you" };
            return vec![head, format!("[chat {chat}] {who}: {}", clean(text))];
        }
        Command::Split(_) => {
            if let Some(new_chat) = number("new_chat") {
                head.push_str(&format!(": new chat {new_chat}"));
            }
        }
        Command::Merge(_) => {
            if let Some(into) = number("into") {
                head.push_str(&format!(": into chat {into}"));
            }
        }
        Command::History { .. } => return history_lines(head, fields, tabs),
        _ => {
            let extra: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}={}", clean(k), clean(&v.to_string()))).collect();
            if !extra.is_empty() {
                head.push_str(&format!(": {}", extra.join(" ")));
            }
        }
    }
    vec![head]
}

fn history_lines(mut head: String, fields: &Map<String, Value>, tabs: &Tabs) -> Vec<String> {
    let messages: Vec<MessageLine> =
        fields.get("messages").cloned().and_then(|m| serde_json::from_value(m).ok()).unwrap_or_default();
    let previous = match fields.get("prev_chat").and_then(Value::as_u64) {
        Some(prev) => format!("previous chat {prev}"),
        None => "no previous chat".to_string(),
    };
    head.push_str(&format!(": {} messages, {previous}", messages.len()));
    let mut lines = vec![head];
    lines.extend(
        messages
            .iter()
            .map(|m| format!("  {} seq {}  {}: {}", when(&m.at), m.seq, author(m, tabs), clean(&m.text))),
    );
    lines
}

/// The line of an `error`: `error <code>: <message>`.
pub fn error_line(code: &str, message: &str) -> String {
    format!("error {}: {}", clean(code), clean(message))
}

/// `/who`: `who: 2 of 4 operators online`, then one line per operator:
/// `  alice (Alice)  online  2 of 5 chats  lines line1  operator`, `(you)` after me.
pub fn who_lines(operators: &Operators, me: &str) -> Vec<String> {
    let online = operators.items.iter().filter(|o| o.presence == "online").count();
    let mut lines = vec![format!("who: {online} of {} operators online", operators.items.len())];
    lines.extend(operators.items.iter().map(|o| {
        let name = o.name.as_deref().filter(|n| !n.is_empty() && *n != o.id);
        let name = name.map(|n| format!(" ({})", clean(n))).unwrap_or_default();
        let you = if o.id == me { ", you" } else { "" };
        format!(
            "  {}{name}  {}  {} of {} chats  lines {}  {}{you}",
            clean(&o.id),
            clean(&o.presence),
            o.active_chats,
            o.capacity,
            clean(&o.lines.join(", ")),
            clean(&o.role)
        )
    }));
    lines
}

/// `/queues`: one line per line: `  line1 (round_robin)  3 waiting, oldest 1 min 12 s, 2 online`.
pub fn queue_lines(lines: &Lines) -> Vec<String> {
    let waiting: u64 = lines.items.iter().map(|l| l.waiting).sum();
    let mut out = vec![format!("queues: {waiting} waiting in {} lines", lines.items.len())];
    out.extend(lines.items.iter().map(|l| {
        let queue = match (l.waiting, l.oldest_wait_s) {
            (0, _) => "nobody waiting".to_string(),
            (n, Some(secs)) => format!("{n} waiting, oldest {}", span(secs)),
            (n, None) => format!("{n} waiting"),
        };
        format!("  {} ({})  {queue}, {} online", clean(&l.id), clean(&l.strategy), l.online)
    }));
    out
}

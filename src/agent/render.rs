//! Server frames and answers as console lines. Pure: a frame and the tabs as they were before
//! it in, display lines out. Text from the wire is untrusted (a client chooses its name and
//! message text), so control characters are escaped before they reach the terminal.

use serde_json::{Map, Value};

use super::command::Command;
use super::view::Tabs;
use super::wire::{ChatSummary, MessageLine, ServerFrame};

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

/// `2025-01-02T12:03:10.123Z` → `2025-01-02 12:03:10` (UTC); anything else as it is.
pub fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(10..11), rfc3339.get(11..19)) {
        (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
        _ => clean(rfc3339),
    }
}

/// One chat: `#17  Ann (web:c-42)  line1  open/client_waiting  last message 2025-01-02 12:03:10`,
/// plus the phase when not active, the responsible when not `me`, and `splittable`.
pub fn chat_line(chat: &ChatSummary, me: &str) -> String {
    let mut line = format!(
        "#{}  {} ({})  {}  {}/{}",
        chat.id,
        clean(chat.client_name()),
        clean(&chat.conversation),
        clean(&chat.line),
        chat.status,
        chat.detailed_status
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
        ServerFrame::OfferWithdrawn { chat } => format!("offer #{chat}{} withdrawn", name(*chat)),
        ServerFrame::ChatAssigned { chat } => format!("assigned {}", chat_line(chat, me)),
        ServerFrame::ChatUpdated { chat } => match before.chat(chat.id) {
            None => format!("updated {}", chat_line(chat, me)),
            Some(old) => {
                let changes = changes(old, chat);
                if changes.is_empty() {
                    return Vec::new();
                }
                format!("updated #{}{}: {}", chat.id, name(chat.id), changes.join(", "))
            }
        },
        ServerFrame::ChatRemoved { chat, reason } => {
            format!("removed #{chat}{} ({})", name(*chat), clean(reason))
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
    let fields = [
        ("status", old.status.clone(), new.status.clone()),
        ("detailed", old.detailed_status.clone(), new.detailed_status.clone()),
        ("phase", old.phase.clone(), new.phase.clone()),
        ("responsible", optional(&old.responsible), optional(&new.responsible)),
        ("participants", clean(&old.participants.join(",")), clean(&new.participants.join(","))),
        ("line", clean(&old.line), clean(&new.line)),
        ("splittable", old.splittable.to_string(), new.splittable.to_string()),
    ];
    fields
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| {
            let shown = |v: String| if v.is_empty() { "none".to_string() } else { v };
            format!("{field} {} -> {}", shown(before), shown(after))
        })
        .collect()
}

/// The lines of an `ack` answering `command`: `ok <verb> N` plus its result fields
/// (`ok split 17: new chat 18`); `/history` prints the messages after it.
pub fn ack_lines(command: &Command, fields: &Map<String, Value>, tabs: &Tabs) -> Vec<String> {
    let mut head = format!("ok {}", command.verb());
    if let Some(chat) = command.chat() {
        head.push_str(&format!(" {chat}"));
    }
    let number = |key: &str| fields.get(key).and_then(Value::as_u64);
    match command {
        Command::Reply { .. } | Command::Note { .. } => {
            if let Some(seq) = number("seq") {
                head.push_str(&format!(": seq {seq}"));
            }
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

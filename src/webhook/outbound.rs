//! Which webhook deliveries a commit decides and what they carry: a pure function of the
//! settings, the conversation and the commit's events. Must not read a clock or do IO; the
//! conversation actor calls it while building the commit, so the deliveries are written
//! atomically with the events.
//!
//! For a conversation whose channel has a `webhook_url`:
//! - each stored, non-private message by an operator, bot or system:
//!   `{"kind":"message","conversation","chat","seq","author":{"kind","id"},"text","at"}`;
//! - a vote request (`ClosingStarted`):
//!   `{"kind":"vote_request","conversation","chat","options":[{"score","label"}, ...]}`;
//! - a vote's thanks (`Voted`): `{"kind":"vote_thanks","conversation","chat","text"}`.
//!
//! Client messages and notes are never delivered.

use serde_json::{json, Value};

use crate::domain::{Author, Change, Conversation, Event, Settings};
use crate::store::Outbound;

/// The deliveries of `events`, the events of one commit of `conversation`, the first of them at
/// journal position `position`. Each delivery is keyed by its event's journal position
/// (`<conversation>/<position>`): unique and the same on every decision of the same events, and
/// the order in which the conversation's deliveries go out. Empty unless the conversation's
/// channel has a `webhook_url`.
pub fn outbound(
    settings: &Settings,
    conversation: &Conversation,
    position: u64,
    events: &[Event],
) -> Vec<Outbound> {
    let id = &conversation.id;
    let Some(url) = settings.channel(&id.channel).and_then(|c| c.webhook_url.as_ref()) else {
        return Vec::new();
    };
    let rating = &settings.rating;
    let mut out = Vec::new();
    for (n, event) in (position..).zip(events) {
        let payload = match &event.change {
            Change::MessageAppended(m) if !m.private && !matches!(m.author, Author::Client(_)) => json!({
                "kind": "message",
                "conversation": id.to_string(),
                "chat": m.chat.map(|c| c.0),
                "seq": m.seq,
                "author": {"kind": m.author.kind().as_str(), "id": m.author.id()},
                "text": m.text,
                "at": event.at.to_rfc3339(),
            }),
            Change::ClosingStarted { chat, .. } => json!({
                "kind": "vote_request",
                "conversation": id.to_string(),
                "chat": chat.0,
                "options": (1..=3).zip(&rating.labels).map(|(score, label)| json!({"score": score, "label": label}))
                    .collect::<Vec<Value>>(),
            }),
            Change::Voted { chat, .. } => json!({
                "kind": "vote_thanks",
                "conversation": id.to_string(),
                "chat": chat.0,
                "text": rating.thanks_text,
            }),
            _ => continue,
        };
        out.push(Outbound {
            id: format!("{id}/{n}"),
            conversation: id.clone(),
            position: n,
            channel: id.channel.clone(),
            url: url.clone(),
            payload,
            created_at: event.at,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::tests::{settings, World, T0};
    use crate::domain::{AutomatedKind, ChannelId, ChatId, Command, Message, OperatorId, Status};

    const URL: &str = "http://127.0.0.1:9/hook";

    /// The standard settings with a webhook on `web`.
    fn hooked() -> World {
        let mut s = settings();
        if let Some(web) = s.channels.get_mut(&ChannelId::from("web")) {
            web.webhook_url = Some(URL.into());
        }
        World::with(s, "web")
    }

    /// Runs `command` and returns the deliveries of its events.
    fn decide(w: &mut World, command: Command) -> Vec<Outbound> {
        w.ok(command);
        let position = (w.journal.len() - w.last.len()) as u64;
        outbound(&w.settings, &w.conv, position, &w.last)
    }

    fn client(text: &str) -> Command {
        Command::ClientMessage { text: text.into(), client_msg_id: None, name: None, page_url: None }
    }

    fn write(who: &str, text: &str) -> Command {
        Command::OperatorMessage {
            by: OperatorId::from(who),
            chat: None,
            text: text.into(),
            client_msg_id: None,
        }
    }

    fn payloads(out: &[Outbound]) -> Vec<Value> {
        out.iter().map(|o| o.payload.clone()).collect()
    }

    #[test]
    fn an_operator_message_is_delivered_with_the_protocol_fields_keyed_by_its_journal_position() {
        let mut w = hooked();
        assert!(decide(&mut w, client("hello")).is_empty(), "client messages are never delivered");
        let chat = w.latest_id();
        assert!(decide(&mut w, Command::Take { by: "alice".into(), chat }).is_empty());
        w.advance(2.0);
        let out = decide(&mut w, write("alice", "how can I help?"));
        assert_eq!(out.len(), 1, "{out:?}");
        let n =
            w.journal.iter().rposition(|e| matches!(e.change, Change::MessageAppended(_))).unwrap() as u64;
        let at = w.now;
        assert_eq!(
            out[0],
            Outbound {
                id: format!("web:c1/{n}"),
                conversation: w.conv.id.clone(),
                position: n,
                channel: "web".into(),
                url: URL.into(),
                payload: json!({"kind": "message", "conversation": "web:c1", "chat": chat.0, "seq": 2,
                    "author": {"kind": "operator", "id": "alice"}, "text": "how can I help?",
                    "at": at.to_rfc3339()}),
                created_at: at,
            }
        );
    }

    #[test]
    fn a_channel_without_a_webhook_gets_nothing() {
        let mut w = World::new();
        w.client("hello");
        w.take("alice");
        let position = w.journal.len() as u64;
        w.write("alice", "hi");
        assert_eq!(outbound(&w.settings, &w.conv, position, &w.last), vec![]);
        let mut mail = World::in_channel("mail");
        mail.client("hello");
        mail.take("alice");
        mail.write("alice", "hi");
        assert_eq!(outbound(&mail.settings, &mail.conv, 0, &mail.journal), vec![]);
    }

    #[test]
    fn notes_and_client_messages_are_never_delivered() {
        let mut w = hooked();
        decide(&mut w, client("hello"));
        let chat = w.latest_id();
        decide(&mut w, Command::Take { by: "alice".into(), chat });
        let note = Command::Note { by: "alice".into(), chat, text: "vip customer".into() };
        assert_eq!(decide(&mut w, note), vec![]);
        assert_eq!(decide(&mut w, client("still there?")), vec![]);
    }

    #[test]
    fn bot_and_system_messages_are_delivered() {
        let mut w = hooked();
        let out = decide(&mut w, Command::Automated { kind: AutomatedKind::Bot, text: "we are open".into() });
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].payload["kind"], "message");
        assert_eq!(out[0].payload["author"], json!({"kind": "bot", "id": "bot"}));
        assert_eq!(out[0].payload["text"], "we are open");

        let system = Event::new(
            T0,
            Change::MessageAppended(Message {
                seq: 7,
                chat: Some(ChatId(3)),
                author: Author::System,
                text: "chat transferred".into(),
                client_msg_id: None,
                private: false,
                from_held: false,
            }),
        );
        let out = outbound(&w.settings, &w.conv, 40, &[system]);
        assert_eq!(
            payloads(&out),
            vec![json!({"kind": "message", "conversation": "web:c1", "chat": 3, "seq": 7,
                "author": {"kind": "system", "id": "frontline"}, "text": "chat transferred",
                "at": T0.to_rfc3339()})]
        );
        assert_eq!((out[0].id.as_str(), out[0].position), ("web:c1/40", 40));
    }

    #[test]
    fn finishing_with_a_vote_requests_it_and_a_vote_is_thanked() {
        let mut w = hooked();
        w.settings.rating.labels = ["Meh".into(), "Fine".into(), "Great".into()];
        w.settings.rating.thanks_text = "Merci!".into();
        decide(&mut w, client("hello"));
        let chat = w.latest_id();
        decide(&mut w, Command::Take { by: "alice".into(), chat });
        decide(&mut w, write("alice", "done?"));
        let finish = Command::Finish {
            by: "alice".into(),
            chat,
            status: Status::Closed,
            operator_rating: None,
            request_vote: Some(true),
        };
        assert_eq!(
            payloads(&decide(&mut w, finish)),
            vec![json!({"kind": "vote_request", "conversation": "web:c1", "chat": chat.0, "options": [
                {"score": 1, "label": "Meh"}, {"score": 2, "label": "Fine"}, {"score": 3, "label": "Great"}]})]
        );
        assert_eq!(
            payloads(&decide(&mut w, Command::Vote { chat, score: 3 })),
            vec![json!({"kind": "vote_thanks", "conversation": "web:c1", "chat": chat.0, "text": "Merci!"})]
        );
    }

    #[test]
    fn a_finish_without_a_vote_delivers_nothing() {
        let mut w = hooked();
        decide(&mut w, client("hello"));
        let chat = w.latest_id();
        decide(&mut w, Command::Take { by: "alice".into(), chat });
        let finish = Command::Finish {
            by: "alice".into(),
            chat,
            status: Status::Closed,
            operator_rating: None,
            request_vote: Some(false),
        };
        assert_eq!(decide(&mut w, finish), vec![]);
    }

    #[test]
    fn keys_are_deterministic_distinct_and_in_journal_order() {
        let mut w = hooked();
        w.client("hello");
        w.take("alice");
        for i in 0..5 {
            w.write("alice", &format!("reply {i}"));
        }
        let whole = outbound(&w.settings, &w.conv, 0, &w.journal);
        assert_eq!(whole.len(), 5);
        assert_eq!(whole, outbound(&w.settings, &w.conv, 0, &w.journal), "the same events, the same keys");
        let positions: Vec<u64> = whole.iter().map(|o| o.position).collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{positions:?}");
        let ids: std::collections::HashSet<&str> = whole.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), 5);
        let seqs: Vec<Value> = whole.iter().map(|o| o.payload["seq"].clone()).collect();
        assert_eq!(seqs, vec![json!(2), json!(3), json!(4), json!(5), json!(6)]);
    }
}

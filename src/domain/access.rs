//! Who may see and act on which chat (SPEC 8): operators see chats of their lines, chats they
//! are responsible for or a participant of, and chats in their New tab (an overflowed chat of
//! another line); supervisors and admins see all. Checked before any state check.

use super::chat::Chat;
use super::command::Command;
use super::conversation::Conversation;
use super::error::DomainError;
use super::ids::{ChatId, LineId, OperatorId};
use super::settings::Settings;
use super::status::Phase;
use super::view::ChatView;

/// Whether `operator` may see and act on `chat`; `watchers` are the operators whose New tab
/// shows it (the supervisor's view of who it is offered to).
pub fn may_act(settings: &Settings, operator: &OperatorId, chat: &Chat, watchers: &[OperatorId]) -> bool {
    may_see(settings, operator, &chat.line, chat.responsible.as_ref(), &chat.participants, watchers)
}

/// The same rule on a chat row (the HTTP API and socket history work from stored rows).
pub fn may_see_view(
    settings: &Settings,
    operator: &OperatorId,
    chat: &ChatView,
    watchers: &[OperatorId],
) -> bool {
    may_see(settings, operator, &chat.line, chat.responsible.as_ref(), &chat.participants, watchers)
}

fn may_see(
    settings: &Settings,
    operator: &OperatorId,
    line: &LineId,
    responsible: Option<&OperatorId>,
    participants: &[OperatorId],
    watchers: &[OperatorId],
) -> bool {
    let Some(op) = settings.operator(operator) else { return false };
    op.role.sees_all()
        || op.in_line(line)
        || responsible == Some(operator)
        || participants.contains(operator)
        || watchers.contains(operator)
}

/// The chat whose scope gates `command` (SPEC 8): the chat it names; for an operator writing into
/// a conversation by its id, the latest chat while it is unfinished (whoever may not act on that
/// chat may not write into it that way either). Starting an outgoing chat in a conversation
/// whose latest chat is finished, or that has none, is open to any operator (seed 001).
pub fn gated_chat<'a>(command: &'a Command, conversation: &Conversation) -> Option<(&'a OperatorId, ChatId)> {
    match command {
        Command::OperatorMessage { by, chat: None, .. } => {
            let latest = conversation.latest().filter(|c| c.phase != Phase::Finished)?;
            Some((by, latest.id))
        }
        _ => command.operator_and_chat(),
    }
}

/// Whether `operator` sees every chat (a supervisor or an admin, as configured).
pub fn sees_all(settings: &Settings, operator: &OperatorId) -> bool {
    settings.operator(operator).is_some_and(|op| op.role.sees_all())
}

/// [`may_act`] as a result: `forbidden` when not allowed.
pub fn check(
    settings: &Settings,
    operator: &OperatorId,
    chat: &Chat,
    watchers: &[OperatorId],
) -> Result<(), DomainError> {
    if may_act(settings, operator, chat, watchers) {
        Ok(())
    } else {
        Err(DomainError::Forbidden { operator: operator.clone(), chat: chat.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::{active_open, op, World};
    use crate::domain::Status;

    #[test]
    fn an_operator_sees_chats_of_their_lines_and_supervisors_see_all() {
        let w = active_open(); // line1, alice responsible
        let chat = w.latest();
        assert!(may_act(&w.settings, &op("bob"), chat, &[]), "bob is in line1");
        assert!(!may_act(&w.settings, &op("xena"), chat, &[]), "xena is only in line2");
        assert!(may_act(&w.settings, &op("sam"), chat, &[]), "sam is a supervisor");
        assert!(!may_act(&w.settings, &op("nobody"), chat, &[]));
    }

    #[test]
    fn an_operator_sees_chats_they_handle_or_are_offered_whatever_the_line() {
        let mut w = World::new();
        w.client("hi");
        assert!(may_act(&w.settings, &op("xena"), w.latest(), &[op("xena")]), "in her New tab (overflow)");
        w.ok(Command::Invite { by: op("alice"), chat: ChatId(1), operator: op("xena") });
        assert!(may_act(&w.settings, &op("xena"), w.latest(), &[]), "a participant");
        let err = check(&w.settings, &op("xena"), w.chat(ChatId(1)), &[]).err();
        assert!(err.is_none());
    }

    fn write_by_conversation(by: &str) -> Command {
        Command::OperatorMessage { by: op(by), chat: None, text: "hi".into(), client_msg_id: None }
    }

    #[test]
    fn writing_by_conversation_is_gated_by_the_latest_chat_while_it_is_unfinished() {
        let w = active_open(); // chat 1 of line1, alice responsible
        let command = write_by_conversation("xena");
        let gated = gated_chat(&command, &w.conv);
        assert_eq!(gated, Some((&op("xena"), ChatId(1))), "the active chat gates it");
        let (who, chat) = gated.unwrap();
        assert!(!may_act(&w.settings, who, w.chat(chat), &[]), "xena (line2) may not write into it");
        assert!(may_act(&w.settings, &op("bob"), w.chat(chat), &[]), "bob (line1) may");
    }

    #[test]
    fn starting_an_outgoing_chat_in_a_finished_or_empty_conversation_is_open_to_anyone() {
        let empty = World::new();
        let command = write_by_conversation("xena");
        assert_eq!(gated_chat(&command, &empty.conv), None);
        let mut w = active_open();
        w.ok(Command::Finish {
            by: op("alice"),
            chat: ChatId(1),
            status: Status::Pending,
            operator_rating: None,
            request_vote: None,
        });
        let command = write_by_conversation("xena");
        assert_eq!(gated_chat(&command, &w.conv), None, "finished: anyone may write");
    }

    #[test]
    fn commands_naming_a_chat_are_gated_by_that_chat() {
        let w = active_open();
        let note = Command::Note { by: op("xena"), chat: ChatId(7), text: "x".into() };
        assert_eq!(gated_chat(&note, &w.conv), Some((&op("xena"), ChatId(7))));
        assert_eq!(gated_chat(&Command::TimerFired, &w.conv), None);
    }
}

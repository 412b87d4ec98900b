//! Who may see and act on which chat (SPEC 8): operators see chats of their lines, chats they
//! are responsible for or a participant of, and chats in their New tab (an overflowed chat of
//! another line); supervisors and admins see all. Checked before any state check.

use super::chat::Chat;
use super::error::DomainError;
use super::ids::{LineId, OperatorId};
use super::settings::Settings;
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
    use crate::domain::{ChatId, Command};

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
}

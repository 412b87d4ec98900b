//! What the node's door asks of the node that runs the conversations and the supervisor (the
//! leader of a cluster, or the one node of a standalone run), as values: [`Call`] in,
//! [`Answer`] out. On the leader a call is served in place; from another node of a cluster it
//! travels over Redis and back, so both are plain serde types.

use serde::{Deserialize, Serialize};

use crate::actors::messages::{CommandError, LineStatus, NewTab, OperatorStatus};
use crate::domain::routing::Presence;
use crate::domain::{ChatId, Command, ConversationId, OperatorId, Reply, Timestamp};

/// A request to the leader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Call {
    /// Run a command on a conversation.
    Execute {
        /// The conversation.
        conversation: ConversationId,
        /// The command.
        command: Command,
    },
    /// An operator takes a chat (scope already checked by the caller's node).
    Take {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
        /// Its conversation.
        conversation: ConversationId,
    },
    /// An operator accepts an offer.
    Accept {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// An operator declines an offer.
    Decline {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// An operator sets their presence.
    SetPresence {
        /// The operator.
        operator: OperatorId,
        /// Online or away.
        status: Presence,
    },
    /// An operator is typing in a chat.
    OperatorTyping {
        /// The operator.
        operator: OperatorId,
        /// The chat.
        chat: ChatId,
    },
    /// A client is typing (best effort).
    ClientTyping {
        /// The conversation.
        conversation: ConversationId,
        /// It has a journal.
        exists: bool,
    },
    /// Tell a waiting client its queue position again.
    AnnounceQueuePosition {
        /// The chat.
        chat: ChatId,
    },
    /// An operator's socket opened on `node`.
    OperatorConnected {
        /// The operator.
        operator: OperatorId,
        /// The node holding the socket.
        node: String,
    },
    /// An operator's socket on `node` closed.
    OperatorDisconnected {
        /// The operator.
        operator: OperatorId,
        /// The node that held the socket.
        node: String,
    },
    /// Every operator socket open on `node` now (sent when the leader changes; replaces what
    /// the leader knew of that node).
    Sockets {
        /// The node.
        node: String,
        /// Operators with sockets there, and how many each has.
        sockets: Vec<(OperatorId, usize)>,
    },
    /// A page of an operator's New tab.
    NewTab {
        /// The operator.
        operator: OperatorId,
        /// Continue after this key.
        after: Option<(Timestamp, ChatId)>,
        /// The most chats to list.
        limit: usize,
    },
    /// Presence and load of every operator.
    Operators,
    /// Queue figures of every line.
    Lines,
    /// Who sees a queued chat in their New tab.
    Watchers {
        /// The chat.
        chat: ChatId,
    },
    /// The conversation of an open chat, if the supervisor knows it.
    Locate {
        /// The chat.
        chat: ChatId,
    },
    /// The webhook outbox gained a row (a parked delivery was re-queued).
    OutboxWritten,
}

/// The leader's answer to a [`Call`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// `Execute`, `Take`, `Accept`.
    Reply(Result<Reply, CommandError>),
    /// Calls that only succeed or fail.
    Done(Result<(), CommandError>),
    /// `NewTab`.
    NewTab(Result<NewTab, CommandError>),
    /// `Operators`.
    Operators(Result<Vec<OperatorStatus>, CommandError>),
    /// `Lines`.
    Lines(Result<Vec<LineStatus>, CommandError>),
    /// `Watchers`.
    Watchers(Vec<OperatorId>),
    /// `Locate`.
    Located(Option<ConversationId>),
    /// The call could not be served (no leader, the leader did not answer in time).
    Unavailable(String),
}

impl Answer {
    fn unexpected(other: &Answer) -> CommandError {
        match other {
            Answer::Unavailable(why) => CommandError::Unavailable(why.clone()),
            other => CommandError::Unavailable(format!("unexpected answer from the leader: {other:?}")),
        }
    }

    /// The reply of `Execute`, `Take` or `Accept`.
    pub fn reply(self) -> Result<Reply, CommandError> {
        match self {
            Answer::Reply(r) => r,
            other => Err(Self::unexpected(&other)),
        }
    }

    /// The outcome of a call that only succeeds or fails.
    pub fn done(self) -> Result<(), CommandError> {
        match self {
            Answer::Done(r) => r,
            other => Err(Self::unexpected(&other)),
        }
    }

    /// The New-tab page.
    pub fn new_tab(self) -> Result<NewTab, CommandError> {
        match self {
            Answer::NewTab(r) => r,
            other => Err(Self::unexpected(&other)),
        }
    }

    /// The operators.
    pub fn operators(self) -> Result<Vec<OperatorStatus>, CommandError> {
        match self {
            Answer::Operators(r) => r,
            other => Err(Self::unexpected(&other)),
        }
    }

    /// The lines.
    pub fn lines(self) -> Result<Vec<LineStatus>, CommandError> {
        match self {
            Answer::Lines(r) => r,
            other => Err(Self::unexpected(&other)),
        }
    }

    /// The watchers (none when the leader cannot be asked: scope then falls back to lines).
    pub fn watchers(self) -> Vec<OperatorId> {
        match self {
            Answer::Watchers(w) => w,
            _ => Vec::new(),
        }
    }

    /// The located conversation.
    pub fn located(self) -> Option<ConversationId> {
        match self {
            Answer::Located(c) => c,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainError;

    #[test]
    fn calls_and_answers_survive_the_wire() {
        let calls = [
            Call::Execute {
                conversation: ConversationId::new("web", "c1"),
                command: Command::ClientMessage {
                    text: "hello".into(),
                    client_msg_id: Some("k1".into()),
                    name: None,
                    page_url: None,
                },
            },
            Call::SetPresence { operator: OperatorId::from("alice"), status: Presence::Away },
            Call::NewTab {
                operator: OperatorId::from("bob"),
                after: Some((Timestamp(5), ChatId(7))),
                limit: 10,
            },
        ];
        for call in calls {
            let text = serde_json::to_string(&call).unwrap();
            assert_eq!(serde_json::from_str::<Call>(&text).unwrap(), call);
        }
        let answers = [
            Answer::Reply(Err(DomainError::ChatNotFound(ChatId(3)).into())),
            Answer::Reply(Ok(Reply::Stored { chat: Some(ChatId(1)), seq: 4 })),
            Answer::Unavailable("no leader".into()),
        ];
        for answer in answers {
            let text = serde_json::to_string(&answer).unwrap();
            assert_eq!(serde_json::from_str::<Answer>(&text).unwrap(), answer);
        }
    }

    #[test]
    fn an_answer_of_the_wrong_kind_is_unavailable() {
        let err = Answer::Watchers(vec![]).reply().unwrap_err();
        assert!(matches!(err, CommandError::Unavailable(_)), "{err:?}");
        let err = Answer::Unavailable("no leader".into()).done().unwrap_err();
        assert_eq!(err, CommandError::Unavailable("no leader".into()));
    }
}

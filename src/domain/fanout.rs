//! Who is told what after a durable change (PROTOCOL 3.2-3.3): a pure function of the
//! conversation before and after, the events, and who watches the queued chats. The actor only
//! delivers the result.
//!
//! Operators: a chat is in the My tab of its responsible and participants while it is active or
//! closing; entering it is `chat_assigned`, leaving it `chat_removed`, any other change
//! `chat_updated`. Watchers (the New tab of a queued chat, kept by the supervisor) get
//! `chat_updated` and messages while the chat is queued; the supervisor itself announces the
//! chat's arrival and departure. Messages reach the My-tab operators, the watchers and the
//! author's other sockets. Clients get every non-private message of their conversation, vote
//! requests and thanks, and `chat_finished`.
//!
//! Every tab notice names its cause (`by`): the cause of the latest change of the chat that
//! explains it ([`cause_of`]), so a chat a rule finished says so even when an operator's message
//! set the rule off. A client's vote is told to the My-tab operators first (`client_voted`), as
//! the chat leaves their tabs in the same commit.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::cause::{cause_of, Cause, Explaining};
use super::chat::Chat;
use super::conversation::Conversation;
use super::event::{Author, Change, Event};
use super::ids::{ChatId, OperatorId};
use super::notice::{ClientNotice, OperatorNotice, RemovedReason};
use super::settings::Rating;
use super::status::Phase;
use super::view::{ChatView, MessageView};

/// One notice and who gets it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// To every socket of these operators.
    Operators(Vec<OperatorId>, OperatorNotice),
    /// To every socket of the conversation's client.
    Client(ClientNotice),
}

/// The operators whose My tab holds `chat`.
fn my_tab(chat: Option<&Chat>) -> BTreeSet<OperatorId> {
    let Some(c) = chat.filter(|c| c.phase != Phase::Finished && c.merged_into.is_none()) else {
        return BTreeSet::new();
    };
    c.responsible.iter().chain(c.participants.iter()).cloned().collect()
}

fn removed_reason(after: Option<&Chat>) -> RemovedReason {
    match after {
        Some(c) if c.merged_into.is_some() => RemovedReason::Merged,
        Some(c) if c.phase == Phase::Finished => RemovedReason::Finished,
        Some(c) if c.forwarded => RemovedReason::Moved,
        _ => RemovedReason::Reassigned,
    }
}

/// The deliveries of one commit: `events` (caused by `causes`, same order) turned `before` into
/// `after`; `watchers(chat)` are the operators whose New tab shows a queued chat.
pub fn fanout(
    before: &Conversation,
    after: &Conversation,
    events: &[Event],
    causes: &[Cause],
    rating: &Rating,
    watchers: &dyn Fn(ChatId) -> Vec<OperatorId>,
) -> Vec<Delivery> {
    let mut out = Vec::new();
    // Votes first: the vote finishes the chat, which then leaves these operators' tabs.
    for event in events {
        if let Change::Voted { chat, score } = &event.change {
            let to: Vec<_> = my_tab(before.chat(*chat)).into_iter().collect();
            let label = usize::from(*score).checked_sub(1).and_then(|i| rating.labels.get(i));
            if let (false, Some(label)) = (to.is_empty(), label) {
                let notice = OperatorNotice::ClientVoted { chat: *chat, score: *score, label: label.clone() };
                out.push(Delivery::Operators(to, notice));
            }
        }
    }
    let mut touched = BTreeSet::new();
    for event in events {
        match &event.change {
            Change::SplitOff { new_chat, .. } => {
                touched.insert(*new_chat);
            }
            Change::MergedInto { into, .. } => {
                touched.insert(*into);
            }
            Change::ChatOpened { prev_chat: Some(prev), .. } => {
                touched.insert(*prev);
            }
            _ => {}
        }
        if let Some(chat) = event.change.chat() {
            touched.insert(chat);
        }
    }

    // Tab membership and chat updates, once per touched chat.
    for &id in &touched {
        let (b, a) = (before.chat(id), after.chat(id));
        let Some(a_chat) = a else { continue };
        let view = Arc::new(ChatView::of(after, a_chat));
        let (was, is) = (my_tab(b), my_tab(a));
        let entered: Vec<_> = is.difference(&was).cloned().collect();
        let left: Vec<_> = was.difference(&is).cloned().collect();
        let stayed: Vec<_> = is.intersection(&was).cloned().collect();
        let moved_by = || cause_of(id, events, causes, Explaining::Membership);
        if !entered.is_empty() {
            let notice = OperatorNotice::ChatAssigned { chat: view.clone(), by: moved_by() };
            out.push(Delivery::Operators(entered, notice));
        }
        if !left.is_empty() {
            let notice = OperatorNotice::ChatRemoved { chat: id, reason: removed_reason(a), by: moved_by() };
            out.push(Delivery::Operators(left, notice));
        }
        let mut updated = stayed;
        if a_chat.needs_routing() {
            updated.extend(watchers(id).into_iter().filter(|w| !is.contains(w)));
        }
        if !updated.is_empty() {
            let by = cause_of(id, events, causes, Explaining::Update);
            out.push(Delivery::Operators(updated, OperatorNotice::ChatUpdated { chat: view, by }));
        }
    }

    // Messages and client-facing lifecycle notices, in event order.
    for event in events {
        match &event.change {
            Change::MessageAppended(m) => {
                let view = Arc::new(MessageView::of(&after.id, m, event.at));
                if let Some(chat) = m.chat {
                    let c = after.chat(chat);
                    let mut to = my_tab(c);
                    if c.is_some_and(Chat::needs_routing) {
                        to.extend(watchers(chat));
                    }
                    if let Author::Operator(op) = &m.author {
                        to.insert(op.clone());
                    }
                    if !to.is_empty() {
                        out.push(Delivery::Operators(
                            to.into_iter().collect(),
                            OperatorNotice::Message(view.clone()),
                        ));
                    }
                }
                if !m.private {
                    out.push(Delivery::Client(ClientNotice::Message(view)));
                }
            }
            Change::ClosingStarted { chat, .. } => {
                out.push(Delivery::Client(vote_request(*chat, rating)));
            }
            Change::Voted { chat, .. } => {
                out.push(Delivery::Client(ClientNotice::VoteThanks {
                    chat: *chat,
                    text: rating.thanks_text.clone(),
                }));
            }
            Change::Finished { chat, .. } => {
                out.push(Delivery::Client(ClientNotice::ChatFinished { chat: *chat }))
            }
            _ => {}
        }
    }
    out
}
/// Who sees the client typing in `chat`: its responsible and participants and, while it waits
/// for an operator, those whose New tab shows it (`watchers`).
pub fn typing_audience(chat: &Chat, watchers: &[OperatorId]) -> Vec<OperatorId> {
    let mut to: Vec<OperatorId> = chat.responsible.iter().chain(chat.participants.iter()).cloned().collect();
    if chat.needs_routing() {
        to.extend(watchers.iter().cloned());
    }
    to
}

/// The request to rate `chat`, with the configured labels (sent when voting starts, and again
/// to a client that reconnects while it is pending).
pub fn vote_request(chat: ChatId, rating: &Rating) -> ClientNotice {
    let options = Arc::new([
        (1, rating.labels[0].clone()),
        (2, rating.labels[1].clone()),
        (3, rating.labels[2].clone()),
    ]);
    ClientNotice::VoteRequest { chat, options }
}

//! The pure decisions the edges and actors once made inline: which notices a welcome already
//! shows, who sees a client typing, and which chat changes concern routing (the same facts
//! whether read from a live chat or from its stored row).

use std::sync::Arc;

use super::*;
use crate::domain::cause::Cause;
use crate::domain::fanout::typing_audience;
use crate::domain::notice::after_welcome;
use crate::domain::routing::{ChatRouting, Withdrawal};
use crate::domain::{ChatView, OperatorNotice};

fn view(w: &World) -> Arc<ChatView> {
    Arc::new(ChatView::of(&w.conv, w.latest()))
}

#[test]
fn a_welcome_drops_the_held_offers_and_new_chats_it_lists_unless_they_went_meanwhile() {
    let mut w = World::new();
    w.client("hi");
    let chat = view(&w);
    let offer = OperatorNotice::Offer { chat: chat.clone(), expires_in_ms: 1000 };
    let new = OperatorNotice::ChatNew(chat.clone());
    let message = OperatorNotice::ChatUpdated { chat: chat.clone(), by: Cause::System };
    let kept = after_welcome(vec![offer.clone(), new.clone(), message.clone()], &[chat.id], &[chat.id]);
    assert_eq!(kept, vec![message.clone()], "the welcome shows the offer and the New entry");
    let withdrawn =
        OperatorNotice::OfferWithdrawn { chat: chat.id, reason: Withdrawal::Taken, by: Cause::System };
    let kept = after_welcome(vec![offer.clone(), withdrawn.clone()], &[], &[chat.id]);
    assert_eq!(kept, vec![offer, withdrawn], "came and went: both go out, in order");
    let kept = after_welcome(vec![new.clone()], &[], &[]);
    assert_eq!(kept, vec![new], "not listed (beyond the first page, or new): sent");
}

#[test]
fn the_client_typing_is_seen_by_the_responsible_participants_and_while_queued_the_watchers() {
    let w = active_open(); // alice responsible
    let chat = w.latest();
    assert_eq!(typing_audience(chat, &[op("bob")]), vec![op("alice")], "assigned: watchers do not see it");
    let mut q = World::new();
    q.client("hi");
    assert_eq!(typing_audience(q.latest(), &[op("bob"), op("sam")]), vec![op("bob"), op("sam")]);
}

#[test]
fn routing_facts_read_from_a_stored_row_match_the_live_chat() {
    let mut queued = World::new();
    queued.client("hi");
    for w in [active_open(), queued] {
        let chat = w.latest();
        let live = ChatRouting::of(&w.conv.id, chat, Cause::System);
        let row = ChatRouting::of_view(&ChatView::of(&w.conv, chat));
        assert_eq!(ChatRouting { via: None, ..live }, row, "only how it was assigned is unknown to a row");
    }
}

#[test]
fn only_changes_of_routing_facts_concern_the_supervisor() {
    let mut w = active_open();
    let before = w.latest().clone();
    assert!(!ChatRouting::changed(Some(&before), &before));
    assert!(ChatRouting::changed(None, &before), "a new chat does");
    w.client("one more thing");
    assert!(!ChatRouting::changed(Some(&before), w.latest()), "a message does not");
}

/// Memory, not behaviour: a conversation's first chats take exactly the room they need (a
/// `Chat` is large, and most conversations have one or a few), whether decided or replayed.
#[test]
fn a_conversations_first_chats_take_no_spare_room() {
    let mut w = World::new();
    w.client("hi");
    assert_eq!((w.conv.chats.len(), w.conv.chats.capacity()), (1, 1));
    let replayed = Conversation::replay(w.conv.id.clone(), &w.journal);
    assert_eq!(replayed.chats.capacity(), 1);
    w.take("alice");
    w.finish("alice", Status::Closed);
    w.client("again");
    assert_eq!((w.conv.chats.len(), w.conv.chats.capacity()), (2, 2));
}

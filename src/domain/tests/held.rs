//! SPEC 5: held automated messages. Campaign messages wait while a chat is in progress and go
//! out in order once it pauses or finishes; bot messages are dropped; with no chat in progress
//! both are delivered at once and change nothing.

use super::*;

fn bot_texts(w: &World) -> Vec<String> {
    w.journal
        .iter()
        .filter_map(|e| match &e.change {
            Change::MessageAppended(m)
                if matches!(m.author, Author::Bot(BotKind::Campaign | BotKind::Bot)) =>
            {
                Some(m.text.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn campaign_messages_during_an_active_chat_are_queued_and_delivered_in_order_when_it_goes_on_hold() {
    let mut w = active_open();
    assert_eq!(w.automated(AutomatedKind::Campaign, "sale starts today"), AutomatedOutcome::Queued);
    assert_eq!(w.automated(AutomatedKind::Campaign, "last day of sale"), AutomatedOutcome::Queued);
    assert!(bot_texts(&w).is_empty());
    assert_eq!(w.conv.held.len(), 2);
    w.set_status(Status::OnHold);
    assert_eq!(bot_texts(&w), vec!["sale starts today", "last day of sale"]);
    assert!(w.conv.held.is_empty());
}

#[test]
fn campaign_messages_are_delivered_when_the_chat_finishes() {
    let mut w = active_open();
    w.automated(AutomatedKind::Campaign, "newsletter");
    w.finish("alice", Status::Pending);
    assert_eq!(bot_texts(&w), vec!["newsletter"]);
    assert_eq!(w.messages().last().unwrap().0, Some(ChatId(1)), "attached to the latest chat");
}

#[test]
fn campaign_messages_wait_through_closing_until_the_vote_finishes_the_chat() {
    let mut w = closing();
    assert_eq!(w.automated(AutomatedKind::Campaign, "promo"), AutomatedOutcome::Queued);
    w.ok(Command::Vote { chat: ChatId(1), score: 3 });
    assert_eq!(bot_texts(&w), vec!["promo"]);
}

#[test]
fn campaign_messages_are_delivered_when_the_inactivity_timer_finishes_the_chat() {
    let mut w = active_open();
    w.automated(AutomatedKind::Campaign, "promo");
    w.fire_next_timer();
    assert_eq!(bot_texts(&w), vec!["promo"]);
}

#[test]
fn bot_messages_during_an_active_chat_are_dropped_and_never_delivered() {
    let mut w = active_open();
    assert_eq!(w.automated(AutomatedKind::Bot, "did you know?"), AutomatedOutcome::Dropped);
    assert!(w.last.is_empty(), "a dropped message stores nothing");
    w.finish("alice", Status::Open);
    assert!(bot_texts(&w).is_empty());
}

#[test]
fn bot_messages_during_closing_are_dropped() {
    let mut w = closing();
    assert_eq!(w.automated(AutomatedKind::Bot, "hint"), AutomatedOutcome::Dropped);
}

#[test]
fn automated_messages_with_no_chat_in_progress_are_delivered_at_once() {
    let mut w = World::new();
    assert_eq!(w.automated(AutomatedKind::Campaign, "welcome!"), AutomatedOutcome::Delivered);
    assert_eq!(w.messages(), vec![(None, "welcome!".to_string())]);
    assert!(w.conv.chats.is_empty(), "an automated message opens no chat");
    let mut w = finished(Status::Pending);
    assert_eq!(w.automated(AutomatedKind::Bot, "tip"), AutomatedOutcome::Delivered);
    assert_eq!(w.messages().last().unwrap().0, Some(ChatId(1)));
}

#[test]
fn automated_messages_into_an_on_hold_chat_are_delivered_at_once() {
    let mut w = active_open();
    w.set_status(Status::OnHold);
    assert_eq!(w.automated(AutomatedKind::Campaign, "promo"), AutomatedOutcome::Delivered);
    assert_eq!(w.automated(AutomatedKind::Bot, "tip"), AutomatedOutcome::Delivered);
}

#[test]
fn a_delivered_automated_message_changes_no_chat_state_metric_or_timer() {
    let mut w = finished(Status::Pending);
    let before = w.latest().clone();
    w.advance(100.0);
    w.automated(AutomatedKind::Campaign, "promo");
    let after = w.latest();
    assert_eq!((after.phase, after.status, after.deadlines), (before.phase, before.status, before.deadlines));
    let (mut a, mut b) = (after.metrics.clone(), before.metrics.clone());
    a.updated_at = T0;
    b.updated_at = T0;
    assert_eq!(a, b);
}

//! The echo filter of a socket: every socket of a conversation or an operator hears every
//! message notice, the one that sent a message included; the sender gets its `ack` instead of an
//! echo of its own message. Pure: the session tells it when a request starts and how it ended,
//! and passes every notice through it.
//!
//! A notice of the socket's own message may come before the ack (the conversation fans out,
//! then answers) or, rarely, after it. So while a request is in flight, notices from the first
//! one that could be the socket's own message on are held, in order; when the request is
//! answered, its stored message (conversation and seq) is dropped from them and the rest are
//! released in order. Recently acknowledged messages are remembered for a late echo.

use std::collections::VecDeque;

use crate::domain::{ConversationId, Seq};

/// A stored message: its conversation and seq.
pub type StoredAt = (ConversationId, Seq);

/// How many acknowledged messages are remembered for late echoes.
const REMEMBERED: usize = 32;

/// The filter; `N` is the socket's notice type. Every socket has one but most never send a
/// request, so its state is boxed on the first request (until then every notice passes) and
/// dropped again when there is nothing left to remember.
#[derive(Debug)]
pub struct EchoFilter<N> {
    state: Option<Box<State<N>>>,
}

#[derive(Debug)]
struct State<N> {
    in_flight: bool,
    held: Vec<(Option<StoredAt>, N)>,
    acked: VecDeque<StoredAt>,
}

impl<N> Default for EchoFilter<N> {
    fn default() -> Self {
        Self { state: None }
    }
}

impl<N> EchoFilter<N> {
    /// A request of this socket is in flight (one at a time).
    pub fn started(&mut self) {
        let state = self.state.get_or_insert_with(|| {
            Box::new(State { in_flight: false, held: Vec::new(), acked: VecDeque::new() })
        });
        state.in_flight = true;
    }

    /// A notice for this socket; `own`: where the message it carries is stored, when it is a
    /// message this socket's author wrote (else `None`). Answers what to deliver now.
    pub fn notice(&mut self, own: Option<StoredAt>, notice: N) -> Vec<N> {
        let Some(state) = self.state.as_mut() else { return vec![notice] };
        if own.as_ref().is_some_and(|at| state.acked.contains(at)) {
            return Vec::new();
        }
        if !state.held.is_empty() || (state.in_flight && own.is_some()) {
            state.held.push((own, notice));
            return Vec::new();
        }
        vec![notice]
    }

    /// The request in flight was answered; `stored`: the message it stored, if any. Answers
    /// the held notices to deliver, in order, before the answer.
    pub fn answered(&mut self, stored: Option<StoredAt>) -> Vec<N> {
        let Some(state) = self.state.as_mut() else { return Vec::new() };
        state.in_flight = false;
        if let Some(at) = stored {
            if state.acked.len() == REMEMBERED {
                state.acked.pop_front();
            }
            state.acked.push_back(at);
        }
        let acked = &state.acked;
        let released = std::mem::take(&mut state.held)
            .into_iter()
            .filter(|(own, _)| !own.as_ref().is_some_and(|at| acked.contains(at)))
            .map(|(_, notice)| notice)
            .collect();
        if state.acked.is_empty() {
            self.state = None; // nothing in flight, held or remembered
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seq: Seq) -> Option<StoredAt> {
        Some((ConversationId::new("web", "c1"), seq))
    }

    #[test]
    fn without_a_request_in_flight_everything_passes_at_once() {
        let mut f = EchoFilter::default();
        assert_eq!(f.notice(None, "chat_updated"), vec!["chat_updated"]);
        assert_eq!(f.notice(at(3), "another tab's message"), vec!["another tab's message"]);
    }

    #[test]
    fn the_echo_of_the_message_a_request_stored_is_dropped_and_the_rest_released_in_order() {
        let mut f = EchoFilter::default();
        f.started();
        assert_eq!(f.notice(None, "before"), vec!["before"], "nothing that could be mine yet");
        assert!(f.notice(at(5), "my message").is_empty());
        assert!(f.notice(None, "bot reply").is_empty(), "held behind it, to keep the order");
        assert!(f.notice(at(7), "my other tab").is_empty());
        assert_eq!(f.answered(at(5)), vec!["bot reply", "my other tab"]);
        assert_eq!(f.notice(None, "after"), vec!["after"]);
    }

    #[test]
    fn an_echo_arriving_after_its_ack_is_dropped_too() {
        let mut f = EchoFilter::default();
        f.started();
        assert!(f.answered(at(9)).is_empty());
        assert!(f.notice(at(9), "late echo").is_empty());
        assert_eq!(f.notice(at(10), "next one"), vec!["next one"]);
    }

    #[test]
    fn a_failed_request_releases_everything_it_held() {
        let mut f = EchoFilter::default();
        f.started();
        assert!(f.notice(at(2), "another tab").is_empty());
        assert_eq!(f.answered(None), vec!["another tab"]);
    }

    #[test]
    fn only_the_latest_acks_are_remembered() {
        let mut f: EchoFilter<&str> = EchoFilter::default();
        for seq in 1..=40 {
            f.started();
            f.answered(at(seq));
        }
        assert_eq!(f.notice(at(1), "very old"), vec!["very old"], "forgotten: delivered");
        assert!(f.notice(at(40), "recent").is_empty());
    }
}

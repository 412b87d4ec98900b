//! Operator presence: sockets opening and closing, explicit `presence` frames, and the grace
//! period after the last socket closes (and after the node starts: a restart is everyone's
//! socket dropping at once). A presence change withdraws offers the operator can no longer
//! answer and updates who sees queued chats (only online operators do); the pump (at the end of
//! the call) then gives freed capacity and newly online operators the oldest waiting chats.

use crate::domain::cause::Cause;
use crate::domain::ids::{OperatorId, Timestamp};

use super::state::Dispatcher;
use super::types::{Effect, Presence, Withdrawal};

impl Dispatcher {
    /// A socket of `op` opened: cancels a running grace, and an offline operator comes online
    /// (an away one stays away).
    pub fn connected(&mut self, op: &OperatorId, now: Timestamp) -> Vec<Effect> {
        let state = self.op_mut(op);
        state.sockets = state.sockets.saturating_add(1);
        state.grace_until = None;
        if state.presence == Presence::Offline {
            // Silently: the connecting socket's welcome lists the New tab.
            self.change_presence(op, Presence::Online, &Cause::operator(op), false, now);
        }
        self.settle(now)
    }

    /// The node has just started: every configured operator without a socket gets the presence
    /// grace, as if their socket had just dropped, so operators reconnecting after a restart
    /// lose nothing (their chats stay theirs until the grace ends). Operators in `away` were
    /// away when the previous node stopped serving (the cluster's record): they stay away when
    /// they reconnect.
    pub fn start_grace(&mut self, now: Timestamp, away: &[OperatorId]) -> Vec<Effect> {
        let until = now.after(self.settings.timeouts.presence_grace);
        let operators: Vec<OperatorId> = self.settings.operators.keys().cloned().collect();
        for op in operators {
            let state = self.op_mut(&op);
            if state.sockets == 0 && state.presence == Presence::Offline {
                state.grace_until = Some(until);
                if away.contains(&op) {
                    state.presence = Presence::Away;
                }
            }
        }
        self.settle(now)
    }

    /// A socket of `op` closed. When it was the last one, the operator stays as they are for
    /// `timeouts.presence_grace`, then [`Dispatcher::tick`] takes them offline.
    pub fn disconnected(&mut self, op: &OperatorId, now: Timestamp) -> Vec<Effect> {
        let grace_until = now.after(self.settings.timeouts.presence_grace);
        let state = self.op_mut(op);
        if state.sockets > 0 {
            state.sockets -= 1;
            if state.sockets == 0 && state.presence != Presence::Offline {
                state.grace_until = Some(grace_until);
            }
        }
        self.settle(now)
    }

    /// `op` says they are online, away or offline (on an open socket: their New tab is told).
    pub fn set_presence(&mut self, op: &OperatorId, presence: Presence, now: Timestamp) -> Vec<Effect> {
        self.change_presence(op, presence, &Cause::operator(op), true, now);
        self.settle(now)
    }

    /// Applies a presence change (`by` the operator, or the end of their grace): reports it,
    /// withdraws the offers of an operator who stops being online (`Unavailable`, not counted as
    /// tried), refreshes New-tab audiences when they start or stop being online (with `notify`,
    /// their sockets get `chat_new` / `chat_removed` for the chats entering or leaving the tab).
    /// Their chats, reservations and idle clock stay.
    pub(super) fn change_presence(
        &mut self,
        op: &OperatorId,
        presence: Presence,
        by: &Cause,
        notify: bool,
        now: Timestamp,
    ) {
        let state = self.op_mut(op);
        let old = state.presence;
        if presence == Presence::Offline {
            state.grace_until = None;
        }
        if old == presence {
            return;
        }
        state.presence = presence;
        if presence == Presence::Online {
            state.online_since = Some(now);
        }
        if (old == Presence::Online) != (presence == Presence::Online) {
            self.track_online(op, presence == Presence::Online);
        }
        self.out.push(Effect::Presence { operator: op.clone(), status: presence });
        if old == Presence::Online {
            self.withdraw_offers_to(op, Withdrawal::Unavailable, by);
        }
        if (old == Presence::Online) != (presence == Presence::Online) {
            self.refresh_watchers_of(op, notify.then_some(by));
        }
    }
}

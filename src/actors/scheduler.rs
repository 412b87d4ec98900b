//! `DeadlineScheduler`: wakes passivated conversations whose timers come due. The store keeps
//! each conversation's next deadline (a row that may be due earlier than the real deadline,
//! never later: `store::DeadlineRow`); this actor polls for the ones due before its next poll,
//! activates those that are not live and tells each actor its row came due ([`DeadlineDue`]).
//! Each actor arms its own timer (an overdue one fires at once), and one woken for an early row
//! writes the row again. After a restart this is what re-arms timers, without loading every
//! conversation: only the due ones.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tracing::{debug, warn};

use crate::clock::Clock;
use crate::domain::Span;
use crate::store::Store;

use super::messages::{DeadlineDue, StopScheduler};
use super::registry::Registry;

/// How many due conversations one poll activates at most.
const BATCH: usize = 1000;

/// The deadline scheduler.
pub struct DeadlineScheduler {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    poll: Duration,
    polling: bool,
}

impl DeadlineScheduler {
    /// A scheduler of `registry`'s conversations, reading `store`'s deadline index every `poll`.
    pub fn new(
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        poll: Duration,
    ) -> Self {
        Self { store, registry, clock, poll, polling: false }
    }

    fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.polling {
            return;
        }
        self.polling = true;
        let horizon = Span::from_std(self.poll);
        let due = self.store.due(self.clock.now().after(horizon), BATCH);
        ctx.spawn(due.into_actor(self).map(|found, act, _ctx| {
            act.polling = false;
            match found {
                Ok(due) => {
                    let mut woken = 0;
                    for (conversation, _) in due {
                        if !act.registry.is_active(&conversation) {
                            woken += 1;
                        }
                        act.registry.activate(&conversation).do_send(DeadlineDue);
                    }
                    if woken > 0 {
                        debug!(woken, "activated conversations with deadlines due");
                    }
                }
                Err(e) => warn!(error = ?e, "deadline poll failed"),
            }
        }));
    }
}

impl Actor for DeadlineScheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.poll(ctx);
        ctx.run_interval(self.poll, |act, ctx| act.poll(ctx));
    }
}

impl Handler<StopScheduler> for DeadlineScheduler {
    type Result = ();

    fn handle(&mut self, _: StopScheduler, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

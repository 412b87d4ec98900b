//! `OneTimer`: the one timer an actor keeps armed for its earliest deadline. Deadlines are state
//! (persisted or recomputed); this only schedules the wake-up, on the actor's [`Clock`], and
//! re-schedules when the earliest deadline moves.

use actix::{fut, Actor, ActorFutureExt, AsyncContext, Context, SpawnHandle};

use crate::clock::Clock;
use crate::domain::Timestamp;

/// At most one scheduled wake-up.
#[derive(Default)]
pub struct OneTimer {
    armed: Option<(Timestamp, SpawnHandle)>,
}

impl OneTimer {
    /// Schedules `fire` at `next` (or nothing when `None`), replacing any other wake-up; a no-op
    /// when `next` is already the one scheduled. `fire` must call [`OneTimer::fired`] first.
    pub fn arm<A>(
        &mut self,
        clock: &dyn Clock,
        next: Option<Timestamp>,
        ctx: &mut Context<A>,
        fire: fn(&mut A, &mut Context<A>),
    ) where
        A: Actor<Context = Context<A>>,
    {
        if self.armed.as_ref().map(|(at, _)| *at) == next {
            return;
        }
        if let Some((_, handle)) = self.armed.take() {
            ctx.cancel_future(handle);
        }
        if let Some(at) = next {
            let wake =
                fut::wrap_future::<_, A>(clock.sleep_until(at)).map(move |(), act, ctx| fire(act, ctx));
            self.armed = Some((at, ctx.spawn(wake)));
        }
    }

    /// The scheduled wake-up happened.
    pub fn fired(&mut self) {
        self.armed = None;
    }
}

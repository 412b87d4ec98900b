//! `WebhookDeliverer`: POSTs due outbox rows to their channel's webhook and records the outcome
//! in the store. It polls [`Store::due_outbound`] every `poll` and whenever a commit wrote
//! deliveries ([`OutboxWritten`]); any 2xx is delivered (the row is removed), anything else
//! (another status, a connection error, a timeout) is a failed attempt, retried after an
//! exponential back-off ([`backoff`]).
//!
//! Order: the store lists only the earliest pending delivery of each conversation, and this
//! actor keeps at most one request per conversation in flight, so a conversation's deliveries
//! go out in journal order even under retries; different conversations go out in parallel, at
//! most `max_in_flight` at once.
//!
//! Must not decide what is delivered (that is `outbound`, at commit time) and must not block:
//! HTTP and store calls are futures. A crash after a POST but before the row is marked
//! delivered re-sends it after the restart: delivery is at-least-once.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tracing::{debug, info, warn};

use crate::domain::{ConversationId, Settings, Span, Timestamp};
use crate::metrics::Metrics;
use crate::store::{OutboundRow, Store};

/// How many due rows one poll reads at most.
const BATCH: usize = 100;

/// The longest wait between two attempts of one delivery.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The most of a receiver's answer body read (and discarded) so its connection can be reused.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Tunables of the deliverer.
#[derive(Debug, Clone)]
pub struct DelivererOptions {
    /// How often the outbox is polled (commits that write deliveries also wake it).
    pub poll: Duration,
    /// The wait after the first failed attempt; it doubles per further failure.
    pub backoff: Duration,
    /// How long one attempt may take before it counts as failed.
    pub timeout: Duration,
    /// Requests in flight at most (each of a different conversation).
    pub max_in_flight: usize,
}

impl Default for DelivererOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(200),
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            max_in_flight: 32,
        }
    }
}

/// The wait before the next attempt after `attempts` failed ones (at least 1): `base`, then
/// doubling, capped at [`MAX_BACKOFF`], plus up to 10% jitter (`jitter` in `[0, 1)`) so that
/// deliveries that failed together do not all come back at the same instant.
pub fn backoff(base: Duration, attempts: u32, jitter: f64) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let delay = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    delay.mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 10.0)
}

/// A fresh jitter in `[0, 1)` (std's per-instance random hasher keys are enough for this).
fn jitter(id: &str, attempts: u32) -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one((id, attempts));
    (bits >> 11) as f64 / (1_u64 << 53) as f64
}

/// A commit wrote deliveries: poll now rather than at the next tick.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct OutboxWritten;

/// Stops the deliverer (graceful shutdown); rows in flight are retried after the next start.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct StopDelivering;

/// What one attempt came to.
enum Attempt {
    /// A 2xx.
    Delivered(u16),
    /// Anything else, and why.
    Failed(String),
}

/// The deliverer.
pub struct WebhookDeliverer {
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    options: DelivererOptions,
    client: awc::Client,
    /// Conversations with a request (or its bookkeeping) in flight.
    in_flight: HashSet<ConversationId>,
    polling: bool,
    /// A poll was asked for while one was running: run another when it ends.
    again: bool,
}

impl WebhookDeliverer {
    /// A deliverer of `store`'s outbox.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
        options: DelivererOptions,
    ) -> Self {
        let client = http_client(options.timeout);
        Self {
            store,
            settings,
            metrics,
            options,
            client,
            in_flight: HashSet::new(),
            polling: false,
            again: false,
        }
    }

    /// Reads the due rows and starts an attempt for each whose conversation has none in flight.
    fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.polling {
            self.again = true;
            return;
        }
        if self.in_flight.len() >= self.options.max_in_flight {
            return; // the next attempt to finish polls again
        }
        self.polling = true;
        // What the read says about a conversation busy now may be stale by the time it answers
        // (its attempt may end and mark the row delivered meanwhile): such rows wait for the
        // poll that attempt's end asks for.
        let busy = self.in_flight.clone();
        let due = self.store.due_outbound(Timestamp::now(), BATCH);
        ctx.spawn(due.into_actor(self).map(move |found, act, ctx| {
            act.polling = false;
            match found {
                Ok(rows) => {
                    for row in rows {
                        if act.in_flight.len() >= act.options.max_in_flight {
                            break;
                        }
                        if !busy.contains(&row.conversation) && !act.in_flight.contains(&row.conversation) {
                            act.attempt(row, ctx);
                        }
                    }
                }
                Err(e) => warn!(error = ?e, "webhook outbox poll failed"),
            }
            if std::mem::take(&mut act.again) {
                act.poll(ctx);
            }
        }));
    }

    /// The URL to POST `row` to: the channel's configured `webhook_url` (a corrected address
    /// applies to deliveries still pending), else the one stored with the row.
    fn url_of(&self, row: &OutboundRow) -> String {
        self.settings
            .channel(&row.channel)
            .and_then(|c| c.webhook_url.clone())
            .unwrap_or_else(|| row.url.clone())
    }

    /// POSTs `row`, then marks it delivered or reschedules it; then polls again (the next
    /// delivery of the conversation may be waiting for this one).
    fn attempt(&mut self, row: OutboundRow, ctx: &mut Context<Self>) {
        self.in_flight.insert(row.conversation.clone());
        let url = self.url_of(&row);
        // The outbox id is stable across retries and restarts: receivers de-duplicate on it (vote
        // deliveries have no seq).
        let request = self
            .client
            .post(url.as_str())
            .insert_header(("Idempotency-Key", row.id.as_str()))
            .timeout(self.options.timeout)
            .send_json(&row.payload);
        let timeout = self.options.timeout;
        let base = self.options.backoff;
        let store = self.store.clone();
        let metrics = self.metrics.clone();
        let conversation = row.conversation.clone();
        let work = async move {
            let attempt = match tokio::time::timeout(timeout, post(request)).await {
                Ok(attempt) => attempt,
                Err(_) => Attempt::Failed(format!("no answer within {timeout:?}")),
            };
            let OutboundRow { id, conversation, attempts, .. } = row;
            let pause = match attempt {
                Attempt::Delivered(status) => {
                    metrics.webhook_attempts_total.with_label_values(&["delivered"]).inc();
                    debug!(delivery = ?id, conversation = ?conversation.to_string(), status, attempts = attempts + 1, "webhook delivered");
                    match store.delivered(id.clone()).await {
                        Ok(()) => None,
                        Err(e) => {
                            warn!(delivery = ?id, error = ?e, "cannot mark a webhook delivery done; it will be sent again");
                            Some(backoff(base, attempts.saturating_add(1), jitter(&id, attempts)))
                        }
                    }
                }
                Attempt::Failed(why) => {
                    metrics.webhook_attempts_total.with_label_values(&["failed"]).inc();
                    let attempts = attempts.saturating_add(1);
                    let wait = backoff(base, attempts, jitter(&id, attempts));
                    warn!(
                        delivery = ?id, conversation = ?conversation.to_string(), url = ?url, attempts,
                        retry_in_ms = wait.as_millis() as u64, error = ?why, "webhook delivery failed; retrying later"
                    );
                    let next_at = Timestamp::now().after(Span::from_std(wait));
                    match store.retry_later(id.clone(), attempts, next_at).await {
                        Ok(()) => None,
                        Err(e) => {
                            warn!(delivery = ?id, error = ?e, "cannot reschedule a webhook delivery");
                            Some(wait)
                        }
                    }
                }
            };
            // The store could not record the outcome: the row is still due, so hold the
            // conversation here for the back-off instead of hammering the receiver.
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
        };
        ctx.spawn(work.into_actor(self).map(move |(), act, ctx| {
            act.in_flight.remove(&conversation);
            act.poll(ctx);
        }));
    }
}

/// One POST: delivered on a 2xx, failed otherwise. The answer body is read (up to a limit) and
/// discarded so the connection can be kept alive.
/// The HTTP client deliveries go out with: plain HTTP and HTTPS (rustls, webpki roots).
fn http_client(timeout: Duration) -> awc::Client {
    awc::Client::builder().timeout(timeout).finish()
}

async fn post(request: awc::SendClientRequest) -> Attempt {
    match request.await {
        Ok(mut answer) => {
            let status = answer.status();
            let _ = answer.body().limit(MAX_ANSWER_BYTES).await;
            if status.is_success() {
                Attempt::Delivered(status.as_u16())
            } else {
                Attempt::Failed(format!("HTTP {status}"))
            }
        }
        Err(e) => Attempt::Failed(e.to_string()),
    }
}

impl Actor for WebhookDeliverer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        info!(poll_ms = self.options.poll.as_millis() as u64, "webhook delivery started");
        self.poll(ctx);
        ctx.run_interval(self.options.poll, |act, ctx| act.poll(ctx));
    }
}

impl Handler<OutboxWritten> for WebhookDeliverer {
    type Result = ();

    fn handle(&mut self, _: OutboxWritten, ctx: &mut Self::Context) {
        self.poll(ctx);
    }
}

impl Handler<StopDelivering> for WebhookDeliverer {
    type Result = ();

    fn handle(&mut self, _: StopDelivering, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped_at_five_minutes() {
        let s = Duration::from_secs;
        let waits: Vec<Duration> = (1..=10).map(|n| backoff(s(1), n, 0.0)).collect();
        assert_eq!(waits, vec![s(1), s(2), s(4), s(8), s(16), s(32), s(64), s(128), s(256), s(300)]);
        assert_eq!(backoff(s(1), 1_000, 0.0), MAX_BACKOFF, "no overflow");
        assert_eq!(backoff(Duration::from_millis(20), 3, 0.0), Duration::from_millis(80));
    }

    #[actix::test]
    async fn https_urls_are_supported_not_refused_as_an_unsupported_scheme() {
        let client = http_client(Duration::from_secs(2));
        // Nothing listens on port 1: the attempt fails at the connection, after TLS support was
        // established (without TLS the client refuses https before connecting).
        let attempt = post(client.post("https://127.0.0.1:1/hook").send_json(&serde_json::json!({}))).await;
        let Attempt::Failed(why) = attempt else { panic!("delivered to nothing") };
        assert!(!why.to_lowercase().contains("ssl is not supported"), "{why}");
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1, 0.5), Duration::from_millis(10_500));
        for n in 0..100 {
            let j = jitter("web:c1/3", n);
            assert!((0.0..1.0).contains(&j), "{j}");
            let wait = backoff(base, 2, j);
            assert!(wait >= Duration::from_secs(20) && wait < Duration::from_secs(22), "{wait:?}");
        }
    }
}

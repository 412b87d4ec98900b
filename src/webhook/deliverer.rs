//! `WebhookDeliverer`: POSTs due outbox rows to their channel's webhook and records the outcome
//! in the store. It polls [`Store::due_outbound`] every `poll` and whenever a commit wrote
//! deliveries ([`OutboxWritten`]); any 2xx is delivered (the row is removed), anything else
//! (another status, a redirect, a connection error, a timeout) is a failed attempt, retried after
//! an exponential back-off until the [`RetryPolicy`] gives up and the row is parked.
//!
//! Redirects are never followed (SPEC 8): a 3xx is a failed attempt like any other, so a
//! receiver cannot send a delivery, or a request made of it, anywhere else. A row goes to the
//! channel's `webhook_url` as configured now; a row whose channel has none (or is gone) is parked
//! without being sent (see [`destination`]).
//!
//! Order: the store lists only the earliest pending delivery of each conversation, and this
//! actor keeps at most one request per conversation in flight, so a conversation's deliveries
//! go out in journal order even under retries; different conversations go out in parallel, at
//! most `max_in_flight` at once. A parked row no longer holds its conversation back.
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

use crate::clock::Clock;
use crate::domain::{ConversationId, Settings, Span};
use crate::metrics::Metrics;
use crate::store::{OutboundRow, Store};

use super::policy::{backoff, destination, AfterFailure, RetryPolicy};

/// How many due rows one poll reads at most.
const BATCH: usize = 100;

/// The most of a receiver's answer body read (and discarded) so its connection can be reused.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Tunables of the deliverer.
#[derive(Debug, Clone)]
pub struct DelivererOptions {
    /// How often the outbox is polled (commits that write deliveries also wake it).
    pub poll: Duration,
    /// Back-off, and when a failing delivery is parked.
    pub retry: RetryPolicy,
    /// How long one attempt may take before it counts as failed.
    pub timeout: Duration,
    /// Requests in flight at most (each of a different conversation).
    pub max_in_flight: usize,
}

impl Default for DelivererOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(200),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            max_in_flight: 32,
        }
    }
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
    /// Anything else.
    Failed {
        /// In words safe to show an admin (the parked row's reason): a status, or what kind of
        /// failure it was.
        summary: String,
        /// The client library's own account, for the log only.
        detail: String,
    },
}

/// The deliverer.
pub struct WebhookDeliverer {
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    options: DelivererOptions,
    client: awc::Client,
    /// Conversations with a request (or its bookkeeping) in flight.
    in_flight: HashSet<ConversationId>,
    polling: bool,
    /// A poll was asked for while one was running: run another when it ends.
    again: bool,
}

impl WebhookDeliverer {
    /// A deliverer of `store`'s outbox; due times and ages are read on `clock`.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        options: DelivererOptions,
    ) -> Self {
        let client = http_client(options.timeout);
        Self {
            store,
            settings,
            metrics,
            clock,
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
        let due = self.store.due_outbound(self.clock.now(), BATCH);
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

    /// Sends `row` to its channel's webhook and records the outcome, or parks it at once when
    /// the channel has no webhook any more; then polls again (the next delivery of the
    /// conversation may be waiting for this one).
    fn attempt(&mut self, row: OutboundRow, ctx: &mut Context<Self>) {
        self.in_flight.insert(row.conversation.clone());
        let conversation = row.conversation.clone();
        let record = Record {
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock.clone(),
            retry: self.options.retry,
        };
        let work: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> =
            match destination(&self.settings, &row.channel) {
                Err(reason) => Box::pin(async move {
                    let pause = record.park(&row, row.attempts, reason).await;
                    pause_for(pause).await;
                }),
                Ok(url) => {
                    // The outbox id is stable across retries and restarts: receivers
                    // de-duplicate on it (vote deliveries have no seq).
                    let request = self
                        .client
                        .post(url)
                        .insert_header(("Idempotency-Key", row.id.as_str()))
                        .timeout(self.options.timeout)
                        .send_json(&row.payload);
                    let (url, timeout) = (url.to_owned(), self.options.timeout);
                    Box::pin(async move {
                        let attempt = match tokio::time::timeout(timeout, post(request)).await {
                            Ok(attempt) => attempt,
                            Err(_) => Attempt::Failed {
                                summary: format!("no answer within {timeout:?}"),
                                detail: "timed out".into(),
                            },
                        };
                        let pause = record.outcome(&row, &url, attempt).await;
                        pause_for(pause).await;
                    })
                }
            };
        ctx.spawn(work.into_actor(self).map(move |(), act, ctx| {
            act.in_flight.remove(&conversation);
            act.poll(ctx);
        }));
    }
}

/// The store could not record an outcome: the row is still due, so the conversation is held
/// here for a while instead of hammering the receiver.
async fn pause_for(pause: Option<Duration>) {
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
}

/// What recording an attempt's outcome needs, moved into the attempt's future.
struct Record {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl Record {
    /// Marks `row` delivered, reschedules it or parks it after `attempt`; the pause to hold its
    /// conversation for when the store could not record it.
    async fn outcome(&self, row: &OutboundRow, url: &str, attempt: Attempt) -> Option<Duration> {
        let (id, conversation) = (&row.id, &row.conversation);
        match attempt {
            Attempt::Delivered(status) => {
                self.metrics.webhook_attempts_total.with_label_values(&["delivered"]).inc();
                debug!(delivery = ?id, conversation = ?conversation.to_string(), status, attempts = row.attempts + 1, "webhook delivered");
                match self.store.delivered(id.clone()).await {
                    Ok(()) => None,
                    Err(e) => {
                        warn!(delivery = ?id, error = ?e, "cannot mark a webhook delivery done; it will be sent again");
                        let attempts = row.attempts.saturating_add(1);
                        Some(backoff(self.retry.backoff, attempts, jitter(id, attempts)))
                    }
                }
            }
            Attempt::Failed { summary, detail } => {
                self.metrics.webhook_attempts_total.with_label_values(&["failed"]).inc();
                let attempts = row.attempts.saturating_add(1);
                let age = self.clock.now().since(row.queued_at).to_std();
                match self.retry.after_failure(attempts, age, jitter(id, attempts), &summary) {
                    AfterFailure::RetryIn(wait) => {
                        warn!(
                            delivery = ?id, conversation = ?conversation.to_string(), url = ?url, attempts, retry_in_ms = wait.as_millis() as u64,
                            error = ?summary, detail = ?detail, "webhook delivery failed; retrying later"
                        );
                        let next_at = self.clock.now().after(Span::from_std(wait));
                        match self.store.retry_later(id.clone(), attempts, next_at).await {
                            Ok(()) => None,
                            Err(e) => {
                                warn!(delivery = ?id, error = ?e, "cannot reschedule a webhook delivery");
                                Some(wait)
                            }
                        }
                    }
                    AfterFailure::Park(reason) => {
                        warn!(delivery = ?id, conversation = ?conversation.to_string(), url = ?url, attempts, error = ?summary, detail = ?detail, "webhook delivery failed");
                        self.park(row, attempts, reason).await
                    }
                }
            }
        }
    }

    /// Parks `row` after `attempts` failed attempts, counted in the metrics; the pause to hold
    /// its conversation for when the store could not record it.
    async fn park(&self, row: &OutboundRow, attempts: u32, reason: String) -> Option<Duration> {
        let (id, conversation) = (&row.id, &row.conversation);
        match self.store.park(id.clone(), attempts, self.clock.now(), reason.clone()).await {
            Ok(()) => {
                self.metrics.webhook_parked_total.inc();
                self.metrics.webhook_parked.inc();
                warn!(delivery = ?id, conversation = ?conversation.to_string(), attempts, reason = ?reason, "webhook delivery parked");
                None
            }
            Err(e) => {
                warn!(delivery = ?id, error = ?e, "cannot park a webhook delivery");
                Some(self.retry.backoff)
            }
        }
    }
}

/// The HTTP client deliveries go out with: plain HTTP and HTTPS (rustls, webpki roots), and no
/// redirects followed (a 3xx is answered to us, as a failed attempt).
fn http_client(timeout: Duration) -> awc::Client {
    // HTTP/1.1 only: a receiver can never make this client speak HTTP/2 (whose h2 code in the
    // dependency tree has an advisory; see .ci/run).
    awc::Client::builder()
        .timeout(timeout)
        .disable_redirects()
        .max_http_version(awc::http::Version::HTTP_11)
        .finish()
}

/// One POST: delivered on a 2xx, failed otherwise. The answer body is read (up to a limit) and
/// discarded so the connection can be kept alive.
async fn post(request: awc::SendClientRequest) -> Attempt {
    match request.await {
        Ok(mut answer) => {
            let status = answer.status();
            let _ = answer.body().limit(MAX_ANSWER_BYTES).await;
            if status.is_success() {
                Attempt::Delivered(status.as_u16())
            } else if status.is_redirection() {
                Attempt::Failed {
                    summary: format!("HTTP {status} (redirects are not followed)"),
                    detail: answer
                        .headers()
                        .get(awc::http::header::LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .map_or_else(|| "no Location".to_owned(), |l| format!("Location: {l}")),
                }
            } else {
                Attempt::Failed { summary: format!("HTTP {status}"), detail: String::new() }
            }
        }
        Err(e) => {
            let summary = match &e {
                awc::error::SendRequestError::Connect(_) => "cannot connect to the receiver",
                awc::error::SendRequestError::Timeout => "no answer in time",
                _ => "the request failed",
            };
            Attempt::Failed { summary: summary.to_owned(), detail: e.to_string() }
        }
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

    #[actix::test]
    async fn https_urls_are_supported_not_refused_as_an_unsupported_scheme() {
        let client = http_client(Duration::from_secs(2));
        // Nothing listens on port 1: the attempt fails at the connection, after TLS support was
        // established (without TLS the client refuses https before connecting).
        let attempt = post(client.post("https://127.0.0.1:1/hook").send_json(&serde_json::json!({}))).await;
        let Attempt::Failed { summary, detail } = attempt else { panic!("delivered to nothing") };
        assert_eq!(summary, "cannot connect to the receiver");
        assert!(!detail.to_lowercase().contains("ssl is not supported"), "{detail}");
    }

    #[test]
    fn jitter_is_below_one() {
        for n in 0..100 {
            let j = jitter("web:c1/3", n);
            assert!((0.0..1.0).contains(&j), "{j}");
            let wait = backoff(Duration::from_secs(10), 2, j);
            assert!(wait >= Duration::from_secs(20) && wait < Duration::from_secs(22), "{wait:?}");
        }
    }
}

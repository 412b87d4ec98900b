//! Prometheus metrics (`GET /metrics`). Names end in `_total` / `_seconds`; labels are low
//! cardinality (kind, line, code), never per chat or per operator.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Every metric the node records.
pub struct Metrics {
    registry: Registry,
    /// Open WebSocket connections, by `kind` (operator, client).
    pub connections: IntGaugeVec,
    /// Messages stored, by `author` kind.
    pub messages_total: IntCounterVec,
    /// Chats waiting in each line's queue.
    pub queue_waiting: IntGaugeVec,
    /// Operators of each line online (presence), as the leader's dispatcher counts them: the
    /// routing view, whichever node their sockets are on. Only the leader reports lines.
    pub operators_online: IntGaugeVec,
    /// 1 on the node that serves conversations (the cluster's leader, or a standalone node),
    /// 0 elsewhere (set when scraped).
    pub leader: IntGauge,
    /// From entering a queue to getting a responsible, by `line`.
    pub assignment_seconds: HistogramVec,
    /// From a WebSocket request frame's arrival to its answer (ack or error) being sent, by
    /// socket `kind` (operator, client): the latency a console or widget sees.
    pub request_seconds: HistogramVec,
    /// From handing a commit to the store to it being durable.
    pub journal_commit_seconds: Histogram,
    /// Error frames and HTTP errors sent, by `code`.
    pub errors_total: IntCounterVec,
    /// Sockets closed by the server, by `reason` (slow_consumer, heartbeat, shutdown).
    pub disconnects_total: IntCounterVec,
    /// Outbound webhook attempts, by `result` (delivered, failed).
    pub webhook_attempts_total: IntCounterVec,
    /// Journal events replayed to activate conversations (after their snapshot, if any).
    pub replayed_events_total: IntCounter,
    /// Conversations with a live actor on this node (read from the registry when scraped).
    pub conversations_active: IntGauge,
    /// Outbound webhook deliveries given up on and parked.
    pub webhook_parked_total: IntCounter,
    /// Outbound webhook deliveries parked now (set from the store at start, then kept by the
    /// deliverer, which parks, and the re-queue endpoint).
    pub webhook_parked: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).namespace("frontline")
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let registry = Registry::new();
        let latency =
            [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];
        let m = Self {
            connections: IntGaugeVec::new(opts("connections", "Open WebSocket connections"), &["kind"])
                .unwrap_or_else(unreachable),
            messages_total: IntCounterVec::new(opts("messages_total", "Messages stored"), &["author"])
                .unwrap_or_else(unreachable),
            queue_waiting: IntGaugeVec::new(
                opts("queue_waiting", "Chats waiting in a line queue"),
                &["line"],
            )
            .unwrap_or_else(unreachable),
            operators_online: IntGaugeVec::new(
                opts("operators_online", "Operators of a line online (presence), on the leader"),
                &["line"],
            )
            .unwrap_or_else(unreachable),
            leader: IntGauge::with_opts(opts(
                "leader",
                "1 on the node serving conversations (leader or standalone), else 0",
            ))
            .unwrap_or_else(unreachable),
            assignment_seconds: HistogramVec::new(
                HistogramOpts::new("assignment_seconds", "Queue entry to responsible")
                    .namespace("frontline")
                    .buckets(latency.to_vec()),
                &["line"],
            )
            .unwrap_or_else(unreachable),
            request_seconds: HistogramVec::new(
                HistogramOpts::new("request_seconds", "WebSocket request frame received to its answer sent")
                    .namespace("frontline")
                    .buckets(latency.to_vec()),
                &["kind"],
            )
            .unwrap_or_else(unreachable),
            journal_commit_seconds: Histogram::with_opts(
                HistogramOpts::new("journal_commit_seconds", "Commit handed to the store to durable")
                    .namespace("frontline")
                    .buckets(latency.to_vec()),
            )
            .unwrap_or_else(unreachable),
            errors_total: IntCounterVec::new(opts("errors_total", "Errors answered"), &["code"])
                .unwrap_or_else(unreachable),
            disconnects_total: IntCounterVec::new(
                opts("disconnects_total", "Sockets closed by the server"),
                &["reason"],
            )
            .unwrap_or_else(unreachable),
            webhook_attempts_total: IntCounterVec::new(
                opts("webhook_attempts_total", "Outbound webhook attempts"),
                &["result"],
            )
            .unwrap_or_else(unreachable),
            replayed_events_total: IntCounter::with_opts(opts(
                "replayed_events_total",
                "Journal events replayed to activate conversations",
            ))
            .unwrap_or_else(unreachable),
            conversations_active: IntGauge::with_opts(opts(
                "conversations_active",
                "Conversations with a live actor on this node",
            ))
            .unwrap_or_else(unreachable),
            webhook_parked_total: IntCounter::with_opts(opts(
                "webhook_parked_total",
                "Outbound webhook deliveries given up on and parked",
            ))
            .unwrap_or_else(unreachable),
            webhook_parked: IntGauge::with_opts(opts(
                "webhook_parked",
                "Outbound webhook deliveries parked now",
            ))
            .unwrap_or_else(unreachable),
            registry,
        };
        let collectors: [Box<dyn prometheus::core::Collector>; 15] = [
            Box::new(m.connections.clone()),
            Box::new(m.messages_total.clone()),
            Box::new(m.queue_waiting.clone()),
            Box::new(m.operators_online.clone()),
            Box::new(m.leader.clone()),
            Box::new(m.assignment_seconds.clone()),
            Box::new(m.request_seconds.clone()),
            Box::new(m.journal_commit_seconds.clone()),
            Box::new(m.errors_total.clone()),
            Box::new(m.disconnects_total.clone()),
            Box::new(m.webhook_attempts_total.clone()),
            Box::new(m.replayed_events_total.clone()),
            Box::new(m.conversations_active.clone()),
            Box::new(m.webhook_parked_total.clone()),
            Box::new(m.webhook_parked.clone()),
        ];
        for c in collectors {
            // Names are distinct constants: registration cannot collide.
            let _ = m.registry.register(c);
        }
        m
    }

    /// Adds metrics recorded elsewhere (the store's) to what `/metrics` shows. A name already
    /// registered is refused (logged).
    pub fn register(&self, collector: Box<dyn prometheus::core::Collector>) {
        if let Err(e) = self.registry.register(collector) {
            tracing::warn!(error = %e, "a metric could not be registered");
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding gathered families into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Metric definitions above are constants; constructing them cannot fail.
fn unreachable<T>(e: prometheus::Error) -> T {
    panic!("invalid metric definition: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_as_prometheus_text() {
        let m = Metrics::new();
        m.connections.with_label_values(&["operator"]).inc();
        m.journal_commit_seconds.observe(0.002);
        m.request_seconds.with_label_values(&["client"]).observe(0.004);
        m.assignment_seconds.with_label_values(&["support"]).observe(3.0);
        let text = m.render();
        assert!(text.contains("# TYPE frontline_connections gauge"), "{text}");
        assert!(text.contains("frontline_connections{kind=\"operator\"} 1"));
        assert!(text.contains("frontline_journal_commit_seconds_bucket"));
        assert!(text.contains("frontline_request_seconds_bucket{kind=\"client\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("frontline_assignment_seconds_count{line=\"support\"} 1"), "{text}");
        assert!(text.contains("frontline_webhook_parked_total 0"), "counters without labels show at 0");
        assert!(text.contains("# TYPE frontline_webhook_parked gauge"), "{text}");
    }
}

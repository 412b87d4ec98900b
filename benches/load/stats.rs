//! What a load run measures: latency histograms (hdrhistogram, microseconds), per-client counts
//! of acknowledged and delivered messages (so acked-but-undelivered can be counted exactly), and
//! errors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use hdrhistogram::Histogram;

/// The run's clock origin: every stamp is microseconds since it (one process, one clock).
pub fn now_us() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// A latency histogram shared by tasks.
pub struct Latency(Mutex<Histogram<u64>>);

impl Latency {
    pub fn new() -> Self {
        // 1 µs .. 60 s, 3 significant digits.
        Self(Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")))
    }

    pub fn record(&self, micros: u64) {
        let _ = self.0.lock().expect("not poisoned").record(micros.clamp(1, 60_000_000));
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> Histogram<u64> {
        self.0.lock().expect("not poisoned").clone()
    }

    /// "p50 1.2 ms, p99 3.4 ms, p99.9 5.6 ms, max 7.8 ms"
    pub fn summary(&self) -> String {
        let h = self.0.lock().expect("not poisoned");
        if h.is_empty() {
            return "none".into();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            ms(h.value_at_quantile(0.50)),
            ms(h.value_at_quantile(0.99)),
            ms(h.value_at_quantile(0.999)),
            ms(h.max())
        )
    }
}

/// Everything a run counts.
pub struct Stats {
    /// Client message sent → delivered to the responsible operator.
    pub c2o: Latency,
    /// Operator reply sent → delivered to the client.
    pub o2c: Latency,
    /// Client message sent → its ack (durable).
    pub ack: Latency,
    /// Per client: messages acknowledged.
    pub acked: Vec<AtomicU64>,
    /// Per client: messages delivered to an operator.
    pub delivered: Vec<AtomicU64>,
    /// Replies delivered to clients.
    pub replies: AtomicU64,
    /// Error frames and failed connections.
    pub errors: AtomicU64,
    /// Chats accepted by operators (set-up progress).
    pub assigned: AtomicU64,
    /// Whether the measurement window is open (latencies outside it are not recorded).
    pub measuring: std::sync::atomic::AtomicBool,
    /// Client messages delivered inside the window.
    pub window_c2o: AtomicU64,
    /// Replies delivered inside the window.
    pub window_o2c: AtomicU64,
    /// First error seen, for the report.
    pub first_error: Mutex<Option<String>>,
}

impl Stats {
    pub fn new(clients: usize) -> Self {
        Self {
            c2o: Latency::new(),
            o2c: Latency::new(),
            ack: Latency::new(),
            acked: (0..clients).map(|_| AtomicU64::new(0)).collect(),
            delivered: (0..clients).map(|_| AtomicU64::new(0)).collect(),
            replies: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            assigned: AtomicU64::new(0),
            measuring: std::sync::atomic::AtomicBool::new(false),
            window_c2o: AtomicU64::new(0),
            window_o2c: AtomicU64::new(0),
            first_error: Mutex::new(None),
        }
    }

    pub fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().expect("not poisoned");
        if first.is_none() {
            *first = Some(what);
        }
    }

    pub fn measuring(&self) -> bool {
        self.measuring.load(Ordering::Relaxed)
    }

    /// Messages acknowledged to a client but never delivered to an operator.
    pub fn undelivered(&self) -> u64 {
        self.acked
            .iter()
            .zip(&self.delivered)
            .map(|(a, d)| a.load(Ordering::Relaxed).saturating_sub(d.load(Ordering::Relaxed)))
            .sum()
    }

    pub fn total_acked(&self) -> u64 {
        self.acked.iter().map(|a| a.load(Ordering::Relaxed)).sum()
    }
}

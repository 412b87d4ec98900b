//! The end-to-end harness every `tests/*.rs` shares (modelled on the acceptance suite's
//! `frontline_harness.py`): the real `frontline` binary started on port 0 with a TOML written to
//! a temp dir, operator JWTs, HTTP helpers answering `(StatusCode, serde_json::Value)`, and
//! WebSocket peers that keep every frame they receive so a test can wait for one by predicate.
//!
//! Use from a test file with `mod common;` and `#[actix_web::test]` tests. Helpers panic with a
//! useful message on a broken environment; that is a test failure, as it should be.
//!
//! - `config`: [`base_config`], [`config_with`] (+ [`set`], [`push`]), [`token`], [`encode`];
//! - `server`: [`TestServer`];
//! - `http`: [`get`], [`get_text`], [`post_json`], [`patch_json`], [`send`], [`inbound`];
//! - `redis_server`: [`Redis`], a real `redis-server` for the cluster tests;
//! - `webhook_receiver`: [`Receiver`], a local webhook receiver;
//! - `ws`: [`Ws`], [`agent`], [`client`], [`client_query`], [`upgrade_status`].

// Test helpers panic on a broken environment (that is the test failing); each test binary uses
// only some of the helpers (dead code, unused re-exports there are expected).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unused_imports)]

mod config;
mod contract;
mod http;
mod redis_server;
mod server;
mod webhook_receiver;
mod ws;

pub use config::*;
pub use http::*;
pub use redis_server::*;
pub use server::*;
pub use webhook_receiver::*;
pub use ws::*;

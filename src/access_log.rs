//! The access log: one `info` line per HTTP request (method, path with the query's secrets
//! masked, status, duration, remote address) and per WebSocket open and close (kind, remote
//! address, who, close code and reason), under the target `frontline::access`. On unless
//! `--no-access-log` / `FRONTLINE_ACCESS_LOG=0`; `RUST_LOG=info,frontline::access=off` also
//! silences it.
//!
//! It never logs a credential: no headers (a bearer token travels in `Authorization`), and the
//! values of query parameters that carry one (`token`, `sig`, ...) are replaced by `***`.
//! Everything a client chose (path, query, close reason, client id) is logged as a `Debug`
//! field, so it is quoted and escaped and cannot forge a log line.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::info;

/// The target of every access log line (`RUST_LOG=frontline::access=off` silences them).
pub const TARGET: &str = "frontline::access";

/// What replaces a secret query value.
const MASK: &str = "***";

/// Middleware: logs each request once it is answered.
pub async fn requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{}", req.path(), masked_query(query)),
    };
    let remote = req.peer_addr();
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    info!(
        target: TARGET,
        method = ?method.as_str(),
        path = ?path,
        status,
        duration = ?started.elapsed(),
        remote = ?remote,
        "request"
    );
    result
}

/// `query` with the value of every parameter that carries a credential replaced by `***` (its
/// name is compared once percent-decoded, so `t%6Fken=` is masked too).
pub fn masked_query(query: &str) -> String {
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    pairs.join("&")
}

/// True for a parameter name that carries a credential.
fn is_secret(name: &str) -> bool {
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().to_ascii_lowercase();
    matches!(name.as_str(), "sig" | "signature" | "key" | "api_key" | "apikey" | "jwt" | "auth")
        || ["token", "secret", "passw"].iter().any(|part| name.contains(part))
}

/// How a WebSocket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// `server` or `peer`: who closed it.
    pub by: &'static str,
    /// The close code, when a close frame was sent or received.
    pub code: Option<u16>,
    /// The close reason (the peer's own words when it closed).
    pub reason: String,
}

impl Closing {
    /// The connection ended without a close frame.
    pub fn lost() -> Closing {
        Closing { by: "peer", code: None, reason: "connection lost".into() }
    }
}

/// Logs a WebSocket that was just opened: its `kind` (`operator`, `client`), remote address and
/// who it is (operator id, conversation id).
pub fn socket_opened(kind: &str, remote: Option<SocketAddr>, who: &str) {
    info!(target: TARGET, kind, remote = ?remote, who = ?who, "websocket opened");
}

/// Logs a WebSocket that ended, how, and after how long.
pub fn socket_closed(kind: &str, remote: Option<SocketAddr>, who: &str, closing: &Closing, lasted: Duration) {
    info!(
        target: TARGET,
        kind,
        remote = ?remote,
        who = ?who,
        by = closing.by,
        code = ?closing.code,
        reason = ?closing.reason,
        duration = ?lasted,
        "websocket closed"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_are_masked_and_the_rest_kept() {
        for (query, logged) in [
            ("channel=web&client_id=c1&token=abc", "channel=web&client_id=c1&token=***"),
            ("token=eyJhbGciOi.x.y", "token=***"),
            ("sig=00ff&client_id=c1", "sig=***&client_id=c1"),
            ("t%6Fken=abc&TOKEN=def&access_token=g", "t%6Fken=***&TOKEN=***&access_token=***"),
            ("client_secret=s&password=p&api_key=k", "client_secret=***&password=***&api_key=***"),
            ("phase=active&sort=-created_at&limit=5", "phase=active&sort=-created_at&limit=5"),
            ("token", "token"),
            ("a=1&&b", "a=1&&b"),
        ] {
            assert_eq!(masked_query(query), logged, "{query}");
        }
    }

    #[test]
    fn no_credential_value_survives_masking() {
        let query = "x=1&token=SECRET1&sig=SECRET2&name=Ann&client_token_previous=SECRET3";
        assert!(!masked_query(query).contains("SECRET"), "{}", masked_query(query));
    }
}

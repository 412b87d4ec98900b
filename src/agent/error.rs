//! Why the console stopped: the errors `frontline agent` exits non-zero with. Each message is
//! meant for the operator at the terminal, so it says what happened and what to check.

/// Why the console could not connect or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The server answered the upgrade with 401: bad, expired or mismatched token.
    #[error(
        "the server refused the token (HTTP 401 Unauthorized) at {url}: check --token/FRONTLINE_TOKEN, \
         or --operator with the server's --config"
    )]
    Unauthorized {
        /// The WebSocket URL.
        url: String,
    },
    /// The server answered the upgrade with another status.
    #[error("the server refused the connection at {url}: HTTP {status}")]
    Refused {
        /// The WebSocket URL.
        url: String,
        /// The HTTP status.
        status: String,
    },
    /// No connection could be made.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The WebSocket URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The first frame was not a `welcome`.
    #[error("no welcome from the server: {0}")]
    NoWelcome(String),
    /// The server closed the connection.
    #[error("the server closed the connection: {}", describe_close(*.code, .reason))]
    Closed {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// The close reason.
        reason: String,
    },
    /// The connection broke without a close frame.
    #[error("the connection dropped: {0}")]
    Lost(String),
    /// stdout is gone (a closed pipe).
    #[error("cannot write to stdout: {0}")]
    Output(#[source] std::io::Error),
}

fn describe_close(code: Option<u16>, reason: &str) -> String {
    match (code, reason.is_empty()) {
        (Some(code), false) => format!("code {code} ({reason})"),
        (Some(code), true) => format!("code {code}"),
        (None, _) => "without a close code".to_string(),
    }
}

//! [`AppState`]: what every HTTP handler and socket session shares: the validated configuration,
//! the node's door, and the socket admission counters.

use std::net::IpAddr;
use std::sync::Arc;

use super::admission::Admission;
use crate::config::Config;
use crate::domain::ConversationId;
use crate::node::Node;

/// What every handler and socket shares.
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The running node: the only way in.
    pub node: Arc<Node>,
    /// Open sockets per remote address (`limits.connections_per_address`).
    pub sockets_per_address: Admission<IpAddr>,
    /// Open client sockets per conversation (`limits.sockets_per_conversation`).
    pub client_sockets: Admission<ConversationId>,
}

impl AppState {
    /// The state of a server running `node` with `config`.
    pub fn new(config: Arc<Config>, node: Arc<Node>) -> Self {
        Self { config, node, sockets_per_address: Admission::default(), client_sockets: Admission::default() }
    }
}

//! What both edges (the HTTP API in `crate::api`, the WebSocket sessions in `crate::ws`) share,
//! and the only inside they see besides the node's door ([`crate::node::Node`]):
//!
//! - [`state`]: [`AppState`], what every handler and socket holds;
//! - [`caller`]: [`Caller`], the authenticated operator of a request or upgrade;
//! - [`scope`]: the one scope rule (which chats a caller may see and act on) and list scopes;
//! - [`error`]: [`ErrorCode`] (wire name and HTTP status) and [`EdgeError`];
//! - [`params`]: strict query strings (known parameters, UTF-8, no lossy decoding);
//! - [`admission`]: sockets per remote address and per conversation.

pub mod admission;
pub mod caller;
pub mod error;
pub mod params;
pub mod scope;
pub mod state;

pub use admission::{Admission, Slot};
pub use caller::{token_of, Caller};
pub use error::{EdgeError, ErrorCode};
pub use params::Params;
pub use state::AppState;

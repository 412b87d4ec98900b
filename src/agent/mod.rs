//! `frontline agent`: an operator's console in the terminal. It connects to `/ws/agent`, shows
//! the welcome (operator, My and New tabs) and every later event as a line, and sends the
//! commands typed on stdin (`/take 5`, `/reply 5 text`, a plain line to the current chat...).
//! It is a client of the wire contract (PROTOCOL 3.2), not of the server's internals.
//!
//! Reading order: [`wire`] (the frames as the console reads them), [`command`] (typed lines),
//! [`view`] (the local tabs), [`render`] and [`words`] (frames as lines, codes as plain words),
//! [`console`] (the state machine tying them together, no IO), [`session`] (the IO loop, and the
//! HTTP reads of `/who` and `/queues`), [`error`] (why it stops).

pub mod command;
pub mod console;
pub mod error;
pub mod render;
pub mod session;
pub mod view;
pub mod wire;
pub mod words;

#[cfg(test)]
mod tests;

pub use console::{Console, Step};
pub use error::AgentError;
pub use session::{agent_url, run};

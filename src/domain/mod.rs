//! The domain core: conversations, chats, statuses, timers, metrics and rules as a pure state
//! machine. No actix, no IO, no clock reads: time and live facts come in as parameters.
//!
//! Reading order: [`ids`] and [`status`] (vocabulary), [`settings`] and [`directory`] (what the
//! configuration tells the domain), [`rules`].

pub mod directory;
pub mod ids;
pub mod rules;
pub mod settings;
pub mod status;

pub use directory::{Directory, Line, Operator, Role, Strategy};
pub use ids::{ChannelId, ChatId, ClientId, ConversationId, LineId, OperatorId, Seq, Span, Timestamp};
pub use rules::{Action, Conditions, Rule, RuleAuthor, Trigger};
pub use settings::{Channel, ChannelKind, Dialogs, Rating, Settings, Timeouts};
pub use status::{AssignVia, AuthorKind, DetailedStatus, Direction, GeneralStatus, Phase, Status};

//! The domain core: conversations, chats, statuses, timers, metrics and rules as a pure state
//! machine. No actix, no IO, no clock reads: time and live facts come in as parameters.
//!
//! Reading order: [`ids`] and [`status`] (vocabulary), [`settings`] and [`directory`] (what the
//! configuration and the live world tell the domain), [`chat`] and [`metrics`] (the state of
//! one chat), [`command`] and [`event`] (what goes in and what comes out), [`conversation`]
//! (`handle` and `apply`), [`cause`] (who or what made a change), [`rules`] and [`hours`] (a
//! line's working hours), [`text`] (free-text limits), [`view`] (the wire shapes), [`notice`]
//! and [`fanout`] (who is told what).

pub mod access;
pub mod cause;
pub mod chat;
pub mod command;
pub mod conversation;
pub mod directory;
pub mod error;
pub mod event;
pub mod fanout;
pub mod hours;
pub mod ids;
pub mod metrics;
pub mod notice;
pub mod routing;
pub mod rules;
pub mod settings;
pub mod status;
pub mod text;
pub mod timeouts;
pub mod view;

#[cfg(test)]
pub(crate) mod tests;

pub use cause::{Cause, TimerKind};
pub use chat::{Chat, ChatFields, Deadlines, Timer};
pub use command::{AutomatedKind, AutomatedOutcome, Command, Reply};
pub use conversation::{Conversation, Ctx, Outcome};
pub use directory::{Directory, Line, NobodyAvailable, Operator, Role, Strategy};
pub use error::DomainError;
pub use event::{Author, BotKind, Change, Event, FieldsUpdate, FinishCause, ForwardTarget, Message};
pub use fanout::{fanout, vote_request, Delivery};
pub use hours::{Days, Hours, Weekday, Window, MINUTES_PER_DAY};
pub use ids::{
    is_printable, ChannelId, ChatId, ClientId, ClientIdError, ConversationId, ConversationIdError, LineId,
    OperatorId, Seq, Span, Timestamp, MAX_CLIENT_ID_CHARS,
};
pub use metrics::{Durations, Metrics};
pub use notice::{ClientNotice, OperatorNotice, RemovedReason};
pub use routing::{ChatRouting, Dispatcher, Effect, LineStats, Presence, Removal, RouteError, Withdrawal};
pub use rules::{Action, Conditions, Count, Facts, LineNow, Rule, RuleAuthor, Trigger};
pub use settings::{Channel, ChannelKind, Dialogs, Rating, Settings, Timeouts};
pub use status::{AssignVia, AuthorKind, DetailedStatus, Direction, GeneralStatus, Phase, Status};
pub use text::TextError;
pub use view::{AuthorView, ChatView, ClientView, MessageView, MetricsView};

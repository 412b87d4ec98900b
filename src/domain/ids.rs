//! Identifiers and time: the small value types every other domain module speaks in.
//!
//! Ids are cheap to clone (`SmolStr` keeps short ids inline). Time is milliseconds since the
//! Unix epoch, passed into the domain as a parameter and never read inside it.

use std::fmt;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String)]
        pub struct $name(pub SmolStr);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(SmolStr::new(s))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(SmolStr::new(s))
            }
        }
    };
}

string_id!(
    /// An operator (agent), as configured.
    OperatorId
);
string_id!(
    /// A support line, as configured.
    LineId
);
string_id!(
    /// A channel the client writes from (`web`, `telegram`, ...), as configured.
    ChannelId
);
string_id!(
    /// The client's id within its channel.
    ClientId
);

/// The longest client id, in characters (PROTOCOL 3.3).
pub const MAX_CLIENT_ID_CHARS: usize = 128;

/// Why a client id is refused where one enters the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    /// Empty, or longer than [`MAX_CLIENT_ID_CHARS`] characters.
    #[error("client_id must be 1 to {MAX_CLIENT_ID_CHARS} characters")]
    Length,
    /// Holds a control or invisible formatting character.
    #[error("client_id must be printable characters (no control or formatting characters)")]
    NotPrintable,
}

impl ClientId {
    /// A client id as every edge accepts one (WebSocket, HTTP inbound, an operator's
    /// `conversation`): 1 to [`MAX_CLIENT_ID_CHARS`] printable characters, counted in
    /// characters. Ids already stored are read back as they are; only new input is checked.
    pub fn checked(s: &str) -> Result<ClientId, ClientIdError> {
        let chars = s.chars().count();
        if chars == 0 || chars > MAX_CLIENT_ID_CHARS {
            return Err(ClientIdError::Length);
        }
        if s.chars().any(|c| !is_printable(c)) {
            return Err(ClientIdError::NotPrintable);
        }
        Ok(ClientId::from(s))
    }
}

/// Not a control character (C0, DEL, C1), not a Unicode line or paragraph separator, and not an
/// invisible mark that reorders what a reader sees (bidirectional embeddings, overrides and
/// isolates) or hides itself (BOM). Joiners stay allowed: emoji and some scripts need them.
pub fn is_printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A chat number: sequential and unique in the installation (allocated outside the domain).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct ChatId(pub u64);

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Position of a message within its conversation: increases by one per message, never repeats.
pub type Seq = u64;

/// A conversation: everything between one client and the centre through one channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId {
    /// The channel the client writes from.
    pub channel: ChannelId,
    /// The client within that channel.
    pub client: ClientId,
}

impl ConversationId {
    /// A conversation of `client` in `channel`.
    pub fn new(channel: impl Into<ChannelId>, client: impl Into<ClientId>) -> Self {
        Self { channel: channel.into(), client: client.into() }
    }

    /// Parses `<channel>:<client_id>`, split at the first `:`; both parts must be non-empty.
    pub fn parse(s: &str) -> Option<Self> {
        let (channel, client) = s.split_once(':')?;
        if channel.is_empty() || client.is_empty() {
            return None;
        }
        Some(Self::new(channel, client))
    }

    /// Parses `<channel>:<client_id>` as an edge receives it: the client id must pass
    /// [`ClientId::checked`].
    pub fn parse_checked(s: &str) -> Result<Self, ConversationIdError> {
        let (channel, client) = s.split_once(':').ok_or(ConversationIdError::Shape)?;
        if channel.is_empty() {
            return Err(ConversationIdError::Shape);
        }
        let client = ClientId::checked(client).map_err(ConversationIdError::Client)?;
        Ok(Self { channel: ChannelId::from(channel), client })
    }
}

/// Why a conversation id from outside is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConversationIdError {
    /// Not `<channel>:<client_id>`.
    #[error("conversation must be <channel>:<client_id>")]
    Shape,
    /// The client id part is not acceptable.
    #[error(transparent)]
    Client(ClientIdError),
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.client)
    }
}

impl Serialize for ConversationId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConversationId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("conversation id must be <channel>:<client_id>"))
    }
}

/// A point in time: milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The time `span` later.
    pub fn after(self, span: Span) -> Self {
        Self(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Span {
        Span((self.0 - earlier.0).max(0))
    }

    /// RFC 3339 UTC with milliseconds, as the wire contract writes times.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000);
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0));
        let base = humantime::format_rfc3339_seconds(time).to_string();
        // "YYYY-MM-DDTHH:MM:SSZ" -> insert the milliseconds before the zone.
        format!("{}.{millis:03}Z", base.trim_end_matches('Z'))
    }

    /// Parses an RFC 3339 UTC time (as written by [`Timestamp::to_rfc3339`] or with any fraction).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = humantime::parse_rfc3339_weak(s).ok()?;
        let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
        i64::try_from(d.as_millis()).ok().map(Self)
    }
}

/// A length of time in milliseconds (configuration gives seconds, fractions allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Span(pub i64);

impl Span {
    /// `ms` milliseconds.
    pub const fn millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Whole seconds.
    pub const fn secs(s: i64) -> Self {
        Self(s * 1000)
    }

    /// Seconds as a JSON-friendly number with millisecond precision.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// A std duration as a span (saturating).
    pub fn from_std(d: std::time::Duration) -> Self {
        Span(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// The span as a std duration (negative spans are zero).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.0).unwrap_or(0))
    }
}

impl std::ops::Add for Span {
    type Output = Span;
    fn add(self, rhs: Span) -> Span {
        Span(self.0.saturating_add(rhs.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_id_splits_at_the_first_colon() {
        let c = ConversationId::parse("web:c:42").unwrap();
        assert_eq!((c.channel.as_str(), c.client.as_str()), ("web", "c:42"));
        assert_eq!(c.to_string(), "web:c:42");
        assert!(ConversationId::parse("web:").is_none());
        assert!(ConversationId::parse(":x").is_none());
        assert!(ConversationId::parse("nocolon").is_none());
    }

    #[test]
    fn client_ids_from_outside_are_1_to_128_printable_characters() {
        assert!(ClientId::checked("c-42").is_ok());
        assert!(ClientId::checked(&"é".repeat(128)).is_ok(), "counted in characters, not bytes");
        assert_eq!(ClientId::checked(&"é".repeat(129)), Err(ClientIdError::Length));
        assert_eq!(ClientId::checked(""), Err(ClientIdError::Length));
        for bad in
            ["a\r\nb", "tab\t", "nul\0", "del\u{7f}", "c1\u{85}", "rtl\u{202E}x", "ls\u{2028}", "bom\u{FEFF}"]
        {
            assert_eq!(ClientId::checked(bad), Err(ClientIdError::NotPrintable), "{bad:?}");
        }
        assert!(ClientId::checked("Анна 👋 c:1").is_ok(), "letters, emoji, spaces and colons are fine");
        assert!(ClientId::checked("👨\u{200D}👩\u{200D}👧").is_ok(), "joiners inside emoji are fine");
    }

    #[test]
    fn conversation_ids_from_outside_check_their_client_id() {
        let c = ConversationId::parse_checked("web:c:42").unwrap();
        assert_eq!(c.client.as_str(), "c:42");
        assert_eq!(ConversationId::parse_checked("nocolon"), Err(ConversationIdError::Shape));
        assert_eq!(ConversationId::parse_checked(":c1"), Err(ConversationIdError::Shape));
        assert_eq!(
            ConversationId::parse_checked("web:"),
            Err(ConversationIdError::Client(ClientIdError::Length))
        );
        let long = format!("web:{}", "x".repeat(100_000));
        assert_eq!(
            ConversationId::parse_checked(&long),
            Err(ConversationIdError::Client(ClientIdError::Length))
        );
        assert!(ConversationId::parse_checked("web:a\nb").is_err());
    }

    #[test]
    fn timestamps_print_as_rfc3339_with_milliseconds_and_parse_back() {
        let t = Timestamp(1_700_000_000_123);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn spans_never_go_negative() {
        assert_eq!(Timestamp(5).since(Timestamp(9)), Span(0));
        assert_eq!(Timestamp(9).since(Timestamp(5)), Span(4));
        assert_eq!(Span::secs(2).as_secs_f64(), 2.0);
    }
}

/// Serde helpers writing [`Timestamp`]s as RFC 3339 strings (the wire format) instead of ms.
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Timestamp;

    /// Serialises a timestamp as RFC 3339.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    /// Parses an RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s}")))
    }

    /// The same for optional timestamps (`null` when absent).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        use super::super::Timestamp;

        /// Serialises an optional timestamp as RFC 3339 or `null`.
        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&t.to_rfc3339()),
                None => s.serialize_none(),
            }
        }

        /// Parses an optional RFC 3339 timestamp.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
            let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
            s.map(|s| {
                Timestamp::parse_rfc3339(&s)
                    .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s}")))
            })
            .transpose()
        }
    }
}

//! The dialog-list filters and sort (PROTOCOL 4 `GET /api/v1/chats`, SPEC 7), shared by the
//! JSON list and the CSV export: query parameters → a [`ChatQuery`]. Every value is checked
//! here, so the store only ever sees well-formed queries.

use crate::domain::{
    is_printable, ChannelId, ClientId, DetailedStatus, Direction, GeneralStatus, LineId, OperatorId, Phase,
    Status, Timestamp,
};
use crate::store::{ChatQuery, SortColumn, SortKey, TimeColumn, TimeRange};

use crate::edge::params::{one_of, wire, Params};
use crate::edge::EdgeError;

/// The filter and sort parameters (both endpoints).
pub const FILTERS: [&str; 36] = [
    "status",
    "detailed_status",
    "general_status",
    "phase",
    "direction",
    "responsible",
    "participant",
    "line",
    "channel",
    "client",
    "client_id",
    "spam",
    "pinned",
    "request_type",
    "reasons",
    "components",
    "client_rating",
    "supervisor_rating",
    "q",
    "created_from",
    "created_to",
    "queued_from",
    "queued_to",
    "taken_from",
    "taken_to",
    "first_response_from",
    "first_response_to",
    "last_message_from",
    "last_message_to",
    "operator_closed_from",
    "operator_closed_to",
    "finished_from",
    "finished_to",
    "updated_from",
    "updated_to",
    "sort",
];

/// Most words `q` may hold.
pub const MAX_WORDS: usize = 16;
/// Longest word of `q`, and longest value of a free-text filter (characters).
pub const MAX_VALUE_CHARS: usize = 200;

const STATUSES: [&str; 6] = ["new", "open", "pending", "on_hold", "closed", "spam"];
const DETAILED: [&str; 9] = [
    "spam",
    "finished",
    "closing",
    "queued",
    "new",
    "in_work",
    "client_waiting",
    "operator_answered",
    "client_waiting_new_question",
];
const GENERAL: [&str; 3] = ["client_waiting", "operator_answered", "finished"];
const PHASES: [&str; 3] = ["active", "closing", "finished"];
const DIRECTIONS: [&str; 2] = ["incoming", "outgoing"];

/// Reads the filters and sort of `params` (scope, limit and cursor are the caller's business).
pub fn chat_query(params: &Params) -> Result<ChatQuery, EdgeError> {
    let id = |s: &str| valid_id(s).then(|| s.to_owned());
    let value = |s: &str| valid_value(s).then(|| s.to_owned());
    let boolean = |s: &str| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let rating = |max: u8| move |s: &str| s.parse::<u8>().ok().filter(|n| (1..=max).contains(n));
    let sort = params.one_as("sort", &sort_columns(), SortKey::parse)?.unwrap_or_default();
    Ok(ChatQuery {
        status: params.any_of("status", &one_of(&STATUSES), wire::<Status>)?,
        detailed_status: params.any_of("detailed_status", &one_of(&DETAILED), wire::<DetailedStatus>)?,
        general_status: params.any_of("general_status", &one_of(&GENERAL), wire::<GeneralStatus>)?,
        phase: params.any_of("phase", &one_of(&PHASES), wire::<Phase>)?,
        direction: params.any_of("direction", &one_of(&DIRECTIONS), wire::<Direction>)?,
        responsible: params
            .any_of("responsible", "an operator id", id)?
            .into_iter()
            .map(OperatorId::from)
            .collect(),
        participant: params
            .any_of("participant", "an operator id", id)?
            .into_iter()
            .map(OperatorId::from)
            .collect(),
        line: params.any_of("line", "a line id", id)?.into_iter().map(LineId::from).collect(),
        channel: params.any_of("channel", "a channel id", id)?.into_iter().map(ChannelId::from).collect(),
        client: params.one_as("client", &text_value(), value)?,
        client_id: params
            .one_as("client_id", "a client id (1-128 printable characters)", |s| ClientId::checked(s).ok())?,
        spam: params.one_as("spam", "true or false", boolean)?,
        pinned: params.one_as("pinned", "true or false", boolean)?,
        request_type: params.any_of("request_type", &text_value(), value)?,
        reasons: params.any_of("reasons", &text_value(), value)?,
        components: params.any_of("components", &text_value(), value)?,
        client_rating: params.any_of("client_rating", "a rating from 1 to 3", rating(3))?,
        supervisor_rating: params.any_of("supervisor_rating", "a rating from 1 to 5", rating(5))?,
        times: time_ranges(params)?,
        words: words(params.one("q")?)?,
        scope: None,
        sort,
        limit: 0,
        cursor: None,
    })
}

/// Every `<t>_from` / `<t>_to` given, one range per timestamp.
fn time_ranges(params: &Params) -> Result<Vec<TimeRange>, EdgeError> {
    let mut ranges = Vec::new();
    for (column, name) in TimeColumn::ALL {
        let bound =
            |end: &str| params.one_as(&format!("{name}_{end}"), "an RFC 3339 time", Timestamp::parse_rfc3339);
        let (from, to) = (bound("from")?, bound("to")?);
        if from.is_some() || to.is_some() {
            ranges.push(TimeRange { column, from, to });
        }
    }
    Ok(ranges)
}

/// The words of `q`: separated by white space, each holding a letter or digit (what the word
/// index keeps) and at most [`MAX_VALUE_CHARS`] characters, at most [`MAX_WORDS`] of them.
pub fn words(q: Option<&str>) -> Result<Vec<String>, EdgeError> {
    let Some(q) = q else { return Ok(Vec::new()) };
    let words: Vec<String> = q.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Err(EdgeError::bad_request("q: give one or more words to search for"));
    }
    if words.len() > MAX_WORDS {
        return Err(EdgeError::bad_request(format!("q: at most {MAX_WORDS} words")));
    }
    for word in &words {
        if word.chars().count() > MAX_VALUE_CHARS {
            return Err(EdgeError::bad_request(format!(
                "q: a word is longer than {MAX_VALUE_CHARS} characters"
            )));
        }
        if !word.chars().any(char::is_alphanumeric) {
            return Err(EdgeError::bad_request(format!("q: {word:?} has no letter or digit to search for")));
        }
        if !word.chars().all(is_printable) {
            return Err(EdgeError::bad_request("q: control characters cannot be searched for"));
        }
    }
    Ok(words)
}

/// Ids in filters: what configuration allows for channel, line and operator ids (chats outlive
/// configuration, so an id need not be configured now to be searched for).
fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Free-text filter values (client, request type, reasons, components): printable, not empty,
/// at most [`MAX_VALUE_CHARS`] characters.
fn valid_value(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= MAX_VALUE_CHARS && s.chars().all(is_printable)
}

fn text_value() -> String {
    format!("a text of 1 to {MAX_VALUE_CHARS} printable characters")
}

fn sort_columns() -> String {
    let names: Vec<&str> = SortColumn::ALL.iter().map(|(_, n)| *n).collect();
    format!("a column, optionally prefixed by - (descending): {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Result<ChatQuery, EdgeError> {
        chat_query(&Params::parse(q, &FILTERS)?)
    }

    #[test]
    fn every_filter_is_read_and_lists_mean_any_of() {
        let q = query(
            "status=new,open&detailed_status=in_work&general_status=finished&phase=active\
             &direction=outgoing&responsible=alice,bob&participant=xena&line=line1&channel=web\
             &client=ann&client_id=c,1&spam=false&pinned=true&request_type=refund\
             &reasons=late,broken&components=app&client_rating=1,3&supervisor_rating=5\
             &q=refund+%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7&created_from=2024-01-01T00:00:00Z\
             &created_to=2024-01-02T00:00:00.500Z&finished_to=2024-01-03T00:00:00Z&sort=-updated_at",
        )
        .unwrap();
        assert_eq!(q.status, vec![Status::New, Status::Open]);
        assert_eq!(q.detailed_status, vec![DetailedStatus::InWork]);
        assert_eq!(q.general_status, vec![GeneralStatus::Finished]);
        assert_eq!(q.phase, vec![Phase::Active]);
        assert_eq!(q.direction, vec![Direction::Outgoing]);
        assert_eq!(q.responsible, vec![OperatorId::from("alice"), OperatorId::from("bob")]);
        assert_eq!(q.participant, vec![OperatorId::from("xena")]);
        assert_eq!(q.line, vec![LineId::from("line1")]);
        assert_eq!(q.channel, vec![ChannelId::from("web")]);
        assert_eq!(q.client.as_deref(), Some("ann"));
        assert_eq!(q.client_id, Some(ClientId::from("c,1")), "one exact id: its commas are its own");
        assert_eq!((q.spam, q.pinned), (Some(false), Some(true)));
        assert_eq!(q.request_type, ["refund"]);
        assert_eq!(q.reasons, ["late", "broken"]);
        assert_eq!(q.components, ["app"]);
        assert_eq!((q.client_rating, q.supervisor_rating), (vec![1, 3], vec![5]));
        assert_eq!(q.words, ["refund", "заказ"]);
        assert_eq!(
            q.times,
            [
                TimeRange {
                    column: TimeColumn::Created,
                    from: Some(Timestamp(1_704_067_200_000)),
                    to: Some(Timestamp(1_704_153_600_500)),
                },
                TimeRange {
                    column: TimeColumn::Finished,
                    from: None,
                    to: Some(Timestamp(1_704_240_000_000))
                },
            ]
        );
        assert_eq!(q.sort, SortKey { column: SortColumn::UpdatedAt, descending: true });
    }

    #[test]
    fn every_timestamp_has_a_from_and_a_to() {
        for (column, name) in TimeColumn::ALL {
            let q =
                query(&format!("{name}_from=2024-01-01T00:00:00Z&{name}_to=2024-01-01T00:00:01Z")).unwrap();
            assert_eq!(q.times.len(), 1, "{name}");
            assert_eq!(q.times[0].column, column);
            assert_eq!(q.times[0].from.map(|t| t.millis()), Some(1_704_067_200_000));
            assert_eq!(q.times[0].to.map(|t| t.millis()), Some(1_704_067_201_000));
        }
    }

    #[test]
    fn the_default_sort_is_newest_first() {
        assert_eq!(query("").unwrap().sort, SortKey::default());
    }

    #[test]
    fn q_is_split_on_white_space_into_words_that_hold_a_letter_or_digit() {
        assert_eq!(words(Some("  refund   order#12 ")).unwrap(), ["refund", "order#12"]);
        assert_eq!(words(None).unwrap(), Vec::<String>::new());
        for bad in
            ["", "   ", "refund ?!", &"w ".repeat(MAX_WORDS + 1), &"x".repeat(MAX_VALUE_CHARS + 1), "a\u{0}b"]
        {
            let err = words(Some(bad)).unwrap_err();
            assert!(err.message.starts_with("q:"), "{bad:?}: {}", err.message);
        }
        assert_eq!(words(Some(&"w ".repeat(MAX_WORDS))).unwrap().len(), MAX_WORDS);
    }

    #[test]
    fn bad_values_are_refused_naming_their_parameter() {
        for (q, name) in [
            ("status=closedd", "status"),
            ("phase=over", "phase"),
            ("detailed_status=new,x", "detailed_status"),
            ("general_status=open", "general_status"),
            ("direction=sideways", "direction"),
            ("spam=yes", "spam"),
            ("pinned=1", "pinned"),
            ("participant=", "participant"),
            ("client_id=", "client_id"),
            ("client=", "client"),
            ("reasons=a,,b", "reasons"),
            ("components=%07", "components"),
            ("client_rating=4", "client_rating"),
            ("client_rating=0", "client_rating"),
            ("supervisor_rating=6", "supervisor_rating"),
            ("supervisor_rating=two", "supervisor_rating"),
            ("q=%3F%3F", "q"),
            ("created_from=yesterday", "created_from"),
            ("created_to=2024-13-01T00:00:00Z", "created_to"),
            ("operator_closed_from=now", "operator_closed_from"),
            ("updated_to=1", "updated_to"),
            ("finished_from=2024-01-01T00:00:00Z&finished_from=2024-01-02T00:00:00Z", "finished_from"),
            ("sort=colour", "sort"),
            ("line=", "line"),
            ("status=new&status=", "status"),
        ] {
            let err = query(q).unwrap_err();
            assert_eq!(err.code.as_str(), "bad_request");
            assert!(err.message.starts_with(name), "{q}: {}", err.message);
        }
    }
}

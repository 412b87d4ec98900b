//! The dialog-list filters and sort (PROTOCOL 4 `GET /api/v1/chats`, SPEC 7), shared by the
//! JSON list and the CSV export: query parameters → a [`ChatQuery`]. Every value is checked
//! here, so the store only ever sees well-formed queries.

use crate::domain::{ChannelId, DetailedStatus, GeneralStatus, LineId, OperatorId, Phase, Status, Timestamp};
use crate::store::{ChatQuery, SortColumn, SortKey};

use crate::edge::params::{one_of, wire, Params};
use crate::edge::EdgeError;

/// The filter and sort parameters (both endpoints).
pub const FILTERS: [&str; 12] = [
    "status",
    "detailed_status",
    "general_status",
    "phase",
    "responsible",
    "line",
    "channel",
    "client",
    "spam",
    "created_from",
    "created_to",
    "sort",
];

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

/// Reads the filters and sort of `params` (scope, limit and cursor are the caller's business).
pub fn chat_query(params: &Params) -> Result<ChatQuery, EdgeError> {
    let id = |s: &str| valid_id(s).then(|| s.to_owned());
    let client = params.one("client")?.map(str::to_owned);
    let spam = params.one_as("spam", "true or false", |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })?;
    let sort = params.one_as("sort", &sort_columns(), SortKey::parse)?.unwrap_or_default();
    Ok(ChatQuery {
        status: params.any_of("status", &one_of(&STATUSES), wire::<Status>)?,
        detailed_status: params.any_of("detailed_status", &one_of(&DETAILED), wire::<DetailedStatus>)?,
        general_status: params.any_of("general_status", &one_of(&GENERAL), wire::<GeneralStatus>)?,
        phase: params.any_of("phase", &one_of(&PHASES), wire::<Phase>)?,
        responsible: params
            .any_of("responsible", "an operator id", id)?
            .into_iter()
            .map(OperatorId::from)
            .collect(),
        line: params.any_of("line", "a line id", id)?.into_iter().map(LineId::from).collect(),
        channel: params.any_of("channel", "a channel id", id)?.into_iter().map(ChannelId::from).collect(),
        client,
        spam,
        created_from: params.one_as("created_from", "an RFC 3339 time", Timestamp::parse_rfc3339)?,
        created_to: params.one_as("created_to", "an RFC 3339 time", Timestamp::parse_rfc3339)?,
        scope: None,
        sort,
        limit: 0,
        cursor: None,
    })
}

/// Ids in filters: what configuration allows for channel, line and operator ids (chats outlive
/// configuration, so an id need not be configured now to be searched for).
fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
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
             &responsible=alice,bob&line=line1&channel=web&client=ann&spam=false\
             &created_from=2024-01-01T00:00:00Z&created_to=2024-01-02T00:00:00.500Z&sort=-updated_at",
        )
        .unwrap();
        assert_eq!(q.status, vec![Status::New, Status::Open]);
        assert_eq!(q.detailed_status, vec![DetailedStatus::InWork]);
        assert_eq!(q.general_status, vec![GeneralStatus::Finished]);
        assert_eq!(q.phase, vec![Phase::Active]);
        assert_eq!(q.responsible, vec![OperatorId::from("alice"), OperatorId::from("bob")]);
        assert_eq!(q.line, vec![LineId::from("line1")]);
        assert_eq!(q.channel, vec![ChannelId::from("web")]);
        assert_eq!(q.client.as_deref(), Some("ann"));
        assert_eq!(q.spam, Some(false));
        assert_eq!(q.created_from, Some(Timestamp(1_704_067_200_000)));
        assert_eq!(q.created_to, Some(Timestamp(1_704_153_600_500)));
        assert_eq!(q.sort, SortKey { column: SortColumn::UpdatedAt, descending: true });
    }

    #[test]
    fn the_default_sort_is_newest_first() {
        assert_eq!(query("").unwrap().sort, SortKey::default());
    }

    #[test]
    fn bad_values_are_refused_naming_their_parameter() {
        for (q, name) in [
            ("status=closedd", "status"),
            ("phase=over", "phase"),
            ("detailed_status=new,x", "detailed_status"),
            ("general_status=open", "general_status"),
            ("spam=yes", "spam"),
            ("created_from=yesterday", "created_from"),
            ("created_to=2024-13-01T00:00:00Z", "created_to"),
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

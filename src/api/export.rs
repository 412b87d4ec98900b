//! `GET /api/v1/chats.csv`: every chat matching the dialog-list filters (and the caller's
//! scope), as CSV with a header row; `columns` chooses the columns and their order (all of
//! [`COLUMNS`] by default). The store is paged through with its keyset cursor and each
//! page is streamed as it is read, so an export of any size holds one page in memory. The first
//! page is read before the answer starts, so a failing store still gets a proper error status;
//! a failure on a later page can only cut the stream short (the client sees a truncated body).
//!
//! Cells are safe to open in a spreadsheet (SPEC 8, OWASP "CSV injection"): every free-text cell
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so it is
//! read as text, never run as a formula. Numbers, times and enum words are written as they are.
//! The JSON API keeps the raw values.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;

use crate::domain::{ChatView, Status, Timestamp};
use crate::edge::AppState;
use crate::node::Node;
use crate::store::{ChatPage, ChatQuery};
use std::sync::Arc;

use super::filters::{chat_query, FILTERS};
use crate::edge::params::Params;
use crate::edge::scope::list_scope;
use crate::edge::Caller;
use crate::edge::EdgeError;

/// Chats read from the store per page.
const PAGE: usize = 500;

/// Every column, in the default order: chat fields, then every SPEC 6 metric.
pub const COLUMNS: [&str; 43] = [
    "id",
    "conversation",
    "channel",
    "line",
    "direction",
    "client_id",
    "client_name",
    "responsible",
    "participants",
    "subject",
    "request_type",
    "reasons",
    "components",
    "page_url",
    "phase",
    "status",
    "detailed_status",
    "general_status",
    "spam",
    "pinned",
    "prev_chat",
    "next_chat",
    "client_rating",
    "operator_rating",
    "supervisor_rating",
    "supervisor_comment",
    "created_at",
    "updated_at",
    "queued_at",
    "taken_at",
    "first_response_at",
    "last_message_at",
    "operator_closed_at",
    "finished_at",
    "wait_first_response",
    "time_to_take",
    "time_to_operator_close",
    "duration",
    "first_message_response",
    "bot_time",
    "total_response",
    "avg_response",
    "max_response",
];

/// `GET /api/v1/chats.csv`: `text/csv`, one row per chat.
#[utoipa::path(get, path = "/api/v1/chats.csv", tag = "chats", security(("operator_jwt" = [])),
    params(("columns" = Option<String>, Query, description = "Comma list of chat columns, in that order (default all)")),
    responses((status = 200, description = "CSV with a header row of column names", content_type = "text/csv", body = String)))]
pub async fn csv(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    let known: Vec<&str> = FILTERS.iter().copied().chain(["columns"]).collect();
    let params = Params::parse(req.query_string(), &known)?;
    let mut query = chat_query(&params)?;
    let columns = Arc::new(chosen_columns(params.one("columns")?)?);
    query.scope = list_scope(&state.config.settings, &caller);
    query.limit = PAGE;
    let node = state.node.clone();
    let first = node.chats(query.clone()).await?;
    let head = encode(Some(&columns), &columns, &first.items)?;
    let rest = stream::try_unfold(next_page(query, &first), move |next| {
        let node = node.clone();
        let columns = Arc::clone(&columns);
        async move { read_page(node, &columns, next).await }
    });
    let body = stream::once(async move { Ok::<_, EdgeError>(head) });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"chats.csv\""))
        .streaming(futures_util::StreamExt::chain(body, rest)))
}

/// The query of the page after `page`, if there is one.
fn next_page(mut query: ChatQuery, page: &ChatPage) -> Option<ChatQuery> {
    let cursor = page.next_cursor.clone()?;
    query.cursor = Some(cursor);
    Some(query)
}

async fn read_page(
    node: Arc<Node>,
    columns: &[usize],
    query: Option<ChatQuery>,
) -> Result<Option<(Bytes, Option<ChatQuery>)>, EdgeError> {
    let Some(query) = query else { return Ok(None) };
    let page = node.chats(query.clone()).await?;
    let bytes = encode(None, columns, &page.items)?;
    Ok(Some((bytes, next_page(query, &page))))
}

/// The positions in [`COLUMNS`] of the columns `columns` names (comma-separated, in its order);
/// all of them without it. An unknown, empty or repeated name is a `bad_request`.
pub fn chosen_columns(columns: Option<&str>) -> Result<Vec<usize>, EdgeError> {
    let Some(names) = columns else { return Ok((0..COLUMNS.len()).collect()) };
    let mut chosen = Vec::new();
    for name in names.split(',').map(str::trim) {
        let Some(at) = COLUMNS.iter().position(|c| *c == name) else {
            return Err(EdgeError::bad_request(format!(
                "columns: {name:?} is not a column; the columns are {}",
                COLUMNS.join(", ")
            )));
        };
        if chosen.contains(&at) {
            return Err(EdgeError::bad_request(format!("columns: {name:?} is given twice")));
        }
        chosen.push(at);
    }
    Ok(chosen)
}

/// CSV text of `chats` in the `columns` (positions in [`COLUMNS`]), after the header row if
/// `header` (the same positions); the `csv` crate does the quoting.
fn encode(header: Option<&[usize]>, columns: &[usize], chats: &[ChatView]) -> Result<Bytes, EdgeError> {
    let failed = |e: csv::Error| EdgeError::unavailable("the CSV export", &e);
    let mut out = csv::Writer::from_writer(Vec::with_capacity(32 * columns.len() * (chats.len() + 1)));
    if let Some(header) = header {
        out.write_record(header.iter().map(|&i| COLUMNS[i])).map_err(failed)?;
    }
    for chat in chats {
        let cells = row(chat);
        out.write_record(columns.iter().map(|&i| cells[i].as_str())).map_err(failed)?;
    }
    let bytes = out.into_inner().map_err(|e| failed(e.into_error().into()))?;
    Ok(Bytes::from(bytes))
}

/// A free-text cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@`, tab or CR
/// gets a leading `'` (the OWASP rule); any other is unchanged.
pub fn text_cell(value: String) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value
    }
}

/// One chat as a row of [`COLUMNS`]: lists joined with `;`, absent values empty, times RFC 3339,
/// durations in seconds with millisecond precision; free text through [`text_cell`].
pub fn row(c: &ChatView) -> Vec<String> {
    let opt = |v: Option<String>| text_cell(v.unwrap_or_default());
    let list = |v: &[String]| text_cell(v.join(";"));
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let time = |t: Option<Timestamp>| t.map(Timestamp::to_rfc3339).unwrap_or_default();
    let secs = |d: Option<f64>| d.map(|s| format!("{s:.3}")).unwrap_or_default();
    let m = &c.metrics;
    vec![
        c.id.to_string(),
        text_cell(c.conversation.to_string()),
        text_cell(c.channel.to_string()),
        text_cell(c.line.to_string()),
        c.direction.as_str().to_owned(),
        text_cell(c.client.id.to_string()),
        opt(c.client.name.clone()),
        opt(c.responsible.as_ref().map(ToString::to_string)),
        list(&c.participants.iter().map(ToString::to_string).collect::<Vec<_>>()),
        opt(c.subject.clone()),
        opt(c.request_type.clone()),
        list(&c.reasons),
        list(&c.components),
        opt(c.page_url.clone()),
        c.phase.as_str().to_owned(),
        c.status.as_str().to_owned(),
        c.detailed_status.as_str().to_owned(),
        c.general_status.as_str().to_owned(),
        (c.status == Status::Spam).to_string(),
        c.pinned.to_string(),
        num(c.prev_chat.map(|id| id.0)),
        num(c.next_chat.map(|id| id.0)),
        num(c.client_rating.map(u64::from)),
        num(c.operator_rating.map(u64::from)),
        num(c.supervisor_rating.map(u64::from)),
        opt(c.supervisor_comment.clone()),
        c.created_at.to_rfc3339(),
        c.updated_at.to_rfc3339(),
        time(m.queued_at),
        time(m.taken_at),
        time(m.first_response_at),
        time(m.last_message_at),
        time(m.operator_closed_at),
        time(m.finished_at),
        secs(m.wait_first_response),
        secs(m.time_to_take),
        secs(m.time_to_operator_close),
        secs(m.duration),
        secs(m.first_message_response),
        secs(m.bot_time),
        secs(m.total_response),
        secs(m.avg_response),
        secs(m.max_response),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::active_open;

    #[test]
    fn a_row_has_a_value_per_column_and_the_csv_crate_quotes_commas_and_quotes() {
        let w = active_open();
        let mut chat = ChatView::of(&w.conv, w.latest());
        chat.subject = Some("Refund, \"urgent\"".into());
        chat.reasons = vec!["a".into(), "b".into()];
        assert_eq!(row(&chat).len(), COLUMNS.len());
        let all = chosen_columns(None).unwrap();
        let text = String::from_utf8(encode(Some(&all), &all, &[chat]).unwrap().to_vec()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
        let line = lines.next().unwrap();
        assert!(line.contains(",\"Refund, \"\"urgent\"\"\","), "{line}");
        assert!(line.contains(",a;b,"), "{line}");
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn chosen_columns_come_in_the_given_order_and_bad_names_are_refused() {
        let w = active_open();
        let mut chat = ChatView::of(&w.conv, w.latest());
        chat.subject = Some("=1+1".into());
        let chosen = chosen_columns(Some("subject,id, status")).unwrap();
        let text =
            String::from_utf8(encode(Some(&chosen), &chosen, &[chat.clone()]).unwrap().to_vec()).unwrap();
        assert_eq!(text, format!("subject,id,status\n'=1+1,{},{}\n", chat.id, chat.status.as_str()));
        for (bad, says) in [("id,colour", "colour"), ("id,,status", "\"\""), ("id,id", "twice"), ("", "\"\"")]
        {
            let err = chosen_columns(Some(bad)).unwrap_err();
            assert_eq!(err.code.as_str(), "bad_request");
            assert!(
                err.message.starts_with("columns:") && err.message.contains(says),
                "{bad}: {}",
                err.message
            );
        }
        assert_eq!(chosen_columns(None).unwrap().len(), COLUMNS.len());
    }

    #[test]
    fn cells_a_spreadsheet_would_run_get_a_leading_quote() {
        for (raw, safe) in [
            ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
        ] {
            assert_eq!(text_cell(raw.into()), safe);
        }
        for plain in ["Ann", "a=b", " =1", "", "'quoted", "42"] {
            assert_eq!(text_cell(plain.into()), plain);
        }
    }

    #[test]
    fn every_free_text_column_is_neutralised_and_numbers_and_times_are_not() {
        let w = active_open();
        let mut chat = ChatView::of(&w.conv, w.latest());
        let evil = "=cmd|' /C calc'!A0";
        chat.client.name = Some(evil.into());
        chat.subject = Some("+evil".into());
        chat.page_url = Some("@SUM(1)".into());
        chat.request_type = Some("-x".into());
        chat.reasons = vec!["=a".into(), "b".into()];
        chat.components = vec!["@c".into()];
        chat.supervisor_comment = Some("\t=x".into());
        let cells = row(&chat);
        let at = |name: &str| cells[COLUMNS.iter().position(|c| *c == name).unwrap()].clone();
        assert_eq!(at("client_name"), format!("'{evil}"));
        assert_eq!(at("subject"), "'+evil");
        assert_eq!(at("page_url"), "'@SUM(1)");
        assert_eq!(at("request_type"), "'-x");
        assert_eq!(at("reasons"), "'=a;b");
        assert_eq!(at("components"), "'@c");
        assert_eq!(at("supervisor_comment"), "'\t=x");
        assert_eq!(at("id"), chat.id.to_string());
        assert_eq!(at("created_at"), chat.created_at.to_rfc3339());
        assert!(cells.iter().all(|cell| !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])), "{cells:?}");
    }
}

//! Reading chats: the dialog list (`GET /api/v1/chats`), one chat (`GET /api/v1/chats/{id}`)
//! and its messages (`GET /api/v1/chats/{id}/messages`). Reads go to the store, which holds
//! every acknowledged change; scope is applied before anything is read.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::domain::{ChatId, ChatView};
use crate::edge::AppState;
use crate::store::MessageQuery;

use super::filters::{chat_query, FILTERS};
use crate::edge::params::Params;
use crate::edge::scope::{list_scope, readable_chat, visible_chat};
use crate::edge::Caller;
use crate::edge::EdgeError;

/// Largest page of chats or messages.
pub const MAX_LIMIT: u64 = 500;
/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 50;

/// `GET /api/v1/chats`: `{"items":[chat],"next_cursor":string|null}`.
#[utoipa::path(get, path = "/api/v1/chats", tag = "chats", security(("operator_jwt" = [])),
    params(
        ("limit" = Option<u64>, Query, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "A page of chats the caller sees", body = super::shapes::ChatPage)))]
pub async fn list(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    let known: Vec<&str> = FILTERS.iter().copied().chain(["limit", "cursor"]).collect();
    let params = Params::parse(req.query_string(), &known)?;
    let mut query = chat_query(&params)?;
    query.limit =
        usize::try_from(params.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT)).unwrap_or(usize::MAX);
    query.cursor = params.one("cursor")?.map(str::to_owned);
    query.scope = list_scope(&state.config.settings, &caller);
    let page = state.node.chats(query).await.map_err(|e| match e {
        // The only malformed part the store can still see is the cursor ("bad cursor: ...").
        crate::store::StoreError::BadQuery(m) => EdgeError::bad_request(m),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(json!({"items": page.items, "next_cursor": page.next_cursor})))
}

/// `GET /api/v1/chats/{id}`: the chat.
#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = "chats", security(("operator_jwt" = [])),
    params(("id" = u64, Path, description = "Chat number")),
    responses((status = 200, description = "The chat", body = ChatView)))]
pub async fn get(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    id: web::Path<u64>,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    Params::parse(req.query_string(), &[])?;
    let chat = visible_chat(&state, &caller, ChatId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(chat))
}

/// `GET /api/v1/chats/{id}/messages?before_seq&limit`: `{"items":[message]}`, the latest `limit`
/// before `before_seq`, oldest first, private notes included (operators see notes).
#[utoipa::path(get, path = "/api/v1/chats/{id}/messages", tag = "chats", security(("operator_jwt" = [])),
    params(
        ("id" = u64, Path, description = "Chat number"),
        ("before_seq" = Option<u64>, Query, description = "Only messages before this seq"),
        ("limit" = Option<u64>, Query, description = "How many, 1-500 (default 50)"),
    ),
    responses((status = 200, description = "The latest messages, oldest first, notes included", body = super::shapes::MessageList)))]
pub async fn messages(
    state: web::Data<AppState>,
    Caller(caller): Caller,
    id: web::Path<u64>,
    req: HttpRequest,
) -> Result<HttpResponse, EdgeError> {
    let params = Params::parse(req.query_string(), &["before_seq", "limit"])?;
    let before_seq = params.number("before_seq", 1, u64::MAX)?;
    let limit = params.number("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    let chat = readable_chat(&state, &caller, ChatId(id.into_inner())).await?;
    let query = MessageQuery {
        conversation: chat.conversation,
        chat: Some(chat.id),
        before_seq,
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        include_private: true,
    };
    let items = state.node.messages(query).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

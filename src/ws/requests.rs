//! What each socket request does: resolve the chat's conversation, check scope, run the command
//! through the node, and answer the ack fields (PROTOCOL 3.2, 3.3). Plain async functions: the
//! sessions only parse frames and send the answers.

use actix_web::web;
use serde_json::{json, Value};

use super::frames::{ClientRequest, OperatorRequest};
use super::render;
use std::cell::Cell;
use std::rc::Rc;

use crate::actors::messages::{DeclineOffer, OperatorTyping, SetPresence, TakeChat};
use crate::actors::registry::Registry;
use crate::actors::SubscriptionId;
use crate::api::ApiError;
use crate::auth::Identity;
use crate::domain::{access, text, ChatId, Command, ConversationId, FieldsUpdate, ForwardTarget, Reply, Seq};
use crate::server::AppState;
use crate::store::MessageQuery;

/// Who asks, through which socket.
pub struct Requester {
    /// Server state.
    pub app: web::Data<AppState>,
    /// The operator.
    pub me: Identity,
    /// Their socket's subscription (it gets the ack, not an echo).
    pub origin: Option<SubscriptionId>,
    /// `limits.max_text_chars`.
    pub max_text_chars: usize,
}

/// The ack fields of a command's reply.
fn reply_fields(reply: Reply) -> Value {
    match reply {
        Reply::Done => json!({}),
        Reply::Stored { chat, seq } => json!({"chat": chat, "seq": seq}),
        Reply::NewChat(chat) => json!({"new_chat": chat}),
        Reply::MergedInto(chat) => json!({"into": chat}),
        Reply::Automated(outcome) => json!({"outcome": outcome.as_str()}),
    }
}

fn check_text(text: &str, max: usize) -> Result<(), ApiError> {
    if text.len() > max && text.chars().count() > max {
        return Err(ApiError::new("too_large", format!("text is longer than {max} characters")));
    }
    Ok(())
}

/// Parses `<channel>:<client_id>` of a configured channel.
pub fn conversation_of(app: &AppState, conversation: &str) -> Result<ConversationId, ApiError> {
    let id = ConversationId::parse_checked(conversation).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if app.config.settings.channel(&id.channel).is_none() {
        return Err(ApiError::not_found(format!("unknown channel {}", id.channel)));
    }
    Ok(id)
}

impl Requester {
    async fn run(&self, conversation: &ConversationId, command: Command) -> Result<Value, ApiError> {
        let ack = self.app.node.execute(conversation, command, self.origin).await?;
        Ok(reply_fields(ack.reply))
    }

    /// Runs a command on the conversation of `chat`.
    async fn on_chat(&self, chat: ChatId, command: Command) -> Result<Value, ApiError> {
        let conversation = self.app.node.locate(chat).await?;
        self.run(&conversation, command).await
    }

    /// Messages of a chat the operator may see.
    async fn history(
        &self,
        chat: ChatId,
        before_seq: Option<Seq>,
        limit: Option<usize>,
    ) -> Result<Value, ApiError> {
        let shared = &self.app.node.shared;
        let view = shared
            .store
            .chat(chat)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("chat {chat} not found")))?;
        if !access::may_see_view(&shared.settings, &self.me.operator, &view, &shared.board.watchers(chat)) {
            return Err(ApiError::not_found(format!("chat {chat} not found")));
        }
        let query = MessageQuery {
            conversation: view.conversation.clone(),
            chat: Some(chat),
            before_seq,
            limit: limit.unwrap_or(50).clamp(1, 500),
            include_private: true,
        };
        let messages = shared.store.messages(query).await?;
        Ok(json!({"messages": messages, "prev_chat": view.prev_chat}))
    }
}

/// Carries out one operator request.
pub async fn operator(r: Requester, request: OperatorRequest) -> Result<Value, ApiError> {
    let by = r.me.operator.clone();
    match request {
        OperatorRequest::Presence { status } => {
            r.app.node.supervisor.do_send(SetPresence { operator: by, status });
            Ok(json!({}))
        }
        OperatorRequest::Send { chat, conversation, text, client_msg_id } => {
            check_text(&text, r.max_text_chars)?;
            let command = Command::OperatorMessage { by, chat, text, client_msg_id };
            match (chat, conversation) {
                (Some(chat), _) => r.on_chat(chat, command).await,
                (None, Some(conversation)) => r.run(&conversation_of(&r.app, &conversation)?, command).await,
                (None, None) => Err(ApiError::bad_request("send needs \"chat\" or \"conversation\"")),
            }
        }
        OperatorRequest::Note { chat, text } => {
            check_text(&text, r.max_text_chars)?;
            r.on_chat(chat, Command::Note { by, chat, text }).await
        }
        OperatorRequest::Take { chat } | OperatorRequest::Accept { chat } => {
            let accept = matches!(request, OperatorRequest::Accept { .. });
            let conversation = r.app.node.locate(chat).await?;
            let take = TakeChat { operator: by, chat, conversation, accept };
            let answer = r
                .app
                .node
                .supervisor
                .send(take)
                .await
                .map_err(|e| ApiError::unavailable("the supervisor", &e))?;
            Ok(reply_fields(answer?.reply))
        }
        OperatorRequest::Decline { chat } => {
            let decline = DeclineOffer { operator: by, chat };
            r.app
                .node
                .supervisor
                .send(decline)
                .await
                .map_err(|e| ApiError::unavailable("the supervisor", &e))??;
            Ok(json!({}))
        }
        OperatorRequest::Typing { chat } => {
            let conversation = r.app.node.locate(chat).await?;
            Registry::operator_typing(
                &r.app.node.shared,
                &conversation,
                OperatorTyping { operator: by, chat },
            )
            .await?;
            Ok(json!({}))
        }
        OperatorRequest::SetStatus { chat, status } => {
            r.on_chat(chat, Command::SetStatus { by, chat, status }).await
        }
        OperatorRequest::Finish { chat, status, operator_rating, request_vote } => {
            r.on_chat(chat, Command::Finish { by, chat, status, operator_rating, request_vote }).await
        }
        OperatorRequest::ForceFinish { chat } => r.on_chat(chat, Command::ForceFinish { by, chat }).await,
        OperatorRequest::Reopen { chat } => r.on_chat(chat, Command::Reopen { by, chat }).await,
        OperatorRequest::Forward { chat, to_operator, to_line } => {
            let to = match (to_operator, to_line) {
                (Some(op), None) => ForwardTarget::Operator(op.into()),
                (None, Some(line)) => ForwardTarget::Line(line.into()),
                _ => {
                    return Err(ApiError::bad_request(
                        "forward needs exactly one of \"to_operator\" and \"to_line\"",
                    ))
                }
            };
            r.on_chat(chat, Command::Forward { by, chat, to }).await
        }
        OperatorRequest::Invite { chat, operator } => {
            r.on_chat(chat, Command::Invite { by, chat, operator: operator.into() }).await
        }
        OperatorRequest::Split { chat } => r.on_chat(chat, Command::Split { by, chat }).await,
        OperatorRequest::MergePrevious { chat } => r.on_chat(chat, Command::MergePrevious { by, chat }).await,
        OperatorRequest::UpdateChat { chat, subject, request_type, reasons, components, pinned } => {
            if let Some(subject) = &subject {
                text::check_subject(subject)?;
            }
            let fields = FieldsUpdate { subject, request_type, reasons, components };
            r.on_chat(chat, Command::UpdateChat { by, chat, fields, pinned }).await
        }
        OperatorRequest::History { chat, before_seq, limit } => r.history(chat, before_seq, limit).await,
        OperatorRequest::Ping => Ok(json!({})),
    }
}

/// A client socket's identity.
pub struct ClientRequester {
    /// Server state.
    pub app: web::Data<AppState>,
    /// Its conversation.
    pub conversation: ConversationId,
    /// The display name it connected with.
    pub name: Option<String>,
    /// The widget page it connected from.
    pub page_url: Option<String>,
    /// Its socket's subscription.
    pub origin: Option<SubscriptionId>,
    /// The conversation has a journal (it had one at the welcome, or this socket wrote): only
    /// then may typing activate it.
    pub exists: Rc<Cell<bool>>,
}

/// Carries out one client request.
pub async fn client(r: ClientRequester, request: ClientRequest) -> Result<Value, ApiError> {
    let node = &r.app.node;
    match request {
        ClientRequest::Send { text, client_msg_id } => {
            check_text(&text, r.app.config.limits.max_text_chars)?;
            let command = Command::ClientMessage { text, client_msg_id, name: r.name, page_url: r.page_url };
            let ack = node.execute(&r.conversation, command, r.origin).await?;
            r.exists.set(true);
            Ok(reply_fields(ack.reply))
        }
        ClientRequest::Typing => {
            Registry::client_typing(&node.shared, &r.conversation, r.exists.get());
            Ok(json!({}))
        }
        ClientRequest::Vote { chat, score } => {
            let ack = node.execute(&r.conversation, Command::Vote { chat, score }, r.origin).await?;
            Ok(reply_fields(ack.reply))
        }
        ClientRequest::History { before_seq, limit } => {
            let query = MessageQuery {
                conversation: r.conversation,
                chat: None,
                before_seq,
                limit: limit.unwrap_or(50).clamp(1, 500),
                include_private: false,
            };
            Ok(json!({"messages": render::client_messages(&node.shared.store.messages(query).await?)}))
        }
        ClientRequest::Ping => Ok(json!({})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_length_is_counted_in_characters_not_bytes() {
        assert!(check_text("äöü", 3).is_ok(), "6 bytes, 3 characters");
        assert_eq!(check_text("abcd", 3).unwrap_err().code, "too_large");
    }
}

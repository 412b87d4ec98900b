//! What each socket request does: resolve the chat's conversation, check scope, run the command
//! through the node's door, and answer the ack fields and the message it stored (PROTOCOL 3.2,
//! 3.3). Plain async functions: the sessions only parse frames and send the answers.

use std::cell::Cell;
use std::rc::Rc;

use actix_web::web;
use serde_json::json;

use super::echo::StoredAt;
use super::frames::{ClientRequest, OperatorRequest};
use super::render;
use super::session::Answered;
use crate::auth::Identity;
use crate::domain::{text, ChatId, Command, ConversationId, FieldsUpdate, ForwardTarget, Reply, Seq};
use crate::edge::{scope, AppState, EdgeError, ErrorCode};
use crate::store::MessageQuery;

/// Who asks, through which socket.
pub struct Requester {
    /// Server state.
    pub app: web::Data<AppState>,
    /// The operator.
    pub me: Identity,
    /// `limits.max_text_chars`.
    pub max_text_chars: usize,
}

/// The answer of a command's reply, run on `conversation`.
fn answered(conversation: &ConversationId, reply: Reply) -> Answered {
    let stored = match reply {
        Reply::Stored { seq, .. } => Some::<StoredAt>((conversation.clone(), seq)),
        _ => None,
    };
    let fields = match reply {
        Reply::Done => json!({}),
        Reply::Stored { chat, seq } => json!({"chat": chat, "seq": seq}),
        Reply::NewChat(chat) => json!({"new_chat": chat}),
        Reply::MergedInto(chat) => json!({"into": chat}),
        Reply::Automated(outcome) => json!({"outcome": outcome.as_str()}),
    };
    Answered { fields, stored }
}

/// The ack fields of a reply that stores nothing on this socket's behalf (takes, accepts).
fn fields_of(reply: Reply) -> Answered {
    Answered::fields(match reply {
        Reply::Stored { chat, seq } => json!({"chat": chat, "seq": seq}),
        _ => json!({}),
    })
}

fn check_text(text: &str, max: usize) -> Result<(), EdgeError> {
    if text.len() > max && text.chars().count() > max {
        return Err(EdgeError::new(ErrorCode::TooLarge, format!("text is longer than {max} characters")));
    }
    Ok(())
}

/// Parses `<channel>:<client_id>` of a configured channel.
pub fn conversation_of(app: &AppState, conversation: &str) -> Result<ConversationId, EdgeError> {
    let id = ConversationId::parse_checked(conversation)?;
    if app.config.settings.channel(&id.channel).is_none() {
        return Err(EdgeError::not_found(format!("unknown channel {}", id.channel)));
    }
    Ok(id)
}

impl Requester {
    async fn run(&self, conversation: &ConversationId, command: Command) -> Result<Answered, EdgeError> {
        let reply = self.app.node.execute(conversation, command).await?;
        Ok(answered(conversation, reply))
    }

    /// Runs a command on the conversation of `chat`.
    async fn on_chat(&self, chat: ChatId, command: Command) -> Result<Answered, EdgeError> {
        let conversation = self.app.node.locate(chat).await?;
        self.run(&conversation, command).await
    }

    /// Messages of a chat the operator may see.
    async fn history(
        &self,
        chat: ChatId,
        before_seq: Option<Seq>,
        limit: Option<usize>,
    ) -> Result<Answered, EdgeError> {
        let node = &self.app.node;
        let view = scope::readable_chat(&self.app, &self.me, chat).await?;
        let query = MessageQuery {
            conversation: view.conversation.clone(),
            chat: Some(chat),
            before_seq,
            limit: limit.unwrap_or(50).clamp(1, 500),
            include_private: true,
        };
        let messages = node.messages(query).await?;
        Ok(Answered::fields(json!({"messages": messages, "prev_chat": view.prev_chat})))
    }
}

/// Carries out one operator request.
pub async fn operator(r: Requester, request: OperatorRequest) -> Result<Answered, EdgeError> {
    let by = r.me.operator.clone();
    let node = &r.app.node;
    match request {
        OperatorRequest::Presence { status } => {
            node.set_presence(by, status).await?;
            Ok(Answered::fields(json!({})))
        }
        OperatorRequest::Send { chat, conversation, text, client_msg_id } => {
            check_text(&text, r.max_text_chars)?;
            let command = Command::OperatorMessage { by, chat, text, client_msg_id };
            match (chat, conversation) {
                (Some(chat), _) => r.on_chat(chat, command).await,
                (None, Some(conversation)) => r.run(&conversation_of(&r.app, &conversation)?, command).await,
                (None, None) => Err(EdgeError::bad_request("send needs \"chat\" or \"conversation\"")),
            }
        }
        OperatorRequest::Note { chat, text } => {
            check_text(&text, r.max_text_chars)?;
            r.on_chat(chat, Command::Note { by, chat, text }).await
        }
        OperatorRequest::Take { chat } => Ok(fields_of(node.take(by, chat).await?)),
        OperatorRequest::Accept { chat } => Ok(fields_of(node.accept(by, chat).await?)),
        OperatorRequest::Decline { chat } => {
            node.decline(by, chat).await?;
            Ok(Answered::fields(json!({})))
        }
        OperatorRequest::Typing { chat } => {
            node.operator_typing(by, chat).await?;
            Ok(Answered::fields(json!({})))
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
                    return Err(EdgeError::bad_request(
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
        OperatorRequest::Ping => Ok(Answered::fields(json!({}))),
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
    /// The conversation has a journal (it had one at the welcome, or this socket wrote): only
    /// then may typing activate it.
    pub exists: Rc<Cell<bool>>,
}

/// Carries out one client request.
pub async fn client(r: ClientRequester, request: ClientRequest) -> Result<Answered, EdgeError> {
    let node = &r.app.node;
    match request {
        ClientRequest::Send { text, client_msg_id } => {
            check_text(&text, r.app.config.limits.max_text_chars)?;
            let command = Command::ClientMessage { text, client_msg_id, name: r.name, page_url: r.page_url };
            let reply = node.execute(&r.conversation, command).await?;
            r.exists.set(true);
            Ok(answered(&r.conversation, reply))
        }
        ClientRequest::Typing => {
            node.client_typing(&r.conversation, r.exists.get());
            Ok(Answered::fields(json!({})))
        }
        ClientRequest::Vote { chat, score } => {
            let reply = node.execute(&r.conversation, Command::Vote { chat, score }).await?;
            Ok(answered(&r.conversation, reply))
        }
        ClientRequest::History { before_seq, limit } => {
            let query = MessageQuery {
                conversation: r.conversation,
                chat: None,
                before_seq,
                limit: limit.unwrap_or(50).clamp(1, 500),
                include_private: false,
            };
            let messages = node.messages(query).await?;
            Ok(Answered::fields(json!({"messages": render::client_messages(&messages)})))
        }
        ClientRequest::Ping => Ok(Answered::fields(json!({}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ChatId;

    #[test]
    fn text_length_is_counted_in_characters_not_bytes() {
        assert!(check_text("äöü", 3).is_ok(), "6 bytes, 3 characters");
        assert_eq!(check_text("abcd", 3).unwrap_err().code, ErrorCode::TooLarge);
    }

    #[test]
    fn an_answer_names_the_message_it_stored_for_the_echo_filter() {
        let conversation = ConversationId::new("web", "c1");
        let stored = answered(&conversation, Reply::Stored { chat: Some(ChatId(3)), seq: 7 });
        assert_eq!(stored.fields, json!({"chat": 3, "seq": 7}));
        assert_eq!(stored.stored, Some((conversation.clone(), 7)));
        assert_eq!(answered(&conversation, Reply::Done).stored, None);
        assert_eq!(fields_of(Reply::Done).stored, None, "a take stores nothing of this socket's");
    }
}

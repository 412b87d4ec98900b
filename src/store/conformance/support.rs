//! Fixtures of the conformance suite: a [`Script`] that drives a real conversation through
//! the domain and turns each outcome into the [`Commit`] an actor would append, hand-built
//! chat rows for the list tests, and small assertions. Test code: panics are the point.

use std::sync::Arc;

use crate::domain::tests::{settings, T0};
use crate::domain::{
    Change, ChatId, ChatView, ClientView, Command, Conversation, ConversationId, Ctx, DetailedStatus,
    Direction, Event, GeneralStatus, LineId, MessageView, MetricsView, NobodyAvailable, OperatorId, Phase,
    Settings, Span, Status, Timestamp,
};
use crate::store::{Commit, DeadlineRow, Journal, MessageQuery, Store};

/// One conversation driven through the domain like its actor would: decide, append, adopt.
#[derive(Clone)]
pub(crate) struct Script {
    /// The state after the last appended commit.
    pub conv: Conversation,
    /// The clock.
    pub now: Timestamp,
    /// Every event appended so far (what `load` must return).
    pub journal: Vec<Event>,
    settings: Settings,
}

impl Script {
    /// Conversation `web:<client>` at T0 with the domain tests' settings.
    pub fn new(client: &str) -> Self {
        Self::in_channel("web", client)
    }

    /// Conversation `<channel>:<client>` (channels `web`, `mail`, `widget`).
    pub fn in_channel(channel: &str, client: &str) -> Self {
        Self {
            conv: Conversation::new(ConversationId::new(channel, client)),
            now: T0,
            journal: Vec::new(),
            settings: settings(),
        }
    }

    /// The conversation id.
    pub fn id(&self) -> ConversationId {
        self.conv.id.clone()
    }

    /// The latest chat's number.
    pub fn latest(&self) -> ChatId {
        self.conv.latest().map(|c| c.id).unwrap_or_else(|| panic!("{} has no chat yet", self.conv.id))
    }

    /// The current row of chat `id`.
    pub fn view(&self, id: ChatId) -> ChatView {
        let chat = self.conv.chat(id).unwrap_or_else(|| panic!("no chat {id}"));
        ChatView::of(&self.conv, chat)
    }

    /// Moves the clock.
    pub fn advance(&mut self, secs: i64) {
        self.now = self.now.after(Span::secs(secs));
    }

    /// Decides `command` (chat numbers come from `store`) without adopting the outcome: the
    /// commit a writer holding this state would append.
    pub fn decide(&self, store: &dyn Store, command: Command) -> (Commit, Conversation) {
        let mut alloc = || store.next_chat_id();
        let mut ctx = Ctx {
            now: self.now,
            settings: &self.settings,
            directory: &NobodyAvailable,
            next_chat_id: &mut alloc,
        };
        let outcome = match self.conv.handle(command.clone(), &mut ctx) {
            Ok(outcome) => outcome,
            Err(e) => panic!("{command:?} refused: {e}"),
        };
        let commit = Commit::of(&self.conv, &outcome, self.journal.len() as u64);
        (commit, outcome.state)
    }

    /// Decides `command`, appends its commit (which must succeed) and adopts the outcome.
    pub async fn run(&mut self, store: &dyn Store, command: Command) -> Commit {
        let (commit, state) = self.decide(store, command);
        store.append(commit.clone()).await.unwrap_or_else(|e| panic!("append failed: {e}"));
        self.adopt(&commit, state);
        commit
    }

    /// Adopts a decided outcome whose commit was appended elsewhere.
    pub fn adopt(&mut self, commit: &Commit, state: Conversation) {
        self.journal.extend(commit.events.iter().cloned());
        self.conv = state;
    }

    /// The number of messages appended so far.
    pub fn message_count(&self) -> usize {
        self.journal.iter().filter(|e| matches!(e.change, Change::MessageAppended(_))).count()
    }
}

pub(crate) fn op(id: &str) -> OperatorId {
    OperatorId::from(id)
}

/// The client writes.
/// The client of the script's conversation, as a message author.
pub(crate) fn client_of(s: &Script) -> crate::domain::AuthorView {
    crate::domain::AuthorView { kind: crate::domain::AuthorKind::Client, id: s.id().client.to_string() }
}

/// An operator as a message author.
pub(crate) fn operator_author(id: &str) -> crate::domain::AuthorView {
    crate::domain::AuthorView { kind: crate::domain::AuthorKind::Operator, id: id.to_string() }
}

pub(crate) fn client(text: &str) -> Command {
    Command::ClientMessage { text: text.into(), client_msg_id: None, name: None, page_url: None }
}

/// The client writes with an idempotency key.
pub(crate) fn client_keyed(text: &str, key: &str) -> Command {
    Command::ClientMessage { text: text.into(), client_msg_id: Some(key.into()), name: None, page_url: None }
}

/// An operator writes into the latest chat.
pub(crate) fn write(who: &str, text: &str) -> Command {
    Command::OperatorMessage { by: op(who), chat: None, text: text.into(), client_msg_id: None }
}

/// An operator's private note.
pub(crate) fn note(who: &str, chat: ChatId, text: &str) -> Command {
    Command::Note { by: op(who), chat, text: text.into() }
}

/// An operator takes the chat.
pub(crate) fn take(who: &str, chat: ChatId) -> Command {
    Command::Take { by: op(who), chat }
}

/// An operator finishes the chat (`vote`: ask the client to rate it).
pub(crate) fn finish(who: &str, chat: ChatId, status: Status, vote: bool) -> Command {
    Command::Finish { by: op(who), chat, status, operator_rating: None, request_vote: Some(vote) }
}

/// A hand-built row: chat `id` of conversation `web:c<id>`, active and new on `line1`,
/// created `id` seconds after T0, nothing else set.
pub(crate) fn row(id: u64) -> ChatView {
    let created = T0.after(Span::secs(id as i64));
    let client = format!("c{id}");
    ChatView {
        id: ChatId(id),
        conversation: ConversationId::new("web", client.as_str()),
        channel: "web".into(),
        line: LineId::from("line1"),
        direction: Direction::Incoming,
        client: ClientView { id: client.as_str().into(), name: None },
        responsible: None,
        participants: Vec::new(),
        pinned: false,
        subject: None,
        request_type: None,
        reasons: Vec::new(),
        components: Vec::new(),
        page_url: None,
        phase: Phase::Active,
        status: Status::New,
        detailed_status: DetailedStatus::New,
        general_status: GeneralStatus::ClientWaiting,
        splittable: false,
        prev_chat: None,
        next_chat: None,
        merged_into: None,
        client_rating: None,
        operator_rating: None,
        supervisor_rating: None,
        supervisor_comment: None,
        created_at: created,
        updated_at: created,
        metrics: MetricsView {
            created_at: created,
            queued_at: None,
            taken_at: None,
            first_response_at: None,
            last_message_at: None,
            operator_closed_at: None,
            finished_at: None,
            updated_at: created,
            wait_first_response: None,
            time_to_take: None,
            time_to_operator_close: None,
            duration: None,
            first_message_response: None,
            bot_time: None,
            total_response: None,
            avg_response: None,
            max_response: None,
        },
    }
}

/// Stores hand-built rows: one journal-less commit per conversation holding its rows.
pub(crate) async fn put_rows(store: &Arc<dyn Store>, rows: Vec<ChatView>) {
    let mut by_conversation: Vec<Commit> = Vec::new();
    for row in rows {
        match by_conversation.iter_mut().find(|c| c.conversation == row.conversation) {
            Some(commit) => commit.chats.push(row),
            None => by_conversation.push(Commit {
                conversation: row.conversation.clone(),
                position: 0,
                events: Vec::new(),
                messages: Vec::new(),
                moves: Vec::new(),
                chats: vec![row],
                deadline: DeadlineRow::Clear,
                outbox: Vec::new(),
                snapshot: None,
            }),
        }
    }
    let appends: Vec<_> = by_conversation.into_iter().map(|c| store.append(c)).collect();
    for append in appends {
        append.await.unwrap_or_else(|e| panic!("storing rows failed: {e}"));
    }
}

/// The ids of a list of rows.
pub(crate) fn ids(rows: &[ChatView]) -> Vec<u64> {
    rows.iter().map(|r| r.id.0).collect()
}

/// Everything a store holds about one conversation.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    /// What `load` returns.
    pub journal: Journal,
    messages: Vec<MessageView>,
    chats: Vec<Option<ChatView>>,
    due: Vec<(ConversationId, Timestamp)>,
}

impl Snapshot {
    /// What `store` holds about the conversation of `s` (and its chats).
    pub async fn of(store: &dyn Store, s: &Script) -> Snapshot {
        let conversation = s.id();
        let journal = store.load(conversation.clone()).await.unwrap();
        let query = MessageQuery {
            conversation: conversation.clone(),
            chat: None,
            before_seq: None,
            limit: 100_000,
            include_private: true,
        };
        let messages = store.messages(query).await.unwrap();
        let mut chats = Vec::new();
        for chat in &s.conv.chats {
            chats.push(store.chat(chat.id).await.unwrap());
        }
        let due = store
            .due(Timestamp(i64::MAX), 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|(c, _)| *c == conversation)
            .collect();
        Snapshot { journal, messages, chats, due }
    }

    /// The snapshot a store holding exactly what `s` appended must show.
    pub fn expected(s: &Script) -> Snapshot {
        // Replays the journal, moving messages as splits and merges say.
        let mut state = Conversation::new(s.id());
        let mut messages: Vec<MessageView> = Vec::new();
        for e in &s.journal {
            let mut move_from = |from: ChatId, to: ChatId, from_seq: u64| {
                for m in messages.iter_mut().filter(|m| m.chat == Some(from) && m.seq >= from_seq) {
                    m.chat = Some(to);
                }
            };
            match &e.change {
                Change::MessageAppended(m) => messages.push(MessageView::of(&s.conv.id, m, e.at)),
                Change::SplitOff { chat, new_chat } => {
                    if let Some(from_seq) =
                        state.chat(*chat).and_then(|c| c.split.as_ref()).map(|p| p.from_seq)
                    {
                        move_from(*chat, *new_chat, from_seq);
                    }
                }
                Change::MergedInto { chat, into } => move_from(*chat, *into, 0),
                _ => {}
            }
            state.apply(e);
        }
        Snapshot {
            journal: Journal::of_events(s.journal.clone()),
            messages,
            chats: s.conv.chats.iter().map(|c| Some(ChatView::of(&s.conv, c))).collect(),
            due: s.conv.next_deadline().map(|d| (s.id(), d)).into_iter().collect(),
        }
    }
}

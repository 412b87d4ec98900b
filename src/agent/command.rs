//! Console commands: one typed line → a [`Command`] (or the usage line of what was meant), and a
//! command → the request frame it sends (PROTOCOL 3.2) or the HTTP read it needs (`/who`,
//! `/queues`: [`Fetch`]). Pure: no IO, no state but the current chat passed in.

use std::fmt;

use serde_json::{json, Value};

/// The short help, printed on start and on `/help`.
pub const HELP: &str = "\
commands (N = chat number, #N works too):
  /my  /new                            list the tabs
  /take N  /accept N  /decline N       get a chat
  /reply N text...  (or just type text: it goes to the current chat, the last one acted on)
  /note N text...                      a private note
  /status N open|pending|on_hold       /finish N open|pending|closed [novote] [rate 1-3]
  /spam N  /reopen N  /split N  /merge N
  /forward N @operator|#line           /invite N operator
  /history N [before_seq]              /who (operators)  /queues (lines)
  /away  /online  /help  /quit";

/// An HTTP read a command needs instead of a socket request (the API of PROTOCOL 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// `GET /api/v1/operators` (`/who`).
    Operators,
    /// `GET /api/v1/lines` (`/queues`).
    Lines,
}

impl Fetch {
    /// The path to GET.
    pub fn path(self) -> &'static str {
        match self {
            Fetch::Operators => "/api/v1/operators",
            Fetch::Lines => "/api/v1/lines",
        }
    }
}

/// A status argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// open
    Open,
    /// pending
    Pending,
    /// on_hold (`/status` only)
    OnHold,
    /// closed (`/finish` only)
    Closed,
}

impl Status {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on_hold",
            Status::Closed => "closed",
        }
    }
}

/// Where `/forward` sends a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `@operator`: they become responsible.
    Operator(String),
    /// `#line`: the chat queues there.
    Line(String),
}

/// One console command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/help`.
    Help,
    /// `/my`: the My tab as the console knows it.
    My,
    /// `/new`: the New tab and open offers.
    New,
    /// `/quit`.
    Quit,
    /// `/take N`.
    Take(u64),
    /// `/accept N`.
    Accept(u64),
    /// `/decline N`.
    Decline(u64),
    /// `/reply N text`, or a plain line for the current chat.
    Reply {
        /// The chat.
        chat: u64,
        /// What to write.
        text: String,
    },
    /// `/note N text`.
    Note {
        /// The chat.
        chat: u64,
        /// The note.
        text: String,
    },
    /// `/status N open|pending|on_hold`.
    SetStatus {
        /// The chat.
        chat: u64,
        /// The status.
        status: Status,
    },
    /// `/finish N open|pending|closed [novote] [rate 1-3]`.
    Finish {
        /// The chat.
        chat: u64,
        /// The status.
        status: Status,
        /// `novote`: do not ask the client to vote.
        no_vote: bool,
        /// `rate K`: my rating of the client.
        rating: Option<u8>,
    },
    /// `/spam N`.
    Spam(u64),
    /// `/reopen N`.
    Reopen(u64),
    /// `/forward N @operator|#line`.
    Forward {
        /// The chat.
        chat: u64,
        /// Where to.
        to: Target,
    },
    /// `/invite N operator`.
    Invite {
        /// The chat.
        chat: u64,
        /// Who.
        operator: String,
    },
    /// `/history N [before_seq]`.
    History {
        /// The chat.
        chat: u64,
        /// Only messages before this seq.
        before_seq: Option<u64>,
    },
    /// `/split N`.
    Split(u64),
    /// `/merge N`.
    Merge(u64),
    /// `/away` or `/online`.
    Presence(&'static str),
    /// `/who`: operators, their presence and load.
    Who,
    /// `/queues`: each line's waiting chats, oldest wait and members online.
    Queues,
}

/// What a line should have looked like; printed instead of sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage line of each command that takes arguments.
const USAGES: [(&str, &str); 16] = [
    ("take", "/take N"),
    ("accept", "/accept N"),
    ("decline", "/decline N"),
    ("reply", "/reply N text..."),
    ("note", "/note N text..."),
    ("status", "/status N open|pending|on_hold"),
    ("finish", "/finish N open|pending|closed [novote] [rate 1-3]"),
    ("spam", "/spam N"),
    ("reopen", "/reopen N"),
    ("forward", "/forward N @operator | /forward N #line"),
    ("invite", "/invite N operator"),
    ("history", "/history N [before_seq]"),
    ("split", "/split N"),
    ("merge", "/merge N"),
    ("away", "/away"),
    ("online", "/online"),
];

fn usage(verb: &str) -> Usage {
    match USAGES.iter().find(|(v, _)| *v == verb) {
        Some((_, line)) => Usage(format!("usage: {line}")),
        None => Usage(format!("usage: /{verb}")),
    }
}

/// The first word of `s` and the rest with its leading whitespace removed.
fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim_start()),
        None => (s, ""),
    }
}

/// A chat number, `17` or `#17`.
fn chat_id(s: &str) -> Option<u64> {
    s.strip_prefix('#').unwrap_or(s).parse().ok().filter(|n| *n > 0)
}

/// Reads one line. Blank lines are `Ok(None)`. A line without a leading `/` replies to
/// `current` (`//text` sends `/text`); without a current chat that is a usage error.
pub fn parse(line: &str, current: Option<u64>) -> Result<Option<Command>, Usage> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let rest = match line.strip_prefix('/') {
        Some(rest) if !rest.starts_with('/') => rest,
        _ => {
            let text = line.strip_prefix('/').unwrap_or(line).to_string();
            return match current {
                Some(chat) => Ok(Some(Command::Reply { chat, text })),
                None => Err(Usage("no current chat: use /reply N text... (or /take, /accept first)".into())),
            };
        }
    };
    let (verb, args) = word(rest);
    let verb = verb.to_ascii_lowercase();
    parse_command(&verb, args).map(Some)
}

fn parse_command(verb: &str, args: &str) -> Result<Command, Usage> {
    let bad = || usage(verb);
    let (first, after) = word(args);
    // Commands of exactly one chat number.
    let one = |make: fn(u64) -> Command| match (chat_id(first), after.is_empty()) {
        (Some(chat), true) => Ok(make(chat)),
        _ => Err(bad()),
    };
    let none = |command: Command| if args.is_empty() { Ok(command) } else { Err(bad()) };
    match verb {
        "help" => none(Command::Help),
        "my" => none(Command::My),
        "new" => none(Command::New),
        "quit" => none(Command::Quit),
        "away" => none(Command::Presence("away")),
        "online" => none(Command::Presence("online")),
        "who" => none(Command::Who),
        "queues" => none(Command::Queues),
        "take" => one(Command::Take),
        "accept" => one(Command::Accept),
        "decline" => one(Command::Decline),
        "spam" => one(Command::Spam),
        "reopen" => one(Command::Reopen),
        "split" => one(Command::Split),
        "merge" => one(Command::Merge),
        "reply" | "note" => {
            let (Some(chat), false) = (chat_id(first), after.is_empty()) else { return Err(bad()) };
            let text = after.to_string();
            Ok(if verb == "reply" { Command::Reply { chat, text } } else { Command::Note { chat, text } })
        }
        "status" => {
            let chat = chat_id(first).ok_or_else(bad)?;
            let status = match after {
                "open" => Status::Open,
                "pending" => Status::Pending,
                "on_hold" => Status::OnHold,
                _ => return Err(bad()),
            };
            Ok(Command::SetStatus { chat, status })
        }
        "finish" => parse_finish(first, after).ok_or_else(bad),
        "forward" => {
            let chat = chat_id(first).ok_or_else(bad)?;
            let to = match (after.strip_prefix('@'), after.strip_prefix('#')) {
                (Some(op), _) if is_name(op) => Target::Operator(op.to_string()),
                (_, Some(line)) if is_name(line) => Target::Line(line.to_string()),
                _ => return Err(bad()),
            };
            Ok(Command::Forward { chat, to })
        }
        "invite" => {
            let chat = chat_id(first).ok_or_else(bad)?;
            let operator = after.strip_prefix('@').unwrap_or(after);
            if !is_name(operator) {
                return Err(bad());
            }
            Ok(Command::Invite { chat, operator: operator.to_string() })
        }
        "history" => {
            let chat = chat_id(first).ok_or_else(bad)?;
            let before_seq = match after {
                "" => None,
                seq => Some(seq.parse().map_err(|_| bad())?),
            };
            Ok(Command::History { chat, before_seq })
        }
        _ => Err(Usage(format!("unknown command /{verb} (/help lists the commands)"))),
    }
}

/// One word: an operator or line id.
fn is_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(char::is_whitespace)
}

/// `N open|pending|closed [novote] [rate 1-3]`, options in any order, each at most once.
fn parse_finish(first: &str, after: &str) -> Option<Command> {
    let chat = chat_id(first)?;
    let mut words = after.split_whitespace();
    let status = match words.next()? {
        "open" => Status::Open,
        "pending" => Status::Pending,
        "closed" => Status::Closed,
        _ => return None,
    };
    let (mut no_vote, mut rating) = (false, None);
    while let Some(option) = words.next() {
        match option {
            "novote" if !no_vote => no_vote = true,
            "rate" if rating.is_none() => {
                rating = Some(words.next()?.parse().ok().filter(|r| (1..=3).contains(r))?);
            }
            _ => return None,
        }
    }
    Some(Command::Finish { chat, status, no_vote, rating })
}

impl Command {
    /// The chat the command acts on, if any (it becomes the current chat).
    pub fn chat(&self) -> Option<u64> {
        match self {
            Command::Take(chat)
            | Command::Accept(chat)
            | Command::Decline(chat)
            | Command::Spam(chat)
            | Command::Reopen(chat)
            | Command::Split(chat)
            | Command::Merge(chat)
            | Command::Reply { chat, .. }
            | Command::Note { chat, .. }
            | Command::SetStatus { chat, .. }
            | Command::Finish { chat, .. }
            | Command::Forward { chat, .. }
            | Command::Invite { chat, .. }
            | Command::History { chat, .. } => Some(*chat),
            Command::Help
            | Command::My
            | Command::New
            | Command::Quit
            | Command::Presence(_)
            | Command::Who
            | Command::Queues => None,
        }
    }

    /// The HTTP read the command needs, if it is one (`/who`, `/queues`).
    pub fn fetch(&self) -> Option<Fetch> {
        match self {
            Command::Who => Some(Fetch::Operators),
            Command::Queues => Some(Fetch::Lines),
            _ => None,
        }
    }

    /// The console's name of the command, as `ok` lines show it.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::My => "my",
            Command::New => "new",
            Command::Quit => "quit",
            Command::Take(_) => "take",
            Command::Accept(_) => "accept",
            Command::Decline(_) => "decline",
            Command::Reply { .. } => "reply",
            Command::Note { .. } => "note",
            Command::SetStatus { .. } => "status",
            Command::Finish { .. } => "finish",
            Command::Spam(_) => "spam",
            Command::Reopen(_) => "reopen",
            Command::Forward { .. } => "forward",
            Command::Invite { .. } => "invite",
            Command::History { .. } => "history",
            Command::Split(_) => "split",
            Command::Merge(_) => "merge",
            Command::Presence(status) => status,
            Command::Who => "who",
            Command::Queues => "queues",
        }
    }

    /// The request frame, with `ref` = `reference`; `None` for commands the console answers
    /// itself (`/help`, `/my`, `/new`, `/quit`) and for HTTP reads (`/who`, `/queues`).
    pub fn frame(&self, reference: u64) -> Option<Value> {
        let mut frame = match self {
            Command::Help | Command::My | Command::New | Command::Quit | Command::Who | Command::Queues => {
                return None
            }
            Command::Take(chat) => json!({"type": "take", "chat": chat}),
            Command::Accept(chat) => json!({"type": "accept", "chat": chat}),
            Command::Decline(chat) => json!({"type": "decline", "chat": chat}),
            Command::Reply { chat, text } => json!({"type": "send", "chat": chat, "text": text}),
            Command::Note { chat, text } => json!({"type": "note", "chat": chat, "text": text}),
            Command::SetStatus { chat, status } => {
                json!({"type": "set_status", "chat": chat, "status": status.as_str()})
            }
            Command::Finish { chat, status, no_vote, rating } => {
                let mut frame = json!({"type": "finish", "chat": chat, "status": status.as_str()});
                if *no_vote {
                    frame["request_vote"] = json!(false);
                }
                if let Some(rating) = rating {
                    frame["operator_rating"] = json!(rating);
                }
                frame
            }
            Command::Spam(chat) => json!({"type": "force_finish", "chat": chat}),
            Command::Reopen(chat) => json!({"type": "reopen", "chat": chat}),
            Command::Forward { chat, to: Target::Operator(op) } => {
                json!({"type": "forward", "chat": chat, "to_operator": op})
            }
            Command::Forward { chat, to: Target::Line(line) } => {
                json!({"type": "forward", "chat": chat, "to_line": line})
            }
            Command::Invite { chat, operator } => {
                json!({"type": "invite", "chat": chat, "operator": operator})
            }
            Command::History { chat, before_seq: None } => json!({"type": "history", "chat": chat}),
            Command::History { chat, before_seq: Some(seq) } => {
                json!({"type": "history", "chat": chat, "before_seq": seq})
            }
            Command::Split(chat) => json!({"type": "split", "chat": chat}),
            Command::Merge(chat) => json!({"type": "merge_previous", "chat": chat}),
            Command::Presence(status) => json!({"type": "presence", "status": status}),
        };
        frame["ref"] = json!(reference);
        Some(frame)
    }
}

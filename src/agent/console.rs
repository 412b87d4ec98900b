//! The console's state machine, without IO: typed lines and server frames in, lines to print and
//! frames to send out. It keeps the local tabs, the current chat and the one request in flight.
//!
//! The current chat (where a plain line goes) is the last chat a request successfully acted on
//! (`/take`, `/accept`, `/reply`, ...). A chat assigned by the server becomes current only when
//! there is none, so a chat routed in while the operator is typing never redirects their next
//! line; a chat that leaves the My tab (finished, forwarded, merged) stops being current, also
//! when it leaves while a request on it is in flight (a rule acting on the operator's reply
//! removes the chat before the reply's ack arrives: the ack must not make it current again).
//!
//! One request at a time: the server answers a socket's requests concurrently, so `/accept 5`
//! followed at once by `/reply 5 hi` could reach the chat in either order. The IO loop feeds the
//! next typed line only once the previous request is answered (or given up), which also makes
//! a piped script behave like the same lines typed by hand. `/who` and `/queues` are HTTP reads
//! of the API (the session makes them); they are in flight the same way.

use serde_json::{json, Value};

use super::command::{parse, Command, Fetch, HELP};
use super::render;
use super::view::Tabs;
use super::wire::{self, HttpError, Lines, Operators, ServerFrame};

/// What to do with a typed line.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Print these lines; nothing is sent.
    Print(Vec<String>),
    /// Send this request frame; its answer is awaited before the next line.
    Send(Value),
    /// GET this from the HTTP API and hand the answer to [`Console::on_fetched`]; awaited like a
    /// request.
    Fetch(Fetch),
    /// Leave.
    Quit,
}

/// What a server frame printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Printed {
    /// Lines for stdout.
    pub out: Vec<String>,
    /// Diagnostics for stderr.
    pub err: Vec<String>,
}

/// What the console waits for.
#[derive(Debug, Clone, PartialEq)]
enum InFlight {
    /// The answer to the socket request with this `ref`.
    Request(u64, Command),
    /// The answer to an HTTP read.
    Fetch(Fetch, Command),
}

/// The console: local tabs, the current chat, the request in flight.
#[derive(Debug)]
pub struct Console {
    tabs: Tabs,
    current: Option<u64>,
    next_ref: u64,
    in_flight: Option<InFlight>,
    /// The chat of the request in flight left the tabs before its answer came.
    gone: Option<u64>,
    /// Prefix of the `client_msg_id` of each `send`. The server keeps an operator's idempotency
    /// keys across sockets and restarts (a repeated key stores nothing), so it must be unique
    /// per console run, not just per request.
    key_prefix: String,
}

impl Console {
    /// A console before its welcome; `key_prefix` makes its messages' idempotency keys unique
    /// (the session uses a random UUID).
    pub fn new(key_prefix: impl Into<String>) -> Self {
        Console {
            tabs: Tabs::default(),
            current: None,
            next_ref: 0,
            in_flight: None,
            gone: None,
            key_prefix: key_prefix.into(),
        }
    }

    /// The tabs as the console knows them.
    pub fn tabs(&self) -> &Tabs {
        &self.tabs
    }

    /// The chat a plain line replies to (see the module doc).
    pub fn current(&self) -> Option<u64> {
        self.current
    }

    /// A request is waiting for its answer.
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The first frame: it must be `welcome`. Its lines (operator, My, New, help), or why not.
    pub fn welcome(&mut self, text: &str) -> Result<Vec<String>, String> {
        match wire::parse(text) {
            Ok(frame @ ServerFrame::Welcome { .. }) => {
                self.tabs.apply(&frame);
                let mut lines = render::welcome_lines(&self.tabs);
                lines.extend(HELP.lines().map(str::to_string));
                Ok(lines)
            }
            Ok(ServerFrame::Error { code, message, .. }) => Err(render::error_line(&code, &message)),
            _ => Err(format!("expected a welcome frame, got {}", render::clean(text))),
        }
    }

    /// A typed line. Must not be called while [`busy`](Self::busy).
    pub fn on_line(&mut self, line: &str) -> Step {
        let command = match parse(line, self.current) {
            Ok(Some(command)) => command,
            Ok(None) => return Step::Print(Vec::new()),
            Err(usage) => return Step::Print(vec![usage.0]),
        };
        match command {
            Command::Help => return Step::Print(HELP.lines().map(str::to_string).collect()),
            Command::My => return Step::Print(render::my_lines(&self.tabs)),
            Command::New => return Step::Print(render::new_lines(&self.tabs)),
            Command::Quit => return Step::Quit,
            _ => {}
        }
        if let Some(fetch) = command.fetch() {
            self.in_flight = Some(InFlight::Fetch(fetch, command));
            return Step::Fetch(fetch);
        }
        self.next_ref += 1;
        let reference = self.next_ref;
        let Some(mut frame) = command.frame(reference) else { return Step::Print(Vec::new()) };
        if let Command::Reply { .. } = command {
            frame["client_msg_id"] = json!(format!("{}-{reference}", self.key_prefix));
        }
        self.in_flight = Some(InFlight::Request(reference, command));
        self.gone = None;
        Step::Send(frame)
    }

    /// Gives up on the request in flight (no answer in time); the diagnostic to print.
    pub fn expire(&mut self) -> Option<String> {
        Some(match self.in_flight.take()? {
            InFlight::Request(reference, command) => {
                format!("no answer to /{} (ref {reference}) in time; going on", command.verb())
            }
            InFlight::Fetch(fetch, command) => {
                format!("no answer to /{} (GET {}) in time; going on", command.verb(), fetch.path())
            }
        })
    }

    /// The HTTP answer to `fetch` (`status` and body), or why there is none (`Err`): its lines.
    /// An answer to a read no longer awaited (given up) is dropped.
    pub fn on_fetched(&mut self, fetch: Fetch, answer: Result<(u16, String), String>) -> Vec<String> {
        match &self.in_flight {
            Some(InFlight::Fetch(waiting, _)) if *waiting == fetch => self.in_flight = None,
            _ => return Vec::new(),
        }
        let (status, body) = match answer {
            Ok(answer) => answer,
            Err(reason) => {
                return vec![format!("error: GET {} failed: {}", fetch.path(), render::clean(&reason))]
            }
        };
        if !(200..300).contains(&status) {
            let error: HttpError = serde_json::from_str(&body).unwrap_or_default();
            let code = if error.error.code.is_empty() { format!("HTTP {status}") } else { error.error.code };
            return vec![render::error_line(&code, &error.error.message)];
        }
        let me = self.tabs.me.id.as_str();
        let unreadable =
            |e: serde_json::Error| vec![format!("error: unreadable answer to GET {}: {e}", fetch.path())];
        match fetch {
            Fetch::Operators => match serde_json::from_str::<Operators>(&body) {
                Ok(operators) => render::who_lines(&operators, me),
                Err(e) => unreadable(e),
            },
            Fetch::Lines => match serde_json::from_str::<Lines>(&body) {
                Ok(lines) => render::queue_lines(&lines),
                Err(e) => unreadable(e),
            },
        }
    }

    /// A frame from the server.
    pub fn on_frame(&mut self, text: &str) -> Printed {
        let frame = match wire::parse(text) {
            Ok(frame) => frame,
            Err(e) => {
                let err = vec![format!("unreadable frame ({e}): {}", render::clean(text))];
                return Printed { out: Vec::new(), err };
            }
        };
        let out = match &frame {
            ServerFrame::Ack { reference, fields } => match self.answered(reference.as_ref()) {
                Some(command) => {
                    self.acted_on(&command);
                    render::ack_lines(&command, fields, &self.tabs)
                }
                None => vec![format!("ok (an answer to no pending request: {})", render::clean(text))],
            },
            ServerFrame::Error { reference, code, message } => {
                self.answered(reference.as_ref());
                vec![render::error_line(code, message)]
            }
            ServerFrame::Pong { .. } => Vec::new(),
            ServerFrame::Welcome { .. } => {
                self.tabs.apply(&frame);
                render::welcome_lines(&self.tabs)
            }
            event => {
                let lines = render::event_lines(event, &self.tabs);
                self.tabs.apply(event);
                match event {
                    ServerFrame::ChatAssigned { chat, .. } if self.current.is_none() => {
                        self.current = Some(chat.id)
                    }
                    ServerFrame::ChatRemoved { chat, .. } => {
                        if self.current == Some(*chat) {
                            self.current = None;
                        }
                        if matches!(&self.in_flight, Some(InFlight::Request(_, c)) if c.chat() == Some(*chat))
                        {
                            self.gone = Some(*chat);
                        }
                    }
                    _ => {}
                }
                lines
            }
        };
        Printed { out, err: Vec::new() }
    }

    /// A request succeeded: its chat becomes current, unless the command gave the chat away
    /// (declined, finished, spam, forwarded) or the chat left the tabs meanwhile, which ends it
    /// being current.
    fn acted_on(&mut self, command: &Command) {
        let Some(chat) = command.chat() else { return };
        let gone = self.gone.take() == Some(chat);
        match command {
            Command::Decline(_) | Command::Finish { .. } | Command::Spam(_) | Command::Forward { .. } => {
                if self.current == Some(chat) {
                    self.current = None;
                }
            }
            _ if gone => {}
            _ => self.current = Some(chat),
        }
    }

    /// The command in flight if `reference` answers it.
    fn answered(&mut self, reference: Option<&Value>) -> Option<Command> {
        let number = wire::reference_number(reference)?;
        match self.in_flight.take() {
            Some(InFlight::Request(r, command)) if r == number => Some(command),
            other => {
                self.in_flight = other;
                None
            }
        }
    }
}

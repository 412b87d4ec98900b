//! What each fuzz target does with its input, shared by the fuzz targets (`tests/fuzz`, run with
//! `cargo fuzz`) and by `tests/fuzz_corpus.rs`, which replays every stored input on every
//! `cargo test`. Each function must never panic, whatever the bytes: a panic is the bug the
//! fuzzer reports. The answers are checked only for what must hold of any input.

#![allow(dead_code)]

use frontline::api::filters::{chat_query, FILTERS};
use frontline::config::{Config, Overrides};
use frontline::edge::params::Params;
use frontline::ws::frames::{
    parse, reference_of, ClientRequest, OperatorRequest, CLIENT_TYPES, OPERATOR_TYPES,
};

/// A WebSocket text frame, as an operator's and as a client's socket read it.
pub fn ws_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let operator = parse::<OperatorRequest>(text, &OPERATOR_TYPES);
    let client = parse::<ClientRequest>(text, &CLIENT_TYPES);
    let reference = reference_of(text);
    // Whatever the outcome, the `ref` answered is the frame's own.
    for answered in [operator.err().and_then(|e| e.reference), client.err().and_then(|e| e.reference)]
        .into_iter()
        .flatten()
    {
        assert_eq!(Some(&answered), reference.as_ref(), "an error names another ref than the frame's");
    }
}

/// A configuration file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = Config::from_toml_str(text, &Overrides::default()) {
        // A configuration that loads is whole: every operator's lines exist.
        for operator in config.settings.operators.values() {
            for line in &operator.lines {
                assert!(
                    config.settings.lines.contains_key(line),
                    "operator {} names line {line}",
                    operator.id
                );
            }
        }
    }
}

/// The query string of the dialog list.
pub fn list_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let known: Vec<&str> = FILTERS.iter().copied().chain(["limit", "cursor"]).collect();
    if let Ok(params) = Params::parse(text, &known) {
        let _ = chat_query(&params);
    }
}

/// An operator's JWT, and a client's signature, checked against the demo's configuration.
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    static DEMO: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    let demo =
        DEMO.get_or_init(|| Config::demo(&Overrides::default()).expect("the demo configuration loads"));
    let verified = frontline::auth::verify(&demo.auth, &demo.settings, text, 1_800_000_000);
    // Nothing but a token signed with the demo's secret is accepted, and random bytes are not.
    if let Ok(identity) = verified {
        assert!(demo.settings.operators.contains_key(&identity.operator), "{identity:?}");
    }
    let (client, sig) = text.split_once(':').unwrap_or((text, ""));
    let _ = frontline::auth::client_signature_ok("widget-secret", client, sig);
}

/// The bytes of a journal segment.
pub fn journal_segment(data: &[u8]) {
    if let Ok((_, valid)) = frontline::store::journal::read_segment(data) {
        assert!(valid <= data.len());
        // The valid part reads back the same on its own: recovery's cut is stable.
        let again = frontline::store::journal::read_segment(&data[..valid]).expect("the valid part reads");
        assert_eq!(again.1, valid);
    }
}

/// Reads small choices from the fuzzer's bytes (zero once they run out).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }

    fn pick<T: Clone>(&mut self, from: &[T]) -> T {
        from[usize::from(self.byte()) % from.len()].clone()
    }

    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// `None` (any), or a list of one to three picks.
    fn list<T: Clone>(&mut self, from: &[T]) -> Option<Vec<T>> {
        match self.byte() % 4 {
            0 => None,
            n => Some((0..n).map(|_| self.pick(from)).collect()),
        }
    }

    fn maybe_flag(&mut self) -> Option<bool> {
        match self.byte() % 3 {
            0 => None,
            n => Some(n == 2),
        }
    }
}

/// Lines, their members and the live world of a rule's moment, all from the fuzzer's bytes.
struct World {
    members: Vec<(frontline::domain::OperatorId, frontline::domain::LineId)>,
    online: Vec<(frontline::domain::LineId, u32)>,
    open: Vec<frontline::domain::LineId>,
}

impl frontline::domain::rules::LineMembership for World {
    fn operator_in_line(
        &self,
        operator: &frontline::domain::OperatorId,
        line: &frontline::domain::LineId,
    ) -> bool {
        self.members.iter().any(|(o, l)| o == operator && l == line)
    }
}

impl frontline::domain::LineNow for World {
    fn operators_online(&self, line: &frontline::domain::LineId) -> u32 {
        self.online.iter().find(|(l, _)| l == line).map_or(0, |(_, n)| *n)
    }

    fn within_hours(&self, line: &frontline::domain::LineId) -> bool {
        self.open.contains(line)
    }
}

/// Rule condition matching: conditions, the chat's facts and the live world from the bytes. What
/// must hold for any of them: a condition left out ("any") never turns a match into a
/// non-match, a rule never matches the trigger it does not name, and the answer does not change
/// when asked twice.
pub fn rule_matching(data: &[u8]) {
    use frontline::domain::status::{Phase, Status};
    use frontline::domain::{
        Author, ChannelId, ClientId, Conditions, Count, Facts, LineId, OperatorId, Rule, RuleAuthor, Trigger,
    };

    let mut b = Bytes(data);
    let lines: Vec<LineId> = ["line1", "line2", "line3"].map(LineId::from).to_vec();
    let operators: Vec<OperatorId> = ["alice", "bob", "sam"].map(OperatorId::from).to_vec();
    let channels: Vec<ChannelId> = ["web", "mail"].map(ChannelId::from).to_vec();
    let statuses = [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Closed, Status::Spam];
    let phases = [Phase::Active, Phase::Closing, Phase::Finished];
    let authors = [RuleAuthor::Client, RuleAuthor::Operator];
    let counts: Vec<Count> = (0..4u32)
        .flat_map(|n| [Count::Exactly(n), Count::AtMost(n), Count::AtLeast(n), Count::Between(n, n + 1)])
        .collect();

    let world = World {
        members: operators
            .iter()
            .flat_map(|o| lines.iter().map(move |l| (o.clone(), l.clone())))
            .filter(|_| b.flag())
            .collect::<Vec<_>>(),
        online: lines.iter().map(|l| (l.clone(), u32::from(b.byte() % 4))).collect(),
        open: lines.iter().filter(|_| b.flag()).cloned().collect(),
    };
    let when = Conditions {
        channel: b.list(&channels),
        line: b.list(&lines),
        responsible_line: b.list(&lines),
        status_before: b.list(&statuses),
        phase_before: b.list(&phases),
        author: b.list(&authors),
        author_line: b.list(&lines),
        first_chat: b.maybe_flag(),
        reactivated: b.maybe_flag(),
        operators_online: b.list(&counts),
        within_hours: b.maybe_flag(),
    };
    let on = if b.flag() { Trigger::Incoming } else { Trigger::Changed };
    let rule = Rule { name: "fuzzed".into(), on, when, then: Vec::new() };
    let channel = b.pick(&channels);
    let line = b.pick(&lines);
    let responsible = b.flag().then(|| b.pick(&operators));
    let author = match b.byte() % 5 {
        0 => None,
        1 => Some(Author::Client(ClientId::from("c1"))),
        2 => Some(Author::Operator(b.pick(&operators))),
        3 => Some(Author::Bot(frontline::domain::BotKind::AutoReply)),
        _ => Some(Author::System),
    };
    let facts = Facts {
        channel: &channel,
        line: &line,
        responsible: responsible.as_ref(),
        status_before: b.flag().then(|| b.pick(&statuses)),
        phase_before: b.flag().then(|| b.pick(&phases)),
        author: author.as_ref(),
        first_chat: b.flag(),
        reactivated: b.flag(),
    };
    let _ = rule.describe();
    let matched = rule.matches(on, &facts, &world, &world);
    assert_eq!(matched, rule.matches(on, &facts, &world, &world), "asked twice, answered differently");
    let other = if on == Trigger::Incoming { Trigger::Changed } else { Trigger::Incoming };
    assert!(!rule.matches(other, &facts, &world, &world), "a rule matched a trigger it does not name");
    if matched {
        let relaxations: [fn(&mut Conditions); 11] = [
            |c| c.channel = None,
            |c| c.line = None,
            |c| c.responsible_line = None,
            |c| c.status_before = None,
            |c| c.phase_before = None,
            |c| c.author = None,
            |c| c.author_line = None,
            |c| c.first_chat = None,
            |c| c.reactivated = None,
            |c| c.operators_online = None,
            |c| c.within_hours = None,
        ];
        for (i, relax) in relaxations.iter().enumerate() {
            let mut looser = rule.clone();
            relax(&mut looser.when);
            assert!(looser.matches(on, &facts, &world, &world), "leaving out condition {i} lost the match");
        }
    }
}

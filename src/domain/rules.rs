//! Rules (SPEC 4.1): ordered, each on `incoming` or `changed`, with conditions that must all
//! hold and actions applied in order. This file holds the rule vocabulary and the matcher; the
//! conversation applies the actions (`conversation/rule_actions.rs`). What a condition needs
//! beyond the chat is asked through two traits: [`LineMembership`] (configuration) and
//! [`LineNow`] (the live world and the clock, at the moment the rule is evaluated).

use serde::{Deserialize, Serialize};

use super::event::Author;
use super::ids::{ChannelId, LineId, OperatorId};
use super::status::{Phase, Status};

/// Which operators belong to which lines: what rule conditions on lines need to know (the
/// settings answer it; a rule does not depend on them otherwise).
pub trait LineMembership {
    /// `operator` is a member of `line`.
    fn operator_in_line(&self, operator: &OperatorId, line: &LineId) -> bool;
}

/// What rules ask about a line at the moment they are evaluated: who of it is online, and
/// whether now is inside its working hours. The conversation answers from the live directory,
/// the settings and its `now`; only rules with these conditions ask.
pub trait LineNow {
    /// How many operators who are members of `line` are online now.
    fn operators_online(&self, line: &LineId) -> u32;
    /// Now is inside `line`'s working hours (a line without hours always is).
    fn within_hours(&self, line: &LineId) -> bool;
}

/// A number a condition accepts (`operators_online`): exactly N, at most N, at least N, or
/// between two bounds (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Exactly this many.
    Exactly(u32),
    /// This many or fewer.
    AtMost(u32),
    /// This many or more.
    AtLeast(u32),
    /// From the first to the second, both included (the first is not above the second).
    Between(u32, u32),
}

impl Count {
    /// `n` is accepted.
    pub fn admits(self, n: u32) -> bool {
        match self {
            Count::Exactly(want) => n == want,
            Count::AtMost(max) => n <= max,
            Count::AtLeast(min) => n >= min,
            Count::Between(min, max) => (min..=max).contains(&n),
        }
    }

    /// `0`, `at most 1`, `at least 2`, `1 to 3`.
    pub fn describe(self) -> String {
        match self {
            Count::Exactly(n) => n.to_string(),
            Count::AtMost(n) => format!("at most {n}"),
            Count::AtLeast(n) => format!("at least {n}"),
            Count::Between(min, max) => format!("{min} to {max}"),
        }
    }
}

/// When a rule is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A chat was created (by a client, or by an operator writing into a closed conversation).
    Incoming,
    /// An existing chat got a message, was reactivated, or changed status/responsible.
    Changed,
}

impl Trigger {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Incoming => "incoming",
            Trigger::Changed => "changed",
        }
    }
}

/// The author of the triggering message as a rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAuthor {
    /// The client wrote.
    Client,
    /// An operator wrote.
    Operator,
}

impl RuleAuthor {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAuthor::Client => "client",
            RuleAuthor::Operator => "operator",
        }
    }
}

/// Conditions of a rule; `None` means "any". A list means "any of".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions {
    /// The chat's channel.
    pub channel: Option<Vec<ChannelId>>,
    /// The chat's line (after the triggering change).
    pub line: Option<Vec<LineId>>,
    /// The responsible operator (after the triggering change) is a member of one of these lines.
    pub responsible_line: Option<Vec<LineId>>,
    /// The chat's status before the triggering change.
    pub status_before: Option<Vec<Status>>,
    /// The chat's phase before the triggering change.
    pub phase_before: Option<Vec<Phase>>,
    /// Author of the triggering message; an event without a message never matches.
    pub author: Option<Vec<RuleAuthor>>,
    /// The writing operator is a member of one of these lines.
    pub author_line: Option<Vec<LineId>>,
    /// The chat is (or is not) the first chat of this client in this channel.
    pub first_chat: Option<bool>,
    /// The triggering change reactivated a finished chat.
    pub reactivated: Option<bool>,
    /// How many operators of the chat's line (as it is now) are online now.
    pub operators_online: Option<Vec<Count>>,
    /// Now is (or is not) inside the working hours of the chat's line (as it is now).
    pub within_hours: Option<bool>,
}

/// One action of a rule, applied in order (SPEC 4.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Make this operator responsible.
    AssignOperator(OperatorId),
    /// Move the chat to this line and clear its responsible (routed now if active).
    AssignLine(LineId),
    /// Set a manual status (as `set_status`).
    SetStatus(Status),
    /// Finish the chat with this status (never starts voting).
    Finish(Status),
    /// Pin the chat to its responsible.
    Pin,
    /// Unpin the chat.
    Unpin,
    /// Send the client a message; by default only on the client's first chat in the channel.
    AutoReply {
        /// The text sent.
        text: String,
        /// Only when the chat is the client's first in the channel.
        only_first_chat: bool,
    },
    /// Stop evaluating further rules.
    Stop,
}

/// A configured rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Name, for logs and errors.
    pub name: String,
    /// When it is considered.
    pub on: Trigger,
    /// All must hold.
    pub when: Conditions,
    /// Applied in order.
    pub then: Vec<Action>,
}

/// What a rule's conditions are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The chat's channel.
    pub channel: &'a ChannelId,
    /// The chat's line now.
    pub line: &'a LineId,
    /// The chat's responsible now.
    pub responsible: Option<&'a OperatorId>,
    /// Status before the triggering change (`None` for a chat just created).
    pub status_before: Option<Status>,
    /// Phase before the triggering change (`None` for a chat just created).
    pub phase_before: Option<Phase>,
    /// Author of the triggering message, if the trigger was a message.
    pub author: Option<&'a Author>,
    /// The chat is the client's first in the channel.
    pub first_chat: bool,
    /// The triggering change reactivated a finished chat.
    pub reactivated: bool,
}

fn any_of<T: PartialEq>(wanted: &Option<Vec<T>>, actual: Option<&T>) -> bool {
    match wanted {
        None => true,
        Some(list) => actual.is_some_and(|a| list.contains(a)),
    }
}

fn member_of(
    wanted: &Option<Vec<LineId>>,
    operator: Option<&OperatorId>,
    settings: &dyn LineMembership,
) -> bool {
    match wanted {
        None => true,
        Some(lines) => operator.is_some_and(|op| lines.iter().any(|l| settings.operator_in_line(op, l))),
    }
}

impl Conditions {
    /// Every condition holds. The live facts of the chat's line are asked last, and only by a
    /// rule whose other conditions hold.
    pub fn hold(&self, facts: &Facts<'_>, settings: &dyn LineMembership, live: &dyn LineNow) -> bool {
        let author = facts.author.and_then(|a| match a {
            Author::Client(_) => Some(RuleAuthor::Client),
            Author::Operator(_) => Some(RuleAuthor::Operator),
            Author::Bot(_) | Author::System => None,
        });
        let writer = match facts.author {
            Some(Author::Operator(op)) => Some(op),
            _ => None,
        };
        any_of(&self.channel, Some(facts.channel))
            && any_of(&self.line, Some(facts.line))
            && member_of(&self.responsible_line, facts.responsible, settings)
            && any_of(&self.status_before, facts.status_before.as_ref())
            && any_of(&self.phase_before, facts.phase_before.as_ref())
            && any_of(&self.author, author.as_ref())
            && member_of(&self.author_line, writer, settings)
            && self.first_chat.is_none_or(|want| want == facts.first_chat)
            && self.reactivated.is_none_or(|want| want == facts.reactivated)
            && self.within_hours.is_none_or(|want| want == live.within_hours(facts.line))
            && self.operators_online.as_ref().is_none_or(|counts| {
                let online = live.operators_online(facts.line);
                counts.iter().any(|c| c.admits(online))
            })
    }
}

impl Rule {
    /// The rule applies to this trigger and these facts.
    pub fn matches(
        &self,
        on: Trigger,
        facts: &Facts<'_>,
        settings: &dyn LineMembership,
        live: &dyn LineNow,
    ) -> bool {
        self.on == on && self.when.hold(facts, settings, live)
    }

    /// The rule ends evaluation after its actions.
    pub fn stops(&self) -> bool {
        self.then.contains(&Action::Stop)
    }

    /// What the rule does, in words (`frontline check`): `rule "name": when a changed chat,
    /// author operator, responsible line line2, status before open or pending → finish pending,
    /// assign line line1, stop`.
    pub fn describe(&self) -> String {
        let mut when = vec![match self.on {
            Trigger::Incoming => "a new chat".to_string(),
            Trigger::Changed => "a changed chat".to_string(),
        }];
        when.extend(self.when.describe());
        let then: Vec<String> = self.then.iter().map(Action::describe).collect();
        format!("rule {:?}: when {} → {}", self.name, when.join(", "), then.join(", "))
    }
}

/// `a`, `a or b`, `a, b or c`.
fn one_of<T>(values: &[T], word: impl Fn(&T) -> String) -> String {
    let words: Vec<String> = values.iter().map(word).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.concat(),
    }
}

impl Conditions {
    /// Each condition set, in words, in a fixed order (where the chat is, who wrote, what it
    /// was before, which chat it is, the line's hours and who of it is online).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut any = |label: &str, words: Option<String>| {
            if let Some(words) = words {
                out.push(format!("{label} {words}"));
            }
        };
        any("channel", self.channel.as_ref().map(|v| one_of(v, |c| c.to_string())));
        any("line", self.line.as_ref().map(|v| one_of(v, |l| l.to_string())));
        any("author", self.author.as_ref().map(|v| one_of(v, |a| a.as_str().to_string())));
        any("author line", self.author_line.as_ref().map(|v| one_of(v, |l| l.to_string())));
        any("responsible line", self.responsible_line.as_ref().map(|v| one_of(v, |l| l.to_string())));
        any("status before", self.status_before.as_ref().map(|v| one_of(v, |s| s.as_str().to_string())));
        any("phase before", self.phase_before.as_ref().map(|v| one_of(v, |p| p.as_str().to_string())));
        let flag = |value: Option<bool>, yes: &str, no: &str| {
            value.map(|v| if v { yes.to_string() } else { no.to_string() })
        };
        out.extend(flag(self.first_chat, "the client's first chat", "not the client's first chat"));
        out.extend(flag(self.reactivated, "reactivated", "not reactivated"));
        out.extend(flag(self.within_hours, "within the line's hours", "outside the line's hours"));
        if let Some(counts) = &self.operators_online {
            if counts.iter().all(|c| c.admits(0) && !c.admits(1)) {
                out.push("no operator of the line online".to_string());
            } else {
                out.push(format!("{} of the line's operators online", one_of(counts, |c| c.describe())));
            }
        }
        out
    }
}

impl Action {
    /// The action in words.
    pub fn describe(&self) -> String {
        match self {
            Action::AssignOperator(op) => format!("assign operator {op}"),
            Action::AssignLine(line) => format!("assign line {line}"),
            Action::SetStatus(status) => format!("set status {}", status.as_str()),
            Action::Finish(status) => format!("finish {}", status.as_str()),
            Action::Pin => "pin".to_string(),
            Action::Unpin => "unpin".to_string(),
            Action::AutoReply { text, only_first_chat: true } => {
                format!("auto-reply {text:?} (on the client's first chat only)")
            }
            Action::AutoReply { text, only_first_chat: false } => format!("auto-reply {text:?}"),
            Action::Stop => "stop".to_string(),
        }
    }
}

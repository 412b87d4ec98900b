//! Running rules after a triggering change (SPEC 4.1). Every matching rule applies in list order
//! until one with `stop`; each rule sees the chat as the rules before it left it. Actions emit
//! changes directly and never trigger rules again; an action the chat's state does not allow
//! (finishing a finished chat, ...) is skipped. A rule's changes are caused by the rule (by its
//! name), whatever command set it off.

use crate::domain::cause::Cause;
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::domain::event::{Author, BotKind, Change, FinishCause};
use crate::domain::ids::{ChatId, LineId, Timestamp};
use crate::domain::rules::{Action, Facts, LineNow, Trigger};
use crate::domain::settings::Settings;
use crate::domain::status::{AssignVia, Phase, Status};

use super::handle::{Draft, MessageExtra};

/// The change that may trigger rules.
#[derive(Debug, Clone)]
pub(super) struct Trig {
    chat: ChatId,
    on: Trigger,
    before: Option<(Status, Phase)>,
    author: Option<Author>,
    reactivated: bool,
}

impl Trig {
    /// A chat was created; `author` wrote its first message.
    pub(super) fn incoming(chat: ChatId, author: Option<Author>) -> Self {
        Self { chat, on: Trigger::Incoming, before: None, author, reactivated: false }
    }

    /// An existing chat changed; it had `status` and `phase` before.
    pub(super) fn changed(chat: ChatId, status: Status, phase: Phase, author: Option<Author>) -> Self {
        Self { chat, on: Trigger::Changed, before: Some((status, phase)), author, reactivated: false }
    }

    /// The change reactivated the chat.
    pub(super) fn reactivated(mut self) -> Self {
        self.reactivated = true;
        self
    }
}

/// A line as rules see it while the command is decided: presence from the directory, hours from
/// the settings, both at the command's `now`.
struct Live<'a> {
    settings: &'a Settings,
    directory: &'a dyn Directory,
    now: Timestamp,
}

impl LineNow for Live<'_> {
    fn operators_online(&self, line: &LineId) -> u32 {
        let online =
            self.settings.operators.values().filter(|o| o.in_line(line) && self.directory.online(&o.id));
        u32::try_from(online.count()).unwrap_or(u32::MAX)
    }

    fn within_hours(&self, line: &LineId) -> bool {
        self.settings.lines.get(line).is_none_or(|l| l.within_hours(self.now))
    }
}

impl Draft<'_, '_> {
    /// Evaluates the rules for `trig` and applies the actions of those that match. Conditions
    /// on the chat's line read the line the chat has when the rule is evaluated (an earlier
    /// rule's `assign_line` counts).
    pub(super) fn run_rules(&mut self, trig: Trig) {
        let settings = self.ctx.settings;
        let live = Live { settings, directory: self.ctx.directory, now: self.ctx.now };
        for rule in &settings.rules {
            let Some(chat) = self.state.chat(trig.chat) else { return };
            let first_chat =
                chat.prev_chat.is_none() && self.state.chats.first().is_some_and(|c| c.id == chat.id);
            let facts = Facts {
                channel: &self.state.id.channel,
                line: &chat.line,
                responsible: chat.responsible.as_ref(),
                status_before: trig.before.map(|b| b.0),
                phase_before: trig.before.map(|b| b.1),
                author: trig.author.as_ref(),
                first_chat,
                reactivated: trig.reactivated,
            };
            if !rule.matches(trig.on, &facts, settings, &live) {
                continue;
            }
            let outer = std::mem::replace(&mut self.by, Cause::rule(&rule.name));
            for action in &rule.then {
                // Refusals are the state's answer to this action, not an error of the command
                // that triggered the rule: the action is skipped.
                let _skipped: Result<(), DomainError> =
                    self.rule_action(trig.chat, first_chat, &rule.name, action);
            }
            self.by = outer;
            if rule.stops() {
                break;
            }
        }
    }

    fn rule_action(
        &mut self,
        chat: ChatId,
        first_chat: bool,
        rule: &str,
        action: &Action,
    ) -> Result<(), DomainError> {
        let c = self.live_chat(chat, "apply a rule")?;
        let (phase, responsible, pinned) = (c.phase, c.responsible.clone(), c.pinned);
        match action {
            Action::AssignOperator(op) => {
                self.require_operator(op)?;
                // An offline operator gets nothing: the chat stays where it is (routed in its
                // line when nobody is responsible).
                if responsible.as_ref() != Some(op) && !self.ctx.directory.is_offline(op) {
                    self.emit(Change::Assigned { chat, operator: op.clone(), via: AssignVia::Rule });
                }
            }
            Action::AssignLine(line) => {
                self.require_line(line)?;
                if responsible.is_some() {
                    self.emit(Change::Unassigned { chat });
                }
                if pinned {
                    self.emit(Change::PinSet { chat, pinned: false });
                }
                self.emit(Change::LineSet { chat, line: line.clone(), forwarded: false });
            }
            Action::SetStatus(status) => {
                let c = self.live_chat(chat, "set a status")?;
                if status.is_manual() && c.accepts_manual_status() && c.status != *status {
                    self.emit(Change::StatusSet { chat, status: *status });
                }
            }
            Action::Finish(status) => {
                if phase == Phase::Active {
                    let cause = FinishCause::Rule(rule.to_string());
                    self.emit(Change::Finished { chat, status: *status, cause, operator_rating: None });
                }
            }
            Action::Pin => {
                if responsible.is_some() && !pinned {
                    self.emit(Change::PinSet { chat, pinned: true });
                }
            }
            Action::Unpin => {
                if pinned {
                    self.emit(Change::PinSet { chat, pinned: false });
                }
            }
            Action::AutoReply { text, only_first_chat } => {
                if first_chat || !only_first_chat {
                    self.append(
                        Some(chat),
                        Author::Bot(BotKind::AutoReply),
                        text.clone(),
                        MessageExtra::default(),
                    );
                }
            }
            Action::Stop => {}
        }
        Ok(())
    }
}

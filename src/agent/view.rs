//! The console's local view of the operator's tabs (My, New, open offers), kept up to date from
//! the `welcome` frame and the events that follow it, so `/my` and `/new` answer without asking
//! the server. Pure: frames in, state out.

use indexmap::IndexMap;

use super::wire::{ChatSummary, OperatorInfo, ServerFrame};

/// An open offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The chat.
    pub chat: ChatSummary,
    /// Milliseconds to expiry when it arrived.
    pub expires_in_ms: i64,
}

/// My tabs as the events told them, each oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tabs {
    /// Who I am (from `welcome`).
    pub me: OperatorInfo,
    /// My tab.
    pub my: IndexMap<u64, ChatSummary>,
    /// New tab.
    pub new: IndexMap<u64, ChatSummary>,
    /// Offers not yet answered, withdrawn or expired.
    pub offers: IndexMap<u64, Offer>,
}

impl Tabs {
    /// The chat `id` wherever the tabs show it.
    pub fn chat(&self, id: u64) -> Option<&ChatSummary> {
        self.my.get(&id).or_else(|| self.new.get(&id)).or_else(|| self.offers.get(&id).map(|o| &o.chat))
    }

    /// Whether `chat` belongs in My: I am responsible or a participant.
    fn is_mine(&self, chat: &ChatSummary) -> bool {
        chat.responsible.as_deref() == Some(self.me.id.as_str()) || chat.participants.contains(&self.me.id)
    }

    /// Applies one frame; frames that do not change the tabs are ignored.
    pub fn apply(&mut self, frame: &ServerFrame) {
        match frame {
            ServerFrame::Welcome { operator, my, new } => {
                self.me = operator.clone();
                self.my = my.iter().map(|c| (c.id, c.clone())).collect();
                self.new = new.iter().map(|c| (c.id, c.clone())).collect();
                self.offers.clear();
            }
            ServerFrame::ChatNew { chat } => {
                self.new.insert(chat.id, chat.clone());
            }
            ServerFrame::Offer { chat, expires_in_ms } => {
                self.offers.insert(chat.id, Offer { chat: chat.clone(), expires_in_ms: *expires_in_ms });
            }
            ServerFrame::OfferWithdrawn { chat, .. } => {
                self.offers.shift_remove(chat);
            }
            ServerFrame::ChatAssigned { chat, .. } => {
                self.new.shift_remove(&chat.id);
                self.offers.shift_remove(&chat.id);
                self.my.insert(chat.id, chat.clone());
            }
            ServerFrame::ChatUpdated { chat, .. } => self.update(chat),
            ServerFrame::ChatRemoved { chat, .. } => {
                self.my.shift_remove(chat);
                self.new.shift_remove(chat);
                self.offers.shift_remove(chat);
            }
            _ => {}
        }
    }

    /// A changed chat replaces its entries; one that is now mine and not yet listed joins My.
    fn update(&mut self, chat: &ChatSummary) {
        let mut listed = false;
        if let Some(entry) = self.my.get_mut(&chat.id) {
            *entry = chat.clone();
            listed = true;
        }
        if let Some(entry) = self.new.get_mut(&chat.id) {
            *entry = chat.clone();
            listed = true;
        }
        if let Some(offer) = self.offers.get_mut(&chat.id) {
            offer.chat = chat.clone();
            listed = true;
        }
        if !listed && self.is_mine(chat) {
            self.my.insert(chat.id, chat.clone());
        }
    }
}

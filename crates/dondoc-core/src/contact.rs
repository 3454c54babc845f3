//! The contact book: who receives reminders, on which channels, and how a Telegram chat
//! is linked to a contact. Its history is the stream [`CONTACT_STREAM`]; [`ContactBook`]
//! folds it. Pure: codes and instants come from the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Channel;
use crate::text::fold;

/// The stream of contact events.
pub const CONTACT_STREAM: &str = "contacts";

/// What a contact does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A responsible officer (chuyên viên đầu mối).
    Officer,
    /// The head of the agency.
    Head,
    /// The secretariat (tổ giúp việc).
    Secretariat,
    /// Provincial leadership (weekly summaries).
    Leadership,
}

impl Role {
    /// The Vietnamese name of the role.
    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Officer => "chuyên viên đầu mối",
            Role::Head => "lãnh đạo cơ quan",
            Role::Secretariat => "tổ giúp việc",
            Role::Leadership => "lãnh đạo tỉnh",
        }
    }
}

/// Someone who receives reminders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Stable id, used in reminder keys.
    pub id: String,
    pub name: String,
    pub agency: String,
    pub role: Role,
    /// Channels in order of preference, with the address on each.
    pub channels: Vec<(Channel, String)>,
}

/// A contact's details as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub id: String,
    pub name: String,
    pub agency: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telegram chat id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram: Option<String>,
    /// Zalo user id (scoped to our Official Account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zalo: Option<String>,
    /// Phone in international form without "+" (84…), for Zalo template messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Contact events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ContactEvent {
    ContactAdded {
        card: ContactCard,
    },
    ContactUpdated {
        card: ContactCard,
    },
    ContactRemoved {
        id: String,
        reason: String,
    },
    /// A one-time code for `/start <code>` was issued; only its SHA-256 is stored.
    LinkCodeIssued {
        id: String,
        code_sha256: String,
        expires_at: DateTime<Utc>,
    },
    /// A channel address was linked by the contact themself (Telegram `/start <code>`).
    ContactLinked {
        id: String,
        channel: Channel,
        address: String,
        code_sha256: Option<String>,
    },
    /// The contact wrote to the Zalo OA (opens the 7-day consultation window).
    ZaloInteraction {
        id: String,
        at: DateTime<Utc>,
    },
}

impl crate::stream_event::StreamEvent for ContactEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ContactEvent::ContactAdded { .. } => "ContactAdded",
            ContactEvent::ContactUpdated { .. } => "ContactUpdated",
            ContactEvent::ContactRemoved { .. } => "ContactRemoved",
            ContactEvent::LinkCodeIssued { .. } => "LinkCodeIssued",
            ContactEvent::ContactLinked { .. } => "ContactLinked",
            ContactEvent::ZaloInteraction { .. } => "ZaloInteraction",
        }
    }
}

/// An issued, unused link code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingCode {
    id: String,
    expires_at: DateTime<Utc>,
}

/// The contact book folded from its events (serialisable, so a read model can keep it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactBook {
    cards: BTreeMap<String, ContactCard>,
    removed: BTreeMap<String, ContactCard>,
    codes: BTreeMap<String, PendingCode>,
    zalo_seen: BTreeMap<String, DateTime<Utc>>,
    next: u32,
}

impl ContactBook {
    /// Applies one event.
    pub fn apply(&mut self, event: &ContactEvent) {
        match event {
            ContactEvent::ContactAdded { card } => {
                self.next += 1;
                self.cards.insert(card.id.clone(), card.clone());
            }
            ContactEvent::ContactUpdated { card } => {
                self.cards.insert(card.id.clone(), card.clone());
            }
            ContactEvent::ContactRemoved { id, .. } => {
                if let Some(card) = self.cards.remove(id) {
                    self.removed.insert(id.clone(), card);
                }
            }
            ContactEvent::LinkCodeIssued { id, code_sha256, expires_at } => {
                self.codes.insert(code_sha256.clone(), PendingCode { id: id.clone(), expires_at: *expires_at });
            }
            ContactEvent::ContactLinked { id, channel, address, code_sha256 } => {
                if let Some(code) = code_sha256 {
                    self.codes.remove(code);
                }
                if let Some(card) = self.cards.get_mut(id) {
                    let slot = match channel {
                        Channel::Email => &mut card.email,
                        Channel::Telegram => &mut card.telegram,
                        Channel::Zalo => &mut card.zalo,
                    };
                    *slot = Some(address.clone());
                }
            }
            ContactEvent::ZaloInteraction { id, at } => {
                let seen = self.zalo_seen.entry(id.clone()).or_insert(*at);
                *seen = (*seen).max(*at);
            }
        }
    }

    /// The id the next added contact gets ("c001", "c002", ...).
    pub fn next_id(&self) -> String {
        format!("c{:03}", self.next + 1)
    }

    /// Every current contact, by id.
    pub fn cards(&self) -> impl Iterator<Item = &ContactCard> {
        self.cards.values()
    }

    pub fn get(&self, id: &str) -> Option<&ContactCard> {
        self.cards.get(id)
    }

    /// Contacts whose name matches (NFC, case and spacing folded), optionally within an agency.
    pub fn find(&self, name: &str, agency: Option<&str>) -> Vec<&ContactCard> {
        let n = fold(name);
        self.cards
            .values()
            .filter(|c| fold(&c.name) == n && agency.is_none_or(|a| fold(&c.agency) == fold(a)))
            .collect()
    }

    /// The contact who owns a channel address (e.g. a Telegram chat id).
    pub fn by_address(&self, channel: Channel, address: &str) -> Option<&ContactCard> {
        self.cards.values().find(|c| c.address(channel) == Some(address))
    }

    /// The contact a valid, unused link code belongs to.
    pub fn redeem(&self, code_sha256: &str, now: DateTime<Utc>) -> Option<&ContactCard> {
        let pending = self.codes.get(code_sha256).filter(|p| now < p.expires_at)?;
        self.cards.get(&pending.id)
    }

    /// When the contact last wrote to the Zalo OA.
    pub fn zalo_last_interaction(&self, id: &str) -> Option<DateTime<Utc>> {
        self.zalo_seen.get(id).copied()
    }

    /// The planner's view: each contact with its channels in the given preference order.
    pub fn contacts(&self, order: &[Channel]) -> Vec<Contact> {
        self.cards.values().map(|c| c.to_contact(order)).collect()
    }
}

impl ContactCard {
    /// The address on a channel. Zalo falls back to the phone (template messages).
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email.as_deref(),
            Channel::Telegram => self.telegram.as_deref(),
            Channel::Zalo => self.zalo.as_deref().or(self.phone.as_deref()),
        }
    }

    /// As the planner sees it: the channels that have an address, in `order`.
    pub fn to_contact(&self, order: &[Channel]) -> Contact {
        Contact {
            id: self.id.clone(),
            name: self.name.clone(),
            agency: self.agency.clone(),
            role: self.role,
            channels: order.iter().filter_map(|&ch| self.address(ch).map(|a| (ch, a.to_string()))).collect(),
        }
    }
}

/// The default channel preference: Telegram, Zalo, then email.
pub const DEFAULT_CHANNEL_ORDER: [Channel; 3] = [Channel::Telegram, Channel::Zalo, Channel::Email];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    fn card(id: &str, name: &str) -> ContactCard {
        ContactCard {
            id: id.into(),
            name: name.into(),
            agency: "Sở Tài chính".into(),
            role: Role::Officer,
            email: Some("a@example.vn".into()),
            telegram: None,
            zalo: None,
            phone: Some("84901234567".into()),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn events_round_trip_and_fold() {
        let events = vec![
            ContactEvent::ContactAdded { card: card("c001", "Nguyễn Văn An") },
            ContactEvent::LinkCodeIssued {
                id: "c001".into(),
                code_sha256: "h".into(),
                expires_at: t("2025-08-02T00:00:00Z"),
            },
        ];
        let mut book = ContactBook::default();
        for e in &events {
            let (ty, data) = e.encode();
            let back = ContactEvent::decode(ty, data).unwrap();
            assert_eq!(&back, e);
            book.apply(&back);
        }
        assert_eq!(book.next_id(), "c002");
        assert_eq!(book.find("NGUYỄN VĂN  AN", None).len(), 1);
        assert!(book.redeem("h", t("2025-08-01T00:00:00Z")).is_some());
        assert!(book.redeem("h", t("2025-08-03T00:00:00Z")).is_none(), "expired");
        book.apply(&ContactEvent::ContactLinked {
            id: "c001".into(),
            channel: Channel::Telegram,
            address: "42".into(),
            code_sha256: Some("h".into()),
        });
        assert!(book.redeem("h", t("2025-08-01T00:00:00Z")).is_none(), "single use");
        assert_eq!(book.by_address(Channel::Telegram, "42").unwrap().id, "c001");
        let c = book.contacts(&DEFAULT_CHANNEL_ORDER).remove(0);
        let chans: Vec<Channel> = c.channels.iter().map(|(ch, _)| *ch).collect();
        assert_eq!(chans, vec![Channel::Telegram, Channel::Zalo, Channel::Email]);
    }
}

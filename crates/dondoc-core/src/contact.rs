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
    /// Position (chức vụ), e.g. "Phó Chủ tịch UBND tỉnh": the salutation names it.
    pub position: Option<String>,
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
    /// Position (chức vụ), e.g. "Phó Chủ tịch UBND tỉnh".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
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
    /// The person's own choice: the channels to be reached on, in order (those left out
    /// are opted out of); `None`: every channel with an address, in the configured order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Channel>>,
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
    /// The person chose the channels to be reached on, in order (at least one).
    ChannelsChosen {
        id: String,
        channels: Vec<Channel>,
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
            ContactEvent::ChannelsChosen { .. } => "ChannelsChosen",
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
            ContactEvent::ChannelsChosen { id, channels } => {
                if let Some(card) = self.cards.get_mut(id) {
                    card.channels = Some(channels.clone());
                }
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

    /// The contact who owns an address on a channel: an email address, a Telegram user or
    /// chat id, a Zalo user id.
    pub fn by_address(&self, channel: Channel, address: &str) -> Option<&ContactCard> {
        self.cards.values().find(|c| {
            let own = match channel {
                Channel::Email => c.email.as_deref(),
                Channel::Telegram => c.telegram.as_deref(),
                Channel::Zalo => c.zalo.as_deref(),
            };
            own == Some(address)
        })
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
    /// The address on a channel. On Zalo: the user id (consultation messages) and the phone
    /// (template messages), as [`ZaloAddress::encode`] writes them.
    pub fn address(&self, channel: Channel) -> Option<String> {
        match channel {
            Channel::Email => self.email.clone(),
            Channel::Telegram => self.telegram.clone(),
            Channel::Zalo => ZaloAddress { user_id: self.zalo.clone(), phone: self.phone.clone() }.encode(),
        }
    }

    /// As the planner sees it: the channels that have an address, in the person's own
    /// order when they chose one, else in `order`.
    pub fn to_contact(&self, order: &[Channel]) -> Contact {
        let order = self.channels.as_deref().unwrap_or(order);
        Contact {
            id: self.id.clone(),
            name: self.name.clone(),
            agency: self.agency.clone(),
            role: self.role,
            position: self.position.clone(),
            channels: order.iter().filter_map(|&ch| self.address(ch).map(|a| (ch, a))).collect(),
        }
    }
}

/// Where a contact is reached on Zalo: the user id the Official Account knows (for
/// consultation messages, inside the reply window after the officer writes) and the phone
/// number in international form, "84…" (for ZNS template messages, at any time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZaloAddress {
    pub user_id: Option<String>,
    pub phone: Option<String>,
}

impl ZaloAddress {
    /// One string for a message's address: the user id, the phone, or both as
    /// "user_id|phone"; `None` when there is neither.
    pub fn encode(&self) -> Option<String> {
        let user_id = self.user_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let phone = self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match (user_id, phone) {
            (Some(u), Some(p)) => Some(format!("{u}|{p}")),
            (Some(a), None) | (None, Some(a)) => Some(a.to_string()),
            (None, None) => None,
        }
    }

    /// Reads what [`ZaloAddress::encode`] wrote; a single value is a phone when it looks
    /// like one ("84" and 9 or 10 more digits), else a user id.
    pub fn parse(address: &str) -> ZaloAddress {
        let address = address.trim();
        match address.split_once('|') {
            Some((u, p)) => ZaloAddress {
                user_id: Some(u.trim().to_string()).filter(|s| !s.is_empty()),
                phone: Some(p.trim().to_string()).filter(|s| !s.is_empty()),
            },
            None if is_phone(address) => ZaloAddress { user_id: None, phone: Some(address.to_string()) },
            None if address.is_empty() => ZaloAddress::default(),
            None => ZaloAddress { user_id: Some(address.to_string()), phone: None },
        }
    }
}

/// Whether a text is a phone number in international form: "84" and 9 or 10 more digits.
/// Zalo user ids are longer digit strings (usually 16 to 19 digits).
pub fn is_phone(text: &str) -> bool {
    (11..=12).contains(&text.len()) && text.starts_with("84") && text.bytes().all(|b| b.is_ascii_digit())
}

/// The default channel preference: Telegram, Zalo, then email.
pub const DEFAULT_CHANNEL_ORDER: [Channel; 3] = [Channel::Telegram, Channel::Zalo, Channel::Email];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    #[test]
    fn zalo_addresses_carry_the_user_id_and_the_phone() {
        let both = ZaloAddress { user_id: Some("2468458835296197922".into()), phone: Some("84901234567".into()) };
        let cases = [
            (both.clone(), Some("2468458835296197922|84901234567")),
            (ZaloAddress { user_id: Some("5005".into()), phone: None }, Some("5005")),
            (ZaloAddress { user_id: None, phone: Some("84901234567".into()) }, Some("84901234567")),
            (ZaloAddress::default(), None),
        ];
        for (address, encoded) in cases {
            assert_eq!(address.encode().as_deref(), encoded);
            if let Some(e) = encoded {
                assert_eq!(ZaloAddress::parse(e), address, "{e}");
            }
        }
        assert!(is_phone("84901234567") && is_phone("849012345678"));
        assert!(!is_phone("8490123456") && !is_phone("0901234567") && !is_phone("2468458835296197922"));
    }

    fn card(id: &str, name: &str) -> ContactCard {
        ContactCard {
            id: id.into(),
            name: name.into(),
            agency: "Sở Tài chính".into(),
            role: Role::Officer,
            position: None,
            email: Some("a@example.vn".into()),
            telegram: None,
            zalo: None,
            phone: Some("84901234567".into()),
            channels: None,
        }
    }

    #[test]
    fn a_persons_own_channel_order_replaces_the_configured_one() {
        let mut book = ContactBook::default();
        let mut c = card("c001", "An");
        c.telegram = Some("7001".into());
        book.apply(&ContactEvent::ContactAdded { card: c });
        let order = [Channel::Email, Channel::Telegram, Channel::Zalo];
        let channels = |book: &ContactBook| -> Vec<Channel> {
            book.contacts(&order)[0].channels.iter().map(|(ch, _)| *ch).collect()
        };
        assert_eq!(channels(&book), [Channel::Email, Channel::Telegram, Channel::Zalo]);
        // Telegram first, email opted out.
        book.apply(&ContactEvent::ChannelsChosen {
            id: "c001".into(),
            channels: vec![Channel::Telegram, Channel::Zalo],
        });
        assert_eq!(channels(&book), [Channel::Telegram, Channel::Zalo]);
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
        assert!(book.by_address(Channel::Zalo, "84901234567").is_none(), "a phone is not a Zalo user id");
        let c = book.contacts(&DEFAULT_CHANNEL_ORDER).remove(0);
        let chans: Vec<Channel> = c.channels.iter().map(|(ch, _)| *ch).collect();
        assert_eq!(chans, vec![Channel::Telegram, Channel::Zalo, Channel::Email]);
    }
}

//! The contact book: who receives reminders, on which channels, and how a Telegram chat
//! is linked to a contact. Its history is the stream [`CONTACT_STREAM`]; [`ContactBook`]
//! folds it. Pure: codes and instants come from the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkingHours;
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
    /// The person's quiet hours: nothing is sent to them inside this window.
    pub quiet: Option<QuietHours>,
}

/// A daily window of local time (Asia/Ho_Chi_Minh) in which a person is sent nothing; a
/// reminder that falls due inside it waits for its end (it is deferred, never dropped).
/// `from > until` wraps midnight (18:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

/// The least time, in minutes, that quiet hours must leave free within the sending window
/// of a working day, so that a person cannot silence every reminder by accident.
pub const QUIET_HOURS_MIN_FREE_MINUTES: u32 = 120;

impl QuietHours {
    /// Whether a local time of day falls in the window.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.from <= self.until { self.from <= t && t < self.until } else { t >= self.from || t < self.until }
    }

    /// Checks the window against the office's sending window (working hours from
    /// `send_at`): it must not be empty and must leave at least
    /// [`QUIET_HOURS_MIN_FREE_MINUTES`] of it free. The error is written for the person.
    pub fn check(&self, hours: &WorkingHours, send_at: NaiveTime) -> Result<(), String> {
        if self.from == self.until {
            return Err("giờ bắt đầu và giờ kết thúc không được trùng nhau".to_string());
        }
        let free = (0..24 * 60)
            .filter_map(|m| NaiveTime::from_hms_opt(m / 60, m % 60, 0))
            .filter(|t| *t >= send_at && hours.contains(*t) && !self.contains(*t))
            .count() as u32;
        if free < QUIET_HOURS_MIN_FREE_MINUTES {
            return Err(format!(
                "khoảng {} không nhận tin phải để trống ít nhất {} giờ trong giờ hành chính (từ {}), để nhắc việc không bị dồn lại",
                self.label(),
                QUIET_HOURS_MIN_FREE_MINUTES / 60,
                send_at.format("%H:%M")
            ));
        }
        Ok(())
    }

    /// "18:00–07:00".
    pub fn label(&self) -> String {
        format!("{}–{}", self.from.format("%H:%M"), self.until.format("%H:%M"))
    }

    /// Reads "HH:MM" times (seconds are dropped).
    pub fn parse(from: &str, until: &str) -> Result<QuietHours, String> {
        let time = |text: &str| {
            NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .map(|t| t.with_second(0).unwrap_or(t))
                .map_err(|_| format!("giờ \"{}\" không hợp lệ (viết dạng 18:00)", text.trim()))
        };
        Ok(QuietHours { from: time(from)?, until: time(until)? })
    }
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
    /// The person's quiet hours, if they chose any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<QuietHours>,
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
    /// The person chose quiet hours, or (`None`) gave them up.
    QuietHoursChosen {
        id: String,
        quiet: Option<QuietHours>,
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
            ContactEvent::QuietHoursChosen { .. } => "QuietHoursChosen",
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
            ContactEvent::QuietHoursChosen { id, quiet } => {
                if let Some(card) = self.cards.get_mut(id) {
                    card.quiet = *quiet;
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
            quiet: self.quiet,
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
            quiet: None,
        }
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_contain_their_start_not_their_end_and_may_wrap_midnight() {
        // (from, until, time, inside)
        let cases = [
            ((11, 30), (13, 30), (11, 30), true),
            ((11, 30), (13, 30), (12, 59), true),
            ((11, 30), (13, 30), (13, 30), false),
            ((11, 30), (13, 30), (8, 0), false),
            ((18, 0), (7, 0), (23, 0), true),
            ((18, 0), (7, 0), (0, 0), true),
            ((18, 0), (7, 0), (6, 59), true),
            ((18, 0), (7, 0), (7, 0), false),
            ((18, 0), (7, 0), (17, 59), false),
        ];
        for (from, until, at, inside) in cases {
            let q = QuietHours { from: hm(from.0, from.1), until: hm(until.0, until.1) };
            assert_eq!(q.contains(hm(at.0, at.1)), inside, "{} at {:?}", q.label(), at);
        }
    }

    #[test]
    fn quiet_hours_must_leave_part_of_the_sending_window_free() {
        let hours = WorkingHours::default(); // 07:30–11:30, 13:30–17:00
        let send_at = hm(8, 0);
        let check = |f: (u32, u32), u: (u32, u32)| {
            QuietHours { from: hm(f.0, f.1), until: hm(u.0, u.1) }.check(&hours, send_at)
        };
        assert!(check((17, 0), (8, 0)).is_ok(), "evenings and nights");
        assert!(check((11, 0), (14, 0)).is_ok(), "lunch");
        assert!(check((8, 0), (15, 0)).is_ok(), "exactly 2 free hours (15:00–17:00)");
        assert!(check((8, 0), (15, 1)).is_err(), "1 h 59 min free");
        assert!(check((7, 0), (17, 0)).is_err(), "the whole working day");
        assert!(check((9, 0), (9, 0)).is_err(), "empty");
        assert!(QuietHours::parse("18:00", " 7:00 ").is_ok());
        assert!(QuietHours::parse("25:00", "07:00").unwrap_err().contains("25:00"));
    }

    #[test]
    fn quiet_hours_are_chosen_and_given_up_and_older_cards_load_without_them() {
        let mut book = ContactBook::default();
        book.apply(&ContactEvent::ContactAdded { card: card("c001", "An") });
        let q = QuietHours { from: hm(18, 0), until: hm(7, 0) };
        let chosen = ContactEvent::QuietHoursChosen { id: "c001".into(), quiet: Some(q) };
        let (ty, data) = chosen.encode();
        assert_eq!(ContactEvent::decode(ty, data).unwrap(), chosen);
        book.apply(&chosen);
        assert_eq!(book.contacts(&DEFAULT_CHANNEL_ORDER)[0].quiet, Some(q));
        book.apply(&ContactEvent::QuietHoursChosen { id: "c001".into(), quiet: None });
        assert_eq!(book.contacts(&DEFAULT_CHANNEL_ORDER)[0].quiet, None);
        let old = serde_json::json!({"id": "c002", "name": "B", "agency": "Sở Y tế", "role": "officer"});
        let card: ContactCard = serde_json::from_value(old).unwrap();
        assert_eq!(card.quiet, None);
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

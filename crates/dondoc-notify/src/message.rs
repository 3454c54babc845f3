//! A message as a channel sends it: rendered text, the tasks and reminder keys it
//! carries, and its idempotency key.

use std::collections::BTreeMap;

use dondoc_core::event::{Channel, ReminderKey, TaskKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What a message is, for the channels that send each kind differently (a Zalo template
/// message needs the approved template of its kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A digest of reminders.
    #[default]
    Reminder,
    /// The weekly summary for leadership.
    WeeklySummary,
    /// An officer's daily digest.
    DailyDigest,
    /// The secretariat's report of reminders that could not be delivered.
    DeliveryReport,
    /// An answer to what someone wrote in a chat (`/viec`, `/trehan`).
    ChatReply,
}

/// One message to one person on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub kind: MessageKind,
    pub channel: Channel,
    /// The contact id.
    pub recipient: String,
    /// The contact's name (for the greeting and logs).
    pub name: String,
    /// The address on the channel: an email address, a Telegram chat id, a Zalo user id
    /// or phone number ("84…").
    pub address: String,
    pub subject: String,
    /// Plain text (email text part, Telegram and Zalo body).
    pub text: String,
    /// HTML body (email only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Buttons (Telegram inline keyboard, Zalo `oa.query.show`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Parameters of a pre-approved template (Zalo ZNS): ASCII names with underscores.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The tasks this message is about.
    pub tasks: Vec<TaskKey>,
    /// The reminder keys it delivers (empty for summaries).
    pub keys: Vec<ReminderKey>,
    /// Stable identity of the message (Zalo `tracking_id`, reference in button callbacks).
    pub idempotency_key: String,
}

impl Message {
    /// A plain text message without reminders, buttons or attachments (summaries, digests).
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        kind: MessageKind,
        channel: Channel,
        recipient: &str,
        name: &str,
        address: &str,
        subject: String,
        text: String,
        idempotency_key: String,
    ) -> Message {
        Message {
            kind,
            channel,
            recipient: recipient.to_string(),
            name: name.to_string(),
            address: address.to_string(),
            subject,
            text,
            html: None,
            attachments: Vec::new(),
            actions: Vec::new(),
            params: BTreeMap::new(),
            tasks: Vec::new(),
            keys: Vec::new(),
            idempotency_key,
        }
    }
}

/// A file sent with an email; `inline_id` makes it an inline part (`cid:` in the HTML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_id: Option<String>,
}

/// A button: its Vietnamese label and the callback data (at most 64 bytes, Telegram's limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub label: String,
    pub data: String,
}

/// What a button asks for, encoded in callback data as `<verb>:<message ref>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// "Đã nhận": acknowledge every reminder of the message.
    Acknowledge,
    /// "Báo cáo tiến độ": the next text from the officer is a progress report.
    Progress,
    /// "Đề nghị gia hạn": the next text is an extension request ("dd/mm/yyyy lý do").
    Extension,
}

impl ActionKind {
    pub const ALL: [ActionKind; 3] = [ActionKind::Acknowledge, ActionKind::Progress, ActionKind::Extension];

    /// The button label shown to officers.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "Đã nhận",
            ActionKind::Progress => "Báo cáo tiến độ",
            ActionKind::Extension => "Đề nghị gia hạn",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "ack",
            ActionKind::Progress => "prog",
            ActionKind::Extension => "ext",
        }
    }

    /// Callback data for a message reference.
    pub fn encode(self, message_ref: &str) -> String {
        format!("{}:{}", self.verb(), message_ref)
    }

    /// Parses callback data made by [`ActionKind::encode`].
    pub fn decode(data: &str) -> Option<(ActionKind, &str)> {
        let (verb, reference) = data.split_once(':')?;
        let kind = ActionKind::ALL.into_iter().find(|k| k.verb() == verb)?;
        (!reference.is_empty()).then_some((kind, reference))
    }
}

/// The buttons every reminder carries.
pub fn reminder_actions(message_ref: &str) -> Vec<Action> {
    ActionKind::ALL.iter().map(|k| Action { label: k.label().to_string(), data: k.encode(message_ref) }).collect()
}

/// The idempotency key of a message: SHA-256 of its sorted reminder keys (or of `seed`
/// for messages without keys), 32 hex digits. The same reminders give the same key.
pub fn idempotency_key(keys: &[ReminderKey], seed: &str) -> String {
    let mut parts: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    parts.sort();
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_and_fits_telegram() {
        let r = "0123456789abcdef0123456789abcdef";
        for k in ActionKind::ALL {
            let data = k.encode(r);
            assert!(data.len() <= 64);
            assert_eq!(ActionKind::decode(&data), Some((k, r)));
        }
        assert_eq!(ActionKind::decode("nope:x"), None);
        assert_eq!(ActionKind::decode("ack:"), None);
    }
}

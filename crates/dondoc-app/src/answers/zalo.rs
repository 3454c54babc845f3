//! Events from the Zalo Official Account's webhook. The signature is checked and a stale
//! request refused; then a message from an officer opens their reply window (recorded as
//! a contact event) and a tapped "Đã nhận" button acknowledges the reminders of its
//! message. The webhook answers 200 only once that is appended (Zalo sends an event again
//! when the answer is not 200), and only then remembers the event as handled: a repeat of a
//! handled event is answered 200 and ignored, a repeat of a failed one is handled again,
//! and its acknowledgement, under a command id drawn from the event, records nothing twice.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::contact::{CONTACT_STREAM, ContactEvent};
use dondoc_core::event::{Channel, Source};
use dondoc_notify::Sender;
use dondoc_notify::channel::zalo::{Interactions, WebhookEvent, ZaloConfig, parse_webhook, verify_signature};
use dondoc_notify::message::{ActionKind, Message, MessageKind};
use dondoc_store::ExpectedRevision;
use uuid::Uuid;

use super::{acknowledgements, actor, find_contact, message_keys};
use crate::App;
use crate::command;
use crate::error::Result;

/// Zalo user id → when they last wrote to the OA: shared by the sender (the consultation
/// window) and the webhook.
#[derive(Clone, Default)]
pub struct ZaloSeen(Arc<RwLock<HashMap<String, DateTime<Utc>>>>);

impl ZaloSeen {
    /// Records an interaction; `false` when an equal or newer one was known.
    pub fn saw(&self, user: &str, at: DateTime<Utc>) -> bool {
        let Ok(mut seen) = self.0.write() else { return false };
        let newer = seen.get(user).is_none_or(|last| *last < at);
        if newer {
            seen.insert(user.to_string(), at);
        }
        newer
    }

    /// Whether `at` is later than the last interaction known for `user`.
    pub fn is_newer(&self, user: &str, at: DateTime<Utc>) -> bool {
        self.0.read().map(|seen| seen.get(user).is_none_or(|last| *last < at)).unwrap_or(false)
    }

    /// The sender's view: when a user last wrote.
    pub fn interactions(&self) -> Interactions {
        let seen = self.0.clone();
        Arc::new(move |uid: &str| seen.read().ok()?.get(uid).copied())
    }

    /// Loads the interactions recorded in the contact book.
    pub async fn load(&self, app: &App) -> Result<()> {
        let book = app.read().await?.contacts()?;
        for card in book.cards() {
            if let (Some(uid), Some(at)) = (&card.zalo, book.zalo_last_interaction(&card.id)) {
                self.saw(uid, at);
            }
        }
        Ok(())
    }
}

/// The webhook's configuration and memory.
pub struct Hook {
    pub config: ZaloConfig,
    pub seen: ZaloSeen,
    /// Sends the answers to chat commands (the Zalo channel; none: no answer is sent).
    pub reply: Option<Arc<dyn Sender>>,
    /// Events handled (sender, timestamp), the most recent [`RECENT`], and those being
    /// handled now: a repeat of either is ignored.
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    handled: VecDeque<(String, i64)>,
    in_flight: HashSet<(String, i64)>,
}

/// Events older or newer than this (by their signed timestamp) are refused as replays.
const MAX_SKEW_MINUTES: i64 = 10;
/// Events remembered against replays.
const RECENT: usize = 10_000;

/// What the webhook answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Taken (or a repeat, ignored): 200.
    Accepted,
    /// Not a webhook event: 400.
    Malformed,
    /// Bad signature, or a stale timestamp: 401.
    Refused,
}

impl Hook {
    pub fn new(config: ZaloConfig, seen: ZaloSeen) -> Hook {
        Hook { config, seen, reply: None, memory: Mutex::default() }
    }

    /// Checks a request (its raw body and signature header) at `now`; the event to handle
    /// when it is accepted and new. A new event is then in flight until [`Hook::finish`].
    pub fn check(&self, body: &[u8], signature: &str, now: DateTime<Utc>) -> (Verdict, Option<WebhookEvent>) {
        let Ok(event) = parse_webhook(body) else { return (Verdict::Malformed, None) };
        let timestamp = event.timestamp_ms.to_string();
        if !verify_signature(&self.config.app_id, body, &timestamp, &self.config.oa_secret_key, signature) {
            tracing::warn!("webhook Zalo sai chữ ký: bỏ qua");
            return (Verdict::Refused, None);
        }
        // A signed request can be captured and sent again: refuse stale ones and repeats.
        let skew = (now - event.timestamp).num_minutes().abs();
        if skew > MAX_SKEW_MINUTES {
            tracing::warn!(skew_minutes = skew, "webhook Zalo quá cũ hoặc sai giờ: bỏ qua");
            return (Verdict::Refused, None);
        }
        let Ok(mut memory) = self.memory.lock() else { return (Verdict::Accepted, None) };
        let id = (event.sender_id.clone(), event.timestamp_ms);
        if memory.handled.contains(&id) || !memory.in_flight.insert(id) {
            return (Verdict::Accepted, None);
        }
        (Verdict::Accepted, Some(event))
    }

    /// Ends the handling of an event [`Hook::check`] gave: remembered as handled when
    /// `recorded`, else forgotten so that Zalo's next delivery of it is handled again.
    pub fn finish(&self, event: &WebhookEvent, recorded: bool) {
        let Ok(mut memory) = self.memory.lock() else { return };
        let id = (event.sender_id.clone(), event.timestamp_ms);
        memory.in_flight.remove(&id);
        if recorded {
            if memory.handled.len() >= RECENT {
                memory.handled.pop_front();
            }
            memory.handled.push_back(id);
        }
    }
}

/// Answers `text` to the Zalo user `user_id` (in the reply window their message opened).
async fn reply(hook: &Hook, user_id: &str, name: &str, text: String, key: String) {
    let Some(sender) = &hook.reply else { return };
    let message =
        Message::text(MessageKind::ChatReply, Channel::Zalo, user_id, name, user_id, "Trả lời".to_string(), text, key);
    if let Err(e) = sender.send(&message).await {
        tracing::warn!(error = %e, "không trả lời được trên Zalo");
    }
}

/// The command id of what an event records: the same for every delivery of the event.
fn command_id(event: &WebhookEvent) -> Uuid {
    let name =
        format!("zalo:event:{}:{}:{}", event.sender_id, event.timestamp_ms, event.message_id.as_deref().unwrap_or(""));
    Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes())
}

/// Records what an accepted event means: an officer's message opens their window; a
/// "Đã nhận" payload acknowledges the reminders of its message sent to that officer.
pub async fn handle(app: &App, hook: &Hook, event: WebhookEvent) -> Result<()> {
    if !event.event_name.starts_with("user_send") {
        return Ok(());
    }
    let sender = event.sender_id.as_str();
    let Some(card) = find_contact(app, |book| book.by_address(Channel::Zalo, sender).cloned()).await? else {
        tracing::info!(sender = %event.sender_id, "tin Zalo từ người chưa có trong danh bạ");
        // A polite answer, and nothing recorded: the window their message opened is known
        // to the sender only.
        if event.text.is_some() {
            hook.seen.saw(sender, event.timestamp);
            let text = "Tài khoản Zalo này chưa được liên kết với danh bạ nhận nhắc việc. \
                        Đề nghị đồng chí liên hệ Tổ giúp việc để được liên kết."
                .to_string();
            reply(hook, sender, "", text, format!("zalo-reply-{}", command_id(&event))).await;
        }
        return Ok(());
    };
    let at = event.timestamp;
    let ctx = actor(&card, Source::Zalo).at(at).with_command_id(command_id(&event));
    if hook.seen.is_newer(&event.sender_id, at) {
        let (t, data) = ContactEvent::ZaloInteraction { id: card.id.clone(), at }.encode();
        command::append_facts(&app.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
        hook.seen.saw(&event.sender_id, at);
    }
    if let Some((ActionKind::Acknowledge, message_ref)) = event.payload.as_deref().and_then(ActionKind::decode) {
        let keys = message_keys(app, message_ref).await?;
        // Only the officer a reminder was sent to can acknowledge it.
        let keys: Vec<_> = keys.into_iter().filter(|k| k.recipient == card.id).collect();
        let commands = acknowledgements(&keys);
        command::execute_batch(&app.store, &commands, Vec::new(), &ctx).await?;
    }
    if let Some(asked) = event.text.as_deref().and_then(super::chat_command) {
        let text = super::chat_reply(app, &card, asked, Source::Zalo, command_id(&event)).await?;
        reply(hook, sender, &card.name, text, format!("zalo-reply-{}", command_id(&event))).await;
    }
    Ok(())
}

//! `POST /zalo/webhook`: events from the Zalo Official Account. The signature is checked,
//! the request answered at once (Zalo gives up after about 2 s), and the work done after:
//! a message from an officer opens their 7-day consultation window (recorded as a
//! contact event) and a tapped "Đã nhận" button acknowledges the reminders of its message.

use dondoc_core::StreamEvent as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use dondoc_core::contact::{CONTACT_STREAM, ContactEvent};
use dondoc_core::event::{Channel, Source};
use dondoc_notify::channel::zalo::{ZaloConfig, parse_webhook, verify_signature, webhook::SIGNATURE_HEADER};
use dondoc_notify::message::ActionKind;
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::ExpectedRevision;

use super::Daemon;
use super::build::ZaloSeen;
use super::load;

/// What the webhook needs besides the daemon.
pub struct Hook {
    pub config: ZaloConfig,
    pub seen: ZaloSeen,
    /// Recently handled events (sender, timestamp): a replayed request is ignored.
    pub recent: std::sync::Mutex<std::collections::VecDeque<(String, i64)>>,
}

impl Hook {
    pub fn new(config: ZaloConfig, seen: ZaloSeen) -> Hook {
        Hook { config, seen, recent: Default::default() }
    }
}

/// Events older or newer than this (by their signed timestamp) are refused as replays.
const MAX_SKEW_MINUTES: i64 = 10;

type HookState = (Arc<Daemon>, Arc<Hook>);

/// The webhook route.
pub fn router(daemon: Arc<Daemon>, hook: Arc<Hook>) -> Router {
    Router::new().route("/zalo/webhook", post(webhook)).with_state((daemon, hook))
}

async fn webhook(State((d, hook)): State<HookState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Ok(event) = parse_webhook(&body) else { return StatusCode::BAD_REQUEST };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let timestamp = event.timestamp_ms.to_string();
    if !verify_signature(&hook.config.oa_id, &body, &timestamp, &hook.config.oa_secret_key, signature) {
        tracing::warn!("webhook Zalo sai chữ ký: bỏ qua");
        return StatusCode::UNAUTHORIZED;
    }
    // A signed request can be captured and sent again: refuse stale ones and repeats.
    let skew = ((d.clock)() - event.timestamp).num_minutes().abs();
    if skew > MAX_SKEW_MINUTES {
        tracing::warn!(skew_minutes = skew, "webhook Zalo quá cũ hoặc sai giờ: bỏ qua");
        return StatusCode::UNAUTHORIZED;
    }
    {
        let mut recent = hook.recent.lock().expect("zalo lock");
        let id = (event.sender_id.clone(), event.timestamp_ms);
        if recent.contains(&id) {
            return StatusCode::OK;
        }
        if recent.len() >= 10_000 {
            recent.pop_front();
        }
        recent.push_back(id);
    }
    tokio::spawn(async move {
        if let Err(e) = handle(&d, &hook, event).await {
            tracing::error!(error = %format!("{e:#}"), "không xử lý được sự kiện Zalo");
        }
    });
    StatusCode::OK
}

async fn handle(d: &Daemon, hook: &Hook, event: dondoc_notify::channel::zalo::WebhookEvent) -> anyhow::Result<()> {
    if !event.event_name.starts_with("user_send") {
        return Ok(());
    }
    let book = load::contacts(&d.store).await?;
    let Some(card) = book.by_address(Channel::Zalo, &event.sender_id).cloned() else {
        tracing::info!(sender = %event.sender_id, "tin Zalo từ người chưa có trong danh bạ");
        return Ok(());
    };
    let at = event.timestamp;
    let ctx = CommandContext::new(format!("contact:{} ({})", card.id, card.name), Source::Zalo, at);
    let newer = {
        let mut seen = hook.seen.write().expect("zalo lock");
        let newer = seen.get(&event.sender_id).is_none_or(|last| *last < at);
        if newer {
            seen.insert(event.sender_id.clone(), at);
        }
        newer
    };
    if newer {
        let (t, data) = ContactEvent::ZaloInteraction { id: card.id.clone(), at }.encode();
        service::append_facts(&d.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
    }
    if let Some((ActionKind::Acknowledge, message_ref)) = event.payload.as_deref().and_then(ActionKind::decode) {
        let keys = {
            let mut p = d.projections.lock().await;
            p.catch_up(&d.store).await?;
            p.message_keys(message_ref)?
        };
        // Only the officer a reminder was sent to can acknowledge it.
        let keys: Vec<_> = keys.into_iter().filter(|k| k.recipient == card.id).collect();
        let commands = super::inbound::acknowledgements(&keys);
        service::execute_batch(&d.store, &commands, Vec::new(), &ctx).await?;
    }
    Ok(())
}

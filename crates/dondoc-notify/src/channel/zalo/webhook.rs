//! Incoming Zalo webhook calls: signature check and parsing.
//!
//! Zalo expects a 200 within about two seconds: verify, parse, queue the event and answer;
//! do the work afterwards.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::ZaloError;
use crate::message::ActionKind;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-ZEvent-Signature";

/// Checks `X-ZEvent-Signature`: hex SHA-256 of `app_id + raw_body + timestamp +
/// oa_secret_key` (Zalo's webhook guide: the application's id, not the OA's; the OA secret
/// key shown when the OA is linked to the app), compared in constant time. Accepts upper or
/// lower case hex and an optional `mac=` prefix. `timestamp` is the event's `timestamp` field
/// as sent (see [`WebhookEvent::timestamp_ms`]).
pub fn verify_signature(
    app_id: &str,
    raw_body: &[u8],
    timestamp: &str,
    oa_secret_key: &str,
    header_value: &str,
) -> bool {
    if oa_secret_key.is_empty() {
        return false;
    }
    let given = header_value.trim();
    let given = match given.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("mac=") => given[4..].trim(),
        _ => given,
    };
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let mut h = Sha256::new();
    h.update(app_id.as_bytes());
    h.update(raw_body);
    h.update(timestamp.as_bytes());
    h.update(oa_secret_key.as_bytes());
    let expected = h.finalize();
    constant_time_eq(&expected, &given)
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// One webhook event, reduced to what dondoc uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `user_send_text`, `follow`, `unfollow`, `user_received_message`, `user_seen_message`, …
    pub event_name: String,
    /// `sender.id`, or `follower.id` for follow events: the Zalo user id for user events.
    pub sender_id: String,
    /// `recipient.id` when present.
    pub recipient_id: Option<String>,
    /// `message.text` when present.
    pub text: Option<String>,
    /// The button payload (callback data made by [`ActionKind::encode`]) when the text is one:
    /// an `oa.query.show` button sends its payload back as the user's text.
    pub payload: Option<String>,
    /// `message.msg_id` when present.
    pub message_id: Option<String>,
    /// `timestamp` in milliseconds since the epoch, as sent (the signature input).
    pub timestamp_ms: i64,
    /// `timestamp` as a time.
    pub timestamp: DateTime<Utc>,
}

/// Parses a webhook body. Fails on invalid JSON, a missing `event_name`, sender or timestamp.
pub fn parse_webhook(raw_body: &[u8]) -> Result<WebhookEvent, ZaloError> {
    let bad = |why: &str| ZaloError::Webhook(why.to_string());
    let json: Value = serde_json::from_slice(raw_body).map_err(|e| ZaloError::Webhook(format!("JSON: {e}")))?;
    let text_at = |path: &[&str]| -> Option<String> {
        let mut v = &json;
        for k in path {
            v = v.get(k)?;
        }
        match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let event_name = text_at(&["event_name"]).ok_or_else(|| bad("thiếu event_name"))?;
    let sender_id =
        text_at(&["sender", "id"]).or_else(|| text_at(&["follower", "id"])).ok_or_else(|| bad("thiếu sender.id"))?;
    let timestamp_ms = super::json_i64(json.get("timestamp")).ok_or_else(|| bad("thiếu timestamp"))?;
    let timestamp = DateTime::from_timestamp_millis(timestamp_ms).ok_or_else(|| bad("timestamp ngoài phạm vi"))?;
    let text = text_at(&["message", "text"]);
    let payload = text.as_deref().filter(|t| ActionKind::decode(t.trim()).is_some()).map(|t| t.trim().to_string());
    Ok(WebhookEvent {
        event_name,
        sender_id,
        recipient_id: text_at(&["recipient", "id"]),
        text,
        payload,
        message_id: text_at(&["message", "msg_id"]),
        timestamp_ms,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_button_payloads() {
        let body = br#"{"app_id":"1","event_name":"user_send_text","sender":{"id":"246"},"recipient":{"id":"99"},
            "message":{"text":"ack:0123456789abcdef","msg_id":"m1"},"timestamp":"1700000000123"}"#;
        let e = parse_webhook(body).unwrap();
        assert_eq!(e.event_name, "user_send_text");
        assert_eq!(e.sender_id, "246");
        assert_eq!(e.payload.as_deref(), Some("ack:0123456789abcdef"));
        assert_eq!(e.timestamp_ms, 1_700_000_000_123);
        assert_eq!(e.timestamp.timestamp_millis(), 1_700_000_000_123);

        let follow = br#"{"event_name":"follow","follower":{"id":"7"},"timestamp":1700000000000}"#;
        let e = parse_webhook(follow).unwrap();
        assert_eq!((e.sender_id.as_str(), e.text, e.payload), ("7", None, None));

        assert!(parse_webhook(b"{}").is_err());
        assert!(parse_webhook(b"not json").is_err());
        assert!(parse_webhook(br#"{"event_name":"x","sender":{"id":"1"},"timestamp":"soon"}"#).is_err());
    }
}

//! No Zalo webhook body or signature header makes the channel panic (issue 18 §6; proptest,
//! because cargo fuzz needs a nightly compiler): arbitrary bytes, and JSON shaped like
//! Zalo's events with every field of the wrong kind, missing, huge or out of range, are
//! read into an event or refused with a reason; a signature check never accepts a header
//! it did not compute. (Telegram updates arrive through `getUpdates`, decoded by teloxide;
//! what people put in them — text and callback data — is fuzzed in dondoc-app's `fuzz`.)

use dondoc_notify::channel::zalo::webhook::{parse_webhook, verify_signature};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        "[0-9]{1,20}".prop_map(Value::String),
        Just(json!({})),
        Just(json!([])),
    ]
}

/// A body shaped like Zalo's webhook events (user_send_text, follow, …), each field
/// present or not, of the right kind or not.
fn webhook_json() -> impl Strategy<Value = Value> {
    let event = prop_oneof![
        prop::sample::select(vec!["user_send_text", "follow", "unfollow", "user_send_image", "oa_send_text"])
            .prop_map(|s| json!(s)),
        scalar(),
    ];
    let text = prop_oneof!["(ack|prog|ext|nhan|tiendo):[0-9a-f]{0,32}".prop_map(|s| json!(s)), scalar()];
    (
        prop::option::of(event),
        prop::option::of(scalar()),
        prop::option::of(scalar()),
        prop::option::of(text),
        prop::option::of(scalar()),
        any::<bool>(),
    )
        .prop_map(|(event, sender, timestamp, text, app_id, follower)| {
            let mut body = serde_json::Map::new();
            if let Some(e) = event {
                body.insert("event_name".into(), e);
            }
            if let Some(s) = sender {
                body.insert(if follower { "follower" } else { "sender" }.into(), json!({ "id": s }));
            }
            if let Some(t) = timestamp {
                body.insert("timestamp".into(), t);
            }
            if let Some(t) = text {
                body.insert("message".into(), json!({ "text": t, "msg_id": "m1" }));
            }
            if let Some(a) = app_id {
                body.insert("app_id".into(), a);
            }
            Value::Object(body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_are_an_event_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_webhook(&bytes);
    }

    #[test]
    fn any_shaped_body_is_an_event_or_refused(body in webhook_json()) {
        match parse_webhook(body.to_string().as_bytes()) {
            Ok(event) => prop_assert!(!event.sender_id.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn a_forged_signature_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..128),
        timestamp in "[0-9]{0,14}",
        header in "\\PC{0,80}",
    ) {
        // Zalo's documented signature: "mac=" + sha256(app_id + data + timestamp + OA secret key).
        let mut h = Sha256::new();
        h.update(b"app-1");
        h.update(&body);
        h.update(timestamp.as_bytes());
        h.update(b"oa-secret");
        let genuine = hex::encode(h.finalize());
        let accepted = verify_signature("app-1", &body, &timestamp, "oa-secret", &header);
        let given = header.trim();
        let given = given.get(..4).filter(|p| p.eq_ignore_ascii_case("mac=")).map_or(given, |_| given[4..].trim());
        prop_assert_eq!(accepted, given.eq_ignore_ascii_case(&genuine));
        let signed = format!("mac={genuine}");
        prop_assert!(verify_signature("app-1", &body, &timestamp, "oa-secret", &signed));
    }
}

//! No request body, chat text or button payload makes the application layer panic (issue
//! 18 §6; proptest, because cargo fuzz needs a nightly compiler). Every API action reads
//! arbitrary JSON (and arbitrary bytes) into an answer or a clear input error; what
//! officers type in a chat (commands, progress reports, extension requests) and the
//! callback data of Telegram buttons, which anyone can forge, are read the same way.
//! Regression cases found by these runs are kept as plain tests below.

use dondoc_app::answers::chat_command;
use dondoc_app::answers::parse::{Pending, answer};
use dondoc_app::requests::{ACTIONS, ActionRequest, from_bytes};
use dondoc_core::event::{Channel, Milestone, ReminderKey};
use dondoc_notify::message::ActionKind;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Field names the action bodies use, and some they do not.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "note",
            "text",
            "percent",
            "occurrence",
            "evidence",
            "until",
            "reason",
            "lead",
            "cooperating",
            "document",
            "link",
            "sha256",
            "deadline",
            "number",
            "date",
            "by",
        ])
        .prop_map(str::to_string),
        "\\PC{0,8}",
    ]
}

/// Arbitrary JSON, nested a few levels, with strings that look like dates and percents.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        (0u32..400).prop_map(|n| json!(n)),
        "\\PC{0,24}".prop_map(Value::String),
        (1u32..40, 1u32..14, 1990i32..2100).prop_map(|(d, m, y)| json!(format!("{y}-{m:02}-{d:02}"))),
        (1u32..40, 1u32..14, 1990i32..2100).prop_map(|(d, m, y)| json!(format!("{d}/{m}/{y}"))),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(field(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![prop::sample::select(ACTIONS.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>()), "\\PC{0,12}"]
}

fn key(code: &str) -> ReminderKey {
    ReminderKey {
        plan: "KH-1".into(),
        code: code.into(),
        occurrence: None,
        milestone: Milestone::Due,
        offset: 3,
        recipient: "Nguyễn Văn An".into(),
        channel: Channel::Telegram,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_body_of_any_action_is_read_or_refused(action in action(), body in json_value()) {
        if let Err(e) = ActionRequest::from_json(&action, body) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn any_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = from_bytes::<Value>("lệnh \"comment\"", &bytes);
    }

    #[test]
    fn any_chat_text_is_a_command_or_not(text in "\\PC{0,80}") {
        let _ = chat_command(&text);
        let _ = chat_command(&format!("/giaitrinh {text}"));
    }

    #[test]
    fn any_answer_after_a_button_is_read_or_explained(text in "\\PC{0,80}", several in any::<bool>(), progress in any::<bool>()) {
        let keys = if several { vec![key("01"), key("02")] } else { vec![key("01")] };
        let action = if progress { ActionKind::Progress } else { ActionKind::Extension };
        let pending = Pending { action, keys };
        for typed in [text.clone(), format!("01: {text}"), format!("{text}% xong"), format!("30/11/2025 {text}")] {
            if let Err(why) = answer(&pending, &typed) {
                prop_assert!(!why.is_empty());
            }
        }
    }

    #[test]
    fn any_callback_data_is_a_button_or_not(data in "\\PC{0,64}", verb in "[a-z]{0,4}") {
        let _ = ActionKind::decode(&data);
        let _ = ActionKind::decode(&format!("{verb}:{data}"));
    }
}

/// Structured bodies with values at their limits: every action refuses them without a panic.
#[test]
fn bodies_at_the_limits_are_read_or_refused() {
    let extremes = [
        json!({"percent": 255}),
        json!({"percent": -1}),
        json!({"percent": 1e308}),
        json!({"until": "2025-02-30"}),
        json!({"until": "31/12/99999"}),
        json!({"occurrence": "Quý V/2025"}),
        json!({"text": "\u{0}\u{202e}"}),
        json!({"cooperating": [null, 1, {"a": []}]}),
        json!([]),
        json!("chuỗi"),
    ];
    for (action, _) in ACTIONS {
        for body in &extremes {
            let _ = ActionRequest::from_json(action, body.clone());
        }
    }
}

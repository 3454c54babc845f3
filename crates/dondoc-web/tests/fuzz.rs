//! The API's command endpoints under arbitrary bodies (issue 18 §6; proptest cases sent
//! over HTTP to the real router and store): every answer is a 2xx or a 4xx with a
//! Vietnamese reason — never a 5xx, never a dropped connection — the server keeps
//! answering, and whatever was accepted left the task's timeline whole (revisions without
//! gaps).

mod support;

use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Api, PLAN};

const CASES: u32 = 300;

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "start", "pause", "resume", "progress", "submit", "complete", "request-extension", "extend",
            "reject-extension", "cancel", "reopen", "comment", "assign", "ack", "confirm-completion",
            "return-completion", "request-explanation", "explain",
        ])
        .prop_map(str::to_string),
        1 => "[a-z%\\-]{0,12}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (0u32..150).prop_map(|n| json!(n)),
        "\\PC{0,30}".prop_map(Value::String),
        (1u32..35, 1u32..14, 2020i32..2031).prop_map(|(d, m, y)| json!(format!("{y}-{m:02}-{d:02}"))),
        Just(json!("Sở Tài chính")),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "note",
                    "text",
                    "percent",
                    "until",
                    "reason",
                    "lead",
                    "cooperating",
                    "evidence",
                    "occurrence",
                    "document",
                    "link",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: JSON as a client would send it, or raw bytes (broken JSON, binary, empty).
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => value().prop_map(|v| v.to_string().into_bytes()),
        3 => ("\\PC{0,40}", 0u16..=120).prop_flat_map(|(t, p)| prop::sample::select(vec![
            json!({"text": t}),
            json!({"note": t, "percent": p}),
            json!({"note": t}),
            json!({}),
        ])).prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "\\{\"(note|text|percent)\": ?\\PC{0,12}".prop_map(String::into_bytes),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_body_to_any_action_is_answered_never_with_a_server_error() {
    let api = Api::start().await;
    for code in ["01", "02"] {
        api.define(code, "Sở Tài chính", &["Sở Y tế"]).await;
    }
    let tokens = [api.sign_in("tgv").await, api.sign_in("cv.stc").await];
    let client = reqwest::Client::new();
    // Regression, found by this test: a path segment that is not UTF-8 once decoded was
    // axum's plain-text 400, not the API's JSON error.
    for path in ["/api/v1/tasks/KH-1/01/%ff", "/api/v1/tasks/%c3/01/comment", "/api/v1/tasks/KH-1/%e2%82/timeline"] {
        let (status, answer) = api.get(&tokens[0], path).await;
        let (status_post, _) = (
            client
                .post(format!("{}{path}", api.base))
                .bearer_auth(&tokens[0])
                .body("{}")
                .send()
                .await
                .unwrap()
                .status(),
            (),
        );
        assert!(status.is_client_error() && status_post.is_client_error(), "{path}: {status} {status_post}");
        if status == StatusCode::BAD_REQUEST {
            assert!(answer["error"].as_str().is_some_and(|e| e.contains("đường dẫn")), "{path}: {answer}");
        }
    }
    let mut runner = TestRunner::new(Config { cases: CASES, ..Config::default() });
    // Half arbitrary, half well-formed commands with arbitrary text (so that many are accepted).
    let well_formed = ("\\PC{0,60}", 0u16..=120).prop_flat_map(|(t, p)| {
        prop::sample::select(vec![
            ("comment".to_string(), json!({"text": t}).to_string().into_bytes()),
            ("progress".to_string(), json!({"note": t, "percent": p}).to_string().into_bytes()),
            ("start".to_string(), json!({"note": t}).to_string().into_bytes()),
        ])
    });
    let command = prop_oneof![(action(), body()), well_formed];
    let strategy = (command, 0usize..2, prop::option::weighted(0.2, 0u64..6), any::<bool>());
    let mut accepted = 0;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..CASES {
        let ((action, body), who, if_match, task_two) = strategy.new_tree(&mut runner).unwrap().current();
        let code = if task_two { "02" } else { "01" };
        let mut request = client
            .post(format!("{}/api/v1/tasks/{PLAN}/{code}/{action}", api.base))
            .bearer_auth(&tokens[who])
            .header("Content-Type", "application/json")
            .body(body.clone());
        if let Some(r) = if_match {
            request = request.header("If-Match", format!("\"{r}\""));
        }
        let case = format!("POST …/{code}/{action} as {who} If-Match {if_match:?}: {}", String::from_utf8_lossy(&body));
        let response = request.send().await.unwrap_or_else(|e| panic!("{case}: no answer: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        *statuses.entry(status.as_u16()).or_default() += 1;
        assert!(status.is_success() || status.is_client_error(), "{case}: {status} {text}");
        if status.is_success() {
            accepted += 1;
        } else if status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED {
            let answer: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{case}: {status} not JSON: {text}"));
            let reason = answer["error"].as_str().unwrap_or_default();
            assert!(!reason.is_empty(), "{case}: {status} without a reason: {text}");
        }
    }
    for code in ["01", "02"] {
        let events = api.timeline(&tokens[0], code).await;
        let revisions: Vec<u64> = events.iter().map(|e| e["revision"].as_u64().unwrap()).collect();
        assert_eq!(revisions, (0..revisions.len() as u64).collect::<Vec<_>>(), "task {code}");
    }
    let (status, task) = api.get(&tokens[0], &format!("/api/v1/tasks/{PLAN}/01")).await;
    assert_eq!(status, StatusCode::OK, "still answering: {task}");
    println!("api fuzz: {CASES} requests, {accepted} accepted, none answered with a 5xx; by status: {statuses:?}");
}

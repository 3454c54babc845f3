//! The API's stable contract through the real binary: `dondoc user add` reads the password
//! from standard input, `dondoc serve --listen ADDR` overrides the configured address,
//! `POST /api/v1/auth/token` gives a token, `GET /api/v1/tasks/{plan}/{code}` is exactly
//! `dondoc show --json`, a command through the API is recorded with the account as actor
//! and `api` as source, a body over `[web] max_body_mb` is 413, and the OpenAPI document
//! lists every action.

use std::io::Write as _;
use std::process::Stdio;

use serde_json::{Value, json};

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{Serve, free_port, http};
#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

const NOW: &str = "2025-09-22T09:00:00+07:00";
const PASSWORD: &str = "một mật khẩu đủ dài";

/// `dondoc user add …` with `password` on standard input: (exit code, stdout, stderr).
fn user_add(data: &Data, args: &[&str], password: &str) -> (i32, String, String) {
    let mut child = data
        .command(NOW)
        .args(["user", "add"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut all: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    if let Some(b) = &bearer {
        all.push(("Authorization", b));
    }
    all.extend_from_slice(headers);
    let (status, text) = http(port, method, path, &all, body).unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stable_contract() {
    let data = Data::new(NOW);
    let config = std::fs::read_to_string(data.config_path()).unwrap();
    assert!(config.contains("max_body_mb = 16"), "the example configuration changed");
    std::fs::write(data.config_path(), config.replace("max_body_mb = 16", "max_body_mb = 1")).unwrap();
    let (code, out, err) = user_add(
        &data,
        &["--name", "cv.tk", "--role", "officer", "--agency", "Cục Thống kê", "--full-name", "Nguyễn Văn An"],
        PASSWORD,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("tài khoản cv.tk (chuyên viên, Cục Thống kê tỉnh)"), "the agency's canonical name: {out}");
    let (code, _, err) = user_add(&data, &["--name", "ngan", "--role", "secretariat"], "ngắn");
    assert_eq!(code, 2, "a short password is refused: {err}");
    assert!(err.contains("ít nhất 10 ký tự"), "{err}");
    let (code, _, err) = user_add(&data, &["--name", "cv2", "--role", "officer"], PASSWORD);
    assert_eq!(code, 2, "an officer needs an agency: {err}");
    let listed = data.json(NOW, &["user", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(!listed.to_string().contains("argon2"), "no hash is shown: {listed}");

    // --listen overrides [server] listen (which names data.port).
    let port = free_port();
    let mut command = data.command(NOW);
    command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    let mut serve = Serve::start(command, port, data.path().join("serve.log"));
    serve.healthz().await;

    let (status, signed) =
        call(port, "POST", "/api/v1/auth/token", None, &[], br#"{"name": "cv.tk", "password": "x"}"#);
    assert_eq!(status, 401, "{signed}");
    let body = json!({"name": "cv.tk", "password": PASSWORD}).to_string();
    let (status, signed) = call(port, "POST", "/api/v1/auth/token", None, &[], body.as_bytes());
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().unwrap().to_string();

    // GET = show --json, at the same instant.
    let at = "2025-09-22T10:00:00+07:00";
    let (status, got) =
        call(port, "GET", &format!("/api/v1/tasks/{PLAN}/01?at={}", at.replace('+', "%2B")), Some(&token), &[], b"");
    assert_eq!(status, 200, "{got}");
    let shown = data.json(NOW, &["show", "--plan", PLAN, "--code", "01", "--at", at, "--json"]);
    assert_eq!(got, shown);
    let (status, missing) = call(port, "GET", &format!("/api/v1/tasks/{PLAN}/09"), Some(&token), &[], b"");
    assert_eq!(status, 404, "{missing}");

    // A command: recorded with the account as actor, from the API.
    let (status, done) = call(
        port,
        "POST",
        &format!("/api/v1/tasks/{PLAN}/01/start"),
        Some(&token),
        &[("If-Match", "\"0\"")],
        r#"{"note": "đã giao"}"#.as_bytes(),
    );
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["revision"], 1);
    assert_eq!(done["task"]["status"], "in_progress");
    let last = data.audit(NOW, "01").pop().unwrap();
    assert_eq!(last["actor"], "user:cv.tk (Nguyễn Văn An)");
    assert_eq!(last["source"], "api");
    let (status, stale) = call(
        port,
        "POST",
        &format!("/api/v1/tasks/{PLAN}/01/comment"),
        Some(&token),
        &[("If-Match", "\"0\"")],
        br#"{"text": "x"}"#,
    );
    assert_eq!((status, stale["current_revision"].clone()), (409, json!(1)), "{stale}");
    let (status, _) = call(port, "POST", &format!("/api/v1/tasks/{PLAN}/01/comment"), None, &[], br#"{"text": "x"}"#);
    assert_eq!(status, 401);

    // A body over [web] max_body_mb = 1.
    let big = format!("{{\"text\": \"{}\"}}", "a".repeat(2 << 20));
    let (status, refused) =
        call(port, "POST", &format!("/api/v1/tasks/{PLAN}/01/comment"), Some(&token), &[], big.as_bytes());
    assert_eq!(status, 413, "{refused}");
    assert_eq!(data.audit(NOW, "01").len(), 2, "nothing recorded by refused commands");

    let (status, doc) = call(port, "GET", "/api/openapi.json", None, &[], b"");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for action in ["start", "progress", "submit", "complete", "extend", "cancel", "reopen", "comment", "assign"] {
        let path = format!("/api/v1/tasks/{{plan}}/{{code}}/{action}");
        assert!(doc["paths"][&path]["post"].is_object(), "{path} missing");
    }
    serve.stop().await;
}

/// schemathesis (PyPI) against `/api/openapi.json` as the secretariat: no answer is a 5xx,
/// every status, content type and body is the one the document declares. The sample plan
/// is imported as MAU-2026 so that the document's example parameters reach real tasks.
/// Signing out (`DELETE /api/v1/auth/token`) is left out: it would end the run's own token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let found = std::process::Command::new("schemathesis").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        dondoc_testkit::skip::skip(
            "schemathesis_finds_no_server_error_and_no_schema_violation",
            "schemathesis is not installed (scripts/test.sh installs it with pip)",
        );
        return;
    }
    let data = Data::new(NOW);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/sample-plan.csv");
    data.ok(NOW, &["import", sample, "--plan", "MAU-2026", "--tracked-from", "2025-01-01"]);
    let (code, _, err) = user_add(&data, &["--name", "tgv", "--role", "secretariat"], PASSWORD);
    assert_eq!(code, 0, "{err}");
    let port = free_port();
    let mut command = data.command(NOW);
    command.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    let mut serve = Serve::start(command, port, data.path().join("serve.log"));
    serve.healthz().await;
    let body = json!({"name": "tgv", "password": PASSWORD}).to_string();
    let (status, signed) = call(port, "POST", "/api/v1/auth/token", None, &[], body.as_bytes());
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().unwrap();
    let run = || {
        let out = std::process::Command::new("schemathesis")
            .current_dir(data.path())
            .args(["run", &format!("http://127.0.0.1:{port}/api/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--exclude-method", "DELETE"])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            // The coverage phase is left out: with Hypothesis 6.170 on Python 3.11 it stops on
            // an internal error of its own (describing a filtered strategy) before testing.
            .args(["--phases", "examples,fuzzing", "--max-examples", "60", "--workers", "2"])
            .output()
            .expect("run schemathesis");
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), report)
    };
    let (mut passed, mut report) = run();
    // The tool's own crash (a Hypothesis internal error while describing a strategy, seen
    // intermittently with Python 3.11) is no finding about the API: run once more. A
    // finding ("Failures:") is never retried.
    if !passed && report.contains("Runtime Error") && !report.contains("Failures:") {
        println!("schemathesis crashed on its own, running it again:\n{report}");
        (passed, report) = run();
    }
    println!("{report}");
    assert!(passed, "schemathesis found problems:\n{report}\n{}", serve.log());
    assert!(!serve.log().contains("lỗi khi xử lý yêu cầu API"), "a request failed inside:\n{}", serve.log());
    serve.stop().await;
}

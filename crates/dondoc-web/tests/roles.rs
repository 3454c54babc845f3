//! Each role against each action on a task, over HTTP on loopback against a real SQLite
//! file: what the role definitions allow is answered 200 and recorded with the
//! account as the actor; everything else is 403 with a reason and records nothing.
//! The expected table below is written from the roles as the product defines them
//! (officer: its own agency's tasks; agency head: the same, and turns back its officers'
//! extension requests; secretariat: everything; leadership: reads; admin: accounts), not
//! computed by the code under test.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Api, ROLES};

/// The actions (URL names) and a body each accepts.
fn actions() -> Vec<(&'static str, Value)> {
    vec![
        ("start", json!({"note": "bắt đầu"})),
        ("pause", json!({"reason": "chờ số liệu"})),
        ("resume", json!({})),
        ("progress", json!({"percent": 30, "note": "đã làm 30%"})),
        ("submit", json!({"evidence": {"document": "12/BC-STC"}})),
        ("complete", json!({"evidence": {"document": "13/BC-STC"}})),
        ("request-extension", json!({"to": "Quý II/2026", "reason": "chờ hướng dẫn"})),
        ("extend", json!({"to": "2026-06-30", "reason": "đồng ý"})),
        ("reject-extension", json!({"reason": "chưa đủ căn cứ"})),
        ("cancel", json!({"reason": "trùng nhiệm vụ khác"})),
        ("reopen", json!({"reason": "hủy nhầm"})),
        ("comment", json!({"text": "ghi chú"})),
        ("assign", json!({"lead": "Sở Tài chính", "cooperating": ["Sở Y tế", "Sở Nội vụ"]})),
        ("ack", json!({})),
        ("confirm-completion", json!({"note": "đã đối chiếu"})),
        ("return-completion", json!({"reason": "thiếu số liệu"})),
        ("request-explanation", json!({"by": "2026-03-10", "reason": "đề nghị giải trình"})),
        ("explain", json!({"text": "chờ số liệu của Sở Y tế"})),
    ]
}

/// What is done first (by whom) so that `action` is a valid move on the task.
fn prepare(action: &str) -> Vec<(&'static str, &'static str, Value)> {
    match action {
        "pause" => vec![("tgv", "start", json!({}))],
        "resume" => vec![("tgv", "start", json!({})), ("tgv", "pause", json!({"reason": "tạm dừng"}))],
        "reopen" => vec![("tgv", "cancel", json!({"reason": "thử"}))],
        "reject-extension" => {
            vec![("tgv", "request-extension", json!({"to": "Quý II/2026", "reason": "xin gia hạn"}))]
        }
        // An officer's completion waits for the secretariat.
        "confirm-completion" | "return-completion" => {
            vec![("cv.stc", "complete", json!({"evidence": {"document": "12/BC-STC"}}))]
        }
        "explain" => vec![("tgv", "request-explanation", json!({"by": "2026-03-10", "reason": "quá hạn"}))],
        _ => vec![],
    }
}

/// The actions each account may take on a task led by Sở Tài chính with Sở Y tế
/// cooperating (the product's role definitions, written out).
fn allowed(login: &str) -> &'static [&'static str] {
    const LEAD: &[&str] = &[
        "start",
        "pause",
        "resume",
        "progress",
        "submit",
        "complete",
        "request-extension",
        "comment",
        "ack",
        "explain",
    ];
    match login {
        "cv.stc" => LEAD,
        "ld.stc" => &[
            "start",
            "pause",
            "resume",
            "progress",
            "submit",
            "complete",
            "request-extension",
            "reject-extension",
            "comment",
            "ack",
            "explain",
        ],
        "cv.syt" => &["progress", "comment", "ack"],
        "tgv" => &[
            "start",
            "pause",
            "resume",
            "progress",
            "submit",
            "complete",
            "request-extension",
            "extend",
            "reject-extension",
            "cancel",
            "reopen",
            "comment",
            "assign",
            "ack",
            "confirm-completion",
            "return-completion",
            "request-explanation",
            "explain",
        ],
        // cv.snv (an unrelated agency), lanh.dao (leadership), admin.
        _ => &[],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_against_each_action() {
    let api = Api::start().await;
    let secretariat = api.sign_in("tgv").await;
    let officer = api.sign_in("cv.stc").await;
    let mut checked = 0;
    for (n, (login, _, _)) in ROLES.iter().enumerate() {
        let token = api.sign_in(login).await;
        for (m, (action, body)) in actions().into_iter().enumerate() {
            let code = format!("{:02}{:02}", n + 1, m + 1);
            // Explanations are asked of overdue work only.
            if matches!(action, "request-explanation" | "explain") {
                api.define_overdue(&code, "Sở Tài chính", &["Sở Y tế"]).await;
            } else {
                api.define(&code, "Sở Tài chính", &["Sở Y tế"]).await;
            }
            for (who, step, step_body) in prepare(action) {
                let by = if who == "tgv" { &secretariat } else { &officer };
                let (status, answer) = api.post(by, &code, step, &step_body, None).await;
                assert_eq!(status, StatusCode::OK, "{code} prepare {step}: {answer}");
            }
            let before = api.timeline(&secretariat, &code).await.len();
            let (status, answer) = api.post(&token, &code, action, &body, None).await;
            let events = api.timeline(&secretariat, &code).await;
            if allowed(login).contains(&action) {
                assert_eq!(status, StatusCode::OK, "{login} {action} on {code}: {answer}");
                let last = events.last().unwrap();
                assert!(events.len() > before, "{login} {action}: nothing recorded");
                assert!(last["actor"].as_str().unwrap().starts_with(&format!("user:{login}")), "{last}");
                assert_eq!(last["source"], "api");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{login} {action} on {code}: {answer}");
                let reason = answer["error"].as_str().unwrap();
                assert!(reason.contains(&format!("tài khoản {login}")) && reason.contains(": "), "{reason}");
                assert_eq!(events.len(), before, "{login} {action}: a refused command recorded something");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROLES.len() * dondoc_app::requests::ACTIONS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_reason() {
    let api = Api::start().await;
    api.define("01", "Sở Tài chính", &["Sở Y tế"]).await;
    let cases = [
        ("cv.stc", "extend", json!({"to": "2026-06-30", "reason": "x"}), "chỉ tổ giúp việc được gia hạn"),
        ("cv.syt", "start", json!({}), "cơ quan phối hợp chỉ được báo cáo tiến độ và ghi chú"),
        ("cv.snv", "comment", json!({"text": "x"}), "không chủ trì hay phối hợp"),
        ("lanh.dao", "comment", json!({"text": "x"}), "lãnh đạo tỉnh chỉ được xem"),
        ("admin", "start", json!({}), "chỉ quản lý tài khoản"),
    ];
    for (login, action, body, want) in cases {
        let token = api.sign_in(login).await;
        let (status, answer) = api.post(&token, "01", action, &body, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login} {action}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(want), "{login} {action}: {answer}");
    }
    // Reading: everyone but the accounts' administrator.
    for (login, _, _) in ROLES {
        let token = api.sign_in(login).await;
        let (status, answer) = api.get(&token, "/api/v1/tasks/KH-1/01").await;
        let want = if *login == "admin" { StatusCode::FORBIDDEN } else { StatusCode::OK };
        assert_eq!(status, want, "{login}: {answer}");
    }
    // An explanation is asked of overdue work only: task 01 is due at the end of March.
    let secretariat = api.sign_in("tgv").await;
    let body = json!({"by": "2026-03-10", "reason": "đề nghị giải trình"});
    let (status, answer) = api.post(&secretariat, "01", "request-explanation", &body, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let reason = answer["error"].as_str().unwrap();
    assert!(
        reason.contains("đang ở tình trạng") && reason.contains("chỉ yêu cầu giải trình nhiệm vụ quá hạn"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_a_bad_one_is_401_and_records_nothing() {
    let api = Api::start().await;
    api.define("01", "Sở Tài chính", &[]).await;
    let secretariat = api.sign_in("tgv").await;
    for token in ["", "not-a-token", &"0".repeat(64)] {
        for (action, body) in actions() {
            let (status, answer) = api.post(token, "01", action, &body, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{action} with {token:?}: {answer}");
        }
        let (status, _) = api.get(token, "/api/v1/tasks").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(api.timeline(&secretariat, "01").await.len(), 1, "only the definition");
    // A wrong password is refused like an unknown name.
    for (name, password) in [("tgv", "sai mật khẩu rồi"), ("khong.co", support::PASSWORD)] {
        let (status, answer) = api.token(name, password).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["error"], "sai tên đăng nhập hoặc mật khẩu");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_revision_is_409_with_the_current_one() {
    let api = Api::start().await;
    api.define("01", "Sở Tài chính", &[]).await;
    let token = api.sign_in("cv.stc").await;
    let (status, first) = api.post(&token, "01", "start", &json!({}), Some("\"0\"")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["revision"], 1);
    let (status, stale) = api.post(&token, "01", "comment", &json!({"text": "cũ"}), Some("\"0\"")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert_eq!(stale["current_revision"], 1);
    let (status, fresh) = api.post(&token, "01", "comment", &json!({"text": "mới"}), Some("1")).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    // An invalid move is 422 and names the allowed ones.
    let (status, refused) = api.post(&token, "01", "resume", &json!({}), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited() {
    let api = Api::start().await;
    // [web] sign_in_per_minute = 5 (the default): the sixth attempt within a minute waits.
    for n in 0..5 {
        let (status, answer) = api.token("cv.stc", "sai mật khẩu rồi").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}: {answer}");
    }
    let (status, answer) = api.token("cv.stc", support::PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("thử lại sau"), "{answer}");
    // Another account is not held up.
    let (status, _) = api.token("cv.syt", support::PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officers_completion_shows_awaiting_confirmation_until_confirmed() {
    let api = Api::start().await;
    api.define("01", "Sở Tài chính", &[]).await;
    let officer = api.sign_in("cv.stc").await;
    let secretariat = api.sign_in("tgv").await;
    let body = json!({"on": "2026-02-27", "evidence": {"document": "15/BC-STC"}});
    let (status, done) = api.post(&officer, "01", "complete", &body, None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["task"]["completion_pending"], true);
    assert_eq!(done["task"]["classification_vi"], "hoàn thành đúng hạn (chờ xác nhận)");
    let (status, confirmed) = api.post(&secretariat, "01", "confirm-completion", &json!({}), None).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["task"]["completion_pending"], false);
    assert_eq!(confirmed["task"]["completed_on"], "2026-02-27", "the reported day");
    assert_eq!(confirmed["task"]["classification_vi"], "hoàn thành đúng hạn");
    // The secretariat's own completion needs no confirmation.
    api.define("02", "Sở Tài chính", &[]).await;
    let (_, direct) = api.post(&secretariat, "02", "complete", &body, None).await;
    assert_eq!(direct["task"]["completion_pending"], false, "{direct}");
}

/// SHA-256 of `bytes` as coreutils' sha256sum computes it (FIPS 180-4), independently of
/// the code under test.
fn sha256sum(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_files_are_kept_by_hash_and_checked_on_download() {
    let config = dondoc_web::WebConfig { evidence_max_mb: 1, ..dondoc_web::WebConfig::default() };
    let api = Api::start_with(config).await;
    api.define("01", "Sở Tài chính", &[]).await;
    let officer = api.sign_in("cv.stc").await;
    let upload = |token: String, name: &str, body: Vec<u8>| {
        let request = api
            .client
            .post(format!("{}/api/v1/evidence?name={name}", api.base))
            .bearer_auth(token)
            .header("Content-Type", "application/pdf")
            .body(body);
        async move {
            let r = request.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let pdf = b"%PDF-1.4 Bao cao so 12/BC-STC".to_vec();
    let (status, stored) = upload(officer.clone(), "bao-cao.pdf", pdf.clone()).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    let hash = sha256sum(&pdf);
    assert_eq!(stored["sha256"], hash.as_str());
    assert_eq!(stored["size"], pdf.len());

    // The report names the file; the event records its hash, name, size and type.
    let body = json!({"evidence": {"file_sha256": hash, "document": "12/BC-STC"}});
    let (status, done) = api.post(&officer, "01", "submit", &body, None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let event = done["events"].as_array().unwrap().last().unwrap().clone();
    let ev = &event["data"]["evidence"];
    assert_eq!(
        (ev["file_sha256"].as_str(), ev["file_name"].as_str(), ev["file_size"].as_u64(), ev["file_type"].as_str()),
        (Some(hash.as_str()), Some("bao-cao.pdf"), Some(pdf.len() as u64), Some("application/pdf")),
        "{event}"
    );
    let unknown = json!({"evidence": {"file_sha256": "a".repeat(64)}});
    let (status, refused) = api.post(&officer, "01", "submit", &unknown, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    // Downloaded as uploaded; a file changed on disk is refused, never served.
    let download = |token: String| {
        let request = api.client.get(format!("{}/api/v1/evidence/{hash}", api.base)).bearer_auth(token);
        async move {
            let r = request.send().await.unwrap();
            (r.status(), r.bytes().await.unwrap().to_vec())
        }
    };
    let leader = api.sign_in("lanh.dao").await;
    let (status, bytes) = download(leader.clone()).await;
    assert_eq!((status, bytes), (StatusCode::OK, pdf.clone()));
    let stored_at = api.dir().join("evidence").join(&hash[..2]).join(&hash);
    std::fs::write(&stored_at, b"%PDF-1.4 Bao cao da bi sua").unwrap();
    let (status, _) = download(leader.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "a changed file is not served");

    // Limits: [web] evidence_max_mb = 1, and the types allowed.
    let (status, answer) = upload(officer.clone(), "lon.pdf", vec![b'x'; (1 << 20) + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let (status, answer) = upload(officer.clone(), "chay.exe", b"MZ".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{answer}");
    let (status, _) = upload(leader, "x.pdf", pdf).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "leadership reads only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_imported_as_a_difference_then_confirmed() {
    let api = Api::start().await;
    let csv = "code,title,lead,cooperating,start,finish,product\n\
               01,Rà soát danh mục chỉ tiêu,Sở Tài chính,Sở Y tế,Tháng 1/2026,Quý II/2026,Danh mục\n\
               02,Báo cáo định kỳ,Sở Nội vụ,,,\"Tháng, quý, năm\",Báo cáo\n";
    let import = |token: String, query: &str| {
        let request = api
            .client
            .post(format!("{}/api/v1/plans/KH-2/import?file=ke-hoach.csv{query}", api.base))
            .bearer_auth(token)
            .body(csv.as_bytes().to_vec());
        async move {
            let r = request.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let officer = api.sign_in("cv.stc").await;
    let (status, refused) = import(officer.clone(), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let secretariat = api.sign_in("tgv").await;
    let (status, diff) = import(secretariat.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!((diff["dry_run"].clone(), diff["written"].clone()), (json!(true), json!(false)), "{diff}");
    let changes: Vec<&str> =
        diff["changes"].as_array().unwrap().iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["new", "new"], "{diff}");
    let (status, _) = api.get(&secretariat, "/api/v1/tasks/KH-2/01").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a dry run writes nothing");
    let (status, done) = import(secretariat.clone(), "&confirm=true&tracked_from=2026-01-01").await;
    assert_eq!((status, done["written"].clone()), (StatusCode::OK, json!(true)), "{done}");
    let (status, task) = api.get(&officer, "/api/v1/tasks/KH-2/01").await;
    assert_eq!(status, StatusCode::OK, "{task}");
    let (status, timeline) = api.get(&secretariat, "/api/v1/tasks/KH-2/01/timeline").await;
    assert_eq!(status, StatusCode::OK);
    assert!(timeline["events"][0]["actor"].as_str().unwrap().starts_with("user:tgv"), "{timeline}");
    let (_, plans) = api.get(&officer, "/api/v1/plans").await;
    assert!(plans.as_array().unwrap().iter().any(|p| p["plan"] == "KH-2"), "{plans}");

    // The secretariat's lists; an officer is refused them.
    for path in ["/api/v1/contacts", "/api/v1/reminders", "/api/v1/reminders/failures", "/api/v1/silences"] {
        let (status, body) = api.get(&secretariat, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(body.is_array(), "{path}: {body}");
        let (status, _) = api.get(&officer, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, week) = api.get(&officer, "/api/v1/summaries/weekly").await;
    assert_eq!(status, StatusCode::OK, "{week}");
    assert!(week["total"].as_u64().unwrap() >= 2, "{week}");
    let (status, agencies) = api.get(&officer, "/api/v1/agencies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(agencies["agencies"].as_array().unwrap().iter().any(|a| a["name"] == "Sở Y tế"), "{agencies}");
}

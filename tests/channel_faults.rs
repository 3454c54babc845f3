//! No reminder lost to a configuration mistake, end to end: `dondoc serve` against a real
//! SMTP server that requires a login and a Zalo OA peer that refuses a spent refresh token.
//! A fault of the channel (not of one recipient) makes `/healthz` answer 503 naming the
//! channel and since when, records no refusal against the reminder, and leaves it pending;
//! once the operator fixes the cause (the password, `dondoc zalo authorize`), the reminder
//! goes out, once. A job that fails on every run is reported the same way.

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use dondoc_testkit::smtp::SmtpServer;
use dondoc_testkit::zalo::{Endpoint, ZaloServer};
use serde_json::{Value, json};

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{Serve, eventually};
#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

/// Monday 22/09/2025, working hours: task 01 is overdue, its officer is due a reminder.
const MONDAY: &str = "2025-09-22T09:00:00+07:00";

/// `/healthz` once it reports `status` (200 "ok" or 503 "degraded").
async fn health_becomes(serve: &Serve, code: u16, what: &str) -> Value {
    eventually(what, serve, || serve.health().filter(|(c, _)| *c == code).map(|(_, h)| h)).await
}

/// Sweeps every two seconds, so that a fix is seen without waiting a quarter of an hour.
fn set_schedule(data: &Data) {
    let path = data.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("sweep = \"0 */15 * * * *\"", "sweep = \"*/2 * * * * *\"");
    assert!(text.contains("*/2 * * * * *"), "the example configuration changed: {text}");
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_smtp_password_holds_reminders_until_it_is_fixed() {
    let smtp = SmtpServer::start_auth_required().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let data = Data::new(MONDAY);
    set_schedule(&data);
    data.ok(MONDAY, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--email", "an@thongke.example.vn"]);
    std::fs::write(data.path().join("smtp-password"), "mật-khẩu-cũ").unwrap();
    data.configure(&format!(
        "[email]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\n\
         username = \"{}\"\npassword_file = \"smtp-password\"\ntimeout_secs = 5\n",
        smtp.host(),
        smtp.port(),
        SmtpServer::USERNAME
    ));

    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    // RFC 4954 §6: 535 5.7.8 "authentication credentials invalid" — the account, not the
    // recipient: the channel is unhealthy, named with its reason and since when.
    let health = health_becomes(&serve, 503, "the email channel reported unhealthy").await;
    assert_eq!(health["status"], "degraded", "{health}");
    let problem = &health["problems"][0];
    assert_eq!(problem["channel"], "email", "{health}");
    assert!(problem["reason"].as_str().unwrap().contains("535"), "{health}");
    assert!(problem["since"].as_str().unwrap().starts_with("2025-09-22T09:0"), "{health}");
    // Several sweeps later: still nothing refused, nothing recorded, nothing received.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let failed = data.json(MONDAY, &["reminders", "log", "--failed", "--json"]);
    assert_eq!(failed, json!([]), "a channel fault is not a refusal of the reminder");
    assert_eq!(data.json(MONDAY, &["reminders", "log", "--json"]), json!([]));
    assert!(smtp.messages().is_empty());
    assert!(serve.log().contains("kênh gửi lỗi"), "the operator is alerted in the log:\n{}", serve.log());
    serve.stop().await;

    // The operator fixes the password and restarts: the pending reminder goes out once.
    std::fs::write(data.path().join("smtp-password"), SmtpServer::PASSWORD).unwrap();
    let later = "2025-09-22T09:30:00+07:00";
    let mut serve = data.serve(later);
    serve.healthz().await;
    let log = eventually("the reminder delivered after the fix", &serve, || {
        let log = data.json(later, &["reminders", "log", "--json"]);
        (!log.as_array()?.is_empty()).then_some(log)
    })
    .await;
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert!(log[0]["key"].as_str().unwrap().starts_with(&format!("{PLAN}/01/-/overdue/")), "{log}");
    let health = health_becomes(&serve, 200, "the email channel healthy again").await;
    assert_eq!(health["problems"], json!([]), "{health}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "sent once: {mails:?}");
    assert_eq!(mails[0].rcpt_tos, ["an@thongke.example.vn"]);
    assert_eq!(mails[0].auth_user.as_deref(), Some(SmtpServer::USERNAME));
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_refresh_token_stops_refreshing_until_zalo_authorize() {
    let zalo = ZaloServer::start().await;
    let data = Data::new(MONDAY);
    set_schedule(&data);
    let officer = ["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--zalo", "5005"];
    data.ok(MONDAY, &[&officer[..], &["--phone", "0905 123 456"]].concat());
    zalo.register_template(
        "248001",
        &[
            ("ten_can_bo", 30),
            ("so_nhiem_vu", 30),
            ("ma_nhiem_vu", 30),
            ("ten_nhiem_vu", 100),
            ("thoi_han", 30),
            ("so_qua_han", 30),
        ],
    );
    // The access token expired and the refresh token was spent (by another copy of the
    // file, or unused for three months): Zalo refuses it with -14014.
    let tokens = json!({"access_token": "expired", "refresh_token": "spent-refresh-token", "expires_at": "2025-01-01T00:00:00Z"});
    std::fs::write(data.path().join("zalo-token.json"), tokens.to_string()).unwrap();
    data.configure(&format!(
        "[zalo]\napp_id = \"{app}\"\napp_secret_env = \"ZALO_APP_SECRET\"\noa_id = \"{ZALO_OA_ID}\"\n\
         oa_secret_key_env = \"ZALO_OA_SECRET\"\ntoken_file = \"zalo-token.json\"\ntemplate_id = \"248001\"\n\
         oa_api_url = \"{url}\"\nzns_api_url = \"{url}\"\noauth_url = \"{url}\"\n",
        app = ZaloServer::APP_ID,
        url = zalo.url()
    ));

    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    let health = health_becomes(&serve, 503, "the Zalo channel reported unhealthy").await;
    let problem = &health["problems"][0];
    assert_eq!(problem["channel"], "zalo", "{health}");
    assert!(problem["reason"].as_str().unwrap().contains("-14014"), "{health}");
    // Several sweeps, one refresh attempt: a refused refresh token is not offered again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(zalo.refreshes().len(), 1, "{:?}", zalo.refreshes());
    assert!(zalo.messages().is_empty());
    assert_eq!(data.json(MONDAY, &["reminders", "log", "--failed", "--json"]), json!([]));

    // The administrator authorises the OA again with a new refresh token (on stdin).
    let (_, fresh) = zalo.issue_tokens();
    let mut authorize = data
        .command(MONDAY)
        .args(["zalo", "authorize"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    authorize.stdin.take().unwrap().write_all(format!("{fresh}\n").as_bytes()).unwrap();
    let out = authorize.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Đã cấp lại quyền"), "{out:?}");
    // The running daemon adopts the new pair at its next probe: the reminder goes out as a
    // ZNS template to the officer's phone, once.
    let sent = eventually("the reminder on Zalo after authorize", &serve, || {
        let sent = zalo.delivered();
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert_eq!(sent[0].endpoint, Endpoint::Template);
    assert_eq!(sent[0].recipient, "84905123456");
    health_becomes(&serve, 200, "the Zalo channel healthy again").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(zalo.delivered().len(), 1);
    assert_eq!(data.json(MONDAY, &["reminders", "log", "--json"]).as_array().unwrap().len(), 1);
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_job_is_reported_by_healthz() {
    let data = Data::new(MONDAY);
    set_schedule(&data);
    data.ok(MONDAY, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--email", "an@thongke.example.vn"]);
    // A template that parses but cannot render (an unknown filter): every sweep fails.
    let dir = data.path().join("templates");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("reminder.subject.j2"), "Nhắc việc {{ name | khong_co_bo_loc_nay }}").unwrap();
    let config =
        std::fs::read_to_string(data.config_path()).unwrap().replace("# dir = \"templates\"", "dir = \"templates\"");
    std::fs::write(data.config_path(), config).unwrap();
    data.configure("[email]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"none\"\nfrom = \"a@b.vn\"\n");
    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    let health = health_becomes(&serve, 503, "the failing sweep reported").await;
    let problem = health["problems"].as_array().unwrap().iter().find(|p| p["job"] == "sweep").cloned();
    let problem = problem.unwrap_or_else(|| panic!("{health}"));
    assert!(problem["reason"].as_str().unwrap().contains("khong_co_bo_loc_nay"), "{health}");
    assert!(problem["failed_runs"].as_u64().unwrap() >= 1, "{health}");
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_recipient_is_requeued_by_reminders_retry_after_the_fix() {
    let smtp = SmtpServer::start().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let data = Data::new(MONDAY);
    set_schedule(&data);
    // A mistyped address the server refuses (550 5.1.1, RFC 3463: bad destination mailbox).
    let add = ["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--email"];
    data.ok(MONDAY, &[&add[..], &["reject.an@thongke.example.vn"]].concat());
    data.configure(&format!(
        "[email]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\n",
        smtp.host(),
        smtp.port()
    ));
    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    let failed = eventually("the refusal recorded", &serve, || {
        let failed = data.json(MONDAY, &["reminders", "log", "--failed", "--json"]);
        (!failed.as_array()?.is_empty()).then_some(failed)
    })
    .await;
    assert_eq!(failed[0]["will_retry"], false, "{failed}");
    assert!(failed[0]["error"].as_str().unwrap().contains("5.1.1"), "{failed}");
    // One recipient refused is not a fault of the channel.
    let (code, health) = serve.health().unwrap();
    assert_eq!((code, &health["problems"]), (200, &json!([])), "{health}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(smtp.messages().is_empty(), "a refused reminder is not sent again by itself");

    // The secretariat corrects the address and lets the refused reminders go again.
    data.ok(MONDAY, &[&add[..], &["an@thongke.example.vn"]].concat());
    let retried =
        data.json(MONDAY, &["reminders", "retry", "--channel", "email", "--reason", "Đã sửa địa chỉ email", "--json"]);
    assert_eq!(retried, json!({"reminders": 1, "tasks": 1}));
    let mails = eventually("the reminder after the retry", &serve, || {
        let mails = smtp.messages();
        (!mails.is_empty()).then_some(mails)
    })
    .await;
    assert_eq!(mails[0].rcpt_tos, ["an@thongke.example.vn"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), 1, "once");
    let events = data.audit(MONDAY, "01");
    let requeued: Vec<_> = events.iter().filter(|e| e["type"] == "ReminderRequeued").collect();
    assert_eq!(requeued.len(), 1, "{events:?}");
    assert_eq!(requeued[0]["actor"], "Tổ giúp việc");
    assert_eq!(data.json(MONDAY, &["reminders", "log", "--failed", "--json"]), json!([]));
    // A second retry finds nothing left to requeue.
    let again = data.json(MONDAY, &["reminders", "retry", "--json"]);
    assert_eq!(again, json!({"reminders": 0, "tasks": 0}));
    serve.stop().await;
}

//! `dondoc serve` end to end: the real binary as a child process with its own data
//! directory and port, `/healthz` and the Zalo webhook over HTTP on loopback, the Telegram
//! bot against a Bot API server on loopback, and SIGTERM.

use std::time::{Duration, Instant};

use dondoc_testkit::telegram::TelegramServer;
use dondoc_testkit::zalo::{Endpoint, ZaloServer};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{eventually, eventually_within, http};
#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

/// An RFC 3339 instant with the +07:00 offset.
fn local_instant(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    let t = chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 7 * 3600, "{s} is not in +07:00");
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn healthz_shows_the_next_runs_and_sigterm_exits_promptly() {
    let now = "2025-09-22T08:59:50+07:00";
    let data = Data::new(now);
    let mut serve = data.serve(now);
    let health = serve.healthz().await;
    assert_eq!(health["status"], "ok", "{health}");
    let clock = local_instant(&health["now"]);
    let start = chrono::DateTime::parse_from_rfc3339(now).unwrap();
    assert!(
        clock >= start && clock < start + chrono::TimeDelta::seconds(30),
        "the clock starts at DONDOC_NOW: {health}"
    );
    assert_eq!(health["channels"], json!([]), "no channel configured: {health}");

    let runs = health["next_runs"].as_array().unwrap();
    let next = |job: &str| -> &Value {
        runs.iter().find(|r| r["job"] == job).unwrap_or_else(|| panic!("no next run of {job}: {health}"))
    };
    let sweep = next("sweep");
    assert_eq!(sweep["cron"], "0 */15 * * * *");
    let sweep_at = local_instant(&sweep["at"]);
    assert!(sweep_at > clock, "{health}");
    // 09:00 if asked before it, 09:15 if the test was slow.
    let expected = ["2025-09-22T09:00:00+07:00", "2025-09-22T09:15:00+07:00"];
    assert!(expected.contains(&sweep["at"].as_str().unwrap()), "{health}");
    let weekly = next("weekly_summary");
    assert_eq!(weekly["cron"], "0 30 7 * * Mon");
    assert_eq!(weekly["at"], "2025-09-29T07:30:00+07:00", "the next Monday 07:30 local: {health}");

    // The first sweep runs at start (a fresh data directory never ran one).
    let health = eventually("the first sweep in /healthz", &serve, || {
        let (status, body) = http(serve.port, "GET", "/healthz", &[], b"").ok()?;
        let v: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && v["last_runs"]["sweep"].is_string()).then_some(v)
    })
    .await;
    let ran = local_instant(&health["last_runs"]["sweep"]);
    assert!(ran >= start && ran < start + chrono::TimeDelta::seconds(30), "{health}");
    assert_eq!(health["last_sweep"]["tasks"], 2, "{health}");

    // Anything else on the port is not found; there is no webhook without [zalo].
    assert_eq!(http(serve.port, "POST", "/zalo/webhook", &[], b"{}").unwrap().0, 404);

    // One sender per data directory: a second `serve` (or a simulation) exits at once,
    // naming the first; other commands keep working beside it.
    let pid = serve.child.id().to_string();
    for args in [&["serve"][..], &["simulate", "--from", now, "--to", now, "--outbox", "/nonexistent"][..]] {
        let started = Instant::now();
        let second = data.run(now, args);
        assert!(!second.status.success(), "{args:?} ran beside the daemon");
        assert!(started.elapsed() < Duration::from_secs(5), "{args:?} exits at once");
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert!(stderr.contains(&format!("PID {pid}")) && stderr.contains("serve"), "{args:?}: {stderr}");
    }
    data.ok(now, &["list"]);
    data.ok(now, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "ghi chú bên cạnh dịch vụ"]);

    // The daemon follows the recorded notices without a restart: a notices file that does
    // not read shows on /healthz (the old calendar stays in force); a valid one replaces it.
    let notices = data.path().join("calendar-notices.toml");
    std::fs::write(&notices, "[year.2028]\ntet = [\"2028-01-25\"]\n").unwrap();
    let health = eventually("the broken notices file on /healthz", &serve, || {
        let (status, body) = http(serve.port, "GET", "/healthz", &[], b"").ok()?;
        let v: Value = serde_json::from_str(&body).ok()?;
        (status == 503).then_some(v)
    })
    .await;
    let problem = &health["problems"][0];
    assert_eq!(problem["job"], "calendar", "{health}");
    assert!(problem["reason"].as_str().unwrap().contains("calendar-notices.toml"), "{health}");
    assert!(problem["reason"].as_str().unwrap().contains("cần đúng 5 ngày"), "{health}");
    // A broken file stops the command too (it names the file); removed, the notice is recorded.
    let refused = data
        .run(now, &["calendar", "add-notice", "--year", "2028", "--source", "Thông báo thử", "--worked", "2028-01-29"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("calendar-notices.toml"), "{refused:?}");
    std::fs::remove_file(&notices).unwrap();
    data.ok(
        now,
        &[
            "calendar",
            "add-notice",
            "--year",
            "2028",
            "--source",
            "Thông báo thử",
            "--tet",
            "2028-01-24,2028-01-25,2028-01-26,2028-01-27,2028-01-28",
        ],
    );
    eventually("the calendar reloaded", &serve, || {
        let (status, _) = http(serve.port, "GET", "/healthz", &[], b"").ok()?;
        (status == 200 && serve.log().contains("đã nạp lại lịch làm việc")).then_some(())
    })
    .await;

    serve.stop().await;
    let log = serve.log();
    assert!(log.contains("nhận tín hiệu dừng") && log.contains("đã dừng"), "{log}");
    assert!(http(serve.port, "GET", "/healthz", &[], b"").is_err(), "the port is closed after exit");
}

/// The events of one type in a timeline.
fn events_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn telegram_link_code_buttons_and_answers_become_events() {
    // Sunday morning: nothing is sent on a day off; the officer links the bot.
    let sunday = "2025-09-21T10:00:00+07:00";
    let data = Data::new(sunday);
    let telegram = TelegramServer::start(TG_TOKEN).await;
    data.configure(&format!(
        "[telegram]\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\npoll_timeout_secs = 5\n",
        telegram.url()
    ));
    data.ok(sunday, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--role", "officer"]);
    let link = data.json(sunday, &["contact", "link-code", "--name", OFFICER, "--json"]);
    assert_eq!(link["contact"], "c001");
    let code = link["code"].as_str().unwrap().to_string();

    let mut serve = data.serve(sunday);
    let health = serve.healthz().await;
    assert_eq!(health["channels"], json!(["telegram"]), "{health}");
    telegram.push_text(TG_CHAT, "/start MÃ-SAI");
    let refusal = eventually("the refusal of a wrong code", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.contains("không đúng"))
    })
    .await;
    assert!(refusal.buttons.is_empty(), "{refusal:?}");
    // A code sent in a group links nothing (anyone in the group would receive the reminders).
    telegram.add_chat(-100);
    telegram.push_text(-100, &format!("/start {code}"));
    eventually("the refusal in a group", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == -100 && m.text.contains("trò chuyện riêng"))
    })
    .await;
    telegram.push_text(TG_CHAT, &format!("/start {code}"));
    let welcome = eventually("the bot's welcome", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Đã liên kết"))
    })
    .await;
    assert!(welcome.text.contains(OFFICER) && welcome.text.contains(AGENCY), "{}", welcome.text);
    let chat = TG_CHAT.to_string();
    eventually("the chat id in the contact book", &serve, || {
        let list = data.json(sunday, &["contact", "list", "--json"]);
        (list[0]["telegram"] == chat.as_str()).then_some(())
    })
    .await;
    // Nothing was due on a Sunday.
    assert!(telegram.delivered().iter().all(|m| m.buttons.is_empty()), "{:?}", telegram.delivered());
    serve.stop().await;

    let monday = "2025-09-22T09:00:00+07:00";
    let mut serve = data.serve(monday);
    serve.healthz().await;
    // The sweep missed while stopped runs at start: task 01 is overdue, the officer hears
    // it on Telegram with the three buttons.
    let reminder = eventually("the reminder on Telegram", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && !m.buttons.is_empty())
    })
    .await;
    assert_eq!(reminder.labels(), ["Đã nhận", "Báo cáo tiến độ", "Đề nghị gia hạn"], "{reminder:?}");
    assert!(reminder.text.contains("01") && reminder.text.contains("Xây dựng kế hoạch"), "{}", reminder.text);
    let data_of = |verb: &str| -> String {
        let prefix = format!("{verb}:");
        reminder.callback_data().into_iter().find(|d| d.starts_with(&prefix)).unwrap().to_string()
    };
    let log = eventually("the delivery in the log", &serve, || {
        let log = data.json(monday, &["reminders", "log", "--json"]);
        (!log.as_array()?.is_empty()).then_some(log)
    })
    .await;
    let key = log[0]["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("{PLAN}/01/-/overdue/")) && key.ends_with("/c001/telegram"), "{log}");

    // A press by another Telegram user (callback data can be forged, or the message
    // forwarded) acknowledges nothing, whatever chat it names.
    let forged = telegram.push_callback_by(TG_CHAT, TG_CHAT + 7, &data_of("ack"));
    let answer = eventually("the answer to another user's press", &serve, || {
        telegram.answered_callbacks().into_iter().find(|a| a.callback_id == forged)
    })
    .await;
    assert_eq!(answer.text.as_deref(), Some("Tài khoản Telegram này chưa được liên kết."));
    assert!(events_of(&data.audit(monday, "01"), "ReminderAcknowledged").is_empty());

    // "Đã nhận": the callback is answered and the task's timeline has the acknowledgement.
    let callback = telegram.push_callback(TG_CHAT, &data_of("ack"));
    let answer = eventually("the answer to «Đã nhận»", &serve, || {
        telegram.answered_callbacks().into_iter().find(|a| a.callback_id == callback)
    })
    .await;
    assert_eq!(answer.text.as_deref(), Some("Đã ghi nhận: đã nhận 1 nhắc việc."));
    let actor = format!("contact:c001 ({OFFICER})");
    let events = data.audit(monday, "01");
    let acks = events_of(&events, "ReminderAcknowledged");
    assert_eq!(acks.len(), 1, "{events:?}");
    assert_eq!(acks[0]["actor"], actor.as_str());
    assert_eq!(acks[0]["source"], "telegram");
    let acked = &acks[0]["data"]["key"];
    assert_eq!((&acked["plan"], &acked["code"], &acked["milestone"]), (&json!(PLAN), &json!("01"), &json!("overdue")));
    assert_eq!((&acked["recipient"], &acked["channel"]), (&json!("c001"), &json!("telegram")), "{}", acks[0]);

    // "Báo cáo tiến độ", then the report as text.
    let callback = telegram.push_callback(TG_CHAT, &data_of("prog"));
    let answer = eventually("the answer to «Báo cáo tiến độ»", &serve, || {
        telegram.answered_callbacks().into_iter().find(|a| a.callback_id == callback)
    })
    .await;
    assert_eq!(answer.text.as_deref(), Some("Mời nhập báo cáo tiến độ."));
    eventually("the prompt for the report", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Nhập tiến độ"))
    })
    .await;
    telegram.push_text(TG_CHAT, "60% đã xong dự thảo");
    let thanks = eventually("the bot's thanks", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Đã ghi nhận cho"))
    })
    .await;
    assert_eq!(thanks.text, "Đã ghi nhận cho 1 nhiệm vụ. Cảm ơn đồng chí.");
    let events = data.audit(monday, "01");
    let reports = events_of(&events, "ProgressReported");
    assert_eq!(reports.len(), 1, "{events:?}");
    let report = reports[0];
    assert_eq!(report["actor"], actor.as_str());
    assert_eq!(report["source"], "telegram");
    let fields = report["data"].get("data").unwrap_or(&report["data"]);
    assert_eq!(fields["percent"], 60, "{report}");
    assert_eq!(fields["note"], "đã xong dự thảo", "{report}");
    let show = data.json(monday, &["show", "--plan", PLAN, "--code", "01", "--json"]);
    assert_eq!(show["progress_percent"], 60, "{show}");

    // The spent link code is refused now.
    telegram.push_text(TG_CHAT + 1, &format!("/start {code}"));
    eventually("the refusal of a spent code", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT + 1 && m.text.contains("không đúng"))
    })
    .await;

    serve.stop().await;
    assert_eq!(telegram.delivered().iter().filter(|m| !m.buttons.is_empty()).count(), 1, "one reminder only");
}

/// A Zalo webhook body and its `X-ZEvent-Signature` under `secret`.
fn zalo_webhook(sender: &str, text: &str, at: chrono::DateTime<chrono::FixedOffset>, secret: &str) -> (String, String) {
    zalo_webhook_signed_with(ZaloServer::APP_ID, sender, text, at, secret)
}

/// A Zalo webhook signed as Zalo's webhook guide gives it (developers.zalo.me, "Webhook"
/// → "Xác thực"): `X-ZEvent-Signature: mac = sha256(appId + data + timeStamp + OAsecretKey)`,
/// `appId` the application's id (not the OA's), `data` the raw body, `timeStamp` the body's
/// `timestamp` field, hex-encoded. `signer` is the id put in front.
fn zalo_webhook_signed_with(
    signer: &str,
    sender: &str,
    text: &str,
    at: chrono::DateTime<chrono::FixedOffset>,
    secret: &str,
) -> (String, String) {
    let timestamp = at.timestamp_millis().to_string();
    let body = json!({
        "app_id": ZaloServer::APP_ID,
        "event_name": "user_send_text",
        "sender": {"id": sender},
        "recipient": {"id": ZALO_OA_ID},
        "message": {"text": text, "msg_id": format!("msg-{sender}-{timestamp}")},
        "timestamp": timestamp,
    })
    .to_string();
    let mut h = Sha256::new();
    h.update(signer.as_bytes());
    h.update(body.as_bytes());
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    (body, hex::encode(h.finalize()))
}

fn post_webhook(port: u16, body: &str, signature: &str) -> u16 {
    let headers = [("Content-Type", "application/json"), ("X-ZEvent-Signature", signature)];
    http(port, "POST", "/zalo/webhook", &headers, body.as_bytes()).unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zalo_webhook_checks_the_signature() {
    // Just before reminders go out (send_at 08:00): the overdue reminder waits for the
    // 08:00 sweep, the webhooks come first.
    let start = "2025-09-22T07:59:45+07:00";
    let data = Data::new(start);
    let zalo = ZaloServer::start().await;
    let (access, refresh) = zalo.issue_tokens();
    let tokens = json!({"access_token": access, "refresh_token": refresh, "expires_at": "2030-01-01T00:00:00Z"});
    std::fs::write(data.path().join("zalo-token.json"), tokens.to_string()).unwrap();
    data.configure(&format!(
        "[zalo]\napp_id = \"{app}\"\napp_secret_env = \"ZALO_APP_SECRET\"\noa_id = \"{ZALO_OA_ID}\"\n\
         oa_secret_key_env = \"ZALO_OA_SECRET\"\ntoken_file = \"zalo-token.json\"\ntemplate_id = \"248001\"\n\
         oa_api_url = \"{url}\"\nzns_api_url = \"{url}\"\noauth_url = \"{url}\"\n",
        app = ZaloServer::APP_ID,
        url = zalo.url()
    ));
    // Two officers of the lead agency on Zalo: An writes to the OA, Bình's message is forged.
    data.ok(start, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--zalo", "5005"]);
    let binh = ["contact", "add", "--name", "Trần Thị Bình", "--agency", AGENCY, "--zalo", "6006"];
    data.ok(start, &[&binh[..], &["--phone", "0906 111 222"]].concat());

    let mut serve = data.serve(start);
    let health = serve.healthz().await;
    assert_eq!(health["channels"], json!(["zalo"]), "{health}");
    let at = chrono::DateTime::parse_from_rfc3339(start).unwrap() + chrono::TimeDelta::seconds(5);

    let (body, _) = zalo_webhook("6006", "Chào Tổ giúp việc", at, ZALO_OA_SECRET);
    let (_, forged) = zalo_webhook("6006", "Chào Tổ giúp việc", at, "not-the-secret");
    assert_eq!(post_webhook(serve.port, &body, &forged), 401, "a wrong signature is refused");
    assert_eq!(post_webhook(serve.port, &body, ""), 401, "a missing signature is refused");
    assert_ne!(ZaloServer::APP_ID, ZALO_OA_ID);
    let (body, by_oa) = zalo_webhook_signed_with(ZALO_OA_ID, "5005", "Chào Tổ giúp việc", at, ZALO_OA_SECRET);
    assert_eq!(post_webhook(serve.port, &body, &by_oa), 401, "signed with the OA id instead of the app id");
    let (body, good) = zalo_webhook("5005", "Chào Tổ giúp việc", at, ZALO_OA_SECRET);
    let tampered = body.replace("Chào", "Chao");
    assert_eq!(post_webhook(serve.port, &tampered, &good), 401, "a signature covers the body");
    assert_eq!(post_webhook(serve.port, "not json", &good), 400);
    assert_eq!(post_webhook(serve.port, &body, &good), 200, "{}", serve.log());
    assert_eq!(post_webhook(serve.port, &body, &format!("mac={}", good.to_uppercase())), 200);
    assert!(zalo.messages().is_empty(), "nothing is sent before 08:00: {:?}", zalo.messages());

    // The 08:00 sweep: An wrote within 48 hours → consultation message with buttons to her
    // user id; Bình's forged message opened nothing → ZNS template to her phone number.
    let messages = eventually_within(Duration::from_secs(40), "the 08:00 reminders on Zalo", &serve, || {
        let m = zalo.delivered();
        (m.len() >= 2).then_some(m)
    })
    .await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let to = |user: &str| messages.iter().find(|m| m.recipient == user).unwrap_or_else(|| panic!("{messages:?}"));
    let an = to("5005");
    assert_eq!(an.endpoint, Endpoint::Consultation, "{an:?}");
    let binh = to("84906111222");
    assert_eq!(binh.endpoint, Endpoint::Template, "{binh:?}");
    assert_eq!(binh.template_id.as_deref(), Some("248001"));

    let ack = an.buttons.iter().find(|b| b.payload.starts_with("ack:")).unwrap_or_else(|| panic!("{an:?}"));
    // Bình sends An's button payload, correctly signed: nobody answers another's reminder.
    let (body, good) = zalo_webhook("6006", &ack.payload, at + chrono::TimeDelta::seconds(30), ZALO_OA_SECRET);
    assert_eq!(post_webhook(serve.port, &body, &good), 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // An taps "Đã nhận" (its payload comes back as An's text): the reminder is acknowledged.
    let (body, good) = zalo_webhook("5005", &ack.payload, at + chrono::TimeDelta::seconds(40), ZALO_OA_SECRET);
    let (_, forged) = zalo_webhook("5005", &ack.payload, at + chrono::TimeDelta::seconds(40), "x");
    assert_eq!(post_webhook(serve.port, &body, &forged), 401);
    assert_eq!(post_webhook(serve.port, &body, &good), 200);
    let now = "2025-09-22T08:01:00+07:00";
    let acks = eventually("the acknowledgement from Zalo", &serve, || {
        let events = data.audit(now, "01");
        let acks: Vec<Value> = events_of(&events, "ReminderAcknowledged").into_iter().cloned().collect();
        (!acks.is_empty()).then_some(acks)
    })
    .await;
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0]["actor"], format!("contact:c001 ({OFFICER})").as_str());
    assert_eq!(acks[0]["source"], "zalo");

    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_during_a_send_waits_for_it_records_it_and_never_sends_it_again() {
    use dondoc_testkit::smtp::SmtpServer;
    let smtp = SmtpServer::start().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let now = "2025-09-22T09:00:00+07:00";
    let data = Data::new(now);
    // The server stores the message at once and answers its 250 three seconds later.
    let add = ["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--email", "slow.an@thongke.example.vn"];
    data.ok(now, &add);
    data.configure(&format!(
        "[email]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\ntimeout_secs = 10\n",
        smtp.host(),
        smtp.port()
    ));
    // A grace shorter than a send: raised to the longest attempt (timeout_secs + 10 s).
    let config = std::fs::read_to_string(data.config_path()).unwrap();
    std::fs::write(data.config_path(), config.replace("shutdown_grace_secs = 8", "shutdown_grace_secs = 1")).unwrap();
    let mut serve = data.serve(now);
    serve.healthz().await;
    eventually("the reminder on the wire", &serve, || (!smtp.messages().is_empty()).then_some(())).await;
    // Stopped while the server has not answered: the daemon waits for the answer and
    // records the delivery before it exits (its grace covers a whole attempt).
    let (status, took) = serve.terminate().await;
    assert!(status.success(), "{status}:\n{}", serve.log());
    assert!(took >= Duration::from_secs(1), "it waited for the send in flight ({took:?})");
    let log = data.json(now, &["reminders", "log", "--json"]);
    assert_eq!(log.as_array().unwrap().len(), 1, "recorded before the exit: {log}\n{}", serve.log());

    // Started again: the reminder is not sent a second time.
    let later = "2025-09-22T09:20:00+07:00";
    let mut serve = data.serve(later);
    serve.healthz().await;
    eventually("the sweep after the restart", &serve, || {
        let (_, health) = serve.health()?;
        health["last_runs"]["sweep"].is_string().then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(SmtpServer::SLOW_SECONDS + 1)).await;
    assert_eq!(smtp.messages().len(), 1, "sent once");
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_commands_list_my_tasks_and_the_overdue_ones() {
    // Sunday: no reminder goes out, only the answers.
    let sunday = "2025-09-21T10:00:00+07:00";
    let data = Data::new(sunday);
    let telegram = TelegramServer::start(TG_TOKEN).await;
    let zalo = ZaloServer::start().await;
    zalo.enforce_reply_window(Duration::from_secs(7 * 24 * 3600), 8);
    let (access, refresh) = zalo.issue_tokens();
    let tokens = json!({"access_token": access, "refresh_token": refresh, "expires_at": "2030-01-01T00:00:00Z"});
    std::fs::write(data.path().join("zalo-token.json"), tokens.to_string()).unwrap();
    data.configure(&format!(
        "[telegram]\ntoken_env = \"TG_TOKEN\"\napi_url = \"{tg}\"\npoll_timeout_secs = 5\n\n\
         [zalo]\napp_id = \"{app}\"\napp_secret_env = \"ZALO_APP_SECRET\"\noa_id = \"{ZALO_OA_ID}\"\n\
         oa_secret_key_env = \"ZALO_OA_SECRET\"\ntoken_file = \"zalo-token.json\"\ntemplate_id = \"248001\"\n\
         oa_api_url = \"{url}\"\nzns_api_url = \"{url}\"\noauth_url = \"{url}\"\n",
        tg = telegram.url(),
        app = ZaloServer::APP_ID,
        url = zalo.url()
    ));
    let chat = TG_CHAT.to_string();
    data.ok(sunday, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--telegram", &chat, "--zalo", "5005"]);
    let contacts_before = data.json(sunday, &["contact", "list", "--json"]);
    // The secretariat asks for an explanation of the overdue task 01.
    let ask = ["task", "request-explanation", "--plan", PLAN, "--code", "01", "--by", "25/09/2025"];
    data.ok(sunday, &[&ask[..], &["--reason", "Đề nghị giải trình nguyên nhân chậm"]].concat());
    let mut serve = data.serve(sunday);
    serve.healthz().await;

    // Telegram: the agency's open tasks (01 overdue, 02 due in Q4), then the overdue one.
    telegram.push_text(TG_CHAT, "/viec");
    let open = eventually("the answer to /viec", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Nhiệm vụ đang thực hiện"))
    })
    .await;
    assert!(open.text.starts_with(&format!("Nhiệm vụ đang thực hiện của {AGENCY} (2):")), "{}", open.text);
    assert!(open.text.contains("1. Nhiệm vụ 01 (kế hoạch TK-2025): Xây dựng kế hoạch"), "{}", open.text);
    assert!(open.text.contains("hạn 31/12/2025"), "{}", open.text);
    telegram.push_text(TG_CHAT, "/trehan@dondoc_bot");
    let overdue = eventually("the answer to /trehan", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Nhiệm vụ quá hạn"))
    })
    .await;
    assert!(overdue.text.contains("(1):") && overdue.text.contains("quá hạn."), "{}", overdue.text);
    assert!(!overdue.text.contains("Nhiệm vụ 02"), "{}", overdue.text);
    // The explanation, answered from the chat; a task without a request is refused.
    telegram.push_text(TG_CHAT, "/giaitrinh 02 Đang chờ số liệu");
    let refused = eventually("the refusal of an explanation nobody asked for", &serve, || {
        telegram
            .delivered()
            .into_iter()
            .find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Không có yêu cầu giải trình"))
    })
    .await;
    assert!(refused.text.contains("nhiệm vụ mã 02"), "{}", refused.text);
    telegram.push_text(TG_CHAT, "/giaitrinh 01 Chờ số liệu của Sở Y tế, dự kiến hoàn thành 30/10/2025");
    let recorded = eventually("the explanation recorded", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT && m.text.starts_with("Đã ghi nhận giải trình"))
    })
    .await;
    assert!(recorded.text.contains("nhiệm vụ 01 (kế hoạch TK-2025)"), "{}", recorded.text);
    // An unlinked chat: a polite refusal.
    telegram.push_text(TG_CHAT + 5, "/viec");
    eventually("the refusal to an unlinked chat", &serve, || {
        telegram.delivered().into_iter().find(|m| m.chat_id == TG_CHAT + 5 && m.text.contains("chưa được liên kết"))
    })
    .await;

    // Zalo: the same command from the linked follower, answered in the reply window.
    let at = chrono::DateTime::parse_from_rfc3339(sunday).unwrap() + chrono::TimeDelta::seconds(20);
    zalo.user_wrote("5005");
    let (body, good) = zalo_webhook("5005", "/trehan", at, ZALO_OA_SECRET);
    assert_eq!(post_webhook(serve.port, &body, &good), 200, "{}", serve.log());
    let answer = eventually("the answer on Zalo", &serve, || {
        zalo.delivered()
            .into_iter()
            .find(|m| m.recipient == "5005" && m.text.as_deref().is_some_and(|t| t.starts_with("Nhiệm vụ quá hạn")))
    })
    .await;
    assert_eq!(answer.endpoint, Endpoint::Consultation, "{answer:?}");
    let text = answer.text.clone().unwrap_or_default();
    assert!(text.contains("Nhiệm vụ 01 (kế hoạch TK-2025)"), "{text}");
    // A follower who is not in the contact book: a polite refusal, nothing recorded.
    zalo.user_wrote("7007");
    let (body, good) = zalo_webhook("7007", "viec", at + chrono::TimeDelta::seconds(5), ZALO_OA_SECRET);
    assert_eq!(post_webhook(serve.port, &body, &good), 200);
    eventually("the refusal on Zalo", &serve, || {
        zalo.delivered()
            .into_iter()
            .find(|m| m.recipient == "7007" && m.text.as_deref().is_some_and(|t| t.contains("chưa được liên kết")))
    })
    .await;
    serve.stop().await;
    // Only An's own message is recorded (it opens her reply window); the refusals record nothing.
    let mut contacts_after = data.json(sunday, &["contact", "list", "--json"]);
    assert_eq!(contacts_after[0]["zalo_last_message"], "2025-09-21T10:00:20+07:00");
    contacts_after[0].as_object_mut().unwrap().remove("zalo_last_message");
    assert_eq!(contacts_before, contacts_after, "the refusals recorded nothing");
    let audit = data.audit(sunday, "01");
    let types: Vec<&str> = audit.iter().map(|e| e["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(types, ["TaskDefined", "ExplanationRequested", "ExplanationGiven"], "reading lists records nothing");
    assert!(audit[2]["actor"].as_str().unwrap().starts_with("contact:c001"), "{}", audit[2]);
    assert_eq!(audit[2]["source"], "telegram", "{}", audit[2]);
    assert_eq!(data.audit(sunday, "02").len(), 1, "the refused explanation recorded nothing");
}

/// `/metrics` as Prometheus reads it: parsed by the official Python client's parser
/// (prometheus_client, installed by scripts/test.sh), not by our own code.
fn scrape(port: u16) -> Value {
    let script = r#"
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
r = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1])
text = r.read().decode()
samples = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        samples[s.name + ("{" + labels + "}" if labels else "")] = s.value
print(json.dumps({"content_type": r.headers["Content-Type"], "samples": samples}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &port.to_string()])
        .output()
        .expect("python3 (scripts/test.sh installs prometheus_client)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_with_the_figures_an_operator_watches() {
    let monday = "2025-09-22T09:00:00+07:00";
    let data = Data::new(monday);
    // A configured channel (nobody to send to: the server is never called).
    let port = serve_process::free_port();
    data.configure(&format!("[email]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\n"));
    let mut serve = data.serve(monday);
    serve.healthz().await;
    eventually("a sweep has run", &serve, || {
        let (_, health) = serve.health()?;
        health["last_runs"]["sweep"].is_string().then_some(())
    })
    .await;
    let scraped = scrape(data.port);
    assert!(scraped["content_type"].as_str().unwrap().starts_with("text/plain; version=0.0.4"), "{scraped}");
    let m = &scraped["samples"];
    assert_eq!(m["dondoc_tasks{classification=in_progress_overdue}"], 1.0, "task 01 is overdue: {m}");
    assert_eq!(m["dondoc_tasks{classification=cancelled}"], 0.0, "{m}");
    assert_eq!(m["dondoc_sending_leader"], 1.0, "{m}");
    assert_eq!(m["dondoc_channel_up{channel=email}"], 1.0, "{m}");
    assert_eq!(m["dondoc_sending_lease_holder{holder=this process}"], 1.0, "{m}");
    assert_eq!(m["dondoc_reminders_delivered_total{channel=zalo}"], 0.0, "a series from the start: {m}");
    let out = std::process::Command::new("sqlite3")
        .arg(data.path().join("dondoc.sqlite"))
        .arg("SELECT max(position) FROM events")
        .output()
        .unwrap();
    let head: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(m["dondoc_log_position"], head, "{m}");
    assert!(m["dondoc_projection_lag_positions"].as_f64().unwrap() >= 0.0);
    assert!(m["dondoc_job_last_run_timestamp_seconds{job=sweep}"].as_f64().unwrap() > 1.7e9, "{m}");
    assert!(m.get("dondoc_sweep_duration_milliseconds").is_some(), "{m}");
    // Every metric the shipped Grafana dashboard queries is one the daemon exposes.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = m.as_object().unwrap().keys().map(|k| k.split('{').next().unwrap()).collect();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for word in
                expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("dondoc_"))
            {
                assert!(names.contains(&word), "the dashboard's {word} ({expr}) is not exposed: {names:?}");
            }
        }
    }
    serve.stop().await;
}

//! The daemon through real protocols on loopback, on a virtual clock: the Quảng Nam plan
//! from August to October 2025 with email going to a real SMTP server process (aiosmtpd),
//! Telegram to an HTTP server speaking the Bot API (enforcing its rate limits) and Zalo
//! to an HTTP server speaking the OA API. The SMTP server is down for two hours of the
//! run and Telegram answers one 429: nothing is lost, nothing is sent twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use dondoc_testkit::smtp::SmtpServer;
use dondoc_testkit::telegram::TelegramServer;
use dondoc_testkit::zalo::{Endpoint, ZaloServer};
use serde_json::Value;

#[path = "support/quang_nam.rs"]
mod quang_nam;
use quang_nam::reminder_id;

fn setup(data: &Path) {
    quang_nam::setup(data, |d, a| {
        dondoc(d, a);
    });
}

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dondoc"))
        .args(args)
        .env("DONDOC_DATA_DIR", data)
        .env("DONDOC_NOW", "2025-07-31T08:00:00+07:00")
        .env("TG_TOKEN", "123:test")
        .env("ZALO_APP_SECRET", ZaloServer::APP_SECRET)
        .env("ZALO_OA_SECRET", "oa-secret")
        .env_remove("DONDOC_CALENDAR")
        .output()
        .expect("run dondoc")
}

fn dondoc(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn dondoc_async(data: &Path, args: &[&str]) -> String {
    let data = data.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        dondoc(&data, &args)
    })
    .await
    .unwrap()
}

fn configure(data: &Path, smtp: &SmtpServer, telegram: &TelegramServer, zalo: &ZaloServer) {
    let (access, refresh) = zalo.issue_tokens();
    let token =
        serde_json::json!({ "access_token": access, "refresh_token": refresh, "expires_at": "2030-01-01T00:00:00Z" });
    std::fs::write(data.join("zalo-token.json"), token.to_string()).unwrap();
    let config = format!(
        r#"
[dispatch]
backoff_initial_ms = 20
backoff_max_ms = 100

[email]
host = "{host}"
port = {port}
security = "none"
from = "Tổ giúp việc <nhacviec@example.gov.vn>"

[telegram]
token_env = "TG_TOKEN"
api_url = "{tg}"

[zalo]
app_id = "{app}"
app_secret_env = "ZALO_APP_SECRET"
oa_id = "oa-1"
oa_secret_key_env = "ZALO_OA_SECRET"
token_file = "zalo-token.json"
template_id = "tpl-nhac-viec"
oa_api_url = "{za}"
zns_api_url = "{za}"
oauth_url = "{za}"
"#,
        host = smtp.host(),
        port = smtp.port(),
        tg = telegram.url(),
        app = ZaloServer::APP_ID,
        za = zalo.url(),
    );
    std::fs::write(data.join("dondoc.toml"), config).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quang_nam_over_real_protocols_with_an_smtp_outage_and_a_429() {
    // The reference: the same data through the outbox.
    let reference = tempfile::tempdir().unwrap();
    let reference_out = tempfile::tempdir().unwrap();
    setup(reference.path());
    let o = reference_out.path().to_str().unwrap();
    dondoc(
        reference.path(),
        &["simulate", "--from", "2025-08-01T00:00:00+07:00", "--to", "2025-10-31T23:59:00+07:00", "--outbox", o],
    );
    let reference_ids: BTreeSet<String> = {
        let copy = reference_out.path().join("simulation.sqlite");
        let args = ["--store", copy.to_str().unwrap(), "reminders", "log", "--json"];
        let log: Value = serde_json::from_str(&dondoc(reference.path(), &args)).unwrap();
        log.as_array().unwrap().iter().map(|r| reminder_id(r["key"].as_str().unwrap())).collect()
    };

    let mut smtp = SmtpServer::start().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let telegram = TelegramServer::start("123:test").await;
    telegram.enforce_limits(true);
    let zalo = ZaloServer::start().await;
    let data = tempfile::tempdir().unwrap();
    setup(data.path());
    // A second leader reads email only: a summary that fails is retried for her.
    let leader = ["contact", "add", "--name", "Đỗ Thị Giang", "--agency", "UBND tỉnh", "--role", "leadership"];
    dondoc(data.path(), &[&leader[..], &["--email", "giang@ubnd.example.vn"]].concat());
    configure(data.path(), &smtp, &telegram, &zalo);
    // The runs continue one simulation, on its copy of the store in `sim`.
    let sim = tempfile::tempdir().unwrap();

    let sim_dir = sim.path().to_str().unwrap().to_string();
    let sim_store = sim.path().join("simulation.sqlite").to_str().unwrap().to_string();
    let log = |extra: &'static [&'static str]| {
        let data = data.path().to_path_buf();
        let sim_store = sim_store.clone();
        async move {
            let args: Vec<&str> = [&["--store", sim_store.as_str(), "reminders", "log", "--json"][..], extra].concat();
            serde_json::from_str::<Value>(&dondoc_async(&data, &args).await).unwrap()
        }
    };
    // Each run is a new process, whose rate limiter starts empty: like a daemon restart,
    // which never takes less than the per-chat second, runs are a second apart.
    let simulate = |from: &'static str, to: &'static str| {
        let data = data.path().to_path_buf();
        let sim_dir = sim_dir.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let args = ["simulate", "--channels", "configured", "--outbox", &sim_dir, "--from", from, "--to", to];
            dondoc_async(&data, &args).await
        }
    };

    simulate("2025-08-01T00:00:00+07:00", "2025-09-05T07:00:00+07:00").await;
    // Friday 5/9/2025: the weekly overdue repeats by email are due at 07:30.
    smtp.stop();
    simulate("2025-09-05T07:15:00+07:00", "2025-09-05T09:10:00+07:00").await;
    let failed = log(&["--failed"]).await;
    assert!(!failed.as_array().unwrap().is_empty(), "emails must have failed while the SMTP server was down");
    assert!(failed.as_array().unwrap().iter().all(|f| f["will_retry"] == true), "{failed}");
    // Failures carry the (virtual) time they were recorded.
    assert!(
        failed.as_array().unwrap().iter().all(|f| f["at"].as_str().is_some_and(|t| t.starts_with("2025-09-05T0"))),
        "{failed}"
    );
    smtp.restart().unwrap();
    simulate("2025-09-05T09:15:00+07:00", "2025-09-08T07:00:00+07:00").await;
    // Monday 8/9 07:30, the weekly summary: SMTP down again until 08:20.
    smtp.stop();
    simulate("2025-09-08T07:15:00+07:00", "2025-09-08T08:20:00+07:00").await;
    smtp.restart().unwrap();
    telegram.fail_next(1, 429, 1);
    simulate("2025-09-08T08:25:00+07:00", "2025-10-31T23:59:00+07:00").await;

    // Nothing lost: every reminder of the reference run was delivered, and no failure is left.
    let all = log(&[]).await;
    let rows = all.as_array().unwrap();
    let ids: BTreeSet<String> = rows.iter().map(|r| reminder_id(r["key"].as_str().unwrap())).collect();
    assert_eq!(ids.len(), rows.len(), "a reminder recorded twice");
    assert_eq!(ids, reference_ids, "the real run delivers exactly the reference's reminders");
    let failed = log(&["--failed"]).await;
    assert_eq!(failed.as_array().unwrap().len(), 0, "{failed}");

    // Email: one SMTP message per recorded message id (+ one summary a week), none twice.
    let mut by_channel: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        let key = r["key"].as_str().unwrap();
        let channel = key.rsplit_once('/').unwrap().1;
        let channel = match channel {
            "email" => "email",
            "telegram" => "telegram",
            _ => "zalo",
        };
        by_channel.entry(channel).or_default().insert(r["message_id"].as_str().unwrap().to_string());
    }
    let mails = smtp.messages();
    let mail_ids: Vec<String> = mails.iter().filter_map(|m| m.message_id.clone()).collect();
    assert_eq!(mail_ids.iter().collect::<BTreeSet<_>>().len(), mail_ids.len(), "an email sent twice");
    let summaries_to = |who: &str| {
        mails
            .iter()
            .filter(|m| m.subject.starts_with("Báo cáo tình hình thực hiện") && m.rcpt_tos.iter().any(|r| r == who))
            .count()
    };
    // Each leader gets each Monday's summary once: the one who also reads Telegram got the
    // 8/9 summary there (fallback); the email-only one got it when a later sweep retried.
    assert_eq!(summaries_to("giang@ubnd.example.vn"), 13, "one summary each Monday, retried after the outage");
    assert_eq!(summaries_to("em@ubnd.example.vn"), 12, "the outage's summary went by Telegram");
    let summaries = summaries_to("giang@ubnd.example.vn") + summaries_to("em@ubnd.example.vn");
    assert!(telegram.delivered().iter().any(|m| m.chat_id == 2002 && m.text.contains("Báo cáo tình hình thực hiện")));
    assert_eq!(mails.len() - summaries, by_channel["email"].len());
    for id in &by_channel["email"] {
        assert!(mail_ids.iter().any(|m| m.contains(id.as_str())), "message {id} not received by the SMTP server");
    }
    assert!(mails.iter().all(|m| m.parse_error.is_none()));

    // Telegram: the 429 was honoured (the retry came after retry_after), limits kept.
    let sent = telegram.sent();
    let refused = sent.iter().position(|m| m.status == 429).expect("the injected 429");
    let retry = sent[refused + 1..]
        .iter()
        .find(|m| m.chat_id == sent[refused].chat_id && m.text == sent[refused].text)
        .expect("the refused message is sent again");
    assert!(retry.at - sent[refused].at >= Duration::from_millis(950), "retry_after not honoured");
    let limited: Vec<String> = sent
        .iter()
        .enumerate()
        .filter(|(_, m)| m.status == 429)
        .map(|(i, m)| {
            let prev = sent[..i].iter().rev().find(|p| p.chat_id == m.chat_id && p.status == 200);
            format!("#{i} chat {} {:?} after the previous delivered one", m.chat_id, prev.map(|p| m.at - p.at))
        })
        .collect();
    assert_eq!(limited.len(), 1, "the dispatcher kept within Telegram's limits: {limited:?}");
    assert!(telegram.max_per_chat_in_any_second() <= 1);
    let delivered = telegram.delivered();
    assert!(!delivered.is_empty());
    // Reminders (with buttons) match the recorded Telegram messages; the rest are bot replies.
    let reminders = delivered.iter().filter(|m| !m.buttons.is_empty()).count();
    assert_eq!(reminders, by_channel["telegram"].len());

    // Zalo: template messages (no recent interaction) carrying the message id as tracking_id.
    let zns: Vec<_> = zalo.delivered().into_iter().filter(|m| m.endpoint == Endpoint::Template).collect();
    assert_eq!(zns.len(), by_channel["zalo"].len());
    for m in &zns {
        let tracking = m.tracking_id.as_deref().unwrap();
        assert!(by_channel["zalo"].contains(tracking), "tracking_id {tracking} is not a recorded message id");
    }
}

//! The Zalo channel against the Zalo OA API server of dondoc-testkit on loopback.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use dondoc_core::event::Channel;
use dondoc_notify::channel::zalo::{
    TokenPair, ZaloConfig, ZaloMode, ZaloSender, authorize, load_token_file, parse_webhook, save_token_file,
    verify_signature,
};
use dondoc_notify::message::{Message, MessageKind, reminder_actions};
use dondoc_notify::{SendError, Sender};
use dondoc_testkit::zalo::{Endpoint, Failure, ZaloServer};
use sha2::{Digest as _, Sha256};

const UID: &str = "2468458835296197922";
const PHONE: &str = "84901234567";
/// A contact with both: the user id for replies, the phone for template messages.
const BOTH: &str = "2468458835296197922|84901234567";
/// Zalo's reply window (reference: 48 hours after the user's last message, 8 replies).
const WINDOW: TimeDelta = TimeDelta::hours(48);
const REPLIES: u32 = 8;

fn message(address: &str) -> Message {
    let mut params = BTreeMap::new();
    params.insert("ten_can_bo".to_string(), "Nguyễn Văn An".to_string());
    params.insert("han_chot".to_string(), "15/03/2025".to_string());
    Message {
        kind: MessageKind::Reminder,
        channel: Channel::Zalo,
        recipient: "an".to_string(),
        name: "Nguyễn Văn An".to_string(),
        address: address.to_string(),
        subject: "Nhắc hạn".to_string(),
        text: "Kính gửi anh An: nhiệm vụ «Báo cáo quý I» đến hạn ngày 15/03/2025.".to_string(),
        html: None,
        attachments: Vec::new(),
        actions: reminder_actions("0123456789abcdef0123456789abcdef"),
        params,
        tasks: Vec::new(),
        keys: Vec::new(),
        idempotency_key: format!("idem-{address}"),
    }
}

struct Setup {
    server: ZaloServer,
    _dir: tempfile::TempDir,
    token_file: PathBuf,
    seeded: (String, String),
    config: ZaloConfig,
    sender: Arc<ZaloSender>,
}

/// A server keeping Zalo's reply window, a token file seeded with a pair the server issued
/// (expiring at `expires_at`) and a sender whose users in `recent` wrote `recent[uid]` ago
/// (the server learns of those within the window).
async fn setup(
    mode: ZaloMode,
    expires_at: DateTime<Utc>,
    recent: &[(&str, TimeDelta)],
    tweak: impl FnOnce(&mut ZaloConfig),
) -> Setup {
    let server = ZaloServer::start().await;
    server.enforce_reply_window(WINDOW.to_std().unwrap(), REPLIES);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("zalo-token.json");
    let seeded = server.issue_tokens();
    let pair = TokenPair { access_token: seeded.0.clone(), refresh_token: seeded.1.clone(), expires_at };
    save_token_file(&token_file, &pair).await.unwrap();

    let mut config = ZaloConfig::new(ZaloServer::APP_ID, &token_file);
    config.app_secret = ZaloServer::APP_SECRET.to_string();
    config.oa_api_url = server.url();
    config.zns_api_url = server.url();
    config.oauth_url = server.url();
    config.template_id = Some("tpl-nhac-han".to_string());
    config.mode = mode;
    config.requests_per_second = 100;
    tweak(&mut config);

    let now = Utc::now();
    for (uid, ago) in recent {
        if *ago < WINDOW {
            server.user_wrote(uid);
        }
    }
    let last: HashMap<String, DateTime<Utc>> = recent.iter().map(|(u, ago)| (u.to_string(), now - *ago)).collect();
    let interactions = Arc::new(move |uid: &str| last.get(uid).copied());
    let sender = ZaloSender::new(config.clone(), interactions, Arc::new(Utc::now)).unwrap();
    Setup { server, _dir: dir, token_file, seeded, config, sender: Arc::new(sender) }
}

fn far_future() -> DateTime<Utc> {
    Utc::now() + TimeDelta::hours(20)
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_reply_inside_the_window_goes_to_the_user_id_with_buttons() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(2))], |_| {}).await;
    assert_eq!(s.sender.channel(), Channel::Zalo);
    let m = message(BOTH);
    let receipt = s.sender.send(&m).await.unwrap();
    assert_eq!(receipt.via.as_deref(), Some("cs"));

    let sent = s.server.delivered();
    assert_eq!(sent.len(), 1);
    let cs = &sent[0];
    assert_eq!(cs.endpoint, Endpoint::Consultation);
    assert_eq!(cs.recipient, UID);
    assert_eq!(cs.text.as_deref(), Some(m.text.as_str()));
    assert_eq!(cs.access_token, s.seeded.0);
    assert_eq!(receipt.provider_id, cs.message_id);
    let buttons: Vec<(&str, &str, &str)> =
        cs.buttons.iter().map(|b| (b.title.as_str(), b.kind.as_str(), b.payload.as_str())).collect();
    let expected: Vec<(&str, &str, &str)> =
        m.actions.iter().map(|a| (a.label.as_str(), "oa.query.show", a.data.as_str())).collect();
    assert_eq!(buttons, expected);
    assert_eq!(buttons[0].0, "Đã nhận");
    assert!(s.server.refreshes().is_empty());
}

#[tokio::test]
async fn outside_the_window_a_template_message_goes_to_the_phone_never_to_the_user_id() {
    // The officer last wrote 49 hours ago: Zalo allows no reply any more.
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(49))], |_| {}).await;
    let m = message(BOTH);
    let receipt = s.sender.send(&m).await.unwrap();
    assert_eq!(receipt.via.as_deref(), Some("zns"));
    let sent = s.server.delivered();
    assert_eq!(sent.len(), 1);
    let zns = &sent[0];
    assert_eq!(zns.endpoint, Endpoint::Template);
    assert_eq!((zns.phone.as_deref(), zns.user_id.as_deref()), (Some(PHONE), None));
    assert_eq!(zns.template_id.as_deref(), Some("tpl-nhac-han"));
    assert_eq!(zns.tracking_id.as_deref(), Some(m.idempotency_key.as_str()));
    assert_eq!(zns.template_data, Some(serde_json::to_value(&m.params).unwrap()));
    assert_eq!(receipt.provider_id, zns.message_id);

    // A user id alone, outside the window: nothing Zalo allows; refused before any call.
    let err = s.sender.send(&message(UID)).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.contains("số điện thoại")), "{err:?}");
    // A phone alone: a template message.
    assert_eq!(s.sender.send(&message(PHONE)).await.unwrap().via.as_deref(), Some("zns"));
    assert_eq!(s.server.messages().len(), 2, "the server refused nothing: {:?}", s.server.messages());
}

#[tokio::test]
async fn after_eight_replies_the_next_messages_go_as_templates() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::minutes(5))], |_| {}).await;
    let mut via = Vec::new();
    for i in 0..10 {
        let mut m = message(BOTH);
        m.idempotency_key = format!("idem-{i}");
        via.push(s.sender.send(&m).await.unwrap().via.unwrap());
    }
    let cs = via.iter().filter(|v| *v == "cs").count();
    assert_eq!((cs, via.len() - cs), (8, 2), "{via:?}");
    assert!(s.server.messages().iter().all(|m| m.error == 0), "the server refused none");
}

#[tokio::test]
async fn template_parameters_are_cut_to_the_template_limits() {
    let s = setup(ZaloMode::Template, far_future(), &[], |c| {
        c.param_limits.insert("han_chot".to_string(), 10);
    })
    .await;
    s.server.register_template("tpl-nhac-han", &[("ten_can_bo", 30), ("han_chot", 10), ("ten_nhiem_vu", 30)]);
    let mut m = message(PHONE);
    m.params.insert("ten_nhiem_vu".into(), "Xây dựng báo cáo thống kê kinh tế - xã hội hằng tháng của tỉnh".into());
    m.params.insert("han_chot".into(), "15/03/2025 (thứ Bảy)".into());
    s.sender.send(&m).await.unwrap();
    let data = s.server.delivered()[0].template_data.clone().unwrap();
    let title = data["ten_nhiem_vu"].as_str().unwrap();
    assert_eq!(title.chars().count(), 30);
    assert!(title.ends_with('…') && title.starts_with("Xây dựng báo cáo thống kê"), "{title}");
    assert_eq!(data["han_chot"], "15/03/202…");
    assert_eq!(data["ten_can_bo"], "Nguyễn Văn An");
}

#[tokio::test]
async fn summaries_and_digests_go_only_with_their_own_templates() {
    let s = setup(ZaloMode::Auto, far_future(), &[], |_| {}).await;
    let mut summary = message(PHONE);
    summary.kind = MessageKind::WeeklySummary;
    summary.params = [("ten_can_bo", "Hồ Quang Em"), ("tu_ngay", "17/11/2025"), ("den_ngay", "23/11/2025")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // No template of its own: refused here (the dispatcher takes the next channel), never
    // sent with the reminder template.
    let err = s.sender.send(&summary).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.contains("báo cáo tuần")), "{err:?}");
    assert!(s.server.messages().is_empty());
    let mut digest = summary.clone();
    digest.kind = MessageKind::DailyDigest;
    assert!(matches!(s.sender.send(&digest).await, Err(SendError::Permanent(_))));

    let s = setup(ZaloMode::Auto, far_future(), &[], |c| c.summary_template_id = Some("tpl-bao-cao-tuan".into())).await;
    s.server.register_template("tpl-nhac-han", &[("ten_can_bo", 30), ("han_chot", 30)]);
    s.server.register_template("tpl-bao-cao-tuan", &[("ten_can_bo", 30), ("tu_ngay", 10), ("den_ngay", 10)]);
    assert_eq!(s.sender.send(&summary).await.unwrap().via.as_deref(), Some("zns"));
    assert_eq!(s.server.delivered()[0].template_id.as_deref(), Some("tpl-bao-cao-tuan"));
    // A message without parameters is never sent as a template.
    let mut empty = message(PHONE);
    empty.params.clear();
    assert!(matches!(s.sender.send(&empty).await, Err(SendError::Permanent(_))));
    assert_eq!(s.server.messages().len(), 1);
}

#[tokio::test]
async fn a_reminder_without_its_template_is_a_fault_of_the_configuration() {
    let s = setup(ZaloMode::Auto, far_future(), &[], |c| c.template_id = None).await;
    let err = s.sender.send(&message(PHONE)).await.unwrap_err();
    assert!(err.is_channel_fault(), "{err:?}");
    assert!(s.server.messages().is_empty());
}

#[tokio::test]
async fn refused_access_token_is_refreshed_once_and_persisted_before_the_retry() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(1))], |_| {}).await;
    s.server.expire_access_tokens();

    // What the token file says at the moment each send call reaches the server.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (seen2, file) = (seen.clone(), s.token_file.clone());
    s.server.on_message(move |m| {
        let on_disk: TokenPair = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        seen2.lock().unwrap().push((m.access_token.clone(), on_disk.access_token));
    });

    let receipt = s.sender.send(&message(UID)).await.unwrap();
    assert_eq!(receipt.via.as_deref(), Some("cs"));

    let refreshes = s.server.refreshes();
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].refresh_token, s.seeded.1);
    assert_eq!(refreshes[0].grant_type, "refresh_token");
    assert_eq!(refreshes[0].secret_key, ZaloServer::APP_SECRET);
    let (new_access, new_refresh) = refreshes[0].issued.clone().unwrap();

    let calls = s.server.messages();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].access_token.as_str(), calls[0].error), (s.seeded.0.as_str(), -216));
    assert_eq!((calls[1].access_token.as_str(), calls[1].error), (new_access.as_str(), 0));
    // The retry carried the new token, and the file already held it.
    assert_eq!(seen.lock().unwrap()[1], (new_access.clone(), new_access.clone()));

    let on_disk = load_token_file(&s.token_file).await.unwrap();
    assert_eq!(
        (on_disk.access_token.as_str(), on_disk.refresh_token.as_str()),
        (new_access.as_str(), new_refresh.as_str())
    );
    assert!(on_disk.expires_at > Utc::now() + TimeDelta::hours(24));

    // The old refresh token is spent: the server refuses it now.
    assert!(!s.server.refresh_token_valid(&s.seeded.1));
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v4/oa/access_token", s.server.url()))
        .header("secret_key", ZaloServer::APP_SECRET)
        .form(&[
            ("refresh_token", s.seeded.1.as_str()),
            ("app_id", ZaloServer::APP_ID),
            ("grant_type", "refresh_token"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reply.get("access_token").is_none());
    assert_ne!(reply["error"].as_i64(), Some(0));
}

#[tokio::test]
async fn expired_token_in_the_file_is_refreshed_before_sending() {
    let s = setup(ZaloMode::Template, Utc::now() - TimeDelta::minutes(5), &[], |_| {}).await;
    s.sender.send(&message(PHONE)).await.unwrap();
    let refreshes = s.server.refreshes();
    assert_eq!(refreshes.len(), 1);
    let calls = s.server.messages();
    assert_eq!(calls.len(), 1, "no call with the expired token");
    assert_eq!(Some(calls[0].access_token.clone()), refreshes[0].issued.clone().map(|p| p.0));
}

#[tokio::test]
async fn twenty_concurrent_sends_with_an_expired_token_refresh_once() {
    // Expired on both sides: the file says so, and so does the server.
    let s = setup(ZaloMode::Template, Utc::now() - TimeDelta::minutes(1), &[], |_| {}).await;
    s.server.expire_access_tokens();
    let messages: Vec<Message> = (0..20).map(|i| message(&format!("8490123{i:04}"))).collect();
    let results = futures::future::join_all(messages.iter().map(|m| s.sender.send(m))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(s.server.refreshes().len(), 1);
    assert_eq!(s.server.delivered().len(), 20);

    // Refused by the server only (the file still claims validity): still one refresh.
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    s.server.expire_access_tokens();
    let results = futures::future::join_all((0..20).map(|_| {
        let sender = s.sender.clone();
        tokio::spawn(async move { sender.send(&message(PHONE)).await })
    }))
    .await;
    assert!(results.into_iter().all(|r| r.unwrap().is_ok()));
    assert_eq!(s.server.refreshes().len(), 1);
    assert_eq!(s.server.delivered().len(), 20);
    assert!(s.server.refreshes().iter().all(|r| r.error == 0));
}

#[cfg(unix)]
#[tokio::test]
async fn token_file_is_replaced_atomically() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    let s = setup(ZaloMode::Template, Utc::now() - TimeDelta::minutes(1), &[], |_| {}).await;
    let dir = s.token_file.parent().unwrap().to_path_buf();
    let inode_before = std::fs::metadata(&s.token_file).unwrap().ino();
    s.sender.send(&message(PHONE)).await.unwrap();
    assert_eq!(s.server.refreshes().len(), 1);

    assert_eq!(dir_entries(&dir), vec!["zalo-token.json".to_string()], "no temporary file left");
    let meta = std::fs::metadata(&s.token_file).unwrap();
    assert_ne!(meta.ino(), inode_before, "replaced by rename, not rewritten in place");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let pair = load_token_file(&s.token_file).await.unwrap();
    assert_eq!(Some((pair.access_token, pair.refresh_token)), s.server.refreshes()[0].issued.clone());
}

#[tokio::test]
async fn a_refused_refresh_token_stops_the_refreshes_until_the_oa_is_authorised_again() {
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    let bogus =
        TokenPair { access_token: "nope".into(), refresh_token: "never-issued".into(), expires_at: far_future() };
    save_token_file(&s.token_file, &bogus).await.unwrap();
    let err = s.sender.send(&message(PHONE)).await.unwrap_err();
    assert!(matches!(&err, SendError::Channel(m) if m.contains("cấp quyền lại")), "{err:?}");
    assert_eq!(s.server.refreshes().len(), 1);
    // The refused refresh token is not offered again.
    let err = s.sender.send(&message(PHONE)).await.unwrap_err();
    assert!(err.is_channel_fault(), "{err:?}");
    assert_eq!(s.server.refreshes().len(), 1, "no second refresh with a refused token");
    assert_eq!(s.server.delivered().len(), 0);

    // An administrator authorises the OA again: a new refresh token, exchanged and written.
    let (_, fresh_refresh) = s.server.issue_tokens();
    let pair = authorize(&s.config, &fresh_refresh, Arc::new(Utc::now)).await.unwrap();
    assert_eq!(load_token_file(&s.token_file).await.unwrap(), pair);
    // The running sender picks it up.
    assert_eq!(s.sender.send(&message(PHONE)).await.unwrap().via.as_deref(), Some("zns"));
    assert_eq!(s.server.delivered().len(), 1);
}

#[tokio::test]
async fn a_missing_token_file_is_a_fault_of_the_channel() {
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    std::fs::remove_file(&s.token_file).unwrap();
    assert!(matches!(s.sender.send(&message(PHONE)).await, Err(SendError::Channel(_))));
    assert!(s.server.messages().is_empty());
}

/// The access token expires while the daemon runs (the server refuses it: -216) and the
/// OAuth server fails the one refresh that follows (HTTP 502, the refresh token unspent):
/// that send is a transient failure, retried like any other, and the token file keeps the
/// pair; the next attempt refreshes once with the same refresh token and goes out.
#[tokio::test]
async fn an_access_token_expiring_mid_run_with_its_refresh_failing_once_is_retried() {
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    s.sender.send(&message(PHONE)).await.unwrap();
    s.server.expire_access_tokens();
    s.server.fail_next_refresh(1, Failure::Http(502));

    let err = s.sender.send(&message(PHONE)).await.unwrap_err();
    assert!(matches!(err, SendError::Transient(_)) && err.is_retryable(), "{err:?}");
    let on_disk = load_token_file(&s.token_file).await.unwrap();
    assert_eq!((on_disk.access_token, on_disk.refresh_token), s.seeded.clone(), "the file keeps the pair");
    assert!(s.server.refresh_token_valid(&s.seeded.1), "a failed refresh spends nothing");

    s.sender.send(&message(PHONE)).await.unwrap();
    let refreshes = s.server.refreshes();
    assert_eq!(refreshes.iter().map(|r| r.error).collect::<Vec<_>>(), [-1, 0], "{refreshes:?}");
    assert_eq!(refreshes[1].refresh_token, s.seeded.1);
    let (new_access, new_refresh) = refreshes[1].issued.clone().unwrap();
    let on_disk = load_token_file(&s.token_file).await.unwrap();
    assert_eq!(
        (on_disk.access_token.as_str(), on_disk.refresh_token.as_str()),
        (new_access.as_str(), new_refresh.as_str())
    );
    let delivered = s.server.delivered();
    assert_eq!(delivered.len(), 2, "the first message and the retried one");
    assert_eq!(delivered[1].access_token, new_access);
}

#[tokio::test]
async fn server_error_is_transient_and_429_is_rate_limited() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(1))], |_| {}).await;
    s.server.fail_next(1, Failure::Http(503));
    let err = s.sender.send(&message(UID)).await.unwrap_err();
    assert!(matches!(err, SendError::Transient(_)), "{err:?}");
    assert!(err.is_retryable());

    s.server.fail_next(1, Failure::Http(429));
    assert!(matches!(s.sender.send(&message(PHONE)).await, Err(SendError::RateLimited { .. })));
    s.server.fail_next(1, Failure::Zalo(-32));
    assert!(matches!(s.sender.send(&message(UID)).await, Err(SendError::RateLimited { .. })));

    // The next send goes through.
    assert!(s.sender.send(&message(UID)).await.is_ok());
}

#[tokio::test]
async fn network_error_is_transient() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(1))], |c| {
        // A port nothing listens on (the server is bound elsewhere).
        c.oa_api_url = "http://127.0.0.1:9".to_string();
    })
    .await;
    assert!(matches!(s.sender.send(&message(UID)).await, Err(SendError::Transient(_))));
}

#[tokio::test]
async fn zalo_error_code_is_permanent() {
    let s = setup(ZaloMode::Auto, far_future(), &[(UID, TimeDelta::hours(1))], |_| {}).await;
    s.server.fail_next(1, Failure::Zalo(-213));
    let err = s.sender.send(&message(UID)).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Permanent(m) if m.contains("-213") && m.contains("injected Zalo error")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_exhausted_template_quota_is_a_fault_of_the_channel() {
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    s.server.set_quota(1);
    s.sender.send(&message(PHONE)).await.unwrap();
    // The reply said remainingQuota 0: refused locally, no call made.
    let err = s.sender.send(&message(PHONE)).await.unwrap_err();
    assert!(err.is_channel_fault(), "{err:?}");
    assert_eq!(s.server.messages().len(), 1);

    // A local daily limit, whatever Zalo says remains.
    let s = setup(ZaloMode::Template, far_future(), &[], |c| c.daily_template_quota = Some(2)).await;
    s.sender.send(&message(PHONE)).await.unwrap();
    s.server.fail_next(1, Failure::Http(502));
    assert!(s.sender.send(&message(PHONE)).await.is_err());
    s.sender.send(&message(PHONE)).await.unwrap(); // the failed send gave its slot back
    assert!(matches!(s.sender.send(&message(PHONE)).await, Err(SendError::Channel(_))));
    assert_eq!(s.server.delivered().len(), 2);

    // Zalo's own quota error.
    let s = setup(ZaloMode::Template, far_future(), &[], |_| {}).await;
    s.server.fail_next(1, Failure::Zalo(-144));
    assert!(matches!(s.sender.send(&message(PHONE)).await, Err(SendError::Channel(_))));
    assert!(matches!(s.sender.send(&message(PHONE)).await, Err(SendError::Channel(_))));
    assert_eq!(s.server.messages().len(), 1);
}

#[test]
fn the_webhook_signature_is_the_one_zalo_documents() {
    // Zalo's webhook guide: X-ZEvent-Signature = hex(sha256(app_id + raw body + timestamp +
    // OA secret key)), with the *application* id, not the OA id.
    let (app_id, oa_id, secret) = ("1938264975831726354", "579745863508352884", "oa-secret-key");
    let body = br#"{"app_id":"1938264975831726354","oa_id":"579745863508352884","event_name":"user_send_text","sender":{"id":"246"},"message":{"text":"ack:0123456789abcdef"},"timestamp":"1700000000123"}"#;
    let event = parse_webhook(body).unwrap();
    let timestamp = event.timestamp_ms.to_string();
    let documented = |id: &str| {
        let mut h = Sha256::new();
        h.update(id.as_bytes());
        h.update(body);
        h.update(timestamp.as_bytes());
        h.update(secret.as_bytes());
        hex::encode(h.finalize())
    };
    let good = documented(app_id);

    assert!(verify_signature(app_id, body, &timestamp, secret, &good));
    assert!(verify_signature(app_id, body, &timestamp, secret, &format!("mac={}", good.to_uppercase())));
    // Signed with the OA id instead: not Zalo's signature.
    assert!(!verify_signature(app_id, body, &timestamp, secret, &documented(oa_id)));
    let mut tampered = body.to_vec();
    tampered[body.len() - 3] ^= 1;
    assert!(!verify_signature(app_id, &tampered, &timestamp, secret, &good));
    assert!(!verify_signature(app_id, body, "1700000000124", secret, &good));
    assert!(!verify_signature(app_id, body, &timestamp, "other-secret", &good));
    assert!(!verify_signature(app_id, body, &timestamp, secret, &good[..62]));
    assert!(!verify_signature(app_id, body, &timestamp, secret, "not hex"));
    assert!(!verify_signature(app_id, body, &timestamp, "", &good));
    assert_eq!(event.payload.as_deref(), Some("ack:0123456789abcdef"));
}

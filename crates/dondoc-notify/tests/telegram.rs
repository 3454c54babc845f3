//! The Telegram channel against the Bot API test server on loopback (real HTTP, teloxide
//! on the client side).

use std::time::{Duration, Instant};

use dondoc_core::event::Channel;
use dondoc_notify::channel::telegram::{Inbound, Incoming, TelegramConfig, TelegramSender};
use dondoc_notify::message::{ActionKind, reminder_actions};
use dondoc_notify::{Message, SendError, Sender};
use dondoc_testkit::telegram::TelegramServer;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const TOKEN: &str = "123456:TEST-dondoc-token";
const REF: &str = "0123456789abcdef0123456789abcdef";

async fn setup() -> (TelegramServer, TelegramSender) {
    let server = TelegramServer::start(TOKEN).await;
    let config = TelegramConfig { token: TOKEN.to_string(), api_url: server.url(), poll_timeout_secs: 2 };
    let sender = TelegramSender::new(&config).expect("sender");
    (server, sender)
}

fn message(address: &str) -> Message {
    Message {
        kind: dondoc_notify::message::MessageKind::Reminder,
        channel: Channel::Telegram,
        recipient: "can-bo-1".to_string(),
        name: "Nguyễn Văn An".to_string(),
        address: address.to_string(),
        subject: "Nhắc hạn nhiệm vụ".to_string(),
        text: "Nhiệm vụ \"Báo cáo quý III\" đến hạn ngày 30/09/2025.".to_string(),
        html: None,
        attachments: Vec::new(),
        actions: reminder_actions(REF),
        params: Default::default(),
        tasks: Vec::new(),
        keys: Vec::new(),
        idempotency_key: REF.to_string(),
    }
}

/// The next update, answered as handled.
async fn recv(rx: &mut mpsc::Receiver<Incoming>) -> Inbound {
    let incoming = next(rx).await;
    incoming.handled.send(true).expect("run_updates waits for the answer");
    incoming.inbound
}

/// The next update, not answered yet.
async fn next(rx: &mut mpsc::Receiver<Incoming>) -> Incoming {
    tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("an update within 5 s").expect("channel open")
}

/// Starts `run_updates`; returns the receiver, the shutdown switch and the task.
fn run(sender: &TelegramSender) -> (mpsc::Receiver<Incoming>, watch::Sender<bool>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16);
    let (stop_tx, stop_rx) = watch::channel(false);
    let sender = sender.clone();
    let task = tokio::spawn(async move { sender.run_updates(tx, stop_rx).await });
    (rx, stop_tx, task)
}

/// Asks `run_updates` to stop and checks that it returns within 1 s.
async fn stop(stop_tx: watch::Sender<bool>, task: JoinHandle<()>) {
    let asked = Instant::now();
    stop_tx.send(true).expect("run_updates still listening");
    tokio::time::timeout(Duration::from_secs(1), task).await.expect("stopped within 1 s").expect("no panic");
    assert!(asked.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn message_with_three_buttons_arrives_with_labels_and_data() {
    let (server, sender) = setup().await;
    assert_eq!(sender.channel(), Channel::Telegram);
    let m = message("42");
    let receipt = sender.send(&m).await.expect("sent");
    assert_eq!(receipt.provider_id.as_deref(), Some("1"));

    let sent = server.delivered();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].chat_id, 42);
    assert_eq!(sent[0].text, m.text);
    assert_eq!(sent[0].parse_mode, None);
    assert_eq!(sent[0].labels(), ["Đã nhận", "Báo cáo tiến độ", "Đề nghị gia hạn"]);
    assert_eq!(sent[0].callback_data(), [format!("ack:{REF}"), format!("prog:{REF}"), format!("ext:{REF}")]);
    assert_eq!(sent[0].message_id, Some(1));

    let receipt = sender.send(&m).await.expect("sent again");
    assert_eq!(receipt.provider_id.as_deref(), Some("2"));
}

#[tokio::test]
async fn flood_control_maps_to_rate_limited_with_retry_after() {
    let (server, sender) = setup().await;
    server.fail_next(1, 429, 2);
    match sender.send(&message("42")).await {
        Err(SendError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Duration::from_secs(2)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    sender.send(&message("42")).await.expect("the failure is used up");
    assert_eq!(server.sent().iter().map(|m| m.status).collect::<Vec<_>>(), [429, 200]);
}

#[tokio::test]
async fn a_wrong_bot_token_is_a_fault_of_the_channel_not_of_the_recipient() {
    // The Bot API answers 401 "Unauthorized" to a token it does not know, whatever the call.
    let server = TelegramServer::start("123:right").await;
    let config = TelegramConfig { token: "123:wrong".into(), api_url: server.url(), ..TelegramConfig::default() };
    let sender = TelegramSender::new(&config).unwrap();
    let error = sender.send(&message("42")).await.unwrap_err();
    assert!(error.is_channel_fault(), "{error:?}");
    assert_eq!(server.unauthorized_calls(), 1);
}

#[tokio::test]
async fn blocked_chat_is_permanent() {
    let (server, sender) = setup().await;
    server.forbid_chat(42);
    let error = sender.send(&message("42")).await.expect_err("blocked");
    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(server.sent()[0].status, 403);
    assert!(server.delivered().is_empty());
}

#[tokio::test]
async fn unknown_chat_and_bad_address_are_permanent() {
    let (server, sender) = setup().await;
    server.remove_chat(43);
    let error = sender.send(&message("43")).await.expect_err("chat not found");
    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");

    let error = sender.send(&message("@khong_phai_so")).await.expect_err("not a chat id");
    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
    assert_eq!(server.sent().len(), 1, "an unparsable address never reaches Telegram");
}

#[tokio::test]
async fn stopped_server_is_transient() {
    let (server, sender) = setup().await;
    sender.send(&message("42")).await.expect("sent while up (keeps a pooled connection)");
    drop(server);
    let error = sender.send(&message("42")).await.expect_err("server gone");
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_error_is_transient() {
    // teloxide waits 10 s before reading a 5xx answer: this test is slow by design.
    let (server, sender) = setup().await;
    server.fail_next(1, 500, None);
    let error = sender.send(&message("42")).await.expect_err("500");
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
}

#[tokio::test]
async fn enforced_limits_refuse_a_second_message_to_a_chat_within_a_second() {
    let (server, sender) = setup().await;
    server.enforce_limits(true);
    sender.send(&message("42")).await.expect("first");
    match sender.send(&message("42")).await {
        Err(SendError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Duration::from_secs(1)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    sender.send(&message("43")).await.expect("another chat is not limited");
    assert_eq!(server.delivered().len(), 2);
    assert_eq!(server.max_per_chat_in_any_second(), 2);
    assert_eq!(server.max_in_any_second(), 3);
}

#[tokio::test]
async fn reply_and_answer_callback_are_recorded() {
    let (server, sender) = setup().await;
    let receipt = sender.reply(42, "Đã ghi nhận").await.expect("reply");
    assert_eq!(receipt.provider_id.as_deref(), Some("1"));
    let sent = server.delivered();
    assert_eq!(sent[0].text, "Đã ghi nhận");
    assert!(sent[0].buttons.is_empty());

    let callback_id = server.push_callback(42, &ActionKind::Acknowledge.encode(REF));
    sender.answer_callback(&callback_id, "Đã ghi nhận").await.expect("answered");
    let answered = server.answered_callbacks();
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].callback_id, callback_id);
    assert_eq!(answered[0].text.as_deref(), Some("Đã ghi nhận"));

    let error = sender.answer_callback(&callback_id, "lần hai").await.expect_err("answered twice");
    assert!(matches!(error, SendError::Permanent(_)), "{error:?}");
}

#[tokio::test]
async fn run_updates_delivers_start_callback_and_text_then_stops() {
    let (server, sender) = setup().await;
    server.set_name(42, "Nguyễn Văn An");
    sender.send(&message("42")).await.expect("reminder");
    let (mut rx, stop_tx, task) = run(&sender);

    server.push_text(42, "/start MA-7K2Q");
    assert_eq!(
        recv(&mut rx).await,
        Inbound::Start { chat_id: 42, code: Some("MA-7K2Q".into()), from: "Nguyễn Văn An".into(), private: true }
    );

    // Pushed while the poll is waiting: the long poll answers at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pushed = Instant::now();
    let callback_id = server.push_callback(42, &ActionKind::Progress.encode(REF));
    assert_eq!(
        recv(&mut rx).await,
        Inbound::Callback {
            chat_id: 42,
            user_id: 42,
            callback_id: callback_id.clone(),
            action: ActionKind::Progress,
            message_ref: REF.into()
        }
    );
    assert!(pushed.elapsed() < Duration::from_secs(1), "long poll answered late: {:?}", pushed.elapsed());

    server.push_text(42, "Đã hoàn thành 80%, còn chờ số liệu xã");
    assert_eq!(
        recv(&mut rx).await,
        Inbound::Text {
            chat_id: 42,
            from: "Nguyễn Văn An".into(),
            text: "Đã hoàn thành 80%, còn chờ số liệu xã".into()
        }
    );

    stop(stop_tx, task).await;
    assert_eq!(server.calls("deleteWebhook"), 1);
    assert_eq!(server.pending_updates(), 0, "handled updates are confirmed at shutdown");
}

#[tokio::test]
async fn unknown_button_is_answered_and_groups_only_start() {
    let (server, sender) = setup().await;
    let (mut rx, stop_tx, task) = run(&sender);

    let callback_id = server.push_callback(42, "xoa:tat-ca");
    server.push_text(-100, "tin nhắn trong nhóm");
    server.push_text(-100, "/start@dondoc_test_bot NHOM-1");
    let Inbound::Start { chat_id, code, private, .. } = recv(&mut rx).await else { panic!("expected Start") };
    assert_eq!((chat_id, code.as_deref(), private), (-100, Some("NHOM-1"), false), "a group is not a private chat");

    let answered = server.answered_callbacks();
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0].callback_id, callback_id);
    assert_eq!(answered[0].text.as_deref(), Some("Nút này không hợp lệ hoặc đã hết hạn."));

    stop(stop_tx, task).await;
    assert!(rx.try_recv().is_err(), "nothing else was handed over");
}

#[tokio::test]
async fn handled_updates_are_not_delivered_again_after_restart() {
    let (server, sender) = setup().await;
    let (mut rx, stop_tx, task) = run(&sender);
    server.push_text(42, "một");
    assert!(matches!(recv(&mut rx).await, Inbound::Text { text, .. } if text == "một"));
    stop(stop_tx, task).await;

    server.push_text(42, "hai");
    let (mut rx, stop_tx, task) = run(&sender);
    assert!(matches!(recv(&mut rx).await, Inbound::Text { text, .. } if text == "hai"));
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn an_update_is_confirmed_only_once_handled() {
    let (server, sender) = setup().await;
    let (mut rx, stop_tx, task) = run(&sender);
    server.push_text(42, "một");
    server.push_text(42, "hai");
    // The first handling fails (its answer could not be recorded): "một" comes again
    // before "hai", and nothing is confirmed meanwhile.
    let first = next(&mut rx).await;
    assert!(matches!(&first.inbound, Inbound::Text { text, .. } if text == "một"));
    first.handled.send(false).unwrap();
    assert!(matches!(recv(&mut rx).await, Inbound::Text { text, .. } if text == "một"), "delivered again");
    // Handed over and not yet answered when the daemon stops: not confirmed.
    let pending = next(&mut rx).await;
    assert!(matches!(&pending.inbound, Inbound::Text { text, .. } if text == "hai"));
    stop(stop_tx, task).await;
    drop(pending);
    assert_eq!(server.pending_updates(), 1, "\"hai\" was not recorded: Telegram keeps it");
    let (mut rx, stop_tx, task) = run(&sender);
    assert!(matches!(recv(&mut rx).await, Inbound::Text { text, .. } if text == "hai"));
    stop(stop_tx, task).await;
    assert_eq!(server.pending_updates(), 0);
}

#[tokio::test]
async fn a_press_names_the_user_who_pressed() {
    let (server, sender) = setup().await;
    let (mut rx, stop_tx, task) = run(&sender);
    server.push_callback_by(-100, 77, &ActionKind::Acknowledge.encode(REF));
    let Inbound::Callback { chat_id, user_id, .. } = recv(&mut rx).await else { panic!("expected Callback") };
    assert_eq!((chat_id, user_id), (-100, 77));
    stop(stop_tx, task).await;
}

#[tokio::test]
async fn run_updates_backs_off_without_server_and_still_stops() {
    let (server, sender) = setup().await;
    drop(server);
    let (_rx, stop_tx, task) = run(&sender);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!task.is_finished(), "keeps retrying while the network fails");
    stop(stop_tx, task).await;
}

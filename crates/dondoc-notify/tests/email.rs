//! The email channel against a real SMTP server process (aiosmtpd) on loopback.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::time::{Duration, Instant};

use dondoc_core::event::{Channel, TaskKey};
use dondoc_notify::channel::email::{EmailConfig, EmailError, EmailSender, Security};
use dondoc_notify::{Attachment, Message, SendError, Sender};
use dondoc_testkit::smtp::SmtpServer;
use sha2::{Digest as _, Sha256};

const FROM: &str = "Tổ giúp việc <nhacviec@example.gov.vn>";
const WAIT: Duration = Duration::from_secs(10);

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn config(server: &SmtpServer) -> EmailConfig {
    EmailConfig {
        host: server.host().to_string(),
        port: Some(server.port()),
        security: Security::None,
        from: FROM.to_string(),
        pool_size: 4,
        timeout_secs: 10,
        ..EmailConfig::default()
    }
}

fn message(address: &str, key: &str) -> Message {
    Message {
        kind: dondoc_notify::message::MessageKind::Reminder,
        channel: Channel::Email,
        recipient: "nguyen-thi-hang".to_string(),
        name: "Nguyễn Thị Hằng".to_string(),
        address: address.to_string(),
        subject: "Nhắc việc: Báo cáo tổng kết năm — hạn 31/12/2025".to_string(),
        text: "Kính gửi chị Hằng,\n\nNhiệm vụ «Báo cáo tổng kết năm» đến hạn ngày 31/12/2025.\nTrân trọng.\n"
            .to_string(),
        html: None,
        attachments: Vec::new(),
        actions: Vec::new(),
        params: BTreeMap::new(),
        tasks: vec![TaskKey::new("KH-12", "NV-03")],
        keys: Vec::new(),
        idempotency_key: key.to_string(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "Nhiệm vụ").unwrap();
    sheet.write_string(0, 1, "Hạn hoàn thành").unwrap();
    sheet.write_string(1, 0, "Báo cáo tổng kết năm").unwrap();
    sheet.write_string(1, 1, "31/12/2025").unwrap();
    workbook.save_to_buffer().unwrap()
}

/// A TLS server, or `None` (test skipped) when the openssl CLI is missing.
fn tls_server(test: &str, start: fn() -> io::Result<SmtpServer>) -> Option<SmtpServer> {
    match start() {
        Ok(server) => Some(server),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            dondoc_testkit::skip::skip(test, &format!("openssl or python3 not found ({e})"));
            None
        }
        Err(e) => panic!("could not start the SMTP server: {e}"),
    }
}

#[tokio::test]
async fn vietnamese_multipart_message_with_inline_image_and_xlsx_arrives_intact() {
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();
    assert_eq!(sender.channel(), Channel::Email);

    let workbook = xlsx();
    let mut m = message("hang.nt@sonoivu.example.gov.vn", "9f86d081884c7d659a2feaa0c55ad015");
    let html = "<p>Kính gửi chị <b>Hằng</b>,</p><p>Nhiệm vụ «Báo cáo tổng kết năm» đến hạn ngày \
                31/12/2025.</p><img src=\"cid:bieu-do-tien-do\" alt=\"Biểu đồ tiến độ\">";
    m.html = Some(html.to_string());
    m.attachments = vec![
        Attachment {
            filename: "biểu đồ tiến độ.png".to_string(),
            content_type: "image/png".to_string(),
            bytes: PNG.to_vec(),
            inline_id: Some("bieu-do-tien-do".to_string()),
        },
        Attachment {
            filename: "Danh sách nhiệm vụ quá hạn.xlsx".to_string(),
            content_type: XLSX_TYPE.to_string(),
            bytes: workbook.clone(),
            inline_id: None,
        },
    ];

    let receipt = sender.send(&m).await.unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1, "{}", server.log());
    let mail = &mails[0];
    assert_eq!(mail.parse_error, None);
    assert!(!mail.tls);
    assert_eq!(mail.auth_user, None);
    assert_eq!(receipt.provider_id.as_deref(), Some(mail.queue_id.as_str()));

    assert_eq!(mail.subject, m.subject);
    assert_eq!(mail.text.as_deref(), Some(m.text.as_str()));
    assert_eq!(mail.html.as_deref(), Some(html));
    assert_eq!(mail.mail_from.as_deref(), Some("nhacviec@example.gov.vn"));
    assert_eq!(mail.rcpt_tos, vec!["hang.nt@sonoivu.example.gov.vn".to_string()]);
    assert_eq!(mail.from.as_deref(), Some(FROM));
    assert_eq!(mail.to.as_deref(), Some("Nguyễn Thị Hằng <hang.nt@sonoivu.example.gov.vn>"));
    assert_eq!(mail.message_id.as_deref(), Some("<9f86d081884c7d659a2feaa0c55ad015@example.gov.vn>"));
    assert_eq!(
        mail.content_types,
        [
            "multipart/mixed",
            "multipart/related",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "image/png",
            XLSX_TYPE
        ]
    );

    assert_eq!(mail.attachments.len(), 2);
    let png = &mail.attachments[0];
    assert_eq!(png.filename.as_deref(), Some("biểu đồ tiến độ.png"));
    assert_eq!(png.content_type, "image/png");
    assert!(png.inline);
    assert_eq!(png.content_id.as_deref(), Some("bieu-do-tien-do"));
    assert_eq!((png.size, png.sha256.as_str()), (PNG.len(), sha256_hex(PNG).as_str()));
    let sheet = &mail.attachments[1];
    assert_eq!(sheet.filename.as_deref(), Some("Danh sách nhiệm vụ quá hạn.xlsx"));
    assert_eq!(sheet.content_type, XLSX_TYPE);
    assert!(!sheet.inline);
    assert_eq!(sheet.content_id, None);
    assert_eq!((sheet.size, sheet.sha256.as_str()), (workbook.len(), sha256_hex(&workbook).as_str()));
}

#[tokio::test]
async fn text_only_message_is_a_single_utf8_part_in_nfc() {
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();
    let mut m = message("hang.nt@example.gov.vn", "k1");
    // Precomposed (NFC) letters with stacked diacritics: ệ ầ ữ ỡ ặ.
    m.subject = "Hệ thống nhắc việc: \u{1EC7}\u{1EA7}\u{1EEF}\u{1EE1}\u{1EB7} — đến hạn".to_string();
    m.text = "Trường hợp dài: ".to_string() + &"Nguyễn Văn Bình, Trần Thị Hương; ".repeat(20);

    sender.send(&m).await.unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].content_types, ["text/plain"]);
    // Byte-equal to the NFC source: nothing was decomposed or re-encoded on the way.
    assert_eq!(mails[0].subject.as_bytes(), m.subject.as_bytes());
    assert_eq!(mails[0].text.as_deref().map(str::as_bytes), Some(m.text.as_bytes()));
    assert_eq!(mails[0].html, None);
    assert!(mails[0].attachments.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_sends_through_the_pool_arrive_exactly_once() {
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();
    let messages: Vec<Message> =
        (0..50).map(|i| message(&format!("canbo{i:02}@example.gov.vn"), &format!("key{i:02}"))).collect();

    let started = Instant::now();
    let results = futures::future::join_all(messages.iter().map(|m| sender.send(m))).await;
    let elapsed = started.elapsed();
    let receipts: Vec<_> = results.into_iter().collect::<Result<_, _>>().unwrap();

    let mails = server.wait_for(50, WAIT).await;
    assert_eq!(mails.len(), 50);
    // Nothing more trickles in later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails = server.messages();
    assert_eq!(mails.len(), 50);

    let ids: BTreeSet<_> = mails.iter().filter_map(|m| m.message_id.clone()).collect();
    let expected: BTreeSet<_> = (0..50).map(|i| format!("<key{i:02}@example.gov.vn>")).collect();
    assert_eq!(ids, expected);
    let rcpts: BTreeSet<_> = mails.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    assert_eq!(rcpts.len(), 50);
    let queue_ids: BTreeSet<_> = mails.iter().map(|m| m.queue_id.clone()).collect();
    let receipt_ids: BTreeSet<_> = receipts.iter().filter_map(|r| r.provider_id.clone()).collect();
    assert_eq!(queue_ids, receipt_ids);

    // Connections are reused: far fewer than messages. At most pool_size transactions run at
    // once, but lettre returns a connection to its pool from a spawned task, so a send can
    // open a new connection meanwhile (5 to 8 seen for pool_size 4).
    let connections: BTreeSet<_> = mails.iter().filter_map(|m| m.peer_port).collect();
    assert!((1..=12).contains(&connections.len()), "{} connections", connections.len());
    eprintln!("50 messages in {elapsed:?} over {} connections", connections.len());
}

#[tokio::test]
async fn stopped_server_is_transient_and_sending_resumes_after_restart() {
    let mut server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&EmailConfig { timeout_secs: 3, ..config(&server) }).unwrap();
    sender.send(&message("a@example.gov.vn", "before")).await.unwrap();
    let port = server.port();

    server.stop();
    assert!(!server.is_running());
    let started = Instant::now();
    let error = sender.send(&message("b@example.gov.vn", "during")).await.unwrap_err();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3), "failing took {:?}", started.elapsed());

    server.restart().unwrap();
    assert_eq!(server.port(), port);
    sender.send(&message("b@example.gov.vn", "after")).await.unwrap();
    let mails = server.wait_for(2, WAIT).await;
    let ids: Vec<_> = mails.iter().filter_map(|m| m.message_id.as_deref()).collect();
    assert_eq!(ids, ["<before@example.gov.vn>", "<after@example.gov.vn>"]);
}

/// A server that accepts the connection and never sends its greeting (RFC 5321 §4.5.3.2
/// lets a client wait 5 minutes for it; our bound is `timeout_secs` + 10 s for the whole
/// transaction). The send must fail as transient within that bound, not hang the delivery
/// worker: lettre's asynchronous transport times out the connect only.
#[tokio::test]
async fn a_server_that_never_answers_times_out_as_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        while stopped.try_recv().is_err() {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        held.len()
    });
    let sender = EmailSender::new(&EmailConfig {
        host: "127.0.0.1".to_string(),
        port: Some(port),
        security: Security::None,
        from: FROM.to_string(),
        pool_size: 1,
        timeout_secs: 1,
        ..EmailConfig::default()
    })
    .unwrap();

    let started = Instant::now();
    let error = sender.send(&message("a@example.gov.vn", "silent")).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, SendError::Transient(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(took >= Duration::from_secs(11) && took < Duration::from_secs(16), "failing took {took:?}");
    match &error {
        SendError::Transient(reason) => assert!(reason.contains("không trả lời trong 11 giây"), "{reason}"),
        other => panic!("expected a transient error, got {other:?}"),
    }
    stop.send(()).unwrap();
    assert!(holder.join().unwrap() >= 1, "the client never connected");
}

#[tokio::test]
async fn unknown_recipient_is_permanent_and_a_4xx_reply_is_transient() {
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();

    let error = sender.send(&message("reject.tran@example.gov.vn", "r")).await.unwrap_err();
    match &error {
        SendError::Permanent(reason) => assert!(reason.contains("550") && reason.contains("user unknown"), "{reason}"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert!(!error.is_retryable());

    let error = sender.send(&message("deferred@example.gov.vn", "d")).await.unwrap_err();
    match &error {
        SendError::Transient(reason) => assert!(reason.contains("451"), "{reason}"),
        other => panic!("expected a transient error, got {other:?}"),
    }

    // The pool recovers from the aborted transactions.
    sender.send(&message("le.van.an@example.gov.vn", "ok")).await.unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_tos, ["le.van.an@example.gov.vn"]);
}

#[tokio::test]
async fn invalid_address_is_permanent_without_contacting_the_server() {
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();
    for address in ["không phải email", "", "a@b@c", "x@y.vn\r\nRCPT TO:<z@y.vn>"] {
        let error = sender.send(&message(address, "bad")).await.unwrap_err();
        assert!(matches!(error, SendError::Permanent(_)), "{address:?}: {error:?}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_with_self_signed_certificate_and_login() {
    let Some(server) = tls_server("email::starttls_with_self_signed_certificate_and_login", SmtpServer::start_starttls)
    else {
        return;
    };
    let tls = EmailConfig {
        security: Security::Starttls,
        accept_invalid_certs: true,
        username: Some(SmtpServer::USERNAME.to_string()),
        password: Some(SmtpServer::PASSWORD.to_string()),
        ..config(&server)
    };
    let sender = EmailSender::new(&tls).unwrap();
    sender.send(&message("hang.nt@example.gov.vn", "tls")).await.unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].tls);
    assert_eq!(mails[0].auth_user.as_deref(), Some(SmtpServer::USERNAME));
    assert_eq!(mails[0].subject, "Nhắc việc: Báo cáo tổng kết năm — hạn 31/12/2025");

    // The self-signed certificate is refused unless explicitly accepted: the channel's
    // configuration, not the recipient, is at fault.
    let strict = EmailSender::new(&EmailConfig { accept_invalid_certs: false, ..tls.clone() }).unwrap();
    let error = strict.send(&message("hang.nt@example.gov.vn", "strict")).await.unwrap_err();
    assert!(matches!(&error, SendError::Channel(r) if r.contains("certificate")), "{error:?}");

    // A wrong password is refused by the server (535 5.7.8, RFC 4954 §6): a fault of the
    // channel's configuration, for every recipient; nothing delivered.
    let wrong = EmailConfig { password: Some("sai-mật-khẩu".to_string()), ..tls };
    let error = EmailSender::new(&wrong).unwrap().send(&message("hang.nt@example.gov.vn", "wrong")).await.unwrap_err();
    assert!(matches!(&error, SendError::Channel(r) if r.contains("535")), "{error:?}");
    assert!(error.is_channel_fault());
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn implicit_tls_with_self_signed_certificate() {
    let Some(server) = tls_server("email::implicit_tls_with_self_signed_certificate", SmtpServer::start_implicit_tls)
    else {
        return;
    };
    let sender = EmailSender::new(&EmailConfig {
        security: Security::Tls,
        accept_invalid_certs: true,
        username: Some(SmtpServer::USERNAME.to_string()),
        password: Some(SmtpServer::PASSWORD.to_string()),
        ..config(&server)
    })
    .unwrap();
    sender.send(&message("hang.nt@example.gov.vn", "smtps")).await.unwrap();
    let mails = server.wait_for(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].tls);
    assert_eq!(mails[0].auth_user.as_deref(), Some(SmtpServer::USERNAME));
}

#[tokio::test]
async fn plain_connection_to_a_starttls_only_setting_is_a_channel_fault() {
    // A plain server (no STARTTLS offered) with `security = starttls`: never send in clear;
    // the setting, not the recipient, is wrong.
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&EmailConfig { security: Security::Starttls, ..config(&server) }).unwrap();
    let error = sender.send(&message("hang.nt@example.gov.vn", "clear")).await.unwrap_err();
    assert!(error.is_channel_fault(), "{error:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_refusing_the_sender_is_a_channel_fault_and_a_refused_mailbox_is_not() {
    // RFC 4954 §6: 530 5.7.0 "Authentication required" to a client that did not log in.
    let server = SmtpServer::start_auth_required().unwrap();
    let anonymous = EmailSender::new(&config(&server)).unwrap();
    let error = anonymous.send(&message("hang.nt@example.gov.vn", "anon")).await.unwrap_err();
    assert!(matches!(&error, SendError::Channel(r) if r.contains("530")), "{error:?}");
    // The same server with the account's credentials takes the mail.
    let login = EmailConfig {
        username: Some(SmtpServer::USERNAME.to_string()),
        password: Some(SmtpServer::PASSWORD.to_string()),
        ..config(&server)
    };
    EmailSender::new(&login).unwrap().send(&message("hang.nt@example.gov.vn", "login")).await.unwrap();
    assert_eq!(server.wait_for(1, WAIT).await.len(), 1);

    // RFC 3463 §3.8: X.7.1 "delivery not authorized" (relaying denied) refuses the sender:
    // a channel fault; X.1.1 "bad destination mailbox" refuses the recipient.
    let server = SmtpServer::start().unwrap();
    let sender = EmailSender::new(&config(&server)).unwrap();
    let error = sender.send(&message("norelay@elsewhere.example", "relay")).await.unwrap_err();
    assert!(matches!(&error, SendError::Channel(r) if r.contains("5.7.1")), "{error:?}");
    let error = sender.send(&message("reject.tran@example.gov.vn", "mailbox")).await.unwrap_err();
    assert!(matches!(&error, SendError::Permanent(r) if r.contains("5.1.1")), "{error:?}");
}

#[tokio::test]
async fn configuration_is_validated() {
    let base = EmailConfig { from: FROM.to_string(), ..EmailConfig::default() };
    assert!(EmailSender::new(&base).is_ok());
    assert!(matches!(
        EmailSender::new(&EmailConfig { from: "Tổ giúp việc".to_string(), ..base.clone() }),
        Err(EmailError::InvalidFrom { .. })
    ));
    assert!(matches!(
        EmailSender::new(&EmailConfig { pool_size: 0, ..base.clone() }),
        Err(EmailError::InvalidConfig(_))
    ));
    assert!(matches!(
        EmailSender::new(&EmailConfig { username: Some("u".to_string()), ..base.clone() }),
        Err(EmailError::InvalidConfig(_))
    ));
    let parsed: EmailConfig =
        serde_json::from_str(r#"{"host": "smtp.example.gov.vn", "security": "tls", "from": "a@example.gov.vn"}"#)
            .unwrap();
    assert_eq!(parsed.effective_port(), 465);
    assert!(serde_json::from_str::<EmailConfig>(r#"{"security": "ssl"}"#).is_err());
}

#[test]
fn sender_outside_a_runtime_is_an_error_not_a_panic() {
    let config = EmailConfig { from: FROM.to_string(), ..EmailConfig::default() };
    assert_eq!(EmailSender::new(&config).unwrap_err(), EmailError::NoRuntime);
}

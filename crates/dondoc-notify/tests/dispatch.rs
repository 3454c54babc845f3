//! The dispatcher over real channels on loopback: retries with backoff, the provider's
//! retry_after honoured, fallback to the next channel after `max_attempts`, a permanent
//! refusal falling back at once, every outcome recorded, and shutdown.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use dondoc_core::event::Channel;
use dondoc_notify::Sender;
use dondoc_notify::channel::email::{EmailConfig, EmailSender, Security};
use dondoc_notify::channel::telegram::{TelegramConfig, TelegramSender};
use dondoc_notify::dispatch::{DispatchConfig, Dispatcher, Job, Outcome, Recorder};
use dondoc_notify::message::Message;
use dondoc_testkit::smtp::SmtpServer;
use dondoc_testkit::telegram::TelegramServer;
use futures::future::BoxFuture;

#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Recorder for Log {
    fn record<'a>(&'a self, outcome: &'a Outcome) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let line = match outcome {
                Outcome::Delivered { message, .. } => format!("delivered {}", message.channel.as_str()),
                Outcome::Failed { message, attempts, fallback, .. } => {
                    format!("failed {} after {attempts} (fallback {fallback})", message.channel.as_str())
                }
            };
            self.0.lock().unwrap().push(line);
        })
    }
}

fn message(channel: Channel, address: &str, id: &str) -> Message {
    Message {
        kind: dondoc_notify::message::MessageKind::Reminder,
        channel,
        recipient: "c001".into(),
        name: "Nguyễn Văn An".into(),
        address: address.into(),
        subject: "[Nhắc việc] Sắp đến hạn".into(),
        text: "Nhiệm vụ 01123 đến hạn ngày 30/09/2025.".into(),
        html: None,
        attachments: Vec::new(),
        actions: Vec::new(),
        params: BTreeMap::new(),
        tasks: Vec::new(),
        keys: Vec::new(),
        idempotency_key: id.into(),
    }
}

fn config() -> DispatchConfig {
    DispatchConfig { backoff_initial_ms: 50, backoff_max_ms: 200, ..DispatchConfig::default() }
}

async fn senders(smtp: &SmtpServer, telegram: &TelegramServer) -> Vec<Arc<dyn Sender>> {
    let email = EmailConfig {
        host: smtp.host().into(),
        port: Some(smtp.port()),
        security: Security::None,
        from: "Tổ giúp việc <nhacviec@example.gov.vn>".into(),
        timeout_secs: 2,
        ..EmailConfig::default()
    };
    let tg = TelegramConfig { token: "t:1".into(), api_url: telegram.url(), ..TelegramConfig::default() };
    vec![Arc::new(EmailSender::new(&email).unwrap()), Arc::new(TelegramSender::new(&tg).unwrap())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_that_keeps_failing_falls_back_to_the_next() {
    let mut smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    let dispatcher = Dispatcher::new(senders(&smtp, &telegram).await, config(), Arc::new(Utc::now));
    smtp.stop();
    let job =
        Job { messages: vec![message(Channel::Email, "an@example.vn", "m1"), message(Channel::Telegram, "42", "m1")] };
    let log = Log::default();
    let started = Instant::now();
    let report = dispatcher.run(vec![job], &log).await;
    assert_eq!((report.delivered, report.fell_back, report.failed_attempts), (1, 1, 3), "{report:?}");
    assert_eq!(*log.0.lock().unwrap(), ["failed email after 3 (fallback true)", "delivered telegram"]);
    // Two backoffs between three attempts: at least 25 + 50 ms with full jitter.
    assert!(started.elapsed() >= Duration::from_millis(75));
    assert_eq!(telegram.delivered().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_falls_back_at_once_and_a_transient_one_is_retried() {
    let smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    telegram.forbid_chat(7);
    let dispatcher = Dispatcher::new(senders(&smtp, &telegram).await, config(), Arc::new(Utc::now));
    let log = Log::default();
    let blocked =
        Job { messages: vec![message(Channel::Telegram, "7", "m2"), message(Channel::Email, "an@example.vn", "m2")] };
    let report = dispatcher.run(vec![blocked], &log).await;
    assert_eq!((report.delivered, report.failed_attempts), (1, 1), "{report:?}");
    assert_eq!(*log.0.lock().unwrap(), ["failed telegram after 1 (fallback true)", "delivered email"]);
    assert_eq!(smtp.messages().len(), 1);

    // An unknown-for-now recipient (SMTP 451) is retried, then given up without fallback.
    let log = Log::default();
    let deferred = Job { messages: vec![message(Channel::Email, "defer@example.vn", "m3")] };
    let report = dispatcher.run(vec![deferred], &log).await;
    assert_eq!((report.delivered, report.undelivered, report.failed_attempts), (0, 1, 3), "{report:?}");
    assert_eq!(*log.0.lock().unwrap(), ["failed email after 3 (fallback false)"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_fault_marks_the_channel_unhealthy_and_the_next_channels_take_the_messages() {
    let smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    // The bot token is wrong: Telegram answers 401 Unauthorized to every call.
    let wrong = TelegramConfig { token: "t:2".into(), api_url: telegram.url(), ..TelegramConfig::default() };
    let email = senders(&smtp, &telegram).await.remove(0);
    let senders: Vec<Arc<dyn Sender>> = vec![email, Arc::new(TelegramSender::new(&wrong).unwrap())];
    let dispatcher = Dispatcher::new(senders, config(), Arc::new(Utc::now));
    let jobs = |round: &str| -> Vec<Job> {
        (0..5)
            .map(|i| Job {
                messages: vec![
                    message(Channel::Telegram, &format!("{}", 100 + i), &format!("{round}-{i}")),
                    message(Channel::Email, &format!("cb{i}@example.vn"), &format!("{round}-{i}")),
                ],
            })
            .collect()
    };
    // The first dispatch finds out: the messages in flight meet the fault and fall back.
    let report = dispatcher.run(jobs("a"), &Log::default()).await;
    assert_eq!((report.delivered, report.fell_back, report.channel_faults), (5, 5, 5), "{report:?}");
    assert!((1..=5).contains(&telegram.unauthorized_calls()));
    let health = dispatcher.health();
    let tg = health.iter().find(|h| h.channel == Channel::Telegram).unwrap();
    let fault = tg.fault.as_ref().expect("Telegram is marked unhealthy");
    assert!(fault.reason.contains("Unauthorized"), "{fault:?}");
    assert!(health.iter().find(|h| h.channel == Channel::Email).unwrap().fault.is_none());
    // The next dispatch probes the faulty channel with one message (it may have been fixed
    // meanwhile); the others go straight to their next channel.
    let before = telegram.unauthorized_calls();
    let log = Log::default();
    let report = dispatcher.run(jobs("b"), &log).await;
    assert_eq!((report.delivered, report.channel_faults), (5, 5), "{report:?}");
    assert_eq!(telegram.unauthorized_calls(), before + 1, "one probe");
    let lines = log.0.lock().unwrap().clone();
    assert_eq!(lines.iter().filter(|l| l.starts_with("failed telegram")).count(), 1, "{lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "delivered email").count(), 5, "{lines:?}");
    assert_eq!(smtp.wait_for(10, Duration::from_secs(10)).await.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_limits_are_kept() {
    let smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    telegram.enforce_limits(true);
    telegram.fail_next(1, 429, 1);
    let dispatcher = Dispatcher::new(senders(&smtp, &telegram).await, config(), Arc::new(Utc::now));
    let log = Log::default();
    // Three messages to one chat and 40 to others: 1/s per chat, 30/s overall.
    let mut jobs: Vec<Job> =
        (0..3).map(|i| Job { messages: vec![message(Channel::Telegram, "100", &format!("a{i}"))] }).collect();
    jobs.extend(
        (0..40).map(|i| Job { messages: vec![message(Channel::Telegram, &format!("{}", 200 + i), &format!("b{i}"))] }),
    );
    let started = Instant::now();
    let report = dispatcher.run(jobs, &log).await;
    let sent = telegram.sent();
    let limited: Vec<String> = sent
        .iter()
        .enumerate()
        .filter(|(_, m)| m.status == 429)
        .map(|(i, m)| {
            let prev = sent[..i].iter().rev().find(|p| p.chat_id == m.chat_id);
            let in_second =
                sent[..i].iter().filter(|p| p.status == 200 && m.at - p.at < Duration::from_secs(1)).count();
            format!(
                "#{i} chat {} {:?} after previous ({:?}), {in_second} in the second before",
                m.chat_id,
                prev.map(|p| m.at - p.at),
                prev.map(|p| p.status)
            )
        })
        .collect();
    assert_eq!((report.delivered, report.rate_limited), (43, 1), "{report:?} {limited:?}");
    assert!(started.elapsed() >= Duration::from_secs(2), "three messages to one chat take two seconds at least");
    let refused = telegram.sent().iter().filter(|m| m.status == 429).count();
    assert_eq!(refused, 1, "only the injected 429: the limits were kept");
    assert!(telegram.max_per_chat_in_any_second() <= 1);
    assert!(telegram.max_in_any_second() <= 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_dispatcher_sends_nothing_more_and_records_nothing() {
    let smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    let dispatcher = Dispatcher::new(senders(&smtp, &telegram).await, config(), Arc::new(Utc::now));
    dispatcher.shutdown();
    let log = Log::default();
    let report = dispatcher.run(vec![Job { messages: vec![message(Channel::Telegram, "5", "m4")] }], &log).await;
    assert_eq!((report.delivered, report.skipped), (0, 1));
    assert!(log.0.lock().unwrap().is_empty());
    assert!(telegram.sent().is_empty());
}

/// A real sender whose attempts are bounded more tightly than its own timeouts.
struct Bounded(Arc<dyn Sender>, Duration);

impl Sender for Bounded {
    fn channel(&self) -> Channel {
        self.0.channel()
    }
    fn send<'a>(
        &'a self,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<dondoc_notify::channel::Receipt, dondoc_notify::SendError>> {
        self.0.send(message)
    }
    fn attempt_timeout(&self) -> Duration {
        self.1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_longer_than_the_channel_s_bound_is_given_up_as_transient() {
    // The server answers a "slow…" recipient 3 s late; the channel allows 1 s an attempt.
    let smtp = SmtpServer::start().unwrap();
    let telegram = TelegramServer::start("t:1").await;
    let mut channels = senders(&smtp, &telegram).await;
    channels[0] = Arc::new(Bounded(channels[0].clone(), Duration::from_secs(1)));
    let dispatcher = Dispatcher::new(channels, DispatchConfig { max_attempts: 2, ..config() }, Arc::new(Utc::now));
    assert_eq!(dispatcher.longest_attempt(), Duration::from_secs(17), "Telegram's 17 s is the longest");
    let log = Log::default();
    let started = Instant::now();
    let job = Job { messages: vec![message(Channel::Email, "slow.an@example.vn", "m1")] };
    let report = dispatcher.run(vec![job], &log).await;
    assert_eq!((report.undelivered, report.failed_attempts), (1, 2), "{report:?}");
    assert_eq!(*log.0.lock().unwrap(), ["failed email after 2 (fallback false)"]);
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(4), "two attempts of 1 s: {took:?}");
}

//! Dispatcher figures (issue targets), each beside the raw engine measured in the same run.
//!
//! Run: `cargo bench -p dondoc-app --bench dispatch`. Environment: `DONDOC_BENCH_NOTICES`
//! (default 10 000), `DONDOC_BENCH_REPEAT` (default 3), `DONDOC_BENCH_CONCURRENCY` (HTTP
//! lane, default 64), `DONDOC_BENCH_ONLY` (`http` or `channels`). Run without `--bench` (as
//! `cargo test --all-targets` does) it is a quick smoke run with a few dozen notices.
//!
//! **(b) HTTP, no rate limits.** A loopback sink (`dondoc_testkit::webhook`, in this process)
//! counts POSTs and repeated idempotency keys. Each scenario runs in a fresh child process
//! (this binary re-executed), so its peak RSS (VmHWM) is its own: one message per job,
//! distinct idempotency keys, POSTed as JSON with reqwest.
//! - `raw`: a bare `buffer_unordered` loop of the same POSTs with the same client and the same
//!   concurrency (the floor);
//! - `dispatch`: the [`Dispatcher`] (`DispatchConfig::unlimited()`) with a recorder that only
//!   counts;
//! - `dispatch+append`: the recorder appends one ReminderDelivered event per outcome with
//!   `SqliteStore::append` (to the task's stream, `ExpectedRevision::Any`);
//! - `dispatch+service`: the daemon's recording path: the application's own
//!   `DeliveryRecorder` (each outcome appended as facts to the tasks' existing streams,
//!   `ExpectedRevision::StreamExists`; the appends in flight commit together).
//!
//! **(a) Real channels, Telegram limits on.** aiosmtpd (a real SMTP server process) and the
//! Telegram Bot API test server with its flood limits enforced (429 beyond 30/s overall or
//! 1/s per chat). Half the notices go by email, one per message; the other half go by
//! Telegram as digests of 5 notices per message (5 000 single messages would need ≥ 167 s
//! at 30/s). The email floor is bare lettre sends of the same MIME messages (same pool
//! size, same concurrency); the Telegram floor is max((messages − 1) / 30, messages per chat − 1) s.
//! Cases: email only (vs bare lettre); both channels with jobs interleaved as a sweep queues
//! them; Telegram only (the 30/s limit under pressure); and a per-chat
//! case: several messages to each of a few chats, queued chat by chat.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use dondoc_app::command::CommandContext;
use dondoc_app::reminders::record::DeliveryRecorder;
use dondoc_core::event::{Channel, EventMeta, Milestone, ReminderKey, Source, TaskEvent, TaskKey};
use dondoc_core::timeexpr;
use dondoc_notify::channel::email::{EmailConfig, EmailSender, Security};
use dondoc_notify::channel::telegram::{TelegramConfig, TelegramSender};
use dondoc_notify::dispatch::{DispatchConfig, Dispatcher, Job, Outcome, Recorder, Report};
use dondoc_notify::message::{idempotency_key, reminder_actions};
use dondoc_notify::{Message, Receipt, SendError, Sender};
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision, StreamAppend};
use dondoc_testkit::smtp::SmtpServer;
use dondoc_testkit::telegram::TelegramServer;
use dondoc_testkit::webhook::{IDEMPOTENCY_HEADER, WebhookSink};
use futures::StreamExt as _;
use futures::future::BoxFuture;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use serde_json::{Value, json};
use uuid::Uuid;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set in a child process: the scenario to run.
const CHILD_ENV: &str = "DONDOC_BENCH_DISPATCH_CHILD";
const PLAN: &str = "BENCH";
const HTTP_MODES: [&str; 4] = ["raw", "dispatch", "dispatch+append", "dispatch+service"];
/// Notices per Telegram message in (a), as digests carry them.
const PER_DIGEST: usize = 5;
const FROM_DOMAIN: &str = "bench.dondoc.vn";

fn main() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        child(&mode);
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let notices = env_usize("DONDOC_BENCH_NOTICES", if full { 10_000 } else { 60 });
    let repeat = env_usize("DONDOC_BENCH_REPEAT", if full { 3 } else { 1 }).max(1);
    let concurrency = env_usize("DONDOC_BENCH_CONCURRENCY", 64).max(1);
    let only = std::env::var("DONDOC_BENCH_ONLY").unwrap_or_default();
    let base = std::env::var("DONDOC_BENCH_DIR").unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_owned());
    let dir = tempfile::tempdir_in(base).expect("bench directory");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if only.is_empty() || only == "http" {
            http_section(notices, concurrency, repeat, dir.path()).await;
        }
        if only.is_empty() || only == "channels" {
            channels_section(notices, repeat).await;
        }
    });
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
}

/// VmHWM (peak resident set) of this process in MB.
fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM:")
}

fn proc_status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn range(values: &[f64], digits: usize) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() < 2 || (max - min).abs() < 10f64.powi(-(digits as i32)) / 2.0 {
        format!("{min:.digits$}")
    } else {
        format!("{min:.digits$}–{max:.digits$}")
    }
}

// ---------------------------------------------------------------------------------------
// Messages

fn code(task: usize) -> String {
    format!("{task:05}")
}

/// A reminder message about `tasks` (one notice each) to one person on one channel.
fn message(channel: Channel, person: usize, address: String, tasks: std::ops::Range<usize>) -> Message {
    let recipient = format!("cb-{person:05}");
    let keys: Vec<ReminderKey> = tasks
        .clone()
        .map(|t| ReminderKey {
            plan: PLAN.into(),
            code: code(t),
            occurrence: None,
            milestone: Milestone::Due,
            offset: 3,
            recipient: recipient.clone(),
            channel,
        })
        .collect();
    let key = idempotency_key(&keys, "");
    let name = format!("Cán bộ số {person}");
    let lines: Vec<String> = tasks
        .clone()
        .map(|t| format!("• {PLAN}-{}: Xây dựng báo cáo thống kê quý, hạn 25/12/2025 (còn 3 ngày làm việc)", code(t)))
        .collect();
    let text = format!(
        "Kính gửi {name},\n\nCó {} nhiệm vụ sắp đến hạn:\n{}\n\nĐề nghị đồng chí khẩn trương thực hiện.\nMã tin: {key}",
        keys.len(),
        lines.join("\n")
    );
    Message {
        kind: dondoc_notify::message::MessageKind::Reminder,
        channel,
        recipient,
        name,
        address,
        subject: format!("[Đôn đốc] {} nhiệm vụ sắp đến hạn", keys.len()),
        text,
        html: None,
        attachments: Vec::new(),
        actions: if channel == Channel::Telegram { reminder_actions(&key) } else { Vec::new() },
        params: Default::default(),
        tasks: tasks.map(|t| TaskKey::new(PLAN, code(t))).collect(),
        keys,
        idempotency_key: key,
    }
}

fn clock() -> dondoc_notify::Clock {
    Arc::new(Utc::now)
}

// ---------------------------------------------------------------------------------------
// Recorders

/// Counts outcomes and remembers when each channel delivered its last message.
#[derive(Default)]
struct Tally {
    delivered: AtomicUsize,
    failed: AtomicUsize,
    errors: AtomicUsize,
    last: Mutex<HashMap<Channel, Instant>>,
}

enum Recording {
    /// Count only.
    Nothing,
    /// One `SqliteStore::append` per outcome.
    Append(SqliteStore),
    /// The daemon's own recorder.
    Service(dondoc_store::any::Store),
}

struct BenchRecorder {
    recording: Recording,
    tally: Tally,
    unrecorded: dondoc_app::reminders::record::Unrecorded,
}

impl BenchRecorder {
    fn new(recording: Recording) -> Self {
        BenchRecorder { recording, tally: Tally::default(), unrecorded: Default::default() }
    }

    async fn write(&self, message: &Message, at: chrono::DateTime<Utc>) -> bool {
        let ctx = CommandContext::new("dondoc:dispatcher", Source::Scheduler, at);
        match &self.recording {
            Recording::Nothing => true,
            Recording::Append(store) => {
                for key in &message.keys {
                    let event = TaskEvent::ReminderDelivered {
                        key: key.clone(),
                        sent_at: at,
                        message_id: Some(message.idempotency_key.clone()),
                    };
                    let (event_type, _, data) = event.encode();
                    let data =
                        EventData { id: Uuid::new_v4(), event_type: event_type.into(), data, metadata: ctx.metadata() };
                    let stream = TaskKey::new(key.plan.clone(), key.code.clone()).stream();
                    if store.append(&stream, ExpectedRevision::Any, vec![data]).await.is_err() {
                        return false;
                    }
                }
                true
            }
            Recording::Service(_) => true,
        }
    }
}

impl Recorder for BenchRecorder {
    fn record<'a>(&'a self, outcome: &'a Outcome) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match outcome {
                Outcome::Delivered { message, at, .. } => {
                    self.tally.delivered.fetch_add(1, Ordering::SeqCst);
                    self.tally.last.lock().unwrap().insert(message.channel, Instant::now());
                    if let Recording::Service(store) = &self.recording {
                        DeliveryRecorder::new(store, &self.unrecorded).record(outcome).await;
                    } else if !self.write(message, *at).await {
                        self.tally.errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Outcome::Failed { .. } => {
                    self.tally.failed.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// (b) HTTP: the sender, the child processes

/// POSTs the message JSON to a URL (the bench's own channel, not part of the library).
struct HttpSender {
    client: reqwest::Client,
    url: String,
}

async fn post(client: &reqwest::Client, url: &str, message: &Message) -> Result<Receipt, SendError> {
    let response = client
        .post(url)
        .header(IDEMPOTENCY_HEADER, message.idempotency_key.as_str())
        .json(message)
        .send()
        .await
        .map_err(|e| SendError::Transient(e.to_string()))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| SendError::Transient(e.to_string()))?;
    if !status.is_success() {
        let why = format!("HTTP {status}");
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            SendError::Transient(why)
        } else {
            SendError::Permanent(why)
        });
    }
    let id = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("id").map(|id| id.to_string()));
    Ok(Receipt { provider_id: id, via: None })
}

impl Sender for HttpSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(post(&self.client, &self.url, message))
    }
}

fn http_client(concurrency: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

/// One HTTP message per job, each to its own person and task.
fn http_messages(n: usize) -> Vec<Message> {
    (0..n).map(|i| message(Channel::Telegram, i, format!("{}", 1_000_000 + i), i..i + 1)).collect()
}

/// A child process: runs one (b) scenario and prints `RESULT {json}`.
fn child(mode: &str) {
    let n = env_usize("DONDOC_BENCH_N", 0);
    let concurrency = env_usize("DONDOC_BENCH_C", 64);
    let url = std::env::var("DONDOC_BENCH_URL").expect("DONDOC_BENCH_URL");
    let db = std::env::var("DONDOC_BENCH_DB").expect("DONDOC_BENCH_DB");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let result = runtime.block_on(async {
        let messages = http_messages(n);
        let client = http_client(concurrency);
        let recording = match mode {
            "dispatch+append" => Recording::Append(SqliteStore::open(&db).expect("open store")),
            "dispatch+service" => Recording::Service(SqliteStore::open(&db).expect("open store").into()),
            _ => Recording::Nothing,
        };
        let hwm_before = peak_rss_mb();
        if mode == "raw" {
            let start = Instant::now();
            let (ok, errors) = futures::stream::iter(&messages)
                .map(|m| post(&client, &url, m))
                .buffer_unordered(concurrency)
                .fold(
                    (0usize, 0usize),
                    |(ok, err), r| async move { if r.is_ok() { (ok + 1, err) } else { (ok, err + 1) } },
                )
                .await;
            let secs = start.elapsed().as_secs_f64();
            json!({"secs": secs, "delivered": ok, "failed": errors, "record_errors": 0, "hwm_before": hwm_before})
        } else {
            let sender: Arc<dyn Sender> = Arc::new(HttpSender { client, url: url.clone() });
            let config = DispatchConfig { telegram_concurrency: concurrency, ..DispatchConfig::default() }.unlimited();
            let dispatcher = Dispatcher::new(vec![sender], config, clock());
            let recorder = BenchRecorder::new(recording);
            let jobs: Vec<Job> = messages.into_iter().map(|m| Job { messages: vec![m] }).collect();
            let start = Instant::now();
            let report = dispatcher.run(jobs, &recorder).await;
            let secs = start.elapsed().as_secs_f64();
            let sqlite = match &recorder.recording {
                Recording::Append(store) => Some(store),
                Recording::Service(store) => store.sqlite(),
                _ => None,
            };
            if let Some(store) = sqlite {
                let stats = store.stats();
                eprintln!("  [{mode}] store commits {}, mean batch {:.2}", stats.commits, stats.mean_batch());
            }
            json!({
                "secs": secs,
                "delivered": report.delivered,
                "failed": report.undelivered + report.failed_attempts,
                "record_errors": recorder.tally.errors.load(Ordering::SeqCst),
                "hwm_before": hwm_before,
            })
        }
    });
    let mut result = result;
    result["hwm"] = json!(peak_rss_mb());
    println!("RESULT {result}");
}

struct ChildResult {
    secs: f64,
    hwm: f64,
    hwm_before: f64,
}

async fn run_child(mode: &str, n: usize, concurrency: usize, url: &str, db: &Path) -> ChildResult {
    let exe = std::env::current_exe().expect("current exe");
    let output = tokio::process::Command::new(exe)
        .env(CHILD_ENV, mode)
        .env("DONDOC_BENCH_N", n.to_string())
        .env("DONDOC_BENCH_C", concurrency.to_string())
        .env("DONDOC_BENCH_URL", url)
        .env("DONDOC_BENCH_DB", db)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child {mode} failed: {}\n{stdout}", output.status);
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).expect("a RESULT line");
    let v: Value = serde_json::from_str(line).unwrap();
    let delivered = v["delivered"].as_u64().unwrap() as usize;
    assert_eq!(delivered, n, "{mode}: every message delivered ({v})");
    assert_eq!(v["failed"].as_u64(), Some(0), "{mode}: no failure ({v})");
    assert_eq!(v["record_errors"].as_u64(), Some(0), "{mode}: every outcome recorded ({v})");
    ChildResult {
        secs: v["secs"].as_f64().unwrap(),
        hwm: v["hwm"].as_f64().unwrap(),
        hwm_before: v["hwm_before"].as_f64().unwrap(),
    }
}

fn meta(at: chrono::DateTime<Utc>) -> Value {
    serde_json::to_value(EventMeta::new("bench", Source::Import, at, Uuid::new_v4())).unwrap()
}

/// A store with tasks `0..n` defined (one TaskDefined each), written in groups.
async fn define_tasks(path: &Path, n: usize) {
    let store = SqliteStore::open(path).expect("open store");
    let finish = timeexpr::parse("Quý IV/2026").unwrap();
    let at = Utc::now();
    let tasks: Vec<usize> = (0..n).collect();
    for chunk in tasks.chunks(1_000) {
        let appends = chunk
            .iter()
            .map(|&t| {
                let defined = TaskEvent::TaskDefined {
                    plan: PLAN.into(),
                    code: code(t),
                    title: format!("Nhiệm vụ số {t}: xây dựng báo cáo thống kê"),
                    lead: format!("Sở {}", t % 40),
                    cooperating: vec!["Thống kê tỉnh".into()],
                    start: None,
                    finish: Some(finish.clone()),
                    product: Some("Báo cáo".into()),
                    tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                    tt: None,
                    group: None,
                };
                let (event_type, _, data) = defined.encode();
                StreamAppend {
                    stream: TaskKey::new(PLAN, code(t)).stream(),
                    expected: ExpectedRevision::NoStream,
                    events: vec![EventData {
                        id: Uuid::new_v4(),
                        event_type: event_type.into(),
                        data,
                        metadata: meta(at),
                    }],
                }
            })
            .collect();
        store.append_group(appends).await.expect("define tasks");
    }
}

/// ReminderDelivered events in a store, and the distinct reminder keys they name.
async fn count_delivered(path: &Path) -> (usize, usize) {
    let store = SqliteStore::open(path).expect("open store");
    let (mut events, mut keys, mut after) = (0, HashSet::new(), None);
    loop {
        let page = store.read_all(after, 5_000).await.expect("read all");
        let Some(last) = page.last() else { break };
        after = Some(last.position);
        for e in page.iter().filter(|e| e.event_type == "ReminderDelivered") {
            events += 1;
            keys.insert(e.data["key"].to_string());
        }
    }
    (events, keys.len())
}

async fn http_section(n: usize, concurrency: usize, repeat: usize, dir: &Path) {
    println!("== (b) {n} notices, one message per job, POST to a loopback sink, no rate limits");
    println!(
        "   reqwest, concurrency {concurrency} (dispatcher: DispatchConfig::unlimited(), one lane of {concurrency}); \
         each scenario in a fresh child process"
    );
    let sink = WebhookSink::start().await;
    let mut results: HashMap<&str, Vec<(f64, f64, f64, f64)>> = HashMap::new();
    for rep in 1..=repeat {
        let mut raw_secs = f64::NAN;
        let mut plain_secs = f64::NAN;
        for mode in HTTP_MODES {
            let db: PathBuf = dir.join(format!("http-{}-{rep}.sqlite", mode.replace('+', "-")));
            if mode == "dispatch+service" {
                define_tasks(&db, n).await;
            }
            sink.reset();
            let r = run_child(mode, n, concurrency, &sink.url(), &db).await;
            let counts = sink.counts();
            assert_eq!(counts.posts, n, "{mode}: POSTs received");
            assert_eq!((counts.duplicates, counts.without_key, counts.unique_keys), (0, 0, n), "{mode}: duplicates");
            let mut check = String::new();
            if mode.contains("append") || mode.contains("service") {
                let (events, keys) = count_delivered(&db).await;
                assert_eq!((events, keys), (n, n), "{mode}: one ReminderDelivered per notice");
                check = format!(", {events} ReminderDelivered in the store");
            }
            if mode == "raw" {
                raw_secs = r.secs;
            }
            if mode == "dispatch" {
                plain_secs = r.secs;
            }
            let vs_raw = r.secs / raw_secs;
            let vs_dispatch = r.secs / plain_secs;
            println!(
                "   run {rep} {mode:<17} {:>6.2} s {:>7.0} msg/s  peak RSS {:>5.1} MB (before run {:>5.1})  \
                 x{vs_raw:.2} raw{}  sink: {} POSTs, {} duplicates{check}",
                r.secs,
                n as f64 / r.secs,
                r.hwm,
                r.hwm_before,
                if mode.starts_with("dispatch+") { format!(", x{vs_dispatch:.2} dispatch") } else { String::new() },
                counts.posts,
                counts.duplicates,
            );
            results.entry(mode).or_default().push((r.secs, r.hwm, vs_raw, vs_dispatch));
        }
    }
    println!("   summary over {repeat} run(s) (ranges):");
    for mode in HTTP_MODES {
        let rows = &results[mode];
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| rows.iter().map(f).collect::<Vec<_>>();
        println!(
            "   {mode:<17} {} s, peak RSS {} MB, vs raw x{}{}",
            range(&col(|r| r.0), 2),
            range(&col(|r| r.1), 1),
            range(&col(|r| r.2), 2),
            if mode.starts_with("dispatch+") {
                format!(", vs dispatch alone x{}", range(&col(|r| r.3), 2))
            } else {
                String::new()
            },
        );
    }
    println!("   targets: < 5 s and < 100 MB peak RSS for the dispatcher; zero duplicates");
}

// ---------------------------------------------------------------------------------------
// (a) Real channels

fn email_sender(smtp: &SmtpServer) -> EmailSender {
    EmailSender::new(&EmailConfig {
        host: smtp.host().to_string(),
        port: Some(smtp.port()),
        security: Security::None,
        from: format!("Tổ giúp việc <nhacviec@{FROM_DOMAIN}>"),
        ..EmailConfig::default()
    })
    .expect("email sender")
}

fn telegram_sender(server: &TelegramServer) -> TelegramSender {
    TelegramSender::new(&TelegramConfig {
        token: server.token().to_string(),
        api_url: server.url(),
        ..Default::default()
    })
    .expect("telegram sender")
}

fn email_messages(count: usize) -> Vec<Message> {
    (0..count).map(|i| message(Channel::Email, i, format!("canbo{i}@so{}.{FROM_DOMAIN}", i % 40), i..i + 1)).collect()
}

/// Telegram digests of [`PER_DIGEST`] notices over `chats` chats, in round-robin order of
/// chats (`chat_major`: all of a chat's messages one after the other).
fn telegram_messages(count: usize, chats: usize, first_task: usize, chat_major: bool) -> Vec<Message> {
    let per_chat = count.div_ceil(chats);
    (0..count)
        .map(|i| {
            let chat = if chat_major { i / per_chat } else { i % chats };
            let task = first_task + i * PER_DIGEST;
            message(Channel::Telegram, 50_000 + chat, format!("{}", 7_000_000 + chat), task..task + PER_DIGEST)
        })
        .collect()
}

/// The most of `times` within any half-open second.
fn max_in_window(times: &mut [tokio::time::Instant]) -> usize {
    times.sort();
    let (mut best, mut start) = (0, 0);
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

/// Bare lettre: the same MIME messages through a pooled transport of the same size, with
/// the same concurrency, in a `buffer_unordered` loop.
async fn raw_lettre(smtp: &SmtpServer, messages: &[Message]) -> f64 {
    let builder = email_sender(smtp);
    let pool = EmailConfig::default().pool_size;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host())
        .port(smtp.port())
        .tls(Tls::None)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().min_idle(0).max_size(pool))
        .build();
    let start = Instant::now();
    let ok = futures::stream::iter(messages)
        .map(|m| {
            let email = builder.build_email(m).expect("email");
            let transport = &transport;
            async move { transport.send(email).await.is_ok() }
        })
        .buffer_unordered(pool as usize)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(ok, messages.len(), "bare lettre delivered everything");
    transport.shutdown().await;
    secs
}

/// Checks the SMTP server got each message exactly once; returns the count.
fn check_mail(smtp: &SmtpServer, messages: &[Message], mails: &[dondoc_testkit::smtp::ReceivedMail]) -> usize {
    let ids: HashSet<&str> = mails.iter().filter_map(|m| m.message_id.as_deref()).collect();
    let expected: HashSet<String> = messages.iter().map(|m| format!("<{}@{FROM_DOMAIN}>", m.idempotency_key)).collect();
    assert_eq!(mails.len(), messages.len(), "emails received (server log: {})", smtp.log());
    assert_eq!(ids.len(), mails.len(), "Message-IDs unique: no duplicate email");
    assert!(ids.iter().all(|id| expected.contains(*id)), "every Message-ID is one of ours");
    mails.len()
}

struct TelegramCheck {
    requests: usize,
    delivered: usize,
    notices: usize,
    refused: usize,
    max_overall: usize,
    max_per_chat: usize,
    max_overall_delivered: usize,
    max_per_chat_delivered: usize,
}

/// Checks the Telegram server delivered each message exactly once.
fn check_telegram(server: &TelegramServer, messages: &[Message]) -> TelegramCheck {
    let sent = server.sent();
    let delivered: Vec<_> = sent.iter().filter(|m| m.delivered()).collect();
    let texts: HashSet<&str> = delivered.iter().map(|m| m.text.as_str()).collect();
    let ids: HashSet<(i64, Option<i32>)> = delivered.iter().map(|m| (m.chat_id, m.message_id)).collect();
    assert_eq!(delivered.len(), messages.len(), "Telegram messages delivered");
    assert_eq!(texts.len(), delivered.len(), "texts unique: no duplicate Telegram message");
    assert_eq!(ids.len(), delivered.len(), "(chat, message_id) unique");
    let expected: HashSet<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, expected, "exactly our messages");
    let notices: HashSet<&ReminderKey> = messages.iter().flat_map(|m| &m.keys).collect();
    let mut all: Vec<tokio::time::Instant> = delivered.iter().map(|m| m.at).collect();
    let mut by_chat: HashMap<i64, Vec<tokio::time::Instant>> = HashMap::new();
    for m in &delivered {
        by_chat.entry(m.chat_id).or_default().push(m.at);
    }
    TelegramCheck {
        requests: sent.len(),
        delivered: delivered.len(),
        notices: notices.len(),
        refused: sent.len() - delivered.len(),
        max_overall: server.max_in_any_second(),
        max_per_chat: server.max_per_chat_in_any_second(),
        max_overall_delivered: max_in_window(&mut all),
        max_per_chat_delivered: by_chat.values_mut().map(|t| max_in_window(t)).max().unwrap_or(0),
    }
}

fn report_line(report: &Report) -> String {
    format!(
        "delivered {}, undelivered {}, fell back {}, failed attempts {}, 429 waits {}",
        report.delivered, report.undelivered, report.fell_back, report.failed_attempts, report.rate_limited
    )
}

fn telegram_line(t: &TelegramCheck) -> String {
    format!(
        "{} requests, {} delivered ({} notices), {} refused with 429; max in any 1 s: {} overall / {} per chat \
         (delivered only: {} / {})",
        t.requests,
        t.delivered,
        t.notices,
        t.refused,
        t.max_overall,
        t.max_per_chat,
        t.max_overall_delivered,
        t.max_per_chat_delivered
    )
}

async fn channels_section(notices: usize, repeat: usize) {
    let emails = notices / 2;
    let tg_count = (notices - emails) / PER_DIGEST;
    let chats = (tg_count / 10).max(1);
    let stress_chats = if tg_count >= 1_000 { 30 } else { 3 };
    let stress_per_chat = if tg_count >= 1_000 { 5 } else { 2 };
    println!(
        "== (a) {} notices: {emails} emails (1 notice each) to aiosmtpd + {tg_count} Telegram digests of \
         {PER_DIGEST} notices over {chats} chats; Telegram server enforcing 30/s overall and 1/s per chat",
        emails + tg_count * PER_DIGEST
    );
    println!("   DispatchConfig::default(): email pool/concurrency 4, Telegram concurrency 30, 30/s, 1/s per chat");
    let mail = email_messages(emails);
    let tg = telegram_messages(tg_count, chats, emails, false);
    let mut rows: Vec<[f64; 9]> = Vec::new();
    for rep in 1..=repeat {
        // Floor: bare lettre.
        let smtp = SmtpServer::start().expect("aiosmtpd (python3 -m pip install aiosmtpd)");
        let raw = raw_lettre(&smtp, &mail).await;
        let got = smtp.wait_for(emails, Duration::from_secs(60)).await;
        assert_eq!(got.len(), emails, "bare lettre: every email arrived");
        drop(smtp);

        // The dispatcher, email only.
        let smtp = SmtpServer::start().expect("aiosmtpd");
        let sender = email_sender(&smtp);
        let dispatcher = Dispatcher::new(vec![Arc::new(sender.clone())], DispatchConfig::default(), clock());
        let recorder = BenchRecorder::new(Recording::Nothing);
        let jobs: Vec<Job> = mail.iter().map(|m| Job { messages: vec![m.clone()] }).collect();
        let start = Instant::now();
        let report = dispatcher.run(jobs, &recorder).await;
        let alone = start.elapsed().as_secs_f64();
        sender.shutdown().await;
        let got = smtp.wait_for(emails, Duration::from_secs(60)).await;
        check_mail(&smtp, &mail, &got);
        assert_eq!(report.delivered, emails);
        drop(smtp);
        println!(
            "   run {rep} email only: bare lettre {raw:.2} s ({:.0}/s), dispatcher {alone:.2} s ({:.0}/s): x{:.2}",
            emails as f64 / raw,
            emails as f64 / alone,
            alone / raw
        );

        // Both channels, interleaved as a sweep queues them (5 emails, 1 Telegram digest, ...).
        let smtp = SmtpServer::start().expect("aiosmtpd");
        let server = TelegramServer::start("4242:bench").await;
        server.enforce_limits(true);
        let email = email_sender(&smtp);
        let senders: Vec<Arc<dyn Sender>> = vec![Arc::new(email.clone()), Arc::new(telegram_sender(&server))];
        let dispatcher = Dispatcher::new(senders, DispatchConfig::default(), clock());
        let recorder = BenchRecorder::new(Recording::Nothing);
        let mut jobs = Vec::with_capacity(mail.len() + tg.len());
        let (mut m, mut t) = (mail.iter(), tg.iter());
        loop {
            let before = jobs.len();
            jobs.extend(m.by_ref().take(emails.div_ceil(tg_count.max(1))).map(|x| Job { messages: vec![x.clone()] }));
            jobs.extend(t.next().map(|x| Job { messages: vec![x.clone()] }));
            if jobs.len() == before {
                break;
            }
        }
        let start = Instant::now();
        let report = dispatcher.run(jobs, &recorder).await;
        let wall = start.elapsed().as_secs_f64();
        email.shutdown().await;
        let last = recorder.tally.last.lock().unwrap().clone();
        let email_done = last.get(&Channel::Email).map_or(f64::NAN, |t| t.duration_since(start).as_secs_f64());
        let tg_done = last.get(&Channel::Telegram).map_or(f64::NAN, |t| t.duration_since(start).as_secs_f64());
        let got = smtp.wait_for(emails, Duration::from_secs(60)).await;
        let mails = check_mail(&smtp, &mail, &got);
        let checked = check_telegram(&server, &tg);
        assert_eq!(report.delivered, emails + tg_count, "{report:?}");
        // Floor: 30/s overall, and each chat's messages 1 s apart.
        let floor = (tg_count.div_ceil(chats).saturating_sub(1) as f64).max(tg_count.saturating_sub(1) as f64 / 30.0);
        println!(
            "   run {rep} both: {wall:.2} s for {} notices ({mails} emails + {} Telegram messages); emails done at \
             {email_done:.2} s (x{:.2} bare lettre), Telegram done at {tg_done:.2} s (floor {floor:.2} s: x{:.2})",
            emails + checked.notices,
            checked.delivered,
            email_done / raw,
            tg_done / floor
        );
        println!("       {}", report_line(&report));
        println!("       Telegram: {}", telegram_line(&checked));
        drop(smtp);
        drop(server);

        // Telegram alone: the overall limit under pressure, without the email lane.
        let server = TelegramServer::start("4242:bench").await;
        server.enforce_limits(true);
        let dispatcher = Dispatcher::new(vec![Arc::new(telegram_sender(&server))], DispatchConfig::default(), clock());
        let recorder = BenchRecorder::new(Recording::Nothing);
        let start = Instant::now();
        let alone_report =
            dispatcher.run(tg.iter().map(|m| Job { messages: vec![m.clone()] }).collect(), &recorder).await;
        let tg_alone = start.elapsed().as_secs_f64();
        let alone_check = check_telegram(&server, &tg);
        println!(
            "   run {rep} Telegram only: {} digests ({} notices) in {tg_alone:.2} s (floor {floor:.2} s: x{:.2})",
            alone_check.delivered,
            alone_check.notices,
            tg_alone / floor
        );
        println!("       {}", report_line(&alone_report));
        println!("       Telegram: {}", telegram_line(&alone_check));
        drop(server);

        // Per-chat limit under pressure: each chat's messages queued one after the other.
        let server = TelegramServer::start("4242:bench").await;
        server.enforce_limits(true);
        let stress = telegram_messages(stress_chats * stress_per_chat, stress_chats, 900_000, true);
        let dispatcher = Dispatcher::new(vec![Arc::new(telegram_sender(&server))], DispatchConfig::default(), clock());
        let recorder = BenchRecorder::new(Recording::Nothing);
        let start = Instant::now();
        let stress_report =
            dispatcher.run(stress.iter().map(|m| Job { messages: vec![m.clone()] }).collect(), &recorder).await;
        let stress_secs = start.elapsed().as_secs_f64();
        let stress_check = check_telegram(&server, &stress);
        let stress_floor = ((stress_per_chat - 1) as f64).max((stress.len() - 1) as f64 / 30.0);
        println!(
            "   run {rep} per chat: {} messages to {stress_chats} chats ({stress_per_chat} each, queued chat by chat) \
             in {stress_secs:.2} s (floor {stress_floor:.2} s: x{:.2})",
            stress.len(),
            stress_secs / stress_floor
        );
        println!("       {}", report_line(&stress_report));
        println!("       Telegram: {}", telegram_line(&stress_check));
        rows.push([
            alone / raw,
            wall,
            tg_done / floor,
            checked.max_overall as f64,
            checked.max_per_chat as f64,
            stress_secs / stress_floor,
            tg_alone / floor,
            alone_check.max_overall as f64,
            alone_check.refused as f64,
        ]);
    }
    let col = |i: usize| rows.iter().map(|r| r[i]).collect::<Vec<_>>();
    println!("   summary over {repeat} run(s) (ranges):");
    println!("   email-only dispatcher vs bare lettre x{}", range(&col(0), 2));
    println!(
        "   both channels: {} s wall, Telegram vs floor x{}, server saw max {} requests/s overall and {} per chat",
        range(&col(1), 2),
        range(&col(2), 2),
        range(&col(3), 0),
        range(&col(4), 0)
    );
    println!(
        "   Telegram only: vs floor x{}, server saw max {} requests/s overall, {} refused with 429",
        range(&col(6), 2),
        range(&col(7), 0),
        range(&col(8), 0)
    );
    println!("   per-chat case vs floor x{}", range(&col(5), 2));
}

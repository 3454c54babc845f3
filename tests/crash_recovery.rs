//! Crash safety of `dondoc serve` (issue 18 §4): the daemon is killed with SIGKILL at random
//! moments while clients send commands through the API and it delivers reminders to a real
//! SMTP server and a Telegram Bot API peer, then started again — 100 times in a release
//! build (`cargo test --release -p dondoc --features test-clock --test crash_recovery`),
//! a dozen in a debug build (the workspace run), or `DONDOC_CRASH_KILLS`.
//!
//! After each restart: every command acknowledged before the kill is in its task's
//! timeline, whole (the events the answer listed, at the revisions it gave), and a command
//! whose answer was lost, sent again with its `Idempotency-Key`, is recorded once. At the
//! end: `dondoc audit verify` passes, every reminder was delivered and recorded once, and
//! the deliveries beyond the first are counted and held to the documented bound
//! (docs/domain.md, "Resend bound": only messages sent and not yet recorded at a crash are
//! sent again, each at most once per crash, at most `in_flight_bound` per crash).
//!
//! The daemon's clock is continuous across restarts: each start is given Monday
//! 22/09/2025 09:00 plus the real time elapsed since the test began.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dondoc_testkit::smtp::SmtpServer;
use dondoc_testkit::telegram::TelegramServer;
use serde_json::{Value, json};

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{eventually_within, http};
#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

const MONDAY: &str = "2025-09-22T09:00:00+07:00";
const CRASH_PLAN: &str = "CR-2025";
/// Tasks of the crash plan: each overdue, each led by its own agency with one contact, so
/// each is one reminder to one recipient (even: Telegram, odd: email).
const TASKS: usize = 120;
const PASSWORD: &str = "mật khẩu của tổ giúp việc";
/// The example configuration's channel concurrency (email 4, Telegram 30, Zalo 10), twice:
/// `DispatchConfig::in_flight_bound`, the most messages a crash can leave sent but unrecorded.
const IN_FLIGHT_BOUND: usize = 2 * (4 + 30 + 10);

fn kills() -> usize {
    std::env::var("DONDOC_CRASH_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(if cfg!(debug_assertions) {
        12
    } else {
        100
    })
}

/// A small deterministic generator (xorshift64*), seeded from `DONDOC_CRASH_SEED` or the
/// clock; the seed is printed so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A random version-4 UUID, as an `Idempotency-Key`.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

fn code(i: usize) -> String {
    format!("{i:03}")
}

/// The instant the daemon is told at a start: Monday 09:00 plus the real time elapsed.
fn virtual_now(began: Instant) -> String {
    let monday = chrono::DateTime::parse_from_rfc3339(MONDAY).unwrap();
    let now = monday + chrono::Duration::from_std(began.elapsed()).unwrap();
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// One command sent through the API.
#[derive(Debug, Clone)]
struct Command {
    code: String,
    action: &'static str,
    body: String,
    /// The unique text of the command, to find its events.
    marker: String,
    idempotency_key: String,
}

/// An acknowledged command: its answer's revision and event types.
#[derive(Debug, Clone)]
struct Ack {
    command: Command,
    revision: u64,
    types: Vec<String>,
}

enum Outcome {
    Acked(Ack),
    /// No answer (the daemon died): the command may or may not be recorded.
    Lost(Command),
}

fn send(port: u16, token: &str, command: &Command) -> Result<Ack, String> {
    let bearer = format!("Bearer {token}");
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", bearer.as_str()),
        ("Idempotency-Key", command.idempotency_key.as_str()),
    ];
    let path = format!("/api/v1/tasks/{CRASH_PLAN}/{}/{}", command.code, command.action);
    let (status, text) = http(port, "POST", &path, &headers, command.body.as_bytes()).map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    assert_eq!(status, 200, "{command:?} answered {status}: {body}");
    let types = body["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    Ok(Ack { command: command.clone(), revision: body["revision"].as_u64().unwrap(), types })
}

fn sign_in(port: u16) -> String {
    let body = json!({"name": "tgv", "password": PASSWORD}).to_string();
    let (status, text) =
        http(port, "POST", "/api/v1/auth/token", &[("Content-Type", "application/json")], body.as_bytes()).unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["token"].as_str().unwrap().to_string()
}

/// The events of a task as `GET …/timeline` gives them (same shape as `audit --json`).
fn timeline(port: u16, token: &str, code: &str) -> Vec<Value> {
    let bearer = format!("Bearer {token}");
    let path = format!("/api/v1/tasks/{CRASH_PLAN}/{code}/timeline");
    let (status, text) = http(port, "GET", &path, &[("Authorization", &bearer)], b"").unwrap();
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["events"].as_array().unwrap().clone()
}

/// Checks one acknowledged command against its task's events: the events its answer
/// listed, at the revisions ending at the answer's, and its marker in no other event
/// (a command sent again is not recorded twice).
fn check_ack(ack: &Ack, events: &[Value]) {
    let at: BTreeMap<u64, &Value> = events.iter().map(|e| (e["revision"].as_u64().unwrap(), e)).collect();
    let first = ack.revision + 1 - ack.types.len() as u64;
    for (i, expected) in ack.types.iter().enumerate() {
        let revision = first + i as u64;
        let event = at.get(&revision).unwrap_or_else(|| {
            panic!("acknowledged {:?} lost its event at revision {revision} (of {:?})", ack.command, ack.types)
        });
        assert_eq!(
            event["type"].as_str(),
            Some(expected.as_str()),
            "torn or replaced: {:?} at {revision}",
            ack.command
        );
    }
    let carrying: Vec<u64> = events
        .iter()
        .filter(|e| e["data"].to_string().contains(&ack.command.marker))
        .map(|e| e["revision"].as_u64().unwrap())
        .collect();
    assert!(
        !carrying.is_empty() && carrying.iter().all(|r| (first..=ack.revision).contains(r)),
        "{:?} (revisions {first}..={}) found at revisions {carrying:?}: recorded twice?",
        ack.command,
        ack.revision
    );
}

fn user_add(data: &Data) {
    let mut child = data
        .command(MONDAY)
        .args(["user", "add", "--name", "tgv", "--role", "secretariat", "--full-name", "Tổ giúp việc"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The data directory: the crash plan, its contacts, a secretariat account, a sweep every
/// second and slow channels, so that deliveries span many kills.
fn setup(smtp: &SmtpServer, telegram: &TelegramServer, kills: usize) -> Data {
    // Messages a second on each channel: the 120 reminders take about a minute in the long
    // run (about half its kills), 15 s in the short one.
    let rate = if kills >= 50 { 1 } else { 4 };
    let data = Data::new(MONDAY);
    let mut csv = String::from("code,title,lead,cooperating,start,finish,product\n");
    for i in 1..=TASKS {
        csv.push_str(&format!(
            "{},Nhiệm vụ kiểm thử số {i},Phòng Kiểm thử số {i},,Tháng 7/2025,Tháng 8/2025,Báo cáo\n",
            code(i)
        ));
    }
    let path = data.path().join("crash-plan.csv");
    std::fs::write(&path, csv).unwrap();
    data.ok(MONDAY, &["import", path.to_str().unwrap(), "--plan", CRASH_PLAN]);
    for i in 1..=TASKS {
        let (name, agency) = (format!("Cán bộ số {i}"), format!("Phòng Kiểm thử số {i}"));
        let address = if i % 2 == 0 {
            telegram.add_chat(chat(i));
            ["--telegram".to_string(), chat(i).to_string()]
        } else {
            ["--email".to_string(), email(i)]
        };
        data.ok(MONDAY, &["contact", "add", "--name", &name, "--agency", &agency, &address[0], &address[1]]);
    }
    user_add(&data);
    let config = std::fs::read_to_string(data.config_path()).unwrap();
    let mut text = config.clone();
    for (from, to) in [
        ("sweep = \"0 */15 * * * *\"", "sweep = \"*/1 * * * * *\""),
        ("telegram_per_second = 30", &format!("telegram_per_second = {rate}")),
        ("email_per_second = 0", &format!("email_per_second = {rate}")),
        ("backoff_initial_ms = 1000", "backoff_initial_ms = 50"),
        ("backoff_max_ms = 60000", "backoff_max_ms = 200"),
    ] {
        assert!(text.contains(from), "the example configuration changed: {from}");
        text = text.replace(from, to);
    }
    std::fs::write(data.config_path(), text).unwrap();
    data.configure(&format!(
        "[email]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\n\
         timeout_secs = 5\n\n[telegram]\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
        smtp.host(),
        smtp.port(),
        telegram.url()
    ));
    data
}

fn chat(i: usize) -> i64 {
    80_000 + i as i64
}

fn email(i: usize) -> String {
    format!("canbo{i}@kiemthu.example.vn")
}

/// The client load of one life of the daemon: two threads sending commands until `stop`.
fn load(
    port: u16,
    token: String,
    rng: Arc<Mutex<Rng>>,
    stop: Arc<AtomicBool>,
    counter: Arc<Mutex<usize>>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let (i, key, n) = {
            let mut rng = rng.lock().unwrap();
            let mut count = counter.lock().unwrap();
            *count += 1;
            (1 + rng.below(TASKS as u64) as usize, rng.uuid(), *count)
        };
        let marker = format!("lệnh kiểm thử [{n}]");
        let (action, body) = if n % 3 == 0 {
            ("progress", json!({"percent": (n % 100) as u8, "note": marker}).to_string())
        } else {
            ("comment", json!({"text": marker}).to_string())
        };
        let command = Command { code: code(i), action, body, marker, idempotency_key: key };
        match send(port, &token, &command) {
            Ok(ack) => outcomes.push(Outcome::Acked(ack)),
            Err(_) => {
                outcomes.push(Outcome::Lost(command));
                break;
            }
        }
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_and_resends_within_the_bound() {
    let smtp = SmtpServer::start().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let telegram = TelegramServer::start(TG_TOKEN).await;
    telegram.enforce_limits(true);
    let kills = kills();
    let data = setup(&smtp, &telegram, kills);
    let seed = std::env::var("DONDOC_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    }) | 1;
    let rng = Arc::new(Mutex::new(Rng(seed)));
    let counter = Arc::new(Mutex::new(0usize));
    let began = Instant::now();

    let mut acked: Vec<Ack> = Vec::new();
    let mut lost: Vec<Command> = Vec::new();
    let mut retried = 0usize;
    let mut kills_while_delivering = 0usize;
    let mut token: Option<String> = None;
    // Where the acknowledgements of the life just ended begin in `acked`.
    let mut fresh_from = 0;
    for life in 0..=kills {
        let now = virtual_now(began);
        let mut serve = data.serve(&now);
        serve.healthz().await;
        let port = serve.port;
        let signed = match token.take() {
            Some(t)
                if http(port, "GET", "/api/v1/me", &[("Authorization", &format!("Bearer {t}"))], b"")
                    .is_ok_and(|(s, _)| s == 200) =>
            {
                t
            }
            _ => sign_in(port),
        };
        // The last life's acknowledged commands, the ones a kill could have lost.
        let mut by_code: BTreeMap<&str, Vec<&Ack>> = BTreeMap::new();
        for ack in &acked[fresh_from..] {
            by_code.entry(ack.command.code.as_str()).or_default().push(ack);
        }
        for (code, acks) in by_code {
            let events = timeline(port, &signed, code);
            for ack in acks {
                check_ack(ack, &events);
            }
        }
        // Commands whose answer the kill swallowed, sent again with the same key: recorded once.
        fresh_from = acked.len();
        for command in lost.drain(..) {
            let ack = send(port, &signed, &command).unwrap_or_else(|e| panic!("{command:?} again: {e}"));
            check_ack(&ack, &timeline(port, &signed, &command.code));
            retried += 1;
            acked.push(ack);
        }
        if life == kills {
            // The last life runs until every reminder is delivered.
            let delivered = eventually_within(Duration::from_secs(120), "every reminder delivered", &serve, || {
                let log = data.json(&virtual_now(began), &["reminders", "log", "--json"]);
                let ours: Vec<Value> = log
                    .as_array()?
                    .iter()
                    .filter(|r| r["key"].as_str().is_some_and(|k| k.starts_with(&format!("{CRASH_PLAN}/"))))
                    .cloned()
                    .collect();
                (ours.len() >= TASKS).then_some(Value::Array(ours))
            })
            .await;
            let keys: BTreeSet<&str> =
                delivered.as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
            assert_eq!(keys.len(), TASKS, "one record per reminder: {delivered}");
            assert_eq!(delivered.as_array().unwrap().len(), TASKS, "recorded once each");
            serve.stop().await;
            break;
        }

        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (token, rng, stop, counter) = (signed.clone(), rng.clone(), stop.clone(), counter.clone());
                std::thread::spawn(move || load(port, token, rng, stop, counter))
            })
            .collect();
        let wait = Duration::from_millis(100 + rng.lock().unwrap().below(1400));
        tokio::time::sleep(wait).await;
        let sent_before = telegram.sent().len() + smtp.messages().len();
        serve.child.kill().unwrap();
        serve.child.wait().unwrap();
        if sent_before < TASKS {
            kills_while_delivering += 1;
        }
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            for outcome in worker.join().unwrap() {
                match outcome {
                    Outcome::Acked(ack) => acked.push(ack),
                    Outcome::Lost(command) => lost.push(command),
                }
            }
        }
        token = Some(signed);
    }

    // The whole record, through the command line, after a clean stop.
    let now = virtual_now(began);
    let verify = data.run(&now, &["audit", "verify"]);
    assert!(verify.status.success(), "audit verify: {}", String::from_utf8_lossy(&verify.stdout));
    let mut by_code: BTreeMap<String, Vec<&Ack>> = BTreeMap::new();
    for ack in &acked {
        by_code.entry(ack.command.code.clone()).or_default().push(ack);
    }
    for (code, acks) in &by_code {
        let audit = data.json(&now, &["audit", "--plan", CRASH_PLAN, "--code", code, "--json"]);
        let events = audit["events"].as_array().unwrap();
        let revisions: Vec<u64> = events.iter().map(|e| e["revision"].as_u64().unwrap()).collect();
        assert_eq!(revisions, (0..revisions.len() as u64).collect::<Vec<_>>(), "task {code}: revisions without gaps");
        for ack in acks {
            check_ack(ack, events);
        }
    }

    // Deliveries: every recipient reached; the extra copies counted and bounded.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for m in telegram.delivered() {
        *copies.entry(format!("telegram:{}", m.chat_id)).or_default() += 1;
    }
    for m in smtp.messages() {
        for to in &m.rcpt_tos {
            *copies.entry(format!("email:{to}")).or_default() += 1;
        }
    }
    for i in 1..=TASKS {
        let recipient = if i % 2 == 0 { format!("telegram:{}", chat(i)) } else { format!("email:{}", email(i)) };
        assert!(copies.contains_key(&recipient), "{recipient} never reached (task {})", code(i));
    }
    assert_eq!(copies.len(), TASKS, "only the crash plan's recipients: {copies:?}");
    let duplicates: usize = copies.values().map(|c| c - 1).sum();
    let worst = copies.values().max().copied().unwrap_or(0);
    println!(
        "crash_recovery: seed {seed}, {kills} SIGKILLs ({kills_while_delivering} while reminders were going out), \
         {} commands acknowledged ({retried} answers lost to a kill and sent again, each recorded once), \
         {TASKS} reminders delivered, {duplicates} duplicate deliveries (most copies of one: {worst}; \
         bound: {IN_FLIGHT_BOUND} per crash, each at most once per crash), audit verify passed, {:.1} s",
        acked.len(),
        began.elapsed().as_secs_f64()
    );
    assert!(duplicates <= kills_while_delivering * IN_FLIGHT_BOUND, "{duplicates} duplicates over the bound");
    assert!(worst <= 1 + kills_while_delivering, "a message sent more than once per crash: {copies:?}");
}

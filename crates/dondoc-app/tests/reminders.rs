//! The reminder pipeline in process, on the Quảng Nam plan with a virtual clock: restarts
//! and a crash between a send and its record add no duplicate beyond the documented bound;
//! the recorder writes each outcome once, also when another writer moves the task's stream.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use dondoc_app::clock::VirtualClock;
use dondoc_app::reminders::record::DeliveryRecorder;
use dondoc_app::{App, RecorderLayer, simulate};
use dondoc_core::event::{Channel, Milestone, ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_notify::message::Message;
use dondoc_notify::{Receipt, SendError};
use futures::future::BoxFuture;
use support::{keys_of, outbox_files, reminder_id};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("an RFC 3339 instant").with_timezone(&Utc)
}

/// Passes outcomes on until the `n`th reminder delivered, then panics before recording it: what a
/// process killed between a send and its record leaves behind (the task running the sweep
/// is dropped, with every send in flight unrecorded and every job not started unsent).
struct CrashAfter<'a> {
    inner: Box<dyn Recorder + 'a>,
    left: Arc<AtomicUsize>,
}

impl Recorder for CrashAfter<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            let reminder = matches!(outcome, Outcome::Delivered { message, .. } if !message.keys.is_empty());
            if reminder && self.left.fetch_sub(1, Ordering::SeqCst) == 1 {
                panic!("simulated crash: a message was sent and its record lost");
            }
            self.inner.record(outcome).await;
        })
    }
}

fn crash_after(n: usize) -> RecorderLayer {
    let left = Arc::new(AtomicUsize::new(n));
    Arc::new(move |inner| Box::new(CrashAfter { inner, left: left.clone() }))
}

/// Runs the jobs from `from` to `to` every 15 minutes on a fresh App over `db` (a process
/// start), optionally crashing after `crash` deliveries; `true` when it ran to the end.
async fn segment(db: &Path, outbox: &Path, from: &str, to: &str, crash: Option<usize>) -> bool {
    let (db, outbox) = (db.to_path_buf(), outbox.to_path_buf());
    let (from, to) = (t(from), t(to));
    let run = tokio::spawn(async move {
        let clock = VirtualClock::new(from);
        let mut app = support::open(&db, support::outboxes(&outbox, &clock.clock()), clock.clock());
        app.recorder_layer = crash.map(crash_after);
        simulate::run(&app, &clock, from, to, Duration::minutes(15)).await.expect("a simulation");
    });
    match run.await {
        Ok(()) => true,
        Err(e) if e.is_panic() => false,
        Err(e) => panic!("{e}"),
    }
}

async fn setup(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("dondoc.sqlite");
    let clock = VirtualClock::new(t("2025-07-31T08:00:00+07:00"));
    let app = support::open(&db, Vec::new(), clock.clock());
    support::quang_nam(&app).await;
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_and_a_crash_after_a_send_add_no_duplicate_beyond_the_bound() {
    const FROM: &str = "2025-08-01T00:00:00+07:00";
    const TO: &str = "2025-09-12T23:59:00+07:00";
    let single = tempfile::tempdir().unwrap();
    let single_out = tempfile::tempdir().unwrap();
    let db = setup(single.path()).await;
    assert!(segment(&db, single_out.path(), FROM, TO, None).await);
    let single_ids: BTreeSet<String> =
        keys_of(&outbox_files(single_out.path())).iter().map(|k| reminder_id(k)).collect();
    assert!(single_ids.len() > 40, "{} reminders", single_ids.len());

    // The same window in three process runs, stopped mid-day, one of them crashing after its
    // third send (before recording it).
    let parts = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let db = setup(parts.path()).await;
    assert!(segment(&db, out.path(), FROM, "2025-08-20T10:07:00+07:00", None).await);
    let before_crash = outbox_files(out.path()).len();
    let crashed = segment(&db, out.path(), "2025-08-20T10:07:00+07:00", "2025-09-03T10:00:00+07:00", Some(3)).await;
    assert!(!crashed, "the run crashes after its third send");
    assert!(outbox_files(out.path()).len() >= before_crash + 3);

    assert!(segment(&db, out.path(), "2025-08-20T10:07:00+07:00", TO, None).await);

    let messages = outbox_files(out.path());
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for k in keys_of(&messages) {
        *count.entry(reminder_id(&k)).or_default() += 1;
    }
    let resent: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(count.values().all(|n| *n <= 2), "a reminder sent more than twice: {resent:?}");
    // Only messages whose record the crash lost are sent again: the one that crashed, and
    // those in flight beside it (at most the lanes' concurrency).
    let resent_messages: BTreeSet<&str> = messages
        .iter()
        .filter(|m| m["keys"].as_array().unwrap().iter().any(|k| count[&reminder_id(k.as_str().unwrap())] > 1))
        .map(|m| m["idempotency_key"].as_str().unwrap())
        .collect();
    assert!(!resent_messages.is_empty(), "the crash lost a record: its message goes again");
    let bound = dondoc_notify::dispatch::DispatchConfig::default().in_flight_bound();
    assert!(resent_messages.len() <= bound, "{} messages resent (bound {bound}): {resent:?}", resent_messages.len());
    let ids: BTreeSet<String> = count.into_keys().collect();
    assert_eq!(ids, single_ids, "the interrupted runs deliver exactly what one run delivers");
    // The delivery log holds each reminder once.
    let clock = VirtualClock::new(t(TO));
    let app = support::open(&db, Vec::new(), clock.clock());
    let logged: Vec<String> =
        app.read().await.unwrap().deliveries().unwrap().into_iter().map(|r| reminder_id(&r.key)).collect();
    assert_eq!(logged.iter().collect::<BTreeSet<_>>().len(), logged.len());
}

fn key(code: &str, recipient: &str) -> ReminderKey {
    ReminderKey {
        plan: "QN-2022".into(),
        code: code.into(),
        occurrence: None,
        milestone: Milestone::Overdue,
        offset: -7,
        recipient: recipient.into(),
        channel: Channel::Email,
    }
}

fn message(keys: Vec<ReminderKey>, id: &str) -> Message {
    let mut m = Message::text(
        dondoc_notify::message::MessageKind::Reminder,
        Channel::Email,
        "c001",
        "Nguyễn Văn An",
        "an@x.vn",
        "s".into(),
        "t".into(),
        id.into(),
    );
    m.tasks = keys.iter().map(|k| TaskKey::new(k.plan.clone(), k.code.clone())).collect();
    m.keys = keys;
    m
}

async fn count(app: &App, code: &str, event_type: &str) -> usize {
    let events = dondoc_app::command::read_task(&app.store, &TaskKey::new("QN-2022", code)).await.unwrap();
    events.iter().filter(|e| e.event_type == event_type).count()
}

#[tokio::test]
async fn the_recorder_writes_each_outcome_once_beside_another_writer() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path()).await;
    let now = t("2025-09-22T09:00:00+07:00");
    let app = support::open(&db, Vec::new(), dondoc_app::clock::fixed(now));
    let recorder = DeliveryRecorder::new(&app.store, &app.unrecorded);
    let delivered = Outcome::Delivered {
        message: message(vec![key("01123", "c001"), key("01128", "c001")], "m-1"),
        receipt: Receipt::default(),
        at: now,
    };
    let failed = Outcome::Failed {
        message: message(vec![key("01221", "c001")], "m-2"),
        attempts: 3,
        error: SendError::Transient("451 thử lại sau".into()),
        fallback: false,
        at: now,
    };
    // An officer's comment lands on the same task while the outcome is recorded.
    let ctx = dondoc_app::Actor::new("Nguyễn Văn An", Source::Cli).at(now);
    let comment = TaskCommand::Comment { text: "đang tổng hợp".into() };
    let (_, ()) = tokio::join!(
        async {
            dondoc_app::command::execute(&app.store, &TaskKey::new("QN-2022", "01123"), None, &comment, &ctx)
                .await
                .unwrap()
        },
        recorder.record(&delivered)
    );
    recorder.record(&failed).await;
    assert_eq!(count(&app, "01123", "ReminderDelivered").await, 1);
    assert_eq!(count(&app, "01128", "ReminderDelivered").await, 1);
    assert_eq!(count(&app, "01221", "ReminderFailed").await, 1);
    assert_eq!(count(&app, "01123", "CommentAdded").await, 1);
    let read = app.read().await.unwrap();
    let keys = read.message_keys("m-1").unwrap();
    assert_eq!(keys.len(), 2, "the message's keys, for its buttons");
    let failures = read.open_failures().unwrap();
    assert!(failures.iter().any(|f| f.code == "01221" && f.will_retry), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_store_cannot_take_is_kept_and_its_reminder_not_sent_again() {
    use dondoc_app::reminders::sweep;
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let db = setup(dir.path()).await;
    let now = t("2025-09-22T09:00:00+07:00");
    let clock = VirtualClock::new(now);
    let app = support::open(&db, support::outboxes(out.path(), &clock.clock()), clock.clock());
    app.catch_up().await.unwrap();

    // Another process (a long import) holds the database's write lock past the store's
    // wait: every record of the first sweep is refused.
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = std::time::Instant::now();
    let first = sweep::sweep(&app, now).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "one wait for the lock, not one per record");
    assert!(first.dispatch.delivered > 0, "{first:?}");
    let sent = outbox_files(out.path()).len();
    assert_eq!(sent, first.dispatch.delivered);
    assert!(!app.unrecorded.is_empty(), "the refused records are kept");
    let first_keys: BTreeSet<String> = keys_of(&outbox_files(out.path())).iter().map(|k| reminder_id(k)).collect();
    // Still locked a quarter of an hour later: the records are still waiting, and the
    // reminders they cover are not sent again (others may fall due meanwhile).
    clock.set(now + Duration::minutes(15));
    sweep::sweep(&app, now + Duration::minutes(15)).await.unwrap();
    let again: Vec<String> = keys_of(&outbox_files(out.path()))
        .iter()
        .map(|k| reminder_id(k))
        .filter(|id| first_keys.contains(id))
        .collect();
    assert_eq!(again.len(), first_keys.len(), "sent again while unrecorded: {again:?}");
    let sent = outbox_files(out.path()).len();
    // The lock goes; the next sweep writes the records and still sends nothing again.
    lock.execute_batch("COMMIT").unwrap();
    clock.set(now + Duration::minutes(30));
    let third = sweep::sweep(&app, now + Duration::minutes(30)).await.unwrap();
    assert_eq!(third.dispatch.delivered, 0, "{third:?}");
    assert!(app.unrecorded.is_empty());
    assert_eq!(outbox_files(out.path()).len(), sent);
    let keys = keys_of(&outbox_files(out.path()));
    let delivered = app.read().await.unwrap().delivered_ids().unwrap();
    for k in &keys {
        assert!(delivered.contains(&reminder_id(k)), "{k} recorded once the store took it");
    }
}

//! The weekly summary in process, on the Quảng Nam plan with a virtual clock: a leader
//! whom no channel reaches on Monday gets the week's summary from a later sweep once a
//! channel works again, and only once. (The daily digest: the CLI's `daemon` test.)

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use dondoc_app::clock::VirtualClock;
use dondoc_app::schedule::JobKind;
use dondoc_app::{App, Delivery, Settings, jobs, simulate};
use dondoc_core::event::Channel;
use dondoc_notify::channel::outbox::Outbox;
use dondoc_notify::dispatch::DispatchConfig;
use dondoc_notify::templates::Templates;
use dondoc_notify::{Message, Receipt, SendError, Sender};
use futures::future::BoxFuture;
use support::outbox_files;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("an RFC 3339 instant").with_timezone(&Utc)
}

/// An outbox that refuses every message while `down` is set, as an unreachable server.
struct Switchable {
    outbox: Outbox,
    down: Arc<AtomicBool>,
}

impl Sender for Switchable {
    fn channel(&self) -> Channel {
        self.outbox.channel()
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        if self.down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(SendError::Transient("máy chủ không trả lời".into())) });
        }
        self.outbox.send(message)
    }
}

fn app(
    db: &std::path::Path,
    out: &std::path::Path,
    clock: &VirtualClock,
    down: &Arc<AtomicBool>,
    settings: Settings,
) -> App {
    app_with(db, out, clock, |_| down.clone(), settings)
}

/// An app whose channel `ch` is down while `down(ch)` is set.
fn app_with(
    db: &std::path::Path,
    out: &std::path::Path,
    clock: &VirtualClock,
    down: impl Fn(Channel) -> Arc<AtomicBool>,
    settings: Settings,
) -> App {
    let senders: Vec<Arc<dyn Sender>> = [Channel::Email, Channel::Telegram, Channel::Zalo]
        .into_iter()
        .map(|ch| {
            Arc::new(Switchable { outbox: Outbox::new(ch, out, clock.clock()), down: down(ch) }) as Arc<dyn Sender>
        })
        .collect();
    let dispatch = DispatchConfig { max_attempts: 1, backoff_initial_ms: 1, ..DispatchConfig::default().unlimited() };
    let delivery = Delivery { templates: Templates::builtin(Default::default()).unwrap(), senders, dispatch };
    App::open(db, settings, delivery, clock.clock()).unwrap()
}

#[tokio::test]
async fn a_leader_no_channel_reached_gets_the_week_from_a_later_sweep_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let db = dir.path().join("dondoc.sqlite");
    let down = Arc::new(AtomicBool::new(false));
    let clock = VirtualClock::new(t("2025-09-08T07:00:00+07:00"));
    let app = app(&db, out.path(), &clock, &down, support::settings());
    support::quang_nam(&app).await;

    // Monday 8/9/2025 07:30: every channel down when the summary goes out.
    down.store(true, Ordering::SeqCst);
    let monday = t("2025-09-08T07:30:00+07:00");
    clock.set(monday);
    jobs::run(&app, JobKind::WeeklySummary, monday).await.unwrap();
    let history = app.read().await.unwrap().edition_history("2025-09-01").unwrap();
    assert!(history.delivered.is_empty());
    assert_eq!(history.failures.get("c005"), Some(&2), "one failure on each of the leader's two channels");

    // A sweep at 08:00 still finds them down; at 09:15 the channels work again.
    let at8 = t("2025-09-08T08:00:00+07:00");
    clock.set(at8);
    jobs::run(&app, JobKind::Sweep, at8).await.unwrap();
    down.store(false, Ordering::SeqCst);
    let sim = simulate::run(
        &app,
        &clock,
        t("2025-09-08T09:15:00+07:00"),
        t("2025-09-12T17:00:00+07:00"),
        Duration::minutes(15),
    )
    .await
    .unwrap();
    assert!(sim.sweeps > 300);
    let summaries: Vec<_> =
        outbox_files(out.path()).into_iter().filter(|m| m["keys"].as_array().unwrap().is_empty()).collect();
    assert_eq!(summaries.len(), 1, "the week's summary arrives once: {summaries:?}");
    assert_eq!(summaries[0]["recipient"], "c005");
    assert_eq!(summaries[0]["channel"], "email", "leadership reads the summary by email first");
    assert!(summaries[0]["sent_at"].as_str().unwrap().starts_with("2025-09-08T09:15"), "{}", summaries[0]["sent_at"]);
    let history = app.read().await.unwrap().edition_history("2025-09-01").unwrap();
    assert!(history.delivered.contains("c005"));
}

#[tokio::test]
async fn the_secretariat_hears_of_reminders_no_channel_delivered_leadership_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let db = dir.path().join("dondoc.sqlite");
    let down = Arc::new(AtomicBool::new(false));
    let clock = VirtualClock::new(t("2025-09-03T08:00:00+07:00"));
    let app = app(&db, out.path(), &clock, &down, support::settings());
    support::quang_nam(&app).await;

    // Wednesday 3/9/2025 09:00: the day's reminders fail on every channel.
    down.store(true, Ordering::SeqCst);
    let wednesday = t("2025-09-03T09:00:00+07:00");
    clock.set(wednesday);
    jobs::run(&app, JobKind::Sweep, wednesday).await.unwrap();
    let failed = app.read().await.unwrap().open_failures().unwrap();
    assert!(!failed.is_empty(), "the sweep's reminders failed");

    // Monday 8/9 07:30, channels working: leadership gets the summary, the secretariat
    // (c004) the report of what failed; a second run sends neither again.
    down.store(false, Ordering::SeqCst);
    let monday = t("2025-09-08T07:30:00+07:00");
    clock.set(monday);
    for _ in 0..2 {
        jobs::run(&app, JobKind::WeeklySummary, monday).await.unwrap();
    }
    let sent = outbox_files(out.path());
    let of_kind = |kind: &str| sent.iter().filter(|m| m["kind"] == kind).collect::<Vec<_>>();
    let summaries = of_kind("weekly_summary");
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0]["recipient"], "c005");
    assert!(!summaries[0]["text"].as_str().unwrap().contains("chưa gửi được"), "{}", summaries[0]["text"]);
    let reports = of_kind("delivery_report");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["recipient"], "c004");
    let text = reports[0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("NHẮC VIỆC CHƯA GỬI ĐƯỢC ĐẾN NGƯỜI NHẬN ({})", failed.len())), "{text}");
    let history = app.read().await.unwrap().edition_history("delivery-2025-09-01").unwrap();
    assert!(history.delivered.contains("c004"));
}

#[tokio::test]
async fn the_secretariat_report_that_reached_nobody_is_sent_again_by_a_later_sweep_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let db = dir.path().join("dondoc.sqlite");
    // Email and Telegram (the officers', the leader's) down throughout; Zalo (the
    // secretariat's) down on Monday morning only.
    let others_down = Arc::new(AtomicBool::new(true));
    let zalo_down = Arc::new(AtomicBool::new(false));
    let clock = VirtualClock::new(t("2025-09-03T08:00:00+07:00"));
    let down = |ch: Channel| if ch == Channel::Zalo { zalo_down.clone() } else { others_down.clone() };
    let app = app_with(&db, out.path(), &clock, down, support::settings());
    support::quang_nam(&app).await;

    let wednesday = t("2025-09-03T09:00:00+07:00");
    clock.set(wednesday);
    jobs::run(&app, JobKind::Sweep, wednesday).await.unwrap();
    assert!(!app.read().await.unwrap().open_failures().unwrap().is_empty());
    zalo_down.store(true, Ordering::SeqCst);
    let monday = t("2025-09-08T07:30:00+07:00");
    clock.set(monday);
    jobs::run(&app, JobKind::WeeklySummary, monday).await.unwrap();
    let history = app.read().await.unwrap().edition_history("delivery-2025-09-01").unwrap();
    assert!(history.attempted.contains("c004") && history.delivered.is_empty(), "{history:?}");

    // Zalo works again: the sweeps deliver the report once (the failures are still open).
    zalo_down.store(false, Ordering::SeqCst);
    simulate::run(&app, &clock, t("2025-09-08T08:00:00+07:00"), t("2025-09-09T17:00:00+07:00"), Duration::minutes(15))
        .await
        .unwrap();
    let sent = outbox_files(out.path());
    let reports: Vec<_> = sent.iter().filter(|m| m["kind"] == "delivery_report").collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["recipient"], "c004");
    assert!(reports[0]["sent_at"].as_str().unwrap().starts_with("2025-09-08T08:00"), "{}", reports[0]["sent_at"]);
}

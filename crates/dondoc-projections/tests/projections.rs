//! Projections on a real SQLite store: incremental updates equal a rebuild; a restart reads
//! only new events; the delivery log keeps one row per key.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use dondoc_core::StreamEvent;
use dondoc_core::contact::{CONTACT_STREAM, ContactCard, ContactEvent, Role};
use dondoc_core::event::{Channel, EventMeta, Evidence, Milestone, ReminderKey, Source, TaskKey};
use dondoc_core::plan::{ImportCounts, PlanEvent, PlanInfo};
use dondoc_core::silence::{SILENCE_STREAM, SilenceEvent, SilenceScope};
use dondoc_core::summary::log::{SUMMARY_STREAM, SummaryEvent};
use dondoc_core::task::{TaskCommand, TaskState, decide};
use dondoc_core::timeexpr;
use dondoc_projections::Projections;
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{Direction, EventData, EventStore, ExpectedRevision, StreamStart};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-01T02:00:00Z").unwrap().with_timezone(&Utc)
}

fn define(code: &str, finish: &str) -> TaskCommand {
    TaskCommand::Define {
        plan: "P".into(),
        code: code.into(),
        title: format!("Nhiệm vụ {code}"),
        lead: "Sở Tài chính".into(),
        cooperating: vec!["Thống kê tỉnh".into()],
        start: None,
        finish: Some(timeexpr::parse(finish).unwrap()),
        product: None,
        tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1),
        tt: None,
        group: None,
    }
}

fn meta(at: DateTime<Utc>) -> serde_json::Value {
    serde_json::to_value(EventMeta::new("Tổ giúp việc", Source::Cli, at, uuid::Uuid::nil())).unwrap()
}

/// Decides `cmd` on the task's folded stream and appends its events (what the application's
/// command service does, without depending on it).
async fn run(store: &SqliteStore, code: &str, cmd: TaskCommand, at: DateTime<Utc>) {
    let key = TaskKey::new("P", code);
    let recorded = store.read_stream(&key.stream(), Direction::Forwards, StreamStart::Start, usize::MAX).await.unwrap();
    let mut state = TaskState { key: key.clone(), ..TaskState::default() };
    for r in &recorded {
        state.apply(&dondoc_core::event::TaskEvent::decode(&r.event_type, 1, r.data.clone()).unwrap());
    }
    let events = decide(&state, &cmd, at).unwrap();
    if events.is_empty() {
        return;
    }
    let data = events
        .iter()
        .map(|e| {
            let (event_type, _, data) = e.encode();
            EventData { id: uuid::Uuid::new_v4(), event_type: event_type.into(), data, metadata: meta(at) }
        })
        .collect();
    let expected = recorded.last().map_or(ExpectedRevision::NoStream, |r| ExpectedRevision::Exact(r.revision));
    store.append(&key.stream(), expected, data).await.unwrap();
}

async fn fact(store: &SqliteStore, stream: &str, event: &impl StreamEvent, at: DateTime<Utc>) {
    let (event_type, data) = event.encode();
    let data = EventData { id: uuid::Uuid::new_v4(), event_type: event_type.into(), data, metadata: meta(at) };
    store.append(stream, ExpectedRevision::Any, vec![data]).await.unwrap();
}

fn key(code: &str, recipient: &str) -> ReminderKey {
    ReminderKey {
        plan: "P".into(),
        code: code.into(),
        occurrence: None,
        milestone: Milestone::Due,
        offset: 3,
        recipient: recipient.into(),
        channel: Channel::Email,
    }
}

#[tokio::test]
async fn incremental_updates_equal_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dondoc.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let mut projections = Projections::open(&path).unwrap();
    for i in 0..30 {
        let code = format!("{i:03}");
        let at = t0() + Duration::hours(i);
        run(&store, &code, define(&code, if i % 3 == 0 { "Hằng quý" } else { "Quý IV/2025" }), at).await;
        if i % 2 == 0 {
            run(&store, &code, TaskCommand::Start { note: None }, at).await;
        }
        if i % 5 == 0 {
            projections.catch_up(&store).await.unwrap();
        }
        run(&store, &code, TaskCommand::RecordDelivery { key: key(&code, "a@x.vn"), message_id: None }, at).await;
        if i % 3 == 0 {
            let cmd = TaskCommand::SubmitReport {
                occurrence: Some("2025-Q3".into()),
                evidence: Evidence { document: Some(format!("{i}/BC")), ..Evidence::default() },
                submitted_at: None,
            };
            run(&store, &code, cmd, at).await;
        }
    }
    // The small streams: contacts, silences, a plan, summaries.
    for (i, name) in ["Nguyễn Văn An", "Trần Thị Bình"].into_iter().enumerate() {
        let card = ContactCard {
            id: format!("c00{}", i + 1),
            name: name.into(),
            agency: "Sở Tài chính".into(),
            role: Role::Officer,
            position: None,
            email: Some(format!("c{i}@tinh.gov.vn")),
            telegram: None,
            zalo: None,
            phone: None,
            channels: None,
            quiet: None,
        };
        fact(&store, CONTACT_STREAM, &ContactEvent::ContactAdded { card }, t0()).await;
    }
    projections.catch_up(&store).await.unwrap();
    fact(&store, CONTACT_STREAM, &ContactEvent::ContactRemoved { id: "c001".into(), reason: "x".into() }, t0()).await;
    let silence = SilenceEvent::SilenceAdded {
        id: "s001".into(),
        scope: SilenceScope::Plan { plan: "P".into() },
        from: t0(),
        until: t0() + Duration::days(3),
        reason: "Tết".into(),
    };
    fact(&store, SILENCE_STREAM, &silence, t0()).await;
    let info = PlanInfo { title: Some("Kế hoạch thử".into()), ..PlanInfo::default() };
    let registered = PlanEvent::PlanRegistered {
        plan: "P".into(),
        info,
        source: "p.csv".into(),
        source_sha256: "00".into(),
        counts: ImportCounts::default(),
    };
    fact(&store, &PlanEvent::stream("P"), &registered, t0()).await;
    for delivered in [false, false, true] {
        let event = if delivered {
            SummaryEvent::SummaryDelivered {
                edition: "2025-09-01".into(),
                recipient: "c002".into(),
                channel: Channel::Email,
                message_id: "m".into(),
                at: t0(),
            }
        } else {
            SummaryEvent::SummaryFailed {
                edition: "2025-09-01".into(),
                recipient: "c002".into(),
                channel: Channel::Email,
                error: "451".into(),
                at: t0(),
                channel_fault: false,
            }
        };
        fact(&store, SUMMARY_STREAM, &event, t0()).await;
    }
    let first = projections.catch_up(&store).await.unwrap();
    let book = projections.contacts().unwrap();
    assert_eq!(book.cards().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c002"]);
    assert_eq!(book.next_id(), "c003", "ids are never reused");
    assert_eq!(projections.silences().unwrap().records().len(), 1);
    assert_eq!(projections.plan_citations().unwrap()["P"], "Kế hoạch về thử");
    assert_eq!(projections.plan("P").unwrap().unwrap().1, 0);
    let history = projections.edition_history("2025-09-01").unwrap();
    assert!(history.delivered.contains("c002"));
    assert_eq!(history.failures["c002"], 2);
    assert!(history.attempted.contains("c002"), "a person sent to is a person to retry");
    assert!(first.events > 0);
    let incremental = projections.dump().unwrap();
    assert_eq!(projections.delivery_count().unwrap(), 30);
    assert!(projections.is_delivered(&key("007", "a@x.vn")).unwrap());
    assert!(!projections.is_delivered(&key("007", "b@x.vn")).unwrap());

    let rebuilt = projections.rebuild(&store).await.unwrap();
    assert_eq!(rebuilt.position, first.position);
    assert_eq!(projections.dump().unwrap(), incremental, "rebuild must give identical tables");

    // A restart reads nothing old.
    drop(projections);
    let mut reopened = Projections::open(&path).unwrap();
    let again = reopened.catch_up(&store).await.unwrap();
    assert_eq!(again.events, 0);
    assert_eq!(reopened.dump().unwrap(), incremental);
}

/// A rebuild over several pages (it reads the next page while the current one is applied)
/// gives the tables that following the log event by event gave, to the last event.
#[tokio::test]
async fn a_rebuild_over_many_pages_equals_following_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dondoc.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let mut projections = Projections::open(&path).unwrap();
    // 12,000 events: more than two of the rebuild's pages of 5,000, in 600 streams.
    for i in 0..600 {
        let code = format!("{i:04}");
        let at = t0() + Duration::minutes(i);
        let mut events = vec![define(&code, "Quý IV/2025")];
        events.extend((0..19).map(|n| TaskCommand::Comment { text: format!("ghi chú {n}") }));
        for command in events {
            run(&store, &code, command, at).await;
        }
        if i % 97 == 0 {
            projections.catch_up(&store).await.unwrap();
        }
    }
    let followed = projections.catch_up(&store).await.unwrap();
    let incremental = projections.dump().unwrap();
    let rebuilt = projections.rebuild(&store).await.unwrap();
    assert_eq!(rebuilt.events, 12_000);
    assert_eq!(rebuilt.position, followed.position);
    assert_eq!(projections.dump().unwrap(), incremental);
}

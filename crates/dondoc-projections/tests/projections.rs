//! Projections on a real SQLite store: incremental updates equal a rebuild; a restart reads
//! only new events; the delivery log keeps one row per key.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use dondoc_core::event::{Channel, Evidence, Milestone, ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_core::timeexpr;
use dondoc_projections::Projections;
use dondoc_projections::service::{self, CommandContext, ServiceError};
use dondoc_store::sqlite::SqliteStore;

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

async fn run(store: &SqliteStore, code: &str, cmd: TaskCommand, at: DateTime<Utc>) {
    let ctx = CommandContext::new("Tổ giúp việc", Source::Cli, at);
    service::execute(store, &TaskKey::new("P", code), None, &cmd, &ctx).await.unwrap();
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
    let first = projections.catch_up(&store).await.unwrap();
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

#[tokio::test]
async fn a_stale_revision_is_a_conflict_with_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite")).unwrap();
    run(&store, "001", define("001", "2025"), t0()).await;
    run(&store, "001", TaskCommand::Start { note: None }, t0()).await;
    let ctx = CommandContext::new("x", Source::Api, t0());
    let err =
        service::execute(&store, &TaskKey::new("P", "001"), Some(0), &TaskCommand::Comment { text: "a".into() }, &ctx)
            .await
            .unwrap_err();
    match err {
        ServiceError::Conflict { expected: 0, current: Some(1), .. } => {}
        other => panic!("{other:?}"),
    }
}

//! The command service on a real SQLite store: concurrent writers without a revision all
//! succeed, a stale revision is a conflict naming the current one, and a command retried
//! with its id records nothing twice.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_app::command::{self, CommandContext, CommandError};
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_core::timeexpr;
use dondoc_store::sqlite::SqliteStore;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-01T09:00:00+07:00").unwrap().with_timezone(&Utc)
}

fn key() -> TaskKey {
    TaskKey::new("P", "001")
}

async fn defined(store: &SqliteStore) {
    let define = TaskCommand::Define {
        plan: "P".into(),
        code: "001".into(),
        title: "Nhiệm vụ thử".into(),
        lead: "Sở Tài chính".into(),
        cooperating: Vec::new(),
        start: None,
        finish: Some(timeexpr::parse("Quý IV/2025").unwrap()),
        product: None,
        tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1),
        tt: None,
        group: None,
    };
    let ctx = CommandContext::new("Tổ giúp việc", Source::Cli, t0());
    command::execute(store, &key(), None, &define, &ctx).await.unwrap();
    let ctx = CommandContext::new("Tổ giúp việc", Source::Cli, t0());
    command::execute(store, &key(), None, &TaskCommand::Start { note: None }, &ctx).await.unwrap();
}

fn progress(i: usize) -> TaskCommand {
    TaskCommand::ReportProgress { percent: None, note: format!("lần {i}"), occurrence: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_without_a_revision_all_succeed_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite")).unwrap();
    defined(&store).await;
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let ctx = CommandContext::new(format!("Cán bộ {i}"), Source::Api, t0());
            command::execute(&store, &key(), None, &progress(i), &ctx).await
        })
    });
    for result in futures::future::join_all(writers).await {
        let executed = result.unwrap().expect("no writer is refused for a concurrent change");
        assert_eq!(executed.events.len(), 1);
    }
    let events = command::read_task(&store, &key()).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.event_type == "ProgressReported").count(), 16);
}

#[tokio::test]
async fn a_stale_revision_is_a_conflict_with_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite")).unwrap();
    defined(&store).await;
    let ctx = CommandContext::new("x", Source::Api, t0());
    let err =
        command::execute(&store, &key(), Some(0), &TaskCommand::Comment { text: "a".into() }, &ctx).await.unwrap_err();
    match err {
        CommandError::Conflict { expected: 0, current: Some(1), .. } => {}
        other => panic!("{other:?}"),
    }
    assert!(err_text(&store).await.contains("phiên bản hiện tại là 1"));
}

async fn err_text(store: &SqliteStore) -> String {
    let ctx = CommandContext::new("x", Source::Api, t0());
    let cmd = TaskCommand::Comment { text: "a".into() };
    command::execute(store, &key(), Some(0), &cmd, &ctx).await.unwrap_err().to_string()
}

#[tokio::test]
async fn a_command_retried_with_its_id_records_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.sqlite")).unwrap();
    defined(&store).await;
    let id = uuid::Uuid::new_v4();
    let ctx = CommandContext::new("Cán bộ", Source::Api, t0()).with_command_id(id);
    let first = command::execute(&store, &key(), None, &progress(1), &ctx).await.unwrap();
    // The caller did not see the reply and sends the same command again (a new request,
    // the same command id).
    let again = CommandContext::new("Cán bộ", Source::Api, t0()).with_command_id(id);
    let second = command::execute(&store, &key(), None, &progress(1), &again).await.unwrap();
    assert_eq!(second.events, first.events, "the retry returns what the command wrote");
    assert_eq!(second.revision, first.revision);
    let events = command::read_task(&store, &key()).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.event_type == "ProgressReported").count(), 1);
    assert_eq!(events.last().unwrap().metadata["command_id"], id.to_string());
}

//! Restart and durability: opening costs the same whatever the history, acknowledged events
//! survive a close and a killed process.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::event;
use dondoc_store::chain::verify_all;
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{EventStore, ExpectedRevision};
use serde_json::json;
use uuid::Uuid;

/// Appends `total` events to 100 streams, in appends of `per_append` events from 8 tasks.
async fn fill(store: &SqliteStore, total: usize, per_append: usize) {
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for chunk in (w * total / 8..(w + 1) * total / 8).collect::<Vec<_>>().chunks(per_append) {
                    let events = chunk.iter().map(|i| event(json!({"i": i, "tên": "Quý IV/2025"}))).collect();
                    store
                        .append(&format!("task-{}", chunk[0] / per_append % 100), ExpectedRevision::Any, events)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// The best of a few opens (the first may pay for a cold page cache).
fn open_time(path: &Path) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let store = SqliteStore::open(path).expect("reopen");
            let elapsed = start.elapsed();
            drop(store);
            elapsed
        })
        .min()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn reopen_cost_does_not_grow_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.sqlite");
    let large = dir.path().join("large.sqlite");
    let store = SqliteStore::open(&small).unwrap();
    fill(&store, 10, 1).await;
    drop(store);
    let store = SqliteStore::open(&large).unwrap();
    fill(&store, 20_000, 50).await;
    let last = store.last_position().await.unwrap();
    drop(store);

    let (small_open, large_open) = (open_time(&small), open_time(&large));
    println!("open: 10 events {small_open:?}, 20 000 events {large_open:?}");
    assert!(large_open < Duration::from_millis(200), "reopening 20 000 events took {large_open:?}");
    let store = SqliteStore::open(&large).unwrap();
    assert_eq!(store.last_position().await.unwrap(), last);
    let report = verify_all(&store).await.unwrap();
    assert_eq!((report.events, report.streams, report.first_break), (20_000, 100, None));
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_events_survive_a_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let appends: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let ev = event(json!({"i": i}));
                let id = ev.id;
                store.append(&format!("s{}", i % 7), ExpectedRevision::Any, vec![ev]).await.map(|_| id)
            })
        })
        .collect();
    let mut acknowledged = HashSet::new();
    for task in appends {
        acknowledged.insert(task.await.unwrap().expect("append"));
    }
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let stored: HashSet<Uuid> = store.read_all(None, 10_000).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(stored, acknowledged);
}

/// Set in the child process of `acknowledged_events_survive_a_kill`.
const CHILD_ENV: &str = "DONDOC_STORE_KILL_CHILD_DB";

/// In the child: appends forever, printing the id of each acknowledged event. Run by
/// `acknowledged_events_survive_a_kill` only.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn helper_child_appends_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let store = SqliteStore::open(&path).unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let ev = event(json!({"w": w, "i": i}));
                    let id = ev.id;
                    store.append(&format!("w{w}"), ExpectedRevision::Any, vec![ev]).await.unwrap();
                    println!("ACK {id}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_events_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["helper_child_appends_until_killed", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(id) = line.unwrap().strip_prefix("ACK ") {
            acknowledged.push(Uuid::parse_str(id).unwrap());
        }
        if acknowledged.len() >= 500 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint
    child.wait().unwrap();
    assert!(acknowledged.len() >= 500, "the child stopped early");

    let store = SqliteStore::open(&path).expect("reopen after the kill");
    let stored: HashSet<Uuid> = store.read_all(None, 1_000_000).await.unwrap().iter().map(|e| e.id).collect();
    let lost: Vec<_> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{} acknowledged events lost: {lost:?}", lost.len());
    assert_eq!(verify_all(&store).await.unwrap().first_break, None);
    store.check_integrity().await.unwrap();
}

/// One million events: run by hand (`cargo test --release -p dondoc-store --test restart
/// -- --ignored --nocapture`); prints fill, open and verify times.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn million_events() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("million.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let start = Instant::now();
    fill(&store, 1_000_000, 200).await;
    println!("fill: {:?} ({:?})", start.elapsed(), store.stats().commits);
    drop(store);
    println!("file: {} MB", std::fs::metadata(&path).unwrap().len() / 1_000_000);
    println!("open: {:?}", open_time(&path));
    let store = SqliteStore::open(&path).unwrap();
    let start = Instant::now();
    let report = verify_all(&store).await.unwrap();
    println!("verify_all: {:?} {report:?}", start.elapsed());
    assert_eq!((report.events, report.first_break), (1_000_000, None));
}

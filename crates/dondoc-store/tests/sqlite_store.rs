//! Behaviour of the SQLite backend beyond the conformance suite: group commit, clocks,
//! idempotency details, the stored format.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use common::event;
use dondoc_store::chain::{self, canonical_json};
use dondoc_store::sqlite::{Clock, SqliteStore};
use dondoc_store::{Direction, EventData, EventStore, ExpectedRevision, StoreError, StreamStart};
use futures::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("events.sqlite")).unwrap();
    (dir, store)
}

async fn all_ids(store: &SqliteStore) -> Vec<Uuid> {
    store.read_all(None, 100_000).await.unwrap().iter().map(|e| e.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn group_commit_batches_concurrent_appends() {
    let (_dir, store) = store();
    let streams: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
    let appends = (0..400).map(|i| store.append(&streams[i % 8], ExpectedRevision::Any, vec![event(json!({"i": i}))]));
    for result in join_all(appends).await {
        result.unwrap();
    }
    let stats = store.stats();
    println!("{stats:?}");
    assert_eq!(stats.events, 400);
    assert_eq!(stats.requests, 400);
    assert!(stats.commits < 400, "no batching happened: {stats:?}");
    assert_eq!(stats.batch_sizes.iter().map(|(size, n)| size * n).sum::<u64>(), 400);
    assert_eq!(stats.batch_sizes.values().sum::<u64>(), stats.commits);
    assert!(stats.mean_batch() > 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_fails_alone_in_its_batch() {
    let (_dir, store) = store();
    // Sent together: they share batches. On each stream exactly one NoStream append wins.
    let requests: Vec<(String, ExpectedRevision, EventData)> = (0..60)
        .map(|i| {
            let expected = if i % 3 == 2 { ExpectedRevision::Any } else { ExpectedRevision::NoStream };
            (format!("s{}", i % 10), expected, event(json!({"i": i})))
        })
        .collect();
    let appends = requests.iter().map(|(s, e, ev)| store.append(s, *e, vec![ev.clone()]));
    let results = join_all(appends).await;
    let mut stored = all_ids(&store).await;
    stored.sort();
    let mut accepted: Vec<Uuid> = Vec::new();
    for ((stream, expected, ev), result) in requests.iter().zip(&results) {
        match result {
            Ok(_) => accepted.push(ev.id),
            Err(StoreError::WrongExpectedRevision { stream: s, actual: Some(_), .. }) => {
                assert_eq!((s, *expected), (stream, ExpectedRevision::NoStream));
            }
            Err(e) => panic!("{e}"),
        }
    }
    accepted.sort();
    assert_eq!(stored, accepted, "exactly the accepted appends are stored");
    for (i, result) in results.iter().enumerate() {
        if requests[i].1 == ExpectedRevision::Any {
            assert!(result.is_ok(), "an Any append failed: {result:?}");
        } else if let Ok(r) = result {
            assert_eq!(r.revision, 0, "a NoStream append won only as the stream's first event");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_ids_never_make_a_second_row() {
    let (_dir, store) = store();
    let first = event(json!({"a": 1}));
    let second = event(json!({"a": 2}));
    store.append("s", ExpectedRevision::NoStream, vec![first.clone(), second.clone()]).await.unwrap();
    let invalid = |r: Result<_, StoreError>| matches!(r, Err(StoreError::Invalid(_)));
    // The same id in another stream.
    assert!(invalid(store.append("t", ExpectedRevision::Any, vec![first.clone()]).await));
    // The same id with other content.
    let changed = EventData { data: json!({"a": 9}), ..first.clone() };
    assert!(invalid(store.append("s", ExpectedRevision::Any, vec![changed.clone()]).await));
    // ... and a request that fails its expectation and is not a retry gets the conflict.
    let conflict = store.append("s", ExpectedRevision::NoStream, vec![changed]).await;
    assert!(matches!(conflict, Err(StoreError::WrongExpectedRevision { actual: Some(1), .. })), "{conflict:?}");
    let changed = EventData { metadata: json!({"actor": "khác"}), ..first.clone() };
    assert!(invalid(store.append("s", ExpectedRevision::Any, vec![changed]).await));
    // A partial overlap with new events.
    let fresh = event(json!({"a": 3}));
    assert!(invalid(store.append("s", ExpectedRevision::Any, vec![second.clone(), fresh.clone()]).await));
    assert!(invalid(store.append("s", ExpectedRevision::Any, vec![fresh.clone(), first.clone()]).await));
    // A retry that expects a position the events are not at is a conflict.
    let wrong = store.append("s", ExpectedRevision::Exact(0), vec![first.clone(), second.clone()]).await;
    assert!(matches!(wrong, Err(StoreError::WrongExpectedRevision { actual: Some(1), .. })), "{wrong:?}");
    // The caller's own `chain` in metadata does not matter for a retry.
    let mut with_chain = vec![first.clone(), second.clone()];
    with_chain[0].metadata["chain"] = json!("abc");
    store.append("s", ExpectedRevision::NoStream, with_chain).await.expect("retry");
    // A retry of the tail only.
    let r = store.append("s", ExpectedRevision::Exact(0), vec![second.clone()]).await.expect("retry of the tail");
    assert_eq!(r.revision, 1);
    assert_eq!(all_ids(&store).await, vec![first.id, second.id]);
    assert!(invalid(store.append("s", ExpectedRevision::Any, vec![]).await), "no events");
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_at_comes_from_the_clock_and_never_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let micros = Arc::new(AtomicI64::new(1_760_000_000_123_456));
    let clock: Clock = {
        let micros = micros.clone();
        Arc::new(move || Utc.timestamp_micros(micros.load(Ordering::SeqCst)).unwrap())
    };
    let store = SqliteStore::open_with_clock(dir.path().join("e.sqlite"), clock).unwrap();
    let at = |m: i64| -> DateTime<Utc> { Utc.timestamp_micros(m).unwrap() };
    store.append("s", ExpectedRevision::Any, vec![event(json!({}))]).await.unwrap();
    micros.store(1_760_000_000_000_000, Ordering::SeqCst); // the clock steps back
    store.append("s", ExpectedRevision::Any, vec![event(json!({}))]).await.unwrap();
    micros.store(1_770_000_000_000_001, Ordering::SeqCst);
    store.append("s", ExpectedRevision::Any, vec![event(json!({}))]).await.unwrap();
    let times: Vec<_> = store.read_all(None, 10).await.unwrap().iter().map(|e| e.recorded_at).collect();
    assert_eq!(times, vec![at(1_760_000_000_123_456), at(1_760_000_000_123_456), at(1_770_000_000_000_001)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_format_is_inspectable() {
    let (dir, store) = store();
    let ev = EventData {
        id: Uuid::from_u128(0x1234),
        event_type: "ĐãGiao".into(),
        data: json!({"z": 1, "a": "Quý IV/2025", "f": 0.5}),
        metadata: Value::Null,
    };
    store.append("kế-hoạch/1", ExpectedRevision::NoStream, vec![ev]).await.unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("events.sqlite")).unwrap();
    let (id, data, metadata, recorded_at): (String, String, String, String) = conn
        .query_row("SELECT id, data, metadata, recorded_at FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(id, "00000000-0000-0000-0000-000000001234");
    assert_eq!(data, r#"{"a":"Quý IV/2025","f":5e-1,"z":1}"#, "data is canonical JSON");
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(metadata.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["chain", "chain_format"]);
    assert_eq!(metadata["chain_format"], 2);
    // Format 2: SHA-256("" || 0x00 || RFC 8785 of the event), the canonical text written
    // here by hand from RFC 8785 §3.2 (members sorted by UTF-16 code units, no whitespace,
    // 0.5 as ECMAScript writes it, strings unescaped but for `"`, `\` and controls).
    let canonical = r#"{"data":{"a":"Quý IV/2025","f":0.5,"z":1},"event_type":"ĐãGiao","id":"00000000-0000-0000-0000-000000001234","metadata":{"chain_format":2},"revision":0,"stream":"kế-hoạch/1"}"#;
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut h, [0u8]);
    sha2::Digest::update(&mut h, canonical.as_bytes());
    assert_eq!(metadata["chain"], hex::encode(sha2::Digest::finalize(h)));
    assert!(recorded_at.ends_with('Z') && recorded_at.len() == "2025-01-01T00:00:00.000000Z".len(), "{recorded_at}");
    let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(canonical_json(&serde_json::from_str(&data).unwrap()), data);
    let _ = chain::CHAIN_KEY;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_run_beside_the_writer_and_subscriptions_outlive_handles() {
    let (_dir, store) = store();
    let mut subscription = store.subscribe_all(None);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { common::append_n(&store, "s", 300).await })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        let page = store.read_stream("s", Direction::Backwards, StreamStart::End, 5).await.unwrap();
        assert!(page.windows(2).all(|w| w[0].revision == w[1].revision + 1));
        reads += 1;
    }
    let ids = writer.await.unwrap();
    assert!(reads > 0);
    drop(store); // the subscription keeps the store open
    use futures::StreamExt;
    let mut got = Vec::new();
    while got.len() < ids.len() {
        got.push(subscription.next().await.unwrap().unwrap().id);
    }
    assert_eq!(got, ids);
}

/// Another process (a CLI import beside the daemon) holds the write lock for 230 ms. The
/// append waiting behind it commits within a few milliseconds of the release. SQLite's
/// default busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between
/// tries (`sqliteDefaultBusyCallback` in sqlite3.c), i.e. it tries at 0, 1, 3, 8, 18, 33,
/// 53, 78, 103, 128, 178, 228 and 328 ms: a lock freed at 230 ms would be taken at 328 ms.
#[tokio::test(flavor = "multi_thread")]
async fn an_append_behind_another_process_s_lock_goes_in_as_soon_as_it_is_freed() {
    let (dir, store) = store();
    store.append("warm", ExpectedRevision::Any, vec![event(json!({}))]).await.unwrap();
    let other = rusqlite::Connection::open(dir.path().join("events.sqlite")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let held = std::time::Duration::from_millis(230);
    let started = std::time::Instant::now();
    let release = std::thread::spawn(move || {
        std::thread::sleep(held);
        other.execute_batch("COMMIT").unwrap();
        std::time::Instant::now()
    });
    store.append("s", ExpectedRevision::Any, vec![event(json!({"after": "the lock"}))]).await.unwrap();
    let done = std::time::Instant::now();
    let freed = release.join().unwrap();
    let late = done.saturating_duration_since(freed);
    println!("lock held {:?}; append done {late:?} after its release", freed - started);
    assert!(done >= freed, "the append cannot commit while the lock is held");
    assert!(late < std::time::Duration::from_millis(40), "the append waited {late:?} after the lock was freed");
}

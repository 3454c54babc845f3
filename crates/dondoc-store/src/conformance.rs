//! The conformance suite every [`EventStore`] backend must pass.
//!
//! Each check is a `pub async fn` taking a store; [`run_all`] runs them all, each on a
//! fresh store from `make`. A check panics (with a message naming what broke) on failure,
//! like a test. Checks use streams with fresh random names and only look at their own
//! events, so they also hold on a shared server that already has history (an EventStoreDB
//! backend): they never assume the log is empty or that positions are dense. They need a
//! multi-threaded tokio runtime (they spawn tasks and use timeouts), e.g.
//! `#[tokio::test(flavor = "multi_thread")]`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::chain::{self, verify_all};
use crate::{AppendResult, Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamStart};

/// How long a check waits for events it expects.
const PATIENCE: Duration = Duration::from_secs(60);

/// How many checks [`run_all`] runs, each on a store `make` returns.
pub const CHECKS: usize = 12;

/// Runs every check, each on a fresh store from `make`.
pub async fn run_all<S: EventStore>(make: impl Fn() -> S) {
    run_all_sized(make, 1 << 20).await;
}

/// [`run_all`] with the large event at `big_event_bytes` (a backend whose server limits
/// the size of an append, as EventStoreDB does at 1 MiB, passes a size below its limit).
pub async fn run_all_sized<S: EventStore>(make: impl Fn() -> S, big_event_bytes: usize) {
    expected_revision_conflicts(&make()).await;
    append_results(&make()).await;
    concurrent_writers(&make()).await;
    read_all_order(&make()).await;
    read_all_keeping_metadata(&make()).await;
    read_stream_directions(&make()).await;
    subscription_handover(&make()).await;
    large_and_vietnamese_sized(&make(), big_event_bytes).await;
    idempotent_retry(&make()).await;
    invalid_requests(&make()).await;
    chains_verify(&make()).await;
    group_appends_are_atomic(&make()).await;
}

/// A stream name no other run uses.
pub fn fresh_stream(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

/// An event with a fresh id, type `T` and the given data.
pub fn event(data: Value) -> EventData {
    EventData { id: Uuid::new_v4(), event_type: "KiemThu".into(), data, metadata: json!({"nguon": "conformance"}) }
}

fn events(n: usize, tag: &str) -> Vec<EventData> {
    (0..n).map(|i| event(json!({"tag": tag, "i": i}))).collect()
}

async fn append_ok<S: EventStore>(
    store: &S,
    stream: &str,
    expected: ExpectedRevision,
    ev: Vec<EventData>,
) -> AppendResult {
    match store.append(stream, expected, ev).await {
        Ok(result) => result,
        Err(e) => panic!("append to {stream} expecting {expected} failed: {e}"),
    }
}

async fn read_forwards<S: EventStore>(store: &S, stream: &str) -> Vec<RecordedEvent> {
    store.read_stream(stream, Direction::Forwards, StreamStart::Start, usize::MAX).await.expect("read_stream")
}

fn assert_conflict(
    result: Result<AppendResult, StoreError>,
    stream: &str,
    expected: ExpectedRevision,
    actual: Option<u64>,
) {
    match result {
        Err(StoreError::WrongExpectedRevision { stream: s, expected: e, actual: a }) => {
            assert_eq!((s.as_str(), e, a), (stream, expected, actual), "conflict fields");
        }
        other => panic!("expected a conflict on {stream} expecting {expected} (actual {actual:?}), got {other:?}"),
    }
}

fn revisions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.revision).collect()
}

fn ids(events: &[RecordedEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

/// A wrong expected revision is a typed conflict carrying the actual revision, for
/// `NoStream`, `StreamExists` and `Exact`, and writes nothing.
pub async fn expected_revision_conflicts<S: EventStore>(store: &S) {
    let s = fresh_stream("conflict");
    assert_conflict(
        store.append(&s, ExpectedRevision::StreamExists, events(1, "x")).await,
        &s,
        ExpectedRevision::StreamExists,
        None,
    );
    assert_conflict(
        store.append(&s, ExpectedRevision::Exact(0), events(1, "x")).await,
        &s,
        ExpectedRevision::Exact(0),
        None,
    );
    assert!(read_forwards(store, &s).await.is_empty(), "a refused append wrote something");

    let mut written = Vec::new();
    let first = events(1, "a");
    written.push(first[0].id);
    assert_eq!(append_ok(store, &s, ExpectedRevision::NoStream, first).await.revision, 0);
    assert_conflict(
        store.append(&s, ExpectedRevision::NoStream, events(1, "x")).await,
        &s,
        ExpectedRevision::NoStream,
        Some(0),
    );
    assert_conflict(
        store.append(&s, ExpectedRevision::Exact(1), events(1, "x")).await,
        &s,
        ExpectedRevision::Exact(1),
        Some(0),
    );
    assert_conflict(
        store.append(&s, ExpectedRevision::Exact(7), events(2, "x")).await,
        &s,
        ExpectedRevision::Exact(7),
        Some(0),
    );

    for (expected, revision) in
        [(ExpectedRevision::Exact(0), 1), (ExpectedRevision::StreamExists, 2), (ExpectedRevision::Any, 3)]
    {
        let ev = events(1, "ok");
        written.push(ev[0].id);
        assert_eq!(append_ok(store, &s, expected, ev).await.revision, revision, "append expecting {expected}");
    }
    assert_conflict(
        store.append(&s, ExpectedRevision::Exact(2), events(1, "x")).await,
        &s,
        ExpectedRevision::Exact(2),
        Some(3),
    );
    let stored = read_forwards(store, &s).await;
    assert_eq!(revisions(&stored), vec![0, 1, 2, 3], "revisions after conflicts");
    assert_eq!(ids(&stored), written, "only the accepted events are stored");
}

/// A multi-event append is atomic and reports its last revision and position.
pub async fn append_results<S: EventStore>(store: &S) {
    let s = fresh_stream("batch");
    let first = append_ok(store, &s, ExpectedRevision::NoStream, events(5, "a")).await;
    assert_eq!(first.revision, 4);
    let second = append_ok(store, &s, ExpectedRevision::Exact(4), events(3, "b")).await;
    assert_eq!(second.revision, 7);
    assert!(second.position > first.position, "positions increase");
    let stored = read_forwards(store, &s).await;
    assert_eq!(revisions(&stored), (0..8).collect::<Vec<_>>());
    assert!(stored.windows(2).all(|w| w[0].position < w[1].position), "positions increase within a stream");
    assert_eq!(stored[4].position, first.position);
    assert_eq!(stored[7].position, second.position);
    let last = store.last_position().await.expect("last_position").expect("a last position");
    assert!(last >= second.position, "last_position {last} before the last append {}", second.position);
}

/// Ten writers race on one stream: exactly one wins each revision, the others get the
/// conflict with the winner's revision, and revisions are contiguous.
pub async fn concurrent_writers<S: EventStore>(store: &S) {
    const WRITERS: usize = 10;
    const ROUNDS: u64 = 20;
    let s = fresh_stream("race");
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let expected = if round == 0 { ExpectedRevision::NoStream } else { ExpectedRevision::Exact(round - 1) };
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, s) = (store.clone(), s.clone());
                let ev = event(json!({"writer": w, "round": round}));
                let id = ev.id;
                tokio::spawn(async move { (id, store.append(&s, expected, vec![ev]).await) })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            let (id, result) = task.await.expect("writer task");
            match result {
                Ok(r) => {
                    assert_eq!(r.revision, round, "winner's revision");
                    winners.push(id);
                    wins += 1;
                }
                Err(_) => assert_conflict(result, &s, expected, Some(round)),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one writer wins");
    }
    let stored = read_forwards(store, &s).await;
    assert_eq!(revisions(&stored), (0..ROUNDS).collect::<Vec<_>>());
    assert_eq!(ids(&stored), winners);
    free_running_writers(store).await;
}

/// Ten writers each read the end of the stream and append with `Exact`, retrying on
/// conflicts, until 200 events are written: no event lost or doubled.
async fn free_running_writers<S: EventStore>(store: &S) {
    const WRITERS: usize = 10;
    const PER_WRITER: usize = 20;
    let s = fresh_stream("race-free");
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while mine.len() < PER_WRITER {
                    let last =
                        store.read_stream(&s, Direction::Backwards, StreamStart::End, 1).await.expect("read end");
                    let expected =
                        last.first().map_or(ExpectedRevision::NoStream, |e| ExpectedRevision::Exact(e.revision));
                    let ev = event(json!({"writer": w, "n": mine.len()}));
                    let id = ev.id;
                    match store.append(&s, expected, vec![ev]).await {
                        Ok(r) => mine.push((r.revision, id)),
                        Err(StoreError::WrongExpectedRevision { .. }) => tokio::task::yield_now().await,
                        Err(e) => panic!("writer {w}: {e}"),
                    }
                }
                mine
            })
        })
        .collect();
    let mut won: Vec<(u64, Uuid)> = Vec::new();
    for task in tasks {
        won.extend(task.await.expect("writer task"));
    }
    won.sort();
    let stored = read_forwards(store, &s).await;
    assert_eq!(revisions(&stored), (0..(WRITERS * PER_WRITER) as u64).collect::<Vec<_>>());
    assert_eq!(stored.iter().map(|e| (e.revision, e.id)).collect::<Vec<_>>(), won, "each success is stored once");
}

/// `read_all_keeping` reads what `read_all` reads; each event's metadata holds the named
/// keys it has, and at most what `read_all` gives (a backend may keep everything).
pub async fn read_all_keeping_metadata<S: EventStore>(store: &S) {
    let start = store.last_position().await.expect("last_position");
    let stream = fresh_stream("keeping");
    let mut ev = event(json!({"i": 1}));
    ev.metadata = json!({"schema_version": 3, "nguon": "conformance", "ghi_chu": {"a": [1, "hai"]}});
    append_ok(store, &stream, ExpectedRevision::NoStream, vec![ev]).await;
    let whole = store.read_all(start, 10_000).await.expect("read_all");
    let kept = store.read_all_keeping(start, 10_000, &["schema_version", "absent"]).await.expect("read_all_keeping");
    let ids = |v: &[RecordedEvent]| v.iter().map(|e| (e.id, e.position, e.data.clone())).collect::<Vec<_>>();
    assert_eq!(ids(&kept), ids(&whole), "the same events, in the same order, with the same data");
    for (k, w) in kept.iter().zip(&whole) {
        let (Some(k), Some(w)) = (k.metadata.as_object(), w.metadata.as_object()) else {
            panic!("metadata of {} is not an object", k.id)
        };
        assert_eq!(k.get("schema_version"), w.get("schema_version"), "a named key is kept");
        assert!(k.get("absent").is_none(), "a key the event lacks is not made up");
        assert!(k.iter().all(|(key, value)| w.get(key) == Some(value)), "nothing is added or changed");
    }
    let ours = kept.iter().find(|e| e.stream == stream).expect("the appended event");
    assert_eq!(ours.metadata["schema_version"], json!(3));
}

/// `read_all` returns events in commit order with strictly increasing positions, pages
/// without loss, and starts strictly after `after`.
pub async fn read_all_order<S: EventStore>(store: &S) {
    let start = store.last_position().await.expect("last_position");
    let streams: Vec<String> = (0..3).map(|i| fresh_stream(&format!("order{i}"))).collect();
    let mut sequential = Vec::new();
    for i in 0..30 {
        let ev = event(json!({"i": i}));
        let id = ev.id;
        let r = append_ok(store, &streams[i % 3], ExpectedRevision::Any, vec![ev]).await;
        sequential.push((id, r.position));
    }
    let concurrent = concurrent_appends(store, &streams, 8, 10).await;
    let ours: HashSet<&str> = streams.iter().map(String::as_str).collect();
    let all = read_all_paged(store, start, 7, |e| ours.contains(e.stream.as_str()), 30 + 80).await;

    let read_ids: Vec<Uuid> = all.iter().map(|e| e.id).collect();
    assert_eq!(&read_ids[..30], sequential.iter().map(|(id, _)| *id).collect::<Vec<_>>(), "sequential commit order");
    let expected: HashMap<Uuid, u64> = sequential.into_iter().chain(concurrent).collect();
    assert_eq!(all.len(), expected.len(), "every appended event read once");
    for e in &all {
        assert_eq!(expected.get(&e.id), Some(&e.position), "position of {} as returned by append", e.id);
    }
    let middle = all[all.len() / 2].position;
    let after = store.read_all(Some(middle), 5).await.expect("read_all after");
    assert!(after.iter().all(|e| e.position > middle), "read_all(after) starts strictly after");
    assert!(store.read_all(start, 0).await.expect("read_all max 0").is_empty(), "max 0 reads nothing");
}

/// `writers` tasks each append `each` single events to the streams; returns (id, position).
async fn concurrent_appends<S: EventStore>(
    store: &S,
    streams: &[String],
    writers: usize,
    each: usize,
) -> Vec<(Uuid, u64)> {
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let streams = streams.to_vec();
            tokio::spawn(async move {
                let mut done = Vec::new();
                for i in 0..each {
                    let ev = event(json!({"w": w, "i": i}));
                    let id = ev.id;
                    let r = store.append(&streams[(w + i) % streams.len()], ExpectedRevision::Any, vec![ev]).await;
                    done.push((id, r.expect("concurrent append").position));
                }
                done
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer task"));
    }
    all
}

/// Reads the log after `start` in pages of `page` until `want` events pass `keep`; checks
/// that positions strictly increase over everything read.
async fn read_all_paged<S: EventStore>(
    store: &S,
    start: Option<u64>,
    page: usize,
    keep: impl Fn(&RecordedEvent) -> bool,
    want: usize,
) -> Vec<RecordedEvent> {
    let mut after = start;
    let mut kept = Vec::new();
    loop {
        let batch = store.read_all(after, page).await.expect("read_all");
        assert!(batch.len() <= page, "read_all returned more than max");
        for e in &batch {
            assert!(after.is_none_or(|a| e.position > a), "positions strictly increase");
            after = Some(e.position);
        }
        kept.extend(batch.iter().filter(|e| keep(e)).cloned());
        if batch.is_empty() || kept.len() >= want {
            return kept;
        }
    }
}

/// Reading a stream forwards and backwards, from the start, a revision and the end.
pub async fn read_stream_directions<S: EventStore>(store: &S) {
    let s = fresh_stream("dirs");
    append_ok(store, &s, ExpectedRevision::NoStream, events(10, "d")).await;
    let name = s.as_str();
    let read = |direction, start, max| async move {
        revisions(&store.read_stream(name, direction, start, max).await.expect("read_stream"))
    };
    use Direction::{Backwards, Forwards};
    use StreamStart::{End, Revision, Start};
    assert_eq!(read(Forwards, Start, 100).await, (0..10).collect::<Vec<_>>(), "forwards from start");
    assert_eq!(read(Forwards, Start, 3).await, vec![0, 1, 2], "forwards from start, max 3");
    assert_eq!(read(Forwards, Revision(3), 4).await, vec![3, 4, 5, 6], "forwards from 3");
    assert_eq!(read(Forwards, Revision(9), 4).await, vec![9], "forwards from the last");
    assert_eq!(read(Forwards, Revision(10), 4).await, Vec::<u64>::new(), "forwards past the end");
    assert_eq!(read(Forwards, End, 4).await, Vec::<u64>::new(), "forwards from end reads nothing");
    assert_eq!(read(Backwards, End, 3).await, vec![9, 8, 7], "backwards from end");
    assert_eq!(read(Backwards, Revision(5), 100).await, vec![5, 4, 3, 2, 1, 0], "backwards from 5");
    assert_eq!(read(Backwards, Revision(20), 2).await, vec![9, 8], "backwards from past the end");
    assert_eq!(read(Backwards, Start, 5).await, vec![0], "backwards from start");
    assert_eq!(read(Forwards, Start, 0).await, Vec::<u64>::new(), "max 0");
    let missing = fresh_stream("missing");
    let none = store.read_stream(&missing, Forwards, Start, 10).await.expect("read missing");
    assert!(none.is_empty(), "a missing stream reads as empty");
    let stored = store.read_stream(&s, Forwards, Start, 100).await.expect("read_stream");
    assert!(stored.iter().all(|e| e.stream == s), "stream name kept");
    assert!(stored.windows(2).all(|w| w[0].position < w[1].position), "positions follow revisions");
}

/// Catch-up then live: a subscription started while writers keep appending delivers every
/// event once, in position order, with no gap at the hand-over.
pub async fn subscription_handover<S: EventStore>(store: &S) {
    let start = store.last_position().await.expect("last_position");
    let streams: Vec<String> = (0..2).map(|i| fresh_stream(&format!("sub{i}"))).collect();
    let mut expected: Vec<Uuid> = Vec::new();
    for i in 0..300 {
        let ev = event(json!({"before": i}));
        expected.push(ev.id);
        append_ok(store, &streams[i % 2], ExpectedRevision::Any, vec![ev]).await;
    }
    let live: Vec<EventData> = (0..300).map(|i| event(json!({"during": i}))).collect();
    expected.extend(live.iter().map(|e| e.id));
    let writer = {
        let (store, streams) = (store.clone(), streams.clone());
        tokio::spawn(async move {
            for (i, ev) in live.into_iter().enumerate() {
                append_ok(&store, &streams[i % 2], ExpectedRevision::Any, vec![ev]).await;
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        })
    };
    let mut subscription = store.subscribe_all(start);
    let mut got = take_ours(&mut subscription, &streams, start, 300).await;
    writer.await.expect("writer task");
    got.extend(take_ours(&mut subscription, &streams, got.last().map(|e| e.position), 300).await);
    let after_live: Vec<EventData> = (0..5).map(|i| event(json!({"after": i}))).collect();
    expected.extend(after_live.iter().map(|e| e.id));
    append_ok(store, &streams[0], ExpectedRevision::Any, after_live).await;
    got.extend(take_ours(&mut subscription, &streams, got.last().map(|e| e.position), 5).await);

    let got_ids: Vec<Uuid> = got.iter().map(|e| e.id).collect();
    assert_eq!(got_ids.iter().collect::<HashSet<_>>().len(), got_ids.len(), "no duplicate");
    let ours: HashSet<&str> = streams.iter().map(String::as_str).collect();
    let stored = read_all_paged(store, start, 100, |e| ours.contains(e.stream.as_str()), expected.len()).await;
    assert_eq!(got_ids, stored.iter().map(|e| e.id).collect::<Vec<_>>(), "subscription order = read_all order");
    let mut sorted = expected.clone();
    sorted.sort();
    let mut got_sorted = got_ids;
    got_sorted.sort();
    assert_eq!(got_sorted, sorted, "every event delivered");

    let middle = got[got.len() / 2].position;
    let mut later = store.subscribe_all(Some(middle));
    let first = tokio::time::timeout(PATIENCE, later.next()).await.expect("subscription from the middle");
    assert!(first.expect("an event").expect("no error").position > middle, "subscription starts strictly after");
}

/// Takes events from `subscription` until `count` events of `streams` have arrived;
/// checks that all positions strictly increase from `after`.
async fn take_ours(
    subscription: &mut futures::stream::BoxStream<'static, Result<RecordedEvent, StoreError>>,
    streams: &[String],
    mut after: Option<u64>,
    count: usize,
) -> Vec<RecordedEvent> {
    let mut got = Vec::new();
    while got.len() < count {
        let next = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("subscription stalled after {} of {count} events", got.len()));
        let event = next.expect("subscription ended").expect("subscription error");
        assert!(after.is_none_or(|a| event.position > a), "subscription positions strictly increase");
        after = Some(event.position);
        if streams.contains(&event.stream) {
            got.push(event);
        }
    }
    got
}

/// NFC and NFD decompositions of a Vietnamese text.
pub fn vietnamese_samples() -> [(&'static str, &'static str); 3] {
    [
        ("Hoàn thành đúng hạn", "Hoa\u{300}n tha\u{300}nh đu\u{301}ng ha\u{323}n"),
        ("Quý IV/2025", "Quy\u{301} IV/2025"),
        ("Sở Kế hoạch và Đầu tư", "S\u{1a1}\u{309} Ê\u{301} hoa\u{323}ch va\u{300} Đâ\u{300}u tư"),
    ]
}

/// A 1 MB event and Vietnamese text (NFC and NFD) in stream names, types, data and
/// metadata round-trip byte for byte; NFC and NFD names are different streams.
pub async fn large_and_vietnamese<S: EventStore>(store: &S) {
    large_and_vietnamese_sized(store, 1 << 20).await;
}

/// [`large_and_vietnamese`] with a large event of at least `big_event_bytes`.
pub async fn large_and_vietnamese_sized<S: EventStore>(store: &S, big_event_bytes: usize) {
    let base = fresh_stream("vi");
    for (nfc, nfd) in vietnamese_samples() {
        assert_ne!(nfc.as_bytes(), nfd.as_bytes());
        let streams = [format!("{base} {nfc}"), format!("{base} {nfd}")];
        for (stream, text) in streams.iter().zip([nfc, nfd]) {
            let ev = EventData {
                id: Uuid::new_v4(),
                event_type: format!("Đã cập nhật {text}"),
                data: json!({"văn bản": text, "kỳ": "Quý IV/2025", "nested": {"đ": [text, 1, -2, 0.1, 1.0, null, true]}}),
                metadata: json!({"người gửi": text}),
            };
            append_ok(store, stream, ExpectedRevision::NoStream, vec![ev.clone()]).await;
            let stored = read_forwards(store, stream).await;
            assert_eq!(stored.len(), 1, "{stream:?}: NFC and NFD are distinct streams");
            assert_same_event(&stored[0], stream, &ev);
        }
    }
    let big_text = big_vietnamese(big_event_bytes);
    let big = EventData {
        id: Uuid::new_v4(),
        event_type: "Lớn".into(),
        data: json!({"nội dung": big_text, "số": [u64::MAX, i64::MIN, 2.5e-8, f64::MAX, -0.0]}),
        metadata: json!({}),
    };
    let s = format!("{base} lớn");
    append_ok(store, &s, ExpectedRevision::NoStream, vec![big.clone()]).await;
    let stored = read_forwards(store, &s).await;
    assert_same_event(&stored[0], &s, &big);
    let from_log = store.read_all(stored[0].position.checked_sub(1), 1).await.expect("read_all");
    assert_eq!(from_log.first().map(|e| &e.data), Some(&big.data), "large event through read_all");
}

/// At least `bytes` bytes of mixed NFC and NFD Vietnamese.
fn big_vietnamese(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 64);
    let samples = vietnamese_samples();
    let mut i = 0;
    while text.len() < bytes {
        let (nfc, nfd) = samples[i % samples.len()];
        text.push_str(if i % 2 == 0 { nfc } else { nfd });
        text.push_str("; ");
        i += 1;
    }
    text
}

fn assert_same_event(stored: &RecordedEvent, stream: &str, sent: &EventData) {
    assert_eq!(stored.stream.as_bytes(), stream.as_bytes(), "stream name bytes");
    assert_eq!(stored.id, sent.id);
    assert_eq!(stored.event_type.as_bytes(), sent.event_type.as_bytes(), "event type bytes");
    assert!(stored.data == sent.data, "data of {} differs after the round trip", sent.id);
    let mut metadata = stored.metadata.clone();
    let members = metadata.as_object_mut().expect("metadata is an object");
    // The backend's own members: the chain and its format.
    members.remove(chain::CHAIN_KEY);
    members.remove(chain::FORMAT_KEY);
    assert_eq!(metadata, sent.metadata, "metadata (without chain)");
}

/// Retrying an append with the same events and expected revision succeeds without
/// writing again.
pub async fn idempotent_retry<S: EventStore>(store: &S) {
    let s = fresh_stream("retry");
    let first = events(2, "r");
    let original = append_ok(store, &s, ExpectedRevision::NoStream, first.clone()).await;
    let retried = append_ok(store, &s, ExpectedRevision::NoStream, first.clone()).await;
    assert_eq!(retried, original, "retry with NoStream");
    let retried = append_ok(store, &s, ExpectedRevision::Any, first.clone()).await;
    assert_eq!(retried, original, "retry with Any");
    let next = events(1, "n");
    let third = append_ok(store, &s, ExpectedRevision::Exact(1), next.clone()).await;
    assert_eq!(append_ok(store, &s, ExpectedRevision::Exact(1), next.clone()).await, third, "retry with Exact");
    let stored = read_forwards(store, &s).await;
    assert_eq!(ids(&stored), first.iter().chain(&next).map(|e| e.id).collect::<Vec<_>>(), "nothing written twice");
}

/// Requests that cannot be valid are refused as [`StoreError::Invalid`].
pub async fn invalid_requests<S: EventStore>(store: &S) {
    let invalid = |r: Result<AppendResult, StoreError>, what: &str| {
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{what}: expected Invalid, got {r:?}");
    };
    invalid(store.append("", ExpectedRevision::Any, events(1, "x")).await, "empty stream name");
    let s = fresh_stream("invalid");
    let mut not_object = event(json!(null));
    not_object.data = json!(["không phải đối tượng"]);
    invalid(store.append(&s, ExpectedRevision::Any, vec![not_object]).await, "data not an object");
    assert!(read_forwards(store, &s).await.is_empty(), "an invalid request wrote something");
}

/// Every event carries a chain value that recomputes, a caller's `chain` is replaced, and
/// [`verify_all`] finds no break.
pub async fn chains_verify<S: EventStore>(store: &S) {
    let streams: Vec<String> = (0..3).map(|i| fresh_stream(&format!("chain{i}"))).collect();
    for round in 0..4 {
        for (i, s) in streams.iter().enumerate() {
            let mut ev = events(round + 1, "c");
            ev[0].metadata = json!({"chain": "giả mạo", "actor": i});
            append_ok(store, s, ExpectedRevision::Any, ev).await;
        }
    }
    for s in &streams {
        let mut prev: Option<String> = None;
        for e in read_forwards(store, s).await {
            let stored = chain::chain_of(&e).unwrap_or_else(|| panic!("{s}@{}: no chain", e.revision)).to_owned();
            assert_eq!(stored, chain::expected_chain(prev.as_deref(), &e), "{s}@{}: chain", e.revision);
            let canonical = chain::canonical_bytes(&e.stream, e.revision, &e.event_type, &e.id, &e.data, &e.metadata);
            assert_eq!(stored, chain::next_chain(prev.as_deref(), &canonical), "{s}@{}: next_chain", e.revision);
            prev = Some(stored);
        }
    }
    let report = verify_all(store).await.expect("verify_all");
    assert_eq!(report.first_break, None, "verify_all found a break");
    assert!(report.events >= 30 && report.streams >= 3, "verify_all read too little: {report:?}");
}

/// A group append commits every stream's events, or none when one expectation fails.
pub async fn group_appends_are_atomic<S: EventStore>(store: &S) {
    use crate::StreamAppend;
    let a = fresh_stream("group-a");
    let b = fresh_stream("group-b");
    store.append(&b, ExpectedRevision::NoStream, events(1, "b0")).await.expect("seed b");
    let before = store.last_position().await.expect("position");

    // b is at revision 0, so expecting NoStream fails: nothing of the group is written.
    let refused = store
        .append_group(vec![
            StreamAppend { stream: a.clone(), expected: ExpectedRevision::NoStream, events: events(2, "a") },
            StreamAppend { stream: b.clone(), expected: ExpectedRevision::NoStream, events: events(1, "b1") },
        ])
        .await;
    match refused {
        Err(StoreError::WrongExpectedRevision { stream, actual: Some(0), .. }) => assert_eq!(stream, b),
        other => panic!("expected a conflict on {b}, got {other:?}"),
    }
    assert!(read_forwards(store, &a).await.is_empty(), "no part of a refused group may be visible");
    assert_eq!(read_forwards(store, &b).await.len(), 1);
    assert_eq!(store.last_position().await.expect("position"), before);

    let results = store
        .append_group(vec![
            StreamAppend { stream: a.clone(), expected: ExpectedRevision::NoStream, events: events(2, "a") },
            StreamAppend { stream: b.clone(), expected: ExpectedRevision::Exact(0), events: events(1, "b1") },
        ])
        .await
        .expect("group commits");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].revision, 1);
    assert_eq!(results[1].revision, 1);
    assert!(results[0].position < results[1].position);
    assert_eq!(read_forwards(store, &a).await.len(), 2);
    assert_eq!(read_forwards(store, &b).await.len(), 2);
    let report = verify_all(store).await.expect("verify");
    assert!(report.first_break.is_none(), "{report:?}");
    assert!(store.append_group(Vec::new()).await.expect("empty group").is_empty());
}

/// Two handles on one log (two writers, each remembering what it wrote) taking turns on
/// the same streams: a writer whose knowledge is stale must not write on it, so revisions
/// stay contiguous, a stale expectation is refused and every chain verifies.
pub async fn writers_taking_turns<S: EventStore>(a: &S, b: &S) {
    let s = fresh_stream("turns");
    let any = format!("{s}-any");
    let ev = |n: usize| event(json!({"n": n}));
    a.append(&s, ExpectedRevision::NoStream, vec![ev(0)]).await.expect("first");
    for n in 1..40usize {
        let (writer, other) = if n % 2 == 0 { (a, b) } else { (b, a) };
        let r = writer.append(&s, ExpectedRevision::Exact(n as u64 - 1), vec![ev(n)]).await.expect("in turn");
        assert_eq!(r.revision, n as u64);
        // The other handle last wrote the stream one revision earlier: refused, not written.
        match other.append(&s, ExpectedRevision::Exact(n as u64 - 1), vec![ev(1000 + n)]).await {
            Err(StoreError::WrongExpectedRevision { actual: Some(actual), .. }) => assert_eq!(actual, n as u64),
            other => panic!("a stale expectation was not refused: {other:?}"),
        }
        // Any goes after whatever the other handle wrote.
        let r = other.append(&any, ExpectedRevision::Any, vec![ev(n)]).await.expect("any");
        assert_eq!(r.revision, n as u64 - 1);
    }
    for stream in [&s, &any] {
        let mut prev: Option<String> = None;
        let stored = read_forwards(a, stream).await;
        for (i, e) in stored.iter().enumerate() {
            assert_eq!(e.revision, i as u64, "{stream}: contiguous revisions");
            let value = chain::chain_of(e).expect("a chain").to_owned();
            assert_eq!(value, chain::expected_chain(prev.as_deref(), e), "{stream}@{}: chain", e.revision);
            prev = Some(value);
        }
    }
    assert_eq!(read_forwards(a, &s).await.len(), 40);
    assert_eq!(read_forwards(b, &any).await.len(), 39);
}

//! The store's conformance suite and EventStoreDB-specific behaviour, against the
//! wire-level peer (`dondoc_testkit::esdb`: a gRPC server built from the official
//! `.proto` files, with EventStoreDB's semantics) and, when `DONDOC_ESDB_URL` names one,
//! against a real EventStoreDB/KurrentDB server as well.

use std::time::{Duration, Instant};

use dondoc_store::esdb::{EsdbStore, group, lease};
use dondoc_store::{EventStore, ExpectedRevision, StoreError, StreamAppend, conformance};
use dondoc_testkit::esdb::{EsdbPeer, MAX_APPEND_SIZE};
use futures::StreamExt;
use serde_json::json;

/// Large events stay below the server's append limit (1 MiB of data and metadata).
const BIG: usize = 900 * 1024;

macro_rules! check {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let peer = EsdbPeer::start();
            let store = EsdbStore::connect(&peer.url()).await.expect("connect");
            conformance::$name(&store).await;
        }
    )*};
}

check!(
    expected_revision_conflicts,
    append_results,
    concurrent_writers,
    read_all_order,
    read_stream_directions,
    subscription_handover,
    idempotent_retry,
    invalid_requests,
    chains_verify,
    group_appends_are_atomic,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_and_vietnamese() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    conformance::large_and_vietnamese_sized(&store, BIG).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_on_one_shared_log_and_on_separate_clients() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    conformance::run_all_sized(|| store.clone(), BIG).await;
    let mut handles = Vec::new();
    for _ in 0..conformance::CHECKS {
        handles.push(EsdbStore::connect(&peer.url()).await.expect("connect"));
    }
    let handles = std::sync::Mutex::new(handles.into_iter());
    conformance::run_all_sized(|| handles.lock().unwrap().next().expect("a client per check"), BIG).await;
}

/// Two clients, each remembering the heads it wrote, taking turns on one stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_in_two_clients_taking_turns_never_trust_stale_knowledge() {
    let peer = EsdbPeer::start();
    let a = EsdbStore::connect(&peer.url()).await.expect("a");
    let b = EsdbStore::connect(&peer.url()).await.expect("b");
    conformance::writers_taking_turns(&a, &b).await;
}

/// The suite against a real server, when one is named (see docs/operations.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_against_a_real_server_when_named() {
    let Ok(url) = std::env::var("DONDOC_ESDB_URL") else {
        dondoc_testkit::skip::skip(
            "conformance_esdb::run_all_against_a_real_server_when_named",
            "DONDOC_ESDB_URL is not set: the suite ran against the wire-level peer only",
        );
        return;
    };
    let store = EsdbStore::connect(&url).await.expect("connect to DONDOC_ESDB_URL");
    conformance::run_all_sized(|| store.clone(), BIG).await;
}

fn event(tag: &str) -> dondoc_store::EventData {
    conformance::event(json!({"tag": tag}))
}

/// An append over the server's limit is refused as invalid, naming the limit; nothing is
/// written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_over_the_size_limit_is_refused_with_the_limit() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let big = conformance::event(json!({"text": "x".repeat(MAX_APPEND_SIZE + 1)}));
    let s = conformance::fresh_stream("too-big");
    match store.append(&s, ExpectedRevision::NoStream, vec![big]).await {
        Err(StoreError::Invalid(message)) => assert!(message.contains("1048576"), "{message}"),
        other => panic!("expected Invalid naming the limit, got {other:?}"),
    }
    assert!(peer.stream_ids(&s).is_empty());
}

/// Positions are the server's `$all` positions (with gaps, after the server's own system
/// events), hidden from dondoc's log; reading after a position is exclusive although the
/// server's read is inclusive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_are_all_positions_without_system_events() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    assert_eq!(store.last_position().await.unwrap(), None, "system events are not the log");
    let s = conformance::fresh_stream("pos");
    let first = store.append(&s, ExpectedRevision::NoStream, vec![event("a"), event("b")]).await.unwrap();
    let all = store.read_all(None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].position > 0, "the server's system events come first");
    assert!(all[1].position > all[0].position + 1, "positions are log offsets, with gaps");
    assert_eq!(first.position, all[1].position);
    let after = store.read_all(Some(all[0].position), 10).await.unwrap();
    assert_eq!(after.iter().map(|e| e.id).collect::<Vec<_>>(), vec![all[1].id]);
    assert_eq!(store.last_position().await.unwrap(), Some(all[1].position));
}

/// Connected to a follower, an append is answered "not leader"; the client reconnects to
/// the leader it names and the store sends the append again, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_leader_is_followed_to_the_leader() {
    let peer = EsdbPeer::start_cluster();
    let store = EsdbStore::connect(&peer.follower_url().unwrap()).await.expect("connect");
    let s = conformance::fresh_stream("leader");
    let e = event("x");
    let result = store.append(&s, ExpectedRevision::NoStream, vec![e.clone()]).await.expect("append via the leader");
    assert_eq!(result.revision, 0);
    assert!(peer.not_leader_answers() >= 1, "the follower was asked first");
    assert_eq!(peer.stream_ids(&s), vec![e.id.to_string()]);
    // Later requests go to the leader directly.
    let before = peer.not_leader_answers();
    store.append(&s, ExpectedRevision::Exact(0), vec![event("y")]).await.expect("second append");
    assert_eq!(peer.not_leader_answers(), before);
}

/// A deadline that passes while the server commits: the store sends the append again and
/// the server's idempotence returns the original result; nothing is written twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passed_deadline_is_retried_without_writing_twice() {
    let peer = EsdbPeer::start();
    let url = format!("{}&defaultDeadline=500", peer.url());
    let store = EsdbStore::connect(&url).await.expect("connect");
    let s = conformance::fresh_stream("deadline");
    peer.delay_append_replies(1, Duration::from_secs(2));
    let events = vec![event("a"), event("b")];
    let result = store.append(&s, ExpectedRevision::NoStream, events.clone()).await.expect("append");
    assert_eq!(result.revision, 1);
    assert_eq!(peer.stream_ids(&s), events.iter().map(|e| e.id.to_string()).collect::<Vec<_>>());
}

/// An unreachable server is named within 10 s; a client that gave up is replaced and the
/// store works again when the server is back, with nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_then_back() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = Instant::now();
    let Err(e) = EsdbStore::connect(&format!("esdb://127.0.0.1:{port}?tls=false")).await else {
        panic!("connected to nothing")
    };
    assert!(started.elapsed() < Duration::from_secs(11), "took {:?}", started.elapsed());
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");

    let mut peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let s = conformance::fresh_stream("back");
    store.append(&s, ExpectedRevision::NoStream, vec![event("1")]).await.unwrap();
    peer.stop();
    let refused = store.append(&s, ExpectedRevision::Exact(0), vec![event("2")]).await;
    assert!(matches!(refused, Err(StoreError::Backend(_))), "{refused:?}");
    peer.restart();
    let mut resumed = None;
    for _ in 0..50 {
        match store.append(&s, ExpectedRevision::Exact(0), vec![event("2")]).await {
            Ok(r) => {
                resumed = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(resumed.expect("the store works again").revision, 1);
    assert_eq!(peer.stream_ids(&s).len(), 2);
}

/// A client expecting TLS against a server without it: the error says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_mismatch_is_named() {
    let peer = EsdbPeer::start();
    let url = format!("esdb://{}?tls=true&tlsVerifyCert=false", peer.addr());
    let Err(e) = EsdbStore::connect(&url).await else { panic!("a TLS client talked to a plain server") };
    let message = e.to_string();
    assert!(message.contains(&peer.addr().to_string()), "{message}");
    assert!(message.contains("TLS"), "{message}");
}

/// A writer that dies after its group's commit point: the next connection finishes the
/// group, each part once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_committed_but_not_applied_is_finished_by_the_next_connection() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let a = conformance::fresh_stream("ga");
    let b = conformance::fresh_stream("gb");
    store.append(&b, ExpectedRevision::NoStream, vec![event("b0")]).await.unwrap();
    let parts = vec![
        StreamAppend {
            stream: a.clone(),
            expected: ExpectedRevision::NoStream,
            events: vec![event("a0"), event("a1")],
        },
        StreamAppend { stream: b.clone(), expected: ExpectedRevision::Exact(0), events: vec![event("b1")] },
    ];
    group::commit_intent_only(&store, parts).await.unwrap();
    assert!(peer.stream_ids(&a).is_empty(), "only the intent is written");
    let next = EsdbStore::connect(&peer.url()).await.expect("reconnect");
    assert_eq!(peer.stream_ids(&a).len(), 2);
    assert_eq!(peer.stream_ids(&b).len(), 2);
    assert_eq!(group::finish_pending_groups(&next).await.unwrap(), 0, "finished once");
    let report = dondoc_store::chain::verify_all(&next).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

/// Live subscription: events appended after the hand-over arrive once, in order, and
/// bookkeeping events (group intents) never do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_skips_bookkeeping_streams() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let mut sub = store.subscribe_all(None);
    let a = conformance::fresh_stream("sa");
    let b = conformance::fresh_stream("sb");
    store
        .append_group(vec![
            StreamAppend { stream: a.clone(), expected: ExpectedRevision::NoStream, events: vec![event("a")] },
            StreamAppend { stream: b.clone(), expected: ExpectedRevision::NoStream, events: vec![event("b")] },
        ])
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("in time").unwrap().unwrap();
        seen.push(e.stream);
    }
    // Caught up: what follows comes through the server's live subscription.
    let c = conformance::fresh_stream("sc");
    store
        .append_group(vec![
            StreamAppend { stream: c.clone(), expected: ExpectedRevision::NoStream, events: vec![event("c")] },
            StreamAppend { stream: a.clone(), expected: ExpectedRevision::Exact(0), events: vec![event("a1")] },
        ])
        .await
        .unwrap();
    while seen.len() < 4 {
        let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("in time").unwrap().unwrap();
        seen.push(e.stream);
    }
    assert_eq!(seen, vec![a.clone(), b, c, a]);
    assert!(peer.subscriptions() >= 1, "the live part is the server's subscription");
}

/// The sending lease: one holder; a release hands it over at once; an expired lease is
/// taken by another; races are decided by the server's expected revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_stream_has_one_holder() {
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let t0 = chrono::Utc::now();
    assert!(lease::try_take(&store, "A", t0).await.unwrap());
    assert!(!lease::try_take(&store, "B", t0).await.unwrap(), "held by A");
    assert_eq!(lease::holder_at(&store, t0).await.unwrap().as_deref(), Some("A"));
    assert!(lease::try_take(&store, "A", t0).await.unwrap(), "A renews");
    let expired = t0 + lease::TTL + lease::SKEW + chrono::Duration::seconds(1);
    assert_eq!(lease::holder_at(&store, expired).await.unwrap(), None);
    assert!(lease::try_take(&store, "B", expired).await.unwrap(), "expired: B takes it");
    lease::release(&store, "B").await.unwrap();
    assert!(lease::try_take(&store, "A", expired).await.unwrap(), "released: A takes it at once");
    // Two racing for a released lease: exactly one wins.
    lease::release(&store, "A").await.unwrap();
    let (x, y) = tokio::join!(lease::try_take(&store, "X", expired), lease::try_take(&store, "Y", expired));
    assert!(x.unwrap() ^ y.unwrap(), "exactly one of two racing daemons takes it");
    // The server is asked to keep only the last few lease events.
    let metadata = peer.stream_data("$$_dondoc-lease");
    assert_eq!(metadata.len(), 1, "{metadata:?}");
    assert_eq!(metadata[0]["$maxCount"], lease::KEEP, "{metadata:?}");
}

//! Failover on real PostgreSQL servers that the test starts: a primary with a synchronous
//! streaming replica; writers append through a multi-host connection string
//! (`target_session_attrs=read-write`); the primary is killed with SIGKILL in the middle of
//! the appends and the replica promoted. Every append the store acknowledged must be in the
//! promoted server's log, positions gap-free, chains intact; appends in flight are retried
//! with the same event ids and recorded once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dondoc_store::chain::verify_all;
use dondoc_store::postgres::PgStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use dondoc_testkit::postgres::{PgServer, bin_dir};
use dondoc_testkit::skip::skip;
use serde_json::json;
use uuid::Uuid;

const WRITERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_event_is_lost_when_the_primary_dies_and_the_replica_takes_over() {
    if bin_dir().is_none() {
        skip("failover_postgres", "PostgreSQL's server binaries are not installed (Debian package postgresql)");
        return;
    }
    let primary = PgServer::start_with(&[("wal_level", "replica"), ("max_wal_senders", "5")]);
    primary.psql("postgres", "CREATE DATABASE app");
    let replica = PgServer::replica_of(&primary, "replica1");
    primary.require_sync_standby("replica1");
    let primary = Arc::new(Mutex::new(primary));
    let (p1, p2) = (primary.lock().unwrap().port(), replica.port());
    let url = format!(
        "postgres://dondoc@127.0.0.1:{p1},127.0.0.1:{p2}/app?target_session_attrs=read-write&connect_timeout=2"
    );
    let store = PgStore::connect(&url).await.expect("connect through the multi-host string");

    // Each writer appends to its own stream, expecting the exact revision; a failed append
    // is retried with the same event until it is acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (store, acknowledged, killed) = (store.clone(), acknowledged.clone(), killed.clone());
        writers.push(tokio::spawn(async move {
            let stream = format!("failover-{w}");
            let mut retries = 0u32;
            let mut after_kill = 0;
            for revision in 0u64.. {
                let event = EventData {
                    id: Uuid::new_v4(),
                    event_type: "KiemThu".into(),
                    data: json!({"writer": w, "n": revision}),
                    metadata: json!({}),
                };
                let expected =
                    if revision == 0 { ExpectedRevision::NoStream } else { ExpectedRevision::Exact(revision - 1) };
                let deadline = Instant::now() + Duration::from_secs(90);
                loop {
                    match store.append(&stream, expected, vec![event.clone()]).await {
                        Ok(result) => {
                            assert_eq!(result.revision, revision, "writer {w}");
                            acknowledged.lock().unwrap().push(event.id);
                            break;
                        }
                        Err(e) => {
                            retries += 1;
                            assert!(Instant::now() < deadline, "writer {w} could not append for 90 s: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                if killed.load(std::sync::atomic::Ordering::SeqCst) {
                    after_kill += 1;
                    if after_kill >= 20 {
                        return retries;
                    }
                }
            }
            retries
        }));
    }
    // Let them write, then kill the primary in the middle of it and promote the replica.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = acknowledged.lock().unwrap().len();
    assert!(before_kill > 50, "the writers were writing ({before_kill} appends)");
    primary.lock().unwrap().kill();
    killed.store(true, std::sync::atomic::Ordering::SeqCst);
    let killed_at = Instant::now();
    let replica = tokio::task::spawn_blocking(move || {
        replica.promote();
        replica
    })
    .await
    .expect("promote");
    let promoted_in = killed_at.elapsed();
    let mut retries = 0;
    for writer in writers {
        retries += writer.await.expect("a writer");
    }
    let resumed_in = killed_at.elapsed();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let stored = store.read_all(None, usize::MAX).await.expect("read the promoted server's log");
    let ids: HashSet<Uuid> = stored.iter().map(|e| e.id).collect();
    let missing = acknowledged.iter().filter(|id| !ids.contains(id)).count();
    assert_eq!(missing, 0, "acknowledged events missing after the failover");
    assert_eq!(ids.len(), stored.len(), "no event twice");
    let positions: Vec<u64> = stored.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=stored.len() as u64).collect::<Vec<_>>(), "positions gap-free in commit order");
    let report = verify_all(&store).await.expect("verify");
    assert!(report.first_break.is_none(), "chains intact: {:?}", report.first_break);
    println!(
        "failover: {} appends acknowledged ({before_kill} before the kill), {} stored, {retries} retries; \
         replica promoted {promoted_in:?} after the kill, writers done {resumed_in:?} after it",
        acknowledged.len(),
        stored.len()
    );
    drop(replica);
}

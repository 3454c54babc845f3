//! Tamper evidence: an event edited behind the store's back with the real `sqlite3` tool is
//! reported by `verify_all` at its stream and revision.

mod common;

use std::path::Path;

use common::{append_n, sqlite3};
use dondoc_store::chain::{BreakReason, chain_of, expected_chain, verify_all};
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{Direction, EventStore, StreamStart};

/// Three streams of 5 events, interleaved; the store is closed on return.
async fn populate(path: &Path) {
    let store = SqliteStore::open(path).expect("open");
    for _ in 0..5 {
        for stream in ["kehoach-a", "kehoach-b", "kehoach-c"] {
            append_n(&store, stream, 1).await;
        }
    }
    let report = verify_all(&store).await.expect("verify");
    assert_eq!((report.events, report.streams, report.first_break), (15, 3, None), "clean before tampering");
}

async fn first_break(path: &Path) -> (String, u64, BreakReason) {
    let store = SqliteStore::open(path).expect("reopen after tampering");
    let report = verify_all(&store).await.expect("verify");
    assert_eq!(report.events, 15 - u64::from(report.first_break.as_ref().is_some_and(is_gap)));
    let b = report.first_break.expect("verify_all must report the tampering");
    (b.stream, b.revision, b.reason)
}

fn is_gap(b: &dondoc_store::chain::Break) -> bool {
    matches!(b.reason, BreakReason::RevisionGap { .. })
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_data_breaks_at_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    populate(&path).await;
    sqlite3(&path, "UPDATE events SET data = json_set(data, '$.i', 99) WHERE stream = 'kehoach-b' AND revision = 2");
    let (stream, revision, reason) = first_break(&path).await;
    assert_eq!((stream.as_str(), revision), ("kehoach-b", 2));
    assert!(matches!(reason, BreakReason::ChainMismatch { .. }), "{reason:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_data_with_recomputed_chain_breaks_at_the_successor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    populate(&path).await;
    sqlite3(&path, "UPDATE events SET data = json_set(data, '$.i', 99) WHERE stream = 'kehoach-a' AND revision = 1");
    // The forger recomputes the chain of the edited event with the published algorithm.
    let forged = {
        let store = SqliteStore::open(&path).unwrap();
        let events = store.read_stream("kehoach-a", Direction::Forwards, StreamStart::Start, 2).await.unwrap();
        expected_chain(chain_of(&events[0]), &events[1])
    };
    sqlite3(
        &path,
        &format!(
            "UPDATE events SET metadata = json_set(metadata, '$.chain', '{forged}') WHERE stream = 'kehoach-a' AND revision = 1"
        ),
    );
    let (stream, revision, reason) = first_break(&path).await;
    assert_eq!((stream.as_str(), revision), ("kehoach-a", 2));
    assert!(matches!(reason, BreakReason::ChainMismatch { .. }), "{reason:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_event_is_a_revision_gap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    populate(&path).await;
    sqlite3(&path, "DELETE FROM events WHERE stream = 'kehoach-c' AND revision = 1");
    let (stream, revision, reason) = first_break(&path).await;
    assert_eq!((stream.as_str(), revision), ("kehoach-c", 2));
    assert_eq!(reason, BreakReason::RevisionGap { expected: 1, found: 2 });
}

#[tokio::test(flavor = "multi_thread")]
async fn removed_chain_is_reported_and_appends_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    populate(&path).await;
    sqlite3(
        &path,
        "UPDATE events SET metadata = json_remove(metadata, '$.chain') WHERE stream = 'kehoach-a' AND revision = 4",
    );
    let (stream, revision, reason) = first_break(&path).await;
    assert_eq!((stream.as_str(), revision, reason), ("kehoach-a", 4, BreakReason::MissingChain));
    // The store does not refuse to work on a tampered file; the report stays.
    let store = SqliteStore::open(&path).unwrap();
    append_n(&store, "kehoach-a", 1).await;
    let report = verify_all(&store).await.unwrap();
    assert_eq!(report.first_break.map(|b| (b.stream, b.revision)), Some(("kehoach-a".to_string(), 4)));
}

/// The chain of a format-1 event (the format of every event before format 2 had a number),
/// computed here from its definition: SHA-256(prev || 0x00 || canonical), canonical with
/// floats in scientific form and members sorted by UTF-8 bytes.
fn format_1_chain(prev: &str, canonical: &str) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(prev.as_bytes());
    h.update([0u8]);
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_written_in_format_1_still_verifies_beside_format_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    // Two events as the previous version wrote them (no chain_format in the metadata).
    let c0 = r#"{"data":{"f":5e-1,"i":0},"event_type":"T","id":"00000000-0000-0000-0000-000000000001","metadata":{"actor":"a"},"revision":0,"stream":"cu"}"#;
    let chain0 = format_1_chain("", c0);
    let c1 = r#"{"data":{"i":1},"event_type":"T","id":"00000000-0000-0000-0000-000000000002","metadata":{"actor":"a"},"revision":1,"stream":"cu"}"#;
    let chain1 = format_1_chain(&chain0, c1);
    sqlite3(
        &path,
        &format!(
            "INSERT INTO events (id, stream, revision, event_type, metadata, recorded_at, data) VALUES \
             ('00000000-0000-0000-0000-000000000001', 'cu', 0, 'T', '{{\"chain\":\"{chain0}\",\"actor\":\"a\"}}', '2025-01-01T00:00:00.000000Z', '{{\"f\":5e-1,\"i\":0}}'), \
             ('00000000-0000-0000-0000-000000000002', 'cu', 1, 'T', '{{\"chain\":\"{chain1}\",\"actor\":\"a\"}}', '2025-01-01T00:00:00.000000Z', '{{\"i\":1}}')"
        ),
    );
    // This version appends format-2 events after them, on the same stream.
    let store = SqliteStore::open(&path).unwrap();
    append_n(&store, "cu", 2).await;
    let events = store.read_stream("cu", Direction::Forwards, StreamStart::Start, 10).await.unwrap();
    let formats: Vec<_> = events.iter().map(|e| dondoc_store::chain::format_of(&e.metadata)).collect();
    assert_eq!(formats, [1, 1, 2, 2]);
    let report = verify_all(&store).await.unwrap();
    assert_eq!((report.events, &report.first_break), (4, &None), "{report:?}");
}

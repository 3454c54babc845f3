//! Seals against tampering done with the real `sqlite3` tool: deleting the newest events of
//! a stream or a whole stream, editing `recorded_at` or `position`, recomputing chains
//! without the key, events written without the key, another key, and a rollback that only
//! an anchor reveals.

mod common;

use std::path::Path;

use common::{append_n, sqlite3};
use dondoc_store::chain::{chain_of, expected_chain, verify_all};
use dondoc_store::seal::{Anchor, AnchorCheck, SealKey, SealProblem, SealReport};
use dondoc_store::sqlite::{SqliteOptions, SqliteStore};
use dondoc_store::{Direction, EventStore, StreamStart};

fn key() -> SealKey {
    SealKey::from_hex(&"5e".repeat(32)).unwrap()
}

fn open(path: &Path, key: Option<SealKey>) -> SqliteStore {
    SqliteStore::open_with(path, SqliteOptions { seal_key: key, ..SqliteOptions::default() }).unwrap()
}

/// Three streams of 4 events each, appended one at a time (12 commits, 12 seals).
async fn populate(path: &Path) {
    let store = open(path, Some(key()));
    for _ in 0..4 {
        for stream in ["kehoach-a", "kehoach-b", "kehoach-c"] {
            append_n(&store, stream, 1).await;
        }
    }
    let report = store.verify_seals(key()).await.unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.seals, report.sealed_events), (12, 12));
}

async fn seals(path: &Path) -> SealReport {
    open(path, Some(key())).verify_seals(key()).await.unwrap()
}

fn mismatch(report: &SealReport) -> (u64, u64) {
    let b = report.first_break.as_ref().unwrap_or_else(|| panic!("a seal must break: {report:?}"));
    assert_eq!(b.problem, SealProblem::Mismatch, "{report:?}");
    (b.first_position, b.last_position)
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_newest_event_of_a_stream_breaks_its_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    // kehoach-b's last event is position 11: its chain alone cannot tell.
    sqlite3(&path, "DELETE FROM events WHERE stream = 'kehoach-b' AND revision = 3");
    let store = open(&path, Some(key()));
    assert_eq!(verify_all(&store).await.unwrap().first_break, None, "the chains do not see truncation");
    assert_eq!(mismatch(&store.verify_seals(key()).await.unwrap()), (11, 11));
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_whole_stream_breaks_the_seals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    sqlite3(&path, "DELETE FROM events WHERE stream = 'kehoach-c'");
    assert_eq!(mismatch(&seals(&path).await), (3, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_recorded_at_or_position_breaks_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    sqlite3(&path, "UPDATE events SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE position = 5");
    assert_eq!(mismatch(&seals(&path).await), (5, 5));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    sqlite3(&path, "UPDATE events SET position = 100 WHERE position = 7");
    let report = seals(&path).await;
    assert_eq!(mismatch(&report), (7, 7));
    assert_eq!(report.unsealed.len(), 1, "the moved event is outside every seal: {report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn chains_recomputed_without_the_key_break_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    // Edit the last event of kehoach-a and recompute its chain: the chains verify.
    sqlite3(&path, "UPDATE events SET data = json_set(data, '$.i', 99) WHERE stream = 'kehoach-a' AND revision = 3");
    let forged = {
        let store = open(&path, None);
        let events = store.read_stream("kehoach-a", Direction::Forwards, StreamStart::Start, 10).await.unwrap();
        expected_chain(chain_of(&events[2]), &events[3])
    };
    sqlite3(
        &path,
        &format!(
            "UPDATE events SET metadata = json_set(metadata, '$.chain', '{forged}') WHERE stream = 'kehoach-a' AND revision = 3"
        ),
    );
    let store = open(&path, Some(key()));
    assert_eq!(verify_all(&store).await.unwrap().first_break, None, "a forger can recompute chains");
    assert_eq!(mismatch(&store.verify_seals(key()).await.unwrap()), (10, 10));
}

#[tokio::test(flavor = "multi_thread")]
async fn events_written_without_the_key_are_unsealed_and_another_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    append_n(&open(&path, None), "kehoach-a", 2).await;
    let report = seals(&path).await;
    assert_eq!(report.first_break, None);
    assert_eq!((report.unsealed.len(), report.unsealed_events()), (1, 2), "{report:?}");
    assert_eq!((report.unsealed[0].first, report.unsealed[0].last), (13, 14));
    assert!(!report.holds());

    let other = SealKey::from_hex(&"77".repeat(32)).unwrap();
    let report = open(&path, Some(other.clone())).verify_seals(other).await.unwrap();
    assert!(matches!(report.first_break.unwrap().problem, SealProblem::OtherKey { key_id } if key_id == key().id()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_without_seals_is_sealed_whole_when_a_key_first_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    append_n(&open(&path, None), "cu", 5).await;
    let store = open(&path, Some(key()));
    append_n(&store, "cu", 1).await;
    let report = store.verify_seals(key()).await.unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.seals, report.sealed_events), (2, 6));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_is_seen_only_against_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    let anchor = Anchor::of(&open(&path, None).newest_seal().await.unwrap().unwrap());
    assert_eq!((anchor.seal_id, anchor.sealed_through), (12, 12));
    // The newest two commits deleted with their seals: an older, consistent log.
    sqlite3(&path, "DELETE FROM events WHERE position > 10; DELETE FROM seals WHERE id > 10;");
    let store = open(&path, Some(key()));
    assert!(store.verify_seals(key()).await.unwrap().holds(), "without an anchor nothing shows");
    assert_eq!(anchor.check(store.seal(anchor.seal_id).await.unwrap()), AnchorCheck::Missing);
    // An anchor taken before the rollback's point still holds.
    let older = Anchor::of(&store.seal(9).await.unwrap().unwrap());
    assert_eq!(older.check(store.seal(9).await.unwrap()), AnchorCheck::Present);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_seal_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite");
    populate(&path).await;
    sqlite3(&path, "DELETE FROM seals WHERE id = 4");
    let report = seals(&path).await;
    assert_eq!(report.unsealed_events(), 1, "{report:?}");
    // The next seal's mac covers the deleted one's.
    assert_eq!(mismatch(&report), (5, 5));
}

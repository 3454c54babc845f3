//! Files that are not ours are refused on open with `StoreError::Integrity` naming the
//! check, and left byte for byte as they were.

mod common;

use std::path::{Path, PathBuf};

use common::{append_n, file_hash};
use dondoc_store::sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteStore};
use dondoc_store::{EventStore, StoreError};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// Opens `path`, expects a refusal naming `check`, and checks that the file is unchanged.
fn assert_refused(path: &Path, check: &str) -> String {
    let before = file_hash(path);
    let error = SqliteStore::open(path).expect_err("a bad file must be refused");
    let detail = match error {
        StoreError::Integrity { check: found, detail } => {
            assert_eq!(found, check, "check named in {detail}");
            detail
        }
        other => panic!("expected Integrity({check}), got {other:?}"),
    };
    assert_eq!(file_hash(path), before, "the refused file was modified");
    detail
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(b"dondoc bad file");
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(len);
    out
}

/// A closed store with a few events.
async fn our_file(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("events.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    append_n(&store, "s", 3).await;
    drop(store);
    path
}

#[test]
fn random_bytes_are_not_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.sqlite");
    std::fs::write(&path, random_bytes(64 * 1024)).unwrap();
    assert_refused(&path, "sqlite header");
    std::fs::write(&path, b"SQLite format 3\0 but short").unwrap();
    assert_refused(&path, "sqlite header");
    std::fs::write(&path, "Kế hoạch số 12/KH-UBND\n".repeat(100)).unwrap();
    assert_refused(&path, "sqlite header");
}

#[test]
fn sqlite_file_of_another_application() {
    let dir = tempfile::tempdir().unwrap();
    for (name, application_id) in [("plain.sqlite", 0u32), ("other.sqlite", 0x4750_4b47)] {
        let path = dir.path().join(name);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA application_id = {application_id};
             CREATE TABLE events (position INTEGER PRIMARY KEY, x TEXT);
             INSERT INTO events (x) VALUES ('không phải của dondoc');"
        ))
        .unwrap();
        drop(conn);
        let detail = assert_refused(&path, "application_id");
        assert!(detail.contains(&format!("{application_id:#010x}")), "{detail}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn newer_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = our_file(&dir).await;
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(conn);
    let detail = assert_refused(&path, "schema version");
    assert!(detail.contains(&(SCHEMA_VERSION + 1).to_string()), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_malformed_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = our_file(&dir).await;
    Connection::open(&path).unwrap().execute_batch("DROP TABLE events").unwrap();
    assert_refused(&path, "schema");

    let path = dir.path().join("malformed.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {SCHEMA_VERSION};
         CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT, stream TEXT, revision INTEGER,
                              event_type TEXT, metadata TEXT, recorded_at TEXT, data TEXT);"
    ))
    .unwrap();
    drop(conn);
    assert_refused(&path, "schema");
}

#[tokio::test(flavor = "multi_thread")]
async fn extra_objects_and_old_version_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = our_file(&dir).await;
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TRIGGER sneaky AFTER INSERT ON events BEGIN SELECT 1; END").unwrap();
    drop(conn);
    let detail = assert_refused(&path, "schema");
    assert!(detail.contains("sneaky"), "{detail}");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER sneaky; CREATE INDEX by_type ON events (event_type)").unwrap();
    drop(conn);
    let detail = assert_refused(&path, "schema");
    assert!(detail.contains("by_type"), "{detail}");

    let second = tempfile::tempdir_in(dir.path()).unwrap();
    let path = our_file(&second).await;
    Connection::open(&path).unwrap().pragma_update(None, "user_version", 0).unwrap();
    assert_refused(&path, "schema version");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_tables_may_share_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = our_file(&dir).await;
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE proj_task (code TEXT PRIMARY KEY, state TEXT); CREATE INDEX proj_state ON proj_task (state)",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).expect("projection tables beside ours are accepted");
    append_n(&store, "s", 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn our_file_reopens_and_empty_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = our_file(&dir).await;
    let store = SqliteStore::open(&path).expect("our own file opens");
    assert_eq!(
        store
            .read_stream("s", dondoc_store::Direction::Forwards, dondoc_store::StreamStart::Start, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    store.check_integrity().await.expect("quick_check");
    assert_eq!(store.path(), path);

    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let store = SqliteStore::open(&empty).expect("an empty file becomes a store");
    append_n(&store, "s", 1).await;

    let missing_dir = dir.path().join("no/such/dir/events.sqlite");
    assert!(matches!(SqliteStore::open(&missing_dir), Err(StoreError::Backend(_))));
}

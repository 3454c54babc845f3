//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use dondoc_store::{EventData, EventStore, ExpectedRevision, StoreError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub fn event(data: Value) -> EventData {
    EventData { id: Uuid::new_v4(), event_type: "DaGiaoViec".into(), data, metadata: json!({"actor": "kiểm thử"}) }
}

/// Appends `n` single events to `stream` with `Any`; returns their ids.
pub async fn append_n<S: EventStore>(store: &S, stream: &str, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let ev = event(json!({"i": i, "ghi chú": "Hoàn thành đúng hạn"}));
        ids.push(ev.id);
        store.append(stream, ExpectedRevision::Any, vec![ev]).await.expect("append");
    }
    ids
}

/// SHA-256 of a file's bytes.
pub fn file_hash(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

/// Runs the `sqlite3` command-line tool on `db` with `sql`; fails the test with a clear
/// message if the tool is not installed.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let output = Command::new("sqlite3").arg(db).arg(sql).output().unwrap_or_else(|e| {
        panic!(
            "the sqlite3 command-line tool is needed by this test and could not be run ({e}); \
             install it (Debian/Ubuntu: apt-get install -y sqlite3)"
        )
    });
    assert!(output.status.success(), "sqlite3 {sql:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("sqlite3 output is UTF-8")
}

pub fn is_backend(result: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(result, Err(StoreError::Backend(_)))
}

//! The conformance suite on real SQLite files in a temporary directory.

use std::sync::atomic::{AtomicUsize, Ordering};

use dondoc_store::conformance;
use dondoc_store::sqlite::SqliteStore;
use tempfile::TempDir;

/// Fresh stores, each in its own file of one temporary directory.
struct Stores {
    dir: TempDir,
    next: AtomicUsize,
}

impl Stores {
    fn new() -> Self {
        Stores { dir: tempfile::tempdir().expect("tempdir"), next: AtomicUsize::new(0) }
    }

    fn make(&self) -> SqliteStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        SqliteStore::open(self.dir.path().join(format!("events-{n}.sqlite"))).expect("open store")
    }
}

macro_rules! check {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let stores = Stores::new();
            conformance::$name(&stores.make()).await;
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
    large_and_vietnamese,
    idempotent_retry,
    invalid_requests,
    chains_verify,
    group_appends_are_atomic,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_on_one_shared_file() {
    // All checks against the same file, as on a server with history.
    let stores = Stores::new();
    let store = stores.make();
    conformance::run_all(|| store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_on_fresh_files() {
    let stores = Stores::new();
    conformance::run_all(|| stores.make()).await;
}

/// Two handles on one file (two processes' writers) taking turns on the same streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_in_two_handles_taking_turns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.sqlite");
    let (a, b) = (SqliteStore::open(&path).expect("a"), SqliteStore::open(&path).expect("b"));
    conformance::writers_taking_turns(&a, &b).await;
}

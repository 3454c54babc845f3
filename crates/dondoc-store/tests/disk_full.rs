//! Disk full: appends fail with `StoreError::Backend`, the failed append is not visible,
//! earlier events are intact, the chains verify, and appends work again once there is room.
//!
//! Two ways to fill the disk: SQLite's `max_page_count` (a real SQLITE_FULL from the engine;
//! always runs), and the kernel refusing writes: a real 2 MB tmpfs when this process may
//! mount one (ENOSPC), else a child process whose file size limit is lowered
//! (`RLIMIT_FSIZE`: writes past it fail with EFBIG). The test prints which one ran.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{event, is_backend};
use dondoc_store::chain::verify_all;
use dondoc_store::sqlite::{SqliteOptions, SqliteStore};
use dondoc_store::{Direction, EventStore, ExpectedRevision, StoreError, StreamStart};
use serde_json::json;
use uuid::Uuid;

/// An event of about `size` bytes of data.
fn sized_event(i: usize, size: usize) -> dondoc_store::EventData {
    event(json!({"i": i, "nội dung": "Báo cáo quý IV/2025. ".repeat(size / 24)}))
}

/// Appends to `stream` until an append fails; returns the ids written and the failed id.
async fn fill(store: &SqliteStore, stream: &str, size: usize) -> (Vec<Uuid>, Uuid) {
    let mut written = Vec::new();
    for i in 0..10_000 {
        let ev = sized_event(i, size);
        let id = ev.id;
        match store.append(stream, ExpectedRevision::Any, vec![ev]).await {
            Ok(_) => written.push(id),
            Err(StoreError::Backend(message)) => {
                println!("append {i} failed as expected: {message}");
                return (written, id);
            }
            Err(other) => panic!("expected a backend error, got {other}"),
        }
    }
    panic!("the store never filled up");
}

async fn stream_ids(store: &SqliteStore, stream: &str) -> Vec<Uuid> {
    let events = store.read_stream(stream, Direction::Forwards, StreamStart::Start, usize::MAX).await.unwrap();
    events.iter().map(|e| e.id).collect()
}

/// The state after a failure: exactly the acknowledged events, clean chains.
async fn assert_intact(store: &SqliteStore, stream: &str, written: &[Uuid], failed: &[Uuid]) {
    let stored = stream_ids(store, stream).await;
    assert_eq!(stored, written, "exactly the acknowledged events are stored");
    for id in failed {
        assert!(!stored.contains(id), "a failed append is visible");
    }
    let report = verify_all(store).await.expect("verify_all");
    assert_eq!(report.first_break, None);
    assert_eq!(report.events, written.len() as u64);
}

/// Several appends at once on a full store: all fail, none is visible.
async fn concurrent_failures(store: &SqliteStore, stream: &str) -> Vec<Uuid> {
    let events: Vec<_> = (0..8).map(|i| sized_event(i, 16 * 1024)).collect();
    let ids = events.iter().map(|e| e.id).collect();
    let appends = events.into_iter().map(|ev| store.append(stream, ExpectedRevision::Any, vec![ev]));
    for result in futures::future::join_all(appends).await {
        assert!(is_backend(&result), "append on a full store: {result:?}");
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn max_page_count_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite");
    let limited = SqliteOptions { max_page_count: Some(64), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, limited).unwrap();
    let (mut written, failed) = fill(&store, "s", 8 * 1024).await;
    assert!(written.len() > 3, "some events fit before the limit");
    let mut failed = vec![failed];
    failed.extend(concurrent_failures(&store, "s").await);
    assert_intact(&store, "s", &written, &failed).await;
    let stats = store.stats();
    assert!(stats.failed_commits >= 2, "{stats:?}");
    // A small event may still fit in the free space of existing pages; a large one not.
    let too_big = store.append("s", ExpectedRevision::Any, vec![sized_event(0, 512 * 1024)]).await;
    assert!(is_backend(&too_big), "{too_big:?}");
    drop(store);

    let store = SqliteStore::open(&path).expect("reopen without the limit");
    assert_intact(&store, "s", &written, &failed).await;
    let ev = sized_event(99, 64 * 1024);
    written.push(ev.id);
    store.append("s", ExpectedRevision::Exact(written.len() as u64 - 2), vec![ev]).await.expect("append after reopen");
    assert_intact(&store, "s", &written, &failed).await;
}

/// A tmpfs mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!("mount failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
        }
        Ok(Tmpfs { dir: dir.to_path_buf() })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(&self.dir).status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("could not unmount {}: {status:?}", self.dir.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kernel_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    match Tmpfs::mount(dir.path(), "2m") {
        Ok(tmpfs) => {
            println!("disk full by: a 2 MB tmpfs (ENOSPC)");
            let filler = tmpfs.dir.join("filler");
            std::fs::write(&filler, vec![0u8; 384 * 1024]).unwrap();
            let path = tmpfs.dir.join("events.sqlite");
            full_then_room(&path, || std::fs::remove_file(&filler).unwrap()).await;
            drop(tmpfs);
        }
        Err(reason) => {
            println!("disk full by: RLIMIT_FSIZE in a child process (EFBIG); no tmpfs: {reason}");
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "file_size_limit_child", "--ignored", "--nocapture"])
                .env(CHILD, dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "the child with a file size limit failed");
        }
    }
}

/// Set for [`file_size_limit_child`]: the directory to fill.
const CHILD: &str = "DONDOC_TEST_FSIZE_DIR";

/// Run by [`the_kernel_refuses_writes`] in its own process (the limit is per process);
/// does nothing when run otherwise.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn file_size_limit_child() {
    let Some(dir) = std::env::var_os(CHILD) else { return };
    let path = PathBuf::from(dir).join("events.sqlite");
    // SAFETY: process-wide settings of this child process only: writes past 1 MB fail
    // with EFBIG instead of raising SIGXFSZ.
    let lowered = unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let limit = libc::rlimit { rlim_cur: 1024 * 1024, rlim_max: libc::RLIM_INFINITY };
        libc::setrlimit(libc::RLIMIT_FSIZE, &limit)
    };
    assert_eq!(lowered, 0, "setrlimit");
    full_then_room(&path, || {
        // SAFETY: as above; the hard limit allows raising the soft one back.
        let limit = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limit) }, 0);
    })
    .await;
}

/// Fills the store at `path` until the kernel refuses a write, checks nothing acknowledged
/// is lost and nothing failed is visible, calls `make_room`, and appends again.
async fn full_then_room(path: &Path, make_room: impl FnOnce()) {
    let store = SqliteStore::open(path).unwrap();
    let (mut written, failed) = fill(&store, "s", 16 * 1024).await;
    assert!(written.len() > 10, "some events fit: {}", written.len());
    let mut failed = vec![failed];
    failed.extend(concurrent_failures(&store, "s").await);
    assert_intact(&store, "s", &written, &failed).await;

    make_room();
    for i in 0..3 {
        let ev = sized_event(i, 16 * 1024);
        written.push(ev.id);
        store.append("s", ExpectedRevision::Any, vec![ev]).await.expect("append after making room");
    }
    assert_intact(&store, "s", &written, &failed).await;
    drop(store);

    let store = SqliteStore::open(path).expect("reopen");
    assert_intact(&store, "s", &written, &failed).await;
    store.check_integrity().await.expect("quick_check");
}

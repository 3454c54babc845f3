//! Append throughput of the SQLite store against raw rusqlite inserts of the same bytes.
//!
//! `cargo bench -p dondoc-store --bench append` (events: `DONDOC_BENCH_EVENTS`, default
//! 20 000; rounds: `DONDOC_BENCH_ROUNDS`, default 5; directory: `DONDOC_BENCH_DIR`, default
//! the target directory; `/dev/shm` takes the disk out and leaves the pipeline's own
//! processor time, which the disk's wait otherwise hides). Run without
//! `--bench` (as `cargo test --all-targets` does) it is a quick smoke run of 400 events.
//!
//! For each scenario, 8 tokio tasks append single events (each its own append call) with
//! full durability (WAL, `synchronous=FULL`). Then the same rows (read back from our file:
//! the same bytes, chains included) are inserted with plain rusqlite into the same table
//! with the same settings, in transactions of exactly the sizes our writer committed
//! (from [`SqliteStore::stats`]), by one thread. Also shown: one transaction per insert.

use std::path::Path;
use std::time::{Duration, Instant};

use dondoc_store::sqlite::{SqliteStore, WriterStats};
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use rusqlite::Connection;
use serde_json::json;
use uuid::Uuid;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITERS: usize = 8;

/// The table, as the store creates it.
const TABLE: &str = "CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 0),
    event_type  TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    UNIQUE (stream, revision)
) STRICT";

type Row = (String, String, i64, String, String, String, String);

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let total: usize = match std::env::var("DONDOC_BENCH_EVENTS") {
        Ok(n) => n.parse().expect("DONDOC_BENCH_EVENTS is a number"),
        Err(_) if full => 20_000,
        Err(_) => 400,
    };
    let base = std::env::var("DONDOC_BENCH_DIR").unwrap_or_else(|_| env!("CARGO_TARGET_TMPDIR").to_owned());
    let dir = tempfile::tempdir_in(base).expect("bench directory");
    println!(
        "{total} events, {WRITERS} writers, single-event appends, WAL + synchronous=FULL, in {}",
        dir.path().display()
    );
    println!(
        "{:<34} {:>12} {:>12} {:>12} {:>7}  batches (events/commit)",
        "scenario", "ours ev/s", "raw ev/s", "raw 1/tx", "ratio"
    );
    // Rounds alternate ours and raw, each on fresh files, so that a drift of the machine
    // (the page cache, another job's I/O) does not favour the one measured second.
    let rounds: usize =
        std::env::var("DONDOC_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(if full { 5 } else { 1 });
    for (name, shared) in [("8 streams, one per writer (Exact)", None), ("2 shared streams (Any)", Some(2))] {
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let tag = format!("{}-{round}", shared.unwrap_or(0));
            let ours_path = dir.path().join(format!("ours-{tag}.sqlite"));
            let (ours, stats) = run_ours(&ours_path, total, shared);
            let rows = read_rows(&ours_path);
            let raw = run_raw_batched(&dir.path().join(format!("raw-{tag}.sqlite")), &rows, &stats);
            let single_rows = &rows[..rows.len().min(2_000)];
            let single = run_raw_single(&dir.path().join(format!("single-{tag}.sqlite")), single_rows);
            println!(
                "{name:<34} {:>12.0} {:>12.0} {:>12.0} {:>6.2}x  mean {:.2}, max {}, commits {}",
                ours,
                raw,
                single,
                ours / raw,
                stats.mean_batch(),
                stats.batch_sizes.keys().max().copied().unwrap_or(0),
                stats.commits,
            );
            println!("{:<34} histogram {:?}", "", stats.batch_sizes);
            ratios.push(ours / raw);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name:<34} median ratio over {rounds} rounds: {:.2}x (range {:.2}–{:.2}x)",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}

fn rate(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

/// A task event of about 300 bytes.
fn task_event(writer: usize, i: usize) -> EventData {
    EventData {
        id: Uuid::new_v4(),
        event_type: "TaskProgressReported".into(),
        data: json!({
            "task": format!("KH-12/2025-{writer:02}-{i:06}"),
            "status": "Đang thực hiện trong hạn",
            "note": "Hoàn thành đúng hạn báo cáo Quý IV/2025",
            "percent": i % 100,
        }),
        metadata: json!({"actor": "so-noi-vu", "source": "bench", "correlation": format!("c-{i}")}),
    }
}

/// 8 tasks append `total` single events; returns events/s and the writer's statistics.
fn run_ours(path: &Path, total: usize, shared: Option<usize>) -> (f64, WriterStats) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let store = SqliteStore::open(path).expect("open store");
    let per_writer = total / WRITERS;
    let events: Vec<Vec<EventData>> =
        (0..WRITERS).map(|w| (0..per_writer).map(|i| task_event(w, i)).collect()).collect();
    let elapsed = runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(w, events)| {
                let store = store.clone();
                tokio::spawn(async move { append_all(&store, w, events, shared).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed()
    });
    let stats = store.stats();
    drop(store);
    (rate(per_writer * WRITERS, elapsed), stats)
}

async fn append_all(store: &SqliteStore, writer: usize, events: Vec<EventData>, shared: Option<usize>) {
    let stream = match shared {
        Some(n) => format!("shared-{}", writer % n),
        None => format!("writer-{writer}"),
    };
    for (i, event) in events.into_iter().enumerate() {
        let expected = match (shared, i) {
            (Some(_), _) => ExpectedRevision::Any,
            (None, 0) => ExpectedRevision::NoStream,
            (None, i) => ExpectedRevision::Exact(i as u64 - 1),
        };
        store.append(&stream, expected, vec![event]).await.expect("append");
    }
}

/// The rows our store wrote, in position order.
fn read_rows(path: &Path) -> Vec<Row> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, stream, revision, event_type, metadata, recorded_at, data FROM events ORDER BY position")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn raw_connection(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(TABLE).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn
}

const INSERT: &str = "INSERT INTO events (id, stream, revision, event_type, metadata, recorded_at, data)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

fn insert(conn: &Connection, row: &Row) {
    let mut stmt = conn.prepare_cached(INSERT).unwrap();
    stmt.execute(rusqlite::params![row.0, row.1, row.2, row.3, row.4, row.5, row.6]).unwrap();
}

/// One thread inserts `rows` in transactions of the sizes our writer committed.
fn run_raw_batched(path: &Path, rows: &[Row], stats: &WriterStats) -> f64 {
    let conn = raw_connection(path);
    let sizes: Vec<usize> = stats
        .batch_sizes
        .iter()
        .flat_map(|(&size, &count)| std::iter::repeat_n(size as usize, count as usize))
        .filter(|&size| size > 0)
        .collect();
    let start = Instant::now();
    let mut next = 0;
    for size in sizes {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for row in &rows[next..next + size] {
            insert(&conn, row);
        }
        conn.execute_batch("COMMIT").unwrap();
        next += size;
    }
    assert_eq!(next, rows.len(), "batch sizes cover every row");
    rate(rows.len(), start.elapsed())
}

/// One transaction (one fsync) per insert.
fn run_raw_single(path: &Path, rows: &[Row]) -> f64 {
    let conn = raw_connection(path);
    let start = Instant::now();
    for row in rows {
        insert(&conn, row);
    }
    rate(rows.len(), start.elapsed())
}

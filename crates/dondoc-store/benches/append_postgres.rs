//! Append throughput of the PostgreSQL store against raw tokio-postgres INSERTs, on a real
//! server this bench starts (`dondoc_testkit::postgres`), at the same durability
//! (`fsync` on, `synchronous_commit` on).
//!
//! `cargo bench -p dondoc-store --bench append_postgres` (events per writer:
//! `DONDOC_BENCH_EVENTS`, default 1 000). Run without `--bench` (as `cargo test
//! --all-targets` does) it is a quick smoke run of 25 events per writer.
//!
//! 8 tokio tasks each append single events (one append call each, to a stream of their
//! own) through one store handle. The raw floor: 8 tasks, each on its own connection,
//! INSERT the same rows (the same columns and bytes, read back from our table) into a
//! table of the same shape, one autocommit INSERT each — what 8 writers get from the
//! server without dondoc (PostgreSQL's own group commit included).

use std::time::Instant;

use dondoc_store::postgres::PgStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use dondoc_testkit::postgres::{PgServer, bin_dir};
use serde_json::json;
use uuid::Uuid;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITERS: usize = 8;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let per_writer: usize =
        if full { std::env::var("DONDOC_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000) } else { 25 };
    if bin_dir().is_none() {
        eprintln!("append_postgres: PostgreSQL is not installed (Debian package postgresql); nothing measured");
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("bench");
    let store = PgStore::connect(&url).await.expect("connect");

    // dondoc: 8 writers through one handle.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("bench-{w}");
            for n in 0..per_writer {
                let event = EventData {
                    id: Uuid::new_v4(),
                    event_type: "GhiChu".into(),
                    data: json!({"text": format!("Ghi chú số {n} của nhiệm vụ {w}"), "n": n}),
                    metadata: json!({"actor": "bench", "source": "cli"}),
                };
                let expected = if n == 0 { ExpectedRevision::NoStream } else { ExpectedRevision::Exact(n as u64 - 1) };
                store.append(&stream, expected, vec![event]).await.expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let ours = start.elapsed().as_secs_f64();
    let (commits, appends) = store.writer_counts();
    let total = WRITERS * per_writer;

    // Raw: the same rows, 8 connections, one autocommit INSERT each.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("raw connect");
    tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE TABLE raw_events (LIKE dondoc_events INCLUDING ALL);
             ALTER TABLE raw_events ALTER COLUMN position ADD GENERATED ALWAYS AS IDENTITY",
        )
        .await
        .expect("raw table");
    let rows = client
        .query(
            "SELECT id, stream, revision, event_type, data, metadata, recorded_at FROM dondoc_events ORDER BY position",
            &[],
        )
        .await
        .expect("read back");
    let mut per_task: Vec<Vec<tokio_postgres::Row>> = (0..WRITERS).map(|_| Vec::new()).collect();
    for (i, row) in rows.into_iter().enumerate() {
        per_task[i % WRITERS].push(row);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for rows in per_task {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(connection);
            let insert = client
                .prepare(
                    "INSERT INTO raw_events (id, stream, revision, event_type, data, metadata, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .await
                .expect("prepare");
            for row in rows {
                let id: Uuid = row.get(0);
                let stream: String = row.get(1);
                let revision: i64 = row.get(2);
                let event_type: String = row.get(3);
                let data: String = row.get(4);
                let metadata: String = row.get(5);
                let at: chrono::DateTime<chrono::Utc> = row.get(6);
                client
                    .execute(&insert, &[&id, &stream, &revision, &event_type, &data, &metadata, &at])
                    .await
                    .expect("insert");
            }
        }));
    }
    for t in tasks {
        t.await.expect("raw writer");
    }
    let raw = start.elapsed().as_secs_f64();
    let sync = server.psql("bench", "SHOW synchronous_commit");
    let fsync = server.psql("bench", "SHOW fsync");
    println!(
        "append_postgres: {total} events by {WRITERS} writers (fsync {}, synchronous_commit {}):\n  \
         dondoc PgStore: {:.0} events/s ({commits} commits, {:.1} appends each)\n  raw tokio-postgres INSERTs: {:.0} events/s\n  ratio {:.2}×",
        fsync.trim(),
        sync.trim(),
        total as f64 / ours,
        appends as f64 / commits.max(1) as f64,
        total as f64 / raw,
        raw / ours
    );
}

//! Rebuild and restart figures (issue targets: 1,000,000 events over 10,000 tasks rebuilt
//! in at most 10 s with peak RSS at most 300 MB; a restart with a checkpoint in at most
//! 200 ms whatever the history length).
//!
//! Run: `cargo bench -p dondoc-projections --bench rebuild [-- EVENTS TASKS]`
//! (`DONDOC_BENCH_FILE=PATH` keeps the log between runs).
//! Prints, beside our figures, the raw floor measured in the same run: reading every
//! event row of the same file with plain rusqlite (no JSON decoding, no folding).

use std::time::Instant;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use dondoc_core::event::{EventMeta, Source, TaskEvent};
use dondoc_core::timeexpr;
use dondoc_projections::Projections;
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use uuid::Uuid;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn meta(at: DateTime<Utc>) -> serde_json::Value {
    serde_json::to_value(EventMeta::new("bench", Source::Import, at, Uuid::new_v4())).unwrap()
}

fn event(e: &TaskEvent, at: DateTime<Utc>) -> EventData {
    let (event_type, _, data) = e.encode();
    EventData { id: Uuid::new_v4(), event_type: event_type.into(), data, metadata: meta(at) }
}

/// One stream per task: a definition, then progress reports and comments.
async fn fill(store: &SqliteStore, events: usize, tasks: usize) {
    let per_task = events / tasks;
    let t0 = DateTime::parse_from_rfc3339("2025-01-01T02:00:00Z").unwrap().with_timezone(&Utc);
    let finish = timeexpr::parse("Quý IV/2026").unwrap();
    for t in 0..tasks {
        let code = format!("{t:05}");
        let mut batch = vec![event(
            &TaskEvent::TaskDefined {
                plan: "BENCH".into(),
                code: code.clone(),
                title: format!("Nhiệm vụ số {t}: xây dựng báo cáo thống kê"),
                lead: format!("Sở {}", t % 40),
                cooperating: vec!["Thống kê tỉnh".into()],
                start: None,
                finish: Some(finish.clone()),
                product: Some("Báo cáo".into()),
                tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                tt: None,
                group: None,
            },
            t0,
        )];
        for i in 1..per_task {
            let at = t0 + Duration::minutes(i as i64);
            let e = if i % 2 == 0 {
                TaskEvent::ProgressReported {
                    percent: Some((i % 100) as u8),
                    note: "Đang thực hiện".into(),
                    occurrence: None,
                }
            } else {
                TaskEvent::CommentAdded { text: format!("Ghi chú số {i} của nhiệm vụ {t}") }
            };
            batch.push(event(&e, at));
        }
        store.append(&format!("task-BENCH-{code}"), ExpectedRevision::NoStream, batch).await.unwrap();
    }
}

/// Reads every event row (data and metadata) with plain rusqlite: (seconds, bytes).
fn raw_floor(path: &std::path::Path) -> (f64, usize) {
    let raw = Instant::now();
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut bytes = 0usize;
    let mut stmt = conn.prepare("SELECT data, metadata FROM events ORDER BY position").unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        bytes += r.get_ref(0).unwrap().as_bytes().unwrap().len() + r.get_ref(1).unwrap().as_bytes().unwrap().len();
    }
    (raw.elapsed().as_secs_f64(), bytes)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let events = args.first().copied().unwrap_or(1_000_000);
    let tasks = args.get(1).copied().unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    // DONDOC_BENCH_FILE: a log kept between runs (filled when missing), to profile the
    // rebuild without writing the million events again.
    let path = std::env::var_os("DONDOC_BENCH_FILE").map_or_else(|| dir.path().join("bench.sqlite"), Into::into);
    let filled = path.exists();
    let store = SqliteStore::open(&path).unwrap();

    let started = Instant::now();
    let store = if filled {
        store
    } else {
        fill(&store, events, tasks).await;
        println!("wrote {events} events over {tasks} tasks in {:.1} s", started.elapsed().as_secs_f64());
        // A rebuild runs when a daemon starts: on a store just opened, as here.
        drop(store);
        SqliteStore::open(&path).unwrap()
    };

    // Three rounds, alternating the raw floor and the rebuild, so that a drift of the
    // machine does not favour one; the ratio is of the medians.
    let rss_before = peak_rss_mb();
    let mut projections = Projections::open(&path).unwrap();
    let (mut raws, mut rebuilds, mut bytes, mut rebuilt_events) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..3 {
        let (raw, read) = raw_floor(&path);
        raws.push(raw);
        bytes = read;
        let rebuilt = projections.rebuild(&store).await.unwrap();
        rebuilds.push(rebuilt.elapsed.as_secs_f64());
        rebuilt_events = rebuilt.events;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (raw, rebuild) = (median(&mut raws), median(&mut rebuilds));
    println!(
        "rebuild: {rebuilt_events} events in {rebuild:.2} s, median of 3 ({:.2}–{:.2} s; target <= 10 s); peak RSS {:.0} MB (before rebuild {:.0} MB; target <= 300 MB)",
        rebuilds[0],
        rebuilds[2],
        peak_rss_mb(),
        rss_before
    );
    println!(
        "raw floor: plain rusqlite read of the same rows ({:.0} MB) in {raw:.2} s, median of 3 ({:.2}–{:.2} s); ratio rebuild / raw = {:.1}x",
        bytes as f64 / 1e6,
        raws[0],
        raws[2],
        rebuild / raw
    );
    drop(projections);
    drop(store);

    // Restart: open the store and the projections, catch up (nothing new).
    let restart = Instant::now();
    let store = SqliteStore::open(&path).unwrap();
    let mut projections = Projections::open(&path).unwrap();
    let caught = projections.catch_up(&store).await.unwrap();
    println!(
        "restart with checkpoint: {:.1} ms ({} events read; target <= 200 ms)",
        restart.elapsed().as_secs_f64() * 1e3,
        caught.events
    );
}

//! The read models on a PostgreSQL log: a full rebuild of 1,000,000 events from the
//! server into a daemon's local `read-models.sqlite`, and the catch-up lag of the read
//! models behind a steady append load (how old the newest command is when a page can
//! show it).
//!
//! Run: `cargo bench -p dondoc-projections --bench rebuild_postgres [-- EVENTS TASKS RATE SECONDS]`
//! (defaults 1,000,000 events over 10,000 tasks; 1,000 appends/s for 10 s). The raw
//! floor, measured in the same run on the same server: every event row read with plain
//! tokio-postgres (streamed, no JSON decoding, no folding).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::event::{EventMeta, Source, TaskEvent};
use dondoc_core::timeexpr;
use dondoc_projections::Projections;
use dondoc_store::postgres::PgStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use dondoc_testkit::postgres::{PgServer, bin_dir};
use futures::TryStreamExt;
use uuid::Uuid;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn event(e: &TaskEvent, at: DateTime<Utc>) -> EventData {
    let (event_type, _, data) = e.encode();
    let metadata = serde_json::to_value(EventMeta::new("bench", Source::Import, at, Uuid::new_v4())).unwrap();
    EventData { id: Uuid::new_v4(), event_type: event_type.into(), data, metadata }
}

fn defined(t: usize) -> TaskEvent {
    TaskEvent::TaskDefined {
        plan: "BENCH".into(),
        code: format!("{t:05}"),
        title: format!("Nhiệm vụ số {t}: xây dựng báo cáo thống kê"),
        lead: format!("Sở {}", t % 40),
        cooperating: vec!["Thống kê tỉnh".into()],
        start: None,
        finish: Some(timeexpr::parse("Quý IV/2026").unwrap()),
        product: Some("Báo cáo".into()),
        tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        tt: None,
        group: None,
    }
}

fn note(i: usize, t: usize) -> TaskEvent {
    if i.is_multiple_of(2) {
        TaskEvent::ProgressReported {
            percent: Some((i % 100) as u8), note: "Đang thực hiện".into(), occurrence: None
        }
    } else {
        TaskEvent::CommentAdded { text: format!("Ghi chú số {i} của nhiệm vụ {t}") }
    }
}

/// One stream per task: a definition, then progress reports and comments; 8 writers.
async fn fill(store: &PgStore, events: usize, tasks: usize) {
    let per_task = events / tasks;
    let t0 = DateTime::parse_from_rfc3339("2025-01-01T02:00:00Z").unwrap().with_timezone(&Utc);
    let mut writers = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for t in (w..tasks).step_by(8) {
                let mut batch = vec![event(&defined(t), t0)];
                batch.extend((1..per_task).map(|i| event(&note(i, t), t0 + chrono::Duration::minutes(i as i64))));
                store.append(&format!("task-BENCH-{t:05}"), ExpectedRevision::NoStream, batch).await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (events, tasks, rate, seconds) = if full {
        (
            args.first().copied().unwrap_or(1_000_000),
            args.get(1).copied().unwrap_or(10_000),
            args.get(2).copied().unwrap_or(1_000),
            args.get(3).copied().unwrap_or(10),
        )
    } else {
        (2_000, 100, 100, 1)
    };
    if bin_dir().is_none() {
        eprintln!("rebuild_postgres: PostgreSQL is not installed (Debian package postgresql); nothing measured");
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("bench");
    let store = PgStore::connect(&url).await.expect("connect");
    let started = Instant::now();
    fill(&store, events, tasks).await;
    println!("wrote {events} events over {tasks} tasks in {:.1} s", started.elapsed().as_secs_f64());

    // Raw floor: every row streamed with plain tokio-postgres.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let raw = Instant::now();
    let rows = client
        .query_raw("SELECT data, metadata FROM dondoc_events ORDER BY position", std::iter::empty::<i64>())
        .await
        .unwrap();
    let bytes = rows
        .map_ok(|r| r.get::<_, &str>(0).len() + r.get::<_, &str>(1).len())
        .try_fold(0usize, |a, b| async move { Ok(a + b) })
        .await
        .unwrap();
    let raw = raw.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-models.sqlite");
    let mut projections = Projections::open(&path).unwrap();
    let rebuilt = projections.rebuild(&store).await.unwrap();
    println!(
        "rebuild from PostgreSQL: {} events in {:.2} s ({:.0} events/s)",
        rebuilt.events,
        rebuilt.elapsed.as_secs_f64(),
        rebuilt.events as f64 / rebuilt.elapsed.as_secs_f64()
    );
    println!(
        "raw floor: plain tokio-postgres read of the same rows ({:.0} MB) in {:.2} s; ratio rebuild / raw = {:.1}x",
        bytes as f64 / 1e6,
        raw.as_secs_f64(),
        rebuilt.elapsed.as_secs_f64() / raw.as_secs_f64()
    );

    // Catch-up lag under a steady load: `rate` appends per second to existing tasks for
    // `seconds`; the read models follow as the daemon does (every 200 ms), and as fast as
    // they can (the floor of the follow loop).
    for (label, every) in [("every 200 ms (the daemon)", Duration::from_millis(200)), ("continuously", Duration::ZERO)]
    {
        let acks: Arc<std::sync::Mutex<Vec<(u64, Instant)>>> = Default::default();
        let followed: Arc<std::sync::Mutex<Vec<(u64, Instant)>>> = Default::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let follower = {
            let (store, followed, stop) = (store.clone(), followed.clone(), stop.clone());
            let path = path.clone();
            tokio::spawn(async move {
                let mut projections = Projections::open(&path).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    projections.catch_up(&store).await.unwrap();
                    let at = Instant::now();
                    if let Some(p) = projections.checkpoint().unwrap() {
                        followed.lock().unwrap().push((p, at));
                    }
                    if every.is_zero() {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(every).await;
                    }
                }
                projections.catch_up(&store).await.unwrap();
                followed.lock().unwrap().push((projections.checkpoint().unwrap().unwrap_or(0), Instant::now()));
            })
        };
        let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate as u32);
        let t0 = DateTime::parse_from_rfc3339("2025-06-01T02:00:00Z").unwrap().with_timezone(&Utc);
        let load = Instant::now();
        let mut n = 0usize;
        while load.elapsed() < Duration::from_secs(seconds as u64) {
            ticker.tick().await;
            let t = n % tasks;
            let store = store.clone();
            let acks = acks.clone();
            tokio::spawn(async move {
                let e = event(&note(n, t), t0);
                let r = store.append(&format!("task-BENCH-{t:05}"), ExpectedRevision::Any, vec![e]).await.unwrap();
                acks.lock().unwrap().push((r.position, Instant::now()));
            });
            n += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        follower.await.unwrap();
        let followed = followed.lock().unwrap().clone();
        let mut lags: Vec<Duration> = acks
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(p, acked)| {
                followed.iter().find(|(f, _)| f >= p).map(|(_, at)| at.saturating_duration_since(*acked))
            })
            .collect();
        lags.sort();
        println!(
            "catch-up lag, {n} appends at {rate}/s, read models following {label}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&lags, 0.5).as_secs_f64() * 1e3,
            percentile(&lags, 0.99).as_secs_f64() * 1e3,
            lags.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        );
    }
}

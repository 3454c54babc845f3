//! The API under load on loopback: 200 concurrent clients reading tasks, then 200 giving
//! commands, against the same axum server answering a fixed body of the same size (the raw
//! engine: HTTP without dondoc), measured in the same run; and the commands' rate against
//! raw SQLite commits at the same durability (WAL, `synchronous=FULL`, one row per
//! transaction, one thread).
//!
//! `cargo bench -p dondoc-web --bench api_load` (clients: `DONDOC_BENCH_CLIENTS`, default
//! 200; tasks: 1 000). Run without `--bench` (as `cargo test --all-targets` does) it is a
//! smoke run with 20 clients and 50 tasks. Client and server share this process and its
//! cores, so the figures include the load generator's own cost.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::json;
use support::{Api, PLAN};

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Figures {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let mut v = self.latencies.clone();
        v.sort();
        v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or_default()
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn print(&self, what: &str) {
        println!(
            "{what:<34} {:>7} requests {:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  errors {}",
            self.latencies.len(),
            self.rate(),
            self.percentile(0.5).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(1.0).as_secs_f64() * 1e3,
            self.errors
        );
    }
}

/// `clients` concurrent clients, each sending `per_client` requests made by
/// `request(client, n)`, back to back (`pace` zero: the server saturated, latency is then
/// clients ÷ throughput) or one every `pace` (an offered load of clients ÷ pace per second).
async fn load<F>(clients: usize, per_client: usize, pace: Duration, request: F) -> Figures
where
    F: Fn(usize, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let start = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut errors = 0;
            // Clients start spread over one period, each then ticking at its pace.
            let phase = pace.mul_f64(c as f64 / clients as f64);
            let mut ticks =
                (!pace.is_zero()).then(|| tokio::time::interval_at(tokio::time::Instant::now() + phase, pace));
            for n in 0..per_client {
                if let Some(t) = ticks.as_mut() {
                    t.tick().await;
                }
                let sent = Instant::now();
                match request(c, n).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => errors += 1,
                }
                latencies.push(sent.elapsed());
            }
            (latencies, errors)
        }));
    }
    let mut figures = Figures { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    for h in handles {
        let (l, e) = h.await.expect("a client task");
        figures.latencies.extend(l);
        figures.errors += e;
    }
    figures.elapsed = start.elapsed();
    figures
}

/// Raw SQLite commits at the same durability: one row per transaction, one thread.
fn raw_commits(dir: &std::path::Path, n: usize) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("raw.sqlite")).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL);")
        .unwrap();
    let row = "x".repeat(600);
    let start = Instant::now();
    for _ in 0..n {
        conn.execute("INSERT INTO t (data) VALUES (?1)", [&row]).unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let clients: usize =
        std::env::var("DONDOC_BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(if full { 200 } else { 20 });
    let tasks = if full { 1_000 } else { 50 };
    let reads = if full { 100 } else { 5 };
    let commands = if full { 20 } else { 2 };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let api = Api::start().await;
        let setup = Instant::now();
        for n in 0..tasks {
            api.define(&format!("{n:04}"), "Sở Tài chính", &["Sở Y tế"]).await;
        }
        println!("{tasks} tasks defined in {:.1} s; {clients} clients on loopback", setup.elapsed().as_secs_f64());
        let token = Arc::new(api.sign_in("cv.stc").await);
        let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

        // The raw engine: the same server stack answering the same bytes without dondoc.
        let (_, sample) = api.get(&token, &format!("/api/v1/tasks/{PLAN}/0000")).await;
        let body = Arc::new(sample.to_string());
        let raw = Router::new().route("/raw", get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body.as_str().to_owned()) }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let raw_url = format!("http://{}/raw", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, raw).await.unwrap() });

        let c = client.clone();
        let raw_figures = load(clients, reads, Duration::ZERO, move |_, _| c.get(&raw_url)).await;
        raw_figures.print("raw axum, same body, saturated");
        let (c, base, t) = (client.clone(), api.base.clone(), token.clone());
        let read = move |client: usize, n: usize| {
            c.get(format!("{base}/api/v1/tasks/{PLAN}/{:04}", (client * 7 + n) % tasks)).bearer_auth(t.as_str())
        };
        let read = Arc::new(read);
        let r = read.clone();
        let read_figures = load(clients, reads, Duration::ZERO, move |c, n| r(c, n)).await;
        read_figures.print("GET task, saturated");
        println!(
            "reads saturated: p99 {:.2}× the raw engine's, throughput {:.2}×",
            read_figures.percentile(0.99).as_secs_f64() / raw_figures.percentile(0.99).as_secs_f64(),
            read_figures.rate() / raw_figures.rate()
        );
        // Each client reading every 50 ms: 4 000 reads/s offered by 200 clients.
        let pace = Duration::from_millis(50);
        let r = read.clone();
        let paced = load(clients, reads, pace, move |c, n| r(c, n)).await;
        paced.print(&format!("GET task, each client every {} ms", pace.as_millis()));
        println!(
            "reads paced: p99 {:.2} ms (goal < 20 ms with {clients} clients, no error)",
            paced.percentile(0.99).as_secs_f64() * 1e3
        );

        let (c, base, t) = (client.clone(), api.base.clone(), token.clone());
        let command_figures = load(clients, commands, Duration::ZERO, move |client, n| {
            c.post(format!("{base}/api/v1/tasks/{PLAN}/{:04}/comment", (client * 13 + n) % tasks))
                .bearer_auth(t.as_str())
                .json(&json!({"text": format!("ghi chú {client}-{n}")}))
        })
        .await;
        command_figures.print("POST …/comment (durable)");
        let dir = tempfile::tempdir().unwrap();
        let raw_rate = raw_commits(dir.path(), if full { 2_000 } else { 200 });
        println!(
            "commands: {:.0}/s = {:.2}× raw SQLite commits of one row each at the same durability ({raw_rate:.0}/s); goal ≥ 2 000/s",
            command_figures.rate(),
            command_figures.rate() / raw_rate
        );
        assert_eq!(read_figures.errors + paced.errors + command_figures.errors, 0, "every request answered 2xx");
    });
}

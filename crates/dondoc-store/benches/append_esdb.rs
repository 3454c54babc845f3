//! Append throughput of the EventStoreDB store against the raw official client, both on
//! the wire-level peer (`dondoc_testkit::esdb`), measured in the same run.
//!
//! `cargo bench -p dondoc-store --bench append_esdb` (events per writer:
//! `DONDOC_BENCH_EVENTS`, default 2 000; a smoke run of 25 without `--bench`).
//!
//! 8 tasks each append single events to a stream of their own, expecting its revision:
//! through one `EsdbStore` (chains computed, the previous chain remembered), then through
//! the raw `kurrentdb::Client` with the same payloads and expected revisions. The peer is
//! not EventStoreDB (it keeps the log in memory and does not fsync), so the ratio shows
//! what dondoc adds on the client side, not a server's throughput.

use std::time::Instant;

use dondoc_store::esdb::EsdbStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision};
use dondoc_testkit::esdb::EsdbPeer;
use kurrentdb::{AppendToStreamOptions, Client, StreamState};
use serde_json::json;
use uuid::Uuid;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITERS: usize = 8;

fn payload(w: usize, n: usize) -> (serde_json::Value, serde_json::Value) {
    (json!({"text": format!("Ghi chú số {n} của nhiệm vụ {w}"), "n": n}), json!({"actor": "bench", "source": "cli"}))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let per_writer: usize =
        if full { std::env::var("DONDOC_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000) } else { 25 };
    let peer = EsdbPeer::start();
    let store = EsdbStore::connect(&peer.url()).await.expect("connect");
    let total = WRITERS * per_writer;
    let client = Client::new(peer.url().parse().expect("settings")).expect("client");
    // Two rounds, raw first in each, so that neither side is measured cold; the last
    // round is reported.
    let (mut ours, mut raw) = (0.0, 0.0);
    for round in 0..2 {
        raw = raw_round(&client, round, per_writer).await;
        ours = our_round(&store, round, per_writer).await;
    }
    println!(
        "append_esdb: {total} events by {WRITERS} writers on the wire-level peer:\n  dondoc EsdbStore: {:.0} events/s\n  raw kurrentdb client: {:.0} events/s\n  ratio {:.2}×",
        total as f64 / ours,
        total as f64 / raw,
        raw / ours
    );
}

/// Seconds for our store's appends.
async fn our_round(store: &EsdbStore, round: usize, per_writer: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..per_writer {
                let (data, metadata) = payload(w, n);
                let event = EventData { id: Uuid::new_v4(), event_type: "GhiChu".into(), data, metadata };
                let expected = if n == 0 { ExpectedRevision::NoStream } else { ExpectedRevision::Exact(n as u64 - 1) };
                store.append(&format!("bench-{round}-{w}"), expected, vec![event]).await.expect("append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    start.elapsed().as_secs_f64()
}

/// Seconds for the raw client's appends of the same payloads.
async fn raw_round(client: &Client, round: usize, per_writer: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..per_writer {
                let (data, metadata) = payload(w, n);
                let event = kurrentdb::EventData::json("GhiChu", &data)
                    .expect("json")
                    .id(Uuid::new_v4())
                    .metadata_as_json(&metadata)
                    .expect("metadata");
                let state = if n == 0 { StreamState::NoStream } else { StreamState::StreamRevision(n as u64 - 1) };
                let options = AppendToStreamOptions::default().stream_state(state);
                client.append_to_stream(format!("raw-{round}-{w}"), &options, event).await.expect("raw append");
            }
        }));
    }
    for t in tasks {
        t.await.expect("raw writer");
    }
    start.elapsed().as_secs_f64()
}

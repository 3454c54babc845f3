//! `GET /metrics`: the daemon's figures in Prometheus' text format, gathered at each
//! scrape from what the daemon already knows (the log's head, the read models, the
//! scheduler's status, the dispatcher's channels, the sending lease) into a fresh
//! registry of the `prometheus` crate, which writes the exposition format.
//!
//! Counters derived from the log (reminders delivered, failures recorded) count every
//! event ever recorded, so they only grow and agree between daemons on one store.

use std::collections::BTreeMap;

use dondoc_app::App;
use dondoc_app::views::{self, Listing};
use dondoc_core::classify::Classification;
use dondoc_store::EventStore;
use dondoc_store::any::Store;
use prometheus::{Encoder, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

/// The channels reminders go out on.
const CHANNELS: [&str; 3] = ["email", "telegram", "zalo"];

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn gauge(registry: &Registry, name: &str, help: &str, value: i64) -> prometheus::Result<()> {
    let g = IntGauge::new(name, help)?;
    g.set(value);
    registry.register(Box::new(g))
}

fn gauges(registry: &Registry, name: &str, help: &str, label: &str) -> prometheus::Result<IntGaugeVec> {
    let g = IntGaugeVec::new(Opts::new(name, help), &[label])?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

fn counters(registry: &Registry, name: &str, help: &str, label: &str) -> prometheus::Result<IntCounterVec> {
    let c = IntCounterVec::new(Opts::new(name, help), &[label])?;
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

/// The channel of a reminder key (`plan/code/occurrence/milestone/offset/recipient/channel`).
fn channel_of(key: &str) -> &str {
    key.rsplit_once('/').map_or("unknown", |(_, c)| c)
}

/// Every metric, written in the text format.
pub async fn render(app: &App) -> anyhow::Result<String> {
    let registry = Registry::new();
    let r = &registry;

    // The log and how far the read models follow it.
    let head = app.store.last_position().await.ok().flatten();
    let (checkpoint, delivered, failures) = {
        let read = app.read().await?;
        (read.checkpoint()?, read.deliveries()?, read.open_failures()?)
    };
    gauge(r, "dondoc_log_position", "Position of the newest event of the log.", head.unwrap_or(0) as i64)?;
    gauge(
        r,
        "dondoc_read_models_position",
        "Position up to which the read models are built.",
        checkpoint.unwrap_or(0) as i64,
    )?;
    let lag = head.unwrap_or(0).saturating_sub(checkpoint.unwrap_or(0));
    gauge(r, "dondoc_projection_lag_positions", "Log positions not yet in the read models.", lag as i64)?;
    let (commits, appended) = match &app.store {
        Store::Sqlite(s) => {
            let stats = s.stats();
            (Some(stats.commits), Some(stats.events))
        }
        Store::Postgres(p) => {
            let (commits, requests) = p.writer_counts();
            (Some(commits), Some(requests))
        }
        Store::Esdb(_) => (None, None),
    };
    if let (Some(commits), Some(appended)) = (commits, appended) {
        let c = prometheus::IntCounter::new("dondoc_store_commits_total", "Commits of this process's store writer.")?;
        c.inc_by(commits);
        r.register(Box::new(c))?;
        let help = "Appends (SQLite: events) written by this process's store writer.";
        let c = prometheus::IntCounter::new("dondoc_store_appended_total", help)?;
        c.inc_by(appended);
        r.register(Box::new(c))?;
    }

    // Reminders: delivered (the log), failed and not delivered since, the last sweep.
    let by_channel = counters(r, "dondoc_reminders_delivered_total", "Reminders delivered, per channel.", "channel")?;
    // Every channel has its series from the start (a missing series is not a zero).
    let mut counts: BTreeMap<&str, u64> = CHANNELS.iter().map(|c| (*c, 0)).collect();
    for d in &delivered {
        *counts.entry(channel_of(&d.key)).or_default() += 1;
    }
    for (channel, n) in counts {
        by_channel.with_label_values(&[channel]).inc_by(n);
    }
    let failed = gauges(
        r,
        "dondoc_reminders_failed",
        "Reminders whose last attempt failed, not delivered since, per channel.",
        "channel",
    )?;
    let mut counts: BTreeMap<&str, i64> = CHANNELS.iter().map(|c| (*c, 0)).collect();
    for f in &failures {
        *counts.entry(channel_of(&f.key)).or_default() += 1;
    }
    for (channel, n) in counts {
        failed.with_label_values(&[channel]).set(n);
    }
    let status = app.status.lock().map(|s| s.clone()).unwrap_or_default();
    if let Some(sweep) = &status.last_sweep {
        gauge(r, "dondoc_sweep_planned_digests", "Digests the last sweep planned.", sweep.digests as i64)?;
        gauge(
            r,
            "dondoc_sweep_unreachable_digests",
            "Digests of the last sweep with no channel left.",
            sweep.unreachable as i64,
        )?;
        gauge(r, "dondoc_sweep_duration_milliseconds", "Duration of the last sweep.", sweep.total_ms as i64)?;
        let sent = gauges(r, "dondoc_sweep_delivered", "Messages the last sweep delivered, per channel.", "channel")?;
        for (channel, n) in &sweep.by_channel {
            sent.with_label_values(&[channel]).set(*n as i64);
        }
    }

    // The scheduler.
    let last = gauges(r, "dondoc_job_last_run_timestamp_seconds", "When each job last ran (Unix time).", "job")?;
    for (job, at) in &status.last_runs {
        last.with_label_values(&[job]).set(at.timestamp());
    }
    let failing = gauges(r, "dondoc_job_failing_runs", "Consecutive failed runs of each failing job.", "job")?;
    for job in status.last_runs.keys() {
        failing.with_label_values(&[job]).set(0);
    }
    for (job, f) in &status.failing_jobs {
        failing.with_label_values(&[job]).set(i64::from(f.runs));
    }

    // Channels and the sending lease.
    let up = gauges(r, "dondoc_channel_up", "1 while a channel can send, 0 while it has a fault.", "channel")?;
    for h in app.dispatcher.health() {
        up.with_label_values(&[h.channel.as_str()]).set(i64::from(h.fault.is_none()));
    }
    gauge(
        r,
        "dondoc_sending_leader",
        "1 while this process holds the sending lease.",
        i64::from(*app.leading.borrow()),
    )?;
    let holder = match &app.store {
        Store::Sqlite(_) => Some("this process".to_string()),
        Store::Postgres(p) => dondoc_store::postgres::lease::holder(p).await.ok().flatten(),
        Store::Esdb(e) => dondoc_store::esdb::lease::holder(e).await.ok().flatten(),
    };
    let holders =
        gauges(r, "dondoc_sending_lease_holder", "1 for the process that holds the sending lease.", "holder")?;
    if let Some(holder) = holder {
        holders.with_label_values(&[&holder]).set(1);
    }

    // Tasks per classification, now.
    let tasks = gauges(r, "dondoc_tasks", "Tasks per classification.", "classification")?;
    let rows = views::list(app, &Listing::default(), app.now()).await?;
    for c in Classification::ALL {
        tasks.with_label_values(&[c.as_str()]).set(0);
    }
    for (_, standing) in &rows {
        tasks.with_label_values(&[standing.classification.as_str()]).inc();
    }

    let mut out = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut out)?;
    Ok(String::from_utf8(out)?)
}

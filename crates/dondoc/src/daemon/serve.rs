//! `dondoc serve`: the scheduler loop, the HTTP endpoint and the bots, until SIGTERM or
//! Ctrl-C. On a stop signal the dispatcher takes no new message, sends in flight finish
//! and are recorded, and the process exits 0 within the grace period.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use dondoc_core::calendar::TZ;
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::schedule::JobKind;
use super::{Daemon, build, clock, inbound};
use crate::app::{self, App};
use crate::cli::Global;

/// Runs the daemon until a stop signal.
pub async fn run(global: &Global) -> Result<()> {
    let app = App::open(global).await?;
    crate::logging::init(&app.config.server.log_format);
    let start = std::env::var("DONDOC_NOW").ok().filter(|s| !s.is_empty()).map(|_| app::now()).transpose()?;
    let clock = clock::system(start);
    let server = app.config.server.clone();
    let dispatch = app.config.dispatch.clone();
    let channels = build::real_channels(&app, &clock).await?;
    let telegram = channels.telegram.clone();
    let zalo =
        channels.zalo.clone().map(|config| Arc::new(super::zalo_hook::Hook::new(config, channels.zalo_seen.clone())));
    if channels.senders.is_empty() {
        tracing::warn!("chưa cấu hình kênh gửi nào ([email], [telegram], [zalo]): nhắc việc sẽ không được gửi");
    }
    let daemon = Arc::new(build::daemon(app, channels.senders, dispatch, clock)?);
    daemon.status.lock().expect("status lock").started_at = Some((daemon.clock)());
    let (stop_tx, stop_rx) = watch::channel(false);

    // Handle SIGTERM from the moment anything is served.
    let signal = tokio::spawn(wait_for_signal());
    let listener = tokio::net::TcpListener::bind(&server.listen)
        .await
        .with_context(|| format!("không mở được cổng {}", server.listen))?;
    tracing::info!(listen = %server.listen, "dondoc đang chạy");
    let mut router = Router::new().route("/healthz", get(healthz)).with_state(daemon.clone());
    if let Some(hook) = zalo {
        router = router.merge(super::zalo_hook::router(daemon.clone(), hook));
    }
    let mut http_stop = stop_rx.clone();
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stop.changed().await;
            })
            .await
    });

    let mut tasks = Vec::new();
    if let Some(bot) = telegram {
        let (tx, rx) = mpsc::channel(256);
        let poller = bot.clone();
        let stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move { poller.run_updates(tx, stop).await }));
        let d = daemon.clone();
        let stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = inbound::run(&d, &bot, rx, stop).await {
                tracing::error!(error = %format!("{e:#}"), "bộ xử lý Telegram dừng");
            }
        }));
    }
    let d = daemon.clone();
    let scheduler = tokio::spawn(async move { scheduler_loop(&d, stop_rx).await });

    let _ = signal.await;
    tracing::info!("nhận tín hiệu dừng: hoàn tất các tin đang gửi rồi thoát");
    daemon.dispatcher.shutdown();
    let _ = stop_tx.send(true);
    let grace = Duration::from_secs(server.shutdown_grace_secs);
    match tokio::time::timeout(grace, scheduler).await {
        Ok(Ok(Err(e))) => tracing::error!(error = %format!("{e:#}"), "bộ lập lịch lỗi"),
        Err(_) => tracing::warn!("hết thời gian chờ, dừng bộ lập lịch"),
        _ => {}
    }
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(1), t).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), http).await;
    tracing::info!("đã dừng");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs each job at its cron ticks; after downtime a missed job runs once at start.
async fn scheduler_loop(d: &Daemon, mut stop: watch::Receiver<bool>) -> Result<()> {
    let now = (d.clock)();
    let mut last: Vec<(JobKind, DateTime<Utc>)> = Vec::new();
    for job in &d.jobs {
        let recorded = d.projections.lock().await.job_last_run(job.kind.name())?;
        match recorded {
            Some(l) if job.is_due(l, now) => {
                tracing::info!(job = job.kind.name(), last_run = %l, "chạy bù một lần việc bị lỡ khi dừng máy");
                run_logged(d, job.kind, now).await;
                last.push((job.kind, now));
            }
            Some(l) => last.push((job.kind, l)),
            // Never ran: the first sweep runs now (the planner catches up once); other
            // jobs wait for their first tick.
            None if job.kind == JobKind::Sweep => {
                run_logged(d, job.kind, now).await;
                last.push((job.kind, now));
            }
            None => last.push((job.kind, now)),
        }
    }
    loop {
        let now = (d.clock)();
        let Some(next) = d.jobs.iter().filter_map(|j| j.next_after(now)).min() else { return Ok(()) };
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return Ok(()),
        }
        let now = (d.clock)();
        for job in &d.jobs {
            let Some(slot) = last.iter_mut().find(|(k, _)| *k == job.kind) else { continue };
            if job.is_due(slot.1, now) {
                run_logged(d, job.kind, now).await;
                slot.1 = now;
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }
}

async fn run_logged(d: &Daemon, kind: JobKind, now: DateTime<Utc>) {
    if let Err(e) = d.run_job(kind, now).await {
        tracing::error!(job = kind.name(), error = %format!("{e:#}"), "việc định kỳ lỗi");
    }
}

/// `/healthz`: liveness, the next runs of every job (local time), the last sweep.
async fn healthz(State(d): State<Arc<Daemon>>) -> axum::Json<serde_json::Value> {
    let now = (d.clock)();
    let next: Vec<_> = d
        .next_runs(now)
        .into_iter()
        .map(|(job, at)| json!({ "job": job.kind.name(), "cron": job.expression, "at": at.with_timezone(&TZ).to_rfc3339() }))
        .collect();
    let status = d.status.lock().expect("status lock").clone();
    axum::Json(json!({
        "status": "ok",
        "now": now.with_timezone(&TZ).to_rfc3339(),
        "started_at": status.started_at.map(|t| t.with_timezone(&TZ).to_rfc3339()),
        "next_runs": next,
        "last_runs": status.last_runs.iter().map(|(k, t)| (k.to_string(), json!(t.with_timezone(&TZ).to_rfc3339()))).collect::<serde_json::Map<_, _>>(),
        "last_sweep": status.last_sweep.map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(at) = r.at {
                v["at"] = json!(at.with_timezone(&TZ).to_rfc3339());
            }
            v
        }),
        "channels": d.dispatcher.channels().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    }))
}

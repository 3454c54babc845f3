//! `dondoc serve`: the scheduler loop, the HTTP endpoint (`/healthz`, the Zalo webhook, the
//! API of `dondoc_web`) and
//! the Telegram bot, until SIGTERM or Ctrl-C. On a stop signal the dispatcher takes no new
//! message, sends in flight finish and are recorded, and the process exits 0 within the
//! grace period.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use dondoc_app::answers::zalo::{self, Hook, Verdict};
use dondoc_app::schedule::{JobKind, Tick};
use dondoc_app::{App, Delivery, jobs};
use dondoc_core::calendar::TZ;
use dondoc_notify::channel::zalo::webhook::SIGNATURE_HEADER;
use dondoc_store::any::Store;
use dondoc_store::esdb::lease as esdb_lease;
use dondoc_store::postgres::lease;
use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::cli::{Global, ServeArgs};
use crate::datadir::DataDir;
use crate::{channels, clock};

/// How often the read models catch up with events other processes appended.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// Runs the daemon until a stop signal.
pub async fn run(global: &Global, args: &ServeArgs) -> Result<()> {
    let data = DataDir::locate(global)?;
    let _lock = crate::lock::acquire(&data.dir, "serve")?;
    crate::logging::init(&data.config.server.log_format);
    let clock = clock::system(clock::daemon_start()?);
    let mut server = data.config.server.clone();
    if let Some(listen) = &args.listen {
        server.listen = listen.clone();
    }
    let channels = channels::real(&data, &clock)?;
    if channels.senders.is_empty() {
        tracing::warn!("chưa cấu hình kênh gửi nào ([email], [telegram], [zalo]): nhắc việc sẽ không được gửi");
    }
    data.load_chart_font();
    let delivery =
        Delivery { templates: data.templates()?, senders: channels.senders, dispatch: data.config.dispatch.clone() };
    let app = Arc::new(data.open(global, delivery, clock).await?);
    for job in &app.settings.jobs {
        job.check_fires(app.now())?;
    }
    channels.zalo_seen.load(&app).await?;
    if let Ok(mut status) = app.status.lock() {
        status.started_at = Some(app.now());
    }
    let (stop_tx, stop_rx) = watch::channel(false);

    // Handle SIGTERM from the moment anything is served.
    let signal = tokio::spawn(wait_for_signal());
    let listener = tokio::net::TcpListener::bind(&server.listen)
        .await
        .with_context(|| format!("không mở được cổng {}", server.listen))?;
    let bound = listener.local_addr().map_or_else(|_| server.listen.clone(), |a| a.to_string());
    tracing::info!(listen = %bound, "dondoc đang chạy");
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(app.clone())
        .merge(dondoc_web::router(app.clone(), data.config.web.clone())?);
    if let Some(config) = channels.zalo {
        let mut hook = Hook::new(config, channels.zalo_seen.clone());
        hook.reply = channels.zalo_sender.clone().map(|s| s as Arc<dyn dondoc_notify::Sender>);
        let hook = Arc::new(hook);
        router = router.merge(Router::new().route("/zalo/webhook", post(zalo_webhook)).with_state((app.clone(), hook)));
    }
    let mut http_stop = stop_rx.clone();
    let http = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = http_stop.changed().await;
            })
            .await
    });

    let mut tasks = Vec::new();
    // The read models follow the log (other processes' commands included), so that the
    // API's reads never wait for a catch-up.
    let follower = app.clone();
    let following = tokio::spawn(async move { follower.follow(FOLLOW_EVERY).await });
    // On a server store, several daemons may run: only the holder of the sending lease
    // runs the jobs (the others serve pages, the API and the chats).
    let holder = format!("dondoc {} pid {}", hostname(), std::process::id());
    match &app.store {
        Store::Postgres(store) => {
            app.leading.send_replace(false);
            let (store, app, stop) = (store.clone(), app.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move { lease::hold(store, holder, &app.leading, stop).await }));
        }
        Store::Esdb(store) => {
            app.leading.send_replace(false);
            let (store, app, stop) = (store.clone(), app.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move { esdb_lease::hold(store, holder, &app.leading, stop).await }));
        }
        Store::Sqlite(_) => {}
    }
    if let Some(bot) = channels.telegram {
        let (tx, rx) = mpsc::channel(256);
        let poller = bot.clone();
        let stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move { poller.run_updates(tx, stop).await }));
        let app = app.clone();
        let stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = dondoc_app::answers::telegram::run(&app, &bot, rx, stop).await {
                tracing::error!(error = %e, "bộ xử lý Telegram dừng");
            }
        }));
    }
    let scheduler_app = app.clone();
    let (base, _) = crate::config::calendar_files(global, &data.config, &data.dir);
    let mut calendar = CalendarWatch::new(base, data.dir.clone());
    let scheduler = tokio::spawn(async move { scheduler_loop(&scheduler_app, &mut calendar, stop_rx).await });

    let _ = signal.await;
    tracing::info!("nhận tín hiệu dừng: hoàn tất các tin đang gửi rồi thoát");
    app.dispatcher.shutdown();
    let _ = stop_tx.send(true);
    let grace = shutdown_grace(server.shutdown_grace_secs, app.dispatcher.longest_attempt());
    match tokio::time::timeout(grace, scheduler).await {
        Ok(Ok(Err(e))) => tracing::error!(error = %format!("{e:#}"), "bộ lập lịch lỗi"),
        Err(_) => tracing::warn!("hết thời gian chờ, dừng bộ lập lịch"),
        _ => {}
    }
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(1), t).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), http).await;
    following.abort();
    tracing::info!("đã dừng");
    Ok(())
}

/// How long a stopping daemon waits for sends in flight: the configured grace, but never
/// less than the longest send attempt (and a margin to record its outcome), so that no
/// message is cut off half-sent and sent again after the restart.
fn shutdown_grace(configured_secs: u64, longest_attempt: Duration) -> Duration {
    let needed = longest_attempt + Duration::from_secs(2);
    let configured = Duration::from_secs(configured_secs);
    if configured < needed && !longest_attempt.is_zero() {
        tracing::info!(
            configured_secs,
            grace_secs = needed.as_secs(),
            "thời gian chờ khi dừng được nâng lên bằng lần gửi lâu nhất của các kênh"
        );
        return needed;
    }
    configured
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
/// The calendar files the daemon follows: a notice recorded with `calendar add-notice` (or
/// an edit of the calendar file) takes effect before the next job, without a restart. A
/// file that does not read leaves the calendar as it was and shows on `/healthz`.
struct CalendarWatch {
    base: Option<std::path::PathBuf>,
    dir: std::path::PathBuf,
    seen: Vec<Option<(std::time::SystemTime, u64)>>,
}

/// How often the daemon looks at the calendar files (two `stat` calls).
const CALENDAR_POLL: Duration = Duration::from_secs(5);

/// The name under which a calendar file that does not read shows on `/healthz`.
const CALENDAR_PROBLEM: &str = "calendar";

impl CalendarWatch {
    fn new(base: Option<std::path::PathBuf>, dir: std::path::PathBuf) -> CalendarWatch {
        let mut watch = CalendarWatch { base, dir, seen: Vec::new() };
        watch.seen = watch.fingerprint();
        watch
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        self.base.iter().cloned().chain([self.dir.join(crate::config::NOTICES_FILE)]).collect()
    }

    fn fingerprint(&self) -> Vec<Option<(std::time::SystemTime, u64)>> {
        self.files()
            .iter()
            .map(|f| std::fs::metadata(f).ok().and_then(|m| Some((m.modified().ok()?, m.len()))))
            .collect()
    }

    /// Reloads the calendar into `app` when a file changed since the last look.
    fn refresh(&mut self, app: &App) {
        let now = self.fingerprint();
        if now == self.seen {
            return;
        }
        self.seen = now;
        let loaded = crate::config::load_base_calendar(self.base.as_deref()).and_then(|base| {
            let config = base.with_notices(&crate::config::recorded_notices(&self.dir)?);
            Ok(dondoc_core::WorkCalendar::new(&config)?)
        });
        let mut status = app.status.lock().unwrap_or_else(|e| e.into_inner());
        match loaded {
            Ok(calendar) => {
                app.settings.calendar.replace(calendar);
                status.failing_jobs.remove(CALENDAR_PROBLEM);
                tracing::info!("đã nạp lại lịch làm việc (tệp lịch hoặc thông báo nghỉ lễ thay đổi)");
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::error!(error = %error, "tệp lịch mới không hợp lệ: vẫn dùng lịch cũ");
                status
                    .failing_jobs
                    .insert(CALENDAR_PROBLEM, dondoc_app::JobFailure { since: app.now(), runs: 1, error });
            }
        }
    }
}

async fn scheduler_loop(app: &App, calendar: &mut CalendarWatch, mut stop: watch::Receiver<bool>) -> Result<()> {
    let now = app.now();
    let mut last: Vec<(JobKind, DateTime<Utc>)> = Vec::new();
    for job in &app.settings.jobs {
        let recorded = app.read_as_is().await.job_last_run(job.kind.name())?;
        match recorded.map(|l| (l, job.tick(l, now))) {
            Some((l, Tick::Run)) => {
                tracing::info!(job = job.kind.name(), last_run = %l, "chạy bù một lần việc bị lỡ khi dừng máy");
                run_logged(app, job.kind, now).await;
                last.push((job.kind, now));
            }
            Some((l, Tick::Rewound)) => {
                clock_went_back(job.kind, l, now);
                last.push((job.kind, now));
            }
            Some((l, Tick::Wait)) => last.push((job.kind, l)),
            // Never ran: the first sweep runs now (the planner catches up once); other
            // jobs wait for their first tick.
            None if job.kind == JobKind::Sweep => {
                run_logged(app, job.kind, now).await;
                last.push((job.kind, now));
            }
            None => last.push((job.kind, now)),
        }
    }
    let mut leading = app.leading.subscribe();
    leading.borrow_and_update();
    loop {
        let now = app.now();
        let Some(next) = app.settings.jobs.iter().filter_map(|j| j.next_after(now)).min() else { return Ok(()) };
        // Woken at least every CALENDAR_POLL to follow the calendar files; a job runs only
        // when one of its times has passed.
        let wait = (next - now).to_std().unwrap_or_default().min(CALENDAR_POLL);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return Ok(()),
            changed = leading.changed() => {
                // Taking over from a daemon that stopped or died: sweep at once, so that
                // nothing due waits for the next tick.
                if changed.is_ok() && *leading.borrow_and_update() {
                    tracing::info!("đã nhận quyền gửi nhắc việc");
                    run_logged(app, JobKind::Sweep, app.now()).await;
                } else if changed.is_ok() {
                    tracing::warn!("mất quyền gửi nhắc việc (mất kết nối tới kho sự kiện)");
                }
                continue;
            }
        }
        let now = app.now();
        calendar.refresh(app);
        for job in &app.settings.jobs {
            let Some(slot) = last.iter_mut().find(|(k, _)| *k == job.kind) else { continue };
            match job.tick(slot.1, now) {
                Tick::Run => {
                    run_logged(app, job.kind, now).await;
                    slot.1 = now;
                }
                Tick::Rewound => {
                    clock_went_back(job.kind, slot.1, now);
                    slot.1 = now;
                }
                Tick::Wait => {}
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }
}

/// The system clock reads earlier than a job's last run: its schedule restarts from now.
fn clock_went_back(kind: JobKind, last: DateTime<Utc>, now: DateTime<Utc>) {
    tracing::warn!(
        job = kind.name(),
        last_run = %last,
        now = %now,
        "đồng hồ hệ thống lùi về trước lần chạy gần nhất: tính lại lịch chạy từ thời điểm hiện tại"
    );
}

async fn run_logged(app: &App, kind: JobKind, now: DateTime<Utc>) {
    if let Err(e) = jobs::run(app, kind, now).await {
        tracing::error!(job = kind.name(), error = %e, "việc định kỳ lỗi");
    }
}

/// `/healthz`: 200 and `"status": "ok"` while every channel can send and every job's last
/// run succeeded; otherwise 503 and `"status": "degraded"` with each problem, its reason
/// and since when. Also: the next runs of every job (local time), the last runs and the
/// last sweep's figures.
async fn healthz(State(app): State<Arc<App>>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let now = app.now();
    let local = |t: DateTime<Utc>| t.with_timezone(&TZ).to_rfc3339();
    let next: Vec<_> = jobs::next_runs(&app, now)
        .into_iter()
        .map(|(job, at)| json!({ "job": job.kind.name(), "cron": job.expression, "at": local(at) }))
        .collect();
    let status = app.status.lock().map(|s| s.clone()).unwrap_or_default();
    let mut problems: Vec<serde_json::Value> = app
        .dispatcher
        .health()
        .into_iter()
        .filter_map(|h| {
            let fault = h.fault?;
            Some(json!({ "channel": h.channel.as_str(), "reason": fault.reason, "since": local(fault.since) }))
        })
        .collect();
    let mut failing: Vec<_> = status.failing_jobs.iter().collect();
    failing.sort_by_key(|(job, _)| **job);
    problems.extend(
        failing
            .into_iter()
            .map(|(job, f)| json!({ "job": job, "reason": f.error, "since": local(f.since), "failed_runs": f.runs })),
    );
    let code = if problems.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if problems.is_empty() { "ok" } else { "degraded" },
        "problems": problems,
        "now": local(now),
        "started_at": status.started_at.map(local),
        "sending": sending(&app).await,
        "next_runs": next,
        "last_runs": status.last_runs.iter().map(|(k, t)| (k.to_string(), json!(local(*t)))).collect::<serde_json::Map<_, _>>(),
        "last_sweep": status.last_sweep.map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(at) = r.at {
                v["at"] = json!(local(at));
            }
            v
        }),
        "channels": app.dispatcher.channels().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    });
    (code, axum::Json(body))
}

/// `GET /metrics`: Prometheus' text format ([`crate::metrics`]); 500 with the reason when
/// the figures cannot be gathered.
async fn metrics(State(app): State<Arc<App>>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match crate::metrics::render(&app).await {
        Ok(text) => ([(axum::http::header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("không lấy được số liệu: {e}")).into_response(),
    }
}

/// `POST /zalo/webhook`: 200 once what the event means is appended (Zalo waits about 2 s
/// and sends the event again when the answer is not 200); 500 when it could not be, so
/// that Zalo's next delivery is handled again.
async fn zalo_webhook(State((app, hook)): State<(Arc<App>, Arc<Hook>)>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (verdict, event) = hook.check(&body, signature, app.now());
    if let Some(event) = event {
        // In its own task: a client that hangs up does not cancel the recording half-way.
        let handling = tokio::spawn(async move {
            let result = zalo::handle(&app, &hook, event.clone()).await;
            hook.finish(&event, result.is_ok());
            result
        });
        match handling.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "không ghi nhận được sự kiện Zalo: trả lỗi để Zalo gửi lại");
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            Err(e) => {
                tracing::error!(error = %e, "xử lý sự kiện Zalo bị dừng");
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
        }
    }
    match verdict {
        Verdict::Accepted => StatusCode::OK,
        Verdict::Malformed => StatusCode::BAD_REQUEST,
        Verdict::Refused => StatusCode::UNAUTHORIZED,
    }
}

/// Who sends: this process (`leader`), and on a server store the lease's holder.
async fn sending(app: &App) -> serde_json::Value {
    let leader = *app.leading.borrow();
    match &app.store {
        Store::Postgres(store) => {
            let holder = lease::holder(store).await.ok().flatten();
            json!({ "leader": leader, "holder": holder })
        }
        Store::Esdb(store) => {
            let holder = esdb_lease::holder(store).await.ok().flatten();
            json!({ "leader": leader, "holder": holder })
        }
        Store::Sqlite(_) => json!({ "leader": leader, "holder": "this process" }),
    }
}

/// This machine's name, for the lease holder's name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "?".to_string())
}

//! Running the daemon's jobs: the reminder sweep (followed by the retry of a weekly
//! summary that reached nobody), the weekly summary and the daily digest. The serve loop
//! and the simulation call [`run`] at each job's ticks.

use chrono::{DateTime, Utc};

use crate::App;
use crate::app::JobFailure;
use crate::error::Result;
use crate::reminders::sweep;
use crate::schedule::{Job, JobKind};
use crate::summary::{daily, weekly};

/// Runs one job at `now` and records that it ran; a failure is kept in
/// [`crate::Status::failing_jobs`] until the job succeeds again.
/// A process that does not hold the sending lease runs nothing (another daemon sends).
pub async fn run(app: &App, kind: JobKind, now: DateTime<Utc>) -> Result<()> {
    if !*app.leading.borrow() {
        tracing::debug!(job = kind.name(), "không giữ quyền gửi: một dịch vụ khác đang gửi nhắc việc");
        return Ok(());
    }
    let result = run_job(app, kind, now).await;
    if let Ok(mut status) = app.status.lock() {
        match &result {
            Ok(()) => {
                if status.failing_jobs.remove(kind.name()).is_some() {
                    tracing::info!(job = kind.name(), "việc định kỳ chạy lại bình thường");
                }
            }
            Err(e) => {
                let failure = status.failing_jobs.entry(kind.name()).or_insert_with(|| JobFailure {
                    since: now,
                    runs: 0,
                    error: String::new(),
                });
                failure.runs += 1;
                failure.error = e.to_string();
            }
        }
    }
    result
}

async fn run_job(app: &App, kind: JobKind, now: DateTime<Utc>) -> Result<()> {
    match kind {
        JobKind::DailyDigest => {
            let sent = daily::send(app, now).await?;
            tracing::info!(job = kind.name(), at = %now, sent, "đã gửi tổng hợp hằng ngày");
        }
        JobKind::Sweep => {
            let report = sweep::sweep(app, now).await?;
            tracing::info!(
                job = kind.name(),
                at = %now,
                digests = report.digests,
                notices = report.notices,
                delivered = report.dispatch.delivered,
                undelivered = report.dispatch.undelivered,
                "đã chạy lượt quét nhắc việc"
            );
            if let Ok(mut status) = app.status.lock() {
                status.last_sweep = Some(report);
            }
            weekly::retry(app, now).await?;
        }
        JobKind::WeeklySummary => {
            let sent = weekly::send(app, now).await?;
            tracing::info!(job = kind.name(), at = %now, sent = sent.delivered, undelivered = sent.undelivered, "đã gửi báo cáo tuần");
        }
    }
    if let Ok(mut status) = app.status.lock() {
        status.last_runs.insert(kind.name(), now);
    }
    app.read_as_is().await.set_job_last_run(kind.name(), now)?;
    Ok(())
}

/// The next run of every job after `now`.
pub fn next_runs(app: &App, now: DateTime<Utc>) -> Vec<(&Job, DateTime<Utc>)> {
    app.settings.jobs.iter().filter_map(|j| j.next_after(now).map(|t| (j, t))).collect()
}

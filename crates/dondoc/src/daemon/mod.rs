//! The daemon: the scheduler loop (`serve`), the same loop on a virtual clock
//! (`simulate`), and the jobs they run. A job is a pipeline of small stages, like
//! Alertmanager's: load (projections, contacts, silences) → plan (pure planner) → render
//! (templates) → dispatch (queues, limits, retries, fallback) → record (events), each in
//! its own module.

pub mod build;
pub mod clock;
pub mod daily;
pub mod inbound;
pub mod load;
pub mod record;
pub mod schedule;
pub mod serve;
pub mod settings;
pub mod simulate;
pub mod sweep;
pub mod weekly;
pub mod zalo_hook;

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::agency::AgencyConfig;
use dondoc_core::classify::Classifier;
use dondoc_core::event::Channel;
use dondoc_core::planner::ReminderPolicy;
use dondoc_core::policy::ReportingPolicy;
use dondoc_notify::dispatch::Dispatcher;
use dondoc_notify::templates::Templates;
use dondoc_projections::Projections;
use dondoc_store::sqlite::SqliteStore;
use tokio::sync::Mutex;

use self::clock::Clock;
use self::schedule::{Job, JobKind};

/// Everything a job needs; shared by the scheduler loop, the HTTP server and the bots.
pub struct Daemon {
    pub store: SqliteStore,
    /// The one owner of the projection tables (catch-up writes them).
    pub projections: Mutex<Projections>,
    pub calendar: WorkCalendar,
    pub policy: ReportingPolicy,
    pub due_soon_working_days: u32,
    pub agencies: AgencyConfig,
    pub reminders: ReminderPolicy,
    pub channel_order: Vec<Channel>,
    pub templates: Templates,
    pub dispatcher: Dispatcher,
    pub jobs: Vec<Job>,
    pub clock: Clock,
    /// The sweep's inputs as of the last store position seen.
    pub inputs: Mutex<Option<std::sync::Arc<sweep::Inputs>>>,
    /// What `/healthz` shows.
    pub status: std::sync::Mutex<Status>,
}

/// The daemon's recent activity, for `/healthz` and logs.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Status {
    pub started_at: Option<DateTime<Utc>>,
    pub last_runs: HashMap<&'static str, DateTime<Utc>>,
    pub last_sweep: Option<sweep::SweepReport>,
}

impl Daemon {
    /// A classifier with the daemon's calendar and policy.
    pub fn classifier(&self) -> Classifier<'_> {
        Classifier {
            due_soon_working_days: self.due_soon_working_days,
            ..Classifier::new(&self.calendar, &self.policy)
        }
    }

    /// Runs one job at `now`.
    pub async fn run_job(&self, kind: JobKind, now: DateTime<Utc>) -> Result<()> {
        match kind {
            JobKind::DailyDigest => {
                let sent = daily::send(self, now).await?;
                tracing::info!(job = kind.name(), at = %now, sent, "đã gửi tổng hợp hằng ngày");
            }
            JobKind::Sweep => {
                let report = sweep::sweep(self, now).await?;
                tracing::info!(
                    job = kind.name(),
                    at = %now,
                    digests = report.digests,
                    notices = report.notices,
                    delivered = report.dispatch.delivered,
                    undelivered = report.dispatch.undelivered,
                    "đã chạy lượt nhắc việc"
                );
                self.status.lock().expect("status lock").last_sweep = Some(report);
                weekly::retry(self, now).await?;
            }
            JobKind::WeeklySummary => {
                let sent = weekly::send(self, now).await?;
                tracing::info!(job = kind.name(), at = %now, sent = sent.delivered, undelivered = sent.undelivered, "đã gửi báo cáo tuần");
            }
        }
        self.status.lock().expect("status lock").last_runs.insert(kind.name(), now);
        self.projections.lock().await.set_job_last_run(kind.name(), now)?;
        Ok(())
    }

    /// The next run of every job after `now`.
    pub fn next_runs(&self, now: DateTime<Utc>) -> Vec<(&Job, DateTime<Utc>)> {
        self.jobs.iter().filter_map(|j| j.next_after(now).map(|t| (j, t))).collect()
    }
}

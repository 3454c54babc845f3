//! The reminder sweep: load → plan → render → dispatch → record.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use dondoc_core::agency::Directory;
use dondoc_core::event::Channel;
use dondoc_core::planner::{Contact, DeliveredSet, Digest, Planner, Silence};
use dondoc_core::task::TaskState;
use dondoc_notify::dispatch::{Job, Report};
use dondoc_projections::board::TaskFilter;
use dondoc_store::EventStore;
use serde::Serialize;

use super::Daemon;
use super::load;
use super::record::StoreRecorder;

/// What one sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub at: Option<DateTime<Utc>>,
    pub tasks: usize,
    pub digests: usize,
    pub notices: usize,
    /// Digests with no channel left to try (no address, or every channel refused for good).
    pub unreachable: usize,
    pub dispatch: Report,
    /// Messages delivered per channel.
    pub by_channel: HashMap<&'static str, usize>,
    pub plan_ms: u128,
    pub total_ms: u128,
}

/// Everything the planner and the renderer read, as of one store position. Sweeps reuse
/// it while nothing was appended (most sweeps: the log changes far less often than every
/// 15 minutes).
pub struct Inputs {
    position: Option<u64>,
    tasks: Vec<TaskState>,
    delivered: DeliveredSet,
    last_overdue: HashMap<String, chrono::NaiveDate>,
    contacts: Vec<Contact>,
    silences: Vec<Silence>,
    directory: Directory,
    /// Keys (with channel) a channel refused for good: that channel is not tried again.
    refused: HashSet<String>,
    titles: HashMap<String, String>,
}

/// The inputs as of the store's current position (cached).
async fn inputs(d: &Daemon) -> Result<Arc<Inputs>> {
    let position = d.store.last_position().await?;
    let mut cache = d.inputs.lock().await;
    if let Some(cached) = cache.as_ref().filter(|c| c.position == position) {
        return Ok(cached.clone());
    }
    let (tasks, delivered, last_overdue, refused, titles) = {
        let mut p = d.projections.lock().await;
        p.catch_up(&d.store).await.context("không cập nhật được bảng theo dõi")?;
        let tasks: Vec<_> = p.tasks(&TaskFilter::default())?.into_iter().map(|t| t.state).collect();
        let refused = p.open_failures()?.into_iter().filter(|f| !f.will_retry).map(|f| f.key).collect();
        let titles = load::plan_titles(&d.store, &p.plans()?).await?;
        (tasks, DeliveredSet::from_ids(p.delivered_ids()?), p.last_overdue()?, refused, titles)
    };
    let inputs = Arc::new(Inputs {
        position,
        tasks,
        delivered,
        last_overdue,
        contacts: load::contacts(&d.store).await?.contacts(&d.channel_order),
        silences: load::silences(&d.store).await?.for_planner(),
        directory: load::directory(&d.store, &d.agencies).await?,
        refused,
        titles,
    });
    *cache = Some(inputs.clone());
    Ok(inputs)
}

/// The digests a sweep at `now` would send, without sending (`reminders plan`), and the
/// number of tasks considered.
pub async fn plan(d: &Daemon, now: DateTime<Utc>) -> Result<(Vec<Digest>, usize)> {
    let inputs = inputs(d).await?;
    Ok((planner(d, &inputs).plan(&inputs.tasks, now), inputs.tasks.len()))
}

fn planner<'a>(d: &'a Daemon, i: &'a Inputs) -> Planner<'a> {
    Planner {
        calendar: &d.calendar,
        reporting: &d.policy,
        reminders: &d.reminders,
        contacts: &i.contacts,
        directory: &i.directory,
        silences: &i.silences,
        delivered: &i.delivered,
        last_overdue: &i.last_overdue,
    }
}

/// Plan titles by plan id.
pub async fn plan_titles(d: &Daemon) -> Result<HashMap<String, String>> {
    Ok(inputs(d).await?.titles.clone())
}

/// One sweep at `now`.
pub async fn sweep(d: &Daemon, now: DateTime<Utc>) -> Result<SweepReport> {
    let started = std::time::Instant::now();
    let inputs = inputs(d).await?;
    let digests = planner(d, &inputs).plan(&inputs.tasks, now);
    let mut report = SweepReport {
        at: Some(now),
        tasks: inputs.tasks.len(),
        digests: digests.len(),
        notices: digests.iter().map(|g| g.notices.len()).sum(),
        plan_ms: started.elapsed().as_millis(),
        ..SweepReport::default()
    };
    if digests.is_empty() {
        report.total_ms = started.elapsed().as_millis();
        return Ok(report);
    }
    let available = d.dispatcher.channels();
    let mut jobs = Vec::with_capacity(digests.len());
    for digest in &digests {
        let job = job(d, digest, &inputs, &available)?;
        if job.messages.is_empty() {
            report.unreachable += 1;
            tracing::warn!(recipient = %digest.recipient, "không còn kênh nào để gửi nhắc việc");
        } else {
            jobs.push(job);
        }
    }
    let recorder = StoreRecorder::new(&d.store);
    report.dispatch = d.dispatcher.run(jobs, &recorder).await;
    report.by_channel = recorder.delivered_by_channel();
    report.total_ms = started.elapsed().as_millis();
    Ok(report)
}

/// A digest rendered for each of the recipient's channels in preference order, without
/// channels this daemon cannot send on and channels that refused these reminders for good.
fn job(d: &Daemon, digest: &Digest, inputs: &Inputs, available: &[Channel]) -> Result<Job> {
    let channels = std::iter::once((digest.channel, digest.address.clone())).chain(digest.fallbacks.iter().cloned());
    let mut messages = Vec::new();
    for (channel, address) in channels {
        if !available.contains(&channel) {
            continue;
        }
        let message = d.templates.render_digest(digest, channel, &address, &inputs.titles)?;
        if message.keys.iter().any(|k| inputs.refused.contains(&k.to_string())) {
            continue;
        }
        messages.push(message);
    }
    Ok(Job { messages })
}

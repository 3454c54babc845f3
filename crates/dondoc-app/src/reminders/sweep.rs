//! The reminder sweep: load → decide what is due → render → dispatch → record.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::agency::Directory;
use dondoc_core::contact::Contact;
use dondoc_core::event::Channel;
use dondoc_core::reminder::{DeliveredSet, Digest, DueReminders};
use dondoc_core::silence::Silence;
use dondoc_core::task::TaskState;
use dondoc_notify::dispatch::{Job, Report};
use dondoc_projections::board::TaskFilter;
use dondoc_store::EventStore;
use serde::Serialize;

use super::record::{Counting, DeliveryRecorder};
use crate::App;
use crate::error::Result;

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

/// Everything deciding and rendering read, as of one store position. Sweeps reuse it
/// while nothing was appended (most sweeps: the log changes far less often than every
/// 15 minutes).
pub struct Inputs {
    position: Option<u64>,
    pub tasks: Vec<TaskState>,
    delivered: DeliveredSet,
    last_overdue: HashMap<String, NaiveDate>,
    contacts: Vec<Contact>,
    silences: Vec<Silence>,
    directory: Directory,
    /// Keys (with channel) a channel refused for good: that channel is not tried again.
    refused: HashSet<String>,
    /// How each plan is cited ("Kế hoạch số … ngày … của … về …"), by plan id.
    pub citations: HashMap<String, String>,
}

/// The inputs as of the store's current position (cached on the app).
pub async fn inputs(app: &App) -> Result<Arc<Inputs>> {
    let position = app.store.last_position().await?;
    let mut cache = app.sweep_inputs.lock().await;
    if let Some(cached) = cache.as_ref().filter(|c| c.position == position) {
        return Ok(cached.clone());
    }
    let read = app.read().await?;
    let inputs = Arc::new(Inputs {
        position,
        tasks: read.tasks(&TaskFilter::default())?.into_iter().map(|t| t.state).collect(),
        delivered: DeliveredSet::from_ids(read.delivered_ids()?),
        last_overdue: read.last_overdue()?,
        contacts: read.contacts()?.contacts(&app.settings.channel_order),
        silences: read.silences()?.for_planner(),
        directory: read.directory(&app.settings.agencies)?,
        refused: read.open_failures()?.into_iter().filter(|f| !f.will_retry).map(|f| f.key).collect(),
        citations: read.plan_citations()?,
    });
    *cache = Some(inputs.clone());
    Ok(inputs)
}

fn due_reminders<'a>(app: &'a App, calendar: &'a WorkCalendar, i: &'a Inputs) -> DueReminders<'a> {
    DueReminders {
        calendar,
        reporting: &app.settings.policy,
        reminders: &app.settings.reminders,
        contacts: &i.contacts,
        directory: &i.directory,
        silences: &i.silences,
        delivered: &i.delivered,
        last_overdue: &i.last_overdue,
    }
}

/// The digests a sweep at `now` would send, without sending (a preview), and the inputs
/// they were decided from.
pub async fn due(app: &App, now: DateTime<Utc>) -> Result<(Vec<Digest>, Arc<Inputs>)> {
    let inputs = inputs(app).await?;
    let calendar = app.calendar();
    Ok((due_reminders(app, &calendar, &inputs).digests(&inputs.tasks, now), inputs))
}

/// One sweep at `now`, recording outcomes in the store. Records an earlier sweep could not
/// write are appended first; those still waiting count as delivered.
pub async fn sweep(app: &App, now: DateTime<Utc>) -> Result<SweepReport> {
    let started = Instant::now();
    if !app.unrecorded.is_empty() {
        app.unrecorded.flush(&app.store).await;
    }
    let inputs = inputs(app).await?;
    let calendar = app.calendar();
    let digests = if app.unrecorded.is_empty() {
        due_reminders(app, &calendar, &inputs).digests(&inputs.tasks, now)
    } else {
        let mut delivered = inputs.delivered.clone();
        for id in app.unrecorded.delivered_ids() {
            delivered.insert(&id);
        }
        DueReminders { delivered: &delivered, ..due_reminders(app, &calendar, &inputs) }.digests(&inputs.tasks, now)
    };
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
    let available = app.dispatcher.channels();
    let mut jobs = Vec::with_capacity(digests.len());
    for digest in &digests {
        let job = job(app, digest, &inputs, &available)?;
        if job.messages.is_empty() {
            report.unreachable += 1;
            tracing::warn!(recipient = %digest.recipient, "không còn kênh nào để gửi nhắc việc");
        } else {
            jobs.push(job);
        }
    }
    let recorder = app.layered(Box::new(DeliveryRecorder::new(&app.store, &app.unrecorded)));
    let counting = Counting::new(&*recorder);
    report.dispatch = app.dispatcher.run(jobs, &counting).await;
    report.by_channel = counting.delivered_by_channel();
    report.total_ms = started.elapsed().as_millis();
    Ok(report)
}

/// A digest rendered for each of the recipient's channels in preference order, without
/// channels this daemon cannot send on and channels that refused these reminders for good.
fn job(app: &App, digest: &Digest, inputs: &Inputs, available: &[Channel]) -> Result<Job> {
    let channels = std::iter::once((digest.channel, digest.address.clone())).chain(digest.fallbacks.iter().cloned());
    let mut messages = Vec::new();
    for (channel, address) in channels {
        if !available.contains(&channel) {
            continue;
        }
        let message = app.templates.render_digest(digest, channel, &address, &inputs.citations)?;
        if message.keys.iter().any(|k| inputs.refused.contains(&k.to_string())) {
            continue;
        }
        messages.push(message);
    }
    Ok(Job { messages })
}

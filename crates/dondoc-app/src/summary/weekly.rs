//! The weekly leadership summary: computed from the board and the delivery failures,
//! rendered (HTML email with chart and workbook, or short text), sent to every contact
//! with the leadership role, each edition recorded per person so it arrives once; a
//! leader no channel reached gets it again from the sweeps during that week.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use dondoc_core::contact::Role;
use dondoc_core::event::Channel;
use dondoc_core::summary::log::{edition_of_delivery_report, edition_of_week};
use dondoc_core::summary::weekly::{self, ChannelProblem, FailedDelivery, WeeklySummary};
use dondoc_notify::dispatch::Job;
use dondoc_notify::message::Message;
use dondoc_projections::board::TaskFilter;
use dondoc_projections::delivery::parse_key;

pub use super::record::Sent;
use super::record::dispatch;
use crate::App;
use crate::error::Result;
use crate::schedule::JobKind;

/// Failed attempts after which a week's summary is no longer retried for a person.
pub const MAX_ATTEMPTS: usize = 8;

/// The summary of the week ending at `now`.
pub async fn compute(app: &App, now: DateTime<Utc>) -> Result<WeeklySummary> {
    let (tasks, failures, plans) = {
        let read = app.read().await?;
        let plans: std::collections::BTreeMap<_, _> =
            read.plan_records()?.into_iter().map(|r| (r.plan.clone(), r.name())).collect();
        let tasks: Vec<_> = read.tasks(&TaskFilter::default())?.into_iter().map(|t| t.state).collect();
        let failures: Vec<FailedDelivery> = read
            .open_failures()?
            .into_iter()
            .filter_map(|f| {
                let key = parse_key(&f.key)?;
                Some(FailedDelivery {
                    plan: f.plan,
                    code: f.code,
                    recipient: key.recipient,
                    channel: key.channel,
                    error: f.error,
                    at: f.at,
                })
            })
            .collect();
        (tasks, failures, plans)
    };
    let mut summary = weekly::summarize(&tasks, &failures, &app.classifier(&app.calendar()), now);
    let named: std::collections::BTreeSet<&str> = tasks.iter().map(|t| t.key.plan.as_str()).collect();
    summary.plans = named
        .into_iter()
        .map(|p| {
            let name = plans.get(p).cloned().unwrap_or_else(|| dondoc_core::plan::PlanName {
                reference: format!("Kế hoạch {p}"),
                citation: format!("Kế hoạch {p}"),
            });
            (p.to_string(), name)
        })
        .collect();
    if let Some(source) = &app.proposals {
        let start = dondoc_core::calendar::local_instant(summary.week_from, chrono::NaiveTime::MIN);
        summary.proposals = source(start);
    }
    summary.channel_faults = app
        .dispatcher
        .health()
        .into_iter()
        .filter_map(|h| h.fault.map(|f| ChannelProblem { channel: h.channel, reason: f.reason, since: f.since }))
        .collect();
    Ok(summary)
}

/// Sends the summary of the week ending at `now` to leadership (those who have not
/// received it yet), and the report of failed deliveries to the secretariat, recording in
/// the store. Returns what the leadership summary did.
pub async fn send(app: &App, now: DateTime<Utc>) -> Result<Sent> {
    let summary = compute(app, now).await?;
    let sent = send_to(app, &summary, None).await?;
    let report = super::delivery::send(app, &summary).await?;
    if report.delivered + report.undelivered > 0 {
        tracing::info!(at = %now, sent = report.delivered, undelivered = report.undelivered, "đã gửi báo cáo tình hình gửi nhắc việc");
    }
    Ok(sent)
}

/// Run by every sweep: a leader whose summary of the current week failed on every channel
/// gets it again, in working hours, until it arrives or [`MAX_ATTEMPTS`] failed (a
/// channel's own fault is not counted: the summary waits for the fix); so does a member of
/// the secretariat whose report of failed deliveries did not arrive. Stateless (read from
/// the `summaries` stream), so it survives restarts.
pub async fn retry(app: &App, now: DateTime<Utc>) -> Result<()> {
    let Some(job) = app.settings.jobs.iter().find(|j| j.kind == JobKind::WeeklySummary) else {
        return Ok(());
    };
    let Some(tick) = job.last_tick(now, Duration::days(8)) else { return Ok(()) };
    if !app.calendar().is_working_time(now) {
        return Ok(());
    }
    let week = weekly::week_of(tick).0;
    let (leaders, secretariat) = {
        let read = app.read().await?;
        let owed = |edition: &str| -> Result<HashSet<String>> {
            let history = read.edition_history(edition)?;
            Ok(history
                .attempted
                .iter()
                .filter(|who| !history.delivered.contains(*who))
                .filter(|who| history.failures.get(*who).is_none_or(|n| *n < MAX_ATTEMPTS))
                .cloned()
                .collect())
        };
        (owed(&edition_of_week(week))?, owed(&edition_of_delivery_report(week))?)
    };
    if leaders.is_empty() && secretariat.is_empty() {
        return Ok(());
    }
    let summary = compute(app, tick).await?;
    if !leaders.is_empty() {
        let sent = send_to(app, &summary, Some(&leaders)).await?;
        tracing::info!(at = %now, sent = sent.delivered, undelivered = sent.undelivered, "gửi lại báo cáo tuần");
    }
    if !secretariat.is_empty() {
        let sent = super::delivery::send_to(app, &summary, Some(&secretariat)).await?;
        tracing::info!(at = %now, sent = sent.delivered, undelivered = sent.undelivered, "gửi lại báo cáo tình hình gửi nhắc việc");
    }
    Ok(())
}

/// Sends `summary` to leaders who have not received it (only those in `only`, when given).
async fn send_to(app: &App, summary: &WeeklySummary, only: Option<&HashSet<String>>) -> Result<Sent> {
    let edition = summary.edition();
    let (done, book) = {
        let read = app.read().await?;
        (read.edition_history(&edition)?.delivered, read.contacts()?)
    };
    let available = app.dispatcher.channels();
    let mut jobs = Vec::new();
    for contact in book.contacts(&app.settings.channel_order).into_iter().filter(|c| c.role == Role::Leadership) {
        if done.contains(&contact.id) || only.is_some_and(|only| !only.contains(&contact.id)) {
            continue;
        }
        let salutation = dondoc_notify::templates::salutation(&contact.name, contact.position.as_deref());
        // Leadership reads the full summary (chart, workbook) by email first.
        let mut channels = contact.channels.clone();
        channels.sort_by_key(|(c, _)| *c != Channel::Email);
        let mut messages: Vec<Message> = Vec::new();
        for (channel, address) in channels.iter().filter(|(channel, _)| available.contains(channel)) {
            let mut m = match channel {
                Channel::Email => app.templates.weekly_email(summary, &salutation, &contact.name, address)?,
                _ => app.templates.weekly_chat(summary, *channel, &salutation, &contact.name, address)?,
            };
            m.recipient = contact.id.clone();
            messages.push(m);
        }
        if !messages.is_empty() {
            jobs.push(Job { messages });
        }
    }
    Ok(dispatch(app, edition, jobs).await)
}

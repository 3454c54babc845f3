//! The weekly leadership summary: computed from the board and the delivery failures,
//! rendered (HTML email with chart and XLSX, or short text), sent to every contact with
//! the leadership role through the dispatcher, and recorded on the `summaries` stream so
//! a week's summary reaches each person once.

use dondoc_core::StreamEvent as _;
use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::{DateTime, Utc};
use dondoc_core::event::{Channel, Source};
use dondoc_core::planner::Role;
use dondoc_core::summary::{self, FailedDelivery, WeeklySummary};
use dondoc_core::summary_log::{SUMMARY_STREAM, SummaryEvent};
use dondoc_notify::dispatch::{Job, Outcome, Recorder};
use dondoc_notify::message::Message;
use dondoc_projections::board::TaskFilter;
use dondoc_projections::delivery::parse_key;
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{Direction, EventStore, ExpectedRevision, StreamStart};
use futures::future::BoxFuture;

use super::Daemon;
use super::load;

/// The summary of the week ending at `now`.
pub async fn compute(d: &Daemon, now: DateTime<Utc>) -> Result<WeeklySummary> {
    let (tasks, failures) = {
        let mut p = d.projections.lock().await;
        p.catch_up(&d.store).await?;
        let tasks: Vec<_> = p.tasks(&TaskFilter::default())?.into_iter().map(|t| t.state).collect();
        let failures: Vec<FailedDelivery> = p
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
        (tasks, failures)
    };
    Ok(summary::weekly(&tasks, &failures, &d.classifier(), now))
}

/// What one sending of the summary did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    /// People who received it now.
    pub delivered: usize,
    /// People no channel reached: the sweeps retry until the next weekly run.
    pub undelivered: usize,
}

/// Sends the summary of the week ending at `now` to leadership (those who have not
/// received it yet).
pub async fn send(d: &Daemon, now: DateTime<Utc>) -> Result<Sent> {
    send_to(d, now, None).await
}

/// Failed attempts after which a week's summary is no longer retried for a person.
const MAX_SUMMARY_ATTEMPTS: usize = 8;

/// Run by every sweep: a leader whose summary of the current week failed on every channel
/// gets it again, in working hours, until it arrives or `MAX_SUMMARY_ATTEMPTS` failed.
/// Stateless (read from the `summaries` stream), so it survives restarts.
pub async fn retry(d: &Daemon, now: DateTime<Utc>) -> Result<()> {
    let Some(job) = d.jobs.iter().find(|j| j.kind == super::schedule::JobKind::WeeklySummary) else {
        return Ok(());
    };
    let Some(tick) = job.last_tick(now, chrono::Duration::days(8)) else { return Ok(()) };
    if !d.calendar.is_working_time(now) {
        return Ok(());
    }
    let week = summary::week_of(tick).0.format("%Y-%m-%d").to_string();
    let (done, failures) = history(&d.store, &week).await?;
    let retry: HashSet<String> = failures
        .into_iter()
        .filter(|(who, n)| !done.contains(who) && *n < MAX_SUMMARY_ATTEMPTS)
        .map(|(who, _)| who)
        .collect();
    if !retry.is_empty() {
        let sent = send_to(d, tick, Some(&retry)).await?;
        tracing::info!(at = %now, sent = sent.delivered, undelivered = sent.undelivered, "gửi lại báo cáo tuần");
    }
    Ok(())
}

/// Sends the summary of the week ending at `now` to leaders who have not received it
/// (only those in `only`, when given).
async fn send_to(d: &Daemon, now: DateTime<Utc>, only: Option<&HashSet<String>>) -> Result<Sent> {
    let summary = compute(d, now).await?;
    let week = summary.week_key();
    let done = delivered(&d.store, &week).await?;
    let book = load::contacts(&d.store).await?;
    let available = d.dispatcher.channels();
    let mut jobs = Vec::new();
    for contact in book.contacts(&d.channel_order).into_iter().filter(|c| c.role == Role::Leadership) {
        if done.contains(&contact.id) || only.is_some_and(|only| !only.contains(&contact.id)) {
            continue;
        }
        // Leadership reads the full summary (chart, workbook) by email first.
        let mut channels = contact.channels.clone();
        channels.sort_by_key(|(c, _)| *c != Channel::Email);
        let messages: Vec<Message> = channels
            .iter()
            .filter(|(channel, _)| available.contains(channel))
            .map(|(channel, address)| {
                let mut m = match channel {
                    Channel::Email => dondoc_notify::summary::render_email(&summary, &contact.name, address),
                    _ => dondoc_notify::summary::render_text(&summary, *channel, &contact.name, address),
                };
                m.recipient = contact.id.clone();
                m
            })
            .collect();
        if !messages.is_empty() {
            jobs.push(Job { messages });
        }
    }
    if jobs.is_empty() {
        return Ok(Sent::default());
    }
    let recorder = SummaryRecorder { store: &d.store, week };
    let report = d.dispatcher.run(jobs, &recorder).await;
    Ok(Sent { delivered: report.delivered, undelivered: report.undelivered + report.skipped })
}

/// Recipients who already received the summary (or daily digest) with this key.
pub async fn delivered(store: &SqliteStore, week: &str) -> Result<HashSet<String>> {
    Ok(history(store, week).await?.0)
}

/// For a summary key: who received it, and how many failed attempts each person had.
async fn history(store: &SqliteStore, week: &str) -> Result<(HashSet<String>, HashMap<String, usize>)> {
    let events = store.read_stream(SUMMARY_STREAM, Direction::Forwards, StreamStart::Start, usize::MAX).await?;
    let mut done = HashSet::new();
    let mut failures: HashMap<String, usize> = HashMap::new();
    for e in events {
        match SummaryEvent::decode(&e.event_type, e.data) {
            Ok(SummaryEvent::SummaryDelivered { week: w, recipient, .. }) if w == week => {
                done.insert(recipient);
            }
            Ok(SummaryEvent::SummaryFailed { week: w, recipient, .. }) if w == week => {
                *failures.entry(recipient).or_default() += 1;
            }
            _ => {}
        }
    }
    Ok((done, failures))
}

/// Records summary and digest deliveries on the `summaries` stream.
pub struct SummaryRecorder<'a> {
    pub store: &'a SqliteStore,
    /// The week key, or "daily-<date>" for daily digests.
    pub week: String,
}

impl Recorder for SummaryRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            let event = match outcome {
                Outcome::Delivered { message, at, .. } => SummaryEvent::SummaryDelivered {
                    week: self.week.clone(),
                    recipient: message.recipient.clone(),
                    channel: message.channel,
                    message_id: message.idempotency_key.clone(),
                    at: *at,
                },
                Outcome::Failed { message, error, at, .. } => SummaryEvent::SummaryFailed {
                    week: self.week.clone(),
                    recipient: message.recipient.clone(),
                    channel: message.channel,
                    error: error.to_string(),
                    at: *at,
                },
            };
            let (event_type, data) = event.encode();
            let ctx = CommandContext::new(super::record::DISPATCHER_ACTOR, Source::Scheduler, outcome_at(outcome));
            let appended = service::append_facts(
                self.store,
                SUMMARY_STREAM,
                ExpectedRevision::Any,
                vec![(event_type, data)],
                &ctx,
            );
            if let Err(e) = appended.await {
                tracing::error!(error = %e, "không ghi nhận được việc gửi báo cáo tuần");
            }
        })
    }
}

fn outcome_at(o: &Outcome) -> DateTime<Utc> {
    match o {
        Outcome::Delivered { at, .. } | Outcome::Failed { at, .. } => *at,
    }
}

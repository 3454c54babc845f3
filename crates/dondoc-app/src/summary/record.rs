//! Records summary and digest deliveries on the `summaries` stream.

use dondoc_core::StreamEvent as _;
use dondoc_core::event::Source;
use dondoc_core::summary::log::{SUMMARY_STREAM, SummaryEvent};
use dondoc_notify::dispatch::{Job, Outcome, Recorder};
use dondoc_store::ExpectedRevision;
use dondoc_store::any::Store;
use futures::future::BoxFuture;

use crate::App;
use crate::command::{self, CommandContext};
use crate::reminders::record::{DISPATCHER_ACTOR, outcome_at};

/// What one sending of a summary, digest or report did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    /// People who received it now.
    pub delivered: usize,
    /// People no channel reached (the sweeps retry a weekly summary or report).
    pub undelivered: usize,
}

/// Dispatches the jobs of one edition, each outcome recorded on the `summaries` stream.
pub async fn dispatch(app: &App, edition: String, jobs: Vec<Job>) -> Sent {
    if jobs.is_empty() {
        return Sent::default();
    }
    let recorder = app.layered(Box::new(EditionRecorder { store: &app.store, edition }));
    let report = app.dispatcher.run(jobs, &*recorder).await;
    Sent { delivered: report.delivered, undelivered: report.undelivered + report.skipped }
}

/// Records each outcome of one edition (a week's summary, a day's digest).
pub struct EditionRecorder<'a> {
    pub store: &'a Store,
    /// The edition ([`dondoc_core::summary::log::edition_of_week`], `edition_of_day`).
    pub edition: String,
}

/// The event recording an outcome of `edition`.
pub fn event(edition: &str, outcome: &Outcome) -> SummaryEvent {
    match outcome {
        Outcome::Delivered { message, at, .. } => SummaryEvent::SummaryDelivered {
            edition: edition.to_string(),
            recipient: message.recipient.clone(),
            channel: message.channel,
            message_id: message.idempotency_key.clone(),
            at: *at,
        },
        Outcome::Failed { message, error, at, .. } => SummaryEvent::SummaryFailed {
            edition: edition.to_string(),
            recipient: message.recipient.clone(),
            channel: message.channel,
            error: error.to_string(),
            at: *at,
            channel_fault: error.is_channel_fault(),
        },
    }
}

impl Recorder for EditionRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            let (event_type, data) = event(&self.edition, outcome).encode();
            let ctx = CommandContext::new(DISPATCHER_ACTOR, Source::Scheduler, outcome_at(outcome));
            let appended = command::append_facts(
                self.store,
                SUMMARY_STREAM,
                ExpectedRevision::Any,
                vec![(event_type, data)],
                &ctx,
            );
            if let Err(e) = appended.await {
                tracing::error!(error = %e, "không ghi nhận được việc gửi báo cáo");
            }
        })
    }
}

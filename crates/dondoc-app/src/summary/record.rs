//! Records summary and digest deliveries on the `summaries` stream.

use dondoc_core::StreamEvent as _;
use dondoc_core::event::Source;
use dondoc_core::summary::log::{SUMMARY_STREAM, SummaryEvent};
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_store::ExpectedRevision;
use dondoc_store::sqlite::SqliteStore;
use futures::future::BoxFuture;

use crate::command::{self, CommandContext};
use crate::reminders::record::{DISPATCHER_ACTOR, outcome_at};

/// Records each outcome of one edition (a week's summary, a day's digest).
pub struct EditionRecorder<'a> {
    pub store: &'a SqliteStore,
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

//! The recorder: each dispatch outcome becomes events on the tasks' streams
//! (ReminderDelivered with the message id, ReminderFailed), before the dispatcher slot
//! takes its next message.
//!
//! An outcome is an observation of the outside world (the provider took the message, or
//! refused it), not a decision: it is appended as a fact to each task's existing stream
//! without an expected revision, so recording never waits for a stream's state and never
//! conflicts with an officer's answer. The appends of the messages in flight go to the
//! store together, which commits them in one transaction (group commit): recording keeps
//! up with sending.
//!
//! The at-most-one-resend bound: a message is recorded only after its send returns, so a
//! crash between the two loses that record; the next sweep after restart plans the same
//! keys (they are not in the delivery log) and sends them once more, then records them.
//! Only messages in flight at the crash are affected (at most
//! `DispatchConfig::in_flight_bound`), each at most once per crash. Zalo template messages
//! carry the message's idempotency key as `tracking_id`, and emails a Message-ID derived
//! from it, so receivers can recognise the repeat.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use dondoc_core::event::{Source, TaskEvent, TaskKey};
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_store::sqlite::SqliteStore;
use dondoc_store::{EventData, EventStore, ExpectedRevision, StoreError};
use futures::future::BoxFuture;
use uuid::Uuid;

use crate::command::CommandContext;

/// The actor of delivery records.
pub const DISPATCHER_ACTOR: &str = "dondoc:dispatcher";

/// Records reminder outcomes in the event store.
pub struct DeliveryRecorder<'a> {
    store: &'a SqliteStore,
}

/// The events that record an outcome, by task: one per reminder key of the message. A
/// fault of the channel itself records nothing: it refuses no recipient, and the reminder
/// stays due until a channel takes it.
pub fn events(outcome: &Outcome) -> BTreeMap<TaskKey, Vec<TaskEvent>> {
    let mut out: BTreeMap<TaskKey, Vec<TaskEvent>> = BTreeMap::new();
    let message = match outcome {
        Outcome::Failed { error, .. } if error.is_channel_fault() => return out,
        Outcome::Delivered { message, .. } | Outcome::Failed { message, .. } => message,
    };
    for key in &message.keys {
        let event = match outcome {
            Outcome::Delivered { at, .. } => TaskEvent::ReminderDelivered {
                key: key.clone(),
                sent_at: *at,
                message_id: Some(message.idempotency_key.clone()),
            },
            Outcome::Failed { attempts, error, .. } => TaskEvent::ReminderFailed {
                key: key.clone(),
                attempt: *attempts,
                error: error.to_string(),
                will_retry: error.is_retryable(),
            },
        };
        out.entry(TaskKey::new(key.plan.clone(), key.code.clone())).or_default().push(event);
    }
    out
}

/// When an outcome was known.
pub fn outcome_at(o: &Outcome) -> chrono::DateTime<chrono::Utc> {
    match o {
        Outcome::Delivered { at, .. } | Outcome::Failed { at, .. } => *at,
    }
}

impl<'a> DeliveryRecorder<'a> {
    pub fn new(store: &'a SqliteStore) -> Self {
        DeliveryRecorder { store }
    }

    /// Appends the outcome's events to each task's stream (which must exist); the first
    /// failure, if any.
    pub async fn write(&self, outcome: &Outcome) -> Result<(), StoreError> {
        let ctx = CommandContext::new(DISPATCHER_ACTOR, Source::Scheduler, outcome_at(outcome));
        let metadata = ctx.metadata();
        let appends = events(outcome).into_iter().map(|(task, events)| {
            let data: Vec<EventData> = events
                .iter()
                .map(|e| {
                    let (event_type, _, data) = e.encode();
                    EventData {
                        id: Uuid::new_v4(),
                        event_type: event_type.to_string(),
                        data,
                        metadata: metadata.clone(),
                    }
                })
                .collect();
            async move { self.store.append(&task.stream(), ExpectedRevision::StreamExists, data).await }
        });
        futures::future::join_all(appends).await.into_iter().find_map(Result::err).map_or(Ok(()), Err)
    }
}

impl Recorder for DeliveryRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            if let Err(e) = self.write(outcome).await {
                tracing::error!(error = %e, "không ghi nhận được kết quả gửi");
            }
        })
    }
}

/// Passes outcomes on to another recorder and counts the deliveries per channel.
pub struct Counting<'a> {
    inner: &'a dyn Recorder,
    by_channel: Mutex<HashMap<&'static str, usize>>,
}

impl<'a> Counting<'a> {
    pub fn new(inner: &'a dyn Recorder) -> Self {
        Counting { inner, by_channel: Mutex::default() }
    }

    /// Messages delivered, per channel.
    pub fn delivered_by_channel(&self) -> HashMap<&'static str, usize> {
        self.by_channel.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Recorder for Counting<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            self.inner.record(outcome).await;
            if let Outcome::Delivered { message, .. } = outcome
                && let Ok(mut m) = self.by_channel.lock()
            {
                *m.entry(message.channel.as_str()).or_default() += 1;
            }
        })
    }
}

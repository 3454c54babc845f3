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
//!
//! A record the store refuses to take (locked past its timeout by a long import, a full
//! disk) is kept in memory ([`Unrecorded`]): the sweeps count its reminders as delivered
//! and append it again, with the same event ids, until the store takes it. Only a crash
//! before then loses it, within the bound above.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use dondoc_core::event::{Source, TaskEvent, TaskKey};
use dondoc_core::reminder::delivery_id;
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_store::any::Store;
use dondoc_store::{EventData, EventStore, ExpectedRevision, StoreError};
use futures::future::BoxFuture;
use uuid::Uuid;

use crate::command::CommandContext;

/// The actor of delivery records.
pub const DISPATCHER_ACTOR: &str = "dondoc:dispatcher";

/// Records reminder outcomes in the event store.
pub struct DeliveryRecorder<'a> {
    store: &'a Store,
    unrecorded: &'a Unrecorded,
}

/// Outcome records the store did not take yet, with the delivery ids they make delivered.
#[derive(Default)]
pub struct Unrecorded(Mutex<Vec<PendingAppend>>);

/// One task's events of an outcome, ready to be appended again unchanged.
struct PendingAppend {
    stream: String,
    events: Vec<EventData>,
    delivered: Vec<String>,
}

impl Unrecorded {
    fn keep(&self, append: PendingAppend) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(append);
    }

    /// Delivery ids of the deliveries not recorded yet: the planner must not plan them.
    pub fn delivered_ids(&self) -> Vec<String> {
        let pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending.iter().flat_map(|p| p.delivered.iter().cloned()).collect()
    }

    /// Records waiting.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether every record was taken.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the waiting records again, all at once (the store commits them together),
    /// with the same event ids: a record the store took after all is not written twice.
    /// Those still refused stay. Returns how many were taken.
    pub async fn flush(&self, store: &Store) -> usize {
        let waiting = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        let appends = waiting.iter().map(|a| store.append(&a.stream, ExpectedRevision::StreamExists, a.events.clone()));
        let results = futures::future::join_all(appends).await;
        let mut taken = 0;
        for (append, result) in waiting.into_iter().zip(results) {
            match result {
                Ok(_) => taken += 1,
                Err(e) => {
                    tracing::warn!(error = %e, stream = %append.stream, "vẫn chưa ghi được kết quả gửi: thử lại ở lượt sau");
                    self.keep(append);
                }
            }
        }
        if taken > 0 {
            tracing::info!(taken, "đã ghi bù kết quả gửi");
        }
        taken
    }
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
    /// A recorder into `store`, keeping what it cannot write in `unrecorded`.
    pub fn new(store: &'a Store, unrecorded: &'a Unrecorded) -> Self {
        DeliveryRecorder { store, unrecorded }
    }

    /// Appends the outcome's events to each task's stream (which must exist); the first
    /// failure, if any (what failed is kept in [`Unrecorded`]).
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
            let delivered: Vec<String> = events
                .iter()
                .filter_map(|e| match e {
                    TaskEvent::ReminderDelivered { key, .. } => Some(delivery_id(key)),
                    _ => None,
                })
                .collect();
            async move {
                let stream = task.stream();
                let result = self.store.append(&stream, ExpectedRevision::StreamExists, data.clone()).await;
                if result.is_err() {
                    self.unrecorded.keep(PendingAppend { stream, events: data, delivered });
                }
                result
            }
        });
        futures::future::join_all(appends).await.into_iter().find_map(Result::err).map_or(Ok(()), Err)
    }
}

impl Recorder for DeliveryRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            if let Err(e) = self.write(outcome).await {
                tracing::error!(error = %e, "không ghi nhận được kết quả gửi: giữ lại để ghi bù, không gửi lại");
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

//! The recorder: each dispatch outcome becomes events on the tasks' streams
//! (ReminderDelivered with the message id, ReminderFailed), in one atomic group per
//! message, before the dispatcher slot takes its next message.
//!
//! The at-most-one-resend bound: a message is recorded only after its send returns, so a
//! crash between the two loses that record; the next sweep after restart plans the same
//! keys (they are not in the delivery log) and sends them once more, then records them.
//! Only messages in flight at the crash are affected (at most the sum of the channels'
//! concurrency), each at most once per crash. Zalo template messages carry the message's
//! idempotency key as `tracking_id`, and emails a Message-ID derived from it, so
//! receivers can recognise the repeat.

use std::collections::HashMap;
use std::sync::Mutex;

use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_store::sqlite::SqliteStore;
use futures::future::BoxFuture;

use crate::command::{self, CommandContext, CommandError};

/// The actor of delivery records.
pub const DISPATCHER_ACTOR: &str = "dondoc:dispatcher";

/// Records reminder outcomes in the event store.
pub struct DeliveryRecorder<'a> {
    store: &'a SqliteStore,
}

/// The commands that record an outcome: one per reminder key of the message.
pub fn commands(outcome: &Outcome) -> Vec<(TaskKey, TaskCommand)> {
    let message = match outcome {
        Outcome::Delivered { message, .. } | Outcome::Failed { message, .. } => message,
    };
    message
        .keys
        .iter()
        .map(|key| {
            let command = match outcome {
                Outcome::Delivered { .. } => {
                    TaskCommand::RecordDelivery { key: key.clone(), message_id: Some(message.idempotency_key.clone()) }
                }
                Outcome::Failed { attempts, error, .. } => TaskCommand::RecordFailure {
                    key: key.clone(),
                    attempt: *attempts,
                    error: error.to_string(),
                    will_retry: error.is_retryable(),
                },
            };
            (TaskKey::new(key.plan.clone(), key.code.clone()), command)
        })
        .collect()
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

    async fn write(&self, outcome: &Outcome) {
        let commands = commands(outcome);
        let ctx = CommandContext::new(DISPATCHER_ACTOR, Source::Scheduler, outcome_at(outcome));
        // A concurrent writer (an import, an officer's answer) may have moved a stream:
        // decide again on the new state. A refusal of one command must not lose the others.
        for _ in 0..5 {
            match command::execute_batch(self.store, &commands, Vec::new(), &ctx).await {
                Ok(_) => return,
                Err(e) if matches!(e.error, CommandError::Conflict { .. }) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "ghi nhận từng nhiệm vụ một");
                    break;
                }
            }
        }
        for (key, command) in &commands {
            if let Err(e) = command::execute(self.store, key, None, command, &ctx).await {
                tracing::error!(task = %key, error = %e, "không ghi nhận được kết quả gửi");
            }
        }
    }
}

impl Recorder for DeliveryRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(self.write(outcome))
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

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

use std::sync::atomic::{AtomicUsize, Ordering};

use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::dispatch::{Outcome, Recorder};
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::sqlite::SqliteStore;
use futures::future::BoxFuture;

/// Deliveries in this process, for the crash test hook.
static SENT_IN_PROCESS: AtomicUsize = AtomicUsize::new(0);

/// The actor of delivery records.
pub const DISPATCHER_ACTOR: &str = "dondoc:dispatcher";

/// Records outcomes in the event store.
pub struct StoreRecorder<'a> {
    pub store: &'a SqliteStore,
    /// Test hook (`DONDOC_TEST_CRASH_AFTER_SENDS=N`): abort the process after the Nth
    /// delivery, before recording it, to prove the at-most-one-resend bound.
    crash_after: Option<usize>,
    by_channel: std::sync::Mutex<std::collections::HashMap<&'static str, usize>>,
}

impl<'a> StoreRecorder<'a> {
    pub fn new(store: &'a SqliteStore) -> Self {
        let crash_after = std::env::var("DONDOC_TEST_CRASH_AFTER_SENDS").ok().and_then(|v| v.parse().ok());
        StoreRecorder { store, crash_after, by_channel: Default::default() }
    }

    /// Messages recorded as delivered, per channel.
    pub fn delivered_by_channel(&self) -> std::collections::HashMap<&'static str, usize> {
        self.by_channel.lock().map(|m| m.clone()).unwrap_or_default()
    }

    async fn write(&self, outcome: &Outcome) {
        let (message, at) = match outcome {
            Outcome::Delivered { message, at, .. } | Outcome::Failed { message, at, .. } => (message, *at),
        };
        let commands: Vec<(TaskKey, TaskCommand)> = message
            .keys
            .iter()
            .map(|key| {
                let command = match outcome {
                    Outcome::Delivered { .. } => TaskCommand::RecordDelivery {
                        key: key.clone(),
                        message_id: Some(message.idempotency_key.clone()),
                    },
                    Outcome::Failed { attempts, error, .. } => TaskCommand::RecordFailure {
                        key: key.clone(),
                        attempt: *attempts,
                        error: error.to_string(),
                        will_retry: error.is_retryable(),
                    },
                };
                (TaskKey::new(key.plan.clone(), key.code.clone()), command)
            })
            .collect();
        let ctx = CommandContext::new(DISPATCHER_ACTOR, Source::Scheduler, at);
        // A concurrent writer (an import, an officer's answer) may have moved a stream:
        // decide again on the new state. A refusal of one command must not lose the others.
        for _ in 0..5 {
            match service::execute_batch(self.store, &commands, Vec::new(), &ctx).await {
                Ok(_) => return,
                Err(e) if matches!(e.error, service::ServiceError::Conflict { .. }) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "ghi nhận từng nhiệm vụ một");
                    break;
                }
            }
        }
        for (key, command) in &commands {
            if let Err(e) = service::execute(self.store, key, None, command, &ctx).await {
                tracing::error!(task = %key, error = %e, "không ghi nhận được kết quả gửi");
            }
        }
    }
}

impl Recorder for StoreRecorder<'_> {
    fn record<'b>(&'b self, outcome: &'b Outcome) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            if let (Outcome::Delivered { .. }, Some(n)) = (outcome, self.crash_after)
                && SENT_IN_PROCESS.fetch_add(1, Ordering::SeqCst) + 1 >= n
            {
                eprintln!("DONDOC_TEST_CRASH_AFTER_SENDS: dừng đột ngột sau khi gửi, trước khi ghi nhận");
                std::process::abort();
            }
            self.write(outcome).await;
            if let Outcome::Delivered { message, .. } = outcome
                && let Ok(mut m) = self.by_channel.lock()
            {
                *m.entry(message.channel.as_str()).or_default() += 1;
            }
        })
    }
}

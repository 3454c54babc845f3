//! Applying the log to the projection tables: catch-up after the checkpoint, and rebuild.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dondoc_core::event::TaskEvent;
use dondoc_core::task::TaskState;
use dondoc_store::{EventStore, RecordedEvent};
use rusqlite::Connection;

use crate::streams::{self, Fold, SummaryChange};
use crate::{ProjectionError, Projections, board, delivery, schema, summaries};

/// Events read per page.
const PAGE: usize = 5_000;
/// Events applied per transaction (each commit writes the touched rows and the checkpoint).
const COMMIT_EVERY: usize = 100_000;

/// What a catch-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CatchUp {
    /// Events applied.
    pub events: u64,
    /// The checkpoint afterwards.
    pub position: Option<u64>,
    pub elapsed: Duration,
}

/// A task state in memory, with its revision and whether it must be written.
struct Cached {
    state: TaskState,
    revision: Option<u64>,
    dirty: bool,
}

/// A small stream's fold in memory, with its revision and whether it must be written.
struct CachedFold {
    fold: Fold,
    revision: Option<u64>,
    dirty: bool,
}

/// Changes waiting for the next commit.
#[derive(Default)]
struct Pending {
    tasks: HashMap<String, Cached>,
    folds: HashMap<String, CachedFold>,
    summaries: Vec<SummaryChange>,
    deliveries: Vec<delivery::Delivered>,
    failures: Vec<delivery::Failed>,
    /// Requeued reminder keys, with the requeue's position.
    requeued: Vec<(String, u64)>,
}

impl Projections {
    /// Applies every event after the checkpoint. Each chunk is read and applied inside a
    /// write transaction that first reads the checkpoint and then moves it, so catch-ups in
    /// several processes never skip or repeat an event. A projection that cannot continue
    /// (an event missing after its checkpoint, as a hand-edited table would leave) is
    /// rebuilt from the log instead of being left stuck.
    pub async fn catch_up<S: EventStore>(&mut self, store: &S) -> Result<CatchUp, ProjectionError> {
        match self.catch_up_chunks(store).await {
            Err(ProjectionError::Gap { stream, after, got }) => {
                tracing::warn!(%stream, ?after, got, "bảng theo dõi lệch với nhật ký: dựng lại từ đầu");
                self.rebuild(store).await
            }
            other => other,
        }
    }

    async fn catch_up_chunks<S: EventStore>(&mut self, store: &S) -> Result<CatchUp, ProjectionError> {
        let started = Instant::now();
        let mut total = 0u64;
        loop {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            let chunk = self.chunk(store).await;
            match chunk {
                Ok((applied, position)) => {
                    self.conn.execute_batch("COMMIT")?;
                    total += applied;
                    if applied < COMMIT_EVERY as u64 {
                        return Ok(CatchUp { events: total, position, elapsed: started.elapsed() });
                    }
                }
                Err(e) => {
                    if !self.conn.is_autocommit() {
                        let _ = self.conn.execute_batch("ROLLBACK");
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Within the caller's transaction: applies up to [`COMMIT_EVERY`] events after the
    /// checkpoint and moves it; returns the events applied and the checkpoint.
    async fn chunk<S: EventStore>(&mut self, store: &S) -> Result<(u64, Option<u64>), ProjectionError> {
        let mut position = self.checkpoint()?;
        let mut pending = Pending::default();
        let mut applied = 0u64;
        while (applied as usize) < COMMIT_EVERY {
            let page = store.read_all(position, PAGE.min(COMMIT_EVERY - applied as usize)).await?;
            let Some(last) = page.last() else { break };
            let last = last.position;
            applied += page.len() as u64;
            for event in page {
                self.project(&mut pending, event)?;
            }
            position = Some(last);
        }
        if let Some(p) = position
            && applied > 0
        {
            write(&self.conn, &mut pending)?;
            schema::set_checkpoint(&self.conn, p)?;
        }
        Ok((applied, position))
    }

    /// Forgets every projection and replays the log from the beginning.
    pub async fn rebuild<S: EventStore>(&mut self, store: &S) -> Result<CatchUp, ProjectionError> {
        self.clear()?;
        self.catch_up_chunks(store).await
    }

    /// Empties every projection and the checkpoint, in one transaction.
    fn clear(&mut self) -> Result<(), ProjectionError> {
        let tx = self.conn.transaction()?;
        schema::clear(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies one event (taken by value: its data moves into the decoded event).
    fn project(&self, pending: &mut Pending, event: RecordedEvent) -> Result<(), ProjectionError> {
        if !event.stream.starts_with("task-") {
            return self.project_small_stream(pending, event);
        }
        let RecordedEvent { stream, revision, position, event_type, data, metadata, .. } = event;
        let decode_error =
            |detail: String| ProjectionError::Decode { position, stream: stream.clone(), revision, detail };
        let version = schema_version(&metadata).ok_or_else(|| decode_error("metadata: no schema_version".into()))?;
        let task_event = TaskEvent::decode(&event_type, version, data).map_err(|e| decode_error(e.to_string()))?;
        if !pending.tasks.contains_key(&stream) {
            let loaded = board::load(self.conn(), &stream)?;
            let (state, revision) = loaded.map_or((TaskState::default(), None), |t| (t.state, Some(t.revision)));
            pending.tasks.insert(stream.clone(), Cached { state, revision, dirty: false });
        }
        let cached = pending.tasks.get_mut(&stream).expect("inserted above");
        let expected = cached.revision.map_or(0, |r| r + 1);
        if revision < expected {
            return Ok(()); // Already applied (replayed page): projections are idempotent.
        }
        if revision > expected {
            return Err(ProjectionError::Gap { stream, after: cached.revision, got: revision });
        }
        cached.state.apply(&task_event);
        cached.revision = Some(revision);
        cached.dirty = true;
        match &task_event {
            TaskEvent::ReminderDelivered { key, sent_at, message_id } => {
                pending.deliveries.push(delivery::Delivered::new(key, *sent_at, message_id.as_deref(), position));
            }
            TaskEvent::ReminderFailed { key, attempt, error, will_retry } => {
                let at = metadata.get("recorded_at").and_then(|v| v.as_str()).map(str::to_string);
                pending.failures.push(delivery::Failed::new(key, *attempt, error, *will_retry, at, position));
            }
            TaskEvent::ReminderRequeued { key, .. } => pending.requeued.push((key.to_string(), position)),
            _ => {}
        }
        Ok(())
    }

    /// Applies an event of a small stream (contacts, silences, agencies, a plan, summaries)
    /// to its fold; events of other streams are skipped.
    fn project_small_stream(&self, pending: &mut Pending, event: RecordedEvent) -> Result<(), ProjectionError> {
        let RecordedEvent { stream, revision, position, event_type, data, .. } = event;
        if !pending.folds.contains_key(&stream) {
            let (fold, revision) = match streams::load(self.conn(), &stream)? {
                Some((revision, fold)) => (fold, Some(revision)),
                None => match Fold::empty(&stream) {
                    Some(fold) => (fold, None),
                    None => return Ok(()),
                },
            };
            pending.folds.insert(stream.clone(), CachedFold { fold, revision, dirty: false });
        }
        let cached = pending.folds.get_mut(&stream).expect("inserted above");
        let expected = cached.revision.map_or(0, |r| r + 1);
        if revision < expected {
            return Ok(());
        }
        if revision > expected {
            return Err(ProjectionError::Gap { stream, after: cached.revision, got: revision });
        }
        let change = cached.fold.apply(&event_type, data).map_err(|detail| ProjectionError::Decode {
            position,
            stream: stream.clone(),
            revision,
            detail,
        })?;
        cached.revision = Some(revision);
        cached.dirty = true;
        pending.summaries.extend(change);
        Ok(())
    }
}

/// The schema version in an event's metadata ([`dondoc_core::event::EventMeta::schema_version`]).
fn schema_version(metadata: &serde_json::Value) -> Option<u16> {
    metadata.get("schema_version")?.as_u64()?.try_into().ok()
}

fn write(tx: &Connection, pending: &mut Pending) -> Result<(), ProjectionError> {
    for (stream, cached) in pending.tasks.iter().filter(|(_, c)| c.dirty) {
        if let Some(revision) = cached.revision {
            board::save(tx, stream, revision, &cached.state)?;
        }
    }
    for d in pending.deliveries.drain(..) {
        d.insert(tx)?;
    }
    for f in pending.failures.drain(..) {
        f.insert(tx)?;
    }
    for (key, position) in pending.requeued.drain(..) {
        delivery::forget_failures(tx, &key, position)?;
    }
    for (stream, cached) in pending.folds.iter().filter(|(_, c)| c.dirty) {
        if let Some(revision) = cached.revision {
            streams::save(tx, stream, revision, &cached.fold)?;
        }
    }
    for change in pending.summaries.drain(..) {
        summaries::write(tx, &change)?;
    }
    Ok(())
}

//! Applying the log to the projection tables: catch-up after the checkpoint, and rebuild.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dondoc_core::event::TaskEvent;
use dondoc_core::task::TaskState;
use dondoc_store::{EventStore, RecordedEvent};
use rusqlite::Connection;

use crate::streams::{self, Fold, RowChange};
use crate::{ProjectionError, Projections, accounts, board, delivery, schema, summaries};

/// Events read per page.
const PAGE: usize = 5_000;
/// Events read per page when a catch-up keeps to [`LIVE_BUDGET`].
const LIVE_PAGE: usize = 500;
/// Events applied per transaction (each commit writes the touched rows and the checkpoint).
const COMMIT_EVERY: usize = 100_000;
/// How long a catch-up holds the database's write lock before it commits and lets other
/// writers (the daemon's webhook, a command) in: a large import is caught up in many short
/// transactions. A rebuild, an operator's explicit step, takes big ones.
const LIVE_BUDGET: Duration = Duration::from_millis(20);

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

/// A chunk read and applied in memory, not written yet.
struct Projected {
    /// The checkpoint it started after.
    from: Option<u64>,
    pending: Pending,
    applied: u64,
    /// The position of its last event.
    position: Option<u64>,
    /// Whether the log may hold more after it.
    more: bool,
}

/// Changes waiting for the next commit.
#[derive(Default)]
struct Pending {
    tasks: HashMap<String, Cached>,
    folds: HashMap<String, CachedFold>,
    rows: Vec<RowChange>,
    deliveries: Vec<delivery::Delivered>,
    failures: Vec<delivery::Failed>,
    /// Requeued reminder keys, with the requeue's position.
    requeued: Vec<(String, u64)>,
}

impl Projections {
    /// Applies every event after the checkpoint, chunk by chunk. A chunk is read and applied
    /// in memory on a consistent snapshot of the tables, without the write lock; then, in a
    /// write transaction, written only if the checkpoint has not moved meanwhile (another
    /// process caught up first: the chunk is read again from the new checkpoint). So
    /// catch-ups in several processes never skip or repeat an event, and the write lock is
    /// held only while rows are written, which lets other writers (the daemon's webhook, a
    /// command) in between the chunks of a long catch-up. A projection that cannot continue
    /// (an event missing after its checkpoint, as a hand-edited table would leave) is
    /// rebuilt from the log instead of being left stuck.
    pub async fn catch_up<S: EventStore>(&mut self, store: &S) -> Result<CatchUp, ProjectionError> {
        match self.catch_up_chunks(store, Some(LIVE_BUDGET)).await {
            Err(ProjectionError::Gap { stream, after, got }) => {
                tracing::warn!(%stream, ?after, got, "bảng theo dõi lệch với nhật ký: dựng lại từ đầu");
                self.rebuild(store).await
            }
            other => other,
        }
    }

    /// Chunks until the checkpoint reaches the end of the log; with a `budget`, a chunk
    /// ends once its reading and applying took that long.
    async fn catch_up_chunks<S: EventStore>(
        &mut self,
        store: &S,
        budget: Option<Duration>,
    ) -> Result<CatchUp, ProjectionError> {
        let started = Instant::now();
        let mut total = 0u64;
        loop {
            // Read and apply on a snapshot (a read transaction takes no lock in WAL mode).
            self.conn.execute_batch("BEGIN DEFERRED")?;
            let projected = self.chunk(store, budget).await;
            let _ = self.conn.execute_batch("COMMIT");
            let Projected { from, mut pending, applied, position, more } = projected?;
            if applied == 0 {
                return Ok(CatchUp { events: total, position, elapsed: started.elapsed() });
            }
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            let written = match self.checkpoint() {
                Ok(now) if now != from => Ok(false),
                Ok(_) => write(&self.conn, &mut pending)
                    .and_then(|()| schema::set_checkpoint(&self.conn, position.unwrap_or_default()))
                    .map(|()| true),
                Err(e) => Err(e),
            };
            match written {
                Ok(true) => {
                    self.conn.execute_batch("COMMIT")?;
                    total += applied;
                    if !more {
                        return Ok(CatchUp { events: total, position, elapsed: started.elapsed() });
                    }
                }
                // Another process moved the checkpoint: continue from there.
                Ok(false) => self.conn.execute_batch("ROLLBACK")?,
                Err(e) => {
                    if !self.conn.is_autocommit() {
                        let _ = self.conn.execute_batch("ROLLBACK");
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Reads up to [`COMMIT_EVERY`] events after the checkpoint (fewer once `budget` is
    /// spent) and applies them in memory.
    async fn chunk<S: EventStore>(
        &mut self,
        store: &S,
        budget: Option<Duration>,
    ) -> Result<Projected, ProjectionError> {
        let started = Instant::now();
        let page_size = if budget.is_some() { LIVE_PAGE } else { PAGE };
        let from = self.checkpoint()?;
        let mut position = from;
        let mut pending = Pending::default();
        let mut applied = 0u64;
        let mut more;
        let mut want = page_size.min(COMMIT_EVERY);
        let mut page = store.read_all_keeping(position, want, METADATA_READ).await?;
        loop {
            let Some(last) = page.last() else {
                more = false;
                break;
            };
            let last = last.position;
            more = page.len() == want;
            applied += page.len() as u64;
            position = Some(last);
            // A rebuild reads the next page while this one is applied (the read runs on
            // the store's threads or the network): reading and folding overlap.
            let next_want = page_size.min(COMMIT_EVERY.saturating_sub(applied as usize));
            let prefetch = more && next_want > 0 && budget.is_none();
            let mut next = std::pin::pin!(async {
                if prefetch { Some(store.read_all_keeping(Some(last), next_want, METADATA_READ).await) } else { None }
            });
            let mut early = None;
            if prefetch {
                std::future::poll_fn(|cx| {
                    if let std::task::Poll::Ready(read) = next.as_mut().poll(cx) {
                        early = Some(read);
                    }
                    std::task::Poll::Ready(())
                })
                .await;
            }
            for event in page {
                self.project(&mut pending, event)?;
            }
            if !more || next_want == 0 || budget.is_some_and(|b| started.elapsed() >= b) {
                break;
            }
            let read = match early {
                Some(read) => read,
                None => next.await,
            };
            page = match read {
                Some(read) => read?,
                // Live catch-up (a budget): no prefetch, read now.
                None => store.read_all_keeping(Some(last), next_want, METADATA_READ).await?,
            };
            want = next_want;
        }
        Ok(Projected { from, pending, applied, position, more })
    }

    /// Forgets every projection and replays the log from the beginning.
    pub async fn rebuild<S: EventStore>(&mut self, store: &S) -> Result<CatchUp, ProjectionError> {
        self.clear()?;
        self.catch_up_chunks(store, None).await
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
        pending.rows.extend(change);
        Ok(())
    }
}

/// The metadata keys the projections read (the rest is not built when reading the log).
const METADATA_READ: &[&str] = &["schema_version", "recorded_at"];

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
    for change in pending.rows.drain(..) {
        match change {
            RowChange::Summary(change) => summaries::write(tx, &change)?,
            RowChange::Token(effect) => accounts::write(tx, &effect)?,
        }
    }
    Ok(())
}

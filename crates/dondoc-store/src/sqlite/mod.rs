//! The embedded backend: one SQLite file.
//!
//! # Layout
//!
//! One table, `events` (see [`schema`](self#on-open-checks)): `position INTEGER PRIMARY KEY`
//! (the global position, the rowid: assigned `max + 1` by the single writer, so it strictly
//! increases in commit order; rows are never deleted), `id` (unique), `stream` and
//! `revision` (unique together), `event_type`, `metadata` (JSON text, with `chain`),
//! `recorded_at` (RFC 3339 UTC with microseconds) and `data` (canonical JSON text, see
//! [`crate::chain`]; last, so that reading the other columns of a large event does not walk
//! its overflow pages). The file runs in WAL mode with `synchronous=FULL`: a commit is on
//! disk when it returns.
//!
//! # The writer and group commit
//!
//! Exactly one thread writes. It owns the write connection and receives append requests
//! through a channel. It blocks for one request, then drains every request already waiting
//! (up to a cap) and commits them in one transaction (`BEGIN IMMEDIATE … COMMIT`): one fsync
//! for the whole batch instead of one per event. Each request runs inside its own
//! `SAVEPOINT`, so a request whose expected revision does not hold is rolled back alone and
//! gets [`StoreError::WrongExpectedRevision`] while the others of the batch commit. Inside the
//! transaction the writer takes the stream's last revision and chain (seeing the earlier
//! requests of the same batch) from what it committed itself, or reads it when another
//! process appended since (module `heads`), computes each event's chain and inserts it. Replies
//! (through `tokio::sync::oneshot`) are sent only after `COMMIT` returns, and wake one
//! caller per commit, which hands the others their answers (module `crate::answer`). If a statement
//! fails for a reason other than a refusal (disk full, I/O error) or `COMMIT` fails, the
//! writer rolls the whole transaction back and every request of the batch gets
//! [`StoreError::Backend`]: nothing of it is visible, and the next batch starts afresh.
//!
//! Appending is asynchronous for the caller: validation and the canonical JSON are done on
//! the caller's task, the SQLite work on the writer thread. Reads run on read-only
//! connections (WAL lets them run beside the writer) inside `tokio::task::spawn_blocking`,
//! so no tokio worker blocks on SQLite. They must therefore be called inside a tokio
//! runtime.
//!
//! # Idempotent retries
//!
//! Event ids are unique in the whole file. An append whose events (all of them, with the
//! same ids, types, data and metadata) are already the stream's events at the revisions the
//! request would have written them to (any place for [`crate::ExpectedRevision::Any`] and
//! `StreamExists`) succeeds without writing and returns the original revision and position —
//! the retry of an append whose reply was lost. Any other reuse of an id (another stream,
//! other content, a partial overlap) is refused with [`StoreError::Invalid`] and writes
//! nothing; a request that fails its expected revision and is not such a retry gets the
//! conflict.
//!
//! # Subscriptions: the hand-over
//!
//! After each successful commit the writer publishes the last committed position on a
//! `tokio::sync::watch` channel. A subscription marks the channel's current value as seen,
//! then reads the stored events after the last position it delivered, in pages. When a page
//! comes back short it has caught up and waits for the channel to change; any commit after
//! the mark changes it, so none can slip between the read and the wait. Every read starts
//! strictly after the last delivered position, and positions are assigned in commit order
//! by the single writer, so there is no gap and no duplicate at the hand-over or later; a
//! burst of commits is just one wake-up (a watch channel never lags). A failed read is
//! delivered as the subscription's last item; subscribe again after the last position seen.
//! A subscription holds a store handle, so the store stays open while it lives.
//!
//! # Commit times
//!
//! `recorded_at` is read once per batch from the clock (the system clock, or the one given to
//! [`SqliteStore::open_with_clock`]) and stored with microseconds; it never goes back in the
//! log, even if the clock does.
//!
//! # On-open checks and what a restart costs
//!
//! [`SqliteStore::open`] never writes to an existing file before it has accepted it, and
//! never truncates, rewrites or repairs one. In order:
//! 1. `sqlite header`: the first 100 bytes must be an SQLite header (a missing or empty
//!    file is created instead);
//! 2. `application_id`: the header's application id must be dondoc's ([`APPLICATION_ID`]);
//! 3. through a read-only connection: `application_id` and `user_version` again (the
//!    schema version: newer than [`SCHEMA_VERSION`] is refused, so an old binary does not
//!    write into a newer file) and `schema`: the `events` table must exist with exactly the
//!    expected definition and its two unique indexes, and no trigger, index or view may be
//!    attached to it. Other tables may share the file (the projections keep their `proj_*`
//!    tables in it) and are not looked at.
//!
//! A refusal is [`StoreError::Integrity`] naming the check. All of this reads the header and
//! the schema only, so it costs the same for ten events or ten million: opening is a few
//! milliseconds plus, after a crash, SQLite's replay of the WAL (bounded by the checkpoint
//! size, not by the history). A full `PRAGMA integrity_check` is not run on open; call
//! [`SqliteStore::check_integrity`] (`PRAGMA quick_check`, O(file size)) or
//! [`crate::chain::verify_all`] explicitly.
//!
//! One process should own a file at a time: the writer's transactions stay correct with
//! several (each batch is `BEGIN IMMEDIATE`), but subscriptions are only woken by commits of
//! their own process.

mod heads;
mod read;
mod schema;
mod sealing;
mod subscribe;
mod writer;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use rusqlite::Connection;
use tokio::sync::watch;

use crate::seal::{SealKey, SealRecord, SealReport};
use crate::{
    AppendResult, Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamAppend,
    StreamStart,
};

pub use schema::{APPLICATION_ID, SCHEMA_VERSION, wait_when_busy};

/// A source of commit times (UTC), for tests; the default reads the system clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Options of [`SqliteStore::open_with`].
#[derive(Clone, Default)]
pub struct SqliteOptions {
    /// Commit times; `None`: the system clock.
    pub clock: Option<Clock>,
    /// `PRAGMA max_page_count` of the write connection: the database cannot grow past this
    /// many pages (appends then fail with SQLite's "database or disk is full"). For tests
    /// and quotas; `None`: SQLite's default.
    pub max_page_count: Option<u32>,
    /// Seals every commit ([`crate::seal`]); the first open with a key seals the events
    /// already there, if nothing was sealed yet. `None`: commits are not sealed.
    pub seal_key: Option<SealKey>,
}

impl fmt::Debug for SqliteOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteOptions")
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("max_page_count", &self.max_page_count)
            .field("seal_key", &self.seal_key.as_ref().map(SealKey::id))
            .finish()
    }
}

/// Counters of the writer since the store was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: u64,
    /// Transactions rolled back because a statement or `COMMIT` failed.
    pub failed_commits: u64,
    /// Append requests answered (written, refused or failed).
    pub requests: u64,
    /// Events written by committed transactions.
    pub events: u64,
    /// Committed transactions by the number of events they wrote: `size → count`.
    pub batch_sizes: BTreeMap<u64, u64>,
}

impl WriterStats {
    /// Mean events per committed transaction.
    pub fn mean_batch(&self) -> f64 {
        if self.commits == 0 { 0.0 } else { self.events as f64 / self.commits as f64 }
    }
}

/// The SQLite event store: a cheap-to-clone handle. The writer thread stops, and the file
/// is closed, when the last handle (including those held by subscriptions) is dropped; the
/// drop waits for the batch in progress.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: read::ReaderPool,
    committed: watch::Receiver<Option<u64>>,
    stats: Arc<writer::StatsCell>,
    requests: Option<mpsc::Sender<writer::Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.readers.close();
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store in `path`, creating the file if it does not exist (or is empty).
    /// Refuses, with [`StoreError::Integrity`] naming the check, a file that is not one of
    /// ours, has a newer schema, or whose table is missing or malformed; see the module
    /// documentation. Blocking (a few milliseconds whatever the history); starts the writer
    /// thread.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with commit times from `clock`.
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Clock) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions { clock: Some(clock), ..SqliteOptions::default() })
    }

    /// [`SqliteStore::open`] with options.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = schema::open_writer(&path)?;
        if let Some(pages) = options.max_page_count {
            conn.pragma_update(None, "max_page_count", pages).map_err(backend)?;
        }
        let clock = options.clock.unwrap_or_else(|| Arc::new(Utc::now));
        if let Some(key) = &options.seal_key {
            sealing::seal_backlog(&conn, key, &clock)?;
        }
        let last = read::last_position(&conn)?;
        let (notify, committed) = watch::channel(last);
        let stats = Arc::new(writer::StatsCell::default());
        let (requests, thread) = writer::spawn(conn, notify, stats.clone(), clock, options.seal_key)?;
        let readers = read::ReaderPool::new(path.clone());
        let inner = Inner { path, readers, committed, stats, requests: Some(requests), thread: Some(thread) };
        Ok(SqliteStore { inner: Arc::new(inner) })
    }

    /// Copies the store file at `from` (with everything else in it: the read models) to a
    /// new file `to`, as one consistent snapshot, without writing `from` (it is opened read
    /// only; writers may go on meanwhile). `to` must not exist yet.
    pub fn copy_file(from: &Path, to: &Path) -> Result<(), StoreError> {
        if to.exists() {
            return Err(StoreError::Invalid(format!("{} đã có", to.display())));
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(from, flags).map_err(backend)?;
        schema::wait_when_busy(&mut conn, schema::BUSY_TIMEOUT)?;
        let target =
            to.to_str().ok_or_else(|| StoreError::Invalid(format!("{} không phải đường dẫn UTF-8", to.display())))?;
        conn.execute("VACUUM INTO ?1", [target]).map_err(backend)?;
        Ok(())
    }

    /// The newest seal, if any: what `audit anchor` prints.
    pub async fn newest_seal(&self) -> Result<Option<SealRecord>, StoreError> {
        self.with_reader(sealing::newest).await
    }

    /// The seal with this id, if any.
    pub async fn seal(&self, id: u64) -> Result<Option<SealRecord>, StoreError> {
        self.with_reader(move |conn| sealing::by_id(conn, id)).await
    }

    /// Checks every seal against the log with `key` (reads the whole log: O(events)).
    pub async fn verify_seals(&self, key: SealKey) -> Result<SealReport, StoreError> {
        self.with_reader(move |conn| sealing::verify(conn, &key)).await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The writer's counters (commits, batch sizes, ...).
    pub fn stats(&self) -> WriterStats {
        self.inner.stats.snapshot()
    }

    /// Runs `PRAGMA quick_check` (reads the whole file: O(size)); a problem is
    /// [`StoreError::Integrity`] with check `quick_check`.
    pub async fn check_integrity(&self) -> Result<(), StoreError> {
        self.with_reader(schema::quick_check).await
    }

    /// Runs `f` on a read-only connection on the blocking thread pool.
    async fn with_reader<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.readers.with(f))
            .await
            .map_err(|e| StoreError::Backend(format!("tác vụ đọc bị hủy: {e}")))?
    }

    /// Appends `events` (in order) as another store recorded them (ids, revisions, times
    /// and metadata with their chain values kept) after position `after` (the number of
    /// events the file holds: positions here are 1..n without gaps); sealed like any
    /// commit when a seal key is set. Refused, writing nothing, when the file holds
    /// another number of events or an id or a stream's revision is taken. For
    /// `dondoc migrate`. Returns the new last position.
    pub async fn import_recorded(&self, after: u64, events: &[crate::RecordedEvent]) -> Result<u64, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.send(writer::Job::Import(writer::ImportRequest { after, events: events.to_vec(), reply }))?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    fn send(&self, request: writer::Job) -> Result<(), StoreError> {
        let sender = self.inner.requests.as_ref().ok_or(StoreError::Closed)?;
        sender.send(request).map_err(|_| StoreError::Closed)
    }
}

impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<EventData>,
    ) -> Result<AppendResult, StoreError> {
        crate::prepare::submit_append(|job| self.send(job), stream, expected, events).await
    }

    async fn append_group(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendResult>, StoreError> {
        crate::prepare::submit_group(|job| self.send(job), appends).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream = stream.to_owned();
        self.with_reader(move |conn| read::read_stream(conn, &stream, direction, start, max)).await
    }

    async fn read_all(&self, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.with_reader(move |conn| read::read_all(conn, after, max, None)).await
    }

    async fn read_all_keeping(
        &self,
        after: Option<u64>,
        max: usize,
        metadata: &'static [&'static str],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.with_reader(move |conn| read::read_all(conn, after, max, Some(metadata))).await
    }

    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        subscribe::subscribe(self.clone(), self.inner.committed.clone(), after)
    }

    async fn last_position(&self) -> Result<Option<u64>, StoreError> {
        self.with_reader(read::last_position).await
    }
}

/// An SQLite failure as [`StoreError::Backend`].
fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

//! dondoc's event store: the append-only log that is the only source of truth.
//!
//! [`EventStore`] is shaped after EventStoreDB/KurrentDB (streams with revisions, a global
//! order, optimistic concurrency, catch-up subscriptions), so that a clustered backend can
//! replace the embedded SQLite one ([`sqlite::SqliteStore`]) without changing callers.
//! Every backend must pass the conformance suite (the `conformance` feature, for tests).
//!
//! Tamper evidence: the store writes into each event's metadata a `chain` value, the
//! SHA-256 of the previous event's chain in the same stream and the event's canonical
//! bytes ([`chain`]); [`chain::verify_all`] recomputes every chain.

mod answer;
pub mod any;
pub mod blobs;
pub mod chain;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod esdb;
mod metadata;
pub mod postgres;
mod prepare;
mod rules;
pub mod seal;
pub mod sessions;
pub mod sqlite;

use std::fmt;
use std::future::Future;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde_json::Value;
use uuid::Uuid;

/// The revision a writer expects a stream to be at (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedRevision {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist.
    StreamExists,
    /// The stream's last event must have this revision (revisions start at 0).
    Exact(u64),
}

impl fmt::Display for ExpectedRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedRevision::Any => f.write_str("any"),
            ExpectedRevision::NoStream => f.write_str("no stream"),
            ExpectedRevision::StreamExists => f.write_str("stream exists"),
            ExpectedRevision::Exact(n) => write!(f, "{n}"),
        }
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct EventData {
    /// Unique id (idempotency of retried appends is by id within the stream).
    pub id: Uuid,
    pub event_type: String,
    /// JSON object.
    pub data: Value,
    /// JSON object; the store adds `chain`.
    pub metadata: Value,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub id: Uuid,
    pub stream: String,
    /// Position in its stream, from 0.
    pub revision: u64,
    /// Position in the whole log: strictly increasing in commit order (gaps allowed).
    pub position: u64,
    pub event_type: String,
    pub data: Value,
    /// Including `chain`.
    pub metadata: Value,
    /// When the store committed it.
    pub recorded_at: DateTime<Utc>,
}

/// Outcome of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// Revision of the last event written (the stream's new revision).
    pub revision: u64,
    /// Global position of the last event written.
    pub position: u64,
}

/// One stream's part of a group append.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAppend {
    pub stream: String,
    pub expected: ExpectedRevision,
    pub events: Vec<EventData>,
}

/// Reading direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forwards,
    Backwards,
}

/// Where a stream read starts (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStart {
    /// Revision 0 (backwards: only revision 0).
    Start,
    /// After the last event, as in EventStoreDB: forwards reads nothing, backwards starts at
    /// the last event.
    End,
    /// This revision (backwards from a revision past the end: from the last event).
    Revision(u64),
}

/// A stream read as SQL: the revision comparison, the order and the revision to start
/// from (`None`: nothing to read). Shared by the SQL backends.
pub(crate) fn stream_range(
    direction: Direction,
    start: StreamStart,
    max: usize,
) -> Option<(&'static str, &'static str, i64)> {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    match (direction, start) {
        (_, _) if max == 0 => None,
        (Direction::Forwards, StreamStart::End) => None,
        (Direction::Forwards, StreamStart::Start) => Some((">=", "ASC", 0)),
        (Direction::Forwards, StreamStart::Revision(r)) => Some((">=", "ASC", int(r))),
        (Direction::Backwards, StreamStart::Start) => Some(("<=", "DESC", 0)),
        (Direction::Backwards, StreamStart::Revision(r)) => Some(("<=", "DESC", int(r))),
        (Direction::Backwards, StreamStart::End) => Some(("<=", "DESC", i64::MAX)),
    }
}

/// A store failure. Messages are Vietnamese where officers may read them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the stream is not at the expected revision.
    #[error("xung đột phiên bản ở luồng {stream}: mong đợi {expected}, hiện tại {}", actual.map_or("chưa có".to_string(), |a| a.to_string()))]
    WrongExpectedRevision { stream: String, expected: ExpectedRevision, actual: Option<u64> },
    /// The data file failed a check; nothing was changed.
    #[error("tệp dữ liệu không toàn vẹn ({check}): {detail}")]
    Integrity { check: String, detail: String },
    /// The request is not valid (empty stream name, data not an object, ...).
    #[error("yêu cầu không hợp lệ: {0}")]
    Invalid(String),
    /// The backend failed (disk full, I/O error, connection lost). Nothing of the failed
    /// append is visible.
    #[error("lỗi kho sự kiện: {0}")]
    Backend(String),
    /// The store was closed.
    #[error("kho sự kiện đã đóng")]
    Closed,
}

/// The event store. Implementations are cheap to clone handles (`Arc` inside).
pub trait EventStore: Clone + Send + Sync + 'static {
    /// Appends `events` to `stream` atomically if it is at `expected`.
    ///
    /// An empty `events`, an empty stream name or data that is not a JSON object is
    /// [`StoreError::Invalid`]. Retrying an append (same event ids and content, same
    /// expected revision) after a lost reply succeeds without writing again and returns the
    /// original result. Once the request has reached the backend, dropping the future does
    /// not cancel it: it may still be written.
    fn append(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<EventData>,
    ) -> impl Future<Output = Result<AppendResult, StoreError>> + Send;

    /// Appends to several streams atomically: every append is checked against its expected
    /// revision and all are committed together, or none is (the first refusal is returned).
    /// Used where one decision touches many tasks (a plan import, a merger of agencies).
    /// A backend without multi-stream transactions must emulate this faithfully or refuse
    /// with [`StoreError::Invalid`]; it may never commit a part.
    fn append_group(
        &self,
        appends: Vec<StreamAppend>,
    ) -> impl Future<Output = Result<Vec<AppendResult>, StoreError>> + Send;

    /// Reads up to `max` events of a stream from `start` (inclusive) in `direction`.
    /// A stream that does not exist reads as empty.
    fn read_stream(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// Reads up to `max` events of the whole log with a position greater than `after`
    /// (`None`: from the beginning), in commit order.
    fn read_all(
        &self,
        after: Option<u64>,
        max: usize,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send;

    /// [`EventStore::read_all`] for a reader that needs only some fields of each event's
    /// metadata (a rebuild folds a million events and reads two): the events' metadata
    /// objects hold only the `metadata` keys present. A backend that cannot skip the others
    /// cheaply returns them all, which callers must accept.
    fn read_all_keeping(
        &self,
        after: Option<u64>,
        max: usize,
        metadata: &'static [&'static str],
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, StoreError>> + Send {
        let _ = metadata;
        self.read_all(after, max)
    }

    /// Every event after `after` (stored ones first, then live ones as they are committed),
    /// with no gap and no duplicate at the hand-over.
    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>>;

    /// The position of the last committed event, if any.
    fn last_position(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
}

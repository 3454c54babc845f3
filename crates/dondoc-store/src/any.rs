//! The store a deployment chose, as one type: the embedded SQLite file or a PostgreSQL
//! server (EventStoreDB joins here). Callers hold a [`Store`] and use [`EventStore`]; the
//! few things only one backend has (the SQLite file's seals) are reached through
//! [`Store::sqlite`].

use futures::stream::BoxStream;

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{
    AppendResult, Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamAppend,
    StreamStart,
};

/// Where the log is kept.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// The SQLite store, if that is the backend.
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match self {
            Store::Sqlite(s) => Some(s),
            Store::Postgres(_) => None,
        }
    }

    /// What the store is, for people: the file, or the server's address (no password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
            Store::Postgres(p) => format!("PostgreSQL {}", p.address()),
        }
    }

    /// Whether a connection string names a server rather than a file.
    pub fn is_server_url(location: &str) -> bool {
        ["postgres://", "postgresql://", "esdb://", "kurrentdb://", "esdb+discover://"]
            .iter()
            .any(|scheme| location.starts_with(scheme))
    }
}

impl From<SqliteStore> for Store {
    fn from(s: SqliteStore) -> Store {
        Store::Sqlite(s)
    }
}

impl From<PgStore> for Store {
    fn from(p: PgStore) -> Store {
        Store::Postgres(p)
    }
}

impl EventStore for Store {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<EventData>,
    ) -> Result<AppendResult, StoreError> {
        match self {
            Store::Sqlite(s) => s.append(stream, expected, events).await,
            Store::Postgres(p) => p.append(stream, expected, events).await,
        }
    }

    async fn append_group(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendResult>, StoreError> {
        match self {
            Store::Sqlite(s) => s.append_group(appends).await,
            Store::Postgres(p) => p.append_group(appends).await,
        }
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Store::Sqlite(s) => s.read_stream(stream, direction, start, max).await,
            Store::Postgres(p) => p.read_stream(stream, direction, start, max).await,
        }
    }

    async fn read_all(&self, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Store::Sqlite(s) => s.read_all(after, max).await,
            Store::Postgres(p) => p.read_all(after, max).await,
        }
    }

    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        match self {
            Store::Sqlite(s) => s.subscribe_all(after),
            Store::Postgres(p) => p.subscribe_all(after),
        }
    }

    async fn last_position(&self) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Sqlite(s) => s.last_position().await,
            Store::Postgres(p) => p.last_position().await,
        }
    }
}

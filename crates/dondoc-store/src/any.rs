//! The store a deployment chose, as one type: the embedded SQLite file or a PostgreSQL
//! server or an EventStoreDB/KurrentDB cluster. Callers hold a [`Store`] and use [`EventStore`]; the
//! few things only one backend has (the SQLite file's seals) are reached through
//! [`Store::sqlite`].

use futures::stream::BoxStream;

use crate::esdb::EsdbStore;
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
    Esdb(EsdbStore),
}

impl Store {
    /// The SQLite store, if that is the backend.
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match self {
            Store::Sqlite(s) => Some(s),
            Store::Postgres(_) | Store::Esdb(_) => None,
        }
    }

    /// What the store is, for people: the file, or the server's address (no password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
            Store::Postgres(p) => format!("PostgreSQL {}", p.address()),
            Store::Esdb(e) => format!("EventStoreDB {}", e.address()),
        }
    }

    /// Whether a connection string names a server rather than a file.
    pub fn is_server_url(location: &str) -> bool {
        ["postgres://", "postgresql://", "esdb://", "esdb+discover://", "kurrentdb://", "kurrentdb+discover://"]
            .iter()
            .any(|scheme| location.starts_with(scheme))
    }
}

/// A store as the target of `dondoc migrate`.
impl Store {
    /// How many events the store holds (where an interrupted copy resumes).
    pub async fn event_count(&self) -> Result<u64, StoreError> {
        match self {
            // Positions are 1..n without gaps on both SQL backends.
            Store::Sqlite(s) => Ok(s.last_position().await?.unwrap_or(0)),
            Store::Postgres(p) => Ok(p.last_position().await?.unwrap_or(0)),
            Store::Esdb(e) => e.count_events().await,
        }
    }

    /// The id of the store's last event, if any.
    pub async fn last_event_id(&self) -> Result<Option<uuid::Uuid>, StoreError> {
        match self {
            Store::Postgres(p) => p.last_event_id().await,
            Store::Esdb(e) => Ok(e.last_event().await?.map(|e| e.id)),
            Store::Sqlite(s) => {
                let Some(last) = s.last_position().await? else { return Ok(None) };
                Ok(s.read_all(last.checked_sub(1), 1).await?.first().map(|e| e.id))
            }
        }
    }

    /// Appends events as another store recorded them (ids, revisions, chain values kept)
    /// after the `after` events the store holds.
    pub async fn import_recorded(&self, after: u64, events: &[RecordedEvent]) -> Result<(), StoreError> {
        match self {
            Store::Postgres(p) => p.import_recorded(after, events).await.map(|_| ()),
            Store::Esdb(e) => e.import_recorded(events).await,
            Store::Sqlite(s) => s.import_recorded(after, events).await.map(|_| ()),
        }
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

impl From<EsdbStore> for Store {
    fn from(e: EsdbStore) -> Store {
        Store::Esdb(e)
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
            Store::Esdb(e) => e.append(stream, expected, events).await,
        }
    }

    async fn append_group(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendResult>, StoreError> {
        match self {
            Store::Sqlite(s) => s.append_group(appends).await,
            Store::Postgres(p) => p.append_group(appends).await,
            Store::Esdb(e) => e.append_group(appends).await,
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
            Store::Esdb(e) => e.read_stream(stream, direction, start, max).await,
        }
    }

    async fn read_all(&self, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Store::Sqlite(s) => s.read_all(after, max).await,
            Store::Postgres(p) => p.read_all(after, max).await,
            Store::Esdb(e) => e.read_all(after, max).await,
        }
    }

    async fn read_all_keeping(
        &self,
        after: Option<u64>,
        max: usize,
        metadata: &'static [&'static str],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self {
            Store::Sqlite(s) => s.read_all_keeping(after, max, metadata).await,
            Store::Postgres(p) => p.read_all_keeping(after, max, metadata).await,
            Store::Esdb(e) => e.read_all_keeping(after, max, metadata).await,
        }
    }

    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        match self {
            Store::Sqlite(s) => s.subscribe_all(after),
            Store::Postgres(p) => p.subscribe_all(after),
            Store::Esdb(e) => e.subscribe_all(after),
        }
    }

    async fn last_position(&self) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Sqlite(s) => s.last_position().await,
            Store::Postgres(p) => p.last_position().await,
            Store::Esdb(e) => e.last_position().await,
        }
    }
}

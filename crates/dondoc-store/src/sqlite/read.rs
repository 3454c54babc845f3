//! Read-only connections and the read queries.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Row, params};
use serde_json::Value;
use uuid::Uuid;

use super::backend;
use super::schema::configure_connection;
use crate::{Direction, RecordedEvent, StoreError, StreamStart};

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

const COLUMNS: &str = "position, id, stream, revision, event_type, data, metadata, recorded_at";

/// Read-only connections, opened on demand and kept for reuse.
pub(crate) struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    pub fn new(path: PathBuf) -> Self {
        ReaderPool { path, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `f` on a connection (blocking).
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = match self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&self.path, flags).map_err(backend)?;
        configure_connection(&mut conn)?;
        Ok(conn)
    }

    /// Closes the idle connections.
    pub fn close(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Clamps a `u64` into SQLite's integer range.
pub(crate) fn to_sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn limit(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

pub(crate) fn last_position(conn: &Connection) -> Result<Option<u64>, StoreError> {
    let max: Option<i64> = conn.query_row("SELECT max(position) FROM events", [], |row| row.get(0)).map_err(backend)?;
    Ok(max.map(|p| p as u64))
}

/// The events after `after`; with `keep`, their metadata holds only those keys.
pub(crate) fn read_all(
    conn: &Connection,
    after: Option<u64>,
    max: usize,
    keep: Option<&[&str]>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let after = after.map_or(-1, to_sql_int);
    let sql = format!("SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2");
    query(conn, &sql, params![after, limit(max)], keep)
}

pub(crate) fn read_stream(
    conn: &Connection,
    stream: &str,
    direction: Direction,
    start: StreamStart,
    max: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let Some((comparison, order, from)) = crate::stream_range(direction, start, max) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream = ?1 AND revision {comparison} ?2 ORDER BY revision {order} LIMIT ?3"
    );
    query(conn, &sql, params![stream, from, limit(max)], None)
}

fn query(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    keep: Option<&[&str]>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = stmt.query(params).map_err(backend)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        events.push(decode(row, keep)?);
    }
    Ok(events)
}

/// A row of `COLUMNS` as an event: the JSON texts are parsed where SQLite holds them,
/// without copying them first (a rebuild reads every event). With `keep`, only those keys
/// of the metadata are built; the others are parsed (checked) and skipped.
fn decode(row: &Row<'_>, keep: Option<&[&str]>) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.get(0).map_err(backend)?;
    let bad = |what: &str, e: &dyn std::fmt::Display| StoreError::Integrity {
        check: "decode".into(),
        detail: format!("sự kiện ở vị trí {position}: {what} không đọc được: {e}"),
    };
    let text = |i: usize, what: &str| -> Result<&str, StoreError> {
        row.get_ref(i).map_err(backend)?.as_str().map_err(|e| bad(what, &e))
    };
    let id = Uuid::parse_str(text(1, "id")?).map_err(|e| bad("id", &e))?;
    let stream = text(2, "stream")?.to_owned();
    let revision: i64 = row.get(3).map_err(backend)?;
    let event_type = text(4, "event_type")?.to_owned();
    let data: Value = serde_json::from_str(text(5, "data")?).map_err(|e| bad("data", &e))?;
    let metadata = crate::metadata::parse(text(6, "metadata")?, keep).map_err(|e| bad("metadata", &e))?;
    let recorded_at =
        DateTime::parse_from_rfc3339(text(7, "recorded_at")?).map_err(|e| bad("recorded_at", &e))?.with_timezone(&Utc);
    let revision = u64::try_from(revision).map_err(|e| bad("revision", &e))?;
    let position = u64::try_from(position).map_err(|e| bad("position", &e))?;
    Ok(RecordedEvent { id, stream, revision, position, event_type, data, metadata, recorded_at })
}

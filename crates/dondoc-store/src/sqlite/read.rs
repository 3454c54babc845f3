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
        let conn = Connection::open_with_flags(&self.path, flags).map_err(backend)?;
        configure_connection(&conn)?;
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

pub(crate) fn read_all(conn: &Connection, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let after = after.map_or(-1, to_sql_int);
    let sql = format!("SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2");
    query(conn, &sql, params![after, limit(max)])
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
    query(conn, &sql, params![stream, from, limit(max)])
}

fn query(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt.query_map(params, raw_row).map_err(backend)?;
    let mut events = Vec::new();
    for row in rows {
        events.push(row.map_err(backend)?.decode()?);
    }
    Ok(events)
}

/// A row as SQLite gives it.
struct RawRow {
    position: i64,
    id: String,
    stream: String,
    revision: i64,
    event_type: String,
    data: String,
    metadata: String,
    recorded_at: String,
}

fn raw_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        position: row.get(0)?,
        id: row.get(1)?,
        stream: row.get(2)?,
        revision: row.get(3)?,
        event_type: row.get(4)?,
        data: row.get(5)?,
        metadata: row.get(6)?,
        recorded_at: row.get(7)?,
    })
}

impl RawRow {
    fn decode(self) -> Result<RecordedEvent, StoreError> {
        let position = self.position;
        let bad = |what: &str, e: &dyn std::fmt::Display| StoreError::Integrity {
            check: "decode".into(),
            detail: format!("sự kiện ở vị trí {position}: {what} không đọc được: {e}"),
        };
        let id = Uuid::parse_str(&self.id).map_err(|e| bad("id", &e))?;
        let data: Value = serde_json::from_str(&self.data).map_err(|e| bad("data", &e))?;
        let metadata: Value = serde_json::from_str(&self.metadata).map_err(|e| bad("metadata", &e))?;
        let recorded_at =
            DateTime::parse_from_rfc3339(&self.recorded_at).map_err(|e| bad("recorded_at", &e))?.with_timezone(&Utc);
        let revision = u64::try_from(self.revision).map_err(|e| bad("revision", &e))?;
        let position = u64::try_from(position).map_err(|e| bad("position", &e))?;
        Ok(RecordedEvent {
            id,
            stream: self.stream,
            revision,
            position,
            event_type: self.event_type,
            data,
            metadata,
            recorded_at,
        })
    }
}

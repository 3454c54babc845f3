//! The read queries.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::{Client, Row};
use uuid::Uuid;

use super::pg_error;
use crate::{Direction, RecordedEvent, StoreError, StreamStart};

const COLUMNS: &str = "position, id, stream, revision, event_type, data, metadata, recorded_at";

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn limit(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

pub(crate) async fn last_position(client: &Client, address: &str) -> Result<Option<u64>, StoreError> {
    let row = client
        .query_one("SELECT position FROM dondoc_log_head WHERE one = 1", &[])
        .await
        .map_err(|e| pg_error(address, &e))?;
    let position: i64 = row.get(0);
    Ok((position > 0).then_some(position as u64))
}

/// The events after `after`; with `keep`, their metadata holds only those keys.
pub(crate) async fn read_all(
    client: &Client,
    address: &str,
    after: Option<u64>,
    max: usize,
    keep: Option<&[&str]>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let after = after.map_or(0, int);
    let sql = format!("SELECT {COLUMNS} FROM dondoc_events WHERE position > $1 ORDER BY position LIMIT $2");
    let rows = client.query(&sql, &[&after, &limit(max)]).await.map_err(|e| pg_error(address, &e))?;
    rows.iter().map(|row| decode(row, keep)).collect()
}

pub(crate) async fn read_stream(
    client: &Client,
    address: &str,
    stream: &str,
    direction: Direction,
    start: StreamStart,
    max: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let Some((comparison, order, from)) = crate::stream_range(direction, start, max) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT {COLUMNS} FROM dondoc_events WHERE stream = $1 AND revision {comparison} $2 \
         ORDER BY revision {order} LIMIT $3"
    );
    let rows = client.query(&sql, &[&stream, &from, &limit(max)]).await.map_err(|e| pg_error(address, &e))?;
    rows.iter().map(|row| decode(row, None)).collect()
}

fn decode(row: &Row, keep: Option<&[&str]>) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.get(0);
    let bad = |what: &str, e: &dyn std::fmt::Display| StoreError::Integrity {
        check: "decode".into(),
        detail: format!("sự kiện ở vị trí {position}: {what} không đọc được: {e}"),
    };
    let id: Uuid = row.get(1);
    let data: Value = serde_json::from_str(row.get::<_, &str>(5)).map_err(|e| bad("data", &e))?;
    let metadata = crate::metadata::parse(row.get::<_, &str>(6), keep).map_err(|e| bad("metadata", &e))?;
    let recorded_at: DateTime<Utc> = row.get(7);
    let revision = u64::try_from(row.get::<_, i64>(3)).map_err(|e| bad("revision", &e))?;
    Ok(RecordedEvent {
        id,
        stream: row.get(2),
        revision,
        position: u64::try_from(position).map_err(|e| bad("position", &e))?,
        event_type: row.get(4),
        data,
        metadata,
        recorded_at,
    })
}

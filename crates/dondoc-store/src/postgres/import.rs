//! Copying a history in: events as another store recorded them (ids, streams, revisions,
//! commit times and chain values kept), appended after the log's current end in the order
//! given. For `dondoc migrate`; nothing is recomputed, so the copy verifies exactly when
//! the original did.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::writer::{INSERT_ROWS, Rows};
use super::{PgStore, pg_error};
use crate::{RecordedEvent, StoreError, chain};

impl PgStore {
    /// Appends `events` (in order) after position `after` (the number of events the log
    /// holds: positions here are 1..n without gaps), keeping their ids, revisions, times
    /// and metadata. Refused, writing nothing, when the log has moved past `after` (another
    /// writer) or a stream's revisions would not follow on. Returns the new last position.
    pub async fn import_recorded(&self, after: u64, events: &[RecordedEvent]) -> Result<u64, StoreError> {
        let address = self.address().to_string();
        let err = |e: tokio_postgres::Error| pg_error(&address, &e);
        let mut client = self.reader().await?;
        let tx = client.transaction().await.map_err(err)?;
        let head = tx
            .query_one("SELECT position, recorded_at FROM dondoc_log_head WHERE one = 1 FOR UPDATE", &[])
            .await
            .map_err(err)?;
        let position = head.get::<_, i64>(0) as u64;
        let last_at: Option<DateTime<Utc>> = head.get(1);
        if position != after {
            return Err(StoreError::Invalid(format!(
                "kho đích đã có {position} sự kiện, không phải {after}: có nơi khác đang ghi vào kho đích"
            )));
        }
        let mut rows = Rows::default();
        let mut at = last_at;
        for (i, e) in events.iter().enumerate() {
            rows.position.push((position + 1 + i as u64) as i64);
            rows.id.push(e.id);
            rows.stream.push(e.stream.clone());
            rows.revision.push(e.revision as i64);
            rows.event_type.push(e.event_type.clone());
            rows.data.push(chain::canonical_json(&e.data));
            rows.metadata.push(chain::canonical_json(&e.metadata));
            rows.recorded_at.push(e.recorded_at);
            at = Some(at.map_or(e.recorded_at, |a| a.max(e.recorded_at)));
        }
        tx.execute(INSERT_ROWS, &rows.params()).await.map_err(|e| match e.code() {
            Some(code) if *code == tokio_postgres::error::SqlState::UNIQUE_VIOLATION => StoreError::Invalid(format!(
                "kho đích đã có một sự kiện trùng mã hoặc trùng phiên bản của luồng: {}",
                e.as_db_error().map_or(String::new(), |d| d.message().to_string())
            )),
            _ => err(e),
        })?;
        let new_head = position + events.len() as u64;
        tx.execute(
            "UPDATE dondoc_log_head SET position = $1, recorded_at = $2 WHERE one = 1",
            &[&(new_head as i64), &at],
        )
        .await
        .map_err(err)?;
        tx.batch_execute("NOTIFY dondoc_events").await.map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(new_head)
    }

    /// The id of the log's last event, if any.
    pub async fn last_event_id(&self) -> Result<Option<Uuid>, StoreError> {
        let client = self.reader().await?;
        let row = client
            .query_opt("SELECT id FROM dondoc_events ORDER BY position DESC LIMIT 1", &[])
            .await
            .map_err(|e| pg_error(self.address(), &e))?;
        Ok(row.map(|r| r.get(0)))
    }
}

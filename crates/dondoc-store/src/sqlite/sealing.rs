//! The `seals` table ([`crate::seal`]): sealing the events already there when a key is
//! first used, reading seals, and checking them against the log.

use chrono::SecondsFormat;
use rusqlite::{Connection, OptionalExtension, Row};

use super::read::to_sql_int;
use super::{Clock, backend};
use crate::StoreError;
use crate::seal::{self, Digester, SealKey, SealRecord, SealReport, Verifier};

/// Rows read per page while verifying.
const PAGE: i64 = 2_000;

const SEAL_COLUMNS: &str = "id, first_position, last_position, events, sealed_at, key_id, mac";

fn record(row: &Row<'_>) -> rusqlite::Result<SealRecord> {
    Ok(SealRecord {
        id: row.get::<_, i64>(0)? as u64,
        first_position: row.get::<_, i64>(1)? as u64,
        last_position: row.get::<_, i64>(2)? as u64,
        events: row.get::<_, i64>(3)? as u64,
        sealed_at: row.get(4)?,
        key_id: row.get(5)?,
        mac: row.get(6)?,
    })
}

/// The chain value of a stored metadata text (none when it is not JSON or has none).
const EVENT_COLUMNS: &str = "position, recorded_at, stream, revision,
    CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.chain') END";

type EventRow = (u64, String, String, u64, String);

fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok((
        row.get::<_, i64>(0)? as u64,
        row.get(1)?,
        row.get(2)?,
        row.get::<_, i64>(3)? as u64,
        row.get::<_, Option<String>>(4).ok().flatten().unwrap_or_default(),
    ))
}

/// When nothing is sealed yet and the log is not empty: one seal over every event, the
/// state of the log as the key's first writer found it.
pub(crate) fn seal_backlog(conn: &Connection, key: &SealKey, clock: &Clock) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    let result = (|| -> rusqlite::Result<()> {
        let sealed: i64 = conn.query_row("SELECT count(*) FROM seals", [], |r| r.get(0))?;
        if sealed > 0 {
            return Ok(());
        }
        let mut digester = Digester::default();
        let mut stmt = conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY position"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (position, recorded_at, stream, revision, chain) = event_row(row)?;
            digester.feed(position, &seal::line(position, &recorded_at, &stream, revision, &chain));
        }
        if digester.events() == 0 {
            return Ok(());
        }
        let stamp = clock().to_rfc3339_opts(SecondsFormat::Micros, true);
        super::writer::insert_seal(conn, key, digester, &stamp)
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(backend),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(backend(e))
        }
    }
}

pub(crate) fn newest(conn: &Connection) -> Result<Option<SealRecord>, StoreError> {
    conn.query_row(&format!("SELECT {SEAL_COLUMNS} FROM seals ORDER BY id DESC LIMIT 1"), [], record)
        .optional()
        .map_err(backend)
}

pub(crate) fn by_id(conn: &Connection, id: u64) -> Result<Option<SealRecord>, StoreError> {
    conn.query_row(&format!("SELECT {SEAL_COLUMNS} FROM seals WHERE id = ?1"), [to_sql_int(id)], record)
        .optional()
        .map_err(backend)
}

/// Walks the log in position order and the seals in id order, in pages, inside one read
/// transaction (a consistent snapshot while writers go on).
pub(crate) fn verify(conn: &Connection, key: &SealKey) -> Result<SealReport, StoreError> {
    conn.execute_batch("BEGIN").map_err(backend)?;
    let result = walk(conn, key);
    let _ = conn.execute_batch("COMMIT");
    result.map_err(backend)
}

fn walk(conn: &Connection, key: &SealKey) -> rusqlite::Result<SealReport> {
    let mut verifier = Verifier::new(key);
    let mut seals_stmt =
        conn.prepare(&format!("SELECT {SEAL_COLUMNS} FROM seals WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
    let mut events_stmt =
        conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"))?;
    let mut seals: std::collections::VecDeque<SealRecord> = Default::default();
    let mut seal_after: i64 = 0;
    let mut seals_done = false;
    let mut next_seal = |seals: &mut std::collections::VecDeque<SealRecord>| -> rusqlite::Result<Option<SealRecord>> {
        if seals.is_empty() && !seals_done {
            let page: Vec<SealRecord> = seals_stmt.query_map([seal_after, PAGE], record)?.collect::<Result<_, _>>()?;
            seals_done = (page.len() as i64) < PAGE;
            if let Some(last) = page.last() {
                seal_after = to_sql_int(last.id);
            }
            seals.extend(page);
        }
        Ok(seals.pop_front())
    };
    let mut pending = next_seal(&mut seals)?;
    let mut after: i64 = 0;
    loop {
        let page: Vec<EventRow> = events_stmt.query_map([after, PAGE], event_row)?.collect::<Result<_, _>>()?;
        for (position, recorded_at, stream, revision, chain) in &page {
            while let Some(seal) = pending.take_if(|s| s.first_position <= *position) {
                verifier.seal(seal);
                pending = next_seal(&mut seals)?;
            }
            verifier.event(*position, recorded_at, stream, *revision, chain);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = to_sql_int(last.0),
            _ => break,
        }
    }
    // Seals past the last event: their events are gone.
    while let Some(seal) = pending.take() {
        verifier.seal(seal);
        pending = next_seal(&mut seals)?;
    }
    Ok(verifier.finish())
}

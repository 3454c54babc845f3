//! The projection tables and their checkpoint.

use std::fmt::Write as _;

use rusqlite::{Connection, OptionalExtension};

use crate::ProjectionError;

/// The name of the checkpoint row of every projection (updated together).
pub(crate) const CHECKPOINT: &str = "board";

/// The version of the projection tables. A file whose tables are older is emptied on open
/// and rebuilt by the next catch-up: projections are derived data.
pub(crate) const VERSION: i64 = 4;

pub(crate) fn create(conn: &Connection) -> Result<(), ProjectionError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS proj_meta (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS proj_stream (
            stream TEXT PRIMARY KEY,
            revision INTEGER NOT NULL,
            state TEXT
        );
        CREATE TABLE IF NOT EXISTS proj_summary (
            edition TEXT NOT NULL,
            recipient TEXT NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            channel_faults INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (edition, recipient)
        );
        CREATE TABLE IF NOT EXISTS proj_token (
            token_sha256 TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS proj_token_login ON proj_token (login);
        CREATE TABLE IF NOT EXISTS proj_checkpoint (
            name TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS proj_task (
            plan TEXT NOT NULL,
            code TEXT NOT NULL,
            stream TEXT NOT NULL UNIQUE,
            revision INTEGER NOT NULL,
            lead TEXT NOT NULL,
            status TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (plan, code)
        );
        CREATE INDEX IF NOT EXISTS proj_task_lead ON proj_task (lead);
        CREATE TABLE IF NOT EXISTS proj_delivery (
            key TEXT PRIMARY KEY,
            plan TEXT NOT NULL,
            code TEXT NOT NULL,
            occurrence TEXT,
            channel TEXT NOT NULL,
            recipient TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            position INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS daemon_job (
            name TEXT PRIMARY KEY,
            last_run TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS proj_delivery_message (
            message_id TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (message_id, key)
        );
        CREATE TABLE IF NOT EXISTS proj_delivery_failure_at (
            position INTEGER PRIMARY KEY,
            at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS proj_delivery_failure (
            position INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            plan TEXT NOT NULL,
            code TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            error TEXT NOT NULL,
            will_retry INTEGER NOT NULL
        );",
    )?;
    let version: Option<i64> =
        conn.query_row("SELECT value FROM proj_meta WHERE name = 'version'", [], |r| r.get(0)).optional()?;
    if version != Some(VERSION) {
        let tx = conn.unchecked_transaction()?;
        clear(&tx)?;
        tx.execute(
            "INSERT INTO proj_meta (name, value) VALUES ('version', ?1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [VERSION],
        )?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn checkpoint(conn: &Connection) -> Result<Option<u64>, ProjectionError> {
    let pos: Option<i64> = conn
        .query_row("SELECT position FROM proj_checkpoint WHERE name = ?1", [CHECKPOINT], |r| r.get(0))
        .optional()?;
    Ok(pos.map(|p| p as u64))
}

pub(crate) fn set_checkpoint(conn: &Connection, position: u64) -> Result<(), ProjectionError> {
    conn.execute(
        "INSERT INTO proj_checkpoint (name, position) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        rusqlite::params![CHECKPOINT, position as i64],
    )?;
    Ok(())
}

/// Empties every projection table and the checkpoint (in the caller's transaction).
pub(crate) fn clear(conn: &Connection) -> Result<(), ProjectionError> {
    conn.execute_batch(
        "DELETE FROM proj_task; DELETE FROM proj_delivery; DELETE FROM proj_delivery_message; DELETE FROM proj_delivery_failure;
         DELETE FROM proj_delivery_failure_at; DELETE FROM proj_stream; DELETE FROM proj_summary; DELETE FROM proj_token;
         DELETE FROM proj_checkpoint;",
    )?;
    Ok(())
}

pub(crate) fn dump(conn: &Connection) -> Result<String, ProjectionError> {
    let mut out = String::new();
    let _ = writeln!(out, "checkpoint {:?}", checkpoint(conn)?);
    let tables = [
        ("proj_task", "SELECT plan, code, stream, revision, lead, status, state FROM proj_task ORDER BY plan, code"),
        (
            "proj_delivery",
            "SELECT key, plan, code, occurrence, channel, recipient, sent_at, position FROM proj_delivery ORDER BY key",
        ),
        ("proj_delivery_message", "SELECT message_id, key FROM proj_delivery_message ORDER BY message_id, key"),
        (
            "proj_delivery_failure",
            "SELECT position, key, plan, code, attempt, error, will_retry FROM proj_delivery_failure ORDER BY position",
        ),
        ("proj_delivery_failure_at", "SELECT position, at FROM proj_delivery_failure_at ORDER BY position"),
        ("proj_stream", "SELECT stream, revision, state FROM proj_stream ORDER BY stream"),
        (
            "proj_summary",
            "SELECT edition, recipient, delivered, failures, channel_faults FROM proj_summary ORDER BY edition, recipient",
        ),
        ("proj_token", "SELECT token_sha256, login, expires_at FROM proj_token ORDER BY token_sha256"),
    ];
    for (name, sql) in tables {
        let mut stmt = conn.prepare(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut line = name.to_string();
            for i in 0..columns {
                let v: rusqlite::types::Value = row.get(i)?;
                let _ = write!(line, " | {v:?}");
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    Ok(out)
}

//! Creating the file and the on-open checks (see the module documentation of
//! [`crate::sqlite`]). Nothing here writes to an existing file before it is accepted.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::backend;
use crate::StoreError;

/// `PRAGMA application_id` of dondoc's files: "DDoc" in ASCII.
pub const APPLICATION_ID: u32 = u32::from_be_bytes(*b"DDoc");
/// `PRAGMA user_version`: the schema version this code reads and writes. Version 1 (no
/// `seals` table) is accepted and brought to 2 on open; an older binary refuses version 2
/// rather than write unsealed events into a sealed log.
pub const SCHEMA_VERSION: u32 = 2;

/// How long a connection waits for a lock held by another connection.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The table, exactly as created (SQLite keeps this text in `sqlite_master`).
const EVENTS_TABLE: &str = "CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 0),
    event_type  TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    UNIQUE (stream, revision)
) STRICT";

/// The seals ([`crate::seal`]), one per sealed commit.
const SEALS_TABLE: &str = "CREATE TABLE seals (
    id             INTEGER PRIMARY KEY,
    first_position INTEGER NOT NULL,
    last_position  INTEGER NOT NULL,
    events         INTEGER NOT NULL,
    sealed_at      TEXT    NOT NULL,
    key_id         TEXT    NOT NULL,
    mac            TEXT    NOT NULL
) STRICT";

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Offsets in the 100-byte database header (big-endian u32s).
const USER_VERSION_OFFSET: usize = 60;
const APPLICATION_ID_OFFSET: usize = 68;

/// What is at the path before SQLite touches it.
enum Found {
    /// Nothing, or an empty file: create.
    Nothing,
    /// An SQLite file with our application id in its header.
    Ours,
}

/// Opens (creating if needed) the write connection, after the on-open checks.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = match inspect(path)? {
        Found::Nothing => create(path)?,
        Found::Ours => {
            check_with_reader(path)?;
            let conn = open_rw(path, OpenFlags::empty())?;
            migrate(&conn)?;
            conn
        }
    };
    configure_writer(&conn)?;
    Ok(conn)
}

/// Brings an accepted version-1 file to version 2 (adds the `seals` table).
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)?;
    let script = if version == 1 {
        format!("{SEALS_TABLE}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    } else {
        "COMMIT;".to_string()
    };
    if let Err(e) = conn.execute_batch(&script) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(backend(e));
    }
    Ok(())
}

fn integrity(check: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Integrity { check: check.into(), detail: detail.into() }
}

/// Checks 1 and 2: the raw header, read without SQLite.
fn inspect(path: &Path) -> Result<Found, StoreError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(StoreError::Backend(format!("không mở được {}: {e}", path.display()))),
    };
    let mut header = Vec::with_capacity(100);
    file.by_ref()
        .take(100)
        .read_to_end(&mut header)
        .map_err(|e| StoreError::Backend(format!("không đọc được {}: {e}", path.display())))?;
    if header.is_empty() {
        return nothing_or_orphan_wal(path);
    }
    if header.len() < 100 || !header.starts_with(SQLITE_MAGIC) {
        return Err(integrity("sqlite header", format!("{} không phải là tệp SQLite", path.display())));
    }
    let found = header_u32(&header, APPLICATION_ID_OFFSET);
    if found != APPLICATION_ID {
        return Err(integrity(
            "application_id",
            format!(
                "{} là tệp SQLite của ứng dụng khác (application_id {found:#010x}, cần {APPLICATION_ID:#010x})",
                path.display()
            ),
        ));
    }
    // The header may lag behind the WAL, so only a newer version is refused here; the
    // reader check below reads the authoritative value.
    let version = header_u32(&header, USER_VERSION_OFFSET);
    if version > SCHEMA_VERSION {
        check_version(version)?;
    }
    Ok(Found::Ours)
}

/// An empty file is created over, unless a write-ahead log with content sits beside it.
fn nothing_or_orphan_wal(path: &Path) -> Result<Found, StoreError> {
    let wal = sidecar(path, "-wal");
    match std::fs::metadata(&wal) {
        Ok(meta) if meta.len() > 0 => {
            Err(integrity("sqlite header", format!("{} trống nhưng {} có dữ liệu", path.display(), wal.display())))
        }
        _ => Ok(Found::Nothing),
    }
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn header_u32(header: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(header[offset..offset + 4].try_into().expect("4 bytes"))
}

fn check_version(found: u32) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(integrity(
            "schema version",
            format!("tệp có lược đồ phiên bản {found}, phần mềm này chỉ hiểu đến phiên bản {SCHEMA_VERSION}"),
        ));
    }
    if found < 1 {
        return Err(integrity(
            "schema version",
            format!("tệp có lược đồ phiên bản {found}, không phải phiên bản {SCHEMA_VERSION} mà phần mềm này ghi"),
        ));
    }
    Ok(())
}

/// Check 3, through a read-only connection (which also sees what is still in the WAL).
fn check_with_reader(path: &Path) -> Result<(), StoreError> {
    let mut conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(backend)?;
    configure_connection(&mut conn)?;
    let pragma = |name: &str| conn.pragma_query_value(None, name, |row| row.get::<_, i64>(0)).map_err(backend);
    let application_id = pragma("application_id")? as u32;
    if application_id != APPLICATION_ID {
        return Err(integrity("application_id", format!("application_id {application_id:#010x}")));
    }
    check_version(pragma("user_version")? as u32)?;
    check_schema(&conn)
}

/// The `events` table must be exactly as created, and nothing may hang on it (a trigger,
/// a view of that name, an index of ours missing or one of someone else's). Other tables
/// may share the file (the projections keep theirs here) and are not looked at.
fn check_schema(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE name = 'events' OR tbl_name = 'events' ORDER BY name")
        .map_err(backend)?;
    let objects = stmt
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?)))
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    let mut table = None;
    let mut own_indexes = 0;
    for (kind, name, sql) in objects {
        match (kind.as_str(), name.as_str(), sql) {
            ("table", "events", sql) => table = sql,
            ("index", name, None) if name.starts_with("sqlite_autoindex_events_") => own_indexes += 1,
            (kind, name, _) => {
                return Err(integrity("schema", format!("đối tượng lạ gắn với bảng events: {kind} {name}")));
            }
        }
    }
    match table {
        None => Err(integrity("schema", "thiếu bảng events")),
        Some(sql) if sql != EVENTS_TABLE => Err(integrity("schema", format!("bảng events sai định nghĩa: {sql}"))),
        Some(_) if own_indexes != 2 => {
            Err(integrity("schema", format!("bảng events có {own_indexes} chỉ mục riêng, cần 2")))
        }
        Some(_) => Ok(()),
    }
}

fn open_rw(path: &Path, extra: OpenFlags) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | extra;
    let mut conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    configure_connection(&mut conn)?;
    Ok(conn)
}

/// The pause between two tries for a lock another connection holds: 1 ms for the first
/// tries, then 2 ms.
fn busy_pause(tries: i32) -> Duration {
    Duration::from_millis(if tries < 10 { 1 } else { 2 })
}

/// Waits up to `timeout` for a lock another connection (another process: a CLI import
/// beside the daemon) holds, trying again every [`busy_pause`]. SQLite's own busy timeout
/// sleeps in growing steps of up to 100 ms, so a request could sleep on for tens of
/// milliseconds after the lock was freed; an officer's webhook waiting behind an import's
/// commit should not. Every connection to the store's file uses it (the read models' too).
pub fn wait_when_busy(conn: &mut Connection, timeout: Duration) -> Result<(), StoreError> {
    let mut since = std::time::Instant::now();
    conn.busy_handler(Some(move |tries: i32| {
        if tries == 0 {
            since = std::time::Instant::now();
        }
        if since.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(busy_pause(tries));
        true
    }))
    .map_err(backend)
}

/// Settings of every connection: how it waits for a lock, and the query planner stability
/// guarantee (the bundled SQLite has STAT4, which otherwise re-prepares a cached statement
/// whenever its bound values change — on every append).
pub(crate) fn configure_connection(conn: &mut Connection) -> Result<(), StoreError> {
    wait_when_busy(conn, BUSY_TIMEOUT)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    Ok(())
}

/// Creates the schema in rollback-journal mode (so the header, with the application id,
/// is in the main file at once), then switches to WAL. If another process created it in
/// the meantime, checks theirs instead.
fn create(path: &Path) -> Result<Connection, StoreError> {
    let conn = open_rw(path, OpenFlags::SQLITE_OPEN_CREATE)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0)).map_err(backend)?;
    if objects > 0 {
        conn.execute_batch("ROLLBACK").map_err(backend)?;
        drop(conn);
        return match inspect(path)? {
            Found::Ours => check_with_reader(path).and_then(|()| open_rw(path, OpenFlags::empty())),
            Found::Nothing => Err(integrity("sqlite header", "tệp vừa được tạo nhưng trống")),
        };
    }
    let script = format!(
        "PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {SCHEMA_VERSION};
         {EVENTS_TABLE};
         {SEALS_TABLE};
         COMMIT;"
    );
    if let Err(e) = conn.execute_batch(&script) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(backend(e));
    }
    Ok(conn)
}

/// WAL, full durability.
fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!("không bật được chế độ WAL (journal_mode = {mode})")));
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
    // Keep the WAL file from staying large after a burst.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).map_err(backend)?;
    Ok(())
}

/// `PRAGMA quick_check`.
pub(crate) fn quick_check(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("PRAGMA quick_check").map_err(backend)?;
    let lines = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    if lines.len() == 1 && lines[0] == "ok" { Ok(()) } else { Err(integrity("quick_check", lines.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_held_longer_than_the_timeout_fails_busy_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x); BEGIN IMMEDIATE").unwrap();
        let mut waiter = Connection::open(&path).unwrap();
        wait_when_busy(&mut waiter, Duration::from_millis(100)).unwrap();
        let started = std::time::Instant::now();
        let error = waiter.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        let waited = started.elapsed();
        assert_eq!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy), "{error}");
        assert!(waited >= Duration::from_millis(100) && waited < Duration::from_secs(2), "{waited:?}");
    }
}

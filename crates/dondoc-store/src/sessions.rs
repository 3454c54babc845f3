//! The web face's page sessions, kept in a small SQLite file of their own beside the store
//! (not in the log: a session is not a fact of the tracked work, and its expiry changes on
//! every request). The caller names a session by a key (the web crate gives the SHA-256 of
//! the cookie's id, never the id) and keeps its data as text. Blocking calls: run them off
//! an async runtime's workers.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

/// A session file's error (its path and SQLite's reason).
#[derive(Debug, thiserror::Error)]
#[error("tệp phiên đăng nhập: {0}")]
pub struct SessionError(#[from] rusqlite::Error);

/// The sessions table of one file.
pub struct SessionTable {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SessionTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTable")
    }
}

impl SessionTable {
    /// Opens (creating when missing) the session file at `path`.
    pub fn open(path: &Path) -> Result<SessionTable, SessionError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS page_session (
                key TEXT PRIMARY KEY,
                data TEXT NOT NULL,
                expires_unix INTEGER NOT NULL
            ) STRICT;",
        )?;
        Ok(SessionTable { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a session unless `key` is taken (then `false`); sessions expired at `now_unix`
    /// are dropped first.
    pub fn insert_new(&self, key: &str, data: &str, expires_unix: i64, now_unix: i64) -> Result<bool, SessionError> {
        let conn = self.conn();
        conn.execute("DELETE FROM page_session WHERE expires_unix <= ?1", [now_unix])?;
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO page_session (key, data, expires_unix) VALUES (?1, ?2, ?3)",
            params![key, data, expires_unix],
        )?;
        Ok(inserted == 1)
    }

    /// Writes a session's data and expiry (adding it when missing).
    pub fn put(&self, key: &str, data: &str, expires_unix: i64) -> Result<(), SessionError> {
        self.conn().execute(
            "INSERT INTO page_session (key, data, expires_unix) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_unix = excluded.expires_unix",
            params![key, data, expires_unix],
        )?;
        Ok(())
    }

    /// A session's data and expiry, unless missing or expired at `now_unix`.
    pub fn get(&self, key: &str, now_unix: i64) -> Result<Option<(String, i64)>, SessionError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT data, expires_unix FROM page_session WHERE key = ?1 AND expires_unix > ?2",
                params![key, now_unix],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Ends a session.
    pub fn remove(&self, key: &str) -> Result<(), SessionError> {
        self.conn().execute("DELETE FROM page_session WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Every key held (expired or not), for checks.
    pub fn keys(&self) -> Result<Vec<String>, SessionError> {
        let conn = self.conn();
        let mut statement = conn.prepare("SELECT key FROM page_session ORDER BY key")?;
        let keys = statement.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_kept_across_opens_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let table = SessionTable::open(&path).unwrap();
            assert!(table.insert_new("a", "{}", 200, 100).unwrap());
            assert!(!table.insert_new("a", "{\"x\":1}", 300, 100).unwrap(), "a taken key");
            assert!(table.insert_new("old", "{}", 150, 100).unwrap());
        }
        let table = SessionTable::open(&path).unwrap();
        assert_eq!(table.get("a", 100).unwrap(), Some(("{}".to_string(), 200)));
        assert_eq!(table.get("old", 160).unwrap(), None, "expired");
        table.put("a", "{\"flash\":\"Đã lưu\"}", 400).unwrap();
        assert_eq!(table.get("a", 300).unwrap(), Some(("{\"flash\":\"Đã lưu\"}".to_string(), 400)));
        assert!(table.insert_new("b", "{}", 500, 160).unwrap());
        assert_eq!(table.keys().unwrap(), ["a", "b"], "the expired one was dropped as b began");
        table.remove("a").unwrap();
        assert_eq!(table.get("a", 300).unwrap(), None);
    }
}

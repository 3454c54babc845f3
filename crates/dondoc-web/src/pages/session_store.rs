//! Page sessions that outlive a restart of `dondoc serve`: tower-sessions does the session
//! handling (ids, cookies, expiry); this is only its [`SessionStore`] backend, over
//! `dondoc_store::sessions` (a file beside the store). The file keeps the SHA-256 of each
//! session id, never the id itself (the cookie's value), so a copy of the file cannot be
//! replayed as a cookie.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use dondoc_store::sessions::{SessionError, SessionTable};
use sha2::{Digest as _, Sha256};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Page sessions kept in a file.
#[derive(Debug, Clone)]
pub struct FileSessions {
    table: Arc<SessionTable>,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl FileSessions {
    /// Opens (creating when missing) the session file at `path`.
    pub fn open(path: &Path) -> Result<FileSessions, SessionError> {
        Ok(FileSessions { table: Arc::new(SessionTable::open(path)?) })
    }

    /// Runs `work` on the table on a blocking thread.
    async fn run<T, F>(&self, work: F) -> session_store::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&SessionTable) -> Result<T, SessionError> + Send + 'static,
    {
        let table = self.table.clone();
        tokio::task::spawn_blocking(move || work(&table)).await.map_err(backend)?.map_err(backend)
    }
}

#[async_trait]
impl SessionStore for FileSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        let expires = record.expiry_date.unix_timestamp();
        // Ids are 128 random bits: a collision, and so a second try, is all but impossible.
        loop {
            let (k, d) = (key(&record.id), data.clone());
            if self.run(move |t| t.insert_new(&k, &d, expires, now_unix())).await? {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        let (k, expires) = (key(&record.id), record.expiry_date.unix_timestamp());
        self.run(move |t| t.put(&k, &data, expires)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let k = key(id);
        let Some((data, expires)) = self.run(move |t| t.get(&k, now_unix())).await? else { return Ok(None) };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires).map_err(backend)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let k = key(id);
        self.run(move |t| t.remove(&k)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_in: i64) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("csrf".to_string(), serde_json::json!("t0k3n"));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + tower_sessions::cookie::time::Duration::seconds(expires_in),
        }
    }

    #[tokio::test]
    async fn sessions_outlive_the_process_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions.sqlite");
        let mut live = record(3600);
        let mut expired = record(-1);
        {
            let store = FileSessions::open(&path).unwrap();
            store.create(&mut live).await.unwrap();
            store.create(&mut expired).await.unwrap();
        }
        // Reopened, as after a restart.
        let store = FileSessions::open(&path).unwrap();
        let loaded = store.load(&live.id).await.unwrap().expect("kept across the restart");
        assert_eq!((loaded.id, &loaded.data), (live.id, &live.data));
        assert_eq!(loaded.expiry_date.unix_timestamp(), live.expiry_date.unix_timestamp(), "to the second");
        assert_eq!(store.load(&expired.id).await.unwrap(), None, "expired");
        live.data.insert("flash".into(), serde_json::json!("Đã lưu"));
        store.save(&live).await.unwrap();
        assert_eq!(store.load(&live.id).await.unwrap().unwrap().data["flash"], "Đã lưu");
        store.delete(&live.id).await.unwrap();
        assert_eq!(store.load(&live.id).await.unwrap(), None);
        // The file holds hashes of the ids, never the ids.
        let keys = store.table.keys().unwrap();
        assert!(keys.iter().all(|k| k.len() == 64 && *k != expired.id.to_string() && *k != live.id.to_string()));
    }
}

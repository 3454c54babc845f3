//! Read models built from the event log.
//!
//! The projections live in the store's SQLite file, in their own tables (`proj_*`). Every
//! update is committed in the same transaction as the checkpoint (the position of the last
//! event applied), so a restart reads only the events after it, and a crash never leaves a
//! projection ahead of or behind its checkpoint. [`Projections::rebuild`] replays the whole
//! log and must give the same tables as incremental updates.
//!
//! Each read model owns its tables and their queries:
//! - [`board`]: the current state of every task (plan, code), with its stream revision.
//! - [`delivery`]: the delivery log: which reminder keys were delivered, and failures.
//! - [`contacts`], [`silences`], [`agencies`], [`plans`], [`summaries`]: the small
//!   streams, folded by core's folds (`streams`).
//! - [`jobs`]: when each daemon job last ran (operational state, kept by a rebuild).
//!
//! Must not know commands, channels or HTTP: the application layer (`dondoc-app`) writes
//! events; this crate only reads them.

pub mod accounts;
pub mod agencies;
pub mod board;
pub mod contacts;
pub mod delivery;
pub mod jobs;
pub mod plans;
mod projector;
mod schema;
pub mod silences;
mod streams;
pub mod summaries;

use std::path::Path;

use rusqlite::Connection;

pub use board::BoardTask;
pub use plans::PlanRecord;
pub use projector::CatchUp;
pub use summaries::EditionHistory;

/// A projection failure.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("lỗi cơ sở dữ liệu của bảng theo dõi: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Store(#[from] dondoc_store::StoreError),
    #[error("sự kiện ở vị trí {position} (luồng {stream}, phiên bản {revision}) không đọc được: {detail}")]
    Decode { position: u64, stream: String, revision: u64, detail: String },
    #[error("luồng {stream} thiếu sự kiện: sau phiên bản {after:?} là phiên bản {got}")]
    Gap { stream: String, after: Option<u64>, got: u64 },
    #[error("trạng thái lưu của {0} không đọc được: {1}")]
    State(String, serde_json::Error),
}

/// The read models, on one SQLite connection to the store's file.
pub struct Projections {
    conn: Connection,
}

impl Projections {
    /// Opens (and creates if needed) the projection tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Self, ProjectionError> {
        let mut conn = Connection::open(path)?;
        dondoc_store::sqlite::wait_when_busy(&mut conn, std::time::Duration::from_secs(30))?;
        // Derived data: a catch-up lost to a power cut is applied again from the log (its
        // checkpoint is in the same transaction), so its commits need not wait for the
        // disk. The events in the same file are committed FULL by the store's writer.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        schema::create(&conn)?;
        Ok(Projections { conn })
    }

    /// A read-only connection to read models [`Projections::open`] created: queries see
    /// the tables as of the last committed catch-up and never wait for one in progress
    /// (WAL). Catching up through it fails.
    pub fn open_reader(path: &Path) -> Result<Self, ProjectionError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags)?;
        dondoc_store::sqlite::wait_when_busy(&mut conn, std::time::Duration::from_secs(5))?;
        Ok(Projections { conn })
    }

    /// The position of the last event applied, if any.
    pub fn checkpoint(&self) -> Result<Option<u64>, ProjectionError> {
        schema::checkpoint(&self.conn)
    }

    /// A canonical text dump of every projection table, to compare two builds.
    pub fn dump(&self) -> Result<String, ProjectionError> {
        schema::dump(&self.conn)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

//! The PostgreSQL backend: one events table in a database a province already runs, for a
//! log replicated by PostgreSQL's own streaming replication, with failover through a
//! multi-host connection string (`postgres://h1:5432,h2:5432/dondoc?target_session_attrs=read-write`).
//!
//! - **Order:** positions are gap-free and in commit order. Every write transaction first
//!   locks the single row of `dondoc_log_head` (`SELECT … FOR UPDATE`), takes the next
//!   positions from it and moves it in the same transaction. A writer in another process
//!   waits for that lock until the previous transaction has committed or rolled back, so a
//!   reader that sees position `p` has every position before it: no late-committing event
//!   is ever skipped, and a rolled-back transaction leaves no hole.
//! - **Concurrency:** `UNIQUE (stream, revision)` and the expected revision checked under
//!   the lock; `UNIQUE (id)` so that a retried append is recognised (the shared rules of
//!   `crate::rules`), not written twice.
//! - **Group commit:** appends from concurrent callers are written by one writer task per
//!   store handle in one transaction (each in its own savepoint): one WAL flush serves many.
//! - **Chains:** the same canonical bytes and chain values as the SQLite backend
//!   (`crate::prepare`, `crate::chain`), stored as the same text.
//! - **Live reads:** the writer's `NOTIFY dondoc_events` (delivered at commit, also to
//!   other processes) wakes subscriptions; a periodic poll covers a lost notification.
//!
//! Seals (HMAC of each commit) are the SQLite backend's; here PostgreSQL's own access
//! control and replication guard the table.

mod import;
pub mod lease;
mod read;
mod schema;
mod subscribe;
pub mod tls;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use tokio::sync::{mpsc, watch};
use tokio_postgres::Config;

use crate::{
    AppendResult, Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamAppend,
    StreamStart,
};

/// How long connecting to the server may take before the address is named in an error.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on a PostgreSQL log (cheap to clone).
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    tls: tls::Tls,
    /// Where the server is, for errors (no password).
    address: String,
    reads: deadpool_postgres::Pool,
    requests: mpsc::UnboundedSender<writer::Job>,
    /// The last position this handle's writer committed (wakes local subscriptions).
    committed: watch::Receiver<Option<u64>>,
    /// Bumped by `NOTIFY dondoc_events` from any process.
    notified: watch::Receiver<u64>,
    counters: Arc<writer::WriterCounters>,
}

impl PgStore {
    /// Connects to the database of `url` (a `postgres://` or `postgresql://` URL, or a
    /// libpq key=value string), creates the tables when missing and starts the writer.
    /// An unreachable server is an error naming the address within [`CONNECT_TIMEOUT`].
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let (url, ca, mode_given) = tls::split(url);
        let mut config: Config =
            url.parse().map_err(|e| StoreError::Invalid(format!("chuỗi kết nối PostgreSQL không hợp lệ: {e}")))?;
        tls::default_mode(&mut config, mode_given);
        let tls = tls::connector(ca.as_deref())?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A server that vanished without closing the connection (a dead machine, a cut
        // network) is noticed in about 20 s instead of the system's two hours.
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config
                .keepalives(true)
                .keepalives_idle(Duration::from_secs(10))
                .keepalives_interval(Duration::from_secs(3));
            config.keepalives_retries(3);
        }
        let address = describe(&config);
        let client = schema::connect(&config, &tls, &address).await?;
        schema::create(&client, &address).await?;
        drop(client);
        let manager = deadpool_postgres::Manager::from_config(
            config.clone(),
            tls.clone(),
            deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast },
        );
        let reads = deadpool_postgres::Pool::builder(manager)
            .max_size(8)
            .build()
            .map_err(|e| StoreError::Backend(format!("không tạo được nhóm kết nối đọc tới {address}: {e}")))?;
        let (requests, receiver) = mpsc::unbounded_channel();
        let (committed_tx, committed) = watch::channel(None);
        let writer = writer::Writer::new(config.clone(), tls.clone(), address.clone(), committed_tx);
        let counters = writer.counters.clone();
        tokio::spawn(writer.run(receiver));
        let (notified_tx, notified) = watch::channel(0);
        tokio::spawn(subscribe::listen(config.clone(), tls.clone(), notified_tx));
        Ok(PgStore { inner: Arc::new(Inner { config, tls, address, reads, requests, committed, notified, counters }) })
    }

    /// This handle's writer so far: (transactions committed, appends they carried).
    pub fn writer_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.inner.counters.commits.load(Relaxed), self.inner.counters.requests.load(Relaxed))
    }

    /// Where this store connects (hosts, ports and database; never the password).
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// The TLS connector this store's connections use.
    pub fn tls(&self) -> &tls::Tls {
        &self.inner.tls
    }

    /// The connection settings (for tools that need a connection of their own).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) async fn reader(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.inner
            .reads
            .get()
            .await
            .map_err(|e| StoreError::Backend(format!("không kết nối được PostgreSQL {}: {e}", self.inner.address)))
    }

    fn send(&self, job: writer::Job) -> Result<(), StoreError> {
        self.inner.requests.send(job).map_err(|_| StoreError::Closed)
    }
}

/// "host1:5432, host2:5433 / dondoc" for errors.
fn describe(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    format!("{} (cơ sở dữ liệu {})", hosts.join(", "), config.get_dbname().unwrap_or("mặc định"))
}

/// A PostgreSQL error as a store error, with the server's own message when it sent one.
pub(crate) fn pg_error(address: &str, e: &tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!("PostgreSQL {address}: {} ({})", db.message(), db.code().code())),
        None => StoreError::Backend(format!("PostgreSQL {address}: {e}")),
    }
}

impl EventStore for PgStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<EventData>,
    ) -> Result<AppendResult, StoreError> {
        crate::prepare::submit_append(|job| self.send(job), stream, expected, events).await
    }

    async fn append_group(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendResult>, StoreError> {
        crate::prepare::submit_group(|job| self.send(job), appends).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.reader().await?;
        read::read_stream(&client, &self.inner.address, stream, direction, start, max).await
    }

    async fn read_all(&self, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.reader().await?;
        read::read_all(&client, &self.inner.address, after, max, None).await
    }

    async fn read_all_keeping(
        &self,
        after: Option<u64>,
        max: usize,
        metadata: &'static [&'static str],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.reader().await?;
        read::read_all(&client, &self.inner.address, after, max, Some(metadata)).await
    }

    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        subscribe::subscribe(self.clone(), self.inner.committed.clone(), self.inner.notified.clone(), after)
    }

    async fn last_position(&self) -> Result<Option<u64>, StoreError> {
        let client = self.reader().await?;
        read::last_position(&client, &self.inner.address).await
    }
}

//! The writer task of a store handle: appends from concurrent callers committed together
//! (each in its own savepoint), under the log head's row lock (see the module
//! documentation of [`crate::postgres`]).

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, Statement};
use uuid::Uuid;

use super::{pg_error, schema};
use crate::prepare::{PreparedAppend, PreparedEvent};
use crate::rules::{self, StoredEvent, Written, conflict, expectation_holds};
use crate::{AppendResult, StoreError, chain};

/// Most requests committed together.
const MAX_BATCH_REQUESTS: usize = 512;

/// An append on its way to the writer.
pub(crate) struct AppendRequest {
    pub request: PreparedAppend,
    pub reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

/// Appends to several streams that commit together or not at all.
pub(crate) struct GroupRequest {
    pub requests: Vec<PreparedAppend>,
    pub reply: oneshot::Sender<Result<Vec<AppendResult>, StoreError>>,
}

/// What the writer receives.
pub(crate) enum Job {
    Append(AppendRequest),
    Group(GroupRequest),
}

/// Why one request of a batch was not written.
enum Refusal {
    Conflict(StoreError),
    DuplicateId,
    /// The server failed: the whole transaction fails.
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Refusal {
    fn from(e: tokio_postgres::Error) -> Self {
        Refusal::Db(e)
    }
}

/// A connection with its prepared statements.
struct Connection {
    client: Client,
    insert: Statement,
    head: Statement,
    by_id: Statement,
}

pub(crate) struct Writer {
    config: Config,
    address: String,
    conn: Option<Connection>,
    committed: watch::Sender<Option<u64>>,
}

impl Writer {
    pub fn new(config: Config, address: String, committed: watch::Sender<Option<u64>>) -> Writer {
        Writer { config, address, conn: None, committed }
    }

    /// Serves requests until every store handle is gone.
    pub async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Job>) {
        let mut next = None;
        loop {
            let job = match next.take() {
                Some(job) => job,
                None => match receiver.recv().await {
                    Some(job) => job,
                    None => return,
                },
            };
            match job {
                Job::Append(first) => {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH_REQUESTS {
                        match receiver.try_recv() {
                            Ok(Job::Append(more)) => batch.push(more),
                            Ok(group) => {
                                next = Some(group);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.process(batch).await;
                }
                Job::Group(group) => self.process_group(group).await,
            }
        }
    }

    /// The connection, opened (again) when needed: after a failover the multi-host string
    /// finds the new primary.
    async fn connection(&mut self) -> Result<&Connection, StoreError> {
        if self.conn.as_ref().is_some_and(|c| c.client.is_closed()) {
            self.conn = None;
        }
        if self.conn.is_none() {
            let client = schema::connect(&self.config, &self.address).await?;
            let err = |e: tokio_postgres::Error| pg_error(&self.address, &e);
            let insert = client
                .prepare(
                    "INSERT INTO dondoc_events (position, id, stream, revision, event_type, data, metadata, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .await
                .map_err(err)?;
            let head = client
                .prepare(
                    "SELECT revision, metadata FROM dondoc_events WHERE stream = $1 ORDER BY revision DESC LIMIT 1",
                )
                .await
                .map_err(err)?;
            let by_id = client
                .prepare(
                    "SELECT stream, revision, position, event_type, metadata, data FROM dondoc_events WHERE id = $1",
                )
                .await
                .map_err(err)?;
            self.conn = Some(Connection { client, insert, head, by_id });
        }
        Ok(self.conn.as_ref().expect("connected"))
    }

    /// A failed transaction: rolled back, and the connection dropped if it broke.
    async fn failed(&mut self, e: &tokio_postgres::Error) -> StoreError {
        if let Some(conn) = &self.conn
            && (conn.client.is_closed() || conn.client.batch_execute("ROLLBACK").await.is_err())
        {
            self.conn = None;
        }
        pg_error(&self.address, e)
    }

    async fn process(&mut self, batch: Vec<AppendRequest>) {
        let outcome = match self.connection().await {
            Ok(_) => {
                let conn = self.conn.as_ref().expect("connected");
                run_batch(conn, &batch).await
            }
            Err(e) => {
                for request in batch {
                    let _ = request.reply.send(Err(StoreError::Backend(e.to_string())));
                }
                return;
            }
        };
        let results = match outcome {
            Ok((results, last)) => {
                if let Some(position) = last {
                    self.committed.send_replace(Some(position));
                }
                results
            }
            Err(e) => {
                let error = self.failed(&e).await;
                batch.iter().map(|_| Err(StoreError::Backend(error.to_string()))).collect()
            }
        };
        for (request, result) in batch.into_iter().zip(results) {
            let _ = request.reply.send(result);
        }
    }

    async fn process_group(&mut self, group: GroupRequest) {
        let reply = match self.connection().await {
            Err(e) => Err(e),
            Ok(_) => {
                let conn = self.conn.as_ref().expect("connected");
                match run_group(conn, &group.requests).await {
                    Ok(Ok(results)) => {
                        if let Some(last) = results.last() {
                            self.committed.send_replace(Some(last.position));
                        }
                        Ok(results)
                    }
                    Ok(Err(refused)) => {
                        if conn.client.batch_execute("ROLLBACK").await.is_err() {
                            self.conn = None;
                        }
                        Err(refused)
                    }
                    Err(e) => Err(self.failed(&e).await),
                }
            }
        };
        let _ = group.reply.send(reply);
    }
}

/// The head of the log under its row lock: (last position, last commit time).
async fn lock_head(conn: &Connection) -> Result<(u64, Option<DateTime<Utc>>), tokio_postgres::Error> {
    let row = conn
        .client
        .query_one("SELECT position, recorded_at FROM dondoc_log_head WHERE one = 1 FOR UPDATE", &[])
        .await?;
    Ok((row.get::<_, i64>(0) as u64, row.get(1)))
}

/// The commit time: the wall clock, but never before the previous commit's (another
/// process's clock may be ahead).
fn stamp(last: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    last.map_or(now, |last| last.max(now))
}

async fn move_head(conn: &Connection, position: u64, at: DateTime<Utc>) -> Result<(), tokio_postgres::Error> {
    conn.client
        .execute("UPDATE dondoc_log_head SET position = $1, recorded_at = $2 WHERE one = 1", &[&(position as i64), &at])
        .await?;
    // Delivered at commit, to every listener (other processes too).
    conn.client.batch_execute("NOTIFY dondoc_events").await
}

/// One transaction for the batch; each request in its own savepoint. Returns each
/// request's result and the last position written.
async fn run_batch(
    conn: &Connection,
    batch: &[AppendRequest],
) -> Result<(Vec<Result<AppendResult, StoreError>>, Option<u64>), tokio_postgres::Error> {
    conn.client.batch_execute("BEGIN").await?;
    let (mut head, last_at) = lock_head(conn).await?;
    let at = stamp(last_at);
    let start = head;
    let mut results = Vec::with_capacity(batch.len());
    for AppendRequest { request, .. } in batch {
        conn.client.batch_execute("SAVEPOINT request").await?;
        let result = match apply(conn, request, head, at).await {
            Ok(result) => {
                head = result.position;
                conn.client.batch_execute("RELEASE SAVEPOINT request").await?;
                Ok(result)
            }
            Err(Refusal::Db(e)) => return Err(e),
            Err(refusal) => {
                conn.client.batch_execute("ROLLBACK TO SAVEPOINT request").await?;
                retry_or_refuse(conn, request, refusal).await?
            }
        };
        results.push(result);
    }
    if head > start {
        move_head(conn, head, at).await?;
    }
    conn.client.batch_execute("COMMIT").await?;
    Ok((results, (head > start).then_some(head)))
}

/// Every request of a group, or none (the first refusal is returned; the caller rolls back).
async fn run_group(
    conn: &Connection,
    requests: &[PreparedAppend],
) -> Result<Result<Vec<AppendResult>, StoreError>, tokio_postgres::Error> {
    conn.client.batch_execute("BEGIN").await?;
    let (mut head, last_at) = lock_head(conn).await?;
    let at = stamp(last_at);
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        match apply(conn, request, head, at).await {
            Ok(result) => {
                head = result.position;
                results.push(result);
            }
            Err(Refusal::Db(e)) => return Err(e),
            Err(Refusal::Conflict(error)) => return Ok(Err(error)),
            Err(Refusal::DuplicateId) => {
                return Ok(Err(StoreError::Invalid(format!(
                    "mã sự kiện đã tồn tại (luồng {}); nhóm không được ghi",
                    request.stream
                ))));
            }
        }
    }
    move_head(conn, head, at).await?;
    conn.client.batch_execute("COMMIT").await?;
    Ok(Ok(results))
}

/// Checks the expected revision and inserts the events after position `head`.
async fn apply(
    conn: &Connection,
    request: &PreparedAppend,
    head: u64,
    at: DateTime<Utc>,
) -> Result<AppendResult, Refusal> {
    let last = conn.client.query_opt(&conn.head, &[&request.stream]).await?;
    let last = last.map(|row| {
        let revision = row.get::<_, i64>(0) as u64;
        // A metadata text that is not JSON (tampered) must not fail the batch: no chain.
        let chain = serde_json::from_str::<serde_json::Value>(row.get::<_, &str>(1))
            .ok()
            .and_then(|m| m.get(chain::CHAIN_KEY).and_then(|c| c.as_str()).map(str::to_owned));
        (revision, chain)
    });
    if !expectation_holds(request.expected, last.as_ref().map(|l| l.0)) {
        return Err(Refusal::Conflict(conflict(request, last.map(|l| l.0))));
    }
    let (mut revision, mut prev) = match last {
        Some((r, chain)) => (r + 1, chain),
        None => (0, None),
    };
    let mut position = head;
    for event in &request.events {
        position += 1;
        let chain = event.canonical(&request.stream_json).chain(prev.as_deref(), revision);
        insert(conn, request, event, position, revision, &chain, at).await?;
        prev = Some(chain);
        revision += 1;
    }
    Ok(AppendResult { revision: revision - 1, position })
}

async fn insert(
    conn: &Connection,
    request: &PreparedAppend,
    event: &PreparedEvent,
    position: u64,
    revision: u64,
    chain: &str,
    at: DateTime<Utc>,
) -> Result<(), Refusal> {
    let id = Uuid::parse_str(&event.id).map_err(|e| Refusal::Conflict(StoreError::Invalid(e.to_string())))?;
    let metadata = event.stored_metadata(chain);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] =
        [&(position as i64), &id, &request.stream, &(revision as i64), &event.event_type, &event.data, &metadata, &at];
    match conn.client.execute(&conn.insert, &params).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(Refusal::DuplicateId),
        Err(e) => Err(Refusal::Db(e)),
    }
}

/// After a refusal (rolled back to the savepoint): the original result if the request is
/// a retry of an append already written, else the refusal.
async fn retry_or_refuse(
    conn: &Connection,
    request: &PreparedAppend,
    refusal: Refusal,
) -> Result<Result<AppendResult, StoreError>, tokio_postgres::Error> {
    let conflict = match refusal {
        Refusal::Conflict(error) => Some(error),
        Refusal::DuplicateId => None,
        Refusal::Db(e) => return Err(e),
    };
    let mut found = Vec::with_capacity(request.events.len());
    for event in &request.events {
        let Ok(id) = Uuid::parse_str(&event.id) else { break };
        let stored = conn.client.query_opt(&conn.by_id, &[&id]).await?.map(|row| StoredEvent {
            stream: row.get(0),
            revision: row.get::<_, i64>(1) as u64,
            position: row.get::<_, i64>(2) as u64,
            event_type: row.get(3),
            metadata: row.get(4),
            data: row.get(5),
        });
        let missing = stored.is_none();
        found.push(stored);
        if missing {
            break;
        }
    }
    let written: Written = rules::written(request, found);
    Ok(rules::retry_or_refuse(request, written, conflict))
}

//! The writer task of a store handle: appends from concurrent callers committed together
//! (each in its own savepoint), under the log head's row lock (see the module
//! documentation of [`crate::postgres`]).

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Statement};
use uuid::Uuid;

use super::{pg_error, schema};
use std::collections::HashMap;

pub(crate) use crate::prepare::{AppendRequest, GroupRequest, Job, PreparedAppend};
use crate::rules::{self, StoredEvent, Written, conflict, expectation_holds};
use crate::{AppendResult, StoreError, answer, chain};

/// Most requests committed together.
const MAX_BATCH_REQUESTS: usize = 512;

/// A connection with its prepared statements.
struct Connection {
    client: Client,
    lock: Statement,
    heads: Statement,
    by_ids: Statement,
    insert: Statement,
    move_head: Statement,
    insert_guarded: Statement,
    move_head_guarded: Statement,
}

/// The writer's counters: commits and the requests they carried.
#[derive(Default, Debug)]
pub struct WriterCounters {
    pub commits: std::sync::atomic::AtomicU64,
    pub requests: std::sync::atomic::AtomicU64,
}

pub(crate) struct Writer {
    pub counters: std::sync::Arc<WriterCounters>,
    config: Config,
    tls: super::tls::Tls,
    address: String,
    conn: Option<Connection>,
    committed: watch::Sender<Option<u64>>,
    /// What this writer knows of the log after its last commit (see [`Cache`]).
    cache: Option<Cache>,
}

/// The log as this writer left it: the head's position and time, and the heads of the
/// streams it has read or written. Valid while the log head is still at `position`
/// (nobody else wrote: every writer moves the head). A batch whose streams are all known
/// here is written in one round trip that checks exactly that ([`INSERT_ROWS_IF_HEAD`]);
/// otherwise, or if another writer moved the head, the batch reads what it needs first.
struct Cache {
    position: u64,
    at: DateTime<Utc>,
    heads: HashMap<String, (u64, Option<String>)>,
}

impl Writer {
    pub fn new(config: Config, tls: super::tls::Tls, address: String, committed: watch::Sender<Option<u64>>) -> Writer {
        Writer { counters: Default::default(), config, tls, address, conn: None, committed, cache: None }
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
                    // Callers woken by the previous commit are about to send their next
                    // appends: yield to them until two passes bring nothing more, so that
                    // they share this commit.
                    let mut quiet = 0;
                    'gather: while batch.len() < MAX_BATCH_REQUESTS && quiet < 2 {
                        let before = batch.len();
                        while batch.len() < MAX_BATCH_REQUESTS {
                            match receiver.try_recv() {
                                Ok(Job::Append(more)) => batch.push(more),
                                Ok(group) => {
                                    next = Some(group);
                                    break 'gather;
                                }
                                Err(_) => break,
                            }
                        }
                        quiet = if batch.len() == before { quiet + 1 } else { 0 };
                        tokio::task::yield_now().await;
                    }
                    self.process(batch).await;
                }
                Job::Group(group) => self.process_group(group).await,
                Job::Import(import) => {
                    let refusal = StoreError::Invalid("nhập lịch sử đi qua PgStore::import_recorded".into());
                    let _ = import.reply.send(Err(refusal));
                }
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
            let client = schema::connect(&self.config, &self.tls, &self.address).await?;
            let err = |e: tokio_postgres::Error| pg_error(&self.address, &e);
            let lock = client
                .prepare("SELECT position, recorded_at FROM dondoc_log_head WHERE one = 1 FOR UPDATE")
                .await
                .map_err(err)?;
            let heads = client
                .prepare(
                    // One backward index probe per stream (its newest event), whatever its length.
                    "SELECT s.stream, e.revision, e.metadata FROM (SELECT DISTINCT unnest($1::text[]) AS stream) s
                     CROSS JOIN LATERAL (SELECT revision, metadata FROM dondoc_events
                                         WHERE stream = s.stream ORDER BY revision DESC LIMIT 1) e",
                )
                .await
                .map_err(err)?;
            let by_ids = client
                .prepare(
                    "SELECT id, stream, revision, position, event_type, metadata, data FROM dondoc_events
                     WHERE id = ANY($1)",
                )
                .await
                .map_err(err)?;
            let insert = client.prepare(INSERT_ROWS).await.map_err(err)?;
            let move_head = client
                .prepare("UPDATE dondoc_log_head SET position = $1, recorded_at = $2 WHERE one = 1")
                .await
                .map_err(err)?;
            let insert_guarded = client.prepare(INSERT_ROWS_IF_HEAD).await.map_err(err)?;
            let move_head_guarded = client
                .prepare("UPDATE dondoc_log_head SET position = $1, recorded_at = $2 WHERE one = 1 AND position = $3")
                .await
                .map_err(err)?;
            self.conn =
                Some(Connection { client, lock, heads, by_ids, insert, move_head, insert_guarded, move_head_guarded });
        }
        Ok(self.conn.as_ref().expect("connected"))
    }

    /// A failed transaction: rolled back, and the connection dropped if it broke.
    async fn failed(&mut self, e: &tokio_postgres::Error) -> StoreError {
        self.cache = None;
        if let Some(conn) = &self.conn
            && (conn.client.is_closed() || conn.client.batch_execute("ROLLBACK").await.is_err())
        {
            self.conn = None;
        }
        pg_error(&self.address, e)
    }

    async fn process(&mut self, batch: Vec<AppendRequest>) {
        if let Err(e) = self.connection().await {
            self.cache = None;
            let failed = batch.into_iter().map(|request| (request.reply, Err(StoreError::Backend(e.to_string()))));
            answer::answer_each(failed.collect());
            return;
        }
        let conn = self.conn.as_ref().expect("connected");
        let requests: Vec<&PreparedAppend> = batch.iter().map(|r| &r.request).collect();
        // One round trip when this writer knows every stream and nobody else wrote.
        let mut outcome = None;
        if let Some(plan) = self.cache.take().and_then(|cache| Plan::from_cache(cache, &requests)) {
            match plan.commit_if_head(conn).await {
                Ok(Some(plan)) => outcome = Some(Ok(plan)),
                // Another writer moved the head, or an id is stored already (a retry):
                // nothing was written; read first.
                Ok(None) => {}
                Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {}
                Err(e) => outcome = Some(Err(e)),
            }
        }
        let outcome = match outcome {
            Some(done) => done.map(|mut plan| (std::mem::take(&mut plan.results), plan)),
            None => run_batch(conn, &requests).await,
        };
        let results = match outcome {
            Ok((results, plan)) => {
                use std::sync::atomic::Ordering::Relaxed;
                self.counters.commits.fetch_add(1, Relaxed);
                self.counters.requests.fetch_add(batch.len() as u64, Relaxed);
                if plan.wrote() {
                    self.committed.send_replace(Some(plan.snapshot.position));
                }
                self.cache = Some(plan.into_cache(self.cache.take()));
                results
            }
            Err(e) => {
                let error = self.failed(&e).await;
                batch.iter().map(|_| Err(StoreError::Backend(error.to_string()))).collect()
            }
        };
        answer::answer_each(batch.into_iter().map(|request| request.reply).zip(results).collect());
    }

    async fn process_group(&mut self, group: GroupRequest) {
        self.cache = None;
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

/// What a transaction reads first, in one round trip (pipelined after `BEGIN`): the log
/// head under its row lock, the heads of the streams it writes to, and what is already
/// stored under its event ids.
struct Snapshot {
    position: u64,
    last_at: Option<DateTime<Utc>>,
    heads: HashMap<String, (u64, Option<String>)>,
    stored: HashMap<String, StoredEvent>,
}

async fn begin(conn: &Connection, requests: &[&PreparedAppend]) -> Result<Snapshot, tokio_postgres::Error> {
    let streams: Vec<&str> = requests.iter().map(|r| r.stream.as_str()).collect();
    let ids: Vec<Uuid> =
        requests.iter().flat_map(|r| r.events.iter().filter_map(|e| Uuid::parse_str(&e.id).ok())).collect();
    let (heads_params, ids_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 1]) = ([&streams], [&ids]);
    let (begun, head, heads, stored) = tokio::join!(
        conn.client.batch_execute("BEGIN"),
        conn.client.query_one(&conn.lock, &[]),
        conn.client.query(&conn.heads, &heads_params),
        conn.client.query(&conn.by_ids, &ids_params),
    );
    begun?;
    let head = head?;
    let heads = heads?
        .into_iter()
        .map(|row| {
            // A metadata text that is not JSON (tampered) must not fail the batch: no chain.
            let chain = serde_json::from_str::<serde_json::Value>(row.get::<_, &str>(2))
                .ok()
                .and_then(|m| m.get(chain::CHAIN_KEY).and_then(|c| c.as_str()).map(str::to_owned));
            (row.get::<_, String>(0), (row.get::<_, i64>(1) as u64, chain))
        })
        .collect();
    let stored = stored?
        .into_iter()
        .map(|row| {
            let id: Uuid = row.get(0);
            let event = StoredEvent {
                stream: row.get(1),
                revision: row.get::<_, i64>(2) as u64,
                position: row.get::<_, i64>(3) as u64,
                event_type: row.get(4),
                metadata: row.get(5),
                data: row.get(6),
            };
            (id.hyphenated().to_string(), event)
        })
        .collect();
    Ok(Snapshot { position: head.get::<_, i64>(0) as u64, last_at: head.get(1), heads, stored })
}

/// The rows a transaction inserts, column by column (one `INSERT … SELECT unnest(…)`).
#[derive(Default)]
pub(super) struct Rows {
    pub position: Vec<i64>,
    pub id: Vec<Uuid>,
    pub stream: Vec<String>,
    pub revision: Vec<i64>,
    pub event_type: Vec<String>,
    pub data: Vec<String>,
    pub metadata: Vec<String>,
    pub recorded_at: Vec<DateTime<Utc>>,
}

impl Rows {
    /// The parameters of `INSERT_ROWS`, in its order.
    pub fn params(&self) -> [&(dyn ToSql + Sync); 8] {
        [
            &self.position,
            &self.id,
            &self.stream,
            &self.revision,
            &self.event_type,
            &self.data,
            &self.metadata,
            &self.recorded_at,
        ]
    }
}

/// Inserts [`Rows`] in one statement.
pub(super) const INSERT_ROWS: &str =
    "INSERT INTO dondoc_events (position, id, stream, revision, event_type, data, metadata, recorded_at)
     SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                          $7::text[], $8::timestamptz[])";

/// [`INSERT_ROWS`] only if the log head is still at `$9` (read in the same transaction,
/// after its row lock): else nothing is inserted.
const INSERT_ROWS_IF_HEAD: &str =
    "INSERT INTO dondoc_events (position, id, stream, revision, event_type, data, metadata, recorded_at)
     SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                          $7::text[], $8::timestamptz[])
     WHERE (SELECT position FROM dondoc_log_head WHERE one = 1) = $9";

/// One transaction being planned in memory: what it has read, what it will write.
struct Plan {
    snapshot: Snapshot,
    /// The log head's position when the plan began.
    start: u64,
    at: DateTime<Utc>,
    rows: Rows,
    /// Each request's result, in order.
    results: Vec<Result<AppendResult, StoreError>>,
}

impl Plan {
    fn new(snapshot: Snapshot) -> Plan {
        // The commit time: the wall clock, but never before the previous commit's
        // (another process's clock may be ahead).
        let now = Utc::now();
        let at = snapshot.last_at.map_or(now, |last| last.max(now));
        Plan { start: snapshot.position, snapshot, at, rows: Rows::default(), results: Vec::new() }
    }

    /// A plan from what this writer knows, if it knows every stream of `requests` and
    /// each expectation holds there (a refusal is decided on what the server has).
    fn from_cache(cache: Cache, requests: &[&PreparedAppend]) -> Option<Plan> {
        let known = requests.iter().all(|r| {
            cache.heads.get(&r.stream).is_some_and(|(revision, _)| expectation_holds(r.expected, Some(*revision)))
        });
        if !known {
            return None;
        }
        let snapshot =
            Snapshot { position: cache.position, last_at: Some(cache.at), heads: cache.heads, stored: HashMap::new() };
        let mut plan = Plan::new(snapshot);
        for request in requests {
            let (Planned::Written(result) | Planned::Retried(result)) = plan.add(request) else { return None };
            plan.results.push(Ok(result));
        }
        Some(plan)
    }

    fn wrote(&self) -> bool {
        !self.rows.position.is_empty()
    }

    /// What the writer knows after this plan committed: `previous` too, if the log head
    /// had not moved since it.
    fn into_cache(self, previous: Option<Cache>) -> Cache {
        let mut heads = match previous {
            Some(cache) if cache.position == self.start => cache.heads,
            _ => HashMap::new(),
        };
        let at = if self.wrote() { self.at } else { self.snapshot.last_at.unwrap_or(self.at) };
        heads.extend(self.snapshot.heads);
        Cache { position: self.snapshot.position, at, heads }
    }

    /// Writes the planned rows if the log head is still where the plan began, moves it
    /// and commits, in one round trip: the plan, or `None` if another writer had moved
    /// the head (nothing written).
    async fn commit_if_head(self, conn: &Connection) -> Result<Option<Plan>, tokio_postgres::Error> {
        let r = &self.rows;
        let (position, start) = (self.snapshot.position as i64, self.start as i64);
        let p = r.params();
        let rows: [&(dyn ToSql + Sync); 9] = [p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], &start];
        let head: [&(dyn ToSql + Sync); 3] = [&position, &self.at, &start];
        let (begun, locked, inserted, moved, notified, committed) = tokio::join!(
            conn.client.batch_execute("BEGIN"),
            conn.client.query_one(&conn.lock, &[]),
            conn.client.execute(&conn.insert_guarded, &rows),
            conn.client.execute(&conn.move_head_guarded, &head),
            conn.client.batch_execute("NOTIFY dondoc_events"),
            conn.client.batch_execute("COMMIT"),
        );
        begun?;
        locked?;
        let inserted = inserted?;
        moved?;
        notified?;
        committed?;
        Ok((inserted as usize == r.position.len()).then_some(self))
    }

    /// Plans one request: its events after the stream's head, or the reason it is
    /// refused (a conflict or an id already stored), or the result of the append it
    /// retries.
    fn add(&mut self, request: &PreparedAppend) -> Planned {
        let found: Vec<Option<StoredEvent>> =
            request.events.iter().map(|e| self.snapshot.stored.get(&e.id).cloned()).collect();
        let any_stored = found.iter().any(Option::is_some);
        let last = self.snapshot.heads.get(&request.stream).cloned();
        let holds = expectation_holds(request.expected, last.as_ref().map(|l| l.0));
        if any_stored || !holds {
            let conflict = (!holds).then(|| conflict(request, last.as_ref().map(|l| l.0)));
            let written: Written = rules::written(request, found);
            return match rules::retry_or_refuse(request, written, conflict) {
                Ok(result) => Planned::Retried(result),
                Err(e) => Planned::Refused(e),
            };
        }
        let (mut revision, mut prev) = match last {
            Some((r, chain)) => (r + 1, chain),
            None => (0, None),
        };
        let mut position = self.snapshot.position;
        for event in &request.events {
            position += 1;
            let chain = event.canonical(&request.stream_json).chain(prev.as_deref(), revision);
            let metadata = event.stored_metadata(&chain);
            let id = Uuid::parse_str(&event.id).unwrap_or_default();
            self.snapshot.stored.insert(
                event.id.clone(),
                StoredEvent {
                    stream: request.stream.clone(),
                    revision,
                    position,
                    event_type: event.event_type.clone(),
                    metadata: metadata.clone(),
                    data: event.data.clone(),
                },
            );
            self.rows.position.push(position as i64);
            self.rows.id.push(id);
            self.rows.stream.push(request.stream.clone());
            self.rows.revision.push(revision as i64);
            self.rows.event_type.push(event.event_type.clone());
            self.rows.data.push(event.data.clone());
            self.rows.metadata.push(metadata);
            self.rows.recorded_at.push(self.at);
            prev = Some(chain);
            revision += 1;
        }
        self.snapshot.position = position;
        self.snapshot.heads.insert(request.stream.clone(), (revision - 1, prev));
        Planned::Written(AppendResult { revision: revision - 1, position })
    }

    /// Writes the planned rows, moves the log head and commits, in one round trip (the
    /// transaction is rolled back when nothing was planned).
    async fn commit(&self, conn: &Connection) -> Result<(), tokio_postgres::Error> {
        if !self.wrote() {
            conn.client.batch_execute("ROLLBACK").await?;
            return Ok(());
        }
        let r = &self.rows;
        let position = self.snapshot.position as i64;
        let rows = r.params();
        let head: [&(dyn ToSql + Sync); 2] = [&position, &self.at];
        let (inserted, moved, notified, committed) = tokio::join!(
            conn.client.execute(&conn.insert, &rows),
            conn.client.execute(&conn.move_head, &head),
            conn.client.batch_execute("NOTIFY dondoc_events"),
            conn.client.batch_execute("COMMIT"),
        );
        // A statement that failed aborted the transaction: its COMMIT was a rollback.
        inserted?;
        moved?;
        notified?;
        committed?;
        Ok(())
    }
}

/// What became of one request in a plan.
enum Planned {
    Written(AppendResult),
    Retried(AppendResult),
    Refused(StoreError),
}

/// One transaction for the batch, reading first: each request's result, and the plan
/// (what the writer knows after it).
async fn run_batch(
    conn: &Connection,
    requests: &[&PreparedAppend],
) -> Result<(Vec<Result<AppendResult, StoreError>>, Plan), tokio_postgres::Error> {
    let mut plan = Plan::new(begin(conn, requests).await?);
    let results = requests
        .iter()
        .map(|request| match plan.add(request) {
            Planned::Written(result) | Planned::Retried(result) => Ok(result),
            Planned::Refused(e) => Err(e),
        })
        .collect();
    plan.commit(conn).await?;
    Ok((results, plan))
}

/// Every request of a group, or none (the first refusal is returned; the caller rolls back).
async fn run_group(
    conn: &Connection,
    requests: &[PreparedAppend],
) -> Result<Result<Vec<AppendResult>, StoreError>, tokio_postgres::Error> {
    let refs: Vec<&PreparedAppend> = requests.iter().collect();
    let mut plan = Plan::new(begin(conn, &refs).await?);
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        match plan.add(request) {
            Planned::Written(result) => results.push(result),
            Planned::Retried(_) => {
                return Ok(Err(StoreError::Invalid(format!(
                    "mã sự kiện đã tồn tại (luồng {}); nhóm không được ghi",
                    request.stream
                ))));
            }
            Planned::Refused(e) => return Ok(Err(e)),
        }
    }
    plan.commit(conn).await?;
    Ok(Ok(results))
}

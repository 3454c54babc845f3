//! The single writer thread and group commit (see the module documentation of
//! [`crate::sqlite`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use tokio::sync::watch;

use super::heads::{Head, StreamHeads};
use super::read::to_sql_int;
use super::{Clock, WriterStats};
pub(crate) use crate::prepare::{AppendRequest, GroupRequest, ImportRequest, Job, PreparedAppend, PreparedEvent};
use crate::rules::{self, StoredEvent, Written, conflict, expectation_holds};
use crate::seal::{self, Digester, SealKey};
use crate::{AppendResult, StoreError, answer, chain};

/// Most requests committed together.
const MAX_BATCH_REQUESTS: usize = 1024;
/// A batch stops taking requests once its events weigh this many bytes.
const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// The writer's counters, shared with the store handles.
#[derive(Default)]
pub(crate) struct StatsCell {
    commits: AtomicU64,
    failed_commits: AtomicU64,
    requests: AtomicU64,
    events: AtomicU64,
    batch_sizes: Mutex<BTreeMap<u64, u64>>,
}

impl StatsCell {
    fn committed(&self, requests: usize, events: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests as u64, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
        *self.batch_sizes.lock().unwrap_or_else(|e| e.into_inner()).entry(events).or_default() += 1;
    }

    fn failed(&self, requests: usize) {
        self.failed_commits.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> WriterStats {
        WriterStats {
            commits: self.commits.load(Ordering::Relaxed),
            failed_commits: self.failed_commits.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            batch_sizes: self.batch_sizes.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }
}

/// Starts the writer thread on `conn`.
pub(crate) fn spawn(
    conn: Connection,
    notify: watch::Sender<Option<u64>>,
    stats: Arc<StatsCell>,
    clock: Clock,
    seal_key: Option<SealKey>,
) -> Result<(mpsc::Sender<Job>, JoinHandle<()>), StoreError> {
    let last_stamp = last_recorded_at(&conn)?;
    let (sender, receiver) = mpsc::channel::<Job>();
    let writer = Writer {
        conn,
        notify,
        stats,
        clock,
        last_stamp,
        seal_key,
        lines: RefCell::new(Vec::new()),
        heads: RefCell::new(StreamHeads::default()),
    };
    let thread = std::thread::Builder::new()
        .name("dondoc-store-writer".into())
        .spawn(move || writer.run(&receiver))
        .map_err(|e| StoreError::Backend(format!("không tạo được luồng ghi: {e}")))?;
    Ok((sender, thread))
}

fn last_recorded_at(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1", [], |row| row.get(0))
        .optional()
        .map_err(super::backend)?;
    Ok(text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc)))
}

struct Writer {
    conn: Connection,
    notify: watch::Sender<Option<u64>>,
    stats: Arc<StatsCell>,
    clock: Clock,
    /// The last commit time given, so that `recorded_at` never goes back in the log.
    last_stamp: Option<DateTime<Utc>>,
    /// Seals every commit when set ([`crate::seal`]).
    seal_key: Option<SealKey>,
    /// The seal lines of the transaction in progress: (position, line).
    lines: RefCell<Vec<(u64, Vec<u8>)>>,
    /// The stream heads this writer committed ([`super::heads`]).
    heads: RefCell<StreamHeads>,
}

/// What a committed batch did.
#[derive(Default)]
struct Outcome {
    results: Vec<Result<AppendResult, StoreError>>,
    events: u64,
    last_position: Option<u64>,
}

/// Why a request was not written.
enum Refusal {
    /// Its expected revision does not hold (the error to give if it is not a retry).
    Conflict(StoreError),
    /// One of its ids exists already.
    DuplicateId,
    /// SQLite failed: the whole batch fails.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Sql(e)
    }
}

impl Writer {
    /// Serves requests until every store handle is gone. Single appends are committed in
    /// batches; a group runs in a transaction of its own, after the batch before it.
    fn run(mut self, receiver: &mpsc::Receiver<Job>) {
        let mut next = None;
        loop {
            let job = match next.take() {
                Some(job) => job,
                None => match receiver.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            };
            match job {
                Job::Append(first) => {
                    let (batch, waiting) = drain(first, receiver);
                    next = waiting;
                    self.process(batch);
                }
                Job::Group(group) => self.process_group(group),
                Job::Import(import) => self.process_import(import),
            }
        }
    }

    /// Commits every request of a group, or none: the first refusal rolls all back.
    fn process_group(&mut self, group: GroupRequest) {
        let stamp = self.stamp();
        let events: u64 = group.requests.iter().map(|r| r.events.len() as u64).sum();
        let result = self.run_group(&group.requests, &stamp);
        let reply = match result {
            Ok(Ok(results)) => {
                self.stats.committed(1, events);
                if let Some(last) = results.last() {
                    self.notify.send_replace(Some(last.position));
                }
                Ok(results)
            }
            Ok(Err(refused)) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(refused)
            }
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.stats.failed(1);
                Err(StoreError::Backend(e.to_string()))
            }
        };
        let _ = group.reply.send(reply);
    }

    fn run_group(
        &self,
        requests: &[PreparedAppend],
        stamp: &str,
    ) -> rusqlite::Result<Result<Vec<AppendResult>, StoreError>> {
        let end = self.begin()?;
        self.lines.borrow_mut().clear();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            match self.apply(request, stamp) {
                Ok((result, _)) => results.push(result),
                Err(Refusal::Sql(e)) => return Err(e),
                Err(Refusal::Conflict(error)) => return Ok(Err(error)),
                Err(Refusal::DuplicateId) => {
                    return Ok(Err(StoreError::Invalid(format!(
                        "mã sự kiện đã tồn tại (luồng {}); nhóm không được ghi",
                        request.stream
                    ))));
                }
            }
        }
        self.seal(stamp)?;
        self.exec("COMMIT")?;
        self.heads.borrow_mut().committed(results.last().map_or(end, |r| r.position));
        Ok(Ok(results))
    }

    /// Appends a recorded history as it is, after the `after` events the log holds.
    fn process_import(&mut self, import: ImportRequest) {
        // Its events come with their chains and are not staged: read the heads afterwards.
        self.forget_heads();
        let stamp = self.stamp();
        let reply = match self.run_import(import.after, &import.events, &stamp) {
            Ok(Ok(head)) => {
                self.stats.committed(1, import.events.len() as u64);
                if !import.events.is_empty() {
                    self.notify.send_replace(Some(head));
                }
                Ok(head)
            }
            Ok(Err(refused)) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(refused)
            }
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                Err(StoreError::Backend(e.to_string()))
            }
        };
        let _ = import.reply.send(reply);
    }

    fn run_import(
        &self,
        after: u64,
        events: &[crate::RecordedEvent],
        stamp: &str,
    ) -> rusqlite::Result<Result<u64, StoreError>> {
        self.exec("BEGIN IMMEDIATE")?;
        self.lines.borrow_mut().clear();
        let head: i64 = self.conn.query_row("SELECT coalesce(max(position), 0) FROM events", [], |r| r.get(0))?;
        if head as u64 != after {
            return Ok(Err(StoreError::Invalid(format!(
                "kho đích đã có {head} sự kiện, không phải {after}: có nơi khác đang ghi vào kho đích"
            ))));
        }
        let sql = "INSERT INTO events (position, id, stream, revision, event_type, metadata, recorded_at, data)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
        let mut stmt = self.conn.prepare_cached(sql)?;
        for (i, e) in events.iter().enumerate() {
            let position = after + 1 + i as u64;
            let recorded_at = e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true);
            let params = params![
                to_sql_int(position),
                e.id.hyphenated().to_string(),
                e.stream,
                to_sql_int(e.revision),
                e.event_type,
                chain::canonical_json(&e.metadata),
                recorded_at,
                chain::canonical_json(&e.data),
            ];
            match stmt.execute(params) {
                Ok(_) => {}
                Err(err) if err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    return Ok(Err(StoreError::Invalid(format!(
                        "kho đích đã có sự kiện {} hoặc phiên bản {} của luồng {}",
                        e.id, e.revision, e.stream
                    ))));
                }
                Err(err) => return Err(err),
            }
            if self.seal_key.is_some() {
                let value = chain::chain_of(e).unwrap_or_default();
                self.lines
                    .borrow_mut()
                    .push((position, seal::line(position, &recorded_at, &e.stream, e.revision, value)));
            }
        }
        self.seal(stamp)?;
        self.exec("COMMIT")?;
        Ok(Ok(after + events.len() as u64))
    }

    fn process(&mut self, batch: Vec<AppendRequest>) {
        let stamp = self.stamp();
        let outcome = self.run_batch(&batch, &stamp);
        let results = match outcome {
            Ok(outcome) => {
                self.stats.committed(batch.len(), outcome.events);
                if let Some(position) = outcome.last_position {
                    self.notify.send_replace(Some(position));
                }
                outcome.results
            }
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.forget_heads();
                self.stats.failed(batch.len());
                let message = e.to_string();
                batch.iter().map(|_| Err(StoreError::Backend(message.clone()))).collect()
            }
        };
        answer::answer_batch(batch.into_iter().map(|request| request.reply).zip(results).collect());
    }

    /// The commit time of the next batch: the clock, but never before the previous one.
    fn stamp(&mut self) -> String {
        let now = (self.clock)();
        let stamp = self.last_stamp.map_or(now, |last| last.max(now));
        self.last_stamp = Some(stamp);
        stamp.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// One transaction; each request in its own savepoint.
    fn run_batch(&self, batch: &[AppendRequest], stamp: &str) -> rusqlite::Result<Outcome> {
        let end = self.begin()?;
        self.lines.borrow_mut().clear();
        let mut outcome = Outcome::default();
        for AppendRequest { request, .. } in batch {
            let mark = self.lines.borrow().len();
            // A single event needs no savepoint: it is checked before it is inserted, and
            // a refused INSERT undoes itself.
            let savepoint = request.events.len() > 1;
            if savepoint {
                self.exec("SAVEPOINT request")?;
            }
            let result = match self.apply(request, stamp) {
                Ok((result, written)) => {
                    outcome.events += written;
                    outcome.last_position = Some(result.position);
                    Ok(result)
                }
                Err(Refusal::Sql(e)) => return Err(e),
                Err(refusal) => {
                    if savepoint {
                        self.exec("ROLLBACK TO request")?;
                    }
                    self.lines.borrow_mut().truncate(mark);
                    self.retry_or_refuse(request, refusal)?
                }
            };
            if savepoint {
                self.exec("RELEASE request")?;
            }
            outcome.results.push(result);
        }
        self.seal(stamp)?;
        self.exec("COMMIT")?;
        self.heads.borrow_mut().committed(outcome.last_position.unwrap_or(end));
        Ok(outcome)
    }

    /// Inside the transaction: seals the events it wrote, after the newest seal.
    fn seal(&self, stamp: &str) -> rusqlite::Result<()> {
        let Some(key) = &self.seal_key else { return Ok(()) };
        let lines = std::mem::take(&mut *self.lines.borrow_mut());
        if lines.is_empty() {
            return Ok(());
        }
        let mut digester = Digester::default();
        for (position, line) in &lines {
            digester.feed(*position, line);
        }
        insert_seal(&self.conn, key, digester, stamp)
    }

    /// `BEGIN IMMEDIATE`; the remembered heads hold if the log still ends where this
    /// writer left it (read under the write lock, so nobody appends meanwhile).
    fn begin(&self) -> rusqlite::Result<u64> {
        self.exec("BEGIN IMMEDIATE")?;
        let end = self.log_end()?;
        self.heads.borrow_mut().begin(end);
        Ok(end)
    }

    /// The log's last position (0: empty): one seek to the table's last row.
    fn log_end(&self) -> rusqlite::Result<u64> {
        let sql = "SELECT coalesce(max(position), 0) FROM events";
        Ok(self.conn.prepare_cached(sql)?.query_row([], |row| row.get::<_, i64>(0))? as u64)
    }

    /// After a rollback, or a write the remembered heads do not follow.
    fn forget_heads(&self) {
        self.heads.borrow_mut().forget();
    }

    fn exec(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    /// Checks the expected revision and inserts the events; returns the result and the
    /// number of events written.
    fn apply(&self, request: &PreparedAppend, stamp: &str) -> Result<(AppendResult, u64), Refusal> {
        let head = self.head(&request.stream)?;
        if !expectation_holds(request.expected, head.as_ref().map(|h| h.0)) {
            return Err(Refusal::Conflict(conflict(request, head.map(|h| h.0))));
        }
        let (mut revision, mut prev) = match head {
            Some((last, chain)) => (last + 1, chain),
            None => (0, None),
        };
        let mut position = 0;
        for event in &request.events {
            let chain = event.canonical(&request.stream_json).chain(prev.as_deref(), revision);
            position = self.insert(request, event, revision, &chain, stamp)?;
            if self.seal_key.is_some() {
                self.lines
                    .borrow_mut()
                    .push((position, seal::line(position, stamp, &request.stream, revision, &chain)));
            }
            prev = Some(chain);
            revision += 1;
        }
        let written = request.events.len() as u64;
        self.heads.borrow_mut().stage(&request.stream, (revision - 1, prev));
        Ok((AppendResult { revision: revision - 1, position }, written))
    }

    /// The stream's last revision and its chain value.
    fn head(&self, stream: &str) -> rusqlite::Result<Option<Head>> {
        if let Some(head) = self.heads.borrow().get(stream) {
            return Ok(Some(head.clone()));
        }
        // A metadata text that is not JSON (tampered) must not fail the batch: no chain.
        let sql = "SELECT revision, CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.chain') END
                   FROM events WHERE stream = ?1 ORDER BY revision DESC LIMIT 1";
        let mut stmt = self.conn.prepare_cached(sql)?;
        stmt.query_row([stream], |row| {
            Ok((row.get::<_, i64>(0)? as u64, row.get::<_, Option<String>>(1).ok().flatten()))
        })
        .optional()
    }

    fn insert(
        &self,
        request: &PreparedAppend,
        event: &PreparedEvent,
        revision: u64,
        chain: &str,
        stamp: &str,
    ) -> Result<u64, Refusal> {
        let sql = "INSERT INTO events (id, stream, revision, event_type, metadata, recorded_at, data)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let metadata = event.stored_metadata(chain);
        let params =
            params![event.id, request.stream, to_sql_int(revision), event.event_type, metadata, stamp, event.data];
        match stmt.execute(params) {
            Ok(_) => Ok(self.conn.last_insert_rowid() as u64),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => Err(Refusal::DuplicateId),
            Err(e) => Err(Refusal::Sql(e)),
        }
    }

    /// After a refusal (rolled back to the savepoint): the original result if the request
    /// is a retry of an append already written, else the refusal as an error.
    fn retry_or_refuse(
        &self,
        request: &PreparedAppend,
        refusal: Refusal,
    ) -> rusqlite::Result<Result<AppendResult, StoreError>> {
        let conflict = match refusal {
            Refusal::Conflict(error) => Some(error),
            Refusal::DuplicateId => None,
            Refusal::Sql(e) => return Err(e),
        };
        Ok(rules::retry_or_refuse(request, self.find_written(request)?, conflict))
    }

    /// Where the request's event ids are already stored.
    fn find_written(&self, request: &PreparedAppend) -> rusqlite::Result<Written> {
        let sql = "SELECT stream, revision, position, event_type, metadata, data FROM events WHERE id = ?1";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut found = Vec::with_capacity(request.events.len());
        for event in &request.events {
            let stored = stmt.query_row([&event.id], StoredEvent::from_row).optional()?;
            let missing = stored.is_none();
            found.push(stored);
            if missing {
                break;
            }
        }
        Ok(rules::written(request, found))
    }
}

impl StoredEvent {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(StoredEvent {
            stream: row.get(0)?,
            revision: row.get::<_, i64>(1)? as u64,
            position: row.get::<_, i64>(2)? as u64,
            event_type: row.get(3)?,
            metadata: row.get(4)?,
            data: row.get(5)?,
        })
    }
}

/// Takes `first` and every single append already waiting, up to the caps; a group met on
/// the way ends the batch and is returned to run next.
fn drain(first: AppendRequest, receiver: &mpsc::Receiver<Job>) -> (Vec<AppendRequest>, Option<Job>) {
    let mut weight = first.request.weight();
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH_REQUESTS && weight < MAX_BATCH_BYTES {
        match receiver.try_recv() {
            Ok(Job::Append(next)) => {
                weight += next.request.weight();
                batch.push(next);
            }
            Ok(other) => return (batch, Some(other)),
            Err(_) => break,
        }
    }
    (batch, None)
}

/// Inserts the seal of `digester`'s events after the newest seal (inside the caller's
/// transaction).
pub(crate) fn insert_seal(conn: &Connection, key: &SealKey, digester: Digester, stamp: &str) -> rusqlite::Result<()> {
    let prev: String = conn
        .query_row("SELECT mac FROM seals ORDER BY id DESC LIMIT 1", [], |row| row.get(0))
        .optional()?
        .unwrap_or_default();
    let (first, last, events, digest) = digester.finish();
    let mac = seal::mac(key, &prev, first, last, events, &digest, stamp);
    conn.prepare_cached(
        "INSERT INTO seals (first_position, last_position, events, sealed_at, key_id, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![to_sql_int(first), to_sql_int(last), to_sql_int(events), stamp, key.id(), mac])?;
    Ok(())
}

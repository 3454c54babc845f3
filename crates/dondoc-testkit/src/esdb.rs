//! A local server speaking EventStoreDB/KurrentDB's gRPC protocol on loopback.
//!
//! Built from the official `.proto` files (vendored in `proto/`, compiled by protox), it
//! serves what dondoc's backend calls through the official client, with the server's
//! documented semantics rather than our assumptions:
//!
//! - `ServerFeatures.GetSupportedMethods` (the client calls it on every new connection);
//! - `Streams.Append`: expected revisions `any`, `no_stream`, `stream_exists` and an exact
//!   revision, answered with `WrongExpectedVersion` (current and expected revision) when
//!   they do not hold; idempotence by event ids (EventStoreDB docs, "Appending events ›
//!   Idempotence": the same events appended again with the same expected revision are
//!   written once and the write succeeds); the required event metadata `type` and
//!   `content-type`; the append size limit (`MaxAppendSize`, 1,048,576 bytes by default:
//!   `InvalidArgument` "Maximum Append Size of … Exceeded.");
//! - `Streams.Read`: a stream forwards or backwards from a revision, the start or the end
//!   (`StreamNotFound` for a stream that does not exist); `$all` forwards from a position
//!   (inclusive) or backwards from the end; a catch-up subscription to `$all` (a
//!   confirmation first, then the events *after* the start position — a subscription's
//!   start is exclusive, a read's is inclusive — then `CaughtUp`, then live events);
//! - `$all` positions are log positions with gaps (each record's position is the previous
//!   one plus its size), and the log starts with system events (streams whose names begin
//!   with `$`), as on a real node;
//! - a follower node (see [`EsdbPeer::start_cluster`]) answers writes and leader-required
//!   reads with EventStoreDB's "not leader" error: status `NotFound` "Leader info
//!   available" with the metadata `exception: not-leader`, `leader-endpoint-host` and
//!   `leader-endpoint-port` (EventStoreDB's `RpcExceptions.LeaderInfo`);
//! - deadlines: the client's `grpc-timeout` header is honoured (the call is cancelled with
//!   "Timeout expired", as the gRPC server does), and [`EsdbPeer::delay_append_replies`]
//!   commits an append but answers it late, as a busy node does.
//!
//! Each node runs on its own runtime on its own thread, so [`EsdbPeer::stop`] closes every
//! connection at once (a crashed node) and [`EsdbPeer::restart`] serves the same log again
//! on the same port.

// tonic's `Status` is the protocol's error type: every handler returns it as it is.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::Stream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status, Streaming};

/// The generated protocol types (server side).
#[allow(clippy::all, missing_docs)]
pub mod proto {
    pub mod event_store {
        pub mod client {
            tonic::include_proto!("event_store.client");
            pub mod streams {
                tonic::include_proto!("event_store.client.streams");
            }
            pub mod server_features {
                tonic::include_proto!("event_store.client.server_features");
            }
        }
    }
    pub mod google {
        pub mod rpc {
            tonic::include_proto!("google.rpc");
        }
    }
}

use proto::event_store::client::server_features::server_features_server::{ServerFeatures, ServerFeaturesServer};
use proto::event_store::client::server_features::{SupportedMethod, SupportedMethods};
use proto::event_store::client::streams::streams_server::{Streams, StreamsServer};
use proto::event_store::client::streams::{
    AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, DeleteReq, DeleteResp, ReadReq, ReadResp, TombstoneReq,
    TombstoneResp, append_req, append_resp, read_req, read_resp,
};
use proto::event_store::client::{Empty, StreamIdentifier, Uuid as ProtoUuid, uuid as proto_id};

/// EventStoreDB's default `MaxAppendSize` (bytes of event data and metadata in one append).
pub const MAX_APPEND_SIZE: usize = 1_048_576;
/// The server version the peer reports.
const SERVER_VERSION: &str = "24.10.0";

/// One stored record.
#[derive(Clone)]
struct Record {
    id: String,
    stream: Vec<u8>,
    revision: u64,
    position: u64,
    event_type: String,
    content_type: String,
    created: String,
    custom_metadata: Vec<u8>,
    data: Vec<u8>,
}

/// The log every node of a peer serves.
struct Log {
    records: Vec<Record>,
    streams: HashMap<Vec<u8>, Vec<usize>>,
    next_position: u64,
}

impl Log {
    fn new() -> Self {
        let mut log = Log { records: Vec::new(), streams: HashMap::new(), next_position: 0 };
        // A fresh node's log begins with its own system events.
        for (stream, event_type) in
            [("$users", "$User"), ("$settings", "$settings"), ("$scavenges", "$scavengeIndexInitialized")]
        {
            log.push(
                stream.as_bytes(),
                ::uuid::Uuid::new_v4().hyphenated().to_string(),
                event_type,
                b"{}".to_vec(),
                Vec::new(),
            );
        }
        log
    }

    fn push(&mut self, stream: &[u8], id: String, event_type: &str, data: Vec<u8>, custom_metadata: Vec<u8>) -> usize {
        let revisions = self.streams.entry(stream.to_vec()).or_default();
        // `created`: 100-nanosecond ticks since the Unix epoch (the clients divide by 10^7).
        let ticks = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() / 100;
        let record = Record {
            id,
            stream: stream.to_vec(),
            revision: revisions.len() as u64,
            position: self.next_position,
            event_type: event_type.to_owned(),
            content_type: "application/json".into(),
            created: ticks.to_string(),
            custom_metadata,
            data,
        };
        // Positions are byte offsets in the transaction log: a header plus the record's size.
        self.next_position += 128 + (record.data.len() + record.custom_metadata.len() + stream.len()) as u64;
        revisions.push(self.records.len());
        self.records.push(record);
        self.records.len() - 1
    }

    fn current(&self, stream: &[u8]) -> Option<u64> {
        self.streams.get(stream).and_then(|r| r.len().checked_sub(1)).map(|n| n as u64)
    }
}

/// An event proposed in an append.
struct Proposed {
    id: String,
    event_type: String,
    content_type: String,
    custom_metadata: Vec<u8>,
    data: Vec<u8>,
}

/// Expected revision as the protocol sends it.
#[derive(Clone, Copy, Debug)]
enum Expected {
    Any,
    NoStream,
    StreamExists,
    Revision(u64),
}

struct Shared {
    log: Mutex<Log>,
    /// The number of records, announced after every commit (live subscriptions wait on it).
    committed: watch::Sender<usize>,
    /// Appends still to answer late, and how late.
    delayed_replies: Mutex<(u32, Duration)>,
    /// Calls still to fail with `Unavailable`.
    unavailable: Mutex<u32>,
    appends: AtomicU64,
    not_leader_answers: AtomicU64,
    subscriptions: AtomicU64,
}

impl Shared {
    /// Applies an append with EventStoreDB's rules: the revision of its last event and
    /// that event's position, or the stream's current revision when the expectation fails.
    fn commit(&self, stream: &[u8], expected: Expected, events: Vec<Proposed>) -> Result<(u64, u64), Option<u64>> {
        let mut log = self.log.lock().unwrap();
        let current = log.current(stream);
        // Idempotence: the same ids where this append would have put them.
        if let Some(first) = events.first() {
            let indexes = log.streams.get(stream).cloned().unwrap_or_default();
            if let Some(at) = indexes.iter().position(|&i| log.records[i].id == first.id) {
                let where_expected = match expected {
                    Expected::Any | Expected::StreamExists => true,
                    Expected::NoStream => at == 0,
                    Expected::Revision(n) => n.checked_add(1) == Some(at as u64),
                };
                let all_there = events
                    .iter()
                    .enumerate()
                    .all(|(k, e)| indexes.get(at + k).is_some_and(|&i| log.records[i].id == e.id));
                if where_expected && all_there {
                    let last = &log.records[indexes[at + events.len() - 1]];
                    return Ok((last.revision, last.position));
                }
                return Err(current);
            }
        }
        let holds = match expected {
            Expected::Any => true,
            Expected::NoStream => current.is_none(),
            Expected::StreamExists => current.is_some(),
            Expected::Revision(n) => current == Some(n),
        };
        if !holds {
            return Err(current);
        }
        let mut last = 0;
        for e in events {
            last = log.push(stream, e.id, &e.event_type, e.data, e.custom_metadata);
            let record = log.records.last_mut().expect("just pushed");
            record.content_type = e.content_type;
        }
        let count = log.records.len();
        let record = &log.records[last];
        let result = (record.revision, record.position);
        drop(log);
        self.committed.send_replace(count);
        Ok(result)
    }

    fn take_unavailable(&self) -> Result<(), Status> {
        let mut left = self.unavailable.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err(Status::unavailable("Server Is Not Ready"));
        }
        Ok(())
    }
}

/// Whether a node leads (serves writes) or follows (redirects to the leader).
#[derive(Clone)]
enum Role {
    Leader,
    Follower { leader: SocketAddr },
}

#[derive(Clone)]
struct Node {
    shared: Arc<Shared>,
    role: Role,
}

impl Node {
    /// EventStoreDB's `RpcExceptions.LeaderInfo`: what a follower answers to a request that
    /// needs the leader.
    fn needs_leader(&self, headers: &MetadataMap, always: bool) -> Result<(), Status> {
        let Role::Follower { leader } = &self.role else { return Ok(()) };
        let required = always || headers.get("requires-leader").and_then(|v| v.to_str().ok()) == Some("true");
        if !required {
            return Ok(());
        }
        self.shared.not_leader_answers.fetch_add(1, Ordering::Relaxed);
        let mut status = Status::not_found("Leader info available");
        let metadata = status.metadata_mut();
        metadata.insert("exception", MetadataValue::from_static("not-leader"));
        metadata.insert("leader-endpoint-host", leader.ip().to_string().parse().expect("ascii"));
        metadata.insert("leader-endpoint-port", leader.port().to_string().parse().expect("ascii"));
        Err(status)
    }
}

fn invalid(message: impl Into<String>) -> Status {
    Status::invalid_argument(message.into())
}

fn proto_uuid(id: &str) -> ProtoUuid {
    ProtoUuid { value: Some(proto_id::Value::String(id.to_owned())) }
}

fn read_uuid(id: Option<ProtoUuid>) -> Result<String, Status> {
    let parsed = match id.and_then(|u| u.value) {
        Some(proto_id::Value::String(s)) => ::uuid::Uuid::parse_str(&s).ok(),
        Some(proto_id::Value::Structured(s)) => {
            let bits = ((s.most_significant_bits as u64 as u128) << 64) | s.least_significant_bits as u64 as u128;
            Some(::uuid::Uuid::from_u128(bits))
        }
        None => None,
    };
    parsed.map(|u| u.hyphenated().to_string()).ok_or_else(|| invalid("event id missing or not a UUID"))
}

fn to_event(record: &Record, with_position: bool) -> ReadResp {
    let metadata = HashMap::from([
        ("type".to_owned(), record.event_type.clone()),
        ("content-type".to_owned(), record.content_type.clone()),
        ("created".to_owned(), record.created.clone()),
    ]);
    let event = read_resp::read_event::RecordedEvent {
        id: Some(proto_uuid(&record.id)),
        stream_identifier: Some(StreamIdentifier { stream_name: record.stream.clone() }),
        stream_revision: record.revision,
        prepare_position: record.position,
        commit_position: record.position,
        metadata,
        custom_metadata: record.custom_metadata.clone(),
        data: record.data.clone(),
    };
    let position = if with_position {
        read_resp::read_event::Position::CommitPosition(record.position)
    } else {
        read_resp::read_event::Position::NoPosition(Empty {})
    };
    ReadResp {
        content: Some(read_resp::Content::Event(read_resp::ReadEvent {
            event: Some(event),
            link: None,
            position: Some(position),
        })),
    }
}

type ReadStream = Pin<Box<dyn Stream<Item = Result<ReadResp, Status>> + Send>>;

#[tonic::async_trait]
impl Streams for Node {
    type ReadStream = ReadStream;
    type BatchAppendStream = Pin<Box<dyn Stream<Item = Result<BatchAppendResp, Status>> + Send>>;

    async fn append(&self, request: Request<Streaming<AppendReq>>) -> Result<Response<AppendResp>, Status> {
        self.needs_leader(request.metadata(), true)?;
        self.shared.take_unavailable()?;
        self.shared.appends.fetch_add(1, Ordering::Relaxed);
        let mut messages = request.into_inner();
        let Some(AppendReq { content: Some(append_req::Content::Options(options)) }) = messages.message().await? else {
            return Err(invalid("the first message of an append must be its options"));
        };
        let stream = options.stream_identifier.map(|s| s.stream_name).unwrap_or_default();
        if stream.is_empty() {
            return Err(invalid("stream name is empty"));
        }
        use append_req::options::ExpectedStreamRevision as E;
        let expected = match options.expected_stream_revision {
            Some(E::Revision(n)) => Expected::Revision(n),
            Some(E::NoStream(_)) => Expected::NoStream,
            Some(E::Any(_)) => Expected::Any,
            Some(E::StreamExists(_)) => Expected::StreamExists,
            None => return Err(invalid("expected stream revision missing")),
        };
        let mut events = Vec::new();
        let mut size = 0usize;
        while let Some(message) = messages.message().await? {
            let Some(append_req::Content::ProposedMessage(m)) = message.content else {
                return Err(invalid("only proposed messages may follow the options"));
            };
            size += m.data.len() + m.custom_metadata.len();
            if size > MAX_APPEND_SIZE {
                let mut status = invalid(format!("Maximum Append Size of {MAX_APPEND_SIZE} Exceeded."));
                status.metadata_mut().insert("exception", MetadataValue::from_static("maximum-append-size-exceeded"));
                return Err(status);
            }
            let required = |key: &str| {
                m.metadata.get(key).cloned().ok_or_else(|| {
                    let mut status = invalid(format!("Required Metadata Property '{key}' is missing"));
                    status
                        .metadata_mut()
                        .insert("exception", MetadataValue::from_static("missing-required-metadata-property"));
                    status
                })
            };
            events.push(Proposed {
                event_type: required("type")?,
                content_type: required("content-type")?,
                id: read_uuid(m.id)?,
                custom_metadata: m.custom_metadata,
                data: m.data,
            });
        }
        if events.is_empty() {
            return Err(invalid("an append needs at least one event"));
        }
        let result = self.shared.commit(&stream, expected, events);
        let late = {
            let mut delayed = self.shared.delayed_replies.lock().unwrap();
            if delayed.0 > 0 {
                delayed.0 -= 1;
                Some(delayed.1)
            } else {
                None
            }
        };
        if let Some(late) = late {
            tokio::time::sleep(late).await;
        }
        use append_resp::wrong_expected_version as w;
        let reply = match result {
            Ok((revision, position)) => append_resp::Result::Success(append_resp::Success {
                current_revision_option: Some(append_resp::success::CurrentRevisionOption::CurrentRevision(revision)),
                position_option: Some(append_resp::success::PositionOption::Position(append_resp::Position {
                    commit_position: position,
                    prepare_position: position,
                })),
            }),
            Err(current) => append_resp::Result::WrongExpectedVersion(append_resp::WrongExpectedVersion {
                current_revision_option_20_6_0: Some(match current {
                    Some(c) => w::CurrentRevisionOption2060::CurrentRevision2060(c),
                    None => w::CurrentRevisionOption2060::NoStream2060(Empty {}),
                }),
                expected_revision_option_20_6_0: None,
                current_revision_option: Some(match current {
                    Some(c) => w::CurrentRevisionOption::CurrentRevision(c),
                    None => w::CurrentRevisionOption::CurrentNoStream(Empty {}),
                }),
                expected_revision_option: Some(match expected {
                    Expected::Any => w::ExpectedRevisionOption::ExpectedAny(Empty {}),
                    Expected::NoStream => w::ExpectedRevisionOption::ExpectedNoStream(Empty {}),
                    Expected::StreamExists => w::ExpectedRevisionOption::ExpectedStreamExists(Empty {}),
                    Expected::Revision(n) => w::ExpectedRevisionOption::ExpectedRevision(n),
                }),
            }),
        };
        Ok(Response::new(AppendResp { result: Some(reply) }))
    }

    async fn read(&self, request: Request<ReadReq>) -> Result<Response<Self::ReadStream>, Status> {
        self.needs_leader(request.metadata(), false)?;
        self.shared.take_unavailable()?;
        let options = request.into_inner().options.ok_or_else(|| invalid("read options missing"))?;
        if let Some(read_req::options::FilterOption::Filter(_)) = options.filter_option {
            return Err(Status::unimplemented("server-side filters are not served by this peer"));
        }
        let forwards = options.read_direction == read_req::options::ReadDirection::Forwards as i32;
        let (sender, receiver) = mpsc::channel(64);
        use read_req::options::{CountOption, StreamOption};
        match (options.stream_option, options.count_option) {
            (Some(StreamOption::Stream(s)), Some(CountOption::Count(count))) => {
                let replies = self.read_stream(s, forwards, count)?;
                tokio::spawn(async move {
                    for reply in replies {
                        if sender.send(Ok(reply)).await.is_err() {
                            return;
                        }
                    }
                });
            }
            (Some(StreamOption::All(a)), Some(CountOption::Count(count))) => {
                let replies = self.read_all(a, forwards, count);
                tokio::spawn(async move {
                    for reply in replies {
                        if sender.send(Ok(reply)).await.is_err() {
                            return;
                        }
                    }
                });
            }
            (Some(StreamOption::All(a)), Some(CountOption::Subscription(_))) => {
                if !forwards {
                    return Err(invalid("subscriptions go forwards"));
                }
                self.shared.subscriptions.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(subscribe_all(self.shared.clone(), a, sender));
            }
            _ => return Err(Status::unimplemented("this read is not served by this peer")),
        }
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver)) as ReadStream))
    }

    async fn delete(&self, _: Request<DeleteReq>) -> Result<Response<DeleteResp>, Status> {
        Err(Status::unimplemented("dondoc never deletes a stream"))
    }

    async fn tombstone(&self, _: Request<TombstoneReq>) -> Result<Response<TombstoneResp>, Status> {
        Err(Status::unimplemented("dondoc never deletes a stream"))
    }

    async fn batch_append(
        &self,
        _: Request<Streaming<BatchAppendReq>>,
    ) -> Result<Response<Self::BatchAppendStream>, Status> {
        Err(Status::unimplemented("dondoc appends with Append"))
    }
}

impl Node {
    fn read_stream(
        &self,
        options: read_req::options::StreamOptions,
        forwards: bool,
        count: u64,
    ) -> Result<Vec<ReadResp>, Status> {
        let stream = options.stream_identifier.map(|s| s.stream_name).unwrap_or_default();
        let log = self.shared.log.lock().unwrap();
        let Some(indexes) = log.streams.get(&stream) else {
            return Ok(vec![ReadResp {
                content: Some(read_resp::Content::StreamNotFound(read_resp::StreamNotFound {
                    stream_identifier: Some(StreamIdentifier { stream_name: stream }),
                })),
            }]);
        };
        use read_req::options::stream_options::RevisionOption as R;
        let last = indexes.len() as u64 - 1;
        let picked: Vec<usize> = match (forwards, options.revision_option) {
            (true, Some(R::Start(_))) => indexes.to_vec(),
            (true, Some(R::Revision(r))) => indexes.iter().copied().skip(r.min(u64::from(u32::MAX)) as usize).collect(),
            (true, Some(R::End(_))) => Vec::new(),
            (false, Some(R::End(_))) => indexes.iter().rev().copied().collect(),
            (false, Some(R::Revision(r))) => indexes[..=(r.min(last) as usize)].iter().rev().copied().collect(),
            (false, Some(R::Start(_))) => indexes[..1].to_vec(),
            (_, None) => return Err(invalid("revision option missing")),
        };
        Ok(picked.into_iter().take(count as usize).map(|i| to_event(&log.records[i], true)).collect())
    }

    fn read_all(&self, options: read_req::options::AllOptions, forwards: bool, count: u64) -> Vec<ReadResp> {
        use read_req::options::all_options::AllOption as A;
        let log = self.shared.log.lock().unwrap();
        let records = &log.records;
        let picked: Vec<&Record> = match (forwards, options.all_option) {
            (true, Some(A::Start(_))) | (true, None) => records.iter().collect(),
            (true, Some(A::Position(p))) => records.iter().filter(|r| r.position >= p.commit_position).collect(),
            (true, Some(A::End(_))) => Vec::new(),
            (false, Some(A::End(_))) | (false, None) => records.iter().rev().collect(),
            (false, Some(A::Position(p))) => records.iter().rev().filter(|r| r.position < p.commit_position).collect(),
            (false, Some(A::Start(_))) => Vec::new(),
        };
        picked.into_iter().take(count as usize).map(|r| to_event(r, true)).collect()
    }
}

/// A catch-up subscription to `$all`: confirmation, the stored events after the start
/// (exclusive), `CaughtUp`, then live events until the client goes away.
async fn subscribe_all(
    shared: Arc<Shared>,
    options: read_req::options::AllOptions,
    sender: mpsc::Sender<Result<ReadResp, Status>>,
) {
    use read_req::options::all_options::AllOption as A;
    let confirmation = read_resp::Content::Confirmation(read_resp::SubscriptionConfirmation {
        subscription_id: ::uuid::Uuid::new_v4().to_string(),
    });
    if sender.send(Ok(ReadResp { content: Some(confirmation) })).await.is_err() {
        return;
    }
    let mut committed = shared.committed.subscribe();
    let mut next = {
        let log = shared.log.lock().unwrap();
        match options.all_option {
            Some(A::Start(_)) | None => 0,
            Some(A::End(_)) => log.records.len(),
            Some(A::Position(p)) => log.records.partition_point(|r| r.position <= p.commit_position),
        }
    };
    let mut caught_up = false;
    loop {
        let batch: Vec<ReadResp> = {
            let log = shared.log.lock().unwrap();
            let batch =
                log.records[next.min(log.records.len())..].iter().take(256).map(|r| to_event(r, true)).collect();
            next = (next + 256).min(log.records.len());
            batch
        };
        let empty = batch.is_empty();
        for reply in batch {
            if sender.send(Ok(reply)).await.is_err() {
                return;
            }
        }
        if !empty {
            continue;
        }
        if !caught_up {
            caught_up = true;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let content = read_resp::Content::CaughtUp(read_resp::CaughtUp {
                timestamp: Some(prost_types::Timestamp {
                    seconds: now.as_secs() as i64,
                    nanos: now.subsec_nanos() as i32,
                }),
                stream_revision: None,
                position: None,
            });
            if sender.send(Ok(ReadResp { content: Some(content) })).await.is_err() {
                return;
            }
        }
        tokio::select! {
            changed = committed.changed() => if changed.is_err() { return },
            _ = sender.closed() => return,
        }
    }
}

#[tonic::async_trait]
impl ServerFeatures for Node {
    async fn get_supported_methods(&self, _: Request<Empty>) -> Result<Response<SupportedMethods>, Status> {
        let method = |name: &str, features: &[&str]| SupportedMethod {
            method_name: name.into(),
            service_name: "event_store.client.streams.streams".into(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
        };
        Ok(Response::new(SupportedMethods {
            methods: vec![method("read", &["position", "events"]), method("append", &[])],
            event_store_server_version: SERVER_VERSION.into(),
        }))
    }
}

/// Accepted connections, without Nagle's delay and acknowledging at once (see [`QuickAck`]).
fn async_stream_of(listener: tokio::net::TcpListener) -> impl Stream<Item = std::io::Result<QuickAck>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| {
            let _ = stream.set_nodelay(true);
            QuickAck(stream)
        });
        Some((accepted, listener))
    })
}

/// A connection that acknowledges what it reads at once (Linux `TCP_QUICKACK`, which the
/// kernel clears again, so it is set after every read). The official client writes a
/// request's frames with Nagle's algorithm on; against a peer that delays its ACKs (40 ms
/// on Linux) every call would wait for that timer, which only measures the two kernels.
struct QuickAck(tokio::net::TcpStream);

impl QuickAck {
    fn quick_ack(&self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd as _;
            let on: libc::c_int = 1;
            // SAFETY: a valid socket descriptor and a c_int option of the right size.
            unsafe {
                libc::setsockopt(
                    self.0.as_raw_fd(),
                    libc::IPPROTO_TCP,
                    libc::TCP_QUICKACK,
                    (&on as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
    }
}

impl tokio::io::AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.0).poll_read(cx, buf);
        self.quick_ack();
        polled
    }
}

impl tokio::io::AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for QuickAck {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.connect_info()
    }
}

/// One node serving on its own thread and runtime.
struct Running {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(node: Node, listener: std::net::TcpListener) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("peer runtime");
            runtime.block_on(async move {
                listener.set_nonblocking(true).expect("nonblocking");
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let incoming = async_stream_of(listener);
                let server = tonic::transport::Server::builder()
                    // A server-side limit makes tonic honour the client's grpc-timeout
                    // header (the smaller of the two applies).
                    .timeout(Duration::from_secs(3600))
                    .add_service(StreamsServer::new(node.clone()).max_decoding_message_size(8 * MAX_APPEND_SIZE))
                    .add_service(ServerFeaturesServer::new(node))
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = stopped.await;
                    });
                let _ = server.await;
            });
            // Dropping the runtime ends every connection and subscription at once.
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Running { stop: Some(stop), thread: Some(thread) }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A local EventStoreDB/KurrentDB node (or a leader and a follower sharing one log).
pub struct EsdbPeer {
    shared: Arc<Shared>,
    leader: SocketAddr,
    follower: Option<SocketAddr>,
    nodes: Vec<Running>,
}

fn bind(addr: &str) -> std::net::TcpListener {
    std::net::TcpListener::bind(addr).expect("bind a loopback port")
}

impl EsdbPeer {
    /// One leader node on a free loopback port.
    pub fn start() -> EsdbPeer {
        Self::launch(false)
    }

    /// A leader and a follower sharing one log; connect to [`EsdbPeer::follower_url`] to be
    /// redirected.
    pub fn start_cluster() -> EsdbPeer {
        Self::launch(true)
    }

    fn launch(with_follower: bool) -> EsdbPeer {
        let (committed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            log: Mutex::new(Log::new()),
            committed,
            delayed_replies: Mutex::new((0, Duration::ZERO)),
            unavailable: Mutex::new(0),
            appends: AtomicU64::new(0),
            not_leader_answers: AtomicU64::new(0),
            subscriptions: AtomicU64::new(0),
        });
        let leader_listener = bind("127.0.0.1:0");
        let leader = leader_listener.local_addr().expect("address");
        let mut nodes = vec![Running::start(Node { shared: shared.clone(), role: Role::Leader }, leader_listener)];
        let follower = with_follower.then(|| {
            let listener = bind("127.0.0.1:0");
            let addr = listener.local_addr().expect("address");
            nodes.push(Running::start(Node { shared: shared.clone(), role: Role::Follower { leader } }, listener));
            addr
        });
        EsdbPeer { shared, leader, follower, nodes }
    }

    /// The leader's connection string (plain gRPC, as a node started with `--insecure`).
    pub fn url(&self) -> String {
        format!("esdb://{}?tls=false", self.leader)
    }

    /// The follower's connection string.
    pub fn follower_url(&self) -> Option<String> {
        self.follower.map(|f| format!("esdb://{f}?tls=false"))
    }

    /// The leader's address.
    pub fn addr(&self) -> SocketAddr {
        self.leader
    }

    /// Stops every node: every connection and subscription ends (the log is kept).
    pub fn stop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
        self.nodes.clear();
    }

    /// Serves the same log again on the same ports.
    pub fn restart(&mut self) {
        self.stop();
        let leader = self.leader;
        self.nodes
            .push(Running::start(Node { shared: self.shared.clone(), role: Role::Leader }, bind(&leader.to_string())));
        if let Some(follower) = self.follower {
            let node = Node { shared: self.shared.clone(), role: Role::Follower { leader } };
            self.nodes.push(Running::start(node, bind(&follower.to_string())));
        }
    }

    /// The next `count` appends are committed but answered only after `late`.
    pub fn delay_append_replies(&self, count: u32, late: Duration) {
        *self.shared.delayed_replies.lock().unwrap() = (count, late);
    }

    /// The next `count` calls fail with `Unavailable`.
    pub fn fail_next(&self, count: u32) {
        *self.shared.unavailable.lock().unwrap() = count;
    }

    /// Append calls received by the leader.
    pub fn appends(&self) -> u64 {
        self.shared.appends.load(Ordering::Relaxed)
    }

    /// "Not leader" answers given by the follower.
    pub fn not_leader_answers(&self) -> u64 {
        self.shared.not_leader_answers.load(Ordering::Relaxed)
    }

    /// Subscriptions opened.
    pub fn subscriptions(&self) -> u64 {
        self.shared.subscriptions.load(Ordering::Relaxed)
    }

    /// The ids of the events stored in `stream`, in revision order.
    pub fn stream_ids(&self, stream: &str) -> Vec<String> {
        let log = self.shared.log.lock().unwrap();
        log.streams
            .get(stream.as_bytes())
            .map(|r| r.iter().map(|&i| log.records[i].id.clone()).collect())
            .unwrap_or_default()
    }

    /// "id chain" of every event of dondoc's log (system streams and dondoc's `_dondoc-`
    /// bookkeeping left out), in `$all` order, read from the stored custom metadata.
    pub fn log_ids_and_chains(&self) -> Vec<String> {
        let log = self.shared.log.lock().unwrap();
        log.records
            .iter()
            .filter(|r| !r.stream.starts_with(b"$") && !r.stream.starts_with(b"_dondoc-"))
            .map(|r| {
                let metadata: serde_json::Value = serde_json::from_slice(&r.custom_metadata).unwrap_or_default();
                format!("{} {}", r.id, metadata["chain"].as_str().unwrap_or("-"))
            })
            .collect()
    }

    /// The data of every event of `stream`, as JSON, in revision order.
    pub fn stream_data(&self, stream: &str) -> Vec<serde_json::Value> {
        let log = self.shared.log.lock().unwrap();
        log.streams
            .get(stream.as_bytes())
            .map(|r| r.iter().map(|&i| serde_json::from_slice(&log.records[i].data).unwrap_or_default()).collect())
            .unwrap_or_default()
    }

    /// Events stored outside system streams.
    pub fn user_events(&self) -> usize {
        self.shared.log.lock().unwrap().records.iter().filter(|r| !r.stream.starts_with(b"$")).count()
    }
}

impl Drop for EsdbPeer {
    fn drop(&mut self) {
        self.stop();
    }
}

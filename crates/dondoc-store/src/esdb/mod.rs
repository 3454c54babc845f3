//! The EventStoreDB/KurrentDB backend, through the official gRPC client (`kurrentdb`),
//! selected by an `esdb://` or `kurrentdb://` connection string
//! (`esdb://node1:2113,node2:2113,node3:2113?tls=true` for a cluster).
//!
//! - **Streams** are EventStoreDB streams, one for one; revisions are the server's stream
//!   revisions and [`ExpectedRevision`] maps exactly onto the client's `StreamState`.
//! - **Positions** are the server's `$all` commit positions: increasing in commit order,
//!   with gaps (they are log byte offsets). `read_all` reads `$all` forwards from a position
//!   (inclusive on the server, so the event at `after` itself is skipped here) and
//!   `subscribe_all` catches up by reads and then follows a catch-up subscription to
//!   `$all`, whose start position the server treats as exclusive. System streams (`$…`) and
//!   dondoc's own bookkeeping streams (`_dondoc-…`) are not part of dondoc's log.
//! - **Events** are stored as JSON: the data as its canonical text, our metadata with its
//!   `chain` value as the custom metadata, the event id as the server's event id, so that a
//!   retried append is recognised by the server and by [`crate::rules`].
//! - **Chains** are computed here before the append, from the previous event's chain read
//!   from the server: the same bytes and values as the other backends.
//! - **Group appends** have no multi-stream transaction to ride on: see [`group`].
//! - **Failures:** a "not leader" answer makes the client reconnect to the leader it names;
//!   the request is then sent again once. A deadline that passes may hide a committed
//!   append: it is sent again too, and the server's idempotence by event id returns the
//!   original result. A client whose connection gave up is replaced, with backoff.

mod codec;
pub mod group;
mod import;
pub mod lease;
mod subscribe;
mod write;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::stream::BoxStream;
use kurrentdb::{Client, ClientSettings, ReadAllOptions, ReadStreamOptions, StreamPosition};

use crate::{
    AppendResult, Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamAppend,
    StreamStart,
};

/// How long the first contact with the server may take before the address is named.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Streams dondoc keeps for itself (group intents, the sending lease): not part of the log.
pub const INTERNAL_PREFIX: &str = "_dondoc-";
/// Events read per page.
const PAGE: usize = 512;

/// A handle on an EventStoreDB/KurrentDB log (cheap to clone).
#[derive(Clone)]
pub struct EsdbStore {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ClientSettings,
    /// Where the server is, for errors (no credentials).
    address: String,
    /// The client and its generation (bumped when a dead client is replaced).
    client: RwLock<(u64, Client)>,
    /// The head (revision, chain) of streams this handle wrote last (see `write`).
    heads: std::sync::Mutex<std::collections::HashMap<String, (u64, String)>>,
}

/// Most stream heads remembered; beyond, the memory starts again.
const MAX_HEADS: usize = 100_000;

/// Whether a stream is one of the server's or dondoc's bookkeeping, not the log.
pub(crate) fn hidden(stream: &str) -> bool {
    stream.starts_with('$') || stream.starts_with(INTERNAL_PREFIX)
}

impl EsdbStore {
    /// Connects to the server of `url` and checks that it answers: an unreachable server,
    /// refused credentials or a TLS mismatch are errors naming the address within
    /// [`CONNECT_TIMEOUT`]. Unfinished group appends are completed.
    pub async fn connect(url: &str) -> Result<EsdbStore, StoreError> {
        let settings: ClientSettings =
            url.parse().map_err(|e| StoreError::Invalid(format!("chuỗi kết nối EventStoreDB không hợp lệ: {e}")))?;
        let address = describe(&settings);
        let client = new_client(&settings, &address)?;
        let store = EsdbStore {
            inner: Arc::new(Inner { settings, address, client: RwLock::new((0, client)), heads: Default::default() }),
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, store.last_position()).await {
            Ok(Ok(_)) => {}
            Ok(Err(StoreError::Backend(_))) => return Err(store.diagnose().await),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(StoreError::Backend(format!(
                    "không kết nối được EventStoreDB tại {} sau {} giây",
                    store.inner.address,
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        }
        group::finish_pending(&store).await?;
        Ok(store)
    }

    /// Why the first contact failed, in words: the hosts cannot be reached, or they take a
    /// TCP connection but do not answer gRPC on it (most often TLS on one side only).
    async fn diagnose(&self) -> StoreError {
        let secure = self.inner.settings.is_secure_mode_enabled();
        let mut reasons = Vec::new();
        for host in self.inner.settings.hosts() {
            let address = format!("{}:{}", host.host, host.port);
            let tcp = tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect(&address)).await;
            reasons.push(match tcp {
                Ok(Ok(_)) if secure => format!(
                    "{address} nhận kết nối nhưng bắt tay TLS không thành: cấu hình TLS hai bên không khớp? (chuỗi kết nối đòi TLS; máy chủ chạy --insecure thì dùng tls=false)"
                ),
                Ok(Ok(_)) => format!(
                    "{address} nhận kết nối nhưng không trả lời gRPC không mã hoá: cấu hình TLS hai bên không khớp? (chuỗi kết nối có tls=false; máy chủ dùng TLS thì bỏ tham số này)"
                ),
                Ok(Err(e)) => format!("{address}: {e}"),
                Err(_) => format!("{address}: không trả lời sau 3 giây"),
            });
        }
        StoreError::Backend(format!("không kết nối được EventStoreDB: {}", reasons.join("; ")))
    }

    pub(crate) fn known_head(&self, stream: &str) -> Option<(u64, String)> {
        self.inner.heads.lock().unwrap_or_else(|p| p.into_inner()).get(stream).cloned()
    }

    pub(crate) fn remember_head(&self, stream: &str, revision: u64, chain: String) {
        let mut heads = self.inner.heads.lock().unwrap_or_else(|p| p.into_inner());
        if heads.len() >= MAX_HEADS {
            heads.clear();
        }
        heads.insert(stream.to_owned(), (revision, chain));
    }

    pub(crate) fn forget_head(&self, stream: &str) {
        self.inner.heads.lock().unwrap_or_else(|p| p.into_inner()).remove(stream);
    }

    /// Where this store connects (hosts; never credentials).
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    fn client(&self) -> (u64, Client) {
        self.inner.client.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces a client that gave up (the official client stops for good once its
    /// discovery attempts are spent), unless another caller already did.
    fn renew(&self, generation: u64) {
        let mut slot = self.inner.client.write().unwrap_or_else(|p| p.into_inner());
        if slot.0 == generation
            && let Ok(client) = new_client(&self.inner.settings, &self.inner.address)
        {
            *slot = (generation + 1, client);
        }
    }

    /// A client error as a store error; a dead client is replaced on the way.
    pub(crate) fn error(&self, generation: u64, e: kurrentdb::Error) -> StoreError {
        use kurrentdb::Error as E;
        match e {
            E::ConnectionClosed | E::GrpcConnectionError(_) => {
                self.renew(generation);
                StoreError::Backend(format!("mất kết nối tới EventStoreDB tại {}: {e}", self.inner.address))
            }
            E::AccessDenied => StoreError::Backend(format!(
                "EventStoreDB tại {} từ chối quyền truy cập (sai tên đăng nhập hoặc mật khẩu?)",
                self.inner.address
            )),
            E::DeadlineExceeded => {
                StoreError::Backend(format!("EventStoreDB tại {} không trả lời trong thời hạn", self.inner.address))
            }
            E::Grpc { code: tonic::Code::InvalidArgument, message } => StoreError::Invalid(message),
            other => StoreError::Backend(format!("lỗi EventStoreDB tại {}: {other}", self.inner.address)),
        }
    }

    /// Runs `call` with the current client; a "not leader" answer or a passed deadline is
    /// sent once more (the client has reconnected to the leader it was told of; a repeated
    /// append is recognised by its event ids).
    pub(crate) async fn with_retry<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, kurrentdb::Error>>,
    {
        let mut tries = 0;
        loop {
            let (generation, client) = self.client();
            match call(client).await {
                Ok(value) => return Ok(value),
                Err(kurrentdb::Error::NotLeaderException(_) | kurrentdb::Error::DeadlineExceeded) if tries == 0 => {
                    tries += 1;
                }
                Err(e @ (kurrentdb::Error::ConnectionClosed | kurrentdb::Error::GrpcConnectionError(_)))
                    if tries == 0 =>
                {
                    tries += 1;
                    let _ = self.error(generation, e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(self.error(generation, e)),
            }
        }
    }

    /// The log's last event (bookkeeping and system events skipped), if any.
    pub async fn last_event(&self) -> Result<Option<RecordedEvent>, StoreError> {
        let mut from = StreamPosition::End;
        loop {
            let page =
                self.read_all_page(&ReadAllOptions::default().backwards().position(from).max_count(PAGE)).await?;
            let full = page.len() == PAGE;
            let oldest = page.last().map(|e| e.position);
            if let Some(found) = page.into_iter().find(|e| !hidden(&e.stream)) {
                return Ok(Some(found));
            }
            match oldest {
                Some(p) if full => from = StreamPosition::Position(kurrentdb::Position { commit: p, prepare: p }),
                _ => return Ok(None),
            }
        }
    }

    /// Reads raw events of a stream (bookkeeping streams included).
    pub(crate) async fn read_raw(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if max == 0 || (direction == Direction::Forwards && start == StreamStart::End) {
            return Ok(Vec::new());
        }
        let position = match start {
            StreamStart::Start => StreamPosition::Start,
            StreamStart::End => StreamPosition::End,
            StreamStart::Revision(r) => StreamPosition::Position(r),
        };
        let mut options = ReadStreamOptions::default().position(position).max_count(max);
        options = match direction {
            Direction::Forwards => options.forwards(),
            Direction::Backwards => options.backwards(),
        };
        let options = &options;
        self.with_retry(|client| async move {
            let mut read = match client.read_stream(stream, options).await {
                Ok(read) => read,
                Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut events = Vec::new();
            loop {
                match read.next().await {
                    Ok(Some(resolved)) => events.push(codec::recorded(resolved)?),
                    Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(events)
        })
        .await
    }

    /// Up to `max` events of `$all` from `from` (inclusive) forwards, hidden ones included,
    /// and whether the end was reached.
    async fn read_all_raw(&self, from: Option<u64>, max: usize) -> Result<(Vec<RecordedEvent>, bool), StoreError> {
        let position = match from {
            None => StreamPosition::Start,
            Some(p) => StreamPosition::Position(kurrentdb::Position { commit: p, prepare: p }),
        };
        let events =
            self.read_all_page(&ReadAllOptions::default().forwards().position(position).max_count(max)).await?;
        let end = events.len() < max;
        Ok((events, end))
    }

    /// One read of `$all` with `options`, every event decoded (hidden ones included).
    async fn read_all_page(&self, options: &ReadAllOptions) -> Result<Vec<RecordedEvent>, StoreError> {
        self.with_retry(|client| async move {
            let mut read = client.read_all(options).await?;
            let mut events = Vec::new();
            while let Some(resolved) = read.next().await? {
                events.push(codec::recorded(resolved)?);
            }
            Ok(events)
        })
        .await
    }
}

fn new_client(settings: &ClientSettings, address: &str) -> Result<Client, StoreError> {
    Client::new(settings.clone())
        .map_err(|e| StoreError::Backend(format!("không tạo được kết nối tới EventStoreDB tại {address}: {e}")))
}

/// The hosts of a connection string, without credentials.
fn describe(settings: &ClientSettings) -> String {
    let hosts: Vec<String> = settings.hosts().iter().map(|e| format!("{}:{}", e.host, e.port)).collect();
    let tls = if settings.is_secure_mode_enabled() { "tls" } else { "không tls" };
    format!("{} ({tls})", hosts.join(","))
}

impl EventStore for EsdbStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedRevision,
        events: Vec<EventData>,
    ) -> Result<AppendResult, StoreError> {
        if stream.starts_with(INTERNAL_PREFIX) || stream.starts_with('$') {
            return Err(StoreError::Invalid(format!("tên luồng {stream} dành cho hệ thống")));
        }
        let request = crate::prepare::prepare(stream, expected, events)?;
        write::append(self, &request).await
    }

    async fn append_group(&self, appends: Vec<StreamAppend>) -> Result<Vec<AppendResult>, StoreError> {
        group::append_group(self, appends).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: Direction,
        start: StreamStart,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if hidden(stream) {
            return Ok(Vec::new());
        }
        self.read_raw(stream, direction, start, max).await
    }

    async fn read_all(&self, after: Option<u64>, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut out = Vec::new();
        let mut from = after;
        while out.len() < max {
            // The server's start is inclusive: one more than needed, the first may be `from`.
            let (page, end) = self.read_all_raw(from, (max - out.len()).saturating_add(1).min(PAGE)).await?;
            let seen = from;
            for event in page {
                from = Some(event.position);
                if seen.is_some_and(|s| event.position <= s) || hidden(&event.stream) || out.len() == max {
                    continue;
                }
                out.push(event);
            }
            if end {
                break;
            }
        }
        Ok(out)
    }

    fn subscribe_all(&self, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
        subscribe::subscribe(self.clone(), after)
    }

    async fn last_position(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.last_event().await?.map(|e| e.position))
    }
}

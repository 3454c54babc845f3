//! A minimal HTTP sink on loopback for load tests: it accepts `POST`s on any path, answers
//! `200 {"ok":true,"id":N}` at once and counts what it received, including repeated
//! idempotency keys (the `Idempotency-Key` header, else the `idempotency_key` field of a
//! JSON body). Nothing else is kept, so it stays cheap at tens of thousands of requests.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use tokio::net::TcpListener;

/// The header carrying a request's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What the sink received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookCounts {
    /// `POST` requests received.
    pub posts: usize,
    /// Distinct idempotency keys among them.
    pub unique_keys: usize,
    /// `POST`s whose key had been seen before.
    pub duplicates: usize,
    /// `POST`s without a key.
    pub without_key: usize,
    /// Body bytes received.
    pub bytes: u64,
}

#[derive(Default)]
struct Shared {
    posts: AtomicUsize,
    duplicates: AtomicUsize,
    without_key: AtomicUsize,
    bytes: AtomicU64,
    keys: Mutex<HashSet<String>>,
}

impl Shared {
    fn keys(&self) -> MutexGuard<'_, HashSet<String>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sink: an HTTP/1.1 server on 127.0.0.1 with a free port; stops when dropped.
pub struct WebhookSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookSink {
    /// Starts the sink on the current Tokio runtime.
    pub async fn start() -> WebhookSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0 for the webhook sink");
        let addr = listener.local_addr().expect("local address of the webhook sink");
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(any(handle)).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookSink { addr, shared, task }
    }

    /// The URL to post to.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counts so far.
    pub fn counts(&self) -> WebhookCounts {
        let keys = self.shared.keys();
        WebhookCounts {
            posts: self.shared.posts.load(Ordering::SeqCst),
            unique_keys: keys.len(),
            duplicates: self.shared.duplicates.load(Ordering::SeqCst),
            without_key: self.shared.without_key.load(Ordering::SeqCst),
            bytes: self.shared.bytes.load(Ordering::SeqCst),
        }
    }

    /// Forgets everything received (between runs of a benchmark).
    pub fn reset(&self) {
        let mut keys = self.shared.keys();
        keys.clear();
        keys.shrink_to_fit();
        self.shared.posts.store(0, Ordering::SeqCst);
        self.shared.duplicates.store(0, Ordering::SeqCst);
        self.shared.without_key.store(0, Ordering::SeqCst);
        self.shared.bytes.store(0, Ordering::SeqCst);
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The key of a request: the header, else the `idempotency_key` field of a JSON body.
fn key_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(value) = headers.get(IDEMPOTENCY_HEADER) {
        return value.to_str().ok().map(str::to_string);
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("idempotency_key")?.as_str().map(str::to_string)
}

async fn handle(State(shared): State<Arc<Shared>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    let n = shared.posts.fetch_add(1, Ordering::SeqCst) + 1;
    shared.bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
    match key_of(&headers, &body) {
        Some(key) => {
            if !shared.keys().insert(key) {
                shared.duplicates.fetch_add(1, Ordering::SeqCst);
            }
        }
        None => {
            shared.without_key.fetch_add(1, Ordering::SeqCst);
        }
    }
    ([(header::CONTENT_TYPE, "application/json")], format!(r#"{{"ok":true,"id":{n}}}"#)).into_response()
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use super::*;

    async fn post(sink: &WebhookSink, extra_header: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(sink.addr()).await.unwrap();
        let request = format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra_header}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        raw
    }

    #[tokio::test]
    async fn counts_posts_and_repeated_keys() {
        let sink = WebhookSink::start().await;
        let answer = post(&sink, "Idempotency-Key: a\r\n", "{}").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"ok":true,"id":1}"#), "{answer}");
        post(&sink, "", r#"{"idempotency_key":"b"}"#).await;
        post(&sink, "", r#"{"idempotency_key":"a"}"#).await;
        post(&sink, "", "not json").await;
        let counts = sink.counts();
        assert_eq!((counts.posts, counts.unique_keys, counts.duplicates, counts.without_key), (4, 2, 1, 1));
        sink.reset();
        assert_eq!(sink.counts(), WebhookCounts::default());
    }
}

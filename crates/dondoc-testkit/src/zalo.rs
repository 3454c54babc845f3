//! A local HTTP server speaking the Zalo OA API wire format: consultation messages
//! (`POST /v3.0/oa/message/cs`), ZNS template messages (`POST /message/template`) and the
//! token refresh (`POST /v4/oa/access_token`, form body, rotating single-use refresh tokens).
//! It checks the `access_token` header, records every call and can be told to fail.
//!
//! It keeps Zalo's rules as the reference (`shared/reference/zalo.md`) states them:
//! - a template message is addressed by `phone` ("84…"), never by user id;
//! - with templates registered ([`ZaloServer::register_template`]), a template message must
//!   name one and carry exactly its parameters, each within its length (Zalo's templates:
//!   usually 30 characters);
//! - with the reply window enforced ([`ZaloServer::enforce_reply_window`]), a consultation
//!   message is a reply: only within the window after the user's last message
//!   ([`ZaloServer::user_wrote`]), at most so many of them.
//!
//! Error codes it answers with (Zalo style, HTTP 200 with `{"error": code, "message": …}`):
//! `-216` unknown or expired token on the OA API, `-124` the same on ZNS, `-201` invalid
//! parameters, `-108` invalid phone, `-144` daily template quota used up,
//! [`REPLY_WINDOW_CLOSED`] a consultation message outside the reply window (its number is
//! not in the public documentation at hand: ours); refresh errors `-14002` (bad app id or
//! secret) and `-14014` (unknown or already used refresh token). A token call that is not
//! `application/x-www-form-urlencoded` is refused by axum (415) before it is recorded.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde_json::{Value, json};

/// Answer for an unknown or expired token on the OA API.
pub const OA_TOKEN_INVALID: i64 = -216;
/// Answer for an unknown or expired token on the ZNS API.
pub const ZNS_TOKEN_INVALID: i64 = -124;
/// Answer when the daily template quota is used up.
pub const QUOTA_EXHAUSTED: i64 = -144;
/// Answer for a refresh token that is unknown or already used.
pub const REFRESH_TOKEN_INVALID: i64 = -14014;
/// Answer for a wrong app id or `secret_key` on refresh.
pub const APP_INVALID: i64 = -14002;
/// Answer for a consultation message outside the user's reply window.
pub const REPLY_WINDOW_CLOSED: i64 = -230;

/// Which send endpoint a message went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v3.0/oa/message/cs`.
    Consultation,
    /// `POST /message/template`.
    Template,
}

/// A button of a consultation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub title: String,
    pub kind: String,
    pub payload: String,
}

/// One call to a send endpoint, accepted or not.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub endpoint: Endpoint,
    /// `recipient.user_id` (consultation), or `phone` / `user_id` (template).
    pub recipient: String,
    pub phone: Option<String>,
    pub user_id: Option<String>,
    pub text: Option<String>,
    pub buttons: Vec<Button>,
    pub template_id: Option<String>,
    pub template_data: Option<Value>,
    pub tracking_id: Option<String>,
    /// The `access_token` header.
    pub access_token: String,
    /// The error code answered (0: accepted).
    pub error: i64,
    /// The HTTP status answered.
    pub http_status: u16,
    /// The message id given when accepted.
    pub message_id: Option<String>,
    /// The JSON body as received.
    pub body: Value,
}

/// One call to the token endpoint.
#[derive(Debug, Clone)]
pub struct RefreshCall {
    pub refresh_token: String,
    pub app_id: String,
    pub grant_type: String,
    pub secret_key: String,
    /// The error code answered (0: new pair issued).
    pub error: i64,
    /// The new `(access_token, refresh_token)` when issued.
    pub issued: Option<(String, String)>,
}

/// A failure to inject into the next send calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answer with this HTTP status (and a small JSON body).
    Http(u16),
    /// Answer HTTP 200 with this Zalo error code.
    Zalo(i64),
}

type Observer = Arc<dyn Fn(&SentMessage) + Send + Sync>;

struct Inner {
    app_id: String,
    app_secret: String,
    expires_in: u64,
    access: HashMap<String, Instant>,
    refresh_valid: HashSet<String>,
    refresh_used: HashSet<String>,
    messages: Vec<SentMessage>,
    refreshes: Vec<RefreshCall>,
    failures: VecDeque<Failure>,
    refresh_failures: VecDeque<Failure>,
    daily_quota: u64,
    remaining_quota: u64,
    counter: u64,
    observer: Option<Observer>,
    /// Registered templates: their parameters and each one's longest value.
    templates: HashMap<String, Vec<(String, usize)>>,
    /// The reply window (length, replies allowed), when enforced.
    reply_window: Option<(Duration, u32)>,
    /// Each user's last message and the replies sent since.
    wrote: HashMap<String, (Instant, u32)>,
}

impl Inner {
    fn issue(&mut self) -> (String, String) {
        self.counter += 1;
        let access = format!("access-{}", self.counter);
        let refresh = format!("refresh-{}", self.counter);
        self.access.insert(access.clone(), Instant::now() + Duration::from_secs(self.expires_in));
        self.refresh_valid.insert(refresh.clone());
        (access, refresh)
    }

    fn token_ok(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|deadline| Instant::now() < *deadline)
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The Zalo OA API on loopback. Stops when dropped.
pub struct ZaloServer {
    addr: SocketAddr,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ZaloServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ZaloServer {
    /// App id the token endpoint expects.
    pub const APP_ID: &'static str = "dondoc-test-app";
    /// App secret the token endpoint expects in the `secret_key` header.
    pub const APP_SECRET: &'static str = "dondoc-test-app-secret";

    /// Starts the server on 127.0.0.1 with a free port.
    pub async fn start() -> ZaloServer {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            app_id: Self::APP_ID.to_string(),
            app_secret: Self::APP_SECRET.to_string(),
            expires_in: 90_000,
            access: HashMap::new(),
            refresh_valid: HashSet::new(),
            refresh_used: HashSet::new(),
            messages: Vec::new(),
            refreshes: Vec::new(),
            failures: VecDeque::new(),
            refresh_failures: VecDeque::new(),
            daily_quota: 500,
            remaining_quota: 500,
            counter: 0,
            observer: None,
            templates: HashMap::new(),
            reply_window: None,
            wrote: HashMap::new(),
        }));
        let app = Router::new()
            .route("/v3.0/oa/message/cs", post(consultation))
            .route("/message/template", post(template))
            .route("/v4/oa/access_token", post(access_token))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ZaloServer { addr, inner, task }
    }

    /// The base URL, to use for the OA API, the ZNS API and OAuth alike.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a fresh access token and refresh token (to seed a token file).
    pub fn issue_tokens(&self) -> (String, String) {
        self.lock().issue()
    }

    /// Makes every access token issued so far expired.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for deadline in self.lock().access.values_mut() {
            *deadline = now;
        }
    }

    /// Lifetime (`expires_in`, seconds) of tokens issued from now on.
    pub fn set_expires_in(&self, seconds: u64) {
        self.lock().expires_in = seconds;
    }

    /// Makes the next `n` send calls fail with `failure` (before the token check).
    pub fn fail_next(&self, n: usize, failure: Failure) {
        self.lock().failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Makes the next `n` refresh calls (`/v4/oa/access_token`) fail with `failure`, the
    /// refresh token staying valid: the OAuth server down or erring for a moment.
    pub fn fail_next_refresh(&self, n: usize, failure: Failure) {
        self.lock().refresh_failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Sets the daily template quota and what remains of it.
    pub fn set_quota(&self, remaining: u64) {
        let mut inner = self.lock();
        inner.daily_quota = inner.daily_quota.max(remaining);
        inner.remaining_quota = remaining;
    }

    /// Calls `f` with every send call as it arrives, before the reply is sent.
    pub fn on_message(&self, f: impl Fn(&SentMessage) + Send + Sync + 'static) {
        self.lock().observer = Some(Arc::new(f));
    }

    /// Every send call so far.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.lock().messages.clone()
    }

    /// The accepted send calls so far.
    pub fn delivered(&self) -> Vec<SentMessage> {
        self.lock().messages.iter().filter(|m| m.error == 0 && m.http_status == 200).cloned().collect()
    }

    /// Every token endpoint call so far.
    pub fn refreshes(&self) -> Vec<RefreshCall> {
        self.lock().refreshes.clone()
    }

    /// Registers an approved template: its parameters, each with its longest value.
    pub fn register_template(&self, id: &str, params: &[(&str, usize)]) {
        let params = params.iter().map(|(p, n)| (p.to_string(), *n)).collect();
        self.lock().templates.insert(id.to_string(), params);
    }

    /// Refuses consultation messages but as replies: within `window` after the user's last
    /// message, at most `replies` of them.
    pub fn enforce_reply_window(&self, window: Duration, replies: u32) {
        self.lock().reply_window = Some((window, replies));
    }

    /// The user `user_id` wrote to the OA now (opens their reply window).
    pub fn user_wrote(&self, user_id: &str) {
        self.lock().wrote.insert(user_id.to_string(), (Instant::now(), 0));
    }

    /// Whether a refresh token would be accepted now.
    pub fn refresh_token_valid(&self, refresh_token: &str) -> bool {
        self.lock().refresh_valid.contains(refresh_token)
    }
}

fn zalo_error(code: i64, message: &str) -> Value {
    json!({ "error": code, "message": message })
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for k in path {
        v = v.get(k)?;
    }
    v.as_str().map(str::to_string)
}

/// Records the call, runs the observer outside the lock and builds the reply.
fn finish(shared: &Shared, mut record: SentMessage, status: StatusCode, reply: Value) -> Response {
    record.http_status = status.as_u16();
    let observer = {
        let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
        inner.messages.push(record.clone());
        inner.observer.clone()
    };
    if let Some(f) = observer {
        f(&record);
    }
    (status, axum::Json(reply)).into_response()
}

fn blank(endpoint: Endpoint, headers: &HeaderMap, body: Value) -> SentMessage {
    SentMessage {
        endpoint,
        recipient: String::new(),
        phone: None,
        user_id: None,
        text: None,
        buttons: Vec::new(),
        template_id: None,
        template_data: None,
        tracking_id: None,
        access_token: headers.get("access_token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string(),
        error: 0,
        http_status: 200,
        message_id: None,
        body,
    }
}

/// The injected failure or token check shared by both send endpoints.
fn precheck(shared: &Shared, record: &mut SentMessage, token_code: i64) -> Option<(StatusCode, Value)> {
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    match inner.failures.pop_front() {
        Some(Failure::Http(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            record.error = -1;
            return Some((status, zalo_error(-1, "injected HTTP failure")));
        }
        Some(Failure::Zalo(code)) => {
            record.error = code;
            return Some((StatusCode::OK, zalo_error(code, "injected Zalo error")));
        }
        None => {}
    }
    if !inner.token_ok(&record.access_token) {
        record.error = token_code;
        return Some((StatusCode::OK, zalo_error(token_code, "Access token is invalid or expired")));
    }
    None
}

async fn consultation(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut record = blank(Endpoint::Consultation, &headers, json.clone());
    record.recipient = str_at(&json, &["recipient", "user_id"]).unwrap_or_default();
    record.user_id = Some(record.recipient.clone()).filter(|s| !s.is_empty());
    record.text = str_at(&json, &["message", "text"]);
    if let Some(buttons) = json.pointer("/message/attachment/payload/buttons").and_then(Value::as_array) {
        record.buttons = buttons
            .iter()
            .map(|b| Button {
                title: str_at(b, &["title"]).unwrap_or_default(),
                kind: str_at(b, &["type"]).unwrap_or_default(),
                payload: str_at(b, &["payload"]).unwrap_or_default(),
            })
            .collect();
    }
    if let Some((status, reply)) = precheck(&shared, &mut record, OA_TOKEN_INVALID) {
        return finish(&shared, record, status, reply);
    }
    let closed = {
        let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
        match inner.reply_window {
            Some((window, replies)) => match inner.wrote.get_mut(&record.recipient) {
                Some((at, sent)) if at.elapsed() < window && *sent < replies => {
                    *sent += 1;
                    false
                }
                _ => true,
            },
            None => false,
        }
    };
    if closed {
        record.error = REPLY_WINDOW_CLOSED;
        let reply = zalo_error(REPLY_WINDOW_CLOSED, "User is out of the reply window of the OA");
        return finish(&shared, record, StatusCode::OK, reply);
    }
    let buttons_ok = record.buttons.iter().all(|b| !b.title.is_empty() && !b.payload.is_empty() && !b.kind.is_empty());
    if record.recipient.is_empty() || record.text.as_deref().unwrap_or_default().is_empty() || !buttons_ok {
        record.error = -201;
        return finish(&shared, record, StatusCode::OK, zalo_error(-201, "Parameters are invalid"));
    }
    let id = {
        let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
        inner.counter += 1;
        format!("cs-{}", inner.counter)
    };
    record.message_id = Some(id.clone());
    let reply = json!({ "error": 0, "message": "Success", "data": { "message_id": id, "user_id": record.recipient } });
    finish(&shared, record, StatusCode::OK, reply)
}

async fn template(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut record = blank(Endpoint::Template, &headers, json.clone());
    record.phone = str_at(&json, &["phone"]);
    record.user_id = str_at(&json, &["user_id"]);
    record.recipient = record.phone.clone().or_else(|| record.user_id.clone()).unwrap_or_default();
    record.template_id = str_at(&json, &["template_id"]);
    record.template_data = json.get("template_data").cloned();
    record.tracking_id = str_at(&json, &["tracking_id"]);
    if let Some((status, reply)) = precheck(&shared, &mut record, ZNS_TOKEN_INVALID) {
        return finish(&shared, record, status, reply);
    }
    let data_ok = record.template_data.as_ref().and_then(Value::as_object).is_some_and(|o| !o.is_empty());
    if record.phone.is_none() || record.template_id.is_none() || !data_ok {
        record.error = -201;
        let why = if record.phone.is_none() { "phone is required" } else { "Parameters are invalid" };
        return finish(&shared, record, StatusCode::OK, zalo_error(-201, why));
    }
    if let Some(why) = template_problem(&shared, &record) {
        record.error = -201;
        return finish(&shared, record, StatusCode::OK, zalo_error(-201, &why));
    }
    if let Some(phone) = &record.phone
        && !(phone.starts_with("84") && (11..=12).contains(&phone.len()) && phone.bytes().all(|b| b.is_ascii_digit()))
    {
        record.error = -108;
        return finish(&shared, record, StatusCode::OK, zalo_error(-108, "Phone number invalid"));
    }
    let (id, daily, remaining) = {
        let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
        if inner.remaining_quota == 0 {
            drop(inner);
            record.error = QUOTA_EXHAUSTED;
            let reply = zalo_error(QUOTA_EXHAUSTED, "OA has exceeded maximum quota per day");
            return finish(&shared, record, StatusCode::OK, reply);
        }
        inner.remaining_quota -= 1;
        inner.counter += 1;
        (format!("zns-{}", inner.counter), inner.daily_quota, inner.remaining_quota)
    };
    record.message_id = Some(id.clone());
    let reply = json!({
        "error": 0,
        "message": "Success",
        "data": {
            "msg_id": id,
            "sent_time": "0",
            "quota": { "dailyQuota": daily.to_string(), "remainingQuota": remaining.to_string() },
        },
    });
    finish(&shared, record, StatusCode::OK, reply)
}

/// What is wrong with a template message's id or data, when templates are registered.
fn template_problem(shared: &Shared, record: &SentMessage) -> Option<String> {
    let inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    if inner.templates.is_empty() {
        return None;
    }
    let id = record.template_id.as_deref().unwrap_or_default();
    let Some(params) = inner.templates.get(id) else { return Some(format!("template {id} is not approved")) };
    let Some(data) = record.template_data.as_ref().and_then(Value::as_object) else {
        return Some("template_data is missing".to_string());
    };
    for (name, max) in params {
        match data.get(name).and_then(Value::as_str) {
            None => return Some(format!("template_data.{name} is missing")),
            Some("") => return Some(format!("template_data.{name} is empty")),
            Some(v) if v.chars().count() > *max => return Some(format!("template_data.{name} is longer than {max}")),
            Some(_) => {}
        }
    }
    data.keys()
        .find(|k| !params.iter().any(|(p, _)| p == *k))
        .map(|k| format!("template_data.{k} is not in the template"))
}

async fn access_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut call = RefreshCall {
        refresh_token: field("refresh_token"),
        app_id: field("app_id"),
        grant_type: field("grant_type"),
        secret_key: headers.get("secret_key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string(),
        error: 0,
        issued: None,
    };
    let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
    match inner.refresh_failures.pop_front() {
        Some(Failure::Http(code)) => {
            call.error = -1;
            inner.refreshes.push(call);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, axum::Json(zalo_error(-1, "injected HTTP failure"))).into_response();
        }
        Some(Failure::Zalo(code)) => {
            call.error = code;
            inner.refreshes.push(call);
            return (StatusCode::OK, axum::Json(zalo_error(code, "injected Zalo error"))).into_response();
        }
        None => {}
    }
    let reply = if call.app_id != inner.app_id || call.secret_key != inner.app_secret {
        call.error = APP_INVALID;
        json!({ "error": APP_INVALID, "error_name": "Invalid app", "error_description": "app_id or secret_key is invalid" })
    } else if call.grant_type != "refresh_token" {
        call.error = -14001;
        json!({ "error": -14001, "error_name": "Invalid grant_type", "error_description": "grant_type is invalid" })
    } else if !inner.refresh_valid.remove(&call.refresh_token) {
        call.error = REFRESH_TOKEN_INVALID;
        let why = if inner.refresh_used.contains(&call.refresh_token) { "already used" } else { "unknown" };
        json!({
            "error": REFRESH_TOKEN_INVALID,
            "error_name": "Invalid refresh token",
            "error_description": format!("refresh token is invalid ({why})"),
        })
    } else {
        inner.refresh_used.insert(call.refresh_token.clone());
        let (access, refresh) = inner.issue();
        call.issued = Some((access.clone(), refresh.clone()));
        // Zalo sends expires_in as a string.
        json!({ "access_token": access, "refresh_token": refresh, "expires_in": inner.expires_in.to_string() })
    };
    inner.refreshes.push(call);
    drop(inner);
    (StatusCode::OK, axum::Json(reply)).into_response()
}

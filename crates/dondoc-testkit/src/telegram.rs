//! A local HTTP server speaking the Telegram Bot API wire format on loopback.
//!
//! Routes `/bot<token>/<method>` (GET and POST; parameters in the query string, a JSON
//! body or a form body, as teloxide and other clients send them) for `getMe`,
//! `sendMessage`, `answerCallbackQuery`, `getUpdates` (a real long poll) and
//! `deleteWebhook`; any other method answers 404 like Telegram does. Replies use the real
//! format: `{"ok":true,"result":...}` or `{"ok":false,"error_code":N,"description":"..."}`
//! with `"parameters":{"retry_after":N}` on 429.
//!
//! The server records what it receives, can be told to fail, to refuse chats and to
//! enforce Telegram's flood limits (1 message per second per chat, 30 per second overall).

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{FromRequest as _, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Telegram's per-chat limit: one message per second.
const PER_CHAT_PER_SECOND: usize = 1;
/// Telegram's overall limit: 30 messages per second.
const OVERALL_PER_SECOND: usize = 30;
/// Longest long poll the server accepts (Telegram's own cap is similar).
const MAX_POLL_TIMEOUT_SECS: u64 = 60;
/// The bot's name in `getMe` and in sent messages.
const BOT_FIRST_NAME: &str = "Đôn đốc";
const BOT_USERNAME: &str = "dondoc_test_bot";

/// One button of an inline keyboard as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// The label.
    pub label: String,
    /// The callback data (`None` for URL buttons and other kinds).
    pub data: Option<String>,
    /// The keyboard row (0-based).
    pub row: usize,
}

/// One `sendMessage` request as received, with the server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub chat_id: i64,
    pub text: String,
    /// `parse_mode` if the client set one.
    pub parse_mode: Option<String>,
    /// Inline keyboard buttons, row by row.
    pub buttons: Vec<Button>,
    /// When the request arrived.
    pub at: Instant,
    /// The HTTP status answered (200 when delivered).
    pub status: u16,
    /// The message id given when delivered.
    pub message_id: Option<i32>,
}

impl SentMessage {
    /// Whether the server accepted the message.
    pub fn delivered(&self) -> bool {
        self.status == 200
    }

    /// Button labels in order.
    pub fn labels(&self) -> Vec<&str> {
        self.buttons.iter().map(|b| b.label.as_str()).collect()
    }

    /// Callback data of the buttons in order (buttons without data are skipped).
    pub fn callback_data(&self) -> Vec<&str> {
        self.buttons.iter().filter_map(|b| b.data.as_deref()).collect()
    }
}

/// One accepted `answerCallbackQuery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredCallback {
    pub callback_id: String,
    pub text: Option<String>,
    pub show_alert: bool,
    pub at: Instant,
}

/// A Telegram Bot API server on 127.0.0.1; stops when dropped (the port refuses or
/// drops every later request, including on kept-alive connections).
pub struct TelegramServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    token: String,
    bot_id: i64,
    inner: Mutex<Inner>,
    /// Woken when an update is pushed, a new poll starts or the server stops.
    wake: Notify,
    stopped: AtomicBool,
}

#[derive(Default)]
struct Inner {
    forbidden: HashSet<i64>,
    added: HashSet<i64>,
    removed: HashSet<i64>,
    names: HashMap<i64, String>,
    last_message_id: HashMap<i64, i32>,
    next_update_id: u32,
    pending: VecDeque<(u32, Value)>,
    poll_generation: u64,
    sent: Vec<SentMessage>,
    /// Delivered messages: chat, callback data of their buttons, JSON.
    messages: Vec<(i64, Vec<String>, Value)>,
    failures: VecDeque<(u16, Option<u32>)>,
    enforce_limits: bool,
    next_callback: u64,
    open_callbacks: HashSet<String>,
    answered: Vec<AnsweredCallback>,
    calls: Vec<String>,
    /// Requests refused for a wrong bot token.
    unauthorized: usize,
}

impl TelegramServer {
    /// Starts a server for the bot `token` on 127.0.0.1 with a free port.
    pub async fn start(token: &str) -> TelegramServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0 for the Telegram server");
        let addr = listener.local_addr().expect("local address of the Telegram server");
        let bot_id = token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(1);
        let shared = Arc::new(Shared {
            token: token.to_string(),
            bot_id,
            inner: Mutex::new(Inner { next_update_id: 100_000_001, ..Inner::default() }),
            wake: Notify::new(),
            stopped: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/{bot}/{method}", any(handle))
            .fallback(|| async { error(404, "Not Found", None) })
            .with_state(shared.clone());
        let listener = StoppableListener { inner: listener, shared: shared.clone() };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TelegramServer { addr, shared, task }
    }

    /// The base URL to give to the client (teloxide's `Bot::set_api_url`), without a
    /// trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bot token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock()
    }

    /// Every `sendMessage` request received, delivered or refused, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.lock().sent.clone()
    }

    /// The `sendMessage` requests that were delivered (status 200).
    pub fn delivered(&self) -> Vec<SentMessage> {
        self.lock().sent.iter().filter(|m| m.delivered()).cloned().collect()
    }

    /// The next `n` `sendMessage` requests answer `status` (with `retry_after` seconds in
    /// the `parameters` when given; use 429 for flood control).
    pub fn fail_next(&self, n: usize, status: u16, retry_after: impl Into<Option<u32>>) {
        let retry_after = retry_after.into();
        self.lock().failures.extend(std::iter::repeat_n((status, retry_after), n));
    }

    /// `sendMessage` to `chat_id` answers 403 "Forbidden: bot was blocked by the user".
    pub fn forbid_chat(&self, chat_id: i64) {
        self.lock().forbidden.insert(chat_id);
    }

    /// Makes `chat_id` known (chats with id > 0 are known by default; use this for groups).
    pub fn add_chat(&self, chat_id: i64) {
        let mut inner = self.lock();
        inner.removed.remove(&chat_id);
        inner.added.insert(chat_id);
    }

    /// Makes `chat_id` unknown: `sendMessage` answers 400 "Bad Request: chat not found".
    pub fn remove_chat(&self, chat_id: i64) {
        let mut inner = self.lock();
        inner.added.remove(&chat_id);
        inner.removed.insert(chat_id);
    }

    /// Sets the first name of the user of a private chat (the group title for groups).
    pub fn set_name(&self, chat_id: i64, name: &str) {
        self.lock().names.insert(chat_id, name.to_string());
    }

    /// Switches enforcement of Telegram's limits (1 message/s per chat, 30/s overall):
    /// when on, `sendMessage` beyond them answers 429 with `retry_after` 1.
    pub fn enforce_limits(&self, on: bool) {
        self.lock().enforce_limits = on;
    }

    /// Queues a text message from the user of `chat_id`; returns its update id.
    pub fn push_text(&self, chat_id: i64, text: &str) -> u32 {
        let mut inner = self.lock();
        let message = inner.user_message(chat_id, text);
        let id = inner.push_update("message", message);
        drop(inner);
        self.shared.wake.notify_waiters();
        id
    }

    /// Queues a press on a button with callback `data` by the user of `chat_id`; returns
    /// the callback query id. The query refers to the last delivered message to the chat
    /// that carries a button with this data (or to an inaccessible message).
    pub fn push_callback(&self, chat_id: i64, data: &str) -> String {
        let user = self.lock().user_id(chat_id);
        self.push_callback_by(chat_id, user, data)
    }

    /// [`TelegramServer::push_callback`] pressed by the user `user_id` (in a group, anyone
    /// who sees the message can press its buttons).
    pub fn push_callback_by(&self, chat_id: i64, user_id: i64, data: &str) -> String {
        let mut inner = self.lock();
        inner.next_callback += 1;
        let callback_id = format!("{}", 4_000_000_000_000_000_000u64 + inner.next_callback);
        let message = inner
            .messages
            .iter()
            .rev()
            .find(|(chat, datas, _)| *chat == chat_id && datas.iter().any(|d| d == data))
            .map(|(_, _, m)| m.clone())
            .unwrap_or_else(|| json!({"chat": inner.chat_json(chat_id), "message_id": 1, "date": 0}));
        let query = json!({
            "id": callback_id,
            "from": {"id": user_id, "is_bot": false, "first_name": inner.name(user_id), "language_code": "vi"},
            "message": message,
            "chat_instance": format!("{}", chat_id.wrapping_mul(7919).wrapping_abs()),
            "data": data,
        });
        inner.open_callbacks.insert(callback_id.clone());
        inner.push_update("callback_query", query);
        drop(inner);
        self.shared.wake.notify_waiters();
        callback_id
    }

    /// Accepted `answerCallbackQuery` requests, in order.
    pub fn answered_callbacks(&self) -> Vec<AnsweredCallback> {
        self.lock().answered.clone()
    }

    /// Updates pushed and not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.lock().pending.len()
    }

    /// How many requests were refused for a wrong bot token (401 Unauthorized).
    pub fn unauthorized_calls(&self) -> usize {
        self.lock().unauthorized
    }

    /// How many requests named `method` (case-insensitive) were received.
    pub fn calls(&self, method: &str) -> usize {
        self.lock().calls.iter().filter(|m| m.eq_ignore_ascii_case(method)).count()
    }

    /// The most `sendMessage` requests received within any one second (sliding window,
    /// refused requests included: it measures how fast the client sends).
    pub fn max_in_any_second(&self) -> usize {
        let times: Vec<Instant> = self.lock().sent.iter().map(|m| m.at).collect();
        max_in_window(&times)
    }

    /// The most `sendMessage` requests to one chat within any one second.
    pub fn max_per_chat_in_any_second(&self) -> usize {
        let mut by_chat: HashMap<i64, Vec<Instant>> = HashMap::new();
        for m in self.lock().sent.iter() {
            by_chat.entry(m.chat_id).or_default().push(m.at);
        }
        by_chat.values().map(|t| max_in_window(t)).max().unwrap_or(0)
    }
}

impl Drop for TelegramServer {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.wake.notify_waiters();
        self.task.abort();
    }
}

/// The largest number of instants within a half-open window of one second.
fn max_in_window(times: &[Instant]) -> usize {
    let mut times = times.to_vec();
    times.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the records from the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Inner {
    fn chat_exists(&self, chat_id: i64) -> bool {
        !self.removed.contains(&chat_id) && (chat_id > 0 || self.added.contains(&chat_id))
    }

    fn name(&self, chat_id: i64) -> String {
        self.names.get(&chat_id).cloned().unwrap_or_else(|| format!("Người dùng {chat_id}"))
    }

    fn chat_json(&self, chat_id: i64) -> Value {
        if chat_id > 0 {
            json!({"id": chat_id, "first_name": self.name(chat_id), "type": "private"})
        } else {
            let kind = if chat_id < -1_000_000_000_000 { "supergroup" } else { "group" };
            json!({"id": chat_id, "title": self.name(chat_id), "type": kind})
        }
    }

    /// The user behind a chat: the chat's own id for private chats.
    fn user_json(&self, chat_id: i64) -> Value {
        json!({"id": self.user_id(chat_id), "is_bot": false, "first_name": self.name(chat_id), "language_code": "vi"})
    }

    /// The user who writes in a chat: the chat's own id for private chats.
    fn user_id(&self, chat_id: i64) -> i64 {
        if chat_id > 0 { chat_id } else { 1_000_000 + chat_id.unsigned_abs() as i64 % 1_000_000 }
    }

    fn next_message_id(&mut self, chat_id: i64) -> i32 {
        let id = self.last_message_id.entry(chat_id).or_insert(0);
        *id += 1;
        *id
    }

    fn user_message(&mut self, chat_id: i64, text: &str) -> Value {
        let message_id = self.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": self.user_json(chat_id),
            "chat": self.chat_json(chat_id),
            "date": unix_now(),
            "text": text,
        });
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or(text);
            let length = command.encode_utf16().count();
            message["entities"] = json!([{"offset": 0, "length": length, "type": "bot_command"}]);
        }
        message
    }

    fn push_update(&mut self, kind: &str, payload: Value) -> u32 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut update = Map::new();
        update.insert("update_id".into(), json!(id));
        update.insert(kind.into(), payload);
        self.pending.push_back((id, Value::Object(update)));
        id
    }

    /// Drops the updates a `getUpdates` offset confirms.
    fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.pending.retain(|(id, _)| i64::from(*id) >= offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.pending.len() > keep {
                self.pending.pop_front();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    if bot != format!("bot{}", shared.token) {
        shared.lock().unauthorized += 1;
        return if bot.starts_with("bot") { error(401, "Unauthorized", None) } else { error(404, "Not Found", None) };
    }
    let params = match params(req).await {
        Ok(p) => p,
        Err(description) => return error(400, &description, None),
    };
    shared.lock().calls.push(method.clone());
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(json!({
            "id": shared.bot_id,
            "is_bot": true,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": false,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "sendmessage" => send_message(&shared, &params),
        "answercallbackquery" => answer_callback_query(&shared, &params),
        "getupdates" => get_updates(&shared, &params).await,
        "deletewebhook" => (
            StatusCode::OK,
            axum::Json(json!({"ok": true, "result": true, "description": "Webhook is already deleted"})),
        )
            .into_response(),
        _ => error(404, "Not Found", None),
    }
}

/// Parameters from the query string and a JSON or form body (the body wins).
async fn params(req: Request) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let query: Query<Vec<(String, String)>> =
        Query::try_from_uri(req.uri()).map_err(|e| format!("Bad Request: invalid query string: {e}"))?;
    for (k, v) in query.0 {
        out.insert(k, Value::String(v));
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let bytes = to_bytes(req.into_body(), 1 << 20).await.map_err(|e| format!("Bad Request: {e}"))?;
        if !bytes.is_empty() {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => out.extend(map),
                Ok(_) | Err(_) => return Err("Bad Request: can't parse JSON object".to_string()),
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(form): axum::Form<Vec<(String, String)>> =
            axum::Form::from_request(req, &()).await.map_err(|e| format!("Bad Request: {e}"))?;
        for (k, v) in form {
            out.insert(k, Value::String(v));
        }
    } else if content_type.starts_with("multipart/") {
        return Err("Bad Request: multipart bodies are not supported by the test server".to_string());
    }
    Ok(out)
}

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({"ok": true, "result": result}))).into_response()
}

fn error(status: u16, description: &str, retry_after: Option<u32>) -> Response {
    let mut body = json!({"ok": false, "error_code": status, "description": description});
    if let Some(seconds) = retry_after {
        body["parameters"] = json!({"retry_after": seconds});
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

fn description_for(status: u16, retry_after: Option<u32>) -> String {
    match status {
        400 => "Bad Request".to_string(),
        401 => "Unauthorized".to_string(),
        403 => "Forbidden: bot was blocked by the user".to_string(),
        404 => "Not Found".to_string(),
        409 => "Conflict".to_string(),
        429 => format!("Too Many Requests: retry after {}", retry_after.unwrap_or(1)),
        500 => "Internal Server Error".to_string(),
        502 => "Bad Gateway".to_string(),
        503 => "Service Unavailable".to_string(),
        504 => "Gateway Timeout".to_string(),
        _ => format!("Error {status}"),
    }
}

fn param_i64(params: &Map<String, Value>, key: &str) -> Option<Result<i64, ()>> {
    params.get(key).map(|v| match v {
        Value::Number(n) => n.as_i64().ok_or(()),
        Value::String(s) => s.trim().parse().map_err(|_| ()),
        _ => Err(()),
    })
}

fn param_str(params: &Map<String, Value>, key: &str) -> Option<String> {
    params.get(key).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    })
}

fn param_bool(params: &Map<String, Value>, key: &str) -> bool {
    match params.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

/// An object parameter: JSON in a JSON body, a JSON-encoded string in a query or form.
fn param_json(params: &Map<String, Value>, key: &str) -> Option<Result<Value, ()>> {
    params.get(key).map(|v| match v {
        Value::String(s) => serde_json::from_str(s).map_err(|_| ()),
        other => Ok(other.clone()),
    })
}

/// The buttons of an inline keyboard; `Err` when the markup is malformed.
fn inline_buttons(markup: &Value) -> Result<Vec<Button>, ()> {
    let Some(rows) = markup.get("inline_keyboard") else {
        // Reply keyboards and other markups carry no inline buttons.
        return if markup.is_object() { Ok(Vec::new()) } else { Err(()) };
    };
    let mut buttons = Vec::new();
    for (row, items) in rows.as_array().ok_or(())?.iter().enumerate() {
        for item in items.as_array().ok_or(())? {
            let label = item.get("text").and_then(Value::as_str).ok_or(())?;
            let data = match item.get("callback_data") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(()),
            };
            buttons.push(Button { label: label.to_string(), data, row });
        }
    }
    Ok(buttons)
}

fn send_message(shared: &Shared, params: &Map<String, Value>) -> Response {
    let chat_id = match param_i64(params, "chat_id") {
        None => return error(400, "Bad Request: chat_id is empty", None),
        Some(Err(())) => return error(400, "Bad Request: chat not found", None),
        Some(Ok(id)) => id,
    };
    let text = param_str(params, "text").unwrap_or_default();
    let parse_mode = param_str(params, "parse_mode");
    let markup = match param_json(params, "reply_markup") {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(())) => return error(400, "Bad Request: can't parse reply keyboard markup JSON object", None),
    };
    let buttons = match markup.as_ref().map(inline_buttons).transpose() {
        Ok(b) => b.unwrap_or_default(),
        Err(()) => return error(400, "Bad Request: can't parse inline keyboard button", None),
    };

    let now = Instant::now();
    let mut inner = shared.lock();
    let refusal: Option<(u16, String, Option<u32>)> = if let Some((status, retry)) = inner.failures.pop_front() {
        Some((status, description_for(status, retry), retry))
    } else if text.trim().is_empty() {
        Some((400, "Bad Request: message text is empty".into(), None))
    } else if text.chars().count() > 4096 {
        Some((400, "Bad Request: message is too long".into(), None))
    } else if buttons.iter().any(|b| b.data.as_ref().is_some_and(|d| d.is_empty() || d.len() > 64)) {
        Some((400, "Bad Request: BUTTON_DATA_INVALID".into(), None))
    } else if !inner.chat_exists(chat_id) {
        Some((400, "Bad Request: chat not found".into(), None))
    } else if inner.forbidden.contains(&chat_id) {
        Some((403, "Forbidden: bot was blocked by the user".into(), None))
    } else if inner.enforce_limits && over_limits(&inner, chat_id, now) {
        Some((429, description_for(429, Some(1)), Some(1)))
    } else {
        None
    };
    let mut record = SentMessage {
        chat_id,
        text: text.clone(),
        parse_mode,
        buttons: buttons.clone(),
        at: now,
        status: 200,
        message_id: None,
    };
    if let Some((status, description, retry)) = refusal {
        record.status = status;
        inner.sent.push(record);
        return error(status, &description, retry);
    }
    let message_id = inner.next_message_id(chat_id);
    record.message_id = Some(message_id);
    let mut message = json!({
        "message_id": message_id,
        "from": {"id": shared.bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME},
        "chat": inner.chat_json(chat_id),
        "date": unix_now(),
        "text": text,
    });
    if let Some(markup) = markup.filter(|m| m.get("inline_keyboard").is_some()) {
        message["reply_markup"] = markup;
    }
    let datas = buttons.into_iter().filter_map(|b| b.data).collect();
    inner.messages.push((chat_id, datas, message.clone()));
    inner.sent.push(record);
    ok(message)
}

/// Whether one more message to `chat_id` now exceeds Telegram's limits.
fn over_limits(inner: &Inner, chat_id: i64, now: Instant) -> bool {
    let recent = |m: &&SentMessage| m.delivered() && now.duration_since(m.at) < Duration::from_secs(1);
    let overall = inner.sent.iter().filter(recent).count();
    let chat = inner.sent.iter().filter(recent).filter(|m| m.chat_id == chat_id).count();
    overall >= OVERALL_PER_SECOND || chat >= PER_CHAT_PER_SECOND
}

fn answer_callback_query(shared: &Shared, params: &Map<String, Value>) -> Response {
    let Some(callback_id) = param_str(params, "callback_query_id") else {
        return error(400, "Bad Request: query_id is empty", None);
    };
    let mut inner = shared.lock();
    if !inner.open_callbacks.remove(&callback_id) {
        return error(400, "Bad Request: query is too old and response timeout expired or query id is invalid", None);
    }
    inner.answered.push(AnsweredCallback {
        callback_id,
        text: param_str(params, "text"),
        show_alert: param_bool(params, "show_alert"),
        at: Instant::now(),
    });
    ok(json!(true))
}

/// A long poll: confirms updates below `offset`, then answers the updates from `offset`
/// on as soon as there are any, or an empty list after `timeout` seconds. A newer
/// `getUpdates` ends an older one with 409, like Telegram.
async fn get_updates(shared: &Shared, params: &Map<String, Value>) -> Response {
    let offset = match param_i64(params, "offset") {
        None => 0,
        Some(Ok(o)) => o,
        Some(Err(())) => return error(400, "Bad Request: invalid offset", None),
    };
    let limit = match param_i64(params, "limit") {
        None => 100,
        Some(Ok(l)) => l.clamp(1, 100) as usize,
        Some(Err(())) => return error(400, "Bad Request: invalid limit", None),
    };
    let timeout = match param_i64(params, "timeout") {
        None => 0,
        Some(Ok(t)) => t.clamp(0, MAX_POLL_TIMEOUT_SECS as i64) as u64,
        Some(Err(())) => return error(400, "Bad Request: invalid timeout", None),
    };
    let generation = {
        let mut inner = shared.lock();
        inner.confirm(offset);
        inner.poll_generation += 1;
        inner.poll_generation
    };
    shared.wake.notify_waiters();
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let inner = shared.lock();
            if shared.stopped.load(Ordering::SeqCst) {
                return error(500, "Internal Server Error", None);
            }
            if inner.poll_generation != generation {
                return error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    None,
                );
            }
            let batch: Vec<Value> = inner
                .pending
                .iter()
                .filter(|(id, _)| offset <= 0 || i64::from(*id) >= offset)
                .take(limit)
                .map(|(_, u)| u.clone())
                .collect();
            if !batch.is_empty() || Instant::now() >= deadline {
                return ok(Value::Array(batch));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// A listener whose connections die when the server stops

struct StoppableListener {
    inner: TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for StoppableListener {
    type Io = StoppableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (StoppableStream { inner: stream, shared: self.shared.clone() }, addr);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails every read and write once the server has stopped, so that
/// kept-alive connections do not outlive it.
struct StoppableStream {
    inner: TcpStream,
    shared: Arc<Shared>,
}

impl StoppableStream {
    fn check(&self) -> io::Result<()> {
        if self.shared.stopped.load(Ordering::SeqCst) {
            Err(io::Error::new(io::ErrorKind::ConnectionAborted, "Telegram test server stopped"))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for StoppableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StoppableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const TOKEN: &str = "42:secret";

    /// One HTTP/1.1 exchange over a fresh TCP connection; returns the status and JSON body.
    async fn exchange(server: &TelegramServer, request: String) -> (u16, Value) {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(body).unwrap())
    }

    fn form_encode(value: &str) -> String {
        value
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    }

    #[tokio::test]
    async fn form_and_query_parameters_are_understood() {
        let server = TelegramServer::start(TOKEN).await;
        let markup = r#"{"inline_keyboard":[[{"text":"Đã nhận","callback_data":"ack:1"}]]}"#;
        let body = format!("chat_id=7&text={}&reply_markup={}", form_encode("Chào anh"), form_encode(markup));
        let request = format!(
            "POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, json) = exchange(&server, request).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(json["result"]["chat"]["id"], 7);
        assert_eq!(json["result"]["reply_markup"]["inline_keyboard"][0][0]["text"], "Đã nhận");
        let sent = server.delivered();
        assert_eq!((sent[0].text.as_str(), sent[0].callback_data()), ("Chào anh", vec!["ack:1"]));

        let request = format!("GET /bot{TOKEN}/getMe?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, json) = exchange(&server, request).await;
        assert_eq!((status, json["result"]["id"].as_i64()), (200, Some(42)));

        let request = format!("GET /bot{TOKEN}/getChat?chat_id=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, json) = exchange(&server, request).await;
        assert_eq!((status, json["ok"].as_bool(), json["error_code"].as_i64()), (404, Some(false), Some(404)));

        server.fail_next(1, 429, 3);
        let request =
            format!("GET /bot{TOKEN}/sendMessage?chat_id=7&text=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, json) = exchange(&server, request).await;
        assert_eq!((status, json["parameters"]["retry_after"].as_i64()), (429, Some(3)));
    }

    #[tokio::test]
    async fn get_updates_long_polls_and_confirms_by_offset() {
        let server = TelegramServer::start(TOKEN).await;
        let poll = |offset: i64, timeout: u64| {
            format!(
                "GET /bot{TOKEN}/getUpdates?offset={offset}&timeout={timeout} HTTP/1.1\r\nHost: x\r\n\
                 Connection: close\r\n\r\n"
            )
        };
        let started = Instant::now();
        let (_, json) = exchange(&server, poll(0, 1)).await;
        assert_eq!(json["result"], json!([]));
        assert!(started.elapsed() >= Duration::from_millis(900), "waited for the timeout");

        let id = server.push_text(7, "/start abc");
        let (_, json) = exchange(&server, poll(0, 5)).await;
        assert_eq!(json["result"][0]["update_id"], id);
        assert_eq!(json["result"][0]["message"]["entities"][0]["type"], "bot_command");
        assert_eq!(server.pending_updates(), 1, "not confirmed yet");

        let (_, json) = exchange(&server, poll(i64::from(id) + 1, 0)).await;
        assert_eq!(json["result"], json!([]));
        assert_eq!(server.pending_updates(), 0);
    }

    #[test]
    fn window_counts_half_open_seconds() {
        let t = Instant::now();
        let s = |ms| t + Duration::from_millis(ms);
        assert_eq!(max_in_window(&[]), 0);
        assert_eq!(max_in_window(&[s(0), s(999), s(1000), s(1500)]), 3);
        assert_eq!(max_in_window(&[s(0), s(1000), s(2000)]), 1);
    }
}

//! Zalo Official Account channel.
//!
//! Zalo has two kinds of message, addressed differently ([`ZaloAddress`]):
//! - a consultation message ("tin tư vấn", `POST /v3.0/oa/message/cs`) to the officer's
//!   user id, allowed as a reply only: for `reply_window_hours` (48) after the officer's
//!   last message to the OA, at most `reply_window_messages` (8) of them (Zalo's OA rules);
//! - a ZNS template message (`POST /message/template`) to the officer's phone number
//!   ("84…"), with the approved template of the message's kind (reminder, weekly summary,
//!   daily digest) and its parameters cut to the template's limits (30 characters by
//!   default). A kind without a template is never sent as one: it goes to the next channel.
//!
//! [`ZaloMode`] can force one of the two. The access token comes from the token file and
//! is refreshed as described in [`token`].
//!
//! Error mapping:
//! - network errors, HTTP 5xx and 408, Zalo `-100` ("unknown error, try again later"):
//!   [`SendError::Transient`];
//! - HTTP 429 and the codes in [`RATE_LIMIT_CODES`]: [`SendError::RateLimited`];
//! - the codes in [`TOKEN_INVALID_CODES`]: refresh once (single-flight) and send once more;
//! - faults of the channel, for every recipient ([`SendError::Channel`]): no token file, a
//!   refresh token Zalo refuses, a token refused even after a refresh, no reminder template
//!   configured, the daily template quota exhausted (it only comes back at midnight,
//!   Vietnam time);
//! - any other `error != 0` (the recipient or the message): [`SendError::Permanent`] with
//!   Zalo's message.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use dondoc_core::event::Channel;
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Receipt, SendError, Sender};
use crate::message::{Message, MessageKind};

pub mod token;
pub mod webhook;

pub use dondoc_core::contact::ZaloAddress;
pub use token::{TokenPair, load_token_file, save_token_file};
pub use webhook::{WebhookEvent, parse_webhook, verify_signature};

/// Codes meaning "this access token is invalid or expired": `-216` (OA API "Access token is
/// invalid") and `-124` (ZNS "Access token invalid"). The sender refreshes and tries once more.
pub const TOKEN_INVALID_CODES: [i64; 2] = [-216, -124];
/// Codes meaning "too many requests": `-32` (OA API "exceeded the request rate limit").
pub const RATE_LIMIT_CODES: [i64; 1] = [-32];
/// Codes meaning "the OA's daily template quota is used up": `-144`.
pub const QUOTA_EXHAUSTED_CODES: [i64; 1] = [-144];
/// Codes Zalo documents as "try again later": `-100` (unknown error).
pub const TRANSIENT_CODES: [i64; 1] = [-100];

/// How long to wait after a rate-limit error code (the reply carries no hint).
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(10);
/// Whole-request timeout of every Zalo call.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Zalo's daily quotas follow Vietnam's calendar day (UTC+7, no daylight saving).
const VIETNAM_OFFSET_SECS: i32 = 7 * 3600;

use crate::Clock;
/// The last time a Zalo user id interacted with the OA (from the webhook), if known.
pub type Interactions = Arc<dyn Fn(&str) -> Option<DateTime<Utc>> + Send + Sync>;

/// Errors of the Zalo channel outside a send: token file, refresh, webhook bodies.
#[derive(Debug, thiserror::Error)]
pub enum ZaloError {
    #[error("không đọc được tệp token Zalo {path}: {source}")]
    TokenRead { path: PathBuf, source: std::io::Error },
    #[error("tệp token Zalo {path} không hợp lệ: {source}")]
    TokenParse { path: PathBuf, source: serde_json::Error },
    #[error("không ghi được tệp token Zalo {path}: {source}")]
    TokenWrite { path: PathBuf, source: std::io::Error },
    #[error("Zalo từ chối làm mới token (mã {code}: {message}); cần cấp quyền lại cho OA")]
    RefreshRefused { code: i64, message: String },
    #[error("không làm mới được token Zalo: {0}")]
    RefreshTransport(String),
    #[error("không tạo được HTTP client: {0}")]
    Client(String),
    #[error("webhook Zalo không hợp lệ: {0}")]
    Webhook(String),
}

impl From<ZaloError> for SendError {
    fn from(e: ZaloError) -> Self {
        match &e {
            ZaloError::TokenRead { source, .. } if source.kind() != std::io::ErrorKind::NotFound => {
                SendError::Transient(e.to_string())
            }
            ZaloError::TokenWrite { .. } | ZaloError::RefreshTransport(_) => SendError::Transient(e.to_string()),
            ZaloError::Webhook(_) => SendError::Permanent(e.to_string()),
            // No token file, an unreadable one, a refused refresh token, no HTTP client: the
            // channel cannot send to anyone until an administrator fixes it.
            ZaloError::TokenRead { .. }
            | ZaloError::TokenParse { .. }
            | ZaloError::RefreshRefused { .. }
            | ZaloError::Client(_) => SendError::Channel(e.to_string()),
        }
    }
}

/// Which kind of message to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZaloMode {
    /// Consultation message inside the interaction window, template message otherwise.
    #[default]
    Auto,
    /// Always a consultation message (needs a user id; Zalo refuses outside its window).
    Consultation,
    /// Always a ZNS template message.
    Template,
}

/// Configuration of the Zalo channel. URLs and limits are configurable so an operator can
/// correct them without a release.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZaloConfig {
    /// OA API base (`{oa_api_url}/v3.0/oa/message/cs`).
    #[serde(default = "default_oa_api_url")]
    pub oa_api_url: String,
    /// ZNS API base (`{zns_api_url}/message/template`).
    #[serde(default = "default_zns_api_url")]
    pub zns_api_url: String,
    /// OAuth base (`{oauth_url}/v4/oa/access_token`).
    #[serde(default = "default_oauth_url")]
    pub oauth_url: String,
    pub app_id: String,
    /// The app secret (`secret_key` header of the refresh); resolved by the binary.
    #[serde(default)]
    pub app_secret: String,
    #[serde(default)]
    pub oa_id: String,
    /// The OA secret key used in webhook signatures; resolved by the binary.
    #[serde(default)]
    pub oa_secret_key: String,
    /// The token file: `{access_token, refresh_token, expires_at}`.
    pub token_file: PathBuf,
    /// The approved ZNS template for reminders.
    #[serde(default)]
    pub template_id: Option<String>,
    /// The approved ZNS template for the weekly summary (without one, leaders outside the
    /// reply window get it on their next channel).
    #[serde(default)]
    pub summary_template_id: Option<String>,
    /// The approved ZNS template for the daily digest (likewise).
    #[serde(default)]
    pub digest_template_id: Option<String>,
    #[serde(default)]
    pub mode: ZaloMode,
    /// Hours after an officer's last message during which the OA may reply (Zalo: 48).
    #[serde(default = "default_reply_window_hours")]
    pub reply_window_hours: u32,
    /// Replies the OA may send within that window (Zalo: 8).
    #[serde(default = "default_reply_window_messages")]
    pub reply_window_messages: u32,
    #[serde(default = "default_rps")]
    pub requests_per_second: u32,
    /// Template messages allowed per day (Vietnam time), counted locally; `None`: only Zalo's.
    #[serde(default)]
    pub daily_template_quota: Option<u32>,
    /// The longest template parameter value, in characters (Zalo's templates: usually 30);
    /// a longer value is cut and ends with "…".
    #[serde(default = "default_param_max_chars")]
    pub param_max_chars: usize,
    /// Limits of particular parameters, by name, where a template allows more or less.
    #[serde(default)]
    pub param_limits: BTreeMap<String, usize>,
}

fn default_oa_api_url() -> String {
    "https://openapi.zalo.me".to_string()
}
fn default_zns_api_url() -> String {
    "https://business.openapi.zalo.me".to_string()
}
fn default_oauth_url() -> String {
    "https://oauth.zaloapp.com".to_string()
}
fn default_reply_window_hours() -> u32 {
    48
}
fn default_reply_window_messages() -> u32 {
    8
}
fn default_param_max_chars() -> usize {
    30
}
fn default_rps() -> u32 {
    20
}

impl ZaloConfig {
    /// A configuration with the documented defaults.
    pub fn new(app_id: impl Into<String>, token_file: impl Into<PathBuf>) -> Self {
        ZaloConfig {
            oa_api_url: default_oa_api_url(),
            zns_api_url: default_zns_api_url(),
            oauth_url: default_oauth_url(),
            app_id: app_id.into(),
            app_secret: String::new(),
            oa_id: String::new(),
            oa_secret_key: String::new(),
            token_file: token_file.into(),
            template_id: None,
            summary_template_id: None,
            digest_template_id: None,
            mode: ZaloMode::Auto,
            reply_window_hours: default_reply_window_hours(),
            reply_window_messages: default_reply_window_messages(),
            requests_per_second: default_rps(),
            daily_template_quota: None,
            param_max_chars: default_param_max_chars(),
            param_limits: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for ZaloConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloConfig")
            .field("oa_api_url", &self.oa_api_url)
            .field("zns_api_url", &self.zns_api_url)
            .field("oauth_url", &self.oauth_url)
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("oa_id", &self.oa_id)
            .field("oa_secret_key", &"<redacted>")
            .field("token_file", &self.token_file)
            .field("template_id", &self.template_id)
            .field("summary_template_id", &self.summary_template_id)
            .field("digest_template_id", &self.digest_template_id)
            .field("mode", &self.mode)
            .field("reply_window_hours", &self.reply_window_hours)
            .field("reply_window_messages", &self.reply_window_messages)
            .field("requests_per_second", &self.requests_per_second)
            .field("daily_template_quota", &self.daily_template_quota)
            .field("param_max_chars", &self.param_max_chars)
            .field("param_limits", &self.param_limits)
            .finish()
    }
}

/// Whether an address is a phone number in international form (`84` + 9 or 10 digits).
pub fn is_phone_address(address: &str) -> bool {
    dondoc_core::contact::is_phone(address)
}

enum Route {
    Consultation { user_id: String },
    Template { phone: String, template_id: String },
}

/// Replies sent to a user since their last message: the window's start and the count.
#[derive(Default)]
struct Replies(Mutex<std::collections::HashMap<String, (DateTime<Utc>, u32)>>);

/// Template messages sent today, and what Zalo last said remains.
struct QuotaDay {
    day: NaiveDate,
    reserved: u32,
    remaining: Option<u64>,
}

/// Why one HTTP call failed.
enum CallError {
    TokenInvalid(String),
    QuotaExhausted(String),
    Send(SendError),
}

impl From<SendError> for CallError {
    fn from(e: SendError) -> Self {
        CallError::Send(e)
    }
}

/// Sends messages through a Zalo Official Account.
pub struct ZaloSender {
    config: ZaloConfig,
    http: reqwest::Client,
    tokens: token::TokenStore,
    limiter: DefaultDirectRateLimiter,
    interactions: Interactions,
    clock: Clock,
    quota: Mutex<QuotaDay>,
    replies: Replies,
}

impl ZaloSender {
    /// Builds the sender. `interactions` gives a user's last interaction with the OA,
    /// `clock` the current time. Nothing is read or sent until the first message.
    pub fn new(config: ZaloConfig, interactions: Interactions, clock: Clock) -> Result<Self, ZaloError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ZaloError::Client(e.to_string()))?;
        let endpoint = token::RefreshEndpoint {
            url: format!("{}/v4/oa/access_token", config.oauth_url.trim_end_matches('/')),
            app_id: config.app_id.clone(),
            app_secret: config.app_secret.clone(),
        };
        let tokens = token::TokenStore::new(config.token_file.clone(), http.clone(), endpoint, clock.clone());
        let rps = NonZeroU32::new(config.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rps));
        let today = vietnam_day(clock());
        Ok(ZaloSender {
            config,
            http,
            tokens,
            limiter,
            interactions,
            clock,
            quota: Mutex::new(QuotaDay { day: today, reserved: 0, remaining: None }),
            replies: Replies::default(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ZaloConfig {
        &self.config
    }

    /// Takes one reply from `user_id`'s window, if the window is open and not used up.
    fn take_reply(&self, user_id: &str) -> bool {
        let Some(last) = (self.interactions)(user_id) else { return false };
        let now = (self.clock)();
        if now.signed_duration_since(last) >= TimeDelta::hours(i64::from(self.config.reply_window_hours)) {
            return false;
        }
        let mut replies = self.replies.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = replies.entry(user_id.to_string()).or_insert((last, 0));
        if entry.0 != last {
            *entry = (last, 0);
        }
        if entry.1 >= self.config.reply_window_messages {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// Gives back a reply taken for a message that was not sent.
    fn return_reply(&self, user_id: &str) {
        let mut replies = self.replies.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = replies.get_mut(user_id) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// The approved template of a message's kind; without one, a reminder is a fault of
    /// the configuration and a summary or digest goes to the next channel.
    fn template_for(&self, kind: MessageKind) -> Result<String, SendError> {
        let (id, what) = match kind {
            MessageKind::Reminder => (&self.config.template_id, "nhắc việc (template_id)"),
            MessageKind::WeeklySummary => (&self.config.summary_template_id, "báo cáo tuần (summary_template_id)"),
            MessageKind::DailyDigest => (&self.config.digest_template_id, "tổng hợp hằng ngày (digest_template_id)"),
            MessageKind::DeliveryReport => {
                return Err(SendError::Permanent(
                    "báo cáo tình hình gửi nhắc việc không có mẫu ZNS: gửi qua kênh khác".into(),
                ));
            }
            MessageKind::ChatReply => {
                return Err(SendError::Permanent("câu trả lời trong trò chuyện chỉ gửi trong thời hạn trả lời".into()));
            }
        };
        match id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Ok(t.to_string()),
            None if kind == MessageKind::Reminder => {
                Err(SendError::Channel(format!("chưa cấu hình mẫu ZNS cho {what}")))
            }
            None => Err(SendError::Permanent(format!("chưa có mẫu ZNS cho {what}: gửi qua kênh khác"))),
        }
    }

    fn route(&self, message: &Message) -> Result<Route, SendError> {
        let address = message.address.trim();
        if address.is_empty() || address.chars().any(char::is_whitespace) {
            return Err(SendError::Permanent(format!("địa chỉ Zalo không hợp lệ: {:?}", message.address)));
        }
        let ZaloAddress { user_id, phone } = ZaloAddress::parse(address);
        let template = |phone: Option<String>| -> Result<Route, SendError> {
            let phone = phone.ok_or_else(|| {
                SendError::Permanent("không có số điện thoại để gửi tin mẫu ZNS (ngoài thời hạn trả lời)".into())
            })?;
            if message.params.is_empty() {
                return Err(SendError::Permanent("tin không có tham số cho mẫu ZNS".into()));
            }
            Ok(Route::Template { phone, template_id: self.template_for(message.kind)? })
        };
        match self.config.mode {
            ZaloMode::Template => template(phone),
            ZaloMode::Consultation => match user_id {
                Some(uid) if self.take_reply(&uid) => Ok(Route::Consultation { user_id: uid }),
                Some(_) => Err(SendError::Permanent(format!(
                    "ngoài thời hạn trả lời của Zalo ({} giờ, tối đa {} tin sau tin nhắn cuối của người nhận)",
                    self.config.reply_window_hours, self.config.reply_window_messages
                ))),
                None => Err(SendError::Permanent(format!("tin tư vấn Zalo cần user id, không có cho {address}"))),
            },
            ZaloMode::Auto => match user_id {
                Some(uid) if self.take_reply(&uid) => Ok(Route::Consultation { user_id: uid }),
                _ => template(phone),
            },
        }
    }

    async fn send_message(&self, message: &Message) -> Result<Receipt, SendError> {
        match self.route(message)? {
            Route::Consultation { user_id } => {
                let url = format!("{}/v3.0/oa/message/cs", self.config.oa_api_url.trim_end_matches('/'));
                let body = consultation_body(&user_id, message);
                let reply = match self.call(&url, &body).await {
                    Ok(r) => r,
                    Err(e) => {
                        self.return_reply(&user_id);
                        return Err(self.settle_error(e, false));
                    }
                };
                let id =
                    text_field(&reply, &["data", "message_id"]).or_else(|| text_field(&reply, &["data", "msg_id"]));
                Ok(Receipt { provider_id: id, via: Some("cs".to_string()) })
            }
            Route::Template { phone, template_id } => {
                let url = format!("{}/message/template", self.config.zns_api_url.trim_end_matches('/'));
                let params = self.bounded(&message.params);
                let body = template_body(&phone, &template_id, &params, &message.idempotency_key);
                self.reserve_quota()?;
                let reply = match self.call(&url, &body).await {
                    Ok(r) => r,
                    Err(e) => return Err(self.settle_error(e, true)),
                };
                self.record_quota(&reply);
                let id = text_field(&reply, &["data", "msg_id"]);
                Ok(Receipt { provider_id: id, via: Some("zns".to_string()) })
            }
        }
    }

    /// Template parameters cut to their limits ([`ZaloConfig::param_limits`], else
    /// [`ZaloConfig::param_max_chars`]), a cut value ending with "…".
    fn bounded(&self, params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        params
            .iter()
            .map(|(k, v)| {
                let max = self.config.param_limits.get(k).copied().unwrap_or(self.config.param_max_chars).max(1);
                let v = if v.chars().count() > max {
                    let mut cut: String = v.chars().take(max - 1).collect();
                    cut.push('…');
                    cut
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect()
    }

    /// POSTs `body` with the access token, refreshing once if the token is refused.
    async fn call(&self, url: &str, body: &Value) -> Result<Value, CallError> {
        let token = self.tokens.access_token().await.map_err(SendError::from)?;
        match self.post(url, body, &token).await {
            Err(CallError::TokenInvalid(why)) => {
                tracing::info!(reason = %why, "Zalo refused the access token; refreshing");
                let fresh = self.tokens.after_rejection(&token).await.map_err(SendError::from)?;
                match self.post(url, body, &fresh).await {
                    Err(CallError::TokenInvalid(why)) => {
                        Err(CallError::Send(SendError::Channel(format!("Zalo từ chối cả token vừa làm mới: {why}"))))
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    async fn post(&self, url: &str, body: &Value, token: &str) -> Result<Value, CallError> {
        self.limiter.until_ready().await;
        let reply = self
            .http
            .post(url)
            .header("access_token", token)
            .json(body)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("lỗi mạng khi gọi Zalo: {}", e.without_url())))?;
        let status = reply.status();
        let retry_after = reply
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = reply
            .bytes()
            .await
            .map_err(|e| SendError::Transient(format!("lỗi mạng khi đọc phản hồi Zalo: {}", e.without_url())))?;
        classify(status.as_u16(), retry_after, &bytes)
    }

    /// Maps a call error to a send error, releasing or closing the template quota.
    fn settle_error(&self, e: CallError, template: bool) -> SendError {
        if template {
            let mut q = self.quota.lock().unwrap_or_else(|p| p.into_inner());
            match &e {
                CallError::QuotaExhausted(_) => q.remaining = Some(0),
                _ => q.reserved = q.reserved.saturating_sub(1),
            }
        }
        match e {
            CallError::Send(s) => s,
            CallError::TokenInvalid(why) => SendError::Channel(format!("Zalo từ chối access token: {why}")),
            CallError::QuotaExhausted(why) => {
                SendError::Channel(format!("đã hết hạn mức tin ZNS trong ngày của OA: {why}"))
            }
        }
    }

    /// Takes one template message from today's quota, or refuses when it is used up.
    fn reserve_quota(&self) -> Result<(), SendError> {
        let today = vietnam_day((self.clock)());
        let mut q = self.quota.lock().unwrap_or_else(|p| p.into_inner());
        if q.day != today {
            *q = QuotaDay { day: today, reserved: 0, remaining: None };
        }
        if let Some(limit) = self.config.daily_template_quota
            && q.reserved >= limit
        {
            return Err(SendError::Channel(format!("đã gửi đủ {limit} tin ZNS trong ngày (hạn mức cấu hình)")));
        }
        if q.remaining == Some(0) {
            return Err(SendError::Channel("Zalo báo đã hết hạn mức tin ZNS trong ngày".to_string()));
        }
        q.reserved += 1;
        Ok(())
    }

    fn record_quota(&self, reply: &Value) {
        let remaining = [&["data", "quota", "remainingQuota"][..], &["quota", "remainingQuota"][..]]
            .iter()
            .find_map(|path| json_i64(lookup(reply, path)));
        if let Some(r) = remaining {
            let mut q = self.quota.lock().unwrap_or_else(|p| p.into_inner());
            q.remaining = Some(u64::try_from(r).unwrap_or(0));
        }
    }
}

impl Sender for ZaloSender {
    fn channel(&self) -> Channel {
        Channel::Zalo
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.send_message(message))
    }

    /// A refresh of the access token, then the send.
    fn attempt_timeout(&self) -> Duration {
        REQUEST_TIMEOUT * 2
    }
}

/// Authorises the OA again: exchanges a refresh token an administrator obtained (Zalo's
/// OAuth consent, or the developer console) for a new pair and writes it to the token file.
/// A running daemon picks the new pair up at its next send.
pub async fn authorize(config: &ZaloConfig, refresh_token: &str, clock: Clock) -> Result<TokenPair, ZaloError> {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ZaloError::Client(e.to_string()))?;
    let endpoint = token::RefreshEndpoint {
        url: format!("{}/v4/oa/access_token", config.oauth_url.trim_end_matches('/')),
        app_id: config.app_id.clone(),
        app_secret: config.app_secret.clone(),
    };
    token::TokenStore::new(config.token_file.clone(), http, endpoint, clock).exchange(refresh_token.trim()).await
}

fn consultation_body(user_id: &str, message: &Message) -> Value {
    let mut msg = json!({ "text": message.text });
    if !message.actions.is_empty() {
        let buttons: Vec<Value> = message
            .actions
            .iter()
            .map(|a| json!({ "title": a.label, "type": "oa.query.show", "payload": a.data }))
            .collect();
        msg["attachment"] = json!({
            "type": "template",
            "payload": { "template_type": "button", "buttons": buttons },
        });
    }
    json!({ "recipient": { "user_id": user_id }, "message": msg })
}

/// A ZNS request: addressed by phone number, as the template API is documented.
fn template_body(phone: &str, template_id: &str, params: &BTreeMap<String, String>, tracking_id: &str) -> Value {
    json!({
        "phone": phone,
        "template_id": template_id,
        "template_data": params,
        "tracking_id": tracking_id,
    })
}

/// Maps an HTTP reply to the parsed JSON or an error (see the module documentation).
fn classify(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Result<Value, CallError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let code = json.as_ref().and_then(|j| json_i64(j.get("error")));
    let zalo_message = json
        .as_ref()
        .and_then(|j| ["message", "error_description", "error_name"].iter().find_map(|k| text_field(j, &[k])))
        .unwrap_or_default();
    if status == 429 {
        return Err(SendError::RateLimited {
            retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            reason: format!("HTTP 429 {zalo_message}").trim_end().to_string(),
        }
        .into());
    }
    if status >= 500 || status == 408 {
        return Err(SendError::Transient(format!("HTTP {status} từ Zalo")).into());
    }
    let Some(json) = json else {
        return Err(if (200..300).contains(&status) {
            SendError::Transient(format!("HTTP {status}: phản hồi Zalo không phải JSON"))
        } else {
            SendError::Permanent(format!("HTTP {status} từ Zalo"))
        }
        .into());
    };
    let code = match code {
        Some(c) => c,
        None if (200..300).contains(&status) => 0,
        None => return Err(SendError::Permanent(format!("HTTP {status} từ Zalo: {zalo_message}")).into()),
    };
    let described = format!("mã {code}: {zalo_message}");
    match code {
        0 if (200..300).contains(&status) => Ok(json),
        0 => Err(SendError::Permanent(format!("HTTP {status} từ Zalo: {zalo_message}")).into()),
        c if TOKEN_INVALID_CODES.contains(&c) => Err(CallError::TokenInvalid(described)),
        c if RATE_LIMIT_CODES.contains(&c) => Err(SendError::RateLimited {
            retry_after: retry_after.unwrap_or(RATE_LIMIT_PAUSE),
            reason: format!("Zalo {described}"),
        }
        .into()),
        c if QUOTA_EXHAUSTED_CODES.contains(&c) => Err(CallError::QuotaExhausted(described)),
        c if TRANSIENT_CODES.contains(&c) => Err(SendError::Transient(format!("Zalo {described}")).into()),
        _ => Err(SendError::Permanent(format!("Zalo {described}")).into()),
    }
}

fn vietnam_day(t: DateTime<Utc>) -> NaiveDate {
    match FixedOffset::east_opt(VIETNAM_OFFSET_SECS) {
        Some(tz) => t.with_timezone(&tz).date_naive(),
        None => t.date_naive(),
    }
}

fn lookup<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// A string or number field as text.
fn text_field(v: &Value, path: &[&str]) -> Option<String> {
    match lookup(v, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer sent as a JSON number or a decimal string (Zalo does both).
pub(crate) fn json_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_addresses_are_told_from_user_ids() {
        assert!(is_phone_address("84901234567"));
        assert!(is_phone_address("849012345678"));
        assert!(!is_phone_address("8490123456"));
        assert!(!is_phone_address("2468458835296197922"));
        assert!(!is_phone_address("8412345678901234567"));
        assert!(!is_phone_address("0901234567"));
    }

    #[test]
    fn classification_follows_the_documented_mapping() {
        let ok = classify(200, None, br#"{"error":0,"message":"Success","data":{"message_id":"m"}}"#);
        assert!(ok.is_ok());
        assert!(matches!(classify(502, None, b"<html>"), Err(CallError::Send(SendError::Transient(_)))));
        assert!(matches!(classify(200, None, br#"{"error":-216,"message":"x"}"#), Err(CallError::TokenInvalid(_))));
        assert!(matches!(
            classify(429, Some(Duration::from_secs(3)), b""),
            Err(CallError::Send(SendError::RateLimited { retry_after, .. })) if retry_after == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(200, None, br#"{"error":-32,"message":"x"}"#),
            Err(CallError::Send(SendError::RateLimited { .. }))
        ));
        assert!(matches!(classify(200, None, br#"{"error":"-144","message":"x"}"#), Err(CallError::QuotaExhausted(_))));
        assert!(matches!(
            classify(200, None, br#"{"error":-201,"message":"Invalid params"}"#),
            Err(CallError::Send(SendError::Permanent(m))) if m.contains("Invalid params")
        ));
    }

    #[test]
    fn config_defaults_follow_the_reference() {
        let c: ZaloConfig =
            serde_json::from_str(r#"{"app_id":"1","token_file":"/var/lib/dondoc/zalo.json","mode":"template"}"#)
                .unwrap();
        assert_eq!(c.oa_api_url, "https://openapi.zalo.me");
        assert_eq!(c.zns_api_url, "https://business.openapi.zalo.me");
        assert_eq!(c.oauth_url, "https://oauth.zaloapp.com");
        assert_eq!(
            (c.mode, c.reply_window_hours, c.reply_window_messages, c.requests_per_second),
            (ZaloMode::Template, 48, 8, 20)
        );
        assert_eq!((c.template_id.as_deref(), c.daily_template_quota), (None, None));
        assert!(!format!("{:?}", ZaloConfig { app_secret: "s3cret".into(), ..c }).contains("s3cret"));
    }

    #[test]
    fn quota_day_is_vietnam_time() {
        let t = DateTime::parse_from_rfc3339("2025-03-01T17:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(vietnam_day(t), NaiveDate::from_ymd_opt(2025, 3, 2).unwrap());
    }
}

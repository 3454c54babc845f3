//! The Telegram channel: sends reminders with an inline keyboard through the Bot API
//! (teloxide), answers button presses and receives what officers send by long polling
//! `getUpdates`.

use std::fmt;
use std::time::Duration;

use dondoc_core::event::Channel;
use futures::future::BoxFuture;
use serde::Deserialize;
use teloxide::payloads::{AnswerCallbackQuerySetters as _, GetUpdatesSetters as _, SendMessageSetters as _};
use teloxide::requests::Requester as _;
use teloxide::types::{
    AllowedUpdate, CallbackQuery, CallbackQueryId, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, Update,
    UpdateKind,
};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::{mpsc, oneshot, watch};

use super::{Receipt, SendError, Sender};
use crate::message::{Action, ActionKind, Message};

/// Answer to a button whose callback data is not understood.
const UNKNOWN_BUTTON: &str = "Nút này không hợp lệ hoặc đã hết hạn.";
/// Longest wait between two failed polls.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The HTTP timeout of a send or an answer (teloxide's own default, stated).
const SEND_TIMEOUT: Duration = Duration::from_secs(17);
/// How long the final confirmation of handled updates may take at shutdown.
const CONFIRM_TIMEOUT: Duration = Duration::from_millis(500);

/// Settings of the Telegram channel.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// The bot token (resolved by the binary, e.g. from the environment).
    pub token: String,
    /// Base URL of the Bot API.
    pub api_url: String,
    /// How long one `getUpdates` long poll waits, in seconds.
    pub poll_timeout_secs: u32,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig { token: String::new(), api_url: "https://api.telegram.org".to_string(), poll_timeout_secs: 25 }
    }
}

impl fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("token", &if self.token.is_empty() { "" } else { "***" })
            .field("api_url", &self.api_url)
            .field("poll_timeout_secs", &self.poll_timeout_secs)
            .finish()
    }
}

/// Why a [`TelegramSender`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    #[error("thiếu token của bot Telegram")]
    MissingToken,
    #[error("địa chỉ API Telegram không hợp lệ: {0}")]
    InvalidApiUrl(String),
    #[error("không tạo được HTTP client cho Telegram: {0}")]
    Client(String),
}

/// What an officer sent to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// `/start` or `/start <code>` (from a `t.me/<bot>?start=<code>` link). `private`: sent
    /// in the officer's own chat with the bot (the only place a code links an account).
    Start { chat_id: i64, code: Option<String>, from: String, private: bool },
    /// A press on a reminder button by the Telegram user `user_id` (who pressed it, whatever
    /// chat the message is in). The receiver answers it with
    /// [`TelegramSender::answer_callback`].
    Callback { chat_id: i64, user_id: i64, callback_id: String, action: ActionKind, message_ref: String },
    /// Any other text in a private chat.
    Text { chat_id: i64, from: String, text: String },
}

/// An update handed over by [`TelegramSender::run_updates`]. The next update is taken, and
/// this one confirmed to Telegram, only once the receiver answers `handled` with `true`
/// (what it means is recorded); `false` or dropping it has the update delivered again.
#[derive(Debug)]
pub struct Incoming {
    /// Telegram's update id: unique per bot, the same when an update is delivered again.
    pub update_id: u32,
    pub inbound: Inbound,
    pub handled: oneshot::Sender<bool>,
}

/// Handlings of one update that may fail before it is given up (logged) and confirmed.
const MAX_HANDLINGS: u32 = 5;

/// Sends messages to Telegram chats and receives updates. Cheap to clone.
#[derive(Clone)]
pub struct TelegramSender {
    /// For sends and answers (teloxide's default timeouts).
    bot: Bot,
    /// For long polls: its HTTP timeout exceeds the poll timeout.
    poll_bot: Bot,
    poll_timeout_secs: u32,
}

impl fmt::Debug for TelegramSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramSender").field("api_url", &self.bot.api_url().as_str()).finish_non_exhaustive()
    }
}

impl TelegramSender {
    /// A sender for the bot and API of `config`.
    pub fn new(config: &TelegramConfig) -> Result<TelegramSender, TelegramError> {
        let token = config.token.trim();
        if token.is_empty() {
            return Err(TelegramError::MissingToken);
        }
        // teloxide appends `/bot<token>/<method>` as path segments: no trailing slash.
        let raw = config.api_url.trim().trim_end_matches('/');
        let url = reqwest::Url::parse(raw).map_err(|e| TelegramError::InvalidApiUrl(format!("{raw}: {e}")))?;
        if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
            return Err(TelegramError::InvalidApiUrl(raw.to_string()));
        }
        let client = teloxide::net::default_reqwest_settings()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|e| TelegramError::Client(e.to_string()))?;
        let poll_http_timeout = Duration::from_secs(u64::from(config.poll_timeout_secs) + 10);
        let poll_client = teloxide::net::default_reqwest_settings()
            .timeout(poll_http_timeout)
            .build()
            .map_err(|e| TelegramError::Client(e.to_string()))?;
        Ok(TelegramSender {
            bot: Bot::with_client(token, client).set_api_url(url.clone()),
            poll_bot: Bot::with_client(token, poll_client).set_api_url(url),
            poll_timeout_secs: config.poll_timeout_secs,
        })
    }

    /// Answers a button press (`answerCallbackQuery`); `text` shows as a short notice.
    pub async fn answer_callback(&self, callback_id: &str, text: &str) -> Result<(), SendError> {
        self.bot.answer_callback_query(CallbackQueryId(callback_id.to_string())).text(text).await.map_err(map_error)?;
        Ok(())
    }

    /// Sends a plain message without buttons (the bot's answers, e.g. "Đã ghi nhận").
    pub async fn reply(&self, chat_id: i64, text: &str) -> Result<Receipt, SendError> {
        let sent = self.bot.send_message(ChatId(chat_id), text).await.map_err(map_error)?;
        Ok(Receipt { provider_id: Some(sent.id.0.to_string()), via: None })
    }

    /// Long-polls `getUpdates` until `shutdown`, handing each update to `tx` and waiting
    /// for it to be handled. An update's offset is confirmed to Telegram (by the next
    /// `getUpdates`) only after the receiver said it was handled, so an update whose answer
    /// was not recorded (the store busy, a crash) comes again; one that fails
    /// [`MAX_HANDLINGS`] times is given up with an error in the log. Network failures back
    /// off exponentially.
    pub async fn run_updates(&self, tx: mpsc::Sender<Incoming>, mut shutdown: watch::Receiver<bool>) {
        let mut offset: Option<i32> = None;
        let mut confirmed: Option<i32> = None;
        let mut webhook_cleared = false;
        let mut failures: u32 = 0;
        let mut handlings: (u32, u32) = (0, 0);
        'poll: loop {
            if *shutdown.borrow() {
                break;
            }
            let polled = tokio::select! {
                biased;
                _ = wait_shutdown(&mut shutdown) => break,
                r = self.poll(offset, &mut webhook_cleared) => r,
            };
            let updates = match polled {
                Ok(updates) => {
                    // The request reached Telegram: everything below `offset` is confirmed.
                    confirmed = offset;
                    failures = 0;
                    updates
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let delay = backoff(&error, failures);
                    tracing::warn!(%error, ?delay, "Telegram getUpdates thất bại, thử lại sau");
                    tokio::select! {
                        biased;
                        _ = wait_shutdown(&mut shutdown) => break,
                        _ = tokio::time::sleep(delay) => continue,
                    }
                }
            };
            for update in updates {
                let update_id = update.id.0;
                let next = i32::try_from(u64::from(update_id) + 1).unwrap_or(i32::MAX);
                let inbound = tokio::select! {
                    biased;
                    _ = wait_shutdown(&mut shutdown) => break 'poll,
                    i = self.inbound(update) => i,
                };
                let Some(inbound) = inbound else {
                    offset = Some(next);
                    continue;
                };
                let (handled, answer) = oneshot::channel();
                // An answer already given wins over a shutdown asked at the same time.
                let outcome = tokio::select! {
                    biased;
                    sent = async {
                        tx.send(Incoming { update_id, inbound, handled }).await.ok()?;
                        answer.await.ok()
                    } => sent,
                    _ = wait_shutdown(&mut shutdown) => break 'poll,
                };
                match outcome {
                    Some(true) => offset = Some(next),
                    None if tx.is_closed() => {
                        tracing::debug!("bên nhận cập nhật Telegram đã đóng");
                        break 'poll;
                    }
                    _ => {
                        let n = if handlings.0 == update_id { handlings.1 + 1 } else { 1 };
                        handlings = (update_id, n);
                        if n >= MAX_HANDLINGS {
                            tracing::error!(update_id, "bỏ qua cập nhật Telegram sau {n} lần xử lý không thành công");
                            offset = Some(next);
                            continue;
                        }
                        // Not confirmed: the same updates come again after a pause.
                        let delay = Duration::from_millis(500u64 << n.min(6));
                        tokio::select! {
                            biased;
                            _ = wait_shutdown(&mut shutdown) => break 'poll,
                            _ = tokio::time::sleep(delay) => continue 'poll,
                        }
                    }
                }
            }
        }
        if let Some(offset) = offset.filter(|o| Some(*o) != confirmed) {
            let confirm = self.bot.get_updates().offset(offset).limit(1).timeout(0);
            if let Err(error) = tokio::time::timeout(CONFIRM_TIMEOUT, confirm)
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()).map(|_| ()))
            {
                tracing::debug!(%error, "không xác nhận được cập nhật Telegram khi dừng");
            }
        }
    }

    async fn poll(&self, offset: Option<i32>, webhook_cleared: &mut bool) -> Result<Vec<Update>, RequestError> {
        if !*webhook_cleared {
            self.bot.delete_webhook().await?;
            *webhook_cleared = true;
        }
        let mut request = self
            .poll_bot
            .get_updates()
            .timeout(self.poll_timeout_secs)
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        request.await
    }

    /// What an update means for dondoc; answers unknown buttons itself.
    async fn inbound(&self, update: Update) -> Option<Inbound> {
        match update.kind {
            UpdateKind::Message(message) => {
                let text = message.text()?.trim();
                let chat_id = message.chat.id.0;
                let from = message
                    .from
                    .as_ref()
                    .map(|u| u.full_name())
                    .or_else(|| message.chat.title().or(message.chat.first_name()).map(str::to_string))
                    .unwrap_or_default();
                if let Some(code) = parse_start(text) {
                    Some(Inbound::Start { chat_id, code, from, private: message.chat.is_private() })
                } else if message.chat.is_private() {
                    Some(Inbound::Text { chat_id, from, text: text.to_string() })
                } else {
                    None
                }
            }
            UpdateKind::CallbackQuery(query) => self.callback(query).await,
            _ => None,
        }
    }

    async fn callback(&self, query: CallbackQuery) -> Option<Inbound> {
        let user_id = i64::try_from(query.from.id.0).ok()?;
        let chat_id = query.message.as_ref().map(|m| m.chat().id.0).unwrap_or(user_id);
        let callback_id = query.id.0;
        match query.data.as_deref().and_then(ActionKind::decode) {
            Some((action, message_ref)) => {
                Some(Inbound::Callback { chat_id, user_id, callback_id, action, message_ref: message_ref.to_string() })
            }
            None => {
                tracing::debug!(data = ?query.data, "nút Telegram không rõ");
                if let Err(error) = self.answer_callback(&callback_id, UNKNOWN_BUTTON).await {
                    tracing::warn!(%error, "không trả lời được nút Telegram");
                }
                None
            }
        }
    }
}

impl Sender for TelegramSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let chat_id =
                message.address.trim().parse::<i64>().map_err(|_| {
                    SendError::Permanent(format!("chat id Telegram không hợp lệ: {:?}", message.address))
                })?;
            let mut request = self.bot.send_message(ChatId(chat_id), message.text.as_str());
            if !message.actions.is_empty() {
                request = request.reply_markup(keyboard(&message.actions));
            }
            let sent = request.await.map_err(map_error)?;
            Ok(Receipt { provider_id: Some(sent.id.0.to_string()), via: None })
        })
    }

    fn attempt_timeout(&self) -> Duration {
        SEND_TIMEOUT
    }
}

/// One button per row: the Vietnamese labels are long.
fn keyboard(actions: &[Action]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        actions.iter().map(|a| [InlineKeyboardButton::callback(a.label.as_str(), a.data.as_str())]),
    )
}

/// `Some(code)` for `/start`, `/start <code>` and `/start@bot <code>`.
fn parse_start(text: &str) -> Option<Option<String>> {
    let (command, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let name = command.split_once('@').map_or(command, |(name, _)| name);
    (name == "/start").then(|| Some(rest.trim()).filter(|c| !c.is_empty()).map(str::to_string))
}

/// Resolves when shutdown is requested or can no longer be requested.
async fn wait_shutdown(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await;
}

fn backoff(error: &RequestError, failures: u32) -> Duration {
    match error {
        RequestError::RetryAfter(seconds) => seconds.duration().max(Duration::from_secs(1)),
        _ => Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF),
    }
}

/// Whether retrying can help, from teloxide's view of the answer.
fn map_error(error: RequestError) -> SendError {
    match error {
        RequestError::RetryAfter(seconds) => SendError::RateLimited {
            retry_after: seconds.duration(),
            reason: format!("Telegram yêu cầu chờ {} giây", seconds.seconds()),
        },
        RequestError::Network(e) if e.is_builder() => {
            SendError::Permanent(format!("yêu cầu Telegram không hợp lệ: {e}"))
        }
        RequestError::Network(e) => SendError::Transient(format!("lỗi mạng khi gọi Telegram: {e}")),
        RequestError::InvalidJson { raw, .. } => {
            SendError::Transient(format!("Telegram trả lời không đúng định dạng: {}", shorten(&raw)))
        }
        RequestError::Io(e) => SendError::Transient(format!("lỗi vào/ra khi gọi Telegram: {e}")),
        RequestError::MigrateToChatId(id) => {
            SendError::Permanent(format!("nhóm Telegram đã chuyển thành siêu nhóm, chat id mới: {}", id.0))
        }
        RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => {
            SendError::Transient("Telegram: một phiên getUpdates khác đang chạy".to_string())
        }
        RequestError::Api(ApiError::Unknown(description)) => map_unknown(description),
        // 401 "Unauthorized" / 404 "Not Found" for every call: the bot token is wrong
        // (Bot API: "Making requests"), not the recipient.
        RequestError::Api(ApiError::InvalidToken) => {
            SendError::Channel("Telegram không nhận token của bot (Unauthorized)".to_string())
        }
        RequestError::Api(api) => SendError::Permanent(format!("Telegram từ chối: {api}")),
    }
}

/// Errors teloxide does not name: server errors and flood control without parameters
/// are temporary, the rest (400, 403, …) are refusals.
fn map_unknown(description: String) -> SendError {
    const SERVER_ERRORS: [&str; 4] = ["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"];
    if let Some(rest) = description.strip_prefix("Too Many Requests") {
        let seconds = rest.rsplit(' ').next().and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or(1);
        return SendError::RateLimited { retry_after: Duration::from_secs(seconds), reason: description };
    }
    if SERVER_ERRORS.iter().any(|p| description.starts_with(p)) {
        SendError::Transient(format!("lỗi máy chủ Telegram: {description}"))
    } else {
        SendError::Permanent(format!("Telegram từ chối: {description}"))
    }
}

fn shorten(raw: &str) -> String {
    const MAX: usize = 200;
    match raw.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &raw[..i]),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_apply() {
        let config: TelegramConfig = serde_json::from_str(r#"{"token":"1:abc"}"#).unwrap();
        assert_eq!(config.api_url, "https://api.telegram.org");
        assert_eq!(config.poll_timeout_secs, 25);
        assert!(!format!("{config:?}").contains("1:abc"));
    }

    #[test]
    fn bad_settings_are_errors() {
        let config = TelegramConfig::default();
        assert_eq!(TelegramSender::new(&config).unwrap_err(), TelegramError::MissingToken);
        let config = TelegramConfig { token: "1:abc".into(), api_url: "mailto:x".into(), ..TelegramConfig::default() };
        assert!(matches!(TelegramSender::new(&config), Err(TelegramError::InvalidApiUrl(_))));
    }

    #[test]
    fn start_command_is_parsed() {
        assert_eq!(parse_start("/start"), Some(None));
        assert_eq!(parse_start("/start ABC123"), Some(Some("ABC123".to_string())));
        assert_eq!(parse_start("/start@dondoc_bot  ABC123 "), Some(Some("ABC123".to_string())));
        assert_eq!(parse_start("/started"), None);
        assert_eq!(parse_start("xin chào"), None);
    }

    #[test]
    fn unknown_errors_are_classified() {
        assert!(matches!(map_unknown("Internal Server Error".into()), SendError::Transient(_)));
        assert!(matches!(map_unknown("Bad Request: wrong thing".into()), SendError::Permanent(_)));
        assert_eq!(
            map_unknown("Too Many Requests: retry after 7".into()),
            SendError::RateLimited {
                retry_after: Duration::from_secs(7),
                reason: "Too Many Requests: retry after 7".into()
            }
        );
    }
}

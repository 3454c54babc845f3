//! Channels: how a [`Message`] reaches a person. Each channel speaks its real wire
//! protocol; errors say whether trying again can help.

use std::time::Duration;

use dondoc_core::event::Channel;
use futures::future::BoxFuture;

use crate::message::Message;

pub mod email;
pub mod outbox;
pub mod telegram;
pub mod zalo;

/// What a channel reports after a successful send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's message id (SMTP queue id, Telegram message_id, Zalo msg_id).
    pub provider_id: Option<String>,
    /// How it went when a channel has several ways (Zalo: "cs" or "zns").
    pub via: Option<String>,
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A network error, a 5xx or a temporary SMTP reply: retry with backoff.
    #[error("lỗi tạm thời: {0}")]
    Transient(String),
    /// The provider asked to slow down: retry after the given time.
    #[error("bị giới hạn tần suất, thử lại sau {retry_after:?}: {reason}")]
    RateLimited { retry_after: Duration, reason: String },
    /// A refusal of this recipient or message that will not change (bad address, blocked
    /// bot): fall back to the recipient's next channel; this channel is not tried again for it.
    #[error("lỗi không thể thử lại: {0}")]
    Permanent(String),
    /// The channel itself or its configuration is at fault, for every recipient
    /// (authentication refused, relay denied, missing token, template not set, refresh
    /// refused): the channel is marked unhealthy and the operator alerted; nothing is held
    /// against the recipient, so once the fault is fixed the message goes out.
    #[error("kênh gửi lỗi cấu hình hoặc không dùng được: {0}")]
    Channel(String),
}

impl SendError {
    /// Whether another attempt on the same channel can succeed for this recipient.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, SendError::Permanent(_))
    }

    /// Whether the channel itself is at fault (not the recipient).
    pub fn is_channel_fault(&self) -> bool {
        matches!(self, SendError::Channel(_))
    }
}

/// A channel that sends messages.
pub trait Sender: Send + Sync {
    /// The channel this sender serves.
    fn channel(&self) -> Channel;
    /// Sends one message. Must not retry by itself: the dispatcher does.
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>>;
    /// The longest one [`Sender::send`] may take: the dispatcher gives up on an attempt
    /// after it (a transient failure), and a stopping daemon waits at least this long for
    /// sends in flight, so that their outcome is recorded.
    fn attempt_timeout(&self) -> Duration {
        DEFAULT_ATTEMPT_TIMEOUT
    }
}

/// [`Sender::attempt_timeout`] of a sender that does not say.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

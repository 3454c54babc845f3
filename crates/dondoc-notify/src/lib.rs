//! Delivery of reminders: what a message is, how digests become messages (templates),
//! how a message reaches a person (channels: email, Telegram, Zalo, and the outbox used by
//! simulations), and how many messages are sent safely (the dispatcher: queues, rate
//! limits, retries with backoff and jitter, fallback to the next channel).
//!
//! Depends on dondoc-core for the domain types; must not depend on the store or the
//! projections: the caller records outcomes through [`dispatch::Recorder`].

pub mod channel;
pub mod dispatch;
pub mod message;
pub mod summary;
pub mod templates;

pub use channel::{Receipt, SendError, Sender};

/// The time source of outcomes, token expiry and outbox files: injected, never read here.
pub type Clock = std::sync::Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;
pub use message::{Action, Attachment, Message};

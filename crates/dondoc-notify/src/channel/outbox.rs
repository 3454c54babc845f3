//! The outbox: a channel that writes each message as a JSON file instead of sending it.
//! Simulations replace every channel with it; scripts read the files.

use std::path::PathBuf;

use dondoc_core::calendar::TZ;
use dondoc_core::event::Channel;
use futures::future::BoxFuture;
use serde::Serialize;

use super::{Receipt, SendError, Sender};
use crate::message::Message;

use crate::Clock;

/// Writes messages of one channel into a directory.
pub struct Outbox {
    channel: Channel,
    dir: PathBuf,
    clock: Clock,
}

/// The file written per message.
#[derive(Debug, Serialize)]
struct OutboxFile<'a> {
    channel: &'static str,
    recipient: &'a str,
    name: &'a str,
    address: &'a str,
    sent_at: String,
    /// What the message is: reminder, weekly_summary, daily_digest, delivery_report.
    kind: crate::message::MessageKind,
    subject: &'a str,
    text: &'a str,
    tasks: Vec<OutboxTask<'a>>,
    keys: Vec<String>,
    idempotency_key: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
struct OutboxTask<'a> {
    plan: &'a str,
    code: &'a str,
}

impl Outbox {
    /// An outbox standing in for `channel`, writing into `dir` (created when missing).
    pub fn new(channel: Channel, dir: impl Into<PathBuf>, clock: Clock) -> Outbox {
        Outbox { channel, dir: dir.into(), clock }
    }
}

impl Sender for Outbox {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn send<'a>(&'a self, m: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let sent_at = (self.clock)().with_timezone(&TZ);
            let file = OutboxFile {
                channel: m.channel.as_str(),
                recipient: &m.recipient,
                name: &m.name,
                address: &m.address,
                sent_at: sent_at.to_rfc3339(),
                kind: m.kind,
                subject: &m.subject,
                text: &m.text,
                tasks: m.tasks.iter().map(|t| OutboxTask { plan: &t.plan, code: &t.code }).collect(),
                keys: m.keys.iter().map(|k| k.to_string()).collect(),
                idempotency_key: &m.idempotency_key,
                attachments: m.attachments.iter().map(|a| a.filename.as_str()).collect(),
            };
            let json = serde_json::to_vec_pretty(&file).map_err(|e| SendError::Permanent(e.to_string()))?;
            let stem = format!(
                "{}-{}-{}-{}",
                sent_at.format("%Y%m%dT%H%M%S"),
                m.channel.as_str(),
                sanitize(&m.recipient),
                &m.idempotency_key[..m.idempotency_key.len().min(12)]
            );
            let io = |e: std::io::Error| SendError::Transient(format!("không ghi được hộp thư ra: {e}"));
            tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
            // The same message sent again at the same instant (a resend after a crash) is
            // a second file, as it would be a second message.
            let mut name = format!("{stem}.json");
            let mut n = 1;
            while tokio::fs::try_exists(self.dir.join(&name)).await.map_err(io)? {
                n += 1;
                name = format!("{stem}-{n}.json");
            }
            let tmp = self.dir.join(format!(".{name}.tmp"));
            tokio::fs::write(&tmp, json).await.map_err(io)?;
            tokio::fs::rename(&tmp, self.dir.join(&name)).await.map_err(io)?;
            Ok(Receipt { provider_id: Some(name), via: Some("outbox".into()) })
        })
    }
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

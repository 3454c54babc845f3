//! The email channel: SMTP through a pooled lettre transport.
//!
//! A [`Message`] becomes a UTF-8 MIME message: `text/plain` alone, or
//! `multipart/alternative` (text + HTML) when there is HTML; attachments with an
//! `inline_id` go with the HTML in `multipart/related` (referenced as `cid:` from the
//! HTML), other attachments make the whole a `multipart/mixed`. The `Message-ID` is derived
//! from the idempotency key, so a retried message keeps its identity.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dondoc_core::event::Channel;
use futures::future::BoxFuture;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{self, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use serde::Deserialize;
use tokio::sync::Semaphore;

use super::{Receipt, SendError, Sender};
use crate::message::{Attachment, Message};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain SMTP (only for a relay on a trusted network or loopback).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
}

impl Security {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        }
    }
}

/// Configuration of the email channel. Secrets are already resolved by the caller.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server host name or IP address.
    pub host: String,
    /// SMTP port; `None` uses the usual port of `security`.
    pub port: Option<u16>,
    pub security: Security,
    /// Login, when the server requires authentication (together with `password`).
    pub username: Option<String>,
    pub password: Option<String>,
    /// Sender mailbox, e.g. `Tổ giúp việc <nhacviec@example.gov.vn>`.
    pub from: String,
    /// Maximum number of SMTP transactions at once, and of idle pooled connections.
    pub pool_size: u32,
    /// Timeout of connecting, in seconds. A whole transaction (greeting, envelope, body,
    /// the final reply) is bounded by this plus 10 seconds.
    pub timeout_secs: u64,
    /// Accept any server certificate (self-signed test servers only).
    pub accept_invalid_certs: bool,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            host: "localhost".to_string(),
            port: None,
            security: Security::default(),
            username: None,
            password: None,
            from: String::new(),
            pool_size: 4,
            timeout_secs: 30,
            accept_invalid_certs: false,
        }
    }
}

impl EmailConfig {
    /// The port actually used: `port`, or the usual port of `security`.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.security.default_port())
    }
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("pool_size", &self.pool_size)
            .field("timeout_secs", &self.timeout_secs)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

/// Why the email channel could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// `from` is not a mailbox.
    #[error("địa chỉ người gửi không hợp lệ {from:?}: {reason}")]
    InvalidFrom { from: String, reason: String },
    /// A setting is out of range or incomplete.
    #[error("cấu hình email không hợp lệ: {0}")]
    InvalidConfig(String),
    /// The TLS client could not be configured.
    #[error("không cấu hình được TLS cho máy chủ {host}: {reason}")]
    Tls { host: String, reason: String },
    /// The pooled transport needs a Tokio runtime to run its maintenance task.
    #[error("EmailSender phải được tạo bên trong một Tokio runtime")]
    NoRuntime,
}

/// Sends [`Message`]s over SMTP through lettre's connection pool, at most `pool_size`
/// transactions at once. Cheap to clone: clones share the pool.
///
/// lettre's pool bounds idle connections only and returns a used connection from a spawned
/// task, so a burst can briefly open a few connections more than `pool_size`.
#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Bounds concurrent transactions (lettre's pool bounds only idle connections).
    permits: Arc<Semaphore>,
    from: Mailbox,
    /// Domain of the sender address, for Message-IDs.
    domain: String,
    server: String,
    /// The bound of one whole attempt. lettre's asynchronous transport applies its timeout
    /// to connecting only: a server that accepts and then stays silent would hold a send
    /// (and its permit) forever without this.
    attempt_timeout: Duration,
}

impl fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSender").field("server", &self.server).field("from", &self.from.to_string()).finish()
    }
}

impl EmailSender {
    /// Builds the sender and its connection pool. Connects lazily: an unreachable server
    /// shows up as [`SendError::Transient`] on the first send. Must be called inside a
    /// Tokio runtime.
    pub fn new(config: &EmailConfig) -> Result<EmailSender, EmailError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(EmailError::NoRuntime);
        }
        let host = config.host.trim();
        if host.is_empty() {
            return Err(EmailError::InvalidConfig("thiếu máy chủ SMTP (host)".to_string()));
        }
        if config.pool_size == 0 {
            return Err(EmailError::InvalidConfig("pool_size phải lớn hơn 0".to_string()));
        }
        if config.timeout_secs == 0 {
            return Err(EmailError::InvalidConfig("timeout_secs phải lớn hơn 0".to_string()));
        }
        let from: Mailbox = config.from.trim().parse().map_err(|e: lettre::address::AddressError| {
            EmailError::InvalidFrom { from: config.from.clone(), reason: e.to_string() }
        })?;
        let domain = from.email.domain().to_string();

        let tls = match config.security {
            Security::None => Tls::None,
            Security::Starttls | Security::Tls => {
                let parameters = TlsParameters::builder(host.to_string())
                    .dangerous_accept_invalid_certs(config.accept_invalid_certs)
                    .dangerous_accept_invalid_hostnames(config.accept_invalid_certs)
                    .build()
                    .map_err(|e| EmailError::Tls { host: host.to_string(), reason: e.to_string() })?;
                if config.security == Security::Tls { Tls::Wrapper(parameters) } else { Tls::Required(parameters) }
            }
        };

        let port = config.effective_port();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs)))
            .pool_config(PoolConfig::new().min_idle(0).max_size(config.pool_size));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => {
                return Err(EmailError::InvalidConfig("username và password phải được đặt cùng nhau".to_string()));
            }
        }

        Ok(EmailSender {
            transport: builder.build(),
            permits: Arc::new(Semaphore::new(config.pool_size as usize)),
            from,
            domain,
            server: format!("{host}:{port}"),
            attempt_timeout: Duration::from_secs(config.timeout_secs.saturating_add(10)),
        })
    }

    /// Closes the pooled connections (QUIT); later sends fail as transient.
    pub async fn shutdown(&self) {
        self.transport.shutdown().await;
    }

    /// Builds the MIME message for `message` (public for previews and tests).
    pub fn build_email(&self, message: &Message) -> Result<lettre::Message, SendError> {
        let address: Address = message.address.trim().parse().map_err(|e: lettre::address::AddressError| {
            SendError::Permanent(format!("địa chỉ email không hợp lệ {:?}: {e}", message.address))
        })?;
        let name = clean_header_text(&message.name);
        let to = Mailbox::new((!name.is_empty()).then_some(name), address);

        let mut builder =
            lettre::Message::builder().from(self.from.clone()).to(to).subject(clean_header_text(&message.subject));
        if let Some(id) = message_id(&message.idempotency_key, &self.domain) {
            builder = builder.message_id(Some(id));
        }

        let (inline, regular): (Vec<&Attachment>, Vec<&Attachment>) = match &message.html {
            Some(_) => message.attachments.iter().partition(|a| a.inline_id.is_some()),
            // Without HTML nothing can reference an inline part: send everything as files.
            None => (Vec::new(), message.attachments.iter().collect()),
        };

        let mut body = match &message.html {
            None => Part::Single(SinglePart::plain(message.text.clone())),
            Some(html) => Part::Multi(MultiPart::alternative_plain_html(message.text.clone(), html.clone())),
        };
        if !inline.is_empty() {
            let related =
                inline.iter().fold(body.into_multipart(MultiPart::related()), |m, a| m.singlepart(attachment_part(a)));
            body = Part::Multi(related);
        }
        if !regular.is_empty() {
            let mixed =
                regular.iter().fold(body.into_multipart(MultiPart::mixed()), |m, a| m.singlepart(attachment_part(a)));
            body = Part::Multi(mixed);
        }

        let built = match body {
            Part::Single(part) => builder.singlepart(part),
            Part::Multi(part) => builder.multipart(part),
        };
        built.map_err(|e| SendError::Permanent(format!("không tạo được thư: {e}")))
    }

    async fn send_message(&self, message: &Message) -> Result<Receipt, SendError> {
        let email = self.build_email(message)?;
        let non_ascii_recipient = !message.address.is_ascii();
        let permit =
            self.permits.acquire().await.map_err(|_| SendError::Transient("kênh email đã đóng".to_string()))?;
        // A timeout after the body was sent may leave a message the server did deliver:
        // it is retried like any transient failure (docs/domain.md, "Exactly once").
        let result = tokio::time::timeout(self.attempt_timeout, self.transport.send(email)).await;
        // lettre returns the connection to its pool from a spawned task: give that task a
        // chance to run before the permit goes to the next send, which would otherwise open
        // a new connection.
        tokio::task::yield_now().await;
        drop(permit);
        let Ok(result) = result else {
            tracing::debug!(server = %self.server, recipient = %message.recipient, "email timed out");
            return Err(SendError::Transient(format!(
                "máy chủ SMTP {} không trả lời trong {} giây",
                self.server,
                self.attempt_timeout.as_secs()
            )));
        };
        match result {
            Ok(response) => {
                let lines: Vec<&str> = response.message().collect();
                let provider_id = provider_id(&lines);
                tracing::debug!(server = %self.server, recipient = %message.recipient, ?provider_id, "email sent");
                Ok(Receipt { provider_id, via: None })
            }
            Err(e) => {
                let error = classify(&e, &self.server, non_ascii_recipient);
                tracing::debug!(server = %self.server, recipient = %message.recipient, error = %e, "email failed");
                Err(error)
            }
        }
    }
}

impl Sender for EmailSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.send_message(message))
    }

    fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }
}

/// A MIME body being assembled: one part, or a multipart.
enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

impl Part {
    /// Makes this part the first child of a new multipart.
    fn into_multipart(self, builder: lettre::message::MultiPartBuilder) -> MultiPart {
        match self {
            Part::Single(part) => builder.singlepart(part),
            Part::Multi(part) => builder.multipart(part),
        }
    }
}

fn attachment_part(a: &Attachment) -> SinglePart {
    let content_type = ContentType::parse(a.content_type.trim()).unwrap_or_else(|_| {
        tracing::warn!(content_type = %a.content_type, filename = %a.filename, "unparsable attachment content type");
        ContentType::parse("application/octet-stream").expect("a valid constant content type")
    });
    let filename = clean_header_text(&a.filename);
    let disposition = match &a.inline_id {
        Some(id) => MimeAttachment::new_inline_with_name(clean_content_id(id), filename),
        None => MimeAttachment::new(filename),
    };
    disposition.body(a.bytes.clone(), content_type)
}

/// Replaces control characters (CR, LF…) that must not reach a header.
fn clean_header_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// A Content-ID without angle brackets and with only characters safe in a msg-id.
fn clean_content_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').chars().filter(|c| is_msg_id_char(*c)).collect()
}

fn is_msg_id_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '<' | '>' | '@' | '(' | ')' | ',' | ';' | ':' | '\\' | '"' | '[' | ']')
}

/// `<key@domain>` from the idempotency key, or `None` when the key has nothing usable.
fn message_id(key: &str, domain: &str) -> Option<String> {
    let left: String = key.chars().filter(|c| is_msg_id_char(*c)).collect();
    let domain: String = domain.chars().filter(|c| is_msg_id_char(*c)).collect();
    (!left.is_empty()).then(|| format!("<{left}@{}>", if domain.is_empty() { "dondoc.invalid" } else { &domain }))
}

/// The queue id from a reply like `250 2.0.0 Ok: queued as 4F2A…`, else the reply text.
fn provider_id(lines: &[&str]) -> Option<String> {
    for line in lines {
        if let Some(pos) = line.find("queued as ") {
            let id = line[pos + "queued as ".len()..].split_whitespace().next().unwrap_or("");
            if !id.is_empty() {
                return Some(id.to_string());
            }
        }
    }
    let text = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// Whether the server refuses *us* rather than a recipient or a message: authentication
/// required or refused, a mechanism or encryption demanded (530, 534, 535, 538: RFC 4954
/// §6), or an enhanced status of class X.7 (security or policy: "relaying denied") or
/// X.1.7/X.1.8 (our sender address: RFC 3463 §3.2, §3.8).
fn refuses_the_sender(e: &smtp::Error) -> bool {
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    if ["530", "534", "535", "538"].contains(&code.as_str()) {
        return true;
    }
    let text = e.to_string();
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').any(|word| {
        let mut parts = word.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("5" | "4"), Some("7"), Some(d), None) => d.parse::<u16>().is_ok(),
            (Some("5"), Some("1"), Some("7" | "8"), None) => true,
            _ => false,
        }
    })
}

/// Whether the connection failed in its TLS handshake (a certificate not trusted, a
/// protocol the server does not speak): rustls reports those as I/O errors of kind
/// `InvalidData`, unlike a refused or dropped connection.
fn tls_refused(e: &smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData) {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether another attempt can help, and whose fault it is: the server refusing us
/// (credentials, relay, sender) is a fault of the channel's configuration; other 5xx
/// replies refuse the recipient or the message; a client or TLS error other than a
/// recipient the server cannot take (security mode, certificate) is a configuration fault
/// too; reaching the server (connection, timeouts, 4xx) is transient.
fn classify(e: &smtp::Error, server: &str, non_ascii_recipient: bool) -> SendError {
    if (e.is_permanent() || e.is_transient()) && refuses_the_sender(e) {
        SendError::Channel(format!("máy chủ SMTP {server} từ chối tài khoản gửi: {e}"))
    } else if e.is_permanent() {
        SendError::Permanent(format!("máy chủ SMTP {server} từ chối thư: {e}"))
    } else if e.is_transient() {
        SendError::Transient(format!("máy chủ SMTP {server} tạm thời từ chối thư: {e}"))
    } else if e.is_client() && non_ascii_recipient {
        // The only client error a message itself causes: a non-ASCII address the server
        // cannot take (no SMTPUTF8). Other client errors are configuration problems.
        SendError::Permanent(format!("máy chủ SMTP {server} không nhận được địa chỉ này: {e}"))
    } else if e.is_client() || e.is_tls() || tls_refused(e) {
        SendError::Channel(format!("cấu hình kết nối máy chủ SMTP {server} không dùng được: {e}"))
    } else if e.is_timeout() {
        SendError::Transient(format!("máy chủ SMTP {server} không trả lời kịp: {e}"))
    } else {
        SendError::Transient(format!("lỗi kết nối máy chủ SMTP {server}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_id_prefers_the_queue_id() {
        assert_eq!(provider_id(&["2.0.0 Ok: queued as 4F2A9C01B7"]), Some("4F2A9C01B7".to_string()));
        assert_eq!(provider_id(&["OK", "id=abc"]), Some("OK id=abc".to_string()));
        assert_eq!(provider_id(&[]), None);
    }

    #[test]
    fn message_id_is_stable_and_safe() {
        assert_eq!(message_id("0123abcd", "example.gov.vn"), Some("<0123abcd@example.gov.vn>".to_string()));
        assert_eq!(message_id("a b<c>@d", "x.vn"), Some("<abcd@x.vn>".to_string()));
        assert_eq!(message_id("<>", "x.vn"), None);
    }

    #[test]
    fn header_text_loses_control_characters() {
        assert_eq!(clean_header_text("Nhắc việc\r\nBcc: x@y.z"), "Nhắc việc  Bcc: x@y.z");
    }

    #[test]
    fn config_defaults() {
        let c: EmailConfig = serde_json::from_str(r#"{"from": "Tổ giúp việc <nhacviec@example.gov.vn>"}"#).unwrap();
        assert_eq!(c.security, Security::Starttls);
        assert_eq!(c.effective_port(), 587);
        assert_eq!(c.pool_size, 4);
        assert!(!c.accept_invalid_certs);
        assert!(serde_json::from_str::<EmailConfig>(r#"{"pool-size": 2}"#).is_err());
        let c = EmailConfig { password: Some("bí mật".to_string()), ..c };
        assert!(!format!("{c:?}").contains("bí mật"));
    }
}

//! The channels a daemon sends on: the configured ones (`[email]`, `[telegram]`, `[zalo]`,
//! with their secrets read from the environment or files), or an outbox per channel for
//! simulations.

use std::sync::Arc;

use anyhow::{Context, Result};
use dondoc_app::answers::zalo::ZaloSeen;
use dondoc_app::clock::Clock;
use dondoc_core::event::Channel;
use dondoc_notify::channel::Sender;
use dondoc_notify::channel::email::{EmailConfig, EmailSender};
use dondoc_notify::channel::outbox::Outbox;
use dondoc_notify::channel::telegram::{TelegramConfig, TelegramSender};
use dondoc_notify::channel::zalo::{ZaloConfig, ZaloSender};

use crate::config::daemon::resolve_secret;
use crate::datadir::DataDir;

/// The configured channels.
#[derive(Default)]
pub struct RealChannels {
    pub senders: Vec<Arc<dyn Sender>>,
    pub telegram: Option<TelegramSender>,
    /// The Zalo configuration (webhook verification), when the channel is on.
    pub zalo: Option<ZaloConfig>,
    /// The Zalo channel, which also answers what officers write to the OA.
    pub zalo_sender: Option<Arc<ZaloSender>>,
    /// When each Zalo user last wrote to the OA (the consultation window), shared by the
    /// sender and the webhook; filled from the contact book once the store is open.
    pub zalo_seen: ZaloSeen,
    /// Where the channels send: (section, host).
    pub endpoints: Vec<(&'static str, String)>,
}

/// The host of a URL ("https://api.telegram.org/bot…" → "api.telegram.org").
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default().to_string();
    }
    authority.split(':').next().unwrap_or_default().to_string()
}

/// Whether `host` is this machine: a loopback address, or a name that resolves only to
/// loopback addresses.
pub fn is_loopback(host: &str) -> bool {
    use std::net::ToSocketAddrs as _;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    match (host, 0).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// Builds the configured channels.
pub fn real(data: &DataDir, clock: &Clock) -> Result<RealChannels> {
    let mut out = RealChannels::default();
    let config = &data.config;
    if let Some(table) = &config.email {
        let mut table = table.clone();
        resolve_secret(&mut table, "password", "email", &data.dir)?;
        let config: EmailConfig = table.try_into().context("[email] không hợp lệ")?;
        out.endpoints.push(("email", config.host.clone()));
        out.senders.push(Arc::new(EmailSender::new(&config).context("không khởi tạo được kênh email")?));
    }
    if let Some(table) = &config.telegram {
        let mut table = table.clone();
        resolve_secret(&mut table, "token", "telegram", &data.dir)?;
        let config: TelegramConfig = table.try_into().context("[telegram] không hợp lệ")?;
        out.endpoints.push(("telegram", host_of(&config.api_url)));
        let bot = TelegramSender::new(&config).context("không khởi tạo được kênh Telegram")?;
        out.senders.push(Arc::new(bot.clone()));
        out.telegram = Some(bot);
    }
    if let Some(config) = zalo_config(data)? {
        for url in [&config.oa_api_url, &config.zns_api_url, &config.oauth_url] {
            out.endpoints.push(("zalo", host_of(url)));
        }
        let sender = ZaloSender::new(config.clone(), out.zalo_seen.interactions(), clock.clone())
            .context("không khởi tạo được kênh Zalo")?;
        let sender = Arc::new(sender);
        out.senders.push(sender.clone());
        out.zalo_sender = Some(sender);
        out.zalo = Some(config);
    }
    Ok(out)
}

/// The `[zalo]` section with its secrets resolved and the token file's path made absolute;
/// `None` when the channel is not configured.
pub fn zalo_config(data: &DataDir) -> Result<Option<ZaloConfig>> {
    let Some(table) = &data.config.zalo else { return Ok(None) };
    let mut table = table.clone();
    for secret in ["app_secret", "oa_secret_key"] {
        resolve_secret(&mut table, secret, "zalo", &data.dir)?;
    }
    let mut config: ZaloConfig = table.try_into().context("[zalo] không hợp lệ")?;
    if config.token_file.is_relative() {
        config.token_file = data.dir.join(&config.token_file);
    }
    Ok(Some(config))
}

/// An outbox sender for every channel, writing into `dir`.
pub fn outboxes(dir: &std::path::Path, clock: &Clock) -> Vec<Arc<dyn Sender>> {
    [Channel::Email, Channel::Telegram, Channel::Zalo]
        .into_iter()
        .map(|ch| Arc::new(Outbox::new(ch, dir, clock.clone())) as Arc<dyn Sender>)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls_and_loopback() {
        let cases = [
            ("https://api.telegram.org/bot123:abc", "api.telegram.org"),
            ("http://127.0.0.1:8081", "127.0.0.1"),
            ("http://[::1]:9000/x", "::1"),
            ("https://user@openapi.zalo.me/v3.0/oa", "openapi.zalo.me"),
            ("localhost", "localhost"),
        ];
        for (url, host) in cases {
            assert_eq!(host_of(url), host, "{url}");
        }
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && is_loopback("localhost"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("api.telegram.org.invalid"));
    }
}

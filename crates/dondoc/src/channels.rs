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
    /// When each Zalo user last wrote to the OA (the consultation window), shared by the
    /// sender and the webhook; filled from the contact book once the store is open.
    pub zalo_seen: ZaloSeen,
}

/// Builds the configured channels.
pub fn real(data: &DataDir, clock: &Clock) -> Result<RealChannels> {
    let mut out = RealChannels::default();
    let config = &data.config;
    if let Some(table) = &config.email {
        let mut table = table.clone();
        resolve_secret(&mut table, "password", "email", &data.dir)?;
        let config: EmailConfig = table.try_into().context("[email] không hợp lệ")?;
        out.senders.push(Arc::new(EmailSender::new(&config).context("không khởi tạo được kênh email")?));
    }
    if let Some(table) = &config.telegram {
        let mut table = table.clone();
        resolve_secret(&mut table, "token", "telegram", &data.dir)?;
        let config: TelegramConfig = table.try_into().context("[telegram] không hợp lệ")?;
        let bot = TelegramSender::new(&config).context("không khởi tạo được kênh Telegram")?;
        out.senders.push(Arc::new(bot.clone()));
        out.telegram = Some(bot);
    }
    if let Some(table) = &config.zalo {
        let mut table = table.clone();
        for secret in ["app_secret", "oa_secret_key"] {
            resolve_secret(&mut table, secret, "zalo", &data.dir)?;
        }
        let mut config: ZaloConfig = table.try_into().context("[zalo] không hợp lệ")?;
        if config.token_file.is_relative() {
            config.token_file = data.dir.join(&config.token_file);
        }
        let sender = ZaloSender::new(config.clone(), out.zalo_seen.interactions(), clock.clone())
            .context("không khởi tạo được kênh Zalo")?;
        out.senders.push(Arc::new(sender));
        out.zalo = Some(config);
    }
    Ok(out)
}

/// An outbox sender for every channel, writing into `dir`.
pub fn outboxes(dir: &std::path::Path, clock: &Clock) -> Vec<Arc<dyn Sender>> {
    [Channel::Email, Channel::Telegram, Channel::Zalo]
        .into_iter()
        .map(|ch| Arc::new(Outbox::new(ch, dir, clock.clone())) as Arc<dyn Sender>)
        .collect()
}

//! Assembling a [`Daemon`] from an opened data directory: schedule, policies, templates,
//! and the channels (real ones for `serve`, the outbox for `simulate`, none for planning).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use anyhow::{Context, Result};
use dondoc_core::event::Channel;
use dondoc_notify::channel::Sender;
use dondoc_notify::channel::email::{EmailConfig, EmailSender};
use dondoc_notify::channel::outbox::Outbox;
use dondoc_notify::channel::telegram::{TelegramConfig, TelegramSender};
use dondoc_notify::channel::zalo::{Interactions, ZaloConfig, ZaloSender};
use dondoc_notify::dispatch::{DispatchConfig, Dispatcher};
use dondoc_notify::templates::Templates;

use super::clock::Clock;
use super::schedule::{Job, JobKind};
use super::settings::resolve_secret;
use super::{Daemon, Status};
use crate::app::App;

/// The configured channels, built from `[email]`, `[telegram]`, `[zalo]`.
#[derive(Default)]
pub struct RealChannels {
    pub senders: Vec<Arc<dyn Sender>>,
    pub telegram: Option<TelegramSender>,
    /// The Zalo configuration (webhook verification), when the channel is on.
    pub zalo: Option<ZaloConfig>,
    /// When each Zalo user last wrote to the OA (the 7-day consultation window).
    pub zalo_seen: ZaloSeen,
}

/// Zalo user id → last interaction, shared by the sender and the webhook.
pub type ZaloSeen = Arc<std::sync::RwLock<HashMap<String, DateTime<Utc>>>>;

/// Builds the configured channels (secrets from the environment or files).
pub async fn real_channels(app: &App, clock: &Clock) -> Result<RealChannels> {
    let mut out = RealChannels::default();
    if let Some(table) = &app.config.email {
        let mut table = table.clone();
        resolve_secret(&mut table, "password", "email", &app.dir)?;
        let config: EmailConfig = table.try_into().context("[email] không hợp lệ")?;
        out.senders.push(Arc::new(EmailSender::new(&config).context("không khởi tạo được kênh email")?));
    }
    if let Some(table) = &app.config.telegram {
        let mut table = table.clone();
        resolve_secret(&mut table, "token", "telegram", &app.dir)?;
        let config: TelegramConfig = table.try_into().context("[telegram] không hợp lệ")?;
        let bot = TelegramSender::new(&config).context("không khởi tạo được kênh Telegram")?;
        out.senders.push(Arc::new(bot.clone()));
        out.telegram = Some(bot);
    }
    if let Some(table) = &app.config.zalo {
        let mut table = table.clone();
        for secret in ["app_secret", "oa_secret_key"] {
            resolve_secret(&mut table, secret, "zalo", &app.dir)?;
        }
        let mut config: ZaloConfig = table.try_into().context("[zalo] không hợp lệ")?;
        if config.token_file.is_relative() {
            config.token_file = app.dir.join(&config.token_file);
        }
        let book = super::load::contacts(&app.store).await?;
        {
            let mut seen = out.zalo_seen.write().expect("zalo lock");
            for card in book.cards() {
                if let (Some(uid), Some(at)) = (&card.zalo, book.zalo_last_interaction(&card.id)) {
                    seen.insert(uid.clone(), at);
                }
            }
        }
        let seen = out.zalo_seen.clone();
        let interactions: Interactions = Arc::new(move |uid: &str| seen.read().ok()?.get(uid).copied());
        let sender =
            ZaloSender::new(config.clone(), interactions, clock.clone()).context("không khởi tạo được kênh Zalo")?;
        out.senders.push(Arc::new(sender));
        out.zalo = Some(config);
    }
    Ok(out)
}

/// A daemon over `app`, sending on `senders`.
pub fn daemon(app: App, senders: Vec<Arc<dyn Sender>>, dispatch: DispatchConfig, clock: Clock) -> Result<Daemon> {
    let c = &app.config;
    let mut jobs = vec![
        Job::new(JobKind::Sweep, &c.schedule.sweep)?,
        Job::new(JobKind::WeeklySummary, &c.schedule.weekly_summary)?,
    ];
    if let Some(daily) = &c.schedule.daily_digest {
        jobs.push(Job::new(JobKind::DailyDigest, daily)?);
    }
    if let Some(font) = &c.summary.font {
        let font = app.dir.join(font);
        if let Err(e) = dondoc_notify::summary::set_chart_font(&font) {
            tracing::warn!(error = %e, "không nạp được phông chữ cho biểu đồ; dùng phông mặc định của hệ thống");
        }
    }
    let templates_dir = c.templates.dir.as_ref().map(|d| app.dir.join(d));
    let templates = Templates::load(templates_dir.as_deref(), c.wording.clone())?;
    let reminders = c.reminders.policy()?;
    let channel_order = c.reminders.channel_order()?;
    let dispatcher = Dispatcher::new(senders, dispatch, clock.clone());
    Ok(Daemon {
        reminders,
        channel_order,
        templates,
        dispatcher,
        jobs,
        clock,
        status: std::sync::Mutex::new(Status::default()),
        inputs: tokio::sync::Mutex::new(None),
        due_soon_working_days: app.due_soon_working_days,
        agencies: app.agencies,
        calendar: app.calendar,
        policy: app.policy,
        projections: tokio::sync::Mutex::new(app.projections),
        store: app.store,
    })
}

/// Outbox senders for every channel.
pub fn outboxes(dir: &std::path::Path, clock: &Clock) -> Vec<Arc<dyn Sender>> {
    [Channel::Email, Channel::Telegram, Channel::Zalo]
        .into_iter()
        .map(|ch| Arc::new(Outbox::new(ch, dir, clock.clone())) as Arc<dyn Sender>)
        .collect()
}

//! The daemon's sections of `dondoc.toml`: server, schedule, reminders, dispatch,
//! templates and wording, and the channels. Secrets never come from the file: a channel
//! section names the environment variable (`*_env`) or file (`*_file`) holding each one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveTime;
use dondoc_core::contact::DEFAULT_CHANNEL_ORDER;
use dondoc_core::event::Channel;
use dondoc_core::reminder::ReminderPolicy;
use serde::Deserialize;

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Address of the HTTP endpoint (`/healthz`, webhooks).
    pub listen: String,
    /// "human" or "json" logs.
    pub log_format: String,
    /// Seconds SIGTERM waits for in-flight sends before exiting.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection { listen: "127.0.0.1:8787".into(), log_format: "human".into(), shutdown_grace_secs: 8 }
    }
}

/// `[schedule]`: cron expressions read in Asia/Ho_Chi_Minh (with or without seconds).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSection {
    pub sweep: String,
    pub weekly_summary: String,
    pub daily_digest: Option<String>,
}

impl Default for ScheduleSection {
    fn default() -> Self {
        ScheduleSection { sweep: "0 */15 * * * *".into(), weekly_summary: "0 30 7 * * Mon".into(), daily_digest: None }
    }
}

/// `[reminders]`: when reminders go out, and the channel preference.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemindersSection {
    pub before_start: Vec<u32>,
    pub before_due: Vec<u32>,
    pub overdue_every_days: u32,
    pub escalate_after_working_days: u32,
    /// "08:00": the earliest local time a day's reminders are ready.
    pub send_at: String,
    pub urgent_hours: u32,
    /// Channels in order of preference: "telegram", "zalo", "email".
    pub channel_order: Vec<String>,
}

impl Default for RemindersSection {
    fn default() -> Self {
        let p = ReminderPolicy::default();
        RemindersSection {
            before_start: p.before_start,
            before_due: p.before_due,
            overdue_every_days: p.overdue_every_days,
            escalate_after_working_days: p.escalate_after_working_days,
            send_at: p.send_at.format("%H:%M").to_string(),
            urgent_hours: p.urgent_hours,
            channel_order: DEFAULT_CHANNEL_ORDER.iter().map(|c| c.as_str().to_string()).collect(),
        }
    }
}

impl RemindersSection {
    pub fn policy(&self) -> Result<ReminderPolicy> {
        let send_at = NaiveTime::parse_from_str(&self.send_at, "%H:%M")
            .with_context(|| format!("[reminders] send_at = \"{}\" phải có dạng HH:MM", self.send_at))?;
        Ok(ReminderPolicy {
            before_start: self.before_start.clone(),
            before_due: self.before_due.clone(),
            overdue_every_days: self.overdue_every_days,
            escalate_after_working_days: self.escalate_after_working_days,
            send_at,
            urgent_hours: self.urgent_hours,
        })
    }

    pub fn channel_order(&self) -> Result<Vec<Channel>> {
        self.channel_order.iter().map(|c| parse_channel(c)).collect()
    }
}

/// Reads a channel name.
pub fn parse_channel(name: &str) -> Result<Channel> {
    Ok(match name.trim().to_lowercase().as_str() {
        "email" => Channel::Email,
        "telegram" => Channel::Telegram,
        "zalo" => Channel::Zalo,
        other => bail!("kênh \"{other}\" không có; chọn email, telegram hoặc zalo"),
    })
}

/// `[templates]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplatesSection {
    /// A directory with templates overriding the built-in ones (relative to the data directory).
    pub dir: Option<PathBuf>,
}

/// `[summary]`: the weekly leadership summary.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummarySection {
    /// A TrueType font with Vietnamese glyphs for the chart (default: DejaVu Sans, Noto
    /// Sans or Liberation Sans from the system).
    pub font: Option<PathBuf>,
    /// The secretariat's proposals (kiến nghị) for the weekly summary, one per line (or
    /// per "- " item); relative to the data directory; default `kien-nghi.txt`. Used
    /// when written since the start of the week summarised.
    pub proposals_file: Option<PathBuf>,
}

/// Moves a secret into `table[key]` from the variable named by `key_env` or the file named
/// by `key_file` (the file's content, trimmed). A secret written in the file itself is refused.
pub fn resolve_secret(table: &mut toml::Table, key: &str, section: &str, dir: &Path) -> Result<()> {
    if table.contains_key(key) {
        bail!("[{section}] {key}: không ghi bí mật trong tệp cấu hình; dùng {key}_env hoặc {key}_file");
    }
    if let Some(var) = table.remove(&format!("{key}_env")) {
        let var = var.as_str().unwrap_or_default().to_string();
        match std::env::var(&var) {
            Ok(v) if !v.is_empty() => {
                table.insert(key.into(), toml::Value::String(v));
            }
            _ => bail!("[{section}] {key}_env: biến môi trường {var} chưa được đặt"),
        }
    } else if let Some(file) = table.remove(&format!("{key}_file")) {
        let path = dir.join(file.as_str().unwrap_or_default());
        let v = std::fs::read_to_string(&path)
            .with_context(|| format!("[{section}] {key}_file: không đọc được {}", path.display()))?;
        table.insert(key.into(), toml::Value::String(v.trim().to_string()));
    }
    Ok(())
}

//! Configuration: the data directory's `dondoc.toml`, the calendar data, command-line
//! overrides; [`daemon`] has the daemon's sections and how secrets are read.

pub mod daemon;

use std::path::Path;

use anyhow::{Context, Result, bail};
use dondoc_core::WorkCalendar;
use dondoc_core::calendar::CalendarConfig;
use dondoc_core::policy::{BeforeDate, ReportingPolicy};
use serde::Deserialize;

use crate::cli::{BeforeDateArg, Global};

/// The calendar data shipped with dondoc (`config/calendar.toml`).
pub const DEFAULT_CALENDAR: &str = include_str!("../../../../config/calendar.toml");
/// The agency directory shipped with dondoc (`config/agencies.toml`).
pub const DEFAULT_AGENCIES: &str = include_str!("../../../../config/agencies.toml");
/// The documented example configuration (`config/dondoc.example.toml`), copied by `init`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../../config/dondoc.example.toml");

/// `dondoc.toml`. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub calendar: CalendarSection,
    #[serde(default)]
    pub reporting: ReportingSection,
    #[serde(default)]
    pub classification: ClassificationSection,
    #[serde(default)]
    pub agencies: AgenciesSection,
    #[serde(default)]
    pub server: self::daemon::ServerSection,
    #[serde(default)]
    pub schedule: self::daemon::ScheduleSection,
    #[serde(default)]
    pub reminders: self::daemon::RemindersSection,
    #[serde(default)]
    pub dispatch: dondoc_notify::dispatch::DispatchConfig,
    #[serde(default)]
    pub templates: self::daemon::TemplatesSection,
    #[serde(default)]
    pub wording: dondoc_notify::templates::Wording,
    #[serde(default)]
    pub summary: self::daemon::SummarySection,
    #[serde(default)]
    pub audit: AuditSection,
    /// `[store]`: the log on a server instead of the embedded file.
    #[serde(default)]
    pub store: StoreSection,
    /// `[web]`: the API and the pages (token lifetime, sign-in limits, body size).
    #[serde(default)]
    pub web: dondoc_web::WebConfig,
    /// Channel sections, read by `channels` (secrets resolved from the environment or files).
    pub email: Option<toml::Table>,
    pub telegram: Option<toml::Table>,
    pub zalo: Option<toml::Table>,
}

/// `[store]`: a server store's URL (`postgres://…`), given as such when it holds no
/// password, else through `url_env` (an environment variable) or `url_file` (a file,
/// relative to the data directory). `--store` and `DONDOC_STORE` take precedence.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<std::path::PathBuf>,
}

impl StoreSection {
    /// The configured URL, if any; a password written in the file itself is refused.
    pub fn location(&self, dir: &std::path::Path) -> anyhow::Result<Option<String>> {
        use anyhow::Context as _;
        if let Some(url) = &self.url {
            let authority = url.split("://").nth(1).unwrap_or_default().split(['/', '?']).next().unwrap_or_default();
            if authority.split('@').next().is_some_and(|user| authority.contains('@') && user.contains(':')) {
                anyhow::bail!("[store] url: không ghi mật khẩu trong tệp cấu hình; dùng url_env hoặc url_file");
            }
            return Ok(Some(url.clone()));
        }
        if let Some(var) = &self.url_env {
            return match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
                _ => anyhow::bail!("[store] url_env: biến môi trường {var} chưa được đặt"),
            };
        }
        if let Some(file) = &self.url_file {
            let path = dir.join(file);
            let v = std::fs::read_to_string(&path)
                .with_context(|| format!("[store] url_file: không đọc được {}", path.display()))?;
            return Ok(Some(v.trim().to_string()));
        }
        Ok(None)
    }
}

/// `[audit]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// The seal key file, outside the data directory (absolute, or relative to the data
    /// directory's parent); default `$DONDOC_SEAL_KEY`, else `<user config>/dondoc/seal.key`.
    pub seal_key_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgenciesSection {
    /// Agency directory file; relative paths are read from the data directory.
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSection {
    /// Calendar data file; relative paths are read from the data directory.
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingSection {
    pub policy: Option<String>,
    pub before_date: Option<BeforeDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationSection {
    #[serde(default = "default_due_soon")]
    pub due_soon_working_days: u32,
}

impl Default for ClassificationSection {
    fn default() -> Self {
        ClassificationSection { due_soon_working_days: default_due_soon() }
    }
}

fn default_due_soon() -> u32 {
    5
}

impl FileConfig {
    /// Reads `path`; a missing file means every default.
    pub fn load(path: &Path) -> Result<FileConfig> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                let section = e.span().and_then(|span| section_at(&text, span.start));
                let place = section.map(|s| format!(" (mục [{s}])")).unwrap_or_default();
                anyhow::anyhow!("tệp cấu hình {}{place} không hợp lệ: {e}", path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
            Err(e) => Err(e).with_context(|| format!("không đọc được {}", path.display())),
        }
    }
}

/// The `[section]` whose body holds byte `offset` of a TOML text (`None` at the top).
fn section_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    before.lines().rev().find_map(|line| {
        let line = line.trim();
        let name = line.strip_prefix('[')?.split(']').next()?.trim();
        (!line.starts_with("[[") && !name.is_empty()).then(|| name.to_string())
    })
}

/// The notices the secretariat recorded with `dondoc calendar add-notice`, in the data
/// directory; each year there replaces the same year of the calendar file.
pub const NOTICES_FILE: &str = "calendar-notices.toml";

/// Parses and validates calendar data.
pub fn parse_calendar(text: &str, origin: &str) -> Result<WorkCalendar> {
    let config = parse_calendar_config(text, origin)?;
    WorkCalendar::new(&config).with_context(|| format!("tệp lịch {origin} không hợp lệ"))
}

fn parse_calendar_config(text: &str, origin: &str) -> Result<CalendarConfig> {
    let config: CalendarConfig = toml::from_str(text).with_context(|| format!("không đọc được tệp lịch {origin}"))?;
    // Checked alone, so that an error names the file it is in.
    WorkCalendar::new(&config).with_context(|| format!("tệp lịch {origin} không hợp lệ"))?;
    Ok(config)
}

fn load_calendar_config(path: &Path) -> Result<CalendarConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("không mở được tệp lịch {}", path.display()))?;
    parse_calendar_config(&text, &path.display().to_string())
}

/// The files the calendar is read from: `--calendar`, else the data directory's
/// `[calendar] file` (none: the built-in data), and the data directory's notices file.
pub fn calendar_files(
    global: &Global,
    file: &FileConfig,
    dir: &Path,
) -> (Option<std::path::PathBuf>, std::path::PathBuf) {
    let base = global.calendar.clone().or_else(|| file.calendar.file.as_ref().map(|p| dir.join(p)));
    (base, dir.join(NOTICES_FILE))
}

/// The calendar data before the recorded notices.
pub fn base_calendar_config(global: &Global, file: &FileConfig, dir: &Path) -> Result<CalendarConfig> {
    load_base_calendar(calendar_files(global, file, dir).0.as_deref())
}

/// The calendar data of `base`, else the built-in data.
pub fn load_base_calendar(base: Option<&Path>) -> Result<CalendarConfig> {
    match base {
        Some(path) => load_calendar_config(path),
        None => parse_calendar_config(DEFAULT_CALENDAR, "mặc định (config/calendar.toml)"),
    }
}

/// The notices recorded in the data directory (none when the file does not exist).
pub fn recorded_notices(dir: &Path) -> Result<CalendarConfig> {
    let path = dir.join(NOTICES_FILE);
    if !path.exists() {
        return Ok(CalendarConfig::default());
    }
    load_calendar_config(&path)
}

/// The calendar: `--calendar`, else the data directory's `[calendar] file`, else built in;
/// with the notices recorded in the data directory.
pub fn calendar_for(global: &Global, file: &FileConfig, dir: &Path) -> Result<WorkCalendar> {
    let config = base_calendar_config(global, file, dir)?.with_notices(&recorded_notices(dir)?);
    WorkCalendar::new(&config).context("lịch sau khi áp dụng các thông báo đã ghi nhận không hợp lệ")
}

/// The agency directory configuration: the data directory's `[agencies] file`, else built in.
pub fn agencies_for(file: &FileConfig, dir: &Path) -> Result<dondoc_core::agency::AgencyConfig> {
    let (text, origin) = match &file.agencies.file {
        Some(path) => {
            let path = dir.join(path);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("không mở được danh mục cơ quan {}", path.display()))?;
            (text, path.display().to_string())
        }
        None => (DEFAULT_AGENCIES.to_string(), "mặc định (config/agencies.toml)".to_string()),
    };
    toml::from_str(&text).with_context(|| format!("danh mục cơ quan {origin} không hợp lệ"))
}

/// The calendar for commands that need no store (`when`, `holidays`): the data
/// directory's calendar and notices when it has been initialised, else the built-in data.
pub fn calendar(global: &Global) -> Result<WorkCalendar> {
    match crate::datadir::data_dir(global) {
        Ok(dir) if dir.join(crate::datadir::CONFIG_FILE).exists() => {
            let file = FileConfig::load(&dir.join(crate::datadir::CONFIG_FILE))?;
            calendar_for(global, &file, &dir)
        }
        _ => match &global.calendar {
            Some(path) => Ok(WorkCalendar::new(&load_calendar_config(path)?)?),
            None => parse_calendar(DEFAULT_CALENDAR, "mặc định (config/calendar.toml)"),
        },
    }
}

/// The reporting policy: `--policy`/`--before-date`, else `[reporting]`, else nd09.
pub fn policy_for(global: &Global, file: &FileConfig) -> Result<ReportingPolicy> {
    let name = global.policy.as_deref().or(file.reporting.policy.as_deref()).unwrap_or("nd09");
    let Some(mut policy) = ReportingPolicy::preset(name) else {
        bail!("không có chế độ báo cáo \"{name}\"; chọn một trong: nd09, end_of_period, khanh_hoa_2023");
    };
    if let Some(b) = file.reporting.before_date {
        policy.before_date = b;
    }
    if let Some(b) = global.before_date {
        policy.before_date = match b {
            BeforeDateArg::Strict => BeforeDate::Strict,
            BeforeDateArg::Inclusive => BeforeDate::Inclusive,
        };
    }
    Ok(policy)
}

/// The policy for commands without a data directory.
pub fn policy(global: &Global) -> Result<ReportingPolicy> {
    policy_for(global, &FileConfig::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_calendar_is_valid() {
        let cal = parse_calendar(DEFAULT_CALENDAR, "test").unwrap();
        assert!(cal.is_confirmed(2025) && cal.is_confirmed(2026));
    }

    #[test]
    fn the_shipped_agency_directory_is_valid() {
        let c = agencies_for(&FileConfig::default(), Path::new(".")).unwrap();
        assert!(c.agencies.len() > 20 && !c.successions.is_empty());
    }

    #[test]
    fn the_example_configuration_is_valid() {
        let c: FileConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        assert_eq!(c.classification.due_soon_working_days, 5);
        assert_eq!(c.reporting.policy.as_deref(), Some("nd09"));
    }
}

#[cfg(test)]
mod channel_sections {
    use super::*;
    use dondoc_notify::channel::email::EmailConfig;
    use dondoc_notify::channel::telegram::TelegramConfig;
    use dondoc_notify::channel::zalo::ZaloConfig;

    /// The example with its commented channel sections switched on.
    fn example_with_channels() -> String {
        let mut out = String::new();
        let mut in_channels = false;
        for line in EXAMPLE_CONFIG.lines() {
            if ["# [email]", "# [telegram]", "# [zalo]"].contains(&line.trim()) {
                in_channels = true;
            }
            let line = match line.strip_prefix("# ") {
                Some(rest) if in_channels && (rest.starts_with('[') || rest.contains(" = ")) => {
                    rest.split(" # ").next().unwrap_or(rest).trim_end()
                }
                _ => line,
            };
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn every_section_refuses_an_unknown_key_naming_section_and_key() {
        let sections = [
            "server",
            "schedule",
            "reminders",
            "dispatch",
            "templates",
            "wording",
            "summary",
            "audit",
            "calendar",
            "reporting",
            "classification",
            "agencies",
        ];
        let dir = tempfile::tempdir().unwrap();
        for section in sections {
            let path = dir.path().join(format!("{section}.toml"));
            std::fs::write(&path, format!("[{section}]\nkhoa_la = 1\n")).unwrap();
            let error = format!("{:#}", FileConfig::load(&path).unwrap_err());
            assert!(error.contains(&format!("[{section}]")) && error.contains("khoa_la"), "{section}: {error}");
        }
        // The channel sections are read when the daemon starts.
        let mut email = toml::Table::new();
        email.insert("host".into(), "h".into());
        email.insert("khoa_la".into(), 1.into());
        let error = format!("{:#}", email.try_into::<EmailConfig>().unwrap_err());
        assert!(error.contains("khoa_la"), "{error}");
        let mut telegram = toml::Table::new();
        telegram.insert("khoa_la".into(), 1.into());
        assert!(telegram.try_into::<TelegramConfig>().unwrap_err().to_string().contains("khoa_la"));
        let mut zalo = toml::Table::new();
        zalo.insert("app_id".into(), "1".into());
        zalo.insert("token_file".into(), "t".into());
        zalo.insert("khoa_la".into(), 1.into());
        assert!(zalo.try_into::<ZaloConfig>().unwrap_err().to_string().contains("khoa_la"));
    }

    #[test]
    fn every_documented_channel_key_is_read() {
        let config: FileConfig = toml::from_str(&example_with_channels()).unwrap();
        let dir = Path::new(".");
        let mut email = config.email.expect("[email] documented");
        email.remove("password_env");
        let email: EmailConfig = email.try_into().unwrap();
        assert_eq!(email.pool_size, 4);
        let mut telegram = config.telegram.expect("[telegram] documented");
        telegram.remove("token_env");
        let _: TelegramConfig = telegram.try_into().unwrap();
        let mut zalo = config.zalo.expect("[zalo] documented");
        zalo.remove("app_secret_env");
        zalo.remove("oa_secret_key_env");
        let zalo: ZaloConfig = zalo.try_into().unwrap();
        assert_eq!((zalo.reply_window_hours, zalo.reply_window_messages, zalo.param_max_chars), (48, 8, 30));
        // A secret written in the file is refused; one named by *_env is read from it.
        let mut t = toml::Table::new();
        t.insert("password".into(), "x".into());
        assert!(crate::config::daemon::resolve_secret(&mut t, "password", "email", dir).is_err());
        let mut t = toml::Table::new();
        t.insert("password_env".into(), "DONDOC_TEST_UNSET_SECRET_VARIABLE".into());
        assert!(crate::config::daemon::resolve_secret(&mut t, "password", "email", dir).is_err());
    }
}

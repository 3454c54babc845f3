//! The data directory: where the event store and `dondoc.toml` live, and how a command
//! opens it as an [`App`] with the settings, templates and chart font it configures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use dondoc_app::clock::Clock;
use dondoc_app::schedule::{Job, JobKind};
use dondoc_app::{App, AppError, Delivery, Settings};
use dondoc_notify::templates::Templates;
use dondoc_store::any::Store;

use crate::cli::Global;
use crate::config::{self, FileConfig};

/// The database file inside the data directory.
pub const DB_FILE: &str = "dondoc.sqlite";
/// The secretariat's proposals for the weekly summary, inside the data directory.
pub const PROPOSALS_FILE: &str = "kien-nghi.txt";

/// The proposals in `file` if it was written at or after `since` (the start of the week
/// summarised), else none: last week's proposals are not sent again. An item starts at a
/// line beginning "-", "•", "*" or "1." (or any line after a blank one) and runs on over
/// the following lines.
pub fn read_proposals(file: &std::path::Path, since: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let Ok(meta) = std::fs::metadata(file) else { return Vec::new() };
    let written: Option<chrono::DateTime<chrono::Utc>> = meta.modified().ok().map(Into::into);
    if written.is_none_or(|w| w < since) {
        tracing::info!(file = %file.display(), "tệp kiến nghị chưa được cập nhật trong tuần: không đưa vào báo cáo");
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Vec::new() };
    let mut items: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        let bullet = line.strip_prefix(['-', '•', '*']).map(str::trim).or_else(|| {
            let (n, rest) = line.split_once(['.', ')'])?;
            (n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty()).then(|| rest.trim())
        });
        match (bullet, open, items.last_mut()) {
            (None, true, Some(last)) => {
                last.push(' ');
                last.push_str(line);
            }
            (b, _, _) => {
                items.push(dondoc_core::text::clean(b.unwrap_or(line)));
                open = true;
            }
        }
    }
    items.retain(|i| !i.is_empty());
    items
}

/// The configuration file inside the data directory.
pub const CONFIG_FILE: &str = "dondoc.toml";

/// Where the chart font is looked for when `[summary] font` is not set (DejaVu Sans on
/// Debian/Ubuntu, Fedora and Arch; Noto Sans; Liberation Sans): all have the Vietnamese
/// letters.
const DEFAULT_FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// The data directory: `--data-dir`, `$DONDOC_DATA_DIR`, else the user's data directory.
pub fn data_dir(global: &Global) -> Result<PathBuf> {
    match &global.data_dir {
        Some(d) => Ok(d.clone()),
        None => dirs::data_dir()
            .map(|d| d.join("dondoc"))
            .ok_or_else(|| anyhow!("không xác định được thư mục dữ liệu; hãy dùng --data-dir hoặc DONDOC_DATA_DIR")),
    }
}

/// An initialised data directory and its configuration.
pub struct DataDir {
    pub dir: PathBuf,
    pub config: FileConfig,
    /// The store file: `dondoc.sqlite` in `dir` unless `--store` names another.
    db: PathBuf,
}

impl DataDir {
    /// The data directory of `global`, which must have been initialised.
    pub fn locate(global: &Global) -> Result<DataDir> {
        let dir = data_dir(global)?;
        if !dir.join(CONFIG_FILE).exists() && !dir.join(DB_FILE).exists() {
            return Err(AppError::Input(format!(
                "chưa có dữ liệu ở {}: hãy chạy \"dondoc init\" (hoặc chọn --data-dir)",
                dir.display()
            ))
            .into());
        }
        private(&dir);
        let config = FileConfig::load(&dir.join(CONFIG_FILE))?;
        let db = store_location(global, &config, &dir)?;
        if !Store::is_server_url(&db.to_string_lossy()) && !db.is_file() {
            let message = if global.store.is_some() {
                format!("không có tệp dữ liệu {} (--store)", db.display())
            } else {
                format!("chưa có dữ liệu ở {}: hãy chạy \"dondoc init\" (hoặc chọn --data-dir)", dir.display())
            };
            return Err(AppError::Input(message).into());
        }
        Ok(DataDir { dir, config, db })
    }

    /// The store file.
    pub fn db(&self) -> PathBuf {
        self.db.clone()
    }

    /// What the use cases follow, from `dondoc.toml` and the command line.
    pub fn settings(&self, global: &Global) -> Result<Settings> {
        let c = &self.config;
        let mut jobs = vec![
            Job::new(JobKind::Sweep, &c.schedule.sweep)?,
            Job::new(JobKind::WeeklySummary, &c.schedule.weekly_summary)?,
        ];
        if let Some(daily) = &c.schedule.daily_digest {
            jobs.push(Job::new(JobKind::DailyDigest, daily)?);
        }
        Ok(Settings {
            calendar: config::calendar_for(global, c, &self.dir)?.into(),
            policy: config::policy_for(global, c)?,
            due_soon_working_days: c.classification.due_soon_working_days,
            agencies: config::agencies_for(c, &self.dir)?,
            reminders: c.reminders.policy()?,
            channel_order: c.reminders.channel_order()?,
            jobs,
            seal_key: crate::sealkey::load(c, &self.dir)?,
        })
    }

    /// The templates: built in, each replaced by a file of the same name in `[templates] dir`.
    pub fn templates(&self) -> Result<Templates> {
        let mut overrides = BTreeMap::new();
        if let Some(dir) = &self.config.templates.dir {
            let dir = self.dir.join(dir);
            let entries =
                std::fs::read_dir(&dir).with_context(|| format!("không đọc được thư mục mẫu {}", dir.display()))?;
            for entry in entries {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                if !name.ends_with(".j2") {
                    continue;
                }
                let source =
                    std::fs::read_to_string(&path).with_context(|| format!("không đọc được mẫu {}", path.display()))?;
                overrides.insert(name, source);
            }
        }
        Ok(Templates::new(&overrides, self.config.wording.clone())?
            .with_due_soon(self.config.classification.due_soon_working_days))
    }

    /// Gives the summary chart its font: `[summary] font`, else a system font with the
    /// Vietnamese letters. Without one the chart is drawn without text (a warning).
    pub fn load_chart_font(&self) {
        let configured = self.config.summary.font.as_ref().map(|f| self.dir.join(f));
        let candidates: Vec<PathBuf> = match configured {
            Some(path) => vec![path],
            None => DEFAULT_FONT_PATHS.iter().map(PathBuf::from).filter(|p| p.is_file()).collect(),
        };
        for path in candidates {
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| dondoc_notify::summary::set_chart_font(bytes).map_err(|e| e.to_string()))
            {
                Ok(()) => return,
                Err(e) => tracing::warn!(font = %path.display(), error = %e, "không dùng được phông chữ cho biểu đồ"),
            }
        }
    }

    /// Opens the store as an [`App`] delivering with `delivery`, reading time from `clock`.
    pub async fn open(&self, global: &Global, delivery: Delivery, clock: Clock) -> Result<App> {
        self.open_at(&self.db(), global, delivery, clock).await
    }

    /// [`DataDir::open`] on another store file with this directory's configuration (a
    /// simulation's copy).
    /// A `postgres://` or `esdb://` location connects to that server; the read models are then kept in
    /// this directory's `read-models.sqlite`, fed from the server's log.
    pub async fn open_at(
        &self,
        db: &std::path::Path,
        global: &Global,
        delivery: Delivery,
        clock: Clock,
    ) -> Result<App> {
        let location = db.to_string_lossy();
        let mut app = if Store::is_server_url(&location) {
            let store = connect(&location).await?;
            App::open_on(store, &self.dir.join(READ_MODELS_FILE), self.settings(global)?, delivery, clock)?
        } else {
            App::open(db, self.settings(global)?, delivery, clock)?
        };
        let file = self.dir.join(self.config.summary.proposals_file.clone().unwrap_or_else(|| PROPOSALS_FILE.into()));
        app.proposals = Some(std::sync::Arc::new(move |since| read_proposals(&file, since)));
        Ok(app)
    }
}

/// Opens the data directory for a command that sends nothing, at the command line's
/// instant (`DONDOC_NOW` or the system clock), and brings the read models up to date.
pub async fn open(global: &Global) -> Result<App> {
    let data = DataDir::locate(global)?;
    let app = data.open(global, Delivery::none()?, crate::clock::cli()?).await?;
    app.catch_up().await?;
    Ok(app)
}

/// Makes a data directory made by an older version (or by hand) private: the directory
/// 0700, the files in it 0600 (it holds officers' emails and phone numbers). What this
/// process creates is private already (umask 0077, set in `main`).
fn private(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let tighten = |path: &std::path::Path, mode: u32| {
            if let Ok(meta) = std::fs::symlink_metadata(path)
                && !meta.file_type().is_symlink()
                && meta.permissions().mode() & 0o077 != 0
                && let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            {
                eprintln!("cảnh báo: không đặt được quyền riêng cho {}: {e}", path.display());
            }
        };
        tighten(dir, 0o700);
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                tighten(&path, if is_dir { 0o700 } else { 0o600 });
            }
        }
    }
}

/// What `init` made or found.
pub struct Initialised {
    pub dir: PathBuf,
    pub config_created: bool,
    /// The seal key's file and whether it was created now.
    pub seal_key: Option<(PathBuf, bool)>,
    /// The store, as people read it (the file, or the server).
    pub store: String,
}

/// Creates the data directory, its configuration, the seal key (outside the directory)
/// and database when missing.
/// Creates the data directory and its configuration, and opens (creating) the store:
/// the embedded file, or the tables on the server `--store` names.
pub async fn init(global: &Global) -> Result<Initialised> {
    let dir = data_dir(global)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("không tạo được {}", dir.display()))?;
    private(&dir);
    let config_path = dir.join(CONFIG_FILE);
    let created = !config_path.exists();
    if created {
        std::fs::write(&config_path, config::EXAMPLE_CONFIG)
            .with_context(|| format!("không ghi được {}", config_path.display()))?;
    }
    let config = FileConfig::load(&config_path)?;
    let db = store_location(global, &config, &dir)?;
    let data = DataDir { config, db, dir: dir.clone() };
    let seal_key = crate::sealkey::create(&data.config, &dir)?;
    let app = data.open(global, Delivery::none()?, crate::clock::cli()?).await?;
    app.catch_up().await?;
    Ok(Initialised { dir, config_created: created, seal_key, store: app.store.describe() })
}

/// Where the log is: `--store`/`DONDOC_STORE`, else `[store]`, else `dondoc.sqlite` in
/// the data directory.
fn store_location(global: &Global, config: &FileConfig, dir: &std::path::Path) -> Result<PathBuf> {
    if let Some(store) = &global.store {
        return Ok(store.clone());
    }
    Ok(config.store.location(dir)?.map_or_else(|| dir.join(DB_FILE), PathBuf::from))
}

/// The read models' file in the data directory when the log is on a server.
pub const READ_MODELS_FILE: &str = "read-models.sqlite";

/// Connects to the server store `url` (`postgres://…`, `esdb://…`, `kurrentdb://…`).
pub async fn connect(url: &str) -> Result<Store> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = dondoc_store::postgres::PgStore::connect(url).await.map_err(AppError::from)?;
        return Ok(Store::Postgres(store));
    }
    if ["esdb://", "esdb+discover://", "kurrentdb://", "kurrentdb+discover://"].iter().any(|s| url.starts_with(s)) {
        let store = dondoc_store::esdb::EsdbStore::connect(url).await.map_err(AppError::from)?;
        return Ok(Store::Esdb(store));
    }
    Err(AppError::Input(format!("chưa hỗ trợ kho sự kiện \"{}\"", url.split("://").next().unwrap_or(url))).into())
}

#[cfg(test)]
mod proposals_tests {
    use super::read_proposals;

    #[test]
    fn proposals_are_items_written_this_week() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kien-nghi.txt");
        std::fs::write(
            &file,
            "- Đề nghị UBND tỉnh chỉ đạo Sở Tài chính khẩn trương hoàn thành\n  nhiệm vụ TC-01.\n\n2. Giao Sở Nội vụ \
             rà soát danh mục.\nĐề xuất gia hạn nhiệm vụ YT-01 đến 31/01/2026.\n",
        )
        .unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(
            read_proposals(&file, start),
            [
                "Đề nghị UBND tỉnh chỉ đạo Sở Tài chính khẩn trương hoàn thành nhiệm vụ TC-01.",
                "Giao Sở Nội vụ rà soát danh mục. Đề xuất gia hạn nhiệm vụ YT-01 đến 31/01/2026.",
            ]
        );
        // Written before the week began: last week's proposals are not sent again.
        let later = chrono::Utc::now() + chrono::Duration::days(1);
        assert!(read_proposals(&file, later).is_empty());
        assert!(read_proposals(&dir.path().join("none.txt"), start).is_empty());
    }
}

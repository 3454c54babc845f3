//! The data directory and what lives in it: the event store, the projections, the
//! configuration; opened once per command.

use dondoc_core::StreamEvent as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::classify::Classifier;
use dondoc_core::policy::ReportingPolicy;
use dondoc_projections::Projections;
use dondoc_store::sqlite::SqliteStore;

use crate::cli::Global;
use crate::config::{self, FileConfig};

/// The database file inside the data directory.
pub const DB_FILE: &str = "dondoc.sqlite";
/// The configuration file inside the data directory.
pub const CONFIG_FILE: &str = "dondoc.toml";

/// The data directory: `--data-dir`, `$DONDOC_DATA_DIR`, else the user's data directory.
pub fn data_dir(global: &Global) -> Result<PathBuf> {
    match &global.data_dir {
        Some(d) => Ok(d.clone()),
        None => dirs::data_dir()
            .map(|d| d.join("dondoc"))
            .ok_or_else(|| anyhow!("không xác định được thư mục dữ liệu; hãy dùng --data-dir hoặc DONDOC_DATA_DIR")),
    }
}

/// The current instant: the system clock, or `$DONDOC_NOW` (RFC 3339) to replay a scenario.
pub fn now() -> Result<DateTime<Utc>> {
    match std::env::var("DONDOC_NOW") {
        Ok(s) if !s.is_empty() => DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("DONDOC_NOW=\"{s}\" không phải thời điểm RFC 3339")),
        _ => Ok(Utc::now()),
    }
}

/// An opened data directory.
pub struct App {
    pub agencies: dondoc_core::agency::AgencyConfig,
    pub store: SqliteStore,
    pub projections: Projections,
    pub calendar: WorkCalendar,
    pub policy: ReportingPolicy,
    pub due_soon_working_days: u32,
    /// The data directory and its `dondoc.toml`.
    pub dir: PathBuf,
    pub config: FileConfig,
}

impl App {
    /// Opens an initialised data directory and brings the projections up to date.
    pub async fn open(global: &Global) -> Result<App> {
        let dir = data_dir(global)?;
        let db = dir.join(DB_FILE);
        if !db.exists() {
            return Err(crate::InputError(format!(
                "chưa có dữ liệu ở {}: hãy chạy \"dondoc init\" (hoặc chọn --data-dir)",
                dir.display()
            ))
            .into());
        }
        let file_config = FileConfig::load(&dir.join(CONFIG_FILE))?;
        let mut app = App::open_db(&dir, &db, global, file_config)?;
        app.catch_up().await?;
        Ok(app)
    }

    fn open_db(dir: &Path, db: &Path, global: &Global, file: FileConfig) -> Result<App> {
        let store = match SqliteStore::open(db) {
            Ok(s) => s,
            // A damaged or foreign file: refuse to run, say which check failed, touch nothing.
            Err(e @ dondoc_store::StoreError::Integrity { .. }) => {
                return Err(crate::IntegrityError(format!("không mở được {}: {e}", db.display())).into());
            }
            Err(e) => return Err(e).with_context(|| format!("không mở được {}", db.display())),
        };
        let projections = Projections::open(db).with_context(|| format!("không mở được {}", db.display()))?;
        Ok(App {
            agencies: config::agencies_for(&file, dir)?,
            store,
            projections,
            calendar: config::calendar_for(global, &file, dir)?,
            policy: config::policy_for(global, &file)?,
            due_soon_working_days: file.classification.due_soon_working_days,
            dir: dir.to_path_buf(),
            config: file,
        })
    }

    /// Creates the data directory, its configuration and database when missing.
    pub async fn init(global: &Global) -> Result<(PathBuf, bool)> {
        let dir = data_dir(global)?;
        std::fs::create_dir_all(&dir).with_context(|| format!("không tạo được {}", dir.display()))?;
        let config_path = dir.join(CONFIG_FILE);
        let created = !config_path.exists();
        if created {
            std::fs::write(&config_path, config::EXAMPLE_CONFIG)
                .with_context(|| format!("không ghi được {}", config_path.display()))?;
        }
        let file_config = FileConfig::load(&config_path)?;
        let mut app = App::open_db(&dir, &dir.join(DB_FILE), global, file_config)?;
        app.catch_up().await?;
        Ok((dir, created))
    }

    /// Applies new events to the projections.
    pub async fn catch_up(&mut self) -> Result<()> {
        self.projections.catch_up(&self.store).await.context("không cập nhật được bảng theo dõi")?;
        Ok(())
    }

    /// The agency directory: the configuration and every agency event recorded since.
    pub async fn directory(&self) -> Result<dondoc_core::agency::Directory> {
        use dondoc_core::agency::{AGENCY_STREAM, AgencyEvent, Directory};
        use dondoc_store::{Direction, EventStore, StreamStart};
        let mut directory = Directory::new(self.agencies.clone());
        let events = self.store.read_stream(AGENCY_STREAM, Direction::Forwards, StreamStart::Start, usize::MAX).await?;
        for e in events {
            let event = AgencyEvent::decode(&e.event_type, e.data)
                .with_context(|| format!("sự kiện {AGENCY_STREAM}#{} không đọc được", e.revision))?;
            directory.apply(&event);
        }
        Ok(directory)
    }

    /// A classifier with this directory's calendar and policy.
    pub fn classifier(&self) -> Classifier<'_> {
        Classifier {
            due_soon_working_days: self.due_soon_working_days,
            ..Classifier::new(&self.calendar, &self.policy)
        }
    }
}

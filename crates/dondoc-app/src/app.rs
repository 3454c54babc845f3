//! [`App`]: an opened store with its read models, the settings the use cases follow, the
//! templates and dispatcher that deliver messages, and the clock. One per process; the
//! CLI, the daemon, the API and the chat handlers call use cases on it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::agency::{AgencyConfig, Directory};
use dondoc_core::classify::Classifier;
use dondoc_core::contact::DEFAULT_CHANNEL_ORDER;
use dondoc_core::event::Channel;
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::reminder::ReminderPolicy;
use dondoc_notify::channel::Sender;
use dondoc_notify::dispatch::{DispatchConfig, Dispatcher, Recorder};
use dondoc_notify::templates::Templates;
use dondoc_projections::{ProjectionError, Projections};
use dondoc_store::seal::SealKey;
use dondoc_store::sqlite::SqliteOptions;

use crate::reminders::record::Unrecorded;
use dondoc_store::any::Store;
use dondoc_store::sqlite::SqliteStore;
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use crate::clock::Clock;
use crate::error::{AppError, Result};
use crate::reminders::sweep::{Inputs, SweepReport};
use crate::schedule::{Job, JobKind};

/// What the use cases follow, read from the configuration by the caller.
pub struct Settings {
    /// The work calendar; replaced while the daemon runs when its files change.
    pub calendar: CalendarSlot,
    pub policy: ReportingPolicy,
    /// "Sắp đến hạn" within this many working days.
    pub due_soon_working_days: u32,
    /// The configured agency directory (recorded renames and mergers are added at read).
    pub agencies: AgencyConfig,
    pub reminders: ReminderPolicy,
    /// Channels in order of preference.
    pub channel_order: Vec<Channel>,
    /// The daemon's jobs and their schedules.
    pub jobs: Vec<Job>,
    /// The key every commit is sealed with (kept outside the data directory); `None`:
    /// commits are not sealed and `audit verify` cannot check seals.
    pub seal_key: Option<SealKey>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            calendar: WorkCalendar::default().into(),
            policy: ReportingPolicy::nd09(),
            due_soon_working_days: 5,
            agencies: AgencyConfig::default(),
            reminders: ReminderPolicy::default(),
            channel_order: DEFAULT_CHANNEL_ORDER.to_vec(),
            jobs: vec![
                Job::new(JobKind::Sweep, "0 */15 * * * *").expect("valid"),
                Job::new(JobKind::WeeklySummary, "0 30 7 * * Mon").expect("valid"),
            ],
            seal_key: None,
        }
    }
}

/// The work calendar in use: read with [`CalendarSlot::get`], replaced as a whole with
/// [`CalendarSlot::replace`] (a notice recorded while the daemon runs). Readers keep the
/// calendar they took for the whole of one use case.
#[derive(Debug, Default)]
pub struct CalendarSlot(std::sync::RwLock<Arc<WorkCalendar>>);

impl CalendarSlot {
    /// The calendar now.
    pub fn get(&self) -> Arc<WorkCalendar> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `calendar` in place for every later reader.
    pub fn replace(&self, calendar: WorkCalendar) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(calendar);
    }
}

impl From<WorkCalendar> for CalendarSlot {
    fn from(calendar: WorkCalendar) -> Self {
        CalendarSlot(std::sync::RwLock::new(Arc::new(calendar)))
    }
}

/// How messages are rendered and sent.
pub struct Delivery {
    pub templates: Templates,
    pub senders: Vec<Arc<dyn Sender>>,
    pub dispatch: DispatchConfig,
}

impl Delivery {
    /// The built-in templates and no channel: for commands that plan or preview only.
    pub fn none() -> Result<Delivery> {
        Ok(Delivery {
            templates: Templates::builtin(Default::default())?,
            senders: Vec::new(),
            dispatch: DispatchConfig::default(),
        })
    }
}

/// Wraps the recorder of every dispatch (reminders, summaries, digests): tests put a layer
/// here that loses records or fails, as a crash or a busy store would.
pub type RecorderLayer = Arc<dyn for<'a> Fn(Box<dyn Recorder + 'a>) -> Box<dyn Recorder + 'a> + Send + Sync>;

/// Where the secretariat's proposals (kiến nghị) for the weekly summary come from: given
/// the first instant of the week summarised, the proposals written for it (none when the
/// secretariat wrote nothing since). The binary reads them from a file it owns.
pub type ProposalsSource = Arc<dyn Fn(DateTime<Utc>) -> Vec<String> + Send + Sync>;

/// The daemon's recent activity, for `/healthz` and logs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub started_at: Option<DateTime<Utc>>,
    pub last_runs: HashMap<&'static str, DateTime<Utc>>,
    pub last_sweep: Option<SweepReport>,
    /// Jobs whose last run failed: since when (the first failure of the streak), how many
    /// runs failed and the last error. A run that succeeds removes its job.
    pub failing_jobs: HashMap<&'static str, JobFailure>,
}

/// A job failing since `since`.
#[derive(Debug, Clone, Serialize)]
pub struct JobFailure {
    pub since: DateTime<Utc>,
    pub runs: u32,
    pub error: String,
}

/// An opened data store and everything the use cases need.
pub struct App {
    pub store: Store,
    /// The file of the read models (the store file itself on SQLite; a local file per
    /// daemon on a server store).
    pub read_path: std::path::PathBuf,
    /// Evidence files beside the store (`evidence/` next to the store file).
    pub blobs: dondoc_store::blobs::BlobStore,
    /// The read models; [`App::read`] brings them up to date first.
    read: Mutex<Projections>,
    /// A read-only connection to the same tables, for [`App::peek`].
    peek: std::sync::Mutex<Projections>,
    /// Idle read-only connections for [`App::query`].
    readers: std::sync::Mutex<Vec<Projections>>,
    /// One past the position of the last event the read models hold (0: none known).
    applied: std::sync::atomic::AtomicU64,
    /// Whether [`App::follow`] keeps the read models up to date.
    followed: std::sync::atomic::AtomicBool,
    /// The account book as of an accounts stream revision (see `accounts::bearer`).
    pub(crate) account_cache: std::sync::Mutex<Option<(Option<u64>, Arc<dondoc_core::account::AccountBook>)>>,
    pub settings: Settings,
    pub templates: Templates,
    pub dispatcher: Dispatcher,
    pub clock: Clock,
    /// The sweep's inputs as of the last store position seen.
    pub(crate) sweep_inputs: Mutex<Option<Arc<Inputs>>>,
    /// What `/healthz` shows.
    pub status: std::sync::Mutex<Status>,
    /// Delivery records the store did not take yet (appended again by the next sweeps).
    pub unrecorded: Unrecorded,
    /// Wraps every dispatch's recorder (none in production).
    pub recorder_layer: Option<RecorderLayer>,
    /// The secretariat's proposals for the weekly summary (none: no section).
    pub proposals: Option<ProposalsSource>,
    /// Whether this process sends (runs the daemon's jobs): always on the embedded store
    /// (one daemon per data directory); on a server store, while it holds the sending
    /// lease (`dondoc_store::postgres::lease`).
    pub leading: tokio::sync::watch::Sender<bool>,
}

/// Runs `work` (SQLite calls that may wait for another process's write lock) so that a
/// multi-threaded runtime (the daemon) hands its other tasks (`/healthz`, a webhook) to
/// another worker meanwhile; on a single-threaded runtime (a command) it just runs.
async fn blocking<F, Fut, T>(work: F) -> T
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(work()))
        }
        _ => work().await,
    }
}

impl App {
    /// Opens the store file at `path` (created when missing) with its read models.
    /// A damaged or foreign file is refused, untouched, with [`AppError::Integrity`].
    pub fn open(path: &Path, settings: Settings, delivery: Delivery, clock: Clock) -> Result<App> {
        let options = SqliteOptions { seal_key: settings.seal_key.clone(), ..SqliteOptions::default() };
        let store = SqliteStore::open_with(path, options).map_err(|e| match e {
            dondoc_store::StoreError::Integrity { .. } => {
                AppError::Integrity(format!("không mở được {}: {e}", path.display()))
            }
            e => AppError::Store(e),
        })?;
        App::open_on(Store::Sqlite(store), path, settings, delivery, clock)
    }

    /// Uses an opened `store` with read models in the SQLite file `read_path` (the store
    /// file itself for the embedded store; a local file of this daemon's for a server
    /// store, fed from the server's log). Evidence files are kept beside `read_path`.
    pub fn open_on(
        store: Store,
        read_path: &Path,
        settings: Settings,
        delivery: Delivery,
        clock: Clock,
    ) -> Result<App> {
        let projections = Projections::open(read_path)?;
        let peek = Projections::open_reader(read_path)?;
        let dispatcher = Dispatcher::new(delivery.senders, delivery.dispatch, clock.clone());
        let dir = read_path.parent().unwrap_or(std::path::Path::new("."));
        let blobs = dondoc_store::blobs::BlobStore::new(dir.join("evidence"));
        Ok(App {
            store,
            read_path: read_path.to_path_buf(),
            blobs,
            read: Mutex::new(projections),
            peek: std::sync::Mutex::new(peek),
            readers: std::sync::Mutex::new(Vec::new()),
            followed: std::sync::atomic::AtomicBool::new(false),
            applied: std::sync::atomic::AtomicU64::new(0),
            account_cache: std::sync::Mutex::new(None),
            settings,
            templates: delivery.templates,
            dispatcher,
            clock,
            sweep_inputs: Mutex::new(None),
            status: std::sync::Mutex::new(Status::default()),
            unrecorded: Unrecorded::default(),
            recorder_layer: None,
            proposals: None,
            leading: tokio::sync::watch::channel(true).0,
        })
    }

    /// The current instant, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The read models, brought up to date with the log first.
    pub async fn read(&self) -> Result<MutexGuard<'_, Projections>> {
        let mut read = self.read.lock().await;
        self.catch_up_locked(&mut read).await?;
        Ok(read)
    }

    async fn catch_up_locked(&self, read: &mut Projections) -> Result<()> {
        let store = &self.store;
        let done = blocking(|| async { read.catch_up(store).await }).await?;
        if let Some(p) = done.position {
            self.applied.fetch_max(p + 1, std::sync::atomic::Ordering::AcqRel);
        }
        Ok(())
    }

    /// Applies the events appended since the last read to the read models.
    pub async fn catch_up(&self) -> Result<()> {
        self.read().await.map(drop)
    }

    /// Makes sure the read models hold the event at `position` (one this process just
    /// appended): many commands finishing together share one catch-up.
    pub async fn catch_up_to(&self, position: Option<u64>) -> Result<()> {
        use std::sync::atomic::Ordering;
        let holds = |p: u64| self.applied.load(Ordering::Acquire) > p;
        if position.is_some_and(holds) {
            return Ok(());
        }
        let mut read = self.read.lock().await;
        if position.is_some_and(holds) {
            return Ok(());
        }
        self.catch_up_locked(&mut read).await
    }

    /// The read models as they are, without catching up (operational tables).
    pub async fn read_as_is(&self) -> MutexGuard<'_, Projections> {
        self.read.lock().await
    }

    /// The read models as the last catch-up left them, without catching up and without
    /// waiting for a catch-up in progress (a second, read-only connection). For answers
    /// that must come at once (webhooks, chat); they fall back to [`App::read`] when what
    /// they look for is not there yet.
    pub fn peek<T>(&self, f: impl FnOnce(&Projections) -> std::result::Result<T, ProjectionError>) -> Result<T> {
        let peek = self.peek.lock().unwrap_or_else(|e| e.into_inner());
        Ok(f(&peek)?)
    }

    /// Runs `f` on the read models. While [`App::follow`] keeps them up to date (the
    /// daemon), on one of a few read-only connections, so that concurrent readers neither
    /// wait for each other nor for a catch-up; otherwise after catching up (a command).
    pub async fn query<T>(&self, f: impl FnOnce(&Projections) -> Result<T>) -> Result<T> {
        if !self.followed.load(std::sync::atomic::Ordering::Acquire) {
            let read = self.read().await?;
            return f(&read);
        }
        let idle = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let reader = match idle {
            Some(r) => r,
            None => Projections::open_reader(&self.read_path)?,
        };
        let out = f(&reader);
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).push(reader);
        out
    }

    /// Keeps the read models up to date with the log, catching up every `every` (events
    /// appended by this process are applied at once by their command), so that
    /// [`App::query`] reads without catching up. Runs until dropped.
    pub async fn follow(&self, every: std::time::Duration) {
        loop {
            match self.catch_up().await {
                Ok(()) => self.followed.store(true, std::sync::atomic::Ordering::Release),
                Err(e) => {
                    // Readers catch up themselves (and report the error) until this recovers.
                    self.followed.store(false, std::sync::atomic::Ordering::Release);
                    tracing::warn!(error = %e, "chưa cập nhật được bảng theo dõi; sẽ thử lại");
                }
            }
            tokio::time::sleep(every).await;
        }
    }

    /// The work calendar now (see [`CalendarSlot`]).
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.settings.calendar.get()
    }

    /// A classifier with `calendar` (taken with [`App::calendar`]), the settings' policy
    /// and "due soon" window.
    pub fn classifier<'a>(&'a self, calendar: &'a WorkCalendar) -> Classifier<'a> {
        Classifier {
            due_soon_working_days: self.settings.due_soon_working_days,
            ..Classifier::new(calendar, &self.settings.policy)
        }
    }

    /// `inner` wrapped in the [`RecorderLayer`], if any.
    pub(crate) fn layered<'a>(&self, inner: Box<dyn Recorder + 'a>) -> Box<dyn Recorder + 'a> {
        match &self.recorder_layer {
            Some(layer) => layer(inner),
            None => inner,
        }
    }

    /// The agency directory: the configuration and every rename and merger recorded since.
    pub async fn directory(&self) -> Result<Directory> {
        self.query(|read| Ok(read.directory(&self.settings.agencies)?)).await
    }
}

//! The audit trail: a task's timeline (every event with who, when, from where and what it
//! says), and the integrity check: every stream's hash chain, every seal with the key, and
//! optionally an anchor kept apart.

use dondoc_core::event::{EventMeta, TaskEvent, TaskKey};
use dondoc_store::RecordedEvent;
use dondoc_store::chain::VerifyReport;
use dondoc_store::seal::{Anchor, AnchorCheck, SealReport};

use crate::App;
use crate::command;
use crate::error::{AppError, Result};
use crate::suggest;

/// One event of a task's timeline.
pub struct TimelineEntry {
    pub recorded: RecordedEvent,
    pub event: TaskEvent,
    pub meta: EventMeta,
}

/// Every event of the task, oldest first; an unknown task is an input error naming the
/// nearest plans or codes.
pub async fn timeline(app: &App, key: &TaskKey) -> Result<Vec<TimelineEntry>> {
    let recorded = command::read_task(&app.store, key).await?;
    if recorded.is_empty() {
        return Err(AppError::NotFound(suggest::unknown_task(&*app.read().await?, key)?));
    }
    recorded
        .into_iter()
        .map(|r| {
            let (event, meta) = command::decode(&r)?;
            Ok(TimelineEntry { recorded: r, event, meta })
        })
        .collect()
}

/// The timeline as `audit --json` and `GET /api/v1/tasks/{plan}/{code}/timeline` give it.
pub fn timeline_json(key: &TaskKey, entries: &[TimelineEntry]) -> serde_json::Value {
    let events: Vec<_> = entries
        .iter()
        .map(|TimelineEntry { recorded: r, event, meta }| {
            serde_json::json!({
                "revision": r.revision,
                "position": r.position,
                "type": r.event_type,
                "type_vi": dondoc_core::event::event_name_vi(&r.event_type),
                "actor": meta.actor,
                "source": meta.source.as_str(),
                "recorded_at": r.recorded_at,
                "occurred_at": meta.recorded_at,
                "correlation_id": meta.correlation_id,
                "causation_id": meta.causation_id,
                "summary": dondoc_core::describe::describe(event),
                "data": r.data,
                "chain": meta.chain,
            })
        })
        .collect();
    serde_json::json!({ "plan": key.plan, "code": key.code, "events": events })
}

/// Whether the task's own hash chain holds (every event's chain value recomputed from the
/// one before it): `None` when it does, else what broke, for the "chain verified" mark.
pub fn chain_break(entries: &[TimelineEntry]) -> Option<String> {
    let mut verifier = dondoc_store::chain::ChainVerifier::new();
    entries.iter().find_map(|e| verifier.check(&e.recorded)).map(|b| format!("sự kiện #{}: {}", b.revision, b.reason))
}

/// What `audit verify` found.
#[derive(Debug, Clone)]
pub struct Integrity {
    pub chains: VerifyReport,
    /// `None` without the seal key: seals could not be checked.
    pub seals: Option<SealReport>,
    /// With an anchor: whether its seal is still in the log.
    pub anchor: Option<AnchorCheck>,
}

impl Integrity {
    /// Whether nothing was found wrong (chains, seals, unsealed events, the anchor).
    pub fn holds(&self) -> bool {
        self.chains.first_break.is_none()
            && self.seals.as_ref().is_none_or(SealReport::holds)
            && self.anchor.as_ref().is_none_or(|a| *a == AnchorCheck::Present)
    }
}

/// Recomputes every hash chain of the log, checks every seal (with the key) and the
/// anchor, if one is given.
pub async fn verify(app: &App, anchor: Option<&Anchor>) -> Result<Integrity> {
    let chains = dondoc_store::chain::verify_all(&app.store).await?;
    // Seals are the embedded file's; a server store's log is guarded by the server.
    let sealed = app.store.sqlite();
    let seals = match (&app.settings.seal_key, sealed) {
        (Some(key), Some(store)) => Some(store.verify_seals(key.clone()).await?),
        _ => None,
    };
    let anchor = match (anchor, sealed) {
        (Some(a), Some(store)) => Some(a.check(store.seal(a.seal_id).await?)),
        (Some(_), None) => return Err(seals_only_on_sqlite(app)),
        (None, _) => None,
    };
    Ok(Integrity { chains, seals, anchor })
}

fn seals_only_on_sqlite(app: &App) -> AppError {
    AppError::Input(format!(
        "dấu niêm phong chỉ có ở kho SQLite; kho {} được bảo vệ bằng quyền truy cập và bản sao của máy chủ",
        app.store.describe()
    ))
}

/// The newest seal as an anchor, to keep apart from the data directory.
pub async fn anchor(app: &App) -> Result<Anchor> {
    let Some(store) = app.store.sqlite() else { return Err(seals_only_on_sqlite(app)) };
    match store.newest_seal().await? {
        Some(seal) => Ok(Anchor::of(&seal)),
        None => Err(AppError::Input(
            "chưa có dấu niêm phong nào: cần khóa niêm phong (dondoc init tạo khóa) và ít nhất một lần ghi".to_string(),
        )),
    }
}

//! The audit trail: a task's timeline (every event with who, when, from where and what it
//! says), and the integrity check of every stream's hash chain.

use dondoc_core::event::{EventMeta, TaskEvent, TaskKey};
use dondoc_store::RecordedEvent;
use dondoc_store::chain::VerifyReport;

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
        return Err(AppError::Input(suggest::unknown_task(&*app.read().await?, key)?));
    }
    recorded
        .into_iter()
        .map(|r| {
            let (event, meta) = command::decode(&r)?;
            Ok(TimelineEntry { recorded: r, event, meta })
        })
        .collect()
}

/// Recomputes every hash chain of the log.
pub async fn verify(app: &App) -> Result<VerifyReport> {
    Ok(dondoc_store::chain::verify_all(&app.store).await?)
}

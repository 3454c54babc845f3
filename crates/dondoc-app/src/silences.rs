//! Silences: periods without reminders for a plan, an agency or a task (Tết, a
//! reorganisation), recorded on the `silences` stream; ending one early keeps it in the
//! history.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::calendar::{end_of_day, local_instant};
use dondoc_core::silence::{SILENCE_STREAM, SilenceEvent, SilenceRecord, SilenceScope};
use dondoc_store::ExpectedRevision;

use crate::App;
use crate::command::{self, Actor};
use crate::error::{AppError, Result};

/// An instant as people give it: RFC 3339, or a local date (dd/mm/yyyy or yyyy-mm-dd)
/// meaning its start, or with `end_of_day` the end of that day.
pub fn instant(text: &str, end_of_that_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(text.trim(), "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d"))
        .map_err(|_| AppError::Input(format!("\"{text}\" không phải thời điểm RFC 3339 hay ngày dd/mm/yyyy")))?;
    Ok(if end_of_that_day { end_of_day(d) } else { local_instant(d, NaiveTime::MIN) })
}

async fn append(app: &App, event: SilenceEvent, actor: &Actor) -> Result<()> {
    let (t, data) = event.encode();
    command::append_facts(&app.store, SILENCE_STREAM, ExpectedRevision::Any, vec![(t, data)], &actor.at(app.now()))
        .await?;
    app.catch_up().await?;
    Ok(())
}

/// Mutes reminders of `scope` from `from` (default now) until `until`; returns the new
/// silence's id. A plan or task scope must name a plan on the board.
pub async fn add(
    app: &App,
    scope: SilenceScope,
    from: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    reason: &str,
    actor: &Actor,
) -> Result<String> {
    let (silences, plans) = {
        let read = app.read().await?;
        (read.silences()?, read.plans()?)
    };
    if let SilenceScope::Plan { plan } | SilenceScope::Task { plan, .. } = &scope
        && !plans.contains(plan)
    {
        return Err(AppError::Input(format!("chưa có kế hoạch \"{plan}\"")));
    }
    let from = from.unwrap_or_else(|| app.now());
    if until <= from {
        return Err(AppError::input("--until phải sau --from"));
    }
    let id = silences.next_id();
    let event = SilenceEvent::SilenceAdded { id: id.clone(), scope, from, until, reason: reason.to_string() };
    append(app, event, actor).await?;
    Ok(id)
}

/// Ends the silence `id` now; returns it as it was.
pub async fn expire(app: &App, id: &str, reason: &str, actor: &Actor) -> Result<SilenceRecord> {
    let silences = app.read().await?.silences()?;
    let Some(record) = silences.get(id).cloned() else {
        return Err(AppError::Input(format!("không có lần tạm dừng mã \"{id}\" (xem: dondoc silence list)")));
    };
    let now = app.now();
    if record.silence.until <= now {
        return Err(AppError::Input(format!("lần tạm dừng {id} đã hết hiệu lực")));
    }
    append(app, SilenceEvent::SilenceExpired { id: id.to_string(), at: now, reason: reason.to_string() }, actor)
        .await?;
    Ok(record)
}

//! One command against one task, as every entry point gives it: the command, who acts,
//! from where, and optionally the revision the caller saw. Also the readings of what
//! people type for a command (periods, deadlines, snooze dates).

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::Period;
use dondoc_core::event::TaskKey;
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::task::{DomainError, TaskCommand};
use dondoc_core::timeexpr::{self, ParsedTime, TimeExpr};

use crate::App;
use crate::command::{self, Actor, CommandError, Executed};
use crate::error::{AppError, Result};
use crate::suggest;

/// Runs `command` on the task `key` as `actor`. With `revision`, the task must still be
/// at that revision ([`AppError::Conflict`] with the current one); without it a concurrent
/// change makes the command decide again. With `command_id`, a command already recorded
/// under that id records nothing again (a caller's safe retry). An unknown task is an
/// input error naming the nearest plans or codes. Success means the events are durable.
pub async fn execute(
    app: &App,
    key: &TaskKey,
    revision: Option<u64>,
    command: &TaskCommand,
    actor: &Actor,
    command_id: Option<uuid::Uuid>,
) -> Result<Executed> {
    let mut ctx = actor.at(app.now());
    if matches!(command, TaskCommand::RequestExplanation { .. }) {
        only_overdue(app, key, ctx.now).await?;
    }
    if let Some(id) = command_id {
        ctx = ctx.with_command_id(id);
    }
    match command::execute(&app.store, key, revision, command, &ctx).await {
        Ok(executed) => {
            // The events are durable: a read model that cannot follow now does not undo that.
            if let Err(e) = app.catch_up_to(executed.position).await {
                tracing::warn!(error = %e, "đã ghi nhận nhưng chưa cập nhật được bảng theo dõi");
            }
            Ok(executed)
        }
        Err(CommandError::Domain(DomainError::NotDefined { .. })) => {
            Err(AppError::NotFound(suggest::unknown_task(&*app.read().await?, key)?))
        }
        Err(e) => Err(e.into()),
    }
}

/// An explanation is asked of overdue work only (Quy chế: "giải trình" is for tasks not
/// done on time); anything else is refused naming the task's classification.
async fn only_overdue(app: &App, key: &TaskKey, now: DateTime<Utc>) -> Result<()> {
    let (task, standing) = crate::views::task(app, key, now).await?;
    if standing.classification.is_overdue() {
        return Ok(());
    }
    Err(AppError::Refused(format!(
        "nhiệm vụ {} đang ở tình trạng \"{}\": chỉ yêu cầu giải trình nhiệm vụ quá hạn",
        task.state.key,
        standing.classification.label_for(task.state.status)
    )))
}

/// A time expression as written in a plan ("Quý IV/2025", "Hằng năm").
pub fn parse_expr(text: &str) -> Result<ParsedTime> {
    timeexpr::parse(text).map_err(|e| AppError::Input(e.to_string()))
}

/// An occurrence given as a key ("2025-Q3") or as written ("Quý III/2025").
pub fn period_key(text: &str) -> Result<String> {
    if let Ok(p) = text.trim().parse::<Period>() {
        return Ok(p.key());
    }
    match parse_expr(text)?.expr {
        TimeExpr::Period { period } => Ok(period.key()),
        TimeExpr::Date { date, .. } => Ok(Period::Day { date }.key()),
        _ => Err(AppError::Input(format!("\"{text}\" không phải là một kỳ (ví dụ 2025-Q3, \"Quý III/2025\")"))),
    }
}

/// A new deadline: a time expression read as a deadline (its nominal due day).
pub fn deadline(text: &str, policy: &ReportingPolicy) -> Result<NaiveDate> {
    parse_expr(text)?
        .expr
        .nominal_due(policy)
        .ok_or_else(|| AppError::Input(format!("\"{text}\" không phải là một thời hạn cụ thể")))
}

/// A date written dd/mm/yyyy.
pub fn date_dmy(text: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%d/%m/%Y")
        .map_err(|_| AppError::Input(format!("{what} \"{text}\": cần ngày dạng dd/mm/yyyy")))
}

//! A plan as the office cites it: the secretariat states the number, date, issuer and
//! subject the signed document carries (a draft's text often leaves the number blank), as a
//! fact on the plan's own stream; every reminder, escalation and summary cites the plan so.

use dondoc_core::StreamEvent as _;
use dondoc_core::plan::{PlanDetails, PlanEvent, ReviewItem};
use dondoc_core::text::clean;
use dondoc_projections::board::TaskFilter;
use dondoc_projections::plans::PlanRecord;
use dondoc_store::ExpectedRevision;

use crate::App;
use crate::command::{self, Actor};
use crate::error::{AppError, Result};
use crate::suggest;

/// Records how `plan` is cited; fields left `None` keep what is known. Returns the plan's
/// record afterwards.
pub async fn set_details(app: &App, plan: &str, details: PlanDetails, actor: &Actor) -> Result<PlanRecord> {
    let details = PlanDetails {
        number: details.number.map(|n| clean(&n)).filter(|n| !n.is_empty()),
        date: details.date,
        issuer: details.issuer.map(|i| clean(&i)).filter(|i| !i.is_empty()),
        title: details.title.map(|t| clean(&t)).filter(|t| !t.is_empty()),
    };
    if details == PlanDetails::default() {
        return Err(AppError::input("cần ít nhất một thông tin: --number, --date, --issuer hoặc --title"));
    }
    if let Some(n) = &details.number
        && !n.contains('/')
    {
        return Err(AppError::Input(format!(
            "--number \"{n}\": số, ký hiệu văn bản viết dạng số/ký hiệu, ví dụ 818/KH-UBND"
        )));
    }
    if let Some(message) = suggest::unknown_plan(&*app.read().await?, plan)? {
        return Err(AppError::Input(message));
    }
    append(app, plan, PlanEvent::PlanDetailsSet { details }, actor).await?;
    record(app, plan).await
}

/// Appends a fact of the secretariat's to the plan's stream.
async fn append(app: &App, plan: &str, event: PlanEvent, actor: &Actor) -> Result<()> {
    let (event_type, data) = event.encode();
    command::append_facts(
        &app.store,
        &PlanEvent::stream(plan),
        ExpectedRevision::Any,
        vec![(event_type, data)],
        &actor.at(app.now()),
    )
    .await?;
    Ok(())
}

/// The plan's record (its document's details, those stated, its source).
pub async fn record(app: &App, plan: &str) -> Result<PlanRecord> {
    let read = app.read().await?;
    if let Some((record, _)) = read.plan(plan)? {
        return Ok(record);
    }
    match suggest::unknown_plan(&read, plan)? {
        Some(message) => Err(AppError::Input(message)),
        // Tasks added one by one: the plan has no stream yet.
        None => Ok(PlanRecord::empty(plan)),
    }
}

/// Every plan on the board, with its record.
pub async fn list(app: &App) -> Result<Vec<PlanRecord>> {
    let read = app.read().await?;
    let mut out = Vec::new();
    for plan in read.plans()? {
        out.push(read.plan(&plan)?.map(|(r, _)| r).unwrap_or_else(|| PlanRecord::empty(&plan)));
    }
    Ok(out)
}

/// The rows of the plan's latest import still to review: not dismissed, and no task on the
/// board carries their code.
pub async fn review(app: &App, plan: &str) -> Result<Vec<ReviewItem>> {
    let record = record(app, plan).await?;
    let read = app.read().await?;
    let codes: std::collections::HashSet<String> = read
        .tasks(&TaskFilter { plan: Some(plan.to_string()), agency: None })?
        .into_iter()
        .map(|t| t.state.key.code)
        .collect();
    Ok(record
        .open_review()
        .into_iter()
        .filter(|r| r.code.as_ref().is_none_or(|c| !codes.contains(c)))
        .cloned()
        .collect())
}

/// Dismisses the review row at `line` (it needs no task, or was added by hand under another
/// code), with the reason, as a fact on the plan's stream. Returns the row dismissed.
pub async fn dismiss(app: &App, plan: &str, line: usize, reason: &str, actor: &Actor) -> Result<ReviewItem> {
    let reason = clean(reason);
    if reason.is_empty() {
        return Err(AppError::input("cần lý do (--reason)"));
    }
    let open = review(app, plan).await?;
    let Some(item) = open.iter().find(|r| r.line == line).cloned() else {
        let lines: Vec<String> = open.iter().map(|r| r.line.to_string()).collect();
        return Err(AppError::Input(if lines.is_empty() {
            format!("kế hoạch {plan} không còn dòng nào cần xem xét")
        } else {
            format!("kế hoạch {plan} không có dòng {line} cần xem xét; các dòng cần xem xét: {}", lines.join(", "))
        }));
    };
    append(app, plan, PlanEvent::ReviewDismissed { line, text: item.text.clone(), reason }, actor).await?;
    Ok(item)
}

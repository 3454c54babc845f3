//! A plan as the office cites it: the secretariat states the number, date, issuer and
//! subject the signed document carries (a draft's text often leaves the number blank), as a
//! fact on the plan's own stream; every reminder, escalation and summary cites the plan so.

use dondoc_core::StreamEvent as _;
use dondoc_core::plan::{PlanDetails, PlanEvent};
use dondoc_core::text::clean;
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
    let (event_type, data) = PlanEvent::PlanDetailsSet { details }.encode();
    command::append_facts(
        &app.store,
        &PlanEvent::stream(plan),
        ExpectedRevision::Any,
        vec![(event_type, data)],
        &actor.at(app.now()),
    )
    .await?;
    record(app, plan).await
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

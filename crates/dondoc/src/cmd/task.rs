//! `dondoc task <action> --plan P --code C ...`: one command against one task.

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use dondoc_core::Period;
use dondoc_core::describe::describe;
use dondoc_core::event::{Evidence, Source, TaskKey};
use dondoc_core::task::{DomainError, TaskCommand};
use dondoc_core::timeexpr::{self, TimeExpr};
use dondoc_projections::service::{self, CommandContext, ServiceError};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::{self, App};
use crate::cli::{EvidenceArgs, Global, TaskAction, TaskArgs, TaskRef};
use crate::{ConflictError, InputError, outln, output, suggest};

pub async fn run(global: &Global, args: &TaskArgs) -> Result<()> {
    let mut app = App::open(global).await?;
    let (task, command) = command(&app, &args.action)?;
    let key = TaskKey::new(task.plan.trim(), task.code.trim());
    let ctx = CommandContext::new(actor(&args.actor), Source::Cli, app::now()?);
    let executed = match service::execute(&app.store, &key, args.revision, &command, &ctx).await {
        Ok(e) => e,
        Err(ServiceError::Domain(DomainError::NotDefined { .. })) => {
            return Err(InputError(suggest::unknown_task(&app.projections, &key)?).into());
        }
        Err(ServiceError::Domain(e)) => return Err(InputError(e.to_string()).into()),
        Err(e @ ServiceError::Conflict { .. }) => return Err(ConflictError(e.to_string()).into()),
        Err(e) => return Err(e.into()),
    };
    app.catch_up().await?;
    if args.json {
        let events: Vec<_> = executed
            .events
            .iter()
            .map(|e| {
                let (event_type, _, data) = e.encode();
                json!({ "type": event_type, "data": data })
            })
            .collect();
        return output::json(&json!({
            "plan": key.plan,
            "code": key.code,
            "revision": executed.revision,
            "events": events,
        }));
    }
    if executed.events.is_empty() {
        outln!("Không có thay đổi (nhiệm vụ {key}, phiên bản {}).", output::revision(executed.revision));
    }
    for e in &executed.events {
        outln!("Đã ghi nhận: {}", describe(e));
    }
    if !executed.events.is_empty() {
        outln!("Nhiệm vụ {key}: phiên bản {}.", output::revision(executed.revision));
    }
    Ok(())
}

/// The actor: `--as`, `$DONDOC_ACTOR`, else "cli:<login>".
pub fn actor(given: &Option<String>) -> String {
    given.clone().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "?".into());
        format!("cli:{user}")
    })
}

pub fn parse_expr(text: &str) -> Result<timeexpr::ParsedTime> {
    timeexpr::parse(text).map_err(|e| InputError(e.to_string()).into())
}

/// An occurrence given as a key ("2025-Q3") or as written ("Quý III/2025").
fn period_key(text: &Option<String>) -> Result<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(p) = text.trim().parse::<Period>() {
        return Ok(Some(p.key()));
    }
    match parse_expr(text)?.expr {
        TimeExpr::Period { period } => Ok(Some(period.key())),
        TimeExpr::Date { date, .. } => Ok(Some(Period::Day { date }.key())),
        _ => Err(InputError(format!("\"{text}\" không phải là một kỳ (ví dụ 2025-Q3, \"Quý III/2025\")")).into()),
    }
}

/// A new deadline: a time expression read as a deadline.
fn deadline(app: &App, text: &str) -> Result<NaiveDate> {
    let parsed = parse_expr(text)?;
    parsed
        .expr
        .nominal_due(&app.policy)
        .ok_or_else(|| InputError(format!("\"{text}\" không phải là một thời hạn cụ thể")).into())
}

fn evidence(args: &EvidenceArgs) -> Result<Evidence> {
    let file_sha256 = match &args.file {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("không đọc được tệp {}", path.display()))?;
            Some(hex::encode(Sha256::digest(&bytes)))
        }
        None => None,
    };
    Ok(Evidence { document: args.document.clone(), link: args.link.clone(), file_sha256, note: args.note.clone() })
}

fn command<'a>(app: &App, action: &'a TaskAction) -> Result<(&'a TaskRef, TaskCommand)> {
    use TaskAction as A;
    Ok(match action {
        A::Add { task, title, lead, cooperating, start, finish, product, tracked_from } => (
            task,
            TaskCommand::Define {
                plan: task.plan.clone(),
                code: task.code.clone(),
                title: title.clone(),
                lead: lead.clone(),
                cooperating: cooperating.clone(),
                start: start.as_deref().map(parse_expr).transpose()?,
                finish: finish.as_deref().map(parse_expr).transpose()?,
                product: product.clone(),
                tracked_from: *tracked_from,
                tt: None,
                group: None,
            },
        ),
        A::Start { task, note } => (task, TaskCommand::Start { note: note.clone() }),
        A::Pause { task, reason } => (task, TaskCommand::Pause { reason: reason.clone() }),
        A::Resume { task, note } => (task, TaskCommand::Resume { note: note.clone() }),
        A::Progress { task, percent, note, period } => (
            task,
            TaskCommand::ReportProgress { percent: *percent, note: note.clone(), occurrence: period_key(period)? },
        ),
        A::Submit { task, period, evidence: ev, sent_at } => (
            task,
            TaskCommand::SubmitReport {
                occurrence: period_key(period)?,
                evidence: evidence(ev)?,
                submitted_at: sent_at.map(|t| t.with_timezone(&Utc)),
            },
        ),
        A::Complete { task, on, evidence: ev } => (task, TaskCommand::Complete { on: *on, evidence: evidence(ev)? }),
        A::RequestExtension(x) => (
            &x.task,
            TaskCommand::RequestExtension {
                occurrence: period_key(&x.period)?,
                to: deadline(app, &x.to)?,
                to_text: Some(x.to.clone()),
                reason: x.reason.clone(),
            },
        ),
        A::Extend(x) => (
            &x.task,
            TaskCommand::Extend {
                occurrence: period_key(&x.period)?,
                to: deadline(app, &x.to)?,
                to_text: Some(x.to.clone()),
                reason: x.reason.clone(),
            },
        ),
        A::RejectExtension { task, period, reason } => {
            (task, TaskCommand::RejectExtension { occurrence: period_key(period)?, reason: reason.clone() })
        }
        A::Cancel { task, reason } => (task, TaskCommand::Cancel { reason: reason.clone() }),
        A::Reopen { task, reason } => (task, TaskCommand::Reopen { reason: reason.clone() }),
        A::Comment { task, note } => (task, TaskCommand::Comment { text: note.clone() }),
        A::Ack { task, period, snooze_until } => {
            let snooze_until = snooze_until
                .as_deref()
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d.trim(), "%d/%m/%Y")
                        .map(dondoc_core::calendar::end_of_day)
                        .map_err(|_| InputError(format!("--snooze-until \"{d}\": cần ngày dạng dd/mm/yyyy")))
                })
                .transpose()?;
            (task, TaskCommand::Acknowledge { occurrence: period_key(period)?, key: None, snooze_until })
        }
        A::Assign { task, lead, cooperating, reason } => {
            (task, TaskCommand::Assign { lead: lead.clone(), cooperating: cooperating.clone(), reason: reason.clone() })
        }
    })
}

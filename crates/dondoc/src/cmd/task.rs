//! `dondoc task <action> --plan P --code C ...`: one command against one task.

use anyhow::{Context, Result};
use chrono::Utc;
use dondoc_app::task::{self, date_dmy, deadline, parse_expr, period_key};
use dondoc_core::calendar::end_of_day;
use dondoc_core::describe::describe;
use dondoc_core::event::{Evidence, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cli::{EvidenceArgs, Global, TaskAction, TaskArgs, TaskRef};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &TaskArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let (task, command) = command(&app.settings.policy, &args.action)?;
    let key = TaskKey::new(task.plan.trim(), task.code.trim());
    let actor = super::actor(&global.actor, Source::Cli);
    let executed = task::execute(&app, &key, args.revision, &command, &actor, args.command_id).await?;
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
        outln!("Không có thay đổi (nhiệm vụ {}, phiên bản {}).", key.label_vi(), output::revision(executed.revision));
    }
    for e in &executed.events {
        outln!("Đã ghi nhận: {}", describe(e));
    }
    if !executed.events.is_empty() {
        outln!("Nhiệm vụ {}: phiên bản {}.", key.label_vi(), output::revision(executed.revision));
    }
    Ok(())
}

fn period(text: &Option<String>) -> Result<Option<String>> {
    Ok(text.as_deref().map(period_key).transpose()?)
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

fn command<'a>(
    policy: &dondoc_core::policy::ReportingPolicy,
    action: &'a TaskAction,
) -> Result<(&'a TaskRef, TaskCommand)> {
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
        A::Progress { task, percent, note, period: p } => {
            (task, TaskCommand::ReportProgress { percent: *percent, note: note.clone(), occurrence: period(p)? })
        }
        A::Submit { task, period: p, evidence: ev, sent_at } => (
            task,
            TaskCommand::SubmitReport {
                occurrence: period(p)?,
                evidence: evidence(ev)?,
                submitted_at: sent_at.map(|t| t.with_timezone(&Utc)),
            },
        ),
        A::Complete { task, on, evidence: ev } => (task, TaskCommand::Complete { on: *on, evidence: evidence(ev)? }),
        A::RequestExtension(x) => (
            &x.task,
            TaskCommand::RequestExtension {
                occurrence: period(&x.period)?,
                to: deadline(&x.to, policy)?,
                to_text: Some(x.to.clone()),
                reason: x.reason.clone(),
            },
        ),
        A::Extend(x) => (
            &x.task,
            TaskCommand::Extend {
                occurrence: period(&x.period)?,
                to: deadline(&x.to, policy)?,
                to_text: Some(x.to.clone()),
                reason: x.reason.clone(),
            },
        ),
        A::RejectExtension { task, period: p, reason } => {
            (task, TaskCommand::RejectExtension { occurrence: period(p)?, reason: reason.clone() })
        }
        A::Cancel { task, reason } => (task, TaskCommand::Cancel { reason: reason.clone() }),
        A::Reopen { task, reason } => (task, TaskCommand::Reopen { reason: reason.clone() }),
        A::Comment { task, note } => (task, TaskCommand::Comment { text: note.clone() }),
        A::Ack { task, period: p, snooze_until } => {
            let snooze_until =
                snooze_until.as_deref().map(|d| date_dmy(d, "--snooze-until").map(end_of_day)).transpose()?;
            (task, TaskCommand::Acknowledge { occurrence: period(p)?, key: None, snooze_until })
        }
        A::Assign { task, lead, cooperating, reason } => {
            (task, TaskCommand::Assign { lead: lead.clone(), cooperating: cooperating.clone(), reason: reason.clone() })
        }
    })
}

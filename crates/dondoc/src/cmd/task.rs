//! `dondoc task <action> --plan P --code C ...`: one command against one task.

use anyhow::{Context, Result};
use dondoc_app::requests::{
    AckBody, ActionRequest, AssignBody, CommentBody, CompleteBody, EvidenceBody, ExplainBody, ExplanationRequestBody,
    ExtensionBody, NoteBody, ProgressBody, ReasonBody, RejectBody, SubmitBody,
};
use dondoc_app::task::{self, date_dmy, parse_expr};
use dondoc_core::describe::describe;
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cli::{EvidenceArgs, Global, TaskAction, TaskArgs, TaskRef};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &TaskArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let (task, mut command) = command(&app.settings.policy, &args.action)?;
    // A file given as evidence is kept beside the store, like an upload.
    if let (Some(path), TaskCommand::SubmitReport { evidence, .. } | TaskCommand::Complete { evidence, .. }) =
        (evidence_file(&args.action), &mut command)
    {
        let bytes = std::fs::read(path).with_context(|| format!("không đọc được tệp {}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        dondoc_app::evidence::store(&app, &name, media_type(&name), bytes).await?;
        *evidence = dondoc_app::evidence::describe_file(&app, evidence.clone())?;
    }
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

/// The file an action gives as evidence, if any.
fn evidence_file(action: &TaskAction) -> Option<&std::path::Path> {
    match action {
        TaskAction::Submit { evidence, .. } | TaskAction::Complete { evidence, .. } => evidence.file.as_deref(),
        _ => None,
    }
}

/// The media type of a file by its extension (what a browser would send).
fn media_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("doc") => "application/msword",
        Some("xls") => "application/vnd.ms-excel",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

fn evidence(args: &EvidenceArgs) -> Result<EvidenceBody> {
    let file_sha256 = match &args.file {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("không đọc được tệp {}", path.display()))?;
            Some(hex::encode(Sha256::digest(&bytes)))
        }
        None => None,
    };
    Ok(EvidenceBody { document: args.document.clone(), link: args.link.clone(), file_sha256, note: args.note.clone() })
}

/// The task and the command an action's options give: the same request the API reads
/// from a JSON body (`dondoc_app::requests`), but for `add`, the secretariat's definition.
fn command<'a>(
    policy: &dondoc_core::policy::ReportingPolicy,
    action: &'a TaskAction,
) -> Result<(&'a TaskRef, TaskCommand)> {
    use ActionRequest as R;
    use TaskAction as A;
    let (task, request) = match action {
        A::Add { task, title, lead, cooperating, start, finish, product, tracked_from } => {
            let define = TaskCommand::Define {
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
            };
            return Ok((task, define));
        }
        A::Start { task, note } => (task, R::Start(NoteBody { note: note.clone() })),
        A::Pause { task, reason } => (task, R::Pause(ReasonBody { reason: reason.clone() })),
        A::Resume { task, note } => (task, R::Resume(NoteBody { note: note.clone() })),
        A::Progress { task, percent, note, period } => {
            (task, R::Progress(ProgressBody { percent: *percent, note: note.clone(), occurrence: period.clone() }))
        }
        A::Submit { task, period, evidence: ev, sent_at } => (
            task,
            R::Submit(SubmitBody { occurrence: period.clone(), evidence: evidence(ev)?, submitted_at: *sent_at }),
        ),
        A::Complete { task, on, evidence: ev } => {
            (task, R::Complete(CompleteBody { on: *on, evidence: evidence(ev)? }))
        }
        A::RequestExtension(x) => (
            &x.task,
            R::RequestExtension(ExtensionBody {
                occurrence: x.period.clone(),
                to: x.to.clone(),
                reason: x.reason.clone(),
            }),
        ),
        A::Extend(x) => (
            &x.task,
            R::Extend(ExtensionBody { occurrence: x.period.clone(), to: x.to.clone(), reason: x.reason.clone() }),
        ),
        A::RejectExtension { task, period, reason } => {
            (task, R::RejectExtension(RejectBody { occurrence: period.clone(), reason: reason.clone() }))
        }
        A::Cancel { task, reason } => (task, R::Cancel(ReasonBody { reason: reason.clone() })),
        A::Reopen { task, reason } => (task, R::Reopen(ReasonBody { reason: reason.clone() })),
        A::Comment { task, note } => (task, R::Comment(CommentBody { text: note.clone() })),
        A::RequestExplanation { task, by, reason } => {
            (task, R::RequestExplanation(ExplanationRequestBody { by: by.clone(), reason: reason.clone() }))
        }
        A::Explain { task, text } => (task, R::Explain(ExplainBody { text: text.clone() })),
        A::Ack { task, period, snooze_until } => {
            let snooze_until = snooze_until.as_deref().map(|d| date_dmy(d, "--snooze-until")).transpose()?;
            (task, R::Ack(AckBody { occurrence: period.clone(), snooze_until }))
        }
        A::Assign { task, lead, cooperating, reason } => (
            task,
            R::Assign(AssignBody { lead: lead.clone(), cooperating: cooperating.clone(), reason: reason.clone() }),
        ),
    };
    let mut command = request.into_command(policy)?;
    // The command line is the secretariat's tool: a completion recorded here is confirmed.
    if let TaskCommand::Complete { confirmed, .. } = &mut command {
        *confirmed = true;
    }
    Ok((task, command))
}

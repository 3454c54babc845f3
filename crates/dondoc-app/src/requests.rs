//! What people give for each action on a task, read the same way from every entry point:
//! the API's JSON bodies (unknown fields refused by name) and the CLI's options both become
//! an [`ActionRequest`], which [`ActionRequest::into_command`] turns into the aggregate's
//! command (occurrences written "2025-Q3" or "Quý III/2025", deadlines as plans write
//! them).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dondoc_core::calendar::end_of_day;
use dondoc_core::event::Evidence;
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::task::{CommandKind, TaskCommand};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{AppError, Result};
use crate::task::{deadline, period_key};

/// `start`, `resume`: an optional note.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub note: Option<String>,
}

/// `pause`, `cancel`, `reopen`: why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

/// `progress`: what was done, optionally how far (0–100) and for which occurrence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    #[schema(maximum = 100)]
    pub percent: Option<u8>,
    pub note: String,
    /// "2025-Q3" or as written ("Quý III/2025").
    pub occurrence: Option<String>,
}

/// Evidence of a report or of completion: a document number, a link, a file's SHA-256.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    /// Document number, e.g. "125/BC-UBND".
    pub document: Option<String>,
    pub link: Option<String>,
    /// SHA-256 (hex) of an attached file.
    pub file_sha256: Option<String>,
    pub note: Option<String>,
}

/// `submit`: a report (of an occurrence) with its evidence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    pub occurrence: Option<String>,
    pub evidence: EvidenceBody,
    /// When the report was actually sent, if earlier (RFC 3339).
    pub submitted_at: Option<DateTime<FixedOffset>>,
}

/// `complete`: the day it was completed (default today) and the evidence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    pub on: Option<NaiveDate>,
    pub evidence: EvidenceBody,
}

/// `request-extension`, `extend`: the new deadline as plans write it ("Quý I/2026",
/// "31/03/2026") or as a date (2026-03-31), and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    pub occurrence: Option<String>,
    pub to: String,
    pub reason: String,
}

/// `reject-extension`: why the request is turned back.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub occurrence: Option<String>,
    pub reason: String,
}

/// `comment`: a note in the task's timeline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub text: String,
}

/// `assign`: the lead agency and the cooperating ones.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub lead: String,
    #[serde(default)]
    pub cooperating: Vec<String>,
    pub reason: Option<String>,
}

/// `ack`: the reminder was received; optionally no reminder of it until a day's end.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    pub occurrence: Option<String>,
    pub snooze_until: Option<NaiveDate>,
}

/// `request-explanation`: the day the explanation is due (a date, or as plans write it)
/// and what to explain.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationRequestBody {
    pub by: String,
    pub reason: String,
}

/// `explain`: the lead agency's explanation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    pub text: String,
}

/// One action on a task with what was given for it.
#[derive(Debug, Clone)]
pub enum ActionRequest {
    Start(NoteBody),
    Pause(ReasonBody),
    Resume(NoteBody),
    Progress(ProgressBody),
    Submit(SubmitBody),
    Complete(CompleteBody),
    RequestExtension(ExtensionBody),
    Extend(ExtensionBody),
    RejectExtension(RejectBody),
    Cancel(ReasonBody),
    Reopen(ReasonBody),
    Comment(CommentBody),
    Assign(AssignBody),
    Ack(AckBody),
    ConfirmCompletion(NoteBody),
    ReturnCompletion(ReasonBody),
    RequestExplanation(ExplanationRequestBody),
    Explain(ExplainBody),
}

/// The actions, as named in URLs and on the command line, with their command's kind.
pub const ACTIONS: [(&str, CommandKind); 18] = [
    ("start", CommandKind::Start),
    ("pause", CommandKind::Pause),
    ("resume", CommandKind::Resume),
    ("progress", CommandKind::ReportProgress),
    ("submit", CommandKind::SubmitReport),
    ("complete", CommandKind::Complete),
    ("request-extension", CommandKind::RequestExtension),
    ("extend", CommandKind::Extend),
    ("reject-extension", CommandKind::RejectExtension),
    ("cancel", CommandKind::Cancel),
    ("reopen", CommandKind::Reopen),
    ("comment", CommandKind::Comment),
    ("assign", CommandKind::Assign),
    ("ack", CommandKind::Acknowledge),
    ("confirm-completion", CommandKind::ConfirmCompletion),
    ("return-completion", CommandKind::ReturnCompletion),
    ("request-explanation", CommandKind::RequestExplanation),
    ("explain", CommandKind::Explain),
];

/// Reads a JSON value as `T`, naming the field at fault in Vietnamese ("nội dung
/// {what} không hợp lệ: không có trường \"x\"").
pub fn from_value<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    let value = if value.is_null() { Value::Object(Default::default()) } else { value };
    serde_json::from_value(value).map_err(|e| {
        let detail = e.to_string();
        let reason = match (detail.strip_prefix("unknown field `"), detail.strip_prefix("missing field `")) {
            (Some(rest), _) => format!("không có trường \"{}\"", rest.split('`').next().unwrap_or_default()),
            (_, Some(rest)) => format!("thiếu trường \"{}\"", rest.split('`').next().unwrap_or_default()),
            _ => detail,
        };
        AppError::Input(format!("nội dung {what} không hợp lệ: {reason}"))
    })
}

/// Reads a request body (JSON; empty means `{}`) as `T`, as [`from_value`] does.
pub fn from_bytes<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return from_value(what, Value::Null);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::Input(format!("nội dung {what} không phải JSON hợp lệ: dòng {}, cột {}", e.line(), e.column()))
    })?;
    from_value(what, value)
}

fn body<T: DeserializeOwned>(action: &str, value: Value) -> Result<T> {
    from_value(&format!("lệnh \"{action}\""), value)
}

impl ActionRequest {
    /// Reads the body of `action` (an unknown action is an input error listing them).
    pub fn from_json(action: &str, value: Value) -> Result<ActionRequest> {
        use ActionRequest as R;
        Ok(match action {
            "start" => R::Start(body(action, value)?),
            "pause" => R::Pause(body(action, value)?),
            "resume" => R::Resume(body(action, value)?),
            "progress" => R::Progress(body(action, value)?),
            "submit" => R::Submit(body(action, value)?),
            "complete" => R::Complete(body(action, value)?),
            "request-extension" => R::RequestExtension(body(action, value)?),
            "extend" => R::Extend(body(action, value)?),
            "reject-extension" => R::RejectExtension(body(action, value)?),
            "cancel" => R::Cancel(body(action, value)?),
            "reopen" => R::Reopen(body(action, value)?),
            "comment" => R::Comment(body(action, value)?),
            "assign" => R::Assign(body(action, value)?),
            "ack" => R::Ack(body(action, value)?),
            "confirm-completion" => R::ConfirmCompletion(body(action, value)?),
            "return-completion" => R::ReturnCompletion(body(action, value)?),
            "request-explanation" => R::RequestExplanation(body(action, value)?),
            "explain" => R::Explain(body(action, value)?),
            other => {
                let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
                return Err(AppError::Input(format!(
                    "không có thao tác \"{other}\"; dùng một trong: {}",
                    names.join(", ")
                )));
            }
        })
    }

    /// The kind of command it becomes.
    pub fn kind(&self) -> CommandKind {
        use ActionRequest as R;
        match self {
            R::Start(_) => CommandKind::Start,
            R::Pause(_) => CommandKind::Pause,
            R::Resume(_) => CommandKind::Resume,
            R::Progress(_) => CommandKind::ReportProgress,
            R::Submit(_) => CommandKind::SubmitReport,
            R::Complete(_) => CommandKind::Complete,
            R::RequestExtension(_) => CommandKind::RequestExtension,
            R::Extend(_) => CommandKind::Extend,
            R::RejectExtension(_) => CommandKind::RejectExtension,
            R::Cancel(_) => CommandKind::Cancel,
            R::Reopen(_) => CommandKind::Reopen,
            R::Comment(_) => CommandKind::Comment,
            R::Assign(_) => CommandKind::Assign,
            R::Ack(_) => CommandKind::Acknowledge,
            R::ConfirmCompletion(_) => CommandKind::ConfirmCompletion,
            R::ReturnCompletion(_) => CommandKind::ReturnCompletion,
            R::RequestExplanation(_) => CommandKind::RequestExplanation,
            R::Explain(_) => CommandKind::Explain,
        }
    }

    /// The command, with occurrences, deadlines and evidence read.
    pub fn into_command(self, policy: &ReportingPolicy) -> Result<TaskCommand> {
        use ActionRequest as R;
        let occurrence = |o: Option<String>| o.as_deref().map(period_key).transpose();
        Ok(match self {
            R::Start(b) => TaskCommand::Start { note: b.note },
            R::Pause(b) => TaskCommand::Pause { reason: b.reason },
            R::Resume(b) => TaskCommand::Resume { note: b.note },
            R::Progress(b) => {
                if b.percent.is_some_and(|p| p > 100) {
                    return Err(AppError::input("\"percent\" phải từ 0 đến 100"));
                }
                TaskCommand::ReportProgress { percent: b.percent, note: b.note, occurrence: occurrence(b.occurrence)? }
            }
            R::Submit(b) => TaskCommand::SubmitReport {
                occurrence: occurrence(b.occurrence)?,
                evidence: evidence(b.evidence)?,
                submitted_at: b.submitted_at.map(|t| t.with_timezone(&Utc)),
            },
            R::Complete(b) => TaskCommand::Complete { on: b.on, evidence: evidence(b.evidence)?, confirmed: false },
            R::RequestExtension(b) => TaskCommand::RequestExtension {
                occurrence: occurrence(b.occurrence)?,
                to: new_deadline(&b.to, policy)?,
                to_text: Some(b.to),
                reason: b.reason,
            },
            R::Extend(b) => TaskCommand::Extend {
                occurrence: occurrence(b.occurrence)?,
                to: new_deadline(&b.to, policy)?,
                to_text: Some(b.to),
                reason: b.reason,
            },
            R::RejectExtension(b) => {
                TaskCommand::RejectExtension { occurrence: occurrence(b.occurrence)?, reason: b.reason }
            }
            R::Cancel(b) => TaskCommand::Cancel { reason: b.reason },
            R::Reopen(b) => TaskCommand::Reopen { reason: b.reason },
            R::Comment(b) => TaskCommand::Comment { text: b.text },
            R::Assign(b) => TaskCommand::Assign { lead: b.lead, cooperating: b.cooperating, reason: b.reason },
            R::Ack(b) => TaskCommand::Acknowledge {
                occurrence: occurrence(b.occurrence)?,
                key: None,
                snooze_until: b.snooze_until.map(end_of_day),
            },
            R::ConfirmCompletion(b) => TaskCommand::ConfirmCompletion { note: b.note },
            R::ReturnCompletion(b) => TaskCommand::ReturnCompletion { reason: b.reason },
            R::RequestExplanation(b) => {
                TaskCommand::RequestExplanation { by: new_deadline(&b.by, policy)?, reason: b.reason }
            }
            R::Explain(b) => TaskCommand::Explain { text: b.text },
        })
    }
}

/// A new deadline: an ISO date, or a time expression as plans write it.
fn new_deadline(text: &str, policy: &ReportingPolicy) -> Result<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(d),
        Err(_) => deadline(text, policy),
    }
}

fn evidence(b: EvidenceBody) -> Result<Evidence> {
    if let Some(h) = &b.file_sha256
        && !(h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(AppError::Input(format!("\"file_sha256\" \"{h}\": cần 64 chữ số hệ 16")));
    }
    Ok(Evidence {
        document: b.document,
        link: b.link,
        file_sha256: b.file_sha256.map(|h| h.to_lowercase()),
        note: b.note,
        ..Evidence::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_action_reads_its_body_and_becomes_its_command() {
        let policy = ReportingPolicy::nd09();
        let bodies = [
            ("start", json!({})),
            ("pause", json!({"reason": "chờ số liệu"})),
            ("resume", json!(null)),
            ("progress", json!({"percent": 40, "note": "đã thu thập", "occurrence": "Quý III/2025"})),
            ("submit", json!({"occurrence": "2025-Q3", "evidence": {"document": "125/BC-UBND"}})),
            ("complete", json!({"on": "2025-09-30", "evidence": {"link": "https://x.invalid/a"}})),
            ("request-extension", json!({"to": "Quý I/2026", "reason": "chờ hướng dẫn"})),
            ("extend", json!({"to": "2026-03-31", "reason": "đồng ý"})),
            ("reject-extension", json!({"reason": "không đủ căn cứ"})),
            ("cancel", json!({"reason": "trùng"})),
            ("reopen", json!({"reason": "nhầm"})),
            ("comment", json!({"text": "ghi chú"})),
            ("assign", json!({"lead": "Sở Tài chính", "cooperating": ["Sở Y tế"]})),
            ("ack", json!({"snooze_until": "2025-10-05"})),
            ("confirm-completion", json!({})),
            ("return-completion", json!({"reason": "thiếu số liệu"})),
            ("request-explanation", json!({"by": "15/01/2026", "reason": "quá hạn"})),
            ("explain", json!({"text": "chờ số liệu"})),
        ];
        assert_eq!(bodies.len(), ACTIONS.len());
        for ((action, value), (name, kind)) in bodies.into_iter().zip(ACTIONS) {
            assert_eq!(action, name);
            let request = ActionRequest::from_json(action, value).unwrap_or_else(|e| panic!("{action}: {e}"));
            assert_eq!(request.kind(), kind);
            let command = request.into_command(&policy).unwrap_or_else(|e| panic!("{action}: {e}"));
            assert_eq!(command.kind(), kind);
        }
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let cases = [
            ("comment", json!({"text": "a", "txt": "b"}), "không có trường \"txt\""),
            ("pause", json!({}), "thiếu trường \"reason\""),
            ("progress", json!({"note": "a", "percent": 140}), "từ 0 đến 100"),
            ("submit", json!({"evidence": {"file_sha256": "zz"}}), "64 chữ số"),
            ("fly", json!({}), "không có thao tác \"fly\""),
            ("extend", json!({"to": "sớm", "reason": "x"}), "sớm"),
        ];
        let policy = ReportingPolicy::nd09();
        for (action, value, want) in cases {
            let e = ActionRequest::from_json(action, value)
                .and_then(|r| r.into_command(&policy))
                .expect_err(action)
                .to_string();
            assert!(e.contains(want), "{action}: {e}");
        }
    }
}

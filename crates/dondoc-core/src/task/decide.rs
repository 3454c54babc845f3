//! `decide`: command + state + now -> events, or a refusal that names the task, its state
//! and the allowed moves.

use chrono::{DateTime, NaiveDate, Utc};

use super::{CommandKind, DomainError, TaskCommand, TaskState};
use crate::calendar::local_date;
use crate::event::{TaskEvent, TaskKey, TaskStatus};
use crate::period::Period;
use crate::timeexpr::TimeExpr;

use CommandKind as K;

/// The commands a task in `state` accepts (by status; some also need data, e.g. a
/// pending extension request for [`CommandKind::RejectExtension`]).
pub fn allowed_commands(state: &TaskState) -> Vec<CommandKind> {
    if !state.defined {
        return vec![K::Define];
    }
    const ALWAYS: [CommandKind; 6] =
        [K::Comment, K::RecordDelivery, K::RecordFailure, K::RequeueReminder, K::Acknowledge, K::Revise];
    const OPEN: [CommandKind; 10] = [
        K::Assign,
        K::ReportProgress,
        K::SubmitReport,
        K::Complete,
        K::RequestExtension,
        K::Extend,
        K::RejectExtension,
        K::Cancel,
        K::Comment,
        K::RequestExplanation,
    ];
    let by_status: &[CommandKind] = match state.status {
        TaskStatus::NotStarted => &[K::Start],
        TaskStatus::InProgress => &[K::Pause],
        TaskStatus::Paused => &[K::Resume],
        TaskStatus::Completed | TaskStatus::Cancelled => &[K::Reopen],
    };
    let mut out: Vec<CommandKind> = by_status.to_vec();
    if !state.status.is_closed() {
        out.extend(OPEN);
    }
    if state.status == TaskStatus::Completed && state.completion_pending {
        out.extend([K::ConfirmCompletion, K::ReturnCompletion]);
    }
    if state.explanation.is_some() {
        out.push(K::Explain);
    }
    out.extend(ALWAYS);
    out.sort();
    out.dedup();
    out
}

/// Decides what a command means for a task at `now`.
pub fn decide(state: &TaskState, command: &TaskCommand, now: DateTime<Utc>) -> Result<Vec<TaskEvent>, DomainError> {
    let kind = command.kind();
    let task = state.key.clone();
    if !state.defined && kind != K::Define {
        return Err(DomainError::NotDefined { task });
    }
    if state.defined && kind == K::Define {
        return Err(DomainError::AlreadyDefined { task });
    }
    if !allowed_commands(state).contains(&kind) {
        return Err(DomainError::InvalidTransition {
            task,
            status: state.status,
            action: kind,
            allowed: allowed_commands(state),
        });
    }
    let invalid = |field: &'static str, reason: &str| DomainError::InvalidInput {
        task: state.key.clone(),
        field,
        reason: reason.to_string(),
    };
    let required = |field: &'static str, value: &str| {
        if value.trim().is_empty() {
            Err(invalid(field, "không được để trống"))
        } else {
            Ok(value.trim().to_string())
        }
    };
    let today = local_date(now);
    let change = |to: TaskStatus, note: &Option<String>| TaskEvent::StatusChanged {
        from: state.status,
        to,
        note: note.clone(),
        completed_on: None,
        evidence: None,
    };
    // Reporting on a task that has not started starts it.
    let auto_start =
        || (state.status == TaskStatus::NotStarted).then(|| change(TaskStatus::InProgress, &None)).into_iter();

    let events = match command {
        TaskCommand::Define {
            plan,
            code,
            title,
            lead,
            cooperating,
            start,
            finish,
            product,
            tracked_from,
            tt,
            group,
        } => {
            let key = TaskKey::new(plan.trim(), code.trim());
            let bad =
                |field, reason: &str| DomainError::InvalidInput { task: key.clone(), field, reason: reason.into() };
            for (field, value) in [("kế hoạch", plan), ("mã nhiệm vụ", code)] {
                if value.trim().is_empty() {
                    return Err(bad(field, "không được để trống"));
                }
                if value.trim().chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
                    return Err(bad(field, "không được chứa khoảng trắng hay dấu \"/\""));
                }
            }
            if title.trim().is_empty() {
                return Err(bad("tên nhiệm vụ", "không được để trống"));
            }
            vec![TaskEvent::TaskDefined {
                plan: key.plan.clone(),
                code: key.code.clone(),
                title: title.trim().to_string(),
                lead: lead.trim().to_string(),
                cooperating: clean_list(cooperating),
                start: start.clone(),
                finish: finish.clone(),
                product: product.as_ref().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
                tracked_from: tracked_from.unwrap_or(today),
                tt: tt.as_ref().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
                group: group.as_ref().map(|g| g.trim().to_string()).filter(|g| !g.is_empty()),
            }]
        }
        TaskCommand::Revise { title, start, finish, product, tt, reason } => {
            let title = required("tên nhiệm vụ", title)?;
            let product = product.as_ref().map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
            let changed = |same: bool| (!same).then_some(());
            let event = TaskEvent::TaskRevised {
                title: changed(title == state.title).map(|_| title.clone()),
                start: changed(start == &state.start).map(|_| start.clone()),
                finish: changed(finish == &state.finish).map(|_| finish.clone()),
                product: changed(product == state.product).map(|_| product.clone()),
                tt: tt.clone().filter(|t| !t.trim().is_empty() && state.tt.as_deref() != Some(t.as_str())),
                reason: required("lý do", reason)?,
            };
            match &event {
                TaskEvent::TaskRevised { title: None, start: None, finish: None, product: None, tt: None, .. } => {
                    Vec::new()
                }
                _ => vec![event],
            }
        }
        TaskCommand::Assign { lead, cooperating, reason } => {
            let lead = required("cơ quan chủ trì", lead)?;
            let cooperating = clean_list(cooperating);
            if lead == state.lead && cooperating == state.cooperating {
                Vec::new() // Nothing changes: idempotent.
            } else if state.lead.is_empty() {
                vec![TaskEvent::TaskAssigned { lead, cooperating, reason: reason.clone() }]
            } else {
                vec![TaskEvent::TaskReassigned {
                    from_lead: state.lead.clone(),
                    from_cooperating: state.cooperating.clone(),
                    lead,
                    cooperating,
                    reason: reason.clone(),
                }]
            }
        }
        TaskCommand::Start { note } => vec![change(TaskStatus::InProgress, note)],
        TaskCommand::Pause { reason } => vec![change(TaskStatus::Paused, &Some(required("lý do", reason)?))],
        TaskCommand::Resume { note } => vec![change(TaskStatus::InProgress, note)],
        TaskCommand::ReportProgress { percent, note, occurrence } => {
            if percent.is_some_and(|p| p > 100) {
                return Err(invalid("tỷ lệ hoàn thành", "phải từ 0 đến 100"));
            }
            let note = required("nội dung báo cáo", note)?;
            let occurrence = check_occurrence(state, occurrence, false).map_err(|r| invalid("kỳ báo cáo", &r))?;
            auto_start().chain([TaskEvent::ProgressReported { percent: *percent, note, occurrence }]).collect()
        }
        TaskCommand::SubmitReport { occurrence, evidence, submitted_at } => {
            if evidence.is_empty() {
                return Err(invalid("minh chứng", "cần số văn bản, đường dẫn, tệp hoặc ghi chú"));
            }
            let submitted_at = submitted_at.unwrap_or(now);
            if submitted_at > now {
                return Err(invalid("thời điểm nộp", "không được sau thời điểm hiện tại"));
            }
            let occurrence = check_occurrence(state, occurrence, true).map_err(|r| invalid("kỳ báo cáo", &r))?;
            auto_start()
                .chain([TaskEvent::ReportSubmitted { occurrence, evidence: evidence.clone(), submitted_at }])
                .collect()
        }
        TaskCommand::Complete { on, evidence, confirmed } => {
            let on = on.unwrap_or(today);
            if on > today {
                return Err(invalid("ngày hoàn thành", "không được sau ngày hiện tại"));
            }
            if evidence.is_empty() {
                return Err(invalid("minh chứng hoàn thành", "cần số văn bản, đường dẫn, tệp hoặc ghi chú"));
            }
            let completed = TaskEvent::StatusChanged {
                from: state.status,
                to: TaskStatus::Completed,
                note: None,
                completed_on: Some(on),
                evidence: Some(evidence.clone()),
            };
            let awaiting = (!confirmed).then_some(TaskEvent::CompletionAwaitingConfirmation {});
            std::iter::once(completed).chain(awaiting).collect()
        }
        TaskCommand::ConfirmCompletion { note } => {
            vec![TaskEvent::CompletionConfirmed {
                note: note.as_ref().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
            }]
        }
        TaskCommand::ReturnCompletion { reason } => {
            vec![TaskEvent::CompletionReturned {
                to: TaskStatus::InProgress,
                reason: required("lý do trả lại", reason)?,
            }]
        }
        TaskCommand::RequestExplanation { by, reason } => {
            if *by < today {
                return Err(invalid("hạn giải trình", "không được trước ngày hiện tại"));
            }
            vec![TaskEvent::ExplanationRequested {
                requested_on: today,
                due: *by,
                reason: required("nội dung", reason)?,
            }]
        }
        TaskCommand::Explain { text } => {
            vec![TaskEvent::ExplanationGiven { given_on: today, text: required("nội dung giải trình", text)? }]
        }
        TaskCommand::RequestExtension { occurrence, to, to_text, reason } => {
            let occurrence = check_occurrence(state, occurrence, true).map_err(|r| invalid("kỳ báo cáo", &r))?;
            check_later(state, &occurrence, *to).map_err(|r| invalid("hạn đề nghị", &r))?;
            vec![TaskEvent::DeadlineExtensionRequested {
                occurrence,
                requested_due: *to,
                requested_text: to_text.clone(),
                reason: required("lý do", reason)?,
            }]
        }
        TaskCommand::Extend { occurrence, to, to_text, reason } => {
            let occurrence = check_occurrence(state, occurrence, true).map_err(|r| invalid("kỳ báo cáo", &r))?;
            check_later(state, &occurrence, *to).map_err(|r| invalid("hạn mới", &r))?;
            let previous_due = state.occurrence(occurrence.as_deref()).and_then(|o| o.extended_due);
            vec![TaskEvent::DeadlineExtended {
                occurrence,
                previous_due,
                new_due: *to,
                new_text: to_text.clone(),
                reason: required("lý do", reason)?,
            }]
        }
        TaskCommand::RejectExtension { occurrence, reason } => {
            let occurrence = check_occurrence(state, occurrence, true).map_err(|r| invalid("kỳ báo cáo", &r))?;
            if state.occurrence(occurrence.as_deref()).and_then(|o| o.pending_extension.as_ref()).is_none() {
                return Err(invalid("đề nghị gia hạn", "không có đề nghị nào đang chờ"));
            }
            vec![TaskEvent::DeadlineExtensionRejected { occurrence, reason: required("lý do", reason)? }]
        }
        TaskCommand::Cancel { reason } => {
            vec![TaskEvent::TaskCancelled { from: state.status, reason: required("lý do", reason)? }]
        }
        TaskCommand::Reopen { reason } => {
            let reason = required("lý do mở lại", reason)?;
            let to = match state.status {
                // Back to the status it was cancelled from.
                TaskStatus::Cancelled => state.cancelled_from.unwrap_or(TaskStatus::NotStarted),
                _ => TaskStatus::InProgress,
            };
            vec![TaskEvent::TaskReopened { from: state.status, to, reason }]
        }
        TaskCommand::Comment { text } => vec![TaskEvent::CommentAdded { text: required("nội dung", text)? }],
        TaskCommand::RecordDelivery { key, message_id } => {
            if key.plan != state.key.plan || key.code != state.key.code {
                return Err(invalid("khóa nhắc việc", "không thuộc nhiệm vụ này"));
            }
            if state.delivered.contains(&key.to_string()) {
                Vec::new() // Already recorded: a delivery is recorded once.
            } else {
                vec![TaskEvent::ReminderDelivered { key: key.clone(), sent_at: now, message_id: message_id.clone() }]
            }
        }
        TaskCommand::RecordFailure { key, attempt, error, will_retry } => {
            if key.plan != state.key.plan || key.code != state.key.code {
                return Err(invalid("khóa nhắc việc", "không thuộc nhiệm vụ này"));
            }
            vec![TaskEvent::ReminderFailed {
                key: key.clone(),
                attempt: *attempt,
                error: error.clone(),
                will_retry: *will_retry,
            }]
        }
        TaskCommand::RequeueReminder { key, reason } => {
            if key.plan != state.key.plan || key.code != state.key.code {
                return Err(invalid("khóa nhắc việc", "không thuộc nhiệm vụ này"));
            }
            vec![TaskEvent::ReminderRequeued { key: key.clone(), reason: reason.clone() }]
        }
        TaskCommand::Acknowledge { occurrence, key, snooze_until } => {
            if key.as_ref().is_some_and(|k| k.plan != state.key.plan || k.code != state.key.code) {
                return Err(invalid("khóa nhắc việc", "không thuộc nhiệm vụ này"));
            }
            if snooze_until.is_some_and(|s| s <= now) {
                return Err(invalid("hoãn nhắc đến", "phải sau thời điểm hiện tại"));
            }
            // The same key as submissions and extensions use, so the snooze lands on them.
            let occurrence = check_occurrence(state, occurrence, false).map_err(|r| invalid("kỳ báo cáo", &r))?;
            vec![TaskEvent::ReminderAcknowledged {
                acknowledged_at: now,
                occurrence,
                key: key.clone(),
                snooze_until: *snooze_until,
            }]
        }
    };
    Ok(events)
}

fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == i) {
            out.push(i.to_string());
        }
    }
    out
}

/// An occurrence key must name a period, and only recurring tasks have occurrences.
/// When `required_if_recurring`, a recurring task needs one.
fn check_occurrence(
    state: &TaskState,
    occurrence: &Option<String>,
    required_if_recurring: bool,
) -> Result<Option<String>, String> {
    match occurrence {
        None if required_if_recurring && state.is_recurring() => {
            Err("nhiệm vụ định kỳ: cần chỉ rõ kỳ báo cáo (ví dụ 2025-Q3)".into())
        }
        None => Ok(None),
        Some(_) if !state.is_recurring() => Err("nhiệm vụ không định kỳ nên không có kỳ báo cáo".into()),
        Some(k) => {
            let period: Period =
                k.parse().map_err(|_| format!("\"{k}\" không phải là mã kỳ (ví dụ 2025, 2025-Q3, 2025-09)"))?;
            let Some(TimeExpr::Recurring { recurrence }) = state.deadline_expr() else {
                return Err("nhiệm vụ không định kỳ nên không có kỳ báo cáo".into());
            };
            // The report of the period, named as the schedule names it ("2025-Q2" -> "2025-H1").
            match recurrence.occurrence_for(period) {
                Some(p) => Ok(Some(p.key())),
                None => Err(format!("kỳ {} không phải là một kỳ báo cáo của nhiệm vụ này", period.label())),
            }
        }
    }
}

/// A new deadline must be later than the current one (the last extension, or the last
/// day the plan allows).
fn check_later(state: &TaskState, occurrence: &Option<String>, to: NaiveDate) -> Result<(), String> {
    let extended = state.occurrence(occurrence.as_deref()).and_then(|o| o.extended_due);
    let current = match (extended, occurrence) {
        (Some(d), _) => Some(d),
        // An occurrence's due date depends on the reporting policy; any later date is accepted.
        (None, Some(_)) => None,
        (None, None) => match state.deadline_expr() {
            Some(TimeExpr::Period { period }) => Some(period.last_day()),
            Some(TimeExpr::Date { date, .. }) => Some(*date),
            Some(TimeExpr::Range { to, .. }) => Some(to.last_day()),
            Some(_) => return Err("nhiệm vụ thường xuyên hoặc theo yêu cầu không có hạn để gia hạn".into()),
            None => None,
        },
    };
    match current {
        Some(c) if to <= c => Err(format!("phải sau hạn hiện tại {}", c.format("%d/%m/%Y"))),
        _ => Ok(()),
    }
}

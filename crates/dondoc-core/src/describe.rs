//! Task events told in Vietnamese for the audit trail: what changed and why.

use chrono::NaiveDate;

use crate::event::{Evidence, TaskEvent};

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn evidence(e: &Evidence) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &e.document {
        parts.push(format!("văn bản {d}"));
    }
    if let Some(l) = &e.link {
        parts.push(format!("đường dẫn {l}"));
    }
    if let Some(h) = &e.file_sha256 {
        let hash = &h[..h.len().min(12)];
        match (&e.file_name, e.file_size) {
            (Some(name), Some(size)) => parts.push(format!("tệp {name} ({} KB, SHA-256 {hash})", size.div_ceil(1024))),
            (Some(name), None) => parts.push(format!("tệp {name} (SHA-256 {hash})")),
            _ => parts.push(format!("tệp SHA-256 {hash}")),
        }
    }
    if let Some(n) = &e.note {
        parts.push(format!("ghi chú: {n}"));
    }
    parts.join("; ")
}

fn occurrence(o: &Option<String>) -> String {
    o.as_ref()
        .map(|k| match k.parse::<crate::Period>() {
            Ok(p) => format!(" kỳ {}", p.label()),
            Err(_) => format!(" kỳ {k}"),
        })
        .unwrap_or_default()
}

fn agencies(lead: &str, coop: &[String]) -> String {
    if coop.is_empty() {
        format!("chủ trì {lead}")
    } else {
        format!("chủ trì {lead}, phối hợp {}", coop.join("; "))
    }
}

fn why(reason: &Option<String>) -> String {
    reason.as_ref().map(|r| format!("; lý do: {r}")).unwrap_or_default()
}

/// One line saying what the event changed and why.
pub fn describe(event: &TaskEvent) -> String {
    match event {
        TaskEvent::TaskDefined { title, lead, cooperating, finish, start, .. } => {
            let mut s = format!("Khai báo nhiệm vụ \"{title}\", {}", agencies(lead, cooperating));
            if let Some(st) = start {
                s += &format!(", bắt đầu \"{}\"", st.input);
            }
            if let Some(f) = finish {
                s += &format!(", thời hạn \"{}\"", f.input);
            }
            s
        }
        TaskEvent::TaskRevised { title, start, finish, product, tt, reason } => {
            let mut parts = Vec::new();
            if let Some(t) = tt {
                parts.push(format!("số TT {t}"));
            }
            if let Some(t) = title {
                parts.push(format!("tên \"{t}\""));
            }
            let time = |p: &Option<crate::timeexpr::ParsedTime>| {
                p.as_ref().map_or("(bỏ trống)".to_string(), |p| format!("\"{}\"", p.input))
            };
            if let Some(s) = start {
                parts.push(format!("bắt đầu {}", time(s)));
            }
            if let Some(f) = finish {
                parts.push(format!("thời hạn {}", time(f)));
            }
            if let Some(p) = product {
                parts.push(format!("sản phẩm {}", p.as_deref().map_or("(bỏ trống)".into(), |p| format!("\"{p}\""))));
            }
            format!("Điều chỉnh theo kế hoạch sửa đổi: {}; lý do: {reason}", parts.join(", "))
        }
        TaskEvent::TaskAssigned { lead, cooperating, reason } => {
            format!("Giao nhiệm vụ: {}{}", agencies(lead, cooperating), why(reason))
        }
        TaskEvent::TaskReassigned { from_lead, from_cooperating, lead, cooperating, reason } => format!(
            "Giao lại: {} → {}{}",
            agencies(from_lead, from_cooperating),
            agencies(lead, cooperating),
            why(reason)
        ),
        TaskEvent::StatusChanged { from, to, note, completed_on, evidence: ev } => {
            let mut s = format!("Trạng thái: {from} → {to}");
            if let Some(d) = completed_on {
                s += &format!(", ngày hoàn thành {}", date(*d));
            }
            if let Some(e) = ev.as_ref().filter(|e| !e.is_empty()) {
                s += &format!(", minh chứng: {}", evidence(e));
            }
            s + &why(note).replace("lý do", "ghi chú")
        }
        TaskEvent::ProgressReported { percent, note, occurrence: o } => {
            let pct = percent.map(|p| format!(" {p}%")).unwrap_or_default();
            format!("Báo cáo tiến độ{}{pct}: {note}", occurrence(o))
        }
        TaskEvent::ReportSubmitted { occurrence: o, evidence: e, submitted_at } => format!(
            "Nộp báo cáo{} lúc {}: {}",
            occurrence(o),
            submitted_at.with_timezone(&crate::calendar::TZ).format("%d/%m/%Y %H:%M"),
            evidence(e)
        ),
        TaskEvent::DeadlineExtensionRequested { occurrence: o, requested_due, reason, .. } => {
            format!("Đề nghị gia hạn{} đến {}; lý do: {reason}", occurrence(o), date(*requested_due))
        }
        TaskEvent::DeadlineExtended { occurrence: o, previous_due, new_due, reason, .. } => {
            let from = previous_due.map(|d| format!(" từ {}", date(d))).unwrap_or_default();
            format!("Gia hạn{}{from} đến {}; lý do: {reason}", occurrence(o), date(*new_due))
        }
        TaskEvent::DeadlineExtensionRejected { occurrence: o, reason } => {
            format!("Từ chối đề nghị gia hạn{}; lý do: {reason}", occurrence(o))
        }
        TaskEvent::TaskCancelled { from, reason } => format!("Hủy nhiệm vụ (đang {from}); lý do: {reason}"),
        TaskEvent::TaskReopened { from, to, reason } => format!("Mở lại: {from} → {to}; lý do: {reason}"),
        TaskEvent::CommentAdded { text } => format!("Ghi chú: {text}"),
        TaskEvent::CompletionAwaitingConfirmation {} => "Báo cáo hoàn thành chờ tổ giúp việc xác nhận".to_string(),
        TaskEvent::CompletionConfirmed { note: None } => "Xác nhận hoàn thành".to_string(),
        TaskEvent::CompletionConfirmed { note: Some(n) } => format!("Xác nhận hoàn thành: {n}"),
        TaskEvent::CompletionReturned { to, reason } => {
            format!("Trả lại báo cáo hoàn thành, nhiệm vụ trở lại \"{}\": {reason}", to.label_vi())
        }
        TaskEvent::ExplanationRequested { due, reason, .. } => {
            format!("Yêu cầu giải trình trước hết ngày {}: {reason}", due.format("%d/%m/%Y"))
        }
        TaskEvent::ExplanationGiven { text, .. } => format!("Giải trình: {text}"),
        TaskEvent::ReminderDelivered { key, .. } => {
            format!("Đã gửi nhắc việc tới {} qua {}", key.recipient, key.channel.as_str())
        }
        TaskEvent::ReminderFailed { key, attempt, error, will_retry } => format!(
            "Gửi nhắc việc tới {} thất bại (lần {attempt}): {error}{}",
            key.recipient,
            if *will_retry { "; sẽ thử lại" } else { "" }
        ),
        TaskEvent::ReminderRequeued { key, reason } => {
            format!("Cho gửi lại nhắc việc tới {} qua {}; lý do: {reason}", key.recipient, key.channel.as_str())
        }
        TaskEvent::ReminderAcknowledged { occurrence: o, snooze_until, .. } => {
            let snooze =
                snooze_until.map(|t| format!(", hoãn nhắc đến {}", crate::text::until_vi(t))).unwrap_or_default();
            format!("Xác nhận đã nhận nhắc việc{}{snooze}", occurrence(o))
        }
    }
}

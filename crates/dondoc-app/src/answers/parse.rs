//! What officers type in a chat after pressing a reminder's button: a progress report
//! ("60% đã hoàn thành dự thảo") or an extension request ("30/11/2025 chờ ý kiến các
//! sở"), prefixed with the task's code when the reminder carried several tasks. Pure: text
//! in, commands or a Vietnamese explanation of what to type out.

use chrono::NaiveDate;
use dondoc_core::event::{ReminderKey, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::message::ActionKind;

/// What an officer is expected to type next after pressing a button.
#[derive(Debug, Clone)]
pub struct Pending {
    pub action: ActionKind,
    pub keys: Vec<ReminderKey>,
}

fn tasks_of(keys: &[ReminderKey]) -> Vec<(TaskKey, Option<String>)> {
    let mut out: Vec<(TaskKey, Option<String>)> = Vec::new();
    for k in keys {
        let t = (TaskKey::new(k.plan.clone(), k.code.clone()), k.occurrence.clone());
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

pub fn prompt(action: ActionKind, keys: &[ReminderKey]) -> String {
    let tasks = tasks_of(keys);
    let which = if tasks.len() == 1 {
        String::new()
    } else {
        let codes: Vec<&str> = tasks.iter().map(|(t, _)| t.code.as_str()).collect();
        format!(
            " Tin nhắc có {} nhiệm vụ ({}): bắt đầu bằng mã nhiệm vụ, ví dụ \"{}: ...\".",
            tasks.len(),
            codes.join(", "),
            codes[0]
        )
    };
    match action {
        ActionKind::Progress => format!("Nhập tiến độ, ví dụ \"60% đã hoàn thành dự thảo\".{which}"),
        _ => format!("Nhập ngày đề nghị gia hạn và lý do, ví dụ \"30/11/2025 chờ ý kiến các sở\".{which}"),
    }
}

/// The commands an answer asks for, or a Vietnamese explanation of what to type.
pub fn answer(p: &Pending, text: &str) -> Result<Vec<(TaskKey, TaskCommand)>, String> {
    let tasks = tasks_of(&p.keys);
    let text = text.trim();
    let (targets, body): (Vec<(TaskKey, Option<String>)>, &str) = if tasks.len() == 1 {
        (tasks, text)
    } else {
        let (code, rest) = text.split_once(':').ok_or_else(|| prompt(p.action, &p.keys))?;
        let chosen: Vec<_> = tasks.into_iter().filter(|(t, _)| t.code.eq_ignore_ascii_case(code.trim())).collect();
        if chosen.is_empty() {
            return Err(format!(
                "Không có nhiệm vụ mã {} trong tin nhắc này. {}",
                code.trim(),
                prompt(p.action, &p.keys)
            ));
        }
        (chosen, rest.trim())
    };
    if body.is_empty() {
        return Err(prompt(p.action, &p.keys));
    }
    let command = |occurrence: Option<String>| -> Result<TaskCommand, String> {
        Ok(match p.action {
            ActionKind::Extension => {
                let (date, reason) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                let to = NaiveDate::parse_from_str(date, "%d/%m/%Y")
                    .map_err(|_| format!("\"{date}\" không phải ngày dd/mm/yyyy. {}", prompt(p.action, &p.keys)))?;
                let reason =
                    if reason.trim().is_empty() { "(không nêu lý do)".to_string() } else { reason.trim().into() };
                TaskCommand::RequestExtension { occurrence, to, to_text: None, reason }
            }
            _ => {
                let (percent, note) = match body.split_once('%') {
                    Some((n, rest)) if n.trim().parse::<u8>().is_ok_and(|n| n <= 100) => {
                        (n.trim().parse().ok(), rest.trim().to_string())
                    }
                    _ => (None, body.to_string()),
                };
                let note = if note.is_empty() { body.to_string() } else { note };
                TaskCommand::ReportProgress { percent, note, occurrence }
            }
        })
    };
    targets.into_iter().map(|(task, occurrence)| Ok((task, command(occurrence)?))).collect()
}

#[cfg(test)]
mod tests {
    use dondoc_core::event::{Channel, Milestone};

    use super::*;

    fn key(code: &str) -> ReminderKey {
        ReminderKey {
            plan: "P".into(),
            code: code.into(),
            occurrence: None,
            milestone: Milestone::Due,
            offset: 3,
            recipient: "c001".into(),
            channel: Channel::Telegram,
        }
    }

    /// (what the officer was asked, what they typed, the command or a part of the help).
    type Case<'a> = (&'a Pending, &'a str, Result<Option<TaskCommand>, &'a str>);

    #[test]
    fn answers_become_commands_or_say_what_to_type() {
        let one = Pending { action: ActionKind::Extension, keys: vec![key("01")] };
        let two = Pending { action: ActionKind::Progress, keys: vec![key("01"), key("02")] };
        let cases: Vec<Case> = vec![
            (
                &one,
                "30/11/2025 chờ ý kiến các sở",
                Ok(Some(TaskCommand::RequestExtension {
                    occurrence: None,
                    to: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
                    to_text: None,
                    reason: "chờ ý kiến các sở".into(),
                })),
            ),
            (&one, "31/02/2025 lý do", Err("không phải ngày dd/mm/yyyy")),
            (&one, "   ", Err("Nhập ngày đề nghị gia hạn")),
            (
                &two,
                "02: 60% đã xong dự thảo",
                Ok(Some(TaskCommand::ReportProgress {
                    percent: Some(60),
                    note: "đã xong dự thảo".into(),
                    occurrence: None,
                })),
            ),
            (&two, "60% đã xong", Err("bắt đầu bằng mã nhiệm vụ")),
            (&two, "09: xong", Err("Không có nhiệm vụ mã 09")),
        ];
        for (pending, text, want) in cases {
            match (answer(pending, text), want) {
                (Ok(commands), Ok(Some(command))) => {
                    assert_eq!(commands.len(), 1, "{text}");
                    assert_eq!(commands[0].1, command, "{text}");
                }
                (Err(help), Err(needle)) => assert!(help.contains(needle), "{text}: {help}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }
}

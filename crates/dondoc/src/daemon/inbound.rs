//! Officers answering on Telegram: `/start <code>` links a chat to a contact; the buttons
//! under a reminder acknowledge it ("Đã nhận") or ask for a progress report or an
//! extension request, whose text the next message carries. Every answer becomes events on
//! the tasks' streams with the linked officer as actor.

use dondoc_core::StreamEvent as _;
use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::contact::{CONTACT_STREAM, ContactCard, ContactEvent};
use dondoc_core::event::{Channel, ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::channel::telegram::{Inbound, TelegramSender};
use dondoc_notify::message::ActionKind;
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::ExpectedRevision;
use sha2::{Digest as _, Sha256};
use tokio::sync::{mpsc, watch};

use super::{Daemon, load};

/// The SHA-256 of a link code, as stored.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

/// What an officer is expected to type next after pressing a button.
#[derive(Debug, Clone)]
struct Pending {
    action: ActionKind,
    keys: Vec<ReminderKey>,
}

/// Handles updates until shutdown.
pub async fn run(
    d: &Daemon,
    bot: &TelegramSender,
    mut rx: mpsc::Receiver<Inbound>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let mut pending: HashMap<i64, Pending> = HashMap::new();
    loop {
        let update = tokio::select! {
            u = rx.recv() => match u { Some(u) => u, None => return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        };
        let now = (d.clock)();
        if let Err(e) = handle(d, bot, &mut pending, update, now).await {
            tracing::error!(error = %format!("{e:#}"), "không xử lý được tin nhắn Telegram");
        }
    }
}

async fn handle(
    d: &Daemon,
    bot: &TelegramSender,
    pending: &mut HashMap<i64, Pending>,
    update: Inbound,
    now: DateTime<Utc>,
) -> Result<()> {
    let book = load::contacts(&d.store).await?;
    match update {
        Inbound::Start { chat_id, code, .. } => {
            let Some(code) = code else {
                bot.reply(chat_id, "Xin chào! Hãy gửi /start kèm mã liên kết do Tổ giúp việc cấp.").await?;
                return Ok(());
            };
            let hash = code_hash(&code);
            let Some(card) = book.redeem(&hash, now).cloned() else {
                bot.reply(chat_id, "Mã liên kết không đúng hoặc đã hết hạn. Vui lòng xin mã mới từ Tổ giúp việc.")
                    .await?;
                return Ok(());
            };
            let event = ContactEvent::ContactLinked {
                id: card.id.clone(),
                channel: Channel::Telegram,
                address: chat_id.to_string(),
                code_sha256: Some(hash),
            };
            let (t, data) = event.encode();
            let ctx = CommandContext::new(actor(&card), Source::Telegram, now);
            service::append_facts(&d.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
            bot.reply(
                chat_id,
                &format!(
                    "Đã liên kết Telegram với {} ({}). Từ nay nhắc việc sẽ được gửi vào đây.",
                    card.name, card.agency
                ),
            )
            .await?;
        }
        Inbound::Callback { chat_id, callback_id, action, message_ref } => {
            let Some(card) = book.by_address(Channel::Telegram, &chat_id.to_string()).cloned() else {
                bot.answer_callback(&callback_id, "Tài khoản Telegram này chưa được liên kết.").await?;
                return Ok(());
            };
            let keys: Vec<ReminderKey> = {
                let mut p = d.projections.lock().await;
                p.catch_up(&d.store).await?;
                p.message_keys(&message_ref)?
            };
            // Only the officer a reminder was sent to answers it (callback data can be forged).
            let keys: Vec<ReminderKey> = keys.into_iter().filter(|k| k.recipient == card.id).collect();
            if keys.is_empty() {
                bot.answer_callback(&callback_id, "Không tìm thấy nhắc việc này.").await?;
                return Ok(());
            }
            match action {
                ActionKind::Acknowledge => {
                    let commands = acknowledgements(&keys);
                    let n = commands.len();
                    execute(d, &card, commands, now).await?;
                    bot.answer_callback(&callback_id, &format!("Đã ghi nhận: đã nhận {n} nhắc việc.")).await?;
                }
                ActionKind::Progress => {
                    pending.insert(chat_id, Pending { action, keys: keys.clone() });
                    bot.answer_callback(&callback_id, "Mời nhập báo cáo tiến độ.").await?;
                    bot.reply(chat_id, &prompt(action, &keys)).await?;
                }
                ActionKind::Extension => {
                    pending.insert(chat_id, Pending { action, keys: keys.clone() });
                    bot.answer_callback(&callback_id, "Mời nhập đề nghị gia hạn.").await?;
                    bot.reply(chat_id, &prompt(action, &keys)).await?;
                }
            }
        }
        Inbound::Text { chat_id, text, .. } => {
            let Some(card) = book.by_address(Channel::Telegram, &chat_id.to_string()).cloned() else {
                bot.reply(chat_id, "Tài khoản Telegram này chưa được liên kết. Hãy gửi /start kèm mã liên kết.")
                    .await?;
                return Ok(());
            };
            let Some(p) = pending.get(&chat_id).cloned() else {
                bot.reply(chat_id, "Vui lòng bấm nút dưới tin nhắc việc để báo cáo tiến độ hoặc đề nghị gia hạn.")
                    .await?;
                return Ok(());
            };
            match answer(&p, &text) {
                Ok(commands) => {
                    let n = commands.len();
                    execute(d, &card, commands, now).await?;
                    pending.remove(&chat_id);
                    bot.reply(chat_id, &format!("Đã ghi nhận cho {n} nhiệm vụ. Cảm ơn đồng chí.")).await?;
                }
                Err(help) => {
                    bot.reply(chat_id, &help).await?;
                }
            }
        }
    }
    Ok(())
}

fn actor(card: &ContactCard) -> String {
    format!("contact:{} ({})", card.id, card.name)
}

/// One acknowledgement per (task, occurrence) of the message.
pub fn acknowledgements(keys: &[ReminderKey]) -> Vec<(TaskKey, TaskCommand)> {
    let mut out: Vec<(TaskKey, TaskCommand)> = Vec::new();
    for k in keys {
        let task = TaskKey::new(k.plan.clone(), k.code.clone());
        let dup = out.iter().any(|(t, c)| {
            *t == task && matches!(c, TaskCommand::Acknowledge { occurrence, .. } if *occurrence == k.occurrence)
        });
        if !dup {
            out.push((
                task,
                TaskCommand::Acknowledge { occurrence: k.occurrence.clone(), key: Some(k.clone()), snooze_until: None },
            ));
        }
    }
    out
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

fn prompt(action: ActionKind, keys: &[ReminderKey]) -> String {
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
fn answer(p: &Pending, text: &str) -> Result<Vec<(TaskKey, TaskCommand)>, String> {
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

async fn execute(
    d: &Daemon,
    card: &ContactCard,
    commands: Vec<(TaskKey, TaskCommand)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let ctx = CommandContext::new(actor(card), Source::Telegram, now);
    service::execute_batch(&d.store, &commands, Vec::new(), &ctx).await?;
    d.projections.lock().await.catch_up(&d.store).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use dondoc_core::event::Milestone;

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

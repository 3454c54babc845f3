//! Officers answering reminders where they read them: on Telegram ([`telegram`]: linking a
//! chat with a one-time code, the buttons under a reminder, progress and extension texts)
//! and on Zalo ([`zalo`]: the Official Account's webhook). What they type is read by
//! [`parse`]; every answer becomes events with the linked officer as actor. Both also take
//! the chat commands ([`chat_command`]): `/viec`, `/trehan`, `/giaitrinh`.

pub mod parse;
pub mod telegram;
pub mod zalo;

use dondoc_core::contact::{ContactBook, ContactCard};
use dondoc_core::event::{ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;

use crate::App;
use crate::command::Actor;
use crate::error::Result;

/// The contact `find` picks from the contact book: looked up in the read models as they
/// are ([`App::peek`]), and again after catching up only when not found there, so that an
/// answer never waits for a long catch-up (a plan being imported) unless the contact is
/// that new.
pub(crate) async fn find_contact(
    app: &App,
    find: impl Fn(&ContactBook) -> Option<ContactCard>,
) -> Result<Option<ContactCard>> {
    if let Some(card) = app.peek(|p| Ok(find(&p.contacts()?)))? {
        return Ok(Some(card));
    }
    let book = app.read().await?.contacts()?;
    Ok(find(&book))
}

/// The reminder keys of a message (its reference in a button), from the read models as
/// they are, or after catching up when not there yet.
pub(crate) async fn message_keys(app: &App, message_ref: &str) -> Result<Vec<ReminderKey>> {
    let keys = app.peek(|p| p.message_keys(message_ref))?;
    if !keys.is_empty() {
        return Ok(keys);
    }
    Ok(app.read().await?.message_keys(message_ref)?)
}

/// What an officer can ask in a chat (Telegram, Zalo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatCommand {
    /// `/viec`: the open tasks my agency leads.
    MyTasks,
    /// `/trehan`: my agency's overdue tasks.
    Overdue,
    /// `/giaitrinh <code or plan/code> <text>`: my agency's explanation of an overdue task
    /// it was asked to explain (either part may be missing: the answer says what to type).
    Explain { task: String, text: String },
}

/// The chat command a message is, if any: `/viec`, `/trehan` or `/giaitrinh …` (also with
/// Telegram's "@botname", in any case, or without the slash as people type on Zalo).
pub fn chat_command(text: &str) -> Option<ChatCommand> {
    let text = text.trim();
    let first = text.split_whitespace().next()?;
    let word = first.to_lowercase();
    let word = word.trim_start_matches(['/', '#']);
    let word = word.split('@').next().unwrap_or_default();
    match word {
        "viec" | "việc" => Some(ChatCommand::MyTasks),
        "trehan" | "trễhạn" | "tre_han" => Some(ChatCommand::Overdue),
        "giaitrinh" | "giảitrình" | "giai_trinh" => {
            let rest = text[first.len()..].trim_start();
            let (task, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            Some(ChatCommand::Explain { task: task.trim().to_string(), text: text.trim().to_string() })
        }
        _ => None,
    }
}

/// How to give an explanation in a chat.
const EXPLAIN_HELP: &str =
    "Gửi giải trình theo mẫu: /giaitrinh <mã nhiệm vụ> <nội dung>, ví dụ \"/giaitrinh 01123 Chờ số liệu của Sở Y tế\".";

/// Lines a chat answer lists at most.
const CHAT_LINES: usize = 15;

/// The answer to a chat command for the linked contact: the tasks its agency leads, open
/// or overdue, soonest deadline first; or, for an explanation, what was recorded (with the
/// contact as actor, from `source`, under `command_id` so a redelivered message records
/// nothing twice) or why not.
pub async fn chat_reply(
    app: &App,
    card: &ContactCard,
    command: ChatCommand,
    source: Source,
    command_id: uuid::Uuid,
) -> Result<String> {
    use dondoc_core::access::{Relation, relation};
    if let ChatCommand::Explain { task, text } = &command {
        return explain(app, card, task, text, source, command_id).await;
    }
    let at = app.now();
    let today = dondoc_core::calendar::local_date(at);
    let directory = app.directory().await?;
    let rows = crate::views::list(app, &crate::views::Listing::default(), at).await?;
    let mut mine: Vec<_> = rows
        .iter()
        .filter(|(t, _)| {
            relation(&directory, &card.agency, &t.state.lead, &t.state.cooperating, today) == Relation::Lead
        })
        .filter(|(t, s)| match command {
            ChatCommand::MyTasks => !t.state.status.is_closed(),
            ChatCommand::Overdue => s.classification.is_overdue(),
            ChatCommand::Explain { .. } => false,
        })
        .collect();
    mine.sort_by_key(|(t, s)| {
        (crate::views::next_open_due(s).is_none(), crate::views::next_open_due(s), t.state.key.clone())
    });
    let what = match command {
        ChatCommand::MyTasks => "đang thực hiện",
        ChatCommand::Overdue | ChatCommand::Explain { .. } => "quá hạn",
    };
    if mine.is_empty() {
        return Ok(format!("{} không có nhiệm vụ {what}.", card.agency));
    }
    let mut text = format!("Nhiệm vụ {what} của {} ({}):", card.agency, mine.len());
    for (i, (t, s)) in mine.iter().take(CHAT_LINES).enumerate() {
        let title: String = t.state.title.chars().take(80).collect();
        let due = crate::views::next_open_due(s)
            .map_or_else(|| "không có hạn".to_string(), |d| format!("hạn {}", d.format("%d/%m/%Y")));
        text += &format!(
            "\n{}. Nhiệm vụ {}: {title}; {due}; {}.",
            i + 1,
            t.state.key.label_vi(),
            crate::views::classification_vi(t, s)
        );
    }
    if mine.len() > CHAT_LINES {
        text += &format!("\n… và {} nhiệm vụ khác.", mine.len() - CHAT_LINES);
    }
    Ok(text)
}

/// Records the contact's explanation of the task `task` ("01123" or "PLAN/01123") that its
/// agency leads and was asked to explain; the answer says what was recorded or why not.
async fn explain(
    app: &App,
    card: &ContactCard,
    task: &str,
    text: &str,
    source: Source,
    command_id: uuid::Uuid,
) -> Result<String> {
    use dondoc_core::access::{Relation, relation};
    if task.is_empty() || text.is_empty() {
        return Ok(EXPLAIN_HELP.to_string());
    }
    let at = app.now();
    let today = dondoc_core::calendar::local_date(at);
    let directory = app.directory().await?;
    let (plan, code) = task.split_once('/').map_or((None, task), |(p, c)| (Some(p.trim()), c.trim()));
    let rows = crate::views::list(app, &crate::views::Listing::default(), at).await?;
    let asked: Vec<TaskKey> = rows
        .iter()
        .map(|(t, _)| &t.state)
        .filter(|s| s.key.code.eq_ignore_ascii_case(code) && plan.is_none_or(|p| s.key.plan.eq_ignore_ascii_case(p)))
        .filter(|s| s.explanation.as_ref().is_some_and(|e| e.answer.is_none()))
        .filter(|s| relation(&directory, &card.agency, &s.lead, &s.cooperating, today) == Relation::Lead)
        .map(|s| s.key.clone())
        .collect();
    let key = match asked.as_slice() {
        [] => {
            return Ok(format!(
                "Không có yêu cầu giải trình nào đang chờ {} đối với nhiệm vụ mã {task}. {EXPLAIN_HELP}",
                card.agency
            ));
        }
        [one] => one.clone(),
        many => {
            let keys: Vec<String> = many.iter().map(|k| format!("{}/{}", k.plan, k.code)).collect();
            return Ok(format!(
                "Mã {code} có ở nhiều kế hoạch ({}); ghi rõ kế hoạch, ví dụ \"/giaitrinh {} <nội dung>\".",
                keys.join(", "),
                keys[0]
            ));
        }
    };
    let command = TaskCommand::Explain { text: text.to_string() };
    match crate::task::execute(app, &key, None, &command, &actor(card, source), Some(command_id)).await {
        Ok(_) => Ok(format!("Đã ghi nhận giải trình đối với nhiệm vụ {}. Cảm ơn đồng chí.", key.label_vi())),
        Err(e @ (crate::AppError::Refused(_) | crate::AppError::Input(_))) => Ok(format!("Chưa ghi nhận: {e}")),
        Err(e) => Err(e),
    }
}

/// The linked officer as the actor of their answers.
pub fn actor(card: &ContactCard, source: Source) -> Actor {
    Actor::new(format!("contact:{} ({})", card.id, card.name), source)
}

/// One acknowledgement per (task, occurrence) of the reminders of a message.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_commands_are_read_as_people_type_them() {
        let explain = |task: &str, text: &str| Some(ChatCommand::Explain { task: task.into(), text: text.into() });
        let cases = [
            ("/viec", Some(ChatCommand::MyTasks)),
            ("/viec@dondoc_bot", Some(ChatCommand::MyTasks)),
            ("Việc", Some(ChatCommand::MyTasks)),
            ("#trehan", Some(ChatCommand::Overdue)),
            ("/giaitrinh 01123 Chờ số liệu của Sở Y tế", explain("01123", "Chờ số liệu của Sở Y tế")),
            ("giải_trình", None),
            ("/GiaiTrinh@dondoc_bot  KH-1/02   đã xong  ", explain("KH-1/02", "đã xong")),
            ("/giaitrinh 01123", explain("01123", "")),
            ("/giaitrinh", explain("", "")),
            ("60% đã xong", None),
            ("   ", None),
        ];
        for (text, want) in cases {
            assert_eq!(chat_command(text), want, "{text:?}");
        }
    }
}

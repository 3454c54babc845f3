//! Officers answering reminders where they read them: on Telegram ([`telegram`]: linking a
//! chat with a one-time code, the buttons under a reminder, progress and extension texts)
//! and on Zalo ([`zalo`]: the Official Account's webhook). What they type is read by
//! [`parse`]; every answer becomes events with the linked officer as actor.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatCommand {
    /// `/viec`: the open tasks my agency leads.
    MyTasks,
    /// `/trehan`: my agency's overdue tasks.
    Overdue,
}

/// The chat command a message is, if any: `/viec` or `/trehan` (also with Telegram's
/// "@botname", in any case, or without the slash as people type on Zalo).
pub fn chat_command(text: &str) -> Option<ChatCommand> {
    let word = text.split_whitespace().next()?.to_lowercase();
    let word = word.trim_start_matches(['/', '#']);
    let word = word.split('@').next().unwrap_or_default();
    match word {
        "viec" | "việc" => Some(ChatCommand::MyTasks),
        "trehan" | "trễhạn" | "tre_han" => Some(ChatCommand::Overdue),
        _ => None,
    }
}

/// Lines a chat answer lists at most.
const CHAT_LINES: usize = 15;

/// The answer to a chat command for the linked contact: the tasks its agency leads, open
/// or overdue, soonest deadline first.
pub async fn chat_reply(app: &App, card: &ContactCard, command: ChatCommand) -> Result<String> {
    use dondoc_core::access::{Relation, relation};
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
        })
        .collect();
    mine.sort_by_key(|(t, s)| {
        (crate::views::next_open_due(s).is_none(), crate::views::next_open_due(s), t.state.key.clone())
    });
    let what = match command {
        ChatCommand::MyTasks => "đang thực hiện",
        ChatCommand::Overdue => "quá hạn",
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

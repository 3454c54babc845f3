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

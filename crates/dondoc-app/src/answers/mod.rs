//! Officers answering reminders where they read them: on Telegram ([`telegram`]: linking a
//! chat with a one-time code, the buttons under a reminder, progress and extension texts)
//! and on Zalo ([`zalo`]: the Official Account's webhook). What they type is read by
//! [`parse`]; every answer becomes events with the linked officer as actor.

pub mod parse;
pub mod telegram;
pub mod zalo;

use dondoc_core::contact::ContactCard;
use dondoc_core::event::{ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;

use crate::command::Actor;

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

//! Sending again what a channel refused for good, after the cause was fixed (a wrong
//! address corrected, a blocked bot unblocked, a refusal that was really a configuration
//! mistake): each reminder is requeued as an event on its task, so the next sweep plans it
//! again and the audit trail says who let it go and why.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dondoc_core::event::{Channel, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_projections::delivery::parse_key;

use crate::App;
use crate::command::{self, Actor};
use crate::error::Result;

/// What a requeue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requeued {
    pub reminders: usize,
    pub tasks: usize,
}

/// Requeues the reminders a channel refused for good (and never delivered), on `channel`
/// when given, refused at or after `since` when given.
pub async fn requeue(
    app: &App,
    channel: Option<Channel>,
    since: Option<DateTime<Utc>>,
    reason: &str,
    actor: &Actor,
) -> Result<Requeued> {
    let failures = app.read().await?.open_failures()?;
    let mut by_task: BTreeMap<TaskKey, Vec<TaskCommand>> = BTreeMap::new();
    for failure in failures.into_iter().filter(|f| !f.will_retry) {
        let Some(key) = parse_key(&failure.key) else { continue };
        if channel.is_some_and(|c| c != key.channel) || since.is_some_and(|s| failure.at.is_none_or(|at| at < s)) {
            continue;
        }
        let task = TaskKey::new(key.plan.clone(), key.code.clone());
        by_task.entry(task).or_default().push(TaskCommand::RequeueReminder { key, reason: reason.to_string() });
    }
    let done = Requeued { reminders: by_task.values().map(Vec::len).sum(), tasks: by_task.len() };
    let commands: Vec<(TaskKey, TaskCommand)> =
        by_task.into_iter().flat_map(|(task, commands)| commands.into_iter().map(move |c| (task.clone(), c))).collect();
    if !commands.is_empty() {
        command::execute_batch(&app.store, &commands, Vec::new(), &actor.at(app.now())).await?;
        app.catch_up().await?;
    }
    Ok(done)
}

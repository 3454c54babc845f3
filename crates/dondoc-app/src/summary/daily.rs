//! The optional daily digest (`[schedule] daily_digest`): each officer gets, once a working
//! day, the list of their agency's tasks that are overdue or due soon. Each day's edition
//! is recorded per officer so it arrives once.

use chrono::{DateTime, Utc};
use dondoc_core::calendar::local_date;
use dondoc_core::summary::daily;
use dondoc_core::summary::log::edition_of_day;
use dondoc_notify::dispatch::Job;
use dondoc_notify::message::Message;
use dondoc_projections::board::TaskFilter;

use super::record::dispatch;
use crate::App;
use crate::error::Result;

/// Sends today's digests; returns how many officers received one.
pub async fn send(app: &App, now: DateTime<Utc>) -> Result<usize> {
    let day = local_date(now);
    if !app.calendar().is_working_day(day) {
        return Ok(0);
    }
    let edition = edition_of_day(day);
    let (done, tasks, book, directory) = {
        let read = app.read().await?;
        let tasks: Vec<_> = read.tasks(&TaskFilter::default())?.into_iter().map(|t| t.state).collect();
        (read.edition_history(&edition)?.delivered, tasks, read.contacts()?, read.directory(&app.settings.agencies)?)
    };
    let contacts = book.contacts(&app.settings.channel_order);
    let digests = daily::digests(&tasks, &contacts, &directory, &app.classifier(&app.calendar()), now);
    let available = app.dispatcher.channels();
    let mut jobs = Vec::new();
    for digest in digests.iter().filter(|d| !done.contains(&d.contact.id)) {
        let messages: Vec<Message> = digest
            .contact
            .channels
            .iter()
            .filter(|(ch, _)| available.contains(ch))
            .map(|(channel, address)| app.templates.render_daily(digest, *channel, address, &edition))
            .collect::<Result<_, _>>()?;
        if !messages.is_empty() {
            jobs.push(Job { messages });
        }
    }
    Ok(dispatch(app, edition, jobs).await.delivered)
}

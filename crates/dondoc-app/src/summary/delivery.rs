//! The secretariat's weekly report of deliveries that failed: sent with the weekly summary
//! to every contact with the secretariat role, only when a channel is out of order or a
//! reminder reached nobody; each edition recorded per person so it arrives once, and sent
//! again by the sweeps to whom it did not reach (as the leadership summary is).

use std::collections::{HashMap, HashSet};

use dondoc_core::contact::Role;
use dondoc_core::summary::log::edition_of_delivery_report;
use dondoc_core::summary::weekly::WeeklySummary;
use dondoc_notify::dispatch::Job;

use super::record::{Sent, dispatch};
use crate::App;
use crate::error::Result;

/// Sends the report of `summary`'s failed deliveries and channel faults to the
/// secretariat (those who have not received this week's report yet).
pub async fn send(app: &App, summary: &WeeklySummary) -> Result<Sent> {
    send_to(app, summary, None).await
}

/// [`send`], only to those in `only` when given (the sweeps' retry of a report that
/// reached nobody).
pub async fn send_to(app: &App, summary: &WeeklySummary, only: Option<&HashSet<String>>) -> Result<Sent> {
    if summary.failed_deliveries.is_empty() && summary.channel_faults.is_empty() {
        return Ok(Sent::default());
    }
    let edition = edition_of_delivery_report(summary.week_from);
    let (done, book) = {
        let read = app.read().await?;
        (read.edition_history(&edition)?.delivered, read.contacts()?)
    };
    let contacts = book.contacts(&app.settings.channel_order);
    let names: HashMap<String, String> = contacts.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
    let available = app.dispatcher.channels();
    let mut jobs = Vec::new();
    let wanted = |id: &String| !done.contains(id) && only.is_none_or(|only| only.contains(id));
    for contact in contacts.iter().filter(|c| c.role == Role::Secretariat && wanted(&c.id)) {
        let salutation = dondoc_notify::templates::salutation(&contact.name, contact.position.as_deref());
        let mut messages = Vec::new();
        for (channel, address) in contact.channels.iter().filter(|(channel, _)| available.contains(channel)) {
            let mut m =
                app.templates.delivery_report(summary, &names, *channel, &salutation, &contact.name, address)?;
            m.recipient = contact.id.clone();
            messages.push(m);
        }
        if !messages.is_empty() {
            jobs.push(Job { messages });
        }
    }
    Ok(dispatch(app, edition, jobs).await)
}

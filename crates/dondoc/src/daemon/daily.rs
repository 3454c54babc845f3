//! The optional daily digest (`[schedule] daily_digest`): each officer gets, once a day,
//! the list of their agency's tasks that are overdue or due soon — the reminders say what
//! changed, the digest says where things stand. Recorded on the `summaries` stream (as
//! week "daily-<date>") so a day's digest reaches each officer once.

use anyhow::Result;
use chrono::{DateTime, Utc};
use dondoc_core::calendar::local_date;
use dondoc_core::classify::Classification;
use dondoc_core::planner::Role;
use dondoc_notify::dispatch::Job;
use dondoc_notify::message::{Message, idempotency_key};
use dondoc_projections::board::TaskFilter;

use super::weekly::SummaryRecorder;
use super::{Daemon, load};

/// Sends today's digests; returns how many officers received one.
pub async fn send(d: &Daemon, now: DateTime<Utc>) -> Result<usize> {
    let day = local_date(now);
    if !d.calendar.is_working_day(day) {
        return Ok(0);
    }
    let key = format!("daily-{day}");
    let done = super::weekly::delivered(&d.store, &key).await?;
    let tasks = {
        let mut p = d.projections.lock().await;
        p.catch_up(&d.store).await?;
        p.tasks(&TaskFilter::default())?
    };
    let classifier = d.classifier();
    let book = load::contacts(&d.store).await?;
    let directory = load::directory(&d.store, &d.agencies).await?;
    let canonical = |name: &str| directory.current_key(name, day);
    let available = d.dispatcher.channels();
    let mut jobs = Vec::new();
    for contact in book.contacts(&d.channel_order).into_iter().filter(|c| c.role == Role::Officer) {
        if done.contains(&contact.id) {
            continue;
        }
        let agency = canonical(&contact.agency);
        let mut lines = Vec::new();
        for t in tasks.iter().map(|t| &t.state).filter(|t| t.defined && !t.status.is_closed()) {
            if !t.lead.split("; ").any(|l| canonical(l) == agency) {
                continue;
            }
            let standing = classifier.task(t, now);
            if matches!(standing.classification, Classification::InProgressOverdue | Classification::DueSoon) {
                let due =
                    standing.deadline.map(|dl| format!(" – hạn {}", dl.due.format("%d/%m/%Y"))).unwrap_or_default();
                lines.push(format!("• [{}] {} – {}{due}", standing.classification.label_vi(), t.key.code, t.title));
            }
        }
        if lines.is_empty() {
            continue;
        }
        let subject =
            format!("[Tổng hợp hằng ngày] {} nhiệm vụ cần chú ý ngày {}", lines.len(), day.format("%d/%m/%Y"));
        let text = format!(
            "Kính gửi {},\n\nCác nhiệm vụ của {} đang quá hạn hoặc sắp đến hạn:\n\n{}\n\nTrân trọng,\n{}",
            contact.name,
            contact.agency,
            lines.join("\n"),
            d.templates.sender()
        );
        let messages: Vec<Message> = contact
            .channels
            .iter()
            .filter(|(ch, _)| available.contains(ch))
            .map(|(channel, address)| {
                let id = idempotency_key(&[], &format!("{key}/{}", contact.id));
                Message::text(*channel, &contact.id, &contact.name, address, subject.clone(), text.clone(), id)
            })
            .collect();
        if !messages.is_empty() {
            jobs.push(Job { messages });
        }
    }
    if jobs.is_empty() {
        return Ok(0);
    }
    let recorder = SummaryRecorder { store: &d.store, week: key };
    Ok(d.dispatcher.run(jobs, &recorder).await.delivered)
}

//! The daily digest as a message (`daily.subject.j2`, `daily.txt.j2`): an officer's
//! overdue and due-soon tasks, one line each.

use dondoc_core::event::Channel;
use dondoc_core::summary::daily::DailyDigest;
use minijinja::context;
use serde::Serialize;

use super::view::dmy;
use crate::message::{Message, MessageKind, idempotency_key};
use crate::templates::{TemplateError, Templates};

/// One task line as the template reads it.
#[derive(Serialize)]
struct Line {
    code: String,
    title: String,
    classification: &'static str,
    due: Option<String>,
}

impl Templates {
    /// The digest for its officer at `address` on `channel`; `edition` names the day's
    /// edition (the message's identity).
    pub fn render_daily(
        &self,
        digest: &DailyDigest,
        channel: Channel,
        address: &str,
        edition: &str,
    ) -> Result<Message, TemplateError> {
        let tasks: Vec<Line> = digest
            .tasks
            .iter()
            .map(|t| Line {
                code: t.code.clone(),
                title: t.title.clone(),
                classification: t.classification.label_vi(),
                due: t.due.map(dmy),
            })
            .collect();
        let contact = &digest.contact;
        let ctx = context! {
            name => contact.name,
            salutation => crate::templates::salutation(&contact.name, contact.position.as_deref()),
            agency => contact.agency, day => dmy(digest.day),
            tasks => tasks, sender => self.sender(),
        };
        let subject = self.render("daily.subject.j2", &ctx)?.trim().to_string();
        let text = self.render("daily.txt.j2", &ctx)?;
        let id = idempotency_key(&[], &format!("{edition}/{}", contact.id));
        let mut m =
            Message::text(MessageKind::DailyDigest, channel, &contact.id, &contact.name, address, subject, text, id);
        // The parameters of a Zalo template registered for the daily digest.
        let overdue = digest.tasks.iter().filter(|t| t.classification.is_overdue()).count();
        m.params = [
            ("ten_can_bo", contact.name.clone()),
            ("ngay", dmy(digest.day)),
            ("so_nhiem_vu", digest.tasks.len().to_string()),
            ("so_qua_han", overdue.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Ok(m)
    }
}

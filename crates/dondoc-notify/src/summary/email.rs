//! The summary email: HTML (`summary.html.j2`, the chart inline as `cid:`), a plain-text
//! alternative (`summary.txt.j2`) and the workbook attached.

use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::WeeklySummary;

use super::{CHART_CID, chart_png, message_key, view, xlsx, xlsx_filename};
use crate::message::{Attachment, Message, MessageKind};
use crate::templates::{TemplateError, Templates};

impl Templates {
    /// The summary email to `name` at `address` (also the message's recipient until the
    /// caller sets the contact id), opening "Kính gửi: `salutation`" ([`crate::templates::salutation`]).
    pub fn weekly_email(
        &self,
        summary: &WeeklySummary,
        salutation: &str,
        name: &str,
        address: &str,
    ) -> Result<Message, TemplateError> {
        let chart = chart_png(summary);
        let workbook = xlsx(summary);
        let mut attachments = Vec::new();
        if !chart.is_empty() {
            attachments.push(Attachment {
                filename: "bieu-do-tong-hop.png".to_string(),
                content_type: "image/png".to_string(),
                bytes: chart,
                inline_id: Some(CHART_CID.to_string()),
            });
        }
        let workbook_name = (!workbook.is_empty()).then(|| xlsx_filename(summary));
        if let Some(filename) = &workbook_name {
            attachments.push(Attachment {
                filename: filename.clone(),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                bytes: workbook,
                inline_id: None,
            });
        }
        let has_chart = attachments.iter().any(|a| a.inline_id.is_some());
        let mut view = view::of(summary, name, has_chart.then_some(CHART_CID), workbook_name.as_deref());
        view.sender = self.sender().to_string();
        view.salutation = salutation.to_string();
        Ok(Message {
            kind: MessageKind::WeeklySummary,
            channel: Channel::Email,
            recipient: address.to_string(),
            name: name.to_string(),
            address: address.to_string(),
            subject: view.subject.clone(),
            text: self.render("summary.txt.j2", &minijinja::Value::from_serialize(&view))?,
            html: Some(self.render("summary.html.j2", &minijinja::Value::from_serialize(&view))?),
            attachments,
            actions: Vec::new(),
            params: Default::default(),
            tasks: Vec::new(),
            keys: Vec::new(),
            idempotency_key: message_key(summary, address),
        })
    }
}

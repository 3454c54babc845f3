//! The secretariat's report of what could not be delivered (`delivery.subject.j2`,
//! `delivery.txt.j2`): channels out of order and reminders no channel delivered, with
//! what to do about them. Leadership's summary does not carry these.

use std::collections::HashMap;

use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::WeeklySummary;
use serde::Serialize;

use super::view::{self, ChannelFaultView, FailureView, Rows};
use crate::message::{Message, MessageKind, idempotency_key};
use crate::templates::{TemplateError, Templates};

/// What the delivery report's templates read.
#[derive(Serialize)]
struct DeliveryView {
    salutation: String,
    sender: String,
    week_from: String,
    week_to: String,
    generated: String,
    failures: Rows<FailureView>,
    channel_faults: Vec<ChannelFaultView>,
}

impl Templates {
    /// The report of `summary`'s failed deliveries and channel faults to `name` at
    /// `address` on `channel`; `names` gives the people's names by contact id (an unknown
    /// id is written as it is). The message's identity is the week's and the recipient's.
    pub fn delivery_report(
        &self,
        summary: &WeeklySummary,
        names: &HashMap<String, String>,
        channel: Channel,
        salutation: &str,
        name: &str,
        address: &str,
    ) -> Result<Message, TemplateError> {
        let full = view::of(summary, name, None, None);
        let mut failures = full.failures;
        for f in &mut failures.rows {
            if let Some(n) = names.get(&f.recipient) {
                f.recipient = n.clone();
            }
        }
        let view = DeliveryView {
            salutation: salutation.to_string(),
            sender: self.sender().to_string(),
            week_from: full.week_from,
            week_to: full.week_to,
            generated: full.generated,
            failures,
            channel_faults: full.channel_faults,
        };
        let ctx = minijinja::Value::from_serialize(&view);
        let subject = self.render("delivery.subject.j2", &ctx)?.trim().to_string();
        let text = self.render("delivery.txt.j2", &ctx)?;
        let text = view::shorten(text.trim_end(), super::chat::TEXT_LIMIT - 1);
        let key = idempotency_key(&[], &format!("delivery/{}/{}", summary.edition(), address));
        let mut m = Message::text(MessageKind::DeliveryReport, channel, address, name, address, subject, text, key);
        m.params = Default::default();
        Ok(m)
    }
}

//! The short summary for Telegram or Zalo (`summary.chat.j2`): counts, the five agencies
//! with the most overdue tasks, and how many became overdue or were completed.

use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::WeeklySummary;

use super::message_key;
use super::view::{self, shorten};
use crate::message::{Message, MessageKind};
use crate::templates::{TemplateError, Templates};

/// The longest Telegram/Zalo text, in characters.
pub(super) const TEXT_LIMIT: usize = 4000;

impl Templates {
    /// The short summary to `name` at `address` on `channel`, under 4,000 characters.
    pub fn weekly_chat(
        &self,
        summary: &WeeklySummary,
        channel: Channel,
        salutation: &str,
        name: &str,
        address: &str,
    ) -> Result<Message, TemplateError> {
        let mut view = view::of(summary, name, None, None);
        view.sender = self.sender().to_string();
        view.salutation = salutation.to_string();
        let text = self.render("summary.chat.j2", &minijinja::Value::from_serialize(&view))?;
        let text = shorten(text.trim_end(), TEXT_LIMIT - 1);
        let mut m = Message::text(
            MessageKind::WeeklySummary,
            channel,
            address,
            name,
            address,
            view.subject,
            text,
            message_key(summary, address),
        );
        // The parameters of a Zalo template registered for the weekly summary.
        m.params = [
            ("ten_can_bo", name.to_string()),
            ("tu_ngay", view::dmy(summary.week_from)),
            ("den_ngay", view::dmy(summary.week_to)),
            ("so_qua_han", summary.overdue_tasks().to_string()),
            ("so_moi_qua_han", summary.newly_overdue.len().to_string()),
            ("so_hoan_thanh", summary.newly_completed.len().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Ok(m)
    }
}

//! The short summary for Telegram or Zalo (`summary.chat.j2`): counts, the five agencies
//! with the most overdue tasks, and how many became overdue or were completed.

use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::WeeklySummary;

use super::message_key;
use super::view::{self, shorten};
use crate::message::Message;
use crate::templates::{TemplateError, Templates};

/// The longest Telegram/Zalo text, in characters.
const TEXT_LIMIT: usize = 4000;

impl Templates {
    /// The short summary to `name` at `address` on `channel`, under 4,000 characters.
    pub fn weekly_chat(
        &self,
        summary: &WeeklySummary,
        channel: Channel,
        name: &str,
        address: &str,
    ) -> Result<Message, TemplateError> {
        let view = view::of(summary, name, None, None);
        let text = self.render("summary.chat.j2", &minijinja::Value::from_serialize(&view))?;
        let text = shorten(text.trim_end(), TEXT_LIMIT - 1);
        Ok(Message::text(channel, address, name, address, view.subject, text, message_key(summary, address)))
    }
}

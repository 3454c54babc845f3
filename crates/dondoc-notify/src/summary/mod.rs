//! The weekly summary as messages, each stage in a module of its own: the [`view`] the
//! templates read, the [`email`] (HTML with the chart inline, a plain-text alternative and
//! the workbook attached), the short [`chat`] text for Telegram and Zalo, the [`chart`]
//! and the [`workbook`]. The HTML and texts are minijinja templates (`summary.*.j2`),
//! overridable like the reminders' and escaped by the engine. The daily digest's message is
//! rendered by [`daily`]; the secretariat's report of failed deliveries by [`delivery`].

pub mod chart;
pub mod chat;
pub mod daily;
pub mod delivery;
pub mod email;
pub mod view;
pub mod workbook;

pub use chart::{CHART_CID, chart_png, set_chart_font};
pub use view::subject;
pub use workbook::{xlsx, xlsx_filename};

use dondoc_core::summary::weekly::WeeklySummary;

use crate::message::idempotency_key;

/// The idempotency key of a summary to one recipient.
fn message_key(summary: &WeeklySummary, recipient: &str) -> String {
    idempotency_key(&[], &format!("summary/{}/{}", summary.edition(), recipient))
}

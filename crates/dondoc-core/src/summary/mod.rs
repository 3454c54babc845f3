//! What people receive besides reminders, and its record:
//! - [`weekly`]: the weekly summary for leadership (how every task stands, overdue work by
//!   lead agency, what changed during the week);
//! - [`daily`]: the optional daily digest for officers (their agency's overdue and due-soon
//!   tasks);
//! - [`log`]: the `summaries` stream recording each edition's delivery to each person, so
//!   an edition reaches a person once.

pub mod daily;
pub mod log;
pub mod weekly;

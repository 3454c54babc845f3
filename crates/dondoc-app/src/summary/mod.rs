//! What people receive besides reminders: the weekly summary for leadership
//! ([`weekly`]) and the optional daily digest for officers ([`daily`]), each edition
//! recorded per person on the `summaries` stream ([`record`]) so it arrives once.

pub mod daily;
pub mod record;
pub mod weekly;

//! What people receive besides reminders: the weekly summary for leadership
//! ([`weekly`]) and the optional daily digest for officers ([`daily`]), each edition
//! recorded per person on the `summaries` stream ([`record`]) so it arrives once. The
//! secretariat gets its own weekly report of deliveries that failed ([`delivery`]).

pub mod daily;
pub mod delivery;
pub mod record;
pub mod weekly;

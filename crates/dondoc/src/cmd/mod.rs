//! One module per command: read the arguments, call the use case, print the outcome.

pub mod agency;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod contact;
pub mod export;
pub mod holidays;
pub mod import;
pub mod init;
pub mod list;
pub mod migrate;
pub mod plan;
pub mod projections;
pub mod reminders;
pub mod show;
pub mod silence;
pub mod simulate;
pub mod summary;
pub mod task;
pub mod user;
pub mod when;
pub mod zalo;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, Utc};
use dondoc_app::Actor;
use dondoc_core::event::Source;

/// Who acts from the command line: `--as`, `$DONDOC_ACTOR`, else "cli:<login>".
pub fn actor(given: &Option<String>, source: Source) -> Actor {
    let name = given.clone().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "?".into());
        format!("cli:{user}")
    });
    Actor::new(name, source)
}

/// The instant to evaluate at: `--at`, else the command line's now.
pub fn instant(at: Option<DateTime<FixedOffset>>) -> Result<DateTime<Utc>> {
    match at {
        Some(t) => Ok(dondoc_app::views::standing_instant(t.with_timezone(&Utc))?),
        None => crate::clock::now(),
    }
}

//! The one place the system clock is read. A command reads it once (or `DONDOC_NOW`, an RFC
//! 3339 instant, to replay a scenario at any date); the daemon reads the system clock,
//! shifted to start at `DONDOC_NOW` for demos. Use cases get a [`Clock`].

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use dondoc_app::clock::{self, Clock};

/// The command line's instant: `$DONDOC_NOW`, else the system clock.
pub fn now() -> Result<DateTime<Utc>> {
    match std::env::var("DONDOC_NOW") {
        Ok(s) if !s.is_empty() => DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("DONDOC_NOW=\"{s}\" không phải thời điểm RFC 3339")),
        _ => Ok(Utc::now()),
    }
}

/// A command's clock: fixed at [`now`].
pub fn cli() -> Result<Clock> {
    Ok(clock::fixed(now()?))
}

/// The daemon's clock: the system clock, or the system clock shifted so that it read
/// `start` when created.
pub fn system(start: Option<DateTime<Utc>>) -> Clock {
    match start {
        None => Arc::new(Utc::now),
        Some(start) => {
            let offset = start - Utc::now();
            Arc::new(move || Utc::now() + offset)
        }
    }
}

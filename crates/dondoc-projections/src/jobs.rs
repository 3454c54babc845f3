//! When each scheduled job of the daemon last ran (`daemon_job`): operational state, not
//! a projection, so `rebuild` keeps it. After downtime the scheduler compares it with the
//! job's cron ticks and runs a missed job once.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::{ProjectionError, Projections};

impl Projections {
    /// When `job` last ran, if ever.
    pub fn job_last_run(&self, job: &str) -> Result<Option<DateTime<Utc>>, ProjectionError> {
        let text: Option<String> =
            self.conn().query_row("SELECT last_run FROM daemon_job WHERE name = ?1", [job], |r| r.get(0)).optional()?;
        Ok(text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc)))
    }

    /// Records that `job` ran at `at`.
    pub fn set_job_last_run(&self, job: &str, at: DateTime<Utc>) -> Result<(), ProjectionError> {
        self.conn().execute(
            "INSERT INTO daemon_job (name, last_run) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run",
            params![job, at.to_rfc3339()],
        )?;
        Ok(())
    }
}

//! The scheduler's arithmetic: cron expressions evaluated in Asia/Ho_Chi_Minh, the next
//! run of each job, and which jobs are due after downtime (each missed job once, not once
//! per missed tick). Pure: instants are parameters.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use cron::Schedule;
use dondoc_core::calendar::TZ;
use serde::Serialize;

use crate::error::{AppError, Result};

/// The daemon's jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// The reminder sweep.
    Sweep,
    /// The weekly leadership summary.
    WeeklySummary,
    /// The optional daily digest: each officer's overdue and due-soon tasks.
    DailyDigest,
}

impl JobKind {
    /// The job's name in configuration, logs and `/healthz`.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Sweep => "sweep",
            JobKind::WeeklySummary => "weekly_summary",
            JobKind::DailyDigest => "daily_digest",
        }
    }
}

/// A job and its cron expression.
#[derive(Debug, Clone)]
pub struct Job {
    pub kind: JobKind,
    pub expression: String,
    schedule: Schedule,
}

impl Job {
    /// Parses a cron expression with seconds ("sec min hour day month weekday [year]"),
    /// or the 5-field form ("min hour day month weekday"), read in local time (UTC+7).
    pub fn new(kind: JobKind, expression: &str) -> Result<Job> {
        let fields = expression.split_whitespace().count();
        let full = if fields == 5 { format!("0 {expression}") } else { expression.to_string() };
        let schedule = Schedule::from_str(&full).map_err(|e| {
            AppError::input(format!("biểu thức cron \"{expression}\" của việc {} không hợp lệ: {e}", kind.name()))
        })?;
        Ok(Job { kind, expression: expression.to_string(), schedule })
    }

    /// Refuses a job that would never run after `now` (the 30th of February, a year
    /// already past): a daemon must not start with a schedule that silently does nothing.
    pub fn check_fires(&self, now: DateTime<Utc>) -> Result<()> {
        match self.next_after(now) {
            Some(_) => Ok(()),
            None => Err(AppError::input(format!(
                "biểu thức cron \"{}\" của việc {} không bao giờ đến lượt chạy (ví dụ ngày 30 tháng 2): hãy sửa [schedule] trong dondoc.toml",
                self.expression,
                self.kind.name()
            ))),
        }
    }

    /// The first tick strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&after.with_timezone(&TZ)).next().map(|t| t.with_timezone(&Utc))
    }

    /// The latest tick at or before `now`, looking back at most `horizon`.
    pub fn last_tick(&self, now: DateTime<Utc>, horizon: chrono::Duration) -> Option<DateTime<Utc>> {
        let mut tick = self.next_after(now - horizon).filter(|t| *t <= now)?;
        while let Some(next) = self.next_after(tick).filter(|t| *t <= now) {
            tick = next;
        }
        Some(tick)
    }

    /// Whether a tick fell in (`last`, `now`]: the job is due (once, however many ticks).
    pub fn is_due(&self, last: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.next_after(last).is_some_and(|t| t <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_that_never_fires_is_refused() {
        let now = t("2025-09-22T09:00:00+07:00");
        for never in ["0 0 0 30 2 *", "0 0 9 31 4 *", "0 0 9 1 1 * 2020"] {
            let job = Job::new(JobKind::Sweep, never).unwrap();
            let error = job.check_fires(now).unwrap_err().to_string();
            assert!(error.contains(never) && error.contains("không bao giờ"), "{error}");
        }
        for fires in ["0 */15 * * * *", "0 0 9 29 2 *", "30 7 * * Mon"] {
            Job::new(JobKind::Sweep, fires).unwrap().check_fires(now).unwrap();
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn cron_is_read_in_vietnam_time() {
        let weekly = Job::new(JobKind::WeeklySummary, "0 30 7 * * Mon").unwrap();
        // Sunday 2025-09-28 20:00 local -> Monday 29/09 07:30 local = 00:30 UTC.
        assert_eq!(weekly.next_after(t("2025-09-28T20:00:00+07:00")), Some(t("2025-09-29T07:30:00+07:00")));
        let five = Job::new(JobKind::Sweep, "*/15 * * * *").unwrap();
        assert_eq!(five.next_after(t("2025-09-29T08:01:00+07:00")), Some(t("2025-09-29T08:15:00+07:00")));
    }

    #[test]
    fn a_missed_job_is_due_once() {
        let weekly = Job::new(JobKind::WeeklySummary, "0 30 7 * * Mon").unwrap();
        // Down from Friday to the Wednesday after next: two Mondays missed, due once.
        let last = t("2025-09-26T10:00:00+07:00");
        let now = t("2025-10-08T09:00:00+07:00");
        assert!(weekly.is_due(last, now));
        assert_eq!(weekly.last_tick(now, chrono::Duration::days(8)), Some(t("2025-10-06T07:30:00+07:00")));
        // After running at `now`, nothing is due until the next Monday.
        assert!(!weekly.is_due(now, t("2025-10-12T23:00:00+07:00")));
        assert!(weekly.is_due(now, t("2025-10-13T07:30:00+07:00")));
    }

    #[test]
    fn bad_expressions_are_named() {
        let e = Job::new(JobKind::Sweep, "every 15 minutes").unwrap_err();
        assert!(format!("{e:#}").contains("every 15 minutes"));
    }
}

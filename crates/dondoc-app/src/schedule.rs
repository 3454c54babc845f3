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

    /// What the scheduler does at `now` for this job, last run at `last`. A clock that
    /// jumped forwards runs the job once (not once per skipped tick); a clock that went
    /// back before the last run (NTP stepping it back, an operator correcting it) restarts
    /// the job's schedule at `now` rather than waiting for the old last run to come round
    /// again, which could silence reminders for as long as the jump. Running again is safe:
    /// every job is idempotent (the delivery log, the summaries' editions).
    pub fn tick(&self, last: DateTime<Utc>, now: DateTime<Utc>) -> Tick {
        if now < last {
            Tick::Rewound
        } else if self.is_due(last, now) {
            Tick::Run
        } else {
            Tick::Wait
        }
    }
}

/// A job's turn at one instant: see [`Job::tick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// One of its times has passed since the last run: run it now.
    Run,
    /// Not yet.
    Wait,
    /// The clock is earlier than the last run: count the last run as `now`, run nothing.
    Rewound,
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
    fn clock_jumps_run_a_job_once_or_restart_its_schedule() {
        let sweep = Job::new(JobKind::Sweep, "0 */15 * * * *").unwrap();
        let weekly = Job::new(JobKind::WeeklySummary, "0 30 7 * * Mon").unwrap();
        let last = t("2025-09-22T09:00:00+07:00");
        let table = [
            (&sweep, "2025-09-22T09:10:00+07:00", Tick::Wait, "before the next tick"),
            (&sweep, "2025-09-22T09:15:00+07:00", Tick::Run, "on the tick"),
            (&sweep, "2025-09-29T09:00:00+07:00", Tick::Run, "a week forwards: once"),
            (&sweep, "2025-09-22T08:00:00+07:00", Tick::Rewound, "an hour back"),
            (&sweep, "2025-09-15T09:00:00+07:00", Tick::Rewound, "a week back"),
            (&sweep, "2025-09-22T09:00:00+07:00", Tick::Wait, "the same instant"),
            (&weekly, "2025-09-22T08:59:00+07:00", Tick::Rewound, "a minute back"),
            (&weekly, "2025-09-29T07:29:59+07:00", Tick::Wait, "a second before Monday 07:30"),
            (&weekly, "2025-10-20T12:00:00+07:00", Tick::Run, "three Mondays forwards: once"),
        ];
        for (job, now, expected, why) in table {
            assert_eq!(job.tick(last, t(now)), expected, "{}: {why}", job.kind.name());
        }
        // After a rewind the schedule restarts at the new now: the next quarter hour of it.
        let back = t("2025-09-15T09:05:00+07:00");
        assert_eq!(sweep.tick(back, t("2025-09-15T09:14:00+07:00")), Tick::Wait);
        assert_eq!(sweep.tick(back, t("2025-09-15T09:15:00+07:00")), Tick::Run);
    }

    #[test]
    fn bad_expressions_are_named() {
        let e = Job::new(JobKind::Sweep, "every 15 minutes").unwrap_err();
        assert!(format!("{e:#}").contains("every 15 minutes"));
    }
}

//! How a task, and each occurrence of a recurring task, stands at an instant — the
//! categories of Vietnamese task-tracking reports, against the effective (extended) deadline.
//!
//! Rules, in order, for a deadline `due` (after rollover) at local date `today`:
//! 1. cancelled -> đã hủy; completed (or submitted, for an occurrence) on or before `due`
//!    -> hoàn thành đúng hạn, after -> hoàn thành quá hạn;
//! 2. not done and `today > due` (past 24:00 of the due day) -> chưa hoàn thành – quá hạn ("đang thực hiện – quá hạn" once started);
//! 3. not done and due within N working days (default 5) -> sắp đến hạn;
//! 4. started (in progress or paused) -> đang thực hiện – trong hạn; not started -> chưa đến hạn.
//!
//! A recurring task takes the worst of its open occurrences (overdue, then due soon);
//! continuous and on-request tasks have no deadline (không có thời hạn). A completed task
//! without a single deadline counts as completed on time.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{WorkCalendar, local_date};
use crate::event::TaskStatus;
use crate::policy::ReportingPolicy;
use crate::task::TaskState;
use crate::timeexpr::{Occurrence, TimeExpr};

/// The categories of a task-tracking report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    InProgressOverdue,
    DueSoon,
    InProgressOnTime,
    NotYetDue,
    CompletedLate,
    CompletedOnTime,
    NoDeadline,
    Cancelled,
}

impl Classification {
    /// Every category, worst first.
    pub const ALL: [Classification; 8] = [
        Classification::InProgressOverdue,
        Classification::DueSoon,
        Classification::InProgressOnTime,
        Classification::NotYetDue,
        Classification::CompletedLate,
        Classification::CompletedOnTime,
        Classification::NoDeadline,
        Classification::Cancelled,
    ];

    /// The Vietnamese category name, for counts over tasks of every status
    /// (docs/van-phong.md §4).
    pub fn label_vi(&self) -> &'static str {
        match self {
            Classification::CompletedOnTime => "hoàn thành đúng hạn",
            Classification::CompletedLate => "hoàn thành quá hạn",
            Classification::InProgressOnTime => "chưa hoàn thành – trong hạn",
            Classification::InProgressOverdue => "chưa hoàn thành – quá hạn",
            Classification::NotYetDue => "chưa đến hạn",
            Classification::DueSoon => "sắp đến hạn",
            Classification::NoDeadline => "không có thời hạn",
            Classification::Cancelled => "đã hủy",
        }
    }

    /// The name for one task with `status`, agreeing with it: "đang thực hiện – quá hạn"
    /// once started, "chưa hoàn thành – quá hạn" before, "tạm dừng – quá hạn" while paused.
    pub fn label_for(&self, status: TaskStatus) -> &'static str {
        match (self, status) {
            (Classification::InProgressOverdue, TaskStatus::InProgress) => "đang thực hiện – quá hạn",
            (Classification::InProgressOverdue, TaskStatus::Paused) => "tạm dừng – quá hạn",
            (Classification::InProgressOnTime, TaskStatus::InProgress) => "đang thực hiện – trong hạn",
            (Classification::InProgressOnTime, TaskStatus::Paused) => "tạm dừng – trong hạn",
            _ => self.label_vi(),
        }
    }

    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Classification::CompletedOnTime => "completed_on_time",
            Classification::CompletedLate => "completed_late",
            Classification::InProgressOnTime => "in_progress_on_time",
            Classification::InProgressOverdue => "in_progress_overdue",
            Classification::NotYetDue => "not_yet_due",
            Classification::DueSoon => "due_soon",
            Classification::NoDeadline => "no_deadline",
            Classification::Cancelled => "cancelled",
        }
    }

    /// Whether the work is late and not done.
    pub fn is_overdue(&self) -> bool {
        *self == Classification::InProgressOverdue
    }
}

/// An effective deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The plan's nominal due date (before any extension).
    pub original: Option<NaiveDate>,
    /// The nominal due date in force (extended if extended).
    pub nominal: NaiveDate,
    /// After rollover: the work is due by 24:00 of this day.
    pub due: NaiveDate,
    pub extended: bool,
}

/// One occurrence at the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceStanding {
    pub occurrence: Occurrence,
    pub deadline: Deadline,
    pub submitted_at: Option<DateTime<Utc>>,
    pub classification: Classification,
}

/// A task at the instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStanding {
    pub classification: Classification,
    /// The deadline of a one-off task.
    pub deadline: Option<Deadline>,
    /// Occurrences of a recurring task: those due so far since tracking began, and the next.
    pub occurrences: Vec<OccurrenceStanding>,
}

/// Classifies tasks with one calendar and policy.
#[derive(Debug, Clone, Copy)]
pub struct Classifier<'a> {
    pub calendar: &'a WorkCalendar,
    pub policy: &'a ReportingPolicy,
    /// "Sắp đến hạn": due within this many working days.
    pub due_soon_working_days: u32,
}

impl<'a> Classifier<'a> {
    /// A classifier with the default "due soon" window of 5 working days.
    pub fn new(calendar: &'a WorkCalendar, policy: &'a ReportingPolicy) -> Self {
        Classifier { calendar, policy, due_soon_working_days: 5 }
    }

    /// The effective deadline of a one-off task.
    pub fn deadline(&self, task: &TaskState) -> Option<Deadline> {
        let original = task.deadline_expr().and_then(|e| e.nominal_due(self.policy));
        let extended = task.main.extended_due;
        let nominal = extended.or(original)?;
        Some(Deadline { original, nominal, due: self.calendar.rollover(nominal), extended: extended.is_some() })
    }

    /// Classifies a task at `now`.
    pub fn task(&self, task: &TaskState, now: DateTime<Utc>) -> TaskStanding {
        let today = local_date(now);
        let started = matches!(task.status, TaskStatus::InProgress | TaskStatus::Paused);
        if let Some(TimeExpr::Recurring { .. }) = task.deadline_expr() {
            let occurrences = if task.status.is_closed() { Vec::new() } else { self.occurrences(task, today) };
            let classification = match task.status {
                TaskStatus::Cancelled => Classification::Cancelled,
                TaskStatus::Completed => Classification::CompletedOnTime,
                _ => occurrences
                    .iter()
                    .map(|o| o.classification)
                    .filter(|c| matches!(c, Classification::InProgressOverdue | Classification::DueSoon))
                    .min()
                    .unwrap_or(if started { Classification::InProgressOnTime } else { Classification::NotYetDue }),
            };
            return TaskStanding { classification, deadline: None, occurrences };
        }
        let deadline = self.deadline(task);
        let classification = match (task.status, deadline) {
            (TaskStatus::Cancelled, _) => Classification::Cancelled,
            (TaskStatus::Completed, None) => Classification::CompletedOnTime,
            (_, None) => Classification::NoDeadline,
            (status, Some(d)) => {
                let done = if status == TaskStatus::Completed { task.completed_on.or(Some(today)) } else { None };
                self.against(d.due, done, started, today)
            }
        };
        TaskStanding { classification, deadline, occurrences: Vec::new() }
    }

    /// The occurrences of a recurring task due since it is tracked, and the next one.
    fn occurrences(&self, task: &TaskState, today: NaiveDate) -> Vec<OccurrenceStanding> {
        let Some(expr @ TimeExpr::Recurring { .. }) = task.deadline_expr() else {
            return Vec::new();
        };
        let mut from = task.tracked_from.unwrap_or(today);
        let mut until: Option<NaiveDate> = None;
        if task.finish.is_some()
            && let Some(start) = task.start.as_ref().map(|s| &s.expr)
        {
            if let Some(s) = start.start() {
                from = from.max(s);
            }
            if let TimeExpr::Range { to, .. } = start {
                until = Some(to.last_day());
            }
        }
        let mut out = Vec::new();
        for ahead in [40u64, 400] {
            let to = today.checked_add_days(Days::new(ahead)).unwrap_or(today);
            let to = until.map_or(to, |u| u.min(to));
            out.clear();
            let mut seen_upcoming = false;
            for occurrence in expr.occurrences(from, to, self.policy, self.calendar) {
                // A report due before tracking began is not counted (NĐ 09 makes a period's
                // report due before the period ends, so its period may still be running).
                if occurrence.due < from {
                    continue;
                }
                let standing = self.occurrence(task, occurrence, today);
                let upcoming = standing.deadline.due >= today && standing.submitted_at.is_none();
                if upcoming && seen_upcoming {
                    break;
                }
                seen_upcoming |= upcoming;
                out.push(standing);
            }
            if seen_upcoming || until.is_some_and(|u| u <= to) {
                break;
            }
        }
        out
    }

    fn occurrence(&self, task: &TaskState, occurrence: Occurrence, today: NaiveDate) -> OccurrenceStanding {
        let state = if task.occurrences.is_empty() { None } else { task.occurrences.get(&occurrence.period.key()) };
        let extended = state.and_then(|s| s.extended_due);
        let nominal = extended.unwrap_or(occurrence.nominal_due);
        let deadline = Deadline {
            original: Some(occurrence.nominal_due),
            nominal,
            due: if extended.is_some() { self.calendar.rollover(nominal) } else { occurrence.due },
            extended: extended.is_some(),
        };
        let submitted_at = state.and_then(|s| s.first_submitted_at);
        let started = !matches!(task.status, TaskStatus::NotStarted);
        let classification = self.against(deadline.due, submitted_at.map(local_date), started, today);
        OccurrenceStanding { occurrence, deadline, submitted_at, classification }
    }

    /// Rules 1–4 of the module documentation for a deadline.
    fn against(&self, due: NaiveDate, done_on: Option<NaiveDate>, started: bool, today: NaiveDate) -> Classification {
        match done_on {
            Some(done) if done <= due => Classification::CompletedOnTime,
            Some(_) => Classification::CompletedLate,
            None if today > due => Classification::InProgressOverdue,
            None if self.within_working_days(today, due) => Classification::DueSoon,
            None if started => Classification::InProgressOnTime,
            None => Classification::NotYetDue,
        }
    }

    /// Whether `due` is at most `due_soon_working_days` working days after `today`.
    fn within_working_days(&self, today: NaiveDate, due: NaiveDate) -> bool {
        let limit = self.due_soon_working_days;
        let mut count = 0;
        let mut d = today;
        while d < due {
            d = match d.succ_opt() {
                Some(n) => n,
                None => return false,
            };
            if self.calendar.is_working_day(d) {
                count += 1;
                if count > limit {
                    return false;
                }
            }
        }
        true
    }
}

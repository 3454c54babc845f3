//! The weekly summary for leadership: how every task stands, what became overdue during
//! the week and what falls due in the coming one, the overdue ones by lead agency (worst
//! agency first, with the longest delay, never a sum of days across tasks), what was
//! completed, and (for the secretariat only) the deliveries that failed. Pure: the tasks,
//! the failures and `now` are parameters.
//!
//! The week is the seven local days before the day of `now`: the job runs on Monday at
//! 07:30, so the week is the previous Monday to Sunday, and consecutive runs tile without
//! gaps or overlaps. A deadline "passes" in the week when its due day (after rollover and
//! extension) is one of those days; a task is completed in the week when its completion
//! date is. Cancelled tasks and tasks never defined are left out everywhere.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::local_date;
use crate::classify::{Classification, Classifier, Deadline, TaskStanding};
use crate::event::{Channel, TaskStatus};
use crate::task::TaskState;

/// A delivery that failed and was not followed by a successful one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedDelivery {
    pub plan: String,
    pub code: String,
    /// The contact id.
    pub recipient: String,
    pub channel: Channel,
    /// The error as the channel reported it.
    pub error: String,
    /// When the last attempt failed, if known.
    pub at: Option<DateTime<Utc>>,
}

/// The number of tasks in one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub classification: Classification,
    /// The Vietnamese category name.
    pub label: String,
    pub count: u32,
}

/// An overdue task (or overdue occurrence of a recurring task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueTask {
    pub plan: String,
    pub code: String,
    pub title: String,
    /// The lead agency.
    pub lead: String,
    /// The occurrence's period ("Quý III/2025") for a recurring task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// The effective due day (after extension and rollover).
    pub deadline: NaiveDate,
    /// Whether the deadline was extended.
    pub extended: bool,
    /// Calendar days from the due day to the day of `now` (1 on the day after the due day).
    pub days_overdue: i64,
    /// Working days after the due day, up to and including the day of `now`.
    pub working_days_overdue: i64,
    pub status: TaskStatus,
    /// The Vietnamese status name.
    pub status_label: String,
    /// Other overdue occurrences of the same recurring task, not shown on this row.
    #[serde(default)]
    pub other_overdue: u32,
}

/// The overdue tasks one agency leads, most days overdue first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyOverdue {
    pub agency: String,
    pub tasks: Vec<OverdueTask>,
    /// The longest delay among the tasks, in calendar days (days of different tasks are
    /// never added up).
    pub longest_days_overdue: i64,
}

/// A deadline in the coming week, work not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueTask {
    pub plan: String,
    pub code: String,
    pub title: String,
    pub lead: String,
    /// The occurrence's period ("Quý III/2025") for a recurring task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// The effective due day.
    pub deadline: NaiveDate,
    pub status: TaskStatus,
    pub status_label: String,
}

/// A task completed during the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedTask {
    pub plan: String,
    pub code: String,
    pub title: String,
    pub lead: String,
    pub completed_on: NaiveDate,
    /// The effective due day of a one-off task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// On time or late.
    pub classification: Classification,
    pub classification_label: String,
}

/// A channel that could not send to anyone when the summary was made (its configuration
/// or account refused): the reminders on it wait until it is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelProblem {
    pub channel: Channel,
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// An overdue task whose explanation (giải trình) is missing after its day, or came late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplanationDue {
    pub plan: String,
    pub code: String,
    pub title: String,
    pub lead: String,
    /// The day the explanation was due.
    pub due: NaiveDate,
    /// When it came (after `due`), if it did.
    pub answered_on: Option<NaiveDate>,
}

/// The weekly summary mailed to leadership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySummary {
    pub generated_at: DateTime<Utc>,
    /// First local day of the week (inclusive).
    pub week_from: NaiveDate,
    /// Last local day of the week (inclusive).
    pub week_to: NaiveDate,
    /// Tasks counted (neither cancelled nor undefined).
    pub total: u32,
    /// Every category but "đã hủy", in [`Classification::ALL`] order, zeros included.
    pub counts: Vec<CategoryCount>,
    /// Overdue tasks by lead agency: most overdue tasks first, then most days overdue.
    pub overdue: Vec<AgencyOverdue>,
    /// Deadlines that passed during the week, work not done; earliest deadline first.
    pub newly_overdue: Vec<OverdueTask>,
    /// Tasks completed during the week; earliest first.
    pub newly_completed: Vec<CompletedTask>,
    /// First and last local day of the coming week: the day of `now` and the six after.
    pub coming_from: NaiveDate,
    pub coming_to: NaiveDate,
    /// Deadlines in the coming week, work not done; earliest first.
    pub due_coming_week: Vec<DueTask>,
    /// The secretariat's proposals (kiến nghị) for leadership, as written (filled by the
    /// caller; empty from [`summarize`]).
    #[serde(default)]
    pub proposals: Vec<String>,
    /// How each plan is named (briefly beside a task, in full in the list of plans), by
    /// plan id (filled by the caller, which reads the plans; empty from [`summarize`]).
    #[serde(default)]
    pub plans: BTreeMap<String, crate::plan::PlanName>,
    /// Failed deliveries, oldest first (unknown times last).
    pub failed_deliveries: Vec<FailedDelivery>,
    /// Overdue tasks whose explanation is missing after its day or came late; by due day.
    #[serde(default)]
    pub explanations: Vec<ExplanationDue>,
    /// Channels out of order when the summary was made (filled by the sender, which knows
    /// them; [`summarize`] leaves it empty).
    #[serde(default)]
    pub channel_faults: Vec<ChannelProblem>,
}

impl WeeklySummary {
    /// The number of tasks in a category.
    pub fn count(&self, classification: Classification) -> u32 {
        self.counts.iter().find(|c| c.classification == classification).map_or(0, |c| c.count)
    }

    /// The number of overdue tasks (all agencies).
    pub fn overdue_tasks(&self) -> usize {
        self.overdue.iter().map(|a| a.tasks.len()).sum()
    }

    /// The edition of this summary in the `summaries` stream, and in idempotency keys.
    pub fn edition(&self) -> String {
        super::log::edition_of_week(self.week_from)
    }

    /// Whether `date` falls in the week.
    pub fn in_week(&self, date: NaiveDate) -> bool {
        (self.week_from..=self.week_to).contains(&date)
    }
}

/// The seven local days before the day of `now`: (first, last), both inclusive.
pub fn week_of(now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let today = local_date(now);
    let to = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    let from = to.checked_sub_days(Days::new(6)).unwrap_or(to);
    (from, to)
}

/// Builds the summary of the week ending at `now` (see the module documentation).
pub fn summarize(
    tasks: &[TaskState],
    failures: &[FailedDelivery],
    classifier: &Classifier,
    now: DateTime<Utc>,
) -> WeeklySummary {
    let (week_from, week_to) = week_of(now);
    let today = local_date(now);
    let in_week = |d: NaiveDate| (week_from..=week_to).contains(&d);
    let coming_to = today.checked_add_days(Days::new(6)).unwrap_or(today);
    let in_coming_week = |d: NaiveDate| (today..=coming_to).contains(&d);
    let mut due_coming_week = Vec::new();

    let mut counts: BTreeMap<Classification, u32> = BTreeMap::new();
    let mut by_agency: BTreeMap<&str, Vec<OverdueTask>> = BTreeMap::new();
    let mut newly_overdue = Vec::new();
    let mut newly_completed = Vec::new();
    let mut explanations = Vec::new();
    let mut total = 0;

    for task in tasks.iter().filter(|t| t.defined && t.status != TaskStatus::Cancelled) {
        let standing = classifier.task(task, now);
        if standing.classification == Classification::Cancelled {
            continue;
        }
        total += 1;
        *counts.entry(standing.classification).or_default() += 1;

        let overdue = overdue_deadlines(&standing);
        if let Some((first, label)) = overdue.first() {
            let row = |deadline: &Deadline, occurrence: &Option<String>| OverdueTask {
                plan: task.key.plan.clone(),
                code: task.key.code.clone(),
                title: task.title.clone(),
                lead: task.lead.clone(),
                occurrence: occurrence.clone(),
                deadline: deadline.due,
                extended: deadline.extended,
                days_overdue: (today - deadline.due).num_days(),
                working_days_overdue: classifier.calendar.working_days_between(deadline.due, today),
                status: task.status,
                status_label: task.status.label_vi().to_string(),
                other_overdue: overdue.len() as u32 - 1,
            };
            by_agency.entry(task.lead.as_str()).or_default().push(row(first, label));
            if let Some(e) = task.explanation.as_ref().filter(|e| e.late(today)) {
                explanations.push(ExplanationDue {
                    plan: task.key.plan.clone(),
                    code: task.key.code.clone(),
                    title: task.title.clone(),
                    lead: task.lead.clone(),
                    due: e.due,
                    answered_on: e.answer.as_ref().map(|(on, _)| *on),
                });
            }
            newly_overdue.extend(overdue.iter().filter(|(d, _)| in_week(d.due)).map(|(d, o)| row(d, o)));
        }

        if task.status != TaskStatus::Completed {
            let due = |deadline: &Deadline, occurrence: Option<String>| DueTask {
                plan: task.key.plan.clone(),
                code: task.key.code.clone(),
                title: task.title.clone(),
                lead: task.lead.clone(),
                occurrence,
                deadline: deadline.due,
                status: task.status,
                status_label: task.status.label_vi().to_string(),
            };
            if let Some(d) = standing.deadline.filter(|d| in_coming_week(d.due) && standing.occurrences.is_empty()) {
                due_coming_week.push(due(&d, None));
            }
            for o in standing.occurrences.iter().filter(|o| o.submitted_at.is_none() && in_coming_week(o.deadline.due))
            {
                due_coming_week.push(due(&o.deadline, Some(o.occurrence.period.label())));
            }
        }

        if task.status == TaskStatus::Completed
            && let Some(on) = task.completed_on.filter(|d| in_week(*d))
        {
            newly_completed.push(CompletedTask {
                plan: task.key.plan.clone(),
                code: task.key.code.clone(),
                title: task.title.clone(),
                lead: task.lead.clone(),
                completed_on: on,
                deadline: standing.deadline.map(|d| d.due),
                classification: standing.classification,
                classification_label: standing.classification.label_vi().to_string(),
            });
        }
    }

    let mut overdue: Vec<AgencyOverdue> = by_agency
        .into_iter()
        .map(|(agency, mut tasks)| {
            tasks.sort_by(|a, b| {
                (Reverse(a.days_overdue), &a.plan, &a.code).cmp(&(Reverse(b.days_overdue), &b.plan, &b.code))
            });
            let longest_days_overdue = tasks.iter().map(|t| t.days_overdue).max().unwrap_or(0);
            AgencyOverdue { agency: agency.to_string(), tasks, longest_days_overdue }
        })
        .collect();
    // Stable: ties keep the agencies' alphabetical order.
    overdue.sort_by_key(|a| (Reverse(a.tasks.len()), Reverse(a.longest_days_overdue)));
    due_coming_week
        .sort_by(|a, b| (a.deadline, &a.lead, &a.plan, &a.code).cmp(&(b.deadline, &b.lead, &b.plan, &b.code)));

    newly_overdue.sort_by(|a, b| (a.deadline, &a.lead, &a.plan, &a.code).cmp(&(b.deadline, &b.lead, &b.plan, &b.code)));
    newly_completed.sort_by(|a, b| (a.completed_on, &a.plan, &a.code).cmp(&(b.completed_on, &b.plan, &b.code)));
    explanations.sort_by(|a, b| (a.due, &a.lead, &a.plan, &a.code).cmp(&(b.due, &b.lead, &b.plan, &b.code)));

    let mut failed_deliveries = failures.to_vec();
    failed_deliveries.sort_by(|a, b| {
        (a.at.is_none(), a.at, &a.plan, &a.code, &a.recipient).cmp(&(
            b.at.is_none(),
            b.at,
            &b.plan,
            &b.code,
            &b.recipient,
        ))
    });

    let counts = Classification::ALL
        .iter()
        .filter(|c| **c != Classification::Cancelled)
        .map(|c| CategoryCount {
            classification: *c,
            label: c.label_vi().to_string(),
            count: counts.get(c).copied().unwrap_or(0),
        })
        .collect();

    WeeklySummary {
        generated_at: now,
        week_from,
        week_to,
        total,
        counts,
        overdue,
        newly_overdue,
        newly_completed,
        explanations,
        coming_from: today,
        coming_to,
        due_coming_week,
        plans: BTreeMap::new(),
        proposals: Vec::new(),
        failed_deliveries,
        channel_faults: Vec::new(),
    }
}

/// The overdue deadlines of a task, oldest first, with the occurrence's period label.
fn overdue_deadlines(standing: &TaskStanding) -> Vec<(Deadline, Option<String>)> {
    let mut out: Vec<(Deadline, Option<String>)> = if standing.occurrences.is_empty() {
        standing.deadline.filter(|_| standing.classification.is_overdue()).map(|d| (d, None)).into_iter().collect()
    } else {
        standing
            .occurrences
            .iter()
            .filter(|o| o.classification.is_overdue())
            .map(|o| (o.deadline, Some(o.occurrence.period.label())))
            .collect()
    };
    out.sort_by_key(|(d, _)| d.due);
    out
}

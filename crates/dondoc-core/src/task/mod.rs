//! The task aggregate: [`decide`] turns a command into events (or refuses it), [`TaskState::apply`]
//! folds events into the current state. Both are pure; `now` is a parameter.

mod command;
mod decide;
mod error;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use command::{CommandKind, TaskCommand};
pub use decide::{allowed_commands, decide};
pub use error::DomainError;

use crate::event::{Evidence, TaskEvent, TaskKey, TaskStatus};
use crate::timeexpr::{ParsedTime, TimeExpr};

/// Submissions, extensions and acknowledgements of one occurrence (or of the task itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceState {
    /// When the first report was submitted (later ones are corrections).
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub submissions: u32,
    pub last_evidence: Option<Evidence>,
    /// The extended nominal due date, replacing the plan's.
    pub extended_due: Option<NaiveDate>,
    /// An extension request awaiting a decision: (requested due, reason).
    pub pending_extension: Option<(NaiveDate, String)>,
    /// Reminders stop repeating until this instant.
    pub snoozed_until: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// The current state of one task, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// Whether `TaskDefined` has been applied.
    pub defined: bool,
    pub key: TaskKey,
    pub title: String,
    pub lead: String,
    pub cooperating: Vec<String>,
    pub start: Option<ParsedTime>,
    pub finish: Option<ParsedTime>,
    pub product: Option<String>,
    pub tracked_from: Option<NaiveDate>,
    /// The row number as printed in the plan.
    pub tt: Option<String>,
    /// The heading the task sits under.
    pub group: Option<String>,
    pub status: TaskStatus,
    /// The status a cancelled task had; reopening returns to it.
    pub cancelled_from: Option<TaskStatus>,
    pub completed_on: Option<NaiveDate>,
    pub completion_evidence: Option<Evidence>,
    /// The reported completion waits for the secretariat's confirmation.
    #[serde(default)]
    pub completion_pending: bool,
    /// The explanation asked of the lead agency, if any.
    #[serde(default)]
    pub explanation: Option<Explanation>,
    pub progress_percent: Option<u8>,
    /// The task itself (one-off deliverable).
    pub main: OccurrenceState,
    /// Occurrences of a recurring task, by key ("2025-Q3").
    pub occurrences: BTreeMap<String, OccurrenceState>,
    /// Idempotency keys of delivered reminders.
    pub delivered: BTreeSet<String>,
    pub comments: u32,
    /// Number of events applied (the stream revision + 1).
    pub events: u64,
}

/// An explanation (giải trình) asked of the lead agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// When it was asked (local date).
    pub requested_on: NaiveDate,
    /// The day it is due by.
    pub due: NaiveDate,
    pub reason: String,
    /// The answer and when it came (local date), once given.
    #[serde(default)]
    pub answer: Option<(NaiveDate, String)>,
}

impl Explanation {
    /// Whether it is still missing at the end of `today` after its due day, or came late.
    pub fn late(&self, today: NaiveDate) -> bool {
        match &self.answer {
            Some((on, _)) => *on > self.due,
            None => today > self.due,
        }
    }
}

impl Default for TaskKey {
    fn default() -> Self {
        TaskKey::new("", "")
    }
}

impl TaskState {
    /// Folds a stream of events.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a TaskEvent>) -> TaskState {
        let mut state = TaskState::default();
        for e in events {
            state.apply(e);
        }
        state
    }

    /// The expression that sets the deadline: the finish, or the start when the plan gives
    /// only one time (some rows print a single date under "start").
    pub fn deadline_expr(&self) -> Option<&TimeExpr> {
        self.finish.as_ref().or(self.start.as_ref()).map(|p| &p.expr)
    }

    /// Whether the task recurs (its deadline is a recurrence).
    pub fn is_recurring(&self) -> bool {
        matches!(self.deadline_expr(), Some(TimeExpr::Recurring { .. }))
    }

    /// State of an occurrence (`None`: the task itself).
    pub fn occurrence(&self, key: Option<&str>) -> Option<&OccurrenceState> {
        match key {
            None => Some(&self.main),
            Some(k) => self.occurrences.get(k),
        }
    }

    fn occurrence_mut(&mut self, key: &Option<String>) -> &mut OccurrenceState {
        match key {
            None => &mut self.main,
            Some(k) => self.occurrences.entry(k.clone()).or_default(),
        }
    }

    /// Applies one event. Total: an event never makes `apply` fail.
    pub fn apply(&mut self, event: &TaskEvent) {
        self.events += 1;
        match event {
            TaskEvent::TaskDefined {
                plan,
                code,
                title,
                lead,
                cooperating,
                start,
                finish,
                product,
                tracked_from,
                tt,
                group,
            } => {
                self.tt = tt.clone();
                self.group = group.clone();
                self.defined = true;
                self.key = TaskKey::new(plan.clone(), code.clone());
                self.title = title.clone();
                self.lead = lead.clone();
                self.cooperating = cooperating.clone();
                self.start = start.clone();
                self.finish = finish.clone();
                self.product = product.clone();
                self.tracked_from = Some(*tracked_from);
            }
            TaskEvent::TaskRevised { title, start, finish, product, tt, .. } => {
                if let Some(t) = tt {
                    self.tt = Some(t.clone());
                }
                if let Some(t) = title {
                    self.title = t.clone();
                }
                if let Some(s) = start {
                    self.start = s.clone();
                }
                if let Some(f) = finish {
                    self.finish = f.clone();
                }
                if let Some(p) = product {
                    self.product = p.clone();
                }
            }
            TaskEvent::TaskAssigned { lead, cooperating, .. } | TaskEvent::TaskReassigned { lead, cooperating, .. } => {
                self.lead = lead.clone();
                self.cooperating = cooperating.clone();
            }
            TaskEvent::StatusChanged { to, completed_on, evidence, .. } => {
                self.status = *to;
                if *to == TaskStatus::Completed {
                    self.completed_on = *completed_on;
                    self.completion_evidence = evidence.clone();
                }
            }
            TaskEvent::ProgressReported { percent, .. } => {
                if percent.is_some() {
                    self.progress_percent = *percent;
                }
            }
            TaskEvent::ReportSubmitted { occurrence, evidence, submitted_at } => {
                let occ = self.occurrence_mut(occurrence);
                occ.submissions += 1;
                occ.first_submitted_at.get_or_insert(*submitted_at);
                occ.last_evidence = Some(evidence.clone());
            }
            TaskEvent::DeadlineExtensionRequested { occurrence, requested_due, reason, .. } => {
                self.occurrence_mut(occurrence).pending_extension = Some((*requested_due, reason.clone()));
            }
            TaskEvent::DeadlineExtended { occurrence, new_due, .. } => {
                let occ = self.occurrence_mut(occurrence);
                occ.extended_due = Some(*new_due);
                occ.pending_extension = None;
            }
            TaskEvent::DeadlineExtensionRejected { occurrence, .. } => {
                self.occurrence_mut(occurrence).pending_extension = None;
            }
            TaskEvent::TaskCancelled { from, .. } => {
                self.cancelled_from = Some(*from);
                self.status = TaskStatus::Cancelled;
            }
            TaskEvent::TaskReopened { to, .. } | TaskEvent::CompletionReturned { to, .. } => {
                self.status = *to;
                self.cancelled_from = None;
                self.completed_on = None;
                self.completion_evidence = None;
                self.completion_pending = false;
            }
            TaskEvent::CompletionAwaitingConfirmation {} => self.completion_pending = true,
            TaskEvent::CompletionConfirmed { .. } => self.completion_pending = false,
            TaskEvent::ExplanationRequested { requested_on, due, reason } => {
                self.explanation =
                    Some(Explanation { requested_on: *requested_on, due: *due, reason: reason.clone(), answer: None });
            }
            TaskEvent::ExplanationGiven { given_on, text } => {
                if let Some(e) = self.explanation.as_mut() {
                    e.answer = Some((*given_on, text.clone()));
                }
            }
            TaskEvent::CommentAdded { .. } => self.comments += 1,
            TaskEvent::ReminderDelivered { key, .. } => {
                self.delivered.insert(key.to_string());
            }
            TaskEvent::ReminderFailed { .. } | TaskEvent::ReminderRequeued { .. } => {}
            TaskEvent::ReminderAcknowledged { occurrence, snooze_until, acknowledged_at, .. } => {
                let occ = self.occurrence_mut(occurrence);
                occ.acknowledged_at.get_or_insert(*acknowledged_at);
                if snooze_until.is_some() {
                    occ.snoozed_until = *snooze_until;
                }
            }
        }
    }
}

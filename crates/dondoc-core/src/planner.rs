//! The reminder planner: from the board, the calendar, the policies, the contacts, the
//! delivery log, the silences and `now`, the digests a sweep at `now` must send. Pure:
//! the daemon's dispatcher sends them and records each delivery, which the next sweep
//! sees in the delivery log.
//!
//! Rules (defaults in [`ReminderPolicy`]):
//! - milestones: before a start (7 and 1 working days), before a deadline (30, 14, 7, 3, 1
//!   working days and the due day), per task and per occurrence of recurring reports;
//!   overdue repeats every 7 days after the due day; an escalation to the lead agency's
//!   head and the secretariat once a task is 5 working days overdue;
//! - a milestone is ready from `send_at` (08:00) on its day; a sweep sends, per (task,
//!   occurrence, milestone kind), only the latest ready one not yet delivered, so a daemon
//!   that was down catches up once, not once per missed milestone;
//! - only on working days within working hours, unless the deadline ends within
//!   `urgent_hours` (24 h);
//! - of a recurring task's missed reports only the latest keeps being chased (the weekly
//!   summary lists them all);
//! - completed, cancelled, submitted (for an occurrence), acknowledged or snoozed work and
//!   silenced plans, agencies or tasks get nothing;
//! - one digest per recipient per sweep, on the recipient's first channel; a reminder
//!   delivered on any channel is never planned again (keys without the channel).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agency::{Directory, Resolution};
use crate::calendar::{WorkCalendar, end_of_day, local_date, local_instant};
use crate::classify::Classifier;
use crate::event::{Channel, Milestone, ReminderKey, TaskKey, TaskStatus};
use crate::period::Period;
use crate::policy::ReportingPolicy;
use crate::task::TaskState;
use crate::text::fold;

/// When reminders go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderPolicy {
    /// Working days before a start.
    pub before_start: Vec<u32>,
    /// Working days before a deadline (0 = the due day).
    pub before_due: Vec<u32>,
    /// Days between overdue reminders.
    pub overdue_every_days: u32,
    /// Working days overdue before escalating to the head and the secretariat.
    pub escalate_after_working_days: u32,
    /// The earliest local time a reminder of the day is ready.
    pub send_at: NaiveTime,
    /// Within this many hours of the end of the due day, working hours do not apply.
    pub urgent_hours: u32,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            before_start: vec![7, 1],
            before_due: vec![30, 14, 7, 3, 1, 0],
            overdue_every_days: 7,
            escalate_after_working_days: 5,
            send_at: NaiveTime::from_hms_opt(8, 0, 0).expect("valid"),
            urgent_hours: 24,
        }
    }
}

/// What a contact does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A responsible officer (chuyên viên đầu mối).
    Officer,
    /// The head of the agency.
    Head,
    /// The secretariat (tổ giúp việc).
    Secretariat,
    /// Provincial leadership (weekly summaries).
    Leadership,
}

/// Someone who receives reminders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Stable id, used in reminder keys.
    pub id: String,
    pub name: String,
    pub agency: String,
    pub role: Role,
    /// Channels in order of preference, with the address on each.
    pub channels: Vec<(Channel, String)>,
}

/// What a silence mutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SilenceScope {
    Plan { plan: String },
    Agency { agency: String },
    Task { plan: String, code: String },
}

/// A period without reminders (Tết, a reorganisation), like Alertmanager's silences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub scope: SilenceScope,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// One reminder about one task (or occurrence) for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub key: ReminderKey,
    pub task: TaskKey,
    pub title: String,
    pub lead: String,
    pub occurrence: Option<Period>,
    /// The date the milestone is about (start or due, after rollover).
    pub date: NaiveDate,
    /// Working days from today to `date` (negative when overdue).
    pub working_days_left: i64,
}

/// Everything one recipient gets in one sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub recipient: String,
    pub name: String,
    pub channel: Channel,
    pub address: String,
    pub notices: Vec<Notice>,
}

/// The planner's inputs.
pub struct Planner<'a> {
    pub calendar: &'a WorkCalendar,
    pub reporting: &'a ReportingPolicy,
    pub reminders: &'a ReminderPolicy,
    pub contacts: &'a [Contact],
    pub directory: &'a Directory,
    pub silences: &'a [Silence],
    /// Keys already delivered, without the channel ([`delivery_id`]).
    pub delivered: &'a HashSet<String>,
}

/// A reminder's identity regardless of channel: the delivery log is checked with it so a
/// reminder delivered on any channel is not sent again on another.
pub fn delivery_id(key: &ReminderKey) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}",
        key.plan,
        key.code,
        key.occurrence.as_deref().unwrap_or("-"),
        key.milestone.as_str(),
        key.offset,
        key.recipient
    )
}

/// A milestone ready at an instant: what it is about, its kind and offset.
struct Ready {
    milestone: Milestone,
    offset: i32,
    date: NaiveDate,
    urgent: bool,
}

impl Planner<'_> {
    /// The digests a sweep at `now` sends.
    pub fn plan(&self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<Digest> {
        let working_time = self.calendar.is_working_time(now);
        let today = local_date(now);
        let agencies = Agencies::new(self.directory, today);
        let contacts: Vec<(&Contact, String)> =
            self.contacts.iter().map(|c| (c, agencies.canonical(&c.agency))).collect();
        let mut days_left: HashMap<NaiveDate, i64> = HashMap::new();
        let mut by_recipient: BTreeMap<String, Digest> = BTreeMap::new();
        for task in tasks.iter().filter(|t| t.defined && !t.status.is_closed()) {
            if self.silenced(task, now) {
                continue;
            }
            let ready = self.ready(task, now);
            if ready.is_empty() {
                continue;
            }
            let leads: Vec<String> =
                task.lead.split("; ").filter(|l| !l.is_empty()).map(|l| agencies.canonical(l)).collect();
            for (occurrence, ready) in ready {
                if !(working_time || ready.urgent) {
                    continue;
                }
                let occurrence_key = occurrence.map(|p| p.key());
                for contact in recipients(&contacts, &leads, ready.milestone) {
                    let Some((channel, address)) = contact.channels.first() else { continue };
                    let key = ReminderKey {
                        plan: task.key.plan.clone(),
                        code: task.key.code.clone(),
                        occurrence: occurrence_key.clone(),
                        milestone: ready.milestone,
                        offset: ready.offset,
                        recipient: contact.id.clone(),
                        channel: *channel,
                    };
                    if !self.delivered.is_empty() && self.delivered.contains(&delivery_id(&key)) {
                        continue;
                    }
                    let left = *days_left
                        .entry(ready.date)
                        .or_insert_with(|| self.calendar.working_days_between(today, ready.date));
                    let notice = Notice {
                        key,
                        task: task.key.clone(),
                        title: task.title.clone(),
                        lead: task.lead.clone(),
                        occurrence,
                        date: ready.date,
                        working_days_left: left,
                    };
                    by_recipient
                        .entry(contact.id.clone())
                        .or_insert_with(|| Digest {
                            recipient: contact.id.clone(),
                            name: contact.name.clone(),
                            channel: *channel,
                            address: address.clone(),
                            notices: Vec::new(),
                        })
                        .notices
                        .push(notice);
                }
            }
        }
        by_recipient.into_values().collect()
    }

    fn silenced(&self, task: &TaskState, now: DateTime<Utc>) -> bool {
        self.silences.iter().filter(|s| s.from <= now && now < s.until).any(|s| match &s.scope {
            SilenceScope::Plan { plan } => *plan == task.key.plan,
            SilenceScope::Task { plan, code } => *plan == task.key.plan && *code == task.key.code,
            SilenceScope::Agency { agency } => task.lead.split("; ").any(|l| fold(l) == fold(agency)),
        })
    }

    /// The instant a milestone on `day` is ready.
    fn ready_at(&self, day: NaiveDate) -> DateTime<Utc> {
        local_instant(day, self.reminders.send_at)
    }

    /// For the task and each open occurrence: the milestones to send now.
    fn ready(&self, task: &TaskState, now: DateTime<Utc>) -> Vec<(Option<Period>, Ready)> {
        let today = local_date(now);
        let classifier = Classifier::new(self.calendar, self.reporting);
        let standing = classifier.task(task, now);
        let mut out = Vec::new();
        let snoozed = |o: Option<&crate::task::OccurrenceState>| {
            o.is_some_and(|o| o.snoozed_until.is_some_and(|until| now < until))
        };
        if let Some(deadline) = standing.deadline
            && !snoozed(Some(&task.main))
        {
            let start =
                task.start.as_ref().and_then(|s| s.expr.start()).filter(|_| task.status == TaskStatus::NotStarted);
            let ready = self.milestones(start, deadline.due, task.main.acknowledged_at, now);
            out.extend(ready.into_iter().map(|r| (None, r)));
        }
        // Of the missed reports of a recurring task, only the latest keeps being chased;
        // the earlier ones are in the weekly summary.
        let latest_missed = standing
            .occurrences
            .iter()
            .filter(|o| o.submitted_at.is_none() && o.deadline.due < today)
            .map(|o| o.deadline.due)
            .max();
        for o in &standing.occurrences {
            if o.submitted_at.is_some() || latest_missed.is_some_and(|latest| o.deadline.due < latest) {
                continue;
            }
            let state =
                if task.occurrences.is_empty() { None } else { task.occurrences.get(&o.occurrence.period.key()) };
            if snoozed(state) {
                continue;
            }
            let acknowledged = state.and_then(|s| s.acknowledged_at);
            for r in self.milestones(None, o.deadline.due, acknowledged, now) {
                out.push((Some(o.occurrence.period), r));
            }
        }
        out
    }

    /// The latest ready milestone of each kind for a start and a due date.
    fn milestones(
        &self,
        start: Option<NaiveDate>,
        due: NaiveDate,
        acknowledged: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<Ready> {
        let p = self.reminders;
        let urgent =
            end_of_day(due) - now <= chrono::Duration::hours(i64::from(p.urgent_hours)) && now < end_of_day(due);
        let mut out = Vec::new();
        let today = local_date(now);
        let latest = |offsets: &[u32], date: NaiveDate| {
            // n working days never span more than 2n + 20 calendar days (weekends, Tết):
            // a date further away has no milestone ready yet, without walking the calendar.
            let max = offsets.iter().copied().max().unwrap_or(0);
            if (date - today).num_days() > i64::from(max) * 2 + 20 {
                return None;
            }
            offsets
                .iter()
                .map(|&n| (n, self.calendar.nth_working_day_before(date, n)))
                .filter(|(_, day)| self.ready_at(*day) <= now)
                .min_by_key(|(n, _)| *n)
        };
        if let Some(start) = start
            && today <= start
            && let Some((n, _)) = latest(&p.before_start, start)
        {
            out.push(Ready { milestone: Milestone::Start, offset: n as i32, date: start, urgent: false });
        }
        if now < end_of_day(due) {
            if let Some((n, _)) = latest(&p.before_due, due) {
                out.push(Ready { milestone: Milestone::Due, offset: n as i32, date: due, urgent });
            }
            return out;
        }
        // Overdue: every `overdue_every_days` after the due day, unless acknowledged since.
        let days_over = (today - due).num_days();
        let every = i64::from(p.overdue_every_days.max(1));
        let k = days_over / every;
        let repeat_day = due.checked_add_days(Days::new((k * every) as u64)).unwrap_or(due);
        if k >= 1 && self.ready_at(repeat_day) <= now && acknowledged.is_none_or(|a| a < self.ready_at(repeat_day)) {
            out.push(Ready { milestone: Milestone::Overdue, offset: -((k * every) as i32), date: due, urgent: false });
        }
        let escalation_day = self.calendar.add_working_days(due, i64::from(p.escalate_after_working_days));
        if self.ready_at(escalation_day) <= now {
            let offset = -(p.escalate_after_working_days as i32);
            out.push(Ready { milestone: Milestone::Escalation, offset, date: due, urgent: false });
        }
        out
    }
}

/// Agency names folded to their canonical current form (aliases resolved, renamed or
/// merged agencies replaced by their successor), memoised for one sweep.
struct Agencies<'a> {
    directory: &'a Directory,
    today: NaiveDate,
    memo: std::cell::RefCell<HashMap<String, String>>,
}

impl<'a> Agencies<'a> {
    fn new(directory: &'a Directory, today: NaiveDate) -> Self {
        Agencies { directory, today, memo: std::cell::RefCell::new(HashMap::new()) }
    }

    fn canonical(&self, name: &str) -> String {
        if let Some(hit) = self.memo.borrow().get(name) {
            return hit.clone();
        }
        let current = self.directory.successor(name, self.today).unwrap_or_else(|| name.to_string());
        let folded = match self.directory.resolve(&current) {
            Resolution::Agency(c) | Resolution::Group { name: c, .. } => fold(&c),
            Resolution::Unknown { .. } => fold(&current),
        };
        self.memo.borrow_mut().insert(name.to_string(), folded.clone());
        folded
    }
}

/// Who receives a milestone: the lead agency's officers; for an escalation, its head and
/// the secretariat.
fn recipients<'c>(
    contacts: &'c [(&'c Contact, String)],
    leads: &'c [String],
    milestone: Milestone,
) -> impl Iterator<Item = &'c Contact> + 'c {
    contacts
        .iter()
        .filter(move |(c, agency)| {
            let of_lead = leads.contains(agency);
            match milestone {
                Milestone::Escalation => c.role == Role::Secretariat || (c.role == Role::Head && of_lead),
                _ => c.role == Role::Officer && of_lead,
            }
        })
        .map(|(c, _)| *c)
}

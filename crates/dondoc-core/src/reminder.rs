//! Which reminders are due: from the board, the calendar, the policies, the contacts, the
//! delivery log, the silences and `now`, the digests a sweep at `now` must send
//! ([`DueReminders::digests`]). Pure: the application's sweep sends them and records each
//! delivery, which the next sweep sees in the delivery log.
//!
//! Rules (defaults in [`ReminderPolicy`]):
//! - milestones: before a start (7 and 1 working days), before a deadline (30, 14, 7, 3, 1
//!   working days and the due day), per task and per occurrence of recurring reports;
//!   overdue repeats every 7 days after the due day; an escalation to the lead agency's
//!   head and the secretariat once a task is 5 working days overdue;
//! - a milestone is ready from `send_at` (08:00) on its day; a sweep sends, per (task,
//!   occurrence, milestone kind), only the latest ready one not yet delivered, so a daemon
//!   that was down catches up once, not once per missed milestone;
//! - only on working days, from `send_at` to the end of working hours (a milestone that
//!   became ready on a day off waits for the next working day's `send_at`, not for the
//!   start of office hours), unless the deadline ends within `urgent_hours` (24 h);
//! - of a recurring task's missed reports only the latest keeps being chased (the weekly
//!   summary lists them all);
//! - completed, cancelled, submitted (for an occurrence), acknowledged or snoozed work and
//!   silenced plans, agencies or tasks get nothing;
//! - an explanation asked of an overdue task (and not given yet): when asked, 1 working
//!   day before its day and on it, to the lead agency's officers;
//! - a person's own quiet hours defer what falls due inside them, urgent reminders and
//!   escalations included, to the first sweep after the window (never dropped);
//! - one digest per recipient per sweep, on the recipient's first channel; a reminder
//!   delivered on any channel is never planned again (keys without the channel).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use foldhash::HashMap as FoldMap;
use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use serde::{Deserialize, Serialize};

use crate::agency::Directory;
use crate::calendar::{WorkCalendar, end_of_day, local_date, local_instant};
use crate::classify::{Classifier, TaskStanding};
use crate::contact::{Contact, Role};
use crate::event::{Channel, Milestone, ReminderKey, TaskKey, TaskStatus};
use crate::period::Period;
use crate::policy::ReportingPolicy;
use crate::silence::{Silence, SilenceScope};
use crate::task::{OccurrenceState, TaskState};
use crate::text::fold;
use crate::timeexpr::ParsedTime;

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

/// One reminder about one task (or occurrence) for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The reminder; its plan and code name the task ([`Notice::task`]).
    pub key: ReminderKey,
    pub title: String,
    pub lead: String,
    /// The cooperating agencies (phối hợp).
    #[serde(default)]
    pub cooperating: Vec<String>,
    /// The product the plan asks for (sản phẩm).
    #[serde(default)]
    pub product: Option<String>,
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
    /// What the recipient does: the message is written for it (an officer is asked to do
    /// the work, a head to direct it, the secretariat gets a follow-up list).
    #[serde(default = "officer")]
    pub role: Role,
    /// The recipient's position (chức vụ), for the salutation.
    #[serde(default)]
    pub position: Option<String>,
    pub channel: Channel,
    pub address: String,
    /// The contact's other channels, in preference order after `channel`: where the
    /// dispatcher turns after repeated failures.
    pub fallbacks: Vec<(Channel, String)>,
    pub notices: Vec<Notice>,
}

impl Notice {
    /// The task the notice is about.
    pub fn task(&self) -> TaskKey {
        TaskKey { plan: self.key.plan.clone(), code: self.key.code.clone() }
    }
}

fn officer() -> Role {
    Role::Officer
}

/// What decides which reminders are due.
pub struct DueReminders<'a> {
    pub calendar: &'a WorkCalendar,
    pub reporting: &'a ReportingPolicy,
    pub reminders: &'a ReminderPolicy,
    pub contacts: &'a [Contact],
    pub directory: &'a Directory,
    pub silences: &'a [Silence],
    /// Keys already delivered, without the channel ([`delivery_id`]).
    pub delivered: &'a DeliveredSet,
    /// The local day each (task, occurrence, recipient) last got an overdue reminder
    /// ([`overdue_id`]): a repeat waits `overdue_every_days` after it, so a late catch-up
    /// reminder is not followed by the next repeat a day or two later.
    pub last_overdue: &'a HashMap<String, NaiveDate>,
}

/// The identity of a (task, occurrence, recipient) for [`DueReminders::last_overdue`]:
/// "plan/code/occurrence-or-dash/recipient".
pub fn overdue_id(key: &ReminderKey) -> String {
    format!("{}/{}/{}/{}", key.plan, key.code, key.occurrence.as_deref().unwrap_or("-"), key.recipient)
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

/// The delivery ids ([`delivery_id`]) of the reminders already delivered: the delivery log
/// as a sweep checks it. Membership is exact (ids are compared byte for byte). A steady
/// sweep checks one id per ready reminder, nearly all of them delivered, so the ids are
/// stored back to back in one buffer and indexed by a hashbrown table of offsets (one hash
/// and about two memory accesses per check, where a set of boxed strings would chase a
/// pointer per probe), hashed with foldhash's fast unkeyed hasher: the ids are ours.
#[derive(Clone, Default)]
pub struct DeliveredSet {
    /// Every id, back to back.
    bytes: String,
    /// Where each id ends in `bytes`, in insertion order.
    ends: Vec<u32>,
    /// (start, end) of each id in `bytes`.
    table: HashTable<(u32, u32)>,
    hasher: foldhash::fast::FixedState,
}

impl DeliveredSet {
    /// An empty set.
    pub fn new() -> Self {
        DeliveredSet::default()
    }

    /// The set of these delivery ids (duplicates are kept once).
    pub fn from_ids<S: AsRef<str>>(ids: impl IntoIterator<Item = S>) -> Self {
        let mut set = DeliveredSet::new();
        set.extend(ids);
        set
    }

    /// Adds a delivery id; `false` when it was already there.
    ///
    /// # Panics
    ///
    /// When the ids would take 4 GiB or more.
    pub fn insert(&mut self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id);
        let bytes = &self.bytes;
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |&(s, e)| &bytes[s as usize..e as usize] == id,
            |&(s, e)| hasher.hash_one(&bytes[s as usize..e as usize]),
        ) {
            TableEntry::Occupied(_) => false,
            TableEntry::Vacant(slot) => {
                let start = u32::try_from(self.bytes.len()).expect("delivery ids below 4 GiB");
                let end = u32::try_from(self.bytes.len() + id.len()).expect("delivery ids below 4 GiB");
                slot.insert((start, end));
                self.bytes.push_str(id);
                self.ends.push(end);
                true
            }
        }
    }

    /// Whether a delivery id is in the set.
    pub fn contains(&self, id: &str) -> bool {
        // The first sweep after an import asks about every candidate: no hashing then.
        if self.table.is_empty() {
            return false;
        }
        let hash = self.hasher.hash_one(id);
        self.table.find(hash, |&(s, e)| &self.bytes[s as usize..e as usize] == id).is_some()
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The ids, in the order first inserted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(s, &e)| &self.bytes[s as usize..e as usize])
    }
}

impl fmt::Debug for DeliveredSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> Extend<S> for DeliveredSet {
    fn extend<I: IntoIterator<Item = S>>(&mut self, ids: I) {
        for id in ids {
            self.insert(id.as_ref());
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for DeliveredSet {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Self {
        DeliveredSet::from_ids(ids)
    }
}

/// A map for the sweep's memos (keys are the sweep's own values: an unkeyed hash is enough).
type Memo<K, V> = FoldMap<K, V>;

/// A milestone ready at an instant: what it is about, its kind and offset.
#[derive(Debug, Clone, Copy)]
struct Ready {
    milestone: Milestone,
    offset: i32,
    date: NaiveDate,
    urgent: bool,
}

impl DueReminders<'_> {
    /// The digests a sweep at `now` sends.
    pub fn digests(&self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<Digest> {
        let mut sweep = Sweep::new(self, now);
        // Reused from task to task: the ready milestones and the delivery id being checked.
        let mut ready = Vec::new();
        let mut id = String::new();
        for task in tasks.iter().filter(|t| t.defined && !t.status.is_closed()) {
            if sweep.silenced(task) {
                continue;
            }
            ready.clear();
            sweep.ready(task, &mut ready);
            if !ready.is_empty() {
                sweep.notify(task, &ready, &mut id);
            }
        }
        sweep.into_digests()
    }
}

/// One sweep: its instant, what it derives once from the planner's inputs, the memos that
/// make a sweep over many tasks cheap, and the digests so far.
///
/// Everything memoised is a pure function of its key for the sweep's `now`, calendar and
/// policies, so memoising changes no outcome.
struct Sweep<'a, 't> {
    planner: &'a DueReminders<'a>,
    now: DateTime<Utc>,
    today: NaiveDate,
    /// The local time of day of `now` (for quiet hours).
    local_time: NaiveTime,
    /// A working day, from `send_at` to the end of working hours: when non-urgent
    /// reminders go out.
    sending_time: bool,
    classifier: Classifier<'a>,
    agencies: Agencies<'a>,
    /// Each contact with its canonical agency.
    contacts: Vec<(&'a Contact, String)>,
    /// Per contact: the digest it fills, shared by contacts with the same id.
    slots: Vec<usize>,
    digests: Vec<Option<Digest>>,
    /// The silences in force, with the folded agency of an agency silence.
    silences: Vec<(&'a Silence, Option<String>)>,
    /// Who hears of a task, by its `lead` text.
    audiences: Memo<&'t str, Audience>,
    /// Standings of recurring tasks without occurrence state, by what they depend on.
    standings: Memo<RecurringKey<'t>, TaskStanding>,
    milestones: Milestones<'a>,
    period_keys: Memo<Period, String>,
    days_left: Memo<NaiveDate, i64>,
}

impl<'a, 't> Sweep<'a, 't> {
    fn new(planner: &'a DueReminders<'a>, now: DateTime<Utc>) -> Self {
        let today = local_date(now);
        let agencies = Agencies::new(planner.directory, today);
        let contacts: Vec<(&Contact, String)> =
            planner.contacts.iter().map(|c| (c, agencies.canonical(&c.agency))).collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let slots =
            planner.contacts.iter().enumerate().map(|(i, c)| *first.entry(c.id.as_str()).or_insert(i)).collect();
        let silences = planner
            .silences
            .iter()
            .filter(|s| s.from <= now && now < s.until)
            .map(|s| match &s.scope {
                SilenceScope::Agency { agency } => (s, Some(fold(agency))),
                _ => (s, None),
            })
            .collect();
        Sweep {
            planner,
            now,
            today,
            local_time: now.with_timezone(&crate::calendar::TZ).time(),
            sending_time: planner.calendar.is_working_time(now)
                && now.with_timezone(&crate::calendar::TZ).time() >= planner.reminders.send_at,
            classifier: Classifier::new(planner.calendar, planner.reporting),
            agencies,
            digests: vec![None; contacts.len()],
            contacts,
            slots,
            silences,
            audiences: Memo::default(),
            standings: Memo::default(),
            milestones: Milestones {
                rules: Rules { calendar: planner.calendar, policy: planner.reminders, now, today },
                memo: Memo::default(),
            },
            period_keys: Memo::default(),
            days_left: Memo::default(),
        }
    }

    fn silenced(&self, task: &TaskState) -> bool {
        self.silences.iter().any(|(s, folded_agency)| match &s.scope {
            SilenceScope::Plan { plan } => *plan == task.key.plan,
            SilenceScope::Task { plan, code } => *plan == task.key.plan && *code == task.key.code,
            SilenceScope::Agency { .. } => {
                task.lead.split("; ").any(|l| Some(fold(l)).as_ref() == folded_agency.as_ref())
            }
        })
    }

    /// For the task and each open occurrence: the milestones to send now, appended to `out`.
    fn ready(&mut self, task: &'t TaskState, out: &mut Vec<(Option<Period>, Ready)>) {
        let now = self.now;
        if let Some(e) = task.explanation.as_ref().filter(|e| e.answer.is_none())
            && let Some(ready) = self.milestones.rules.explanation(e.requested_on, e.due)
        {
            // Keyed by its day: each request has reminders of its own.
            out.push((Some(Period::Day { date: e.due }), ready));
        }
        let snoozed = |o: Option<&OccurrenceState>| o.is_some_and(|o| o.snoozed_until.is_some_and(|until| now < until));
        if !task.is_recurring() {
            // What `Classifier::task` says of a one-off task: this deadline, no occurrences.
            if let Some(deadline) = self.classifier.deadline(task)
                && !snoozed(Some(&task.main))
            {
                let start =
                    task.start.as_ref().and_then(|s| s.expr.start()).filter(|_| task.status == TaskStatus::NotStarted);
                self.milestones.push(None, start, deadline.due, task.main.acknowledged_at, out);
            }
            return;
        }
        // A recurring task: no deadline of its own, its occurrences. Without occurrence
        // state, its standing depends only on `RecurringKey` (tasks of one plan share a few).
        let computed;
        let standing = if task.occurrences.is_empty() {
            let classifier = self.classifier;
            let key = RecurringKey {
                finish: task.finish.as_ref(),
                start: task.start.as_ref(),
                tracked_from: task.tracked_from,
                status: task.status,
            };
            let standing = self.standings.entry(key).or_insert_with(|| classifier.task(task, now));
            debug_assert_eq!(*standing, classifier.task(task, now), "a memoised standing differs for {:?}", task.key);
            &*standing
        } else {
            computed = self.classifier.task(task, now);
            &computed
        };
        // Of the missed reports of a recurring task, only the latest keeps being chased;
        // the earlier ones are in the weekly summary.
        let today = self.today;
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
            self.milestones.push(Some(o.occurrence.period), None, o.deadline.due, acknowledged, out);
        }
    }

    /// Adds the notices of a task's ready milestones not delivered yet to the digests.
    fn notify(&mut self, task: &'t TaskState, ready: &[(Option<Period>, Ready)], id: &mut String) {
        let audience = match self.audiences.entry(task.lead.as_str()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Audience::new(&self.agencies, &self.contacts, &task.lead)),
        };
        let delivered = self.planner.delivered;
        // The delivery id ([`delivery_id`]) is built in `id` part by part and checked
        // before anything is allocated: in a steady sweep nearly everything was delivered.
        id.clear();
        id.push_str(&task.key.plan);
        id.push('/');
        id.push_str(&task.key.code);
        id.push('/');
        let of_task = id.len();
        for &(occurrence, ready) in ready {
            if !(self.sending_time || ready.urgent) {
                continue;
            }
            let occurrence_key: Option<&str> =
                occurrence.map(|p| self.period_keys.entry(p).or_insert_with(|| p.key()).as_str());
            id.truncate(of_task);
            id.push_str(occurrence_key.unwrap_or("-"));
            id.push('/');
            let of_occurrence = id.len();
            id.push_str(ready.milestone.as_str());
            id.push('/');
            id.push_str(itoa::Buffer::new().format(ready.offset));
            id.push('/');
            let of_ready = id.len();
            let contacts =
                if ready.milestone == Milestone::Escalation { &audience.escalation } else { &audience.officers };
            for &i in contacts {
                let contact = self.contacts[i].0;
                if contact.quiet.is_some_and(|q| q.contains(self.local_time)) {
                    continue;
                }
                let Some((channel, address)) = contact.channels.first() else { continue };
                id.truncate(of_ready);
                id.push_str(&contact.id);
                if delivered.contains(id) {
                    continue;
                }
                if ready.milestone == Milestone::Overdue && !self.planner.last_overdue.is_empty() {
                    let who = format!("{}{}", &id[..of_occurrence], contact.id);
                    let every = Days::new(u64::from(self.planner.reminders.overdue_every_days.max(1)));
                    let last = self.planner.last_overdue.get(&who).and_then(|d| d.checked_add_days(every));
                    if last.is_some_and(|next| self.today < next) {
                        continue;
                    }
                }
                let key = ReminderKey {
                    plan: task.key.plan.clone(),
                    code: task.key.code.clone(),
                    occurrence: occurrence_key.map(str::to_owned),
                    milestone: ready.milestone,
                    offset: ready.offset,
                    recipient: contact.id.clone(),
                    channel: *channel,
                };
                debug_assert_eq!(*id, delivery_id(&key));
                let (calendar, today) = (self.planner.calendar, self.today);
                let left = *self
                    .days_left
                    .entry(ready.date)
                    .or_insert_with(|| calendar.working_days_between(today, ready.date));
                let notice = Notice {
                    key,
                    title: task.title.clone(),
                    lead: task.lead.clone(),
                    cooperating: task.cooperating.clone(),
                    product: task.product.clone(),
                    occurrence: occurrence.filter(|_| ready.milestone != Milestone::Explanation),
                    date: ready.date,
                    working_days_left: left,
                };
                self.digests[self.slots[i]]
                    .get_or_insert_with(|| Digest {
                        recipient: contact.id.clone(),
                        name: contact.name.clone(),
                        role: contact.role,
                        position: contact.position.clone(),
                        channel: *channel,
                        address: address.clone(),
                        fallbacks: contact.channels[1..].to_vec(),
                        notices: Vec::new(),
                    })
                    .notices
                    .push(notice);
            }
        }
    }

    /// The digests, by recipient id.
    fn into_digests(self) -> Vec<Digest> {
        let mut digests: Vec<Digest> = self.digests.into_iter().flatten().collect();
        digests.sort_by(|a, b| a.recipient.cmp(&b.recipient));
        digests
    }
}

/// What the standing of a recurring task without occurrence state depends on, besides the
/// sweep's instant, calendar and reporting policy (see `Classifier::task`).
#[derive(PartialEq, Eq)]
struct RecurringKey<'t> {
    finish: Option<&'t ParsedTime>,
    start: Option<&'t ParsedTime>,
    tracked_from: Option<NaiveDate>,
    status: TaskStatus,
}

impl Hash for RecurringKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal keys have equal texts: hashing the texts is consistent with `Eq`.
        self.finish.map(|p| p.input.as_str()).hash(state);
        self.start.map(|p| p.input.as_str()).hash(state);
        self.tracked_from.hash(state);
        self.status.hash(state);
    }
}

/// The latest ready milestone of each kind for (start, due date, acknowledgement),
/// memoised for one sweep: tasks share few dates.
struct Milestones<'a> {
    rules: Rules<'a>,
    #[allow(clippy::type_complexity)]
    memo: Memo<(Option<NaiveDate>, NaiveDate, Option<DateTime<Utc>>), Vec<Ready>>,
}

impl Milestones<'_> {
    fn push(
        &mut self,
        occurrence: Option<Period>,
        start: Option<NaiveDate>,
        due: NaiveDate,
        acknowledged: Option<DateTime<Utc>>,
        out: &mut Vec<(Option<Period>, Ready)>,
    ) {
        let rules = self.rules;
        let ready =
            self.memo.entry((start, due, acknowledged)).or_insert_with(|| rules.latest(start, due, acknowledged));
        out.extend(ready.iter().map(|r| (occurrence, *r)));
    }
}

/// The reminder rules at the sweep's instant.
#[derive(Clone, Copy)]
struct Rules<'a> {
    calendar: &'a WorkCalendar,
    policy: &'a ReminderPolicy,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Rules<'_> {
    /// The instant a milestone on `day` is ready.
    fn ready_at(&self, day: NaiveDate) -> DateTime<Utc> {
        local_instant(day, self.policy.send_at)
    }

    /// The latest ready reminder of an explanation asked on `asked` by `due`: on the day
    /// asked, 1 working day before `due` and on it; none once its day has ended.
    fn explanation(&self, asked: NaiveDate, due: NaiveDate) -> Option<Ready> {
        let (p, now) = (self.policy, self.now);
        if now >= end_of_day(due) {
            return None;
        }
        let urgent = end_of_day(due) - now <= chrono::Duration::hours(i64::from(p.urgent_hours));
        let when_asked = u32::try_from(self.calendar.working_days_between(asked, due)).unwrap_or(0);
        [when_asked, 1, 0]
            .into_iter()
            .filter(|&n| n <= when_asked)
            .map(|n| (n, if n == when_asked { asked } else { self.calendar.nth_working_day_before(due, n) }))
            .filter(|(_, day)| self.ready_at(*day) <= now)
            .min_by_key(|(n, _)| *n)
            .map(|(n, _)| Ready { milestone: Milestone::Explanation, offset: n as i32, date: due, urgent })
    }

    /// The latest ready milestone of each kind for a start and a due date.
    fn latest(&self, start: Option<NaiveDate>, due: NaiveDate, acknowledged: Option<DateTime<Utc>>) -> Vec<Ready> {
        let (p, now, today) = (self.policy, self.now, self.today);
        let urgent =
            end_of_day(due) - now <= chrono::Duration::hours(i64::from(p.urgent_hours)) && now < end_of_day(due);
        let mut out = Vec::new();
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

/// Who hears of a task's milestones (indices into the sweep's contacts, in their order;
/// contacts without a channel left out): the lead agencies' officers, and for an
/// escalation their heads and the secretariat.
struct Audience {
    officers: Vec<usize>,
    escalation: Vec<usize>,
}

impl Audience {
    fn new(agencies: &Agencies, contacts: &[(&Contact, String)], lead: &str) -> Audience {
        let leads: Vec<String> = lead.split("; ").filter(|l| !l.is_empty()).map(|l| agencies.canonical(l)).collect();
        let mut audience = Audience { officers: Vec::new(), escalation: Vec::new() };
        for (i, (c, agency)) in contacts.iter().enumerate() {
            if c.channels.is_empty() {
                continue;
            }
            let of_lead = leads.contains(agency);
            if c.role == Role::Officer && of_lead {
                audience.officers.push(i);
            }
            if c.role == Role::Secretariat || (c.role == Role::Head && of_lead) {
                audience.escalation.push(i);
            }
        }
        audience
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
        let folded = self.directory.current_key(name, self.today);
        self.memo.borrow_mut().insert(name.to_string(), folded.clone());
        folded
    }
}

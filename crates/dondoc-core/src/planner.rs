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

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agency::Directory;
use crate::calendar::{WorkCalendar, end_of_day, local_date, local_instant};
use crate::classify::{Classifier, TaskStanding};
use crate::event::{Channel, Milestone, ReminderKey, TaskKey, TaskStatus};
use crate::period::Period;
use crate::policy::ReportingPolicy;
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
    /// The contact's other channels, in preference order after `channel`: where the
    /// dispatcher turns after repeated failures.
    pub fallbacks: Vec<(Channel, String)>,
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
    pub delivered: &'a DeliveredSet,
    /// The local day each (task, occurrence, recipient) last got an overdue reminder
    /// ([`overdue_id`]): a repeat waits `overdue_every_days` after it, so a late catch-up
    /// reminder is not followed by the next repeat a day or two later.
    pub last_overdue: &'a HashMap<String, NaiveDate>,
}

/// The identity of a (task, occurrence, recipient) for [`Planner::last_overdue`]:
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
/// as a sweep checks it. Membership is exact (ids are compared byte for byte). The ids are
/// stored back to back and indexed by an open-addressing table of 8-byte slots, so that a
/// check costs one hash of the id and about two memory accesses: a steady sweep checks one
/// id per planned reminder, nearly all of them delivered.
#[derive(Clone, Default)]
pub struct DeliveredSet {
    /// Every id, back to back, each after its length (4 bytes, little-endian).
    bytes: Vec<u8>,
    len: usize,
    /// Linear probing; 0 for an empty slot, else the upper 32 bits of the id's hash and
    /// 1 + the id's offset in `bytes`.
    slots: Vec<u64>,
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
        let hash = id_hash(id.as_bytes());
        if self.find(hash, id) {
            return false;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let at = self.bytes.len();
        let len = u32::try_from(id.len()).ok().filter(|n| n.checked_add(4).is_some());
        let end = len.and_then(|n| u32::try_from(at).ok()?.checked_add(n + 4));
        let (Some(len), Some(_)) = (len, end) else { panic!("delivery ids beyond 4 GiB") };
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(id.as_bytes());
        self.place(hash, at);
        self.len += 1;
        true
    }

    /// Whether a delivery id is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.len > 0 && self.find(id_hash(id.as_bytes()), id)
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The ids, in the order first inserted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let id = self.id_at(at)?;
            at += 4 + id.len();
            Some(id)
        })
    }

    /// The id stored at `at` in `bytes`.
    fn id_at(&self, at: usize) -> Option<&str> {
        let len = self.bytes.get(at..at + 4)?;
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let id = &self.bytes[at + 4..at + 4 + len];
        Some(std::str::from_utf8(id).expect("ids are stored from &str"))
    }

    fn find(&self, hash: u64, id: &str) -> bool {
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.slots.len() - 1;
        let tag = hash >> 32;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return false;
            }
            if slot >> 32 == tag {
                let at = (slot as u32 - 1) as usize;
                let len = u32::from_le_bytes(self.bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
                if &self.bytes[at + 4..at + 4 + len] == id.as_bytes() {
                    return true;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Records the id at `at` in `bytes` in its slot (`at` < 2³² - 1: checked by `insert`).
    fn place(&mut self, hash: u64, at: usize) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (hash >> 32) << 32 | (at as u64 + 1);
    }

    /// Doubles the table and places every id again.
    fn grow(&mut self) {
        self.slots = vec![0; (self.slots.len() * 2).max(16)];
        let mut at = 0;
        while let Some(id) = self.id_at(at) {
            let (hash, next) = (id_hash(id.as_bytes()), at + 4 + id.len());
            self.place(hash, at);
            at = next;
        }
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

/// A 64-bit hash of bytes: 8 at a time with FxHash's step, then murmur3's finaliser so
/// that every bit of the result depends on every byte. Not keyed: the inputs are delivery
/// ids and the planner's own memo keys, and equal hashes only cost a comparison more.
fn id_hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher(bytes.len() as u64);
    h.write(bytes);
    h.finish()
}

/// FxHash's step with murmur3's finaliser: a fast hasher for the sweep's memos.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let word = rest.iter().rev().fold(0u64, |word, &b| word << 8 | u64::from(b));
            self.add(word);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A map for the sweep's memos.
type Memo<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A milestone ready at an instant: what it is about, its kind and offset.
#[derive(Debug, Clone, Copy)]
struct Ready {
    milestone: Milestone,
    offset: i32,
    date: NaiveDate,
    urgent: bool,
}

impl Planner<'_> {
    /// The digests a sweep at `now` sends.
    pub fn plan(&self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<Digest> {
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
    planner: &'a Planner<'a>,
    now: DateTime<Utc>,
    today: NaiveDate,
    working_time: bool,
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
    fn new(planner: &'a Planner<'a>, now: DateTime<Utc>) -> Self {
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
            working_time: planner.calendar.is_working_time(now),
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
            if !(self.working_time || ready.urgent) {
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
            push_decimal(id, ready.offset);
            id.push('/');
            let of_ready = id.len();
            let contacts =
                if ready.milestone == Milestone::Escalation { &audience.escalation } else { &audience.officers };
            for &i in contacts {
                let contact = self.contacts[i].0;
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
                    task: task.key.clone(),
                    title: task.title.clone(),
                    lead: task.lead.clone(),
                    occurrence,
                    date: ready.date,
                    working_days_left: left,
                };
                self.digests[self.slots[i]]
                    .get_or_insert_with(|| Digest {
                        recipient: contact.id.clone(),
                        name: contact.name.clone(),
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

/// Appends `n` as `Display` writes it, without the formatting machinery.
fn push_decimal(out: &mut String, n: i32) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
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

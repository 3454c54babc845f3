//! Task events: the facts appended to a task's stream, and the metadata every event carries.
//!
//! Stored form: an event type name (`"TaskDefined"`), a schema version and a JSON object
//! of data ([`TaskEvent::encode`]); metadata ([`EventMeta`]) travels beside it. Reading
//! goes through [`TaskEvent::decode`], which upcasts older schema versions, so events
//! written by any earlier release still load. Never change the meaning of a stored field:
//! add a field with a default, or bump the version and teach `decode` the old shape.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::timeexpr::ParsedTime;

/// The current schema version of task events.
pub const SCHEMA_VERSION: u16 = 1;

/// Identifies a task: its plan and its code (Mã số) within the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskKey {
    pub plan: String,
    pub code: String,
}

impl TaskKey {
    pub fn new(plan: impl Into<String>, code: impl Into<String>) -> Self {
        TaskKey { plan: plan.into(), code: code.into() }
    }

    /// The event stream of the task: `task-<plan>-<code>`.
    pub fn stream(&self) -> String {
        format!("task-{}-{}", self.plan, self.code)
    }
}

impl TaskKey {
    /// The task as people read it: "01 (kế hoạch MAU-2026)" (after "nhiệm vụ"); the
    /// `plan/code` form of [`fmt::Display`] is for keys and logs.
    pub fn label_vi(&self) -> String {
        format!("{} (kế hoạch {})", self.code, self.plan)
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.plan, self.code)
    }
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Import,
    Api,
    Web,
    Telegram,
    Zalo,
    Email,
    Cli,
    Scheduler,
}

impl Channel {
    /// The Vietnamese name inside a sentence: "thư điện tử", "Telegram", "Zalo".
    pub fn label_vi(&self) -> &'static str {
        match self {
            Channel::Email => "thư điện tử",
            Channel::Telegram => "Telegram",
            Channel::Zalo => "Zalo",
        }
    }
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 8] = [
        Source::Import,
        Source::Api,
        Source::Web,
        Source::Telegram,
        Source::Zalo,
        Source::Email,
        Source::Cli,
        Source::Scheduler,
    ];

    /// The Vietnamese name, as the audit trail shows it.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Source::Import => "nhập kế hoạch",
            Source::Api => "API",
            Source::Web => "trang web",
            Source::Telegram => "Telegram",
            Source::Zalo => "Zalo",
            Source::Email => "thư điện tử",
            Source::Cli => "dòng lệnh",
            Source::Scheduler => "lịch tự động",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Import => "import",
            Source::Api => "api",
            Source::Web => "web",
            Source::Telegram => "telegram",
            Source::Zalo => "zalo",
            Source::Email => "email",
            Source::Cli => "cli",
            Source::Scheduler => "scheduler",
        }
    }
}

/// Metadata of every stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// Who did it: an officer, "secretariat:...", "system".
    pub actor: String,
    pub source: Source,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The request or job this belongs to.
    pub correlation_id: Uuid,
    /// The event or command that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// The command that wrote it: a command retried with the same id records nothing again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
    /// Schema version of the data.
    pub schema_version: u16,
    /// Tamper-evidence chain value, set by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

impl EventMeta {
    /// Metadata of a fact recorded by `actor` from `source` at `recorded_at`, in the
    /// request or job `correlation_id` (the caller makes ids: the core draws no randomness).
    pub fn new(
        actor: impl Into<String>,
        source: Source,
        recorded_at: DateTime<Utc>,
        correlation_id: uuid::Uuid,
    ) -> EventMeta {
        EventMeta {
            actor: actor.into(),
            source,
            recorded_at,
            correlation_id,
            causation_id: None,
            command_id: None,
            schema_version: SCHEMA_VERSION,
            chain: None,
        }
    }
}

/// The milestone a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Start,
    Due,
    Overdue,
    Escalation,
    /// An explanation asked of the lead agency is due (its key's occurrence is the day
    /// it is due, so that a second request is reminded of too).
    Explanation,
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Telegram,
    Zalo,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
            Channel::Zalo => "zalo",
        }
    }
}

impl Milestone {
    pub fn as_str(&self) -> &'static str {
        match self {
            Milestone::Start => "start",
            Milestone::Due => "due",
            Milestone::Overdue => "overdue",
            Milestone::Escalation => "escalation",
            Milestone::Explanation => "explanation",
        }
    }
}

/// The idempotency key of one reminder message: no two deliveries share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReminderKey {
    pub plan: String,
    pub code: String,
    /// Occurrence key ("2025-Q3"), or none for a one-off task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    pub milestone: Milestone,
    /// Working days before (positive) or after (negative) the milestone.
    pub offset: i32,
    pub recipient: String,
    pub channel: Channel,
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}/{}/{}/{}",
            self.plan,
            self.code,
            self.occurrence.as_deref().unwrap_or("-"),
            self.milestone.as_str(),
            self.offset,
            self.recipient,
            self.channel.as_str(),
        )
    }
}

/// Evidence of completion or of a submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Document number, e.g. "125/BC-UBND".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// SHA-256 of an attached file, hex (the file is kept beside the store by its hash,
    /// never in the event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// The attached file's name as uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Its media type as uploaded ("application/pdf").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Evidence {
    pub fn is_empty(&self) -> bool {
        [&self.document, &self.link, &self.file_sha256, &self.note]
            .iter()
            .all(|f| f.as_deref().is_none_or(|s| s.trim().is_empty()))
    }
}

/// A task's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    #[default]
    NotStarted,
    InProgress,
    Paused,
    Completed,
    Cancelled,
}

impl TaskStatus {
    /// Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "chưa bắt đầu",
            TaskStatus::InProgress => "đang thực hiện",
            TaskStatus::Paused => "tạm dừng",
            TaskStatus::Completed => "đã hoàn thành",
            TaskStatus::Cancelled => "đã hủy",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Paused => "paused",
            TaskStatus::Completed => "completed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the task is closed (completed or cancelled).
    pub fn is_closed(&self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Cancelled)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_vi())
    }
}

/// A task event. The variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
#[allow(
    clippy::large_enum_variant,
    reason = "the definition is the first and rarest value; boxing would change the public shape"
)]
pub enum TaskEvent {
    /// The task exists: what the plan says about it.
    TaskDefined {
        plan: String,
        code: String,
        title: String,
        /// Lead agency (chủ trì); empty when the plan names none.
        lead: String,
        #[serde(default)]
        cooperating: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<ParsedTime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        finish: Option<ParsedTime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// First day dondoc tracks the task from (occurrences before it are not counted).
        tracked_from: NaiveDate,
        /// The row number as printed in the plan (TT), e.g. "1.1.2.3".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tt: Option<String>,
        /// The heading the task sits under (its code, or the section as printed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// A revised plan changed what the plan says about the task. Only the changed fields
    /// are present; the definition keeps the original.
    TaskRevised {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// `Some(None)` clears the start.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
        start: Option<Option<ParsedTime>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
        finish: Option<Option<ParsedTime>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
        product: Option<Option<String>>,
        /// The task's new row number (a renumbered plan); absent in older events.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tt: Option<String>,
        reason: String,
    },
    /// A lead agency given to a task that had none.
    TaskAssigned {
        lead: String,
        #[serde(default)]
        cooperating: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The lead or cooperating agencies changed.
    TaskReassigned {
        from_lead: String,
        #[serde(default)]
        from_cooperating: Vec<String>,
        lead: String,
        #[serde(default)]
        cooperating: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Start, pause, resume or completion.
    StatusChanged {
        from: TaskStatus,
        to: TaskStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Completion date (local), when `to` is completed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completed_on: Option<NaiveDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Evidence>,
    },
    /// A progress report.
    ProgressReported {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<u8>,
        note: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
    },
    /// A report or data submission, for one occurrence of a recurring task or for the task.
    ReportSubmitted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        evidence: Evidence,
        submitted_at: DateTime<Utc>,
    },
    /// An officer asks for a later deadline.
    DeadlineExtensionRequested {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        requested_due: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested_text: Option<String>,
        reason: String,
    },
    /// The deadline was extended; the original stays in the definition.
    DeadlineExtended {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        /// The nominal due date before this extension, when there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_due: Option<NaiveDate>,
        new_due: NaiveDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_text: Option<String>,
        reason: String,
    },
    /// A pending extension request was turned down.
    DeadlineExtensionRejected {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        reason: String,
    },
    TaskCancelled {
        from: TaskStatus,
        reason: String,
    },
    TaskReopened {
        from: TaskStatus,
        to: TaskStatus,
        reason: String,
    },
    CommentAdded {
        text: String,
    },
    /// The completion an officer reported waits for the secretariat's confirmation (xác
    /// nhận hoàn thành); recorded with the completion. Completions recorded before this
    /// event existed, or by the secretariat, need none.
    CompletionAwaitingConfirmation {},
    /// The secretariat confirmed the reported completion (its date stays the reported one).
    CompletionConfirmed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The secretariat returned the reported completion; the task is open again.
    CompletionReturned {
        to: TaskStatus,
        reason: String,
    },
    /// The secretariat asks the lead agency to explain (giải trình) the task by `due`.
    ExplanationRequested {
        /// The local day it was asked.
        requested_on: NaiveDate,
        due: NaiveDate,
        reason: String,
    },
    /// The lead agency's explanation, given on a local day.
    ExplanationGiven {
        given_on: NaiveDate,
        text: String,
    },
    ReminderDelivered {
        key: ReminderKey,
        sent_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
    },
    ReminderFailed {
        key: ReminderKey,
        attempt: u32,
        error: String,
        /// Whether another attempt (or another channel) will follow.
        will_retry: bool,
    },
    /// The secretariat lets a reminder a channel refused be sent again (after a fix).
    ReminderRequeued {
        key: ReminderKey,
        reason: String,
    },
    ReminderAcknowledged {
        acknowledged_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<ReminderKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snooze_until: Option<DateTime<Utc>>,
    },
}

/// A stored event that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EventDecodeError {
    #[error("sự kiện loại \"{event_type}\" phiên bản {version} mới hơn phiên bản phần mềm hỗ trợ ({SCHEMA_VERSION})")]
    FutureVersion { event_type: String, version: u16 },
    #[error("sự kiện loại \"{event_type}\" phiên bản {version} không đọc được: {error}")]
    Malformed { event_type: String, version: u16, error: serde_json::Error },
    /// The event reads, but holds a value no command writes (a hand-edited period or date).
    #[error("sự kiện loại \"{event_type}\" có giá trị không hợp lệ: {detail}")]
    Invalid { event_type: String, detail: String },
}

impl TaskEvent {
    /// The stored event type name.
    pub fn event_type(&self) -> &'static str {
        match self {
            TaskEvent::TaskDefined { .. } => "TaskDefined",
            TaskEvent::TaskRevised { .. } => "TaskRevised",
            TaskEvent::TaskAssigned { .. } => "TaskAssigned",
            TaskEvent::TaskReassigned { .. } => "TaskReassigned",
            TaskEvent::StatusChanged { .. } => "StatusChanged",
            TaskEvent::ProgressReported { .. } => "ProgressReported",
            TaskEvent::ReportSubmitted { .. } => "ReportSubmitted",
            TaskEvent::DeadlineExtensionRequested { .. } => "DeadlineExtensionRequested",
            TaskEvent::DeadlineExtended { .. } => "DeadlineExtended",
            TaskEvent::DeadlineExtensionRejected { .. } => "DeadlineExtensionRejected",
            TaskEvent::TaskCancelled { .. } => "TaskCancelled",
            TaskEvent::TaskReopened { .. } => "TaskReopened",
            TaskEvent::CommentAdded { .. } => "CommentAdded",
            TaskEvent::CompletionAwaitingConfirmation { .. } => "CompletionAwaitingConfirmation",
            TaskEvent::CompletionConfirmed { .. } => "CompletionConfirmed",
            TaskEvent::CompletionReturned { .. } => "CompletionReturned",
            TaskEvent::ExplanationRequested { .. } => "ExplanationRequested",
            TaskEvent::ExplanationGiven { .. } => "ExplanationGiven",
            TaskEvent::ReminderDelivered { .. } => "ReminderDelivered",
            TaskEvent::ReminderFailed { .. } => "ReminderFailed",
            TaskEvent::ReminderRequeued { .. } => "ReminderRequeued",
            TaskEvent::ReminderAcknowledged { .. } => "ReminderAcknowledged",
        }
    }

    /// The Vietnamese name of the event, as the audit trail shows it (docs/glossary.toml).
    pub fn name_vi(&self) -> &'static str {
        event_name_vi(self.event_type())
    }

    /// Type name, schema version and JSON data, as stored.
    pub fn encode(&self) -> (&'static str, u16, Value) {
        let data = match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => m.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (self.event_type(), SCHEMA_VERSION, data)
    }

    /// Reads a stored event of any supported schema version.
    pub fn decode(event_type: &str, version: u16, data: Value) -> Result<TaskEvent, EventDecodeError> {
        if version > SCHEMA_VERSION {
            return Err(EventDecodeError::FutureVersion { event_type: event_type.to_string(), version });
        }
        let data = upcast(event_type, version, data);
        if let Err(detail) = stored::check(&data) {
            return Err(EventDecodeError::Invalid { event_type: event_type.to_string(), detail });
        }
        // The adjacently tagged enum read from ("type", "data") in that order, so that serde
        // reads the data with the variant's own visitor instead of buffering it first (a
        // `Value` map would give "data" first: its keys are sorted).
        let fields = [("type", Value::String(event_type.to_string())), ("data", data)];
        let tagged = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(fields.into_iter());
        TaskEvent::deserialize(tagged).map_err(|error| EventDecodeError::Malformed {
            event_type: event_type.to_string(),
            version,
            error,
        })
    }
}

/// Brings data of an older schema version to the current shape. Version 1 is the first
/// schema, so there is nothing to upcast yet; when a shape changes, bump
/// [`SCHEMA_VERSION`] and add the step from the old version here, and keep the golden
/// files under `tests/fixtures/events/` loading.
fn upcast(_event_type: &str, _version: u16, data: Value) -> Value {
    data
}

/// Checks of stored values beyond their shape: what a command never writes and the rules
/// cannot reason about (a period "Quý V", a year 9999) is refused when an event is read,
/// naming the field, instead of surfacing later as a wrong answer or a panic.
mod stored {
    use chrono::{DateTime, Datelike as _, NaiveDate};
    use serde_json::Value;

    use crate::period::Period;

    /// The years dondoc reasons about.
    pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

    /// Fields holding an instant or a day.
    const DATE_FIELDS: &[&str] = &[
        "tracked_from",
        "completed_on",
        "requested_due",
        "previous_due",
        "new_due",
        "submitted_at",
        "sent_at",
        "acknowledged_at",
        "snooze_until",
    ];

    pub fn check(data: &Value) -> Result<(), String> {
        walk(data, &mut Vec::new(), false)
    }

    fn year(field: &str, y: i32) -> Result<(), String> {
        if YEARS.contains(&y) {
            Ok(())
        } else {
            Err(format!("{field}: năm {y} ngoài khoảng {}–{}", YEARS.start(), YEARS.end()))
        }
    }

    fn date(field: &str, text: &str) -> Result<(), String> {
        let y = match (NaiveDate::parse_from_str(text, "%Y-%m-%d"), DateTime::parse_from_rfc3339(text)) {
            (Ok(d), _) => d.year(),
            (_, Ok(t)) => t.year(),
            // Not a date at all: the shape check (serde) names it.
            _ => return Ok(()),
        };
        year(field, y)
    }

    /// A field's dotted name ("finish.expr.year"), made only when a check needs it.
    fn name(path: &[&str]) -> String {
        path.join(".")
    }

    /// `in_expr`: inside a time expression (`start`, `finish`), where numbers name years,
    /// months, quarters and days, and every date string is a date. `path`: the keys
    /// leading to `v`.
    fn walk<'a>(v: &'a Value, path: &mut Vec<&'a str>, in_expr: bool) -> Result<(), String> {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    path.push(key);
                    let checked = check_field(key, value, path, in_expr);
                    path.pop();
                    checked?;
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|i| walk(i, path, in_expr)),
            _ => Ok(()),
        }
    }

    fn check_field<'a>(key: &str, value: &'a Value, path: &mut Vec<&'a str>, in_expr: bool) -> Result<(), String> {
        match (key, value) {
            ("occurrence", Value::String(text)) => {
                let period: Period = text.parse().map_err(|e| format!("{}: {e}", name(path)))?;
                year(&name(path), period.first_day().year())
            }
            (k, Value::String(text)) if DATE_FIELDS.contains(&k) => date(&name(path), text),
            ("expr", _) => walk(value, path, true),
            (k, Value::Number(n)) if in_expr => {
                let n = n.as_i64().unwrap_or(i64::MAX);
                let range = match k {
                    "year" => Some((i64::from(*YEARS.start()), i64::from(*YEARS.end()))),
                    "month" => Some((1, 12)),
                    "quarter" => Some((1, 4)),
                    "half" => Some((1, 2)),
                    "week" => Some((1, 53)),
                    "day" => Some((1, 31)),
                    _ => None,
                };
                match range {
                    Some((lo, hi)) if !(lo..=hi).contains(&n) => {
                        Err(format!("{}: {n} ngoài khoảng {lo}–{hi}", name(path)))
                    }
                    _ => Ok(()),
                }
            }
            (_, Value::String(text)) if in_expr && NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() => {
                date(&name(path), text)
            }
            _ => walk(value, path, in_expr),
        }
    }
}

/// Serde for `Option<Option<T>>`: absent = unchanged, `null` = cleared, a value = set.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The Vietnamese name of a stored task event type ("StatusChanged" → "Đổi trạng thái");
/// the type itself for one this version does not know.
pub fn event_name_vi(event_type: &str) -> &str {
    match event_type {
        "TaskDefined" => "Khai báo nhiệm vụ",
        "TaskRevised" => "Điều chỉnh nhiệm vụ",
        "TaskAssigned" => "Giao nhiệm vụ",
        "TaskReassigned" => "Giao lại nhiệm vụ",
        "StatusChanged" => "Đổi trạng thái",
        "ProgressReported" => "Báo cáo tiến độ",
        "ReportSubmitted" => "Gửi báo cáo",
        "DeadlineExtensionRequested" => "Đề nghị gia hạn",
        "DeadlineExtended" => "Gia hạn",
        "DeadlineExtensionRejected" => "Không chấp thuận gia hạn",
        "TaskCancelled" => "Hủy nhiệm vụ",
        "TaskReopened" => "Mở lại nhiệm vụ",
        "CommentAdded" => "Ghi chú",
        "CompletionAwaitingConfirmation" => "Chờ xác nhận hoàn thành",
        "CompletionConfirmed" => "Xác nhận hoàn thành",
        "CompletionReturned" => "Trả lại báo cáo hoàn thành",
        "ExplanationRequested" => "Yêu cầu giải trình",
        "ExplanationGiven" => "Giải trình",
        "ReminderDelivered" => "Đã gửi nhắc việc",
        "ReminderFailed" => "Gửi nhắc việc không thành công",
        "ReminderRequeued" => "Gửi lại nhắc việc",
        "ReminderAcknowledged" => "Xác nhận đã nhận nhắc việc",
        other => other,
    }
}

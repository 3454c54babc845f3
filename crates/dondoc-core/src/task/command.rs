//! What people and the system ask of a task.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Evidence, ReminderKey};
use crate::timeexpr::ParsedTime;

/// A request to change a task. [`super::decide`] turns it into events or refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "the definition is the first and rarest value; boxing would change the public shape"
)]
pub enum TaskCommand {
    Define {
        plan: String,
        code: String,
        title: String,
        lead: String,
        #[serde(default)]
        cooperating: Vec<String>,
        #[serde(default)]
        start: Option<ParsedTime>,
        #[serde(default)]
        finish: Option<ParsedTime>,
        #[serde(default)]
        product: Option<String>,
        /// Defaults to the local date of `now`.
        #[serde(default)]
        tracked_from: Option<NaiveDate>,
        /// The row number as printed in the plan.
        #[serde(default)]
        tt: Option<String>,
        /// The heading the task sits under.
        #[serde(default)]
        group: Option<String>,
    },
    /// What a revised plan now says about the task (all fields: the new text).
    Revise {
        title: String,
        #[serde(default)]
        start: Option<ParsedTime>,
        #[serde(default)]
        finish: Option<ParsedTime>,
        #[serde(default)]
        product: Option<String>,
        /// The row number the revised plan prints (None: unchanged).
        #[serde(default)]
        tt: Option<String>,
        reason: String,
    },
    Assign {
        lead: String,
        #[serde(default)]
        cooperating: Vec<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    Start {
        #[serde(default)]
        note: Option<String>,
    },
    Pause {
        reason: String,
    },
    Resume {
        #[serde(default)]
        note: Option<String>,
    },
    ReportProgress {
        #[serde(default)]
        percent: Option<u8>,
        note: String,
        #[serde(default)]
        occurrence: Option<String>,
    },
    SubmitReport {
        #[serde(default)]
        occurrence: Option<String>,
        evidence: Evidence,
        /// When the report was actually sent, if earlier than now (recording a report that
        /// arrived by post or email); defaults to now, may not be in the future.
        #[serde(default)]
        submitted_at: Option<DateTime<Utc>>,
    },
    Complete {
        /// Defaults to the local date of `now`; may not be in the future.
        #[serde(default)]
        on: Option<NaiveDate>,
        evidence: Evidence,
        /// Recorded by the secretariat itself: no confirmation to wait for. An officer's
        /// completion waits for [`TaskCommand::ConfirmCompletion`].
        #[serde(default)]
        confirmed: bool,
    },
    /// The secretariat confirms a reported completion.
    ConfirmCompletion {
        #[serde(default)]
        note: Option<String>,
    },
    /// The secretariat returns a reported completion, with the reason.
    ReturnCompletion {
        reason: String,
    },
    /// The secretariat asks the lead agency to explain the task by `by`.
    RequestExplanation {
        by: NaiveDate,
        reason: String,
    },
    /// The lead agency explains.
    Explain {
        text: String,
    },
    RequestExtension {
        #[serde(default)]
        occurrence: Option<String>,
        to: NaiveDate,
        #[serde(default)]
        to_text: Option<String>,
        reason: String,
    },
    Extend {
        #[serde(default)]
        occurrence: Option<String>,
        to: NaiveDate,
        #[serde(default)]
        to_text: Option<String>,
        reason: String,
    },
    RejectExtension {
        #[serde(default)]
        occurrence: Option<String>,
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Comment {
        text: String,
    },
    RecordDelivery {
        key: ReminderKey,
        #[serde(default)]
        message_id: Option<String>,
    },
    RecordFailure {
        key: ReminderKey,
        attempt: u32,
        error: String,
        will_retry: bool,
    },
    /// Lets a reminder a channel refused be sent again (the refusal was a mistake since fixed).
    RequeueReminder {
        key: ReminderKey,
        reason: String,
    },
    Acknowledge {
        #[serde(default)]
        occurrence: Option<String>,
        #[serde(default)]
        key: Option<ReminderKey>,
        #[serde(default)]
        snooze_until: Option<DateTime<Utc>>,
    },
}

/// The kind of a command, for messages and for listing allowed moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    Define,
    Revise,
    Assign,
    Start,
    Pause,
    Resume,
    ReportProgress,
    SubmitReport,
    Complete,
    RequestExtension,
    Extend,
    RejectExtension,
    Cancel,
    Reopen,
    Comment,
    RecordDelivery,
    RecordFailure,
    RequeueReminder,
    Acknowledge,
    ConfirmCompletion,
    ReturnCompletion,
    RequestExplanation,
    Explain,
}

impl CommandKind {
    /// Every kind, in a stable order.
    pub const ALL: [CommandKind; 23] = [
        CommandKind::Define,
        CommandKind::Revise,
        CommandKind::Assign,
        CommandKind::Start,
        CommandKind::Pause,
        CommandKind::Resume,
        CommandKind::ReportProgress,
        CommandKind::SubmitReport,
        CommandKind::Complete,
        CommandKind::RequestExtension,
        CommandKind::Extend,
        CommandKind::RejectExtension,
        CommandKind::Cancel,
        CommandKind::Reopen,
        CommandKind::Comment,
        CommandKind::RecordDelivery,
        CommandKind::RecordFailure,
        CommandKind::RequeueReminder,
        CommandKind::Acknowledge,
        CommandKind::ConfirmCompletion,
        CommandKind::ReturnCompletion,
        CommandKind::RequestExplanation,
        CommandKind::Explain,
    ];

    /// Whether the daemon records it (a delivery, a failure, a requeue): not a move people
    /// make, so refusals do not list it.
    pub fn is_internal(&self) -> bool {
        matches!(self, CommandKind::RecordDelivery | CommandKind::RecordFailure | CommandKind::RequeueReminder)
    }

    /// Vietnamese verb for messages.
    pub fn label_vi(&self) -> &'static str {
        match self {
            CommandKind::Define => "khai báo",
            CommandKind::Revise => "điều chỉnh theo kế hoạch sửa đổi",
            CommandKind::Assign => "giao/giao lại",
            CommandKind::Start => "bắt đầu",
            CommandKind::Pause => "tạm dừng",
            CommandKind::Resume => "tiếp tục",
            CommandKind::ReportProgress => "báo cáo tiến độ",
            CommandKind::SubmitReport => "nộp báo cáo",
            CommandKind::Complete => "hoàn thành",
            CommandKind::RequestExtension => "đề nghị gia hạn",
            CommandKind::Extend => "gia hạn",
            CommandKind::RejectExtension => "từ chối gia hạn",
            CommandKind::Cancel => "hủy",
            CommandKind::Reopen => "mở lại",
            CommandKind::Comment => "ghi chú",
            CommandKind::RecordDelivery => "ghi nhận đã gửi nhắc việc",
            CommandKind::RecordFailure => "ghi nhận gửi nhắc việc lỗi",
            CommandKind::RequeueReminder => "cho gửi lại nhắc việc",
            CommandKind::Acknowledge => "xác nhận đã nhận nhắc việc",
            CommandKind::ConfirmCompletion => "xác nhận hoàn thành",
            CommandKind::ReturnCompletion => "trả lại báo cáo hoàn thành",
            CommandKind::RequestExplanation => "yêu cầu giải trình",
            CommandKind::Explain => "giải trình",
        }
    }
}

impl TaskCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            TaskCommand::Define { .. } => CommandKind::Define,
            TaskCommand::Revise { .. } => CommandKind::Revise,
            TaskCommand::Assign { .. } => CommandKind::Assign,
            TaskCommand::Start { .. } => CommandKind::Start,
            TaskCommand::Pause { .. } => CommandKind::Pause,
            TaskCommand::Resume { .. } => CommandKind::Resume,
            TaskCommand::ReportProgress { .. } => CommandKind::ReportProgress,
            TaskCommand::SubmitReport { .. } => CommandKind::SubmitReport,
            TaskCommand::Complete { .. } => CommandKind::Complete,
            TaskCommand::RequestExtension { .. } => CommandKind::RequestExtension,
            TaskCommand::Extend { .. } => CommandKind::Extend,
            TaskCommand::RejectExtension { .. } => CommandKind::RejectExtension,
            TaskCommand::Cancel { .. } => CommandKind::Cancel,
            TaskCommand::Reopen { .. } => CommandKind::Reopen,
            TaskCommand::Comment { .. } => CommandKind::Comment,
            TaskCommand::RecordDelivery { .. } => CommandKind::RecordDelivery,
            TaskCommand::RecordFailure { .. } => CommandKind::RecordFailure,
            TaskCommand::RequeueReminder { .. } => CommandKind::RequeueReminder,
            TaskCommand::Acknowledge { .. } => CommandKind::Acknowledge,
            TaskCommand::ConfirmCompletion { .. } => CommandKind::ConfirmCompletion,
            TaskCommand::ReturnCompletion { .. } => CommandKind::ReturnCompletion,
            TaskCommand::RequestExplanation { .. } => CommandKind::RequestExplanation,
            TaskCommand::Explain { .. } => CommandKind::Explain,
        }
    }
}

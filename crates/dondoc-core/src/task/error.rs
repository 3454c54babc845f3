//! Why a command was refused.

use super::CommandKind;
use crate::event::{TaskKey, TaskStatus};

/// A refused command. Messages are Vietnamese: they reach officers as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("nhiệm vụ {task} chưa được khai báo")]
    NotDefined { task: TaskKey },
    #[error("nhiệm vụ {task} đã được khai báo")]
    AlreadyDefined { task: TaskKey },
    #[error(
        "không thể {} nhiệm vụ {task}: trạng thái hiện tại là \"{status}\"; các thao tác được phép: {}",
        action.label_vi(),
        allowed.iter().filter(|k| !k.is_internal()).map(|k| k.label_vi()).collect::<Vec<_>>().join(", ")
    )]
    InvalidTransition { task: TaskKey, status: TaskStatus, action: CommandKind, allowed: Vec<CommandKind> },
    #[error("nhiệm vụ {task}: {field} không hợp lệ: {reason}")]
    InvalidInput { task: TaskKey, field: &'static str, reason: String },
}

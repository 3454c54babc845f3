//! Why a command was refused.

use super::CommandKind;
use crate::event::{TaskKey, TaskStatus};

/// A refused command. Messages are Vietnamese: they reach officers as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("nhiệm vụ {} chưa được khai báo", task.label_vi())]
    NotDefined { task: TaskKey },
    #[error("nhiệm vụ {} đã được khai báo", task.label_vi())]
    AlreadyDefined { task: TaskKey },
    #[error(
        "không thể {} nhiệm vụ {}: trạng thái hiện tại là \"{status}\"; các thao tác được phép: {}",
        action.label_vi(),
        task.label_vi(),
        allowed.iter().filter(|k| !k.is_internal()).map(|k| k.label_vi()).collect::<Vec<_>>().join(", ")
    )]
    InvalidTransition { task: TaskKey, status: TaskStatus, action: CommandKind, allowed: Vec<CommandKind> },
    #[error("nhiệm vụ {}: {field} không hợp lệ: {reason}", task.label_vi())]
    InvalidInput { task: TaskKey, field: &'static str, reason: String },
}

//! What a use case reports when it cannot do what was asked. Messages are Vietnamese:
//! people read them (the CLI prints them, the API returns them).

use dondoc_core::task::DomainError;
use dondoc_notify::templates::TemplateError;
use dondoc_projections::ProjectionError;
use dondoc_store::StoreError;

use crate::command::{BatchError, CommandError};

/// A use case's failure, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that cannot be read: a file, an expression, an option, an unknown name.
    #[error("{0}")]
    Input(String),
    /// What was asked for is not there (a task, a plan); the message names the nearest.
    #[error("{0}")]
    NotFound(String),
    /// A command the domain refuses; the message names the task, its state and the
    /// allowed moves.
    #[error("{0}")]
    Refused(String),
    /// No valid sign-in (HTTP 401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The signed-in account may not do this; the message says why (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The task changed since the revision the caller gave.
    #[error("{message}")]
    Conflict { message: String, current: Option<u64> },
    /// Stored data failed a check (a damaged file, a broken chain, an unreadable event).
    #[error("{0}")]
    Integrity(String),
    #[error(transparent)]
    Store(StoreError),
    /// (Its message includes the projection error's, which is therefore not its source.)
    #[error("không cập nhật được bảng theo dõi: {0}")]
    ReadModel(ProjectionError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl From<ProjectionError> for AppError {
    fn from(e: ProjectionError) -> Self {
        AppError::ReadModel(e)
    }
}

impl AppError {
    /// An input error with this message.
    pub fn input(message: impl Into<String>) -> AppError {
        AppError::Input(message.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Integrity { .. } => AppError::Integrity(e.to_string()),
            e => AppError::Store(e),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Refused(e.to_string())
    }
}

impl From<CommandError> for AppError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Domain(d) => d.into(),
            CommandError::Conflict { current, .. } => AppError::Conflict { message: e.to_string(), current },
            CommandError::Store(s) => s.into(),
            CommandError::Decode { .. } => AppError::Integrity(e.to_string()),
        }
    }
}

impl From<BatchError> for AppError {
    fn from(e: BatchError) -> Self {
        let message = e.to_string();
        match AppError::from(e.error) {
            AppError::Refused(_) => AppError::Refused(message),
            AppError::Conflict { current, .. } => AppError::Conflict { message, current },
            other => other,
        }
    }
}

/// A use case's result.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

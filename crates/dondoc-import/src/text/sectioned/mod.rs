//! Reader for one plan-document shape (see the parent module). Stub: being written.

use crate::model::{ImportedPlan, ReadError};

/// Whether the text has this shape.
pub fn looks_like(_text: &str) -> bool {
    false
}

/// Reads the plan.
pub fn read(_text: &str) -> Result<ImportedPlan, ReadError> {
    Err(ReadError::UnknownShape("not yet implemented".into()))
}

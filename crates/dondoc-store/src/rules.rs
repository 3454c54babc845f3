//! The rules every backend applies to an append, whatever it stores in: whether a stream
//! may take it (its expected revision), and whether a refused request is a harmless retry
//! of one already written (same ids, same content, where it would have been written).

use serde_json::Value;

use crate::chain::{self, CHAIN_KEY};
use crate::prepare::{PreparedAppend, PreparedEvent};
use crate::{AppendResult, ExpectedRevision, StoreError};

/// An event as a backend stored it, to compare with a request's.
#[derive(Clone)]
pub(crate) struct StoredEvent {
    pub stream: String,
    pub revision: u64,
    pub position: u64,
    pub event_type: String,
    pub metadata: String,
    pub data: String,
}

impl StoredEvent {
    /// Same type, data and metadata (without `chain`) as `event`.
    pub fn same_as(&self, event: &PreparedEvent) -> bool {
        if self.event_type != event.event_type || self.data != event.data {
            return false;
        }
        match serde_json::from_str::<Value>(&self.metadata) {
            Ok(mut metadata) => {
                if let Some(map) = metadata.as_object_mut() {
                    map.remove(CHAIN_KEY);
                }
                chain::canonical_metadata(&metadata) == event.metadata
            }
            Err(_) => false,
        }
    }
}

/// What is stored under a request's ids.
pub(crate) enum Written {
    /// None of them.
    None,
    /// All of them, with the same content, contiguous in the same stream.
    Same { first_revision: u64, result: AppendResult },
    /// Something else (explained).
    Other(String),
}

fn partial(request: &PreparedAppend, missing: &PreparedEvent) -> Written {
    Written::Other(format!(
        "chỉ một phần các sự kiện của yêu cầu đã có trong luồng {} (thiếu {})",
        request.stream, missing.id
    ))
}

/// Whether a stream whose last revision is `actual` may take an append expecting `expected`.
pub(crate) fn expectation_holds(expected: ExpectedRevision, actual: Option<u64>) -> bool {
    match expected {
        ExpectedRevision::Any => true,
        ExpectedRevision::NoStream => actual.is_none(),
        ExpectedRevision::StreamExists => actual.is_some(),
        ExpectedRevision::Exact(n) => actual == Some(n),
    }
}

/// Whether events found from `first_revision` are where a request expecting `expected`
/// would have written them.
pub(crate) fn retry_matches(expected: ExpectedRevision, first_revision: u64) -> bool {
    match expected {
        ExpectedRevision::Any | ExpectedRevision::StreamExists => true,
        ExpectedRevision::NoStream => first_revision == 0,
        ExpectedRevision::Exact(n) => n.checked_add(1) == Some(first_revision),
    }
}

pub(crate) fn conflict(request: &PreparedAppend, actual: Option<u64>) -> StoreError {
    StoreError::WrongExpectedRevision { stream: request.stream.clone(), expected: request.expected, actual }
}

/// What `found` (what is stored under the request's ids, in order, up to the first missing
/// one) says of the request.
pub(crate) fn written(request: &PreparedAppend, found: Vec<Option<StoredEvent>>) -> Written {
    let mut first_revision = None;
    let mut result = None;
    for (i, (event, stored)) in request.events.iter().zip(found).enumerate() {
        let Some(stored) = stored else {
            return if i == 0 { Written::None } else { partial(request, event) };
        };
        let first = *first_revision.get_or_insert(stored.revision);
        if stored.stream != request.stream || stored.revision != first + i as u64 || !stored.same_as(event) {
            return Written::Other(format!(
                "mã sự kiện {} đã dùng cho một sự kiện khác (luồng {}, phiên bản {})",
                event.id, stored.stream, stored.revision
            ));
        }
        result = Some(AppendResult { revision: stored.revision, position: stored.position });
    }
    match (first_revision, result) {
        (Some(first_revision), Some(result)) => Written::Same { first_revision, result },
        _ => Written::None,
    }
}

/// A refused request (its expected revision did not hold: `conflict`; or an id exists
/// already: `None`): the original result when it is a retry of an append already written
/// where it would have been, else the refusal.
pub(crate) fn retry_or_refuse(
    request: &PreparedAppend,
    written: Written,
    conflict: Option<StoreError>,
) -> Result<AppendResult, StoreError> {
    match (written, conflict) {
        (Written::Same { first_revision, result }, _) if retry_matches(request.expected, first_revision) => Ok(result),
        (_, Some(error)) => Err(error),
        (Written::Same { first_revision, .. }, None) => Err(StoreError::Invalid(format!(
            "các sự kiện này đã có trong luồng {} từ phiên bản {first_revision}",
            request.stream
        ))),
        (Written::Other(detail), None) => Err(StoreError::Invalid(detail)),
        (Written::None, None) => Err(StoreError::Invalid("mã sự kiện đã tồn tại".into())),
    }
}

//! Validation and serialisation of an append, done on the caller's task so that a
//! backend's writer only hashes and inserts; shared by every backend, so that the same
//! request stores the same bytes and chain values everywhere.

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

use crate::chain::{self, CanonicalEvent};
use crate::{EventData, ExpectedRevision, StoreError};

/// Longest stream name, in bytes.
pub(crate) const MAX_STREAM_BYTES: usize = 1024;
/// Largest data or metadata of one event, as canonical JSON, in bytes.
pub(crate) const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

/// An append request ready for the writer.
pub(crate) struct PreparedAppend {
    pub stream: String,
    /// Canonical JSON string of the stream name.
    pub stream_json: Vec<u8>,
    pub expected: ExpectedRevision,
    pub events: Vec<PreparedEvent>,
}

impl PreparedAppend {
    /// Approximate size in bytes (to bound a batch).
    pub fn weight(&self) -> usize {
        self.events.iter().map(|e| e.data.len() + e.metadata.len()).sum()
    }
}

/// One event, serialised.
pub(crate) struct PreparedEvent {
    /// Lowercase hyphenated UUID.
    pub id: String,
    pub event_type: String,
    /// RFC 8785 string of the event type (chain format 2).
    pub event_type_json: Vec<u8>,
    /// Canonical JSON (format 1) of the data: the stored text, exact integers.
    pub data: String,
    /// RFC 8785 of the data, what the chain covers; `None` when it is the same bytes as
    /// `data` ([`chain::jcs_is_canonical`]: the usual case).
    pub data_jcs: Option<Vec<u8>>,
    /// Canonical JSON (format 1) of the metadata without `chain`, with `chain_format`.
    pub metadata: String,
    /// RFC 8785 of the same metadata, what the chain covers; `None` when it is the same
    /// bytes as `metadata`.
    pub metadata_jcs: Option<Vec<u8>>,
}

impl PreparedEvent {
    /// The pieces the chain (format [`chain::CURRENT_FORMAT`]) covers.
    pub fn canonical<'a>(&'a self, stream_json: &'a [u8]) -> CanonicalEvent<'a> {
        CanonicalEvent {
            data: self.data_jcs.as_deref().unwrap_or(self.data.as_bytes()),
            event_type: &self.event_type_json,
            id: self.id.as_bytes(),
            metadata: self.metadata_jcs.as_deref().unwrap_or(self.metadata.as_bytes()),
            stream: stream_json,
        }
    }

    /// The metadata text to store: the canonical metadata with `"chain"` first.
    pub fn stored_metadata(&self, chain: &str) -> String {
        let rest = &self.metadata[1..];
        let separator = if rest == "}" { "" } else { "," };
        format!("{{\"{}\":\"{chain}\"{separator}{rest}", chain::CHAIN_KEY)
    }
}

/// An append on its way to a backend's writer.
pub(crate) struct AppendRequest {
    pub request: PreparedAppend,
    pub reply: crate::answer::ReplySender,
}

/// Appends to several streams that commit together or not at all.
pub(crate) struct GroupRequest {
    pub requests: Vec<PreparedAppend>,
    pub reply: tokio::sync::oneshot::Sender<Result<Vec<crate::AppendResult>, StoreError>>,
}

/// A recorded history to append as it is (`dondoc migrate` to a file).
pub(crate) struct ImportRequest {
    /// The number of events the log must hold before.
    pub after: u64,
    pub events: Vec<crate::RecordedEvent>,
    pub reply: tokio::sync::oneshot::Sender<Result<u64, StoreError>>,
}

/// What a backend's writer receives.
pub(crate) enum Job {
    Append(AppendRequest),
    Group(GroupRequest),
    /// Only the SQLite writer takes these (PostgreSQL imports in a transaction of its own).
    Import(ImportRequest),
}

/// An append prepared on the caller's task and handed to a writer through `send` (the
/// SQL backends' job queues): the writer's answer.
pub(crate) async fn submit_append(
    send: impl FnOnce(Job) -> Result<(), StoreError>,
    stream: &str,
    expected: ExpectedRevision,
    events: Vec<EventData>,
) -> Result<crate::AppendResult, StoreError> {
    let request = prepare(stream, expected, events)?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    send(Job::Append(AppendRequest { request, reply }))?;
    answer.await.map_err(|_| StoreError::Closed)?.into_result()
}

/// A group prepared on the caller's task and handed to a writer through `send`.
pub(crate) async fn submit_group(
    send: impl FnOnce(Job) -> Result<(), StoreError>,
    appends: Vec<crate::StreamAppend>,
) -> Result<Vec<crate::AppendResult>, StoreError> {
    if appends.is_empty() {
        return Ok(Vec::new());
    }
    let requests =
        appends.into_iter().map(|a| prepare(&a.stream, a.expected, a.events)).collect::<Result<Vec<_>, _>>()?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    send(Job::Group(GroupRequest { requests, reply }))?;
    answer.await.map_err(|_| StoreError::Closed)?
}

/// Checks and serialises an append.
pub(crate) fn prepare(
    stream: &str,
    expected: ExpectedRevision,
    events: Vec<EventData>,
) -> Result<PreparedAppend, StoreError> {
    check_stream(stream)?;
    if events.is_empty() {
        return Err(StoreError::Invalid("không có sự kiện nào để ghi".into()));
    }
    let mut seen = HashSet::with_capacity(events.len());
    let events = events
        .into_iter()
        .map(|event| {
            if !seen.insert(event.id) {
                return Err(StoreError::Invalid(format!("mã sự kiện {} lặp lại trong cùng một yêu cầu", event.id)));
            }
            prepare_event(event)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let stream_json = chain::jcs_string(stream);
    Ok(PreparedAppend { stream: stream.to_owned(), stream_json, expected, events })
}

fn check_stream(stream: &str) -> Result<(), StoreError> {
    if stream.is_empty() {
        return Err(StoreError::Invalid("tên luồng trống".into()));
    }
    if stream.len() > MAX_STREAM_BYTES {
        return Err(StoreError::Invalid(format!("tên luồng dài quá {MAX_STREAM_BYTES} byte")));
    }
    Ok(())
}

fn prepare_event(event: EventData) -> Result<PreparedEvent, StoreError> {
    let id = event.id;
    if id.is_nil() {
        return Err(StoreError::Invalid("mã sự kiện không được là UUID rỗng".into()));
    }
    if event.event_type.is_empty() {
        return Err(StoreError::Invalid(format!("sự kiện {id} không có loại")));
    }
    if !event.data.is_object() {
        return Err(StoreError::Invalid(format!("dữ liệu của sự kiện {id} phải là một đối tượng JSON")));
    }
    let mut metadata = match event.metadata {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(map) => Value::Object(map),
        _ => return Err(StoreError::Invalid(format!("siêu dữ liệu của sự kiện {id} phải là một đối tượng JSON"))),
    };
    if let Value::Object(map) = &mut metadata {
        map.insert(chain::FORMAT_KEY.to_owned(), Value::from(chain::CURRENT_FORMAT));
    }
    let metadata_text = chain::canonical_metadata(&metadata);
    let data = chain::canonical_json(&event.data);
    if data.len() > MAX_EVENT_BYTES || metadata_text.len() > MAX_EVENT_BYTES {
        return Err(StoreError::Invalid(format!("sự kiện {id} lớn quá {MAX_EVENT_BYTES} byte")));
    }
    let event_type_json = chain::jcs_string(&event.event_type);
    Ok(PreparedEvent {
        id: hyphenated(&id),
        event_type: event.event_type,
        event_type_json,
        data_jcs: (!chain::jcs_is_canonical(&event.data)).then(|| chain::jcs(&event.data)),
        data,
        metadata_jcs: (!chain::jcs_is_canonical(&metadata)).then(|| chain::jcs_metadata(&metadata)),
        metadata: metadata_text,
    })
}

fn hyphenated(id: &Uuid) -> String {
    id.hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(data: Value, metadata: Value) -> EventData {
        EventData { id: Uuid::from_u128(1), event_type: "T".into(), data, metadata }
    }

    #[test]
    fn stored_metadata_puts_chain_first() {
        let p = prepare("s", ExpectedRevision::Any, vec![event(json!({}), Value::Null)]).unwrap();
        assert_eq!(p.events[0].stored_metadata("ab"), r#"{"chain":"ab","chain_format":2}"#);
        let p = prepare("s", ExpectedRevision::Any, vec![event(json!({}), json!({"z": 1, "chain": "x"}))]).unwrap();
        assert_eq!(p.events[0].stored_metadata("ab"), r#"{"chain":"ab","chain_format":2,"z":1}"#);
    }

    #[test]
    fn refuses_invalid_requests() {
        let invalid = |r: Result<PreparedAppend, StoreError>| matches!(r, Err(StoreError::Invalid(_)));
        assert!(invalid(prepare("", ExpectedRevision::Any, vec![event(json!({}), Value::Null)])));
        assert!(invalid(prepare("s", ExpectedRevision::Any, vec![])));
        assert!(invalid(prepare("s", ExpectedRevision::Any, vec![event(json!([1]), Value::Null)])));
        assert!(invalid(prepare("s", ExpectedRevision::Any, vec![event(json!({}), json!("m"))])));
        let twice = vec![event(json!({}), Value::Null), event(json!({}), Value::Null)];
        assert!(invalid(prepare("s", ExpectedRevision::Any, twice)));
        let nil = EventData { id: Uuid::nil(), ..event(json!({}), Value::Null) };
        assert!(invalid(prepare("s", ExpectedRevision::Any, vec![nil])));
    }
}

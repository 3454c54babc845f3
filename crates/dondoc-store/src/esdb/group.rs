//! Group appends on a server whose appends are atomic per stream only.
//!
//! A group is written in three steps:
//!
//! 1. **Check.** Every part's stream is read: a part whose expected revision does not
//!    hold refuses the whole group before anything is written (a retried group whose
//!    parts are all stored already returns their results).
//! 2. **Intent (the commit point).** The whole group (each part's stream, the revision it
//!    was checked at, and its events) is written to a stream of its own,
//!    `_dondoc-group-<id>`, in chunks below the server's append size limit, and then
//!    `GroupCommitted` is appended to `_dondoc-groups`. Before that event the group did
//!    not happen; after it, it will happen entirely.
//! 3. **Roll forward.** Each part is appended in order, with the revision it was checked
//!    at; a part already stored (found by its event ids) is not written again. Then
//!    `GroupApplied` is appended to `_dondoc-groups`.
//!
//! A process that dies between 2 and 3 leaves a committed, unapplied group: whoever
//! connects next ([`finish_pending`]) rolls it forward. Until then the parts not yet
//! written are not visible: the group is atomic for crashes, not for readers in that
//! instant. A single-stream append by another daemon to one of the group's streams
//! between 1 and 3 makes that part land after it (its chain recomputed on the new head):
//! nothing is lost or written twice, but the part was not checked against that event.
//! With one daemon writing (the default), that cannot happen.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{EsdbStore, INTERNAL_PREFIX, hidden, write};
use crate::prepare::{self, PreparedAppend};
use crate::rules;
use crate::{AppendResult, Direction, EventData, ExpectedRevision, StoreError, StreamAppend, StreamStart};

/// The stream of group commit and applied markers.
pub const GROUPS_STREAM: &str = "_dondoc-groups";
/// Largest intent chunk (data bytes), well below the server's 1 MiB append limit.
const CHUNK_BYTES: usize = 512 * 1024;
/// How many recent markers are looked at for unfinished groups.
const RECENT_MARKERS: usize = 1000;

#[derive(Serialize, Deserialize)]
struct IntentEvent {
    id: Uuid,
    event_type: String,
    data: Value,
    metadata: Value,
}

#[derive(Serialize, Deserialize)]
struct IntentPart {
    /// Index of the part in the group.
    index: usize,
    stream: String,
    /// The revision the stream was checked at (`None`: it did not exist).
    head: Option<u64>,
    events: Vec<IntentEvent>,
}

#[derive(Serialize, Deserialize)]
struct Marker {
    group: Uuid,
    chunks: usize,
}

fn group_stream(group: Uuid) -> String {
    format!("{INTERNAL_PREFIX}group-{group}")
}

/// Appends every part or none (see the module documentation).
pub(super) async fn append_group(
    store: &EsdbStore,
    appends: Vec<StreamAppend>,
) -> Result<Vec<AppendResult>, StoreError> {
    if appends.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::with_capacity(appends.len());
    for (index, append) in appends.into_iter().enumerate() {
        if hidden(&append.stream) {
            return Err(StoreError::Invalid(format!("tên luồng {} dành cho hệ thống", append.stream)));
        }
        let events = append.events.clone();
        let request = prepare::prepare(&append.stream, append.expected, append.events)?;
        parts.push((index, request, events));
    }
    // 1. Check.
    let mut heads = Vec::with_capacity(parts.len());
    let mut stored = Vec::new();
    for (_, request, _) in &parts {
        let tail =
            store.read_raw(&request.stream, Direction::Backwards, StreamStart::End, request.events.len() + 1).await?;
        let head = tail.first().map(|e| e.revision);
        let first = Uuid::parse_str(&request.events[0].id).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if let Some(found) = tail.iter().find(|e| e.id == first) {
            // Written by an earlier attempt: the part's own last event, and where it began.
            let last = tail.iter().find(|e| e.revision == found.revision + request.events.len() as u64 - 1);
            if let Some(last) = last {
                stored.push(AppendResult { revision: last.revision, position: last.position });
            }
            heads.push(found.revision.checked_sub(1));
            continue;
        }
        if !rules::expectation_holds(request.expected, head) {
            return Err(rules::conflict(request, head));
        }
        heads.push(head);
    }
    if stored.len() == parts.len() {
        return Ok(stored);
    }
    // 2. Intent.
    let group = Uuid::new_v4();
    let intent: Vec<IntentPart> = parts
        .iter()
        .zip(&heads)
        .map(|((index, request, events), head)| IntentPart {
            index: *index,
            stream: request.stream.clone(),
            head: *head,
            events: events
                .iter()
                .map(|e| IntentEvent {
                    id: e.id,
                    event_type: e.event_type.clone(),
                    data: e.data.clone(),
                    metadata: e.metadata.clone(),
                })
                .collect(),
        })
        .collect();
    let chunks = write_intent(store, group, &intent).await?;
    internal_append(store, GROUPS_STREAM, "GroupCommitted", &Marker { group, chunks }).await?;
    // 3. Roll forward.
    let mut results = Vec::with_capacity(parts.len());
    for ((_, request, _), head) in parts.iter().zip(heads) {
        results.push(apply_part(store, request, head).await?);
    }
    internal_append(store, GROUPS_STREAM, "GroupApplied", &Marker { group, chunks }).await?;
    Ok(results)
}

/// Writes the intent in chunks: how many.
async fn write_intent(store: &EsdbStore, group: Uuid, intent: &[IntentPart]) -> Result<usize, StoreError> {
    let stream = group_stream(group);
    let mut chunks: Vec<Vec<&IntentPart>> = vec![Vec::new()];
    let mut size = 0;
    for part in intent {
        let bytes = serde_json::to_vec(part).map_err(|e| StoreError::Invalid(e.to_string()))?.len();
        if bytes > CHUNK_BYTES {
            return Err(StoreError::Invalid(format!(
                "phần ghi vào luồng {} lớn quá {CHUNK_BYTES} byte cho một lần ghi nhóm trên EventStoreDB",
                part.stream
            )));
        }
        if size + bytes > CHUNK_BYTES {
            chunks.push(Vec::new());
            size = 0;
        }
        size += bytes;
        chunks.last_mut().expect("one chunk at least").push(part);
    }
    for chunk in &chunks {
        internal_append(store, &stream, "GroupIntent", chunk).await?;
    }
    Ok(chunks.len())
}

/// Appends `request` where its stream was checked, unless it is there already; after a
/// racing write, at the new head.
async fn apply_part(
    store: &EsdbStore,
    request: &PreparedAppend,
    checked: Option<u64>,
) -> Result<AppendResult, StoreError> {
    let origin = checked.map_or(0, |h| h + 1);
    let first = request.events[0].id.as_str();
    let mut head = checked;
    for _ in 0..64 {
        let after = store.read_raw(&request.stream, Direction::Forwards, StreamStart::Revision(origin), 4096).await?;
        if let Some(at) = after.iter().position(|e| e.id.hyphenated().to_string() == first) {
            let last = after.get(at + request.events.len() - 1).unwrap_or(&after[at]);
            return Ok(AppendResult { revision: last.revision, position: last.position });
        }
        let prev = match head {
            Some(h) => store
                .read_raw(&request.stream, Direction::Forwards, StreamStart::Revision(h), 1)
                .await?
                .first()
                .and_then(|e| crate::chain::chain_of(e).map(str::to_owned)),
            None => None,
        };
        match write::write_at(store, request, head, prev.as_deref()).await? {
            Ok(result) => return Ok(result),
            Err(actual) => head = actual,
        }
    }
    Err(StoreError::Backend(format!("không hoàn tất được phần ghi nhóm vào luồng {}", request.stream)))
}

/// Appends one bookkeeping event (no chain: these streams are not the log).
async fn internal_append<T: Serialize>(
    store: &EsdbStore,
    stream: &str,
    event_type: &str,
    data: &T,
) -> Result<(), StoreError> {
    let event = kurrentdb::EventData::json(event_type, data)
        .map_err(|e| StoreError::Invalid(e.to_string()))?
        .id(Uuid::new_v4());
    let options = &kurrentdb::AppendToStreamOptions::default();
    store
        .with_retry(|client| {
            let event = event.clone();
            async move { client.append_to_stream(stream, options, event).await.map(|_| ()) }
        })
        .await
}

/// Rolls forward every recent group that was committed and not applied (a writer died
/// in between).
pub(super) async fn finish_pending(store: &EsdbStore) -> Result<usize, StoreError> {
    let markers = store.read_raw(GROUPS_STREAM, Direction::Backwards, StreamStart::End, RECENT_MARKERS).await?;
    let mut applied = std::collections::HashSet::new();
    let mut pending = Vec::new();
    for event in &markers {
        let Ok(marker) = serde_json::from_value::<Marker>(event.data.clone()) else { continue };
        match event.event_type.as_str() {
            "GroupApplied" => {
                applied.insert(marker.group);
            }
            "GroupCommitted" if !applied.contains(&marker.group) => pending.push(marker),
            _ => {}
        }
    }
    pending.reverse();
    let count = pending.len();
    for marker in pending {
        let chunks =
            store.read_raw(&group_stream(marker.group), Direction::Forwards, StreamStart::Start, marker.chunks).await?;
        let mut parts: Vec<IntentPart> = Vec::new();
        for chunk in chunks {
            let chunk: Vec<IntentPart> = serde_json::from_value(chunk.data).map_err(|e| StoreError::Integrity {
                check: "ghi nhóm".into(),
                detail: format!("ý định ghi nhóm {} không đọc được: {e}", marker.group),
            })?;
            parts.extend(chunk);
        }
        parts.sort_by_key(|p| p.index);
        for part in parts {
            let events: Vec<EventData> = part
                .events
                .into_iter()
                .map(|e| EventData { id: e.id, event_type: e.event_type, data: e.data, metadata: e.metadata })
                .collect();
            let expected = part.head.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
            let request = prepare::prepare(&part.stream, expected, events)?;
            apply_part(store, &request, part.head).await?;
        }
        internal_append(store, GROUPS_STREAM, "GroupApplied", &marker).await?;
    }
    Ok(count)
}

/// For tests of the crash path: commits a group's intent and stops, as a writer that died
/// right after its commit point.
#[doc(hidden)]
pub async fn commit_intent_only(store: &EsdbStore, appends: Vec<StreamAppend>) -> Result<(), StoreError> {
    let group = Uuid::new_v4();
    let mut intent = Vec::new();
    for (index, append) in appends.into_iter().enumerate() {
        let head = store
            .read_raw(&append.stream, Direction::Backwards, StreamStart::End, 1)
            .await?
            .first()
            .map(|e| e.revision);
        let events = append
            .events
            .into_iter()
            .map(|e| IntentEvent { id: e.id, event_type: e.event_type, data: e.data, metadata: e.metadata })
            .collect();
        intent.push(IntentPart { index, stream: append.stream, head, events });
    }
    let chunks = write_intent(store, group, &intent).await?;
    internal_append(store, GROUPS_STREAM, "GroupCommitted", &Marker { group, chunks }).await
}

/// Rolls forward unfinished groups now (what [`EsdbStore::connect`] does).
pub async fn finish_pending_groups(store: &EsdbStore) -> Result<usize, StoreError> {
    finish_pending(store).await
}

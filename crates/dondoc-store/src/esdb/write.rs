//! One stream's append: read where the stream stands (the previous event's chain, and
//! whether the request was already written), compute the chains, append with the exact
//! revision the chains were computed on.
//!
//! A stream this handle wrote last is not read first: its head (revision and chain) is
//! remembered, and the append is sent expecting that revision. If someone else wrote
//! since, the server refuses it (nothing is written) and the append takes the reading
//! path; a chain can never follow a wrong event, since the server checks the revision it
//! was computed on.
//!
//! `Any` and `StreamExists` are sent as the revision that was read: if another writer got
//! in between, the server refuses, and the append is decided again on the new head, so
//! that the chain always follows the event it was computed after. `NoStream` and an exact
//! revision go to the server as they are: its refusal is the caller's conflict.

use kurrentdb::{AppendToStreamOptions, CurrentRevision, StreamState};

use super::{EsdbStore, codec};
use crate::prepare::PreparedAppend;
use crate::rules::{self, StoredEvent, Written};
use crate::{AppendResult, Direction, ExpectedRevision, RecordedEvent, StoreError, StreamStart};

/// How often an `Any`/`StreamExists` append is decided again after losing a race.
const RACES: usize = 16;

/// Appends `request` to its stream.
pub(super) async fn append(store: &EsdbStore, request: &PreparedAppend) -> Result<AppendResult, StoreError> {
    if let Some((head, chain)) = store.known_head(&request.stream)
        && rules::expectation_holds(request.expected, Some(head))
    {
        match write_at(store, request, Some(head), Some(&chain)).await? {
            Ok(result) => return Ok(result),
            // Someone else wrote (or this is a retry of an append that was written).
            Err(_) => store.forget_head(&request.stream),
        }
    }
    for race in 0..RACES {
        if race > 0 {
            lost_race(race).await;
        }
        let tail =
            store.read_raw(&request.stream, Direction::Backwards, StreamStart::End, request.events.len() + 1).await?;
        let head = tail.first().map(|e| e.revision);
        if let Some(done) = already_written(store, request, &tail, head).await? {
            return done;
        }
        if !rules::expectation_holds(request.expected, head) {
            return Err(rules::conflict(request, head));
        }
        let prev = tail.first().and_then(|e| crate::chain::chain_of(e).map(str::to_owned));
        match write_at(store, request, head, prev.as_deref()).await? {
            Ok(result) => return Ok(result),
            Err(actual) => match request.expected {
                ExpectedRevision::Any | ExpectedRevision::StreamExists => continue,
                _ => return Err(rules::conflict(request, actual)),
            },
        }
    }
    Err(StoreError::Backend(format!("luồng {} thay đổi liên tục, không ghi được sau {RACES} lần", request.stream)))
}

/// A short pause after losing the race for a stream's head, longer with each race lost,
/// with jitter: writers racing on one stream spread out instead of meeting again at once
/// (without it, 8 writers on 3 streams could lose 16 races in a row).
async fn lost_race(race: usize) {
    let cap = 1u64 << race.min(5);
    tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(0..=cap))).await;
}

/// Sends the events with chains following `prev`, expecting the stream at `head`: the
/// result, or the server's current revision when it refused.
pub(super) async fn write_at(
    store: &EsdbStore,
    request: &PreparedAppend,
    head: Option<u64>,
    prev: Option<&str>,
) -> Result<Result<AppendResult, Option<u64>>, StoreError> {
    let mut prev = prev.map(str::to_owned);
    let mut events = Vec::with_capacity(request.events.len());
    for (revision, event) in (head.map_or(0, |h| h + 1)..).zip(&request.events) {
        let chain = event.canonical(&request.stream_json).chain(prev.as_deref(), revision);
        events.push(codec::event_data(event, &chain)?);
        prev = Some(chain);
    }
    let last_chain = prev.unwrap_or_default();
    let state = head.map_or(StreamState::NoStream, StreamState::StreamRevision);
    let options = &AppendToStreamOptions::default().stream_state(state);
    let stream = request.stream.as_str();
    let outcome = store
        .with_retry(|client| {
            let events = events.clone();
            async move {
                match client.append_to_stream(stream, options, events).await {
                    Ok(written) => Ok(Ok(AppendResult {
                        revision: written.next_expected_version,
                        position: written.position.commit,
                    })),
                    Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => Ok(Err(match current {
                        CurrentRevision::Current(r) => Some(r),
                        CurrentRevision::NoStream => None,
                    })),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
    if let Ok(result) = &outcome {
        store.remember_head(&request.stream, result.revision, last_chain);
    }
    Ok(outcome)
}

/// When the request's first id is stored already: the original result (a retry) or the
/// refusal the shared rules give.
async fn already_written(
    store: &EsdbStore,
    request: &PreparedAppend,
    tail: &[RecordedEvent],
    head: Option<u64>,
) -> Result<Option<Result<AppendResult, StoreError>>, StoreError> {
    let first = &request.events[0].id;
    let mut found: Vec<RecordedEvent> =
        tail.iter().rev().skip_while(|e| e.id.hyphenated().to_string() != *first).cloned().collect();
    if found.is_empty()
        && let ExpectedRevision::Exact(n) = request.expected
        && head.is_some_and(|h| h > n)
    {
        // Written where expected, with other events after it.
        found = store
            .read_raw(&request.stream, Direction::Forwards, StreamStart::Revision(n + 1), request.events.len())
            .await?;
        if found.first().map(|e| e.id.hyphenated().to_string()).as_ref() != Some(first) {
            return Ok(None);
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    let stored: Vec<Option<StoredEvent>> = request
        .events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            found.get(i).filter(|e| e.id.hyphenated().to_string() == event.id).map(|e| StoredEvent {
                stream: e.stream.clone(),
                revision: e.revision,
                position: e.position,
                event_type: e.event_type.clone(),
                metadata: e.metadata.to_string(),
                data: crate::chain::canonical_json(&e.data),
            })
        })
        .collect();
    let written: Written = rules::written(request, stored);
    let conflict = (!rules::expectation_holds(request.expected, head)).then(|| rules::conflict(request, head));
    Ok(Some(rules::retry_or_refuse(request, written, conflict)))
}

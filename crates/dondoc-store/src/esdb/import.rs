//! Copying a history in (`dondoc migrate --to esdb://…`): events as another store
//! recorded them, appended in the order given with their ids, streams, revisions, data and
//! metadata (chain values included) as they are: nothing is recomputed, so the copy
//! verifies exactly when the original did. Positions and `recorded_at` are the server's
//! own (`$all` positions; its `created` stamp); the events' own times are in their data.

use bytes::Bytes;
use kurrentdb::{AppendToStreamOptions, StreamState};
use serde_json::value::RawValue;

use super::EsdbStore;
use crate::{EventStore, RecordedEvent, StoreError, chain};

impl EsdbStore {
    /// Appends `events` in order, each run of one stream's consecutive events in one
    /// append expecting the revision before the run's first: refused, writing nothing
    /// more, when a stream is not where the copy expects it (another writer, another
    /// history).
    pub async fn import_recorded(&self, events: &[RecordedEvent]) -> Result<(), StoreError> {
        let mut start = 0;
        while start < events.len() {
            let stream = &events[start].stream;
            let end = start + events[start..].iter().take_while(|e| &e.stream == stream).count();
            let run = &events[start..end];
            let mut data = Vec::with_capacity(run.len());
            for e in run {
                let raw = RawValue::from_string(chain::canonical_json(&e.data))
                    .map_err(|err| StoreError::Invalid(format!("sự kiện {}: {err}", e.id)))?;
                let event = kurrentdb::EventData::json(e.event_type.clone(), &raw)
                    .map_err(|err| StoreError::Invalid(format!("sự kiện {}: {err}", e.id)))?
                    .id(e.id)
                    .metadata(Bytes::from(chain::canonical_json(&e.metadata)));
                data.push(event);
            }
            let first = run[0].revision;
            let state = first.checked_sub(1).map_or(StreamState::NoStream, StreamState::StreamRevision);
            let options = &AppendToStreamOptions::default().stream_state(state);
            let written = self
                .with_retry(|client| {
                    let data = data.clone();
                    async move {
                        match client.append_to_stream(stream.as_str(), options, data).await {
                            Ok(_) => Ok(Ok(())),
                            Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => Ok(Err(current)),
                            Err(e) => Err(e),
                        }
                    }
                })
                .await?;
            if let Err(current) = written {
                return Err(StoreError::Invalid(format!(
                    "luồng {stream} trên kho đích ở phiên bản {current}, không phải ngay trước {first}: kho đích có lịch sử khác hoặc có nơi khác đang ghi"
                )));
            }
            start = end;
        }
        Ok(())
    }

    /// The number of events in the log (read through).
    pub async fn count_events(&self) -> Result<u64, StoreError> {
        let (mut n, mut after) = (0u64, None);
        loop {
            let page = self.read_all(after, 4096).await?;
            let Some(last) = page.last() else { return Ok(n) };
            n += page.len() as u64;
            after = Some(last.position);
        }
    }
}

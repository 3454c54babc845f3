//! dondoc's events as EventStoreDB events and back: the data is its canonical JSON text
//! (`content-type: application/json`), the custom metadata is our metadata with its
//! `chain`, the event id is ours, and `recorded_at` is the server's `created` stamp
//! (100-nanosecond ticks since the Unix epoch).

use chrono::{DateTime, Utc};
use kurrentdb::ResolvedEvent;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::RecordedEvent;
use crate::prepare::PreparedEvent;

/// The event to send, with its chain value.
pub(super) fn event_data(event: &PreparedEvent, chain: &str) -> Result<kurrentdb::EventData, crate::StoreError> {
    let raw = RawValue::from_string(event.data.clone())
        .map_err(|e| crate::StoreError::Invalid(format!("dữ liệu của sự kiện {}: {e}", event.id)))?;
    let id = uuid::Uuid::parse_str(&event.id).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    let data = kurrentdb::EventData::json(event.event_type.clone(), &raw)
        .map_err(|e| crate::StoreError::Invalid(format!("dữ liệu của sự kiện {}: {e}", event.id)))?;
    Ok(data.id(id).metadata(bytes::Bytes::from(event.stored_metadata(chain))))
}

/// A read event as dondoc's; a payload that is not JSON is an integrity error.
pub(super) fn recorded(resolved: ResolvedEvent) -> Result<RecordedEvent, kurrentdb::Error> {
    let event = resolved.event.or(resolved.link).ok_or(kurrentdb::Error::InternalClientError)?;
    let parse = |bytes: &[u8], what: &str| -> Result<Value, kurrentdb::Error> {
        if bytes.is_empty() {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(bytes).map_err(|e| {
            kurrentdb::Error::InternalParsingError(format!(
                "{what} của sự kiện {} ({}@{}) không phải JSON: {e}",
                event.id,
                event.stream_id(),
                event.revision
            ))
        })
    };
    let data = parse(&event.data, "dữ liệu")?;
    let metadata = parse(&event.custom_metadata, "siêu dữ liệu")?;
    Ok(RecordedEvent {
        id: event.id,
        stream: event.stream_id().to_owned(),
        revision: event.revision,
        position: event.position.commit,
        event_type: event.event_type.clone(),
        data,
        metadata,
        recorded_at: created(event.metadata.get("created").map(String::as_str)).unwrap_or(event.created),
    })
}

/// The server's `created` stamp at its full precision.
fn created(ticks: Option<&str>) -> Option<DateTime<Utc>> {
    let ticks: i64 = ticks?.parse().ok()?;
    DateTime::from_timestamp(ticks.div_euclid(10_000_000), (ticks.rem_euclid(10_000_000) * 100) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_ticks_keep_their_precision() {
        // 2026-12-06T10:00:00.1234567Z in 100 ns ticks since the Unix epoch.
        let at = created(Some("17965512001234567")).unwrap();
        assert_eq!(at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), "2026-12-06T10:00:00.123456700Z");
        assert_eq!(created(Some("x")), None);
    }
}

//! Events of the streams that are not a task's (plans, agencies, contacts, silences,
//! summaries): serde enums tagged `{"type": ..., "data": ...}`, stored as the type name and
//! the data object.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// An event stored as (type name, data).
pub trait StreamEvent: Serialize + DeserializeOwned {
    /// The stored type name of this event.
    fn event_type(&self) -> &'static str;

    /// Type name and JSON data, as stored.
    fn encode(&self) -> (&'static str, Value) {
        let data = match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => m.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (self.event_type(), data)
    }

    /// Reads a stored event.
    fn decode(event_type: &str, data: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "type": event_type, "data": data }))
    }
}

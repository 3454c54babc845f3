//! The record of weekly summaries sent to leadership (stream [`SUMMARY_STREAM`]): which
//! week went to whom on which channel, so a restart or a replayed window never sends a
//! week's summary twice, and failures stay visible.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Channel;

/// The stream of summary events.
pub const SUMMARY_STREAM: &str = "summaries";

/// Summary events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SummaryEvent {
    /// `week` is the key of the week's last day ("2025-W40").
    SummaryDelivered {
        week: String,
        recipient: String,
        channel: Channel,
        message_id: String,
        at: DateTime<Utc>,
    },
    SummaryFailed {
        week: String,
        recipient: String,
        channel: Channel,
        error: String,
        at: DateTime<Utc>,
    },
}

impl crate::stream_event::StreamEvent for SummaryEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SummaryEvent::SummaryDelivered { .. } => "SummaryDelivered",
            SummaryEvent::SummaryFailed { .. } => "SummaryFailed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    #[test]
    fn round_trips() {
        let e = SummaryEvent::SummaryDelivered {
            week: "2025-W40".into(),
            recipient: "c001".into(),
            channel: Channel::Email,
            message_id: "m".into(),
            at: DateTime::parse_from_rfc3339("2025-09-29T00:30:00Z").unwrap().with_timezone(&Utc),
        };
        let (t, d) = e.encode();
        assert_eq!(SummaryEvent::decode(t, d).unwrap(), e);
    }
}

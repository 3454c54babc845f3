//! The record of summaries sent (stream [`SUMMARY_STREAM`]): which edition (a week's
//! summary, a day's digest) went to whom on which channel, so a restart or a replayed
//! window never sends an edition twice to one person, and failures stay visible.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Channel;

/// The stream of summary events.
pub const SUMMARY_STREAM: &str = "summaries";

/// Summary events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SummaryEvent {
    SummaryDelivered {
        /// The edition ([`edition_of_week`], [`edition_of_day`]); stored as `week`.
        #[serde(rename = "week")]
        edition: String,
        recipient: String,
        channel: Channel,
        message_id: String,
        at: DateTime<Utc>,
    },
    SummaryFailed {
        #[serde(rename = "week")]
        edition: String,
        recipient: String,
        channel: Channel,
        error: String,
        at: DateTime<Utc>,
        /// The channel itself was at fault (its configuration), not this person's address:
        /// not counted against the person's attempts.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        channel_fault: bool,
    },
}

/// The edition of a weekly summary: the week's first day ("2025-11-17").
pub fn edition_of_week(week_from: chrono::NaiveDate) -> String {
    week_from.format("%Y-%m-%d").to_string()
}

/// The edition of the secretariat's report of failed deliveries for the week starting
/// `week_from` ("delivery-2025-11-17").
pub fn edition_of_delivery_report(week_from: chrono::NaiveDate) -> String {
    format!("delivery-{}", edition_of_week(week_from))
}

/// The edition of a daily digest ("daily-2025-09-03").
pub fn edition_of_day(day: chrono::NaiveDate) -> String {
    format!("daily-{day}")
}

impl SummaryEvent {
    /// The edition the event is about.
    pub fn edition(&self) -> &str {
        match self {
            SummaryEvent::SummaryDelivered { edition, .. } | SummaryEvent::SummaryFailed { edition, .. } => edition,
        }
    }
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
            edition: "2025-W40".into(),
            recipient: "c001".into(),
            channel: Channel::Email,
            message_id: "m".into(),
            at: DateTime::parse_from_rfc3339("2025-09-29T00:30:00Z").unwrap().with_timezone(&Utc),
        };
        let (t, d) = e.encode();
        assert_eq!(d["week"], "2025-W40", "stored as in schema version 1");
        assert_eq!(SummaryEvent::decode(t, d).unwrap(), e);
    }
}

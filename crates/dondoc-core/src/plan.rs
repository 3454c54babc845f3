//! Plan events: what dondoc knows of a plan itself (number, issuer, date, its headings),
//! on the stream `plan-<id>`, written with the task events of each import that changes it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The current schema version of plan events.
pub const PLAN_SCHEMA_VERSION: u16 = 1;

/// A heading row of the plan: it groups tasks and is not itself a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanGroup {
    pub code: String,
    pub tt: String,
    pub title: String,
    pub level: u8,
}

/// What the document says of the plan, and where it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// The date as printed, even when impossible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub groups: Vec<PlanGroup>,
}

/// Counts of an import's changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub added: u32,
    pub revised: u32,
    pub reassigned: u32,
    pub withdrawn: u32,
}

/// A plan event. The variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PlanEvent {
    /// The first import of a plan.
    PlanRegistered {
        plan: String,
        info: PlanInfo,
        /// The file imported (name) and its SHA-256.
        source: String,
        source_sha256: String,
        counts: ImportCounts,
    },
    /// A later import that changed something (a re-issued plan).
    PlanRevised { info: PlanInfo, source: String, source_sha256: String, counts: ImportCounts },
}

impl crate::stream_event::StreamEvent for PlanEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PlanEvent::PlanRegistered { .. } => "PlanRegistered",
            PlanEvent::PlanRevised { .. } => "PlanRevised",
        }
    }
}

impl PlanEvent {
    /// The plan's event stream.
    pub fn stream(plan: &str) -> String {
        format!("plan-{plan}")
    }

    /// What the plan says after this event.
    pub fn info(&self) -> &PlanInfo {
        match self {
            PlanEvent::PlanRegistered { info, .. } | PlanEvent::PlanRevised { info, .. } => info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    #[test]
    fn round_trip() {
        let e = PlanEvent::PlanRegistered {
            plan: "QN-2022".into(),
            info: PlanInfo { issuer: Some("UBND tỉnh Quảng Nam".into()), ..PlanInfo::default() },
            source: "qn.txt".into(),
            source_sha256: "ab".into(),
            counts: ImportCounts { added: 3, ..ImportCounts::default() },
        };
        let (t, data) = e.encode();
        assert_eq!(t, "PlanRegistered");
        assert_eq!(PlanEvent::decode(t, data).unwrap(), e);
    }
}

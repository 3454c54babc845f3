//! Silences, like Alertmanager's: mute reminders for a plan, an agency or a task during
//! a period (Tết, a reorganisation). Recorded on the stream [`SILENCE_STREAM`] and listed;
//! an expired silence stays in the history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The stream of silence events.
pub const SILENCE_STREAM: &str = "silences";

/// What a silence mutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SilenceScope {
    Plan { plan: String },
    Agency { agency: String },
    Task { plan: String, code: String },
}

impl SilenceScope {
    /// What is muted, in Vietnamese: "kế hoạch X", "cơ quan Y", "nhiệm vụ 01 (X)".
    pub fn label_vi(&self) -> String {
        match self {
            SilenceScope::Plan { plan } => format!("kế hoạch {plan}"),
            SilenceScope::Agency { agency } => format!("cơ quan {agency}"),
            SilenceScope::Task { plan, code } => format!("nhiệm vụ {code} ({plan})"),
        }
    }
}

/// A period without reminders (Tết, a reorganisation), like Alertmanager's silences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub scope: SilenceScope,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// Silence events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SilenceEvent {
    SilenceAdded {
        id: String,
        scope: SilenceScope,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        reason: String,
    },
    /// Ended early by someone.
    SilenceExpired {
        id: String,
        at: DateTime<Utc>,
        reason: String,
    },
}

impl crate::stream_event::StreamEvent for SilenceEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SilenceEvent::SilenceAdded { .. } => "SilenceAdded",
            SilenceEvent::SilenceExpired { .. } => "SilenceExpired",
        }
    }
}

/// A silence with its id and whether it was ended early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRecord {
    pub id: String,
    pub silence: Silence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<DateTime<Utc>>,
}

impl SilenceRecord {
    /// Whether it mutes reminders at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.silence.from <= now && now < self.silence.until
    }
}

/// Every silence ever recorded, folded (serialisable, so a read model can keep it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silences {
    records: Vec<SilenceRecord>,
}

impl Silences {
    pub fn apply(&mut self, event: &SilenceEvent) {
        match event {
            SilenceEvent::SilenceAdded { id, scope, from, until, reason } => self.records.push(SilenceRecord {
                id: id.clone(),
                silence: Silence { scope: scope.clone(), from: *from, until: *until, reason: reason.clone() },
                expired_at: None,
            }),
            SilenceEvent::SilenceExpired { id, at, .. } => {
                if let Some(r) = self.records.iter_mut().find(|r| r.id == *id) {
                    r.expired_at = Some(*at);
                    r.silence.until = r.silence.until.min(*at);
                }
            }
        }
    }

    /// The id the next silence gets ("s001", ...).
    pub fn next_id(&self) -> String {
        format!("s{:03}", self.records.len() + 1)
    }

    pub fn records(&self) -> &[SilenceRecord] {
        &self.records
    }

    pub fn get(&self, id: &str) -> Option<&SilenceRecord> {
        self.records.iter().find(|r| r.id == id)
    }

    /// The planner's input: every silence (the planner checks the period).
    pub fn for_planner(&self) -> Vec<Silence> {
        self.records.iter().map(|r| r.silence.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn expiring_ends_the_period_and_keeps_the_record() {
        let mut s = Silences::default();
        let added = SilenceEvent::SilenceAdded {
            id: s.next_id(),
            scope: SilenceScope::Plan { plan: "KH-1".into() },
            from: t("2026-02-10T00:00:00Z"),
            until: t("2026-02-25T00:00:00Z"),
            reason: "Tết".into(),
        };
        let (ty, data) = added.encode();
        s.apply(&SilenceEvent::decode(ty, data).unwrap());
        assert!(s.records()[0].is_active(t("2026-02-12T00:00:00Z")));
        s.apply(&SilenceEvent::SilenceExpired { id: "s001".into(), at: t("2026-02-15T00:00:00Z"), reason: "x".into() });
        assert!(!s.records()[0].is_active(t("2026-02-16T00:00:00Z")));
        assert_eq!(s.next_id(), "s002");
    }
}

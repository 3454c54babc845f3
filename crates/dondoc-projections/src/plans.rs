//! Each plan's own stream (`plan-<id>`): what the document says of the plan (number,
//! issuer, date, title, headings) after its latest import.

use std::collections::HashMap;

use dondoc_core::plan::{PlanEvent, PlanInfo};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::streams::{self, Fold};
use crate::{ProjectionError, Projections};

/// A plan as its stream says, after its latest event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    /// The plan id.
    pub plan: String,
    pub info: PlanInfo,
    /// The file of the latest import and its SHA-256.
    pub source: String,
    pub source_sha256: String,
}

impl PlanRecord {
    pub(crate) fn empty(plan: &str) -> PlanRecord {
        PlanRecord {
            plan: plan.to_string(),
            info: PlanInfo::default(),
            source: String::new(),
            source_sha256: String::new(),
        }
    }

    pub(crate) fn apply(&mut self, event: &PlanEvent) {
        let (PlanEvent::PlanRegistered { info, source, source_sha256, .. }
        | PlanEvent::PlanRevised { info, source, source_sha256, .. }) = event;
        self.info = info.clone();
        self.source = source.clone();
        self.source_sha256 = source_sha256.clone();
    }
}

impl Projections {
    /// A plan's record and the revision of its stream's last event, if it has a stream.
    pub fn plan(&self, plan: &str) -> Result<Option<(PlanRecord, u64)>, ProjectionError> {
        Ok(match streams::load(self.conn(), &PlanEvent::stream(plan))? {
            Some((revision, Fold::Plan(record))) => Some((*record, revision)),
            _ => None,
        })
    }

    /// The titles of the plans that have one, by plan id.
    pub fn plan_titles(&self) -> Result<HashMap<String, String>, ProjectionError> {
        let mut stmt = self.conn().prepare("SELECT stream FROM proj_stream WHERE stream LIKE ?1")?;
        let streams: Vec<String> =
            stmt.query_map(params![format!("{}%", PlanEvent::stream(""))], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let mut out = HashMap::new();
        for stream in streams {
            if let Some((_, Fold::Plan(record))) = streams::load(self.conn(), &stream)?
                && let Some(title) = record.info.title
            {
                out.insert(record.plan, title);
            }
        }
        Ok(out)
    }
}

//! Each plan's own stream (`plan-<id>`): what the document says of the plan (number,
//! issuer, date, title, headings) after its latest import.

use std::collections::HashMap;

use dondoc_core::plan::{PlanDetails, PlanEvent, PlanInfo, PlanName, ReviewItem, citation, reference};
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
    /// How the secretariat stated the plan is cited (`plan set`); overrides `info`.
    #[serde(default)]
    pub declared: PlanDetails,
    /// Review rows dismissed by the secretariat: (text as printed, reason).
    #[serde(default)]
    pub dismissed: Vec<(String, String)>,
}

impl PlanRecord {
    /// A plan known only by its id (no import, nothing stated).
    pub fn empty(plan: &str) -> PlanRecord {
        PlanRecord {
            plan: plan.to_string(),
            info: PlanInfo::default(),
            source: String::new(),
            source_sha256: String::new(),
            declared: PlanDetails::default(),
            dismissed: Vec::new(),
        }
    }

    pub(crate) fn apply(&mut self, event: &PlanEvent) {
        match event {
            PlanEvent::PlanRegistered { info, source, source_sha256, .. }
            | PlanEvent::PlanRevised { info, source, source_sha256, .. } => {
                self.info = info.clone();
                self.source = source.clone();
                self.source_sha256 = source_sha256.clone();
            }
            PlanEvent::PlanDetailsSet { details } => self.declared = self.declared.merged(details),
            PlanEvent::ReviewDismissed { text, reason, .. } => {
                if !self.dismissed.iter().any(|(t, _)| t == text) {
                    self.dismissed.push((text.clone(), reason.clone()));
                }
            }
        }
    }

    /// The latest import's review rows the secretariat has not dismissed (whether a task
    /// now carries the row's code is the caller's to check against the board).
    pub fn open_review(&self) -> Vec<&ReviewItem> {
        self.info.review.iter().filter(|r| !self.dismissed.iter().any(|(t, _)| *t == r.text)).collect()
    }

    /// The plan's number, date, issuer and subject: as declared, else as the document says.
    pub fn details(&self) -> PlanDetails {
        let from_document = PlanDetails {
            number: self.info.number.clone(),
            date: self.info.date,
            issuer: self.info.issuer.clone(),
            title: self.info.title.clone(),
        };
        from_document.merged(&self.declared)
    }

    /// How the office cites the plan ([`citation`]).
    pub fn citation(&self) -> String {
        citation(&self.plan, &self.details())
    }

    /// The plan named briefly and in full.
    pub fn name(&self) -> PlanName {
        let details = self.details();
        PlanName { reference: reference(&self.plan, &details), citation: citation(&self.plan, &details) }
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

    /// Every plan's record, by plan id.
    pub fn plan_records(&self) -> Result<Vec<PlanRecord>, ProjectionError> {
        let mut stmt = self.conn().prepare("SELECT stream FROM proj_stream WHERE stream LIKE ?1")?;
        let streams: Vec<String> =
            stmt.query_map(params![format!("{}%", PlanEvent::stream(""))], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for stream in streams {
            if let Some((_, Fold::Plan(record))) = streams::load(self.conn(), &stream)? {
                out.push(*record);
            }
        }
        out.sort_by(|a, b| a.plan.cmp(&b.plan));
        Ok(out)
    }

    /// How each plan with a stream is cited ("Kế hoạch số … ngày … của … về …"), by plan id.
    pub fn plan_citations(&self) -> Result<HashMap<String, String>, ProjectionError> {
        Ok(self.plan_records()?.into_iter().map(|r| (r.plan.clone(), r.citation())).collect())
    }
}

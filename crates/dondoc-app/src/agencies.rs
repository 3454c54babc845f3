//! The agency directory's history: a rename or merger is recorded as an agency event, and
//! every open task led by (or cooperating with) the old agencies is reassigned to the
//! successor in the same atomic step; the tasks' history keeps the old names.

use chrono::NaiveDate;
use dondoc_core::StreamEvent as _;
use dondoc_core::agency::{AGENCY_STREAM, AgencyEvent, Directory, Resolution};
use dondoc_core::event::TaskKey;
use dondoc_core::task::TaskCommand;
use dondoc_projections::board::TaskFilter;
use dondoc_store::ExpectedRevision;

use crate::App;
use crate::command::{self, Actor, ExtraAppend};
use crate::error::{AppError, Result};

/// A succession to record.
#[derive(Debug, Clone)]
pub enum Succession {
    Rename { from: String, to: String },
    Merge { from: Vec<String>, into: String },
}

/// What recording a succession did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// "AgencyRenamed" or "AgenciesMerged".
    pub event_type: &'static str,
    /// The old agencies' canonical names.
    pub old: Vec<String>,
    pub successor: String,
    /// Open tasks reassigned to the successor.
    pub reassigned: usize,
}

/// The canonical name of `name` in the directory (as written when unknown).
pub fn canonical(directory: &Directory, name: &str) -> String {
    match directory.resolve(name) {
        Resolution::Agency(c) | Resolution::Group { name: c, .. } => c,
        Resolution::Unknown { .. } => name.trim().to_string(),
    }
}

/// Records a rename or merger effective `on` (default: today) with its `reason` (the
/// decision), and reassigns the open tasks of the old agencies, atomically.
pub async fn record(
    app: &App,
    succession: Succession,
    on: Option<NaiveDate>,
    reason: &str,
    actor: &Actor,
) -> Result<Recorded> {
    let now = app.now();
    let effective = on.unwrap_or_else(|| dondoc_core::calendar::local_date(now));
    let (directory, tasks, revision) = {
        let read = app.read().await?;
        (read.directory(&app.settings.agencies)?, read.tasks(&TaskFilter::default())?, read.agency_revision()?)
    };
    let (event, old_names, successor) = match succession {
        Succession::Rename { from, to } => {
            let from = canonical(&directory, &from);
            let to = to.trim().to_string();
            let event = AgencyEvent::AgencyRenamed {
                from: from.clone(),
                to: to.clone(),
                effective,
                reason: reason.to_string(),
            };
            (event, vec![from], to)
        }
        Succession::Merge { from, into } => {
            let from: Vec<String> = from.iter().map(|f| canonical(&directory, f)).collect();
            let into = into.trim().to_string();
            let event = AgencyEvent::AgenciesMerged {
                from: from.clone(),
                into: into.clone(),
                effective,
                reason: reason.to_string(),
            };
            (event, from, into)
        }
    };
    let is_old = |name: &str| old_names.iter().any(|o| canonical(&directory, name) == *o);
    let replace = |name: &str| if is_old(name) { successor.clone() } else { name.to_string() };
    let (event_type, data) = event.encode();
    let why = format!("{event_type}: {}", old_names.join(" + "));
    let mut commands = Vec::new();
    for task in tasks {
        let s = &task.state;
        let touched = s.lead.split("; ").any(is_old) || s.cooperating.iter().any(|c| is_old(c));
        if s.status.is_closed() || !touched {
            continue;
        }
        let lead: Vec<String> = s.lead.split("; ").map(replace).collect();
        let mut cooperating: Vec<String> = Vec::new();
        for c in s.cooperating.iter().map(|c| replace(c)) {
            if !cooperating.contains(&c) && !lead.contains(&c) {
                cooperating.push(c);
            }
        }
        let command = TaskCommand::Assign { lead: lead.join("; "), cooperating, reason: Some(why.clone()) };
        commands.push((TaskKey::new(s.key.plan.clone(), s.key.code.clone()), command));
    }
    let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
    let extra = ExtraAppend { stream: AGENCY_STREAM.into(), expected, events: vec![(event_type.to_string(), data)] };
    let ctx = actor.at(now);
    command::execute_batch(&app.store, &commands, vec![extra], &ctx)
        .await
        .map_err(|e| AppError::Input(format!("không ghi gì cả: {e}")))?;
    app.catch_up().await?;
    Ok(Recorded { event_type, old: old_names, successor, reassigned: commands.len() })
}

//! `dondoc agency list | rename | merge`: the agency directory and its history.
//! A rename or merger is recorded as an agency event, and every open task led by (or
//! cooperating with) the old agencies is reassigned to the successor in the same atomic
//! step; the tasks' history keeps the old names.

use anyhow::Result;
use chrono::NaiveDate;
use dondoc_core::StreamEvent as _;
use dondoc_core::agency::{AGENCY_STREAM, AgencyEvent, Directory, Resolution};
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_projections::board::TaskFilter;
use dondoc_projections::service::{self, CommandContext, ExtraAppend};
use dondoc_store::{Direction, EventStore, ExpectedRevision, StreamStart};

use crate::app::{self, App};
use crate::cli::{AgencyAction, AgencyArgs, Global};
use crate::cmd::task::actor;
use crate::{InputError, outln};

pub async fn run(global: &Global, args: &AgencyArgs) -> Result<()> {
    let mut app = App::open(global).await?;
    let directory = app.directory().await?;
    match &args.action {
        AgencyAction::List => list(&directory),
        AgencyAction::Rename { from, to, on, reason } => {
            let effective = effective(*on)?;
            let event = AgencyEvent::AgencyRenamed {
                from: canonical(&directory, from),
                to: to.trim().to_string(),
                effective,
                reason: reason.clone(),
            };
            record(&mut app, args, event, std::slice::from_ref(from), to, &directory).await
        }
        AgencyAction::Merge { from, into, on, reason } => {
            let effective = effective(*on)?;
            let event = AgencyEvent::AgenciesMerged {
                from: from.iter().map(|f| canonical(&directory, f)).collect(),
                into: into.trim().to_string(),
                effective,
                reason: reason.clone(),
            };
            record(&mut app, args, event, from, into, &directory).await
        }
    }
}

fn effective(on: Option<NaiveDate>) -> Result<NaiveDate> {
    Ok(on.unwrap_or(dondoc_core::calendar::local_date(app::now()?)))
}

fn canonical(directory: &Directory, name: &str) -> String {
    match directory.resolve(name) {
        Resolution::Agency(c) | Resolution::Group { name: c, .. } => c,
        Resolution::Unknown { .. } => name.trim().to_string(),
    }
}

fn list(directory: &Directory) -> Result<()> {
    let config = directory.config();
    outln!("Cơ quan ({}):", config.agencies.len());
    for a in &config.agencies {
        if a.aliases.is_empty() {
            outln!("  {}", a.name);
        } else {
            outln!("  {} (còn gọi: {})", a.name, a.aliases.join("; "));
        }
    }
    outln!("Nhóm ({}):", config.groups.len());
    for g in &config.groups {
        let members =
            if g.members.is_empty() { "theo từng địa phương".to_string() } else { g.members.join("; ") };
        outln!("  {}: {members}", g.name);
    }
    outln!("Đổi tên, sáp nhập:");
    for s in directory.successions() {
        outln!("  {} {} → {}", s.on.format("%d/%m/%Y"), s.from.join(" + "), s.to);
    }
    Ok(())
}

/// Appends the agency event and reassigns the open tasks of the old agencies, atomically.
async fn record(
    app: &mut App,
    args: &AgencyArgs,
    event: AgencyEvent,
    old: &[String],
    successor: &str,
    directory: &Directory,
) -> Result<()> {
    let old_names: Vec<String> = old.iter().map(|o| canonical(directory, o)).collect();
    let is_old = |name: &str| old_names.iter().any(|o| canonical(directory, name) == *o);
    let replace = |name: &str| if is_old(name) { successor.trim().to_string() } else { name.to_string() };
    let (event_type, data) = event.encode();
    let reason = format!("{event_type}: {}", old_names.join(" + "));
    let mut commands = Vec::new();
    for task in app.projections.tasks(&TaskFilter::default())? {
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
        let command = TaskCommand::Assign { lead: lead.join("; "), cooperating, reason: Some(reason.clone()) };
        commands.push((TaskKey::new(s.key.plan.clone(), s.key.code.clone()), command));
    }
    let last = app.store.read_stream(AGENCY_STREAM, Direction::Backwards, StreamStart::End, 1).await?;
    let expected = last.first().map_or(ExpectedRevision::NoStream, |e| ExpectedRevision::Exact(e.revision));
    let extra = ExtraAppend { stream: AGENCY_STREAM.into(), expected, events: vec![(event_type.to_string(), data)] };
    let ctx = CommandContext::new(actor(&args.actor), Source::Cli, app::now()?);
    service::execute_batch(&app.store, &commands, vec![extra], &ctx)
        .await
        .map_err(|e| InputError(format!("không ghi gì cả: {e}")))?;
    app.catch_up().await?;
    outln!(
        "Đã ghi nhận {}: {} → {}; chuyển {} nhiệm vụ đang mở sang {}.",
        if event_type == "AgencyRenamed" { "đổi tên" } else { "sáp nhập" },
        old_names.join(" + "),
        successor.trim(),
        commands.len(),
        successor.trim()
    );
    Ok(())
}

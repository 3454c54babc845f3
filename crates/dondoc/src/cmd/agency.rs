//! `dondoc agency list | rename | merge`: the agency directory and its history. A rename
//! or merger moves every open task of the old agencies to the successor in the same step;
//! the tasks' history keeps the old names.

use anyhow::Result;
use dondoc_app::agencies::{self, Succession};
use dondoc_core::agency::Directory;
use dondoc_core::event::Source;

use crate::cli::{AgencyAction, AgencyArgs, Global};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &AgencyArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let actor = super::actor(&global.actor, Source::Cli);
    let (succession, on, reason) = match &args.action {
        AgencyAction::List => return list(&app.directory().await?),
        AgencyAction::Rename { from, to, on, reason } => {
            (Succession::Rename { from: from.clone(), to: to.clone() }, on, reason)
        }
        AgencyAction::Merge { from, into, on, reason } => {
            (Succession::Merge { from: from.clone(), into: into.clone() }, on, reason)
        }
    };
    let recorded = agencies::record(&app, succession, *on, reason, &actor).await?;
    outln!(
        "Đã ghi nhận {}: {} → {}; chuyển {} nhiệm vụ đang mở sang {}.",
        if recorded.event_type == "AgencyRenamed" { "đổi tên" } else { "sáp nhập" },
        recorded.old.join(" + "),
        recorded.successor,
        recorded.reassigned,
        recorded.successor
    );
    Ok(())
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

//! `dondoc summary [--at T] [--out DIR] [--json]`: the weekly leadership summary, previewed.

use anyhow::{Context, Result};
use chrono::Utc;
use dondoc_notify::dispatch::DispatchConfig;

use crate::app::{self, App};
use crate::cli::{Global, SummaryArgs};
use crate::daemon::{build, clock, weekly};
use crate::outln;

pub async fn run(global: &Global, args: &SummaryArgs) -> Result<()> {
    let at = match args.at {
        Some(a) => a.with_timezone(&Utc),
        None => app::now()?,
    };
    let app = App::open(global).await?;
    let d = build::daemon(app, Vec::new(), DispatchConfig::default(), clock::system(Some(at)))?;
    let summary = weekly::compute(&d, at).await?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("không tạo được {}", dir.display()))?;
        let email = dondoc_notify::summary::render_email(&summary, "Lãnh đạo", "lanhdao@example.invalid");
        std::fs::write(dir.join("summary.html"), email.html.unwrap_or_default())?;
        std::fs::write(dir.join("summary.txt"), &email.text)?;
        for a in &email.attachments {
            std::fs::write(dir.join(&a.filename), &a.bytes)?;
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let m = dondoc_notify::summary::render_text(&summary, dondoc_core::event::Channel::Telegram, "Lãnh đạo", "-");
        outln!("{}", m.text);
        if let Some(dir) = &args.out {
            outln!("\nĐã ghi summary.html, summary.txt và tệp đính kèm vào {}.", dir.display());
        }
    }
    Ok(())
}

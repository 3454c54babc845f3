//! `dondoc summary [--at T] [--out DIR] [--json]`: the weekly leadership summary, previewed.

use anyhow::{Context, Result};
use chrono::Utc;
use dondoc_app::Delivery;
use dondoc_app::summary::weekly;
use dondoc_core::event::Channel;

use crate::cli::{Global, SummaryArgs};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &SummaryArgs) -> Result<()> {
    let at = match args.at {
        Some(a) => a.with_timezone(&Utc),
        None => crate::clock::now()?,
    };
    let data = DataDir::locate(global)?;
    data.load_chart_font();
    let delivery = Delivery { templates: data.templates()?, ..Delivery::none()? };
    let app = data.open(global, delivery, dondoc_app::clock::fixed(at)).await?;
    let summary = weekly::compute(&app, at).await?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("không tạo được {}", dir.display()))?;
        let email =
            app.templates.weekly_email(&summary, "Lãnh đạo UBND tỉnh", "Lãnh đạo", "lanhdao@example.invalid")?;
        std::fs::write(dir.join("summary.html"), email.html.unwrap_or_default())?;
        std::fs::write(dir.join("summary.txt"), &email.text)?;
        for a in &email.attachments {
            std::fs::write(dir.join(&a.filename), &a.bytes)?;
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let m = app.templates.weekly_chat(&summary, Channel::Telegram, "Lãnh đạo UBND tỉnh", "Lãnh đạo", "-")?;
        outln!("{}", m.text);
        if let Some(dir) = &args.out {
            outln!("\nĐã ghi summary.html, summary.txt và tệp đính kèm vào {}.", dir.display());
        }
    }
    Ok(())
}

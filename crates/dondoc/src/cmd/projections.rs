//! `dondoc projections rebuild`.

use anyhow::{Context, Result};

use crate::app::App;
use crate::cli::{Global, ProjectionsArgs, ProjectionsCommand};
use crate::outln;

pub async fn run(global: &Global, args: &ProjectionsArgs) -> Result<()> {
    let mut app = App::open(global).await?;
    match args.command {
        ProjectionsCommand::Rebuild => {
            let done = app.projections.rebuild(&app.store).await.context("không dựng lại được bảng theo dõi")?;
            outln!(
                "Đã dựng lại bảng theo dõi từ {} sự kiện trong {:.2} giây (vị trí {}).",
                done.events,
                done.elapsed.as_secs_f64(),
                done.position.map_or("—".to_string(), |p| p.to_string())
            );
        }
    }
    Ok(())
}

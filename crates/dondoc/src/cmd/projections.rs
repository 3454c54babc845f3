//! `dondoc projections rebuild`.

use anyhow::Result;
use dondoc_app::AppError;

use crate::cli::{Global, ProjectionsArgs, ProjectionsCommand};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &ProjectionsArgs) -> Result<()> {
    // Not caught up first: a rebuild must work when catching up cannot.
    let app = DataDir::locate(global)?.open(global, dondoc_app::Delivery::none()?, crate::clock::cli()?).await?;
    match args.command {
        ProjectionsCommand::Rebuild => {
            let done = app.read_as_is().await.rebuild(&app.store).await.map_err(AppError::from)?;
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

//! `dondoc export --plan P --format csv|xlsx [--out FILE] [--at RFC3339]`: the board of a
//! plan with the columns of a Vietnamese task-tracking report.

use anyhow::{Context, Result};
use dondoc_app::export::{self, Titles};

use crate::cli::{ExportArgs, ExportFormat, Global};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &ExportArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let table = export::table(&app, &args.plan, super::instant(args.at)?).await?;
    match args.format {
        ExportFormat::Csv => {
            let titles = if args.vietnamese { Titles::Vietnamese } else { Titles::Machine };
            match &args.out {
                Some(path) => table.write_csv(
                    std::fs::File::create(path).with_context(|| format!("không ghi được {}", path.display()))?,
                    titles,
                )?,
                None => table.write_csv(std::io::stdout().lock(), titles)?,
            }
        }
        ExportFormat::Xlsx => {
            let out = args.out.clone().unwrap_or_else(|| format!("{}.xlsx", args.plan).into());
            std::fs::write(&out, table.xlsx()?).with_context(|| format!("không ghi được {}", out.display()))?;
            outln!("Đã xuất {} nhiệm vụ ra {}", table.rows.len(), out.display());
        }
    }
    Ok(())
}

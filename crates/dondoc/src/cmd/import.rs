//! `dondoc import FILE --plan P`: tasks from a CSV file with the documented header
//! `code,title,lead,cooperating,start,finish,product` (cooperating agencies separated by
//! ";"). Every row is checked before anything is written; a task already defined is left
//! as it is, so importing the same file twice appends nothing.
//! (The full importer — plan documents, Excel, revisions as diffs — is a later stage.)

use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::task::{DomainError, TaskCommand};
use dondoc_projections::service::{self, CommandContext, ServiceError};

use crate::app::{self, App};
use crate::cli::{Global, ImportArgs};
use crate::cmd::task::{actor, parse_expr};
use crate::{InputError, outln};

const COLUMNS: [&str; 7] = ["code", "title", "lead", "cooperating", "start", "finish", "product"];

/// Reads and checks every row; an error names the line and column and quotes the cell.
fn read_rows(path: &Path, plan: &str, tracked_from: Option<NaiveDate>) -> Result<Vec<(TaskKey, TaskCommand)>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("không mở được {}", path.display()))?;
    let headers = reader.headers().with_context(|| format!("{}: không đọc được dòng tiêu đề", path.display()))?.clone();
    let index = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let missing: Vec<&str> = COLUMNS[..3].iter().copied().filter(|c| index(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(InputError(format!(
            "{}: thiếu cột {} (cần tiêu đề {})",
            path.display(),
            missing.join(", "),
            COLUMNS.join(",")
        ))
        .into());
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| InputError(format!("{}: {e}", path.display())))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |name: &str| index(name).and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let time = |name: &'static str| -> Result<Option<_>> {
            let text = cell(name);
            if text.is_empty() {
                return Ok(None);
            }
            parse_expr(text).map(Some).map_err(|e| {
                let column = index(name).map_or(0, |i| i + 1);
                InputError(format!("{}: dòng {line}, cột {column} ({name}): {e}", path.display())).into()
            })
        };
        let key = TaskKey::new(plan, cell("code"));
        let command = TaskCommand::Define {
            plan: plan.to_string(),
            code: cell("code").to_string(),
            title: cell("title").to_string(),
            lead: cell("lead").to_string(),
            cooperating: cell("cooperating")
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            start: time("start")?,
            finish: time("finish")?,
            product: Some(cell("product").to_string()).filter(|p| !p.is_empty()),
            tracked_from,
            tt: None,
            group: None,
        };
        out.push((key, command));
    }
    Ok(out)
}

pub async fn run(global: &Global, args: &ImportArgs) -> Result<()> {
    let rows = read_rows(&args.file, args.plan.trim(), args.tracked_from)?;
    let mut app = App::open(global).await?;
    let ctx = CommandContext::new(actor(&args.actor), Source::Import, app::now()?);
    let (mut added, mut kept) = (0, 0);
    for (key, command) in &rows {
        match service::execute(&app.store, key, None, command, &ctx).await {
            Ok(_) => added += 1,
            Err(ServiceError::Domain(DomainError::AlreadyDefined { .. })) => kept += 1,
            Err(ServiceError::Domain(e)) => return Err(InputError(e.to_string()).into()),
            Err(e) => return Err(e.into()),
        }
    }
    app.catch_up().await?;
    outln!("Kế hoạch {}: {} nhiệm vụ trong tệp, thêm mới {added}, đã có {kept}.", args.plan.trim(), rows.len());
    Ok(())
}

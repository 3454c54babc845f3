//! `dondoc import FILE [--plan ID] [--format auto|text|csv|xlsx] [--dry-run] [--partial] [--json]`.
//!
//! Reads the plan (a document's extracted text, CSV or Excel), turns its rows into tasks
//! with stable codes, compares them with the board and shows the difference: new tasks,
//! revised titles/times/products, reassignments, withdrawn tasks. Without `--dry-run` the
//! whole import is written as one atomic step (all or nothing), unless `--partial`.
//! Importing the same file again changes nothing.

use dondoc_core::StreamEvent as _;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use dondoc_core::agency::{Directory, Resolution};
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::plan::{ImportCounts, PlanEvent, PlanGroup, PlanInfo};
use dondoc_import::plan::{self, Change, PlanSpec};
use dondoc_import::{ImportedPlan, ReadError, table, text};
use dondoc_projections::board::TaskFilter;
use dondoc_projections::service::{self, CommandContext, ExtraAppend};
use dondoc_store::{Direction, EventStore, ExpectedRevision, StreamStart};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::{self, App};
use crate::cli::{Global, ImportArgs, ImportFormat};
use crate::cmd::task::actor;
use crate::{InputError, outln, output};

/// Reads the file in the chosen (or recognised) format.
fn read(path: &Path, bytes: &[u8], format: ImportFormat, sheet: Option<&str>) -> Result<(ImportedPlan, &'static str)> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).unwrap_or_default();
    let format = match format {
        ImportFormat::Auto => match ext.as_str() {
            "csv" => ImportFormat::Csv,
            "xlsx" | "xlsm" | "xls" | "ods" => ImportFormat::Xlsx,
            _ => ImportFormat::Text,
        },
        f => f,
    };
    let shown = |e: ReadError| InputError(format!("{}: {e}", path.display()));
    let text = || {
        std::str::from_utf8(bytes)
            .map(|t| t.trim_start_matches('\u{feff}'))
            .map_err(|_| InputError(format!("{}: không phải văn bản UTF-8", path.display())))
    };
    Ok(match format {
        ImportFormat::Csv => (table::read_csv(text()?).map_err(shown)?, "csv"),
        ImportFormat::Xlsx => (table::read_xlsx(bytes, sheet).map_err(shown)?, "xlsx"),
        ImportFormat::Text | ImportFormat::Auto => (text::read(text()?).map_err(shown)?, "text"),
    })
}

/// The plan id: `--plan`, else the file name without its extension.
fn plan_id(args: &ImportArgs) -> String {
    args.plan.clone().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).unwrap_or_else(|| {
        let stem = args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("plan");
        stem.chars().map(|c| if c.is_whitespace() || c == '/' { '-' } else { c }).collect()
    })
}

fn info_of(imported: &ImportedPlan, spec: &PlanSpec) -> PlanInfo {
    PlanInfo {
        number: imported.number.clone(),
        issuer: imported.issuer.clone(),
        date: imported.date,
        date_text: imported.date_text.clone(),
        title: imported.title.clone(),
        groups: spec
            .groups
            .iter()
            .map(|g| PlanGroup { code: g.code.clone(), tt: g.tt.clone(), title: g.title.clone(), level: g.level })
            .collect(),
    }
}

fn counts(changes: &[Change]) -> ImportCounts {
    let mut c = ImportCounts::default();
    for change in changes {
        match change {
            Change::New(_) => c.added += 1,
            Change::Revised { .. } => c.revised += 1,
            Change::Reassigned { .. } => c.reassigned += 1,
            Change::Withdrawn { .. } => c.withdrawn += 1,
        }
    }
    c
}

pub async fn run(global: &Global, args: &ImportArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("không đọc được {}", args.file.display()))?;
    let (imported, format) = read(&args.file, &bytes, args.format, args.sheet.as_deref())?;
    let spec = plan::spec(&imported).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        InputError(format!("{}: {} dòng không đọc được:\n{}", args.file.display(), errors.len(), lines.join("\n")))
    })?;
    let plan = plan_id(args);
    let mut app = App::open(global).await?;
    let current: BTreeMap<String, _> = app
        .projections
        .tasks(&TaskFilter { plan: Some(plan.clone()), agency: None })?
        .into_iter()
        .map(|t| (t.state.key.code.clone(), t.state))
        .collect();
    let changes = plan::diff(&spec, &current);
    let info = info_of(&imported, &spec);
    let source = args.file.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let sha = hex::encode(Sha256::digest(&bytes));
    let plan_stream = PlanEvent::stream(&plan);
    let last = app.store.read_stream(&plan_stream, Direction::Backwards, StreamStart::End, 1).await?;
    let known_info =
        last.first().and_then(|e| PlanEvent::decode(&e.event_type, e.data.clone()).ok()).map(|e| e.info().clone());
    let plan_changed = known_info.as_ref() != Some(&info) || !changes.is_empty();

    let reason = format!("nhập {source} ({format})");
    let names = agency_notes(&app.directory().await?, &spec, dondoc_core::calendar::local_date(app::now()?));
    if args.dry_run || args.json {
        report(args, &plan, format, &spec, &changes, &names, args.dry_run)?;
    }
    if args.dry_run {
        return Ok(());
    }
    let counts = counts(&changes);
    let ctx = CommandContext::new(actor(&args.actor), Source::Import, app::now()?);
    let commands: Vec<(TaskKey, _)> = changes
        .iter()
        .map(|c| (TaskKey::new(plan.clone(), c.code()), c.command(&plan, &reason, args.tracked_from)))
        .collect();
    let plan_event = match &last.first() {
        None => PlanEvent::PlanRegistered { plan: plan.clone(), info, source, source_sha256: sha, counts },
        Some(_) => PlanEvent::PlanRevised { info, source, source_sha256: sha, counts },
    };
    let expected = last.first().map_or(ExpectedRevision::NoStream, |e| ExpectedRevision::Exact(e.revision));
    let (event_type, data) = plan_event.encode();
    let extra = plan_changed.then(|| ExtraAppend {
        stream: plan_stream,
        expected,
        events: vec![(event_type.to_string(), data)],
    });

    let progress = progress_bar(commands.len());
    if args.partial {
        let mut failed = Vec::new();
        for (key, command) in &commands {
            if let Err(e) = service::execute(&app.store, key, None, command, &ctx).await {
                failed.push(format!("  {key}: {e}"));
            }
            progress.inc(1);
        }
        if let Some(extra) = extra {
            service::execute_batch(&app.store, &[], vec![extra], &ctx).await?;
        }
        progress.finish_and_clear();
        app.catch_up().await?;
        if !failed.is_empty() {
            return Err(InputError(format!("{} thay đổi không ghi được:\n{}", failed.len(), failed.join("\n"))).into());
        }
    } else {
        service::execute_batch(&app.store, &commands, extra.into_iter().collect(), &ctx)
            .await
            .map_err(|e| InputError(format!("không ghi gì cả (nhập là một bước trọn vẹn): {e}")))?;
        progress.finish_and_clear();
        app.catch_up().await?;
    }
    if !args.json {
        outln!(
            "Kế hoạch {plan}: {} nhiệm vụ trong tệp; thêm {}, điều chỉnh {}, giao lại {}, rút {}{}.",
            spec.tasks.len(),
            counts.added,
            counts.revised,
            counts.reassigned,
            counts.withdrawn,
            if changes.is_empty() { " (không có thay đổi)" } else { "" }
        );
        for w in &spec.warnings {
            outln!("  lưu ý (dòng {}): {}", w.line, w.message);
        }
        print_agency_notes(&names)?;
    }
    Ok(())
}

/// Agency names of the plan that the directory does not know (with the closest known), or
/// that have a successor today.
#[derive(Default)]
struct AgencyNotes {
    unknown: BTreeMap<String, Vec<String>>,
    succeeded: BTreeMap<String, String>,
}

fn agency_notes(directory: &Directory, spec: &PlanSpec, today: chrono::NaiveDate) -> AgencyNotes {
    let mut notes = AgencyNotes::default();
    for task in &spec.tasks {
        let names = task.lead.split("; ").chain(task.cooperating.iter().map(String::as_str));
        for name in names.filter(|n| !n.trim().is_empty()) {
            match directory.resolve(name) {
                Resolution::Unknown { closest } => {
                    notes.unknown.insert(name.to_string(), closest);
                }
                _ => {
                    if let Some(next) = directory.successor(name, today) {
                        notes.succeeded.insert(name.to_string(), next);
                    }
                }
            }
        }
    }
    notes
}

fn print_agency_notes(notes: &AgencyNotes) -> Result<()> {
    if !notes.unknown.is_empty() {
        outln!("Cơ quan chưa có trong danh mục ({}):", notes.unknown.len());
        for (name, closest) in &notes.unknown {
            outln!("  \"{name}\" — gần nhất: {}", closest.join("; "));
        }
    }
    if !notes.succeeded.is_empty() {
        outln!("Cơ quan đã đổi tên hoặc sáp nhập (giữ nguyên như văn bản; dùng \"dondoc agency\" để chuyển nhiệm vụ):");
        for (name, next) in &notes.succeeded {
            outln!("  {name} → {next}");
        }
    }
    Ok(())
}

fn progress_bar(len: usize) -> ProgressBar {
    use std::io::IsTerminal;
    if len < 200 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} nhiệm vụ") {
        bar.set_style(style);
    }
    bar
}

/// Prints the difference (text for people, or one JSON object).
fn report(
    args: &ImportArgs,
    plan: &str,
    format: &str,
    spec: &PlanSpec,
    changes: &[Change],
    names: &AgencyNotes,
    dry_run: bool,
) -> Result<()> {
    if args.json {
        let items: Vec<_> = changes
            .iter()
            .map(|c| match c {
                Change::New(s) => {
                    json!({"change": "new", "code": s.code, "tt": s.tt, "title": s.title, "lead": s.lead})
                }
                Change::Revised { spec: s, fields } => json!({"change": "revised", "code": s.code, "fields": fields}),
                Change::Reassigned { spec: s, from_lead, .. } => {
                    json!({"change": "reassigned", "code": s.code, "from_lead": from_lead, "lead": s.lead})
                }
                Change::Withdrawn { code, title } => json!({"change": "withdrawn", "code": code, "title": title}),
            })
            .collect();
        let warnings: Vec<_> = spec.warnings.iter().map(|w| json!({"line": w.line, "message": w.message})).collect();
        return output::json(&json!({
            "plan": plan,
            "file": args.file,
            "format": format,
            "dry_run": dry_run,
            "tasks": spec.tasks.len(),
            "groups": spec.groups.len(),
            "changes": items,
            "warnings": warnings,
            "unknown_agencies": names.unknown.iter().map(|(n, c)| json!({"name": n, "closest": c})).collect::<Vec<_>>(),
            "succeeded_agencies": names.succeeded.iter().map(|(n, s)| json!({"name": n, "successor": s})).collect::<Vec<_>>(),
        }));
    }
    outln!(
        "Kế hoạch {plan} ({format}): {} nhiệm vụ, {} nhóm; {} thay đổi:",
        spec.tasks.len(),
        spec.groups.len(),
        changes.len()
    );
    for c in changes {
        match c {
            Change::New(s) => outln!("  + {:<12} {} (chủ trì: {})", s.code, s.title, s.lead),
            Change::Revised { spec: s, fields } => outln!("  ~ {:<12} điều chỉnh: {}", s.code, fields.join(", ")),
            Change::Reassigned { spec: s, from_lead, .. } => {
                outln!("  → {:<12} chủ trì/phối hợp: {from_lead} → {}", s.code, s.lead)
            }
            Change::Withdrawn { code, title } => outln!("  - {code:<12} rút khỏi kế hoạch: {title}"),
        }
    }
    for w in &spec.warnings {
        outln!("  lưu ý (dòng {}): {}", w.line, w.message);
    }
    print_agency_notes(names)?;
    if dry_run {
        outln!("(chạy thử: chưa ghi gì)");
    }
    Ok(())
}

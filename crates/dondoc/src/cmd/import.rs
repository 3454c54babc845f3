//! `dondoc import FILE [--plan ID] [--format auto|text|csv|xlsx] [--dry-run] [--partial] [--json]`:
//! reads the file, calls the import use case and shows the difference it found (new tasks,
//! revisions, reassignments, withdrawals), warnings and agency names to check.

use anyhow::{Context, Result};
use dondoc_app::AppError;
use dondoc_app::import::{self, AgencyNotes, Format, ImportOutcome, ImportRequest, Mode};
use dondoc_core::event::Source;
use dondoc_import::tasks::Change;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::{Global, ImportArgs, ImportFormat};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &ImportArgs) -> Result<()> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("không đọc được {}", args.file.display()))?;
    let file_name = args.file.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let plan = args.plan.clone().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).unwrap_or_else(|| {
        import::plan_id_from_file_name(args.file.file_name().and_then(|n| n.to_str()).unwrap_or("plan"))
    });
    let mode = match (args.dry_run, args.partial) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Partial,
        (false, false) => Mode::Atomic,
    };
    let app = datadir::open(global).await?;
    let actor = super::actor(&args.actor, Source::Import);
    let progress = ProgressBar::hidden();
    let tick = |done: usize, total: usize| show_progress(&progress, done, total);
    let request = ImportRequest {
        file_name: &file_name,
        bytes: &bytes,
        format: match args.format {
            ImportFormat::Auto => Format::Auto,
            ImportFormat::Text => Format::Text,
            ImportFormat::Csv => Format::Csv,
            ImportFormat::Xlsx => Format::Xlsx,
        },
        sheet: args.sheet.as_deref(),
        plan,
        actor: &actor.name,
        tracked_from: args.tracked_from,
        mode,
        on_progress: &tick,
    };
    let outcome = import::import(&app, &request).await?;
    progress.finish_and_clear();
    if super::plan::any(&args.details) && !args.dry_run {
        let details = super::plan::details_of(&args.details)?;
        dondoc_app::plans::set_details(&app, &outcome.plan, details, &actor).await?;
    }
    if args.json {
        report_json(args, &outcome)?;
    } else if args.dry_run {
        report(&outcome)?;
    } else {
        let c = &outcome.counts;
        outln!(
            "Kế hoạch {}: {} nhiệm vụ trong tệp; thêm {}, điều chỉnh {}, giao lại {}, rút {}{}.",
            outcome.plan,
            outcome.spec.tasks.len(),
            c.added,
            c.revised,
            c.reassigned,
            c.withdrawn,
            if outcome.changes.is_empty() { " (không có thay đổi)" } else { "" }
        );
        for w in &outcome.spec.warnings {
            outln!("  lưu ý (dòng {}): {}", w.line, w.message);
        }
        print_agency_notes(&outcome.agencies)?;
    }
    if !outcome.failed.is_empty() {
        let lines: Vec<String> = outcome.failed.iter().map(|f| format!("  {f}")).collect();
        return Err(AppError::Input(format!("{} thay đổi không ghi được:\n{}", lines.len(), lines.join("\n"))).into());
    }
    Ok(())
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

/// Shows a long partial import's progress in a terminal (from 200 changes).
fn show_progress(bar: &ProgressBar, done: usize, total: usize) {
    use std::io::IsTerminal;
    if done == 1 && total >= 200 && std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} nhiệm vụ") {
            bar.set_style(style);
        }
    }
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

/// The difference as one JSON object.
fn report_json(args: &ImportArgs, o: &ImportOutcome) -> Result<()> {
    let items: Vec<_> = o
        .changes
        .iter()
        .map(|c| match c {
            Change::New(s) => json!({"change": "new", "code": s.code, "tt": s.tt, "title": s.title, "lead": s.lead}),
            Change::Revised { spec: s, fields } => json!({"change": "revised", "code": s.code, "fields": fields}),
            Change::Reassigned { spec: s, from_lead, .. } => {
                json!({"change": "reassigned", "code": s.code, "from_lead": from_lead, "lead": s.lead})
            }
            Change::Withdrawn { code, title } => json!({"change": "withdrawn", "code": code, "title": title}),
        })
        .collect();
    let warnings: Vec<_> = o.spec.warnings.iter().map(|w| json!({"line": w.line, "message": w.message})).collect();
    output::json(&json!({
        "plan": o.plan,
        "file": args.file,
        "format": o.format,
        "dry_run": args.dry_run,
        "tasks": o.spec.tasks.len(),
        "groups": o.spec.groups.len(),
        "changes": items,
        "warnings": warnings,
        "unknown_agencies": o.agencies.unknown.iter().map(|(n, c)| json!({"name": n, "closest": c})).collect::<Vec<_>>(),
        "succeeded_agencies": o.agencies.succeeded.iter().map(|(n, s)| json!({"name": n, "successor": s})).collect::<Vec<_>>(),
    }))
}

/// The difference for people (a dry run).
fn report(o: &ImportOutcome) -> Result<()> {
    outln!(
        "Kế hoạch {} ({}): {} nhiệm vụ, {} nhóm; {} thay đổi:",
        o.plan,
        o.format,
        o.spec.tasks.len(),
        o.spec.groups.len(),
        o.changes.len()
    );
    for c in &o.changes {
        match c {
            Change::New(s) => outln!("  + {:<12} {} (chủ trì: {})", s.code, s.title, s.lead),
            Change::Revised { spec: s, fields } => {
                let what: Vec<String> = fields.iter().map(|f| revised_field(s, f)).collect();
                outln!("  ~ {:<12} điều chỉnh {}", s.code, what.join("; "))
            }
            Change::Reassigned { spec: s, from_lead, .. } => {
                outln!("  → {:<12} chủ trì/phối hợp: {from_lead} → {}", s.code, s.lead)
            }
            Change::Withdrawn { code, title } => outln!("  - {code:<12} rút khỏi kế hoạch: {title}"),
        }
    }
    for w in &o.spec.warnings {
        outln!("  lưu ý (dòng {}): {}", w.line, w.message);
    }
    print_agency_notes(&o.agencies)?;
    outln!("(chạy thử: chưa ghi gì)");
    Ok(())
}

/// "thời hạn (theo kế hoạch): Quý III/2026": a revised field named as people say it, with
/// its new value.
fn revised_field(spec: &dondoc_import::tasks::TaskSpec, field: &str) -> String {
    let time =
        |t: &Option<dondoc_core::timeexpr::ParsedTime>| t.as_ref().map_or("—".to_string(), |p| p.input.clone());
    match field {
        "title" => format!("nội dung: {}", spec.title),
        "start" => format!("thời gian bắt đầu: {}", time(&spec.start)),
        "finish" => format!("thời hạn (theo kế hoạch): {}", time(&spec.finish)),
        "product" => format!("sản phẩm: {}", spec.product.as_deref().unwrap_or("—")),
        other => other.to_string(),
    }
}

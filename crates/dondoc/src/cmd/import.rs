//! `dondoc import FILE [--plan ID] [--format auto|text|csv|xlsx] [--dry-run] [--strict|--partial]
//! [--allow-withdraw N] [--json]`: reads the file, calls the import use case and shows the
//! difference it found (new tasks, revisions, reassignments, withdrawals), warnings, agency
//! names to check and the rows left for review. Exit status: 0 all read, 1 imported with
//! rows to review, 2 nothing imported. `dondoc import review --plan P [--dismiss LINE
//! --reason R]` lists (or dismisses) the rows still to review.

use anyhow::{Context, Result};
use dondoc_app::AppError;
use dondoc_app::import::{self, AgencyNotes, Format, ImportOutcome, ImportRequest, Mode};
use dondoc_core::event::Source;
use dondoc_import::tasks::Change;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::{Global, ImportAction, ImportArgs, ImportFormat};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &ImportArgs) -> Result<()> {
    if let Some(ImportAction::Review { plan, dismiss, reason, json }) = &args.action {
        return review(global, plan, *dismiss, reason.as_deref(), *json).await;
    }
    let Some(path) = &args.file else { return Err(AppError::input("cần tệp kế hoạch").into()) };
    let bytes = read_file(path)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let plan =
        args.plan.clone().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).unwrap_or_else(|| {
            import::plan_id_from_file_name(path.file_name().and_then(|n| n.to_str()).unwrap_or("plan"))
        });
    let mode = match (args.dry_run, args.partial) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Partial,
        (false, false) => Mode::Atomic,
    };
    let app = datadir::open(global).await?;
    let actor = super::actor(&global.actor, Source::Import);
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
            ImportFormat::Docx => Format::Docx,
            ImportFormat::Pdf => Format::Pdf,
        },
        sheet: args.sheet.as_deref(),
        plan,
        actor: &actor.name,
        tracked_from: args.tracked_from,
        mode,
        strict: args.strict,
        allow_withdraw: args.allow_withdraw,
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
            "Kế hoạch {}: {} nhiệm vụ trong tệp; thêm {}, điều chỉnh {}, giao lại {}{}, rút {}{}{}{}.",
            outcome.plan,
            outcome.spec.tasks.len(),
            c.added,
            c.revised,
            c.reassigned,
            if outcome.by_succession.is_empty() {
                String::new()
            } else {
                format!(" (trong đó {} theo đổi tên, sáp nhập cơ quan)", outcome.by_succession.len())
            },
            c.withdrawn,
            if c.renumbered > 0 { format!(", đánh số lại {}", c.renumbered) } else { String::new() },
            if c.extensions_proposed > 0 {
                format!(", đề nghị gia hạn chờ xác nhận {}", c.extensions_proposed)
            } else {
                String::new()
            },
            if outcome.changes.is_empty() { " (không có thay đổi)" } else { "" }
        );
        for w in &outcome.spec.warnings {
            outln!("  lưu ý (dòng {}): {}", w.line, w.message);
        }
        print_agency_notes(&outcome.agencies)?;
        print_review(&outcome)?;
    }
    if !outcome.failed.is_empty() {
        let lines: Vec<String> = outcome.failed.iter().map(|f| format!("  {f}")).collect();
        return Err(AppError::Input(format!("{} thay đổi không ghi được:\n{}", lines.len(), lines.join("\n"))).into());
    }
    if !outcome.review.is_empty() {
        // Imported, with rows to review: exit status 1, no error message (the report says it).
        return Err(crate::ReviewPending.into());
    }
    Ok(())
}

/// The file's bytes; a missing file, a directory or a file far too large for a plan is an
/// input error (exit status 2), refused before it is read.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| AppError::Input(format!("không đọc được {shown}: {e}")))?;
    if meta.is_dir() {
        return Err(AppError::Input(format!("{shown} là thư mục, không phải tệp kế hoạch")).into());
    }
    if meta.len() > import::MAX_FILE_BYTES as u64 {
        return Err(AppError::Input(format!(
            "{shown}: tệp {} MB, quá lớn đối với một kế hoạch (tối đa {} MB); kiểm tra lại tệp",
            meta.len() / (1024 * 1024),
            import::MAX_FILE_BYTES / (1024 * 1024)
        ))
        .into());
    }
    std::fs::read(path).with_context(|| format!("không đọc được {shown}"))
}

/// The rows left for review, and what to do with them.
fn print_review(o: &ImportOutcome) -> Result<()> {
    if !o.kept.is_empty() {
        outln!(
            "Giữ nguyên {} nhiệm vụ không thấy trong tệp vì dòng của chúng cần xem xét: {}.",
            o.kept.len(),
            o.kept.join(", ")
        );
    }
    if let Some(n) = o.withdrawals_to_confirm {
        outln!("Cảnh báo: tệp này rút {n} nhiệm vụ; khi nhập thật cần --allow-withdraw {n}.");
    }
    if o.review.is_empty() {
        return Ok(());
    }
    outln!("{} dòng chưa đọc được, cần xem xét (các dòng khác đã đọc):", o.review.len());
    for r in &o.review {
        outln!("  {}: {}", r.place(), r.reason);
        outln!("      \"{}\"", r.text);
    }
    if o.written {
        outln!(
            "Các dòng này được lưu cùng lần nhập; xem lại bằng: dondoc import review --plan {}; thêm bằng tay bằng \
             dondoc task add, hoặc bỏ qua có lý do bằng --dismiss DÒNG --reason ...",
            o.plan
        );
    }
    Ok(())
}

/// `dondoc import review`: the rows still to review, or one dismissed.
async fn review(global: &Global, plan: &str, dismiss: Option<usize>, reason: Option<&str>, json: bool) -> Result<()> {
    let app = datadir::open(global).await?;
    if let Some(line) = dismiss {
        let actor = super::actor(&global.actor, Source::Cli);
        let item = dondoc_app::plans::dismiss(&app, plan, line, reason.unwrap_or_default(), &actor).await?;
        outln!("Đã bỏ qua dòng {} của kế hoạch {plan}: \"{}\".", item.line, item.text);
        return Ok(());
    }
    let open = dondoc_app::plans::review(&app, plan).await?;
    if json {
        return output::json(&serde_json::to_value(&open)?);
    }
    if open.is_empty() {
        outln!("Kế hoạch {plan}: không có dòng nào cần xem xét.");
        return Ok(());
    }
    outln!("Kế hoạch {plan}: {} dòng của lần nhập gần nhất cần xem xét:", open.len());
    for r in &open {
        let task = match (&r.tt, &r.code) {
            (_, Some(code)) => format!(" (mã {code})"),
            (Some(tt), None) => format!(" (TT {tt})"),
            _ => String::new(),
        };
        outln!("  {}{task}: {}", r.place(), r.reason);
        outln!("      \"{}\"", r.text);
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
    let mut value = o.to_json();
    value["file"] = json!(args.file);
    value["dry_run"] = json!(args.dry_run);
    output::json(&value)
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
            Change::Reassigned { spec: s, from_lead, from_cooperating } => {
                let mut what = Vec::new();
                if *from_lead != s.lead {
                    what.push(format!("chủ trì: {from_lead} → {}", s.lead));
                }
                if *from_cooperating != s.cooperating {
                    what.push(format!("phối hợp: {} → {}", from_cooperating.join("; "), s.cooperating.join("; ")));
                }
                let why =
                    if o.by_succession.contains(&s.code) { " (theo đổi tên, sáp nhập cơ quan)" } else { "" };
                outln!("  → {:<12} {}{why}", s.code, what.join("; "))
            }
            Change::Withdrawn { code, title } => outln!("  - {code:<12} rút khỏi kế hoạch: {title}"),
            Change::Renumbered { code, from_tt, to_tt, .. } => {
                outln!("  # {code:<12} đánh số lại: TT {from_tt} → TT {to_tt} (cùng nội dung, giữ mã {code})")
            }
            Change::ExtensionProposed { code, from, to, to_text } => outln!(
                "  ⏱ {code:<12} thời hạn mới \"{to_text}\" ({} → {}): đề nghị gia hạn, chờ xác nhận (dondoc task extend)",
                from.format("%d/%m/%Y"),
                to.format("%d/%m/%Y")
            ),
        }
    }
    for w in &o.spec.warnings {
        outln!("  lưu ý (dòng {}): {}", w.line, w.message);
    }
    print_agency_notes(&o.agencies)?;
    print_review(o)?;
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

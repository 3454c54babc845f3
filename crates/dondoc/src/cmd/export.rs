//! `dondoc export --plan P --format csv|xlsx [--out FILE] [--at RFC3339]`: the board of a
//! plan with the columns of a Vietnamese task-tracking report.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use dondoc_core::classify::Classifier;
use dondoc_projections::BoardTask;
use dondoc_projections::board::TaskFilter;
use rust_xlsxwriter::{Format, Workbook};

use crate::app::App;
use crate::cli::{ExportArgs, ExportFormat, Global};
use crate::cmd::show::instant;
use crate::{InputError, outln};

/// CSV column names (scripts depend on them).
const CSV_HEADER: [&str; 11] =
    ["tt", "code", "title", "lead", "cooperating", "start", "finish", "product", "due", "status", "classification"];
/// The same columns as a report prints them.
const REPORT_HEADER: [&str; 11] = [
    "TT",
    "Mã số",
    "Nội dung công việc",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Thời gian bắt đầu",
    "Thời gian hoàn thành",
    "Sản phẩm",
    "Hạn thực tế",
    "Trạng thái",
    "Phân loại",
];

fn row(task: &BoardTask, classifier: &Classifier, at: DateTime<Utc>) -> [String; 11] {
    let s = &task.state;
    let standing = classifier.task(s, at);
    let due = standing
        .deadline
        .map(|d| d.due)
        .or_else(|| standing.occurrences.iter().find(|o| o.submitted_at.is_none()).map(|o| o.deadline.due));
    [
        s.tt.clone().unwrap_or_default(),
        s.key.code.clone(),
        s.title.clone(),
        s.lead.clone(),
        s.cooperating.join("; "),
        s.start.as_ref().map(|p| p.input.clone()).unwrap_or_default(),
        s.finish.as_ref().map(|p| p.input.clone()).unwrap_or_default(),
        s.product.clone().unwrap_or_default(),
        due.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        s.status.label_vi().to_string(),
        standing.classification.label_vi().to_string(),
    ]
}

pub async fn run(global: &Global, args: &ExportArgs) -> Result<()> {
    let app = App::open(global).await?;
    let tasks = app.projections.tasks(&TaskFilter { plan: Some(args.plan.clone()), agency: None })?;
    if tasks.is_empty() {
        return Err(InputError(format!("kế hoạch \"{}\" không có nhiệm vụ nào", args.plan)).into());
    }
    let at = instant(args.at)?;
    let classifier = app.classifier();
    let rows: Vec<[String; 11]> = tasks.iter().map(|t| row(t, &classifier, at)).collect();
    match args.format {
        ExportFormat::Csv => write_csv(args, &rows),
        ExportFormat::Xlsx => {
            let out = args.out.clone().unwrap_or_else(|| format!("{}.xlsx", args.plan).into());
            write_xlsx(&out, &args.plan, &rows)?;
            outln!("Đã xuất {} nhiệm vụ ra {}", rows.len(), out.display());
            Ok(())
        }
    }
}

fn write_csv(args: &ExportArgs, rows: &[[String; 11]]) -> Result<()> {
    let sink: Box<dyn std::io::Write> = match &args.out {
        Some(path) => {
            Box::new(std::fs::File::create(path).with_context(|| format!("không ghi được {}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(sink);
    w.write_record(CSV_HEADER)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    Ok(())
}

fn write_xlsx(path: &std::path::Path, plan: &str, rows: &[[String; 11]]) -> Result<()> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Theo dõi nhiệm vụ")?;
    let bold = Format::new().set_bold().set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    sheet.write_string(0, 0, format!("Bảng theo dõi thực hiện nhiệm vụ — kế hoạch {plan}"))?;
    for (c, h) in REPORT_HEADER.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in r.iter().enumerate() {
            sheet.write_string_with_format(3 + i as u32, c as u16, v, &wrap)?;
        }
    }
    for (c, width) in [5, 9, 60, 28, 36, 14, 14, 30, 12, 16, 26].iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_freeze_panes(3, 2)?;
    book.save(path).with_context(|| format!("không ghi được {}", path.display()))?;
    Ok(())
}

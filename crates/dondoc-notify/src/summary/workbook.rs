//! The workbook of the weekly summary: sheets "Tổng hợp", "Quá hạn", "Mới quá hạn",
//! "Đến hạn tuần tới", "Mới hoàn thành" (delivery failures are the secretariat's business,
//! not leadership's: `dondoc reminders log --failed`), with real dates and percentages.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::calendar::TZ;
use dondoc_core::summary::weekly::{OverdueTask, WeeklySummary};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::view::{agency_name, capitalize, dmy, local_time, subject};

/// The file name of the workbook: "tong-hop-nhiem-vu-2025-11-17.xlsx".
pub fn xlsx_filename(summary: &WeeklySummary) -> String {
    format!("tong-hop-nhiem-vu-{}.xlsx", summary.edition())
}

/// The workbook: sheets "Tổng hợp", "Quá hạn", "Mới quá hạn", "Đến hạn tuần tới", "Mới
/// hoàn thành".
/// Empty if it could not be written (logged); the email then goes without it.
pub fn xlsx(summary: &WeeklySummary) -> Vec<u8> {
    match write_xlsx(summary) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "the summary workbook could not be written; the email goes without it");
            Vec::new()
        }
    }
}

struct Formats {
    header: Format,
    title: Format,
    date: Format,
    datetime: Format,
    percent: Format,
}

fn write_xlsx(summary: &WeeklySummary) -> Result<Vec<u8>, XlsxError> {
    let f = Formats {
        header: Format::new().set_bold().set_text_wrap().set_background_color(0xEEF2F7).set_border(FormatBorder::Thin),
        title: Format::new().set_bold().set_font_size(14),
        date: Format::new().set_num_format("dd/mm/yyyy"),
        datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
        percent: Format::new().set_num_format("0.0%"),
    };
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet();
    ws.set_name("Tổng hợp")?;
    ws.write_string_with_format(0, 0, subject(summary), &f.title)?;
    ws.write_string(1, 0, "Số liệu tính đến")?;
    write_instant(ws, 1, 1, summary.generated_at, &f)?;
    header(ws, 3, &["Phân loại", "Số nhiệm vụ", "Tỷ lệ"], &f)?;
    let mut row = 4;
    for c in &summary.counts {
        ws.write_string(row, 0, capitalize(&c.label))?;
        ws.write_number(row, 1, c.count)?;
        if summary.total > 0 {
            ws.write_number_with_format(row, 2, f64::from(c.count) / f64::from(summary.total), &f.percent)?;
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Tổng số", &f.header)?;
    ws.write_number_with_format(row, 1, summary.total, &f.header)?;
    row += 2;
    header(ws, row, &["Cơ quan chủ trì", "Số nhiệm vụ quá hạn", "Quá hạn lâu nhất (ngày)"], &f)?;
    for a in &summary.overdue {
        row += 1;
        ws.write_string(row, 0, agency_name(&a.agency))?;
        ws.write_number(row, 1, a.tasks.len() as u32)?;
        ws.write_number(row, 2, a.longest_days_overdue as f64)?;
    }
    ws.set_column_width(0, 45)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(2, 20)?;

    let overdue: Vec<&OverdueTask> = summary.overdue.iter().flat_map(|a| &a.tasks).collect();
    overdue_sheet(wb.add_worksheet(), "Quá hạn", &overdue, summary, &f)?;
    let newly: Vec<&OverdueTask> = summary.newly_overdue.iter().collect();
    overdue_sheet(wb.add_worksheet(), "Mới quá hạn", &newly, summary, &f)?;

    let ws = wb.add_worksheet();
    ws.set_name("Đến hạn tuần tới")?;
    let cols = ["Cơ quan chủ trì", "Kế hoạch", "Mã số", "Nhiệm vụ", "Kỳ báo cáo", "Hạn hoàn thành", "Trạng thái"];
    header(ws, 0, &cols, &f)?;
    for (i, t) in summary.due_coming_week.iter().enumerate() {
        let r = i as u32 + 1;
        task_cells(ws, r, summary, [&t.lead, &t.plan, &t.code, &t.title])?;
        ws.write_string(r, 4, t.occurrence.as_deref().unwrap_or(""))?;
        write_date(ws, r, 5, t.deadline, &f)?;
        ws.write_string(r, 6, capitalize(&t.status_label))?;
    }
    finish_table(ws, &[35, 24, 12, 60, 14, 14, 18], summary.due_coming_week.len())?;

    let ws = wb.add_worksheet();
    ws.set_name("Mới hoàn thành")?;
    let cols = ["Cơ quan chủ trì", "Kế hoạch", "Mã số", "Nhiệm vụ", "Ngày hoàn thành", "Hạn hoàn thành", "Kết quả"];
    header(ws, 0, &cols, &f)?;
    for (i, t) in summary.newly_completed.iter().enumerate() {
        let r = i as u32 + 1;
        task_cells(ws, r, summary, [&t.lead, &t.plan, &t.code, &t.title])?;
        write_date(ws, r, 4, t.completed_on, &f)?;
        if let Some(d) = t.deadline {
            write_date(ws, r, 5, d, &f)?;
        }
        ws.write_string(r, 6, capitalize(&t.classification_label))?;
    }
    finish_table(ws, &[35, 24, 12, 60, 14, 14, 22], summary.newly_completed.len())?;

    wb.save_to_buffer()
}

/// The first four cells of a task's row: lead agency, plan (named briefly), code, title.
fn task_cells(
    ws: &mut Worksheet,
    r: u32,
    summary: &WeeklySummary,
    [lead, plan, code, title]: [&str; 4],
) -> Result<(), XlsxError> {
    ws.write_string(r, 0, agency_name(lead))?;
    ws.write_string(r, 1, plan_reference(summary, plan))?;
    ws.write_string(r, 2, code)?;
    ws.write_string(r, 3, title)?;
    Ok(())
}

/// "Kế hoạch số 818/KH-UBND" (the plan id when the summary has no name for it).
fn plan_reference<'a>(summary: &'a WeeklySummary, plan: &'a str) -> &'a str {
    summary.plans.get(plan).map_or(plan, |n| n.reference.as_str())
}

fn overdue_sheet(
    ws: &mut Worksheet,
    name: &str,
    tasks: &[&OverdueTask],
    summary: &WeeklySummary,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let cols = [
        "Cơ quan chủ trì",
        "Kế hoạch",
        "Mã số",
        "Nhiệm vụ",
        "Kỳ báo cáo",
        "Hạn hoàn thành",
        "Đã gia hạn",
        "Số ngày quá hạn",
        "Số ngày làm việc quá hạn",
        "Trạng thái",
        "Số kỳ khác quá hạn",
    ];
    header(ws, 0, &cols, f)?;
    for (i, t) in tasks.iter().enumerate() {
        let r = i as u32 + 1;
        task_cells(ws, r, summary, [&t.lead, &t.plan, &t.code, &t.title])?;
        ws.write_string(r, 4, t.occurrence.as_deref().unwrap_or(""))?;
        write_date(ws, r, 5, t.deadline, f)?;
        ws.write_string(r, 6, if t.extended { "Có" } else { "" })?;
        ws.write_number(r, 7, t.days_overdue as f64)?;
        ws.write_number(r, 8, t.working_days_overdue as f64)?;
        ws.write_string(r, 9, capitalize(&t.status_label))?;
        ws.write_number(r, 10, t.other_overdue)?;
    }
    finish_table(ws, &[35, 24, 12, 60, 14, 14, 10, 12, 14, 18, 12], tasks.len())
}

fn header(ws: &mut Worksheet, row: u32, cols: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *c, &f.header)?;
    }
    Ok(())
}

/// Column widths, a frozen header row and a filter over the rows.
fn finish_table(ws: &mut Worksheet, widths: &[u32], rows: usize) -> Result<(), XlsxError> {
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !widths.is_empty() {
        ws.autofilter(0, 0, rows as u32, widths.len() as u16 - 1)?;
    }
    Ok(())
}

fn write_date(ws: &mut Worksheet, row: u32, col: u16, d: NaiveDate, f: &Formats) -> Result<(), XlsxError> {
    use chrono::Datelike as _;
    match u16::try_from(d.year()).ok().and_then(|y| ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8).ok()) {
        Some(x) => ws.write_datetime_with_format(row, col, &x, &f.date).map(|_| ()),
        None => ws.write_string(row, col, dmy(d)).map(|_| ()),
    }
}

fn write_instant(ws: &mut Worksheet, row: u32, col: u16, at: DateTime<Utc>, f: &Formats) -> Result<(), XlsxError> {
    use chrono::{Datelike as _, Timelike as _};
    let l = at.with_timezone(&TZ);
    let x = u16::try_from(l.year()).ok().and_then(|y| {
        ExcelDateTime::from_ymd(y, l.month() as u8, l.day() as u8)
            .and_then(|d| d.and_hms(l.hour() as u16, l.minute() as u8, l.second()))
            .ok()
    });
    match x {
        Some(x) => ws.write_datetime_with_format(row, col, &x, &f.datetime).map(|_| ()),
        None => ws.write_string(row, col, local_time(at)).map(|_| ()),
    }
}

//! The weekly summary as messages: an email for leadership (HTML with an inline bar chart,
//! a plain-text alternative and an Excel workbook) and a short text for Telegram and Zalo.
//!
//! The chart is drawn with plotters; its text needs a TrueType font with Vietnamese letters
//! ([`set_chart_font`], else the first of [`DEFAULT_FONT_PATHS`] found). Without a font the
//! bars are drawn without text and a warning is logged: a font never fails the summary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::calendar::TZ;
use dondoc_core::classify::Classification;
use dondoc_core::event::Channel;
use dondoc_core::summary::{OverdueTask, WeeklySummary};
use dondoc_core::text::date_vi;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::message::{Attachment, Message, idempotency_key};

/// Where the chart font is looked for when none was set (DejaVu Sans on Debian/Ubuntu,
/// Fedora and Arch; Noto Sans; Liberation Sans): all have the Vietnamese letters.
pub const DEFAULT_FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// The `cid:` of the chart in the email's HTML.
pub const CHART_CID: &str = "bieu-do-tong-hop";

/// Overdue rows shown in the email's HTML and text; the workbook has them all.
const EMAIL_ROWS: usize = 100;
/// Agencies in the Telegram/Zalo text.
const TEXT_AGENCIES: usize = 5;
/// The longest Telegram/Zalo text, in characters.
const TEXT_LIMIT: usize = 4000;

/// Why a chart font could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChartFontError {
    #[error("cannot read the font file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0} is not a TrueType/OpenType font")]
    Invalid(PathBuf),
}

/// Whether the chart has a font: set once, then kept (plotters' font table is global).
enum FontState {
    Unset,
    Loaded(PathBuf),
    Missing,
}

static FONT: Mutex<FontState> = Mutex::new(FontState::Unset);

/// The family the chart font is registered under in plotters.
const FONT_FAMILY: &str = "sans-serif";

/// Uses the TrueType/OpenType font at `path` for chart text (from configuration, at
/// start-up). The file is read once and kept for the life of the process; setting the
/// same path again does nothing.
pub fn set_chart_font(path: &Path) -> Result<(), ChartFontError> {
    let mut state = FONT.lock().unwrap_or_else(|e| e.into_inner());
    if matches!(&*state, FontState::Loaded(p) if p == path) {
        return Ok(());
    }
    register(path)?;
    *state = FontState::Loaded(path.to_path_buf());
    Ok(())
}

fn register(path: &Path) -> Result<(), ChartFontError> {
    let bytes = std::fs::read(path).map_err(|e| ChartFontError::Read(path.to_path_buf(), e))?;
    // plotters keeps fonts as `&'static [u8]`: one font per process, leaked on purpose.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, bytes)
        .map_err(|_| ChartFontError::Invalid(path.to_path_buf()))
}

/// Whether chart text can be drawn, looking for a default font the first time.
fn chart_font() -> bool {
    let mut state = FONT.lock().unwrap_or_else(|e| e.into_inner());
    if let FontState::Unset = &*state {
        *state = DEFAULT_FONT_PATHS
            .iter()
            .map(Path::new)
            .find(|p| p.is_file() && register(p).is_ok())
            .map_or(FontState::Missing, |p| FontState::Loaded(p.to_path_buf()));
    }
    match &*state {
        FontState::Loaded(_) => true,
        _ => {
            tracing::warn!(
                candidates = ?DEFAULT_FONT_PATHS,
                "no font for the summary chart: the bars are drawn without text (set the chart font path)"
            );
            false
        }
    }
}

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

/// The email subject: "Báo cáo tổng hợp nhiệm vụ quá hạn tuần 17/11/2025 – 23/11/2025".
pub fn subject(summary: &WeeklySummary) -> String {
    format!("Báo cáo tổng hợp nhiệm vụ quá hạn tuần {} – {}", dmy(summary.week_from), dmy(summary.week_to))
}

/// The file name of the workbook: "tong-hop-nhiem-vu-2025-11-17.xlsx".
pub fn xlsx_filename(summary: &WeeklySummary) -> String {
    format!("tong-hop-nhiem-vu-{}.xlsx", summary.week_key())
}

/// The summary email to one person: HTML (the chart inline as `cid:`), a plain-text
/// alternative and the workbook attached. `address` is also the message's recipient id.
pub fn render_email(summary: &WeeklySummary, recipient_name: &str, address: &str) -> Message {
    let chart = chart_png(summary);
    let workbook = xlsx(summary);
    let mut attachments = Vec::new();
    if !chart.is_empty() {
        attachments.push(Attachment {
            filename: "bieu-do-tong-hop.png".to_string(),
            content_type: "image/png".to_string(),
            bytes: chart,
            inline_id: Some(CHART_CID.to_string()),
        });
    }
    let xlsx_name = xlsx_filename(summary);
    let has_xlsx = !workbook.is_empty();
    if has_xlsx {
        attachments.push(Attachment {
            filename: xlsx_name.clone(),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            bytes: workbook,
            inline_id: None,
        });
    }
    let has_chart = attachments.iter().any(|a| a.inline_id.is_some());
    Message {
        channel: Channel::Email,
        recipient: address.to_string(),
        name: recipient_name.to_string(),
        address: address.to_string(),
        subject: subject(summary),
        text: email_text(summary, recipient_name, has_xlsx.then_some(xlsx_name.as_str())),
        html: Some(email_html(summary, recipient_name, has_chart, has_xlsx.then_some(xlsx_name.as_str()))),
        attachments,
        actions: Vec::new(),
        params: Default::default(),
        tasks: Vec::new(),
        keys: Vec::new(),
        idempotency_key: message_key(summary, address),
    }
}

/// The short version for Telegram or Zalo (under 4,000 characters): counts, the five
/// agencies with the most overdue tasks, and how many became overdue or were completed.
pub fn render_text(summary: &WeeklySummary, channel: Channel, recipient_name: &str, address: &str) -> Message {
    let mut t = String::new();
    let _ = writeln!(t, "{}", subject(summary));
    let _ = writeln!(t, "Kính gửi {recipient_name},");
    let _ =
        writeln!(t, "Tổng số nhiệm vụ theo dõi: {} (số liệu đến {}).", summary.total, local_time(summary.generated_at));
    for c in summary.counts.iter().filter(|c| c.count > 0) {
        let _ = writeln!(t, "- {}: {}", capitalize(&c.label), c.count);
    }
    if summary.overdue.is_empty() {
        let _ = writeln!(t, "Không có nhiệm vụ quá hạn.");
    } else {
        let _ = writeln!(t, "Cơ quan có nhiều nhiệm vụ quá hạn nhất:");
        for (i, a) in summary.overdue.iter().take(TEXT_AGENCIES).enumerate() {
            let _ = writeln!(
                t,
                "{}. {}: {} nhiệm vụ, tổng {} ngày quá hạn",
                i + 1,
                shorten(agency_name(&a.agency), 80),
                a.tasks.len(),
                a.days_overdue
            );
        }
        if summary.overdue.len() > TEXT_AGENCIES {
            let _ = writeln!(t, "… và {} cơ quan khác.", summary.overdue.len() - TEXT_AGENCIES);
        }
    }
    let _ = writeln!(t, "Mới quá hạn trong tuần: {} nhiệm vụ.", summary.newly_overdue.len());
    let _ = writeln!(t, "Hoàn thành trong tuần: {} nhiệm vụ.", summary.newly_completed.len());
    if !summary.failed_deliveries.is_empty() {
        let _ = writeln!(t, "Thông báo gửi không thành công: {}.", summary.failed_deliveries.len());
    }
    let text = shorten(t.trim_end(), TEXT_LIMIT - 1);
    Message::text(channel, address, recipient_name, address, subject(summary), text, message_key(summary, address))
}

fn message_key(summary: &WeeklySummary, recipient: &str) -> String {
    idempotency_key(&[], &format!("summary/{}/{}", summary.week_key(), recipient))
}

// ---------------------------------------------------------------------------------------
// Email bodies
// ---------------------------------------------------------------------------------------

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const TABLE: &str = r#"<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#bbbbbb;font-size:14px">"#;
const TH: &str = r#"<th style="background:#eef2f7;text-align:left">"#;
const TD_NUM: &str = r#"<td style="text-align:right">"#;

fn email_html(summary: &WeeklySummary, name: &str, chart: bool, xlsx_name: Option<&str>) -> String {
    let e = escape_html;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222\">\n",
        e(&subject(summary))
    );
    let _ = writeln!(h, "<p>Kính gửi {},</p>", e(name));
    let _ = writeln!(
        h,
        "<p>Hệ thống đôn đốc nhiệm vụ báo cáo tình hình thực hiện nhiệm vụ tuần từ {} đến {} \
         (số liệu tính đến {}).</p>",
        e(&date_vi(summary.week_from)),
        e(&date_vi(summary.week_to)),
        e(&local_time(summary.generated_at))
    );

    let _ = writeln!(h, "<h2>1. Tổng hợp theo tình trạng</h2>\n{TABLE}");
    let _ = writeln!(h, "<tr>{TH}Tình trạng</th>{TH}Số nhiệm vụ</th>{TH}Tỷ lệ</th></tr>");
    for c in &summary.counts {
        let _ = writeln!(
            h,
            "<tr><td>{}</td>{TD_NUM}{}</td>{TD_NUM}{}</td></tr>",
            e(&capitalize(&c.label)),
            c.count,
            percent(c.count, summary.total)
        );
    }
    let _ = writeln!(h, "<tr><td><b>Tổng số</b></td>{TD_NUM}<b>{}</b></td>{TD_NUM}</td></tr></table>", summary.total);
    if chart {
        let _ = writeln!(
            h,
            "<p><img src=\"cid:{CHART_CID}\" alt=\"Biểu đồ số nhiệm vụ theo tình trạng và số nhiệm vụ quá hạn \
             theo cơ quan chủ trì\" style=\"max-width:100%\"></p>"
        );
    }

    let _ = writeln!(h, "<h2>2. Nhiệm vụ quá hạn theo cơ quan chủ trì ({})</h2>", summary.overdue_tasks());
    if summary.overdue.is_empty() {
        let _ = writeln!(h, "<p>Không có nhiệm vụ quá hạn.</p>");
    }
    let mut shown = 0;
    for a in &summary.overdue {
        if shown >= EMAIL_ROWS {
            break;
        }
        let _ = writeln!(
            h,
            "<h3>{} — {} nhiệm vụ, tổng {} ngày quá hạn</h3>",
            e(agency_name(&a.agency)),
            a.tasks.len(),
            a.days_overdue
        );
        let rows: Vec<&OverdueTask> = a.tasks.iter().take(EMAIL_ROWS - shown).collect();
        shown += rows.len();
        overdue_table(&mut h, &rows, false);
        if rows.len() < a.tasks.len() {
            let _ = writeln!(h, "<p>… và {} nhiệm vụ khác.</p>", a.tasks.len() - rows.len());
        }
    }
    if shown < summary.overdue_tasks() {
        let _ = writeln!(
            h,
            "<p><i>Thư chỉ liệt kê {EMAIL_ROWS} nhiệm vụ quá hạn nhiều nhất của các cơ quan đứng đầu; \
             danh sách đầy đủ trong tệp đính kèm.</i></p>"
        );
    }

    let _ = writeln!(h, "<h2>3. Nhiệm vụ mới quá hạn trong tuần ({})</h2>", summary.newly_overdue.len());
    if summary.newly_overdue.is_empty() {
        let _ = writeln!(h, "<p>Không có.</p>");
    } else {
        let rows: Vec<&OverdueTask> = summary.newly_overdue.iter().take(EMAIL_ROWS).collect();
        overdue_table(&mut h, &rows, true);
        if rows.len() < summary.newly_overdue.len() {
            let _ = writeln!(h, "<p>… và {} nhiệm vụ khác.</p>", summary.newly_overdue.len() - rows.len());
        }
    }

    let _ = writeln!(h, "<h2>4. Nhiệm vụ hoàn thành trong tuần ({})</h2>", summary.newly_completed.len());
    if summary.newly_completed.is_empty() {
        let _ = writeln!(h, "<p>Không có.</p>");
    } else {
        let _ = writeln!(
            h,
            "{TABLE}\n<tr>{TH}Cơ quan chủ trì</th>{TH}Kế hoạch</th>{TH}Mã</th>{TH}Nhiệm vụ</th>\
             {TH}Ngày hoàn thành</th>{TH}Hạn</th>{TH}Kết quả</th></tr>"
        );
        for t in summary.newly_completed.iter().take(EMAIL_ROWS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(agency_name(&t.lead)),
                e(&t.plan),
                e(&t.code),
                e(&t.title),
                dmy(t.completed_on),
                t.deadline.map_or_else(|| "—".to_string(), dmy),
                e(&capitalize(&t.classification_label))
            );
        }
        let _ = writeln!(h, "</table>");
        if summary.newly_completed.len() > EMAIL_ROWS {
            let _ = writeln!(h, "<p>… và {} nhiệm vụ khác.</p>", summary.newly_completed.len() - EMAIL_ROWS);
        }
    }

    let _ = writeln!(h, "<h2>5. Thông báo gửi không thành công ({})</h2>", summary.failed_deliveries.len());
    if summary.failed_deliveries.is_empty() {
        let _ = writeln!(h, "<p>Không có.</p>");
    } else {
        let _ = writeln!(
            h,
            "{TABLE}\n<tr>{TH}Kế hoạch</th>{TH}Mã</th>{TH}Người nhận</th>{TH}Kênh</th>{TH}Thời điểm</th>\
             {TH}Lỗi</th></tr>"
        );
        for f in summary.failed_deliveries.iter().take(EMAIL_ROWS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&f.plan),
                e(&f.code),
                e(&f.recipient),
                channel_vi(f.channel),
                f.at.map_or_else(|| "—".to_string(), local_time),
                e(&f.error)
            );
        }
        let _ = writeln!(h, "</table>");
        if summary.failed_deliveries.len() > EMAIL_ROWS {
            let _ = writeln!(h, "<p>… và {} thông báo khác.</p>", summary.failed_deliveries.len() - EMAIL_ROWS);
        }
    }

    let attached = xlsx_name.map_or(String::new(), |n| format!(" Số liệu chi tiết trong tệp đính kèm {}.", e(n)));
    let _ = writeln!(
        h,
        "<p style=\"color:#666666;font-size:12px\">Thư được gửi tự động từ hệ thống đôn đốc nhiệm vụ.{attached}</p>\n\
         </body></html>"
    );
    h
}

fn overdue_table(h: &mut String, rows: &[&OverdueTask], with_agency: bool) {
    let e = escape_html;
    let _ = write!(h, "{TABLE}\n<tr>");
    if with_agency {
        let _ = write!(h, "{TH}Cơ quan chủ trì</th>");
    }
    let _ = writeln!(
        h,
        "{TH}Kế hoạch</th>{TH}Mã</th>{TH}Nhiệm vụ</th>{TH}Hạn</th>{TH}Số ngày quá hạn</th>\
         {TH}Ngày làm việc</th>{TH}Trạng thái</th></tr>"
    );
    for t in rows {
        let _ = write!(h, "<tr>");
        if with_agency {
            let _ = write!(h, "<td>{}</td>", e(agency_name(&t.lead)));
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>{TD_NUM}{}</td>{TD_NUM}{}</td><td>{}</td></tr>",
            e(&t.plan),
            e(&t.code),
            e(&task_title(t)),
            e(&deadline_text(t)),
            t.days_overdue,
            t.working_days_overdue,
            e(&capitalize(&t.status_label))
        );
    }
    let _ = writeln!(h, "</table>");
}

fn email_text(summary: &WeeklySummary, name: &str, xlsx_name: Option<&str>) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "Kính gửi {name},\n");
    let _ = writeln!(
        t,
        "Hệ thống đôn đốc nhiệm vụ báo cáo tình hình thực hiện nhiệm vụ tuần từ {} đến {} (số liệu tính đến {}).\n",
        date_vi(summary.week_from),
        date_vi(summary.week_to),
        local_time(summary.generated_at)
    );
    let _ = writeln!(t, "1. TỔNG HỢP THEO TÌNH TRẠNG");
    for c in &summary.counts {
        let _ = writeln!(t, "- {}: {} ({})", capitalize(&c.label), c.count, percent(c.count, summary.total));
    }
    let _ = writeln!(t, "- Tổng số: {}\n", summary.total);

    let _ = writeln!(t, "2. NHIỆM VỤ QUÁ HẠN THEO CƠ QUAN CHỦ TRÌ ({})", summary.overdue_tasks());
    if summary.overdue.is_empty() {
        let _ = writeln!(t, "Không có nhiệm vụ quá hạn.");
    }
    let mut shown = 0;
    for a in &summary.overdue {
        if shown >= EMAIL_ROWS {
            let _ = writeln!(t, "(Danh sách đầy đủ trong tệp đính kèm.)");
            break;
        }
        let _ = writeln!(
            t,
            "\n{} — {} nhiệm vụ, tổng {} ngày quá hạn",
            agency_name(&a.agency),
            a.tasks.len(),
            a.days_overdue
        );
        for task in a.tasks.iter().take(EMAIL_ROWS - shown) {
            shown += 1;
            let _ = writeln!(t, "  • {}", overdue_line(task));
        }
    }

    let _ = writeln!(t, "\n3. NHIỆM VỤ MỚI QUÁ HẠN TRONG TUẦN ({})", summary.newly_overdue.len());
    if summary.newly_overdue.is_empty() {
        let _ = writeln!(t, "Không có.");
    }
    for task in summary.newly_overdue.iter().take(EMAIL_ROWS) {
        let _ = writeln!(t, "  • {} — {}", agency_name(&task.lead), overdue_line(task));
    }

    let _ = writeln!(t, "\n4. NHIỆM VỤ HOÀN THÀNH TRONG TUẦN ({})", summary.newly_completed.len());
    if summary.newly_completed.is_empty() {
        let _ = writeln!(t, "Không có.");
    }
    for c in summary.newly_completed.iter().take(EMAIL_ROWS) {
        let _ = writeln!(
            t,
            "  • {} — {}/{}: {} (hoàn thành {}, {})",
            agency_name(&c.lead),
            c.plan,
            c.code,
            c.title,
            dmy(c.completed_on),
            c.classification_label
        );
    }

    let _ = writeln!(t, "\n5. THÔNG BÁO GỬI KHÔNG THÀNH CÔNG ({})", summary.failed_deliveries.len());
    if summary.failed_deliveries.is_empty() {
        let _ = writeln!(t, "Không có.");
    }
    for f in summary.failed_deliveries.iter().take(EMAIL_ROWS) {
        let _ = writeln!(
            t,
            "  • {}/{} → {} ({}, {}): {}",
            f.plan,
            f.code,
            f.recipient,
            channel_vi(f.channel),
            f.at.map_or_else(|| "—".to_string(), local_time),
            f.error
        );
    }
    let _ = writeln!(t, "\n--\nThư được gửi tự động từ hệ thống đôn đốc nhiệm vụ.");
    if let Some(n) = xlsx_name {
        let _ = writeln!(t, "Số liệu chi tiết trong tệp đính kèm {n}.");
    }
    t
}

fn overdue_line(t: &OverdueTask) -> String {
    format!(
        "{}/{}: {} — hạn {}, quá {} ngày ({} ngày làm việc), {}",
        t.plan,
        t.code,
        task_title(t),
        deadline_text(t),
        t.days_overdue,
        t.working_days_overdue,
        t.status_label
    )
}

/// The title, with the occurrence of a recurring task and its other overdue occurrences.
fn task_title(t: &OverdueTask) -> String {
    match (&t.occurrence, t.other_overdue) {
        (None, _) => t.title.clone(),
        (Some(o), 0) => format!("{} (kỳ {o})", t.title),
        (Some(o), n) => format!("{} (kỳ {o} và {n} kỳ khác quá hạn)", t.title),
    }
}

fn deadline_text(t: &OverdueTask) -> String {
    if t.extended { format!("{} (đã gia hạn)", dmy(t.deadline)) } else { dmy(t.deadline) }
}

// ---------------------------------------------------------------------------------------
// The chart
// ---------------------------------------------------------------------------------------

const CHART_WIDTH: u32 = 960;
const CHART_AGENCIES: usize = 10;
const ROW: i32 = 30;
const BAR: i32 = 20;
const LABEL_WIDTH: i32 = 330;
const MARGIN: i32 = 20;

fn classification_color(c: Classification) -> RGBColor {
    match c {
        Classification::InProgressOverdue => RGBColor(0xc0, 0x39, 0x2b),
        Classification::DueSoon => RGBColor(0xe6, 0x7e, 0x22),
        Classification::InProgressOnTime => RGBColor(0x2e, 0x86, 0xc1),
        Classification::NotYetDue => RGBColor(0x85, 0xc1, 0xe9),
        Classification::CompletedLate => RGBColor(0x9a, 0x7d, 0x0a),
        Classification::CompletedOnTime => RGBColor(0x27, 0xae, 0x60),
        Classification::NoDeadline => RGBColor(0xaa, 0xb7, 0xb8),
        Classification::Cancelled => RGBColor(0x70, 0x7b, 0x7c),
    }
}

/// The chart as PNG: tasks per category, and overdue tasks of the ten agencies with the
/// most. Empty if the image could not be made (logged); the email then goes without it.
pub fn chart_png(summary: &WeeklySummary) -> Vec<u8> {
    let with_text = chart_font();
    match render_chart(summary, with_text) {
        Ok(png) => png,
        Err(e) => {
            tracing::warn!(error = %e, "the summary chart could not be drawn; the email goes without it");
            Vec::new()
        }
    }
}

/// One bar: its label, its value and colour.
struct Bar {
    label: String,
    value: u32,
    color: RGBColor,
}

/// Draws the chart, with or without text, into a PNG.
fn render_chart(summary: &WeeklySummary, with_text: bool) -> Result<Vec<u8>, String> {
    let categories: Vec<Bar> = summary
        .counts
        .iter()
        .map(|c| Bar { label: capitalize(&c.label), value: c.count, color: classification_color(c.classification) })
        .collect();
    let agencies: Vec<Bar> = summary
        .overdue
        .iter()
        .take(CHART_AGENCIES)
        .map(|a| Bar {
            label: shorten(agency_name(&a.agency), 42),
            value: a.tasks.len() as u32,
            color: classification_color(Classification::InProgressOverdue),
        })
        .collect();
    let panel = |bars: usize| 50 + ROW * bars.max(1) as i32;
    let height = (MARGIN * 2 + panel(categories.len()) + 20 + panel(agencies.len())) as u32;

    let mut pixels = vec![0u8; CHART_WIDTH as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (CHART_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut y = MARGIN;
        let title = format!("Nhiệm vụ theo tình trạng (tổng số {})", summary.total);
        y = draw_panel(&root, y, &title, &categories, None, with_text)?;
        y += 20;
        let title = format!("Nhiệm vụ quá hạn theo cơ quan chủ trì ({} cơ quan)", summary.overdue.len());
        draw_panel(&root, y, &title, &agencies, Some("Không có nhiệm vụ quá hạn"), with_text)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&pixels, CHART_WIDTH, height)
}

/// RGB pixels to PNG bytes, in memory.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Draws a titled panel of horizontal bars from `top`; returns the y below it.
fn draw_panel(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    top: i32,
    title: &str,
    bars: &[Bar],
    empty: Option<&str>,
    with_text: bool,
) -> Result<i32, String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let black = RGBColor(0x22, 0x22, 0x22);
    let grey = RGBColor(0x99, 0x99, 0x99);
    let title_style = TextStyle::from((FONT_FAMILY, 20).into_font()).color(&black);
    let label_style =
        TextStyle::from((FONT_FAMILY, 15).into_font()).color(&black).pos(Pos::new(HPos::Right, VPos::Center));
    let value_style =
        TextStyle::from((FONT_FAMILY, 15).into_font()).color(&black).pos(Pos::new(HPos::Left, VPos::Center));
    if with_text {
        root.draw(&Text::new(title.to_string(), (MARGIN, top + 5), title_style)).map_err(err)?;
    }
    let bars_top = top + 40;
    let x0 = MARGIN + LABEL_WIDTH;
    let room = CHART_WIDTH as i32 - x0 - MARGIN - 60;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    root.draw(&PathElement::new(vec![(x0, bars_top), (x0, bars_top + ROW * bars.len().max(1) as i32)], grey))
        .map_err(err)?;
    if bars.is_empty() {
        if let (true, Some(text)) = (with_text, empty) {
            let style = value_style.clone();
            root.draw(&Text::new(text.to_string(), (x0 + 10, bars_top + ROW / 2), style)).map_err(err)?;
        }
        return Ok(bars_top + ROW);
    }
    for (i, bar) in bars.iter().enumerate() {
        let mid = bars_top + ROW * i as i32 + ROW / 2;
        let length = (i64::from(bar.value) * i64::from(room) / i64::from(max)) as i32;
        if bar.value > 0 {
            let rect = [(x0 + 1, mid - BAR / 2), (x0 + 1 + length.max(2), mid + BAR / 2)];
            root.draw(&Rectangle::new(rect, bar.color.filled())).map_err(err)?;
        }
        if with_text {
            root.draw(&Text::new(bar.label.clone(), (x0 - 8, mid), label_style.clone())).map_err(err)?;
            root.draw(&Text::new(bar.value.to_string(), (x0 + length.max(2) + 8, mid), value_style.clone()))
                .map_err(err)?;
        }
    }
    Ok(bars_top + ROW * bars.len() as i32)
}

// ---------------------------------------------------------------------------------------
// The workbook
// ---------------------------------------------------------------------------------------

/// The workbook: sheets "Tổng hợp", "Quá hạn", "Mới quá hạn", "Mới hoàn thành", "Gửi lỗi".
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
    header(ws, 3, &["Tình trạng", "Số nhiệm vụ", "Tỷ lệ"], &f)?;
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
    header(ws, row, &["Cơ quan chủ trì", "Số nhiệm vụ quá hạn", "Tổng số ngày quá hạn"], &f)?;
    for a in &summary.overdue {
        row += 1;
        ws.write_string(row, 0, agency_name(&a.agency))?;
        ws.write_number(row, 1, a.tasks.len() as u32)?;
        ws.write_number(row, 2, a.days_overdue as f64)?;
    }
    ws.set_column_width(0, 45)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(2, 20)?;

    let overdue: Vec<&OverdueTask> = summary.overdue.iter().flat_map(|a| &a.tasks).collect();
    overdue_sheet(wb.add_worksheet(), "Quá hạn", &overdue, &f)?;
    let newly: Vec<&OverdueTask> = summary.newly_overdue.iter().collect();
    overdue_sheet(wb.add_worksheet(), "Mới quá hạn", &newly, &f)?;

    let ws = wb.add_worksheet();
    ws.set_name("Mới hoàn thành")?;
    let cols = ["Cơ quan chủ trì", "Kế hoạch", "Mã", "Nhiệm vụ", "Ngày hoàn thành", "Hạn", "Kết quả"];
    header(ws, 0, &cols, &f)?;
    for (i, t) in summary.newly_completed.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, agency_name(&t.lead))?;
        ws.write_string(r, 1, &t.plan)?;
        ws.write_string(r, 2, &t.code)?;
        ws.write_string(r, 3, &t.title)?;
        write_date(ws, r, 4, t.completed_on, &f)?;
        if let Some(d) = t.deadline {
            write_date(ws, r, 5, d, &f)?;
        }
        ws.write_string(r, 6, capitalize(&t.classification_label))?;
    }
    finish_table(ws, &[35, 18, 12, 60, 14, 12, 22], summary.newly_completed.len())?;

    let ws = wb.add_worksheet();
    ws.set_name("Gửi lỗi")?;
    header(ws, 0, &["Kế hoạch", "Mã", "Người nhận", "Kênh", "Thời điểm", "Lỗi"], &f)?;
    for (i, d) in summary.failed_deliveries.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &d.plan)?;
        ws.write_string(r, 1, &d.code)?;
        ws.write_string(r, 2, &d.recipient)?;
        ws.write_string(r, 3, channel_vi(d.channel))?;
        if let Some(at) = d.at {
            write_instant(ws, r, 4, at, &f)?;
        }
        ws.write_string(r, 5, &d.error)?;
    }
    finish_table(ws, &[18, 12, 24, 14, 18, 80], summary.failed_deliveries.len())?;

    wb.save_to_buffer()
}

fn overdue_sheet(ws: &mut Worksheet, name: &str, tasks: &[&OverdueTask], f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let cols = [
        "Cơ quan chủ trì",
        "Kế hoạch",
        "Mã",
        "Nhiệm vụ",
        "Kỳ báo cáo",
        "Hạn",
        "Đã gia hạn",
        "Số ngày quá hạn",
        "Số ngày làm việc quá hạn",
        "Trạng thái",
        "Số kỳ khác quá hạn",
    ];
    header(ws, 0, &cols, f)?;
    for (i, t) in tasks.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, agency_name(&t.lead))?;
        ws.write_string(r, 1, &t.plan)?;
        ws.write_string(r, 2, &t.code)?;
        ws.write_string(r, 3, &t.title)?;
        ws.write_string(r, 4, t.occurrence.as_deref().unwrap_or(""))?;
        write_date(ws, r, 5, t.deadline, f)?;
        ws.write_string(r, 6, if t.extended { "Có" } else { "" })?;
        ws.write_number(r, 7, t.days_overdue as f64)?;
        ws.write_number(r, 8, t.working_days_overdue as f64)?;
        ws.write_string(r, 9, capitalize(&t.status_label))?;
        ws.write_number(r, 10, t.other_overdue)?;
    }
    finish_table(ws, &[35, 18, 12, 60, 14, 12, 10, 12, 14, 18, 12], tasks.len())
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

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A local instant: "07:30 ngày 24/11/2025".
fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&TZ).format("%H:%M ngày %d/%m/%Y").to_string()
}

fn percent(n: u32, total: u32) -> String {
    if total == 0 {
        return "—".to_string();
    }
    format!("{:.1}%", f64::from(n) * 100.0 / f64::from(total)).replace('.', ",")
}

fn agency_name(agency: &str) -> &str {
    if agency.trim().is_empty() { "(Chưa xác định cơ quan chủ trì)" } else { agency }
}

fn channel_vi(c: Channel) -> &'static str {
    match c {
        Channel::Email => "Thư điện tử",
        Channel::Telegram => "Telegram",
        Channel::Zalo => "Zalo",
    }
}

/// Upper-cases the first letter ("đang thực hiện" → "Đang thực hiện").
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// At most `max` characters, the last an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn empty_week() -> WeeklySummary {
        WeeklySummary {
            generated_at: Utc.with_ymd_and_hms(2025, 11, 24, 0, 30, 0).unwrap(),
            week_from: NaiveDate::from_ymd_opt(2025, 11, 17).unwrap(),
            week_to: NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
            total: 0,
            counts: Vec::new(),
            overdue: Vec::new(),
            newly_overdue: Vec::new(),
            newly_completed: Vec::new(),
            failed_deliveries: Vec::new(),
        }
    }

    #[test]
    fn without_a_font_the_bars_are_drawn_without_text() {
        let png = render_chart(&empty_week(), false).expect("a chart");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn a_font_path_that_is_not_a_font_is_refused() {
        let missing = set_chart_font(Path::new("/nonexistent/dondoc/DejaVuSans.ttf"));
        assert!(matches!(missing, Err(ChartFontError::Read(..))), "{missing:?}");
        let not_a_font = set_chart_font(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")));
        assert!(matches!(not_a_font, Err(ChartFontError::Invalid(..))), "{not_a_font:?}");
    }

    #[test]
    fn helpers() {
        let cases = [
            (capitalize("đang thực hiện"), "Đang thực hiện"),
            (capitalize(""), ""),
            (shorten("Sở Nội vụ", 9), "Sở Nội vụ"),
            (shorten("Sở Nội vụ", 5), "Sở N…"),
            (percent(1, 3), "33,3%"),
            (percent(0, 0), "—"),
            (escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"),
            (local_time(Utc.with_ymd_and_hms(2025, 11, 24, 0, 30, 0).unwrap()), "07:30 ngày 24/11/2025"),
            (subject(&empty_week()), "Báo cáo tổng hợp nhiệm vụ quá hạn tuần 17/11/2025 – 23/11/2025"),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }
}

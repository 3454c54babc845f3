//! A plan's board as a Vietnamese task-tracking table: CSV (machine column names that
//! scripts depend on) or an Excel workbook (the column titles a report prints).

use chrono::{DateTime, Utc};
use dondoc_core::classify::Classifier;
use dondoc_projections::BoardTask;
use dondoc_projections::board::TaskFilter;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::App;
use crate::error::{AppError, Result};

/// CSV column names (scripts depend on them).
pub const CSV_HEADER: [&str; 11] =
    ["tt", "code", "title", "lead", "cooperating", "start", "finish", "product", "due", "status", "classification"];
/// The same columns as a report prints them.
pub const REPORT_HEADER: [&str; 11] = [
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

/// One row per task of a plan.
pub struct ExportTable {
    pub plan: String,
    pub rows: Vec<[String; 11]>,
}

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
        standing.classification.label_for(s.status).to_string(),
    ]
}

/// A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection"): text that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, unless it
/// is a plain number (a negative count of days). An imported title such as
/// `=HYPERLINK("http://…")` then shows as text.
pub fn neutralised(value: &str) -> std::borrow::Cow<'_, str> {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && value.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The table of `plan` at `at`; a plan without tasks is an input error.
pub async fn table(app: &App, plan: &str, at: DateTime<Utc>) -> Result<ExportTable> {
    let tasks = app.read().await?.tasks(&TaskFilter { plan: Some(plan.to_string()), agency: None })?;
    if tasks.is_empty() {
        return Err(AppError::Input(format!("kế hoạch \"{plan}\" không có nhiệm vụ nào")));
    }
    let calendar = app.calendar();
    let classifier = app.classifier(&calendar);
    Ok(ExportTable { plan: plan.to_string(), rows: tasks.iter().map(|t| row(t, &classifier, at)).collect() })
}

impl ExportTable {
    /// Writes the CSV (header [`CSV_HEADER`]), every cell [`neutralised`].
    pub fn write_csv(&self, sink: impl std::io::Write) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(sink);
        w.write_record(CSV_HEADER)?;
        for r in &self.rows {
            w.write_record(r.iter().map(|v| neutralised(v).into_owned()))?;
        }
        w.flush()
    }

    /// The Excel workbook (titles [`REPORT_HEADER`]).
    pub fn xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Theo dõi nhiệm vụ")?;
        let bold = Format::new().set_bold().set_text_wrap();
        let wrap = Format::new().set_text_wrap();
        sheet.write_string(0, 0, format!("Bảng theo dõi thực hiện nhiệm vụ — kế hoạch {}", self.plan))?;
        for (c, h) in REPORT_HEADER.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                sheet.write_string_with_format(3 + i as u32, c as u16, v, &wrap)?;
            }
        }
        for (c, width) in [5, 9, 60, 28, 36, 14, 14, 30, 12, 16, 26].iter().enumerate() {
            sheet.set_column_width(c as u16, *width)?;
        }
        sheet.set_freeze_panes(3, 2)?;
        book.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralised;

    #[test]
    fn formula_cells_are_neutralised() {
        let cases = [
            ("=HYPERLINK(\"http://x\",\"Bấm\")", "'=HYPERLINK(\"http://x\",\"Bấm\")"),
            ("+84905123456+cmd|' /C calc'!A0", "'+84905123456+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-5", "-5"),
            ("+3", "+3"),
            ("Báo cáo quý", "Báo cáo quý"),
            ("", ""),
            ("a=b", "a=b"),
        ];
        for (given, written) in cases {
            assert_eq!(neutralised(given), written, "{given:?}");
        }
    }
}

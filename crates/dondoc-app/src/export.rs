//! A plan's board as a Vietnamese task-tracking table: CSV (machine column names and ISO
//! dates that scripts depend on, or with [`Titles::Vietnamese`] the report's titles and
//! dd/mm/yyyy) or an Excel workbook (the report's titles, real dates shown dd/mm/yyyy, the
//! plan cited in the title).

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::classify::Classifier;
use dondoc_projections::BoardTask;
use dondoc_projections::board::TaskFilter;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::App;
use crate::error::{AppError, Result};

/// CSV column names (scripts depend on them).
pub const CSV_HEADER: [&str; 11] =
    ["tt", "code", "title", "lead", "cooperating", "start", "finish", "product", "due", "status", "classification"];
/// The same columns as a report prints them (docs/van-phong.md).
pub const REPORT_HEADER: [&str; 11] = [
    "TT",
    "Mã số",
    "Nhiệm vụ",
    "Cơ quan chủ trì",
    "Cơ quan phối hợp",
    "Thời gian bắt đầu",
    "Thời hạn (theo kế hoạch)",
    "Sản phẩm",
    "Hạn hoàn thành",
    "Trạng thái",
    "Phân loại",
];

/// The column of the due date (ISO in the rows).
const DUE: usize = 8;

/// The CSV's first line and date form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Titles {
    /// [`CSV_HEADER`] and ISO dates: what scripts read.
    Machine,
    /// [`REPORT_HEADER`] and dd/mm/yyyy: what people read.
    Vietnamese,
}

/// One row per task of a plan.
pub struct ExportTable {
    pub plan: String,
    /// How the plan is cited ("Kế hoạch số … ngày … của … về …").
    pub citation: String,
    pub rows: Vec<[String; 11]>,
}

fn iso_to_dmy(value: &str) -> Option<String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok().map(|d| d.format("%d/%m/%Y").to_string())
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
    let citation = crate::plans::record(app, plan).await?.citation();
    let calendar = app.calendar();
    let classifier = app.classifier(&calendar);
    Ok(ExportTable { plan: plan.to_string(), citation, rows: tasks.iter().map(|t| row(t, &classifier, at)).collect() })
}

impl ExportTable {
    /// Writes the CSV with `titles`, every cell [`neutralised`].
    pub fn write_csv(&self, sink: impl std::io::Write, titles: Titles) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(sink);
        w.write_record(match titles {
            Titles::Machine => CSV_HEADER,
            Titles::Vietnamese => REPORT_HEADER,
        })?;
        for r in &self.rows {
            w.write_record(r.iter().enumerate().map(|(c, v)| {
                let v = match (titles, c) {
                    (Titles::Vietnamese, DUE) => iso_to_dmy(v).unwrap_or_else(|| v.clone()),
                    _ => v.clone(),
                };
                neutralised(&v).into_owned()
            }))?;
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
        let date = Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_string(0, 0, format!("Bảng theo dõi tình hình thực hiện nhiệm vụ {}", self.citation))?;
        for (c, h) in REPORT_HEADER.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            let row = 3 + i as u32;
            for (c, v) in r.iter().enumerate() {
                match NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().filter(|_| c == DUE) {
                    Some(d) => {
                        let (y, m, dd) =
                            (chrono::Datelike::year(&d), chrono::Datelike::month(&d), chrono::Datelike::day(&d));
                        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(y as u16, m as u8, dd as u8)?;
                        sheet.write_datetime_with_format(row, c as u16, &when, &date)?;
                    }
                    None => {
                        sheet.write_string_with_format(row, c as u16, v, &wrap)?;
                    }
                }
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

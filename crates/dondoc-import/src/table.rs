//! Tables typed by people: CSV files and Excel sheets with a header row whose column names
//! may be Vietnamese or English (see [`COLUMNS`]). A row without a lead agency and without
//! a time is a heading; cooperating agencies are separated by ";" or new lines.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use dondoc_core::text::{clean, fold};

use crate::model::{ImportedPlan, PlanRow, ReadError, ReviewItem};

/// Accepted column names (compared case-insensitively, NFC, spaces collapsed), per field.
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("tt", &["tt", "stt", "số thứ tự"]),
    ("section", &["section", "group", "mục", "nhóm", "phần"]),
    ("code", &["code", "mã số", "mã", "mã nhiệm vụ"]),
    ("title", &["title", "nội dung", "nội dung công việc", "nhiệm vụ", "tên nhiệm vụ", "task"]),
    ("lead", &["lead", "chủ trì", "cơ quan chủ trì", "đơn vị chủ trì", "cơ quan thực hiện", "đơn vị chủ trì tham mưu"]),
    ("cooperating", &["cooperating", "phối hợp", "cơ quan phối hợp", "đơn vị phối hợp", "đơn vị phối hợp thực hiện"]),
    ("start", &["start", "bắt đầu", "thời gian bắt đầu"]),
    (
        "finish",
        &[
            "finish",
            "deadline",
            "time",
            "hoàn thành",
            "thời gian hoàn thành",
            "thời hạn",
            "thời hạn (theo kế hoạch)",
            "thời hạn hoàn thành",
            "thời gian thực hiện",
        ],
    ),
    ("product", &["product", "result", "sản phẩm", "kết quả", "kết quả thực hiện"]),
];

/// Which source column holds each field.
pub(crate) struct Header {
    pub(crate) index: Vec<(&'static str, usize)>,
}

impl Header {
    pub(crate) fn parse(cells: &[String]) -> Result<Header, ReadError> {
        let mut index = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let name = fold(cell);
            if let Some((field, _)) = COLUMNS.iter().find(|(_, names)| names.contains(&name.as_str()))
                && !index.iter().any(|(f, _)| f == field)
            {
                index.push((*field, i));
            }
        }
        let has = |f: &str| index.iter().any(|(x, _)| *x == f);
        if !has("title") || !has("lead") {
            return Err(ReadError::Row {
                line: 1,
                reason: "dòng tiêu đề cần ít nhất các cột nội dung (title) và chủ trì (lead)".into(),
                text: cells.join(","),
            });
        }
        Ok(Header { index })
    }

    /// A row's cells read into a plan row, its number and title given: a heading when it
    /// has no lead; level 0 and the section as its own column says (the caller adjusts).
    pub(crate) fn plan_row(&self, cells: &[String], line: usize, tt: String, title: String) -> PlanRow {
        let lead = agencies(self.get(cells, "lead"));
        PlanRow {
            line,
            section: self.get(cells, "section").map(clean),
            tt,
            code: self.get(cells, "code").map(clean),
            level: 0,
            heading: lead.is_empty(),
            title,
            lead,
            cooperating: agencies(self.get(cells, "cooperating")),
            start: self.get(cells, "start").map(clean),
            finish: self.get(cells, "finish").map(clean),
            product: self.get(cells, "product").map(clean),
        }
    }

    pub(crate) fn get<'a>(&self, row: &'a [String], field: &str) -> Option<&'a str> {
        let i = self.index.iter().find(|(f, _)| *f == field)?.1;
        row.get(i).map(|s| s.as_str()).filter(|s| !s.trim().is_empty())
    }
}

pub(crate) fn agencies(cell: Option<&str>) -> Vec<String> {
    cell.map(|c| {
        c.split([';', '\n'])
            .map(|a| clean(a.trim_start_matches(['-', '+', '•']).trim_end_matches(['.', ','])))
            .filter(|a| !a.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Rows of cells (the first is the header) into a plan; `first_line` numbers the header.
fn rows_to_plan(rows: Vec<Vec<String>>, first_line: usize) -> Result<ImportedPlan, ReadError> {
    let mut rows = rows.into_iter();
    let header = match rows.next() {
        Some(h) => Header::parse(&h)?,
        None => return Err(ReadError::UnknownShape("bảng trống".into())),
    };
    let mut plan = ImportedPlan::default();
    for (i, row) in rows.enumerate() {
        let line = first_line + 1 + i;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let title = header.get(&row, "title").map(clean).unwrap_or_default();
        if title.is_empty() {
            plan.review.push(ReviewItem {
                column: Some("nội dung (title)".into()),
                ..ReviewItem::row(line, "thiếu nội dung", &row.join(","))
            });
            continue;
        }
        let tt = header.get(&row, "tt").map(clean).unwrap_or_default();
        let level = if tt.is_empty() { 1 } else { tt.split('.').filter(|p| !p.is_empty()).count() as u8 };
        let mut r = header.plan_row(&row, line, tt, title);
        r.level = level;
        // A row with a time but no lead is a task whose lead is missing (an exported
        // indicator without one, say), not a heading.
        r.heading = r.heading && r.start.is_none() && r.finish.is_none();
        plan.rows.push(r);
    }
    Ok(plan)
}

/// Reads a CSV table (UTF-8, comma-separated, header row).
pub fn read_csv(text: &str) -> Result<ImportedPlan, ReadError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ReadError::Row { line, reason: "dòng CSV không hợp lệ".into(), text: e.to_string() }
        })?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    rows_to_plan(rows, 1)
}

/// Reads the named sheet (or the first one) of an Excel workbook given as bytes. The
/// header is the first row whose cells name a title and a lead column.
pub fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<ImportedPlan, ReadError> {
    let bad = |reason: String| ReadError::UnknownShape(reason);
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| bad(format!("tệp Excel: {e}")))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| fold(n) == fold(s))
            .cloned()
            .ok_or_else(|| bad(format!("không có trang tính \"{s}\"; các trang: {}", names.join(", "))))?,
        None => names.first().cloned().ok_or_else(|| bad("tệp Excel không có trang tính nào".into()))?,
    };
    let range = book.worksheet_range(&name).map_err(|e| bad(format!("trang tính \"{name}\": {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let cells: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    let header_at = cells
        .iter()
        .position(|row| Header::parse(row).is_ok())
        .ok_or_else(|| bad(format!("trang tính \"{name}\" không có dòng tiêu đề với cột nội dung và chủ trì")))?;
    rows_to_plan(cells[header_at..].to_vec(), first_row + header_at + 1)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_or_english_headers() {
        let vi = "STT,Mã số,Nội dung,Chủ trì,Phối hợp,Thời gian bắt đầu,Thời gian hoàn thành,Sản phẩm\n\
                  1,01,Nhóm nhiệm vụ,,,,,\n\
                  1.1,011,Rà soát chỉ tiêu,Thống kê tỉnh,\"Sở Tài chính; Sở Nội vụ\",Tháng 1/2026,Quý II/2026,Danh mục\n";
        let p = read_csv(vi).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert!(p.rows[0].heading);
        let r = &p.rows[1];
        assert_eq!((r.line, r.tt.as_str(), r.code.as_deref()), (3, "1.1", Some("011")));
        assert_eq!(r.cooperating, ["Sở Tài chính", "Sở Nội vụ"]);
        assert_eq!(r.finish.as_deref(), Some("Quý II/2026"));

        let en = "code,title,lead,cooperating,start,finish,product\n02,Báo cáo,Thống kê tỉnh,,,\"Tháng, quý, năm\",\n";
        let p = read_csv(en).unwrap();
        assert_eq!(p.rows[0].finish.as_deref(), Some("Tháng, quý, năm"));
    }

    #[test]
    fn a_header_without_title_or_lead_is_an_error() {
        assert!(matches!(read_csv("a,b\n1,2\n"), Err(ReadError::Row { line: 1, .. })));
        assert!(read_csv("").is_err());
    }
}

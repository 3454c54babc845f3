//! What every reader produces.

use chrono::NaiveDate;
pub use dondoc_core::plan::ReviewItem;

/// A plan as read from a document or a table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportedPlan {
    /// The decision's number as printed, e.g. "1234/QĐ-UBND" (None when the document leaves
    /// it blank or as a placeholder).
    pub number: Option<String>,
    /// Who issued it, e.g. "UBND tỉnh Quảng Nam".
    pub issuer: Option<String>,
    /// The date, when the document gives a valid one.
    pub date: Option<NaiveDate>,
    /// The date as printed, kept even when it is impossible ("04/16/2026").
    pub date_text: Option<String>,
    /// The plan's title.
    pub title: Option<String>,
    /// Heading and task rows, in document order.
    pub rows: Vec<PlanRow>,
    /// Indicator catalogue rows (Phụ lục II), in document order.
    pub indicators: Vec<IndicatorRow>,
    /// Problems that do not stop the import (duplicate codes, impossible dates, ...).
    pub warnings: Vec<ImportWarning>,
    /// Rows that could not be read: left out of `rows`, kept for review with their line,
    /// reason and text (one unreadable row never costs the others).
    pub review: Vec<ReviewItem>,
}

/// A row of a task table: a heading (group) or a task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRow {
    /// 1-based line of the source where the row starts.
    pub line: usize,
    /// The section heading the row sits under, as printed ("I. Xây dựng, hoàn thiện thể chế");
    /// None for tables numbered without sections.
    pub section: Option<String>,
    /// The row number as printed (TT/STT): "I", "1", "1.1.2.3".
    pub tt: String,
    /// The task code (Mã số) as printed; None when the document has no code column.
    pub code: Option<String>,
    /// Depth: 0 for part headings (I, II), then 1 for "1", 2 for "1.1", ...
    pub level: u8,
    /// Heading rows group tasks and carry no agencies.
    pub heading: bool,
    pub title: String,
    /// Lead agencies (chủ trì) as written, split where the document lists several.
    pub lead: Vec<String>,
    /// Cooperating agencies (phối hợp) as written, one item per agency or group.
    pub cooperating: Vec<String>,
    /// Time cells as written (NFC, whitespace collapsed); `finish` holds the deadline column
    /// of tables that have only one time column.
    pub start: Option<String>,
    pub finish: Option<String>,
    /// Product (Sản phẩm) or result (Kết quả thực hiện).
    pub product: Option<String>,
}

/// A row of an indicator catalogue: an indicator reported at a frequency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorRow {
    pub line: usize,
    /// The headings above it, outermost first, joined with " > " as printed
    /// ("A. Nhóm chỉ số ... > I. Chỉ số giá").
    pub group: String,
    pub tt: String,
    pub name: String,
    /// Phạm vi (scope), e.g. "Toàn tỉnh".
    pub scope: Option<String>,
    /// Reporting frequency as written ("Tháng", "Quý/Năm").
    pub frequency: String,
    pub lead: Vec<String>,
    /// Phân tổ / ghi chú.
    pub notes: Option<String>,
}

/// Something worth telling the person importing, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    pub line: usize,
    pub message: String,
}

/// A source that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The text is not a plan table of any known shape.
    #[error("không nhận ra bảng nhiệm vụ trong tài liệu: {0}")]
    UnknownShape(String),
    /// A row that cannot be read: its line, and the text quoted.
    #[error("dòng {line}: {reason}: \"{text}\"")]
    Row { line: usize, reason: String, text: String },
}

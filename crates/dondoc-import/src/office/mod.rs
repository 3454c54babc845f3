//! The files people receive: Word documents ([`docx`], tables read from the document's
//! structure) and PDF files ([`pdf`], tables rebuilt from the positions of the words of its
//! text layer). Both give a grid of cells, read here into a plan ([`plan_from_grid`]):
//!
//! - the header is the run of rows from the first row that names columns ("TT", "Nội
//!   dung", "Chủ trì", …) to the first numbered row; a column's name is the lowest header
//!   cell that is a known column name (so "Cơ quan thực hiện" over "Chủ trì | Phối hợp"
//!   reads as the two columns), the column-letter row "(A) (B) …" ignored;
//! - the header repeated on later pages is skipped; a row with an empty first cell that is
//!   not a header continues the row above (a row broken by a page);
//! - a row with text in one cell only (merged across the table) that starts with a row
//!   number is a heading: "I. Xây dựng, hoàn thiện thể chế" gives TT "I", the section of the
//!   rows below it (codes "I.1", …, as for the text of such plans);
//! - the rows are then those of a typed table ([`crate::table`]): agencies split at ";" and
//!   line breaks, a row without a lead is a heading;
//! - an indicator catalogue ("TT | Thông tin, dữ liệu | Phạm vi | Thời gian | Phân tổ | Cơ
//!   quan thực hiện") gives indicator rows, grouped under its headings "A. …" and "I. …"
//!   ("A. … > I. …", codes "CS-A.I.1" as for the text of such plans).

pub mod docx;
pub mod pdf;

use dondoc_core::text::{clean, fold};

use crate::model::{ImportedPlan, IndicatorRow, ReadError, ReviewItem};
use crate::table::{COLUMNS, Header, agencies};

/// One row of cells, with where it is (a row number in the document's tables, or the
/// page and line of a PDF), for messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GridRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Whether a cell's text is a known column name.
fn is_column_name(cell: &str) -> bool {
    let name = fold(cell);
    COLUMNS.iter().any(|(_, names)| names.contains(&name.as_str()))
}

/// "(A)", "(1)": a column-letter cell.
fn is_column_letter(cell: &str) -> bool {
    let t = cell.trim();
    t.len() >= 3 && t.starts_with('(') && t.ends_with(')') && t[1..t.len() - 1].chars().all(|c| c.is_alphanumeric())
}

/// A Roman numeral (I to XXXIX).
fn is_roman(s: &str) -> bool {
    !s.is_empty() && s.len() <= 6 && s.chars().all(|c| matches!(c, 'I' | 'V' | 'X'))
}

/// The row number a cell starts with, and the rest: "1.2" -> ("1.2", ""), "I. Xây dựng" ->
/// ("I", "Xây dựng"), "a)" -> ("a", "").
fn row_number(cell: &str) -> Option<(String, String)> {
    let t = clean(cell);
    let (head, rest) = t.split_once(' ').unwrap_or((t.as_str(), ""));
    let number = head.trim_end_matches(['.', ')']);
    let dotted = !number.is_empty()
        && number.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && number.len() <= 12;
    let letter = head.ends_with(')') && number.chars().count() == 1 && number.chars().all(char::is_lowercase);
    // "A. Nhóm chỉ số …": a part of an indicator catalogue.
    let part = head.ends_with('.') && number.len() == 1 && number.chars().all(|c| c.is_ascii_uppercase());
    (dotted || is_roman(number) || letter || part).then(|| (number.to_string(), rest.trim().to_string()))
}

fn is_header_row(cells: &[String]) -> bool {
    let first = fold(cells.first().map_or("", String::as_str));
    first == "tt" || first == "stt" || cells.iter().filter(|c| is_column_name(c)).count() >= 2
}

fn is_letter_row(cells: &[String]) -> bool {
    let filled: Vec<&String> = cells.iter().filter(|c| !c.trim().is_empty()).collect();
    !filled.is_empty() && filled.iter().all(|c| is_column_letter(c))
}

/// The header's column names: per column, the lowest cell that is a known name, else the
/// lowest non-empty one.
fn combined_header(rows: &[GridRow], width: usize) -> Vec<String> {
    (0..width)
        .map(|c| {
            // Each line of a cell on its own: a PDF puts a merged header and the one below
            // it in one cell ("Cơ quan thực hiện" / "Chủ trì").
            let cells: Vec<&str> = rows.iter().filter_map(|r| r.cells.get(c)).flat_map(|t| t.split('\n')).collect();
            let named = cells.iter().rev().find(|t| is_column_name(t));
            let any = cells.iter().rev().find(|t| !t.trim().is_empty() && !is_column_letter(t));
            named.or(any).map(|t| clean(t)).unwrap_or_default()
        })
        .collect()
}

/// Reads the task table(s) of a grid into a plan (see the module documentation). `tables`
/// are the grids of each table in document order; those without a header naming a title
/// and a lead column are not task tables and are skipped.
pub fn plan_from_grid(tables: &[Vec<GridRow>]) -> Result<ImportedPlan, ReadError> {
    let mut plan = ImportedPlan::default();
    let mut found = false;
    for grid in tables {
        let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
        let Some(start) = grid.iter().position(|r| is_header_row(&r.cells)) else { continue };
        let end = grid[start..]
            .iter()
            .position(|r| r.cells.first().and_then(|c| row_number(c)).is_some())
            .map_or(grid.len(), |k| start + k);
        let names = combined_header(&grid[start..end], width);
        if let Some(columns) = IndicatorColumns::of(&names) {
            found = true;
            read_indicators(&columns, &grid[end..], width, &mut plan);
            continue;
        }
        let Ok(header) = Header::parse(&names) else { continue };
        found = true;
        read_rows(&header, &grid[end..], width, &mut plan);
    }
    if !found {
        return Err(ReadError::UnknownShape(
            "không thấy bảng có dòng tiêu đề với các cột nội dung (nhiệm vụ) và chủ trì".into(),
        ));
    }
    Ok(plan)
}

fn read_rows(header: &Header, rows: &[GridRow], width: usize, plan: &mut ImportedPlan) {
    // Rows with continuations merged.
    let mut merged: Vec<GridRow> = Vec::new();
    for row in rows {
        let mut cells = row.cells.clone();
        cells.resize(width, String::new());
        if is_header_row(&cells) || is_letter_row(&cells) || cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let first_empty = cells[0].trim().is_empty();
        match merged.last_mut() {
            Some(last) if first_empty => {
                for (into, more) in last.cells.iter_mut().zip(cells) {
                    if !more.trim().is_empty() {
                        if !into.is_empty() {
                            into.push('\n');
                        }
                        into.push_str(more.trim());
                    }
                }
            }
            _ => merged.push(GridRow { line: row.line, cells }),
        }
    }
    let title_col = header_index(header, "title");
    let mut section: Option<String> = None;
    for row in merged {
        let filled: Vec<usize> = (0..width).filter(|&c| !row.cells[c].trim().is_empty()).collect();
        let Some((tt, rest)) = row_number(&row.cells[0]) else {
            plan.review.push(ReviewItem {
                column: Some("TT".into()),
                ..ReviewItem::row(row.line, "hàng không có số thứ tự (TT)", &row.cells.join(" | "))
            });
            continue;
        };
        let mut cells = row.cells.clone();
        // A heading merged across the table: its number and text in the first cell.
        if filled.len() == 1 && !rest.is_empty() {
            cells[0] = tt.clone();
            if let Some(t) = title_col {
                cells[t] = rest.clone();
            }
        }
        let roman = is_roman(&tt);
        let title = header.get(&cells, "title").map(clean).unwrap_or_default();
        if title.is_empty() {
            plan.review.push(ReviewItem {
                column: Some("nội dung".into()),
                tt: Some(tt.clone()),
                ..ReviewItem::row(row.line, "thiếu nội dung", &row.cells.join(" | "))
            });
            continue;
        }
        if roman {
            section = Some(format!("{tt}. {title}"));
        }
        let level = if roman { 0 } else { tt.split('.').count() as u8 };
        let mut r = header.plan_row(&cells, row.line, tt, title);
        r.level = level;
        r.section = r.section.or_else(|| if roman { None } else { section.clone() });
        plan.rows.push(r);
    }
}

/// Where an indicator catalogue keeps each field.
struct IndicatorColumns {
    name: usize,
    scope: Option<usize>,
    frequency: usize,
    notes: Option<usize>,
    lead: Option<usize>,
}

impl IndicatorColumns {
    /// The columns of an indicator catalogue's header, if it is one: a "Thông tin, dữ liệu"
    /// (or "Chỉ số") column and a "Thời gian" (or "Tần suất") column, with "Phạm vi" or
    /// "Phân tổ".
    fn of(names: &[String]) -> Option<IndicatorColumns> {
        let find = |options: &[&str]| names.iter().position(|n| options.contains(&fold(n).as_str()));
        let name = find(&["thông tin, dữ liệu", "thông tin dữ liệu", "chỉ số", "tên chỉ số"])?;
        let frequency = find(&["thời gian", "tần suất", "kỳ báo cáo"])?;
        let scope = find(&["phạm vi"]);
        let notes = find(&["phân tổ", "ghi chú"]);
        (scope.is_some() || notes.is_some()).then_some(IndicatorColumns {
            name,
            scope,
            frequency,
            notes,
            lead: find(&["cơ quan thực hiện", "cơ quan chủ trì", "đơn vị chủ trì", "chủ trì", "đơn vị thực hiện"]),
        })
    }
}

fn read_indicators(columns: &IndicatorColumns, rows: &[GridRow], width: usize, plan: &mut ImportedPlan) {
    let mut part: Option<String> = None;
    let mut group: Option<String> = None;
    for row in rows {
        let mut cells = row.cells.clone();
        cells.resize(width, String::new());
        if is_header_row(&cells) || is_letter_row(&cells) || cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
        let cell = |i: Option<usize>| i.map(|i| clean(&cells[i])).filter(|c| !c.is_empty());
        // An indicator printed without a number still has its name and frequency.
        let unnumbered =
            cells[0].trim().is_empty() && cell(Some(columns.name)).is_some() && cell(Some(columns.frequency)).is_some();
        let Some((tt, rest)) = row_number(&cells[0]).or_else(|| unnumbered.then(Default::default)) else {
            plan.review.push(ReviewItem::row(row.line, "hàng không có số thứ tự (TT)", &cells.join(" | ")));
            continue;
        };
        if filled == 1 || cell(Some(columns.frequency)).is_none() {
            // A heading: "A. …" (a part), "I. …" (a group of the part).
            let title = if rest.is_empty() { cell(Some(columns.name)).unwrap_or_default() } else { clean(&rest) };
            if is_roman(&tt) {
                group = Some(format!("{tt}. {title}"));
            } else {
                part = Some(format!("{tt}. {title}"));
                group = None;
            }
            continue;
        }
        let path: Vec<&str> = part.iter().chain(group.iter()).map(String::as_str).collect();
        plan.indicators.push(IndicatorRow {
            line: row.line,
            group: path.join(" > "),
            tt,
            name: cell(Some(columns.name)).unwrap_or_default(),
            scope: cell(columns.scope),
            frequency: cell(Some(columns.frequency)).unwrap_or_default(),
            lead: agencies(columns.lead.map(|i| cells[i].as_str())),
            notes: cell(columns.notes),
        });
    }
}

fn header_index(header: &Header, field: &str) -> Option<usize> {
    header.index.iter().find(|(f, _)| *f == field).map(|(_, i)| *i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Vec<GridRow> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| GridRow { line: i + 1, cells: r.iter().map(|c| c.to_string()).collect() })
            .collect()
    }

    #[test]
    fn merged_headers_headings_repeated_headers_and_continuations() {
        let table = grid(&[
            &["TT", "Nội dung công việc", "Mã số", "Cơ quan thực hiện", "", "Sản phẩm"],
            &["", "", "", "Chủ trì", "Phối hợp", ""],
            &["(A)", "(B)", "(C)", "(D)", "(E)", "(F)"],
            &["I. Nhiệm vụ chung", "", "", "", "", ""],
            &["1", "Rà soát chỉ tiêu", "01", "Thống kê tỉnh", "Sở Tài chính;\nSở Nội vụ", "Danh mục"],
            &["TT", "Nội dung công việc", "Mã số", "Cơ quan thực hiện", "", "Sản phẩm"],
            &["", "được giao", "", "", "UBND các xã", ""],
            &["2", "Báo cáo", "02", "Thống kê tỉnh", "", "Báo cáo"],
        ]);
        let plan = plan_from_grid(&[table]).unwrap();
        let rows: Vec<(&str, &str, u8, Option<&str>)> =
            plan.rows.iter().map(|r| (r.tt.as_str(), r.title.as_str(), r.level, r.section.as_deref())).collect();
        assert_eq!(
            rows,
            [
                ("I", "Nhiệm vụ chung", 0, None),
                ("1", "Rà soát chỉ tiêu được giao", 1, Some("I. Nhiệm vụ chung")),
                ("2", "Báo cáo", 1, Some("I. Nhiệm vụ chung")),
            ]
        );
        assert_eq!(plan.rows[1].cooperating, ["Sở Tài chính", "Sở Nội vụ", "UBND các xã"]);
        assert_eq!(plan.rows[1].code.as_deref(), Some("01"));
        assert!(plan.rows[0].heading && !plan.rows[1].heading);
    }

    #[test]
    fn an_indicator_catalogue_with_parts_groups_and_unnumbered_rows() {
        let table = grid(&[
            &["TT", "Thông tin, dữ liệu", "Phạm vi", "Thời gian", "Phân tổ", "Cơ quan thực hiện"],
            &["A. Nhóm chỉ số điều hành", "", "", "", "", ""],
            &["I. Chỉ số giá", "", "", "", "", ""],
            &["1", "Chỉ số giá tiêu dùng", "Toàn tỉnh", "Tháng", "11 nhóm hàng", "Thống kê tỉnh"],
            &["", "Nhà ở và thị trường bất động sản", "Toàn tỉnh", "Tháng", "", "Sở Xây dựng"],
            &["B. Nhóm chỉ số kế hoạch", "", "", "", "", ""],
            &["1", "Tốc độ tăng GRDP", "Toàn tỉnh", "Quý/Năm", "", "Thống kê tỉnh"],
        ]);
        let plan = plan_from_grid(&[table]).unwrap();
        let rows: Vec<(&str, &str, &str)> =
            plan.indicators.iter().map(|r| (r.group.as_str(), r.tt.as_str(), r.frequency.as_str())).collect();
        assert_eq!(
            rows,
            [
                ("A. Nhóm chỉ số điều hành > I. Chỉ số giá", "1", "Tháng"),
                ("A. Nhóm chỉ số điều hành > I. Chỉ số giá", "", "Tháng"),
                ("B. Nhóm chỉ số kế hoạch", "1", "Quý/Năm"),
            ]
        );
        assert_eq!(plan.indicators[0].notes.as_deref(), Some("11 nhóm hàng"));
        assert!(plan.rows.is_empty() && plan.review.is_empty());
    }

    #[test]
    fn a_table_without_a_task_header_is_not_a_plan() {
        assert!(plan_from_grid(&[grid(&[&["Họ tên", "Chức vụ"], &["A", "B"]])]).is_err());
    }
}

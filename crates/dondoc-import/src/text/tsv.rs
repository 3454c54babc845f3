//! Reader for tab-separated plan tables with HTML residue: text exported from a Word file
//! whose appendix table came out one row per line, cells separated by tabs
//! (`STT\tNội dung\tĐơn vị chủ trì tham mưu\tĐơn vị phối hợp thực hiện\tThời gian thực hiện`),
//! with markdown and HTML left in the cells (`**bold**`, `<b>`, `<i>`, `<a href>`,
//! `<ul><li>- A;</li></ul>`, `&amp;`, `<br>`).
//!
//! How the text is read:
//! - Line ends may be LF, CRLF or CR; a byte-order mark is ignored; the last line needs no
//!   line end.
//! - The table starts at the first header line: first cell STT/TT, other cells naming the
//!   columns. Columns are found by their names (content: "Nội dung", "Nhiệm vụ"; lead: "chủ
//!   trì", else "thực hiện"/"Cơ quan"; cooperating: "phối hợp"; time: "Thời gian", "Thời hạn";
//!   also "bắt đầu" for a start and "Sản phẩm"/"Kết quả" for a product), so their order may
//!   vary; a second header line under merged cells refines the first. A repeated header (at
//!   each page) is skipped; a new header with other columns applies from there on. A line
//!   numbering the columns ("1\t2\t3", "(A)\t(B)") is skipped. Without any header line, the
//!   table starts at the first numbered line of three tabs or more, in the order STT, content,
//!   lead, cooperating, time (with a warning).
//! - Rows and their continuation lines are grouped as described in `table::assemble`: a page
//!   break splits a row into a second line whose first cell is empty (each cell goes on the
//!   same column, joined by a space, or as a new list item when it starts with a bullet); a
//!   line break inside a cell puts the rest of the cell at the start of the next line (no
//!   tab, no number), the following cells after it. Such a line continues the row above when
//!   that row still lacks cells, or when it follows a full row directly (no blank line) and
//!   has no tab: it then goes on the row's last cell. After a blank line, a line without a
//!   tab is text outside the table (a note, a signature: skipped with a warning), and a line
//!   holding only a number before a header line is a page number (skipped likewise).
//! - A row's cells: tags removed (list items, `<br>` and paragraphs end a line), entities
//!   decoded, `**`/`__`/`*…*` removed, NFC, whitespace collapsed, no space just inside
//!   brackets. Title: the content cell as one line; a first cell "1. Title" with the other
//!   cells empty is a heading's number and title. Lead and cooperating: split into agencies at
//!   list items, line breaks, ";" and bullets (see `cells::agencies`). Times as written.
//! - PlanRow: `tt` as printed without its closing "." or ")"; `level` = number of
//!   dot-separated parts (0 for roman part headings "I", one more than the numbered row above
//!   for letters "a)"); `heading` = no lead and no cooperating agency; `section` = the last
//!   roman part heading ("I. Title") or unnumbered heading line above, None when there is
//!   none (this shape numbers its groups 1, 2, ... and their tasks 1.1, 1.2, ...); `code`,
//!   `start` (unless a start column exists) and `product` (unless a product column exists)
//!   are None.
//! - Warnings: an impossible or blank date, a row number seen twice in the same part, text
//!   outside the table that was skipped, a table without rows or without a header. Time
//!   cells are kept as written; reading them is the import's (`crate::tasks`), which reports
//!   an unreadable one with its line.
//! - Errors ([`ReadError::Row`], naming the line and quoting it): a row without a number that
//!   continues nothing, cells beyond the header's columns, a row without content.

mod cells;
mod meta;
mod table;

use crate::model::{ImportWarning, ImportedPlan, ReadError};

/// The document's lines without their line ends (LF, CRLF or CR) and without a BOM.
fn split_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Whether the text has this shape: a tab-separated header line (STT, then column names
/// such as "Nội dung", "chủ trì", "phối hợp", "Thời gian"), or at least three lines with three
/// tabs or more.
pub fn looks_like(text: &str) -> bool {
    let mut tabbed = 0;
    for line in split_lines(text) {
        let tabs = line.bytes().filter(|&b| b == b'\t').count();
        if tabs >= 2 && table::header(&line.split('\t').collect::<Vec<_>>()).is_some() {
            return true;
        }
        if tabs >= 3 {
            tabbed += 1;
            if tabbed >= 3 {
                return true;
            }
        }
    }
    false
}

/// Reads the plan: its title, number, issuer and date from the text before the table, and
/// the table's heading and task rows. See the module documentation for the rules.
pub fn read(text: &str) -> Result<ImportedPlan, ReadError> {
    let lines = split_lines(text);
    let mut warnings = Vec::new();
    let header =
        lines.iter().position(|l| l.contains('\t') && table::header(&l.split('\t').collect::<Vec<_>>()).is_some());
    let (start, default) = match header {
        Some(i) => (i, None),
        None => {
            let first_row = lines.iter().position(|l| {
                let cells: Vec<&str> = l.split('\t').collect();
                let first = cells::text(cells[0]);
                cells.len() >= 4 && (cells::row_number(&first).is_some() || cells::numbered_title(&first).is_some())
            });
            let Some(i) = first_row else {
                return Err(ReadError::UnknownShape(
                    "không thấy bảng phân tách bằng tab có dòng tiêu đề STT, Nội dung, chủ trì, phối hợp, thời gian"
                        .into(),
                ));
            };
            warnings.push(ImportWarning {
                line: i + 1,
                message: "không thấy dòng tiêu đề của bảng; đọc các cột theo thứ tự STT, nội dung, chủ trì, phối hợp, thời gian".into(),
            });
            (i, Some(table::Columns::DEFAULT))
        }
    };

    let mut plan = ImportedPlan::default();
    meta::read(&lines[..start], &mut plan);
    plan.rows = table::read(&lines, start, default, &mut warnings, &mut plan.review);
    if plan.rows.is_empty() {
        warnings.push(ImportWarning { line: start + 1, message: "bảng không có hàng nhiệm vụ nào".into() });
    }
    plan.warnings.append(&mut warnings);
    plan.warnings.sort_by_key(|w| w.line);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends() {
        assert_eq!(split_lines("\u{feff}a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"]);
        assert_eq!(split_lines("a\n"), ["a"]);
        assert!(split_lines("").is_empty());
    }
}

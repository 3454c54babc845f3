//! PDF files: the table rebuilt from where the words of the text layer sit, as poppler's
//! `pdftotext -tsv` lists them (page, block, line, position, text; the caller runs the
//! tool, this module only reads its output).
//!
//! Each block of text (poppler's "flow": a cell's paragraph, in a ruled table) starts at
//! the left edge of its cell. The table's columns are the left edges shared by blocks from
//! the header row down ("TT"/"STT" marks the first column); a block belongs to the column
//! whose edge is the nearest at or left of it; a row starts at a block of the first column
//! that begins with a row number, and holds the blocks that start at or below its top and
//! above the next row's. Blocks above the header on each page (titles, a running header)
//! and left of the first column (notes, signatures) are not part of the table.

use std::collections::BTreeMap;

use dondoc_core::text::fold;

use super::{GridRow, plan_from_grid};
use crate::model::{ImportedPlan, ReadError};

/// Points within which two left edges are the same column.
const EDGE: f64 = 3.0;

/// A block of text: its page, left edge, top, and text (its lines joined by a space).
#[derive(Debug, Clone, Default)]
struct Block {
    page: usize,
    left: f64,
    top: f64,
    text: String,
}

/// The blocks of `pdftotext -tsv` output, in reading order.
fn blocks(tsv: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 {
            continue;
        }
        let num = |i: usize| f[i].parse::<usize>().unwrap_or(0);
        let pos = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
        match f[0] {
            "3" => out.push(Block { page: num(1), left: f64::MAX, top: f64::MAX, text: String::new() }),
            "5" => {
                let Some(b) = out.last_mut() else { continue };
                // Lines of a block are the cell's text wrapped: joined with a space.
                if !b.text.is_empty() {
                    b.text.push(' ');
                }
                b.text.push_str(f[11]);
                b.left = b.left.min(pos(6));
                b.top = b.top.min(pos(7));
            }
            _ => {}
        }
    }
    out.retain(|b| !b.text.trim().is_empty());
    out
}

/// Reads the task table of a PDF's words (`pdftotext -tsv` output).
pub fn read_pdf_words(tsv: &str) -> Result<ImportedPlan, ReadError> {
    let blocks = blocks(tsv);
    if blocks.is_empty() {
        return Err(ReadError::UnknownShape(
            "tệp PDF không có lớp chữ (bản scan, ảnh chụp): cần bản PDF xuất từ văn bản, hoặc tệp Word".into(),
        ));
    }
    // The header's first column: the first "TT"/"STT" block.
    let Some(first) = blocks.iter().position(|b| matches!(fold(&b.text).as_str(), "tt" | "stt")) else {
        return Err(ReadError::UnknownShape("không thấy bảng có cột TT (STT) trong tệp PDF".into()));
    };
    let x0 = blocks[first].left;
    let in_table: Vec<&Block> = blocks[first..].iter().filter(|b| b.left >= x0 - EDGE).collect();
    // Column edges: left edges shared by at least two blocks, the first column's included.
    let mut edges: Vec<(f64, usize)> = Vec::new();
    for b in &in_table {
        match edges.iter_mut().find(|(x, _)| (*x - b.left).abs() <= EDGE) {
            Some(e) => e.1 += 1,
            None => edges.push((b.left, 1)),
        }
    }
    let mut edges: Vec<f64> = edges.into_iter().filter(|(_, n)| *n >= 2).map(|(x, _)| x).collect();
    edges.sort_by(|a, b| a.total_cmp(b));
    let column = |left: f64| edges.iter().rposition(|x| *x <= left + EDGE).unwrap_or(0);

    // Rows: per page, a row starts at a first-column block that begins with a row number or
    // is a header's "TT"; every block belongs to the last row started at or above its top.
    let mut rows: Vec<GridRow> = Vec::new();
    let mut by_page: BTreeMap<usize, Vec<&Block>> = BTreeMap::new();
    for b in &in_table {
        by_page.entry(b.page).or_default().push(b);
    }
    for (page, mut page_blocks) in by_page {
        page_blocks.sort_by(|a, b| a.top.total_cmp(&b.top).then(a.left.total_cmp(&b.left)));
        // On later pages, blocks above the repeated header's "TT" are not the table's.
        let header_top = page_blocks
            .iter()
            .find(|b| column(b.left) == 0 && matches!(fold(&b.text).as_str(), "tt" | "stt"))
            .map(|b| b.top);
        let mut starts: Vec<f64> = page_blocks
            .iter()
            .filter(|b| column(b.left) == 0 && header_top.is_none_or(|t| b.top >= t - 1.0))
            .map(|b| b.top)
            .collect();
        starts.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        let first_start = rows.len();
        // Rows are named by page and position for messages: 3012 is the 12th row of page 3.
        for k in 0..starts.len() {
            rows.push(GridRow { line: page * 1000 + k + 1, cells: vec![String::new(); edges.len()] });
        }
        for b in page_blocks {
            if header_top.is_some_and(|t| b.top < t - 1.0) {
                continue;
            }
            // A block above the page's first row start continues the row before (a row
            // broken by a page).
            let k = starts.iter().rposition(|t| *t <= b.top + 1.0);
            let index = match k {
                Some(k) => first_start + k,
                None if first_start > 0 => first_start - 1,
                None => continue,
            };
            let cell = &mut rows[index].cells[column(b.left)];
            if !cell.is_empty() {
                cell.push('\n');
            }
            cell.push_str(b.text.trim());
        }
    }
    // Headers, column letters and continuations are the grid reader's to recognise.
    rows.retain(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    plan_from_grid(&[rows])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_without_text_is_a_scan() {
        let err = read_pdf_words(
            "level\tpage_num\tpar_num\tblock_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("bản scan"), "{err}");
    }
}

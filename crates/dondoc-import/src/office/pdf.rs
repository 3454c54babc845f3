//! PDF files: the table rebuilt from where the words of the text layer sit, as poppler's
//! `pdftotext -tsv` lists them (page, block, line, position, text; the caller runs the
//! tool, this module only reads its output).
//!
//! Each block of text (poppler's "flow": a cell's paragraph, in a ruled table) starts at
//! the left edge of its cell. A table starts at its header (a header printed again with the
//! same names is its next page). Its columns are the left edges shared by blocks from
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

/// Reads the tables of a PDF's words (`pdftotext -tsv` output): a table starts at a header
/// ("TT"/"STT" and the column names beside it); a header printed again with the same
/// column names is the same table on its next page.
pub fn read_pdf_words(tsv: &str) -> Result<ImportedPlan, ReadError> {
    let blocks = blocks(tsv);
    if blocks.is_empty() {
        return Err(ReadError::UnknownShape(
            "tệp PDF không có lớp chữ (bản scan, ảnh chụp): cần bản PDF xuất từ văn bản, hoặc tệp Word".into(),
        ));
    }
    let is_tt = |b: &Block| matches!(fold(&b.text).as_str(), "tt" | "stt");
    // Each header: where it is and the column names printed on its line.
    let signature = |h: &Block| -> String {
        let mut line: Vec<&Block> =
            blocks.iter().filter(|b| b.page == h.page && (b.top - h.top).abs() < 1.0 && b.left >= h.left).collect();
        line.sort_by(|a, b| a.left.total_cmp(&b.left));
        line.iter().map(|b| fold(&b.text)).collect::<Vec<_>>().join("|")
    };
    let mut starts: Vec<(usize, f64)> = Vec::new();
    let mut last: Option<String> = None;
    for h in blocks.iter().filter(|b| is_tt(b)) {
        let sig = signature(h);
        if last.as_ref() != Some(&sig) {
            starts.push((h.page, h.top));
            last = Some(sig);
        }
    }
    if starts.is_empty() {
        return Err(ReadError::UnknownShape("không thấy bảng có cột TT (STT) trong tệp PDF".into()));
    }
    let at_or_after = |b: &Block, (page, top): (usize, f64)| b.page > page || (b.page == page && b.top >= top - 1.0);
    let tables: Vec<Vec<GridRow>> = starts
        .iter()
        .enumerate()
        .map(|(k, &start)| {
            let next = starts.get(k + 1).copied();
            let own: Vec<&Block> =
                blocks.iter().filter(|b| at_or_after(b, start) && next.is_none_or(|n| !at_or_after(b, n))).collect();
            grid(&own)
        })
        .collect();
    plan_from_grid(&tables)
}

/// One table's blocks (from its header on) as rows of cells.
fn grid(blocks: &[&Block]) -> Vec<GridRow> {
    let Some(x0) = blocks.iter().find(|b| matches!(fold(&b.text).as_str(), "tt" | "stt")).map(|b| b.left) else {
        return Vec::new();
    };
    let in_table: Vec<&Block> = blocks.iter().copied().filter(|b| b.left >= x0 - EDGE).collect();
    // Column edges: left edges shared by at least two blocks, the first column's included.
    let mut edges: Vec<(f64, usize)> = Vec::new();
    for b in &in_table {
        match edges.iter_mut().find(|(x, _)| (*x - b.left).abs() <= EDGE) {
            Some(e) => e.1 += 1,
            None => edges.push((b.left, 1)),
        }
    }
    let mut edges: Vec<f64> = edges.into_iter().filter(|(_, n)| *n >= 2).map(|(x, _)| x).collect();
    if edges.iter().all(|x| (x - x0).abs() > EDGE) {
        edges.push(x0);
    }
    edges.sort_by(|a, b| a.total_cmp(b));
    let column = |left: f64| edges.iter().rposition(|x| *x <= left + EDGE).unwrap_or(0);

    // Rows: per page, a row starts at each top where a first-column block begins; every
    // block belongs to the last row started at or above its top.
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
        // A row starts where the first column has a block, or where blocks of two columns
        // or more begin at the same height (a row printed without a number): cells are
        // aligned at their row's top.
        let below_header: Vec<&&Block> =
            page_blocks.iter().filter(|b| header_top.is_none_or(|t| b.top >= t - 1.0)).collect();
        let mut starts: Vec<f64> = below_header
            .iter()
            .filter(|b| {
                column(b.left) == 0 || {
                    let mut cols: Vec<usize> =
                        below_header.iter().filter(|o| (o.top - b.top).abs() < 1.0).map(|o| column(o.left)).collect();
                    cols.dedup();
                    cols.len() >= 2
                }
            })
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
            let index = match starts.iter().rposition(|t| *t <= b.top + 1.0) {
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
    rows
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

//! Word documents (.docx): the tables of `word/document.xml`, read from the document's
//! structure (zip container, XML) rather than from its look. A cell spanning columns
//! (`w:gridSpan`) fills its first column and leaves the others empty; a cell continuing a
//! vertical merge (`w:vMerge` without "restart") is empty; paragraphs of a cell are lines.
//! Tables nested in a cell are read as the cell's text.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use super::{GridRow, plan_from_grid};
use crate::model::{ImportedPlan, ReadError};

/// The most bytes `word/document.xml` may have once unpacked (a plan's is well under 5 MB;
/// a larger one is refused rather than read into memory).
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// Reads the task tables of a Word document.
pub fn read_docx(bytes: &[u8]) -> Result<ImportedPlan, ReadError> {
    let xml = document_xml(bytes)?;
    let tables = tables(&xml)?;
    if tables.is_empty() {
        return Err(ReadError::UnknownShape("tệp Word không có bảng nào".into()));
    }
    plan_from_grid(&tables)
}

fn document_xml(bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    let bad = |reason: String| ReadError::UnknownShape(reason);
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(format!("không phải tệp Word (.docx): {e}")))?;
    let file = archive
        .by_name("word/document.xml")
        .map_err(|_| bad("tệp .docx không có word/document.xml (không phải văn bản Word)".into()))?;
    let mut xml = Vec::new();
    file.take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| bad(format!("không giải nén được tệp Word: {e}")))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(bad("nội dung tệp Word quá lớn đối với một kế hoạch".into()));
    }
    Ok(xml)
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.as_ref() == name).map(|a| a.value.to_string())
}

/// What the parser is inside of.
#[derive(Default)]
struct Cell {
    text: String,
    span: usize,
    continued: bool,
}

/// Every top-level table as rows of cells (with the table row's number across tables).
fn tables(xml: &[u8]) -> Result<Vec<Vec<GridRow>>, ReadError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out: Vec<Vec<GridRow>> = Vec::new();
    let mut depth = 0usize; // table nesting
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<Cell> = None;
    let mut in_text = false;
    let mut row_no = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::UnknownShape(format!("tệp Word hỏng (XML): {e}")))?;
        match event {
            Event::Eof => break,
            Event::Start(e) => match e.name().as_ref() {
                "w:tbl" => {
                    depth += 1;
                    if depth == 1 {
                        out.push(Vec::new());
                    }
                }
                "w:tr" if depth == 1 => row = Some(Vec::new()),
                "w:tc" if depth == 1 => cell = Some(Cell { span: 1, ..Cell::default() }),
                "w:t" => in_text = true,
                "w:vMerge" if depth == 1 => {
                    if let Some(c) = cell.as_mut() {
                        c.continued = attr(&e, "w:val").is_none_or(|v| v != "restart");
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:gridSpan" if depth == 1 => {
                    if let Some(c) = cell.as_mut() {
                        c.span = attr(&e, "w:val").and_then(|v| v.parse().ok()).unwrap_or(1).clamp(1, 64);
                    }
                }
                "w:vMerge" if depth == 1 => {
                    if let Some(c) = cell.as_mut() {
                        c.continued = attr(&e, "w:val").is_none_or(|v| v != "restart");
                    }
                }
                "w:tab" => push(&mut cell, " "),
                "w:br" => push(&mut cell, "\n"),
                _ => {}
            },
            Event::Text(t) if in_text => {
                push(&mut cell, &t.xml10_content());
            }
            Event::GeneralRef(r) if in_text => {
                push(&mut cell, &reference(r.as_ref()));
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" => push(&mut cell, "\n"),
                "w:tc" if depth == 1 => {
                    if let (Some(c), Some(r)) = (cell.take(), row.as_mut()) {
                        r.push(if c.continued { String::new() } else { c.text.trim().to_string() });
                        r.extend(std::iter::repeat_n(String::new(), c.span - 1));
                    }
                }
                "w:tr" if depth == 1 => {
                    if let (Some(cells), Some(table)) = (row.take(), out.last_mut()) {
                        row_no += 1;
                        table.push(GridRow { line: row_no, cells });
                    }
                }
                "w:tbl" => depth = depth.saturating_sub(1),
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// The character an entity or character reference stands for ("amp", "#x1EA0", "#7840").
fn reference(name: &str) -> String {
    let code = match name.strip_prefix('#') {
        Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16).ok(),
        Some(dec) => dec.parse().ok(),
        None => None,
    };
    match (name, code.and_then(char::from_u32)) {
        (_, Some(c)) => c.to_string(),
        ("amp", _) => "&".into(),
        ("lt", _) => "<".into(),
        ("gt", _) => ">".into(),
        ("quot", _) => "\"".into(),
        ("apos", _) => "'".into(),
        _ => String::new(),
    }
}

fn push(cell: &mut Option<Cell>, text: &str) {
    if let Some(c) = cell.as_mut() {
        c.text.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_word_file_is_refused_clearly() {
        let err = read_docx(b"not a zip").unwrap_err();
        assert!(err.to_string().contains("không phải tệp Word"), "{err}");
    }
}

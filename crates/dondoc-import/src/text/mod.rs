//! Plan documents as text extracted from their PDF or Word files.
//!
//! Shapes seen so far, each with its own reader:
//! - [`cltk`]: statistics-strategy tables with a Mã số column (TT, content, code, lead,
//!   cooperating, start, finish, product), headers repeated on every page, cells broken
//!   over many lines;
//! - [`sectioned`]: section-numbered task tables (TT, task, result, deadline, lead,
//!   cooperating; sections I, II, III) and their indicator catalogue (Phụ lục II);
//! - [`tsv`]: tab-separated tables with HTML residue (`<b>`, `<ul><li>`).

pub mod cltk;
pub mod furniture;
pub mod sectioned;
pub mod tsv;

use crate::model::{ImportedPlan, ReadError};

/// Which reader fits a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Cltk,
    Sectioned,
    Tsv,
}

/// Recognises the shape of a plan text.
pub fn detect(text: &str) -> Option<Shape> {
    if tsv::looks_like(text) {
        Some(Shape::Tsv)
    } else if cltk::looks_like(text) {
        Some(Shape::Cltk)
    } else if sectioned::looks_like(text) {
        Some(Shape::Sectioned)
    } else {
        None
    }
}

/// Reads a plan text of any known shape, its page furniture set aside first
/// ([`furniture`]) and its rows checked after ([`crate::checks`]).
pub fn read(text: &str) -> Result<ImportedPlan, ReadError> {
    let cleaned = furniture::strip(text);
    let text = cleaned.text.as_str();
    let mut plan = match detect(text) {
        Some(Shape::Cltk) => cltk::read(text),
        Some(Shape::Sectioned) => sectioned::read(text),
        Some(Shape::Tsv) => tsv::read(text),
        None => Err(ReadError::UnknownShape(
            "cần bảng có cột TT, nội dung, chủ trì, phối hợp, thời gian (xem tài liệu hướng dẫn)".into(),
        )),
    }?;
    crate::checks::check(&mut plan, text);
    plan.warnings.extend(cleaned.warnings);
    plan.warnings.sort_by_key(|w| w.line);
    Ok(plan)
}

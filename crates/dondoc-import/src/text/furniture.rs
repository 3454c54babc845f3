//! Page furniture set aside before a reader sees a plan's text: what an extraction prints
//! between table rows that is not part of any row.
//!
//! - **Footnotes.** A line at the foot of a page that starts with a number N and a capital
//!   ("4 Theo Hướng dẫn của Văn phòng Chính phủ …"), possibly wrapped over a few lines,
//!   is a footnote when a word above it carries the glued marker N ("UBND tỉnh4") and the
//!   page ends right after it (a page number, the next footnote, a repeated table header,
//!   or the end of the text). The footnote is blanked and the marker removed from its word.
//! - **Running headers.** A line printed at the top or foot of three or more pages (each
//!   time next to a page number or a repeated table header) that names no column.
//! - **The document's end.** The "Nơi nhận:" list (through "- Lưu: …") and the signature
//!   block ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "(Đã ký)", the name).
//!
//! Lines are blanked, never removed: every line keeps its number for messages. Each
//! footnote set aside is noted as a warning with its line.

use std::collections::HashMap;

use dondoc_core::text::fold;

use crate::model::ImportWarning;

/// How far above a footnote its marker may be, in lines (a page holds fewer).
const MARKER_REACH: usize = 400;
/// The most lines a footnote wraps over.
const FOOTNOTE_LINES: usize = 6;

/// The text with its furniture blanked, and what was set aside.
pub struct Cleaned {
    pub text: String,
    pub warnings: Vec<ImportWarning>,
}

/// Sets aside footnotes, running headers and the end-of-document blocks (see the module
/// documentation).
pub fn strip(text: &str) -> Cleaned {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut warnings = Vec::new();
    let headers = repeated_headers(&lines);
    footnotes(&mut lines, &headers, &mut warnings);
    running_headers(&mut lines, &headers);
    end_blocks(&mut lines);
    Cleaned { text: lines.join("\n"), warnings }
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A line holding only a page number.
fn is_page_number(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit())
}

/// Words that name a table's columns (folded): a line with one of them is part of a header.
const COLUMN_WORDS: [&str; 14] = [
    "nội dung",
    "nhiệm vụ",
    "chủ trì",
    "phối hợp",
    "thời gian",
    "thời hạn",
    "sản phẩm",
    "cơ quan",
    "kết quả",
    "mã số",
    "(a)",
    "phạm vi",
    "phân tổ",
    "đơn vị",
];

fn names_a_column(line: &str) -> bool {
    let folded = fold(line);
    folded.split(|c: char| !c.is_alphanumeric()).any(|w| w == "tt" || w == "stt")
        || COLUMN_WORDS.iter().any(|w| folded.contains(w))
}

/// Lines (trimmed) printed three times or more that name a column and are labels, not
/// sentences (no final period): a table header repeated on each page.
fn repeated_headers(lines: &[String]) -> Vec<bool> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for l in lines {
        let t = l.trim();
        if !t.is_empty() {
            *count.entry(t).or_default() += 1;
        }
    }
    lines
        .iter()
        .map(|l| {
            let t = l.trim();
            !t.is_empty() && count.get(t).is_some_and(|&n| n >= 3) && names_a_column(t) && !t.ends_with('.')
        })
        .collect()
}

/// A footnote's first line: its number (1–99) and the text after it, which starts with a
/// capital letter; no tab (a table row's cells are tab-separated in some extractions).
fn footnote_start(line: &str) -> Option<usize> {
    if line.contains('\t') {
        return None;
    }
    let t = line.trim_start();
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let rest = &t[digits.len()..];
    let first = rest.strip_prefix(' ')?.trim_start().chars().next()?;
    let n: usize = digits.parse().ok()?;
    (n >= 1 && first.is_uppercase()).then_some(n)
}

/// Where marker `n` is glued to a word: (line, byte offset of the digits). The digits
/// follow a letter or a closing bracket and are followed by a space, punctuation or the
/// end of the line, so "CLTK21-30", "H5N1" or "Quý IV/2025" never match.
fn find_marker(line: &str, n: usize) -> Option<usize> {
    let digits = n.to_string();
    let mut from = 0;
    while let Some(found) = line[from..].find(&digits) {
        let at = from + found;
        let end = at + digits.len();
        let before = line[..at].chars().next_back();
        let after = line[end..].chars().next();
        let glued = before.is_some_and(|c| c.is_alphabetic() || c == ')');
        let ends = after.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.' | ')'));
        let own_number = line[..at].chars().next_back().is_some_and(|c| c.is_ascii_digit());
        if glued && ends && !own_number {
            return Some(at);
        }
        from = end;
    }
    None
}

/// Whether the page ends at line `i` (skipping blank lines): a page number, a repeated
/// header, a form feed, or the end of the text.
fn page_ends_at(lines: &[String], headers: &[bool], i: usize) -> bool {
    match (i..lines.len()).find(|&k| !is_blank(&lines[k])) {
        None => true,
        Some(k) => is_page_number(&lines[k]) || headers[k] || lines[k].contains('\u{c}'),
    }
}

fn footnotes(lines: &mut [String], headers: &[bool], warnings: &mut Vec<ImportWarning>) {
    let mut i = 0;
    while i < lines.len() {
        let Some(n) = footnote_start(&lines[i]) else {
            i += 1;
            continue;
        };
        // The footnote's own lines: until a blank line, a page number, a header, or the
        // next footnote.
        let mut end = i + 1;
        while end < lines.len()
            && end - i < FOOTNOTE_LINES
            && !is_blank(&lines[end])
            && !is_page_number(&lines[end])
            && !headers[end]
            && footnote_start(&lines[end]).is_none()
        {
            end += 1;
        }
        let next_is_footnote = (end..lines.len())
            .find(|&k| !is_blank(&lines[k]))
            .is_some_and(|k| footnote_start(&lines[k]).is_some_and(|m| m == n + 1));
        if !(next_is_footnote || page_ends_at(lines, headers, end)) {
            i += 1;
            continue;
        }
        let marker =
            (i.saturating_sub(MARKER_REACH)..i).rev().find_map(|k| find_marker(&lines[k], n).map(|at| (k, at)));
        let Some((k, at)) = marker else {
            i += 1;
            continue;
        };
        let digits = n.to_string().len();
        lines[k].replace_range(at..at + digits, "");
        for line in lines.iter_mut().take(end).skip(i) {
            line.clear();
        }
        warnings.push(ImportWarning {
            line: i + 1,
            message: format!("bỏ qua chú thích cuối trang số {n} (dấu chú thích ở dòng {})", k + 1),
        });
        i = end;
    }
}

fn running_headers(lines: &mut [String], headers: &[bool]) {
    // Within three lines of text of a repeated table header (a page number may sit between).
    let near_page_edge = |lines: &[String], i: usize| {
        let above = (0..i).rev().filter(|&k| !is_blank(&lines[k])).take(3);
        let below = (i + 1..lines.len()).filter(|&k| !is_blank(&lines[k])).take(3);
        above.chain(below).any(|k| headers[k])
    };
    let mut at: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.chars().count() >= 10 && !headers[i] && !names_a_column(t) && !l.contains('\t') {
            at.entry(t.to_string()).or_default().push(i);
        }
    }
    // Printed on most pages (a cell's text repeated near a few page breaks is not).
    // Pages: how often the most repeated header line is printed.
    let mut printed: HashMap<&str, usize> = HashMap::new();
    for (l, _) in lines.iter().zip(headers).filter(|(_, h)| **h) {
        *printed.entry(l.trim()).or_default() += 1;
    }
    let pages = printed.values().copied().max().unwrap_or(1);
    let running: Vec<usize> = at
        .into_values()
        .filter(|places| places.len() >= 3 && places.len() * 3 >= pages * 2)
        .filter(|places| places.iter().all(|&i| near_page_edge(lines, i)))
        .flatten()
        .collect();
    for i in running {
        lines[i].clear();
    }
}

/// Signature lines: who signs for whom, the title, "(Đã ký)".
fn is_signature_line(line: &str) -> bool {
    let f = fold(line.trim());
    ["tm. ", "kt. ", "tl. ", "q. "].iter().any(|p| f.starts_with(p))
        || ["chu tich", "pho chu tich", "(da ky)", "da ky", "giam doc", "pho giam doc"].contains(&f.as_str())
}

fn end_blocks(lines: &mut [String]) {
    let mut i = 0;
    while i < lines.len() {
        let f = fold(lines[i].trim());
        if !f.starts_with("noi nhan") || lines[i].contains('\t') {
            i += 1;
            continue;
        }
        // "Nơi nhận:" and its items, through "- Lưu: …".
        let mut end = i + 1;
        while end < lines.len() && end - i <= 40 {
            let t = lines[end].trim();
            let item = t.starts_with('-') || t.starts_with('+') || t.is_empty();
            let continued = !item && lines[end - 1].trim().ends_with(|c: char| c.is_alphabetic() || c == ',');
            if !(item || continued) {
                break;
            }
            let last = fold(t).trim_start_matches(['-', '+', ' ']).starts_with("luu");
            end += 1;
            if last {
                break;
            }
        }
        // The signature block below it, and the signer's name after "(Đã ký)".
        let mut sig = end;
        let mut signed = false;
        while sig < lines.len() && sig - end < 12 {
            let t = lines[sig].trim();
            if t.is_empty() {
                sig += 1;
            } else if is_signature_line(t) {
                signed = true;
                sig += 1;
            } else if signed
                && t.split_whitespace().count() <= 5
                && t.chars().next().is_some_and(char::is_uppercase)
                && !t.chars().any(|c| c.is_ascii_digit())
            {
                sig += 1;
                break;
            } else {
                break;
            }
        }
        for line in lines.iter_mut().take(sig).skip(i) {
            line.clear();
        }
        i = sig.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_glued_to_a_word_never_part_of_a_number_or_code() {
        assert_eq!(find_marker("UBND tỉnh4", 4), Some("UBND tỉnh".len()));
        assert_eq!(find_marker("của Thủ tướng Chính phủ3 được", 3), Some("của Thủ tướng Chính phủ".len()));
        assert_eq!(find_marker("CLTK21-30", 21), None);
        assert_eq!(find_marker("Quý IV/2025", 5), None);
        assert_eq!(find_marker("Tháng 4", 4), None);
        assert_eq!(find_marker("H5N1", 5), None);
        assert_eq!(find_marker("tỉnh14", 4), None);
    }

    #[test]
    fn a_footnote_starts_with_its_number_and_a_capital() {
        assert_eq!(footnote_start("4 Theo Hướng dẫn"), Some(4));
        assert_eq!(footnote_start("12 Nghị định số 09/2019"), Some(12));
        assert_eq!(footnote_start("2024 về việc"), None);
        assert_eq!(footnote_start("4 "), None);
        assert_eq!(footnote_start("1.2 Hoàn thiện"), None);
        assert_eq!(footnote_start("4\tTheo"), None);
    }

    #[test]
    fn a_numbered_row_without_a_marker_stays() {
        let text = "TT Nhiệm vụ\n3 Xây dựng cơ sở dữ liệu\nSở Tài chính\n4 Cập nhật\nSở Nội vụ\n";
        let cleaned = strip(text);
        assert_eq!(cleaned.text, text);
        assert!(cleaned.warnings.is_empty());
    }
}

//! What the document prints about itself: the subject line under "KẾ HOẠCH" (or "QUYẾT
//! ĐỊNH", "CHƯƠNG TRÌNH", "ĐỀ ÁN"; the title),
//! and the number, date and issuer of the plan from the appendix line "(Kèm theo Kế hoạch
//! số 123/KH-UBND ngày 05 tháng 11 năm 2024 của Ủy ban nhân dân tỉnh ...)", or from the
//! "Số: ..." and "..., ngày ... tháng ... năm ..." lines of the document's heading.
//!
//! Numbers and days left blank for the signature ("số      /KH-UBND", "ngày    tháng 11")
//! are not values: they give `None` and a warning, the date as printed staying in
//! `date_text`. The numbers of other documents cited in the text (the decision the plan
//! implements) are never taken for the plan's own.

use chrono::NaiveDate;
use dondoc_core::text::fold;

use super::lines::Line;
use crate::model::{ImportWarning, ImportedPlan};

/// Reads title, number, date and issuer.
pub(super) fn read_meta(lines: &[Line]) -> ImportedPlan {
    let mut plan = ImportedPlan { title: title(lines), ..ImportedPlan::default() };
    if let Some((line, text)) = attached_line(lines) {
        let f = text.to_lowercase();
        let number = between(&text, &f, " số ", &[" ngày", " của", ")"])
            .or_else(|| between(&text, &f, " số:", &[" ngày", " của", ")"]));
        let date = between(&text, &f, " ngày", &[" của", ")"]).map(|d| format!("ngày {d}"));
        let issuer = between(&text, &f, " của ", &[")"]);
        set_number(&mut plan, line, number);
        set_date(&mut plan, line, date);
        plan.issuer = issuer.filter(|s| !s.is_empty());
    }
    if plan.number.is_none() && plan.warnings.is_empty() {
        // "Số: 123/KH-UBND" in the heading.
        if let Some(l) = lines.iter().take(40).find(|l| l.first_lower == "số:" || l.first_lower == "số") {
            let text = l.text();
            let n = text.split_once([':', ' ']).map(|(_, r)| r.trim().to_string());
            set_number(&mut plan, l.no, n);
        }
    }
    if plan.date_text.is_none() {
        // "Kon Tum, ngày 15 tháng 11 năm 2024" in the heading.
        if let Some(l) = lines.iter().take(40).find(|l| l.lower().contains(", ngày ")) {
            let text = l.text();
            let f = text.to_lowercase();
            let date = f.find(", ngày ").and_then(|p| text.get(p + 2..)).map(|s| s.trim_end_matches('.').to_string());
            set_date(&mut plan, l.no, date);
        }
    }
    plan
}

/// The line "(Kèm theo Kế hoạch số ... của ...)", joined with the lines it runs onto.
fn attached_line(lines: &[Line]) -> Option<(usize, String)> {
    let i = lines.iter().position(|l| {
        (l.first_lower == "(kèm" || l.first_lower == "kèm")
            && l.words.get(1).is_some_and(|w| w.to_lowercase().starts_with("theo"))
    })?;
    let mut text = lines[i].text();
    let mut j = i + 1;
    while !text.contains(')') && j < lines.len() && j <= i + 4 {
        if !lines[j].is_blank() {
            text.push(' ');
            text.push_str(&lines[j].text());
        }
        j += 1;
    }
    Some((lines[i].no, text))
}

/// The text after `start` and before the first of `ends` (positions from the lower-cased
/// copy `f`, which has the same byte layout for Vietnamese letters).
fn between(text: &str, f: &str, start: &str, ends: &[&str]) -> Option<String> {
    if f.len() != text.len() {
        return None;
    }
    let from = f.find(start)? + start.len();
    let rest = f.get(from..)?;
    let to = ends.iter().filter_map(|e| rest.find(e)).min().unwrap_or(rest.len());
    let s = text.get(from..from + to)?.trim().trim_start_matches(':').trim();
    Some(s.to_string())
}

fn set_number(plan: &mut ImportedPlan, line: usize, number: Option<String>) {
    let Some(n) = number else { return };
    let compact: String = n.split_whitespace().collect();
    // A placeholder: no digits before the slash ("/KH-UBND", "#sovb/QĐ-UBND").
    let head = compact.split('/').next().unwrap_or("");
    if !head.is_empty() && head.chars().all(|c| c.is_ascii_digit()) && compact.contains('/') {
        plan.number = Some(compact);
    } else if compact.contains('/') {
        plan.warnings
            .push(ImportWarning {
                line, message: format!("số văn bản để trống (\"{}\"): chưa có số", n.trim())
            });
    }
}

fn set_date(plan: &mut ImportedPlan, line: usize, date: Option<String>) {
    let Some(text) = date.filter(|d| d.chars().any(|c| c.is_ascii_digit())) else { return };
    plan.date = parse_date(&text);
    if plan.date.is_none() {
        plan.warnings.push(ImportWarning {
            line,
            message: format!("ngày ban hành không đầy đủ hoặc không có thật: \"{text}\""),
        });
    }
    plan.date_text = Some(text);
}

/// "ngày 05 tháng 11 năm 2024", "ngày 5/11/2024".
fn parse_date(text: &str) -> Option<NaiveDate> {
    let f = fold(text);
    let words: Vec<&str> = f.split(' ').collect();
    let num_after = |key: &str| -> Option<u32> {
        let i = words.iter().position(|w| *w == key)?;
        words.get(i + 1)?.trim_end_matches([',', '.']).parse().ok()
    };
    if let (Some(d), Some(m), Some(y)) = (num_after("ngày"), num_after("tháng"), num_after("năm")) {
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    let slash = words.iter().find(|w| w.matches('/').count() == 2)?;
    let mut it = slash.trim_end_matches([',', '.']).split('/').map(|p| p.parse::<u32>().ok());
    let (d, m, y) = (it.next()??, it.next()??, it.next()??);
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// Document types printed in capitals above the subject line.
const DOC_TYPES: &[&str] = &["kế hoạch", "quyết định", "chương trình", "đề án"];

/// The subject line under the document type ("KẾ HOẠCH").
fn title(lines: &[Line]) -> Option<String> {
    let (i, l, kind) = lines.iter().enumerate().take(80).find_map(|(i, l)| {
        let t = l.text();
        let f = fold(&t);
        let kind = DOC_TYPES.iter().find(|k| f.starts_with(*k))?;
        t.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase()).then_some((i, l, kind))
    })?;
    let mut parts: Vec<String> = Vec::new();
    let rest = l.words.get(kind.split(' ').count()..).map(|w| w.join(" ")).unwrap_or_default();
    if !rest.is_empty() {
        parts.push(rest);
    }
    let mut blanks = 0;
    for n in lines.iter().skip(i + 1) {
        if n.is_blank() {
            blanks += 1;
            if blanks >= 2 && !parts.is_empty() {
                break;
            }
            continue;
        }
        blanks = 0;
        let f = n.lower();
        let first = parts.first().map(|p| fold(p)).unwrap_or_default();
        if parts.len() >= 8
            || f.starts_with("căn cứ")
            || f.starts_with("(kèm theo")
            || f.starts_with("i.")
            || (!first.is_empty() && f.starts_with(first.get(..first.len().min(30)).unwrap_or("")))
        {
            break;
        }
        parts.push(n.text());
    }
    let title = parts.join(" ");
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::super::lines::split_lines;
    use super::*;

    #[test]
    fn blank_number_and_day_are_not_values() {
        let lines = split_lines(
            " KẾ HOẠCH \nVề việc thử \n\n \n\nNội dung\n(Kèm theo Kế hoạch số      /KH-UBND ngày     tháng 11 năm 2024 \ncủa Ủy ban nhân dân tỉnh Kon Tum) ",
        );
        let plan = read_meta(&lines);
        assert_eq!(plan.title.as_deref(), Some("Về việc thử"));
        assert_eq!(plan.number, None);
        assert_eq!(plan.date, None);
        assert_eq!(plan.date_text.as_deref(), Some("ngày tháng 11 năm 2024"));
        assert_eq!(plan.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Kon Tum"));
        assert_eq!(plan.warnings.len(), 2);
    }

    #[test]
    fn filled_number_and_date() {
        let lines = split_lines("(Kèm theo Quyết định số 123/QĐ-UBND ngày 05 tháng 3 năm 2025 của UBND tỉnh Gia Lai)");
        let plan = read_meta(&lines);
        assert_eq!(plan.number.as_deref(), Some("123/QĐ-UBND"));
        assert_eq!(plan.date, NaiveDate::from_ymd_opt(2025, 3, 5));
        assert_eq!(plan.date_text.as_deref(), Some("ngày 05 tháng 3 năm 2025"));
        assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Gia Lai"));
        assert!(plan.warnings.is_empty());
    }
}

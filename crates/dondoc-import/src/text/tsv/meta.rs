//! What the text before the table says about the plan: its title, number, issuer and date.

use chrono::NaiveDate;
use dondoc_core::text::fold;

use super::cells;
use crate::model::{ImportWarning, ImportedPlan};

/// Kinds of documents whose name heads the title block ("KẾ HOẠCH").
const DOC_TYPES: &[&str] = &["kế hoạch", "quyết định", "chương trình", "đề án", "phương án"];

/// Administrative units, written in lower case before a place name.
const UNITS: &[&str] = &["thành phố", "thị xã", "tỉnh", "huyện", "quận", "xã", "phường", "thị trấn"];

/// Lines longer than this (in bytes) are body text, not a "kèm theo" line.
const MAX_LINE: usize = 800;

/// Where the title block and the header are looked for: the first lines, not longer than this
/// (in bytes).
const HEAD_LINES: usize = 40;
const MAX_HEAD_LINE: usize = 600;

/// Whether a raw line says "kèm theo" (NFC or NFD, any case), before reading it.
fn mentions_attached(raw: &str) -> bool {
    if !raw.contains("theo") && !raw.contains("THEO") && !raw.contains("Theo") {
        return false;
    }
    let lower = raw.to_lowercase();
    lower.contains("kèm") || lower.contains("ke\u{300}m")
}

/// A line as plain text: markup removed, markdown heading marks dropped.
fn plain(line: &str) -> String {
    let t = cells::text(line);
    t.trim_start_matches('#').trim().to_string()
}

/// Fills the plan's title, number, issuer and date from the lines before the table.
///
/// - title: the block under the document's name in capitals ("KẾ HOẠCH" then "Về nâng cao
///   ..." → "Kế hoạch về nâng cao ..."); a name line that goes on ("KẾ HOẠCH THỰC HIỆN ...")
///   is kept as printed with the lines that follow it;
/// - number: a "Số: 818/KH-UBND" line of the header, else the number in "(Ban hành kèm
///   theo Kế hoạch số 818/KH-UBND ...)"; blanks and placeholders give None;
/// - date: the "Đồng Tháp, ngày 16 tháng 4 năm 2026" line of the header, else the date of the
///   "kèm theo" line; kept as printed in `date_text`, `date` only when it is a real day (a
///   warning names the line otherwise);
/// - issuer: an "ỦY BAN NHÂN DÂN / TỈNH ĐỒNG THÁP" header, else the "của UBND tỉnh" of the
///   "kèm theo" line, completed with the province the title names ("UBND tỉnh Đồng Tháp").
pub(super) fn read(lines: &[&str], plan: &mut ImportedPlan) {
    // The title block and the header are in the first lines; the body's paragraphs are long
    // and read as blank.
    let head = lines.len().min(HEAD_LINES);
    let plain_lines: Vec<String> =
        lines[..head].iter().map(|l| if l.len() <= MAX_HEAD_LINE { plain(l) } else { String::new() }).collect();
    let title_at = find_title(&plain_lines, plan);
    let header_end = title_at.unwrap_or(plain_lines.len().min(15));

    // The header block above the title: number, place and date, issuer.
    for (i, t) in plain_lines.iter().enumerate().take(header_end) {
        if t.is_empty() || t.chars().count() > 100 {
            continue;
        }
        let f = fold(t);
        if plan.number.is_none() && (f.starts_with("số:") || f.starts_with("số ")) && t.chars().count() < 80 {
            let after = t.split_once(['ố', 'Ố']).map(|x| x.1).unwrap_or("").trim_start_matches([':', ' ']);
            plan.number = after.split_whitespace().next().and_then(number);
        }
        if plan.date_text.is_none()
            && let Some((place, after)) = t.split_once(", ngày ")
            && !place.is_empty()
            && place.split_whitespace().count() <= 5
            && !place.contains(|c: char| c.is_ascii_digit())
        {
            take_date(after, i + 1, plan);
        }
        if plan.issuer.is_none() {
            plan.issuer = header_issuer(&plain_lines, i);
        }
    }

    // "(Ban hành kèm theo Kế hoạch số 818/KH-UBND ngày 04/16/2026 của UBND tỉnh)".
    for (i, raw) in lines.iter().enumerate() {
        if raw.len() > MAX_LINE || !mentions_attached(raw) {
            continue;
        }
        let t = &plain(raw);
        let f = fold(t);
        let Some(at) = f.find("kèm theo") else { continue };
        if !DOC_TYPES.iter().any(|d| f[at..].contains(d)) {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
        // The first "số" followed by a number ("Phụ lục số 1 kèm theo Kế hoạch số 818/KH-UBND").
        if plan.number.is_none() {
            plan.number = (0..words.len())
                .filter(|&k| folded[k] == "số" || folded[k] == "số:")
                .find_map(|k| words[k + 1..].iter().find(|w| **w != ":").and_then(|w| number(w)));
        }
        for k in (0..words.len()).filter(|&k| folded[k] == "ngày") {
            if plan.date_text.is_some() {
                break;
            }
            take_date(&words[k + 1..].join(" "), i + 1, plan);
        }
        if plan.issuer.is_none()
            && let Some(k) = folded.iter().rposition(|w| w == "của")
        {
            let who = words[k + 1..].join(" ");
            let who = who.trim_end_matches([')', '.', ';', ',', ' ']);
            if !who.is_empty() {
                plan.issuer = Some(complete_issuer(who, plan.title.as_deref(), &plain_lines));
            }
        }
        break;
    }
}

/// The title block; returns its line.
fn find_title(lines: &[String], plan: &mut ImportedPlan) -> Option<usize> {
    for (i, t) in lines.iter().enumerate() {
        if t.is_empty() || t.chars().count() > 300 {
            continue;
        }
        let f = fold(&t.chars().take(16).collect::<String>());
        let Some(doc) = DOC_TYPES.iter().find(|d| f.starts_with(**d)) else { continue };
        let head: String = t.chars().take(doc.chars().count()).collect();
        if head != head.to_uppercase() {
            continue;
        }
        let rest = t[head.len()..].trim();
        if !rest.is_empty() && !rest.starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let mut subject: Vec<&str> = Vec::new();
        if !rest.is_empty() {
            subject.push(rest);
        }
        for next in lines.iter().skip(i + 1).take(4) {
            let fnext = fold(next);
            if next.is_empty()
                || next.starts_with('(')
                || next.chars().count() > 200
                || ["căn cứ", "thực hiện", "i. "].iter().any(|w| fnext.starts_with(w))
            {
                break;
            }
            subject.push(next);
        }
        if subject.is_empty() {
            continue;
        }
        let subject = subject.join(" ");
        let title = if !rest.is_empty() || subject == subject.to_uppercase() {
            format!("{head} {subject}")
        } else {
            format!("{} {}", sentence_case(&head), lower_first_word(&subject))
        };
        plan.title = Some(title);
        return Some(i);
    }
    None
}

/// "KẾ HOẠCH" → "Kế hoạch".
fn sentence_case(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// "Về nâng cao" → "về nâng cao"; acronyms and names in capitals ("UBND") stay.
fn lower_first_word(s: &str) -> String {
    let word = s.split(' ').next().unwrap_or("");
    let mut chars = word.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase) && chars.all(char::is_lowercase);
    if !capitalised || word.chars().count() < 2 {
        return s.to_string();
    }
    let mut chars = s.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// A document number: "818/KH-UBND" (digits first, then "/" and the sign). Blanks and
/// placeholders ("/KH-UBND", "#sovb") are not numbers.
fn number(token: &str) -> Option<String> {
    let token = token.trim_end_matches([',', ';', ')', '.', ':']);
    let (serial, sign) = token.split_once('/')?;
    let ok = serial.starts_with(|c: char| c.is_ascii_digit())
        && serial.chars().all(|c| c.is_alphanumeric() || c == '-')
        && !sign.is_empty()
        && sign.chars().any(char::is_alphabetic);
    ok.then(|| token.to_string())
}

/// Reads the date that starts `s` ("04/16/2026 của ...", "16 tháng 4 năm 2026"), keeps it as
/// printed and warns when it is not a real day.
fn take_date(s: &str, line: usize, plan: &mut ImportedPlan) {
    let words: Vec<&str> = s.split_whitespace().collect();
    let Some(first) = words.first() else { return };
    let short = first.trim_end_matches([',', ';', ')', '.', ':']);
    if short.chars().filter(|c| matches!(c, '/' | '-' | '.')).count() == 2
        && short.starts_with(|c: char| c.is_ascii_digit())
    {
        let parts: Vec<&str> = short.split(['/', '-', '.']).collect();
        let nums: Vec<Option<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
        plan.date_text = Some(short.to_string());
        match nums[..] {
            [Some(d), Some(m), Some(y)] if y >= 1900 => check_date(d, m, y, short, line, plan),
            _ => blank_date(short, line, plan),
        }
        return;
    }
    // "16 tháng 4 năm 2026" (the day or month may be blank or a placeholder).
    let folded: Vec<String> = words.iter().take(8).map(|w| fold(w)).collect();
    let Some(month_at) = folded.iter().position(|w| w == "tháng") else { return };
    let Some(year_at) = folded.iter().position(|w| w == "năm") else { return };
    if month_at > 1 || year_at <= month_at || year_at + 1 >= words.len().min(8) {
        return;
    }
    let year_word = words[year_at + 1].trim_end_matches([',', ';', ')', '.', ':']);
    let text = format!("{} {}", words[..=year_at].join(" "), year_word);
    plan.date_text = Some(text.clone());
    let day = if month_at == 1 { words[0].parse().ok() } else { None };
    let month = words[month_at + 1..year_at].join("").parse().ok();
    let year = year_word.parse().ok();
    match (day, month, year) {
        (Some(d), Some(m), Some(y)) => check_date(d, m, y, &text, line, plan),
        _ => blank_date(&text, line, plan),
    }
}

fn check_date(d: u32, m: u32, y: u32, text: &str, line: usize, plan: &mut ImportedPlan) {
    if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
        plan.date = Some(date);
        return;
    }
    let mut message = format!(
        "ngày của văn bản in là \"{text}\": không có ngày {d} tháng {m} năm {y}; để trống ngày, giữ nguyên văn bản in"
    );
    if let Some(swapped) = NaiveDate::from_ymd_opt(y as i32, d, m) {
        message.push_str(&format!(" (nếu in theo kiểu tháng/ngày thì là {})", swapped.format("%d/%m/%Y")));
    }
    plan.warnings.push(ImportWarning { line, message });
}

fn blank_date(text: &str, line: usize, plan: &mut ImportedPlan) {
    plan.warnings
        .push(ImportWarning {
            line, message: format!("ngày của văn bản chưa điền đủ (\"{text}\"); để trống ngày")
        });
}

/// "ỦY BAN NHÂN DÂN" (and "TỈNH ĐỒNG THÁP" on the next line) at line `i` of the header.
fn header_issuer(lines: &[String], i: usize) -> Option<String> {
    let f = fold(&lines[i]);
    let rest = ["ủy ban nhân dân", "uỷ ban nhân dân", "ubnd"].iter().find_map(|p| f.strip_prefix(p))?;
    let words = lines[i].split_whitespace().count().saturating_sub(rest.split_whitespace().count());
    let mut place: Vec<String> = lines[i].split_whitespace().skip(words).map(str::to_string).collect();
    if place.is_empty() {
        let next = lines.get(i + 1)?;
        if next.chars().count() > 60 {
            return None;
        }
        place = next.split_whitespace().map(str::to_string).collect();
    }
    if place.is_empty() {
        return None;
    }
    Some(format!("UBND {}", unit_case(&place.join(" "))))
}

/// "TỈNH ĐỒNG THÁP" → "tỉnh Đồng Tháp"; text not in capitals stays as printed.
fn unit_case(s: &str) -> String {
    if s != s.to_uppercase() {
        return s.to_string();
    }
    let lower = s.to_lowercase();
    let (unit, name) = UNITS
        .iter()
        .find_map(|u| lower.strip_prefix(u).filter(|r| r.starts_with(' ')).map(|r| (*u, r.trim())))
        .unwrap_or(("", lower.trim()));
    let name: Vec<String> = name
        .split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        })
        .collect();
    if unit.is_empty() { name.join(" ") } else { format!("{unit} {}", name.join(" ")) }
}

/// "Ủy ban nhân dân tỉnh" → "UBND tỉnh"; an issuer that names its unit but not the place
/// ("UBND tỉnh") is completed with the place the title (else the text) names.
fn complete_issuer(who: &str, title: Option<&str>, lines: &[String]) -> String {
    let f = fold(who);
    let who = ["ủy ban nhân dân ", "uỷ ban nhân dân "]
        .iter()
        .find_map(|p| {
            f.starts_with(p).then(|| format!("UBND {}", who.chars().skip(p.chars().count()).collect::<String>()))
        })
        .unwrap_or_else(|| who.to_string());
    let Some(unit) = UNITS.iter().find(|u| fold(&who).ends_with(&format!(" {u}"))) else { return who };
    let place =
        title.and_then(|t| place_after(t, unit)).or_else(|| lines.iter().take(200).find_map(|l| place_after(l, unit)));
    match place {
        Some(place) => format!("{who} {place}"),
        None => who,
    }
}

/// The capitalised name after "tỉnh " in `text` ("... trên địa bàn tỉnh Đồng Tháp" → "Đồng
/// Tháp"; "tỉnh Bà Rịa - Vũng Tàu").
fn place_after(text: &str, unit: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let unit_words: Vec<&str> = unit.split(' ').collect();
    for i in 0..words.len() {
        if words.len() < i + unit_words.len() || words[i..i + unit_words.len()] != unit_words[..] {
            continue;
        }
        let mut name: Vec<&str> = Vec::new();
        for w in &words[i + unit_words.len()..] {
            if name.len() >= 5 {
                break;
            }
            if *w == "-" && !name.is_empty() {
                name.push(w);
                continue;
            }
            let bare = w.trim_end_matches(|c: char| !c.is_alphanumeric());
            if !bare.starts_with(char::is_uppercase) {
                break;
            }
            name.push(bare);
            if bare.len() != w.len() {
                break;
            }
        }
        while name.last() == Some(&"-") {
            name.pop();
        }
        if !name.is_empty() {
            return Some(name.join(" "));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(text: &str) -> ImportedPlan {
        let lines: Vec<&str> = text.lines().collect();
        let mut plan = ImportedPlan::default();
        read(&lines, &mut plan);
        plan
    }

    #[test]
    fn header_block() {
        let plan = plan_of(
            "ỦY BAN NHÂN DÂN\nTỈNH BÀ RỊA - VŨNG TÀU\nSố: 12/KH-UBND\nBà Rịa, ngày 5 tháng 3 năm 2025\n\n**KẾ HOẠCH**\n**Triển khai UBND**\n\nCăn cứ",
        );
        assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Bà Rịa - Vũng Tàu"));
        assert_eq!(plan.number.as_deref(), Some("12/KH-UBND"));
        assert_eq!(plan.date_text.as_deref(), Some("5 tháng 3 năm 2025"));
        assert_eq!(plan.date, NaiveDate::from_ymd_opt(2025, 3, 5));
        assert_eq!(plan.title.as_deref(), Some("Kế hoạch triển khai UBND"));
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn attached_to_line() {
        let plan = plan_of(
            "Căn cứ Nghị quyết số 12, ngày 5/3/2025\n\n**PHỤ LỤC**\n(Phụ lục số 2 kèm theo Kế hoạch số 818/KH-UBND ngày 31/02/2026 của Ủy ban nhân dân tỉnh Đồng Tháp)",
        );
        assert_eq!(plan.number.as_deref(), Some("818/KH-UBND"));
        assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Đồng Tháp"));
        assert_eq!(plan.date_text.as_deref(), Some("31/02/2026"));
        assert_eq!(plan.date, None);
        assert_eq!(plan.title, None);
        assert_eq!(plan.warnings.len(), 1);
        assert_eq!(plan.warnings[0].line, 4);
    }

    #[test]
    fn placeholders() {
        let plan = plan_of(
            "KẾ HOẠCH THỰC HIỆN X\nTỈNH Y\n\n(Kèm theo Quyết định số: #sovb /QĐ-UBND  ngày #nbh tháng  10  năm 2022 của UBND tỉnh Quảng Nam)",
        );
        assert_eq!(plan.title.as_deref(), Some("KẾ HOẠCH THỰC HIỆN X TỈNH Y"));
        assert_eq!(plan.number, None);
        assert_eq!(plan.date, None);
        assert_eq!(plan.date_text.as_deref(), Some("#nbh tháng 10 năm 2022"));
        assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Quảng Nam"));
        assert_eq!(plan.warnings.len(), 1);
    }
}

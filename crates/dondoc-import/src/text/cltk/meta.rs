//! What the text above the table says about the plan: its title and the decision it is
//! attached to ("Kèm theo Quyết định số ... ngày ... của ...").

use chrono::NaiveDate;

use crate::model::ImportWarning;

/// The plan's particulars as printed.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub title: Option<String>,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub date: Option<NaiveDate>,
    pub date_text: Option<String>,
    pub warnings: Vec<ImportWarning>,
}

/// Reads the lines above the table: (0-based line index, normalised text).
pub(super) fn read(lines: &[(usize, &str)]) -> Meta {
    let mut meta = Meta { title: title(lines), ..Meta::default() };
    reference(lines, &mut meta);
    if meta.issuer.is_none() {
        meta.issuer = letterhead_issuer(lines);
    }
    meta
}

fn letters(s: &str) -> (usize, usize) {
    s.chars().filter(|c| c.is_alphabetic()).fold((0, 0), |(n, up), c| (n + 1, up + usize::from(c.is_uppercase())))
}

fn mostly_upper(s: &str) -> bool {
    let (n, up) = letters(s);
    n >= 4 && up * 5 >= n * 4
}

/// Letterhead lines: not the title.
fn letterhead(s: &str) -> bool {
    let f = s.to_lowercase();
    ["ủy ban", "uỷ ban", "ubnd", "cộng hòa", "cộng hoà", "độc lập", "số:", "phụ lục"].iter().any(|p| f.starts_with(p))
}

/// Words that open a plan's title.
const KINDS: &[&str] = &["kế hoạch", "chương trình", "danh mục", "đề án", "phụ lục", "bảng"];

/// The title: the upper-case heading that opens with a kind of document ("KẾ HOẠCH ..."),
/// else the first upper-case heading below the letterhead; with the lines that continue it
/// (upper-case lines, or any line after a bare "KẾ HOẠCH") up to a blank line or "(Kèm theo".
fn title(lines: &[(usize, &str)]) -> Option<String> {
    let heading = |l: &str| mostly_upper(l) && !letterhead(l);
    let kind = |l: &str| {
        let f = l.to_lowercase();
        KINDS.iter().any(|k| f.starts_with(k))
    };
    let start = lines
        .iter()
        .position(|(_, l)| heading(l) && kind(l))
        .or_else(|| lines.iter().position(|(_, l)| heading(l) && l.contains(' ')))?;
    let mut parts: Vec<&str> = Vec::new();
    let mut prev: Option<usize> = None;
    for &(i, l) in &lines[start..] {
        if l.is_empty() {
            if parts.len() == 1 && KINDS.contains(&parts[0].to_lowercase().as_str()) {
                continue;
            }
            break;
        }
        let bare_kind = parts.len() == 1 && KINDS.contains(&parts[0].to_lowercase().as_str());
        let adjacent = prev.is_none_or(|p| i <= p + 2);
        if !adjacent || l.starts_with('(') || (!mostly_upper(l) && !bare_kind) {
            break;
        }
        parts.push(l);
        prev = Some(i);
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// "ỦY BAN NHÂN DÂN" + "TỈNH QUẢNG NAM" at the top of the page.
fn letterhead_issuer(lines: &[(usize, &str)]) -> Option<String> {
    let k = lines.iter().position(|(_, l)| {
        let f = l.to_lowercase();
        f.starts_with("ủy ban nhân dân") || f.starts_with("uỷ ban nhân dân")
    })?;
    let mut issuer = lines[k].1.to_string();
    if let Some((_, next)) = lines.get(k + 1).filter(|(_, l)| mostly_upper(l) && !letterhead(l) && l.len() < 60) {
        let f = next.to_lowercase();
        if ["tỉnh", "thành phố"].iter().any(|p| f.starts_with(p)) {
            issuer = format!("{issuer} {next}");
        }
    }
    Some(issuer)
}

/// "(Kèm theo Quyết định số: 1234/QĐ-UBND ngày 12 tháng 10 năm 2022 của UBND tỉnh Quảng
/// Nam)". Blank or placeholder numbers and days ("#sovb", "#nbh", "...") leave `number`
/// and `date` empty; what is printed is kept in `date_text` and told in a warning.
fn reference(lines: &[(usize, &str)], meta: &mut Meta) {
    let words: Vec<(usize, &str)> =
        lines.iter().flat_map(|&(i, l)| l.split(' ').filter(|w| !w.is_empty()).map(move |w| (i, w))).collect();
    let low: Vec<String> = words.iter().map(|(_, w)| w.trim_end_matches(':').to_lowercase()).collect();
    // The decision the plan is attached to ("Kèm theo Quyết định số ..."), else the first
    // decision named.
    let from = (1..low.len()).find(|&k| matches!(low[k - 1].as_str(), "(kèm" | "kèm") && low[k] == "theo").unwrap_or(0);
    let Some(so) = (from.max(2)..low.len()).find(|&k| {
        low[k] == "số" && matches!((low[k - 2].as_str(), low[k - 1].as_str()), ("quyết", "định") | ("kế", "hoạch"))
    }) else {
        return;
    };
    let line = words[so].0 + 1;
    let ngay = (so + 1..low.len().min(so + 6)).find(|&k| low[k] == "ngày");
    let number_end = ngay.unwrap_or(low.len().min(so + 3));
    let printed: Vec<&str> = words[so + 1..number_end].iter().map(|(_, w)| *w).collect();
    let as_printed = printed.join(" ");
    let printed: String = printed.concat();
    let printed = printed.trim_end_matches([',', ')']);
    let head = printed.split('/').next().unwrap_or("");
    if !head.is_empty() && head.bytes().all(|b| b.is_ascii_digit()) {
        meta.number = Some(printed.to_string());
    } else if !printed.is_empty() {
        meta.warnings.push(ImportWarning {
            line,
            message: format!("số văn bản chưa điền (in là \"{as_printed}\"): để trống số của kế hoạch"),
        });
    }
    let Some(ngay) = ngay else {
        return;
    };
    let end = (ngay..low.len()).find(|&k| low[k] == "của" || words[k].1.contains(')')).unwrap_or(low.len());
    let date_end = if end < low.len() && low[end] != "của" { end + 1 } else { end };
    let date_words: Vec<&str> = words[ngay..date_end.min(ngay + 8)].iter().map(|(_, w)| *w).collect();
    let date_text = date_words.join(" ").trim_end_matches([')', ',', '.']).to_string();
    meta.date = parse_date(&date_text);
    if meta.date.is_none() {
        meta.warnings.push(ImportWarning {
            line,
            message: format!("ngày văn bản không đọc được (in là \"{date_text}\"): để trống ngày của kế hoạch"),
        });
    }
    meta.date_text = Some(date_text);
    if end < low.len() && low[end] == "của" {
        let stop = (end + 1..low.len()).find(|&k| words[k].1.contains(')')).map_or(low.len(), |k| k + 1);
        let issuer: Vec<&str> = words[end + 1..stop.min(end + 12)].iter().map(|(_, w)| *w).collect();
        let issuer = issuer.join(" ");
        let issuer = issuer.split(')').next().unwrap_or("").trim().trim_end_matches(['.', ',']);
        if !issuer.is_empty() {
            meta.issuer = Some(issuer.to_string());
        }
    }
}

/// "ngày 12 tháng 10 năm 2022", "ngày 12/10/2022".
fn parse_date(text: &str) -> Option<NaiveDate> {
    let nums: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let words: Vec<String> = text.to_lowercase().split(' ').map(str::to_string).collect();
    let spelled = words.len() == 6 && words[0] == "ngày" && words[2] == "tháng" && words[4] == "năm";
    let slashed = words.len() == 2 && words[0] == "ngày" && words[1].split('/').count() == 3;
    if !(spelled || slashed) || nums.len() != 3 {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(nums[2]).ok()?, nums[1], nums[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(text: &str) -> Meta {
        let lines: Vec<(usize, &str)> = text.lines().enumerate().collect();
        read(&lines)
    }

    #[test]
    fn placeholders_leave_number_and_date_empty() {
        let m = meta(
            "\nKẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC\nGIAI ĐOẠN 2021-2030\n\n(Kèm theo Quyết định số: #sovb /QĐ-UBND ngày #nbh tháng 10 năm 2022 của UBND tỉnh Quảng Nam)",
        );
        assert_eq!(m.title.as_deref(), Some("KẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC GIAI ĐOẠN 2021-2030"));
        assert_eq!(m.number, None);
        assert_eq!(m.date, None);
        assert_eq!(m.date_text.as_deref(), Some("ngày #nbh tháng 10 năm 2022"));
        assert_eq!(m.issuer.as_deref(), Some("UBND tỉnh Quảng Nam"));
        assert_eq!(m.warnings.len(), 2);
    }

    #[test]
    fn the_attached_decision_wins_over_the_legal_basis() {
        let m = meta(
            "Căn cứ Quyết định số 10/2020/QĐ-TTg ngày 18/3/2020 của Thủ tướng Chính phủ;\n\
                      (Kèm theo Quyết định số 77/QĐ-UBND ngày 02/01/2023 của UBND tỉnh Lào Cai)",
        );
        assert_eq!(m.number.as_deref(), Some("77/QĐ-UBND"));
        assert_eq!(m.date, NaiveDate::from_ymd_opt(2023, 1, 2));
        assert_eq!(m.issuer.as_deref(), Some("UBND tỉnh Lào Cai"));
    }

    #[test]
    fn a_real_reference() {
        let m = meta("(Kèm theo Quyết định số 1234/QĐ-UBND ngày 05/10/2022\ncủa UBND tỉnh Hòa Bình)");
        assert_eq!(m.number.as_deref(), Some("1234/QĐ-UBND"));
        assert_eq!(m.date, NaiveDate::from_ymd_opt(2022, 10, 5));
        assert_eq!(m.issuer.as_deref(), Some("UBND tỉnh Hòa Bình"));
        assert!(m.warnings.is_empty());
    }
}

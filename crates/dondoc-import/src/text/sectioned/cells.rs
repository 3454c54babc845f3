//! What the columns hold: their kinds, read from the table's header, and the vocabulary of
//! agency cells (the words that begin the name of an agency or a group of agencies).

use std::sync::OnceLock;

use dondoc_core::text::clean;

use super::lines::Vocab;
#[cfg(test)]
use dondoc_core::text::fold;

/// A column of either table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Col {
    /// Nhiệm vụ / Nội dung (tasks).
    Title,
    /// Kết quả thực hiện / Sản phẩm.
    Result,
    /// Thời hạn hoàn thành / Thời gian.
    Deadline,
    /// Cơ quan thực hiện / chủ trì.
    Lead,
    /// Cơ quan phối hợp.
    Coop,
    /// Thông tin, dữ liệu (indicators).
    Name,
    /// Phạm vi.
    Scope,
    /// Thời gian (reporting frequency).
    Frequency,
    /// Phân tổ / ghi chú.
    Notes,
}

impl Col {
    /// A time cell, recognised by `timeexpr::parse`.
    pub fn is_time(self) -> bool {
        matches!(self, Col::Deadline | Col::Frequency)
    }

    /// Agencies.
    pub fn is_agency(self) -> bool {
        matches!(self, Col::Lead | Col::Coop)
    }

    /// The row's main text (first column).
    pub fn is_main(self) -> bool {
        matches!(self, Col::Title | Col::Name)
    }
}

/// Which table a header introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TableKind {
    Tasks,
    Indicators,
}

/// Reads a header's text (lower case): the kind of table and its columns in printed order.
/// `None` for headers of other shapes (a Mã số column, two time columns, no time column).
pub(super) fn classify_header(header: &str) -> Option<(TableKind, Vec<Col>)> {
    let has = |k: &str| header.contains(k);
    if has("mã số") || has("bắt đầu") {
        return None;
    }
    let tasks = has("phối hợp")
        && (has("nhiệm vụ") || has("nội dung") || has("công việc"))
        && (has("thời hạn") || has("thời gian"));
    let indicators = (has("phạm vi") || has("phân tổ") || has("tần suất") || has("kỳ báo cáo"))
        && (has("thời gian") || has("tần suất") || has("kỳ"));
    let mut found: Vec<(usize, Col)> = Vec::new();
    let find = |col: Col, keys: &[&str], found: &mut Vec<(usize, Col)>| {
        if let Some(pos) = keys.iter().filter_map(|k| header.find(k)).min() {
            found.push((pos, col));
        }
    };
    let kind = if tasks {
        find(Col::Title, &["nhiệm vụ", "nội dung", "công việc"], &mut found);
        find(Col::Result, &["kết quả", "sản phẩm"], &mut found);
        find(Col::Deadline, &["thời hạn", "thời gian"], &mut found);
        find(Col::Coop, &["phối hợp"], &mut found);
        find(
            Col::Lead,
            &["cơ quan thực hiện", "cơ quan chủ trì", "đơn vị thực hiện", "đơn vị chủ trì", "chủ trì"],
            &mut found,
        );
        if !found.iter().any(|(_, c)| *c == Col::Lead) {
            // "Cơ quan | Cơ quan phối hợp": the first "cơ quan" that is not the cooperating one.
            let coop = header.find("phối hợp").unwrap_or(usize::MAX);
            if let Some(pos) = ["cơ quan", "đơn vị"]
                .iter()
                .filter_map(|k| header.match_indices(k).map(|(p, _)| p).find(|p| *p + 12 < coop || *p > coop))
                .min()
            {
                found.push((pos, Col::Lead));
            }
        }
        TableKind::Tasks
    } else if indicators {
        find(Col::Name, &["thông tin, dữ liệu", "chỉ số", "chỉ tiêu", "thông tin", "nội dung", "tên"], &mut found);
        find(Col::Scope, &["phạm vi"], &mut found);
        find(Col::Frequency, &["thời gian", "tần suất", "kỳ báo cáo", "định kỳ"], &mut found);
        find(Col::Notes, &["phân tổ", "ghi chú"], &mut found);
        find(Col::Lead, &["cơ quan", "đơn vị"], &mut found);
        TableKind::Indicators
    } else {
        return None;
    };
    found.sort_by_key(|(pos, _)| *pos);
    let cols: Vec<Col> = found.into_iter().map(|(_, c)| c).collect();
    let main = if kind == TableKind::Tasks { Col::Title } else { Col::Name };
    // The main text comes first and a time column must exist; otherwise this is not a table
    // this reader knows.
    if cols.first() != Some(&main) || !cols.iter().any(|c| c.is_time()) {
        return None;
    }
    Some((kind, cols))
}

/// Words that begin the name of an agency or of a group of agencies (folded).
const HEAD_LIST: &[&str] = &[
    "văn phòng",
    "ubnd",
    "ủy ban",
    "uỷ ban",
    "hđnd",
    "hội đồng",
    "sở",
    "các sở",
    "bộ",
    "các bộ",
    "cục",
    "chi cục",
    "tổng cục",
    "ban",
    "các ban",
    "công an",
    "bộ chỉ huy",
    "bộ đội",
    "ngân hàng",
    "kho bạc",
    "thanh tra",
    "bảo hiểm xã hội",
    "tòa án",
    "toà án",
    "viện",
    "đài",
    "báo",
    "trung tâm",
    "hội",
    "các hội",
    "liên đoàn",
    "liên minh",
    "đoàn",
    "tỉnh đoàn",
    "mặt trận",
    "tỉnh ủy",
    "tỉnh uỷ",
    "thống kê",
    "cơ quan",
    "các cơ quan",
    "đơn vị",
    "các đơn vị",
    "tổ chức",
    "các tổ chức",
    "doanh nghiệp",
    "các doanh nghiệp",
    "công ty",
    "tổng công ty",
    "trường",
    "các trường",
    "chi nhánh",
    "điện lực",
    "hiệp hội",
    "liên hiệp",
    "tập đoàn",
    "bưu điện",
    "quỹ",
    "đảng ủy",
    "đảng uỷ",
    "huyện ủy",
    "huyện uỷ",
    "thành ủy",
    "thành uỷ",
    "kiểm toán",
    "phòng",
    "học viện",
    "đại học",
    "bệnh viện",
    "các huyện",
    "các xã",
    "các địa phương",
    "địa phương",
    "các ngành",
    "ngành",
];

struct Heads {
    all: Vocab,
    /// First words of the heads.
    first: Vocab,
}

fn heads() -> &'static Heads {
    static HEADS: OnceLock<Heads> = OnceLock::new();
    HEADS.get_or_init(|| {
        let firsts: Vec<&'static str> = HEAD_LIST.iter().filter_map(|h| h.split(' ').next()).collect();
        Heads { all: Vocab::new(HEAD_LIST), first: Vocab::new(&firsts) }
    })
}

/// Whether a word (lower case) can begin an agency head.
pub(super) fn may_start_head(word: &str) -> bool {
    heads().first.has(word)
}

/// Whether the words (lower case, joined by one space) are an agency head.
pub(super) fn is_head(words: &str) -> bool {
    heads().all.has(words)
}

/// Whether the words (lower case) begin with an agency head.
pub(super) fn starts_with_head(words: &[&str]) -> bool {
    let mut prefix = String::new();
    for w in words.iter().take(4) {
        if !prefix.is_empty() {
            prefix.push(' ');
        }
        prefix.push_str(&strip_punct(w));
        if heads().all.has(&prefix) {
            return true;
        }
    }
    false
}

fn strip_punct(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

/// Lower case without `dondoc_core::text::fold`'s spelling changes ("hàng" stays "hàng": "Ngân hàng").
pub(super) fn lower(w: &str) -> String {
    w.to_lowercase()
}

/// Splits an agency cell into agencies: at ";", and at "," or "/" when what follows is
/// another named agency ("Cục Thống kê tỉnh, Sở Công Thương"), never inside one name
/// ("Sở Văn hóa, Thể thao và Du lịch") or a group ("Các sở, ngành, địa phương").
pub fn split_agencies(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in cell.split(';') {
        let mut current = String::new();
        let chars: Vec<(usize, char)> = part.char_indices().collect();
        let mut start = 0usize;
        for &(i, c) in &chars {
            if (c == ',' || c == '/') && i >= start {
                let left = part.get(start..i).unwrap_or("");
                let right = part.get(i + c.len_utf8()..).unwrap_or("");
                if splits_here(&current, left, right) {
                    current.push_str(left);
                    push_agency(&mut out, &current);
                    current.clear();
                    start = i + c.len_utf8();
                }
            }
        }
        current.push_str(part.get(start..).unwrap_or(""));
        push_agency(&mut out, &current);
    }
    out
}

fn splits_here(current: &str, left: &str, right: &str) -> bool {
    let right = right.trim_start();
    let Some(first) = right.chars().next() else { return false };
    if !first.is_uppercase() {
        return false;
    }
    let left_all = format!("{current}{left}");
    let left_f = lower(&clean(&left_all));
    let right_words: Vec<String> =
        lower(&clean(right.split([',', '/', ';']).next().unwrap_or(""))).split(' ').map(str::to_string).collect();
    let right_refs: Vec<&str> = right_words.iter().map(String::as_str).collect();
    if !starts_with_head(&right_refs) || right_refs.len() < 2 {
        return false;
    }
    // The left side must be a named agency, not a bare group word ("Các Sở, Ban, ngành").
    let left_words: Vec<&str> = left_f.split(' ').filter(|w| !w.is_empty()).collect();
    left_words.len() >= 2 && !is_bare_head(&left_words) && !is_bare_head(&right_refs)
}

/// Whether the words are nothing but an agency head ("Văn phòng", "Sở"): half a name.
pub(super) fn is_bare_head(words: &[&str]) -> bool {
    let joined = words.iter().map(|w| strip_punct(w)).collect::<Vec<_>>().join(" ");
    heads().all.has(&joined)
}

fn push_agency(out: &mut Vec<String>, s: &str) {
    let t = s.trim().trim_matches(|c: char| c == ',' || c == '.' || c == '/' || c.is_whitespace()).trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agencies_split_between_names_not_inside() {
        assert_eq!(
            split_agencies("Sở Thông tin và Truyền thông, Công an tỉnh,"),
            ["Sở Thông tin và Truyền thông", "Công an tỉnh"]
        );
        assert_eq!(split_agencies("Các sở, ngành, địa phương"), ["Các sở, ngành, địa phương"]);
        assert_eq!(split_agencies("Sở Văn hóa, Thể thao và Du lịch"), ["Sở Văn hóa, Thể thao và Du lịch"]);
        assert_eq!(
            split_agencies("Sở Nông nghiệp và Phát triển nông thôn/ Sở Công Thương"),
            ["Sở Nông nghiệp và Phát triển nông thôn", "Sở Công Thương"]
        );
        assert_eq!(
            split_agencies("Văn phòng UBND tỉnh; các sở, ngành, địa phương"),
            ["Văn phòng UBND tỉnh", "các sở, ngành, địa phương"]
        );
        assert_eq!(split_agencies("Các Sở, Ban, ngành"), ["Các Sở, Ban, ngành"]);
        assert_eq!(split_agencies("UBND huyện, thành phố"), ["UBND huyện, thành phố"]);
        assert!(split_agencies(" ; ,").is_empty());
    }

    #[test]
    fn headers() {
        let (kind, cols) = classify_header(&fold(
            "TT Nhiệm vụ Kết quả thực hiện Thời hạn hoàn thành Cơ quan thực hiện Cơ quan phối hợp",
        ))
        .unwrap();
        assert_eq!(kind, TableKind::Tasks);
        assert_eq!(cols, [Col::Title, Col::Result, Col::Deadline, Col::Lead, Col::Coop]);
        let (kind, cols) =
            classify_header(&fold("TT Thông tin, dữ liệu Phạm vi Thời gian Phân tổ Cơ quan thực hiện")).unwrap();
        assert_eq!(kind, TableKind::Indicators);
        assert_eq!(cols, [Col::Name, Col::Scope, Col::Frequency, Col::Notes, Col::Lead]);
        assert!(classify_header(&fold("TT Nội dung công việc Mã số Chủ trì Phối hợp Thời gian")).is_none());
        let (_, cols) = classify_header(&fold("STT Nội dung Cơ quan chủ trì Cơ quan phối hợp Thời gian")).unwrap();
        assert_eq!(cols, [Col::Title, Col::Lead, Col::Coop, Col::Deadline]);
    }
}

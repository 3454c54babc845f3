//! The cells of a row after its code: agencies (lead, cooperating), time cells, product.

use dondoc_core::timeexpr::{self, TimeExprError};

use super::layout::Word;

/// Joins words into cell text. Words broken at a line end after "&" or after a hyphen glued
/// to its word ("KH&" + "ĐT", "CLTK21-" + "30") are joined without a space.
pub(super) fn join(words: &[Word]) -> String {
    let mut s = String::new();
    let mut glue = false;
    for (i, w) in words.iter().enumerate() {
        if i > 0 && !glue {
            s.push(' ');
        }
        s.push_str(w.text);
        glue = w.last && (w.text.ends_with('&') || (w.text.ends_with('-') && w.text.chars().count() > 1));
    }
    s
}

/// A word without surrounding punctuation, lower-cased.
fn norm(w: &str) -> String {
    w.trim_matches(|c: char| matches!(c, ',' | ';' | '.' | ':' | '(' | ')')).to_lowercase()
}

// ---------------------------------------------------------------- time cells

/// A time cell found in the words of a row.
#[derive(Debug)]
pub(super) struct TimeCell {
    pub text: String,
    /// Words taken.
    pub len: usize,
    /// Why the cell cannot be read, when it has the form of a time but impossible values.
    pub problem: Option<String>,
}

/// Longest time cell, in words.
const MAX_TIME_WORDS: usize = 8;

/// Whether a time cell can begin with the word: a number, "T9/2025", "Q4/2025", or a word
/// an expression of the time parser begins with ([`timeexpr::FIRST_WORDS`]).
fn time_start(w: &str) -> bool {
    let Some(first) = w.trim_start_matches('(').chars().next() else { return false };
    if first.is_ascii_digit() {
        return true;
    }
    let initial = first.to_lowercase().next().unwrap_or(first);
    if !timeexpr::FIRST_WORDS.iter().any(|t| t.starts_with(initial)) {
        return false;
    }
    let f = norm(w);
    let mut chars = f.chars();
    matches!((chars.next(), chars.next()), (Some('t' | 'q'), Some(c)) if c.is_ascii_digit())
        || timeexpr::FIRST_WORDS.contains(&f.as_str())
}

/// Whether every run of letters in the word is a word of the time parser
/// ([`timeexpr::WORDS`]).
fn time_word(w: &str) -> bool {
    w.split(|c: char| !c.is_alphabetic())
        .filter(|r| !r.is_empty())
        .all(|r| timeexpr::WORDS.contains(&r.to_lowercase().as_str()))
}

/// Starts that make a cell a time even when its values are impossible ("Tháng 13/2025").
fn strong_time_start(w: &str) -> bool {
    matches!(norm(w).as_str(), "tháng" | "quý" | "năm" | "trước" | "ngày") || w.contains('/')
}

/// The time cell starting at `words[i]`: the longest run of words (up to eight, within the
/// line for requests such as "Theo yêu cầu của ...") that [`timeexpr::parse`] reads.
pub(super) fn time_at(words: &[Word], i: usize) -> Option<TimeCell> {
    let first = words.get(i)?;
    if !time_start(first.text) {
        return None;
    }
    let limit = (i + MAX_TIME_WORDS).min(words.len());
    let request = matches!(norm(first.text).as_str(), "theo" | "khi");
    let mut max_end = i;
    let mut depth = 0i32;
    for w in &words[i..limit] {
        if !(request || depth > 0 || w.text.starts_with('(') || time_word(w.text)) {
            break;
        }
        depth += w.text.matches('(').count() as i32 - w.text.matches(')').count() as i32;
        max_end += 1;
        // A ";" ends a cell, and a request ends with its line.
        if w.text.contains(';') || (request && w.last) {
            break;
        }
    }
    let mut ok: Option<(usize, String)> = None;
    let mut invalid: Option<(usize, String)> = None;
    for end in (i + 1..=max_end).rev() {
        let span = &words[i..end];
        if !balanced(span) {
            continue;
        }
        let text = join(span);
        let text = text.trim_end_matches([';', ',', '.']);
        match timeexpr::parse(text) {
            Ok(_) if ok.is_none() => ok = Some((end - i, text.to_string())),
            Ok(_) => {}
            Err(e @ TimeExprError::Invalid { .. }) => invalid = Some((end - i, format!("{text}: {e}"))),
            Err(_) => {}
        }
    }
    // "Tháng 13/2025": a time with impossible values, longer than any reading ("Tháng").
    let ok_len = ok.as_ref().map_or(0, |(n, _)| *n);
    if let Some((len, problem)) = invalid.filter(|(n, _)| *n > ok_len && strong_time_start(first.text)) {
        let text = join(&words[i..i + len]).trim_end_matches([';', ',', '.']).to_string();
        return Some(TimeCell { text, len, problem: Some(problem) });
    }
    ok.map(|(len, text)| TimeCell { text, len, problem: None })
}

fn balanced(span: &[Word]) -> bool {
    let mut depth = 0i32;
    for w in span {
        for c in w.text.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return false;
            }
        }
    }
    depth == 0
}

// ---------------------------------------------------------------- agencies

/// Head nouns of agency names (folded), longest first where they share a start.
const HEADS: &[&str] = &[
    "ủy ban nhân dân",
    "uỷ ban nhân dân",
    "ủy ban",
    "uỷ ban",
    "ubnd",
    "hđnd",
    "ubmttq",
    "chi cục",
    "tổng cục",
    "cục",
    "sở",
    "bộ chỉ huy",
    "bộ",
    "ban",
    "văn phòng",
    "phòng",
    "trung tâm",
    "viện kiểm sát",
    "viện",
    "trường",
    "công an",
    "đài",
    "hội",
    "liên đoàn",
    "đoàn",
    "mặt trận",
    "kho bạc",
    "ngân hàng",
    "thanh tra",
    "thống kê",
    "tỉnh ủy",
    "tỉnh uỷ",
    "tòa án",
    "toà án",
    "chi nhánh",
    "bảo hiểm",
    "đơn vị",
    "cơ quan",
];

/// Words that do not name a particular unit ("Ban ngành", "đơn vị liên quan").
const GENERIC: &[&str] = &["ngành", "ban", "sở", "đoàn", "thể", "hội", "cơ", "quan", "đơn", "vị", "liên", "có"];

/// Words after which a name goes on.
const CONNECTORS: &[&str] = &["và", "của", "thuộc", "với", "cùng", "hoặc", "trực", "các", "những"];

/// An agency head at `words[i]`, given the words folded: (words taken, whether a plural
/// prefix "các"/"những" leads it).
fn head_in(words: &[Word], folded: &[String], i: usize) -> Option<(usize, bool)> {
    let prefix = matches!(folded.get(i)?.as_str(), "các" | "những");
    let start = i + usize::from(prefix);
    'heads: for head in HEADS {
        let mut n = 0;
        for (k, part) in head.split(' ').enumerate() {
            // A head does not run over a separator.
            if k > 0 && words[start + k - 1].text.ends_with([',', ';']) {
                continue 'heads;
            }
            match folded.get(start + k) {
                Some(f) if f == part => n += 1,
                _ => continue 'heads,
            }
        }
        return Some((usize::from(prefix) + n, prefix));
    }
    None
}

/// An agency head at `words[i]` (see [`head_in`]).
fn head_at(words: &[Word], i: usize) -> Option<(usize, bool)> {
    let window = words.get(i..(i + 5).min(words.len()))?;
    let folded: Vec<String> = window.iter().map(|w| norm(w.text)).collect();
    head_in(window, &folded, 0)
}

fn capitalized(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// The agency words of a row, each folded once, with the agency head at each word.
struct Agencies<'w, 'a> {
    words: &'w [Word<'a>],
    folded: Vec<String>,
    heads: Vec<Option<(usize, bool)>>,
}

impl<'w, 'a> Agencies<'w, 'a> {
    fn new(words: &'w [Word<'a>]) -> Self {
        let folded: Vec<String> = words.iter().map(|w| norm(w.text)).collect();
        let heads = (0..words.len()).map(|i| head_in(words, &folded, i)).collect();
        Agencies { words, folded, heads }
    }

    /// Whether `words[from..to]` is only a head ("Cục", "Chi cục", "các Sở", "Ban ngành"),
    /// or the start of one: a name that has not started yet.
    fn bare(&self, from: usize, to: usize) -> bool {
        match self.heads.get(from).copied().flatten() {
            Some((n, _)) => self.folded[(from + n).min(to)..to].iter().all(|f| GENERIC.contains(&f.as_str())),
            None => from >= to,
        }
    }

    fn connects(&self, i: usize) -> bool {
        self.words[i].text.ends_with([',', ';', '&', '-', '/', '(', ':'])
            || CONNECTORS.contains(&self.folded[i].as_str())
    }

    /// Whether a new agency starts at word `i` without a separator before it: a
    /// capitalised head (or "các ..." at a line start) after a complete name.
    fn starts_agency(&self, i: usize, piece_start: usize) -> bool {
        let Some((_, prefix)) = self.heads[i] else {
            return false;
        };
        let w = &self.words[i];
        (capitalized(w.text) || (prefix && w.first))
            && i > piece_start
            && !self.connects(i - 1)
            && !self.bare(piece_start, i)
    }

    /// Whether a named agency or a plural group starts at word `i` (after a comma).
    fn named_item_at(&self, i: usize) -> bool {
        let Some((n, prefix)) = self.heads.get(i).copied().flatten() else {
            return false;
        };
        if prefix {
            return true;
        }
        let end =
            self.words[i..].iter().position(|w| w.text.ends_with([',', ';'])).map_or(self.words.len(), |p| i + p + 1);
        capitalized(self.words[i].text) && end - i > n && !self.bare(i, end)
    }

    /// The agencies of one cell, `words[from..to]`: split at ";" and at "," before a named
    /// agency or a plural group ("UBND tỉnh, Cục Thống kê tỉnh"; "Cục Thống kê tỉnh, các
    /// đơn vị liên quan"), not inside a group ("Các Sở, Ban, ngành"; "UBND các huyện, thị
    /// xã, thành phố").
    fn items(&self, from: usize, to: usize, out: &mut Vec<String>) {
        let mut start = from;
        for i in from..to {
            let w = self.words[i].text;
            if w.ends_with(';') || (w.ends_with(',') && i + 1 < to && self.named_item_at(i + 1)) {
                push_items(out, &self.words[start..=i]);
                start = i + 1;
            }
        }
        push_items(out, &self.words[start..to]);
    }
}

/// Splits the agency words of a row into the lead cell and the cooperating cell, each as
/// a list of agencies or groups. A cell ends where a new agency name starts without a
/// separator after a complete name.
pub(super) fn agencies(words: &[Word]) -> (Vec<String>, Vec<String>) {
    let a = Agencies::new(words);
    let mut starts = vec![0];
    let mut piece_start = 0;
    let mut depth = 0i32;
    for (i, w) in words.iter().enumerate() {
        if depth <= 0 && a.starts_agency(i, piece_start) {
            starts.push(i);
            piece_start = i;
        }
        let w = w.text;
        depth += w.matches('(').count() as i32 - w.matches(')').count() as i32;
        if w.ends_with([',', ';']) {
            piece_start = i + 1;
        }
    }
    starts.push(words.len());
    let (mut lead, mut cooperating) = (Vec::new(), Vec::new());
    for (k, cell) in starts.windows(2).enumerate() {
        a.items(cell[0], cell[1], if k == 0 { &mut lead } else { &mut cooperating });
    }
    (lead, cooperating)
}

fn push_items(out: &mut Vec<String>, words: &[Word]) {
    for item in join(words).split(';') {
        let item = item.trim().trim_end_matches([',', '.', ';']).trim();
        if !item.is_empty() {
            out.push(item.to_string());
        }
    }
}

/// Whether the words start with an agency ("Cục Thống kê tỉnh ...", "Các Sở ...").
pub(super) fn begins_with_agency(words: &[Word]) -> bool {
    head_at(words, 0).is_some_and(|(_, prefix)| prefix || words.first().is_some_and(|w| capitalized(w.text)))
}

/// Whether the word can start a time cell or an agency: what may follow a code.
pub(super) fn cell_start(words: &[Word], i: usize) -> bool {
    words.get(i).is_some_and(|w| time_start(w.text)) || head_at(words, i).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Word<'_>> {
        let mut out = Vec::new();
        for (line, l) in text.split('\n').enumerate() {
            let start = out.len();
            for w in l.split(' ').filter(|w| !w.is_empty()) {
                out.push(Word { text: w, line, first: out.len() == start, last: false });
            }
            if let Some(w) = out.last_mut().filter(|w| w.line == line) {
                w.last = true;
            }
        }
        out
    }

    #[test]
    fn joins_broken_words() {
        assert_eq!(join(&words("Sở KH&\nĐT; Cục")), "Sở KH&ĐT; Cục");
        assert_eq!(join(&words("CLTK21-\n30 kinh tế -\nxã hội")), "CLTK21-30 kinh tế - xã hội");
    }

    #[test]
    fn splits_lead_and_cooperating() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "UBND\ntỉnh\nCục Thống\nkê tỉnh;\ncác Sở,\nBan, ngành",
                &["UBND tỉnh"],
                &["Cục Thống kê tỉnh", "các Sở, Ban, ngành"],
            ),
            (
                "Cục\nThống kê\ntỉnh\nCác Sở,\nBan,\nngành;\nUBND các\nhuyện, thị\nxã, thành\nphố",
                &["Cục Thống kê tỉnh"],
                &["Các Sở, Ban, ngành", "UBND các huyện, thị xã, thành phố"],
            ),
            (
                "UBND\ntỉnh, Cục\nThống kê\ntỉnh\nCác Sở,\nBan, ngành",
                &["UBND tỉnh", "Cục Thống kê tỉnh"],
                &["Các Sở, Ban, ngành"],
            ),
            ("Cục\nThống kê;\nSở\nKH&ĐT\nCác Sở,\nBan, ngành", &["Cục Thống kê", "Sở KH&ĐT"], &["Các Sở, Ban, ngành"]),
            (
                "UBND\ntỉnh\nCục Thống\nkê tỉnh,\ncác đơn vị\nliên quan",
                &["UBND tỉnh"],
                &["Cục Thống kê tỉnh", "các đơn vị liên quan"],
            ),
            (
                "Cục\nThống kê\ntỉnh\nĐơn vị, cá\nnhân liên\nquan",
                &["Cục Thống kê tỉnh"],
                &["Đơn vị, cá nhân liên quan"],
            ),
            (
                "Cục Thống kê tỉnh\nChi cục\nThống kê\ncấp huyện",
                &["Cục Thống kê tỉnh"],
                &["Chi cục Thống kê cấp huyện"],
            ),
            ("UBND\ntỉnh\nBộ Kế\nhoạch và\nĐầu tư", &["UBND tỉnh"], &["Bộ Kế hoạch và Đầu tư"]),
            ("Văn phòng\nUBND tỉnh\nCác Sở, Ban ngành", &["Văn phòng UBND tỉnh"], &["Các Sở, Ban ngành"]),
            ("Cục Thống kê tỉnh", &["Cục Thống kê tỉnh"], &[]),
        ];
        for (text, lead, coop) in cases {
            let (l, c) = agencies(&words(text));
            let (l, c): (Vec<&str>, Vec<&str>) =
                (l.iter().map(String::as_str).collect(), c.iter().map(String::as_str).collect());
            assert_eq!((l.as_slice(), c.as_slice()), (*lead, *coop), "{text}");
        }
    }

    #[test]
    fn time_cells() {
        let w = words("Tháng\n8/2022;\nKế hoạch");
        let cell = time_at(&w, 0).unwrap();
        assert_eq!((cell.text.as_str(), cell.len), ("Tháng 8/2022", 2));
        let w = words("2022 2030 Hệ thống");
        assert_eq!(time_at(&w, 0).unwrap().text, "2022");
        let w = words("Hằng năm - Báo cáo kết quả; - Kết luận");
        assert_eq!(time_at(&w, 0).unwrap().text, "Hằng năm");
        let w = words("Tháng 13/2025 Báo cáo");
        assert!(time_at(&w, 0).unwrap().problem.is_some());
        for no in ["Đầu tư", "Thường trực", "1022 Quảng Nam", "Theo dõi"] {
            assert!(time_at(&words(no), 0).is_none(), "{no}");
        }
    }
}

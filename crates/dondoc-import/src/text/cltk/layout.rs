//! The text as lines and words: normalised lines, the table headers repeated on every page
//! (with the page numbers printed above them) set aside, and the remaining words in order
//! with their line.

use dondoc_core::text::clean;

/// A word of the table text and where it sits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Word<'a> {
    pub text: &'a str,
    /// 0-based line index.
    pub line: usize,
    /// First word of its line.
    pub first: bool,
    /// Last word of its line.
    pub last: bool,
}

/// The normalised lines and which of them are page furniture.
pub(super) struct Layout {
    /// Every line, NFC, whitespace collapsed and trimmed (index = line number - 1).
    pub lines: Vec<String>,
    /// Lines of repeated table headers and page numbers.
    pub skip: Vec<bool>,
    /// First line of each table header block.
    pub headers: Vec<usize>,
}

/// Words of the table header (folded): a line made only of these, holding at least one of
/// the column names below, starts a header block.
const HEADER_VOCAB: &[&str] = &[
    "cơ", "quan", "thực", "hiện", "thời", "gian", "tt", "stt", "nội", "dung", "công", "việc", "mã", "số", "chủ", "trì",
    "phối", "hợp", "bắt", "đầu", "hoàn", "thành", "sản", "phẩm", "đơn", "vị", "ghi", "chú", "kết", "quả", "nhiệm",
    "vụ", "dự", "kiến", "kinh", "phí", "hạn", "triển", "khai", "tiến", "độ", "mối", "lãnh", "đạo", "chính", "điểm",
    "và", "phạm",
];

/// Column names that mark a header line.
const HEADER_MARKERS: &[&str] =
    &["cơ quan thực hiện", "thời gian thực hiện", "nội dung", "chủ trì", "phối hợp", "sản phẩm", "mã số"];

impl Layout {
    pub(super) fn new(text: &str) -> Layout {
        let lines: Vec<String> = text.lines().map(clean_line).collect();
        let mut layout = Layout { skip: vec![false; lines.len()], lines, headers: Vec::new() };
        layout.mark_headers();
        layout
    }

    fn mark_headers(&mut self) {
        let n = self.lines.len();
        let mut page_offset: Option<i64> = None;
        let mut i = 0;
        while i < n {
            let markers = if all_header_words(&self.lines[i]) { header_markers(&self.lines[i]) } else { 0 };
            if markers == 0 {
                i += 1;
                continue;
            }
            let mut total = markers;
            let mut end = i;
            let mut j = i + 1;
            while j < n {
                let line = &self.lines[j];
                if line.is_empty() {
                    j += 1;
                    continue;
                }
                if is_index_line(line) {
                    total += 2;
                    end = j;
                    break;
                }
                if !all_header_words(line) {
                    break;
                }
                total += header_markers(line);
                end = j;
                j += 1;
            }
            if total >= 3 {
                for s in &mut self.skip[i..=end] {
                    *s = true;
                }
                // The page number printed above the header: it grows with the headers (a
                // code printed just above a header, "04" or "1022", does not).
                if let Some(k) = (0..i).rev().find(|&k| !self.lines[k].is_empty())
                    && let Some(page) = page_number(&self.lines[k])
                {
                    let offset = page - self.headers.len() as i64;
                    if offset >= 0 && page_offset.is_none_or(|o| (offset - o).abs() <= 1) {
                        self.skip[k] = true;
                        page_offset = Some(offset);
                    }
                }
                self.headers.push(i);
                i = end + 1;
            } else {
                i += 1;
            }
        }
        self.mark_last_page_number(page_offset);
    }

    /// A page number on the last line of the text, in the sequence of the others.
    fn mark_last_page_number(&mut self, page_offset: Option<i64>) {
        let Some(k) = self.lines.iter().rposition(|l| !l.is_empty()) else {
            return;
        };
        if let (Some(page), Some(offset)) = (page_number(&self.lines[k]), page_offset)
            && (page - offset - self.headers.len() as i64).abs() <= 1
        {
            self.skip[k] = true;
        }
    }

    /// The words of the lines that are not page furniture, in order, and for each line the
    /// index of its first word.
    pub(super) fn words(&self) -> (Vec<Word<'_>>, Vec<Option<usize>>) {
        let mut words = Vec::new();
        let mut first_word = vec![None; self.lines.len()];
        for (i, line) in self.lines.iter().enumerate() {
            if self.skip[i] || line.is_empty() {
                continue;
            }
            first_word[i] = Some(words.len());
            let start = words.len();
            for w in line.split(' ') {
                words.push(Word { text: w, line: i, first: words.len() == start, last: false });
            }
            if let Some(last) = words.last_mut() {
                last.last = true;
            }
        }
        (words, first_word)
    }
}

/// [`clean`] of one line, without the NFC pass when no character of the line can change
/// under it (ASCII, Latin-1 and Latin Extended letters, precomposed Vietnamese letters,
/// general punctuation): the common case of extracted text, and the costly step.
fn clean_line(line: &str) -> String {
    let stable = |c: char| {
        let u = u32::from(c);
        u < 0x300 || (0x1E00..0x1F00).contains(&u) || (0x2010..0x2070).contains(&u)
    };
    if !line.chars().all(stable) {
        return clean(line);
    }
    let mut out = String::with_capacity(line.len());
    for w in line.split(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn folded_words(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(' ').map(|w| w.trim_matches(|c: char| matches!(c, ',' | ':' | '.' | ';')).to_lowercase())
}

fn all_header_words(line: &str) -> bool {
    folded_words(line).all(|w| w.is_empty() || HEADER_VOCAB.contains(&w.as_str()) || is_index_token(&w))
}

fn header_markers(line: &str) -> usize {
    let f = line.to_lowercase();
    HEADER_MARKERS.iter().filter(|m| f.contains(*m)).count()
}

/// "(A)", "(1)", "(10)": the column index row under a header.
fn is_index_token(w: &str) -> bool {
    let Some(inner) = w.strip_prefix('(').and_then(|w| w.strip_suffix(')')) else {
        return false;
    };
    (1..=2).contains(&inner.chars().count()) && inner.chars().all(char::is_alphanumeric)
}

/// A line of column indexes: "(A) (B) (C) (D) (E) (F) (G) (H)", "(1) (2) (3) ...", or
/// "1 2 3 4 5 6 7 8" / "A B C D E F G H" counting up.
pub(super) fn is_index_line(line: &str) -> bool {
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() >= 3 && tokens.iter().all(|w| is_index_token(w)) {
        return true;
    }
    let counting = |f: fn(&str) -> Option<u32>| {
        tokens
            .iter()
            .map(|w| f(w))
            .collect::<Option<Vec<u32>>>()
            .is_some_and(|v| v.windows(2).all(|p| p[1] == p[0] + 1))
    };
    let number = |w: &str| w.parse::<u32>().ok().filter(|&n| n < 100);
    let letter = |w: &str| {
        let mut c = w.chars();
        match (c.next(), c.next()) {
            (Some(l @ 'A'..='Z'), None) => Some(u32::from(l)),
            _ => None,
        }
    };
    tokens.len() >= 4 && (counting(number) || counting(letter))
}

/// "2", "- 3 -", "Trang 4": a number without leading zero.
fn page_number(line: &str) -> Option<i64> {
    let t = line.trim_matches(|c: char| c == '-' || c == ' ');
    let t = t.strip_prefix("Trang ").unwrap_or(t);
    if t.is_empty() || t.len() > 4 || t.starts_with('0') || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cleaned_as_dondoc_core_does() {
        for l in ["  Cục  Thống\tkê tỉnh ", "Ho\u{0300}a", "\u{feff}Thường\u{a0}xuyên", "\u{2126}", "a\u{2000}b", ""]
        {
            assert_eq!(clean_line(l), clean(l), "{l:?}");
        }
    }

    #[test]
    fn headers_and_page_numbers_are_set_aside() {
        let text = "A\n\n2\nCơ quan thực hiện Thời gian thực hiện\n\nTT Nội dung công việc Mã \nsố Chủ trì Phối hợp\n\
                    Thời \ngian bắt \n\nđầu\nSản phẩm\n\n(A) (B) (C) (D)\n\n1.2 Tiếp\nthành";
        let layout = Layout::new(text);
        let kept: Vec<&str> = layout
            .lines
            .iter()
            .zip(&layout.skip)
            .filter(|(l, s)| !**s && !l.is_empty())
            .map(|(l, _)| l.as_str())
            .collect();
        assert_eq!(kept, ["A", "1.2 Tiếp", "thành"]);
        assert_eq!(layout.headers, [3]);
    }
}

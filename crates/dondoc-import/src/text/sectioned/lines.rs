//! The text as lines of words, keeping what the extraction tells about the layout: the
//! spaces between words (two or more often separate two cells printed on one line), whether
//! a line ends with a space (a line without one was broken inside a word: "Tháng/Qu" +
//! "ý/ Năm"), and lines holding only spaces (an empty cell).

use dondoc_core::text::{clean, fold};

/// One line of the source.
#[derive(Debug, Clone, Default)]
pub(super) struct Line {
    /// 1-based line number.
    pub no: usize,
    /// The words, NFC.
    pub words: Vec<String>,
    /// Spaces before each word (0 for the first).
    pub gaps: Vec<u8>,
    /// The line ends with whitespace: its last word is whole.
    pub trail_ws: bool,
    /// Not empty, but only whitespace: the extraction's trace of an empty cell.
    pub ws_only: bool,
    /// A tab: the tab-separated shape, not this one.
    pub has_tab: bool,
}

fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}'
}

impl Line {
    fn parse(no: usize, raw: &str) -> Line {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut line = Line { no, has_tab: raw.contains('\t'), ..Line::default() };
        let mut spaces = 0usize;
        let mut word = String::new();
        for c in raw.chars() {
            if is_ws(c) {
                if !word.is_empty() {
                    line.push(&word, spaces);
                    word.clear();
                    spaces = 0;
                }
                spaces += 1;
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            line.push(&word, spaces);
        }
        line.trail_ws = raw.chars().next_back().is_some_and(is_ws);
        line.ws_only = line.words.is_empty() && !raw.is_empty();
        line
    }

    fn push(&mut self, word: &str, spaces: usize) {
        let w = clean(word);
        if w.is_empty() {
            return;
        }
        let gap = if self.words.is_empty() { 0 } else { spaces.min(9) as u8 };
        self.words.push(w);
        self.gaps.push(gap);
    }

    pub fn is_blank(&self) -> bool {
        self.words.is_empty()
    }

    /// The words joined with one space.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// The words from `from` on, joined with one space.
    pub fn text_from(&self, from: usize) -> String {
        self.words.get(from..).map(|w| w.join(" ")).unwrap_or_default()
    }

    /// [`fold`] of the whole line.
    pub fn folded(&self) -> String {
        fold(&self.text())
    }
}

/// Splits a text into lines (LF or CRLF).
pub(super) fn split_lines(text: &str) -> Vec<Line> {
    text.split('\n').enumerate().map(|(i, raw)| Line::parse(i + 1, raw)).collect()
}

/// Approximate printed width of a character, in widths of an average lower-case letter of a
/// proportional serif font: what decides where a cell's line wraps.
pub(super) fn char_width(c: char) -> f32 {
    match c {
        ' ' => 0.5,
        'M' | 'W' | 'Đ' | 'Ư' | 'Ơ' => 1.6,
        'I' | 'J' => 0.7,
        'm' | 'w' => 1.5,
        'i' | 'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' | 'l' | 'j' | 't' | 'f' | 'r' => 0.6,
        '.' | ',' | ';' | ':' | '\'' | '!' | '|' => 0.5,
        '(' | ')' | '/' | '-' | '[' | ']' => 0.6,
        c if c.is_uppercase() => 1.4,
        _ => 1.0,
    }
}

/// Printed width of a word.
pub(super) fn word_width(w: &str) -> f32 {
    w.chars().map(char_width).sum()
}

/// Roman numerals I..=L (section numbers), upper case as printed.
pub(super) fn roman_value(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 7 || !s.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L')) {
        return None;
    }
    let val = |c| match c {
        'I' => 1,
        'V' => 5,
        'X' => 10,
        _ => 50,
    };
    let chars: Vec<u32> = s.chars().map(val).collect();
    let mut total = 0u32;
    for (i, v) in chars.iter().enumerate() {
        if chars.get(i + 1).is_some_and(|next| next > v) {
            total = total.checked_sub(*v)?;
        } else {
            total += v;
        }
    }
    // Only the canonical spelling ("IIII" and "IC" are words, not numbers).
    (total > 0 && to_roman(total) == s).then_some(total)
}

pub(super) fn to_roman(mut n: u32) -> String {
    let table = [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")];
    let mut out = String::new();
    for (v, s) in table {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_layout_hints() {
        let lines = split_lines("Toàn tỉnh Tháng  Sở Y tế \nTháng/Qu\n \n\tx");
        assert_eq!(lines[0].words, ["Toàn", "tỉnh", "Tháng", "Sở", "Y", "tế"]);
        assert_eq!(lines[0].gaps, [0, 1, 1, 2, 1, 1]);
        assert!(lines[0].trail_ws);
        assert!(!lines[1].trail_ws);
        assert!(lines[2].ws_only && lines[2].is_blank());
        assert!(lines[3].has_tab);
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman_value("XIV"), Some(14));
        assert_eq!(roman_value("IV"), Some(4));
        assert_eq!(roman_value("IIII"), None);
        assert_eq!(roman_value("Y"), None);
        assert_eq!(roman_value(""), None);
        for n in 1..=50 {
            assert_eq!(roman_value(&to_roman(n)), Some(n));
        }
    }
}

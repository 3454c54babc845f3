//! The text as lines of words, keeping what the extraction tells about the layout: the
//! spaces between words (two or more often separate two cells printed on one line), whether
//! a line ends with a space (a line without one was broken inside a word: "Tháng/Qu" +
//! "ý/ Năm"), and lines holding only spaces (an empty cell).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use unicode_normalization::UnicodeNormalization;

use dondoc_core::text::clean;

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
    /// The first word in lower case ("" for a blank line).
    pub first_lower: String,
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
        line.first_lower = line.words.first().map(|w| w.to_lowercase()).unwrap_or_default();
        line.ws_only = line.words.is_empty() && !raw.is_empty();
        line
    }

    fn push(&mut self, word: &str, spaces: usize) {
        let w = if nfc_already(word) { word.to_string() } else { clean(word) };
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

    /// The whole line in lower case.
    pub fn lower(&self) -> String {
        self.text().to_lowercase()
    }
}

/// Letters that are their own NFC form (ASCII, Latin-1, Latin Extended-A/B, Latin Extended
/// Additional where the precomposed Vietnamese letters are, general punctuation), so that
/// most words skip normalisation.
fn nfc_already(word: &str) -> bool {
    word.chars().all(|c| {
        let u = c as u32;
        u < 0x250 || (0x1E00..=0x1EFF).contains(&u) || (0x2010..=0x2027).contains(&u)
    })
}

/// Splits a text into lines (LF or CRLF).
pub(super) fn split_lines(text: &str) -> Vec<Line> {
    text.split('\n').enumerate().map(|(i, raw)| Line::parse(i + 1, raw)).collect()
}

/// Printed width of a character in Times New Roman (the font of Vietnamese administrative
/// documents, Nghị định 30/2020/NĐ-CP), in units of the width of "n": what decides where a
/// cell's line wraps. Vietnamese letters take the width of their base letter.
pub(super) fn char_width(c: char) -> f32 {
    let base = base_letter(c);
    // Advance widths per 1000 em.
    let w: u16 = match base {
        ' ' => 250,
        'a' | 'c' | 'e' | 'z' => 444,
        'b' | 'd' | 'g' | 'h' | 'k' | 'n' | 'o' | 'p' | 'q' | 'u' | 'v' | 'x' | 'y' => 500,
        'f' | 'r' => 333,
        'i' | 'j' | 'l' | 't' => 278,
        's' => 389,
        'm' => 778,
        'w' => 722,
        'A' | 'D' | 'G' | 'H' | 'K' | 'N' | 'O' | 'Q' | 'U' | 'V' | 'X' | 'Y' => 722,
        'B' | 'C' | 'R' => 667,
        'E' | 'L' | 'T' | 'Z' => 611,
        'F' | 'P' | 'S' => 556,
        'I' => 333,
        'J' => 389,
        'M' => 889,
        'W' => 944,
        '0'..='9' => 500,
        '.' | ',' => 250,
        ';' | ':' | '/' => 278,
        '-' | '(' | ')' | '[' | ']' => 333,
        '\'' | '’' | '‘' => 333,
        '"' | '“' | '”' => 444,
        '…' => 1000,
        c if c.is_uppercase() => 722,
        c if c.is_alphabetic() => 500,
        _ => 500,
    };
    f32::from(w) / 500.0
}

/// The base letter of a Vietnamese letter ("ở" -> 'o', "Đ" -> 'D'): the first code point
/// of its canonical decomposition (đ/Đ do not decompose).
fn base_letter(c: char) -> char {
    match c {
        'đ' => 'd',
        'Đ' => 'D',
        c if c.is_ascii() => c,
        c => std::iter::once(c).nfd().next().unwrap_or(c),
    }
}

/// Printed width of a word.
pub(super) fn word_width(w: &str) -> f32 {
    w.chars().map(char_width).sum()
}

/// FNV-1a: a fast hash for the short words of the vocabularies below.
#[derive(Default)]
pub(super) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A fixed vocabulary of lower-case words or phrases.
pub(super) struct Vocab(HashSet<&'static str, BuildHasherDefault<Fnv>>);

impl Vocab {
    pub fn new(words: &[&'static str]) -> Vocab {
        Vocab(words.iter().copied().collect())
    }
    pub fn has(&self, w: &str) -> bool {
        self.0.contains(w)
    }
}

/// Roman numerals I..=L (section numbers), upper case as printed.
pub(super) fn roman_value(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 7 || !s.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L')) {
        return None;
    }
    let val = |c| -> i64 {
        match c {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            _ => 50,
        }
    };
    let chars: Vec<i64> = s.chars().map(val).collect();
    let mut total = 0i64;
    for (i, v) in chars.iter().enumerate() {
        if chars.get(i + 1).is_some_and(|next| next > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    let total = u32::try_from(total).ok()?;
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

//! The structure of the appendix tables: where a table starts (its header), the headers
//! repeated on every page and the page numbers before them, the headings (A., B., ...;
//! I, II, ...) and the blocks of lines that belong to one numbered row.

use super::cells::{Col, TableKind, classify_header};
use super::lines::{Line, roman_value, to_roman};

/// A line at least this long (in characters) spans several columns: a heading's, not a cell's.
const LONG_LINE: usize = 45;

/// A table: its header and what follows it.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub kind: TableKind,
    pub cols: Vec<Col>,
    pub items: Vec<Item>,
}

/// A heading or a row block, in document order.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Heading(Heading),
    Block(Block),
}

#[derive(Debug, Clone)]
pub(super) struct Heading {
    /// 0 for letters (A., B.), 1 for Roman numerals.
    pub level: u8,
    /// "A", "IV".
    pub label: String,
    pub title: String,
}

impl Heading {
    /// As the expected tables print it: "IV. Title".
    pub fn display(&self) -> String {
        if self.title.is_empty() { format!("{}.", self.label) } else { format!("{}. {}", self.label, self.title) }
    }
}

/// Where a block's words start: a line and the first word taken from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub li: usize,
    pub from: usize,
}

/// The lines of one row (or of rows without numbers after a heading), split into parts by
/// page breaks.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// TT as printed ("" when the rows carry no number).
    pub tt: String,
    /// Depth of the TT: 1 for "3", 2 for "3.1".
    pub level: u8,
    /// 1-based line of the TT (or of the first line).
    pub line: usize,
    pub parts: Vec<Vec<Span>>,
    /// A Roman numeral alone on its line with its text below: a heading whose rows follow, or
    /// a row of its own (decided by what comes next).
    pub roman: bool,
}

impl Block {
    fn new(tt: String, level: u8, line: usize) -> Block {
        Block { tt, level, line, parts: vec![Vec::new()], roman: false }
    }

    /// Whether any part holds a word.
    pub fn has_words(&self, lines: &[Line]) -> bool {
        self.parts.iter().flatten().any(|s| lines.get(s.li).is_some_and(|l| l.words.len() > s.from))
    }

    /// The text of all parts, for headings and error messages.
    pub fn text(&self, lines: &[Line]) -> String {
        let mut words: Vec<String> = Vec::new();
        for s in self.parts.iter().flatten() {
            if let Some(l) = lines.get(s.li) {
                words.extend(l.words.iter().skip(s.from).cloned());
            }
        }
        words.join(" ")
    }
}

/// A table header starting at line `i`: the header words (lower case) and the index after it.
fn header_at(lines: &[Line], i: usize) -> Option<(TableKind, Vec<Col>, Vec<String>, usize)> {
    let first = lines.get(i)?;
    let w0f = first.first_lower.trim_end_matches(['.', ':']);
    if !(w0f == "tt" || w0f == "stt") || first.has_tab {
        return None;
    }
    let mut words: Vec<String> = Vec::new();
    let mut j = i;
    let mut taken = 0;
    while j < lines.len() && taken < 16 && words.len() < 48 {
        let l = &lines[j];
        if l.has_tab {
            return None;
        }
        if !l.is_blank() {
            if j > i && (data_start(l) || region_end(l)) {
                break;
            }
            words.extend(l.words.iter().map(|w| w.to_lowercase()));
            taken += 1;
        }
        j += 1;
    }
    let (kind, cols) = classify_header(&words.join(" "))?;
    Some((kind, cols, words, j))
}

/// A line that can only be data: a heading or a numbered row.
fn data_start(l: &Line) -> bool {
    let Some(w) = l.words.first() else { return false };
    let bare = w.trim_end_matches(['.', ')']);
    letter_label(l).is_some()
        || roman_value(bare).is_some()
        || (!bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit() || c == '.') && bare.len() <= 8)
}

/// "A. Title": a letter heading.
fn letter_label(l: &Line) -> Option<char> {
    let w = l.words.first()?;
    let mut chars = w.chars();
    let c = chars.next()?;
    let dot = chars.next()?;
    if chars.next().is_some() || !(dot == '.' || dot == ')') || !c.is_ascii_uppercase() || l.words.len() < 2 {
        return None;
    }
    Some(c)
}

/// Whether the folded words at `i` repeat the header; returns the index after it.
fn repeated_header(lines: &[Line], i: usize, header: &[String]) -> Option<usize> {
    let first = lines.get(i)?;
    if first.is_blank() || header.first() != Some(&first.first_lower) {
        return None;
    }
    let mut pos = 0usize;
    let mut j = i;
    while j < lines.len() && pos < header.len() {
        let l = &lines[j];
        if !l.is_blank() {
            let n = l.words.len();
            let matches =
                header.get(pos..pos + n).is_some_and(|h| l.words.iter().zip(h).all(|(w, h)| w.to_lowercase() == *h));
            if !matches {
                break;
            }
            pos += n;
        }
        j += 1;
    }
    // The first line must match, and most of the header.
    let first_len = first.words.len();
    (pos >= first_len && pos * 2 >= header.len()).then_some(j)
}

/// Page numbers and document codes printed before a repeated header ("4", "4117 15").
fn footer_before_header(lines: &[Line], i: usize, header: &[String]) -> Option<usize> {
    let l = lines.get(i)?;
    if l.is_blank() || !l.words.iter().all(|w| w.chars().all(|c| c.is_ascii_digit() || c == '-')) {
        return None;
    }
    let mut j = i + 1;
    while j < lines.len() && lines[j].is_blank() {
        j += 1;
    }
    if j >= lines.len() {
        return Some(j);
    }
    repeated_header(lines, j, header).map(|_| j)
}

/// Ends of a table region: the next appendix, the signature block.
fn region_end(l: &Line) -> bool {
    let second = || l.words.get(1).map(|w| w.to_lowercase()).unwrap_or_default();
    match l.first_lower.as_str() {
        "phụ" => second().starts_with("lục"),
        "nơi" => second().starts_with("nhận"),
        _ => false,
    }
}

/// Finds the tables of a text.
pub(super) fn find_tables(lines: &[Line]) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some((kind, cols, header, after)) = header_at(lines, i) {
            let mut scanner = Scanner::new(lines, kind, cols, header);
            i = scanner.scan(after);
            tables.push(scanner.finish());
        } else {
            i += 1;
        }
    }
    tables
}

struct Scanner<'a> {
    lines: &'a [Line],
    kind: TableKind,
    cols: Vec<Col>,
    header: Vec<String>,
    items: Vec<Item>,
    block: Option<Block>,
    /// Last letter and Roman numeral seen.
    letter: Option<char>,
    roman: u32,
    /// Last top-level TT under the current heading, and the path of dotted ones.
    last_tt: Option<u32>,
    path: Vec<u32>,
}

impl<'a> Scanner<'a> {
    fn new(lines: &'a [Line], kind: TableKind, cols: Vec<Col>, header: Vec<String>) -> Self {
        Scanner {
            lines,
            kind,
            cols,
            header,
            items: Vec::new(),
            block: None,
            letter: None,
            roman: 0,
            last_tt: None,
            path: Vec::new(),
        }
    }

    fn finish(mut self) -> Table {
        self.close_block(false);
        Table { kind: self.kind, cols: self.cols, items: self.items }
    }

    /// Scans from `i`; returns where the table ends.
    fn scan(&mut self, mut i: usize) -> usize {
        let lines = self.lines;
        while i < lines.len() {
            let l = &lines[i];
            if l.is_blank() {
                if l.ws_only
                    && let Some(b) = self.block.as_mut()
                    && let Some(part) = b.parts.last_mut()
                {
                    part.push(Span { li: i, from: 0 });
                }
                i += 1;
                continue;
            }
            if let Some(after) = repeated_header(lines, i, &self.header) {
                self.page_break();
                i = after;
                continue;
            }
            if let Some(after) = footer_before_header(lines, i, &self.header) {
                i = after;
                continue;
            }
            if region_end(l) || header_at(lines, i).is_some() {
                return i;
            }
            if let Some(after) = self.structural(i) {
                i = after;
                continue;
            }
            self.content(i, 0);
            i += 1;
        }
        i
    }

    fn page_break(&mut self) {
        if let Some(b) = self.block.as_mut()
            && b.parts.last().is_some_and(|p| !p.is_empty())
        {
            b.parts.push(Vec::new());
        }
    }

    fn content(&mut self, li: usize, from: usize) {
        let line_no = self.lines.get(li).map_or(0, |l| l.no);
        let b = self.block.get_or_insert_with(|| Block::new(String::new(), 1, line_no));
        if let Some(part) = b.parts.last_mut() {
            part.push(Span { li, from });
        }
    }

    /// A heading or a row start at `i`; returns the index after what it consumed.
    fn structural(&mut self, i: usize) -> Option<usize> {
        let l = &self.lines[i];
        let w0 = l.words.first()?;
        let bare = w0.trim_end_matches(['.', ')']);
        let rest_ok = |from: usize| {
            l.words
                .get(from)
                .is_none_or(|w| w.chars().next().is_some_and(|c| c.is_uppercase() || c == '(' || c == '"' || c == '“'))
        };
        // A. / B. headings, in sequence.
        if let Some(c) = letter_label(l) {
            let expected = self.letter.map_or('A', |p| char::from_u32(p as u32 + 1).unwrap_or('A'));
            if (c == expected || c == 'A') && rest_ok(1) {
                self.close_block(false);
                self.letter = Some(c);
                self.roman = 0;
                let (title, after) = self.heading_title(i, 1);
                self.items.push(Item::Heading(Heading { level: 0, label: c.to_string(), title }));
                self.last_tt = None;
                self.path.clear();
                return Some(after);
            }
        }
        // I, II, ... (restarting at I).
        if let Some(v) = roman_value(bare)
            && (v == self.roman + 1 || v == self.roman + 2 || v == 1)
            && rest_ok(1)
        {
            self.close_block(false);
            self.roman = v;
            self.last_tt = None;
            self.path.clear();
            let label = to_roman(v);
            if l.words.len() > 1 {
                let (title, after) = self.heading_title(i, 1);
                self.items.push(Item::Heading(Heading { level: 1, label, title }));
                return Some(after);
            }
            // Alone on its line with a title spanning the table below.
            if let Some(k) = self.next_text_line(i)
                && self.lines[k].text().chars().count() >= LONG_LINE
            {
                let (title, after) = self.heading_title(k, 0);
                self.items.push(Item::Heading(Heading { level: 1, label, title }));
                return Some(after);
            }
            // Alone on its line, text below after a gap: a heading or a row of its own.
            let mut b = Block::new(label, 0, l.no);
            b.roman = true;
            self.block = Some(b);
            return Some(i + 1);
        }
        // 1, 2, 3 ... (and 1.1, 1.2 under them).
        if !bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit() || c == '.') && rest_ok(1) {
            let parts: Vec<u32> =
                bare.split('.').map_while(|p| (p.len() <= 3).then(|| p.parse().ok()).flatten()).collect();
            if parts.len() != bare.split('.').count() || parts.is_empty() {
                return None;
            }
            let accept = if parts.len() == 1 {
                let n = parts[0];
                match self.last_tt {
                    None => (1..=3).contains(&n),
                    Some(last) => n > last && n <= last + 3,
                }
            } else {
                let (last, parent) = parts.split_last()?;
                let parent_ok = self.path.get(..parent.len()) == Some(parent) || parent == [self.last_tt.unwrap_or(0)];
                let sibling = self.path.get(parent.len()).copied().unwrap_or(0);
                parent_ok && *last > 0 && (*last == sibling + 1 || *last == 1 || *last == sibling + 2)
            };
            // A row's text starts with a capital: "06" above "tháng/năm" is a cell's line.
            let next_lower = l.words.len() == 1
                && self.lines[i + 1..]
                    .iter()
                    .find(|n| !n.is_blank())
                    .and_then(|n| n.words.first())
                    .and_then(|w| w.chars().next())
                    .is_some_and(char::is_lowercase);
            if !accept || next_lower {
                return None;
            }
            self.close_block(true);
            if parts.len() == 1 {
                self.last_tt = Some(parts[0]);
            }
            self.path = parts.clone();
            let level = parts.len().min(9) as u8;
            self.block = Some(Block::new(bare.to_string(), level, l.no));
            if l.words.len() > 1 {
                self.content(i, 1);
            }
            return Some(i + 1);
        }
        None
    }

    fn is_structural_line(&self, i: usize) -> bool {
        let Some(l) = self.lines.get(i) else { return false };
        data_start(l) || repeated_header(self.lines, i, &self.header).is_some() || region_end(l)
    }

    /// A heading's title: the rest of its line, and the lines below while the line above spans
    /// the table (a heading wraps only when it is long; a short heading is followed by the rows'
    /// text). After a blank line, only a line in lower case continues it.
    fn heading_title(&self, i: usize, from: usize) -> (String, usize) {
        let mut title = self.lines[i].text_from(from);
        let mut last_len = self.lines[i].text().chars().count();
        let mut j = i + 1;
        while last_len >= LONG_LINE {
            let mut k = j;
            while k < self.lines.len() && self.lines[k].is_blank() {
                k += 1;
            }
            let Some(n) = self.lines.get(k) else { break };
            let lower = n.words.first().and_then(|w| w.chars().next()).is_some_and(char::is_lowercase);
            if self.is_structural_line(k) || (k > j && !lower) {
                break;
            }
            push_text(&mut title, &n.text());
            last_len = n.text().chars().count();
            j = k + 1;
        }
        (title.trim_end_matches([':', ' ']).to_string(), j)
    }

    /// The next line with words after `i`, unless it is structural.
    fn next_text_line(&self, i: usize) -> Option<usize> {
        let k = (i + 1..self.lines.len()).find(|&k| !self.lines[k].is_blank())?;
        (!self.is_structural_line(k)).then_some(k)
    }

    /// Closes the open block. A Roman block followed by numbered rows was a heading.
    fn close_block(&mut self, numbered_row_follows: bool) {
        let Some(b) = self.block.take() else { return };
        if b.roman && numbered_row_follows {
            let title = b.text(self.lines);
            self.items.push(Item::Heading(Heading { level: 1, label: b.tt.clone(), title }));
            return;
        }
        if b.roman || b.has_words(self.lines) {
            self.items.push(Item::Block(b));
        }
    }
}

fn push_text(s: &mut String, more: &str) {
    if more.is_empty() {
        return;
    }
    if !s.is_empty() {
        s.push(' ');
    }
    s.push_str(more);
}

/// Whether a table header of this shape appears in the text.
pub(super) fn has_table(lines: &[Line]) -> bool {
    (0..lines.len()).any(|i| header_at(lines, i).is_some())
}

//! Splitting a row's words into its columns.
//!
//! The extraction prints a row cell after cell: every line of the first cell, then every line
//! of the second, and so on; cells of one line that sit side by side come out on one line
//! ("Toàn tỉnh Tháng  Sở Y tế"). Nothing marks where a cell ends, so the reader chooses the
//! cheapest way to cut the words into the table's columns, in order, by dynamic programming.
//! What makes a cut cheap or dear:
//! - a cell starts with a capital letter or a digit (a continuation line mostly does not);
//! - a time column must be read by `timeexpr::parse` ("Tháng 4/2025", "Quý/Năm");
//! - an agency cell starts with an agency word ("Sở", "Văn phòng", "Các sở") and does not
//!   run one agency into the next without a separator;
//! - a cell's lines wrap consistently: a line is not followed by a word that would have fit
//!   on it, given the column's width (learnt from the table, or the widest line of the cell);
//! - a cut inside a line costs more than a cut between lines, less at a run of spaces;
//! - a line broken inside a word (no trailing space) is never cut.
//!
//! A block may also hold rows without a number after the first ("- Trong đó: ..."), which
//! start a new row at a line start; and after a page break, the continuation of the columns
//! that overflowed, appended to the same row.

use std::collections::HashMap;

use dondoc_core::text::fold;
use dondoc_core::timeexpr;

use super::cells::{Col, starts_with_head};
use super::layout::Span;
use super::lines::{Line, word_width};

/// How a word follows the previous one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Brk {
    /// First word of the part.
    First,
    /// First word of a line; `glued` when the previous line was broken inside a word, `marker`
    /// when a line of spaces (an empty cell) came between.
    Line { glued: bool, marker: bool },
    /// On the same line after this many spaces.
    Space(u8),
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub text: String,
    pub line: usize,
    pub brk: Brk,
    pub w: f32,
}

impl Tok {
    fn first_char(&self) -> char {
        self.text.chars().next().unwrap_or(' ')
    }
    fn upper(&self) -> bool {
        self.first_char().is_uppercase()
    }
    fn line_start(&self) -> bool {
        matches!(self.brk, Brk::First | Brk::Line { .. })
    }
}

/// The words of a part, in order.
pub(super) fn tokens(lines: &[Line], spans: &[Span], use_glue: bool) -> Vec<Tok> {
    let mut toks: Vec<Tok> = Vec::new();
    let mut marker = false;
    let mut prev_trail = true;
    for s in spans {
        let Some(l) = lines.get(s.li) else { continue };
        if l.is_blank() {
            marker |= l.ws_only;
            continue;
        }
        for (k, w) in l.words.iter().enumerate().skip(s.from) {
            let brk = if toks.is_empty() {
                Brk::First
            } else if k == s.from {
                Brk::Line { glued: use_glue && !prev_trail, marker }
            } else {
                Brk::Space(l.gaps.get(k).copied().unwrap_or(1))
            };
            toks.push(Tok { text: w.clone(), line: l.no, brk, w: word_width(w) });
        }
        marker = false;
        prev_trail = l.trail_ws;
    }
    toks
}

/// Joins words as printed: one space, none across a break inside a word.
pub(super) fn join(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && !matches!(t.brk, Brk::Line { glued: true, .. }) {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

/// The end of a column before a page break, for its continuation.
#[derive(Debug, Clone, Default)]
pub(super) struct PrevCell {
    pub empty: bool,
    /// Width of the cell's last line.
    pub last_w: f32,
    /// The cell's text (for time cells, re-read with the continuation).
    pub text: String,
    pub last_word: String,
}

/// A row as word ranges per column (`a == b`: empty).
pub(super) type RowCut = Vec<(usize, usize)>;

const INF: f32 = 1.0e9;
const TOL: f32 = 1.5;
const WRAP_BASE: f32 = 0.8;
const WRAP_SLOPE: f32 = 0.35;
const WRAP_MAX: f32 = 8.0;
const SENTENCE_INSIDE: f32 = 2.0;
const LOWER_START: f32 = 4.0;
const PUNCT_START: f32 = 1.0;
const AGENCY_DIGIT_START: f32 = 2.0;
const AGENCY_NOT_HEAD: f32 = 1.5;
const AGENCY_RUN_ON: f32 = 4.0;
const TIME_DANGLING: f32 = 3.0;
const CUT_SPACE: f32 = 2.0;
const CUT_SPACES: f32 = 0.8;
const NEW_ROW: f32 = 6.0;
const NEW_ROW_MARKED: f32 = 3.0;
const OVER_WIDTH_SLOPE: f32 = 0.5;
const OVER_WIDTH_MAX: f32 = 6.0;
const OPEN_NOT_CONTINUED: f32 = 2.5;
const CLOSED_CONTINUED: f32 = 3.0;
const OPEN_FRACTION: f32 = 0.3;
/// Longest time cell, in words.
const TIME_MAX_WORDS: usize = 14;

fn empty_cost(col: Col) -> f32 {
    match col {
        Col::Title | Col::Name => 40.0,
        Col::Deadline | Col::Frequency => 30.0,
        Col::Lead => 5.0,
        Col::Result | Col::Scope => 3.0,
        Col::Coop => 2.5,
        Col::Notes => 0.6,
    }
}

/// Agency words that start a new agency when they begin a line of an agency cell.
const RUN_ON_HEADS: &[&str] = &[
    "sở",
    "các sở",
    "công an",
    "cục",
    "chi cục",
    "văn phòng",
    "bộ chỉ huy",
    "ngân hàng",
    "thanh tra",
    "kho bạc",
    "các cơ quan",
    "các đơn vị",
    "tòa án",
    "toà án",
    "liên đoàn",
    "tỉnh đoàn",
    "mặt trận",
];

/// Words after which an agency name may follow inside a cell.
const LINKS: &[&str] = &["và", "của", "với", "các", "cho", "tại", "theo", "hoặc"];

pub(super) struct Segmenter<'a> {
    toks: &'a [Tok],
    cols: &'a [Col],
    /// Column widths learnt from the table (empty: use each cell's widest line).
    widths: &'a [f32],
    /// The row continued after a page break (continuation mode for row 0).
    cont: Option<&'a [PrevCell]>,
    cuts: Vec<usize>,
    memo: HashMap<(usize, usize, usize), f32>,
    time_memo: HashMap<(usize, usize), Option<f32>>,
}

impl<'a> Segmenter<'a> {
    pub fn new(toks: &'a [Tok], cols: &'a [Col], widths: &'a [f32], cont: Option<&'a [PrevCell]>) -> Self {
        let n = toks.len();
        let mut cuts = vec![0];
        for (k, t) in toks.iter().enumerate().skip(1) {
            let ok = match t.brk {
                Brk::First => true,
                Brk::Line { glued, .. } => !glued,
                Brk::Space(g) => {
                    let c = t.first_char();
                    cont.is_some() || g >= 2 || c.is_uppercase() || c.is_ascii_digit() || "(-+\"“".contains(c)
                }
            };
            if ok {
                cuts.push(k);
            }
        }
        if n > 0 {
            cuts.push(n);
        }
        Segmenter { toks, cols, widths, cont, cuts, memo: HashMap::new(), time_memo: HashMap::new() }
    }

    /// The cheapest segmentation into at most `max_rows` rows (in continuation mode the first
    /// row is the continued one). `None` when no segmentation has a finite cost.
    pub fn run(&mut self, max_rows: usize) -> Option<(f32, Vec<RowCut>)> {
        let k = self.cols.len();
        let units = self.cuts.len().saturating_sub(1);
        if k == 0 || units == 0 {
            return None;
        }
        let slots = max_rows * k;
        let idx = |u: usize, s: usize| u * (slots + 1) + s;
        let mut dp = vec![INF; (units + 1) * (slots + 1)];
        // (previous unit, filled)
        let mut back: Vec<(usize, bool)> = vec![(usize::MAX, false); (units + 1) * (slots + 1)];
        dp[idx(0, 0)] = 0.0;
        for s in 0..slots {
            let (r, c) = (s / k, s % k);
            let cont_row = r == 0 && self.cont.is_some();
            for u in 0..=units {
                let base = dp[idx(u, s)];
                if base >= INF {
                    continue;
                }
                let mut entry = 0.0;
                if c == 0 && r > 0 {
                    // Starting another row: at a line start, after some words.
                    let at = self.cuts[u];
                    if u == 0 || u == units || !self.toks.get(at).is_some_and(Tok::line_start) {
                        continue;
                    }
                    let marked = matches!(self.toks[at].brk, Brk::Line { marker: true, .. });
                    entry = if marked { NEW_ROW_MARKED } else { NEW_ROW };
                }
                // An empty cell.
                let skip = base + entry + self.empty(c, cont_row);
                if skip < dp[idx(u, s + 1)] {
                    dp[idx(u, s + 1)] = skip;
                    back[idx(u, s + 1)] = (u, false);
                }
                // A cell of units u..v.
                for v in u + 1..=units {
                    let cost = self.seg_cost(u, v, c, cont_row);
                    if cost >= INF {
                        if self.cols[c].is_time() && self.cuts[v] - self.cuts[u] > TIME_MAX_WORDS {
                            break;
                        }
                        continue;
                    }
                    let total = base + entry + cost + self.cut_cost(v);
                    if total < dp[idx(v, s + 1)] {
                        dp[idx(v, s + 1)] = total;
                        back[idx(v, s + 1)] = (u, true);
                    }
                }
            }
        }
        // Complete rows only.
        let (best_s, best) = (1..=max_rows)
            .map(|r| (r * k, dp[idx(units, r * k)]))
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))?;
        if best >= INF {
            return None;
        }
        let rows = best_s / k;
        let mut out: Vec<RowCut> = vec![vec![(0, 0); k]; rows];
        let (mut u, mut s) = (units, best_s);
        while s > 0 {
            let (pu, filled) = back[idx(u, s)];
            if pu == usize::MAX {
                return None;
            }
            let slot = s - 1;
            let (a, b) = (self.cuts[pu], self.cuts[u]);
            out[slot / k][slot % k] = if filled { (a, b) } else { (a, a) };
            u = pu;
            s = slot;
        }
        Some((best, out))
    }

    fn cut_cost(&self, v: usize) -> f32 {
        let Some(t) = self.cuts.get(v).and_then(|&at| self.toks.get(at)) else { return 0.0 };
        match t.brk {
            Brk::First | Brk::Line { .. } => 0.0,
            Brk::Space(g) if g >= 2 => CUT_SPACES,
            Brk::Space(_) => CUT_SPACE,
        }
    }

    fn width(&self, c: usize) -> Option<f32> {
        self.widths.get(c).copied().filter(|w| *w > 0.0)
    }

    fn prev(&self, c: usize) -> Option<&PrevCell> {
        self.cont.and_then(|p| p.get(c)).filter(|p| !p.empty)
    }

    /// Whether the cell of column `c` before the page break probably goes on.
    fn open(&self, c: usize) -> bool {
        let Some(p) = self.prev(c) else { return false };
        if self.cols[c].is_time() && timeexpr::parse(&p.text).is_ok() {
            return false;
        }
        let w = self.width(c).unwrap_or(p.last_w);
        w - p.last_w <= OPEN_FRACTION * w
    }

    fn empty(&self, c: usize, cont_row: bool) -> f32 {
        if cont_row {
            if self.open(c) { OPEN_NOT_CONTINUED } else { 0.0 }
        } else {
            empty_cost(self.cols[c])
        }
    }

    fn seg_cost(&mut self, u: usize, v: usize, c: usize, cont_row: bool) -> f32 {
        let key = (u, v, c + if cont_row { 100 } else { 0 });
        if let Some(&x) = self.memo.get(&key) {
            return x;
        }
        let x = self.compute(u, v, c, cont_row);
        self.memo.insert(key, x);
        x
    }

    fn time_cost(&mut self, a: usize, b: usize, prefix: Option<&str>) -> Option<f32> {
        if prefix.is_none()
            && let Some(x) = self.time_memo.get(&(a, b))
        {
            return *x;
        }
        let mut text = join(&self.toks[a..b]);
        if let Some(p) = prefix {
            text = format!("{p} {text}");
        }
        let x = time_cell_cost(&text);
        if prefix.is_none() {
            self.time_memo.insert((a, b), x);
        }
        x
    }

    fn compute(&mut self, u: usize, v: usize, c: usize, cont_row: bool) -> f32 {
        let (a, b) = (self.cuts[u], self.cuts[v]);
        let col = self.cols[c];
        let toks = &self.toks[a..b];
        let Some(first) = toks.first() else { return INF };
        let prev = if cont_row { self.prev(c).cloned() } else { None };
        let mut cost = 0.0;
        if col.is_time() {
            if b - a > TIME_MAX_WORDS {
                return INF;
            }
            let t = match &prev {
                Some(p) => self.time_cost(a, b, Some(&p.text)),
                None => self.time_cost(a, b, None),
            };
            match t {
                Some(x) => cost += x,
                None => return INF,
            }
        }
        // How the cell starts.
        if cont_row {
            if prev.is_some() {
                if !self.open(c) {
                    cost += CLOSED_CONTINUED;
                }
            } else {
                cost += start_cost(col, first, &self.toks[a..b]);
            }
        } else if !(col.is_main() && u == 0) {
            cost += start_cost(col, first, &self.toks[a..b]);
        }
        // Lines of the cell.
        let pieces = pieces(toks);
        let local_max = pieces.iter().map(|p| p.w).fold(prev.as_ref().map_or(0.0, |p| p.last_w), f32::max);
        let w = self.width(c).unwrap_or(local_max);
        if let Some(p) = &prev
            && let Some(first_piece) = pieces.first()
            && !first_piece.glued
        {
            cost += wrap_penalty(w, p.last_w, first_piece.first_w);
        }
        for pair in pieces.windows(2) {
            let (p, q) = (&pair[0], &pair[1]);
            if !q.glued && !q.bullet {
                cost += wrap_penalty(w, p.w, q.first_w);
            }
            if p.sentence_end && q.upper {
                cost += SENTENCE_INSIDE;
            }
        }
        if let Some(gw) = self.width(c) {
            for p in &pieces {
                let excess = p.w - gw - TOL;
                if excess > 0.0 {
                    cost += (OVER_WIDTH_SLOPE * excess).min(OVER_WIDTH_MAX);
                }
            }
        }
        // Agencies run into one another.
        if col.is_agency() || col.is_time() {
            let mut prev_word = prev.as_ref().map(|p| p.last_word.clone());
            for (k, t) in toks.iter().enumerate() {
                if t.line_start() && (k > 0 || prev_word.is_some()) && t.upper() && run_on_head(&toks[k..]) {
                    let linked = prev_word.as_deref().is_some_and(|w| {
                        w.ends_with([',', ';', '/', '-', '–']) || LINKS.contains(&fold(w).as_str())
                    });
                    if !linked {
                        cost += AGENCY_RUN_ON;
                    }
                }
                prev_word = Some(t.text.clone());
            }
        }
        cost
    }
}

/// Penalty for a line followed by a word that would have fit on it.
fn wrap_penalty(width: f32, line_w: f32, next_w: f32) -> f32 {
    let slack = width - TOL - (line_w + 0.5 + next_w);
    if slack > 0.0 { (WRAP_BASE + WRAP_SLOPE * slack).min(WRAP_MAX) } else { 0.0 }
}

fn start_cost(col: Col, first: &Tok, toks: &[Tok]) -> f32 {
    let c = first.first_char();
    if c.is_lowercase() {
        return LOWER_START;
    }
    if col.is_agency() {
        if c.is_ascii_digit() {
            return AGENCY_DIGIT_START;
        }
        let words: Vec<String> = toks.iter().take(3).map(|t| fold(&t.text)).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        if starts_with_head(&refs) {
            return 0.0;
        }
        return if c.is_uppercase() { AGENCY_NOT_HEAD } else { PUNCT_START + AGENCY_NOT_HEAD };
    }
    if c.is_uppercase() || c.is_ascii_digit() || col.is_main() {
        0.0
    } else {
        PUNCT_START
    }
}

fn run_on_head(toks: &[Tok]) -> bool {
    let words: Vec<String> = toks.iter().take(2).map(|t| fold(&t.text)).collect();
    let one = words.first().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string()).unwrap_or_default();
    let two = words.get(1).map(|w| format!("{one} {}", w.trim_matches(|c: char| !c.is_alphanumeric())));
    RUN_ON_HEADS.iter().any(|h| *h == one || Some(*h) == two.as_deref())
}

/// Extra cost of a time cell, `None` when the text is not one.
fn time_cell_cost(text: &str) -> Option<f32> {
    timeexpr::parse(text).ok()?;
    let f = fold(text);
    // "Khi Trung ương yêu cầu": nothing may follow but "của ...".
    if f.starts_with("khi ")
        && let Some(pos) = f.find("yêu cầu")
    {
        let after = f[pos + "yêu cầu".len()..].trim();
        if !after.is_empty() && !after.starts_with("của") {
            return None;
        }
    }
    let last = f.rsplit(' ').next().unwrap_or("");
    Some(if LINKS.contains(&last) { TIME_DANGLING } else { 0.0 })
}

/// One line of a cell.
#[derive(Debug)]
struct Piece {
    w: f32,
    first_w: f32,
    upper: bool,
    glued: bool,
    bullet: bool,
    sentence_end: bool,
}

fn pieces(toks: &[Tok]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        let starts = k == 0 || t.line_start();
        if starts {
            let c = t.first_char();
            out.push(Piece {
                w: t.w,
                first_w: t.w,
                upper: c.is_uppercase(),
                glued: matches!(t.brk, Brk::Line { glued: true, .. }),
                bullet: "-+•*".contains(c),
                sentence_end: false,
            });
        } else if let Some(p) = out.last_mut() {
            p.w += 0.5 + t.w;
        }
        if let Some(p) = out.last_mut() {
            p.sentence_end = t.text.ends_with('.') && !t.text.ends_with("..");
        }
    }
    out
}

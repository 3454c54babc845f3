//! Splitting a row's words into its columns.
//!
//! The extraction prints a row cell after cell: every line of the first cell, then every line
//! of the second, and so on; cells of one line that sit side by side come out on one line
//! ("Toàn tỉnh Tháng  Sở Y tế"). Nothing marks where a cell ends, so the reader chooses the
//! cheapest way to cut the words into the table's columns, in order, by dynamic programming.
//! What makes a cut cheap or dear (the constants below):
//! - a cell starts with a capital letter or a digit (a continuation line mostly does not);
//! - a time column must be read by `timeexpr::parse` ("Tháng 4/2025", "Quý/Năm"): a row
//!   without one is not read at all;
//! - an agency cell starts with an agency word ("Sở", "Văn phòng", "Các sở") and does not
//!   run one agency into the next without a separator, nor is an agency cut in two;
//! - a cell's lines wrap consistently: a line is not followed by a word that would have fit
//!   on it, and is not wider than the column (the width learnt from the table by a first
//!   pass; in that pass, the widest line of the cell so far);
//! - a cell other than the last does not end as if it went on (";", "và");
//! - a cut inside a line costs more than a cut between lines, less at a run of spaces;
//! - a line broken inside a word (no trailing space where lines have one) is never cut.
//!
//! A block may also hold rows without a number after the first ("- Trong đó: ..."), which
//! start where the layout marks one (a line of spaces for the empty TT cell, a dash); and
//! after a page break, the continuation of the columns that overflowed, appended to the same
//! row.

use std::collections::HashMap;
use std::sync::OnceLock;

use dondoc_core::text::fold;
use dondoc_core::timeexpr;

use super::cells::{Col, is_head, lower, may_start_head};
use super::layout::Span;
use super::lines::{Line, Vocab, word_width};

/// How a word follows the previous one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Brk {
    /// First word of the part.
    First,
    /// First word of a line; `glued` when the previous line was broken inside a word, `marker`
    /// when a line of spaces (an empty cell) came between; `maybe_glued` when the extraction
    /// does not tell and the break falls between letters, the second in lower case.
    Line { glued: bool, marker: bool, maybe_glued: bool },
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
    fn line_start(&self) -> bool {
        matches!(self.brk, Brk::First | Brk::Line { .. })
    }
}

/// The words of a part, in order.
pub(super) fn tokens(lines: &[Line], spans: &[Span], use_glue: bool) -> Vec<Tok> {
    let mut toks: Vec<Tok> = Vec::new();
    let mut marker = false;
    let mut prev_trail = true;
    let mut prev_letter = false;
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
                let maybe_glued = !use_glue && prev_letter && w.chars().next().is_some_and(char::is_lowercase);
                Brk::Line { glued: use_glue && !prev_trail, marker, maybe_glued }
            } else {
                Brk::Space(l.gaps.get(k).copied().unwrap_or(1))
            };
            toks.push(Tok { text: w.clone(), line: l.no, brk, w: word_width(w) });
        }
        marker = false;
        prev_trail = l.trail_ws;
        prev_letter = l.words.last().and_then(|w| w.chars().next_back()).is_some_and(char::is_alphabetic);
    }
    toks
}

/// Joins words as printed: one space, none across a break inside a word.
pub(super) fn join(toks: &[Tok]) -> String {
    join_with(toks, false)
}

/// [`join`], also gluing the breaks that may be inside a word (`maybe_glued`).
fn join_with(toks: &[Tok], glue_maybe: bool) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        let glued = match t.brk {
            Brk::Line { glued, maybe_glued, .. } => glued || (glue_maybe && maybe_glued),
            _ => false,
        };
        if i > 0 && !glued {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

/// A time cell's text: as [`join`], or glued where a word may have been broken when only that
/// reads ("Tháng/Nă" + "m" without the extraction's trailing spaces to tell).
pub(super) fn join_time(toks: &[Tok]) -> String {
    let plain = join(toks);
    if timeexpr::parse(&plain).is_err() && toks.iter().any(|t| matches!(t.brk, Brk::Line { maybe_glued: true, .. })) {
        let glued = join_with(toks, true);
        if timeexpr::parse(&glued).is_ok() {
            return glued;
        }
    }
    plain
}

/// The end of a column before a page break, for its continuation.
#[derive(Debug, Clone, Default)]
pub(super) struct PrevCell {
    pub empty: bool,
    /// Width of the cell's last line.
    pub last_w: f32,
    /// The cell's text (for time cells, re-read with the continuation).
    pub text: String,
    /// The last word links to what follows ("và", ",").
    pub linking: bool,
    /// A time cell that already reads.
    pub time_complete: bool,
    /// Lines the cell has before the break.
    pub lines: usize,
}

impl PrevCell {
    /// The end of a cell before a page break.
    pub fn of(cell: &[Tok], col: Col) -> PrevCell {
        let Some(last) = cell.last() else { return PrevCell { empty: true, ..PrevCell::default() } };
        let start = cell.iter().rposition(|t| !matches!(t.brk, Brk::Space(_))).unwrap_or(0);
        let last_w = cell[start..].iter().map(|t| t.w).sum::<f32>() + 0.5 * (cell.len() - start - 1) as f32;
        let lines = cell.iter().filter(|t| !matches!(t.brk, Brk::Space(_))).count();
        let text = join(cell);
        let bare = lower(last.text.trim_matches(|c: char| !c.is_alphanumeric()));
        PrevCell {
            empty: false,
            last_w,
            time_complete: col.is_time() && timeexpr::parse(&join_time(cell)).is_ok(),
            text,
            linking: last.text.ends_with([',', ';', '/', '-', '–', ':']) || vocab().links.has(&bare),
            lines,
        }
    }
}

/// A row as word ranges per column (`a == b`: empty).
pub(super) type RowCut = Vec<(usize, usize)>;

// The cost model. Costs are in rough units of "one doubt"; the reader keeps the cheapest
// reading. Widths are in widths of "n" (see `lines::char_width`).
const INF: f32 = 1.0e9;

// How a cell starts.
/// A cell that starts in lower case (a cell's text starts with a capital or a digit).
const LOWER_START: f32 = 4.0;
/// A cell that starts with punctuation ("(", "-").
const PUNCT_START: f32 = 1.0;
/// An agency cell that starts with a digit.
const AGENCY_DIGIT_START: f32 = 2.0;
/// An agency cell that does not start with an agency word ("Sở", "Văn phòng", "Các sở").
const AGENCY_NOT_HEAD: f32 = 1.5;

// Where a cell's lines wrap.
/// Room the wrap check leaves for the imprecision of the width model.
const TOL: f32 = 1.5;
/// A line followed by a word that would have fit on it: base and per unit of room left.
const WRAP_BASE: f32 = 0.8;
const WRAP_SLOPE: f32 = 0.35;
const WRAP_MAX: f32 = 8.0;
/// A line wider than the column (learnt widths only), per unit of excess.
const OVER_WIDTH_SLOPE: f32 = 0.5;
const OVER_WIDTH_MAX: f32 = 6.0;

// What a cell holds.
/// A line ending a sentence followed by a capital inside one cell (two cells, more likely).
const SENTENCE_INSIDE: f32 = 2.0;
/// A capitalised word (not an acronym) starting a line inside a result, scope or notes cell
/// after a line that does not end with punctuation.
const CAPITAL_INSIDE: f32 = 0.6;
/// A line of an agency or time cell starting a new agency without a separator ("Văn phòng
/// Chính phủ" | "Văn phòng UBND tỉnh"); in other cells.
const AGENCY_RUN_ON: f32 = 4.0;
const OTHER_RUN_ON: f32 = 2.5;
/// A time expression ("Quý/Năm") inside a cell that is not the time column.
const TIME_IN_CELL: f32 = 2.0;
/// A time cell ending in "của", "và": it goes on.
const TIME_DANGLING: f32 = 3.0;
/// A cell that is, or ends with, an agency word alone ("Văn phòng" | "UBND tỉnh").
const BARE_HEAD: f32 = 3.0;
/// A cell, not the last column, ending in ";", "/", "-" or a linking word, or in ",".
const END_LINK: f32 = 2.5;
const END_COMMA: f32 = 1.0;

// Where cells are cut.
/// A cut inside a line at one space; at two or more.
const CUT_SPACE: f32 = 2.0;
const CUT_SPACES: f32 = 0.8;
/// Another row without a number in the block; after a line of spaces (an empty TT cell) or
/// in a block with no TT at all; at a line starting with a dash ("- Trong đó: ...").
const NEW_ROW: f32 = 6.0;
const NEW_ROW_MARKED: f32 = 3.0;
const NEW_ROW_DASH: f32 = 4.0;

// Text carried over a page break.
/// A column whose cell seems to go on (as many lines as the longest, last line full) gets
/// nothing; a column whose cell seems complete gets more.
const OPEN_NOT_CONTINUED: f32 = 2.5;
const CLOSED_CONTINUED: f32 = 3.0;
/// A cell is full when its last line leaves less than this part of the column's width.
const OPEN_FRACTION: f32 = 0.3;
/// A carried-over cell (not the main one) starting with a capital: it would go on mid-phrase.
const CONTINUED_CAPITAL: f32 = 2.0;
/// Each line beyond the first carried over into a column other than the main one.
const CONTINUED_LINE: f32 = 0.3;
/// Carried-over cells side by side are printed on one line ("đảm thông"): a cut inside it is
/// cheap, and a second such cell starting its own line is not.
const CUT_SPACE_CONTINUED: f32 = 1.0;
const NOT_MERGED: f32 = 1.5;
/// A time cell that reads only with a line break taken for a break inside a word.
const GLUED_GUESS: f32 = 0.5;

/// Longest time cell, in words.
const TIME_MAX_WORDS: usize = 14;

fn empty_cost(col: Col) -> f32 {
    match col {
        Col::Title | Col::Name => 40.0,
        // A row must have its time cell: without one, the columns are not what they seem.
        Col::Deadline | Col::Frequency => INF,
        Col::Lead => 5.0,
        Col::Result | Col::Scope => 3.0,
        Col::Coop => 2.5,
        Col::Notes => 0.6,
    }
}

/// Agency words that start a new agency when they begin a line of an agency cell.
const RUN_ON_LIST: &[&str] = &[
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
const LINK_LIST: &[&str] = &["và", "của", "với", "các", "cho", "tại", "theo", "hoặc"];

struct Vocabs {
    run_on: Vocab,
    links: Vocab,
    time_starts: Vocab,
    time_words: Vocab,
}

fn vocab() -> &'static Vocabs {
    static V: OnceLock<Vocabs> = OnceLock::new();
    V.get_or_init(|| Vocabs {
        run_on: Vocab::new(RUN_ON_LIST),
        links: Vocab::new(LINK_LIST),
        time_starts: Vocab::new(timeexpr::FIRST_WORDS),
        time_words: Vocab::new(timeexpr::WORDS),
    })
}

/// Longest cell other than the main text, in units (lines or parts of lines).
const MAX_SPAN: usize = 60;
/// Longest block the reader cuts, in units.
const MAX_UNITS: usize = 1500;
/// A cell whose growing costs pass this is not worth extending.
const PRUNE: f32 = 40.0;

/// What the cost model needs of each word, computed once.
#[derive(Debug, Clone, Default)]
struct Feat {
    upper: bool,
    lower_start: bool,
    digit_start: bool,
    acronym: bool,
    line_start: bool,
    glued: bool,
    bullet: bool,
    /// An agency name starts here.
    head: bool,
    /// A new agency starts here when it begins a line.
    run_on: bool,
    /// A name may follow this word inside one cell.
    linking: bool,
    /// Ends with a full stop.
    sentence_end: bool,
    /// Ends like something that goes on ("và", ";", "/").
    end_cost: f32,
    /// May start a time cell.
    time_start: bool,
    /// A word that is a time expression by itself ("Quý/Năm", "Tháng").
    time_word: bool,
    /// A row without a number may start here: a line after an empty cell, a dash, "a)".
    row_start: bool,
    /// The 1, 2 or 3 words from here are nothing but an agency head ("Văn phòng").
    bare: [bool; 3],
}

/// A part's words with what the cost model needs of them.
pub(super) struct Part {
    pub toks: Vec<Tok>,
    feats: Vec<Feat>,
}

impl Part {
    pub fn new(toks: Vec<Tok>) -> Part {
        let feats = features(&toks);
        Part { toks, feats }
    }
}

fn features(toks: &[Tok]) -> Vec<Feat> {
    // Lower case without the punctuation around words.
    let bares: Vec<String> = toks.iter().map(|t| lower(t.text.trim_matches(|c: char| !c.is_alphanumeric()))).collect();
    let mut prefix = String::new();
    let v = vocab();
    toks.iter()
        .enumerate()
        .map(|(k, t)| {
            let c = t.first_char();
            let bare = bares[k].as_str();
            // "văn", "văn phòng", "văn phòng ubnd", ...: agency heads among them.
            let mut heads = [false; 4];
            let mut run_on = false;
            prefix.clear();
            let candidate = may_start_head(bare);
            for (n, w) in bares.iter().skip(k).take(if candidate { 4 } else { 0 }).enumerate() {
                if n > 0 {
                    prefix.push(' ');
                }
                prefix.push_str(w);
                heads[n] = is_head(&prefix);
                if n < 2 && v.run_on.has(&prefix) {
                    run_on = true;
                }
            }
            let upper = c.is_uppercase();
            let time_start = c.is_ascii_digit()
                || (upper && {
                    let alpha_len = bare.chars().take_while(|c| c.is_alphabetic()).map(char::len_utf8).sum::<usize>();
                    v.time_starts.has(&bare[..alpha_len])
                });
            let (mut letters, mut capitals) = (0usize, 0usize);
            for ch in t.text.chars().filter(|ch| ch.is_alphabetic()) {
                letters += 1;
                capitals += usize::from(ch.is_uppercase());
            }
            let link_word = v.links.has(bare);
            let time_word = time_start && upper && maybe_time(&t.text) && timeexpr::parse(&t.text).is_ok();
            Feat {
                time_word,
                upper,
                lower_start: c.is_lowercase(),
                digit_start: c.is_ascii_digit(),
                acronym: letters >= 2 && capitals == letters,
                line_start: t.line_start(),
                glued: matches!(t.brk, Brk::Line { glued: true, .. }),
                bullet: "-+•*–".contains(c),
                head: heads.iter().any(|h| *h),
                run_on,
                linking: link_word || t.text.ends_with([',', ';', '/', '-', '–', ':']),
                sentence_end: t.text.ends_with('.') && !t.text.ends_with(".."),
                end_cost: if t.text.ends_with([';', '/', '-', '–']) || link_word {
                    END_LINK
                } else if t.text.ends_with(',') {
                    END_COMMA
                } else {
                    0.0
                },
                time_start,
                row_start: t.line_start()
                    && (matches!(t.brk, Brk::Line { marker: true, .. })
                        || "-+•*–".contains(c)
                        || (t.text.ends_with(')') && t.text.chars().count() == 2 && c.is_lowercase())),
                bare: [heads[0], heads[1], heads[2]],
            }
        })
        .collect()
}

/// What the first pass learnt about a table's columns; empty for the first pass itself.
#[derive(Debug, Clone, Default)]
pub(super) struct Learnt {
    /// Printed width of each column.
    pub widths: Vec<f32>,
    /// Most units (lines) a cell of each column may take.
    pub spans: Vec<usize>,
}

/// A cache of time-cell readings shared by the segmenters of one document.
pub(super) type TimeCache = HashMap<String, Option<f32>>;

pub(super) struct Segmenter<'a> {
    toks: &'a [Tok],
    feats: &'a [Feat],
    cols: &'a [Col],
    /// Column widths learnt from the table (empty: use each cell's widest line).
    widths: &'a [f32],
    spans: &'a [usize],
    /// The row continued after a page break (continuation mode for row 0).
    cont: Option<&'a [PrevCell]>,
    most_lines: usize,
    cuts: Vec<usize>,
    times: &'a mut TimeCache,
    /// Rows without numbers may start at any line in capitals (a block under a heading with
    /// no TT of its own), not only where the layout marks one.
    free_rows: bool,
}

/// A cell being extended line by line: the parts of its cost that only grow, and what the
/// rest needs.
struct Cell {
    /// Costs that only grow as the cell takes more words.
    grow: f32,
    /// Width of the line being filled.
    line_w: f32,
    widest: f32,
}

impl<'a> Segmenter<'a> {
    pub fn new(
        part: &'a Part,
        cols: &'a [Col],
        learnt: &'a Learnt,
        cont: Option<&'a [PrevCell]>,
        times: &'a mut TimeCache,
    ) -> Self {
        let toks = &part.toks;
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
        let most_lines = cont.map_or(0, |cells| cells.iter().map(|x| x.lines).max().unwrap_or(0));
        Segmenter {
            toks,
            feats: &part.feats,
            cols,
            widths: &learnt.widths,
            spans: &learnt.spans,
            cont,
            most_lines,
            cuts,
            times,
            free_rows: false,
        }
    }

    /// Lets rows without numbers start at any line in capitals.
    pub fn free_rows(mut self, free: bool) -> Self {
        self.free_rows = free;
        self
    }

    /// The cheapest segmentation into at most `max_rows` rows (in continuation mode the first
    /// row is the continued one). `None` when no segmentation has a finite cost.
    pub fn run(&mut self, max_rows: usize) -> Option<(f32, Vec<RowCut>)> {
        let k = self.cols.len();
        let units = self.cuts.len().saturating_sub(1);
        if k == 0 || units == 0 || units > MAX_UNITS {
            return None;
        }
        // In the continued row, whether a column other than the main one has taken text: the
        // next one's text then shares its first line (short continuations of cells side by
        // side are printed on one line: "đảm thông").
        let flags = if self.cont.is_some() { 2 } else { 1 };
        let slots = max_rows * k;
        let idx = |u: usize, s: usize, g: usize| (u * (slots + 1) + s) * flags + g;
        let mut dp = vec![INF; (units + 1) * (slots + 1) * flags];
        // (previous unit, previous flag, filled)
        let mut back: Vec<(usize, usize, bool)> = vec![(usize::MAX, 0, false); dp.len()];
        dp[idx(0, 0, 0)] = 0.0;
        let mut costs: Vec<f32> = Vec::with_capacity(units + 1);
        for s in 0..slots {
            let (r, c) = (s / k, s % k);
            let cont_row = r == 0 && self.cont.is_some();
            for u in 0..=units {
                for g in 0..flags {
                    let base = dp[idx(u, s, g)];
                    if base >= INF {
                        continue;
                    }
                    let mut entry = 0.0;
                    if c == 0 && r > 0 {
                        // Another row without a number, where the layout marks one.
                        let at = self.cuts[u];
                        if u == 0 || u == units {
                            continue;
                        }
                        let f = &self.feats[at];
                        if !(f.row_start || (self.free_rows && f.line_start && f.upper)) {
                            continue;
                        }
                        entry = if matches!(self.toks[at].brk, Brk::Line { marker: true, .. }) {
                            NEW_ROW_MARKED
                        } else if self.feats[at].bullet {
                            NEW_ROW_DASH
                        } else if self.free_rows {
                            NEW_ROW_MARKED
                        } else {
                            NEW_ROW
                        };
                    }
                    // An empty cell.
                    let skip = base + entry + self.empty(c, cont_row);
                    if skip < dp[idx(u, s + 1, g)] {
                        dp[idx(u, s + 1, g)] = skip;
                        back[idx(u, s + 1, g)] = (u, g, false);
                    }
                    // A cell of units u..v.
                    if u == units {
                        continue;
                    }
                    let side = cont_row && !self.cols[c].is_main();
                    let unmerged = if side && g == 1 && self.feats[self.cuts[u]].line_start { NOT_MERGED } else { 0.0 };
                    let next_g = if side { 1 } else { g };
                    self.cell_costs(u, c, cont_row, &mut costs);
                    for (i, cost) in costs.iter().enumerate() {
                        let v = u + 1 + i;
                        if *cost >= INF {
                            continue;
                        }
                        let total = base + entry + unmerged + cost + self.cut_cost(v, cont_row);
                        if total < dp[idx(v, s + 1, next_g)] {
                            dp[idx(v, s + 1, next_g)] = total;
                            back[idx(v, s + 1, next_g)] = (u, g, true);
                        }
                    }
                }
            }
        }
        // Complete rows only.
        let mut best: Option<(usize, usize, f32)> = None;
        for r in 1..=max_rows {
            for g in 0..flags {
                let x = dp[idx(units, r * k, g)];
                if x < INF && best.is_none_or(|(_, _, b)| x < b) {
                    best = Some((r * k, g, x));
                }
            }
        }
        let (best_s, best_g, best) = best?;
        let rows = best_s / k;
        let mut out: Vec<RowCut> = vec![vec![(0, 0); k]; rows];
        let (mut u, mut s, mut g) = (units, best_s, best_g);
        while s > 0 {
            let (pu, pg, filled) = back[idx(u, s, g)];
            if pu == usize::MAX {
                return None;
            }
            let slot = s - 1;
            let (a, b) = (self.cuts[pu], self.cuts[u]);
            out[slot / k][slot % k] = if filled { (a, b) } else { (a, a) };
            u = pu;
            s = slot;
            g = pg;
        }
        Some((best, out))
    }

    fn cut_cost(&self, v: usize, cont_row: bool) -> f32 {
        let Some(t) = self.cuts.get(v).and_then(|&at| self.toks.get(at)) else { return 0.0 };
        match t.brk {
            Brk::First | Brk::Line { .. } => 0.0,
            Brk::Space(g) if g >= 2 => CUT_SPACES,
            Brk::Space(_) if cont_row => CUT_SPACE_CONTINUED,
            Brk::Space(_) => CUT_SPACE,
        }
    }

    fn width(&self, c: usize) -> Option<f32> {
        self.widths.get(c).copied().filter(|w| *w > 0.0)
    }

    fn prev(&self, c: usize) -> Option<&'a PrevCell> {
        self.cont.and_then(|p| p.get(c)).filter(|p| !p.empty)
    }

    /// Whether the cell of column `c` before the page break probably goes on: it filled the
    /// page down to the break (as many lines as the longest cell, give or take one) and its
    /// last line is full.
    fn open(&self, c: usize) -> bool {
        let Some(p) = self.prev(c) else { return false };
        if p.time_complete {
            return false;
        }
        let w = self.width(c).unwrap_or(p.last_w);
        p.lines + 1 >= self.most_lines && w - p.last_w <= OPEN_FRACTION * w
    }

    fn empty(&self, c: usize, cont_row: bool) -> f32 {
        if cont_row { if self.open(c) { OPEN_NOT_CONTINUED } else { 0.0 } } else { empty_cost(self.cols[c]) }
    }

    /// The cost of column `c` holding units `u..v`, for every `v` after `u` (INF where it
    /// cannot), into `out[v - u - 1]`. Computed in one sweep: each unit's words once.
    fn cell_costs(&mut self, u: usize, c: usize, cont_row: bool, out: &mut Vec<f32>) {
        out.clear();
        let units = self.cuts.len() - 1;
        let col = self.cols[c];
        let a = self.cuts[u];
        let prev = if cont_row { self.prev(c) } else { None };
        let learnt = self.width(c);
        let last_col = c + 1 == self.cols.len();
        let f = self.feats;
        if col.is_time() && !cont_row && !f[a].time_start {
            return;
        }
        // How the cell starts.
        let mut start = 0.0;
        if cont_row {
            if prev.is_some() {
                if !self.open(c) {
                    start += CLOSED_CONTINUED;
                }
                if !col.is_main() && f[a].upper && !f[a].acronym {
                    start += CONTINUED_CAPITAL;
                }
            } else {
                start += start_cost(col, &f[a]);
            }
        } else if !(col.is_main() && u == 0) {
            start += start_cost(col, &f[a]);
        }
        let mut cell = Cell { grow: start, line_w: 0.0, widest: prev.map_or(0.0, |p| p.last_w) };
        if let Some(p) = prev
            && !f[a].glued
        {
            cell.grow += wrap_penalty(wrap_slack(learnt.unwrap_or(p.last_w), p.last_w, self.toks[a].w));
        }
        let run_on = if col.is_agency() || col.is_time() { AGENCY_RUN_ON } else { OTHER_RUN_ON };
        let limit = self.spans.get(c).copied().unwrap_or(MAX_SPAN);
        let span = if col.is_main() { units - u } else { limit.min(units - u) };
        let mut time_text = String::new();
        let mut time_glued = String::new();
        let mut line_from = a;
        let mut k = a;
        for v in u + 1..=u + span {
            let b = self.cuts[v];
            // Take the unit's words.
            while k < b {
                let t = &self.toks[k];
                if k == a {
                    cell.line_w = t.w;
                } else if f[k].line_start {
                    // The line before ends here.
                    let (lw, nw) = (cell.line_w, t.w);
                    if cont_row && !col.is_main() {
                        // Carried-over text is mostly the main column's.
                        cell.grow += CONTINUED_LINE;
                    }
                    cell.widest = cell.widest.max(lw);
                    if !f[k].glued && !f[k].bullet {
                        // Without a learnt width, the widest line so far stands for it.
                        cell.grow += wrap_penalty(wrap_slack(learnt.unwrap_or(cell.widest), lw, nw));
                    }
                    if let Some(w) = learnt {
                        cell.grow += over_width(lw, w);
                    }
                    if f[k - 1].sentence_end && f[k].upper {
                        cell.grow += SENTENCE_INSIDE;
                    }
                    if matches!(col, Col::Result | Col::Scope | Col::Notes)
                        && f[k].upper
                        && !f[k].acronym
                        && !f[k - 1].linking
                        && !f[k - 1].sentence_end
                    {
                        cell.grow += CAPITAL_INSIDE;
                    }
                    cell.line_w = t.w;
                    line_from = k;
                } else {
                    cell.line_w += 0.5 + t.w;
                }
                if !col.is_main() && f[k].line_start && f[k].upper && f[k].run_on {
                    let linked = if k > a { f[k - 1].linking } else { prev.is_none_or(|p| p.linking) };
                    if !linked {
                        cell.grow += run_on;
                    }
                }
                if f[k].time_word && !col.is_time() && !col.is_main() {
                    cell.grow += TIME_IN_CELL;
                }
                if col.is_time() {
                    let maybe = matches!(t.brk, Brk::Line { maybe_glued: true, .. });
                    if !time_text.is_empty() && !f[k].glued {
                        time_text.push(' ');
                        if !maybe {
                            time_glued.push(' ');
                        }
                    }
                    time_text.push_str(&t.text);
                    time_glued.push_str(&t.text);
                }
                k += 1;
            }
            if cell.grow > PRUNE {
                break;
            }
            // The costs that depend on where the cell ends.
            let mut cost = cell.grow;
            if let Some(w) = learnt {
                cost += over_width(cell.line_w, w);
            }
            if !cont_row && !col.is_main() && b - a <= 3 && f[a].bare[b - a - 1] {
                cost += BARE_HEAD;
            }
            if !cont_row && !last_col {
                cost += f[b - 1].end_cost;
                // Half an agency's name left at the end ("...; Cục" | "Thống kê tỉnh").
                if (line_from > a || col.is_main()) && b - line_from <= 3 && f[line_from].bare[b - line_from - 1] {
                    cost += BARE_HEAD;
                }
            }
            if col.is_time() {
                if b - a > TIME_MAX_WORDS {
                    break;
                }
                let prefix = prev.map(|p| p.text.as_str());
                let read = cached_time(self.times, &time_text, prefix).or_else(|| {
                    (time_glued != time_text)
                        .then(|| cached_time(self.times, &time_glued, prefix).map(|x| x + GLUED_GUESS))
                        .flatten()
                });
                match read {
                    Some(x) => cost += x,
                    None => cost = INF,
                }
            }
            out.push(cost);
        }
    }
}

/// Reads a time cell through the document's cache.
fn cached_time(times: &mut TimeCache, text: &str, prefix: Option<&str>) -> Option<f32> {
    let owned;
    let text = match prefix {
        Some(p) => {
            owned = format!("{p} {text}");
            owned.as_str()
        }
        None => text,
    };
    if let Some(x) = times.get(text) {
        return *x;
    }
    let x = time_cell_cost(text);
    times.insert(text.to_string(), x);
    x
}

fn over_width(line_w: f32, width: f32) -> f32 {
    let excess = line_w - width - TOL;
    if excess > 0.0 { (OVER_WIDTH_SLOPE * excess).min(OVER_WIDTH_MAX) } else { 0.0 }
}

/// Room left on a line for the word that follows it (positive: the word would have fit).
fn wrap_slack(width: f32, line_w: f32, next_w: f32) -> f32 {
    width - TOL - (line_w + 0.5 + next_w)
}

/// Penalty for a line followed by a word that would have fit on it.
fn wrap_penalty(slack: f32) -> f32 {
    if slack > 0.0 { (WRAP_BASE + WRAP_SLOPE * slack).min(WRAP_MAX) } else { 0.0 }
}

fn start_cost(col: Col, f: &Feat) -> f32 {
    if f.lower_start {
        return LOWER_START;
    }
    if col.is_agency() {
        if f.digit_start {
            return AGENCY_DIGIT_START;
        }
        if f.head {
            return 0.0;
        }
        return if f.upper { AGENCY_NOT_HEAD } else { PUNCT_START + AGENCY_NOT_HEAD };
    }
    if f.upper || f.digit_start || col.is_main() { 0.0 } else { PUNCT_START }
}

/// Whether `timeexpr::parse` could read the text: a quick test that spares it the texts
/// with words of no time form (it reads requests "Theo yêu cầu của ...", remarks in
/// parentheses and qualifiers after ";" whatever their words).
fn maybe_time(text: &str) -> bool {
    if text.contains(['(', '[', ';']) {
        return true;
    }
    let mut words = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    let Some(first) = words.next() else { return false };
    let first = lower(first);
    if matches!(first.as_str(), "theo" | "khi" | "có") {
        return true;
    }
    let ok = |w: &str| {
        w.chars().all(|c| c.is_ascii_digit())
            || vocab().time_words.has(w)
            || (w.len() > 1 && w.starts_with(['t', 'q']) && w[1..].chars().all(|c| c.is_ascii_digit()))
    };
    ok(&first) && words.all(|w| ok(&lower(w)))
}

/// Extra cost of a time cell, `None` when the text is not one.
fn time_cell_cost(text: &str) -> Option<f32> {
    if !maybe_time(text) {
        return None;
    }
    timeexpr::parse(text).ok()?;
    let f = fold(text);
    // "Khi Trung ương yêu cầu": nothing may follow but "của ...".
    if f.starts_with("khi ")
        && let Some(pos) = f.find("yêu cầu")
    {
        let after = f.get(pos + "yêu cầu".len()..).unwrap_or("").trim();
        if !after.is_empty() && !after.starts_with("của") {
            return None;
        }
    }
    let last = f.rsplit(' ').next().unwrap_or("");
    Some(if vocab().links.has(last) { TIME_DANGLING } else { 0.0 })
}

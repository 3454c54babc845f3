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

use super::cells::{Col, is_bare_head, lower, starts_with_head};
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
            time_complete: col.is_time() && timeexpr::parse(&text).is_ok(),
            text,
            linking: last.text.ends_with([',', ';', '/', '-', '–', ':']) || LINKS.contains(&bare.as_str()),
            lines,
        }
    }
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
const OTHER_RUN_ON: f32 = 2.5;
const TIME_DANGLING: f32 = 3.0;
const CUT_SPACE: f32 = 2.0;
const CUT_SPACES: f32 = 0.8;
const NEW_ROW: f32 = 6.0;
const NEW_ROW_MARKED: f32 = 3.0;
const OVER_WIDTH_SLOPE: f32 = 0.5;
const OVER_WIDTH_MAX: f32 = 6.0;
const OPEN_NOT_CONTINUED: f32 = 2.5;
const CONTINUED_CAPITAL: f32 = 2.0;
const CUT_SPACE_CONTINUED: f32 = 1.0;
const CAPITAL_INSIDE: f32 = 0.6;
const CLOSED_CONTINUED: f32 = 3.0;
const OPEN_FRACTION: f32 = 0.3;
const BARE_HEAD: f32 = 3.0;
const END_LINK: f32 = 2.5;
const END_COMMA: f32 = 1.0;
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

/// First words of time cells (lower case); cells starting with a digit are tried too.
const TIME_STARTS: &[&str] = &[
    "tháng", "quý", "quí", "năm", "ngày", "hằng", "hàng", "thường", "theo", "khi", "trước", "giai", "từ", "đến",
    "trong", "đầu", "giữa", "cuối", "giờ", "tuần", "định", "đột", "liên", "có", "chậm", "hạn", "cả", "t", "q",
];

/// Longest cell other than the main text, in units (lines or parts of lines).
const MAX_SPAN: usize = 80;
/// Longest block the reader cuts, in units.
const MAX_UNITS: usize = 1500;

/// What the cost model needs of each word, computed once.
#[derive(Debug, Clone, Default)]
struct Feat {
    lower: String,
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
}

fn features(toks: &[Tok]) -> Vec<Feat> {
    let lowers: Vec<String> = toks.iter().map(|t| lower(&t.text)).collect();
    toks.iter()
        .enumerate()
        .map(|(k, t)| {
            let c = t.first_char();
            let l = &lowers[k];
            let refs: Vec<&str> = lowers[k..(k + 4).min(lowers.len())].iter().map(String::as_str).collect();
            let bare = l.trim_matches(|c: char| !c.is_alphanumeric());
            let alpha: String = bare.chars().take_while(|c| c.is_alphabetic()).collect();
            Feat {
                lower: l.clone(),
                upper: c.is_uppercase(),
                lower_start: c.is_lowercase(),
                digit_start: c.is_ascii_digit(),
                acronym: t.text.chars().filter(|c| c.is_alphabetic()).count() >= 2
                    && t.text.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase),
                line_start: t.line_start(),
                glued: matches!(t.brk, Brk::Line { glued: true, .. }),
                bullet: "-+•*–".contains(c),
                head: starts_with_head(&refs),
                run_on: run_on_head(&refs),
                linking: t.text.ends_with([',', ';', '/', '-', '–', ':']) || LINKS.contains(&bare),
                sentence_end: t.text.ends_with('.') && !t.text.ends_with(".."),
                end_cost: end_cost(&t.text, bare),
                time_start: c.is_ascii_digit() || TIME_STARTS.contains(&alpha.as_str()),
            }
        })
        .collect()
}

/// A cache of time-cell readings shared by the segmenters of one document.
pub(super) type TimeCache = HashMap<String, Option<f32>>;

pub(super) struct Segmenter<'a> {
    toks: &'a [Tok],
    feats: Vec<Feat>,
    cols: &'a [Col],
    /// Column widths learnt from the table (empty: use each cell's widest line).
    widths: &'a [f32],
    /// The row continued after a page break (continuation mode for row 0).
    cont: Option<&'a [PrevCell]>,
    most_lines: usize,
    cuts: Vec<usize>,
    memo: HashMap<(usize, usize, usize), f32>,
    times: &'a mut TimeCache,
}

impl<'a> Segmenter<'a> {
    pub fn new(
        toks: &'a [Tok],
        cols: &'a [Col],
        widths: &'a [f32],
        cont: Option<&'a [PrevCell]>,
        times: &'a mut TimeCache,
    ) -> Self {
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
            feats: features(toks),
            cols,
            widths,
            cont,
            most_lines,
            cuts,
            memo: HashMap::new(),
            times,
        }
    }

    /// The cheapest segmentation into at most `max_rows` rows (in continuation mode the first
    /// row is the continued one). `None` when no segmentation has a finite cost.
    pub fn run(&mut self, max_rows: usize) -> Option<(f32, Vec<RowCut>)> {
        let k = self.cols.len();
        let units = self.cuts.len().saturating_sub(1);
        if k == 0 || units == 0 || units > MAX_UNITS {
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
            let col = self.cols[c];
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
                if u == units {
                    continue;
                }
                if col.is_time() && !self.feats[self.cuts[u]].time_start && !cont_row {
                    continue;
                }
                let span = if col.is_main() { units } else { MAX_SPAN };
                for v in u + 1..=units.min(u + span) {
                    if col.is_time() && self.cuts[v] - self.cuts[u] > TIME_MAX_WORDS {
                        break;
                    }
                    let cost = self.seg_cost(u, v, c, cont_row);
                    if cost >= INF {
                        continue;
                    }
                    let total = base + entry + cost + self.cut_cost(v, cont_row);
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

    fn prev(&self, c: usize) -> Option<&PrevCell> {
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
        if cont_row {
            if self.open(c) { OPEN_NOT_CONTINUED } else { 0.0 }
        } else {
            empty_cost(self.cols[c])
        }
    }

    fn seg_cost(&mut self, u: usize, v: usize, c: usize, cont_row: bool) -> f32 {
        let key = (u, v, c * 2 + usize::from(cont_row));
        if let Some(&x) = self.memo.get(&key) {
            return x;
        }
        let x = self.compute(u, v, c, cont_row);
        self.memo.insert(key, x);
        x
    }

    fn time_cost(&mut self, a: usize, b: usize, prefix: Option<&str>) -> Option<f32> {
        let mut text = join(&self.toks[a..b]);
        if let Some(p) = prefix {
            text = format!("{p} {text}");
        }
        if let Some(x) = self.times.get(&text) {
            return *x;
        }
        let x = time_cell_cost(&text);
        self.times.insert(text, x);
        x
    }

    fn compute(&mut self, u: usize, v: usize, c: usize, cont_row: bool) -> f32 {
        let (a, b) = (self.cuts[u], self.cuts[v]);
        if a >= b {
            return INF;
        }
        let col = self.cols[c];
        let prev = if cont_row { self.prev(c).cloned() } else { None };
        let mut cost = 0.0;
        if col.is_time() {
            if b - a > TIME_MAX_WORDS {
                return INF;
            }
            match self.time_cost(a, b, prev.as_ref().map(|p| p.text.as_str())) {
                Some(x) => cost += x,
                None => return INF,
            }
        }
        let f = &self.feats;
        // How the cell starts.
        if cont_row {
            if prev.is_some() {
                if !self.open(c) {
                    cost += CLOSED_CONTINUED;
                }
                if !col.is_main() && f[a].upper && !f[a].acronym {
                    cost += CONTINUED_CAPITAL;
                }
            } else {
                cost += start_cost(col, &f[a]);
            }
        } else if !(col.is_main() && u == 0) {
            cost += start_cost(col, &f[a]);
        }
        // The cell's lines.
        let w_learnt = self.width(c);
        let mut local_max = prev.as_ref().map_or(0.0, |p| p.last_w);
        let mut cur_w = 0.0f32;
        let mut ws: Vec<(f32, usize)> = Vec::with_capacity(8); // (width, first token)
        for k in a..b {
            if k == a || f[k].line_start {
                if k > a {
                    ws.push((cur_w, 0));
                }
                cur_w = self.toks[k].w;
                if let Some(last) = ws.last_mut() {
                    last.1 = k;
                }
            } else {
                cur_w += 0.5 + self.toks[k].w;
            }
        }
        ws.push((cur_w, b));
        // ws[i] = (width of piece i, first token of piece i+1 (b for the last)).
        for (w, _) in &ws {
            local_max = local_max.max(*w);
        }
        let width = w_learnt.unwrap_or(local_max);
        if let Some(p) = &prev
            && !f[a].glued
        {
            let slack = wrap_slack(width, p.last_w, self.toks[a].w);
            cost += wrap_penalty(slack);
        }
        for (i, &(w, next)) in ws.iter().enumerate() {
            if i + 1 < ws.len() {
                if !f[next].glued && !f[next].bullet {
                    cost += wrap_penalty(wrap_slack(width, w, self.toks[next].w));
                }
                if f[next - 1].sentence_end && f[next].upper {
                    cost += SENTENCE_INSIDE;
                }
                if matches!(col, Col::Result | Col::Scope | Col::Notes)
                    && f[next].upper
                    && !f[next].acronym
                    && !f[next - 1].linking
                    && !f[next - 1].sentence_end
                {
                    cost += CAPITAL_INSIDE;
                }
            }
            if let Some(gw) = w_learnt {
                let excess = w - gw - TOL;
                if excess > 0.0 {
                    cost += (OVER_WIDTH_SLOPE * excess).min(OVER_WIDTH_MAX);
                }
            }
        }
        if !cont_row && !col.is_main() {
            if b - a <= 3 {
                let words: Vec<&str> = (a..b).map(|k| f[k].lower.as_str()).collect();
                if is_bare_head(&words) {
                    cost += BARE_HEAD;
                }
            }
            if c + 1 < self.cols.len() {
                cost += f[b - 1].end_cost;
            }
        }
        // Agencies run into one another (or into the cell before them).
        if !col.is_main() {
            let run_on = if col.is_agency() || col.is_time() { AGENCY_RUN_ON } else { OTHER_RUN_ON };
            for k in a..b {
                let after_prev = if k > a { Some(f[k - 1].linking) } else { prev.as_ref().map(|p| p.linking) };
                if f[k].line_start && f[k].upper && f[k].run_on && after_prev == Some(false) {
                    cost += run_on;
                }
            }
        }
        cost
    }
}

/// A cell that ends as if it went on ("và", ";", "/") before another column.
fn end_cost(last: &str, bare: &str) -> f32 {
    if last.ends_with([';', '/', '-', '–']) || LINKS.contains(&bare) {
        END_LINK
    } else if last.ends_with(',') {
        END_COMMA
    } else {
        0.0
    }
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

fn run_on_head(words: &[&str]) -> bool {
    let one = words.first().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).unwrap_or_default();
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
        let after = f.get(pos + "yêu cầu".len()..).unwrap_or("").trim();
        if !after.is_empty() && !after.starts_with("của") {
            return None;
        }
    }
    let last = f.rsplit(' ').next().unwrap_or("");
    Some(if LINKS.contains(&last) { TIME_DANGLING } else { 0.0 })
}

//! Reader for section-numbered plan tables and their indicator catalogue (shape "sectioned"),
//! as extracted from the PDF of plans such as those implementing QĐ 1012/QĐ-TTg:
//!
//! - tasks (Phụ lục I): `TT | Nhiệm vụ | Kết quả thực hiện | Thời hạn hoàn thành | Cơ quan
//!   thực hiện | Cơ quan phối hợp`, numbered 1, 2, ... under section headings I, II, ... (or
//!   A., B.); the column order and which columns exist are read from the header;
//! - indicators (Phụ lục II): `TT | Thông tin, dữ liệu | Phạm vi | Thời gian | Phân tổ | Cơ
//!   quan thực hiện`, under headings "A. ..." then "I ...".
//!
//! The extraction prints each cell's lines one after the other, with the header repeated on
//! every page and page numbers before it; cells side by side on one line are sometimes
//! printed on one line. The reader finds the structure (`layout`: the header, headings,
//! the block of lines of each numbered row, page breaks), then cuts each block into the
//! columns (`segment`): a first pass learns the columns' printed widths, a second reads
//! every row with them and places the text a page break carried over.
//!
//! What comes out:
//! - task rows: `section` = the headings above ("I. Xây dựng, hoàn thiện thể chế"), `tt`,
//!   `code: None` (derived later), `level` 1 (2 for "1.1"), `finish` = the deadline as
//!   written, `product` = the result, agencies split where the cell lists several
//!   ([`split_agencies`]). Section headings are not rows; a numbered row that only groups
//!   the rows numbered under it ("1" above "1.1") is a `heading` row;
//! - indicator rows: `group` = the headings joined with " > ", `frequency` as written;
//! - rows without a number (after a heading with no TT, or "- Trong đó: ..." under a
//!   numbered row) have an empty `tt`;
//! - what the document prints about itself (`meta`): the subject line as the title; the
//!   number, date and issuer from "(Kèm theo Kế hoạch số .../KH-UBND ngày ... của ...)" or
//!   the heading. A number or day left blank for the signature stays `None` with a warning;
//!   the date as printed is kept in `date_text`;
//! - warnings: a TT skipped, a row without lead agency, a blank number or date.
//!
//! A row whose time cell cannot be read (`dondoc_core::timeexpr::parse`) is an error naming
//! its line and quoting it: without it, the columns cannot be told apart.

mod cells;
mod layout;
mod lines;
mod meta;
mod segment;

use crate::model::{ImportWarning, ImportedPlan, IndicatorRow, PlanRow, ReadError, ReviewItem};

use cells::{Col, TableKind};
use layout::{Block, Heading, Item, Table};
use lines::Line;
use segment::{Learnt, Part, PrevCell, Segmenter, TimeCache, Tok};

pub use cells::split_agencies;

/// Rows without a number that one numbered block may hold ("- Trong đó: ..."), plus the
/// numbered one.
const MAX_ROWS_PER_BLOCK: usize = 4;

/// Blocks the columns' widths are learnt from.
const WIDTH_SAMPLE: usize = 40;

/// Whether the text has this shape: a header `TT | Nhiệm vụ | ... | Thời hạn | Cơ quan thực
/// hiện | Cơ quan phối hợp` or an indicator catalogue header `TT | Thông tin, dữ liệu |
/// Phạm vi | Thời gian | ...`, in any line-broken form, without a Mã số column or tabs.
pub fn looks_like(text: &str) -> bool {
    let lines = lines::split_lines(text);
    layout::has_table(&lines)
}

/// Reads the plan: its tables' task rows and indicator rows, and what it prints about itself.
pub fn read(text: &str) -> Result<ImportedPlan, ReadError> {
    let lines = lines::split_lines(text);
    let tables = layout::find_tables(&lines);
    if tables.is_empty() {
        return Err(ReadError::UnknownShape(
            "không thấy bảng có tiêu đề cột \"TT | Nhiệm vụ | Kết quả thực hiện | Thời hạn hoàn thành | Cơ quan thực \
             hiện | Cơ quan phối hợp\" hoặc danh mục chỉ số \"TT | Thông tin, dữ liệu | Phạm vi | Thời gian | ...\""
                .into(),
        ));
    }
    let use_glue = glue_reliable(&lines);
    let mut plan = meta::read_meta(&lines);
    for table in &tables {
        read_table(&lines, table, use_glue, &mut plan);
    }
    Ok(plan)
}

/// Lines ending without a space mark words broken across lines only when most lines end with
/// one (as this extraction prints them).
fn glue_reliable(lines: &[Line]) -> bool {
    let non_blank = lines.iter().filter(|l| !l.is_blank()).count();
    let trailing = lines.iter().filter(|l| !l.is_blank() && l.trail_ws).count();
    non_blank > 0 && trailing * 2 >= non_blank
}

/// What reading a table found besides its rows.
#[derive(Default)]
struct Notes {
    warnings: Vec<ImportWarning>,
    review: Vec<ReviewItem>,
}

/// A row being built: its cells as words.
#[derive(Debug, Clone)]
struct Draft {
    tt: String,
    level: u8,
    line: usize,
    group: String,
    cells: Vec<Vec<Tok>>,
    /// A numbered row that groups the rows numbered under it ("1" above "1.1", "1.2"): its
    /// text, no columns.
    heading: Option<String>,
}

fn read_table(lines: &[Line], table: &Table, use_glue: bool, plan: &mut ImportedPlan) {
    // Each block's words, once for both passes.
    let parts: Vec<Vec<Part>> = table
        .items
        .iter()
        .map(|item| match item {
            Item::Block(b) => b.parts.iter().map(|p| Part::new(segment::tokens(lines, p, use_glue))).collect(),
            Item::Heading(_) => Vec::new(),
        })
        .collect();
    let mut times = TimeCache::new();
    // First pass: each block on its own, to learn the columns (from a sample of the blocks:
    // enough lines, less work on long plans); second pass with what it learnt, placing the
    // text carried over page breaks.
    let blocks = parts.iter().filter(|p| !p.is_empty()).count();
    let step = blocks.div_ceil(WIDTH_SAMPLE).max(1);
    let first = build(lines, table, &parts, &Learnt::default(), step, &mut times, &mut Notes::default());
    let learnt = learn(&first, table.cols.len());
    let mut notes = Notes::default();
    let drafts = build(lines, table, &parts, &learnt, 1, &mut times, &mut notes);
    plan.warnings.append(&mut notes.warnings);
    plan.review.append(&mut notes.review);
    for d in drafts {
        emit(table.kind, &table.cols, d, plan);
    }
}

/// The rows of a table, in document order. In the first pass (nothing `learnt` yet), page
/// continuations are left out and only every `step`-th block is read.
fn build(
    lines: &[Line],
    table: &Table,
    parts: &[Vec<Part>],
    learnt: &Learnt,
    step: usize,
    times: &mut TimeCache,
    notes: &mut Notes,
) -> Vec<Draft> {
    let Notes { warnings, review } = notes;
    let cols = &table.cols;
    let mut drafts: Vec<Draft> = Vec::new();
    let mut letter: Option<Heading> = None;
    let mut roman: Option<Heading> = None;
    let mut last_tt: Option<(String, String)> = None;
    let mut nth = 0usize;
    // The TT of the next block, to recognise a numbered row that only groups the next ones.
    let mut next_tt: Vec<Option<&str>> = vec![None; table.items.len()];
    let mut following: Option<&str> = None;
    for (i, item) in table.items.iter().enumerate().rev() {
        next_tt[i] = following;
        if let Item::Block(b) = item {
            following = Some(b.tt.as_str());
        }
    }
    // Numbered groups above the current rows ("1" above "1.1"), for indicator groups.
    let mut sub_groups: Vec<(String, String)> = Vec::new();
    for (i, (item, item_parts)) in table.items.iter().zip(parts).enumerate() {
        let b = match item {
            Item::Heading(h) => {
                if h.level == 0 {
                    letter = Some(h.clone());
                    roman = None;
                } else {
                    roman = Some(h.clone());
                }
                sub_groups.clear();
                continue;
            }
            Item::Block(b) => b,
        };
        sub_groups.retain(|(tt, _)| b.tt.starts_with(&format!("{tt}.")));
        let Some(first) = item_parts.first() else { continue };
        nth += 1;
        if !(nth - 1).is_multiple_of(step) {
            continue;
        }
        let toks = &first.toks;
        let cut = if toks.is_empty() {
            None
        } else {
            Segmenter::new(first, cols, learnt, None, times)
                .free_rows(b.tt.is_empty())
                .run(MAX_ROWS_PER_BLOCK)
                .map(|(_, rows)| rows)
        };
        let rows = if b.roman {
            // A Roman numeral whose text does not read as one row is a heading.
            match cut.filter(|r| r.len() == 1) {
                Some(rows) => {
                    roman = None;
                    rows
                }
                None => {
                    roman = Some(Heading { level: 1, label: b.tt.clone(), title: b.text(lines) });
                    continue;
                }
            }
        } else {
            match cut {
                Some(rows) => rows,
                None if !b.tt.is_empty() && next_tt[i].is_some_and(|n| n.starts_with(&format!("{}.", b.tt))) => {
                    // "1" above "1.1": a group of the rows below, with no columns of its own.
                    let title = b.text(lines);
                    let group = with_sub_groups(table.kind, group_of(&letter, &roman), &sub_groups);
                    drafts.push(Draft {
                        tt: b.tt.clone(),
                        level: b.level.max(1),
                        line: b.line,
                        group,
                        cells: Vec::new(),
                        heading: Some(title.clone()),
                    });
                    sub_groups.push((b.tt.clone(), title));
                    continue;
                }
                None => {
                    review.push(row_review(lines, b, cols));
                    continue;
                }
            }
        };
        let group = with_sub_groups(table.kind, group_of(&letter, &roman), &sub_groups);
        if !b.tt.is_empty() && !b.roman {
            if let Some((g, prev)) = &last_tt
                && *g == group
                && let (Ok(p), Ok(n)) = (prev.parse::<u32>(), b.tt.parse::<u32>())
                && n > p + 1
            {
                warnings.push(ImportWarning {
                    line: b.line,
                    message: format!("TT {n} sau TT {p}: bảng bỏ qua số thứ tự {}", p + 1),
                });
            }
            last_tt = Some((group.clone(), b.tt.clone()));
        }
        push_drafts(&mut drafts, b, toks, rows, group.clone());
        if learnt.widths.is_empty() {
            continue;
        }
        // Text carried over a page break goes to the columns that overflowed, or starts
        // rows without a number.
        for part in item_parts.iter().skip(1) {
            let toks = &part.toks;
            if toks.is_empty() {
                continue;
            }
            let Some(last) = drafts.last() else { continue };
            let prev: Vec<PrevCell> = last.cells.iter().zip(cols).map(|(c, col)| PrevCell::of(c, *col)).collect();
            let Some((_, rows)) = Segmenter::new(part, cols, learnt, Some(&prev), times).run(MAX_ROWS_PER_BLOCK) else {
                // The row's text after a page break does not split into columns: the row
                // goes to review rather than in half.
                drafts.pop();
                review.push(row_review(lines, b, cols));
                break;
            };
            for (r, cut) in rows.into_iter().enumerate() {
                if r == 0 {
                    if let Some(last) = drafts.last_mut() {
                        for (c, (x, y)) in cut.into_iter().enumerate() {
                            if let Some(cell) = last.cells.get_mut(c) {
                                cell.extend(continued(&toks[x..y]));
                            }
                        }
                    }
                } else {
                    let cells: Vec<Vec<Tok>> = cut.into_iter().map(|(x, y)| toks[x..y].to_vec()).collect();
                    let line = first_line(&cells).unwrap_or(b.line);
                    drafts.push(Draft {
                        tt: String::new(),
                        level: 1,
                        line,
                        group: group.clone(),
                        cells,
                        heading: None,
                    });
                }
            }
        }
    }
    drafts
}

fn group_of(letter: &Option<Heading>, roman: &Option<Heading>) -> String {
    [letter, roman].iter().filter_map(|h| h.as_ref().map(Heading::display)).collect::<Vec<_>>().join(" > ")
}

/// The group with the numbered groups above a row ("... > 1. Title"), for indicators (task
/// groups are heading rows of their own).
fn with_sub_groups(kind: TableKind, group: String, subs: &[(String, String)]) -> String {
    if kind == TableKind::Tasks {
        return group;
    }
    subs.iter().fold(group, |g, (tt, title)| {
        let sub = format!("{tt}. {title}");
        if g.is_empty() { sub } else { format!("{g} > {sub}") }
    })
}

fn push_drafts(drafts: &mut Vec<Draft>, b: &Block, toks: &[Tok], rows: Vec<segment::RowCut>, group: String) {
    for (r, cut) in rows.into_iter().enumerate() {
        let cells: Vec<Vec<Tok>> = cut.into_iter().map(|(x, y)| toks[x..y].to_vec()).collect();
        let (tt, line) =
            if r == 0 { (b.tt.clone(), b.line) } else { (String::new(), first_line(&cells).unwrap_or(b.line)) };
        drafts.push(Draft { tt, level: b.level.max(1), line, group: group.clone(), cells, heading: None });
    }
}

fn first_line(cells: &[Vec<Tok>]) -> Option<usize> {
    cells.iter().filter_map(|c| c.first().map(|t| t.line)).min()
}

/// The first word of a continuation follows the cell's last line.
fn continued(toks: &[Tok]) -> Vec<Tok> {
    let mut v = toks.to_vec();
    if let Some(t) = v.first_mut()
        && matches!(t.brk, segment::Brk::First)
    {
        t.brk = segment::Brk::Line { glued: false, marker: false, maybe_glued: false };
    }
    v
}

/// What the first pass teaches about the columns: their widths, and how many lines their
/// cells take (twice the most seen, and some, bounds the search of the second pass).
fn learn(drafts: &[Draft], k: usize) -> Learnt {
    let spans = (0..k)
        .map(|c| {
            let most = drafts
                .iter()
                .filter_map(|d| d.cells.get(c))
                .map(|cell| cell.iter().filter(|t| !matches!(t.brk, segment::Brk::Space(_))).count())
                .max()
                .unwrap_or(0);
            (2 * most + 6).max(16)
        })
        .collect();
    Learnt { widths: column_widths(drafts, k), spans }
}

/// Each column's printed width, from its wrapped lines: a wrapped line is at most as wide as
/// the column, and with the next word it would be wider. Half-way between the medians of the
/// two is robust to the few cells the first pass got wrong. Columns with few wrapped lines
/// take their widest line.
fn column_widths(drafts: &[Draft], k: usize) -> Vec<f32> {
    (0..k)
        .map(|c| {
            let mut all: Vec<f32> = Vec::new();
            let mut wrapped: Vec<f32> = Vec::new();
            let mut overflow: Vec<f32> = Vec::new();
            for d in drafts {
                let Some(cell) = d.cells.get(c) else { continue };
                let mut cur: Option<f32> = None;
                for t in cell {
                    match (t.brk, cur) {
                        (segment::Brk::Space(_), Some(w)) => cur = Some(w + 0.5 + t.w),
                        (brk, Some(w)) => {
                            all.push(w);
                            if !matches!(brk, segment::Brk::Line { glued: true, .. }) {
                                wrapped.push(w);
                                overflow.push(w + 0.5 + t.w);
                            }
                            cur = Some(t.w);
                        }
                        (_, None) => cur = Some(t.w),
                    }
                }
                if let Some(w) = cur {
                    all.push(w);
                }
            }
            if wrapped.len() >= 4 {
                (median(&mut wrapped) + median(&mut overflow)) / 2.0
            } else {
                all.iter().copied().fold(0.0, f32::max)
            }
        })
        .collect()
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn row_review(lines: &[Line], b: &Block, cols: &[Col]) -> ReviewItem {
    let time = if cols.contains(&Col::Frequency) { "thời gian (tần suất)" } else { "thời hạn" };
    let tt = if b.tt.is_empty() { String::new() } else { format!("TT {}: ", b.tt) };
    ReviewItem {
        tt: Some(b.tt.clone()).filter(|t| !t.is_empty()),
        column: Some(time.to_string()),
        ..ReviewItem::row(
            b.line,
            format!("{tt}không tách được các cột của dòng (không thấy ô {time} đọc được)"),
            &b.text(lines),
        )
    }
}

fn emit(kind: TableKind, cols: &[Col], d: Draft, plan: &mut ImportedPlan) {
    if let Some(title) = d.heading {
        // Indicator groups live in the rows' `group`; task groups are heading rows.
        if kind == TableKind::Tasks {
            plan.rows.push(PlanRow {
                line: d.line,
                section: (!d.group.is_empty()).then_some(d.group),
                tt: d.tt,
                level: d.level,
                heading: true,
                title,
                ..PlanRow::default()
            });
        }
        return;
    }
    let cell = |col: Col| -> String {
        let join = if col.is_time() { segment::join_time } else { segment::join };
        cols.iter().position(|c| *c == col).and_then(|i| d.cells.get(i)).map(|t| join(t)).unwrap_or_default()
    };
    let opt = |s: String| if s.is_empty() { None } else { Some(s) };
    let lead = split_agencies(&cell(Col::Lead));
    if lead.is_empty() {
        let which = if d.tt.is_empty() { "dòng không số thứ tự".to_string() } else { format!("TT {}", d.tt) };
        plan.warnings
            .push(ImportWarning { line: d.line, message: format!("{which}: không có cơ quan thực hiện") });
    }
    match kind {
        TableKind::Tasks => plan.rows.push(PlanRow {
            line: d.line,
            section: opt(d.group.clone()),
            tt: d.tt.clone(),
            code: None,
            level: d.level,
            heading: false,
            title: cell(Col::Title),
            lead,
            cooperating: split_agencies(&cell(Col::Coop)),
            start: None,
            finish: opt(cell(Col::Deadline)),
            product: opt(cell(Col::Result)),
        }),
        TableKind::Indicators => plan.indicators.push(IndicatorRow {
            line: d.line,
            group: d.group.clone(),
            tt: d.tt.clone(),
            name: cell(Col::Name),
            scope: opt(cell(Col::Scope)),
            frequency: cell(Col::Frequency),
            lead,
            notes: opt(cell(Col::Notes)),
        }),
    }
}

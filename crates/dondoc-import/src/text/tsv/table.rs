//! The table: header lines, rows and their continuation lines, then rows as [`PlanRow`]s.

use std::collections::HashMap;

use dondoc_core::text::fold;

use super::cells::{self, Number};
use crate::model::{ImportWarning, PlanRow, ReadError, ReviewItem};

/// What a column holds, read from its header cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Number,
    Content,
    Lead,
    Cooperating,
    Start,
    Time,
    Product,
    Other,
}

/// The role of a header cell (folded text). Order matters: "Đơn vị phối hợp thực hiện" is
/// cooperating, "Thời gian thực hiện" a time, "Kết quả thực hiện" a product, and only then
/// "Cơ quan thực hiện" the lead.
fn role(folded: &str) -> Role {
    let f = folded.trim_end_matches(['.', ':']);
    let has = |words: &[&str]| words.iter().any(|w| f.contains(w));
    if matches!(f, "stt" | "tt" | "số tt" | "số thứ tự" | "thứ tự") {
        Role::Number
    } else if has(&["phối hợp"]) {
        Role::Cooperating
    } else if has(&["chủ trì"]) {
        Role::Lead
    } else if has(&["bắt đầu"]) {
        Role::Start
    } else if has(&["thời gian", "thời hạn", "tiến độ", "hoàn thành"]) {
        Role::Time
    } else if has(&["sản phẩm", "kết quả"]) {
        Role::Product
    } else if has(&["nội dung", "nhiệm vụ", "công việc", "giải pháp"]) {
        Role::Content
    } else if has(&["thực hiện", "cơ quan", "đơn vị"]) {
        Role::Lead
    } else {
        Role::Other
    }
}

/// Where each field sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Columns {
    /// Cells a full row has.
    pub ncols: usize,
    pub content: Option<usize>,
    pub lead: Option<usize>,
    pub cooperating: Option<usize>,
    pub start: Option<usize>,
    pub time: Option<usize>,
    pub product: Option<usize>,
}

impl Columns {
    /// The columns of a table without a header line: STT, content, lead, cooperating, time.
    pub(super) const DEFAULT: Columns = Columns {
        ncols: 5,
        content: Some(1),
        lead: Some(2),
        cooperating: Some(3),
        start: None,
        time: Some(4),
        product: None,
    };

    fn from_roles(roles: &[Role]) -> Columns {
        let find = |r: Role| roles.iter().position(|&x| x == r);
        Columns {
            ncols: roles.len(),
            content: find(Role::Content).or((roles.len() > 1).then_some(1)),
            lead: find(Role::Lead),
            cooperating: find(Role::Cooperating),
            start: find(Role::Start),
            time: find(Role::Time),
            product: find(Role::Product),
        }
    }
}

/// The roles of a header line: the first cell is STT/TT, and another cell names a content,
/// an agency or a time column. At least three cells (two tabs).
pub(super) fn header(cells: &[&str]) -> Option<Vec<Role>> {
    if cells.len() < 3 || cells[0].len() > 60 || cells.iter().map(|c| c.len()).sum::<usize>() > 1000 {
        return None;
    }
    if role(&fold(&cells::text(cells[0]))) != Role::Number {
        return None;
    }
    let roles: Vec<Role> = cells.iter().map(|c| role(&fold(&cells::text(c)))).collect();
    let known = roles[1..].iter().any(|r| matches!(r, Role::Content | Role::Lead | Role::Cooperating | Role::Time));
    (roles[0] == Role::Number && known).then_some(roles)
}

/// A second header line under merged cells ("Cơ quan thực hiện" over "Chủ trì | Phối hợp"):
/// empty first cell, every other non-empty cell a short column name.
fn sub_header(cells: &[&str]) -> Option<Vec<(usize, Role)>> {
    if cells.len() < 2 || !cells::is_blank(cells[0]) || cells.iter().any(|c| c.len() > 200) {
        return None;
    }
    let mut named = Vec::new();
    for (i, c) in cells.iter().enumerate().skip(1) {
        let t = cells::text(c);
        if t.is_empty() {
            continue;
        }
        let r = role(&fold(&t));
        if t.chars().count() > 40 || matches!(r, Role::Other | Role::Number) {
            return None;
        }
        named.push((i, r));
    }
    (!named.is_empty()).then_some(named)
}

/// A line numbering the columns: "1 2 3 4 5", "(1) (2) (3)", "(A) (B) (C)".
fn column_labels(cells: &[&str]) -> bool {
    if cells.len() < 3 || cells.iter().any(|c| c.len() > 12) {
        return false;
    }
    cells.iter().enumerate().all(|(i, c)| {
        let t = cells::text(c);
        let inner = t.trim_start_matches('(').trim_end_matches(')');
        inner == (i + 1).to_string()
            || (inner.len() == 1 && inner.as_bytes()[0] == b'A' + (i as u8 % 26))
            || (inner.len() == 1 && inner.as_bytes()[0] == b'a' + (i as u8 % 26))
    })
}

/// A row as assembled from its lines, before its cells are read.
#[derive(Debug)]
struct Pending {
    line: usize,
    quote: String,
    columns: Columns,
    /// Raw cell texts by column; line breaks inside a cell kept as "\n".
    cells: Vec<String>,
}

/// What the table holds, in order.
#[derive(Debug)]
enum Item {
    Row(Pending),
    /// An unnumbered heading line ("<b>Nhóm nhiệm vụ khác</b>" and empty cells).
    Section(String),
}

/// Quotes a line for an error: the first 200 characters.
pub(super) fn quote(line: &str) -> String {
    let mut chars = line.chars();
    let head: String = chars.by_ref().take(200).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

fn row_error(line: usize, raw: &str, reason: impl Into<String>) -> ReadError {
    ReadError::Row { line, reason: reason.into(), text: quote(raw) }
}

fn is_bold(raw: &str) -> bool {
    let t = raw.trim_start().to_ascii_lowercase();
    t.starts_with("<b>") || t.starts_with("<strong") || t.starts_with("**") || t.starts_with("__")
}

/// Reads the table from `lines[start]` (a header line, or the first row when the document
/// has none) to the end. `lines` are the document's lines without their line ends.
pub(super) fn read(
    lines: &[&str],
    start: usize,
    default: Option<Columns>,
    warnings: &mut Vec<ImportWarning>,
    review: &mut Vec<ReviewItem>,
) -> Vec<PlanRow> {
    let items = assemble(lines, start, default, warnings, review);
    finalize(items, warnings, review)
}

/// A row error as a review item.
fn to_review(e: ReadError) -> ReviewItem {
    match e {
        ReadError::Row { line, reason, text } => ReviewItem::row(line, reason, &text),
        ReadError::UnknownShape(reason) => ReviewItem::row(0, reason, ""),
    }
}

/// Groups lines into rows.
///
/// - A header line (STT/TT first, then column names) sets the columns; repeats are skipped.
/// - A line whose first cell is a row number ("1.2", "II", "a)"), or holds a number and a
///   title with every other cell empty ("<b>1. Công tác ...</b>"), starts a row.
/// - A line with an empty first cell continues the row above: cell by cell (the row was
///   broken by a page: its header is often repeated in between) when the row above has all
///   its cells, or as the rest of an unfinished row when the cells it lacks are exactly there.
/// - A line that starts with text continues the cell the row above stopped in (a line break
///   inside a cell), its further cells filling the next columns: for a row still missing
///   cells, or right after a full row (no blank line between), when the line has no tab.
/// - After a blank line, a line of text without a tab is outside the table (a note, the
///   signature): skipped with a warning. So is a line holding only a number followed by a
///   header line or by nothing (a page number). A line of text whose other cells are empty
///   is an unnumbered heading: it becomes the section of the rows below.
/// - Anything else (a row without a number, cells beyond the header) goes to `review`
///   with its line; so does the row it would have continued (a wrong row is worse than a
///   row left for review).
fn assemble(
    lines: &[&str],
    start: usize,
    default: Option<Columns>,
    warnings: &mut Vec<ImportWarning>,
    review: &mut Vec<ReviewItem>,
) -> Vec<Item> {
    let mut roles: Vec<Role> = Vec::new();
    let mut columns = default;
    let mut items: Vec<Item> = Vec::new();
    let mut current: Option<Pending> = None;
    let mut open = false;
    // A header with an empty cell (merged over two columns) may be refined by the next line.
    let mut merged_header = false;
    let mut skipped: Option<(usize, usize)> = None;

    let flush_skipped = |skipped: &mut Option<(usize, usize)>, warnings: &mut Vec<ImportWarning>| {
        if let Some((from, to)) = skipped.take() {
            let message = if from == to {
                "bỏ qua một dòng văn bản ngoài bảng".to_string()
            } else {
                format!("bỏ qua {} dòng văn bản ngoài bảng (dòng {from}–{to})", to - from + 1)
            };
            warnings.push(ImportWarning { line: from, message });
        }
    };

    for (index, &raw) in lines.iter().enumerate().skip(start) {
        let n = index + 1;
        if raw.trim().is_empty() {
            open = false;
            continue;
        }
        let cells: Vec<&str> = raw.split('\t').collect();
        if let Some(r) = header(&cells) {
            flush_skipped(&mut skipped, warnings);
            roles = r;
            columns = Some(Columns::from_roles(&roles));
            merged_header = cells.iter().any(|c| cells::is_blank(c));
            open = false;
            continue;
        }
        let Some(cols) = columns else { continue };
        if std::mem::take(&mut merged_header)
            && let Some(named) = sub_header(&cells)
        {
            for (i, r) in named {
                if i >= roles.len() {
                    roles.resize(i + 1, Role::Other);
                }
                roles[i] = r;
            }
            columns = Some(Columns::from_roles(&roles));
            continue;
        }
        if column_labels(&cells) {
            continue;
        }

        let first = cells::text(cells[0]);
        let m = cells.len();
        let rest_empty =
            |skip: Option<usize>| cells.iter().enumerate().skip(1).all(|(i, c)| Some(i) == skip || cells::is_blank(c));
        let exact_number = cells::row_number(&first).is_some();
        let numbered = !exact_number && cells::numbered_title(&first).is_some() && rest_empty(cols.content);
        let missing = current.as_ref().map(|p| p.columns.ncols.saturating_sub(p.cells.len()));

        if first.is_empty() {
            let Some(p) = current.as_mut() else {
                if rest_empty(None) {
                    continue;
                }
                review.push(to_review(row_error(n, raw, "dòng tiếp nối nhưng phía trên chưa có hàng nào của bảng")));
                continue;
            };
            flush_skipped(&mut skipped, warnings);
            let merged = match missing {
                Some(k) if k > 0 && m == k + 1 => merge(p, &cells, n, raw),
                _ => by_column(p, &cells, n, raw),
            };
            if let Err(e) = merged {
                review.extend(current.take().map(tainted));
                review.push(to_review(e));
                open = false;
                continue;
            }
            open = true;
            continue;
        }
        if exact_number && m == 1 && page_number(lines, index) {
            warnings.push(ImportWarning { line: n, message: format!("bỏ qua số trang \"{first}\"") });
            open = false;
            continue;
        }
        if exact_number || (numbered && is_bold(cells[0])) {
            flush_skipped(&mut skipped, warnings);
            if let Some(p) = current.take() {
                items.push(Item::Row(p));
            }
            let mut row_cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            if row_cells.len() == 1 && exact_number {
                // "1.2" alone: the title follows on the next line.
                row_cells.push(String::new());
            }
            if let Err(e) = check_overflow(&row_cells, cols.ncols, n, raw) {
                review.push(to_review(e));
                open = false;
                continue;
            }
            row_cells.truncate(cols.ncols.max(1));
            current = Some(Pending { line: n, quote: quote(raw), columns: cols, cells: row_cells });
            open = true;
            continue;
        }
        if let (Some(p), Some(k)) = (current.as_mut(), missing)
            && ((open && m == 1) || (k > 0 && m > 1 && m <= k + 1))
        {
            flush_skipped(&mut skipped, warnings);
            if let Err(e) = merge(p, &cells, n, raw) {
                review.extend(current.take().map(tainted));
                review.push(to_review(e));
                open = false;
            } else {
                open = true;
            }
            continue;
        }
        if numbered {
            flush_skipped(&mut skipped, warnings);
            if let Some(p) = current.take() {
                items.push(Item::Row(p));
            }
            let row_cells: Vec<String> = cells.iter().take(cols.ncols.max(1)).map(|c| c.to_string()).collect();
            current = Some(Pending { line: n, quote: quote(raw), columns: cols, cells: row_cells });
            open = true;
            continue;
        }
        if m == 1 {
            // Text after a blank line, outside the rows: a note, a signature. The row above
            // stays open to a continuation line after it.
            skipped = Some(match skipped {
                Some((from, _)) => (from, n),
                None => (n, n),
            });
            continue;
        }
        if rest_empty(None) {
            flush_skipped(&mut skipped, warnings);
            if let Some(p) = current.take() {
                items.push(Item::Row(p));
            }
            items.push(Item::Section(first));
            open = false;
            continue;
        }
        review.push(to_review(row_error(
            n,
            raw,
            "hàng không có số thứ tự (STT) và không nối tiếp được hàng phía trên",
        )));
        open = false;
    }
    flush_skipped(&mut skipped, warnings);
    if let Some(p) = current.take() {
        items.push(Item::Row(p));
    }
    items
}

/// A row whose continuation could not be read: for review, not imported half-read.
fn tainted(p: Pending) -> ReviewItem {
    let tt = cells::row_number(&cells::text(&p.cells[0])).map(|(tt, _)| tt);
    ReviewItem {
        tt, ..ReviewItem::row(p.line, "hàng có dòng tiếp nối không đọc được (xem dòng sau)", &p.quote)
    }
}

/// Whether a line holding only a number (at `index`) is a page number: the next line with
/// text is a (repeated) header, or there is none.
fn page_number(lines: &[&str], index: usize) -> bool {
    match lines[index + 1..].iter().find(|l| !l.trim().is_empty()) {
        None => true,
        Some(next) => header(&next.split('\t').collect::<Vec<_>>()).is_some(),
    }
}

fn check_overflow<S: AsRef<str>>(cells: &[S], ncols: usize, line: usize, raw: &str) -> Result<(), ReadError> {
    if cells.iter().skip(ncols).any(|c| !cells::is_blank(c.as_ref())) {
        return Err(row_error(
            line,
            raw,
            format!("hàng có {} ô, nhiều hơn {} cột của dòng tiêu đề", cells.len(), ncols),
        ));
    }
    Ok(())
}

/// A line break inside the cell the row stopped in: the line's first cell goes on that
/// cell, its further cells fill the next columns.
fn merge(p: &mut Pending, cells: &[&str], line: usize, raw: &str) -> Result<(), ReadError> {
    let ncols = p.columns.ncols;
    let last = p.cells.len().saturating_sub(1);
    if p.cells.is_empty() {
        p.cells.push(String::new());
    }
    let total = last + cells.len();
    if total > ncols {
        let padded: Vec<&str> = std::iter::repeat_n("", last).chain(cells.iter().copied()).collect();
        check_overflow(&padded, ncols, line, raw)?;
    }
    p.cells[last].push('\n');
    p.cells[last].push_str(cells[0]);
    for (j, c) in cells.iter().enumerate().skip(1) {
        let idx = last + j;
        if idx >= ncols {
            break;
        }
        if idx < p.cells.len() {
            append(&mut p.cells[idx], c, '\n');
        } else {
            p.cells.push(c.to_string());
        }
    }
    Ok(())
}

/// A row broken by a page: each cell goes on the same column of the row, after a space (or
/// on a line of its own when it starts with a bullet: "- Sở C" is a new item).
fn by_column(p: &mut Pending, cells: &[&str], line: usize, raw: &str) -> Result<(), ReadError> {
    let ncols = p.columns.ncols;
    check_overflow(cells, ncols, line, raw)?;
    for (i, c) in cells.iter().enumerate().skip(1).take(ncols.saturating_sub(1)) {
        if cells::is_blank(c) {
            continue;
        }
        if p.cells.len() <= i {
            p.cells.resize(i + 1, String::new());
        }
        // The text goes on across the page, unless the part on the new page starts a list item.
        let sep = if cells::starts_with_bullet(&cells::text(c)) { '\n' } else { ' ' };
        append(&mut p.cells[i], c, sep);
    }
    Ok(())
}

fn append(cell: &mut String, more: &str, sep: char) {
    if !cell.trim().is_empty() {
        cell.push(sep);
    }
    cell.push_str(more);
}

/// Reads the assembled rows: numbers, levels, sections, titles, agencies, times.
fn finalize(items: Vec<Item>, warnings: &mut Vec<ImportWarning>, review: &mut Vec<ReviewItem>) -> Vec<PlanRow> {
    let mut rows = Vec::new();
    let mut section: Option<String> = None;
    let mut numbered_level: u8 = 0;
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    for item in items {
        let p = match item {
            Item::Section(text) => {
                section = Some(text);
                continue;
            }
            Item::Row(p) => p,
        };
        let cell = |i: Option<usize>| i.and_then(|i| p.cells.get(i)).map(String::as_str).unwrap_or("");
        let first = cells::text(&p.cells[0]);
        let content = cells::text(cell(p.columns.content.filter(|&c| c > 0)));
        let (tt, number, title) = if let Some((tt, number)) = cells::row_number(&first) {
            (tt, number, content)
        } else if let Some((tt, number, head)) = cells::numbered_title(&first) {
            let title = if content.is_empty() { head } else { format!("{head} {content}") };
            (tt, number, title)
        } else {
            review.push(ReviewItem::row(p.line, "không đọc được số thứ tự", &p.quote));
            continue;
        };
        if title.is_empty() {
            review.push(ReviewItem {
                column: Some("nội dung".into()),
                tt: Some(tt.clone()),
                ..ReviewItem::row(p.line, format!("hàng STT {tt} không có nội dung"), &p.quote)
            });
            continue;
        }
        let level = match number {
            Number::Roman => 0,
            Number::Arabic(parts) => {
                numbered_level = parts;
                parts
            }
            Number::Letter => numbered_level.saturating_add(1),
        };
        let lead = cells::agencies(cell(p.columns.lead));
        let cooperating = cells::agencies(cell(p.columns.cooperating));
        let some = |s: String| (!s.is_empty()).then_some(s);
        let start = some(cells::text(cell(p.columns.start)));
        let finish = some(cells::text(cell(p.columns.time)));
        let product = some(cells::text(cell(p.columns.product)));
        // Numbers restart in each part (I, II) of some tables: a duplicate is one in the same part.
        let key = (if number == Number::Roman { None } else { section.clone() }, tt.clone());
        match seen.get(&key) {
            Some(&earlier) => warnings
                .push(ImportWarning {
                    line: p.line, message: format!("STT {tt} trùng với hàng ở dòng {earlier}")
                }),
            None => {
                seen.insert(key, p.line);
            }
        }
        let heading = lead.is_empty() && cooperating.is_empty();
        let row_section = if number == Number::Roman { None } else { section.clone() };
        if number == Number::Roman {
            section = Some(format!("{tt}. {title}"));
        }
        rows.push(PlanRow {
            line: p.line,
            section: row_section,
            tt,
            code: None,
            level,
            heading,
            title,
            lead,
            cooperating,
            start,
            finish,
            product,
        });
    }
    rows
}

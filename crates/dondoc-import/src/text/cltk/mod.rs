//! Statistics-strategy plan tables (shape "CLTK"): `TT | Nội dung công việc | Mã số |
//! Chủ trì | Phối hợp | Thời gian bắt đầu | Thời gian hoàn thành | Sản phẩm`, as text
//! extracted from a PDF.
//!
//! The extraction breaks every cell over many lines, prints the columns of one row as
//! separate blocks (several columns sometimes share a line: "01123 UBND", "Ban, ngành 2022
//! 2030 Kế hoạch ...") and repeats the table header, with the page number above it, on
//! every page. The reader works from the structure, not from the words of one plan:
//!
//! 1. Page furniture is set aside: header blocks (lines made only of column names, ending
//!    with the column index row "(A) (B) ...") and the page number printed above them.
//! 2. Rows start at a line whose first word is a row number: a Roman numeral (part
//!    heading) or a dotted number. A dotted number is a row only if its code follows it
//!    before the next row: the digits of the number with the first level zero-padded
//!    ("1.1.2.3" -> "01123"), or a misprint of it (one digit off, reported), and only if
//!    it may follow the previous row in the numbering. Numbers that are only words of a
//!    cell ("5 năm ...", "30 hàng năm ...") are thereby read as text.
//! 3. In a row, the words before the code are the title. After it come the agencies, the
//!    time cells and the product, in that order: the first run of words that
//!    [`dondoc_core::timeexpr::parse`] reads is the start time, a second one right after it
//!    the finish time (a single time goes under start); what follows is the product.
//! 4. The agencies are split into the lead and cooperating cells where a new agency name
//!    starts without a separator after a complete name ("UBND tỉnh | Cục Thống kê tỉnh; các
//!    Sở, Ban, ngành"); each cell is split at ";" and at "," before a named agency or a
//!    plural group, never inside a group ("Các Sở, Ban, ngành").
//!
//! The plan's title is the first upper-case heading above the table; its number, date and
//! issuer come from "(Kèm theo Quyết định số ... ngày ... của ...)". Placeholders
//! ("#sovb", "#nbh") leave `number` and `date` empty, keep `date_text` as printed and are
//! told in warnings. Codes that do not follow their row number, and codes printed twice,
//! are kept as printed and reported; the rows are never merged.

mod cells;
mod layout;
mod meta;
mod numbering;

use std::collections::HashMap;

use crate::model::{ImportWarning, ImportedPlan, PlanRow, ReadError};

use cells::{agencies, begins_with_agency, cell_start, join, time_at};
use layout::{Layout, Word};
use numbering::{Tt, code_of, dotted, immediate_next, near_code, parse_tt, plausible_next, roman};

/// Whether the text has this shape: a table header with the columns "Mã số", "Chủ trì",
/// "Phối hợp" and "Sản phẩm", or at least three numbered rows followed by their codes.
pub fn looks_like(text: &str) -> bool {
    if has_header(text) {
        return true;
    }
    let layout = Layout::new(text);
    let (words, first_word) = layout.words();
    let scan = scan(&words, &first_word);
    let coded = scan
        .iter()
        .filter(|c| matches!(&c.tt, Tt::Num(p) if p.len() >= 2) && matches!(c.hit, Some(Hit::Code { exact: true, .. })))
        .count();
    coded >= 3
}

/// The code a row number implies ("1.1.2.3" -> "01123", "10.1.2" -> "1012"); None for part
/// headings and text that is not a row number.
pub fn expected_code(tt: &str) -> Option<String> {
    match parse_tt(tt)? {
        Tt::Num(parts) => Some(code_of(&parts)),
        Tt::Roman(_) => None,
    }
}

/// Reads the plan: its particulars, heading and task rows in document order, and warnings.
///
/// An error when no row can be read: [`ReadError::Row`] (naming the header line) when the
/// table header is there, [`ReadError::UnknownShape`] otherwise.
pub fn read(text: &str) -> Result<ImportedPlan, ReadError> {
    let layout = Layout::new(text);
    let (words, first_word) = layout.words();
    let scan = scan(&words, &first_word);
    let mut warnings = Vec::new();
    let accepted = accept(&scan, &words, &mut warnings);
    if accepted.is_empty() {
        return Err(match layout.headers.first() {
            Some(&h) => ReadError::Row {
                line: h + 1,
                reason: "có tiêu đề bảng nhưng không có dòng nào mang số TT kèm mã số".into(),
                text: layout.lines[h].clone(),
            },
            None => ReadError::UnknownShape(
                "cần bảng TT | Nội dung công việc | Mã số | Chủ trì | Phối hợp | Thời gian | Sản phẩm".into(),
            ),
        });
    }

    let mut rows = Vec::with_capacity(accepted.len());
    let mut code_lines = Vec::with_capacity(accepted.len());
    let mut section: Option<String> = None;
    let stops: Vec<usize> =
        first_word.iter().enumerate().filter_map(|(i, w)| w.filter(|_| ends_table(&layout.lines[i]))).collect();
    for (k, c) in accepted.iter().enumerate() {
        let next = accepted.get(k + 1).map_or(words.len(), |n| n.word);
        // A stop line ends the row, but not before its code.
        let code_end = match c.hit {
            Some(Hit::Code { pos, .. }) => pos + 1,
            _ => c.word + 1,
        };
        let end = stops.iter().copied().find(|&s| s > c.word).map_or(next, |s| s.max(code_end).min(next));
        let (row, code_line) = build_row(c, &words[c.word..end], c.word, &mut warnings);
        if c.level() == 0 {
            section = Some(format!("{}. {}", row.tt, row.title));
        }
        rows.push(PlanRow { section: section.clone(), ..row });
        code_lines.push(code_line);
    }
    check_codes(&rows, &code_lines, &mut warnings);

    let first_row_line = accepted[0].line;
    let preamble: Vec<(usize, &str)> = layout.lines[..first_row_line]
        .iter()
        .enumerate()
        .filter(|(i, _)| !layout.skip[*i])
        .map(|(i, l)| (i, l.as_str()))
        .collect();
    let meta = meta::read(&preamble);
    let mut all_warnings = meta.warnings;
    all_warnings.append(&mut warnings);
    all_warnings.sort_by_key(|w| w.line);
    Ok(ImportedPlan {
        number: meta.number,
        issuer: meta.issuer,
        date: meta.date,
        date_text: meta.date_text,
        title: meta.title,
        rows,
        indicators: Vec::new(),
        warnings: all_warnings,
        review: Vec::new(),
    })
}

/// How a row-number candidate was confirmed.
#[derive(Debug, Clone, Copy)]
enum Hit {
    /// A part heading: a Roman numeral before upper-case text.
    Part,
    /// The code at word `pos`; `exact` when it is the code of the row number, `placed` when
    /// it stands where codes stand (at a line start or end, or before an agency or a time).
    Code { pos: usize, exact: bool, placed: bool },
}

/// A line starting with a row number.
#[derive(Debug)]
struct Candidate {
    /// 0-based line.
    line: usize,
    /// Index of the row number's word.
    word: usize,
    tt: Tt,
    hit: Option<Hit>,
}

impl Candidate {
    fn level(&self) -> usize {
        match &self.tt {
            Tt::Roman(_) => 0,
            Tt::Num(p) => p.len(),
        }
    }
}

/// Row-number candidates, each with its code (or part-heading text) when found before the
/// next confirmed candidate. Scanned from the end so that each window is bounded by the
/// next row.
fn scan(words: &[Word], first_word: &[Option<usize>]) -> Vec<Candidate> {
    let mut cands: Vec<Candidate> = first_word
        .iter()
        .enumerate()
        .filter_map(|(line, w)| {
            let w = (*w)?;
            parse_tt(words[w].text).map(|tt| Candidate { line, word: w, tt, hit: None })
        })
        .collect();
    let mut bound = words.len();
    for c in cands.iter_mut().rev() {
        c.hit = match &c.tt {
            Tt::Roman(_) => part_heading(words, c.word, bound).then_some(Hit::Part),
            Tt::Num(parts) => {
                let code = code_of(parts);
                // A code of two digits or more without leading zero ("10", "1012") also
                // reads as a row number: the candidate that bounds the window may be it.
                find_code(words, c.word + 1, bound, &code).or_else(|| {
                    words.get(bound).filter(|w| code_text(w.text) == code).map(|_| Hit::Code {
                        pos: bound,
                        exact: true,
                        placed: true,
                    })
                })
            }
        };
        if c.hit.is_some() {
            bound = c.word;
        }
    }
    cands
}

/// A Roman numeral followed by upper-case text on its line or, alone, on the next line.
fn part_heading(words: &[Word], at: usize, bound: usize) -> bool {
    let line = words[at].line;
    let rest: Vec<Word> = words[at + 1..bound].iter().take_while(|w| w.line == line).copied().collect();
    let text = if rest.is_empty() {
        let Some(next) = words.get(at + 1).filter(|_| at + 1 < bound) else {
            return false;
        };
        join(&words[at + 1..bound].iter().take_while(|w| w.line == next.line).copied().collect::<Vec<_>>())
    } else {
        join(&rest)
    };
    let (n, up) = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .fold((0, 0), |(n, up), c| (n + 1, up + usize::from(c.is_uppercase())));
    n >= 3 && up * 5 >= n * 4
}

/// The code of a row in `words[from..to]`: the exact code (preferably where codes stand),
/// else a misprint of it where codes stand.
fn find_code(words: &[Word], from: usize, to: usize, code: &str) -> Option<Hit> {
    let placed = |j: usize| words[j].first || words[j].last || cell_start(&words[..to], j + 1);
    let mut loose = None;
    for (j, w) in words.iter().enumerate().take(to).skip(from) {
        if code_text(w.text) == code {
            if placed(j) {
                return Some(Hit::Code { pos: j, exact: true, placed: true });
            }
            loose.get_or_insert(Hit::Code { pos: j, exact: true, placed: false });
        }
    }
    if loose.is_some() {
        return loose;
    }
    (from..to).find(|&j| near_code(code_text(words[j].text), code) && placed(j)).map(|pos| Hit::Code {
        pos,
        exact: false,
        placed: true,
    })
}

/// A code as printed, without a trailing "." or ",".
fn code_text(w: &str) -> &str {
    w.trim_end_matches(['.', ',', ';'])
}

/// The candidates that are rows, in order: part headings in sequence (I, II, ...), and
/// numbered rows with their code that may follow the previous row. A row whose exact code
/// stands where codes stand is kept even out of sequence, with a warning.
fn accept<'c>(scan: &'c [Candidate], words: &[Word], warnings: &mut Vec<ImportWarning>) -> Vec<&'c Candidate> {
    let mut out: Vec<&Candidate> = Vec::new();
    let mut prev: Option<&[u32]> = None;
    let mut prev_code = None;
    let mut last_part = 0;
    for c in scan {
        if prev_code == Some(c.word) {
            // The previous row's code ("10" of TT 10), not a row.
            continue;
        }
        match (&c.tt, c.hit) {
            // Part headings go up, possibly skipping one or two (I, II, IV).
            (Tt::Roman(v), Some(Hit::Part)) if *v > last_part && *v <= last_part + 3 => {
                last_part = *v;
                prev = None;
                out.push(c);
            }
            (Tt::Num(parts), Some(Hit::Code { pos, exact, placed })) => {
                if plausible_next(prev, parts) {
                    out.push(c);
                    prev = Some(parts);
                    prev_code = Some(pos);
                } else if exact && placed {
                    warnings.push(ImportWarning {
                        line: c.line + 1,
                        message: format!(
                            "TT {} không theo thứ tự (sau TT {}); vẫn đọc là một dòng vì có mã số {}",
                            dotted(parts),
                            prev.map(dotted).unwrap_or_else(|| "-".into()),
                            code_of(parts)
                        ),
                    });
                    out.push(c);
                    prev = Some(parts);
                    prev_code = Some(pos);
                }
            }
            (Tt::Num(parts), None)
                if !out.is_empty() && immediate_next(prev, parts) && starts_like_a_row(words, c.word) =>
            {
                let text: Vec<Word> = words[c.word..].iter().take_while(|w| w.line == c.line).copied().collect();
                warnings.push(ImportWarning {
                    line: c.line + 1,
                    message: format!(
                        "\"{}\" bắt đầu bằng số TT {} nhưng không có mã số {}: đọc như phần tiếp theo của dòng trên",
                        join(&text),
                        dotted(parts),
                        code_of(parts)
                    ),
                });
            }
            _ => {}
        }
    }
    out
}

/// A row number alone on its line or before a capitalised word.
fn starts_like_a_row(words: &[Word], at: usize) -> bool {
    words[at].last || words.get(at + 1).is_some_and(|w| w.text.chars().next().is_some_and(char::is_uppercase))
}

/// One row from its words (the row number first). Returns the row (without section) and
/// the 0-based line of its printed code.
fn build_row(
    c: &Candidate,
    row: &[Word],
    offset: usize,
    warnings: &mut Vec<ImportWarning>,
) -> (PlanRow, Option<usize>) {
    let line = c.line + 1;
    let (tt, level) = match &c.tt {
        Tt::Roman(v) => (roman(*v), 0u8),
        Tt::Num(parts) => (dotted(parts), parts.len() as u8),
    };
    let mut out = PlanRow { line, tt, level, ..PlanRow::default() };
    let code_at = match c.hit {
        Some(Hit::Code { pos, .. }) if pos > offset && pos - offset < row.len() => Some(pos - offset),
        _ => None,
    };
    let Some(pos) = code_at else {
        out.title = join(&row[1..]);
        out.heading = true;
        return (out, None);
    };
    out.code = Some(code_text(row[pos].text).to_string());
    out.title = join(&row[1..pos]);
    if out.title.is_empty() {
        warnings.push(ImportWarning { line, message: format!("TT {}: không có nội dung công việc", out.tt) });
    }
    let post = &row[pos + 1..];
    let mut time = None;
    for i in 0..post.len() {
        if let Some(cell) = time_at(post, i) {
            time = Some((i, cell));
            break;
        }
    }
    let (agency_words, product_words) = match time {
        Some((i, first)) => {
            let mut after = i + first.len;
            let second = time_at(post, after);
            for cell in std::iter::once(&first).chain(second.as_ref()) {
                if let Some(problem) = &cell.problem {
                    warnings.push(ImportWarning {
                        line: post[i].line + 1,
                        message: format!("TT {}: thời gian không hợp lệ: {problem}", out.tt),
                    });
                }
            }
            out.start = Some(first.text);
            if let Some(second) = second {
                after += second.len;
                out.finish = Some(second.text);
            }
            (&post[..i], &post[after..])
        }
        None if begins_with_agency(post) => (post, &post[post.len()..]),
        None => (&post[..0], post),
    };
    let (lead, cooperating) = agencies(agency_words);
    out.lead = lead;
    out.cooperating = cooperating;
    out.heading = out.lead.is_empty() && out.cooperating.is_empty();
    if !out.heading && out.start.is_none() {
        warnings
            .push(ImportWarning { line, message: format!("TT {}: không thấy thời gian thực hiện", out.tt) });
    }
    let product = join(product_words);
    out.product = (!product.is_empty()).then_some(product);
    (out, Some(row[pos].line))
}

/// Reports codes that do not follow their row number and codes printed for two rows.
fn check_codes(rows: &[PlanRow], code_lines: &[Option<usize>], warnings: &mut Vec<ImportWarning>) {
    let expected: Vec<Option<String>> = rows.iter().map(|r| expected_code(&r.tt)).collect();
    let off = |i: usize| rows[i].code.is_some() && expected[i].is_some() && rows[i].code != expected[i];
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut explained = vec![false; rows.len()];
    let mut tts: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(&j) = tts.get(r.tt.as_str()) {
            warnings.push(ImportWarning {
                line: r.line,
                message: format!("TT {} in hai lần (dòng {} và {})", r.tt, rows[j].line, r.line),
            });
        } else {
            tts.insert(&r.tt, i);
        }
        let Some(code) = r.code.as_deref() else { continue };
        let Some(&j) = seen.get(code) else {
            seen.insert(code, i);
            continue;
        };
        let culprit = if off(j) && !off(i) { j } else { i };
        explained[culprit] = true;
        let fix = match (&expected[culprit], off(culprit)) {
            (Some(e), true) => format!("theo số TT, mã của TT {} phải là {e}", rows[culprit].tt),
            _ => "mã số bị trùng".to_string(),
        };
        warnings.push(ImportWarning {
            line: code_lines[culprit].map_or(rows[culprit].line, |l| l + 1),
            message: format!(
                "mã số {code} in cho cả TT {} (dòng {}) và TT {} (dòng {}); {fix}; giữ hai dòng riêng, mã như in",
                rows[j].tt, rows[j].line, r.tt, r.line
            ),
        });
    }
    for (i, r) in rows.iter().enumerate() {
        if off(i) && !explained[i] {
            warnings.push(ImportWarning {
                line: code_lines[i].map_or(r.line, |l| l + 1),
                message: format!(
                    "TT {}: mã số in là {}, theo số TT phải là {}; giữ mã như in",
                    r.tt,
                    r.code.as_deref().unwrap_or(""),
                    expected[i].as_deref().unwrap_or("")
                ),
            });
        }
    }
}

/// A line that ends the table: the next appendix, the recipients, the signature.
fn ends_table(line: &str) -> bool {
    let f = line.to_lowercase();
    line.starts_with("PHỤ LỤC")
        || ["nơi nhận:", "ghi chú:", "kt. chủ tịch", "tm. ủy ban", "tm. uỷ ban", "tm. ubnd"]
            .iter()
            .any(|p| f.starts_with(p))
}

/// A table header naming the columns Mã số, Chủ trì, Phối hợp and Sản phẩm within a few
/// lines.
fn has_header(text: &str) -> bool {
    let lines: Vec<String> = text.lines().map(dondoc_core::text::fold).collect();
    let mut tries = 0;
    for (i, l) in lines.iter().enumerate() {
        if !l.contains("chủ trì") {
            continue;
        }
        tries += 1;
        if tries > 50 {
            return false;
        }
        let window = lines[i.saturating_sub(4)..(i + 14).min(lines.len())].join(" ");
        if ["mã số", "phối hợp", "sản phẩm"].iter().all(|m| window.contains(m)) {
            return true;
        }
    }
    false
}

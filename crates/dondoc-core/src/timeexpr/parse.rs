//! The parser: text -> [`ParsedTime`].
//!
//! The text is NFC-normalised, lower-cased, "hàng" is read as "hằng" and "quí" as "quý"; remarks in
//! parentheses and `;`-separated qualifiers are split off as notes; what remains is
//! tokenised (words, numbers, punctuation) and matched against the forms below, in order:
//! continuous, on request, recurrence, range, single period or day.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{Cadence, ParsedTime, Recurrence, TimeExpr, TimeExprError};
use crate::period::Period;
use crate::text::{clean, fold};

/// The accepted forms, with examples; quoted by the error for unreadable text.
pub const ACCEPTED_FORMS: &[&str] = &[
    "năm (\"2025\", \"Năm 2025\")",
    "tháng (\"Tháng 9/2025\", \"T9/2025\", \"tháng 9 năm 2025\")",
    "quý (\"Quý IV/2025\", \"Quý 4/2025\", \"quý IV năm 2025\")",
    "nửa năm (\"6 tháng đầu năm 2026\", \"6 tháng cuối năm 2026\")",
    "ngày (\"30/6/2025\", \"ngày 15/12/2025\", \"Trước ngày 15/12/2025\", \"Cuối tháng 9/2025\")",
    "khoảng (\"2022 - 2030\", \"Từ tháng 9-12/2025\", \"Tháng 9/2025 - Tháng 12/2025\")",
    "định kỳ (\"Hằng năm\", \"Định kỳ hằng quý\", \"Hàng tháng\", \"6 tháng, năm\", \"Quý, 6 tháng, 9 tháng, năm\", \"Tháng/ Quý/ Năm\", \"Tháng 7 và 11 hằng năm\", \"Trước ngày 15/12 hằng năm\")",
    "thường xuyên (\"Thường xuyên\")",
    "theo yêu cầu (\"Khi có yêu cầu\", \"Theo yêu cầu của Văn phòng Chính phủ\", \"Khi Trung ương yêu cầu\", \"Đột xuất\")",
    "ghi chú trong ngoặc hoặc sau dấu \";\" được giữ lại (\"Hàng năm (khi có phát sinh)\")",
];

/// Every word the parser reads (lower case, NFC), besides numbers, the "T9/2025" and
/// "Q4/2025" forms, and the free text of requests ("Theo yêu cầu của ...") and remarks.
/// Document readers use it to tell a time cell from other text; a test reads each word in
/// an expression that parses.
pub const WORDS: &[&str] = &[
    "tháng",
    "quý",
    "quí",
    "năm",
    "ngày",
    "giờ",
    "tuần",
    "hằng",
    "hàng",
    "định",
    "kỳ",
    "thường",
    "xuyên",
    "liên",
    "tục",
    "đột",
    "xuất",
    "cả",
    "từ",
    "đến",
    "và",
    "giai",
    "đoạn",
    "trong",
    "đầu",
    "giữa",
    "cuối",
    "trước",
    "chậm",
    "nhất",
    "hạn",
    "là",
    "hết",
    "khi",
    "có",
    "phát",
    "sinh",
    "theo",
    "yêu",
    "cầu",
    "của",
    "chỉ",
    "đạo",
    "ít",
    "một",
    "lần",
    "t",
    "q",
    "i",
    "ii",
    "iii",
    "iv",
];

/// The words of [`WORDS`] an expression can begin with.
pub const FIRST_WORDS: &[&str] = &[
    "tháng",
    "quý",
    "quí",
    "năm",
    "ngày",
    "giờ",
    "tuần",
    "hằng",
    "hàng",
    "định",
    "thường",
    "liên",
    "đột",
    "cả",
    "từ",
    "đến",
    "giai",
    "trong",
    "đầu",
    "giữa",
    "cuối",
    "trước",
    "chậm",
    "hạn",
    "khi",
    "có",
    "theo",
    "t",
    "q",
];

/// Plausible plan years; anything else is a typo.
const YEARS: std::ops::RangeInclusive<u32> = 1900..=2199;

pub(super) fn parse(text: &str) -> Result<ParsedTime, TimeExprError> {
    let input = clean(text);
    if input.is_empty() {
        return Err(TimeExprError::Empty);
    }
    let (primary, mut notes) = split_notes(&input);
    let primary = primary.trim().trim_end_matches(['.', ',', ':']).trim();
    if primary.is_empty() {
        return Err(unrecognized(&input));
    }
    let mut expr = parse_primary(primary, &input)?;
    // "ít nhất 05 năm một lần" qualifies a recurrence; "(hoặc đột xuất)" adds ad hoc reports.
    if let TimeExpr::Recurring { recurrence } = &mut expr {
        notes.retain(|note| {
            let f = fold(note);
            if let Some(n) = at_least_every_years(&f) {
                recurrence.at_least_every_years = Some(n);
            } else if f == "hoặc đột xuất" || f == "đột xuất" {
                recurrence.ad_hoc = true;
            } else {
                return true;
            }
            false
        });
    }
    Ok(ParsedTime { input, expr, notes })
}

fn unrecognized(input: &str) -> TimeExprError {
    TimeExprError::Unrecognized { input: input.to_string() }
}

fn invalid(input: &str, detail: impl Into<String>) -> TimeExprError {
    TimeExprError::Invalid { input: input.to_string(), detail: detail.into() }
}

/// Splits parenthesised remarks and `;`-separated qualifiers off the main expression.
fn split_notes(input: &str) -> (String, Vec<String>) {
    let mut primary = String::new();
    let mut notes = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut segment = 0usize; // 0 = main expression, then qualifiers
    let mut qualifier = String::new();
    for c in input.chars() {
        match c {
            '(' | '[' => {
                if depth == 0 {
                    current.clear();
                } else {
                    current.push(c);
                }
                depth += 1;
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let note = current.trim().to_string();
                    if !note.is_empty() {
                        notes.push(note);
                    }
                } else {
                    current.push(c);
                }
            }
            ';' if depth == 0 => {
                if segment > 0 {
                    push_note(&mut notes, &qualifier);
                    qualifier.clear();
                }
                segment += 1;
            }
            _ if depth > 0 => current.push(c),
            _ if segment == 0 => primary.push(c),
            _ => qualifier.push(c),
        }
    }
    if depth > 0 {
        // An unclosed parenthesis: keep its text as a note rather than losing it.
        push_note(&mut notes, &current);
    }
    if segment > 0 {
        push_note(&mut notes, &qualifier);
    }
    (primary, notes)
}

fn push_note(notes: &mut Vec<String>, s: &str) {
    let s = s.trim().trim_matches(|c| c == ',' || c == '.').trim();
    if !s.is_empty() {
        notes.push(s.to_string());
    }
}

fn at_least_every_years(f: &str) -> Option<u32> {
    let rest = f.strip_prefix("ít nhất ")?;
    let (n, rest) = rest.split_once(' ')?;
    let n: u32 = n.parse().ok()?;
    (rest == "năm một lần" || rest == "năm 1 lần").then_some(n)
}

/// A token of the folded text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Num(u32),
    Sym(char),
}

fn tokenize(f: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = f.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut n: u64 = 0;
            while let Some(&d) = chars.peek() {
                match d.to_digit(10) {
                    Some(v) => {
                        n = (n * 10 + u64::from(v)).min(u64::from(u32::MAX));
                        chars.next();
                    }
                    None => break,
                }
            }
            out.push(Tok::Num(n as u32));
        } else if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphabetic() {
                    w.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w));
        } else {
            out.push(Tok::Sym(c));
            chars.next();
        }
    }
    out
}

/// Token-slice helpers.
struct Cursor<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(toks: &'a [Tok]) -> Self {
        Cursor { toks, pos: 0 }
    }
    fn done(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos)
    }
    fn word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Consumes a sequence of words, all or nothing.
    fn words(&mut self, ws: &[&str]) -> bool {
        let save = self.pos;
        for w in ws {
            if !self.word(w) {
                self.pos = save;
                return false;
            }
        }
        true
    }
    fn sym(&mut self, c: char) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn num(&mut self) -> Option<u32> {
        if let Some(Tok::Num(n)) = self.peek() {
            self.pos += 1;
            Some(*n)
        } else {
            None
        }
    }
    fn any_word(&mut self) -> Option<&'a str> {
        if let Some(Tok::Word(w)) = self.peek() {
            self.pos += 1;
            Some(w)
        } else {
            None
        }
    }
}

fn parse_primary(primary: &str, input: &str) -> Result<TimeExpr, TimeExprError> {
    let f = fold(primary);
    if let Some(e) = continuous(&f) {
        return Ok(e);
    }
    if let Some(e) = on_request(&f, primary) {
        return Ok(e);
    }
    let toks = tokenize(&f);
    if let Some(r) = recurrence(&toks) {
        return Ok(TimeExpr::Recurring { recurrence: r });
    }
    if let Some(r) = anchored_recurrence(&toks, input)? {
        return Ok(TimeExpr::Recurring { recurrence: r });
    }
    // A whole single first, so that "15-12-2025" is a date and not a range.
    let mut c = Cursor::new(&toks);
    let single_result = single(&mut c, None, input);
    if let Ok(Some(e)) = &single_result
        && c.done()
    {
        return Ok(e.into_expr());
    }
    if let Some(e) = range(&toks, input)? {
        return Ok(e);
    }
    match single_result {
        Err(e) => Err(e),
        Ok(_) => Err(unrecognized(input)),
    }
}

fn continuous(f: &str) -> Option<TimeExpr> {
    let f = f.trim_end_matches(['.', ',']);
    matches!(f, "thường xuyên" | "thường xuyên, liên tục" | "thường xuyên và liên tục" | "liên tục")
        .then_some(TimeExpr::Continuous)
}

fn on_request(f: &str, original: &str) -> Option<TimeExpr> {
    let words: Vec<&str> = f.split(' ').collect();
    let orig_words: Vec<&str> = original.split(' ').collect();
    // The requester, as written, after "yêu cầu của" / between "khi" and "yêu cầu".
    let by_from = |start: usize| -> Option<String> {
        let s = orig_words.get(start..)?.join(" ");
        let s = s.trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()).to_string();
        (!s.is_empty()).then_some(s)
    };
    let yc = words.windows(2).position(|w| w == ["yêu", "cầu"]);
    match (words.first().copied(), yc) {
        (_, None) if f == "đột xuất" || f == "khi có phát sinh" || f == "khi phát sinh" => {
            Some(TimeExpr::OnRequest { by: None })
        }
        (Some("theo"), Some(1)) | (Some("khi"), Some(_)) | (Some("có"), Some(1)) => {
            let after = yc.map(|i| i + 2).unwrap_or(words.len());
            let by = if words.get(after) == Some(&"của") {
                by_from(after + 1)
            } else if words.first() == Some(&"khi") && yc.is_some_and(|i| i > 1) {
                let i = yc.unwrap_or(0);
                let who = orig_words.get(1..i).map(|w| w.join(" ")).unwrap_or_default();
                if who == "có" || who.is_empty() { None } else { Some(who) }
            } else {
                None
            };
            Some(TimeExpr::OnRequest { by })
        }
        (Some("theo"), None) if words.get(1) == Some(&"chỉ") && words.get(2) == Some(&"đạo") => {
            Some(TimeExpr::OnRequest { by: by_from(4).filter(|_| words.get(3) == Some(&"của")) })
        }
        _ => None,
    }
}

/// A list of cadences: "Hằng năm", "Tháng, quý, năm", "Quý/06 tháng/cả năm",
/// "hằng tháng, quý, 6 tháng, 9 tháng, năm, đột xuất", optionally after "Định kỳ".
fn recurrence(toks: &[Tok]) -> Option<Recurrence> {
    let mut c = Cursor::new(toks);
    c.words(&["định", "kỳ"]);
    let mut cadences = BTreeSet::new();
    let mut ad_hoc = false;
    loop {
        c.word("hằng");
        if c.word("giờ") {
            cadences.insert(Cadence::Hourly);
        } else if c.word("ngày") {
            cadences.insert(Cadence::Daily);
        } else if c.word("tuần") {
            cadences.insert(Cadence::Weekly);
        } else if c.word("tháng") {
            cadences.insert(Cadence::Monthly);
        } else if c.word("quý") {
            cadences.insert(Cadence::Quarterly);
        } else if c.word("năm") || c.words(&["cả", "năm"]) {
            cadences.insert(Cadence::Yearly);
        } else if c.words(&["đột", "xuất"]) {
            ad_hoc = true;
        } else if let Some(n @ (6 | 9)) = c.num() {
            if !c.word("tháng") {
                return None;
            }
            cadences.insert(if n == 6 { Cadence::HalfYearly } else { Cadence::NineMonthly });
        } else {
            return None;
        }
        if c.done() {
            break;
        }
        if !(c.sym(',') || c.sym('/') || c.sym('&') || c.word("và") || c.sym('-')) {
            return None;
        }
    }
    if cadences.is_empty() {
        return None;
    }
    Some(Recurrence { cadences, months: None, day_of_year: None, ad_hoc, at_least_every_years: None })
}

/// "Tháng 7 và 11 hằng năm", "Trước ngày 15/12 hằng năm", "ngày 15/12 hằng năm".
fn anchored_recurrence(toks: &[Tok], input: &str) -> Result<Option<Recurrence>, TimeExprError> {
    let n = toks.len();
    if n < 3 || toks[n - 2] != Tok::Word("hằng".into()) || toks[n - 1] != Tok::Word("năm".into()) {
        return Ok(None);
    }
    let body = &toks[..n - 2];
    let mut c = Cursor::new(body);
    let yearly = |months: Option<Vec<u8>>, day_of_year| Recurrence {
        cadences: BTreeSet::from([if months.is_some() { Cadence::Monthly } else { Cadence::Yearly }]),
        months,
        day_of_year,
        ad_hoc: false,
        at_least_every_years: None,
    };
    if c.word("tháng") || c.word("t") {
        let mut months = Vec::new();
        loop {
            let m = c.num().ok_or_else(|| unrecognized(input))?;
            if !(1..=12).contains(&m) {
                return Err(invalid(input, format!("tháng {m} không tồn tại")));
            }
            months.push(m as u8);
            if c.done() {
                break;
            }
            if !(c.sym(',') || c.word("và") || c.sym('/') || c.sym('&')) {
                return Ok(None);
            }
            c.word("tháng");
        }
        months.sort_unstable();
        months.dedup();
        return Ok(Some(yearly(Some(months), None)));
    }
    let before = date_prefix(&mut c);
    let day = c.num();
    let sep = c.sym('/') || c.sym('-') || c.sym('.');
    let month = c.num();
    match (day, sep, month, c.done()) {
        (Some(d), true, Some(m), true) => {
            if NaiveDate::from_ymd_opt(2000, m, d).is_none() {
                return Err(invalid(input, format!("ngày {d}/{m} không tồn tại")));
            }
            Ok(Some(yearly(None, Some((m as u8, d as u8, before)))))
        }
        _ => Ok(None),
    }
}

/// Optional words before a date; returns whether they say "before".
fn date_prefix(c: &mut Cursor) -> bool {
    let before = c.word("trước");
    if !before && (c.words(&["chậm", "nhất"]) || c.word("hạn") || c.word("đến") || c.word("trong")) {
        c.word("là");
        c.word("hết");
    }
    c.word("ngày");
    before
}

/// A single period or day, possibly lacking its year (for the left side of a range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Single {
    Period(Period),
    Date { date: NaiveDate, before: bool },
}

impl Single {
    fn into_expr(self) -> TimeExpr {
        match self {
            Single::Period(period) => TimeExpr::Period { period },
            Single::Date { date, before } => TimeExpr::Date { date, before },
        }
    }
    fn last_day(&self) -> NaiveDate {
        match self {
            Single::Period(p) => p.last_day(),
            Single::Date { date, .. } => *date,
        }
    }
    fn as_period(&self) -> Period {
        match self {
            Single::Period(p) => *p,
            Single::Date { date, .. } => Period::Day { date: *date },
        }
    }
    fn year(&self) -> i32 {
        chrono::Datelike::year(&self.last_day())
    }
}

fn year_of(n: u32, input: &str) -> Result<i32, TimeExprError> {
    if YEARS.contains(&n) {
        Ok(n as i32)
    } else {
        Err(invalid(input, format!("năm {n} nằm ngoài phạm vi {}–{}", YEARS.start(), YEARS.end())))
    }
}

/// Reads "/2025", "-2025", ".2025", "năm 2025" or " 2025"; `None` when absent.
fn year_suffix(c: &mut Cursor, input: &str) -> Result<Option<i32>, TimeExprError> {
    let save = c.pos;
    let _ = c.sym('/') || c.sym('-') || c.sym('.') || c.word("năm");
    match c.num() {
        Some(n) if n >= 100 => Ok(Some(year_of(n, input)?)),
        _ => {
            c.pos = save;
            Ok(None)
        }
    }
}

fn require_year(y: Option<i32>, default: Option<i32>, input: &str) -> Result<i32, TimeExprError> {
    y.or(default).ok_or_else(|| unrecognized(input))
}

/// Parses one period or date at the cursor. `Ok(None)` when nothing matches here.
fn single(c: &mut Cursor, default_year: Option<i32>, input: &str) -> Result<Option<Single>, TimeExprError> {
    let start = c.pos;
    c.word("trong");
    // Beginning, middle or end of a month or year (Bộ luật Dân sự 2015, Art. 146).
    for (word, part) in [("đầu", Part::Start), ("giữa", Part::Middle), ("cuối", Part::End)] {
        if c.word(word) {
            return part_of(c, part, default_year, input);
        }
    }
    if c.word("năm") {
        let n = c.num().ok_or_else(|| unrecognized(input))?;
        return Ok(Some(Single::Period(Period::Year { year: year_of(n, input)? })));
    }
    if c.word("tháng") || c.word("t") {
        let m = match c.num() {
            Some(m) => m,
            None => {
                c.pos = start;
                return Ok(None);
            }
        };
        let y = require_year(year_suffix(c, input)?, default_year, input)?;
        return Period::month(y, m)
            .map(|p| Some(Single::Period(p)))
            .map_err(|_| invalid(input, format!("tháng {m} không tồn tại")));
    }
    if c.word("quý") || c.word("q") {
        let q = quarter_number(c).ok_or_else(|| unrecognized(input))?;
        let y = require_year(year_suffix(c, input)?, default_year, input)?;
        return Period::quarter(y, q)
            .map(|p| Some(Single::Period(p)))
            .map_err(|_| invalid(input, format!("quý {q} không tồn tại")));
    }
    let save = c.pos;
    if let Some(n @ (6 | 9)) = c.num()
        && c.word("tháng")
    {
        let first = c.word("đầu");
        let last = !first && c.word("cuối");
        let y = require_year(year_suffix(c, input)?, default_year, input)?;
        Period::year(y).map_err(|_| invalid(input, format!("năm {y}")))?;
        return Ok(Some(Single::Period(match (n, last) {
            (6, false) => Period::Half { year: y, half: 1 },
            (6, true) => Period::Half { year: y, half: 2 },
            (_, false) => Period::NineMonths { year: y },
            (_, true) => return Err(unrecognized(input)),
        })));
    }
    c.pos = save;
    // A date, with optional "trước / chậm nhất / đến / trong / hạn / ngày" before it.
    let before = date_prefix(c);
    let after_prefix = c.pos;
    if let Some(first) = c.num() {
        if c.sym('/') || c.sym('-') || c.sym('.') {
            if let Some(second) = c.num() {
                if second >= 100 && c.pos - after_prefix == 3 && !before && after_prefix == save {
                    // "9/2025": a month written without "tháng".
                    let y = year_of(second, input)?;
                    return Period::month(y, first)
                        .map(|p| Some(Single::Period(p)))
                        .map_err(|_| invalid(input, format!("tháng {first} không tồn tại")));
                }
                let y = require_year(year_suffix(c, input)?, default_year, input)?;
                return NaiveDate::from_ymd_opt(y, second, first)
                    .map(|date| Some(Single::Date { date, before }))
                    .ok_or_else(|| invalid(input, format!("ngày {first}/{second}/{y} không tồn tại")));
            }
        } else if after_prefix == save && first >= 100 {
            return Ok(Some(Single::Period(Period::Year { year: year_of(first, input)? })));
        }
    }
    c.pos = start;
    Ok(None)
}

#[derive(Clone, Copy)]
enum Part {
    Start,
    Middle,
    End,
}

/// "đầu/giữa/cuối" + "tháng M/Y", "năm Y" or "quý Q/Y".
fn part_of(
    c: &mut Cursor,
    part: Part,
    default_year: Option<i32>,
    input: &str,
) -> Result<Option<Single>, TimeExprError> {
    let period = match single(c, default_year, input)? {
        Some(Single::Period(p)) => p,
        _ => return Err(unrecognized(input)),
    };
    let date = match (part, period) {
        (Part::Start, p) => p.first_day(),
        (Part::End, p) => p.last_day(),
        (Part::Middle, Period::Month { year, month }) => {
            NaiveDate::from_ymd_opt(year, u32::from(month), 15).ok_or_else(|| unrecognized(input))?
        }
        // Art. 146(3): "giữa năm" is the last day of June.
        (Part::Middle, Period::Year { year }) => {
            NaiveDate::from_ymd_opt(year, 6, 30).ok_or_else(|| unrecognized(input))?
        }
        (Part::Middle, _) => return Err(unrecognized(input)),
    };
    Ok(Some(Single::Date { date, before: false }))
}

fn quarter_number(c: &mut Cursor) -> Option<u32> {
    if let Some(n) = c.num() {
        return Some(n);
    }
    let save = c.pos;
    let q = match c.any_word()? {
        "i" => 1,
        "ii" => 2,
        "iii" => 3,
        "iv" => 4,
        _ => {
            c.pos = save;
            return None;
        }
    };
    Some(q)
}

/// "2022 - 2030", "Năm 2022 - 2025", "Giai đoạn 2021-2025", "Từ tháng 9-12/2025",
/// "Tháng 9/2025 - Tháng 12/2025", "Từ tháng 9/2025 đến tháng 12/2025", "Quý III - IV/2025".
fn range(toks: &[Tok], input: &str) -> Result<Option<TimeExpr>, TimeExprError> {
    let mut c = Cursor::new(toks);
    let _ = c.word("từ") || c.words(&["giai", "đoạn"]) || c.words(&["trong", "giai", "đoạn"]);
    let body = &toks[c.pos..];
    // Shorthand "tháng 9-12/2025" and "quý iii-iv/2025": the unit applies to both ends.
    let mut s = Cursor::new(body);
    for (unit, is_month) in [("tháng", true), ("quý", false)] {
        s.pos = 0;
        if s.word(unit) {
            let a = if is_month { s.num() } else { quarter_number(&mut s) };
            if let Some(a) = a
                && (s.sym('-') || s.word("đến"))
            {
                let b = if is_month { s.num() } else { quarter_number(&mut s) };
                if let (Some(b), Some(y)) = (b, year_suffix(&mut s, input)?)
                    && s.done()
                {
                    let mk = |n| if is_month { Period::month(y, n) } else { Period::quarter(y, n) };
                    let (from, to) = match (mk(a), mk(b)) {
                        (Ok(f), Ok(t)) => (f, t),
                        _ => return Err(invalid(input, format!("{unit} {a}-{b} không hợp lệ"))),
                    };
                    return ordered(from, to, input).map(Some);
                }
            }
        }
    }
    // General form: two singles around "-" or "đến".
    for (i, t) in body.iter().enumerate() {
        let is_sep = matches!(t, Tok::Sym('-')) || matches!(t, Tok::Word(w) if w == "đến");
        if !is_sep || i == 0 {
            continue;
        }
        let (left, right) = (&body[..i], &body[i + 1..]);
        let mut r = Cursor::new(right);
        let Ok(Some(to)) = single(&mut r, None, input) else { continue };
        if !r.done() {
            continue;
        }
        let mut l = Cursor::new(left);
        let Ok(Some(from)) = single(&mut l, Some(to.year()), input) else { continue };
        if !l.done() {
            continue;
        }
        return ordered(from.as_period(), to.as_period(), input).map(Some);
    }
    Ok(None)
}

fn ordered(from: Period, to: Period, input: &str) -> Result<TimeExpr, TimeExprError> {
    if from.first_day() > to.last_day() {
        return Err(invalid(input, "điểm đầu sau điểm cuối"));
    }
    Ok(TimeExpr::Range { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeexpr::ExprKind;

    #[test]
    fn notes_are_split_off() {
        let (p, n) = split_notes("Hàng năm (theo nhu cầu thực tế); ít nhất 05 năm một lần");
        assert_eq!(p.trim(), "Hàng năm");
        assert_eq!(n, vec!["theo nhu cầu thực tế", "ít nhất 05 năm một lần"]);
    }

    #[test]
    fn kinds() {
        let cases = [
            ("2025", ExprKind::Year),
            ("Tháng 9/2025", ExprKind::Month),
            ("Quý IV/2025", ExprKind::Quarter),
            ("6 tháng đầu năm 2026", ExprKind::HalfYear),
            ("30/6/2025", ExprKind::Date),
            ("2022 - 2030", ExprKind::Range),
            ("Hằng năm", ExprKind::Recurring),
            ("Thường xuyên", ExprKind::Continuous),
            ("Khi có yêu cầu", ExprKind::OnRequest),
        ];
        for (text, kind) in cases {
            assert_eq!(parse(text).unwrap().expr.kind(), kind, "{text}");
        }
    }
}

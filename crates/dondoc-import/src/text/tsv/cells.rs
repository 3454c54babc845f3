//! One cell's text: HTML and markdown residue removed, entities decoded, NFC with
//! whitespace collapsed; agency cells split into one item per agency; row numbers.

use dondoc_core::text::clean;

/// Tags that end a line of text (list items, line breaks, paragraphs, table cells).
const BLOCK_TAGS: &[&str] = &[
    "article",
    "blockquote",
    "br",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Tags removed without a trace (their text is kept).
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "caption", "cite", "code", "col", "colgroup", "del", "em", "font", "i", "img", "ins",
    "kbd", "mark", "meta", "o:p", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "tbody", "tfoot",
    "thead", "u", "var", "wbr",
];

/// A tag at the start of `s` (which starts with `<`): its length in bytes and whether it
/// ends a line. None when the `<` is text ("< 5%", "<Sở Tài chính>") or the tag is unknown.
/// Comments are handled by [`lines`].
fn tag_at(s: &str) -> Option<(usize, bool)> {
    let body = &s[1..];
    let body = body.strip_prefix('/').unwrap_or(body);
    let name_len = body.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b':').count();
    if name_len == 0 || !body.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let name = body[..name_len].to_ascii_lowercase();
    let after = &body[name_len..];
    match after.chars().next() {
        Some(c) if c == '>' || c == '/' || c.is_whitespace() => {}
        _ => return None,
    }
    let block = BLOCK_TAGS.contains(&name.as_str());
    if !block && !INLINE_TAGS.contains(&name.as_str()) {
        return None;
    }
    // The tag ends at the first '>' (attributes of these documents hold none), on the same line.
    let close = after.find(['>', '<', '\n'])?;
    if after.as_bytes()[close] != b'>' {
        return None;
    }
    Some((s.len() - after.len() + close + 1, block))
}

/// The character an HTML entity stands for (the few met in extracted documents).
fn entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" | "ensp" | "emsp" | "thinsp" => " ",
        "shy" | "zwsp" | "zwnj" | "zwj" => "",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "deg" => "°",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "le" => "≤",
        "ge" => "≥",
        "copy" => "©",
        "reg" => "®",
        "sect" => "§",
        "para" => "¶",
        "percnt" => "%",
        _ => return None,
    })
}

/// Decodes `&name;`, `&#123;` and `&#x7B;`; anything else stays as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos + 1..];
        let semicolon = tail.bytes().take(12).position(|b| b == b';');
        let decoded = semicolon.filter(|&end| end > 0 && end <= 10).and_then(|end| {
            let name = &tail[..end];
            let text: Option<String> = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                };
                code.filter(|&c| c != 0)
                    .and_then(char::from_u32)
                    .map(|c| if c == '\u{a0}' { " ".to_string() } else { c.to_string() })
            } else if name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                entity(name).map(str::to_string)
            } else {
                None
            };
            text.map(|t| (t, end))
        });
        match decoded {
            Some((text, end)) => {
                out.push_str(&text);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes markdown emphasis (`**`, `__`, `*nghiêng*`) and backslash escapes (`1\.`, `\-`).
fn strip_markdown(s: &str) -> String {
    let s = strip_italics(&s.replace("**", "").replace("__", ""));
    if !s.contains('\\') {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Removes `*` pairs that wrap words ("*nghiêng*"): an opening `*` at the start or after a
/// space or bracket, followed by a non-space; a closing one after a non-space, followed by
/// the end, a space or punctuation. Lone stars ("(*)", "* ") stay.
fn strip_italics(s: &str) -> String {
    if !s.contains('*') {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut drop = vec![false; chars.len()];
    let mut open: Option<usize> = None;
    for i in 0..chars.len() {
        if chars[i] != '*' {
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let can_open = before.is_none_or(|c| c.is_whitespace() || "([\"“".contains(c))
            && after.is_some_and(|c| !c.is_whitespace() && c != '*' && c != ')');
        let can_close = before.is_some_and(|c| !c.is_whitespace() && c != '*' && c != '(')
            && after.is_none_or(|c| c.is_whitespace() || c.is_ascii_punctuation() || "”".contains(c));
        match open {
            Some(o) if can_close => {
                drop[o] = true;
                drop[i] = true;
                open = None;
            }
            _ if can_open => open = Some(i),
            _ => {}
        }
    }
    chars.iter().zip(drop).filter(|(_, d)| !d).map(|(c, _)| c).collect()
}

/// The lines of a raw cell: cut at block tags (`<br>`, `<li>`, `<p>`, ...) and line breaks,
/// inline tags removed, entities decoded, markdown emphasis removed, each [`clean`]ed.
/// Empty lines are dropped.
pub(super) fn lines(raw: &str) -> Vec<String> {
    pieces(raw).into_iter().map(|p| p.text).collect()
}

/// A line of a cell and how it was cut from the line before.
struct Piece {
    text: String,
    /// After a list item, paragraph or cell boundary (`<li>`, `<p>`, `<div>`, `<td>`, ...);
    /// not after a mere line break (`\n`, `<br>`), which may fall inside a name.
    hard: bool,
}

/// [`lines`], with the kind of boundary before each.
fn pieces(raw: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut hard = false;
    let mut flush = |current: &mut String, hard: &mut bool, next_hard: bool| {
        let text = finish(&strip_markdown(&decode_entities(current)));
        if !text.is_empty() {
            out.push(Piece { text, hard: *hard });
            *hard = false;
        }
        *hard |= next_hard;
        current.clear();
    };
    let mut rest = raw;
    // Once a "<!--" has no "-->" after it, no later one has: they are text (linear time).
    let mut unclosed_comment = false;
    while let Some(pos) = rest.find(['<', '\n']) {
        current.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix('\n') {
            flush(&mut current, &mut hard, false);
            rest = after;
            continue;
        }
        if let Some(comment) = tail.strip_prefix("<!--")
            && !unclosed_comment
        {
            match comment.find("-->") {
                Some(end) => {
                    rest = &comment[end + 3..];
                    continue;
                }
                None => unclosed_comment = true,
            }
        }
        match tag_at(tail) {
            Some((len, block)) => {
                if block {
                    let line_break = tail[1..len].trim_start_matches('/').to_ascii_lowercase().starts_with("br");
                    flush(&mut current, &mut hard, !line_break);
                }
                rest = &tail[len..];
            }
            None => {
                current.push('<');
                rest = &tail[1..];
            }
        }
    }
    current.push_str(rest);
    flush(&mut current, &mut hard, false);
    out
}

/// NFC, whitespace collapsed, no space just inside brackets ("( <i>text</i> )" leaves
/// "( text )" once the tags are gone), markdown italics around the whole text removed.
fn finish(s: &str) -> String {
    let mut text = clean(s);
    if text.contains("( ") || text.contains(" )") || text.contains("[ ") || text.contains(" ]") {
        text = text.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]");
    }
    loop {
        let inner = ["*", "_"]
            .iter()
            .find_map(|m| text.strip_prefix(m).and_then(|t| t.strip_suffix(m)).filter(|t| !t.trim().is_empty()));
        match inner {
            Some(t) => text = t.trim().to_string(),
            None => break,
        }
    }
    text
}

/// Whether a raw cell holds no text once its markup is gone; cheap for plain cells.
pub(super) fn is_blank(raw: &str) -> bool {
    let invisible = |c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}';
    if raw.chars().all(invisible) {
        return true;
    }
    if !raw.contains(['<', '&', '*', '_', '\\']) {
        return false;
    }
    lines(raw).is_empty()
}

/// A cell as one line of text (titles, time cells).
pub(super) fn text(raw: &str) -> String {
    lines(raw).join(" ")
}

const BULLETS: &[char] = &['-', '–', '—', '+', '•', '●', '▪', '◦', '*'];

/// Lead or cooperating agencies: one item per list item, line, `;`-separated part or
/// bullet, with the bullets and the closing `;` / `.` removed.
///
/// A line break (or `<br>`, not a list item) inside a name that plainly goes on (the line
/// ends with "," or "và", or the next one starts in lower case) joins the two lines. `;`
/// separates items outside brackets. In a cell written as a bulleted list ("- A; - B." or
/// "- A - B."), " - " before a capital letter starts a new item; elsewhere a dash is part of
/// the name ("Đài Phát thanh - Truyền hình"). A line ending with ":" that introduces further
/// items ("Các đơn vị sau:") is a label, not an agency.
pub(super) fn agencies(raw: &str) -> Vec<String> {
    let mut joined: Vec<String> = Vec::new();
    for Piece { text: line, hard } in pieces(raw) {
        let goes_on = !hard
            && joined.last().is_some_and(|prev: &String| {
                prev.ends_with(',') || prev.ends_with(" và") || line.chars().next().is_some_and(char::is_lowercase)
            });
        match joined.last_mut() {
            Some(prev) if goes_on => {
                prev.push(' ');
                prev.push_str(&line);
            }
            _ => joined.push(line),
        }
    }
    let count = joined.len();
    let mut items = Vec::new();
    for (i, line) in joined.into_iter().enumerate() {
        if line.ends_with(':') && i + 1 < count {
            continue;
        }
        let bulleted = starts_with_bullet(&line);
        for part in split_outside_brackets(&line, ';') {
            for piece in split_bullets(part, bulleted) {
                let item = piece
                    .trim_start_matches(|c: char| BULLETS.contains(&c) || c.is_whitespace())
                    .trim_end_matches(|c: char| matches!(c, ';' | '.' | ',' | ':') || c.is_whitespace());
                if !item.is_empty() {
                    items.push(item.to_string());
                }
            }
        }
    }
    items
}

/// Splits at `sep` where no bracket is open.
fn split_outside_brackets(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

pub(super) fn starts_with_bullet(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if BULLETS.contains(&c))
        && chars.next().is_some_and(|c| c.is_whitespace() || c.is_uppercase())
}

/// Splits at " - X" (a bullet before a capital letter) when the cell is a bulleted list, and
/// at ". - X" anywhere.
fn split_bullets(part: &str, bulleted: bool) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = part.char_indices().collect();
    for w in 0..chars.len().saturating_sub(3) {
        let (at, space) = chars[w];
        let (_, dash) = chars[w + 1];
        let (_, space2) = chars[w + 2];
        let (_, next) = chars[w + 3];
        if space == ' ' && BULLETS.contains(&dash) && space2 == ' ' && next.is_uppercase() {
            let after_stop = part[..at].ends_with('.');
            if (bulleted || after_stop) && at > start {
                pieces.push(&part[start..at]);
                start = at;
            }
        }
    }
    pieces.push(&part[start..]);
    pieces
}

/// A row number as printed, with its depth: "1.2.3" (3), "I" (0); None for anything else.
/// Arabic numbers have at most six parts of at most three digits ("2025" is a year, not a
/// row); a trailing "." or ")" is dropped.
pub(super) fn row_number(s: &str) -> Option<(String, Number)> {
    let s = s.trim().trim_end_matches(['.', ')']);
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() <= 6 && parts.iter().all(|p| (1..=3).contains(&p.len())) {
            return Some((s.to_string(), Number::Arabic(parts.len() as u8)));
        }
        return None;
    }
    if s.len() <= 6 && s.bytes().all(|b| b"IVXLC".contains(&b)) && roman_value(s).is_some() {
        return Some((s.to_string(), Number::Roman));
    }
    if s.len() == 1 && s.as_bytes()[0].is_ascii_lowercase() {
        return Some((s.to_string(), Number::Letter));
    }
    None
}

/// What kind of row number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Number {
    /// "1.2.3": its number of parts.
    Arabic(u8),
    /// "I", "IV": part headings.
    Roman,
    /// "a", "b": items under the last numbered row.
    Letter,
}

/// The value of a well-formed roman numeral up to 100.
fn roman_value(s: &str) -> Option<u32> {
    const TABLE: &[(&str, u32)] =
        &[("C", 100), ("XC", 90), ("L", 50), ("XL", 40), ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1)];
    let mut rest = s;
    let mut value = 0;
    for (sym, v) in TABLE {
        let mut repeats = 0;
        while let Some(r) = rest.strip_prefix(sym) {
            rest = r;
            value += v;
            repeats += 1;
            if repeats > 3 {
                return None;
            }
        }
    }
    (rest.is_empty() && value > 0).then_some(value)
}

/// A first cell holding both the number and the title ("1. Công tác ..."): the number and
/// the rest.
pub(super) fn numbered_title(s: &str) -> Option<(String, Number, String)> {
    let s = s.trim();
    // "1. Title", or "1.Title" with the space missing.
    let (head, rest) = match s.split_once(' ') {
        Some((head, rest)) if row_number(head).is_some() => (head, rest),
        _ => {
            let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ')'))?;
            let head = &s[..end];
            if !head.ends_with(['.', ')']) || !s[end..].starts_with(char::is_alphabetic) {
                return None;
            }
            (head, &s[end..])
        }
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return None;
    }
    let (tt, number) = row_number(head)?;
    // "a Title" is prose, not a numbered item; letters need their ")" or ".".
    if number == Number::Letter && !head.ends_with([')', '.']) {
        return None;
    }
    Some((tt, number, rest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_removed() {
        assert_eq!(text("<b>1. Công tác</b>"), "1. Công tác");
        assert_eq!(text("**Đậm** và *nghiêng* (*) a * b"), "Đậm và nghiêng (*) a * b");
        assert_eq!(text("*7.1. Nghiêng*"), "7.1. Nghiêng");
        assert_eq!(text("( <i>trước mỗi lần</i> )."), "(trước mỗi lần).");
        assert_eq!(
            text("A &amp; B&nbsp;C &quot;D&quot; &#7889; &#x1EC7; &bogus; & x"),
            "A & B C \"D\" ố ệ &bogus; & x"
        );
        assert_eq!(text("x < 5% <Sở> <br/>y<!-- c -->z"), "x < 5% <Sở> yz");
        assert_eq!(text("&lt;b&gt;"), "<b>");
        assert_eq!(text("<a href=\"https://x.vn\">https://x.vn</a>"), "https://x.vn");
        assert_eq!(text("<b unterminated"), "<b unterminated");
    }

    #[test]
    fn agency_lists() {
        assert_eq!(
            agencies("- Sở Nội vụ; - Các sở, ban, ngành tỉnh; - UBND các xã, phường."),
            ["Sở Nội vụ", "Các sở, ban, ngành tỉnh", "UBND các xã, phường"]
        );
        assert_eq!(agencies("- A tỉnh - Các sở, ban; - UBND xã."), ["A tỉnh", "Các sở, ban", "UBND xã"]);
        assert_eq!(agencies("Sở Văn hóa - Thể thao"), ["Sở Văn hóa - Thể thao"]);
        assert_eq!(agencies("Cục Thống kê. - Sở Tài chính"), ["Cục Thống kê", "Sở Tài chính"]);
        assert_eq!(agencies("<ul style=\"x\"> <li>- A;</li> <li>- B.</li> </ul>"), ["A", "B"]);
        assert_eq!(agencies("Sở Giáo dục và<br>Đào tạo<br>Sở Y tế"), ["Sở Giáo dục và Đào tạo", "Sở Y tế"]);
        assert_eq!(agencies("Các đơn vị sau:<ul><li>Sở A</li><li>Sở B</li></ul>"), ["Sở A", "Sở B"]);
        assert_eq!(agencies("kinh tế - xã hội"), ["kinh tế - xã hội"]);
        assert_eq!(agencies("<ul><li>Sở A</li><li>các xã</li></ul>"), ["Sở A", "các xã"]);
        assert_eq!(agencies("Sở A\ncác xã<p>Sở B</p>"), ["Sở A các xã", "Sở B"]);
        assert_eq!(agencies("Sở A (chủ trì; tổng hợp); Sở B"), ["Sở A (chủ trì; tổng hợp)", "Sở B"]);
        assert_eq!(agencies("Đài Phát thanh - Truyền hình tỉnh"), ["Đài Phát thanh - Truyền hình tỉnh"]);
        assert!(agencies(" ; - . ").is_empty());
    }

    #[test]
    fn row_numbers() {
        assert_eq!(row_number("1.2.3"), Some(("1.2.3".into(), Number::Arabic(3))));
        assert_eq!(row_number("4."), Some(("4".into(), Number::Arabic(1))));
        assert_eq!(row_number("IV"), Some(("IV".into(), Number::Roman)));
        assert_eq!(row_number("b)"), Some(("b".into(), Number::Letter)));
        for bad in ["2025", "1..2", "", ".", "IIII", "Quý", "1.2a"] {
            assert_eq!(row_number(bad), None, "{bad}");
        }
        assert_eq!(numbered_title("2. Công tác"), Some(("2".into(), Number::Arabic(1), "Công tác".into())));
        assert_eq!(numbered_title("a Công tác"), None);
        assert_eq!(numbered_title("3.Kiểm tra"), Some(("3".into(), Number::Arabic(1), "Kiểm tra".into())));
        assert_eq!(numbered_title("2.1.Việc"), Some(("2.1".into(), Number::Arabic(2), "Việc".into())));
        for prose in ["Ví dụ", "2025 là năm", "1.5%", "12/2025 xong"] {
            assert_eq!(numbered_title(prose), None, "{prose}");
        }
    }
}

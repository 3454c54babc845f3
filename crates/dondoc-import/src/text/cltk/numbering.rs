//! Row numbers (TT) and the task codes (Mã số) derived from them.

/// A row number as printed: a part heading ("I", "II") or a dotted number ("1.1.2.3").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tt {
    Roman(u32),
    Num(Vec<u32>),
}

/// Deepest numbering accepted ("1.1.2.3.4.5").
const MAX_DEPTH: usize = 6;
/// Largest jump between a number and the next one at the same level (gaps occur: plans
/// keep the national strategy's numbering and drop the tasks that do not apply).
const MAX_JUMP: u32 = 20;
/// Largest first number of a new level.
const MAX_FIRST_CHILD: u32 = 30;

/// Reads the first word of a line as a row number: a Roman numeral (I to XXXIX) or one to
/// six dot-separated numbers of one or two digits without leading zeros; one final dot is
/// allowed ("1.", "II.").
pub(super) fn parse_tt(word: &str) -> Option<Tt> {
    let w = word.strip_suffix('.').unwrap_or(word);
    if w.is_empty() {
        return None;
    }
    if w.bytes().all(|b| matches!(b, b'I' | b'V' | b'X')) {
        return roman_value(w).map(Tt::Roman);
    }
    let mut parts = Vec::new();
    for p in w.split('.') {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) || p.starts_with('0') {
            return None;
        }
        parts.push(p.parse().ok()?);
        if parts.len() > MAX_DEPTH {
            return None;
        }
    }
    Some(Tt::Num(parts))
}

/// The value of a canonical Roman numeral from 1 to 39.
fn roman_value(s: &str) -> Option<u32> {
    let tens = s.bytes().take_while(|&b| b == b'X').count();
    let rest = &s[tens..];
    let units = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"];
    let unit = units.iter().position(|u| *u == rest)?;
    let value = tens as u32 * 10 + unit as u32;
    (tens <= 3 && value > 0).then_some(value)
}

/// The Roman numeral of 1 to 39.
pub(super) fn roman(n: u32) -> String {
    let units = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"];
    let mut s = "X".repeat((n / 10) as usize);
    s.push_str(units[(n % 10) as usize]);
    s
}

/// The code a row number implies: the first level zero-padded to two digits, then the
/// other levels' digits ("1.1.2.3" -> "01123", "10.1.2" -> "1012").
pub(super) fn code_of(parts: &[u32]) -> String {
    let mut code = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            code.push_str(&format!("{p:02}"));
        } else {
            code.push_str(&p.to_string());
        }
    }
    code
}

/// Dotted form of a row number.
pub(super) fn dotted(parts: &[u32]) -> String {
    parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// Whether `word` is a misprint of `code`: same length (at least three digits), the same
/// first level, one digit different.
pub(super) fn near_code(word: &str, code: &str) -> bool {
    word.len() == code.len()
        && code.len() >= 3
        && word.bytes().all(|b| b.is_ascii_digit())
        && word.as_bytes()[..2] == code.as_bytes()[..2]
        && word.bytes().zip(code.bytes()).filter(|(a, b)| a != b).count() == 1
}

/// Whether `next` may follow `prev` in a plan's numbering: a child (one or two levels
/// deeper) or a later sibling of `prev` or of one of its ancestors, with bounded gaps.
pub(super) fn plausible_next(prev: Option<&[u32]>, next: &[u32]) -> bool {
    let Some(prev) = prev else {
        return next.iter().all(|&p| p <= MAX_FIRST_CHILD);
    };
    let common = prev.iter().zip(next).take_while(|(a, b)| a == b).count();
    if common == prev.len() {
        // A child.
        return next.len() > prev.len()
            && next.len() - prev.len() <= 2
            && next[prev.len()..].iter().all(|&p| p <= MAX_FIRST_CHILD);
    }
    if common == next.len() {
        // An ancestor printed again.
        return false;
    }
    let (a, b) = (prev[common], next[common]);
    b > a && b - a <= MAX_JUMP && next.len() <= common + 3 && next[common + 1..].iter().all(|&p| p <= MAX_FIRST_CHILD)
}

/// Whether `next` is the very next number after `prev` (first child, or next sibling of
/// `prev` or an ancestor).
pub(super) fn immediate_next(prev: Option<&[u32]>, next: &[u32]) -> bool {
    let Some(prev) = prev else {
        return next == [1];
    };
    if next.len() == prev.len() + 1 && next[..prev.len()] == *prev {
        return next[prev.len()] == 1;
    }
    (1..=prev.len()).any(|k| next.len() == k && next[..k - 1] == prev[..k - 1] && next[k - 1] == prev[k - 1] + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers() {
        assert_eq!(parse_tt("1.1.2.3"), Some(Tt::Num(vec![1, 1, 2, 3])));
        assert_eq!(parse_tt("10."), Some(Tt::Num(vec![10])));
        assert_eq!(parse_tt("II"), Some(Tt::Roman(2)));
        assert_eq!(parse_tt("XIV."), Some(Tt::Roman(14)));
        for bad in ["2022", "01", "1..2", "IIII", "VX", "", ".", "1.2.3.4.5.6.7", "89/2015/QH13", "IL"] {
            assert_eq!(parse_tt(bad), None, "{bad}");
        }
        assert_eq!(roman(14), "XIV");
    }

    #[test]
    fn codes() {
        assert_eq!(code_of(&[1, 1, 2, 3]), "01123");
        assert_eq!(code_of(&[10, 1, 2]), "1012");
        assert_eq!(code_of(&[4]), "04");
        assert!(near_code("03123", "03122"));
        assert!(!near_code("04123", "03122"));
        assert!(!near_code("05", "04"));
    }

    #[test]
    fn successors() {
        assert!(plausible_next(Some(&[1, 1, 2]), &[1, 1, 2, 3]));
        assert!(plausible_next(Some(&[1, 1, 2, 3]), &[1, 1, 2, 8]));
        assert!(plausible_next(Some(&[5, 3, 2, 2]), &[7]));
        assert!(plausible_next(Some(&[1, 3, 3]), &[1, 4]));
        assert!(!plausible_next(Some(&[1, 4, 5, 1]), &[1, 4]));
        assert!(!plausible_next(Some(&[11, 3, 2]), &[35]));
        assert!(immediate_next(Some(&[1, 4, 5, 1]), &[2]));
        assert!(immediate_next(Some(&[1, 4, 5, 1]), &[1, 4, 5, 1, 1]));
        assert!(!immediate_next(Some(&[1, 4, 5, 1]), &[5]));
    }
}

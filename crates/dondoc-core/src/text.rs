//! Text normalisation for Vietnamese input typed or extracted from documents.

use chrono::{Datelike, NaiveDate, Weekday};
use unicode_normalization::UnicodeNormalization;

/// The Vietnamese name of a weekday: "Thứ Hai" ... "Chủ nhật".
pub fn weekday_vi(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// `s` with its first letter in lower case, as it reads inside a sentence ("Thứ Ba" →
/// "thứ Ba", "Quý III/2025" → "quý III/2025").
pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// `s` with its first letter in upper case, as it heads a line or a cell ("đang thực hiện"
/// → "Đang thực hiện").
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The end of a period as people say it: "hết ngày 31/12/2026" for the midnight that ends
/// a day (24:00, BLDS Art. 148(6)), else "08:00 ngày 26/11/2026".
pub fn until_vi(instant: chrono::DateTime<chrono::Utc>) -> String {
    let local = instant.with_timezone(&crate::calendar::TZ);
    if local.time() == chrono::NaiveTime::MIN {
        let day = local.date_naive().pred_opt().unwrap_or(local.date_naive());
        format!("hết ngày {}", day.format("%d/%m/%Y"))
    } else {
        local.format("%H:%M ngày %d/%m/%Y").to_string()
    }
}

/// A moment as people say it: "08:00 ngày 26/11/2026".
pub fn instant_vi(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant.with_timezone(&crate::calendar::TZ).format("%H:%M ngày %d/%m/%Y").to_string()
}

/// A date as officers read it: "Thứ Ba, 30/09/2025".
pub fn date_vi(d: NaiveDate) -> String {
    format!("{}, {}", weekday_vi(d.weekday()), d.format("%d/%m/%Y"))
}

/// NFC-normalises `s`, turns every run of whitespace (line breaks, tabs, no-break spaces)
/// into one space and trims the ends. Letter case is kept.
pub fn clean(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`clean`], lower-cased, with typographic dashes turned into `-` and the spelling
/// variants "hàng" (every) and "quí" (quarter) turned into "hằng" and "quý", so that rules
/// match one form.
pub fn fold(s: &str) -> String {
    let lowered = clean(s).to_lowercase();
    let dashed: String = lowered
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}' => '-',
            _ => c,
        })
        .collect();
    let variant = |w| match w {
        "hàng" => "hằng",
        "quí" => "quý",
        w => w,
    };
    dashed.split(' ').map(variant).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_dates() {
        let d = NaiveDate::from_ymd_opt(2025, 9, 30).unwrap();
        assert_eq!(date_vi(d), "Thứ Ba, 30/09/2025");
        assert_eq!(weekday_vi(Weekday::Sun), "Chủ nhật");
    }

    #[test]
    fn nfd_and_stray_spaces_fold_to_one_form() {
        let nfd: String = "Hàng  năm\n(khi có   phát sinh)".nfd().collect();
        assert_ne!(nfd, "Hàng  năm\n(khi có   phát sinh)");
        assert_eq!(fold(&nfd), "hằng năm (khi có phát sinh)");
        assert_eq!(fold("Quý IV – 2025"), "quý iv - 2025");
        assert_eq!(clean("\u{feff} Thường\u{a0}xuyên "), "Thường xuyên");
    }
}

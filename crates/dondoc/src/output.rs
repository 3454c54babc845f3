//! Printing for people (Vietnamese, aligned) and for scripts (JSON).

use anyhow::Result;
use chrono::NaiveDate;
use dondoc_core::text::date_vi;
use serde::Serialize;

/// `println!` that returns an error instead of panicking when stdout is closed
/// (`dondoc ... | head`); `main` treats a broken pipe as success.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A date for people, or a dash.
pub fn date_or_dash(d: Option<NaiveDate>) -> String {
    d.map(date_vi).unwrap_or_else(|| "—".to_string())
}

/// Prints `label: value` lines with the values aligned.
pub fn fields(rows: &[(&str, String)]) -> Result<()> {
    let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    for (label, value) in rows {
        let pad = width - label.chars().count();
        outln!("{label}:{} {value}", " ".repeat(pad));
    }
    Ok(())
}

/// A stream revision for people ("—" when the task does not exist).
pub fn revision(r: Option<u64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| r.to_string())
}

/// "Hạn tạm tính: …" when provisional days off lie near the deadline.
pub fn provisional_note(days: &[dondoc_core::calendar::DayOff]) -> Option<String> {
    let first = days.first()?;
    Some(format!(
        "hạn TẠM TÍNH: lịch nghỉ năm {} chưa có thông báo chính thức, {} ({}) đang là ngày nghỉ theo quy tắc mặc định; \
         hạn có thể đổi khi thông báo được ghi nhận",
        chrono::Datelike::year(&first.date),
        first.date.format("%d/%m/%Y"),
        first.name
    ))
}

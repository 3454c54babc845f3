//! Dates and instants as the tests write them. Local time is Asia/Ho_Chi_Minh: UTC+7 all
//! year (Vietnam has kept no daylight saving time since 1975), so these helpers need no
//! time-zone data and do not depend on the code under test.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Vietnam's offset from UTC.
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("a valid offset")
}

/// A calendar date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The instant of a local date and time (hours and minutes).
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    local_datetime(date(y, m, d).and_time(NaiveTime::from_hms_opt(h, min, 0).expect("a valid time")))
}

/// The instant of a local date ("2025-09-22") and time ("09:00").
pub fn local(date: &str, time: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date written YYYY-MM-DD");
    let t = NaiveTime::parse_from_str(time, "%H:%M").expect("a time written HH:MM");
    local_datetime(d.and_time(t))
}

fn local_datetime(t: NaiveDateTime) -> DateTime<Utc> {
    vietnam().from_local_datetime(&t).single().expect("UTC+7 has no gaps").with_timezone(&Utc)
}

/// An owned string.
pub fn s(text: &str) -> String {
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_instants_are_seven_hours_ahead_of_utc() {
        assert_eq!(at(2025, 9, 22, 9, 0).to_rfc3339(), "2025-09-22T02:00:00+00:00");
        assert_eq!(local("2025-01-01", "03:30").to_rfc3339(), "2024-12-31T20:30:00+00:00");
    }
}

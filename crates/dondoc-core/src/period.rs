//! Calendar periods: the spans of time that plans and reports talk about
//! (a year, a half year, nine months, a quarter, a month, an ISO week, a day).
//!
//! A period knows its first and last day, a Vietnamese label as reports print it
//! ("Quý III/2025", "6 tháng đầu năm 2026") and a stable key ("2025-Q3", "2026-H1") that
//! names a task occurrence in events.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A span of civil days in Asia/Ho_Chi_Minh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum Period {
    /// A calendar year.
    Year { year: i32 },
    /// First (`half = 1`, January–June) or second (`half = 2`) half of a year.
    Half { year: i32, half: u8 },
    /// January to September ("9 tháng").
    NineMonths { year: i32 },
    /// A calendar quarter, `quarter` in 1..=4 (the budget year is the calendar year).
    Quarter { year: i32, quarter: u8 },
    /// A calendar month, `month` in 1..=12.
    Month { year: i32, month: u8 },
    /// An ISO week (Monday to Sunday).
    Week { year: i32, week: u8 },
    /// One day.
    Day { date: NaiveDate },
}

/// The kinds of period, ordered from the longest to the shortest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Year,
    NineMonths,
    Half,
    Quarter,
    Month,
    Week,
    Day,
}

/// Error for an impossible period (month 13, quarter 5, week 54, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kỳ không hợp lệ: {0}")]
pub struct InvalidPeriod(pub String);

impl Period {
    /// A month, checked.
    pub fn month(year: i32, month: u32) -> Result<Self, InvalidPeriod> {
        if (1..=12).contains(&month) && NaiveDate::from_ymd_opt(year, month, 1).is_some() {
            Ok(Period::Month { year, month: month as u8 })
        } else {
            Err(InvalidPeriod(format!("tháng {month}/{year}")))
        }
    }

    /// A quarter, checked.
    pub fn quarter(year: i32, quarter: u32) -> Result<Self, InvalidPeriod> {
        if (1..=4).contains(&quarter) && NaiveDate::from_ymd_opt(year, 1, 1).is_some() {
            Ok(Period::Quarter { year, quarter: quarter as u8 })
        } else {
            Err(InvalidPeriod(format!("quý {quarter}/{year}")))
        }
    }

    /// A year, checked against the range chrono can represent.
    pub fn year(year: i32) -> Result<Self, InvalidPeriod> {
        if NaiveDate::from_ymd_opt(year, 1, 1).is_some() && NaiveDate::from_ymd_opt(year, 12, 31).is_some() {
            Ok(Period::Year { year })
        } else {
            Err(InvalidPeriod(format!("năm {year}")))
        }
    }

    /// A half year, checked.
    pub fn half(year: i32, half: u32) -> Result<Self, InvalidPeriod> {
        Period::year(year)?;
        if half == 1 || half == 2 {
            Ok(Period::Half { year, half: half as u8 })
        } else {
            Err(InvalidPeriod(format!("nửa năm {half}/{year}")))
        }
    }

    /// The kind of this period.
    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Year { .. } => PeriodKind::Year,
            Period::Half { .. } => PeriodKind::Half,
            Period::NineMonths { .. } => PeriodKind::NineMonths,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Month { .. } => PeriodKind::Month,
            Period::Week { .. } => PeriodKind::Week,
            Period::Day { .. } => PeriodKind::Day,
        }
    }

    /// The first day of the period.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            Period::Year { year } | Period::NineMonths { year } => ymd(year, 1, 1),
            Period::Half { year, half } => ymd(year, if half == 1 { 1 } else { 7 }, 1),
            Period::Quarter { year, quarter } => ymd(year, 3 * quarter as u32 - 2, 1),
            Period::Month { year, month } => ymd(year, month as u32, 1),
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week as u32, Weekday::Mon).expect("valid ISO week")
            }
            Period::Day { date } => date,
        }
    }

    /// The last day of the period (Bộ luật Dân sự 2015, Art. 146: "cuối tháng" is the
    /// month's last day, "cuối năm" is 31 December).
    pub fn last_day(&self) -> NaiveDate {
        match *self {
            Period::Year { year } => ymd(year, 12, 31),
            Period::Half { year, half } => {
                if half == 1 {
                    ymd(year, 6, 30)
                } else {
                    ymd(year, 12, 31)
                }
            }
            Period::NineMonths { year } => ymd(year, 9, 30),
            Period::Quarter { year, quarter } => last_day_of_month(year, 3 * quarter as u32),
            Period::Month { year, month } => last_day_of_month(year, month as u32),
            Period::Week { .. } => self.first_day() + Days::new(6),
            Period::Day { date } => date,
        }
    }

    /// The month (year, month) in which the period ends.
    pub fn last_month(&self) -> (i32, u32) {
        let d = self.last_day();
        (d.year(), d.month())
    }

    /// The Vietnamese label at the head of a line or cell (docs/van-phong.md): "Năm 2025",
    /// "6 tháng đầu năm 2026", "6 tháng cuối năm 2026", "9 tháng năm 2025", "Quý III/2025",
    /// "Tháng 9/2025", "Tuần 38/2025", "15/09/2025".
    pub fn label(&self) -> String {
        match *self {
            Period::Year { year } => format!("Năm {year}"),
            Period::Half { year, half: 1 } => format!("6 tháng đầu năm {year}"),
            Period::Half { year, .. } => format!("6 tháng cuối năm {year}"),
            Period::NineMonths { year } => format!("9 tháng năm {year}"),
            Period::Quarter { year, quarter } => format!("Quý {}/{year}", roman(quarter)),
            Period::Month { year, month } => format!("Tháng {month}/{year}"),
            Period::Week { year, week } => format!("Tuần {week}/{year}"),
            Period::Day { date } => date.format("%d/%m/%Y").to_string(),
        }
    }

    /// The label inside a sentence: "kỳ quý III/2025", "báo cáo 6 tháng đầu năm 2026".
    pub fn label_in_sentence(&self) -> String {
        crate::text::lower_first(&self.label())
    }

    /// The stable key naming an occurrence: "2025", "2026-H1", "2025-9M", "2025-Q3",
    /// "2025-09", "2025-W38", "2025-09-15". [`Period::from_str`] parses it back.
    pub fn key(&self) -> String {
        match *self {
            Period::Year { year } => format!("{year}"),
            Period::Half { year, half } => format!("{year}-H{half}"),
            Period::NineMonths { year } => format!("{year}-9M"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Week { year, week } => format!("{year}-W{week:02}"),
            Period::Day { date } => date.format("%Y-%m-%d").to_string(),
        }
    }

    /// Whether `date` lies within the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for Period {
    type Err = InvalidPeriod;

    /// Parses a key produced by [`Period::key`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidPeriod(s.to_string());
        let s = s.trim();
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Period::Day { date });
        }
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        let num = |t: &str| t.parse::<u32>().map_err(|_| bad());
        match rest {
            None => Period::year(year),
            Some("9M") => Period::year(year).map(|_| Period::NineMonths { year }),
            Some(r) if r.starts_with('H') => Period::half(year, num(&r[1..])?),
            Some(r) if r.starts_with('Q') => Period::quarter(year, num(&r[1..])?),
            Some(r) if r.starts_with('W') => {
                let week = num(&r[1..])?;
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
                    .map(|_| Period::Week { year, week: week as u8 })
                    .ok_or_else(bad)
            }
            Some(r) => Period::month(year, num(r)?),
        }
    }
}

/// Upper-case Roman numeral for a quarter (1..=4).
pub fn roman(n: u8) -> &'static str {
    match n {
        1 => "I",
        2 => "II",
        3 => "III",
        4 => "IV",
        _ => "?",
    }
}

/// The last day of a month.
pub fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt()).unwrap_or_else(|| ymd(year, month, 28))
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("period bounds are valid dates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_labels_and_keys() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let cases = [
            (Period::Year { year: 2025 }, d(2025, 1, 1), d(2025, 12, 31), "Năm 2025", "2025"),
            (Period::Half { year: 2026, half: 1 }, d(2026, 1, 1), d(2026, 6, 30), "6 tháng đầu năm 2026", "2026-H1"),
            (Period::Half { year: 2026, half: 2 }, d(2026, 7, 1), d(2026, 12, 31), "6 tháng cuối năm 2026", "2026-H2"),
            (Period::NineMonths { year: 2025 }, d(2025, 1, 1), d(2025, 9, 30), "9 tháng năm 2025", "2025-9M"),
            (Period::Quarter { year: 2025, quarter: 3 }, d(2025, 7, 1), d(2025, 9, 30), "Quý III/2025", "2025-Q3"),
            (Period::Quarter { year: 2024, quarter: 1 }, d(2024, 1, 1), d(2024, 3, 31), "Quý I/2024", "2024-Q1"),
            (Period::Month { year: 2024, month: 2 }, d(2024, 2, 1), d(2024, 2, 29), "Tháng 2/2024", "2024-02"),
            (Period::Month { year: 2025, month: 9 }, d(2025, 9, 1), d(2025, 9, 30), "Tháng 9/2025", "2025-09"),
            (Period::Week { year: 2025, week: 38 }, d(2025, 9, 15), d(2025, 9, 21), "Tuần 38/2025", "2025-W38"),
            (Period::Day { date: d(2025, 9, 15) }, d(2025, 9, 15), d(2025, 9, 15), "15/09/2025", "2025-09-15"),
        ];
        for (p, first, last, label, key) in cases {
            assert_eq!(p.first_day(), first, "{p:?}");
            assert_eq!(p.last_day(), last, "{p:?}");
            assert_eq!(p.label(), label);
            assert_eq!(p.key(), key);
            assert_eq!(key.parse::<Period>().unwrap(), p);
        }
    }

    #[test]
    fn invalid_keys_are_errors() {
        for bad in ["2025-13", "2025-Q5", "2025-H3", "x", "2025-W60", "2025-02-30", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}

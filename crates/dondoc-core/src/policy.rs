//! Reporting policy: how a recurring obligation's occurrences get their data window and
//! due date, and how ambiguous wording is read.
//!
//! The default preset, [`ReportingPolicy::nd09`], follows Nghị định 09/2019/NĐ-CP:
//! data cut-off per Art. 12 (monthly: the 15th of the previous month to the 14th;
//! quarterly: the 15th of the month before the quarter to the 14th of its last month;
//! 6 months: 15/12 of the previous year to 14/6; 9 months: to 14/9; annual: to 14/12)
//! and the sending deadline of Art. 13(1): the 25th of the period's last month. Other
//! presets: `end_of_period` (due on the period's last day, data window = the period) and
//! `khanh_hoa_2023` (QĐ 01/2023/QĐ-UBND Khánh Hòa: due 2 working days after the cut-off).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::period::{Period, PeriodKind, last_day_of_month};

/// When an occurrence is due, relative to its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum DueRule {
    /// The period's last day.
    EndOfPeriod,
    /// The last working day of the period.
    LastWorkingDay,
    /// A day of the period's last month (NĐ 09/2019 Art. 13(1): the 25th). Clamped to the
    /// month's length.
    DayOfLastMonth { day: u8 },
    /// A day of the month after the period.
    DayOfNextMonth { day: u8 },
    /// N working days after the data cut-off (Khánh Hòa: 2).
    WorkingDaysAfterCutoff { days: u8 },
}

/// Where an occurrence's data window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutoffRule {
    /// NĐ 09/2019 Art. 12: windows from the 15th to the 14th.
    Nd09,
    /// The window is the period itself.
    Period,
}

/// How "Trước ngày 15/12/2025" is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeforeDate {
    /// Due by the end of the day before (14/12): the literal reading.
    #[default]
    Strict,
    /// Due by the end of the named day (15/12), as some offices read it.
    Inclusive,
}

/// The due-date rules of one regime, per period kind, and the reading of ambiguous text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingPolicy {
    /// A name for people and logs ("nd09").
    pub name: String,
    pub cutoff: CutoffRule,
    pub day: DueRule,
    pub week: DueRule,
    pub month: DueRule,
    pub quarter: DueRule,
    pub half: DueRule,
    pub nine_months: DueRule,
    pub year: DueRule,
    #[serde(default)]
    pub before_date: BeforeDate,
}

impl Default for ReportingPolicy {
    fn default() -> Self {
        ReportingPolicy::nd09()
    }
}

impl ReportingPolicy {
    /// Nghị định 09/2019/NĐ-CP Art. 12–13 (the default).
    pub fn nd09() -> Self {
        let d25 = DueRule::DayOfLastMonth { day: 25 };
        ReportingPolicy {
            name: "nd09".into(),
            cutoff: CutoffRule::Nd09,
            day: DueRule::EndOfPeriod,
            week: DueRule::LastWorkingDay,
            month: d25,
            quarter: d25,
            half: d25,
            nine_months: d25,
            year: d25,
            before_date: BeforeDate::Strict,
        }
    }

    /// Every occurrence due on its period's last day.
    pub fn end_of_period() -> Self {
        let e = DueRule::EndOfPeriod;
        ReportingPolicy {
            name: "end_of_period".into(),
            cutoff: CutoffRule::Period,
            day: e,
            week: e,
            month: e,
            quarter: e,
            half: e,
            nine_months: e,
            year: e,
            before_date: BeforeDate::Strict,
        }
    }

    /// Khánh Hòa QĐ 01/2023/QĐ-UBND Art. 4: NĐ 09 windows, due 2 working days after the cut-off.
    pub fn khanh_hoa_2023() -> Self {
        let w2 = DueRule::WorkingDaysAfterCutoff { days: 2 };
        ReportingPolicy {
            name: "khanh_hoa_2023".into(),
            month: w2,
            quarter: w2,
            half: w2,
            nine_months: w2,
            year: w2,
            ..ReportingPolicy::nd09()
        }
    }

    /// A preset by name: `nd09`, `end_of_period`, `khanh_hoa_2023`.
    pub fn preset(name: &str) -> Option<Self> {
        match name.replace('-', "_").as_str() {
            "nd09" => Some(Self::nd09()),
            "end_of_period" => Some(Self::end_of_period()),
            "khanh_hoa_2023" => Some(Self::khanh_hoa_2023()),
            _ => None,
        }
    }

    /// The rule for a period kind.
    pub fn rule(&self, kind: PeriodKind) -> DueRule {
        match kind {
            PeriodKind::Day => self.day,
            PeriodKind::Week => self.week,
            PeriodKind::Month => self.month,
            PeriodKind::Quarter => self.quarter,
            PeriodKind::Half => self.half,
            PeriodKind::NineMonths => self.nine_months,
            PeriodKind::Year => self.year,
        }
    }

    /// The data window `(from, to)` of a period's report.
    pub fn data_window(&self, period: &Period) -> (NaiveDate, NaiveDate) {
        match (self.cutoff, period) {
            (CutoffRule::Period, p) | (CutoffRule::Nd09, p @ (Period::Day { .. } | Period::Week { .. })) => {
                (p.first_day(), p.last_day())
            }
            (CutoffRule::Nd09, p) => {
                let (y, m) = p.last_month();
                let to = NaiveDate::from_ymd_opt(y, m, 14).expect("14th exists");
                let from = match p {
                    Period::Month { .. } | Period::Quarter { .. } => {
                        let first = p.first_day();
                        let prev = first.pred_opt().unwrap_or(first);
                        NaiveDate::from_ymd_opt(prev.year(), prev.month(), 15).expect("15th exists")
                    }
                    Period::Half { year, half: 2 } => NaiveDate::from_ymd_opt(*year, 6, 15).expect("exists"),
                    _ => NaiveDate::from_ymd_opt(p.first_day().year() - 1, 12, 15).unwrap_or(p.first_day()),
                };
                (from, to)
            }
        }
    }

    /// The nominal due date of a period's report (before rollover).
    pub fn nominal_due(&self, period: &Period, calendar: &WorkCalendar) -> NaiveDate {
        let (y, m) = period.last_month();
        let clamp = |y, m, day: u8| {
            let last = last_day_of_month(y, m);
            NaiveDate::from_ymd_opt(y, m, u32::from(day).clamp(1, last.day())).unwrap_or(last)
        };
        match self.rule(period.kind()) {
            DueRule::EndOfPeriod => period.last_day(),
            DueRule::LastWorkingDay => {
                let d = calendar.roll_back(period.last_day());
                if d < period.first_day() { period.last_day() } else { d }
            }
            DueRule::DayOfLastMonth { day } => clamp(y, m, day),
            DueRule::DayOfNextMonth { day } => {
                let next = period.last_day() + Days::new(1);
                clamp(next.year(), next.month(), day)
            }
            DueRule::WorkingDaysAfterCutoff { days } => {
                calendar.add_working_days(self.data_window(period).1, i64::from(days))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn nd09_windows_and_deadlines() {
        let p = ReportingPolicy::nd09();
        let cal = WorkCalendar::default();
        let cases = [
            (Period::Month { year: 2025, month: 9 }, (d(2025, 8, 15), d(2025, 9, 14)), d(2025, 9, 25)),
            (Period::Quarter { year: 2025, quarter: 3 }, (d(2025, 6, 15), d(2025, 9, 14)), d(2025, 9, 25)),
            (Period::Quarter { year: 2026, quarter: 1 }, (d(2025, 12, 15), d(2026, 3, 14)), d(2026, 3, 25)),
            (Period::Half { year: 2026, half: 1 }, (d(2025, 12, 15), d(2026, 6, 14)), d(2026, 6, 25)),
            (Period::Half { year: 2026, half: 2 }, (d(2026, 6, 15), d(2026, 12, 14)), d(2026, 12, 25)),
            (Period::NineMonths { year: 2025 }, (d(2024, 12, 15), d(2025, 9, 14)), d(2025, 9, 25)),
            (Period::Year { year: 2026 }, (d(2025, 12, 15), d(2026, 12, 14)), d(2026, 12, 25)),
            (Period::Month { year: 2025, month: 1 }, (d(2024, 12, 15), d(2025, 1, 14)), d(2025, 1, 25)),
        ];
        for (period, window, due) in cases {
            assert_eq!(p.data_window(&period), window, "{period:?}");
            assert_eq!(p.nominal_due(&period, &cal), due, "{period:?}");
        }
    }

    #[test]
    fn presets_by_name() {
        for name in ["nd09", "end-of-period", "khanh_hoa_2023"] {
            assert!(ReportingPolicy::preset(name).is_some(), "{name}");
        }
        assert!(ReportingPolicy::preset("x").is_none());
    }
}

//! Calendar data that no rule derives: per-year notices (the five Tết days, the second
//! Quốc khánh day, swapped working days, extra days off) and extra yearly holidays.
//! Deserialised from `config/calendar.toml` by the binary; validated here.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Everything the work calendar needs besides the Labour Code's own rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// Yearly holidays beyond Labour Code 2019 Art. 112(1), e.g. 24/11 Ngày Văn hóa Việt Nam.
    #[serde(default, rename = "holiday")]
    pub extra_holidays: Vec<ExtraHoliday>,
    /// Per-year notices, keyed by the year ("2026").
    #[serde(default, rename = "year")]
    pub years: BTreeMap<String, YearNotice>,
    /// Working hours; defaults to 07:30–11:30 and 13:30–17:00.
    #[serde(default)]
    pub hours: Option<super::WorkingHours>,
}

/// A holiday on a fixed solar day every year, in force from a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraHoliday {
    /// Vietnamese name, e.g. "Ngày Văn hóa Việt Nam".
    pub name: String,
    pub month: u32,
    pub day: u32,
    /// First date on which it is a day off.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last date on which it is a day off.
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Whether a weekend occurrence gives a compensatory day (nghỉ bù).
    #[serde(default)]
    pub compensate: bool,
    /// Where the rule comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// What the year's official notice fixed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearNotice {
    /// The notice(s) this comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// The five Tết Âm lịch days off (replaces the default rule).
    #[serde(default)]
    pub tet: Option<Vec<NaiveDate>>,
    /// The Quốc khánh days (2/9 and the adjacent day chosen that year).
    #[serde(default)]
    pub national_day: Option<Vec<NaiveDate>>,
    /// Further days off (swapped working days, extra days given by the Government).
    #[serde(default)]
    pub days_off: Vec<NamedDay>,
    /// Weekend days that are worked (the other half of a swap).
    #[serde(default)]
    pub working_days: Vec<NamedDay>,
}

/// A date with a Vietnamese name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedDay {
    pub date: NaiveDate,
    pub name: String,
}

/// A calendar configuration that does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarConfigError {
    #[error("cấu hình lịch: khóa năm \"{0}\" không phải là một năm")]
    BadYearKey(String),
    #[error("cấu hình lịch năm {year}: ngày {date} không thuộc năm {year} ({field})")]
    DateOutsideYear { year: i32, date: NaiveDate, field: &'static str },
    #[error("cấu hình lịch năm {year}: ngày làm bù {date} không phải thứ Bảy hay Chủ nhật")]
    WorkingDayNotOff { year: i32, date: NaiveDate },
    #[error("cấu hình lịch năm {year}: Quốc khánh phải gồm ngày 02/9 và một ngày liền kề (01/9 hoặc 03/9)")]
    BadNationalDay { year: i32 },
    #[error("cấu hình lịch: ngày lễ \"{name}\" có ngày {day}/{month} không hợp lệ")]
    BadExtraHoliday { name: String, month: u32, day: u32 },
    #[error("cấu hình lịch: giờ làm việc không hợp lệ: {0}")]
    BadHours(String),
}

impl CalendarConfig {
    /// Checks every date against its year and every rule against the calendar.
    /// Returns the notices keyed by numeric year.
    pub fn validated_years(&self) -> Result<BTreeMap<i32, YearNotice>, CalendarConfigError> {
        for h in &self.extra_holidays {
            if NaiveDate::from_ymd_opt(2000, h.month, h.day).is_none() {
                return Err(CalendarConfigError::BadExtraHoliday { name: h.name.clone(), month: h.month, day: h.day });
            }
        }
        if let Some(hours) = &self.hours {
            hours.validate().map_err(CalendarConfigError::BadHours)?;
        }
        let mut out = BTreeMap::new();
        for (key, notice) in &self.years {
            let year: i32 = key.trim().parse().map_err(|_| CalendarConfigError::BadYearKey(key.clone()))?;
            let check = |date: NaiveDate, field: &'static str| {
                if date.year() == year {
                    Ok(())
                } else {
                    Err(CalendarConfigError::DateOutsideYear { year, date, field })
                }
            };
            for d in notice.tet.iter().flatten() {
                check(*d, "tet")?;
            }
            if let Some(nd) = &notice.national_day {
                for d in nd {
                    check(*d, "national_day")?;
                }
                let sep = |day| NaiveDate::from_ymd_opt(year, 9, day);
                let ok = nd.len() == 2
                    && nd.contains(&sep(2).expect("2/9 exists"))
                    && (nd.contains(&sep(1).expect("1/9 exists")) || nd.contains(&sep(3).expect("3/9 exists")));
                if !ok {
                    return Err(CalendarConfigError::BadNationalDay { year });
                }
            }
            for d in &notice.days_off {
                check(d.date, "days_off")?;
            }
            for d in &notice.working_days {
                check(d.date, "working_days")?;
                if !matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(CalendarConfigError::WorkingDayNotOff { year, date: d.date });
                }
            }
            out.insert(year, notice.clone());
        }
        Ok(out)
    }
}

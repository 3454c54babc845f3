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
    /// Known from secondary sources only (news, other projects), not from the notice's text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
    /// The five Tết Âm lịch days off (replaces the default rule).
    #[serde(default)]
    pub tet: Option<Vec<NaiveDate>>,
    /// The Quốc khánh days (2/9 and the adjacent day chosen that year).
    #[serde(default)]
    pub national_day: Option<Vec<NaiveDate>>,
    /// Further days off (swapped working days, extra days given by the Government).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days_off: Vec<NamedDay>,
    /// Weekend days that are worked (the other half of a swap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
    #[error("cấu hình lịch năm {year}: ngày nghỉ Tết không hợp lệ: {reason}")]
    BadTet { year: i32, reason: String },
    #[error("cấu hình lịch năm {year}: ngày {date} vừa là ngày nghỉ vừa là ngày làm bù")]
    OffAndWorked { year: i32, date: NaiveDate },
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
            if let Some(tet) = &notice.tet {
                for d in tet {
                    check(*d, "tet")?;
                }
                check_tet(year, tet)?;
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
            if let Some(w) = notice.working_days.iter().find(|w| notice.days_off.iter().any(|o| o.date == w.date)) {
                return Err(CalendarConfigError::OffAndWorked { year, date: w.date });
            }
            out.insert(year, notice.clone());
        }
        Ok(out)
    }

    /// This configuration with the notices of `overlay` (e.g. those the secretariat
    /// recorded with `dondoc calendar add-notice`): a year there replaces the year here.
    pub fn with_notices(mut self, overlay: &CalendarConfig) -> CalendarConfig {
        for (year, notice) in &overlay.years {
            self.years.insert(year.clone(), notice.clone());
        }
        self
    }
}

impl YearNotice {
    /// This notice completed by `later` (a further notice of the same year): its Tết and
    /// Quốc khánh days replace these when given; its days off and worked days are added,
    /// replacing any of the same date; the sources are joined.
    pub fn merged(&self, later: &YearNotice) -> YearNotice {
        fn join(mine: &[NamedDay], theirs: &[NamedDay]) -> Vec<NamedDay> {
            let mut out: Vec<NamedDay> =
                mine.iter().filter(|d| theirs.iter().all(|t| t.date != d.date)).cloned().collect();
            out.extend(theirs.iter().cloned());
            out.sort_by_key(|d| d.date);
            out
        }
        let source = match (&self.source, &later.source) {
            (Some(a), Some(b)) if a.contains(b.as_str()) => Some(a.clone()),
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => b.clone().or_else(|| a.clone()),
        };
        // A day that becomes a day off is no longer worked, and the reverse.
        let days_off = join(&self.days_off, &later.days_off);
        let working_days = join(&self.working_days, &later.working_days);
        YearNotice {
            source,
            unverified: later.unverified,
            tet: later.tet.clone().or_else(|| self.tet.clone()),
            national_day: later.national_day.clone().or_else(|| self.national_day.clone()),
            days_off: days_off
                .iter()
                .filter(|d| later.working_days.iter().all(|w| w.date != d.date))
                .cloned()
                .collect(),
            working_days: working_days
                .into_iter()
                .filter(|w| later.days_off.iter().all(|d| d.date != w.date))
                .collect(),
        }
    }
}

/// The Tết days of a notice: five distinct days (four before 2013) around mùng 1 Tết.
fn check_tet(year: i32, tet: &[NaiveDate]) -> Result<(), CalendarConfigError> {
    let bad = |reason: String| Err(CalendarConfigError::BadTet { year, reason });
    let want = if year >= 2013 { 5 } else { 4 };
    let mut days = tet.to_vec();
    days.sort();
    days.dedup();
    if days.len() != tet.len() {
        return bad("có ngày bị lặp".into());
    }
    if days.len() != want {
        return bad(format!("cần đúng {want} ngày (Điều 112 Bộ luật Lao động), có {}", days.len()));
    }
    let first = super::lunar::tet(year);
    if let Some(far) = days.iter().find(|d| (**d - first).num_days().abs() > 10) {
        return bad(format!(
            "ngày {} cách mùng 1 Tết ({}) quá 10 ngày",
            far.format("%d/%m/%Y"),
            first.format("%d/%m/%Y")
        ));
    }
    Ok(())
}

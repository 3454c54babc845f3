//! The Vietnamese public-sector work calendar.
//!
//! A working day is Monday to Friday, less the public holidays of the Labour Code 2019
//! (Art. 112(1), Tết and Giỗ Tổ by the lunar calendar at UTC+7), their compensatory days
//! (Art. 111(3)), extra yearly holidays from config, and the days off of the year's notice;
//! plus the weekend days the notice makes working days. Deadlines that fall on a day off
//! end at the end of the next working day (Bộ luật Dân sự 2015, Art. 148(5)); the end of a
//! day is 24:00 (Art. 148(6)).

pub(crate) mod astro;
mod config;
mod holidays;
mod hours;
pub mod lunar;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

pub use config::{CalendarConfig, CalendarConfigError, ExtraHoliday, NamedDay, YearNotice};
pub use holidays::{DayOff, DayOffKind, Provenance, YearStatus};
pub use hours::WorkingHours;

use holidays::YearTable;

/// The time zone of every date in dondoc.
pub const TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// How many days after a deadline a provisional day off still makes it provisional.
pub const PROVISIONAL_MARGIN_DAYS: u64 = 3;

/// Years whose tables are cached; others are computed on each call.
const CACHE_FIRST: i32 = 1900;
const CACHE_LAST: i32 = 2199;

/// The work calendar: which days are working days, rollover, working-day arithmetic and
/// working hours. Cheap to share (`&WorkCalendar` is `Sync`); year tables are computed on
/// first use and cached.
#[derive(Debug)]
pub struct WorkCalendar {
    extra: Vec<ExtraHoliday>,
    notices: BTreeMap<i32, YearNotice>,
    hours: WorkingHours,
    years: Box<[OnceLock<YearTable>]>,
}

impl Default for WorkCalendar {
    /// The statutory calendar with no per-year notices.
    fn default() -> Self {
        WorkCalendar::new(&CalendarConfig::default()).expect("the empty config is valid")
    }
}

impl WorkCalendar {
    /// A calendar from validated configuration.
    pub fn new(config: &CalendarConfig) -> Result<Self, CalendarConfigError> {
        let notices = config.validated_years()?;
        let size = (CACHE_LAST - CACHE_FIRST + 1) as usize;
        Ok(WorkCalendar {
            extra: config.extra_holidays.clone(),
            notices,
            hours: config.hours.clone().unwrap_or_default(),
            years: (0..size).map(|_| OnceLock::new()).collect(),
        })
    }

    fn with_year<R>(&self, year: i32, f: impl FnOnce(&YearTable) -> R) -> R {
        let build = || YearTable::build(year, &self.extra, self.notices.get(&year));
        if (CACHE_FIRST..=CACHE_LAST).contains(&year) {
            f(self.years[(year - CACHE_FIRST) as usize].get_or_init(build))
        } else {
            f(&build())
        }
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !self.with_year(date.year(), |t| t.is_off(date))
    }

    /// Why `date` is off, when it is a holiday, a compensatory or a notice day off.
    pub fn day_off(&self, date: NaiveDate) -> Option<DayOff> {
        self.with_year(date.year(), |t| t.days_off.iter().find(|d| d.date == date).cloned())
    }

    /// Every day off of `year` that is not a plain weekend day, by date.
    pub fn days_off(&self, year: i32) -> Vec<DayOff> {
        self.with_year(year, |t| t.days_off.clone())
    }

    /// Weekend days of `year` that are worked by notice (the other half of a swap).
    pub fn worked_weekend_days(&self, year: i32) -> Vec<(NaiveDate, String)> {
        self.with_year(year, |t| t.worked.clone())
    }

    /// Whether Tết and Quốc khánh of `year` come from an official notice in config
    /// rather than from the default rules.
    pub fn is_confirmed(&self, year: i32) -> bool {
        !self.year_status(year).is_provisional()
    }

    /// Which parts of `year`'s schedule come from a recorded notice and which from the
    /// default rules (provisional).
    pub fn year_status(&self, year: i32) -> YearStatus {
        self.with_year(year, |t| t.status.clone())
    }

    /// The provisional days off (placed by a default rule, the year's notice not being
    /// recorded) that could move a deadline running from `nominal` to `due`: those from
    /// `nominal` to [`PROVISIONAL_MARGIN_DAYS`] after `due` (a notice that lengthens the
    /// break or swaps a bridging day may reach a few days beyond the default's days).
    pub fn provisional_days_near(&self, nominal: NaiveDate, due: NaiveDate) -> Vec<DayOff> {
        let last = due.checked_add_days(Days::new(PROVISIONAL_MARGIN_DAYS)).unwrap_or(due);
        let mut out = Vec::new();
        for year in nominal.year()..=last.year() {
            self.with_year(year, |t| {
                out.extend(t.days_off.iter().filter(|d| d.provisional && nominal <= d.date && d.date <= last).cloned())
            });
        }
        out
    }

    /// Art. 148(5): `date` if it is a working day, else the next working day.
    pub fn rollover(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            match d.succ_opt() {
                Some(n) => d = n,
                None => return d,
            }
        }
        d
    }

    /// The working day on or before `date`.
    pub fn roll_back(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            match d.pred_opt() {
                Some(p) => d = p,
                None => return d,
            }
        }
        d
    }

    /// The `n`-th working day after `date` (`n > 0`) or before it (`n < 0`), not counting
    /// `date` itself (Art. 147(2)); `date` when `n == 0`.
    pub fn add_working_days(&self, date: NaiveDate, n: i64) -> NaiveDate {
        let mut d = date;
        let mut left = n.unsigned_abs();
        while left > 0 {
            let next = if n > 0 { d.succ_opt() } else { d.pred_opt() };
            match next {
                Some(x) => d = x,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The `n`-th working day before `date` (n ≥ 1); e.g. a reminder 3 working days ahead.
    pub fn nth_working_day_before(&self, date: NaiveDate, n: u32) -> NaiveDate {
        self.add_working_days(date, -i64::from(n))
    }

    /// Working days in `(from, to]`; negative when `to < from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0;
        let mut d = a;
        while d < b {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                count += 1;
            }
        }
        sign * count
    }

    /// The configured working hours.
    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// Whether `instant` falls in working hours of a working day.
    pub fn is_working_time(&self, instant: DateTime<Utc>) -> bool {
        let local = instant.with_timezone(&TZ);
        self.is_working_day(local.date_naive()) && self.hours.contains(local.time())
    }

    /// The first instant at or after `instant` that is in working hours.
    pub fn next_working_time(&self, instant: DateTime<Utc>) -> DateTime<Utc> {
        let local = instant.with_timezone(&TZ);
        let mut date = local.date_naive();
        if self.is_working_day(date)
            && let Some(t) = self.hours.next_on_same_day(local.time())
        {
            return local_instant(date, t);
        }
        loop {
            date = match date.succ_opt() {
                Some(d) => d,
                None => return instant,
            };
            if self.is_working_day(date) {
                return local_instant(date, self.hours.opening());
            }
        }
    }
}

/// The civil date of `instant` in Asia/Ho_Chi_Minh.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&TZ).date_naive()
}

/// The instant of a local date and time in Asia/Ho_Chi_Minh (no DST: always unambiguous
/// since 1975; the earliest mapping is taken otherwise).
pub fn local_instant(date: NaiveDate, time: chrono::NaiveTime) -> DateTime<Utc> {
    TZ.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&date.and_time(time)))
}

/// The end of `date` (24:00 local, Art. 148(6)) as an instant: the start of the next day.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    local_instant(next, chrono::NaiveTime::MIN)
}

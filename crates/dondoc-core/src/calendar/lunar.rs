//! The Vietnamese lunar calendar (âm lịch), computed at UTC+7.
//!
//! The rules are the ones published by Hồ Ngọc Đức (after the *Explanatory Supplement to
//! the Astronomical Almanac*), applied at meridian 105° E (UTC+7), with precise astronomy
//! (the sibling `astro` module) instead of his simplified formulas:
//!
//! 1. A month begins on the local (UTC+7) civil day that contains the true new moon.
//! 2. The December solstice (apparent solar longitude 270°) falls in month 11: month 11
//!    begins (00:00 UTC+7) at or before the solstice and the next month begins after it.
//! 3. When there are 13 months from one month 11 to the next, the first of them after
//!    month 11 that contains no principal term (trung khí, a solar longitude that is a
//!    multiple of 30°) between the midnights that start it and the next month is the leap
//!    month; it repeats the number of the month before it.
//!
//! Accuracy: new moons from Meeus ch. 49 are good to about 5 s (at worst ~17 s) and the
//! few of 1900–2025 that fall within a minute of local midnight are taken from JPL's DE421;
//! solar terms are good to a second, plus ΔT. ΔT is extrapolated after 2025, so a month
//! start is in doubt when its new moon is within about a minute of local midnight (month 4
//! of 2054: ~20 s after). The results match PyEphem month by month for lunar years
//! 1900–2100 (`tests/lunar.rs`). Outside 1800–2199 they follow the same rules with growing
//! uncertainty (ΔT, the series' range of validity): best effort.
//!
//! History: UTC+7 is the rule of North Vietnam since 1968 and of the whole country since
//! 1976. Earlier Vietnamese almanacs used China's UTC+8 and differ in a few years (e.g.
//! Tết 1968); this module applies UTC+7 to every year.
//!
//! Every function is total and never panics. Lunar years are computed for
//! [`MIN_YEAR`]..=[`MAX_YEAR`] (so every date of years 1–9999 converts exactly); a year
//! outside is clamped to that range by [`tet`], [`gio_to`] and [`year_months`], has no
//! dates for [`to_solar`], and [`to_lunar`] maps a date outside to the nearest end of the
//! range. Years 1600–2400 are cached after first use.

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};

use super::astro;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// Lunar year (the year in which its month 1 begins).
    pub year: i32,
    /// Month number, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=30.
    pub day: u8,
    /// Whether the month is the leap (nhuận) month that repeats `month`.
    pub leap: bool,
}

/// One month of a lunar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarMonth {
    /// Month number, 1..=12.
    pub number: u8,
    /// Whether this is the leap (nhuận) month repeating `number`.
    pub leap: bool,
    /// Its first day (mùng 1).
    pub first_day: NaiveDate,
    /// 29 or 30.
    pub days: u8,
}

/// The smallest lunar year computed; smaller years are clamped to it.
pub const MIN_YEAR: i32 = -9_999;
/// The largest lunar year computed; larger years are clamped to it. (Meeus's new-moon
/// series stops giving 29–30-day months some 20,000 years out; this keeps well clear.)
pub const MAX_YEAR: i32 = 9_999;

/// Tết Nguyên đán: the first day of the first month of lunar year `year` (clamped to
/// [`MIN_YEAR`]..=[`MAX_YEAR`]).
pub fn tet(year: i32) -> NaiveDate {
    months_of(year).first().map_or(NaiveDate::MIN, |m| m.first_day)
}

/// Giỗ Tổ Hùng Vương: the 10th day of the (non-leap) 3rd month of lunar year `year`
/// (clamped to [`MIN_YEAR`]..=[`MAX_YEAR`]).
pub fn gio_to(year: i32) -> NaiveDate {
    let year = year.clamp(MIN_YEAR, MAX_YEAR);
    let date = LunarDate { year, month: 3, day: 10, leap: false };
    // Month 3 always exists and has at least 29 days.
    to_solar(date).unwrap_or_else(|| tet(year))
}

/// The months of lunar year `year` (clamped to [`MIN_YEAR`]..=[`MAX_YEAR`]), from month 1
/// to the last month before the next Tết, the leap month included (12 or 13 months).
pub fn year_months(year: i32) -> Vec<LunarMonth> {
    months_of(year).into_owned()
}

/// The solar date of a lunar date, or `None` if it does not exist
/// (day 30 of a 29-day month, a leap month the year does not have, a year outside
/// [`MIN_YEAR`]..=[`MAX_YEAR`]).
pub fn to_solar(date: LunarDate) -> Option<NaiveDate> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year) {
        return None;
    }
    let months = months_of(date.year);
    let month = months.iter().find(|m| m.number == date.month && m.leap == date.leap)?;
    if date.day == 0 || date.day > month.days {
        return None;
    }
    month.first_day.checked_add_days(chrono::Days::new(u64::from(date.day - 1)))
}

/// The lunar date of a solar date. A date outside lunar years
/// [`MIN_YEAR`]..=[`MAX_YEAR`] gives the first or last day of that range's months.
pub fn to_lunar(date: NaiveDate) -> LunarDate {
    let mut year = date.year().clamp(MIN_YEAR, MAX_YEAR);
    // The lunar year starting in `date.year()` or the one before; a few steps at most.
    for _ in 0..4 {
        let months = months_of(year);
        let (Some(first), Some(last)) = (months.first(), months.last()) else { break };
        if date < first.first_day && year > MIN_YEAR {
            year -= 1;
        } else if date >= add_days(last.first_day, i64::from(last.days)) && year < MAX_YEAR {
            year += 1;
        } else {
            return locate(year, &months, date);
        }
    }
    locate(year, &months_of(year), date)
}

/// The lunar date of `date` within the months of lunar year `year`.
fn locate(year: i32, months: &[LunarMonth], date: NaiveDate) -> LunarDate {
    let index = months.partition_point(|m| m.first_day <= date).saturating_sub(1);
    let Some(month) = months.get(index) else {
        return LunarDate { year, month: 1, day: 1, leap: false };
    };
    // Only a date outside the computed range falls outside its month.
    let day = (date - month.first_day).num_days().clamp(0, i64::from(month.days.max(1)) - 1) + 1;
    LunarDate { year, month: month.number, day: day as u8, leap: month.leap }
}

// ---------------------------------------------------------------------------------------
// Days
// ---------------------------------------------------------------------------------------

/// The zone offset of UTC+7, in days.
const ZONE_DAYS: f64 = 7.0 / 24.0;
/// Julian Day Number minus chrono's `num_days_from_ce` (JDN 1721426 is 0001-01-01).
const JDN_CE_OFFSET: i64 = 1_721_425;

/// The local (UTC+7) civil day, as a Julian Day Number, containing instant `jd` (UT).
fn local_day(jd: f64) -> i64 {
    // Saturating float-to-int cast: never panics.
    (jd + 0.5 + ZONE_DAYS).floor() as i64
}

/// The instant (JD, UT) at which local day `jdn` begins (00:00 UTC+7).
fn day_start(jdn: i64) -> f64 {
    jdn as f64 - 0.5 - ZONE_DAYS
}

/// The date of a Julian Day Number, clamped to chrono's range.
fn jdn_to_date(jdn: i64) -> NaiveDate {
    let days = jdn.saturating_sub(JDN_CE_OFFSET);
    i32::try_from(days).ok().and_then(NaiveDate::from_num_days_from_ce_opt).unwrap_or(if days < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// `date` plus `days`, saturating at chrono's range.
fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(chrono::Duration::days(days)).unwrap_or(NaiveDate::MAX)
}

// ---------------------------------------------------------------------------------------
// Months between two solstices
// ---------------------------------------------------------------------------------------

/// The months from the month 11 that holds the December solstice of Gregorian year `s`
/// to the next month 11 (excluded): 12 or 13 months.
#[derive(Debug, Clone)]
struct Span {
    /// First days (JDN) of its months, then the first day of the next month 11.
    starts: Vec<i64>,
    /// Index (into `starts`) of the leap month, when there are 13 months.
    leap: Option<usize>,
}

/// Month starts taken from JPL's DE421 ephemeris with observed ΔT instead of Meeus ch. 49,
/// as (lunation k, first day): every new moon of 1900–2025 within 60 s of a UTC+7
/// midnight. Meeus's series is off by up to ~17 s (σ ≈ 5 s against DE421), which cannot
/// decide these days; from 2026 on, ΔT is a forecast and the day is as doubtful either way.
/// Generated by `tools/lunar_vectors.py --de421-close-calls 60`.
const DE421_MONTH_STARTS: [(i64, (i32, u32, u32)); 2] = [
    (-687, (1944, 6, 20)), // 16:59:33 UT1, 27 s before midnight (Meeus: 25 s before)
    (-402, (1967, 7, 8)),  // 17:00:04 UT1, 4 s after midnight (Meeus: 2 s before)
];

/// The local first day (JDN) of lunation `k`'s month.
fn month_start(k: i64) -> i64 {
    let fixed = DE421_MONTH_STARTS.iter().find(|(lunation, _)| *lunation == k);
    if let Some(&(_, (y, m, d))) = fixed
        && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
    {
        return i64::from(date.num_days_from_ce()) + JDN_CE_OFFSET;
    }
    local_day(astro::tt_to_ut(astro::new_moon_jde(k)))
}

/// The lunation whose month holds the December solstice of year `s` (rule 2).
fn month11_lunation(s: i64) -> i64 {
    let solstice = astro::december_solstice(s);
    let mut k = astro::lunation_before(solstice);
    // The true new moon is within a day of the mean one: one or two steps at most.
    for _ in 0..8 {
        if day_start(month_start(k)) > solstice {
            k -= 1;
        } else if day_start(month_start(k + 1)) <= solstice {
            k += 1;
        } else {
            break;
        }
    }
    k
}

/// The principal term (trung khí) sector, 0..12, the Sun is in when local day `jdn` begins.
fn term_sector(jdn: i64) -> i64 {
    (astro::sun_longitude_at_ut(day_start(jdn)) / 30.0).floor() as i64
}

/// The span of the December solstice of year `s`, with its leap month (rules 1–3).
fn compute_span(s: i64) -> Span {
    let k11 = month11_lunation(s);
    let k11_next = month11_lunation(s + 1);
    // Always 12 or 13 lunations (checked for every year in range); clamped defensively.
    let count = (k11_next - k11).clamp(12, 13);
    let starts: Vec<i64> = (k11..=k11 + count).map(month_start).collect();
    let leap = (count == 13).then(|| {
        let sectors: Vec<i64> = starts.iter().map(|&d| term_sector(d)).collect();
        // Month 11 itself holds the solstice; the search starts with the month after it.
        (1..13).find(|&i| sectors[i] == sectors[i + 1]).unwrap_or(12)
    });
    Span { starts, leap }
}

/// The months of a span as (number, leap, first day JDN, next month's first day JDN).
fn numbered(span: &Span) -> Vec<(u8, bool, i64, i64)> {
    let mut number = 10u8;
    span.starts
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let leap = span.leap == Some(i);
            if !leap {
                number = number % 12 + 1;
            }
            (number, leap, w[0], w[1])
        })
        .collect()
}

/// The lunar year `year`: months 1.. of the span of solstice `year − 1`, then the months
/// before month 1 of the span of solstice `year`.
fn compute_year(year: i32) -> Vec<LunarMonth> {
    let year = i64::from(year);
    let is_tet = |m: &(u8, bool, i64, i64)| m.0 == 1 && !m.1;
    let this = numbered(&span(year - 1));
    let next = numbered(&span(year));
    let head = this.iter().skip_while(|m| !is_tet(m));
    let tail = next.iter().take_while(|m| !is_tet(m));
    head.chain(tail)
        .map(|&(number, leap, first, end)| LunarMonth {
            number,
            leap,
            first_day: jdn_to_date(first),
            days: u8::try_from(end - first).unwrap_or(30),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Cache (computation only; no I/O)
// ---------------------------------------------------------------------------------------

const CACHE_FIRST: i32 = 1600;
const CACHE_LAST: i32 = 2400;
const CACHE_LEN: usize = (CACHE_LAST - CACHE_FIRST + 1) as usize;

static SPANS: [OnceLock<Span>; CACHE_LEN] = [const { OnceLock::new() }; CACHE_LEN];
static YEARS: [OnceLock<Vec<LunarMonth>>; CACHE_LEN] = [const { OnceLock::new() }; CACHE_LEN];

/// The cache slot of a year, if it is cached.
fn slot(year: i64) -> Option<usize> {
    let index = usize::try_from(year - i64::from(CACHE_FIRST)).ok()?;
    (index < CACHE_LEN).then_some(index)
}

fn span(s: i64) -> Cow<'static, Span> {
    match slot(s) {
        Some(i) => Cow::Borrowed(SPANS[i].get_or_init(|| compute_span(s))),
        None => Cow::Owned(compute_span(s)),
    }
}

/// The months of lunar year `year` (clamped to [`MIN_YEAR`]..=[`MAX_YEAR`]).
fn months_of(year: i32) -> Cow<'static, [LunarMonth]> {
    let year = year.clamp(MIN_YEAR, MAX_YEAR);
    match slot(i64::from(year)) {
        Some(i) => Cow::Borrowed(YEARS[i].get_or_init(|| compute_year(year)).as_slice()),
        None => Cow::Owned(compute_year(year)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn day_boundaries_are_utc_plus_7() {
        let jdn = ymd(2024, 2, 10).num_days_from_ce() as i64 + JDN_CE_OFFSET;
        assert_eq!(jdn_to_date(jdn), ymd(2024, 2, 10));
        // 2024-02-09 17:00 UT is 2024-02-10 00:00 at UTC+7.
        assert_eq!(local_day(day_start(jdn)), jdn);
        assert_eq!(local_day(day_start(jdn) - 1e-6), jdn - 1);
    }

    #[test]
    fn tet_2024_to_2026() {
        assert_eq!(tet(2024), ymd(2024, 2, 10));
        assert_eq!(tet(2025), ymd(2025, 1, 29));
        assert_eq!(tet(2026), ymd(2026, 2, 17));
    }

    #[test]
    fn extreme_years_are_clamped_without_panic() {
        for year in [i32::MIN, MIN_YEAR, -4713, 0, 1, 9999, MAX_YEAR, i32::MAX] {
            let months = year_months(year);
            assert!((12..=13).contains(&months.len()), "{year}: {}", months.len());
            assert!(months.iter().all(|m| matches!(m.days, 29 | 30)), "{year}");
            assert_eq!(to_lunar(tet(year)).day, 1);
            let _ = gio_to(year);
        }
        assert_eq!(tet(i32::MAX), tet(MAX_YEAR));
        assert_eq!(tet(i32::MIN), tet(MIN_YEAR));
        assert_eq!(to_solar(LunarDate { year: MAX_YEAR + 1, month: 1, day: 1, leap: false }), None);
        assert_eq!(to_lunar(NaiveDate::MAX).year, MAX_YEAR);
        assert_eq!(to_lunar(NaiveDate::MIN), LunarDate { year: MIN_YEAR, month: 1, day: 1, leap: false });
        // Every date of 1..=9999 has a lunar date that converts back.
        for d in [ymd(1, 1, 1), ymd(9999, 12, 31)] {
            assert_eq!(to_solar(to_lunar(d)), Some(d));
        }
    }
}

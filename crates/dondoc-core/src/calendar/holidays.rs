//! The days off of one year: Labour Code 2019 Art. 112(1) holidays (with the lunar ones),
//! extra yearly holidays from config, nghỉ bù (Art. 111(3)) and the year's notice.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::config::{ExtraHoliday, YearNotice};
use super::lunar;

/// Why a day is off (plain weekends are not listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayOffKind {
    /// A public holiday (ngày lễ, tết).
    Holiday,
    /// A compensatory day for a holiday on a weekend (nghỉ bù).
    Compensatory,
    /// A day off set by the year's notice (hoán đổi, extra day).
    Override,
}

/// A day off that is not a plain weekend day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayOff {
    pub date: NaiveDate,
    /// Vietnamese name.
    pub name: String,
    pub kind: DayOffKind,
    /// Placed by a default rule because the year's notice is not recorded (tạm tính): the
    /// notice, once published, may move it.
    #[serde(default)]
    pub provisional: bool,
}

/// Where the days of a part of the year's schedule come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The year's official notice, recorded in the calendar data.
    Notice,
    /// The default rule, following the practice of recent notices: provisional.
    Provisional,
    /// Fixed by statute, no notice needed (Quốc khánh before 2021 was 2/9 alone).
    Statute,
}

/// Which parts of a year's schedule are official and which provisional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearStatus {
    pub year: i32,
    /// The five (four before 2013) Tết Âm lịch days.
    pub tet: Provenance,
    /// The day paired with 2/9.
    pub national_day: Provenance,
    /// The notice(s) recorded for the year.
    pub source: Option<String>,
    /// The recorded notice is known from secondary sources only.
    pub unverified: bool,
}

impl YearStatus {
    /// Whether some part of the year comes from a default rule.
    pub fn is_provisional(&self) -> bool {
        self.tet == Provenance::Provisional || self.national_day == Provenance::Provisional
    }
}

/// The days off of one year, computed once.
#[derive(Debug, Clone)]
pub(crate) struct YearTable {
    /// Bit `ordinal0` set when that day is not a working day.
    off: [u64; 6],
    /// Holidays, compensatory and override days, sorted by date.
    pub(crate) days_off: Vec<DayOff>,
    /// Weekend days worked by notice.
    pub(crate) worked: Vec<(NaiveDate, String)>,
    /// Where Tết and Quốc khánh come from.
    pub(crate) status: YearStatus,
}

impl YearTable {
    pub(crate) fn is_off(&self, date: NaiveDate) -> bool {
        let i = date.ordinal0() as usize;
        self.off[i / 64] & (1 << (i % 64)) != 0
    }

    fn set(&mut self, date: NaiveDate, off: bool) {
        let i = date.ordinal0() as usize;
        if off {
            self.off[i / 64] |= 1 << (i % 64);
        } else {
            self.off[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Builds the table for `year`.
    pub(crate) fn build(year: i32, extra: &[ExtraHoliday], notice: Option<&YearNotice>) -> YearTable {
        // (date, name, compensated, provisional)
        let mut holidays: Vec<(NaiveDate, String, bool, bool)> = Vec::new();
        let mut push = |date: Option<NaiveDate>, name: &str, comp: bool, provisional: bool| {
            if let Some(d) = date.filter(|d| d.year() == year) {
                holidays.push((d, name.to_string(), comp, provisional));
            }
        };
        let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
        let tet_notice = notice.and_then(|n| n.tet.as_ref());
        let nd_notice = notice.and_then(|n| n.national_day.as_ref());
        push(ymd(1, 1), "Tết Dương lịch", true, false);
        for (date, name) in tet_days(year, tet_notice) {
            push(Some(date), &name, true, tet_notice.is_none());
        }
        if year >= 2007 {
            push(Some(lunar::gio_to(year)), "Giỗ Tổ Hùng Vương (10/3 âm lịch)", true, false);
        }
        push(ymd(4, 30), "Ngày Chiến thắng (30/4)", true, false);
        push(ymd(5, 1), "Ngày Quốc tế Lao động (1/5)", true, false);
        for date in national_days(year, nd_notice) {
            // 2/9 itself is statutory; the day paired with it is the notice's choice.
            let paired = date.day() != 2;
            push(Some(date), "Quốc khánh", true, paired && nd_notice.is_none());
        }
        for h in extra {
            let date = ymd(h.month, h.day);
            let in_force = date.is_some_and(|d| h.from.is_none_or(|f| f <= d) && h.until.is_none_or(|u| d <= u));
            if in_force {
                push(date, &h.name, h.compensate, false);
            }
        }
        holidays.sort_by_key(|h| h.0);
        holidays.dedup_by_key(|h| h.0);

        let mut table = YearTable {
            off: [0; 6],
            days_off: Vec::new(),
            worked: Vec::new(),
            status: YearStatus {
                year,
                tet: if tet_notice.is_some() { Provenance::Notice } else { Provenance::Provisional },
                national_day: match (nd_notice, year >= 2021) {
                    (Some(_), _) => Provenance::Notice,
                    (None, true) => Provenance::Provisional,
                    (None, false) => Provenance::Statute,
                },
                source: notice.and_then(|n| n.source.clone()),
                unverified: notice.is_some_and(|n| n.unverified),
            },
        };
        // Years chrono cannot represent have no days at all.
        let mut day = NaiveDate::from_ymd_opt(year, 1, 1);
        while let Some(d) = day.filter(|d| d.year() == year) {
            if is_weekend(d) {
                table.set(d, true);
            }
            day = d.succ_opt();
        }
        for (date, name, _, provisional) in &holidays {
            table.set(*date, true);
            table.days_off.push(DayOff {
                date: *date,
                name: name.clone(),
                kind: DayOffKind::Holiday,
                provisional: *provisional,
            });
        }
        if let Some(n) = notice {
            for nd in &n.days_off {
                if !table.is_off(nd.date) {
                    table.set(nd.date, true);
                    table.days_off.push(DayOff {
                        date: nd.date,
                        name: nd.name.clone(),
                        kind: DayOffKind::Override,
                        provisional: false,
                    });
                }
            }
        }
        // Art. 111(3): a holiday on the weekly rest day is made up on the next working day.
        for (date, name, comp, provisional) in &holidays {
            if *comp && is_weekend(*date) {
                let mut c = *date;
                while table.is_off(c) && c.year() == year {
                    c = c + Days::new(1);
                }
                if c.year() == year {
                    table.set(c, true);
                    table.days_off.push(DayOff {
                        date: c,
                        name: format!("Nghỉ bù {name} ngày {}", date.format("%d/%m")),
                        kind: DayOffKind::Compensatory,
                        provisional: *provisional,
                    });
                }
            }
        }
        if let Some(n) = notice {
            for w in &n.working_days {
                table.set(w.date, false);
                table.worked.push((w.date, w.name.clone()));
            }
        }
        table.days_off.sort_by_key(|d| d.date);
        table
    }
}

/// Saturday or Sunday: the weekly rest of the public sector (QĐ 188/1999/QĐ-TTg).
pub(crate) fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The Tết Âm lịch days off: the notice's, or by default the practice of the notices of
/// 2020–2026: the last two days of the lunar year (29 and 30 tháng Chạp, or 28 and 29 when
/// Chạp has 29 days) and mùng 1–3; weekend days among them are made up after the break
/// (Art. 111(3)). Before the Labour Code 2012 (in force 2013) Tết had four days: the last
/// day of the lunar year and mùng 1–3.
fn tet_days(year: i32, notice: Option<&Vec<NaiveDate>>) -> Vec<(NaiveDate, String)> {
    if let Some(days) = notice {
        return days.iter().map(|d| (*d, tet_name(year, *d))).collect();
    }
    let first = lunar::tet(year);
    let before = if year >= 2013 { 2 } else { 1 };
    (-before..3)
        .filter_map(|i| first.checked_add_signed(chrono::Duration::days(i)))
        .map(|d| (d, tet_name(year, d)))
        .collect()
}

fn tet_name(year: i32, d: NaiveDate) -> String {
    let l = lunar::to_lunar(d);
    if l.year < year {
        format!("Tết Nguyên đán ({} tháng Chạp)", l.day)
    } else {
        format!("Tết Nguyên đán (mùng {} tháng Giêng)", l.day)
    }
}

/// Quốc khánh: 2/9 and, since the Labour Code 2019 (2021), one adjacent day. Without a
/// notice the adjacent day is the one the notices of 2021–2026 chose, joining the holiday
/// to the weekend: 3/9 when 2/9 is a Thursday (2021), a Monday (2024) or a Sunday; otherwise
/// 1/9 (2022, 2023, 2025, 2026).
fn national_days(year: i32, notice: Option<&Vec<NaiveDate>>) -> Vec<NaiveDate> {
    if let Some(days) = notice {
        return days.clone();
    }
    let Some(sep2) = NaiveDate::from_ymd_opt(year, 9, 2) else {
        return Vec::new();
    };
    if year < 2021 {
        return vec![sep2];
    }
    let other = match sep2.weekday() {
        Weekday::Mon | Weekday::Thu | Weekday::Sun => 3,
        _ => 1,
    };
    NaiveDate::from_ymd_opt(year, 9, other).map_or(vec![sep2], |d| vec![sep2, d])
}

//! The work calendar: holidays, nghỉ bù, notices, rollover, working-day arithmetic and hours.

use chrono::{Datelike, NaiveDate, Weekday};
use dondoc_core::calendar::{CalendarConfig, CalendarConfigError, DayOffKind, WorkCalendar, end_of_day, lunar};
use dondoc_testkit::time::local;
use proptest::prelude::*;

fn shipped() -> WorkCalendar {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/calendar.toml")).unwrap();
    WorkCalendar::new(&toml::from_str::<CalendarConfig>(&text).unwrap()).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn days_off(cal: &WorkCalendar, year: i32) -> Vec<(String, DayOffKind)> {
    cal.days_off(year).into_iter().map(|o| (o.date.format("%Y-%m-%d").to_string(), o.kind)).collect()
}

fn expect(list: &[(&str, DayOffKind)]) -> Vec<(String, DayOffKind)> {
    list.iter().map(|(s, k)| (s.to_string(), *k)).collect()
}

#[test]
fn the_2025_schedule_matches_the_notice() {
    use DayOffKind::*;
    let cal = shipped();
    assert_eq!(
        days_off(&cal, 2025),
        expect(&[
            ("2025-01-01", Holiday),
            ("2025-01-27", Holiday),
            ("2025-01-28", Holiday),
            ("2025-01-29", Holiday),
            ("2025-01-30", Holiday),
            ("2025-01-31", Holiday),
            ("2025-04-07", Holiday),
            ("2025-04-30", Holiday),
            ("2025-05-01", Holiday),
            ("2025-05-02", Override),
            ("2025-09-01", Holiday),
            ("2025-09-02", Holiday),
        ])
    );
    assert_eq!(cal.worked_weekend_days(2025).iter().map(|w| w.0).collect::<Vec<_>>(), [d("2025-04-26")]);
    assert!(cal.is_working_day(d("2025-04-26")));
    assert!(cal.is_confirmed(2025));
}

#[test]
fn the_2026_schedule_matches_the_notice() {
    use DayOffKind::*;
    let cal = shipped();
    assert_eq!(
        days_off(&cal, 2026),
        expect(&[
            ("2026-01-01", Holiday),
            ("2026-01-02", Override),
            ("2026-02-16", Holiday),
            ("2026-02-17", Holiday),
            ("2026-02-18", Holiday),
            ("2026-02-19", Holiday),
            ("2026-02-20", Holiday),
            ("2026-04-26", Holiday),
            ("2026-04-27", Compensatory),
            ("2026-04-30", Holiday),
            ("2026-05-01", Holiday),
            ("2026-08-31", Override),
            ("2026-09-01", Holiday),
            ("2026-09-02", Holiday),
            ("2026-11-24", Holiday),
        ])
    );
    let worked: Vec<_> = cal.worked_weekend_days(2026).iter().map(|w| w.0).collect();
    assert_eq!(worked, [d("2026-01-10"), d("2026-08-22")]);
    // The whole Tết break, weekends included, is off: 14/2 to 22/2.
    for day in d("2026-02-14").iter_days().take(9) {
        assert!(!cal.is_working_day(day), "{day}");
    }
    assert!(cal.is_working_day(d("2026-02-23")));
}

#[test]
fn default_rules_without_a_notice() {
    use DayOffKind::*;
    let cal = WorkCalendar::default();
    // 2027: Tết mùng 1 is Saturday 6/2 (giao thừa Friday 5/2): the weekend Tết days are made
    // up on Wednesday and Thursday; 1/5 is a Saturday, made up Monday 3/5; 2/9 is a Thursday,
    // so the adjacent day is Friday 3/9.
    assert_eq!(
        days_off(&cal, 2027),
        expect(&[
            ("2027-01-01", Holiday),
            ("2027-02-05", Holiday),
            ("2027-02-06", Holiday),
            ("2027-02-07", Holiday),
            ("2027-02-08", Holiday),
            ("2027-02-09", Holiday),
            ("2027-02-10", Compensatory),
            ("2027-02-11", Compensatory),
            ("2027-04-16", Holiday),
            ("2027-04-30", Holiday),
            ("2027-05-01", Holiday),
            ("2027-05-03", Compensatory),
            ("2027-09-02", Holiday),
            ("2027-09-03", Holiday),
        ])
    );
    assert!(!cal.is_confirmed(2027));
    // 2023: 2/9 a Saturday -> 1/9 and 2/9, nghỉ bù Monday 4/9 (as the 2023 notice gave).
    let sep: Vec<_> = days_off(&cal, 2023).into_iter().filter(|(s, _)| s.starts_with("2023-09")).collect();
    assert_eq!(sep, expect(&[("2023-09-01", Holiday), ("2023-09-02", Holiday), ("2023-09-04", Compensatory)]));
}

#[test]
fn lunar_holidays_match_the_reference_table() {
    // calendar.md and vn_calendar_research.md §4.4: (Tết, last day of the previous lunar year, Giỗ Tổ).
    let table = [
        (2024, "2024-02-10", "2024-02-09", "2024-04-18"),
        (2025, "2025-01-29", "2025-01-28", "2025-04-07"),
        (2026, "2026-02-17", "2026-02-16", "2026-04-26"),
        (2027, "2027-02-06", "2027-02-05", "2027-04-16"),
        (2028, "2028-01-26", "2028-01-25", "2028-04-04"),
        (2029, "2029-02-13", "2029-02-12", "2029-04-23"),
        (2030, "2030-02-02", "2030-02-01", "2030-04-12"),
        (2031, "2031-01-23", "2031-01-22", "2031-04-01"),
        (2032, "2032-02-11", "2032-02-10", "2032-04-19"),
    ];
    let cal = WorkCalendar::default();
    for (year, tet, eve, gio_to) in table {
        assert_eq!(lunar::tet(year), d(tet), "Tết {year}");
        assert_eq!(lunar::gio_to(year), d(gio_to), "Giỗ Tổ {year}");
        let off = cal.days_off(year);
        for day in [tet, eve, gio_to] {
            assert!(off.iter().any(|o| o.date == d(day) && o.kind == DayOffKind::Holiday), "{day} off in {year}");
        }
    }
}

#[test]
fn rollover_across_tet_30_4_and_2_9() {
    let cal = shipped();
    let cases = [
        ("2025-01-25", "2025-02-03"), // Tết Ất Tỵ break 25/1–2/2
        ("2026-02-14", "2026-02-23"), // Tết Bính Ngọ break 14/2–22/2
        ("2026-04-25", "2026-04-28"), // Sat, Sun Giỗ Tổ, Mon nghỉ bù
        ("2026-04-30", "2026-05-04"),
        ("2025-04-30", "2025-05-05"), // with the swapped Friday 2/5
        ("2025-08-30", "2025-09-03"),
        ("2026-08-29", "2026-09-03"), // swapped Monday 31/8, then 1–2/9
        ("2026-11-24", "2026-11-25"), // Ngày Văn hóa Việt Nam
        ("2026-01-10", "2026-01-10"), // a Saturday worked
        ("2025-09-30", "2025-09-30"),
        ("2025-12-31", "2025-12-31"),
    ];
    for (nominal, due) in cases {
        assert_eq!(cal.rollover(d(nominal)), d(due), "{nominal}");
    }
}

#[test]
fn working_day_arithmetic() {
    let cal = shipped();
    // The working day before the Tết 2026 break is Friday 13/2.
    assert_eq!(cal.nth_working_day_before(d("2026-02-23"), 1), d("2026-02-13"));
    assert_eq!(cal.nth_working_day_before(d("2026-02-24"), 2), d("2026-02-13"));
    assert_eq!(cal.add_working_days(d("2025-09-12"), 3), d("2025-09-17"));
    assert_eq!(cal.add_working_days(d("2025-08-29"), 1), d("2025-09-03"));
    assert_eq!(cal.add_working_days(d("2025-09-03"), 0), d("2025-09-03"));
    assert_eq!(cal.working_days_between(d("2026-02-13"), d("2026-02-23")), 1);
    assert_eq!(cal.working_days_between(d("2026-02-23"), d("2026-02-13")), -1);
    assert_eq!(cal.working_days_between(d("2025-09-01"), d("2025-09-30")), 20);
    assert_eq!(cal.roll_back(d("2026-02-22")), d("2026-02-13"));
}

#[test]
fn working_hours() {
    let cal = shipped();
    assert!(cal.is_working_time(local("2025-09-15", "08:00")));
    assert!(cal.is_working_time(local("2025-09-15", "07:30")));
    assert!(!cal.is_working_time(local("2025-09-15", "11:30")));
    assert!(!cal.is_working_time(local("2025-09-15", "12:00")));
    assert!(!cal.is_working_time(local("2025-09-15", "17:00")));
    assert!(!cal.is_working_time(local("2025-09-13", "09:00"))); // Saturday
    assert!(!cal.is_working_time(local("2025-09-02", "09:00"))); // Quốc khánh
    assert!(cal.is_working_time(local("2026-01-10", "09:00"))); // Saturday worked
    assert_eq!(cal.next_working_time(local("2025-09-15", "12:00")), local("2025-09-15", "13:30"));
    assert_eq!(cal.next_working_time(local("2025-09-12", "17:30")), local("2025-09-15", "07:30"));
    assert_eq!(cal.next_working_time(local("2026-02-13", "18:00")), local("2026-02-23", "07:30"));
    assert_eq!(cal.next_working_time(local("2025-09-15", "09:10")), local("2025-09-15", "09:10"));
    // 24:00 of 30/9/2025 in Asia/Ho_Chi_Minh is 17:00 UTC.
    assert_eq!(end_of_day(d("2025-09-30")).to_rfc3339(), "2025-09-30T17:00:00+00:00");
}

#[test]
fn bad_calendar_data_is_refused_with_a_reason() {
    let bad = |text: &str| -> CalendarConfigError {
        let config: CalendarConfig = toml::from_str(text).unwrap();
        WorkCalendar::new(&config).expect_err(text)
    };
    assert!(matches!(bad("[year.2025]\ntet = [\"2026-01-27\"]"), CalendarConfigError::DateOutsideYear { .. }));
    assert!(matches!(bad("[year.x]\n"), CalendarConfigError::BadYearKey(_)));
    assert!(matches!(
        bad("[year.2025]\nnational_day = [\"2025-09-02\", \"2025-09-05\"]"),
        CalendarConfigError::BadNationalDay { .. }
    ));
    assert!(matches!(
        bad("[year.2025]\nworking_days = [{ date = \"2025-04-28\", name = \"x\" }]"),
        CalendarConfigError::WorkingDayNotOff { .. }
    ));
    assert!(matches!(
        bad("[[holiday]]\nname = \"x\"\nmonth = 2\nday = 30"),
        CalendarConfigError::BadExtraHoliday { .. }
    ));
    let e = bad("[year.2025]\ntet = [\"2026-01-27\"]").to_string();
    assert!(e.contains("2026-01-27") && e.contains("2025"), "{e}");
}

fn date_strategy() -> impl Strategy<Value = NaiveDate> {
    (0i64..(200 * 366)).prop_map(|n| d("1920-01-01") + chrono::Duration::days(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_rolled_over_due_date_is_the_first_working_day_on_or_after(date in date_strategy()) {
        let cal = shipped();
        let due = cal.rollover(date);
        prop_assert!(due >= date);
        prop_assert!(cal.is_working_day(due));
        prop_assert!(date.iter_days().take_while(|x| *x < due).all(|x| !cal.is_working_day(x)));
        prop_assert!((due - date).num_days() <= 12, "{} -> {}", date, due);
        prop_assert_eq!(cal.rollover(due), due);
    }

    #[test]
    fn working_day_steps_count_exactly(date in date_strategy(), n in 1i64..40) {
        let cal = shipped();
        let after = cal.add_working_days(date, n);
        prop_assert!(cal.is_working_day(after));
        prop_assert_eq!(cal.working_days_between(date, after), n);
        let before = cal.add_working_days(date, -n);
        prop_assert!(cal.is_working_day(before) && before < date);
        // (before, date] holds the n - 1 working days between them, and `date` if it is one.
        prop_assert_eq!(cal.working_days_between(before, date), n - 1 + i64::from(cal.is_working_day(date)));
    }

    #[test]
    fn weekends_are_off_unless_worked_by_notice(date in date_strategy()) {
        let cal = shipped();
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let worked = cal.worked_weekend_days(date.year()).iter().any(|w| w.0 == date);
        if weekend {
            prop_assert_eq!(cal.is_working_day(date), worked);
        }
        if cal.day_off(date).is_some() {
            prop_assert!(!cal.is_working_day(date));
        }
    }

    #[test]
    fn every_year_has_its_statutory_days(year in 2021i32..2100) {
        let cal = WorkCalendar::default();
        let off = cal.days_off(year);
        let holidays = off.iter().filter(|o| o.kind == DayOffKind::Holiday).count();
        // 1/1, five Tết days, Giỗ Tổ, 30/4, 1/5, two Quốc khánh days.
        prop_assert_eq!(holidays, 11);
        let tet = lunar::tet(year);
        prop_assert!(tet >= NaiveDate::from_ymd_opt(year, 1, 21).unwrap());
        prop_assert!(tet <= NaiveDate::from_ymd_opt(year, 2, 20).unwrap());
        // Every holiday on a weekend is made up: weekday days off >= holidays on weekdays.
        let weekend_holidays = off.iter().filter(|o| o.kind == DayOffKind::Holiday && matches!(o.date.weekday(), Weekday::Sat | Weekday::Sun)).count();
        let comps = off.iter().filter(|o| o.kind == DayOffKind::Compensatory).count();
        prop_assert_eq!(weekend_holidays, comps);
    }
}

#[test]
fn extreme_years_do_not_panic() {
    let cal = WorkCalendar::default();
    for year in [i32::MIN, -300_000, -1, 0, 1, 9_999, 10_000, 262_142, 300_000, i32::MAX] {
        let _ = cal.days_off(year);
        let _ = cal.is_confirmed(year);
    }
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        let _ = cal.is_working_day(date);
        let _ = cal.rollover(date);
        let _ = cal.add_working_days(date, 3);
        let _ = cal.add_working_days(date, -3);
        let _ = cal.working_days_between(date, date);
    }
}

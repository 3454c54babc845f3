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
    // 2027: Tết mùng 1 is Saturday 6/2 (giao thừa Friday 5/2, 28 tháng Chạp Thursday 4/2):
    // two days before, mùng 1–3, the weekend Tết days made up on Tuesday and Wednesday; 1/5
    // is a Saturday, made up Monday 3/5; 2/9 is a Thursday, so the adjacent day is Friday 3/9.
    assert_eq!(
        days_off(&cal, 2027),
        expect(&[
            ("2027-01-01", Holiday),
            ("2027-02-04", Holiday),
            ("2027-02-05", Holiday),
            ("2027-02-06", Holiday),
            ("2027-02-07", Holiday),
            ("2027-02-08", Holiday),
            ("2027-02-09", Compensatory),
            ("2027-02-10", Compensatory),
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

/// The deadlines the official notices of 2020–2024 decide (issue 13): a deadline on a day
/// off ends on the next working day (BLDS Art. 148(5)); a worked Saturday is a working day.
#[test]
fn deadlines_of_2020_to_2024_follow_the_notices() {
    let cal = shipped();
    let table = [
        // (nominal, due, why)
        ("2020-01-23", "2020-01-30", "29 tháng Chạp: Tết 2020 ran 23/1–29/1 (TB 4544/TB-LĐTBXH)"),
        ("2020-01-30", "2020-01-30", "the first working day after Tết 2020"),
        ("2021-02-16", "2021-02-17", "mùng 5: the last day of the 2021 break"),
        ("2021-02-17", "2021-02-17", "a working day after Tết 2021"),
        ("2022-01-28", "2022-01-28", "Friday before the 2022 break (29/1–6/2)"),
        ("2022-02-04", "2022-02-07", "mùng 4 Nhâm Dần, an official Tết day"),
        ("2023-01-20", "2023-01-27", "29 tháng Chạp: Tết 2023 ran 20/1–26/1"),
        ("2023-01-27", "2023-01-27", "a working day after Tết 2023"),
        ("2023-09-04", "2023-09-05", "nghỉ bù for 2/9/2023, a Saturday"),
        ("2024-02-15", "2024-02-15", "a working day after Tết 2024 (8/2–14/2)"),
        ("2024-02-08", "2024-02-15", "29 tháng Chạp Quý Mão"),
        ("2024-04-29", "2024-05-02", "swapped day off, then 30/4 and 1/5"),
        ("2024-05-04", "2024-05-04", "the Saturday worked for 29/4/2024"),
        ("2024-09-03", "2024-09-04", "the day paired with 2/9/2024"),
    ];
    for (nominal, due, why) in table {
        assert_eq!(cal.rollover(d(nominal)), d(due), "{nominal}: {why}");
    }
    for year in 2020..=2026 {
        assert!(cal.is_confirmed(year), "{year} comes from a notice");
        assert!(cal.year_status(year).source.is_some(), "{year} names its notice");
    }
    assert!(cal.year_status(2027).unverified, "2027 is known from secondary sources only");
}

/// Without a notice, the default rule reproduces every recent notice's days off (2020–2027)
/// and marks its days provisional.
#[test]
fn the_default_rule_follows_the_practice_of_the_notices() {
    let official = shipped();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/calendar.toml")).unwrap();
    let mut config = toml::from_str::<CalendarConfig>(&text).unwrap();
    config.years.clear();
    let default = WorkCalendar::new(&config).unwrap();
    for year in 2020..=2027 {
        let mut day = d(&format!("{year}-01-01"));
        while day.year() == year {
            // Swapped days are announced case by case: no rule predicts them.
            let swapped = official.day_off(day).is_some_and(|o| o.kind == DayOffKind::Override)
                || official.worked_weekend_days(year).iter().any(|w| w.0 == day);
            if !swapped {
                assert_eq!(default.is_working_day(day), official.is_working_day(day), "{day}");
            }
            day = day.succ_opt().unwrap();
        }
        let status = default.year_status(year);
        assert_eq!(status.tet, dondoc_core::calendar::Provenance::Provisional);
        assert!(default.days_off(year).iter().any(|o| o.provisional), "{year}");
        assert!(official.days_off(year).iter().all(|o| !o.provisional), "{year}");
    }
    // 2/9/2029 is a Sunday: the default pairs it with Monday 3/9 and makes up 2/9 on Tuesday.
    let sep: Vec<_> = default.days_off(2029).into_iter().filter(|o| o.date.month() == 9).collect();
    assert_eq!(sep.iter().map(|o| o.date).collect::<Vec<_>>(), [d("2029-09-02"), d("2029-09-03"), d("2029-09-04")]);
    assert!(!sep[0].provisional && sep[1].provisional && !sep[2].provisional);
}

#[test]
fn a_deadline_near_a_provisional_day_says_so() {
    let cal = shipped();
    // 2028 has no notice: Tết (mùng 1 Wednesday 26/1/2028) is provisional.
    let near = cal.provisional_days_near(d("2028-01-24"), d("2028-01-24"));
    assert!(near.iter().any(|o| o.date == d("2028-01-24")), "{near:?}");
    // Three days after the deadline still counts: 21/1/2028 (Friday) is followed by the weekend
    // and the provisional 24/1.
    assert!(!cal.provisional_days_near(d("2028-01-21"), d("2028-01-21")).is_empty());
    assert!(cal.provisional_days_near(d("2028-03-01"), d("2028-03-01")).is_empty());
    // Official years never are.
    assert!(cal.provisional_days_near(d("2026-02-13"), d("2026-02-23")).is_empty());
}

#[test]
fn notices_are_checked_and_merged() {
    let bad = |text: &str| WorkCalendar::new(&toml::from_str::<CalendarConfig>(text).unwrap()).unwrap_err();
    assert!(matches!(
        bad("[year.2028]\ntet = [\"2028-01-24\", \"2028-01-25\", \"2028-01-26\", \"2028-01-27\"]"),
        CalendarConfigError::BadTet { year: 2028, .. }
    ));
    assert!(matches!(
        bad("[year.2028]\ntet = [\"2028-03-24\", \"2028-03-25\", \"2028-03-26\", \"2028-03-27\", \"2028-03-28\"]"),
        CalendarConfigError::BadTet { year: 2028, .. }
    ));
    let e = bad(
        "[year.2028]\ndays_off = [{ date = \"2028-01-29\", name = \"x\" }]\nworking_days = [{ date = \"2028-01-29\", name = \"y\" }]",
    );
    assert!(matches!(e, CalendarConfigError::OffAndWorked { year: 2028, .. }), "{e}");

    let base: CalendarConfig = toml::from_str(
        "[year.2026]\nsource = \"A\"\ntet = [\"2026-02-16\", \"2026-02-17\", \"2026-02-18\", \"2026-02-19\", \"2026-02-20\"]\n\
         days_off = [{ date = \"2026-01-02\", name = \"hoán đổi\" }]\nworking_days = [{ date = \"2026-01-10\", name = \"làm bù\" }]",
    )
    .unwrap();
    let later: CalendarConfig = toml::from_str(
        "[year.2026]\nsource = \"B\"\ndays_off = [{ date = \"2026-11-23\", name = \"hoán đổi\" }]\n\
         working_days = [{ date = \"2026-11-28\", name = \"làm bù\" }]",
    )
    .unwrap();
    let merged = base.years["2026"].merged(&later.years["2026"]);
    assert_eq!(merged.source.as_deref(), Some("A; B"));
    assert_eq!(merged.tet, base.years["2026"].tet);
    assert_eq!(merged.days_off.iter().map(|x| x.date).collect::<Vec<_>>(), [d("2026-01-02"), d("2026-11-23")]);
    assert_eq!(merged.working_days.iter().map(|x| x.date).collect::<Vec<_>>(), [d("2026-01-10"), d("2026-11-28")]);
    let mut overlay = CalendarConfig::default();
    overlay.years.insert("2026".into(), merged);
    let cal = WorkCalendar::new(&base.with_notices(&overlay)).unwrap();
    assert!(!cal.is_working_day(d("2026-11-23")));
    assert!(cal.is_working_day(d("2026-11-28")));
}

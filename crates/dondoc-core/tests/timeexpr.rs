//! Time expressions: parsing, dates and rollover, occurrences. Table-driven, with the
//! calendar data shipped in `config/calendar.toml` (the 2025 and 2026 notices).

use chrono::NaiveDate;
use dondoc_core::calendar::{CalendarConfig, WorkCalendar};
use dondoc_core::policy::{BeforeDate, ReportingPolicy};
use dondoc_core::timeexpr::{self, ExprKind, TimeExpr, TimeExprError};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

fn calendar() -> WorkCalendar {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/calendar.toml")).unwrap();
    let config: CalendarConfig = toml::from_str(&text).unwrap();
    WorkCalendar::new(&config).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn opt(s: &str) -> Option<NaiveDate> {
    (!s.is_empty()).then(|| d(s))
}

#[test]
fn kinds_and_dates() {
    use ExprKind::*;
    let cal = calendar();
    let policy = ReportingPolicy::nd09();
    // (text, kind, start, nominal due, due after rollover)
    let cases: &[(&str, ExprKind, &str, &str, &str)] = &[
        ("2025", Year, "2025-01-01", "2025-12-31", "2025-12-31"),
        ("Năm 2025", Year, "2025-01-01", "2025-12-31", "2025-12-31"),
        ("năm 2026.", Year, "2026-01-01", "2026-12-31", "2026-12-31"),
        ("Tháng 9/2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        ("T9/2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        ("tháng 9 năm 2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        ("Tháng 09/2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        ("tháng 9-2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        ("9/2025", Month, "2025-09-01", "2025-09-30", "2025-09-30"),
        // 30/4 and 1/5 are holidays, 2–3/5 a weekend (calendar.md's worked example).
        ("Tháng 4/2026", Month, "2026-04-01", "2026-04-30", "2026-05-04"),
        // 31/8/2026 is a swapped day off, 1–2/9 Quốc khánh.
        ("Tháng 8/2026", Month, "2026-08-01", "2026-08-31", "2026-09-03"),
        // 31/8/2025 is a Sunday, then Quốc khánh 1–2/9.
        ("Tháng 8/2025", Month, "2025-08-01", "2025-08-31", "2025-09-03"),
        // 31/1/2025 is a Tết day, then a weekend.
        ("Tháng 1/2025", Month, "2025-01-01", "2025-01-31", "2025-02-03"),
        ("Tháng 1/2026", Month, "2026-01-01", "2026-01-31", "2026-02-02"),
        ("Quý IV/2025", Quarter, "2025-10-01", "2025-12-31", "2025-12-31"),
        ("Quý 4/2025", Quarter, "2025-10-01", "2025-12-31", "2025-12-31"),
        ("quý IV năm 2025", Quarter, "2025-10-01", "2025-12-31", "2025-12-31"),
        ("Quý I/2026", Quarter, "2026-01-01", "2026-03-31", "2026-03-31"),
        ("Quý II/2025", Quarter, "2025-04-01", "2025-06-30", "2025-06-30"),
        ("Quý III/2026", Quarter, "2026-07-01", "2026-09-30", "2026-09-30"),
        ("6 tháng đầu năm 2026", HalfYear, "2026-01-01", "2026-06-30", "2026-06-30"),
        ("6 tháng cuối năm 2026", HalfYear, "2026-07-01", "2026-12-31", "2026-12-31"),
        ("30/6/2025", Date, "2025-06-30", "2025-06-30", "2025-06-30"),
        ("ngày 15/12/2025", Date, "2025-12-15", "2025-12-15", "2025-12-15"),
        // Strict reading: due 14/12 (a Sunday), rolled to Monday 15/12.
        ("Trước ngày 15/12/2025", Date, "2025-12-15", "2025-12-14", "2025-12-15"),
        ("Chậm nhất ngày 31/12/2025", Date, "2025-12-31", "2025-12-31", "2025-12-31"),
        ("15-12-2025", Date, "2025-12-15", "2025-12-15", "2025-12-15"),
        ("ngày 1/5/2026", Date, "2026-05-01", "2026-05-01", "2026-05-04"),
        // Across Tết 2026: 14–15/2 weekend, 16–20/2 Tết, 21–22/2 weekend.
        ("ngày 14/2/2026", Date, "2026-02-14", "2026-02-14", "2026-02-23"),
        // Giỗ Tổ 2026 is a Sunday: Monday 27/4 is nghỉ bù.
        ("ngày 26/4/2026", Date, "2026-04-26", "2026-04-26", "2026-04-28"),
        // Giỗ Tổ 2025 is Monday 7/4.
        ("ngày 5/4/2025", Date, "2025-04-05", "2025-04-05", "2025-04-08"),
        // 30/4–1/5/2025 holidays, Friday 2/5 swapped off, then a weekend.
        ("ngày 30/4/2025", Date, "2025-04-30", "2025-04-30", "2025-05-05"),
        // Quốc khánh 2025: Saturday 30/8 to Tuesday 2/9.
        ("ngày 30/8/2025", Date, "2025-08-30", "2025-08-30", "2025-09-03"),
        // Saturdays worked in exchange for a swapped day are working days.
        ("ngày 10/1/2026", Date, "2026-01-10", "2026-01-10", "2026-01-10"),
        ("ngày 26/4/2025", Date, "2025-04-26", "2025-04-26", "2025-04-26"),
        ("Đầu năm 2026", Date, "2026-01-01", "2026-01-01", "2026-01-05"),
        ("Cuối năm 2026", Date, "2026-12-31", "2026-12-31", "2026-12-31"),
        ("Giữa tháng 5/2026", Date, "2026-05-15", "2026-05-15", "2026-05-15"),
        ("Cuối tháng 9/2025", Date, "2025-09-30", "2025-09-30", "2025-09-30"),
        ("Giữa năm 2025", Date, "2025-06-30", "2025-06-30", "2025-06-30"),
        ("2022 - 2030", Range, "2022-01-01", "2030-12-31", "2030-12-31"),
        ("2022-2025", Range, "2022-01-01", "2025-12-31", "2025-12-31"),
        ("Giai đoạn 2021 – 2025", Range, "2021-01-01", "2025-12-31", "2025-12-31"),
        ("Năm 2022 - 2025", Range, "2022-01-01", "2025-12-31", "2025-12-31"),
        ("Từ tháng 9-12/2025", Range, "2025-09-01", "2025-12-31", "2025-12-31"),
        ("Tháng 9/2025 - Tháng 12/2025", Range, "2025-09-01", "2025-12-31", "2025-12-31"),
        ("Từ tháng 9/2025 đến tháng 12/2025", Range, "2025-09-01", "2025-12-31", "2025-12-31"),
        ("Tháng 9 - tháng 12/2025", Range, "2025-09-01", "2025-12-31", "2025-12-31"),
        ("Quý III - IV/2025", Range, "2025-07-01", "2025-12-31", "2025-12-31"),
        ("Quý III - Quý IV/2025", Range, "2025-07-01", "2025-12-31", "2025-12-31"),
        ("Hằng năm", Recurring, "", "", ""),
        ("Thường xuyên", Continuous, "", "", ""),
        ("Khi có yêu cầu", OnRequest, "", "", ""),
    ];
    let mut failures = Vec::new();
    for &(text, kind, start, nominal, due) in cases {
        let parsed = match timeexpr::parse(text) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{text:?}: {e}"));
                continue;
            }
        };
        let r = parsed.expr.resolve(&policy, &cal);
        let got = (parsed.expr.kind(), r.start, r.nominal_due, r.due);
        let want = (kind, opt(start), opt(nominal), opt(due));
        if got != want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inclusive_reading_of_before_date() {
    let policy = ReportingPolicy { before_date: BeforeDate::Inclusive, ..ReportingPolicy::nd09() };
    let e = timeexpr::parse("Trước ngày 15/12/2025").unwrap().expr;
    assert_eq!(e.nominal_due(&policy), Some(d("2025-12-15")));
}

#[test]
fn spelling_case_unicode_form_and_spacing_do_not_matter() {
    let variants = [
        ("Quý IV/2025", vec!["QUÝ IV/2025", "  quý   iv \n/ 2025 ", "Quý IV / 2025"]),
        ("Hằng năm", vec!["Hàng năm", "hằng năm", "HÀNG NĂM", "Hằng\nnăm", "hàng  năm"]),
        ("Tháng, quý, năm", vec!["Tháng,quý,năm", "tháng , quý , năm", "Tháng/ Quý/ Năm", "Tháng/Quý/ Năm"]),
        ("Theo yêu cầu của Văn phòng Chính phủ", vec!["theo yêu cầu của Văn phòng Chính phủ"]),
    ];
    for (canonical, others) in variants {
        let want = timeexpr::parse(canonical).unwrap().expr;
        for v in others.into_iter().chain([canonical]) {
            for form in [v.nfc().collect::<String>(), v.nfd().collect::<String>()] {
                let got = timeexpr::parse(&form).unwrap_or_else(|e| panic!("{form:?}: {e}"));
                assert_eq!(got.expr, want, "{form:?}");
            }
        }
    }
}

#[test]
fn notes_and_qualifiers_are_kept() {
    let p = timeexpr::parse("Hàng năm (khi có phát sinh)").unwrap();
    assert_eq!(p.notes, vec!["khi có phát sinh"]);
    assert_eq!(p.expr.kind(), ExprKind::Recurring);

    let p = timeexpr::parse("Hàng năm (theo nhu cầu thực tế); ít nhất 05 năm một lần").unwrap();
    assert_eq!(p.notes, vec!["theo nhu cầu thực tế"]);
    let TimeExpr::Recurring { recurrence } = &p.expr else { panic!() };
    assert_eq!(recurrence.at_least_every_years, Some(5));

    let p = timeexpr::parse("Quý, 6 tháng, 9 tháng, năm (hoặc đột xuất)").unwrap();
    let TimeExpr::Recurring { recurrence } = &p.expr else { panic!() };
    assert!(recurrence.ad_hoc);
    assert!(p.notes.is_empty());

    let p = timeexpr::parse("Hàng năm (theo kỳ công bố); cuộc điều tra, tổng điều tra").unwrap();
    assert_eq!(p.notes, vec!["theo kỳ công bố", "cuộc điều tra, tổng điều tra"]);
}

#[test]
fn on_request_names_the_requester() {
    let by = |s: &str| match timeexpr::parse(s).unwrap().expr {
        TimeExpr::OnRequest { by } => by,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(by("Theo yêu cầu của Văn phòng Chính phủ").as_deref(), Some("Văn phòng Chính phủ"));
    assert_eq!(by("Khi Trung ương yêu cầu").as_deref(), Some("Trung ương"));
    assert_eq!(by("Khi có yêu cầu"), None);
    assert_eq!(by("Đột xuất"), None);
    assert_eq!(by("đột xuất"), None);
}

#[test]
fn unreadable_text_is_an_error_that_quotes_it() {
    let cases: &[(&str, &str)] = &[
        ("xyz", "unrecognized"),
        ("Tháng 9/2025 sơ kết", "unrecognized"),
        ("Tháng 9", "unrecognized"),
        ("Quý V/2025", "unrecognized"),
        ("Tháng 13/2025", "invalid"),
        ("31/2/2025", "invalid"),
        ("Quý 5/2025", "invalid"),
        ("2030 - 2022", "invalid"),
        ("Năm 3000", "invalid"),
        ("Tháng 14 và 11 hằng năm", "invalid"),
        ("()", "unrecognized"),
        ("   ", "empty"),
    ];
    for &(text, want) in cases {
        let err = timeexpr::parse(text).expect_err(text);
        let kind = match &err {
            TimeExprError::Empty => "empty",
            TimeExprError::Unrecognized { .. } => "unrecognized",
            TimeExprError::Invalid { .. } => "invalid",
        };
        assert_eq!(kind, want, "{text:?}: {err}");
        if want != "empty" {
            assert!(err.to_string().contains(&format!("\"{}\"", text.trim())), "{err}");
        }
        if want == "unrecognized" {
            assert!(err.to_string().contains("Quý IV/2025"), "lists the accepted forms: {err}");
        }
    }
}

/// (label, nominal due, due) of each occurrence in a window.
fn occurrences(text: &str, from: &str, to: &str, policy: &ReportingPolicy) -> Vec<(String, NaiveDate, NaiveDate)> {
    let cal = calendar();
    let e = timeexpr::parse(text).unwrap().expr;
    e.occurrences(d(from), d(to), policy, &cal).iter().map(|o| (o.period.label(), o.nominal_due, o.due)).collect()
}

fn labels(v: &[(String, NaiveDate, NaiveDate)]) -> Vec<&str> {
    v.iter().map(|o| o.0.as_str()).collect()
}

#[test]
fn quarterly_six_nine_month_and_annual_reports_are_four_a_year() {
    let nd09 = ReportingPolicy::nd09();
    let occ = occurrences("Quý, 6 tháng, 9 tháng, năm", "2025-01-01", "2025-12-31", &nd09);
    assert_eq!(labels(&occ), ["Quý I/2025", "6 tháng đầu năm 2025", "9 tháng năm 2025", "Năm 2025"]);
    let dues: Vec<_> = occ.iter().map(|o| o.2).collect();
    assert_eq!(dues, [d("2025-03-25"), d("2025-06-25"), d("2025-09-25"), d("2025-12-25")]);

    let occ = occurrences("Tháng, quý, năm", "2025-01-01", "2025-12-31", &nd09);
    assert_eq!(occ.len(), 12);
    assert_eq!(occ[2].0, "Quý I/2025");
    assert_eq!(occ[5].0, "Quý II/2025");
    assert_eq!(occ[8].0, "Quý III/2025");
    assert_eq!(occ[11].0, "Năm 2025");
    assert_eq!(occ[0].0, "Tháng 1/2025");

    let occ = occurrences("6 tháng, năm", "2026-01-01", "2026-12-31", &nd09);
    assert_eq!(labels(&occ), ["6 tháng đầu năm 2026", "Năm 2026"]);
    let occ = occurrences("06 tháng/năm", "2026-01-01", "2026-12-31", &nd09);
    assert_eq!(labels(&occ), ["6 tháng đầu năm 2026", "Năm 2026"]);

    let occ = occurrences("hằng tháng, quý, 6 tháng, 9 tháng, năm, đột xuất", "2025-01-01", "2025-12-31", &nd09);
    assert_eq!(occ.len(), 12);
    assert_eq!(occ[5].0, "6 tháng đầu năm 2025");
    assert_eq!(occ[8].0, "9 tháng năm 2025");
}

#[test]
fn occurrence_due_dates_follow_the_policy_and_roll_over() {
    let nd09 = ReportingPolicy::nd09();
    // 25/1/2026 is a Sunday.
    let occ = occurrences("Hằng tháng", "2026-01-01", "2026-03-31", &nd09);
    assert_eq!(occ[0], ("Tháng 1/2026".into(), d("2026-01-25"), d("2026-01-26")));
    // 25/2/2026 is a Wednesday.
    assert_eq!(occ[1].2, d("2026-02-25"));

    let eop = ReportingPolicy::end_of_period();
    let occ = occurrences("Hằng quý", "2025-01-01", "2025-12-31", &eop);
    assert_eq!(
        occ.iter().map(|o| o.2).collect::<Vec<_>>(),
        [d("2025-03-31"), d("2025-06-30"), d("2025-09-30"), d("2025-12-31")]
    );

    // Khánh Hòa: 2 working days after the 14th.
    let kh = ReportingPolicy::khanh_hoa_2023();
    let occ = occurrences("Hằng tháng", "2025-09-01", "2025-09-30", &kh);
    // 14/9/2025 is a Sunday: Monday 15 and Tuesday 16 are the two working days.
    assert_eq!(occ[0].2, d("2025-09-16"));
}

#[test]
fn anchored_recurrences() {
    let nd09 = ReportingPolicy::nd09();
    let occ = occurrences("Tháng 7 và 11 hằng năm", "2025-01-01", "2026-12-31", &nd09);
    assert_eq!(labels(&occ), ["Tháng 7/2025", "Tháng 11/2025", "Tháng 7/2026", "Tháng 11/2026"]);
    assert_eq!(occ[1].2, d("2025-11-25"));

    let occ = occurrences("Trước ngày 15/12 hằng năm", "2025-01-01", "2025-12-31", &nd09);
    assert_eq!(occ, vec![("Năm 2025".to_string(), d("2025-12-14"), d("2025-12-15"))]);
}

#[test]
fn fine_cadences() {
    let nd09 = ReportingPolicy::nd09();
    let occ = occurrences("Giờ/Ngày/ Tháng", "2025-09-01", "2025-09-07", &nd09);
    assert_eq!(occ.len(), 7);
    assert_eq!(occ[0].0, "01/09/2025");
    // A daily report on Quốc khánh is due the next working day.
    assert_eq!(occ[0].2, d("2025-09-03"));
    let occ = occurrences("Hằng tuần", "2025-09-01", "2025-09-30", &nd09);
    assert_eq!(labels(&occ), ["Tuần 36/2025", "Tuần 37/2025", "Tuần 38/2025", "Tuần 39/2025"]);
    // Due on the week's last working day: Friday 5/9.
    assert_eq!(occ[0].2, d("2025-09-05"));
}

#[test]
fn non_recurring_forms_have_no_occurrences() {
    let cal = calendar();
    for text in ["Quý IV/2025", "Thường xuyên", "Khi có yêu cầu", "2022 - 2030"] {
        let e = timeexpr::parse(text).unwrap().expr;
        assert!(e.occurrences(d("2025-01-01"), d("2030-12-31"), &ReportingPolicy::nd09(), &cal).is_empty());
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,60}") {
        let _ = timeexpr::parse(&s);
    }

    #[test]
    fn plan_like_text_never_panics(s in "(Tháng|Quý|Năm|Hằng|hàng|ngày|Trước|Từ|đến|[0-9]{1,5}|[IVX]{1,4}|[/ ,;()\\-]){0,12}") {
        let _ = timeexpr::parse(&s);
    }

    #[test]
    fn written_periods_read_back(y in 1900i32..2199, m in 1u32..=12, q in 1u32..=4) {
        let month = timeexpr::parse(&format!("Tháng {m}/{y}")).unwrap().expr;
        prop_assert_eq!(month, TimeExpr::Period { period: dondoc_core::Period::month(y, m).unwrap() });
        let quarter = dondoc_core::Period::quarter(y, q).unwrap();
        prop_assert_eq!(timeexpr::parse(&quarter.label()).unwrap().expr, TimeExpr::Period { period: quarter });
    }
}

/// Every word of the vocabulary readers use ([`timeexpr::WORDS`]) is read by the parser in
/// an expression, and every first word ([`timeexpr::FIRST_WORDS`]) begins one.
#[test]
fn every_word_of_the_vocabulary_is_read_in_an_expression() {
    let examples = [
        ("tháng", "Tháng 9/2025"),
        ("quý", "Quý IV/2025"),
        ("quí", "Quí IV/2025"),
        ("năm", "Năm 2025"),
        ("ngày", "Ngày 15/12/2025"),
        ("giờ", "Hằng giờ"),
        ("tuần", "Hằng tuần"),
        ("hằng", "Hằng năm"),
        ("hàng", "Hàng tháng"),
        ("định", "Định kỳ hằng năm"),
        ("kỳ", "Định kỳ hằng quý"),
        ("thường", "Thường xuyên"),
        ("xuyên", "Thường xuyên"),
        ("liên", "Liên tục"),
        ("tục", "Thường xuyên, liên tục"),
        ("đột", "Đột xuất"),
        ("xuất", "Đột xuất"),
        ("cả", "Cả năm"),
        ("từ", "Từ tháng 9-12/2025"),
        ("đến", "Đến 30/6/2025"),
        ("và", "Tháng 7 và 11 hằng năm"),
        ("giai", "Giai đoạn 2022 - 2030"),
        ("đoạn", "Giai đoạn 2022 - 2030"),
        ("trong", "Trong tháng 9/2025"),
        ("đầu", "Đầu năm 2026"),
        ("giữa", "Giữa năm 2026"),
        ("cuối", "Cuối tháng 9/2025"),
        ("trước", "Trước ngày 15/12/2025"),
        ("chậm", "Chậm nhất ngày 15/12/2025"),
        ("nhất", "Chậm nhất ngày 15/12/2025"),
        ("hạn", "Hạn 15/12/2025"),
        ("là", "Hạn là 15/12/2025"),
        ("hết", "Đến hết 30/6/2025"),
        ("khi", "Khi có yêu cầu"),
        ("có", "Khi có phát sinh"),
        ("phát", "Khi có phát sinh"),
        ("sinh", "Khi có phát sinh"),
        ("theo", "Theo yêu cầu của Văn phòng Chính phủ"),
        ("yêu", "Theo yêu cầu"),
        ("cầu", "Theo yêu cầu"),
        ("của", "Theo chỉ đạo của UBND tỉnh"),
        ("chỉ", "Theo chỉ đạo của UBND tỉnh"),
        ("đạo", "Theo chỉ đạo của UBND tỉnh"),
        ("ít", "Hằng năm; ít nhất 05 năm một lần"),
        ("một", "Hằng năm; ít nhất 05 năm một lần"),
        ("lần", "Hằng năm; ít nhất 05 năm một lần"),
        ("t", "T9/2025"),
        ("q", "Q4/2025"),
        ("i", "Quý I/2026"),
        ("ii", "Quý II/2026"),
        ("iii", "Quý III/2026"),
        ("iv", "Quý IV/2026"),
    ];
    for word in timeexpr::WORDS {
        let Some((_, text)) = examples.iter().find(|(w, _)| w == word) else { panic!("no example reads \"{word}\"") };
        let parsed = timeexpr::parse(text).unwrap_or_else(|e| panic!("\"{word}\": {text}: {e}"));
        assert!(parsed.notes.is_empty(), "{text}: every word read, none left as a note: {:?}", parsed.notes);
        let lower = text.to_lowercase();
        assert!(lower.split(|c: char| !c.is_alphabetic()).any(|t| t == *word), "\"{word}\" is not in {text}");
    }
    let beginnings = ["Giờ, ngày", "Tuần, tháng", "Có yêu cầu của Bộ Tài chính"];
    let texts: Vec<&str> = examples.iter().map(|(_, text)| *text).chain(beginnings).collect();
    for word in timeexpr::FIRST_WORDS {
        assert!(timeexpr::WORDS.contains(word), "\"{word}\" is not a word of the vocabulary");
        let begins = texts.iter().any(|text| {
            text.to_lowercase().split(|c: char| !c.is_alphabetic()).next() == Some(word)
                && timeexpr::parse(text).is_ok()
        });
        assert!(begins, "no expression begins with \"{word}\"");
    }
}

#[test]
fn a_complete_time_followed_by_words_keeps_the_words_as_a_remark() {
    use dondoc_core::timeexpr::{parse, parse_with_remark};
    // (cell, the expression it reads as, the remark); None: refused as parse refuses it.
    let cases: [(&str, Option<(&str, &str)>); 6] = [
        ("Tháng 9/2025 sơ kết", Some(("Tháng 9/2025", "sơ kết"))),
        ("Quý IV/2025 tổng kết, đánh giá", Some(("Quý IV/2025", "tổng kết, đánh giá"))),
        ("Hằng năm", Some(("Hằng năm", ""))),
        ("Tháng 9/2025 đến tháng 12", None),
        ("sau Tết", None),
        ("Tháng 9/2025 và 2026", None),
    ];
    for (cell, want) in cases {
        match (parse_with_remark(cell), want) {
            (Ok((p, remark)), Some((expr, rest))) => {
                assert_eq!(p.expr, parse(expr).unwrap().expr, "{cell}");
                assert_eq!(p.input, cell);
                assert_eq!(remark.as_deref().unwrap_or(""), rest, "{cell}");
                if !rest.is_empty() {
                    assert!(p.notes.contains(&rest.to_string()), "{cell}: {:?}", p.notes);
                }
            }
            (Err(_), None) => assert!(parse(cell).is_err()),
            (got, want) => panic!("{cell}: {got:?}, expected {want:?}"),
        }
    }
}

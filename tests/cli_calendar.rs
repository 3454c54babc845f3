//! The work calendar end to end: the official notices of 2020–2027 decide the deadlines,
//! years without a notice are provisional and say so wherever they decide a deadline, and a
//! notice the secretariat records moves the derived deadlines at once (never the events).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

#[path = "support/cli_run.rs"]
mod cli_run;

const NOW: &str = "2025-09-01T09:00:00+07:00";

fn dondoc(data_dir: &Path, args: &[&str]) -> Output {
    cli_run::run(data_dir, NOW, args)
}

fn ok(data_dir: &Path, args: &[&str]) -> String {
    cli_run::ok(data_dir, NOW, args)
}

fn json(data_dir: &Path, args: &[&str]) -> Value {
    cli_run::json(data_dir, NOW, args)
}

/// The dates of the issue, as the Ministry's notices settle them (deadline "Trước ngày D"
/// read inclusively, so that the nominal due date is D itself).
#[test]
fn deadlines_of_past_years_resolve_as_the_notices_say() {
    let none = tempfile::tempdir().unwrap();
    let table = [
        // (nominal, due): why
        ("23/01/2020", "2020-01-30"), // 29 tháng Chạp, Tết 23/1–29/1/2020 (TB 4544/TB-LĐTBXH)
        ("30/01/2020", "2020-01-30"), // a working day
        ("17/02/2021", "2021-02-17"), // a working day after Tết 10/2–16/2/2021
        ("27/01/2023", "2023-01-27"), // a working day after Tết 20/1–26/1/2023
        ("15/02/2024", "2024-02-15"), // a working day after Tết 8/2–14/2/2024
        ("29/04/2024", "2024-05-02"), // swapped day off, then 30/4 and 1/5
        ("04/05/2024", "2024-05-04"), // the Saturday worked in exchange
    ];
    for (nominal, due) in table {
        let expr = format!("Trước ngày {nominal}");
        let v = json(none.path(), &["when", &expr, "--before-date", "inclusive", "--json"]);
        assert_eq!(v["due"], due, "{expr}: {v}");
        assert_eq!(v["provisional"], serde_json::json!([]), "{expr}: an official year: {v}");
    }
}

#[test]
fn a_year_without_a_notice_is_provisional_wherever_it_decides_a_deadline() {
    let none = tempfile::tempdir().unwrap();
    // 24/1/2028 is 28 tháng Chạp: off by the default rule only.
    let v = json(none.path(), &["when", "Trước ngày 24/01/2028", "--before-date", "inclusive", "--json"]);
    assert_eq!(v["due"], "2028-01-31", "{v}");
    let days: Vec<_> = v["provisional"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(days, ["2028-01-24", "2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28"], "{v}");
    let text = ok(none.path(), &["when", "Trước ngày 24/01/2028", "--before-date", "inclusive"]);
    assert!(text.contains("hạn TẠM TÍNH") && text.contains("năm 2028 chưa có thông báo chính thức"), "{text}");

    let rows = json(none.path(), &["holidays", "2028", "--json"]);
    let tet: Vec<_> = rows.as_array().unwrap().iter().filter(|r| r["date"] == "2028-01-26").collect();
    assert_eq!(tet[0]["provisional"], true, "{rows}");
    let text = ok(none.path(), &["holidays", "2028"]);
    assert!(text.contains("TẠM TÍNH") && text.contains("calendar add-notice"), "{text}");
    // 24/11/2029 is a Saturday: not made up, and the rule is marked unverified.
    let text = ok(none.path(), &["holidays", "2029"]);
    assert!(text.contains("24/11/2029) trùng ngày nghỉ cuối tuần") && text.contains("CHƯA XÁC MINH"), "{text}");
    let text = ok(none.path(), &["holidays", "2024"]);
    assert!(text.contains("chính thức") && text.contains("1570/TB-BLĐTBXH") && !text.contains("TẠM TÍNH"), "{text}");

    let years = json(none.path(), &["calendar", "status", "--from", "2020", "--to", "2028", "--json"]);
    let provisional: Vec<_> =
        years.as_array().unwrap().iter().filter(|y| y["tet"] == "provisional").map(|y| y["year"].clone()).collect();
    assert_eq!(provisional, [2028], "{years}");
    assert_eq!(years[0]["national_day"], "statute", "2020: Quốc khánh was 2/9 alone: {years}");
    assert_eq!(years[7]["unverified"], true, "2027 is known from secondary sources: {years}");
}

#[test]
fn a_recorded_notice_moves_the_derived_deadlines_at_once_and_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let task = ["--plan", "KH-2028", "--code", "01"];
    let with = |head: &[&'static str], tail: &[&'static str]| -> Vec<&'static str> {
        head.iter().chain(task.iter()).chain(tail).copied().collect()
    };
    ok(
        d,
        &with(
            &["task", "add"],
            &["--title", "Tổng kết công tác năm 2027", "--lead", "Sở Nội vụ", "--finish", "Trước ngày 25/01/2028"],
        ),
    );
    let show = json(d, &with(&["show"], &["--json"]));
    assert_eq!(show["due"], "2028-01-31", "24/1/2028 is a provisional day off: {show}");
    assert_eq!(show["due_provisional"], true, "{show}");
    let text = ok(d, &with(&["show"], &[]));
    assert!(text.contains("hạn TẠM TÍNH"), "{text}");
    let events_before = json(d, &with(&["audit"], &["--json"]));

    let notices = d.join("calendar-notices.toml");
    // Tết 2028 as a notice might fix it: 29 tháng Chạp to mùng 4 (Saturday 29/1, made up
    // Monday 31/1). 24/1 becomes a working day.
    let tet = "2028-01-25,2028-01-26,2028-01-27,2028-01-28,2028-01-29";
    let source = "Thông báo 9999/TB-BNV ngày 01/11/2027";
    let dry = ok(d, &["calendar", "add-notice", "--year", "2028", "--source", source, "--tet", tet, "--dry-run"]);
    assert!(dry.contains("Chạy thử") && dry.contains("KH-2028/01: 31/01/2028 → 24/01/2028"), "{dry}");
    assert!(!notices.exists(), "a dry run writes nothing");

    // A notice that cannot be right is refused, naming why; nothing is written.
    let bad =
        dondoc(d, &["calendar", "add-notice", "--year", "2028", "--source", source, "--tet", "2028-01-25,2028-01-26"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cần đúng 5 ngày"), "{bad:?}");
    let bad = dondoc(d, &["calendar", "add-notice", "--year", "2028", "--source", source, "--worked", "2028-02-30"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--worked: \"2028-02-30\""), "{bad:?}");
    assert!(!notices.exists());

    let out = json(d, &["calendar", "add-notice", "--year", "2028", "--source", source, "--tet", tet, "--json"]);
    assert_eq!(out["deadlines"][0]["before"], "2028-01-31", "{out}");
    assert_eq!(out["deadlines"][0]["after"], "2028-01-24", "{out}");
    let changed: Vec<_> = out["days"].as_array().unwrap().iter().map(|x| x["date"].as_str().unwrap()).collect();
    assert_eq!(changed, ["2028-01-24", "2028-01-31"], "24/1 is worked, 31/1 makes up Saturday 29/1: {out}");
    assert!(notices.exists());

    let show = json(d, &with(&["show"], &["--json"]));
    assert_eq!(show["due"], "2028-01-24", "{show}");
    assert_eq!(show["due_provisional"], false, "{show}");
    let holidays = ok(d, &["holidays", "2028"]);
    assert!(holidays.contains("9999/TB-BNV") && holidays.contains("Tết theo thông báo"), "{holidays}");
    assert_eq!(json(d, &with(&["audit"], &["--json"])), events_before, "events are untouched");

    // A later notice of the same year (a swap) completes it: Tết stays, the sources join.
    let swap = ok(
        d,
        &[
            "calendar",
            "add-notice",
            "--year",
            "2028",
            "--source",
            "Công văn 1/VPCP-KGVX",
            "--day-off",
            "2028-05-03",
            "--worked",
            "2028-05-06",
        ],
    );
    assert!(swap.contains("nay là ngày nghỉ") && swap.contains("nay là ngày làm việc"), "{swap}");
    let rows = json(d, &["holidays", "2028", "--json"]);
    let find = |date: &str| rows.as_array().unwrap().iter().find(|r| r["date"] == date).cloned();
    assert_eq!(find("2028-01-26").unwrap()["provisional"], false, "{rows}");
    assert_eq!(find("2028-05-03").unwrap()["name"], "Nghỉ hoán đổi (làm bù thứ Bảy 06/05/2028)", "{rows}");
    let status = json(d, &["calendar", "status", "--from", "2028", "--to", "2028", "--json"]);
    assert_eq!(status[0]["source"], format!("{source}; Công văn 1/VPCP-KGVX"), "{status}");
}

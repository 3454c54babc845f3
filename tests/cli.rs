//! The command-line contract, end to end: the real binary, its JSON and its exit statuses.
//! Scripts depend on these: a change here is a breaking change.

use std::process::{Command, Output};

use serde_json::Value;

fn dondoc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dondoc"))
        .args(args)
        // No data directory: the built-in calendar, whatever the user running the tests has.
        .env("DONDOC_DATA_DIR", std::env::temp_dir().join("dondoc-cli-no-data-dir"))
        .env_remove("DONDOC_CALENDAR")
        .env_remove("DONDOC_POLICY")
        .output()
        .expect("run dondoc")
}

fn json(args: &[&str]) -> Value {
    let out = dondoc(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn when_json_has_the_contract_fields() {
    let v = json(&["when", "Tháng 4/2026", "--json"]);
    assert_eq!(v["input"], "Tháng 4/2026");
    assert_eq!(v["kind"], "month");
    assert_eq!(v["start"], "2026-04-01");
    assert_eq!(v["nominal_due"], "2026-04-30");
    assert_eq!(v["due"], "2026-05-04");
    assert!(v.get("occurrences").is_none());

    let v = json(&["when", "Quý IV/2025", "--as", "start", "--json"]);
    assert_eq!(v["kind"], "quarter");
    assert_eq!(v["as"], "start");
    assert_eq!(v["date"], "2025-10-01");

    for (text, kind) in [
        ("2025", "year"),
        ("6 tháng đầu năm 2026", "half_year"),
        ("ngày 15/12/2025", "date"),
        ("2022 - 2030", "range"),
        ("Thường xuyên", "continuous"),
        ("Theo yêu cầu của Văn phòng Chính phủ", "on_request"),
    ] {
        let v = json(&["when", text, "--json"]);
        assert_eq!(v["kind"], kind, "{text}");
    }
    let v = json(&["when", "Thường xuyên", "--json"]);
    assert!(v["start"].is_null() && v["nominal_due"].is_null() && v["due"].is_null());
}

#[test]
fn when_lists_occurrences_of_a_recurrence_in_the_window() {
    let v = json(&["when", "Quý, 6 tháng, 9 tháng, năm", "--from", "2025-01-01", "--to", "2025-12-31", "--json"]);
    assert_eq!(v["kind"], "recurring");
    assert!(v["start"].is_null() && v["due"].is_null());
    let occ = v["occurrences"].as_array().unwrap();
    let periods: Vec<&str> = occ.iter().map(|o| o["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["Quý I/2025", "6 tháng đầu năm 2025", "9 tháng năm 2025", "Năm 2025"]);
    assert_eq!(occ[0]["nominal_due"], "2025-03-25");
    assert_eq!(occ[0]["due"], "2025-03-25");

    let v = json(&["when", "Hàng tháng", "--from", "2026-01-01", "--to", "2026-01-31", "--json"]);
    assert_eq!(v["occurrences"][0]["nominal_due"], "2026-01-25");
    assert_eq!(v["occurrences"][0]["due"], "2026-01-26");

    let v = json(&[
        "when",
        "Hằng quý",
        "--policy",
        "end_of_period",
        "--from",
        "2025-01-01",
        "--to",
        "2025-03-31",
        "--json",
    ]);
    assert_eq!(v["occurrences"][0]["due"], "2025-03-31");
}

#[test]
fn unreadable_text_exits_2_and_quotes_it() {
    let out = dondoc(&["when", "Tháng 9/2025 sơ kết", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"Tháng 9/2025 sơ kết\""), "{err}");
    assert!(err.contains("Quý IV/2025"), "lists accepted forms: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn holidays_json() {
    let v = json(&["holidays", "2026", "--json"]);
    let rows = v.as_array().unwrap();
    let find = |date: &str| rows.iter().find(|r| r["date"] == date).unwrap_or_else(|| panic!("{date}"));
    assert_eq!(find("2026-02-17")["kind"], "holiday");
    assert_eq!(find("2026-04-27")["kind"], "compensatory");
    assert_eq!(find("2026-01-02")["kind"], "override");
    assert!(find("2026-04-26")["name"].as_str().unwrap().contains("Giỗ Tổ Hùng Vương"));
    assert!(rows.iter().all(|r| r["date"] != "2026-01-10"), "a Saturday worked is not a day off");

    let out = dondoc(&["holidays", "1800"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_calendar_file_replaces_the_built_in_one() {
    let dir = std::env::temp_dir().join(format!("dondoc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.toml");
    std::fs::write(&file, "[year.2027]\ndays_off = [{ date = \"2027-05-04\", name = \"Nghỉ thêm\" }]\n").unwrap();
    let v = json(&["holidays", "2027", "--json", "--calendar", file.to_str().unwrap()]);
    assert!(v.as_array().unwrap().iter().any(|r| r["date"] == "2027-05-04" && r["kind"] == "override"));

    std::fs::write(&file, "[year.2027]\ntet = [\"2028-01-01\"]\n").unwrap();
    let out = dondoc(&["holidays", "2027", "--calendar", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2028-01-01"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

//! The task commands end to end: a real data directory (SQLite file), the real binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Data {
    dir: tempfile::TempDir,
}

impl Data {
    fn new() -> Data {
        let data = Data { dir: tempfile::tempdir().unwrap() };
        let out = data.run("2025-09-01T09:00:00+07:00", &["init"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        data
    }

    fn run(&self, now: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dondoc"))
            .args(args)
            .env("DONDOC_DATA_DIR", self.dir.path())
            .env("DONDOC_NOW", now)
            .env("DONDOC_ACTOR", "Tổ giúp việc")
            .env_remove("DONDOC_CALENDAR")
            .env_remove("DONDOC_POLICY")
            .output()
            .expect("run dondoc")
    }

    fn ok(&self, now: &str, args: &[&str]) -> String {
        let out = self.run(now, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, now: &str, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(now, args)).expect("JSON")
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("dondoc.sqlite")
    }
}

const T: &[&str] = &["--plan", "QN-2022", "--code", "01123"];

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(T).chain(tail).copied().collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn add_task(d: &Data) {
    d.ok(
        "2025-09-01T09:00:00+07:00",
        &args(
            &["task", "add"],
            &[
                "--title",
                "Xây dựng kế hoạch thu thập thông tin thống kê",
                "--lead",
                "Cục Thống kê tỉnh",
                "--coop",
                "Sở Tài chính",
                "--coop",
                "UBND các huyện, thị xã, thành phố",
                "--start",
                "Tháng 9/2025",
                "--finish",
                "Quý IV/2025",
            ],
        ),
    );
}

#[test]
fn a_task_from_definition_to_completion() {
    let d = Data::new();
    add_task(&d);
    let v = d.json("2025-09-01T10:00:00+07:00", &args(&["show"], &["--json"]));
    assert_eq!(v["title"], "Xây dựng kế hoạch thu thập thông tin thống kê");
    assert_eq!(v["lead"], "Cục Thống kê tỉnh");
    assert_eq!(v["cooperating"][1], "UBND các huyện, thị xã, thành phố");
    assert_eq!(v["status"], "not_started");
    assert_eq!(v["classification"], "not_yet_due");
    assert_eq!(v["due"], "2025-12-31");
    assert_eq!(v["revision"], 0);

    d.ok("2025-09-05T09:00:00+07:00", &args(&["task", "start"], &["--note", "Đã giao chuyên viên"]));
    d.ok("2025-10-05T09:00:00+07:00", &args(&["task", "progress"], &["--percent", "40", "--note", "Dự thảo"]));
    let v = d.json("2025-10-05T09:00:00+07:00", &args(&["show"], &["--json"]));
    assert_eq!(v["classification"], "in_progress_on_time");
    assert_eq!(v["progress_percent"], 40);
    // Replay at another instant: overdue in January.
    let v = d.json("2025-10-05T09:00:00+07:00", &args(&["show"], &["--json", "--at", "2026-01-05T09:00:00+07:00"]));
    assert_eq!(v["classification"], "in_progress_overdue");

    d.ok(
        "2025-12-20T09:00:00+07:00",
        &args(&["task", "extend"], &["--to", "Quý I/2026", "--reason", "Chờ số liệu điều tra"]),
    );
    let v = d.json("2025-12-20T09:00:00+07:00", &args(&["show"], &["--json", "--at", "2026-01-05T09:00:00+07:00"]));
    assert_eq!(v["due"], "2026-03-31");
    assert_eq!(v["original_due"], "2025-12-31");
    assert_eq!(v["extended"], true);
    assert_eq!(v["classification"], "in_progress_on_time");

    d.ok("2026-03-20T09:00:00+07:00", &args(&["task", "complete"], &["--document", "125/KH-CTK"]));
    let v = d.json("2026-03-20T09:00:00+07:00", &args(&["show"], &["--json"]));
    assert_eq!(v["status"], "completed");
    assert_eq!(v["classification"], "completed_on_time");
    assert_eq!(v["revision"], 4);

    // The timeline names the actor and says what changed.
    let audit = d.json("2026-03-20T09:00:00+07:00", &args(&["audit"], &["--json"]));
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["type"], "TaskDefined");
    assert_eq!(events[3]["type"], "DeadlineExtended");
    assert!(events[3]["summary"].as_str().unwrap().contains("Chờ số liệu điều tra"));
    assert!(events.iter().all(|e| e["actor"] == "Tổ giúp việc" && e["source"] == "cli"));
    assert!(events.iter().all(|e| e["chain"].as_str().is_some_and(|c| c.len() == 64)));
    let text = d.ok("2026-03-20T09:00:00+07:00", &args(&["audit"], &[]));
    assert!(text.contains("Gia hạn") && text.contains("Tổ giúp việc"), "{text}");
}

#[test]
fn refusals_conflicts_and_unknown_codes_are_clear() {
    let d = Data::new();
    add_task(&d);
    d.ok("2025-09-05T09:00:00+07:00", &args(&["task", "complete"], &["--note", "Đã ban hành"]));

    let out = d.run("2025-09-06T09:00:00+07:00", &args(&["task", "start"], &[]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("nhiệm vụ 01123 (kế hoạch QN-2022)") && err.contains("đã hoàn thành") && err.contains("mở lại"),
        "{err}"
    );

    let out = d.run("2025-09-06T09:00:00+07:00", &args(&["task", "comment"], &["--note", "x", "--revision", "0"]));
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("phiên bản hiện tại là 1"), "{}", stderr(&out));

    let out = d.run("2025-09-06T09:00:00+07:00", &["show", "--plan", "QN-2022", "--code", "01132"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("01123"), "suggests the nearest code: {}", stderr(&out));
    let out = d.run("2025-09-06T09:00:00+07:00", &["show", "--plan", "QN-2021", "--code", "01123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("QN-2022"), "{}", stderr(&out));

    let out = d.run("2025-09-06T09:00:00+07:00", &args(&["task", "extend"], &["--to", "sau Tết", "--reason", "x"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"sau Tết\""), "{}", stderr(&out));
}

#[test]
fn lists_exports_and_rebuilds() {
    let d = Data::new();
    add_task(&d);
    d.ok(
        "2025-09-01T09:00:00+07:00",
        &[
            "task",
            "add",
            "--plan",
            "QN-2022",
            "--code",
            "01210",
            "--title",
            "Báo cáo thống kê định kỳ",
            "--lead",
            "Sở Tài chính",
            "--finish",
            "Hằng quý",
            "--tracked-from",
            "2025-01-01",
        ],
    );
    d.ok(
        "2025-09-20T09:00:00+07:00",
        &[
            "task",
            "submit",
            "--plan",
            "QN-2022",
            "--code",
            "01210",
            "--period",
            "Quý III/2025",
            "--document",
            "88/BC-STC",
        ],
    );

    let at = "2026-01-05T09:00:00+07:00";
    let overdue = d.json(at, &["list", "--overdue", "--json", "--at", at]);
    let codes: Vec<&str> = overdue.as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    // 01210 sent Quý III but not Quý IV/2025 (due 25/12), nor Quý I and II.
    assert_eq!(codes, ["01123", "01210"], "{overdue}");

    let by_agency = d.json(at, &["list", "--agency", "Sở Tài chính", "--json", "--at", at]);
    assert_eq!(by_agency.as_array().unwrap().len(), 2, "lead of one, cooperating on the other");

    let csv = d.ok(at, &["export", "--plan", "QN-2022", "--format", "csv", "--at", at]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("tt,code,title,lead,cooperating,start,finish,product,due,status,classification"));
    let first = lines.next().unwrap();
    assert!(first.contains("01123") && first.contains("Sở Tài chính; UBND các huyện"), "{first}");
    let xlsx = d.dir.path().join("qn.xlsx");
    d.ok(at, &["export", "--plan", "QN-2022", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);

    let before = d.json(at, &["list", "--json", "--at", at]);
    d.ok(at, &["projections", "rebuild"]);
    let after = d.json(at, &["list", "--json", "--at", at]);
    assert_eq!(before, after);
}

fn sqlite3(db: &Path, sql: &str) {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().expect(
        "the sqlite3 command-line tool is required for this test (apt-get install sqlite3; scripts/test.sh installs it)",
    );
    assert!(out.status.success(), "sqlite3: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn audit_verify_reports_an_event_edited_behind_our_back() {
    let d = Data::new();
    add_task(&d);
    d.ok("2025-09-05T09:00:00+07:00", &args(&["task", "start"], &[]));
    d.ok("2025-09-06T09:00:00+07:00", &args(&["task", "comment"], &["--note", "Ghi chú gốc"]));
    let v = d.json("2025-09-06T09:00:00+07:00", &["audit", "verify", "--json"]);
    assert_eq!(v["intact"], true);
    assert_eq!(v["events"], 3);

    // Someone edits the comment in the database file directly.
    sqlite3(
        &d.db(),
        "UPDATE events SET data = replace(data, 'Ghi chú gốc', 'Ghi chú đã sửa') WHERE data LIKE '%Ghi chú gốc%';",
    );
    let out = d.run("2025-09-07T09:00:00+07:00", &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("task-QN-2022-01123") && err.contains("phiên bản 2"), "{err}");
}

#[test]
fn a_damaged_data_file_is_refused_and_left_as_it_is() {
    let d = Data::new();
    add_task(&d);
    // Another application's SQLite file in place of ours.
    std::fs::remove_file(d.db()).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", d.db().display()));
    }
    sqlite3(&d.db(), "PRAGMA application_id = 42; CREATE TABLE x (y);");
    let before = std::fs::read(d.db()).unwrap();
    let out = d.run("2025-09-06T09:00:00+07:00", &["list"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("application_id"), "{}", stderr(&out));
    assert_eq!(std::fs::read(d.db()).unwrap(), before, "the file must not be touched");
}

#[test]
fn counts_per_lead_agency() {
    let d = Data::new();
    add_task(&d);
    let at = "2026-01-05T09:00:00+07:00";
    let v = d.json(at, &["list", "--by-agency", "--json", "--at", at]);
    assert_eq!(v[0]["agency"], "Cục Thống kê tỉnh");
    assert_eq!(v[0]["total"], 1);
    assert_eq!(v[0]["counts"]["in_progress_overdue"], 1);
}

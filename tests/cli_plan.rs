//! A plan named as the office names it: the number, date, issuer and subject given on
//! import (`--plan-number` …) or later (`plan set`) are recorded as a fact on the plan's
//! stream, and the reminders cite the plan so ("Thuộc Kế hoạch số … ngày … của … …"), with
//! the officer addressed by name and position.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "support/cli_run.rs"]
mod cli_run;

const NOW: &str = "2026-06-01T07:00:00+07:00";

fn run(data: &Path, args: &[&str]) -> Output {
    cli_run::run(data, NOW, args)
}

fn ok(data: &Path, args: &[&str]) -> String {
    cli_run::ok(data, NOW, args)
}

fn sample_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/sample-plan.csv")
}

fn outbox(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
}

#[test]
fn reminders_cite_the_plan_as_the_office_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let csv = sample_plan();
    ok(
        d,
        &[
            "import",
            csv.to_str().unwrap(),
            "--plan",
            "MAU-2026",
            "--plan-number",
            "818/KH-UBND",
            "--plan-date",
            "16/04/2026",
            "--plan-issuer",
            "UBND tỉnh",
            "--plan-title",
            "Triển khai công tác thống kê năm 2026",
        ],
    );
    let citation = "Kế hoạch số 818/KH-UBND ngày 16/04/2026 của UBND tỉnh triển khai công tác thống kê năm 2026";
    let plan: Value = serde_json::from_str(&ok(d, &["plan", "show", "--plan", "MAU-2026", "--json"])).unwrap();
    assert_eq!(plan["citation"], citation, "{plan}");
    assert_eq!(plan["source"], "sample-plan.csv", "{plan}");
    assert!(ok(d, &["plan", "list"]).contains(&format!("MAU-2026: {citation}")));

    // A plan set wrongly is refused, naming why; an unknown plan names the nearest.
    let bad = run(d, &["plan", "set", "--plan", "MAU-2026", "--number", "818"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("818/KH-UBND"), "{bad:?}");
    let bad = run(d, &["plan", "set", "--plan", "MAU-2025", "--number", "1/KH-UBND"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("có phải: MAU-2026"), "{bad:?}");
    let bad = run(d, &["plan", "set", "--plan", "MAU-2026", "--date", "31/02/2026"]);
    assert_eq!(bad.status.code(), Some(2));

    ok(
        d,
        &[
            "contact",
            "add",
            "--name",
            "Nguyễn Văn An",
            "--agency",
            "Thống kê tỉnh",
            "--position",
            "Phó Trưởng phòng Thống kê tổng hợp",
            "--email",
            "an@thongke.example.vn",
        ],
    );
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    ok(d, &["simulate", "--from", NOW, "--to", "2026-06-01T09:00:00+07:00", "--outbox", o]);
    let messages = outbox(out.path());
    let to_an: Vec<&Value> = messages.iter().filter(|m| m["address"] == "an@thongke.example.vn").collect();
    assert!(!to_an.is_empty(), "{messages:?}");
    let text = to_an[0]["text"].as_str().unwrap();
    for needle in [
        "Kính gửi: Đồng chí Nguyễn Văn An, Phó Trưởng phòng Thống kê tổng hợp",
        &format!("Thuộc {citation}."),
        "Tổ giúp việc đề nghị đồng chí",
        "TỔ GIÚP VIỆC – VĂN PHÒNG UBND TỈNH",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(!text.contains("MAU-2026"), "the plan id is not for people: {text}");

    // Stated later, the details win over the import's; the next reminders cite them.
    ok(d, &["plan", "set", "--plan", "MAU-2026", "--number", "820/KH-UBND"]);
    let plan: Value = serde_json::from_str(&ok(d, &["plan", "show", "--plan", "MAU-2026", "--json"])).unwrap();
    assert_eq!(plan["number"], "820/KH-UBND");
    assert_eq!(plan["date"], "2026-04-16", "the other details are kept: {plan}");
    let audit = ok(d, &["audit", "verify"]);
    assert!(!audit.is_empty());

    // The exports people read: Vietnamese titles, dates dd/mm/yyyy, the plan cited; the
    // machine CSV keeps its documented names and ISO dates.
    let csv = ok(d, &["export", "--plan", "MAU-2026", "--format", "csv"]);
    assert!(csv.starts_with("tt,code,title,lead,"), "{csv}");
    assert!(csv.contains(",2026-06-30,"), "{csv}");
    let csv = ok(d, &["export", "--plan", "MAU-2026", "--format", "csv", "--vietnamese"]);
    assert!(csv.starts_with("TT,Mã số,Nhiệm vụ,Cơ quan chủ trì,"), "{csv}");
    assert!(csv.contains(",30/06/2026,") && !csv.contains("2026-06-30"), "{csv}");
    let xlsx = dir.path().join("mau.xlsx");
    ok(d, &["export", "--plan", "MAU-2026", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let range = book.worksheet_range("Theo dõi nhiệm vụ").unwrap();
    let title = range.get_value((0, 0)).unwrap().to_string();
    assert!(title.contains("Kế hoạch số 820/KH-UBND ngày 16/04/2026"), "{title}");
    assert_eq!(range.get_value((2, 8)).unwrap().to_string(), "Hạn hoàn thành");
    let due = range.get_value((3, 8)).unwrap();
    assert!(matches!(due, calamine::Data::DateTime(_)), "a real date: {due:?}");

    // The secretariat's proposals reach the weekly summary when written this week.
    std::fs::write(d.join("kien-nghi.txt"), "- Đề nghị Thống kê tỉnh khẩn trương hoàn thành nhiệm vụ 01.\n").unwrap();
    let summary: Value = serde_json::from_str(&ok(d, &["summary", "--json"])).unwrap();
    assert_eq!(summary["proposals"], serde_json::json!(["Đề nghị Thống kê tỉnh khẩn trương hoàn thành nhiệm vụ 01."]));
    assert!(summary["plans"]["MAU-2026"]["reference"] == "Kế hoạch số 820/KH-UBND", "{summary}");
}

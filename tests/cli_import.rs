//! Importing plans end to end: idempotent imports, revised plans as differences, rows that
//! cannot be read kept for review (or the whole file refused with --strict), withdrawals
//! confirmed by count, unreadable files refused, the seed documents, and speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;

const NOW: &str = "2026-06-01T09:00:00+07:00";

struct Data {
    dir: tempfile::TempDir,
}

impl Data {
    fn new() -> Data {
        let data = Data { dir: tempfile::tempdir().unwrap() };
        data.ok(&["init"]);
        data
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dondoc"))
            .args(args)
            .env("DONDOC_DATA_DIR", self.dir.path())
            .env("DONDOC_NOW", NOW)
            .env("DONDOC_ACTOR", "Tổ giúp việc")
            .env_remove("DONDOC_CALENDAR")
            .env_remove("DONDOC_POLICY")
            .output()
            .expect("run dondoc")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("JSON")
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn event_count(&self) -> u64 {
        self.json(&["audit", "verify", "--json"])["events"].as_u64().unwrap()
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const PLAN_V1: &str = "\
code,title,lead,cooperating,start,finish,product
01,Rà soát danh mục chỉ tiêu thống kê cấp tỉnh,Thống kê tỉnh,Sở Tài chính; Sở Nội vụ,Tháng 1/2026,Quý II/2026,Danh mục
02,Báo cáo tình hình kinh tế - xã hội,Thống kê tỉnh,\"Các sở, ban, ngành tỉnh\",,\"Tháng, quý, năm\",Báo cáo
03,Cập nhật cơ sở dữ liệu doanh nghiệp,Sở Kế hoạch và Đầu tư,Thống kê tỉnh,Tháng 3/2026,Tháng 9/2026,Cơ sở dữ liệu
04,Tổ chức tập huấn thống kê cấp xã,Sở Nội vụ,Thống kê tỉnh,,Hằng năm,Lớp tập huấn
";

/// The plan re-issued: 01's deadline moved later (an extension to confirm), 02 renamed, 03 handed to the successor agency,
/// 04 withdrawn, 05 added.
const PLAN_V2: &str = "\
code,title,lead,cooperating,start,finish,product
01,Rà soát danh mục chỉ tiêu thống kê cấp tỉnh,Thống kê tỉnh,Sở Tài chính; Sở Nội vụ,Tháng 1/2026,Quý III/2026,Danh mục
02,Báo cáo tình hình kinh tế - xã hội hằng kỳ,Thống kê tỉnh,\"Các sở, ban, ngành tỉnh\",,\"Tháng, quý, năm\",Báo cáo
03,Cập nhật cơ sở dữ liệu doanh nghiệp,Sở Tài chính,Thống kê tỉnh,Tháng 3/2026,Tháng 9/2026,Cơ sở dữ liệu
05,Công bố niên giám thống kê,Thống kê tỉnh,,,Trước ngày 15/12/2026,Niên giám
";

#[test]
fn importing_the_same_file_twice_appends_nothing() {
    let d = Data::new();
    let v1 = d.file("ke-hoach.csv", PLAN_V1);
    let out = d.ok(&["import", p(&v1), "--plan", "KH-1"]);
    assert!(out.contains("thêm 4"), "{out}");
    let events = d.event_count();
    assert_eq!(events, 5, "four TaskDefined and one PlanRegistered");
    let out = d.ok(&["import", p(&v1), "--plan", "KH-1"]);
    assert!(out.contains("không có thay đổi"), "{out}");
    assert_eq!(d.event_count(), events);
}

#[test]
fn a_revised_plan_appends_only_the_differences() {
    let d = Data::new();
    d.ok(&["import", p(&d.file("v1.csv", PLAN_V1)), "--plan", "KH-1"]);
    let before = d.event_count();
    let v2 = d.file("v2.csv", PLAN_V2);

    let dry = d.json(&["import", p(&v2), "--plan", "KH-1", "--dry-run", "--json"]);
    let changes: Vec<(String, String)> = dry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["change"].as_str().unwrap().to_string(), c["code"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(String, String)> =
        [("extension_proposed", "01"), ("revised", "02"), ("reassigned", "03"), ("new", "05"), ("withdrawn", "04")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    assert_eq!(changes, want);
    assert_eq!(d.event_count(), before, "a dry run writes nothing");

    d.ok(&["import", p(&v2), "--plan", "KH-1"]);
    assert_eq!(d.event_count(), before + 6, "five task events and one PlanRevised");
    // 01's later deadline waits for the secretariat's confirmation.
    let t1 = d.json(&["show", "--plan", "KH-1", "--code", "01", "--json"]);
    assert_eq!(t1["finish"], "Quý II/2026");
    assert_eq!(t1["due"], "2026-06-30");
    let t3 = d.json(&["show", "--plan", "KH-1", "--code", "03", "--json"]);
    assert_eq!(t3["lead"], "Sở Tài chính");
    let t4 = d.json(&["show", "--plan", "KH-1", "--code", "04", "--json"]);
    assert_eq!(t4["status"], "cancelled");
    let audit = d.json(&["audit", "--plan", "KH-1", "--code", "03", "--json"]);
    let last = audit["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "TaskReassigned");
    assert_eq!(last["data"]["from_lead"], "Sở Kế hoạch và Đầu tư", "history keeps the old name");
    assert_eq!(last["source"], "import");

    // And again: nothing more.
    d.ok(&["import", p(&v2), "--plan", "KH-1"]);
    assert_eq!(d.event_count(), before + 6);
}

#[test]
fn an_unreadable_row_is_kept_for_review_and_the_others_are_imported() {
    let d = Data::new();
    let bad = PLAN_V1.replace("Quý II/2026", "sau Tết Nguyên đán");
    let file = d.file("bad.csv", &bad);

    // --strict: all or nothing, the row named by line and column.
    let out = d.run(&["import", p(&file), "--plan", "KH-1", "--strict"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dòng 2, cột thời hạn") && err.contains("sau Tết Nguyên đán"), "{err}");
    assert_eq!(d.event_count(), 0);

    // A dry run reports the same, writes nothing, exit status 1.
    let out = d.run(&["import", p(&file), "--plan", "KH-1", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dòng 2, cột thời hạn"));
    assert_eq!(d.event_count(), 0);

    // By default: the three readable rows are imported, the fourth kept for review; exit 1.
    let out = d.run(&["import", p(&file), "--plan", "KH-1"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no error message: {}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("1 dòng chưa đọc được") && shown.contains("sau Tết Nguyên đán"), "{shown}");
    let listed = d.json(&["list", "--plan", "KH-1", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    // The row is kept with the import (the plan's event), and listed until dismissed.
    let review = d.json(&["import", "review", "--plan", "KH-1", "--json"]);
    let items = review.as_array().unwrap();
    assert_eq!(items.len(), 1, "{review}");
    assert_eq!((items[0]["line"].as_u64(), items[0]["column"].as_str()), (Some(2), Some("thời hạn")));
    assert_eq!(items[0]["code"], "01");
    let out = d.run(&["import", "review", "--plan", "KH-1", "--dismiss", "3", "--reason", "x"]);
    assert_eq!(out.status.code(), Some(2), "line 3 is not on the list");
    assert!(String::from_utf8_lossy(&out.stderr).contains("các dòng cần xem xét: 2"));

    // Importing again changes nothing and keeps the list; the corrected file imports the
    // row, and the list empties since a task carries its code.
    let before = d.event_count();
    assert_eq!(d.run(&["import", p(&file), "--plan", "KH-1"]).status.code(), Some(1));
    assert_eq!(d.event_count(), before);
    d.ok(&["import", p(&d.file("good.csv", PLAN_V1)), "--plan", "KH-1"]);
    assert_eq!(d.json(&["import", "review", "--plan", "KH-1", "--json"]).as_array().unwrap().len(), 0);
}

#[test]
fn a_row_for_review_is_never_withdrawn_and_a_dismissal_is_an_audited_fact() {
    let d = Data::new();
    d.ok(&["import", p(&d.file("v1.csv", PLAN_V1)), "--plan", "KH-1"]);
    // The revision's row 01 cannot be read: task 01 stays, and is not cancelled.
    let bad = PLAN_V1.replace("Quý II/2026", "sau Tết Nguyên đán");
    let out = d.run(&["import", p(&d.file("bad.csv", &bad)), "--plan", "KH-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Giữ nguyên 1 nhiệm vụ"), "{out:?}");
    assert_eq!(d.json(&["show", "--plan", "KH-1", "--code", "01", "--json"])["status"], "not_started");
    // Task 01 carries the code: nothing left to review.
    assert_eq!(d.json(&["import", "review", "--plan", "KH-1", "--json"]).as_array().unwrap().len(), 0);

    // A row without a code is dismissed with a reason, as a fact on the plan's stream.
    let d = Data::new();
    let noted = format!("{PLAN_V1},,Ghi chú: các sở báo cáo trước ngày 15,Sở Tài chính,,,sau Tết,\n");
    assert_eq!(d.run(&["import", p(&d.file("n.csv", &noted)), "--plan", "KH-2"]).status.code(), Some(1));
    let items = d.json(&["import", "review", "--plan", "KH-2", "--json"]);
    let line = items[0]["line"].as_u64().unwrap().to_string();
    let before = d.event_count();
    d.ok(&["import", "review", "--plan", "KH-2", "--dismiss", &line, "--reason", "Ghi chú, không phải nhiệm vụ"]);
    assert_eq!(d.event_count(), before + 1);
    assert!(d.ok(&["import", "review", "--plan", "KH-2"]).contains("không có dòng nào cần xem xét"));
}

#[test]
fn an_import_never_destroys_by_accident() {
    let d = Data::new();
    d.ok(&["import", p(&d.file("v1.csv", PLAN_V1)), "--plan", "KH-1"]);
    let before = d.event_count();
    // A CSV with only its header row: an error, nothing withdrawn.
    let header = PLAN_V1.lines().next().unwrap();
    let out = d.run(&["import", p(&d.file("empty.csv", &format!("{header}\n"))), "--plan", "KH-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("không đọc được nhiệm vụ nào"));
    // A revision that keeps one task of four withdraws three: refused without the count.
    let one: String = PLAN_V1.lines().take(2).map(|l| format!("{l}\n")).collect();
    let file = d.file("one.csv", &one);
    let out = d.run(&["import", p(&file), "--plan", "KH-1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rút 3 trong 4 nhiệm vụ") && err.contains("--allow-withdraw 3"), "{err}");
    assert_eq!(d.run(&["import", p(&file), "--plan", "KH-1", "--allow-withdraw", "2"]).status.code(), Some(2));
    assert_eq!(d.event_count(), before);
    let dry = d.json(&["import", p(&file), "--plan", "KH-1", "--dry-run", "--json"]);
    assert_eq!(dry["withdrawals_to_confirm"], 3);
    d.ok(&["import", p(&file), "--plan", "KH-1", "--allow-withdraw", "3"]);
    assert_eq!(d.json(&["show", "--plan", "KH-1", "--code", "04", "--json"])["status"], "cancelled");

    // A missing file, a directory, a file far too large: exit status 2, nothing read.
    for path in [d.dir.path().join("none.csv"), d.dir.path().to_path_buf()] {
        let out = d.run(&["import", p(&path), "--plan", "KH-1"]);
        assert_eq!(out.status.code(), Some(2), "{path:?}");
    }
    let big = d.dir.path().join("big.txt");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(40 * 1024 * 1024).unwrap();
    let out = d.run(&["import", p(&big), "--plan", "KH-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("quá lớn"), "{out:?}");
}

#[test]
fn five_hundred_tasks_import_in_under_a_second() {
    let d = Data::new();
    let mut csv = String::from("tt,code,title,lead,cooperating,start,finish,product\n");
    for i in 0..500 {
        let finish = ["Quý IV/2026", "Hằng năm", "Tháng 9/2026", "Thường xuyên", "2027"][i % 5];
        csv += &format!(
            "{}.{},{:05},Nhiệm vụ số {i} về công tác thống kê,Sở {},Thống kê tỉnh; UBND các xã,2026,{finish},Báo cáo\n",
            i / 10 + 1,
            i % 10 + 1,
            i,
            i % 17
        );
    }
    let file = d.file("lon.csv", &csv);
    let started = Instant::now();
    d.ok(&["import", p(&file), "--plan", "LON"]);
    let took = started.elapsed();
    eprintln!("500-task import (process start to committed events): {took:?}");
    assert!(took.as_secs_f64() < 1.0 || cfg!(debug_assertions), "took {took:?}");
    assert_eq!(d.event_count(), 501);
}

#[test]
fn unknown_and_renamed_agencies_are_listed() {
    let d = Data::new();
    let plan = PLAN_V1.replace("Sở Nội vụ,Thống kê tỉnh", "Sở Nội vu,Thống kê tỉnh");
    let v = d.json(&["import", p(&d.file("p.csv", &plan)), "--plan", "KH-1", "--dry-run", "--json"]);
    let unknown = v["unknown_agencies"].as_array().unwrap();
    assert_eq!(unknown.len(), 1, "{v}");
    assert_eq!(unknown[0]["name"], "Sở Nội vu");
    assert_eq!(unknown[0]["closest"][0], "Sở Nội vụ");
    let succeeded = v["succeeded_agencies"].as_array().unwrap();
    assert!(succeeded.iter().any(|s| s["name"] == "Sở Kế hoạch và Đầu tư" && s["successor"] == "Sở Tài chính"), "{v}");
}

#[test]
fn a_merger_moves_open_tasks_and_history_keeps_the_old_name() {
    let d = Data::new();
    d.ok(&["import", p(&d.file("v1.csv", PLAN_V1)), "--plan", "KH-1"]);
    d.ok(&["task", "complete", "--plan", "KH-1", "--code", "01", "--note", "xong"]);
    let out = d.ok(&[
        "agency",
        "merge",
        "--from",
        "Sở KH&ĐT",
        "--into",
        "Sở Tài chính",
        "--on",
        "2025-03-01",
        "--reason",
        "Nghị quyết sắp xếp 2025",
    ]);
    assert!(out.contains("chuyển 1 nhiệm vụ"), "{out}");
    let t3 = d.json(&["show", "--plan", "KH-1", "--code", "03", "--json"]);
    assert_eq!(t3["lead"], "Sở Tài chính");
    let audit = d.json(&["audit", "--plan", "KH-1", "--code", "03", "--json"]);
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events[0]["data"]["lead"], "Sở Kế hoạch và Đầu tư", "the definition keeps the plan's name");
    assert_eq!(events.last().unwrap()["type"], "TaskReassigned");
    let list = d.ok(&["agency", "list"]);
    assert!(list.contains("Sở Kế hoạch và Đầu tư → Sở Tài chính"), "{list}");
}

#[test]
fn an_excel_export_imports_back_as_the_same_plan() {
    let d = Data::new();
    d.ok(&["import", p(&d.file("v1.csv", PLAN_V1)), "--plan", "KH-1"]);
    let xlsx = d.dir.path().join("kh-1.xlsx");
    d.ok(&["export", "--plan", "KH-1", "--format", "xlsx", "--out", p(&xlsx)]);
    let out = d.ok(&["import", p(&xlsx), "--plan", "KH-2"]);
    assert!(out.contains("thêm 4"), "{out}");
    let a = d.ok(&["export", "--plan", "KH-1", "--format", "csv"]);
    let b = d.ok(&["export", "--plan", "KH-2", "--format", "csv"]);
    assert_eq!(a, b);
    let out = d.run(&["import", p(&xlsx), "--plan", "KH-2", "--sheet", "Không có"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Theo dõi nhiệm vụ"), "names the sheets there are");
}

#[test]
fn a_five_hundred_task_plan_document_imports_in_under_a_second() {
    let d = Data::new();
    let mut text = String::from("PHỤ LỤC\nSTT\tNội dung\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian thực hiện\n");
    for group in 1..=25 {
        text += &format!("{group}\tNhóm nhiệm vụ số {group}\t\t\t\n");
        for i in 1..=20 {
            let time = ["Hằng năm", "Quý IV/2026", "Tháng, quý, năm", "Thường xuyên"][i % 4];
            text += &format!(
                "{group}.{i}\tNhiệm vụ {group}.{i} về nâng cao chất lượng số liệu thống kê\tThống kê tỉnh\tSở Tài chính; UBND các xã, phường\t{time}\n"
            );
        }
    }
    let file = d.file("ke-hoach-500.txt", &text);
    let started = Instant::now();
    let out = d.ok(&["import", p(&file), "--plan", "K500"]);
    let took = started.elapsed();
    eprintln!("500-task plan document (text to committed events): {took:?}");
    assert!(out.contains("500 nhiệm vụ") && out.contains("thêm 500"), "{out}");
    assert!(took.as_secs_f64() < 1.0 || cfg!(debug_assertions), "took {took:?}");
}

#[test]
fn options_go_before_or_after_the_command_and_time_cells_keep_their_remarks() {
    let d = Data::new();
    // "--as" before the command names the person, like after it.
    let plan = PLAN_V1.replace("Tháng 9/2026,Cơ sở dữ liệu", "Tháng 9/2026 sơ kết,Cơ sở dữ liệu");
    let file = d.file("p.csv", &plan);
    let out = d.run(&["--as", "Nguyễn Văn An", "import", p(&file), "--plan", "KH-1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A complete time followed by words: read as the time, the words kept, a warning.
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("đọc là \"Tháng 9/2026\", phần \"sơ kết\" giữ làm ghi chú"), "{shown}");
    let t3 = d.json(&["show", "--plan", "KH-1", "--code", "03", "--json"]);
    assert_eq!((t3["finish"].as_str(), t3["due"].as_str()), (Some("Tháng 9/2026 sơ kết"), Some("2026-09-30")), "{t3}");
    let audit = d.json(&["audit", "--json", "--plan", "KH-1", "--code", "03"]);
    assert_eq!(audit["events"][0]["actor"], "Nguyễn Văn An");
    d.ok(&["task", "comment", "--plan", "KH-1", "--code", "03", "--note", "x", "--as", "Lê Thị Bích"]);
    d.ok(&["--as", "Trần Minh Cường", "task", "comment", "--plan", "KH-1", "--code", "03", "--note", "y"]);
    let audit =
        d.json(&["--data-dir", d.dir.path().to_str().unwrap(), "audit", "--plan", "KH-1", "--code", "03", "--json"]);
    let actors: Vec<&str> = audit["events"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(actors, ["Nguyễn Văn An", "Lê Thị Bích", "Trần Minh Cường"]);
    // `when` keeps its old "--as start" spelling, and takes "--reading".
    for flag in ["--as", "--reading"] {
        let v = d.json(&["when", "Quý IV/2025", flag, "start", "--json"]);
        assert_eq!(v["start"], "2025-10-01", "{flag}: {v}");
    }
}

/// `shared/` beside the repository (override with `DONDOC_SHARED_DIR`).
fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

#[test]
fn a_plan_reissued_after_the_2025_merger_is_read_as_a_revision() {
    let d = Data::new();
    let seed = shared_dir().join("seeds/kon-tum-1012-2024.txt");
    d.ok(&["import", p(&seed), "--plan", "KT"]);

    // The re-issued plan, derived from the board: the 2025 agency names, one deadline
    // later, one task renumbered (I.2 printed as TT 9), one dropped (I.3), one added.
    let csv = d.ok(&["export", "--plan", "KT", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut rows: Vec<Vec<String>> =
        reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    let renamed =
        [("Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ"), ("Sở Giao thông vận tải", "Sở Xây dựng")];
    let mut successions = std::collections::BTreeSet::new();
    for row in &mut rows {
        for c in [col("lead"), col("cooperating")] {
            for (old, new) in renamed {
                if row[c].contains(old) {
                    row[c] = row[c].replace(old, new);
                    successions.insert(row[col("code")].clone());
                }
            }
        }
    }
    let find = |rows: &[Vec<String>], code: &str| rows.iter().position(|r| r[col("code")] == code).unwrap();
    let later = find(&rows, "I.1");
    assert_eq!(rows[later][col("finish")], "Tháng 4/2025");
    rows[later][col("finish")] = "Tháng 12/2025".into();
    let moved = find(&rows, "I.2");
    rows[moved][col("code")] = "I.9".into();
    rows[moved][col("tt")] = "9".into();
    let dropped = find(&rows, "I.3");
    rows.remove(dropped);
    let mut added = rows[0].clone();
    added[col("code")] = "I.10".into();
    added[col("tt")] = "10".into();
    added[col("title")] = "Tổng kết thực hiện kế hoạch sau sắp xếp đơn vị hành chính".into();
    rows.push(added);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for r in &rows {
        out.write_record(r).unwrap();
    }
    let file = d.file("kt-2025.csv", &String::from_utf8(out.into_inner().unwrap()).unwrap());

    let dry = d.json(&["import", p(&file), "--plan", "KT", "--dry-run", "--json"]);
    let changes = dry["changes"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&Value> { changes.iter().filter(|c| c["change"] == kind).collect() };
    // Reassignments that follow the recorded successions are marked as such, not removals.
    let reassigned = of("reassigned");
    assert!(!successions.is_empty());
    assert_eq!(reassigned.len(), successions.len(), "{dry}");
    assert!(reassigned.iter().all(|c| c["by_succession"] == true), "{reassigned:?}");
    // The later deadline is an extension to confirm, not a revision.
    let ext = of("extension_proposed");
    assert_eq!(ext.len(), 1, "{dry}");
    assert_eq!((ext[0]["code"].as_str(), ext[0]["to"].as_str()), (Some("I.1"), Some("2025-12-31")));
    assert!(of("revised").iter().all(|c| c["code"] != "I.1"), "{dry}");
    // Renumbered by content: the task keeps its code; genuinely new and dropped rows.
    let renum = of("renumbered");
    assert_eq!(renum.len(), 1, "{dry}");
    assert_eq!(
        (renum[0]["code"].as_str(), renum[0]["from_tt"].as_str(), renum[0]["to_tt"].as_str()),
        (Some("I.2"), Some("2"), Some("9"))
    );
    let new: Vec<&str> = of("new").iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(new, ["I.10"]);
    let gone: Vec<&str> = of("withdrawn").iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(gone, ["I.3"]);

    // Written: the extension waits for the secretariat; the deadline in force is unchanged.
    let shown = d.ok(&["import", p(&file), "--plan", "KT"]);
    assert!(
        shown.contains("theo đổi tên, sáp nhập cơ quan") && shown.contains("đề nghị gia hạn chờ xác nhận 1"),
        "{shown}"
    );
    let t = d.json(&["show", "--plan", "KT", "--code", "I.1", "--json"]);
    assert_eq!(t["finish"], "Tháng 4/2025", "{t}");
    let audit = d.json(&["audit", "--plan", "KT", "--code", "I.1", "--json"]);
    assert_eq!(audit["events"].as_array().unwrap().last().unwrap()["type"], "DeadlineExtensionRequested");
    d.ok(&[
        "task",
        "extend",
        "--plan",
        "KT",
        "--code",
        "I.1",
        "--to",
        "Tháng 12/2025",
        "--reason",
        "Theo kế hoạch sửa đổi",
    ]);
    assert_eq!(d.json(&["show", "--plan", "KT", "--code", "I.1", "--json"])["due"], "2025-12-31");
    // The renumbered task took its new number; the same file again changes nothing.
    let t2 = d.json(&["show", "--plan", "KT", "--code", "I.2", "--json"]);
    assert_eq!(t2["tt"], "9", "{t2}");
    let before = d.event_count();
    let again = d.ok(&["import", p(&file), "--plan", "KT"]);
    assert!(again.contains("không có thay đổi"), "{again}");
    assert_eq!(d.event_count(), before);
}

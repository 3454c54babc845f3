//! The audit claim end to end, as a careful reviewer would try it with the real `sqlite3`
//! tool on a real data directory: the newest event of a task deleted, a whole stream
//! deleted, `recorded_at` edited, a rollback that only an anchor reveals, a key inside the
//! data directory refused; and the data directory private (0700, files 0600).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PLAN: &str = "MAU-2026";

struct Data {
    _root: tempfile::TempDir,
    dir: PathBuf,
    key: PathBuf,
}

impl Data {
    /// A data directory with the sample plan, and its seal key beside it (outside).
    fn new() -> Data {
        let root = tempfile::tempdir().unwrap();
        let data = Data { dir: root.path().join("data"), key: root.path().join("keys/seal.key"), _root: root };
        data.ok(&["init"]);
        let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/sample-plan.csv");
        data.ok(&["import", csv, "--plan", PLAN, "--tracked-from", "2026-01-01"]);
        data.ok(&["task", "start", "--plan", PLAN, "--code", "01"]);
        data.ok(&["task", "progress", "--plan", PLAN, "--code", "01", "--percent", "40", "--note", "Đã rà soát"]);
        data
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dondoc"))
            .args(args)
            .env("DONDOC_DATA_DIR", &self.dir)
            .env("DONDOC_SEAL_KEY", &self.key)
            .env("DONDOC_NOW", "2026-03-02T09:00:00+07:00")
            .env("DONDOC_ACTOR", "Tổ giúp việc")
            .env_remove("DONDOC_CALENDAR")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn db(&self) -> PathBuf {
        self.dir.join("dondoc.sqlite")
    }

    fn sqlite3(&self, sql: &str) -> String {
        let out = Command::new("sqlite3").arg(self.db()).arg(sql).output().expect("the sqlite3 tool");
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `audit verify --json`: its exit code and report.
    fn verify(&self, extra: &[&str]) -> (i32, Value) {
        let out = self.run(&[&["audit", "verify", "--json"][..], extra].concat());
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        });
        (out.status.code().unwrap(), report)
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[test]
fn a_fresh_log_verifies_and_says_what_it_checked() {
    let data = Data::new();
    let text = data.ok(&["audit", "verify"]);
    assert!(text.contains("Chuỗi băm từng luồng: khớp"), "{text}");
    assert!(text.contains("Dấu niêm phong (khóa"), "{text}");
    assert!(text.contains("Không phát hiện được"), "{text}");
    let (code, report) = data.verify(&[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["intact"], true);
    assert_eq!(report["seals"]["checked"], true);
    assert_eq!(report["seals"]["unsealed"], serde_json::json!([]));
    assert_eq!(report["seals"]["sealed_events"], report["events"]);
    assert!(!report["cannot_detect"].as_array().unwrap().is_empty());
}

#[test]
fn the_newest_event_of_a_task_deleted_is_reported() {
    let data = Data::new();
    data.sqlite3(&format!(
        "DELETE FROM events WHERE stream = 'task-{PLAN}-01' AND revision = (SELECT max(revision) FROM events WHERE stream = 'task-{PLAN}-01')"
    ));
    let (code, report) = data.verify(&[]);
    assert_ne!(code, 0, "{report}");
    assert_eq!(report["intact"], false);
    assert_eq!(report["chains"]["first_break"], Value::Null, "the chains alone cannot see it");
    assert!(report["seals"]["first_break"].is_object(), "{report}");
}

#[test]
fn a_whole_stream_deleted_or_a_time_edited_is_reported() {
    let data = Data::new();
    data.sqlite3(&format!("DELETE FROM events WHERE stream = 'task-{PLAN}-02'"));
    let (code, report) = data.verify(&[]);
    assert_ne!(code, 0);
    assert!(report["seals"]["first_break"].is_object(), "{report}");

    let data = Data::new();
    data.sqlite3("UPDATE events SET recorded_at = '2025-01-01T00:00:00.000000Z' WHERE position = 3");
    let (code, report) = data.verify(&[]);
    assert_ne!(code, 0);
    assert!(report["seals"]["first_break"].is_object(), "{report}");
}

#[test]
fn a_rollback_behind_an_anchor_is_reported() {
    let data = Data::new();
    let anchor = data.dir.parent().unwrap().join("moc.json");
    data.ok(&["audit", "anchor", "--out", anchor.to_str().unwrap()]);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&anchor).unwrap()).unwrap();
    assert_eq!(saved["format"], "dondoc-anchor-1");
    // The newest commit deleted with its seal: a consistent, older log.
    data.sqlite3(
        "DELETE FROM events WHERE position > (SELECT first_position - 1 FROM seals ORDER BY id DESC LIMIT 1); \
         DELETE FROM seals WHERE id = (SELECT max(id) FROM seals);",
    );
    let (code, report) = data.verify(&[]);
    assert_eq!(code, 0, "without the anchor nothing shows: {report}");
    let (code, report) = data.verify(&["--anchor", anchor.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert_eq!(report["anchor"]["status"], "missing", "{report}");
}

#[test]
fn the_data_directory_is_private_and_the_key_outside_it() {
    let data = Data::new();
    assert_eq!(mode(&data.dir), 0o700);
    for file in ["dondoc.toml", "dondoc.sqlite", "dondoc.sqlite-wal"] {
        let path = data.dir.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    assert_eq!(mode(&data.key), 0o600);
    let out = data.dir.parent().unwrap().join("xuat.csv");
    data.ok(&["export", "--plan", PLAN, "--format", "csv", "--out", out.to_str().unwrap()]);
    assert_eq!(mode(&out), 0o600, "an export holds the plan's data");

    // A data directory left open by an older version is made private when opened.
    std::fs::set_permissions(&data.dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(data.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    data.ok(&["list", "--plan", PLAN]);
    assert_eq!((mode(&data.dir), mode(&data.db())), (0o700, 0o600));

    // A key kept inside the data directory is refused.
    let inside = Command::new(env!("CARGO_BIN_EXE_dondoc"))
        .args(["list"])
        .env("DONDOC_DATA_DIR", &data.dir)
        .env("DONDOC_SEAL_KEY", data.dir.join("seal.key"))
        .output()
        .unwrap();
    assert!(!inside.status.success());
    assert!(String::from_utf8_lossy(&inside.stderr).contains("nằm trong thư mục dữ liệu"));
}

#[test]
fn a_hand_edited_period_is_an_error_naming_the_event_never_a_panic() {
    let data = Data::new();
    data.ok(&["task", "submit", "--plan", PLAN, "--code", "02", "--period", "Quý IV/2025", "--document", "45/BC"]);
    data.sqlite3(&format!(
        "UPDATE events SET data = json_set(data, '$.occurrence', '2025-Q7') WHERE stream = 'task-{PLAN}-02' AND event_type = 'ReportSubmitted'"
    ));
    data.sqlite3("DELETE FROM proj_checkpoint; DELETE FROM proj_task;");
    for args in
        [&["list", "--plan", PLAN][..], &["reminders", "due"][..], &["audit", "--plan", PLAN, "--code", "02"][..]]
    {
        let out = data.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} went on with a hand-edited period");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("task-{PLAN}-02")) && stderr.contains("occurrence"), "{args:?}: {stderr}");
    }
}

/// `dondoc backup`: taken while another process writes, the copy is one consistent moment
/// (a prefix of the history), its chains and seals check, and restored as the data
/// directory's store it works and verifies; an existing file is never overwritten.
#[test]
fn an_online_backup_is_a_consistent_prefix_and_restores() {
    let data = Data::new();
    let (dir, key) = (data.dir.clone(), data.key.clone());
    let writer = std::thread::spawn(move || {
        for i in 0..30 {
            let out = Command::new(env!("CARGO_BIN_EXE_dondoc"))
                .args(["task", "comment", "--plan", PLAN, "--code", "01", "--note", &format!("ghi chú số {i}")])
                .env("DONDOC_DATA_DIR", &dir)
                .env("DONDOC_SEAL_KEY", &key)
                .env("DONDOC_NOW", "2026-03-02T09:00:00+07:00")
                .env("DONDOC_ACTOR", "Tổ giúp việc")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let copy = data.dir.parent().unwrap().join("sao-luu.sqlite");
    let said = data.ok(&["backup", "--out", copy.to_str().unwrap()]);
    writer.join().unwrap();
    assert!(said.contains("chuỗi băm khớp") && said.contains("dấu niêm phong khớp"), "{said}");

    let ids = |db: &Path| {
        let out = Command::new("sqlite3").arg(db).arg("SELECT id FROM events ORDER BY position").output().unwrap();
        String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect::<Vec<_>>()
    };
    let (source, backed_up) = (ids(&data.db()), ids(&copy));
    assert!(!backed_up.is_empty() && backed_up.len() <= source.len());
    assert_eq!(source[..backed_up.len()], backed_up[..], "the copy is the history up to one moment");
    println!("backup taken during 30 writes: {} of {} events", backed_up.len(), source.len());

    // Restored (the daemon stopped): the copy is the store; it verifies and answers.
    std::fs::copy(&copy, data.db()).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data.dir.join(format!("dondoc.sqlite{suffix}")));
    }
    let text = data.ok(&["audit", "verify"]);
    assert!(text.contains("Chuỗi băm từng luồng: khớp"), "{text}");
    assert_eq!(ids(&data.db()), backed_up);
    data.ok(&["show", "--plan", PLAN, "--code", "01"]);

    // Never over an existing file.
    let again = data.run(&["backup", "--out", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("đã có"), "{}", String::from_utf8_lossy(&again.stderr));
}

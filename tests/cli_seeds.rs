//! The seed plans, imported from their documents by the real binary and exported again:
//! every task row of the expected tables comes back as written — from the text extracted
//! from their PDFs, and from Word and PDF files of their tables that `tools/office_seeds.py`
//! writes at test time (python-docx, reportlab; the PDF read through poppler's pdftotext).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn dondoc(data: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dondoc"))
        .args(args)
        .env("DONDOC_DATA_DIR", data)
        .env("DONDOC_NOW", "2026-06-01T09:00:00+07:00")
        .env_remove("DONDOC_CALENDAR")
        .output()
        .expect("run dondoc");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

type Row = BTreeMap<String, String>;

fn read_csv(text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

/// A cell of dondoc's CSV export as it was before the export kept spreadsheets from reading
/// it as a formula: the leading `'` before `=`, `+`, `-`, `@`, tab or CR removed.
fn unneutralised(v: &str) -> String {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => v.to_string(),
    }
}

/// The Word and PDF files of the seeds' tables, written once per test run.
fn office_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/office_seeds.py");
        let out = Command::new("python3")
            .arg(&script)
            .args(["--shared".as_ref(), shared_dir().as_os_str(), "--out".as_ref(), dir.path().as_os_str()])
            .output()
            .expect("python3");
        assert!(out.status.success(), "tools/office_seeds.py: {}", String::from_utf8_lossy(&out.stderr));
        dir
    })
    .path()
}

/// Where a seed's document is: its extracted text (.txt) or a generated .docx / .pdf.
fn seed_file(seed: &str) -> PathBuf {
    if seed.ends_with(".txt") { shared_dir().join("seeds").join(seed) } else { office_dir().join(seed) }
}

/// Imports a seed document and returns the exported board, by code.
fn import_and_export(seed: &str, plan: &str) -> BTreeMap<String, Row> {
    let data = tempfile::tempdir().unwrap();
    dondoc(data.path(), &["init"]);
    let file = seed_file(seed);
    dondoc(data.path(), &["import", file.to_str().unwrap(), "--plan", plan]);
    let again = dondoc(data.path(), &["import", file.to_str().unwrap(), "--plan", plan]);
    assert!(again.contains("không có thay đổi"), "re-import must change nothing: {again}");
    let csv = dondoc(data.path(), &["export", "--plan", plan, "--format", "csv"]);
    read_csv(&csv)
        .into_iter()
        .map(|r| r.into_iter().map(|(k, v)| (k, unneutralised(&v))).collect::<Row>())
        .map(|r| (r["code"].clone(), r))
        .collect()
}

fn expected(file: &str) -> Vec<Row> {
    read_csv(&std::fs::read_to_string(shared_dir().join("seeds/expected").join(file)).unwrap())
}

/// Compares the exported columns with an expected row; returns the differences.
fn compare(code: &str, got: Option<&Row>, want: &[(&str, &str)]) -> Vec<String> {
    let Some(got) = got else { return vec![format!("{code}: missing from the export")] };
    want.iter()
        .filter(|(column, value)| got.get(*column).map(String::as_str) != Some(*value))
        .map(|(column, value)| format!("{code} {column}: got {:?}, expected {value:?}", got.get(*column)))
        .collect()
}

#[test]
fn quang_nam_statistics_plan() {
    for file in ["quang-nam-cltk-2022.txt", "quang-nam-cltk-2022.docx", "quang-nam-cltk-2022.pdf"] {
        quang_nam(file);
    }
}

fn quang_nam(file: &str) {
    let board = import_and_export(file, "QN-2022");
    let mut diffs = Vec::new();
    let mut tasks = 0;
    for row in expected("quang-nam-cltk-2022.tasks.csv").iter().filter(|r| !r["lead"].is_empty()) {
        tasks += 1;
        // The misprinted duplicate code is kept apart (see the importer's warning).
        let code = if board.contains_key(&format!("{}-TT{}", row["code"], row["tt"])) {
            format!("{}-TT{}", row["code"], row["tt"])
        } else {
            row["code"].clone()
        };
        let want: Vec<(&str, &str)> = ["tt", "title", "lead", "cooperating", "start", "finish", "product"]
            .iter()
            .map(|c| (*c, row[*c].as_str()))
            .collect();
        diffs.extend(compare(&code, board.get(&code), &want));
    }
    assert_eq!(board.len(), tasks, "{file}: one exported task per task row");
    assert!(diffs.is_empty(), "{file}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn kon_tum_digital_transformation_plan() {
    for file in ["kon-tum-1012-2024.txt", "kon-tum-1012-2024.docx", "kon-tum-1012-2024.pdf"] {
        kon_tum(file);
    }
}

fn kon_tum(file: &str) {
    let board = import_and_export(file, "KT-1012");
    let mut diffs = Vec::new();
    let tasks = expected("kon-tum-1012-2024.tasks.csv");
    for row in &tasks {
        let section = row["section"].split('.').next().unwrap().to_string();
        let code = format!("{section}.{}", row["tt"]);
        let want = [
            ("tt", row["tt"].as_str()),
            ("title", row["title"].as_str()),
            ("lead", row["lead"].as_str()),
            ("cooperating", row["cooperating"].as_str()),
            ("finish", row["deadline"].as_str()),
            ("product", row["result"].as_str()),
        ];
        diffs.extend(compare(&code, board.get(&code), &want));
    }
    // The indicator catalogue (Phụ lục II): in the text, and as the second table of the
    // Word and PDF files.
    let indicators = expected("kon-tum-1012-2024.indicators.csv");
    for row in &indicators {
        let path: Vec<&str> = row["group"].split(" > ").map(|g| g.split('.').next().unwrap()).collect();
        let code = format!("CS-{}.{}", path.join("."), row["tt"]);
        let want =
            [("title", row["name"].as_str()), ("lead", row["lead"].as_str()), ("finish", row["frequency"].as_str())];
        diffs.extend(compare(&code, board.get(&code), &want));
    }
    assert_eq!(board.len(), tasks.len() + indicators.len(), "{file}");
    assert!(diffs.is_empty(), "{file}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn dong_thap_statistics_plan() {
    for file in ["dong-thap-thong-ke-2026.txt", "dong-thap-thong-ke-2026.docx", "dong-thap-thong-ke-2026.pdf"] {
        dong_thap(file);
    }
}

fn dong_thap(file: &str) {
    let board = import_and_export(file, "DT-2026");
    let mut diffs = Vec::new();
    let mut tasks = 0;
    for row in expected("dong-thap-thong-ke-2026.tasks.csv").iter().filter(|r| !r["lead"].is_empty()) {
        tasks += 1;
        let want = [
            ("tt", row["tt"].as_str()),
            ("title", row["title"].as_str()),
            ("lead", row["lead"].as_str()),
            ("cooperating", row["cooperating"].as_str()),
            ("finish", row["time"].as_str()),
        ];
        diffs.extend(compare(&row["tt"], board.get(&row["tt"]), &want));
    }
    assert_eq!(board.len(), tasks, "{file}");
    assert!(diffs.is_empty(), "{file}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn files_that_cannot_be_read_say_why() {
    let data = tempfile::tempdir().unwrap();
    dondoc(data.path(), &["init"]);
    let run = |file: &std::path::Path, path: Option<&std::path::Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dondoc"));
        cmd.args(["import", file.to_str().unwrap(), "--plan", "X"]).env("DONDOC_DATA_DIR", data.path());
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        let out = cmd.output().expect("run dondoc");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // A scanned PDF (no text layer).
    let (code, err) = run(&office_dir().join("ban-scan.pdf"), None);
    assert_eq!(code, Some(2));
    assert!(err.contains("không có lớp chữ"), "{err}");
    // Without poppler's pdftotext: the package to install is named.
    let empty = tempfile::tempdir().unwrap();
    let (code, err) = run(&office_dir().join("kon-tum-1012-2024.pdf"), Some(empty.path()));
    assert_eq!(code, Some(2));
    assert!(err.contains("poppler-utils"), "{err}");
    // An old Word file, and a file that only pretends to be a Word document.
    let doc = data.path().join("ke-hoach.doc");
    std::fs::write(&doc, b"\xd0\xcf\x11\xe0").unwrap();
    let (code, err) = run(&doc, None);
    assert_eq!(code, Some(2));
    assert!(err.contains(".docx"), "{err}");
    let fake = data.path().join("ke-hoach.docx");
    std::fs::write(&fake, "văn bản").unwrap();
    let (code, err) = run(&fake, None);
    assert_eq!(code, Some(2));
    assert!(err.contains("không phải tệp Word"), "{err}");
}

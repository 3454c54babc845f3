//! Every time, deadline and frequency cell of the expected tables in `shared/seeds/expected`
//! must parse.

use std::path::PathBuf;

use dondoc_core::timeexpr::{self, ExprKind};

/// `shared/` sits beside the repository (override with `DONDOC_SHARED_DIR`).
fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn cells(file: &str, columns: &[&str]) -> Vec<(usize, String, String)> {
    let path = shared_dir().join("seeds/expected").join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().expect("header").clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| headers.iter().position(|h| h == *c).unwrap_or_else(|| panic!("{file}: no column {c}")))
        .collect();
    let mut out = Vec::new();
    for (row, rec) in reader.records().enumerate() {
        let rec = rec.expect("csv row");
        for (&i, col) in idx.iter().zip(columns) {
            let cell = rec.get(i).unwrap_or("").trim();
            if !cell.is_empty() {
                out.push((row + 2, col.to_string(), cell.to_string()));
            }
        }
    }
    out
}

#[test]
fn every_seed_time_cell_parses() {
    let files: [(&str, &[&str]); 4] = [
        ("quang-nam-cltk-2022.tasks.csv", &["start", "finish"]),
        ("dong-thap-thong-ke-2026.tasks.csv", &["time"]),
        ("kon-tum-1012-2024.tasks.csv", &["deadline"]),
        ("kon-tum-1012-2024.indicators.csv", &["frequency"]),
    ];
    let mut failures = Vec::new();
    let mut count = 0;
    for (file, columns) in files {
        for (line, col, cell) in cells(file, columns) {
            count += 1;
            if let Err(e) = timeexpr::parse(&cell) {
                failures.push(format!("{file}:{line} [{col}] {cell:?}: {e}"));
            }
        }
    }
    assert!(count > 300, "expected the seed tables to hold hundreds of time cells, found {count}");
    assert!(failures.is_empty(), "{} of {count} cells failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn seed_cells_have_the_expected_kinds() {
    let kind = |s: &str| timeexpr::parse(s).unwrap().expr.kind();
    for (file, cols) in
        [("kon-tum-1012-2024.indicators.csv", &["frequency"][..]), ("dong-thap-thong-ke-2026.tasks.csv", &["time"][..])]
    {
        for (_, _, cell) in cells(file, cols) {
            assert_eq!(kind(&cell), ExprKind::Recurring, "{cell}");
        }
    }
    for (_, _, cell) in cells("quang-nam-cltk-2022.tasks.csv", &["start", "finish"]) {
        let k = kind(&cell);
        assert!(matches!(k, ExprKind::Year | ExprKind::Month | ExprKind::Recurring), "{cell}: {k:?}");
    }
}

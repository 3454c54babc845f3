//! Helpers shared by the reader tests: the seed documents in `shared/seeds` (read exactly
//! as they are) and a field-by-field comparison with the expected tables.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `shared/` beside the repository (override with `DONDOC_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// A seed document's text, byte for byte as stored.
pub fn seed_text(file: &str) -> String {
    let path = shared_dir().join("seeds").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An expected table: one map per row, column name -> cell.
pub fn expected(file: &str) -> Vec<BTreeMap<String, String>> {
    let path = shared_dir().join("seeds/expected").join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

/// Compares rows field by field; panics with a readable list of every difference.
pub fn assert_rows_match(file: &str, got: &[BTreeMap<String, String>], want: &[BTreeMap<String, String>]) {
    let mut diffs = Vec::new();
    if got.len() != want.len() {
        diffs.push(format!("row count: got {}, expected {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (column, expected) in w {
            let actual = g.get(column).map(String::as_str).unwrap_or("<missing column>");
            if actual != expected {
                diffs.push(format!(
                    "row {} (tt {:?}) column {column}:\n    got      {actual:?}\n    expected {expected:?}",
                    i + 1,
                    w.get("tt").map(String::as_str).unwrap_or("?")
                ));
            }
        }
    }
    if got.len() != want.len() {
        let n = got.len().min(want.len());
        for (i, w) in want.iter().enumerate().skip(n).take(5) {
            diffs.push(format!("missing row {}: {w:?}", i + 1));
        }
        for (i, g) in got.iter().enumerate().skip(n).take(5) {
            diffs.push(format!("extra row {}: {g:?}", i + 1));
        }
    }
    assert!(diffs.is_empty(), "{file}: {} differences\n{}", diffs.len(), diffs.join("\n"));
}

/// Joins agencies as the expected tables do.
pub fn join(items: &[String]) -> String {
    items.join("; ")
}

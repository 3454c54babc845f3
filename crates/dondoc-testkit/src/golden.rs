//! Golden files: what a test renders, held in a file and compared whole, so that a change
//! of wording shows as a diff to review. `DONDOC_BLESS=1` (re)writes the files.

use std::path::Path;

/// Asserts that `actual` equals the file `dir/name`; with `DONDOC_BLESS` set, writes it.
pub fn assert_golden(dir: &Path, name: &str, actual: &str) {
    let path = dir.join(name);
    if std::env::var_os("DONDOC_BLESS").is_some() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (DONDOC_BLESS=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file (DONDOC_BLESS=1 rewrites it after review)");
}

//! A test that cannot run here says so instead of passing silently: [`skip`] prints
//! `SKIPPED <test>: <reason>` and, when `DONDOC_SKIP_LOG` names a file (as
//! `scripts/test.sh` does), appends the same line to it. The script lists every skipped and
//! every ignored test and fails unless each is on its allow-list with a reason.

use std::io::Write as _;

/// The variable naming the file skips are appended to.
pub const SKIP_LOG: &str = "DONDOC_SKIP_LOG";

/// Records that `test` did not run, and why. The caller returns right after.
pub fn skip(test: &str, reason: &str) {
    let line = format!("SKIPPED {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os(SKIP_LOG) {
        let appended =
            std::fs::OpenOptions::new().create(true).append(true).open(&path).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!("could not record the skip in {}: {e}", std::path::Path::new(&path).display());
        }
    }
}

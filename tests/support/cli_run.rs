//! The binary run as a person would run one command: a data directory, a fixed instant
//! (`DONDOC_NOW`), the secretariat as actor, no calendar or policy from the environment.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `dondoc args` on `data_dir` at `now`.
pub fn run(data_dir: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dondoc"))
        .args(args)
        .env("DONDOC_DATA_DIR", data_dir)
        .env("DONDOC_NOW", now)
        .env("DONDOC_ACTOR", "Tổ giúp việc")
        .env_remove("DONDOC_CALENDAR")
        .env_remove("DONDOC_POLICY")
        .output()
        .expect("run dondoc")
}

/// [`run`], which must succeed; its standard output.
pub fn ok(data_dir: &Path, now: &str, args: &[&str]) -> String {
    let out = run(data_dir, now, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// [`ok`], its output read as JSON.
#[allow(dead_code)] // not every test file reads JSON
pub fn json(data_dir: &Path, now: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data_dir, now, args)).expect("JSON")
}

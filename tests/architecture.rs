//! The codemap's invariants (ARCHITECTURE.md), kept by a test: which crate may depend on
//! which (dev-dependencies included), which crates stay free of I/O stacks and of anyhow,
//! and where the clock may be read. A new edge or clock read fails here with its place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace's crates and the workspace crates each may depend on (any kind).
const ALLOWED: &[(&str, &[&str])] = &[
    ("dondoc-core", &["dondoc-testkit"]),
    ("dondoc-store", &["dondoc-testkit"]),
    ("dondoc-projections", &["dondoc-core", "dondoc-store", "dondoc-testkit"]),
    ("dondoc-import", &["dondoc-core"]),
    ("dondoc-notify", &["dondoc-core", "dondoc-testkit"]),
    (
        "dondoc-app",
        &["dondoc-core", "dondoc-store", "dondoc-projections", "dondoc-import", "dondoc-notify", "dondoc-testkit"],
    ),
    (
        "dondoc-web",
        &["dondoc-app", "dondoc-core", "dondoc-import", "dondoc-projections", "dondoc-store", "dondoc-testkit"],
    ),
    (
        "dondoc",
        &[
            "dondoc-web",
            "dondoc-app",
            "dondoc-core",
            "dondoc-store",
            "dondoc-projections",
            "dondoc-import",
            "dondoc-notify",
            "dondoc-testkit",
        ],
    ),
    ("dondoc-testkit", &[]),
];

/// External crates a workspace crate must not use (normal dependencies): the pure core has
/// no async runtime, database, network or files; read models and readers no network;
/// libraries report errors with thiserror, never anyhow (the binary's).
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("dondoc-core", &["tokio", "rusqlite", "reqwest", "axum", "hyper", "lettre", "teloxide", "anyhow", "rand"]),
    ("dondoc-store", &["reqwest", "axum", "lettre", "teloxide", "anyhow"]),
    ("dondoc-projections", &["reqwest", "axum", "lettre", "teloxide", "anyhow", "tokio"]),
    ("dondoc-import", &["tokio", "rusqlite", "reqwest", "axum", "lettre", "teloxide", "anyhow"]),
    ("dondoc-notify", &["rusqlite", "axum", "anyhow"]),
    ("dondoc-app", &["axum", "anyhow", "clap"]),
    ("dondoc-web", &["anyhow", "clap", "rusqlite", "lettre", "teloxide"]),
];

/// Clock reads outside the binary's clock, each with its reason.
const CLOCK_READS: &[(&str, &str, &str)] = &[
    ("crates/dondoc/src/clock.rs", "Utc::now", "the system clock: the one place the binary reads it"),
    (
        "crates/dondoc-store/src/sqlite/mod.rs",
        "Utc::now",
        "commit stamps: the wall time a commit happened, an audit fact no caller shifts",
    ),
    (
        "crates/dondoc-store/src/postgres/writer.rs",
        "Utc::now",
        "commit stamps: the wall time a commit happened, an audit fact no caller shifts",
    ),
    (
        "crates/dondoc-store/src/esdb/lease.rs",
        "Utc::now",
        "the sending lease's expiry, compared between machines: wall time, never a replayed instant",
    ),
    (
        "crates/dondoc-store/src/sqlite/schema.rs",
        "Instant::now",
        "timing: how long a connection has waited for another process's lock",
    ),
    ("crates/dondoc-app/src/reminders/sweep.rs", "Instant::now", "timing: the durations a sweep reports"),
    ("crates/dondoc-projections/src/projector.rs", "Instant::now", "timing: the duration of a catch-up"),
    (
        "crates/dondoc-notify/src/dispatch.rs",
        "Instant::now",
        "timing: a chat's spacing measured from the end of its previous send",
    ),
];

const CLOCK_CALLS: &[&str] = &["Utc::now", "Local::now", "SystemTime::now", "Instant::now"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Each workspace package with its dependencies: (name, kind).
fn packages() -> BTreeMap<String, Vec<(String, String)>> {
    let meta = metadata();
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|d| {
                    let name = d["rename"].as_str().or(d["name"].as_str()).unwrap_or_default();
                    (d["name"].as_str().unwrap_or(name).to_string(), d["kind"].as_str().unwrap_or("normal").to_string())
                })
                .collect();
            (p["name"].as_str().expect("a name").to_string(), deps)
        })
        .collect()
}

#[test]
fn crates_depend_only_along_the_codemap() {
    let packages = packages();
    let mut violations = Vec::new();
    for (name, deps) in &packages {
        let Some((_, allowed)) = ALLOWED.iter().find(|(n, _)| n == name) else {
            violations.push(format!("{name}: a crate the codemap does not know (add it to ARCHITECTURE.md and here)"));
            continue;
        };
        for (dep, kind) in deps {
            // A crate may dev-depend on itself to turn on a feature for its own tests.
            let itself = dep == name && kind == "dev";
            if packages.contains_key(dep) && !allowed.contains(&dep.as_str()) && !itself {
                violations.push(format!("{name} → {dep} ({kind} dependency): not allowed by the codemap"));
            }
        }
        if let Some((_, forbidden)) = FORBIDDEN.iter().find(|(n, _)| n == name) {
            for (dep, kind) in deps.iter().filter(|(_, k)| k == "normal") {
                if forbidden.contains(&dep.as_str()) {
                    violations.push(format!("{name} → {dep} ({kind} dependency): forbidden in this crate"));
                }
            }
        }
    }
    assert!(violations.is_empty(), "dependency edges against ARCHITECTURE.md:\n  {}", violations.join("\n  "));
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of a source file that are shipped: without the items under `#[cfg(test)]`
/// (their braces counted), with their 0-based line numbers.
fn shipped_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut skipping, mut depth, mut opened) = (false, 0i64, false);
    for (n, line) in text.lines().enumerate() {
        if !skipping && line.trim_start().starts_with("#[cfg(test)]") {
            (skipping, depth, opened) = (true, 0, false);
            continue;
        }
        if skipping {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            opened |= line.contains('{');
            if (opened && depth <= 0) || (!opened && line.trim_end().ends_with(';')) {
                skipping = false;
            }
            continue;
        }
        out.push((n, line));
    }
    out
}

#[test]
fn the_clock_is_read_only_where_the_codemap_says() {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        // The test kit's peers keep real time on purpose; tests and benches are not shipped.
        if krate.file_name() != "dondoc-testkit" {
            sources(&krate.path().join("src"), &mut files);
        }
    }
    let mut violations = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (n, line) in shipped_lines(&text) {
            let code = line.split("//").next().unwrap_or_default();
            for call in CLOCK_CALLS.iter().filter(|c| code.contains(*c)) {
                let allowed = CLOCK_READS.iter().any(|(f, c, _)| *f == relative && c == call);
                if !allowed {
                    violations.push(format!("{relative}:{}: {call} (take the time from the injected clock)", n + 1));
                }
            }
        }
    }
    assert!(violations.is_empty(), "clock reads outside the allow-list:\n  {}", violations.join("\n  "));
}

#[test]
fn the_allow_lists_name_what_exists() {
    for (file, call, reason) in CLOCK_READS {
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
        assert!(text.contains(call), "{file} no longer reads {call} ({reason}): remove it from the allow-list");
    }
    let packages = packages();
    for (name, _) in ALLOWED {
        assert!(packages.contains_key(*name), "{name} is in the codemap's table but not in the workspace");
    }
}

//! The program's labels against the glossary (docs/glossary.toml, explained in
//! docs/van-phong.md), and no forbidden word (the program as sender, "bạn", help-desk
//! phrases) in the message templates, the user guide or the program's own text.

use std::path::{Path, PathBuf};

use dondoc_core::classify::Classification;
use dondoc_core::contact::Role;
use dondoc_core::event::{Source, TaskStatus};
use dondoc_core::period::Period;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn glossary() -> toml::Table {
    toml::from_str(&std::fs::read_to_string(repo().join("docs/glossary.toml")).unwrap()).expect("the glossary reads")
}

fn section<'a>(g: &'a toml::Table, name: &str) -> &'a toml::Table {
    g[name].as_table().unwrap_or_else(|| panic!("[{name}] in docs/glossary.toml"))
}

fn word<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table.get(key).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("glossary has no entry {key}"))
}

const STATUSES: [TaskStatus; 5] =
    [TaskStatus::NotStarted, TaskStatus::InProgress, TaskStatus::Paused, TaskStatus::Completed, TaskStatus::Cancelled];

#[test]
fn every_label_is_the_glossary_s() {
    let g = glossary();
    let status = section(&g, "status");
    for s in STATUSES {
        assert_eq!(s.label_vi(), word(status, s.as_str()), "status {}", s.as_str());
    }
    let classification = section(&g, "classification");
    let per_status = section(&g, "classification_for_status");
    for c in Classification::ALL {
        assert_eq!(c.label_vi(), word(classification, c.as_str()), "classification {}", c.as_str());
        for s in STATUSES {
            let key = format!("{}/{}", c.as_str(), s.as_str());
            let want = per_status.get(&key).and_then(|v| v.as_str()).unwrap_or(c.label_vi());
            assert_eq!(c.label_for(s), want, "{key}");
        }
    }
    let role = section(&g, "role");
    for (r, key) in [
        (Role::Officer, "officer"),
        (Role::Head, "head"),
        (Role::Secretariat, "secretariat"),
        (Role::Leadership, "leadership"),
    ] {
        assert_eq!(r.label_vi(), word(role, key), "role {key}");
    }
    for (event_type, name) in section(&g, "event") {
        assert_eq!(dondoc_core::event::event_name_vi(event_type), name.as_str().unwrap(), "event {event_type}");
    }
    for source in Source::ALL {
        assert_eq!(source.label_vi(), word(section(&g, "source"), source.as_str()), "source {}", source.as_str());
    }
    for (key, label) in section(&g, "period") {
        let period: Period = key.parse().unwrap_or_else(|_| panic!("period key {key}"));
        assert_eq!(period.label(), label.as_str().unwrap(), "period {key}");
    }
}

/// Files people read, or that hold what people read.
fn texts() -> Vec<PathBuf> {
    let mut out = vec![
        repo().join("docs/huong-dan-su-dung.md"),
        repo().join("docs/van-hanh.md"),
        repo().join("config/dondoc.example.toml"),
    ];
    let mut dirs = vec![repo().join("config/templates"), repo().join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                // Tests may quote what must never appear.
                if !matches!(name.as_str(), "tests" | "benches" | "target") {
                    dirs.push(path);
                }
            } else if name.ends_with(".j2")
                || (name.ends_with(".html") && path.to_string_lossy().contains("/templates/"))
                || (name.ends_with(".rs") && path.to_string_lossy().contains("/src/"))
            {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_forbidden_word_reaches_people() {
    let g = glossary();
    let phrases: Vec<&str> =
        section(&g, "forbidden")["phrases"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut found = Vec::new();
    for path in texts() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            for p in &phrases {
                if line.contains(p) {
                    found.push(format!(
                        "{}:{}: {p:?}: {}",
                        path.strip_prefix(repo()).unwrap().display(),
                        i + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "forbidden words (docs/van-phong.md §5):\n{}", found.join("\n"));
}

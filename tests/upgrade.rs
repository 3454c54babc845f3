//! Upgrades: a data directory written by an earlier release (`tests/fixtures/release-*/`,
//! each made by `tests/fixtures/make-release-fixture.sh` with that release's binary and
//! committed as it came out) opens under this one: its chains and seals verify, its tasks
//! read as they did, new commands append after the old events, and the read models
//! rebuild to the same answers. A release adds its own fixture for the next ones.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("release-")))
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no release fixture in {}", root.display());
    dirs
}

struct Upgraded {
    _root: tempfile::TempDir,
    dir: PathBuf,
    key: PathBuf,
}

impl Upgraded {
    /// A copy of the fixture's data directory and its (test-only) seal key.
    fn from(fixture: &Path) -> Upgraded {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["dondoc.sqlite", "dondoc.toml"] {
            std::fs::copy(fixture.join(file), dir.join(file)).unwrap();
        }
        let key = root.path().join("seal.key");
        std::fs::copy(fixture.join("seal.key"), &key).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        Upgraded { _root: root, dir, key }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dondoc"))
            .args(args)
            .env("DONDOC_DATA_DIR", &self.dir)
            .env("DONDOC_SEAL_KEY", &self.key)
            .env("DONDOC_NOW", "2026-12-07T09:00:00+07:00")
            .env("DONDOC_ACTOR", "Tổ giúp việc")
            .env_remove("DONDOC_STORE")
            .env_remove("DONDOC_CALENDAR")
            .env_remove("DONDOC_POLICY")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

#[test]
fn a_data_directory_of_an_earlier_release_opens_verifies_and_runs() {
    for fixture in fixtures() {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let events: u64 = std::fs::read_to_string(fixture.join("EVENTS")).unwrap().trim().parse().unwrap();
        let data = Upgraded::from(&fixture);

        let verified = data.json(&["audit", "verify", "--json"]);
        assert_eq!(verified["intact"], true, "{name}: {verified}");
        assert_eq!(verified["events"], events, "{name}: {verified}");
        assert_eq!(verified["seals"]["checked"], true, "{name}: {verified}");

        let tasks = data.json(&["list", "--json"]);
        assert_eq!(tasks.as_array().unwrap().len(), 8, "{name}: the sample plan's eight tasks: {tasks}");
        let done = data.json(&["show", "--plan", "MAU-2026", "--code", "01", "--json"]);
        assert_eq!(done["status"], "completed", "{name}: {done}");
        assert_eq!(done["classification"], "completed_late", "{name}: {done}");
        assert_eq!(done["explanation"]["answer"], "Chờ hướng dẫn của Tổng cục", "{name}: {done}");
        let timeline = data.json(&["audit", "--plan", "MAU-2026", "--code", "01", "--json"]);
        let kinds: Vec<&str> =
            timeline["events"].as_array().unwrap().iter().filter_map(|e| e["type"].as_str()).collect();
        for kind in ["TaskDefined", "StatusChanged", "ProgressReported", "ExplanationRequested", "ExplanationGiven"] {
            assert!(kinds.contains(&kind), "{name}: {kind} missing from {kinds:?}");
        }
        let refused = data.json(&["show", "--plan", "MAU-2026", "--code", "03", "--json"]);
        assert_eq!(refused["status"], "in_progress", "{name}: {refused}");
        assert!(data.json(&["reminders", "log", "--json"]).is_array(), "{name}");

        // New events go after the old ones and everything still verifies.
        data.ok(&["task", "comment", "--plan", "MAU-2026", "--code", "02", "--note", "sau khi nâng cấp"]);
        let verified = data.json(&["audit", "verify", "--json"]);
        assert_eq!(verified["intact"], true, "{name}: {verified}");
        assert_eq!(verified["events"], events + 1, "{name}: {verified}");

        // The read models rebuilt from the old log answer as before.
        let before = data.json(&["show", "--plan", "MAU-2026", "--code", "03", "--json"]);
        data.ok(&["projections", "rebuild"]);
        assert_eq!(data.json(&["show", "--plan", "MAU-2026", "--code", "03", "--json"]), before, "{name}");
    }
}

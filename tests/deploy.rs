//! `deploy/` checked by the tools that will read it: systemd's own analyzer for the unit
//! (syntax, and the hardening's exposure score), the binary for the example
//! configurations, a YAML parser for the compose files (whose local paths and variables
//! must exist), and the Dockerfile's copied paths.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        dondoc_testkit::skip::skip(
            "deploy::the_systemd_unit_verifies_and_is_hardened",
            "systemd-analyze is not installed",
        );
        return;
    }
    let unit = std::fs::read_to_string(root().join("deploy/dondoc.service")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dondoc.service");
    // The analyzer checks that ExecStart names an executable: this build's binary.
    std::fs::write(&path, unit.replace("/usr/local/bin/dondoc", env!("CARGO_BIN_EXE_dondoc"))).unwrap();
    let verify = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // Exposure 0 (fully sandboxed) to 10 (no sandbox), shown with one decimal; the
    // threshold is in tenths: 20 = 2.0 (systemd calls up to 2.9 "OK").
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(security.status.success(), "exposure above 2:\n{report}");
    let overall = report.lines().find(|l| l.contains("Overall exposure")).unwrap_or_default();
    println!("{overall}");
}

#[test]
fn the_example_configurations_are_accepted_by_the_binary() {
    for example in ["dondoc.embedded.toml", "dondoc.postgres.toml", "dondoc.kurrentdb.toml"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::copy(root().join("deploy/examples").join(example), data.join("dondoc.toml")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dondoc"))
            .arg("init")
            .env("DONDOC_DATA_DIR", &data)
            .env("DONDOC_SEAL_KEY", dir.path().join("seal.key"))
            // The embedded store stands in for the server (--store/DONDOC_STORE win over [store]).
            .env("DONDOC_STORE", data.join("dondoc.sqlite"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{example}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn compose_files_and_the_dockerfile_name_what_exists() {
    let deploy = root().join("deploy");
    let sources = ["crates/dondoc/src", "crates/dondoc-app/src", "crates/dondoc-store/src"]
        .iter()
        .flat_map(|d| walk(&root().join(d)))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect::<String>();
    for file in ["compose.postgres.yml", "compose.kurrentdb.yml"] {
        let script = r#"
import json, sys, yaml
print(json.dumps(yaml.safe_load(open(sys.argv[1]))))
"#;
        let out = Command::new("python3").args(["-c", script]).arg(deploy.join(file)).output().unwrap();
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let compose: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let dondoc = &compose["services"]["dondoc"];
        assert_eq!(dondoc["build"]["dockerfile"], "deploy/Dockerfile", "{file}");
        for volume in dondoc["volumes"].as_array().unwrap() {
            let local = volume.as_str().unwrap().split(':').next().unwrap();
            if local.starts_with('.') {
                assert!(deploy.join(local).exists(), "{file}: {local} does not exist");
            }
        }
        for variable in dondoc["environment"].as_object().unwrap().keys() {
            assert!(sources.contains(&format!("\"{variable}\"")), "{file}: dondoc does not read {variable}");
        }
    }
    let dockerfile = std::fs::read_to_string(deploy.join("Dockerfile")).unwrap();
    assert!(dockerfile.lines().any(|l| l.starts_with("USER dondoc")), "the image runs as a user, not root");
    assert!(dockerfile.contains("--locked"), "the image builds from Cargo.lock");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

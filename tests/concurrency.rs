//! Many hands on one store: several CLI processes recording progress at once, on one task
//! and on several tasks, while `dondoc serve` sweeps every second. Every command without
//! `--revision` succeeds (a conflict is decided again, not refused), each success is exactly
//! one event in the log, the task board agrees with the log and with a rebuild, and a
//! command with a stale `--revision` is refused with the current revision.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{Serve, free_port};

const PLAN: &str = "MAU-2026";
const WRITERS: usize = 4;
const COMMANDS: usize = 25;

fn dondoc(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dondoc"));
    cmd.env("DONDOC_DATA_DIR", data).env_remove("DONDOC_NOW").env_remove("DONDOC_CALENDAR").env_remove("DONDOC_POLICY");
    cmd
}

fn run(data: &Path, args: &[&str]) -> Output {
    dondoc(data).args(args).output().expect("run dondoc")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args)).unwrap()
}

/// The task's events in the log.
fn events(data: &Path, code: &str) -> Vec<Value> {
    json(data, &["audit", "--plan", PLAN, "--code", code, "--json"])["events"].as_array().unwrap().clone()
}

/// `WRITERS` processes at once, each recording `COMMANDS` progress reports on the task
/// `code(writer)` one after another; returns the failures (arguments and stderr).
fn race(data: &Path, code: fn(usize) -> String) -> Vec<String> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                s.spawn(move || {
                    let mut failures = Vec::new();
                    let code = code(w);
                    for i in 0..COMMANDS {
                        let note = format!("người {w}, lần {i}");
                        let actor = format!("Cán bộ {w}");
                        let args =
                            ["task", "progress", "--plan", PLAN, "--code", &code, "--note", &note, "--as", &actor];
                        let out = run(data, &args);
                        if !out.status.success() {
                            failures.push(format!("{args:?}: {}", String::from_utf8_lossy(&out.stderr)));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

fn progress_notes(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "ProgressReported")
        .map(|e| e["data"]["note"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_processes_write_one_store_while_the_daemon_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(data, &["init"]);
    let port = free_port();
    let config = data.join("dondoc.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("127.0.0.1:8787", &format!("127.0.0.1:{port}"))
        .replace("sweep = \"0 */15 * * * *\"", "sweep = \"* * * * * *\"");
    std::fs::write(&config, text).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/sample-plan.csv");
    ok(data, &["import", sample.to_str().unwrap(), "--plan", PLAN]);
    let codes = ["01", "03", "05", "07"];
    for code in codes {
        ok(data, &["task", "start", "--plan", PLAN, "--code", code]);
    }
    let mut serve = {
        let mut command = dondoc(data);
        command.arg("serve");
        Serve::start(command, port, data.join("serve.log"))
    };
    serve.healthz().await;

    // Four processes on one task, then four on four tasks.
    let failures = race(data, |_| "01".to_string());
    assert!(failures.is_empty(), "{} commands failed:\n{}", failures.len(), failures.join("\n"));
    let failures = race(data, |w| ["01", "03", "05", "07"][w].to_string());
    assert!(failures.is_empty(), "{} commands failed:\n{}", failures.len(), failures.join("\n"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let health = serve.healthz().await;
    assert!(health["last_runs"]["sweep"].is_string(), "the daemon swept meanwhile: {health}");
    serve.stop().await;

    // Each success is one event: no lost and no doubled report.
    let mut notes_01 = progress_notes(&events(data, "01"));
    notes_01.sort();
    let mut want_01: Vec<String> =
        (0..WRITERS).flat_map(|w| (0..COMMANDS).map(move |i| format!("người {w}, lần {i}"))).collect();
    want_01.extend((0..COMMANDS).map(|i| format!("người 0, lần {i}")));
    want_01.sort();
    assert_eq!(notes_01, want_01, "task 01: every report once");
    for (w, code) in codes.iter().enumerate().skip(1) {
        let notes = progress_notes(&events(data, code));
        assert_eq!(notes.len(), COMMANDS, "task {code}");
        assert!(notes.iter().all(|n| n.starts_with(&format!("người {w},"))), "task {code}: {notes:?}");
    }

    // The board agrees with the log, and with a rebuild of it.
    for code in codes {
        let log = events(data, code);
        let shown = json(data, &["show", "--plan", PLAN, "--code", code, "--json"]);
        assert_eq!(shown["revision"], log.last().unwrap()["revision"], "task {code}");
    }
    let at = "2026-12-01T09:00:00+07:00";
    let before = ok(data, &["list", "--json", "--at", at]);
    ok(data, &["projections", "rebuild"]);
    assert_eq!(ok(data, &["list", "--json", "--at", at]), before, "incremental catch-ups equal a rebuild");

    // A stale --revision is refused (exit 3) and names the current revision.
    let current = json(data, &["show", "--plan", PLAN, "--code", "01", "--json"])["revision"].as_u64().unwrap();
    let stale = (current - 1).to_string();
    let out = run(data, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "x", "--revision", &stale]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("phiên bản hiện tại là {current}")), "{stderr}");
}

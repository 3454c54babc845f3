//! The binary on an EventStoreDB/KurrentDB store, against the wire-level peer
//! (`dondoc_testkit::esdb`): `init`, import, commands, `audit verify`, `dondoc serve`
//! following commands another process records, two daemons with one sender (the lease
//! stream), and `dondoc migrate --to esdb://…` from the embedded file.

use std::time::Duration;

use dondoc_testkit::esdb::EsdbPeer;

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{eventually, http};

#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

const MONDAY: &str = "2025-09-22T09:00:00+07:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_on_an_eventstoredb_store() {
    let peer = EsdbPeer::start();
    let url = peer.url();
    let data = Data::on_store(MONDAY, Some(&url));
    assert!(!data.path().join("dondoc.sqlite").exists(), "no embedded store when the log is on a server");
    assert!(data.path().join("read-models.sqlite").exists(), "the read models are local");
    let imported = peer.log_ids_and_chains().len();
    assert!(imported >= 2, "the plan's tasks are in the server's log ({imported})");

    data.ok(MONDAY, &["task", "start", "--plan", PLAN, "--code", "01", "--note", "bắt đầu"]);
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "ghi chú trên EventStoreDB"]);
    assert_eq!(peer.log_ids_and_chains().len(), imported + 2);
    let shown = data.json(MONDAY, &["show", "--plan", PLAN, "--code", "01", "--json"]);
    assert_eq!(shown["status"], "in_progress", "{shown}");
    let verify = data.ok(MONDAY, &["audit", "verify"]);
    assert!(verify.contains("chuỗi băm"), "{verify}");

    // The daemon on the same store: it takes the lease stream and follows what another
    // process records.
    let mut serve = data.serve(MONDAY);
    let health = serve.healthz().await;
    assert_eq!(health["status"], "ok", "{health}");
    let pid = serve.child.id();
    eventually("the daemon holds the sending lease", &serve, || {
        let (_, health) = serve.health()?;
        let holder = health["sending"]["holder"].as_str()?.to_string();
        (health["sending"]["leader"] == true && holder.ends_with(&format!("pid {pid}"))).then_some(())
    })
    .await;
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "02", "--note", "ghi khi dịch vụ đang chạy"]);
    let port = data.port;
    let mut add = data.command(MONDAY);
    add.args(["user", "add", "--name", "tgv", "--role", "secretariat"]).stdin(std::process::Stdio::piped());
    let mut child = add.stdout(std::process::Stdio::null()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"mat-khau-du-dai-123\n").unwrap();
    assert!(child.wait().unwrap().success(), "user add");
    let body = br#"{"name": "tgv", "password": "mat-khau-du-dai-123"}"#;
    let token = eventually("the daemon knows the new account", &serve, || {
        let (status, answer) =
            http(port, "POST", "/api/v1/auth/token", &[("Content-Type", "application/json")], body).ok()?;
        (status == 200).then(|| serde_json::from_str::<serde_json::Value>(&answer).ok()).flatten()
    })
    .await;
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let path = format!("/api/v1/tasks/{PLAN}/02/timeline");
    let timeline = eventually("the daemon's read models follow the server's log", &serve, || {
        let (status, body) = http(port, "GET", &path, &[("Authorization", &bearer)], b"").ok()?;
        let timeline: serde_json::Value = serde_json::from_str(&body).ok()?;
        (status == 200 && timeline["events"].as_array()?.len() == 2).then_some(timeline)
    })
    .await;
    assert_eq!(timeline["events"][1]["type"], "CommentAdded", "{timeline}");
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_daemons_on_one_eventstoredb_store_one_sends_and_the_other_takes_over() {
    let peer = EsdbPeer::start();
    let url = peer.url();
    let (first, second) = (Data::on_store(MONDAY, Some(&url)), Data::on_store(MONDAY, Some(&url)));
    let mut a = first.serve(MONDAY);
    a.healthz().await;
    let mut b = second.serve(MONDAY);
    b.healthz().await;
    let (leader, _) = serve_process::one_leader(&a, &b).await;
    let (mut dying, mut survivor) = if leader == 0 { (a, b) } else { (b, a) };
    // SIGKILL: no release is written; the lease expires and the other takes it.
    let took = serve_process::kill_and_take_over(&mut dying, &survivor).await;
    println!("lease stream taken over {took:?} after the leader was killed");
    survivor.stop().await;
}

/// "id chain" of every event of the embedded file, in log order, as `sqlite3` reads it.
fn sqlite_ids_and_chains(db: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg("SELECT id || ' ' || json_extract(metadata, '$.chain') FROM events ORDER BY position")
        .output()
        .expect("sqlite3 runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_the_embedded_store_to_eventstoredb_keeps_ids_and_chains_and_resumes() {
    let peer = EsdbPeer::start();
    let url = peer.url();
    let data = Data::new(MONDAY);
    for note in ["một", "hai", "ba"] {
        data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", note]);
    }
    let source = sqlite_ids_and_chains(&data.path().join("dondoc.sqlite"));
    assert!(source.len() >= 5, "{source:?}");

    let first = data.ok(MONDAY, &["migrate", "--to", &url, "--max-events", "3"]);
    assert!(first.contains("Chưa chép hết"), "{first}");
    assert_eq!(peer.log_ids_and_chains().len(), 3);
    let second = data.ok(MONDAY, &["migrate", "--to", &url]);
    assert!(second.contains("Tiếp tục sau 3 sự kiện"), "{second}");
    assert!(second.contains("không có chỗ hỏng"), "{second}");
    assert_eq!(peer.log_ids_and_chains(), source, "the same ids and chain values, in the same order");

    let on_esdb = Data { dir: tempfile::tempdir().unwrap(), port: 0, store: Some(url.clone()) };
    std::fs::copy(data.config_path(), on_esdb.config_path()).unwrap();
    let shown = |d: &Data| d.json(MONDAY, &["show", "--plan", PLAN, "--code", "01", "--json"]);
    assert_eq!(shown(&on_esdb), shown(&data));
    assert!(on_esdb.ok(MONDAY, &["audit", "verify"]).contains("chuỗi băm"));
    let again = data.ok(MONDAY, &["migrate", "--to", &url]);
    assert!(again.contains("Đã chép 0 sự kiện"), "{again}");
    let other = Data::new(MONDAY);
    other.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "02", "--note", "khác"]);
    let refused = other.run(MONDAY, &["migrate", "--to", &url]);
    assert!(!refused.status.success());
    assert_eq!(peer.log_ids_and_chains(), source, "nothing written by the refused run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_eventstoredb_is_named_quickly() {
    let nowhere = serve_process::free_port();
    let data = Data::new(MONDAY);
    let mut command = data.command(MONDAY);
    command.env("DONDOC_STORE", format!("esdb://127.0.0.1:{nowhere}?tls=false")).arg("list");
    let started = std::time::Instant::now();
    let out = command.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{nowhere}")) && err.contains("không kết nối được EventStoreDB"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(11), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eventstoredb_that_goes_away_under_serve_is_named_and_the_daemon_resumes() {
    let mut peer = EsdbPeer::start();
    let url = peer.url();
    let data = Data::on_store(MONDAY, Some(&url));
    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    let port = data.port;
    eventually("the daemon leads", &serve, || {
        let (status, body) = http(port, "GET", "/healthz", &[], b"").ok()?;
        (status == 200 && body.contains("\"leader\":true")).then_some(())
    })
    .await;
    // The node goes away: a command is refused with the reason and the daemon keeps running.
    peer.stop();
    let refused = data.run(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "khi kho vắng"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("EventStoreDB") && err.contains(&peer.addr().to_string()), "{err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(serve.child.try_wait().unwrap().is_none(), "the daemon keeps running: {}", serve.log());
    // It returns: commands are taken again, the daemon leads and follows the log again.
    peer.restart();
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "kho đã trở lại"]);
    eventually("the daemon leads again once the store is back", &serve, || {
        let (status, body) = http(port, "GET", "/healthz", &[], b"").ok()?;
        (status == 200 && body.contains("\"leader\":true")).then_some(())
    })
    .await;
    let audit = data.audit(MONDAY, "01");
    let notes: Vec<&str> = audit.iter().filter_map(|e| e["data"]["text"].as_str()).collect();
    assert_eq!(notes, ["kho đã trở lại"], "the refused comment left nothing: {audit:?}");
    serve.stop().await;
}

//! The binary on a PostgreSQL store, against a real server the test starts: `init`,
//! import, commands, `audit verify`, and `dondoc serve` following commands that another
//! process records meanwhile. The log is in the server (counted there with psql); the
//! read models in the data directory's `read-models.sqlite`.

use std::time::Duration;

use dondoc_testkit::postgres::{PgServer, bin_dir};
use dondoc_testkit::skip::skip;

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{eventually, http};

#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

const MONDAY: &str = "2025-09-22T09:00:00+07:00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_on_a_postgresql_store() {
    if bin_dir().is_none() {
        skip(
            "postgres::the_binary_runs_on_a_postgresql_store",
            "PostgreSQL is not installed (Debian package postgresql)",
        );
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("dondoc");
    let data = Data::on_store(MONDAY, Some(&url));
    assert!(!data.path().join("dondoc.sqlite").exists(), "no embedded store when the log is on a server");
    assert!(data.path().join("read-models.sqlite").exists(), "the read models are local");
    let events = || server.psql("dondoc", "SELECT count(*) FROM dondoc_events").trim().parse::<u64>().unwrap();
    let imported = events();
    assert!(imported >= 2, "the plan's tasks are in the server's log ({imported})");

    data.ok(MONDAY, &["task", "start", "--plan", PLAN, "--code", "01", "--note", "bắt đầu"]);
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "ghi chú trên PostgreSQL"]);
    assert_eq!(events(), imported + 2);
    let shown = data.json(MONDAY, &["show", "--plan", PLAN, "--code", "01", "--json"]);
    assert_eq!(shown["status"], "in_progress", "{shown}");
    let verify = data.ok(MONDAY, &["audit", "verify"]);
    assert!(verify.contains("chuỗi băm"), "{verify}");

    // The store named in dondoc.toml instead: through an environment variable (a URL with
    // a password is never written in the file itself).
    let configured = Data { dir: tempfile::tempdir().unwrap(), port: 0, store: None };
    std::fs::copy(data.config_path(), configured.config_path()).unwrap();
    configured.configure("[store]\nurl_env = \"DONDOC_TEST_PG_URL\"");
    let out = configured
        .command(MONDAY)
        .env("DONDOC_TEST_PG_URL", &url)
        .args(["show", "--plan", PLAN, "--code", "01", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(), shown);
    let with_password = Data { dir: tempfile::tempdir().unwrap(), port: 0, store: None };
    std::fs::copy(data.config_path(), with_password.config_path()).unwrap();
    with_password.configure("[store]\nurl = \"postgres://dondoc:bi-mat@127.0.0.1:5432/dondoc\"");
    let refused = with_password.run(MONDAY, &["list"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("không ghi mật khẩu trong tệp cấu hình"));

    // An account, kept in the server's log like everything else.
    let mut add = data.command(MONDAY);
    add.args(["user", "add", "--name", "tgv", "--role", "secretariat"]).stdin(std::process::Stdio::piped());
    let mut child = add.stdout(std::process::Stdio::null()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"mat-khau-du-dai-123\n").unwrap();
    assert!(child.wait().unwrap().success(), "user add");

    // The daemon on the same store follows what another process records.
    let mut serve = data.serve(MONDAY);
    let health = serve.healthz().await;
    assert_eq!(health["status"], "ok", "{health}");
    let port = data.port;
    let body = br#"{"name": "tgv", "password": "mat-khau-du-dai-123"}"#;
    let (status, answer) =
        http(port, "POST", "/api/v1/auth/token", &[("Content-Type", "application/json")], body).unwrap();
    assert_eq!(status, 200, "{answer}");
    let token: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "02", "--note", "ghi khi dịch vụ đang chạy"]);
    let path = format!("/api/v1/tasks/{PLAN}/02/timeline");
    let timeline = eventually("the daemon's read models follow the server's log", &serve, || {
        let (status, body) = http(port, "GET", &path, &[("Authorization", &bearer)], b"").ok()?;
        let timeline: serde_json::Value = serde_json::from_str(&body).ok()?;
        (status == 200 && timeline["events"].as_array()?.len() == 2).then_some(timeline)
    })
    .await;
    assert_eq!(timeline["events"][1]["type"], "CommentAdded", "{timeline}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    serve.stop().await;
    assert_eq!(events(), imported + 6, "two commands, the account (created, password), its token, the comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_daemons_on_one_store_one_sends_and_the_other_takes_over_when_it_dies() {
    if bin_dir().is_none() {
        skip(
            "postgres::of_two_daemons_on_one_store_one_sends",
            "PostgreSQL is not installed (Debian package postgresql)",
        );
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("dondoc");
    let (first, second) = (Data::on_store(MONDAY, Some(&url)), Data::on_store(MONDAY, Some(&url)));
    let mut a = first.serve(MONDAY);
    a.healthz().await;
    let mut b = second.serve(MONDAY);
    b.healthz().await;
    // Exactly one holds the sending lease, and the server names it.
    let (leader, _) = serve_process::one_leader(&a, &b).await;
    let (mut dying, mut survivor) = if leader == 0 { (a, b) } else { (b, a) };
    let holder = survivor.health().unwrap().1["sending"]["holder"].clone();
    assert!(holder.as_str().unwrap().ends_with(&format!("pid {}", dying.child.id())), "{holder}");
    // The leader dies (SIGKILL): the other takes over within 30 s.
    let took = serve_process::kill_and_take_over(&mut dying, &survivor).await;
    let holder = survivor.health().unwrap().1["sending"]["holder"].clone();
    assert!(holder.as_str().unwrap().ends_with(&format!("pid {}", survivor.child.id())), "{holder}");
    println!("sending lease taken over {took:?} after the leader was killed");
    survivor.stop().await;
}

/// (id, commit time, chain value) of every event, in log order, as `sqlite3` reads the
/// embedded file.
fn sqlite_events(db: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(
            "SELECT id || ' ' || recorded_at || ' ' || json_extract(metadata, '$.chain') FROM events ORDER BY position",
        )
        .output()
        .expect("sqlite3 runs (scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// The same, as psql reads the PostgreSQL table.
fn pg_events(server: &PgServer, db: &str) -> Vec<String> {
    let sql = "SELECT id || ' ' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
               || ' ' || (metadata::json->>'chain') FROM dondoc_events ORDER BY position";
    server.psql(db, sql).lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_the_embedded_store_keeps_ids_times_and_chains_and_resumes_after_an_interruption() {
    if bin_dir().is_none() {
        skip("postgres::migrating_the_embedded_store", "PostgreSQL is not installed (Debian package postgresql)");
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("target");
    let data = Data::new(MONDAY);
    for note in ["một", "hai", "ba"] {
        data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", note]);
    }
    let source = sqlite_events(&data.path().join("dondoc.sqlite"));
    assert!(source.len() >= 5, "{source:?}");

    // Interrupted after 3 events (as by a stop), then resumed.
    let first = data.ok(MONDAY, &["migrate", "--to", &url, "--max-events", "3"]);
    assert!(first.contains("Chưa chép hết"), "{first}");
    assert_eq!(pg_events(&server, "target").len(), 3);
    let second = data.ok(MONDAY, &["migrate", "--to", &url]);
    assert!(second.contains("Tiếp tục sau 3 sự kiện"), "{second}");
    assert!(second.contains("không có chỗ hỏng"), "{second}");
    assert_eq!(pg_events(&server, "target"), source, "the same ids, times and chain values, in the same order");

    // The copy serves as the store: the same task, verified chains.
    let on_pg = Data { dir: tempfile::tempdir().unwrap(), port: 0, store: Some(url.clone()) };
    std::fs::copy(data.config_path(), on_pg.config_path()).unwrap();
    let shown = |d: &Data| d.json(MONDAY, &["show", "--plan", PLAN, "--code", "01", "--json"]);
    assert_eq!(shown(&on_pg), shown(&data));
    assert!(on_pg.ok(MONDAY, &["audit", "verify"]).contains("chuỗi băm"));
    // And back from the server to a new file: the same ids, times and chains again.
    let back = on_pg.path().join("tro-lai.sqlite");
    let out = on_pg.ok(MONDAY, &["migrate", "--to", back.to_str().unwrap()]);
    assert!(out.contains("không có chỗ hỏng"), "{out}");
    assert_eq!(sqlite_events(&back), source, "back in a file: the same ids, times and chain values");
    let on_file = Data { dir: tempfile::tempdir().unwrap(), port: 0, store: Some(back.to_str().unwrap().into()) };
    std::fs::copy(data.config_path(), on_file.config_path()).unwrap();
    assert_eq!(shown(&on_file), shown(&data));
    // Run again: nothing more to copy. Another history is never appended to this copy.
    let again = data.ok(MONDAY, &["migrate", "--to", &url]);
    assert!(again.contains("Đã chép 0 sự kiện"), "{again}");
    let other = Data::new(MONDAY);
    other.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "02", "--note", "khác"]);
    let refused = other.run(MONDAY, &["migrate", "--to", &url]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("không phải bản sao"), "{err}");
    assert_eq!(pg_events(&server, "target"), source, "nothing written by the refused run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_or_vanished_store_is_named_and_the_daemon_resumes_when_it_returns() {
    if bin_dir().is_none() {
        skip("postgres::an_unreachable_or_vanished_store", "PostgreSQL is not installed (Debian package postgresql)");
        return;
    }
    // Nothing listens there: a clear error naming the address, quickly, non-zero.
    let nowhere = serve_process::free_port();
    let data = Data::new(MONDAY);
    let mut command = data.command(MONDAY);
    command.env("DONDOC_STORE", format!("postgres://dondoc@127.0.0.1:{nowhere}/dondoc")).arg("list");
    let started = std::time::Instant::now();
    let out = command.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{nowhere}")) && err.contains("không kết nối được PostgreSQL"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());

    let mut server = PgServer::start();
    let url = server.create_db("dondoc");
    // A user the server does not know: named as such.
    let mut command = data.command(MONDAY);
    command.env("DONDOC_STORE", url.replace("dondoc@", "nguoi_la@")).arg("list");
    let err = String::from_utf8_lossy(&command.output().unwrap().stderr).into_owned();
    assert!(err.contains("sai tên đăng nhập hoặc mật khẩu"), "{err}");

    let data = Data::on_store(MONDAY, Some(&url));
    let mut serve = data.serve(MONDAY);
    serve.healthz().await;
    // The store goes away under the daemon: a command is refused with the reason, nothing
    // is half-written, and the daemon keeps running.
    server.stop();
    let refused = data.run(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "khi kho vắng"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("PostgreSQL 127.0.0.1"), "{err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(serve.child.try_wait().unwrap().is_none(), "the daemon keeps running: {}", serve.log());
    // It returns: commands are taken again and the daemon follows the log again.
    server.restart();
    data.ok(MONDAY, &["task", "comment", "--plan", PLAN, "--code", "01", "--note", "kho đã trở lại"]);
    let port = data.port;
    eventually("the daemon answers again once the store is back", &serve, || {
        let (status, body) = http(port, "GET", "/healthz", &[], b"").ok()?;
        (status == 200 && body.contains("\"leader\":true")).then_some(())
    })
    .await;
    let audit = data.audit(MONDAY, "01");
    let notes: Vec<&str> = audit.iter().filter_map(|e| e["data"]["text"].as_str()).collect();
    assert_eq!(notes, ["kho đã trở lại"], "the refused comment left nothing: {audit:?}");
    serve.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_deliver_every_due_reminder_with_at_most_one_resend_when_the_sender_dies() {
    use dondoc_testkit::smtp::SmtpServer;
    if bin_dir().is_none() {
        skip(
            "postgres::two_daemons_deliver_every_due_reminder",
            "PostgreSQL is not installed (Debian package postgresql)",
        );
        return;
    }
    let server = PgServer::start();
    let url = server.create_db("dondoc");
    // Every message is stored by the SMTP server at once and answered 3 s later: a send is
    // in flight for that long, so the kill below lands during one.
    let smtp = SmtpServer::start().expect("start aiosmtpd (python3 -m pip install aiosmtpd)");
    let (first, second) = (Data::on_store(MONDAY, Some(&url)), Data::on_store(MONDAY, Some(&url)));
    const OFFICERS: usize = 6;
    let addresses: Vec<String> = (1..=OFFICERS).map(|k| format!("slow.can-bo-{k}@thongke.example.vn")).collect();
    for (k, address) in addresses.iter().enumerate() {
        let name = format!("Cán bộ số {}", k + 1);
        first.ok(MONDAY, &["contact", "add", "--name", &name, "--agency", AGENCY, "--email", address]);
    }
    for data in [&first, &second] {
        data.configure(&format!(
            "[email]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\nfrom = \"Tổ giúp việc <nhacviec@example.gov.vn>\"\ntimeout_secs = 10\n",
            smtp.host(),
            smtp.port()
        ));
        // One message in flight per daemon: the resend bound is then the queue's two.
        let config = std::fs::read_to_string(data.config_path()).unwrap();
        std::fs::write(data.config_path(), config.replace("email_concurrency = 4", "email_concurrency = 1")).unwrap();
    }
    let mut a = first.serve(MONDAY);
    a.healthz().await;
    let mut b = second.serve(MONDAY);
    b.healthz().await;
    let (leader, _) = serve_process::one_leader(&a, &b).await;
    let (mut dying, mut survivor) = if leader == 0 { (a, b) } else { (b, a) };
    eventually("the leader's first reminder on the wire", &dying, || (!smtp.messages().is_empty()).then_some(())).await;
    // Killed while that message waits for its 250: its delivery is not recorded.
    let on_the_wire_at_kill = smtp.messages().len();
    serve_process::kill_and_take_over(&mut dying, &survivor).await;
    let received = |address: &str| smtp.messages().iter().filter(|m| m.rcpt_tos.iter().any(|r| r == address)).count();
    serve_process::eventually_within(Duration::from_secs(90), "every officer's reminder delivered", &survivor, || {
        addresses.iter().all(|a| received(a) >= 1).then_some(())
    })
    .await;
    // Nothing more comes once the survivor has recorded its sends.
    tokio::time::sleep(Duration::from_secs(SmtpServer::SLOW_SECONDS * 2 + 2)).await;
    let counts: Vec<usize> = addresses.iter().map(|a| received(a)).collect();
    let resent: usize = counts.iter().map(|c| c - 1).sum();
    println!(
        "{on_the_wire_at_kill} message(s) on the wire at the kill; deliveries per officer {counts:?}; {resent} resent"
    );
    assert!(counts.iter().all(|&c| (1..=2).contains(&c)), "each at most once more after the crash: {counts:?}");
    assert!(resent <= 2, "at most the in-flight bound (email_concurrency 1 × 2) resent: {counts:?}");
    let log = second.json(MONDAY, &["reminders", "log", "--json"]);
    let logged: usize = log.as_array().unwrap().len();
    assert!(logged >= OFFICERS, "every delivery in the shared delivery log: {log}");
    survivor.stop().await;
}

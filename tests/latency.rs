//! The daemon stays responsive while a long import writes to its store: `dondoc serve`
//! (real clock) with the Zalo webhook, sweeping every second, while a CLI process imports
//! a plan of several thousand tasks beside it. Every `/healthz` answer and every webhook
//! answer (the officer's message appended before the 200) comes within 200 ms.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dondoc_testkit::zalo::ZaloServer;
use serde_json::json;
use sha2::{Digest as _, Sha256};

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{Serve, free_port, http};

const OA_SECRET: &str = "oa-secret-for-webhooks";
/// Tasks in the imported plan.
const TASKS: usize = 4000;
/// The bound on every answer.
const BOUND: Duration = Duration::from_millis(200);

fn dondoc(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dondoc"));
    cmd.env("DONDOC_DATA_DIR", data)
        .env_remove("DONDOC_NOW")
        .env_remove("DONDOC_CALENDAR")
        .env_remove("DONDOC_POLICY")
        .env("ZALO_APP_SECRET", ZaloServer::APP_SECRET)
        .env("ZALO_OA_SECRET", OA_SECRET)
        .env("DONDOC_ACTOR", "Tổ giúp việc");
    cmd
}

fn ok(data: &Path, args: &[&str]) {
    let out = dondoc(data).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A plan of `n` tasks, due over the coming year.
fn plan_csv(n: usize) -> String {
    let mut csv = String::from("code,title,lead,cooperating,start,finish,product\n");
    for i in 0..n {
        let month = i % 12 + 1;
        csv.push_str(&format!(
            "{i:05},Nhiệm vụ số {i} của kế hoạch kiểm thử tải,Sở Tài chính,Sở Nội vụ,,Tháng {month}/2027,Báo cáo\n"
        ));
    }
    csv
}

/// A webhook from Zalo user `sender` now, signed as Zalo's webhook guide gives it:
/// `X-ZEvent-Signature: mac = sha256(appId + data + timeStamp + OAsecretKey)`.
fn webhook(sender: &str, n: usize) -> (String, String) {
    let timestamp = (chrono::Utc::now().timestamp_millis() + n as i64).to_string();
    let body = json!({
        "app_id": ZaloServer::APP_ID,
        "event_name": "user_send_text",
        "sender": {"id": sender},
        "recipient": {"id": "oa-1"},
        "message": {"text": format!("Tin nhắn {n}"), "msg_id": format!("m{n}")},
        "timestamp": timestamp,
    })
    .to_string();
    let mut h = Sha256::new();
    h.update(ZaloServer::APP_ID.as_bytes());
    h.update(body.as_bytes());
    h.update(timestamp.as_bytes());
    h.update(OA_SECRET.as_bytes());
    (body, hex::encode(h.finalize()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_webhooks_answer_within_200_ms_during_a_long_import() {
    let zalo = ZaloServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let port = free_port();
    ok(data, &["init"]);
    let config = std::fs::read_to_string(data.join("dondoc.toml")).unwrap();
    let config = config
        .replace("listen = \"127.0.0.1:8787\"", &format!("listen = \"127.0.0.1:{port}\""))
        .replace("sweep = \"0 */15 * * * *\"", "sweep = \"* * * * * *\"");
    std::fs::write(data.join("dondoc.toml"), config).unwrap();
    let (access, refresh) = zalo.issue_tokens();
    let tokens = json!({"access_token": access, "refresh_token": refresh, "expires_at": "2099-01-01T00:00:00Z"});
    std::fs::write(data.join("zalo-token.json"), tokens.to_string()).unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(data.join("dondoc.toml")).unwrap();
    std::io::Write::write_all(
        &mut file,
        format!(
            "\n[zalo]\napp_id = \"{}\"\napp_secret_env = \"ZALO_APP_SECRET\"\noa_id = \"oa-1\"\n\
             oa_secret_key_env = \"ZALO_OA_SECRET\"\ntoken_file = \"zalo-token.json\"\n\
             oa_api_url = \"{url}\"\nzns_api_url = \"{url}\"\noauth_url = \"{url}\"\n",
            ZaloServer::APP_ID,
            url = zalo.url()
        )
        .as_bytes(),
    )
    .unwrap();
    ok(data, &["contact", "add", "--name", "Nguyễn Văn An", "--agency", "Sở Tài chính", "--zalo", "5005"]);
    let csv = data.join("plan.csv");
    std::fs::write(&csv, plan_csv(TASKS)).unwrap();

    let mut command = dondoc(data);
    command.arg("serve").env("RUST_LOG", "info");
    let mut serve = Serve::start(command, port, data.join("serve.log"));
    serve.healthz().await;

    let started = Instant::now();
    let mut import = dondoc(data)
        .args(["import", csv.to_str().unwrap(), "--plan", "TAI-2027", "--tracked-from", "2027-01-01"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut health = Vec::new();
    let mut hooks = Vec::new();
    let mut n = 0;
    let mut last_sent = String::new();
    let import_took = loop {
        if let Some(status) = import.try_wait().unwrap() {
            assert!(status.success(), "the import failed");
            break started.elapsed();
        }
        let t = Instant::now();
        let (code, _) = http(port, "GET", "/healthz", &[], b"").unwrap();
        health.push(t.elapsed());
        assert!(code == 200 || code == 503, "{code}");
        if n % 5 == 0 {
            let (body, signature) = webhook("5005", n);
            last_sent =
                serde_json::from_str::<serde_json::Value>(&body).unwrap()["timestamp"].as_str().unwrap().to_string();
            let headers = [("Content-Type", "application/json"), ("X-ZEvent-Signature", signature.as_str())];
            let t = Instant::now();
            let (code, _) = http(port, "POST", "/zalo/webhook", &headers, body.as_bytes()).unwrap();
            hooks.push(t.elapsed());
            assert_eq!(code, 200, "{}", serve.log());
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    serve.stop().await;
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    let p = |v: &mut Vec<Duration>, q: f64| {
        v.sort();
        v.get(((v.len() as f64) * q) as usize).copied().unwrap_or_default()
    };
    eprintln!(
        "import of {TASKS} tasks: {import_took:?}; /healthz: {} answers, p50 {:?}, p99 {:?}, max {:?}; webhook: {} answers, p50 {:?}, max {:?}",
        health.len(),
        p(&mut health.clone(), 0.5),
        p(&mut health.clone(), 0.99),
        max(&health),
        hooks.len(),
        p(&mut hooks.clone(), 0.5),
        max(&hooks),
    );
    assert!(import_took > Duration::from_secs(1), "the import must be long enough to matter: {import_took:?}");
    assert!(hooks.len() >= 5, "{} webhooks during the import", hooks.len());
    assert!(max(&health) < BOUND, "/healthz took {:?}", max(&health));
    assert!(max(&hooks) < BOUND, "a webhook took {:?}", max(&hooks));
    // The last message answered was recorded (the officer's reply window) before its 200.
    let out = dondoc(data).args(["contact", "list", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(list[0]["zalo_last_message"].as_str().unwrap()).unwrap();
    assert_eq!(last.timestamp_millis().to_string(), last_sent, "{list}");
}

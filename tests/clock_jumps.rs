//! The wall clock jumping under a running `dondoc serve` (issue 18 §5): forwards a week
//! (the sweep runs at once, once, and the week's reminder goes out), back a week (the
//! schedule restarts from the new time instead of waiting a week for the old last run to
//! come round, nothing delivered is sent again, the operator is told in the log), and
//! forwards again (still nothing twice). The daemon's clock is moved through
//! `DONDOC_CLOCK_FILE`, which only a test build reads.

use std::time::Duration;

use dondoc_testkit::telegram::TelegramServer;
use serde_json::Value;

#[path = "support/serve_process.rs"]
mod serve_process;
use serve_process::{Serve, eventually};
#[path = "support/serve_data.rs"]
mod serve_data;
use serve_data::*;

/// Monday 22/09/2025: task 01 (due in August) is overdue.
const MONDAY: &str = "2025-09-22T09:00:00+07:00";
/// A week later: its next overdue reminder (`overdue_every_days = 7`).
const NEXT_MONDAY: &str = "2025-09-29T09:00:00+07:00";

/// The sweep's last run as `/healthz` reports it (local time).
fn last_sweep(serve: &Serve) -> Option<String> {
    let (_, health) = serve.health()?;
    health["last_runs"]["sweep"].as_str().map(str::to_string)
}

fn delivered_keys(data: &Data, now: &str) -> Vec<String> {
    let log: Value = data.json(now, &["reminders", "log", "--json"]);
    log.as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_clock_jumping_forwards_and_backwards() {
    let telegram = TelegramServer::start(TG_TOKEN).await;
    telegram.add_chat(TG_CHAT);
    let data = Data::new(MONDAY);
    let config = std::fs::read_to_string(data.config_path()).unwrap();
    let every_two_seconds = config.replace("sweep = \"0 */15 * * * *\"", "sweep = \"*/2 * * * * *\"");
    assert_ne!(config, every_two_seconds, "the example configuration changed");
    std::fs::write(data.config_path(), every_two_seconds).unwrap();
    data.ok(MONDAY, &["contact", "add", "--name", OFFICER, "--agency", AGENCY, "--telegram", &TG_CHAT.to_string()]);
    data.configure(&format!("[telegram]\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n", telegram.url()));

    let clock = data.path().join("wall-clock");
    std::fs::write(&clock, MONDAY).unwrap();
    let mut command = data.command(MONDAY);
    command.env("DONDOC_CLOCK_FILE", &clock).arg("serve");
    let mut serve = Serve::start(command, data.port, data.path().join("serve.log"));
    serve.healthz().await;
    let sent = |n: usize| (telegram.delivered().len() >= n).then_some(());

    // Monday: the overdue reminder.
    eventually("Monday's reminder", &serve, || sent(1)).await;

    // A week forwards: the sweep runs at once (its missed ticks once), the week's reminder goes out.
    std::fs::write(&clock, NEXT_MONDAY).unwrap();
    eventually("the next Monday's reminder", &serve, || sent(2)).await;
    let swept = last_sweep(&serve).unwrap();
    assert!(swept.starts_with("2025-09-29T09:00"), "{swept}");

    // A week back: the sweep keeps running on the new time (not a week later), and sends nothing again.
    std::fs::write(&clock, "2025-09-22T09:05:00+07:00").unwrap();
    eventually("a sweep after the clock went back", &serve, || {
        last_sweep(&serve).filter(|s| s.as_str() > "2025-09-22T09:05:01" && s.as_str() < "2025-09-22T10")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(telegram.delivered().len(), 2, "nothing sent again after the clock went back");
    assert!(serve.log().contains("đồng hồ hệ thống lùi"), "the operator is told:\n{}", serve.log());

    // Forwards again, past the second reminder: still nothing twice.
    std::fs::write(&clock, "2025-09-29T09:10:00+07:00").unwrap();
    eventually("a sweep after the clock came forwards again", &serve, || {
        last_sweep(&serve).filter(|s| s.as_str() > "2025-09-29T09:10:01")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(telegram.delivered().len(), 2, "nothing sent twice");
    serve.stop().await;

    let keys = delivered_keys(&data, "2025-09-29T09:20:00+07:00");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with(&format!("{PLAN}/01/-/overdue/"))), "{keys:?}");
    assert_ne!(keys[0], keys[1]);
}

//! The daemon's jobs through the command line: the Quảng Nam plan imported from its
//! document, contacts added, and `simulate` run on a virtual clock from August to October
//! 2025 through the outbox. (Restarts and crashes are tested in process by dondoc-app's
//! `reminders` test; real protocols by `daemon_channels`.)

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/quang_nam.rs"]
mod quang_nam;
use quang_nam::reminder_id;

fn setup(data: &Path) {
    quang_nam::setup(data, |d, a| {
        dondoc(d, a, &[]);
    });
}

const FROM: &str = "2025-08-01T00:00:00+07:00";
const TO: &str = "2025-10-31T23:59:00+07:00";

fn run(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dondoc"));
    cmd.args(args)
        .env("DONDOC_DATA_DIR", data)
        .env("DONDOC_NOW", "2025-07-31T08:00:00+07:00")
        .env_remove("DONDOC_CALENDAR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run dondoc")
}

fn dondoc(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = run(data, args, envs);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn outbox_files(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "json"));
    names.sort();
    names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
}

/// The days off of 2025 from the binary's own calendar.
fn days_off(data: &Path) -> BTreeSet<String> {
    let json: Value = serde_json::from_str(&dondoc(data, &["holidays", "2025", "--json"], &[])).unwrap();
    json.as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap().to_string()).collect()
}

fn leads(data: &Path) -> HashMap<String, String> {
    let csv = dondoc(data, &["export", "--plan", "QN-2022", "--format", "csv"], &[]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let code = headers.iter().position(|h| h == "code").unwrap();
    let lead = headers.iter().position(|h| h == "lead").unwrap();
    reader.records().map(|r| r.unwrap()).map(|r| (r[code].to_string(), r[lead].to_string())).collect()
}

/// Checks the invariants of a run's reminder messages; returns the reminder ids.
fn check_reminders(data: &Path, messages: &[Value]) -> BTreeSet<String> {
    let off = days_off(data);
    let leads = leads(data);
    let mut seen = BTreeSet::new();
    for m in messages {
        let sent_at = chrono::DateTime::parse_from_rfc3339(m["sent_at"].as_str().unwrap()).unwrap();
        assert_eq!(sent_at.offset().local_minus_utc(), 7 * 3600, "sent_at in +07:00: {m}");
        let day = sent_at.date_naive();
        let weekday = chrono::Datelike::weekday(&day);
        assert!(weekday.number_from_monday() <= 5, "a reminder on a weekend: {m}");
        assert!(!off.contains(&day.to_string()), "a reminder on a holiday: {m}");
        let hm = sent_at.format("%H:%M").to_string();
        // Working hours are 07:30–17:00; reminders go out from send_at (08:00).
        assert!(("08:00".."17:00").contains(&hm.as_str()), "a reminder outside its hours: {m}");
        assert!(!(("11:30".."13:30").contains(&hm.as_str())), "a reminder at lunch: {m}");
        let recipient = m["recipient"].as_str().unwrap();
        for key in m["keys"].as_array().unwrap() {
            let key = key.as_str().unwrap();
            assert!(seen.insert(reminder_id(key)), "reminder {key} delivered twice");
            let parts: Vec<&str> = key.split('/').collect();
            let (code, milestone, who) = (parts[1], parts[3], parts[5]);
            assert_eq!(who, recipient, "{key} in a message to {recipient}");
            let lead = &leads[code];
            let of_lead = |agency: &str| lead.split("; ").any(|l| l == agency);
            let ok = match (recipient, milestone) {
                ("c001", "start" | "due" | "overdue") => of_lead("Cục Thống kê tỉnh"),
                ("c002", "start" | "due" | "overdue") => of_lead("UBND tỉnh"),
                ("c003", "escalation") => of_lead("Cục Thống kê tỉnh"),
                ("c004", "escalation") => true,
                _ => false,
            };
            assert!(ok, "{key} should not go to {recipient} (lead {lead})");
        }
    }
    seen
}

#[test]
fn quang_nam_august_to_october_through_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    setup(data.path());
    let args = ["simulate", "--from", FROM, "--to", TO, "--outbox", out.path().to_str().unwrap(), "--json"];
    let report: Value = serde_json::from_str(&dondoc(data.path(), &args, &[])).unwrap();
    assert_eq!(report["sweeps"], 8832, "every 15 minutes for 92 days");
    assert_eq!(report["summaries"], 13, "every Monday at 07:30");
    let files = outbox_files(out.path());
    let (reminders, summaries): (Vec<Value>, Vec<Value>) =
        files.into_iter().partition(|m| !m["keys"].as_array().unwrap().is_empty());
    assert!(reminders.len() > 25, "{} reminder messages", reminders.len());
    let ids = check_reminders(data.path(), &reminders);

    // Expected reminders: "Sơ kết thực hiện CLTK21-30" (1143) starts in September; its lead
    // agencies' officers hear 7 and 1 working days before.
    for who in ["c001", "c002"] {
        for n in [7, 1] {
            let id = format!("QN-2022/1143/-/start/{n}/{who}");
            assert!(ids.contains(&id), "missing {id}");
        }
    }
    // Escalations reach the head of the lead agency and the secretariat (Zalo).
    assert!(ids.iter().any(|k| k.ends_with("/escalation/-5/c003")));
    assert!(reminders.iter().any(|m| m["recipient"] == "c004" && m["channel"] == "zalo"));
    // Overdue work is repeated weekly, not daily.
    let overdue_01123: Vec<_> = ids.iter().filter(|k| k.starts_with("QN-2022/01123/-/overdue/")).collect();
    assert!((12..=14).contains(&overdue_01123.len()), "{overdue_01123:?}");

    // Leadership receives one summary a week, by email with the chart and workbook.
    assert_eq!(summaries.len(), 13);
    assert!(summaries.iter().all(|m| m["recipient"] == "c005" && m["channel"] == "email"));
    assert!(summaries.iter().all(|m| m["attachments"].as_array().is_some_and(|a| a.len() == 2)), "{:?}", summaries[0]);
    let weeks: BTreeSet<_> = summaries.iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect();
    assert_eq!(weeks.len(), 13);

    // The same window again into the same outbox continues that simulation: nothing new.
    let again: Value = serde_json::from_str(&dondoc(data.path(), &args, &[])).unwrap();
    assert_eq!(again["messages"], 0);
    assert_eq!(outbox_files(out.path()).len(), reminders.len() + summaries.len());

    // The real store was never written: no delivery recorded, nothing swept, every chain
    // intact; a sweep there would still send what the simulation sent.
    let log: Value = serde_json::from_str(&dondoc(data.path(), &["reminders", "log", "--json"], &[])).unwrap();
    assert_eq!(log.as_array().unwrap().len(), 0, "the simulation recorded nothing in the real log");
    dondoc(data.path(), &["audit", "verify"], &[]);
    let due: Value = serde_json::from_str(&dondoc(
        data.path(),
        &["reminders", "due", "--at", "2025-09-03T09:00:00+07:00", "--json"],
        &[],
    ))
    .unwrap();
    assert!(!due["digests"].as_array().unwrap().is_empty(), "the real store still owes its reminders: {due}");

    // A new outbox starts again from the real state: the same messages.
    let fresh = tempfile::tempdir().unwrap();
    let mut args2 = args;
    args2[6] = fresh.path().to_str().unwrap();
    let rerun: Value = serde_json::from_str(&dondoc(data.path(), &args2, &[])).unwrap();
    assert_eq!(rerun["messages"], report["messages"]);
    assert_eq!(outbox_files(fresh.path()).len(), reminders.len() + summaries.len());
}

#[test]
fn the_daily_digest_goes_to_officers_on_working_days_once() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    setup(data.path());
    std::fs::write(data.path().join("dondoc.toml"), "[schedule]\ndaily_digest = \"0 0 8 * * *\"\n").unwrap();
    let o = out.path().to_str().unwrap();
    // 29/8 (Friday) to 4/9/2025: a weekend and the Quốc khánh holidays (1–2/9) in between.
    let args = ["simulate", "--from", "2025-08-29T00:00:00+07:00", "--to", "2025-09-04T23:00:00+07:00", "--outbox", o];
    dondoc(data.path(), &args, &[]);
    let digests: Vec<Value> = outbox_files(out.path())
        .into_iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("[Tổng hợp hằng ngày]"))
        .collect();
    let days: BTreeSet<(String, String)> = digests
        .iter()
        .map(|m| (m["recipient"].as_str().unwrap().to_string(), m["sent_at"].as_str().unwrap()[..10].to_string()))
        .collect();
    assert_eq!(days.len(), digests.len(), "one digest per officer per day");
    let dates: BTreeSet<&str> = days.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(dates, BTreeSet::from(["2025-08-29", "2025-09-03", "2025-09-04"]));
    assert!(days.iter().all(|(who, _)| who == "c001" || who == "c002"), "officers only: {days:?}");
    assert!(digests[0]["text"].as_str().unwrap().contains("quá hạn"));
    let before = outbox_files(out.path()).len();
    dondoc(data.path(), &args, &[]);
    assert_eq!(outbox_files(out.path()).len(), before, "the same days again send nothing");
}

#[test]
fn an_acknowledgement_or_a_snooze_stops_the_repeats() {
    let data = tempfile::tempdir().unwrap();
    setup(data.path());
    let plan = |at: &str| -> BTreeSet<String> {
        let json: Value =
            serde_json::from_str(&dondoc(data.path(), &["reminders", "due", "--at", at, "--json"], &[])).unwrap();
        json["digests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["notices"].as_array().unwrap().iter().map(|n| n["key"].as_str().unwrap().to_string()))
            .filter(|k| k.contains("/01123/") && !k.contains("escalation"))
            .collect()
    };
    let at = "2025-09-22T09:00:00+07:00";
    assert!(!plan(at).is_empty(), "01123 is overdue: its officer is reminded");
    let now = [("DONDOC_NOW", "2025-09-22T08:30:00+07:00")];
    dondoc(data.path(), &["task", "ack", "--plan", "QN-2022", "--code", "01123", "--snooze-until", "30/09/2025"], &now);
    assert!(plan(at).is_empty(), "snoozed");
    assert!(plan("2025-09-30T16:00:00+07:00").is_empty(), "snoozed to the end of 30/09");
    assert!(!plan("2025-10-01T09:00:00+07:00").is_empty(), "reminded again after the snooze");
    let audit = dondoc(data.path(), &["audit", "--plan", "QN-2022", "--code", "01123"], &[]);
    assert!(
        audit.contains("Xác nhận đã nhận nhắc việc") && audit.contains("hoãn nhắc đến hết ngày 30/09/2025"),
        "{audit}"
    );
}

#[test]
fn a_simulation_with_configured_channels_refuses_endpoints_off_this_machine() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    dondoc(data.path(), &["init"], &[]);
    let config = data.path().join("dondoc.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[telegram]\ntoken_env = \"DONDOC_TEST_TG_TOKEN\"\napi_url = \"https://api.telegram.org\"\n");
    std::fs::write(&config, text).unwrap();
    let args = [
        "simulate",
        "--from",
        "2025-09-01T08:00:00+07:00",
        "--to",
        "2025-09-01T09:00:00+07:00",
        "--outbox",
        out.path().to_str().unwrap(),
        "--channels",
        "configured",
    ];
    let refused = run(data.path(), &args, &[("DONDOC_TEST_TG_TOKEN", "123:abc")]);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("api.telegram.org") && stderr.contains("--real-channels"), "{stderr}");
    assert!(!out.path().join("simulation.sqlite").exists(), "refused before anything was copied");
}

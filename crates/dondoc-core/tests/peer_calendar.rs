//! The calendar cross-checked against a widely used peer: the `holidays` package (PyPI,
//! vacanza/holidays) for Vietnam, 2020–2040, run by `tools/peer_holidays.py`. Every day on
//! which the two disagree (working day or not) is listed; the test fails on any that
//! `tests/data/peer-holidays-allow.toml` does not explain with a reason and the source that
//! settles it, and on an explanation that no longer matches a disagreement.
//!
//! The peer is a cross-check, not the oracle: it models no swapped Saturday of 2020–2023
//! and not the 2026 New Year swap, and it makes up 24/11 on a weekend, which no text says.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{Datelike, NaiveDate};
use dondoc_core::calendar::{CalendarConfig, WorkCalendar};
use serde::Deserialize;

const FIRST: i32 = 2020;
const LAST: i32 = 2040;
/// The peer's version the allow-list was reviewed against (scripts/test.sh installs it).
const PEER_VERSION: &str = "0.109";

#[derive(Deserialize)]
struct PeerOutput {
    version: String,
    days: Vec<PeerDay>,
}

#[derive(Deserialize)]
struct PeerDay {
    date: NaiveDate,
    working: bool,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Allow {
    #[serde(default)]
    disagreement: Vec<Explained>,
}

/// A reviewed disagreement: on `dates`, dondoc says `ours` ("working" or "off").
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Explained {
    dates: Vec<NaiveDate>,
    ours: String,
    reason: String,
    source: String,
}

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn peer() -> PeerOutput {
    let out = Command::new("python3")
        .arg(repo("tools/peer_holidays.py"))
        .args([FIRST.to_string(), LAST.to_string()])
        .output()
        .expect("python3 runs (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "the peer did not run; install it with `python3 -m pip install holidays=={PEER_VERSION}`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the peer's JSON")
}

#[test]
fn every_disagreement_with_the_peer_is_explained() {
    let peer = peer();
    assert_eq!(peer.version, PEER_VERSION, "the allow-list was reviewed against holidays {PEER_VERSION}");
    let text = std::fs::read_to_string(repo("config/calendar.toml")).unwrap();
    let ours = WorkCalendar::new(&toml::from_str::<CalendarConfig>(&text).unwrap()).unwrap();
    let allow: Allow = toml::from_str(
        &std::fs::read_to_string(repo("crates/dondoc-core/tests/data/peer-holidays-allow.toml")).unwrap(),
    )
    .expect("the allow-list reads");

    let peer_days: BTreeMap<NaiveDate, &PeerDay> = peer.days.iter().map(|d| (d.date, d)).collect();
    let mut disagreements: BTreeMap<NaiveDate, (bool, String)> = BTreeMap::new();
    let mut day = NaiveDate::from_ymd_opt(FIRST, 1, 1).unwrap();
    while day.year() <= LAST {
        let weekend = day.weekday().number_from_monday() >= 6;
        let (peer_working, peer_name) = match peer_days.get(&day) {
            Some(p) => (p.working, p.name.as_str()),
            None => (!weekend, ""),
        };
        let our_working = ours.is_working_day(day);
        if our_working != peer_working {
            let our_name = ours.day_off(day).map(|o| o.name).unwrap_or_default();
            disagreements.insert(
                day,
                (
                    our_working,
                    format!(
                        "dondoc: {} ({our_name}); holidays: {} ({peer_name})",
                        word(our_working),
                        word(peer_working)
                    ),
                ),
            );
        }
        day = day.succ_opt().unwrap();
    }

    let mut unexplained = Vec::new();
    for (date, (our_working, what)) in &disagreements {
        let explained = allow.disagreement.iter().any(|e| e.dates.contains(date) && e.ours == word(*our_working));
        if !explained {
            unexplained.push(format!("{date}: {what}"));
        }
    }
    let mut stale = Vec::new();
    for e in &allow.disagreement {
        assert!(!e.reason.trim().is_empty() && !e.source.trim().is_empty(), "{:?}: reason and source", e.dates);
        for date in &e.dates {
            if disagreements.get(date).is_none_or(|(w, _)| word(*w) != e.ours) {
                stale.push(format!("{date} ({})", e.reason));
            }
        }
    }
    println!("{} days on which dondoc and holidays {} disagree, 2020–2040:", disagreements.len(), peer.version);
    for (date, (_, what)) in &disagreements {
        println!("  {date}: {what}");
    }
    assert!(unexplained.is_empty(), "disagreements with the peer not explained:\n{}", unexplained.join("\n"));
    assert!(stale.is_empty(), "explanations that match no disagreement any more:\n{}", stale.join("\n"));
}

fn word(working: bool) -> &'static str {
    if working { "working" } else { "off" }
}

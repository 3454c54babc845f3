//! `dondoc simulate`: the real scheduler, planner, dispatcher and templates on a virtual
//! clock, every channel replaced by the outbox (one JSON file per delivered message).
//! Deliveries are recorded in the store as in production, so simulating the same window
//! twice delivers nothing new.

use std::collections::HashMap;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

use super::build;
use super::clock::VirtualClock;
use super::schedule::JobKind;
use crate::app::App;
use crate::cli::{Global, SimulateArgs, SimulatedChannels};
use crate::outln;

/// Totals of a simulation.
#[derive(Debug, Default, serde::Serialize)]
pub struct Simulation {
    pub from: String,
    pub to: String,
    pub sweeps: usize,
    pub summaries: usize,
    pub daily_digests: usize,
    /// Reminder messages delivered.
    pub messages: usize,
    /// Other outbox files written (weekly summaries).
    pub summaries_files: usize,
    pub notices: usize,
    pub by_channel: HashMap<&'static str, usize>,
}

pub async fn run(global: &Global, args: &SimulateArgs) -> Result<()> {
    let from = args.from.with_timezone(&Utc);
    let to = args.to.with_timezone(&Utc);
    if to < from {
        bail!(crate::InputError(format!("--to ({}) trước --from ({})", args.to, args.from)));
    }
    let step = parse_step(&args.step)?;
    let app = App::open(global).await?;
    let vclock = VirtualClock::new(from);
    let clock = vclock.clock();
    let (senders, dispatch) = match (&args.channels, &args.outbox) {
        (SimulatedChannels::Outbox, Some(outbox)) => {
            (build::outboxes(outbox, &clock), app.config.dispatch.clone().unlimited())
        }
        (SimulatedChannels::Configured, _) => {
            crate::logging::init(&app.config.server.log_format);
            (build::real_channels(&app, &clock).await?.senders, app.config.dispatch.clone())
        }
        (SimulatedChannels::Outbox, None) => bail!(crate::InputError("cần --outbox DIR".into())),
    };
    let daemon = build::daemon(app, senders, dispatch, clock)?;
    let outbox = args.outbox.clone().unwrap_or_default();
    let before = list_files(&outbox);
    let mut delivered = 0;
    let mut last: HashMap<JobKind, DateTime<Utc>> =
        daemon.jobs.iter().map(|j| (j.kind, from - chrono::Duration::seconds(1))).collect();
    let mut sim = Simulation { from: args.from.to_rfc3339(), to: args.to.to_rfc3339(), ..Simulation::default() };
    let mut t = from;
    while t <= to {
        vclock.set(t);
        for job in &daemon.jobs {
            if job.is_due(last[&job.kind], t) {
                daemon.run_job(job.kind, t).await?;
                last.insert(job.kind, t);
                match job.kind {
                    JobKind::WeeklySummary => sim.summaries += 1,
                    JobKind::DailyDigest => sim.daily_digests += 1,
                    _ => {
                        sim.sweeps += 1;
                        if let Some(r) = &daemon.status.lock().expect("status lock").last_sweep {
                            sim.notices += r.notices;
                            delivered += r.dispatch.delivered;
                            for (ch, n) in &r.by_channel {
                                *sim.by_channel.entry(ch).or_default() += n;
                            }
                        }
                    }
                }
            }
        }
        t += step;
    }
    sim.messages = delivered;
    sim.summaries_files = list_files(&outbox).len().saturating_sub(before.len()).saturating_sub(delivered);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&sim)?);
    } else {
        outln!(
            "Mô phỏng {} → {}: {} lượt nhắc việc, {} lần chạy báo cáo tuần; đã gửi {} tin nhắc việc (email {}, Telegram {}, Zalo {}).",
            args.from.format("%d/%m/%Y %H:%M"),
            args.to.format("%d/%m/%Y %H:%M"),
            sim.sweeps,
            sim.summaries,
            sim.messages,
            sim.by_channel.get("email").unwrap_or(&0),
            sim.by_channel.get("telegram").unwrap_or(&0),
            sim.by_channel.get("zalo").unwrap_or(&0),
        );
    }
    Ok(())
}

fn list_files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.retain(|n| n.ends_with(".json"));
    v.sort();
    v
}

/// "15m", "1h", "30s", "1d".
pub fn parse_step(s: &str) -> Result<chrono::Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| crate::InputError(format!("--step \"{s}\": dùng dạng 15m, 1h, 30s, 1d")))?;
    let d = match unit {
        "s" => chrono::Duration::seconds(n),
        "m" | "" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => bail!(crate::InputError(format!("--step \"{s}\": dùng dạng 15m, 1h, 30s, 1d"))),
    };
    if d <= chrono::Duration::zero() {
        bail!(crate::InputError(format!("--step \"{s}\" phải lớn hơn 0")));
    }
    Ok(d)
}

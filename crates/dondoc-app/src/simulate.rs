//! A simulation: the real jobs (sweep, weekly summary, daily digest) at every step of a
//! virtual clock from one instant to another, each job run when a tick of its schedule
//! fell in the step.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::App;
use crate::clock::VirtualClock;
use crate::error::Result;
use crate::jobs;
use crate::schedule::JobKind;

/// Totals of a simulation.
#[derive(Debug, Default, Serialize)]
pub struct Simulation {
    pub sweeps: usize,
    pub summaries: usize,
    pub daily_digests: usize,
    /// Reminder messages delivered.
    pub messages: usize,
    pub notices: usize,
    pub by_channel: HashMap<&'static str, usize>,
}

/// Runs the jobs from `from` to `to` (inclusive) every `step`, with `clock` (the app's
/// clock) set to each step's instant.
pub async fn run(
    app: &App,
    clock: &VirtualClock,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: Duration,
) -> Result<Simulation> {
    let mut last: HashMap<JobKind, DateTime<Utc>> =
        app.settings.jobs.iter().map(|j| (j.kind, from - Duration::seconds(1))).collect();
    let mut sim = Simulation::default();
    let mut t = from;
    while t <= to {
        clock.set(t);
        for job in &app.settings.jobs {
            if !job.is_due(last[&job.kind], t) {
                continue;
            }
            jobs::run(app, job.kind, t).await?;
            last.insert(job.kind, t);
            match job.kind {
                JobKind::WeeklySummary => sim.summaries += 1,
                JobKind::DailyDigest => sim.daily_digests += 1,
                JobKind::Sweep => {
                    sim.sweeps += 1;
                    if let Some(r) = app.status.lock().ok().and_then(|s| s.last_sweep.clone()) {
                        sim.notices += r.notices;
                        sim.messages += r.dispatch.delivered;
                        for (ch, n) in &r.by_channel {
                            *sim.by_channel.entry(ch).or_default() += n;
                        }
                    }
                }
            }
        }
        t += step;
    }
    Ok(sim)
}

/// Reads a step: "15m", "1h", "30s", "1d" (a bare number is minutes).
pub fn parse_step(s: &str) -> Result<Duration> {
    let s = s.trim();
    let bad = || crate::error::AppError::Input(format!("--step \"{s}\": dùng dạng 15m, 1h, 30s, 1d"));
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let d = match unit {
        "s" => Duration::seconds(n),
        "m" | "" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(bad()),
    };
    if d <= Duration::zero() {
        return Err(crate::error::AppError::Input(format!("--step \"{s}\" phải lớn hơn 0")));
    }
    Ok(d)
}

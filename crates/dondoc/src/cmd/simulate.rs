//! `dondoc simulate`: the real scheduler jobs, planner, dispatcher and templates on a
//! virtual clock, every channel replaced by the outbox (one JSON file per delivered
//! message), or by the configured channels when they all point at this machine.
//!
//! A simulation never writes the real store: its first run copies the store into the
//! outbox directory (`simulation.sqlite`) and every run continues on that copy, so the same
//! window simulated twice into one outbox delivers nothing new, a new outbox starts again
//! from the real state, and the real daemon's delivery log, job times and read models are
//! untouched.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::Utc;
use dondoc_app::clock::VirtualClock;
use dondoc_app::{AppError, Delivery, simulate};
use dondoc_store::sqlite::SqliteStore;
use serde_json::json;

use crate::channels::{self, is_loopback};
use crate::cli::{Global, SimulateArgs, SimulatedChannels};
use crate::datadir::DataDir;
use crate::outln;

/// The simulation's copy of the store, in its outbox directory.
pub const SIMULATION_DB: &str = "simulation.sqlite";

pub async fn run(global: &Global, args: &SimulateArgs) -> Result<()> {
    let from = args.from.with_timezone(&Utc);
    let to = args.to.with_timezone(&Utc);
    if to < from {
        return Err(AppError::Input(format!("--to ({}) trước --from ({})", args.to, args.from)).into());
    }
    let step = simulate::parse_step(&args.step)?;
    let data = DataDir::locate(global)?;
    let _lock = crate::lock::acquire(&data.dir, "simulate")?;
    let vclock = VirtualClock::new(from);
    let clock = vclock.clock();
    let outbox = &args.outbox;
    let (senders, dispatch, zalo_seen) = match args.channels {
        SimulatedChannels::Outbox => {
            (channels::outboxes(outbox, &clock), data.config.dispatch.clone().unlimited(), None)
        }
        SimulatedChannels::Configured => {
            crate::logging::init(&data.config.server.log_format);
            let real = channels::real(&data, &clock)?;
            let remote: Vec<String> = real
                .endpoints
                .iter()
                .filter(|(_, host)| !is_loopback(host))
                .map(|(section, host)| format!("[{section}] {host}"))
                .collect();
            if !remote.is_empty() && !args.real_channels {
                return Err(AppError::Input(format!(
                    "kênh đã cấu hình gửi ra ngoài máy này ({}): mô phỏng sẽ gửi tin thật cho cán bộ; \
                     thêm --real-channels nếu đó là ý định",
                    remote.join(", ")
                ))
                .into());
            }
            (real.senders, data.config.dispatch.clone(), Some(real.zalo_seen))
        }
    };
    let db = simulation_store(&data, outbox)?;
    data.load_chart_font();
    let delivery = Delivery { templates: data.templates()?, senders, dispatch };
    let app = data.open_at(&db, global, delivery, clock).await?;
    for job in &app.settings.jobs {
        job.check_fires(from)?;
    }
    if let Some(seen) = zalo_seen {
        seen.load(&app).await?;
    }
    let before = count_files(outbox);
    let sim = simulate::run(&app, &vclock, from, to, step).await?;
    let summaries_files = count_files(outbox).saturating_sub(before).saturating_sub(sim.messages);
    if args.json {
        let mut report = serde_json::to_value(&sim)?;
        report["from"] = json!(args.from.to_rfc3339());
        report["to"] = json!(args.to.to_rfc3339());
        report["summaries_files"] = json!(summaries_files);
        report["store"] = json!(db);
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "Mô phỏng {} → {}: {} lượt quét nhắc việc, {} lần chạy báo cáo tuần; đã gửi {} tin nhắc việc (email {}, Telegram {}, Zalo {}).",
            args.from.format("%d/%m/%Y %H:%M"),
            args.to.format("%d/%m/%Y %H:%M"),
            sim.sweeps,
            sim.summaries,
            sim.messages,
            sim.by_channel.get("email").unwrap_or(&0),
            sim.by_channel.get("telegram").unwrap_or(&0),
            sim.by_channel.get("zalo").unwrap_or(&0),
        );
        outln!("Dữ liệu mô phỏng: {} (dữ liệu thật không thay đổi).", db.display());
    }
    Ok(())
}

/// The simulation's store: the copy in `outbox`, made from the real store on the first run.
fn simulation_store(data: &DataDir, outbox: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(outbox).with_context(|| format!("không tạo được {}", outbox.display()))?;
    let db = outbox.join(SIMULATION_DB);
    if !db.exists() {
        let partial = outbox.join(format!(".{SIMULATION_DB}.tmp"));
        let _ = std::fs::remove_file(&partial);
        SqliteStore::copy_file(&data.db(), &partial).map_err(AppError::from)?;
        std::fs::rename(&partial, &db).with_context(|| format!("không tạo được {}", db.display()))?;
    }
    Ok(db)
}

/// The JSON files in the outbox.
fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == "json")).count())
        .unwrap_or(0)
}

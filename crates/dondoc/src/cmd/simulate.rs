//! `dondoc simulate`: the real scheduler jobs, planner, dispatcher and templates on a
//! virtual clock, every channel replaced by the outbox (one JSON file per delivered
//! message). Deliveries are recorded in the store as in production, so simulating the same
//! window twice delivers nothing new.

use anyhow::Result;
use chrono::Utc;
use dondoc_app::clock::VirtualClock;
use dondoc_app::{AppError, Delivery, simulate};
use serde_json::json;

use crate::cli::{Global, SimulateArgs, SimulatedChannels};
use crate::datadir::DataDir;
use crate::{channels, outln};

pub async fn run(global: &Global, args: &SimulateArgs) -> Result<()> {
    let from = args.from.with_timezone(&Utc);
    let to = args.to.with_timezone(&Utc);
    if to < from {
        return Err(AppError::Input(format!("--to ({}) trước --from ({})", args.to, args.from)).into());
    }
    let step = simulate::parse_step(&args.step)?;
    let data = DataDir::locate(global)?;
    let vclock = VirtualClock::new(from);
    let clock = vclock.clock();
    let (senders, dispatch, zalo_seen) = match (&args.channels, &args.outbox) {
        (SimulatedChannels::Outbox, Some(outbox)) => {
            (channels::outboxes(outbox, &clock), data.config.dispatch.clone().unlimited(), None)
        }
        (SimulatedChannels::Configured, _) => {
            crate::logging::init(&data.config.server.log_format);
            let real = channels::real(&data, &clock)?;
            (real.senders, data.config.dispatch.clone(), Some(real.zalo_seen))
        }
        (SimulatedChannels::Outbox, None) => return Err(AppError::input("cần --outbox DIR").into()),
    };
    data.load_chart_font();
    let delivery = Delivery { templates: data.templates()?, senders, dispatch };
    let app = data.open(global, delivery, clock)?;
    if let Some(seen) = zalo_seen {
        seen.load(&app).await?;
    }
    let outbox = args.outbox.clone().unwrap_or_default();
    let before = count_files(&outbox);
    let sim = simulate::run(&app, &vclock, from, to, step).await?;
    let summaries_files = count_files(&outbox).saturating_sub(before).saturating_sub(sim.messages);
    if args.json {
        let mut report = serde_json::to_value(&sim)?;
        report["from"] = json!(args.from.to_rfc3339());
        report["to"] = json!(args.to.to_rfc3339());
        report["summaries_files"] = json!(summaries_files);
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
    }
    Ok(())
}

/// The JSON files in the outbox.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == "json")).count())
        .unwrap_or(0)
}

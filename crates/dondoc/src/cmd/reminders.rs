//! `dondoc reminders due --at T` (what a sweep at T would send, without sending) and
//! `dondoc reminders log [--failed]` (the delivery log).

use anyhow::Result;
use chrono::Utc;
use dondoc_app::reminders::sweep;
use dondoc_core::calendar::TZ;
use dondoc_core::event::Milestone;

use dondoc_app::AppError;
use dondoc_core::event::Source;

use crate::cli::{Global, RemindersAction, RemindersArgs};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &RemindersArgs) -> Result<()> {
    let (at, json) = match &args.action {
        RemindersAction::Due { at, json } => (at, json),
        RemindersAction::Log { failed, json } => return log(global, *failed, *json).await,
        RemindersAction::Retry { channel, since, reason, json } => {
            return retry(global, args, channel.as_deref(), since.as_deref(), reason, *json).await;
        }
    };
    let at = match at {
        Some(a) => a.with_timezone(&Utc),
        None => crate::clock::now()?,
    };
    let app = datadir::open(global).await?;
    let (digests, inputs) = sweep::due(&app, at).await?;
    let tasks = inputs.tasks.len();
    if *json {
        let out: Vec<_> = digests
            .iter()
            .map(|g| {
                let rendered = app.templates.render_digest(g, g.channel, &g.address, &inputs.citations).ok();
                serde_json::json!({
                    "recipient": g.recipient,
                    "name": g.name,
                    "channel": g.channel.as_str(),
                    "address": g.address,
                    "subject": rendered.as_ref().map(|m| m.subject.clone()),
                    "notices": g.notices.iter().map(|n| serde_json::json!({
                        "plan": n.task.plan,
                        "code": n.task.code,
                        "title": n.title,
                        "occurrence": n.occurrence.map(|p| p.key()),
                        "milestone": n.key.milestone.as_str(),
                        "offset": n.key.offset,
                        "date": n.date,
                        "working_days_left": n.working_days_left,
                        "key": n.key.to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "at": at.with_timezone(&TZ).to_rfc3339(), "tasks": tasks, "digests": out })
            )?
        );
        return Ok(());
    }
    let local = at.with_timezone(&TZ);
    let notices: usize = digests.iter().map(|g| g.notices.len()).sum();
    outln!(
        "Lượt quét lúc {} ({}): {} tin cho {} người, {} nhắc việc (trên {} nhiệm vụ).",
        local.format("%H:%M %d/%m/%Y"),
        dondoc_core::text::weekday_vi(chrono::Datelike::weekday(&local.date_naive())),
        digests.len(),
        digests.len(),
        notices,
        tasks
    );
    if digests.is_empty() && !app.calendar().is_working_time(at) {
        outln!("(Ngoài giờ làm việc: chỉ gửi khi thời hạn còn dưới {} giờ.)", app.settings.reminders.urgent_hours);
    }
    for g in &digests {
        outln!("\n{} ({}) qua {} {}:", g.name, g.recipient, g.channel.as_str(), g.address);
        for n in &g.notices {
            let occ = n.occurrence.map(|p| format!(" kỳ {}", p.label())).unwrap_or_default();
            outln!(
                "  {} {}{occ}: {} – hạn {} ({} ngày làm việc)",
                n.task.code,
                milestone_vi(n.key.milestone),
                n.title.chars().take(70).collect::<String>(),
                n.date.format("%d/%m/%Y"),
                n.working_days_left
            );
        }
    }
    Ok(())
}

fn milestone_vi(m: Milestone) -> &'static str {
    match m {
        Milestone::Start => "sắp bắt đầu",
        Milestone::Due => "sắp đến hạn",
        Milestone::Overdue => "quá hạn",
        Milestone::Escalation => "báo cáo lãnh đạo (quá hạn)",
    }
}

/// `reminders retry`: requeues what channels refused for good.
async fn retry(
    global: &Global,
    args: &RemindersArgs,
    channel: Option<&str>,
    since: Option<&str>,
    reason: &str,
    json: bool,
) -> Result<()> {
    let app = datadir::open(global).await?;
    let channel = channel
        .map(crate::config::daemon::parse_channel)
        .transpose()
        .map_err(|e| AppError::Input(format!("--channel: {e}")))?;
    let since = since.map(|s| dondoc_app::silences::instant(s, false)).transpose()?;
    let actor = super::actor(&args.actor, Source::Cli);
    let done = dondoc_app::reminders::retry::requeue(&app, channel, since, reason, &actor).await?;
    if json {
        return crate::output::json(&serde_json::json!({ "reminders": done.reminders, "tasks": done.tasks }));
    }
    if done.reminders == 0 {
        outln!("Không có nhắc việc nào bị kênh gửi từ chối hẳn (theo điều kiện đã chọn).");
    } else {
        outln!(
            "Đã cho gửi lại {} nhắc việc của {} nhiệm vụ; lượt quét tiếp theo sẽ gửi (trong giờ làm việc).",
            done.reminders,
            done.tasks
        );
    }
    Ok(())
}

/// `reminders log`: the delivery log, or the open failures.
async fn log(global: &Global, failed: bool, json: bool) -> Result<()> {
    let app = datadir::open(global).await?;
    let read = app.read().await?;
    if failed {
        let rows = read.open_failures()?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&rows)?);
            return Ok(());
        }
        outln!("{} nhắc việc gửi lỗi chưa gửi lại được:", rows.len());
        for f in rows {
            let retry = if f.will_retry { "sẽ thử lại" } else { "không thử lại trên kênh này" };
            outln!("  {} (lần {}, {retry}): {}", f.key, f.attempt, f.error);
        }
        return Ok(());
    }
    let rows = read.deliveries()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    outln!("{} nhắc việc đã gửi:", rows.len());
    for r in rows {
        let at = chrono::DateTime::parse_from_rfc3339(&r.sent_at)
            .map(|t| t.with_timezone(&TZ).format("%H:%M %d/%m/%Y").to_string())
            .unwrap_or(r.sent_at);
        outln!("  {at}  {}", r.key);
    }
    Ok(())
}

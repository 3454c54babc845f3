//! `dondoc reminders due --at T` (what a sweep at T would send, without sending) and
//! `dondoc reminders log [--failed]` (the delivery log).

use anyhow::Result;
use chrono::Utc;
use dondoc_app::reminders::sweep;
use dondoc_core::calendar::TZ;
use dondoc_core::event::{Channel, Milestone};

use dondoc_app::AppError;
use dondoc_core::event::Source;

use crate::cli::{Global, RemindersAction, RemindersArgs};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &RemindersArgs) -> Result<()> {
    let (at, json) = match &args.action {
        RemindersAction::Due { at, json } => (at, json),
        RemindersAction::Log { failed, json } => return log(global, *failed, *json).await,
        RemindersAction::Retry { channel, since, reason, json } => {
            return retry(global, channel.as_deref(), since.as_deref(), reason, *json).await;
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
                        "plan": n.key.plan,
                        "code": n.key.code,
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
        "Lượt quét lúc {} ({}): {} tin cho {} người, {} nhắc việc (trong tổng số {} nhiệm vụ).",
        local.format("%H:%M ngày %d/%m/%Y"),
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
        let address = if g.channel == Channel::Email { format!(" {}", g.address) } else { String::new() };
        outln!("\nĐồng chí {} ({}) qua {}{address}:", g.name, g.role.label_vi(), g.channel.label_vi());
        for n in &g.notices {
            let occ = n.occurrence.map(|p| format!(" kỳ {}", p.label_in_sentence())).unwrap_or_default();
            let left = match n.working_days_left {
                0 => "đến hạn hôm nay".to_string(),
                l if l > 0 => format!("còn {l} ngày làm việc"),
                l => format!("quá hạn {} ngày làm việc", -l),
            };
            outln!(
                "  Nhiệm vụ {}{occ}, {}: {} – hạn {} ({left})",
                n.key.code,
                milestone_vi(n.key.milestone, n.key.offset),
                n.title.chars().take(70).collect::<String>(),
                n.date.format("%d/%m/%Y"),
            );
        }
    }
    Ok(())
}

/// What a reminder is, from its milestone and offset: "nhắc trước hạn 7 ngày làm việc",
/// "nhắc lại khi quá hạn 14 ngày", "báo lãnh đạo cơ quan khi quá hạn 5 ngày làm việc".
fn milestone_vi(m: Milestone, offset: i32) -> String {
    match (m, offset) {
        (Milestone::Start, n) => format!("nhắc trước ngày bắt đầu {n} ngày làm việc"),
        (Milestone::Due, 0) => "nhắc đúng ngày đến hạn".to_string(),
        (Milestone::Due, n) => format!("nhắc trước hạn {n} ngày làm việc"),
        (Milestone::Overdue, n) => format!("nhắc lại khi quá hạn {} ngày", n.unsigned_abs()),
        (Milestone::Explanation, 0) => "nhắc đúng ngày hạn giải trình".to_string(),
        (Milestone::Explanation, n) => format!("nhắc gửi giải trình trước hạn {n} ngày làm việc"),
        (Milestone::Escalation, n) => {
            format!("báo lãnh đạo cơ quan, tổ giúp việc khi quá hạn {} ngày làm việc", n.unsigned_abs())
        }
    }
}

/// A delivery-log key as people read it: "Nhiệm vụ 03 (Kế hoạch MAU-2026) kỳ quý II/2026,
/// nhắc lại khi quá hạn 49 ngày → Đồng chí Nguyễn Văn An, qua Zalo".
fn describe_key(key: &str, book: &dondoc_core::contact::ContactBook) -> String {
    let Some(k) = dondoc_projections::delivery::parse_key(key) else { return key.to_string() };
    let occ = k
        .occurrence
        .as_deref()
        .and_then(|o| o.parse::<dondoc_core::period::Period>().ok())
        .map(|p| format!(" kỳ {}", p.label_in_sentence()))
        .unwrap_or_default();
    let who = book.get(&k.recipient).map_or_else(|| k.recipient.clone(), |c| c.name.clone());
    format!(
        "Nhiệm vụ {} (kế hoạch {}){occ}, {} → đồng chí {who}, qua {}",
        k.code,
        k.plan,
        milestone_vi(k.milestone, k.offset),
        k.channel.label_vi()
    )
}

/// `reminders retry`: requeues what channels refused for good.
async fn retry(global: &Global, channel: Option<&str>, since: Option<&str>, reason: &str, json: bool) -> Result<()> {
    let app = datadir::open(global).await?;
    let channel = channel
        .map(crate::config::daemon::parse_channel)
        .transpose()
        .map_err(|e| AppError::Input(format!("--channel: {e}")))?;
    let since = since.map(|s| dondoc_app::silences::instant(s, false)).transpose()?;
    let actor = super::actor(&global.actor, Source::Cli);
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
        let book = read.contacts()?;
        outln!("{} nhắc việc gửi không thành công, chưa gửi lại được:", rows.len());
        for f in rows {
            let retry = if f.will_retry { "sẽ thử lại" } else { "không thử lại trên kênh này" };
            outln!("  {} (lần {}, {retry}): {}", describe_key(&f.key, &book), f.attempt, f.error);
        }
        return Ok(());
    }
    let rows = read.deliveries()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let book = read.contacts()?;
    outln!("{} nhắc việc đã gửi:", rows.len());
    for r in rows {
        let at = chrono::DateTime::parse_from_rfc3339(&r.sent_at)
            .map(|t| t.with_timezone(&TZ).format("%H:%M ngày %d/%m/%Y").to_string())
            .unwrap_or(r.sent_at);
        outln!("  {at}  {}", describe_key(&r.key, &book));
    }
    Ok(())
}

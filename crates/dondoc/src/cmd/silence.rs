//! `dondoc silence add | list | expire`: periods without reminders for a plan, an agency
//! or a task, recorded as events.

use anyhow::Result;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::calendar::{TZ, end_of_day, local_instant};
use dondoc_core::event::Source;
use dondoc_core::planner::SilenceScope;
use dondoc_core::silence::{SILENCE_STREAM, SilenceEvent, SilenceRecord};
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::ExpectedRevision;

use crate::app::{self, App};
use crate::cli::{Global, SilenceAction, SilenceArgs};
use crate::cmd::task::actor;
use crate::daemon::load;
use crate::{InputError, outln};

pub async fn run(global: &Global, args: &SilenceArgs) -> Result<()> {
    let app = App::open(global).await?;
    let silences = load::silences(&app.store).await?;
    let now = app::now()?;
    let ctx = CommandContext::new(actor(&args.actor), Source::Cli, now);
    match &args.action {
        SilenceAction::Add { plan, code, agency, from, until, reason, json } => {
            let scope = match (plan, code, agency) {
                (Some(plan), None, None) => SilenceScope::Plan { plan: plan.clone() },
                (Some(plan), Some(code), None) => SilenceScope::Task { plan: plan.clone(), code: code.clone() },
                (None, None, Some(agency)) => SilenceScope::Agency { agency: agency.clone() },
                _ => {
                    return Err(
                        InputError("chọn đúng một phạm vi: --plan, --plan với --code, hoặc --agency".into()).into()
                    );
                }
            };
            if let SilenceScope::Plan { plan } | SilenceScope::Task { plan, .. } = &scope
                && !app.projections.plans()?.contains(plan)
            {
                return Err(InputError(format!("chưa có kế hoạch \"{plan}\"")).into());
            }
            let from = match from {
                Some(f) => instant(f, false)?,
                None => now,
            };
            let until = instant(until, true)?;
            if until <= from {
                return Err(InputError("--until phải sau --from".into()).into());
            }
            let id = silences.next_id();
            let event = SilenceEvent::SilenceAdded { id: id.clone(), scope, from, until, reason: reason.clone() };
            let (t, data) = event.encode();
            service::append_facts(&app.store, SILENCE_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
            if *json {
                outln!("{}", serde_json::json!({ "id": id }));
            } else {
                outln!(
                    "Đã tạm dừng nhắc việc {} từ {} đến {} (mã {id}).",
                    scope_vi(match &event {
                        SilenceEvent::SilenceAdded { scope, .. } => scope,
                        SilenceEvent::SilenceExpired { .. } => unreachable!(),
                    }),
                    local(from),
                    local(until)
                );
            }
        }
        SilenceAction::List { at, json } => {
            let at = at.map_or(now, |a| a.with_timezone(&Utc));
            let records = silences.records();
            if *json {
                outln!("{}", serde_json::to_string_pretty(records)?);
                return Ok(());
            }
            if records.is_empty() {
                outln!("Chưa có lần tạm dừng nhắc việc nào.");
            }
            for r in records {
                outln!(
                    "{}  [{}] {}: {} → {}; lý do: {}",
                    r.id,
                    state(r, at),
                    scope_vi(&r.silence.scope),
                    local(r.silence.from),
                    local(r.silence.until),
                    r.silence.reason
                );
            }
        }
        SilenceAction::Expire { id, reason } => {
            let Some(r) = silences.get(id) else {
                return Err(InputError(format!("không có lần tạm dừng mã \"{id}\" (xem: dondoc silence list)")).into());
            };
            if r.silence.until <= now {
                return Err(InputError(format!("lần tạm dừng {id} đã hết hiệu lực")).into());
            }
            let event = SilenceEvent::SilenceExpired { id: id.clone(), at: now, reason: reason.clone() };
            let (t, data) = event.encode();
            service::append_facts(&app.store, SILENCE_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
            outln!("Đã kết thúc lần tạm dừng {id}: nhắc việc {} được gửi lại.", scope_vi(&r.silence.scope));
        }
    }
    Ok(())
}

fn state(r: &SilenceRecord, at: DateTime<Utc>) -> &'static str {
    if r.is_active(at) {
        "đang hiệu lực"
    } else if at < r.silence.from {
        "sắp tới"
    } else {
        "đã hết"
    }
}

fn scope_vi(s: &SilenceScope) -> String {
    match s {
        SilenceScope::Plan { plan } => format!("kế hoạch {plan}"),
        SilenceScope::Agency { agency } => format!("cơ quan {agency}"),
        SilenceScope::Task { plan, code } => format!("nhiệm vụ {code} ({plan})"),
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&TZ).format("%H:%M %d/%m/%Y").to_string()
}

/// RFC 3339, or a local date: its start (`from`) or the end of the day (`until`).
fn instant(s: &str, end: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d"))
        .map_err(|_| InputError(format!("\"{s}\" không phải thời điểm RFC 3339 hay ngày dd/mm/yyyy")))?;
    Ok(if end { end_of_day(d) } else { local_instant(d, NaiveTime::MIN) })
}

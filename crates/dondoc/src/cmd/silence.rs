//! `dondoc silence add | list | expire`: periods without reminders for a plan, an agency
//! or a task, recorded as events.

use anyhow::Result;
use chrono::{DateTime, Utc};
use dondoc_app::AppError;
use dondoc_app::silences::{self, instant};
use dondoc_core::event::Source;
use dondoc_core::silence::{SilenceRecord, SilenceScope};
use dondoc_core::text::{instant_vi, until_vi};

use crate::cli::{Global, SilenceAction, SilenceArgs};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &SilenceArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let actor = super::actor(&global.actor, Source::Cli);
    match &args.action {
        SilenceAction::Add { plan, code, agency, from, until, reason, json } => {
            let scope = match (plan, code, agency) {
                (Some(plan), None, None) => SilenceScope::Plan { plan: plan.clone() },
                (Some(plan), Some(code), None) => SilenceScope::Task { plan: plan.clone(), code: code.clone() },
                (None, None, Some(agency)) => SilenceScope::Agency { agency: agency.clone() },
                _ => {
                    return Err(
                        AppError::input("chọn đúng một phạm vi: --plan, --plan với --code, hoặc --agency").into()
                    );
                }
            };
            let from = from.as_deref().map(|f| instant(f, false)).transpose()?;
            let until = instant(until, true)?;
            let id = silences::add(&app, scope.clone(), from, until, reason, &actor).await?;
            if *json {
                outln!("{}", serde_json::json!({ "id": id }));
            } else {
                let from = from.unwrap_or_else(|| app.now());
                outln!(
                    "Đã tạm dừng nhắc việc {} từ {} đến {} (mã {id}).",
                    scope_vi(&scope),
                    instant_vi(from),
                    until_vi(until)
                );
            }
        }
        SilenceAction::List { at, json } => {
            let at = at.map_or_else(|| app.now(), |a| a.with_timezone(&Utc));
            let silences = app.read().await?.silences()?;
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
                    instant_vi(r.silence.from),
                    until_vi(r.silence.until),
                    r.silence.reason
                );
            }
        }
        SilenceAction::Expire { id, reason } => {
            let record = silences::expire(&app, id, reason, &actor).await?;
            outln!("Đã kết thúc lần tạm dừng {id}: nhắc việc {} được gửi lại.", scope_vi(&record.silence.scope));
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
    s.label_vi()
}

//! `dondoc audit --plan P --code C [--json]` (a task's timeline) and
//! `dondoc audit verify [--json]` (every hash chain).

use anyhow::Result;
use dondoc_app::{App, AppError, audit};
use dondoc_core::calendar::TZ;
use dondoc_core::describe::describe;
use dondoc_core::event::TaskKey;
use serde_json::json;

use crate::cli::{AuditArgs, AuditCommand, Global};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &AuditArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    if let Some(AuditCommand::Verify { json }) = &args.verify {
        return verify(&app, *json || args.json).await;
    }
    let (Some(plan), Some(code)) = (&args.plan, &args.code) else {
        return Err(AppError::input("cần --plan và --code (hoặc \"dondoc audit verify\")").into());
    };
    let key = TaskKey::new(plan.trim(), code.trim());
    let timeline = audit::timeline(&app, &key).await?;
    let rows: Vec<_> = timeline.iter().map(|e| (&e.recorded, &e.event, &e.meta)).collect();
    if args.json {
        let timeline: Vec<_> = rows
            .iter()
            .map(|(r, event, meta)| {
                json!({
                    "revision": r.revision,
                    "position": r.position,
                    "type": r.event_type,
                    "actor": meta.actor,
                    "source": meta.source.as_str(),
                    "recorded_at": r.recorded_at,
                    "occurred_at": meta.recorded_at,
                    "correlation_id": meta.correlation_id,
                    "causation_id": meta.causation_id,
                    "summary": describe(event),
                    "data": r.data,
                    "chain": meta.chain,
                })
            })
            .collect();
        return output::json(&json!({ "plan": key.plan, "code": key.code, "events": timeline }));
    }
    outln!("Nhật ký nhiệm vụ {} (kế hoạch {}), {} sự kiện:", key.code, key.plan, rows.len());
    for (r, event, meta) in &rows {
        outln!(
            "#{:<3} {}  {:<26} {} [{}]",
            r.revision,
            r.recorded_at.with_timezone(&TZ).format("%d/%m/%Y %H:%M:%S"),
            r.event_type,
            meta.actor,
            meta.source.as_str()
        );
        outln!("      {}", describe(event));
    }
    Ok(())
}

async fn verify(app: &App, json: bool) -> Result<()> {
    let report = audit::verify(app).await?;
    if json {
        output::json(&json!({
            "intact": report.first_break.is_none(),
            "events": report.events,
            "streams": report.streams,
            "first_break": report.first_break.as_ref().map(|b| json!({
                "stream": b.stream,
                "revision": b.revision,
                "position": b.position,
                "reason": b.reason.to_string(),
            })),
        }))?;
    }
    match &report.first_break {
        None => {
            if !json {
                outln!("Toàn vẹn: {} sự kiện trong {} luồng, mọi chuỗi băm khớp.", report.events, report.streams);
            }
            Ok(())
        }
        Some(b) => Err(AppError::Integrity(format!(
            "chuỗi băm bị phá vỡ ở luồng {} phiên bản {} (vị trí {}): {}",
            b.stream, b.revision, b.position, b.reason
        ))
        .into()),
    }
}

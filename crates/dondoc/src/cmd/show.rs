//! `dondoc show --plan P --code C [--at RFC3339] [--json]`.

use anyhow::Result;
use chrono::{DateTime, FixedOffset, Utc};
use dondoc_core::calendar::TZ;
use dondoc_core::classify::{OccurrenceStanding, TaskStanding};
use dondoc_core::event::TaskKey;
use dondoc_core::text::date_vi;
use serde_json::{Value, json};

use crate::app::{self, App};
use crate::cli::{Global, ShowArgs};
use crate::{InputError, outln, output, suggest};

/// The instant to evaluate at: `--at`, else now.
pub fn instant(at: Option<DateTime<FixedOffset>>) -> Result<DateTime<Utc>> {
    match at {
        Some(t) => Ok(t.with_timezone(&Utc)),
        None => app::now(),
    }
}

pub async fn run(global: &Global, args: &ShowArgs) -> Result<()> {
    let app = App::open(global).await?;
    let key = TaskKey::new(args.task.plan.trim(), args.task.code.trim());
    let Some(task) = app.projections.task(&key.plan, &key.code)? else {
        return Err(InputError(suggest::unknown_task(&app.projections, &key)?).into());
    };
    let at = instant(args.at)?;
    let standing = app.classifier().task(&task.state, at);
    if args.json {
        return output::json(&task_json(&task, &standing, at));
    }
    let s = &task.state;
    let mut rows = vec![
        ("Nhiệm vụ", format!("{} (kế hoạch {})", s.key.code, s.key.plan)),
        ("Nội dung", s.title.clone()),
        ("Chủ trì", s.lead.clone()),
        ("Phối hợp", if s.cooperating.is_empty() { "—".into() } else { s.cooperating.join("; ") }),
    ];
    if let Some(st) = &s.start {
        rows.push(("Bắt đầu", st.input.clone()));
    }
    if let Some(f) = &s.finish {
        rows.push(("Thời hạn", f.input.clone()));
    }
    if let Some(p) = &s.product {
        rows.push(("Sản phẩm", p.clone()));
    }
    rows.push(("Trạng thái", s.status.label_vi().to_string()));
    if let Some(p) = s.progress_percent {
        rows.push(("Tiến độ", format!("{p}%")));
    }
    if let Some(d) = &standing.deadline {
        let mut due = date_vi(d.due);
        if d.extended {
            due += &format!(" (đã gia hạn; hạn ban đầu {})", output::date_or_dash(d.original));
        } else if d.due != d.nominal {
            due += &format!(" (lùi từ {} vì ngày nghỉ)", date_vi(d.nominal));
        }
        rows.push(("Hạn", due));
    }
    rows.push((
        "Phân loại",
        format!("{} (tại {})", standing.classification.label_vi(), at.with_timezone(&TZ).format("%d/%m/%Y %H:%M")),
    ));
    rows.push(("Phiên bản", task.revision.to_string()));
    output::fields(&rows)?;
    if !standing.occurrences.is_empty() {
        outln!("Các kỳ báo cáo:");
        for o in &standing.occurrences {
            let submitted = o
                .submitted_at
                .map(|t| format!(", nộp {}", t.with_timezone(&TZ).format("%d/%m/%Y")))
                .unwrap_or_default();
            outln!(
                "  {:<22} hạn {}{}: {}",
                o.occurrence.period.label(),
                date_vi(o.deadline.due),
                submitted,
                o.classification.label_vi()
            );
        }
    }
    Ok(())
}

fn occurrence_json(o: &OccurrenceStanding) -> Value {
    json!({
        "period": o.occurrence.period.label(),
        "key": o.occurrence.period.key(),
        "due": o.deadline.due,
        "nominal_due": o.deadline.nominal,
        "extended": o.deadline.extended,
        "submitted_at": o.submitted_at,
        "classification": o.classification.as_str(),
    })
}

/// The `show --json` object (a stable contract).
pub fn task_json(task: &dondoc_projections::BoardTask, standing: &TaskStanding, at: DateTime<Utc>) -> Value {
    let s = &task.state;
    json!({
        "plan": s.key.plan,
        "code": s.key.code,
        "title": s.title,
        "lead": s.lead,
        "cooperating": s.cooperating,
        "start": s.start.as_ref().map(|p| &p.input),
        "finish": s.finish.as_ref().map(|p| &p.input),
        "product": s.product,
        "status": s.status.as_str(),
        "progress_percent": s.progress_percent,
        "completed_on": s.completed_on,
        "classification": standing.classification.as_str(),
        "classification_vi": standing.classification.label_vi(),
        "due": standing.deadline.map(|d| d.due),
        "nominal_due": standing.deadline.map(|d| d.nominal),
        "original_due": standing.deadline.and_then(|d| d.original),
        "extended": standing.deadline.is_some_and(|d| d.extended),
        "revision": task.revision,
        "at": at,
        "occurrences": standing.occurrences.iter().map(occurrence_json).collect::<Vec<_>>(),
    })
}

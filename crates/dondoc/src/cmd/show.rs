//! `dondoc show --plan P --code C [--at RFC3339] [--json]`.

use anyhow::Result;
use dondoc_app::views;
use dondoc_core::calendar::TZ;
use dondoc_core::event::TaskKey;
use dondoc_core::text::date_vi;

use crate::cli::{Global, ShowArgs};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &ShowArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let key = TaskKey::new(args.task.plan.trim(), args.task.code.trim());
    let at = super::instant(args.at)?;
    if args.json {
        return output::json(&views::show_json(&app, &key, at).await?);
    }
    let (task, standing) = views::task(&app, &key, at).await?;
    let calendar = app.calendar();
    let near = |n, d| calendar.provisional_days_near(n, d);
    let s = &task.state;
    let mut rows = vec![
        ("Nhiệm vụ", s.key.label_vi()),
        ("Thuộc", dondoc_app::plans::record(&app, &s.key.plan).await?.citation()),
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
        if let Some(note) = output::provisional_note(&near(d.nominal, d.due)) {
            rows.push(("Lưu ý", note));
        }
    }
    rows.push((
        "Phân loại",
        format!(
            "{} (tại {})",
            standing.classification.label_for(s.status),
            at.with_timezone(&TZ).format("%d/%m/%Y %H:%M")
        ),
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
            let provisional =
                if near(o.deadline.nominal, o.deadline.due).is_empty() { "" } else { " (hạn tạm tính)" };
            outln!(
                "  {:<22} hạn {}{provisional}{}: {}",
                o.occurrence.period.label(),
                date_vi(o.deadline.due),
                submitted,
                o.classification.label_vi()
            );
        }
    }
    Ok(())
}

//! `dondoc audit --plan P --code C [--json]` (a task's timeline), `dondoc audit verify
//! [--json] [--anchor FILE]` (chains, seals, anchor) and `dondoc audit anchor [--out FILE]`.

use std::path::Path;

use anyhow::{Context, Result};
use dondoc_app::{App, AppError, audit};
use dondoc_core::calendar::TZ;
use dondoc_core::describe::describe;
use dondoc_core::event::TaskKey;
use dondoc_store::seal::{Anchor, AnchorCheck, SealBreak};
use serde_json::json;

use crate::cli::{AuditArgs, AuditCommand, Global};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &AuditArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    match &args.verify {
        Some(AuditCommand::Verify { json, anchor }) => {
            return verify(&app, *json || args.json, anchor.as_deref()).await;
        }
        Some(AuditCommand::Anchor { out }) => return anchor(&app, out.as_deref()).await,
        None => {}
    }
    let (Some(plan), Some(code)) = (&args.plan, &args.code) else {
        return Err(AppError::input("cần --plan và --code (hoặc \"dondoc audit verify\")").into());
    };
    let key = TaskKey::new(plan.trim(), code.trim());
    let timeline = audit::timeline(&app, &key).await?;
    if args.json {
        return output::json(&audit::timeline_json(&key, &timeline));
    }
    let rows: Vec<_> = timeline.iter().map(|e| (&e.recorded, &e.event, &e.meta)).collect();
    outln!("Nhật ký nhiệm vụ {}, {} sự kiện:", key.label_vi(), rows.len());
    outln!("Thuộc {}.", dondoc_app::plans::record(&app, &key.plan).await?.citation());
    for (r, event, meta) in &rows {
        outln!(
            "#{:<3} {}  {:<32} {} [{}]",
            r.revision,
            r.recorded_at.with_timezone(&TZ).format("%d/%m/%Y %H:%M:%S"),
            dondoc_core::event::event_name_vi(&r.event_type),
            meta.actor,
            meta.source.label_vi()
        );
        outln!("      {}", describe(event));
    }
    Ok(())
}

/// What no check here can show, said with every verification.
const CANNOT_DETECT: &[&str] = &[
    "nhật ký bị quay lui (xóa các sự kiện mới nhất cùng dấu niêm phong của chúng) sau mốc đối chiếu gần nhất: \
     hãy lưu mốc định kỳ bằng \"dondoc audit anchor\" ở nơi khác máy chủ",
    "thay đổi do người giữ khóa niêm phong thực hiện",
];

fn seal_break_text(b: &SealBreak) -> String {
    format!(
        "dấu niêm phong #{} (vị trí {}–{}, lúc {}): {}",
        b.seal_id,
        b.first_position,
        b.last_position,
        local(&b.sealed_at),
        b.problem
    )
}

fn local(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&TZ).format("%H:%M:%S %d/%m/%Y").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

async fn verify(app: &App, json: bool, anchor_file: Option<&Path>) -> Result<()> {
    let anchor = match anchor_file {
        Some(path) => Some(read_anchor(path)?),
        None => None,
    };
    let report = audit::verify(app, anchor.as_ref()).await?;
    let chains = &report.chains;
    let key_id = app.settings.seal_key.as_ref().map(|k| k.id().to_string());
    if json {
        output::json(&json!({
            "intact": report.holds(),
            "events": chains.events,
            "streams": chains.streams,
            "chains": {
                "checked": true,
                "first_break": chains.first_break.as_ref().map(|b| json!({
                    "stream": b.stream,
                    "revision": b.revision,
                    "position": b.position,
                    "reason": b.reason.to_string(),
                })),
            },
            "seals": match &report.seals {
                None => json!({ "checked": false, "reason": "không có khóa niêm phong" }),
                Some(s) => json!({
                    "checked": true,
                    "key_id": key_id,
                    "seals": s.seals,
                    "sealed_events": s.sealed_events,
                    "newest": s.newest.as_ref().map(|n| json!({
                        "id": n.id, "sealed_through": n.last_position, "sealed_at": n.sealed_at,
                    })),
                    "unsealed": s.unsealed.iter().map(|u| json!({"first": u.first, "last": u.last, "events": u.events})).collect::<Vec<_>>(),
                    "first_break": s.first_break.as_ref().map(|b| json!({
                        "seal": b.seal_id, "first": b.first_position, "last": b.last_position,
                        "sealed_at": b.sealed_at, "reason": b.problem.to_string(),
                    })),
                }),
            },
            "anchor": match (&anchor, &report.anchor) {
                (Some(a), Some(check)) => json!({
                    "checked": true,
                    "seal": a.seal_id,
                    "sealed_through": a.sealed_through,
                    "status": match check { AnchorCheck::Present => "present", AnchorCheck::Missing => "missing", AnchorCheck::Different(_) => "different" },
                }),
                _ => json!({ "checked": false }),
            },
            "cannot_detect": CANNOT_DETECT,
        }))?;
    } else {
        outln!("Kiểm tra toàn vẹn nhật ký: {} sự kiện trong {} luồng.", chains.events, chains.streams);
        match &chains.first_break {
            None => outln!("- Chuỗi băm từng luồng: khớp (phát hiện sửa, chèn hoặc xóa một sự kiện ở giữa luồng)."),
            Some(b) => outln!("- Chuỗi băm từng luồng: BỊ PHÁ VỠ ở {b}."),
        }
        match &report.seals {
            None => outln!(
                "- Dấu niêm phong: KHÔNG KIỂM TRA ĐƯỢC (không có khóa niêm phong). Khi không kiểm tra niêm phong, \
                 không phát hiện được việc xóa các sự kiện mới nhất của một luồng, xóa cả luồng, sửa vị trí hoặc \
                 thời điểm ghi, hay tính lại chuỗi băm."
            ),
            Some(s) => {
                let newest = s
                    .newest
                    .as_ref()
                    .map(|n| format!("; mới nhất #{} đến vị trí {} lúc {}", n.id, n.last_position, local(&n.sealed_at)))
                    .unwrap_or_default();
                match &s.first_break {
                    None => outln!(
                        "- Dấu niêm phong (khóa {}): {} dấu, {} sự kiện đã niêm phong{newest} — khớp (phát hiện xóa \
                         sự kiện mới nhất của luồng, xóa cả luồng, sửa vị trí hoặc thời điểm ghi, tính lại chuỗi băm \
                         mà không có khóa).",
                        key_id.as_deref().unwrap_or("?"),
                        s.seals,
                        s.sealed_events
                    ),
                    Some(b) => outln!("- Dấu niêm phong: KHÔNG KHỚP ở {}.", seal_break_text(b)),
                }
                for u in &s.unsealed {
                    outln!(
                        "- CHƯA NIÊM PHONG: {} sự kiện ở vị trí {}–{} (ghi khi không có khóa niêm phong, hoặc bị chèn ngoài phần mềm).",
                        u.events,
                        u.first,
                        u.last
                    );
                }
            }
        }
        match (&anchor, &report.anchor) {
            (Some(a), Some(AnchorCheck::Present)) => outln!(
                "- Mốc đối chiếu (dấu #{} đến vị trí {}, lúc {}): còn nguyên — nhật ký không bị quay lui về trước mốc này.",
                a.seal_id,
                a.sealed_through,
                local(&a.sealed_at)
            ),
            (Some(a), Some(_)) => outln!(
                "- Mốc đối chiếu (dấu #{} đến vị trí {}, lúc {}): KHÔNG CÒN — nhật ký đã bị quay lui về trước mốc \
                 này hoặc các dấu niêm phong bị viết lại.",
                a.seal_id,
                a.sealed_through,
                local(&a.sealed_at)
            ),
            _ => outln!(
                "- Mốc đối chiếu: không kiểm tra (dùng --anchor TỆP với mốc đã lưu bằng \"dondoc audit anchor\")."
            ),
        }
        outln!("Không phát hiện được:");
        for line in CANNOT_DETECT {
            outln!("  · {line}.");
        }
    }
    if report.holds() {
        return Ok(());
    }
    let problem = if let Some(b) = &chains.first_break {
        format!(
            "chuỗi băm bị phá vỡ ở luồng {} phiên bản {} (vị trí {}): {}",
            b.stream, b.revision, b.position, b.reason
        )
    } else if let Some(b) = report.seals.as_ref().and_then(|s| s.first_break.as_ref()) {
        seal_break_text(b)
    } else if let Some(u) = report.seals.as_ref().and_then(|s| s.unsealed.first()) {
        format!("{} sự kiện chưa được niêm phong (từ vị trí {})", u.events, u.first)
    } else {
        "nhật ký đã bị quay lui về trước mốc đối chiếu".to_string()
    };
    Err(AppError::Integrity(problem).into())
}

fn read_anchor(path: &Path) -> Result<Anchor> {
    let text = std::fs::read_to_string(path).with_context(|| format!("không đọc được mốc {}", path.display()))?;
    let anchor: Anchor = serde_json::from_str(&text)
        .map_err(|e| AppError::Input(format!("{} không phải mốc đối chiếu của dondoc: {e}", path.display())))?;
    if anchor.format != Anchor::FORMAT {
        return Err(
            AppError::Input(format!("{}: định dạng mốc {} không được hỗ trợ", path.display(), anchor.format)).into()
        );
    }
    Ok(anchor)
}

async fn anchor(app: &App, out: Option<&Path>) -> Result<()> {
    let anchor = audit::anchor(app).await?;
    let text = serde_json::to_string_pretty(&anchor)?;
    match out {
        Some(path) => {
            std::fs::write(path, format!("{text}\n")).with_context(|| format!("không ghi được {}", path.display()))?;
            outln!(
                "Đã lưu mốc đối chiếu vào {}: dấu niêm phong #{} đến vị trí {}, lúc {}. Hãy cất tệp này ở nơi khác máy chủ \
                 (in kèm báo cáo tuần, gửi văn thư); đối chiếu bằng \"dondoc audit verify --anchor {}\".",
                path.display(),
                anchor.seal_id,
                anchor.sealed_through,
                local(&anchor.sealed_at),
                path.display()
            );
        }
        None => outln!("{text}"),
    }
    Ok(())
}

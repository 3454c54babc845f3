//! "Did you mean": the nearest plans and codes for an unknown task.

use dondoc_core::event::TaskKey;
use dondoc_projections::{ProjectionError, Projections};

/// The `n` candidates closest to `wanted` (Levenshtein on the NFC text; ties by name).
fn nearest<'a>(wanted: &str, candidates: &'a [String], n: usize) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> =
        candidates.iter().map(|c| (strsim::levenshtein(wanted, c), c.as_str())).collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The message for a plan with no task on the board, with the nearest plans; `None` when
/// the plan is there.
pub fn unknown_plan(projections: &Projections, plan: &str) -> Result<Option<String>, ProjectionError> {
    let plans = projections.plans()?;
    if plans.iter().any(|p| p == plan) {
        return Ok(None);
    }
    let near = nearest(plan, &plans, 3);
    Ok(Some(if near.is_empty() {
        format!("không có kế hoạch \"{plan}\" (chưa có kế hoạch nào)")
    } else {
        format!("không có kế hoạch \"{plan}\"; có phải: {}?", near.join(", "))
    }))
}

/// The message for a task that is not on the board, with the nearest codes or plans.
pub fn unknown_task(projections: &Projections, key: &TaskKey) -> Result<String, ProjectionError> {
    let plans = projections.plans()?;
    if !plans.contains(&key.plan) {
        let near = nearest(&key.plan, &plans, 3);
        return Ok(if near.is_empty() {
            format!(
                "không có kế hoạch \"{}\" (chưa có kế hoạch nào; hãy khai báo nhiệm vụ bằng \"dondoc task add\")",
                key.plan
            )
        } else {
            format!("không có kế hoạch \"{}\"; có phải: {}?", key.plan, near.join(", "))
        });
    }
    let codes = projections.codes(&key.plan)?;
    let near = nearest(&key.code, &codes, 5);
    Ok(format!("kế hoạch {} không có nhiệm vụ mã \"{}\"; các mã gần nhất: {}", key.plan, key.code, near.join(", ")))
}

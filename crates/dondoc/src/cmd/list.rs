//! `dondoc list [--plan P] [--overdue] [--due-within 7d] [--agency A] [--at RFC3339] [--json]`.

use anyhow::Result;
use dondoc_app::views::{self, Listing, Within};
use dondoc_core::calendar::TZ;
use dondoc_core::classify::Classification;
use dondoc_projections::board::{AgencyCounts, TaskFilter, agency_counts};

use crate::cli::{Global, ListArgs};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &ListArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let at = super::instant(args.at)?;
    let listing = Listing {
        filter: TaskFilter { plan: args.plan.clone(), agency: args.agency.clone() },
        overdue: args.overdue,
        due_within: args.due_within.as_deref().map(Within::parse).transpose()?,
        classification: None,
    };
    let rows = views::list(&app, &listing, at).await?;
    if args.by_agency {
        let tasks: Vec<_> = rows.into_iter().map(|(t, _)| t).collect();
        return print_agency_counts(&agency_counts(&tasks, &app.classifier(&app.calendar()), at), args.json);
    }
    if args.json {
        let items: Vec<_> = rows.iter().map(|(t, s)| views::task_json(t, s, at)).collect();
        return output::json(&items);
    }
    outln!("{} nhiệm vụ (tại {}):", rows.len(), at.with_timezone(&TZ).format("%d/%m/%Y %H:%M"));
    for (task, standing) in &rows {
        let s = &task.state;
        let title: String = s.title.chars().take(60).collect();
        outln!(
            "{:<10} {:<8} {:<26} hạn {:<10} {:<24} {}",
            s.key.plan,
            s.key.code,
            standing.classification.label_for(s.status),
            views::next_open_due(standing).map_or("—".to_string(), |d| d.format("%d/%m/%Y").to_string()),
            s.lead.chars().take(24).collect::<String>(),
            title
        );
    }
    Ok(())
}

fn print_agency_counts(counts: &[AgencyCounts], json: bool) -> Result<()> {
    if json {
        let items: Vec<_> = counts
            .iter()
            .map(|a| {
                let by: serde_json::Map<String, serde_json::Value> =
                    a.counts.iter().map(|(c, n)| (c.as_str().to_string(), (*n).into())).collect();
                serde_json::json!({ "agency": a.agency, "total": a.total(), "counts": by })
            })
            .collect();
        return output::json(&items);
    }
    outln!(
        "{:<40} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "Cơ quan chủ trì",
        "Tổng",
        "Quá hạn",
        "Sắp hạn",
        "HT đúng",
        "HT quá"
    );
    for a in counts {
        outln!(
            "{:<40} {:>5} {:>8} {:>8} {:>8} {:>8}",
            a.agency.chars().take(40).collect::<String>(),
            a.total(),
            a.get(Classification::InProgressOverdue),
            a.get(Classification::DueSoon),
            a.get(Classification::CompletedOnTime),
            a.get(Classification::CompletedLate)
        );
    }
    Ok(())
}

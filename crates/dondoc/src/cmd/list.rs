//! `dondoc list [--plan P] [--overdue] [--due-within 7d] [--agency A] [--at RFC3339] [--json]`.

use anyhow::Result;
use chrono::{Days, NaiveDate};
use dondoc_core::WorkCalendar;
use dondoc_core::calendar::{TZ, local_date};
use dondoc_core::classify::{Classification, TaskStanding};
use dondoc_projections::board::{AgencyCounts, TaskFilter, agency_counts};

use crate::app::App;
use crate::cli::{Global, ListArgs};
use crate::cmd::show::{instant, task_json};
use crate::{InputError, outln, output};

/// "7d" (calendar days) or "5wd" (working days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Within {
    Days(u64),
    WorkingDays(u32),
}

fn parse_within(text: &str) -> Result<Within> {
    let t = text.trim().to_lowercase();
    let bad = || InputError(format!("--due-within \"{text}\": dùng dạng 7d (ngày) hoặc 5wd (ngày làm việc)"));
    if let Some(n) = t.strip_suffix("wd") {
        return Ok(Within::WorkingDays(n.parse().map_err(|_| bad())?));
    }
    let n = t.strip_suffix('d').unwrap_or(&t);
    Ok(Within::Days(n.parse().map_err(|_| bad())?))
}

fn horizon(calendar: &WorkCalendar, today: NaiveDate, within: Within) -> NaiveDate {
    match within {
        Within::Days(n) => today.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX),
        Within::WorkingDays(n) => calendar.add_working_days(today, i64::from(n)),
    }
}

/// The earliest open due date of a task: its deadline, or its first unsubmitted occurrence.
fn next_open_due(standing: &TaskStanding) -> Option<NaiveDate> {
    let open = |c: Classification| !matches!(c, Classification::CompletedOnTime | Classification::CompletedLate);
    match standing.deadline {
        Some(d) if open(standing.classification) => Some(d.due),
        Some(_) => None,
        None => standing.occurrences.iter().filter(|o| open(o.classification)).map(|o| o.deadline.due).min(),
    }
}

pub async fn run(global: &Global, args: &ListArgs) -> Result<()> {
    let app = App::open(global).await?;
    let at = instant(args.at)?;
    let today = local_date(at);
    let within = args.due_within.as_deref().map(parse_within).transpose()?;
    let filter = TaskFilter { plan: args.plan.clone(), agency: args.agency.clone() };
    let classifier = app.classifier();
    let mut rows = Vec::new();
    for task in app.projections.tasks(&filter)? {
        let standing = classifier.task(&task.state, at);
        if args.overdue && !standing.classification.is_overdue() {
            continue;
        }
        if let Some(w) = within {
            let until = horizon(&app.calendar, today, w);
            if !next_open_due(&standing).is_some_and(|d| today <= d && d <= until) {
                continue;
            }
        }
        rows.push((task, standing));
    }
    if args.by_agency {
        let tasks: Vec<_> = rows.into_iter().map(|(t, _)| t).collect();
        return print_agency_counts(&agency_counts(&tasks, &classifier, at), args.json);
    }
    if args.json {
        let items: Vec<_> = rows.iter().map(|(t, s)| task_json(t, s, at)).collect();
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
            standing.classification.label_vi(),
            next_open_due(standing).map_or("—".to_string(), |d| d.format("%d/%m/%Y").to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_within("7d").unwrap(), Within::Days(7));
        assert_eq!(parse_within("7").unwrap(), Within::Days(7));
        assert_eq!(parse_within("5wd").unwrap(), Within::WorkingDays(5));
        assert!(parse_within("x").is_err());
    }
}

//! The weekly summary as its templates see it: every date, count, percentage and name
//! already written the way people read them, so the templates only lay them out.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::calendar::TZ;
use dondoc_core::classify::Classification;
use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::{DueTask, OverdueTask, WeeklySummary};
use dondoc_core::text::lower_first;
use serde::Serialize;

/// Overdue rows listed in the email; the workbook has them all.
pub const EMAIL_ROWS: usize = 100;
/// Agencies named in the Telegram/Zalo text.
pub const CHAT_AGENCIES: usize = 5;

/// One category's line.
#[derive(Debug, Serialize)]
pub struct CountView {
    pub label: String,
    pub count: u32,
    pub percent: String,
}

/// One overdue task's row.
#[derive(Debug, Serialize)]
pub struct OverdueView {
    pub agency: String,
    pub plan: String,
    /// The plan named briefly: "Kế hoạch số 818/KH-UBND".
    pub plan_ref: String,
    pub code: String,
    /// With the occurrence and the other overdue occurrences of a recurring task.
    pub title: String,
    pub deadline: String,
    pub days_overdue: i64,
    pub working_days_overdue: i64,
    pub status: String,
    /// The status with a capital letter (tables).
    pub status_title: String,
}

/// One agency's overdue tasks (those listed, and how many more).
#[derive(Debug, Serialize)]
pub struct AgencyView {
    pub name: String,
    pub tasks: usize,
    /// The longest delay among them, in days.
    pub longest_days_overdue: i64,
    pub rows: Vec<OverdueView>,
    pub more: usize,
}

/// A deadline of the coming week.
#[derive(Debug, Serialize)]
pub struct DueView {
    pub agency: String,
    pub plan_ref: String,
    pub code: String,
    /// With the occurrence of a recurring task.
    pub title: String,
    pub deadline: String,
    pub status: String,
}

/// A plan named in the summary.
#[derive(Debug, Serialize)]
pub struct PlanView {
    pub reference: String,
    pub citation: String,
}

/// One completed task's row.
#[derive(Debug, Serialize)]
pub struct CompletedView {
    pub agency: String,
    pub plan: String,
    pub plan_ref: String,
    pub code: String,
    pub title: String,
    pub completed_on: String,
    pub deadline: String,
    pub result: String,
    /// As the text alternative writes it (not capitalised).
    pub result_text: String,
}

/// An overdue task whose explanation is missing or late.
#[derive(Debug, Serialize)]
pub struct ExplanationView {
    pub agency: String,
    pub plan_ref: String,
    pub code: String,
    pub title: String,
    /// The day it was due (dd/mm/yyyy).
    pub due: String,
    /// "chưa giải trình" or "giải trình ngày dd/mm/yyyy, muộn".
    pub state: String,
}

/// One failed delivery's row.
#[derive(Debug, Serialize)]
pub struct FailureView {
    pub plan: String,
    /// The plan named briefly: "Kế hoạch số 818/KH-UBND".
    pub plan_ref: String,
    pub code: String,
    /// The contact id (the secretariat's report writes the person's name instead).
    pub recipient: String,
    pub channel: String,
    pub at: String,
    pub error: String,
}

/// A channel out of order.
#[derive(Debug, Serialize)]
pub struct ChannelFaultView {
    pub channel: String,
    pub since: String,
    pub reason: String,
}

/// The first rows of a list and how many more it has.
#[derive(Debug, Serialize)]
pub struct Rows<T> {
    pub total: usize,
    pub rows: Vec<T>,
    pub more: usize,
}

impl<T> Rows<T> {
    fn of<S>(items: &[S], limit: usize, view: impl Fn(&S) -> T) -> Rows<T> {
        let rows: Vec<T> = items.iter().take(limit).map(view).collect();
        Rows { total: items.len(), more: items.len() - rows.len(), rows }
    }
}

/// Everything the summary templates read.
#[derive(Debug, Serialize)]
pub struct SummaryView {
    pub subject: String,
    /// The recipient's name, and the salutation ("Đồng chí …").
    pub name: String,
    pub salutation: String,
    /// The signature (set by the templates' owner from the wording).
    pub sender: String,
    pub week_from: String,
    pub week_to: String,
    /// When the figures were taken ("07:30 ngày 24/11/2025").
    pub generated: String,
    /// The one-line overview: "Tính đến 07:30 ngày 24/11/2025: theo dõi 8 nhiệm vụ; …".
    pub overview: String,
    /// The coming week ("24/11/2025").
    pub coming_from: String,
    pub coming_to: String,
    pub due_coming_week: Rows<DueView>,
    /// The plans the summary names: briefly and in full.
    pub plans: Vec<PlanView>,
    /// The secretariat's proposals (kiến nghị).
    pub proposals: Vec<String>,
    pub total: u32,
    pub counts: Vec<CountView>,
    /// Overdue tasks in all.
    pub overdue_total: usize,
    /// The agencies with their first overdue rows (at most [`EMAIL_ROWS`] rows in all).
    pub agencies: Vec<AgencyView>,
    /// Whether the email lists fewer overdue tasks than there are.
    pub overdue_cut: bool,
    /// Agencies with overdue tasks, and the first [`CHAT_AGENCIES`] of them.
    pub agency_count: usize,
    pub chat_agencies: Vec<AgencyView>,
    pub newly_overdue: Rows<OverdueView>,
    pub newly_completed: Rows<CompletedView>,
    /// Overdue tasks whose explanation is missing or late.
    pub explanations: Rows<ExplanationView>,
    pub failures: Rows<FailureView>,
    /// Channels that cannot send (a configuration or account fault).
    pub channel_faults: Vec<ChannelFaultView>,
    pub email_rows: usize,
    /// The chart is attached inline, its `cid:`.
    pub chart_cid: Option<String>,
    /// The workbook's file name, when attached.
    pub workbook: Option<String>,
}

/// The view of `summary` for `name`.
pub fn of(summary: &WeeklySummary, name: &str, chart_cid: Option<&str>, workbook: Option<&str>) -> SummaryView {
    let overdue = |t: &OverdueTask| overdue(summary, t);
    let mut left = EMAIL_ROWS;
    let mut agencies: Vec<AgencyView> = Vec::new();
    for a in &summary.overdue {
        if left == 0 {
            break;
        }
        let rows: Vec<OverdueView> = a.tasks.iter().take(left).map(overdue).collect();
        left -= rows.len();
        agencies.push(AgencyView {
            name: agency_name(&a.agency).to_string(),
            tasks: a.tasks.len(),
            longest_days_overdue: a.longest_days_overdue,
            more: a.tasks.len() - rows.len(),
            rows,
        });
    }
    let listed: usize = agencies.iter().map(|a| a.rows.len()).sum();
    SummaryView {
        subject: subject(summary),
        name: name.to_string(),
        salutation: crate::templates::salutation(name, None),
        sender: String::new(),
        week_from: dmy(summary.week_from),
        week_to: dmy(summary.week_to),
        generated: local_time(summary.generated_at),
        overview: overview(summary),
        coming_from: dmy(summary.coming_from),
        coming_to: dmy(summary.coming_to),
        due_coming_week: Rows::of(&summary.due_coming_week, EMAIL_ROWS, |t: &DueTask| DueView {
            agency: agency_name(&t.lead).to_string(),
            plan_ref: plan_ref(summary, &t.plan),
            code: t.code.clone(),
            title: match &t.occurrence {
                Some(o) => format!("{} (kỳ {})", t.title, lower_first(o)),
                None => t.title.clone(),
            },
            deadline: dmy(t.deadline),
            status: t.status_label.clone(),
        }),
        plans: summary
            .plans
            .values()
            .map(|n| PlanView { reference: n.reference.clone(), citation: n.citation.clone() })
            .collect(),
        proposals: summary.proposals.clone(),
        total: summary.total,
        counts: summary
            .counts
            .iter()
            .map(|c| CountView {
                label: capitalize(&c.label),
                count: c.count,
                percent: percent(c.count, summary.total),
            })
            .collect(),
        overdue_total: summary.overdue_tasks(),
        overdue_cut: listed < summary.overdue_tasks(),
        agencies,
        agency_count: summary.overdue.len(),
        chat_agencies: summary
            .overdue
            .iter()
            .take(CHAT_AGENCIES)
            .map(|a| AgencyView {
                name: shorten(agency_name(&a.agency), 80),
                tasks: a.tasks.len(),
                longest_days_overdue: a.longest_days_overdue,
                rows: Vec::new(),
                more: 0,
            })
            .collect(),
        newly_overdue: Rows::of(&summary.newly_overdue, EMAIL_ROWS, overdue),
        newly_completed: Rows::of(&summary.newly_completed, EMAIL_ROWS, |t| CompletedView {
            agency: agency_name(&t.lead).to_string(),
            plan: t.plan.clone(),
            plan_ref: plan_ref(summary, &t.plan),
            code: t.code.clone(),
            title: t.title.clone(),
            completed_on: dmy(t.completed_on),
            deadline: t.deadline.map_or_else(|| "—".to_string(), dmy),
            result: capitalize(&t.classification_label),
            result_text: t.classification_label.clone(),
        }),
        explanations: Rows::of(&summary.explanations, EMAIL_ROWS, |e| ExplanationView {
            agency: agency_name(&e.lead).to_string(),
            plan_ref: plan_ref(summary, &e.plan),
            code: e.code.clone(),
            title: e.title.clone(),
            due: dmy(e.due),
            state: match e.answered_on {
                Some(on) => format!("giải trình ngày {}, muộn", dmy(on)),
                None => "chưa giải trình".to_string(),
            },
        }),
        failures: Rows::of(&summary.failed_deliveries, EMAIL_ROWS, |f| FailureView {
            plan: f.plan.clone(),
            plan_ref: plan_ref(summary, &f.plan),
            code: f.code.clone(),
            recipient: f.recipient.clone(),
            channel: channel_vi(f.channel),
            at: f.at.map_or_else(|| "—".to_string(), local_time),
            error: f.error.clone(),
        }),
        channel_faults: summary
            .channel_faults
            .iter()
            .map(|f| ChannelFaultView {
                channel: channel_vi(f.channel),
                since: local_time(f.since),
                reason: f.reason.clone(),
            })
            .collect(),
        email_rows: EMAIL_ROWS,
        chart_cid: chart_cid.map(str::to_string),
        workbook: workbook.map(str::to_string),
    }
}

fn overdue(summary: &WeeklySummary, t: &OverdueTask) -> OverdueView {
    OverdueView {
        agency: agency_name(&t.lead).to_string(),
        plan: t.plan.clone(),
        plan_ref: plan_ref(summary, &t.plan),
        code: t.code.clone(),
        title: task_title(t),
        deadline: if t.extended { format!("{} (đã gia hạn)", dmy(t.deadline)) } else { dmy(t.deadline) },
        days_overdue: t.days_overdue,
        working_days_overdue: t.working_days_overdue,
        status: t.status_label.clone(),
        status_title: capitalize(&t.status_label),
    }
}

/// The subject: "Báo cáo tình hình thực hiện nhiệm vụ tuần 17/11/2025 – 23/11/2025".
pub fn subject(summary: &WeeklySummary) -> String {
    format!("Báo cáo tình hình thực hiện nhiệm vụ tuần {} – {}", dmy(summary.week_from), dmy(summary.week_to))
}

/// "Tính đến 07:30 ngày 24/11/2025: theo dõi 8 nhiệm vụ; hoàn thành 1; chưa hoàn thành 7,
/// trong đó quá hạn 3 (mới quá hạn trong tuần 1)."
pub fn overview(summary: &WeeklySummary) -> String {
    let done = summary.count(Classification::CompletedOnTime) + summary.count(Classification::CompletedLate);
    let open = summary.total - done;
    let overdue = summary.count(Classification::InProgressOverdue);
    let newly = summary.newly_overdue.len();
    let mut out = format!(
        "Tính đến {}: theo dõi {} nhiệm vụ; hoàn thành {done}; chưa hoàn thành {open}",
        local_time(summary.generated_at),
        summary.total
    );
    if open > 0 {
        out.push_str(&format!(", trong đó quá hạn {overdue}"));
        if newly > 0 {
            out.push_str(&format!(" (mới quá hạn trong tuần {newly})"));
        }
    }
    out.push('.');
    out
}

/// "Kế hoạch số 818/KH-UBND", or the plan id when the summary has no name for it.
fn plan_ref(summary: &WeeklySummary, plan: &str) -> String {
    summary.plans.get(plan).map_or_else(|| format!("Kế hoạch {plan}"), |n| n.reference.clone())
}

/// The title, with the occurrence of a recurring task and how many of its reports are late.
fn task_title(t: &OverdueTask) -> String {
    match (&t.occurrence, t.other_overdue) {
        (None, _) => t.title.clone(),
        (Some(o), 0) => format!("{} (kỳ {})", t.title, lower_first(o)),
        (Some(o), n) => format!("{} (quá hạn {} kỳ, từ kỳ {})", t.title, n + 1, lower_first(o)),
    }
}

pub(crate) fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A local instant: "07:30 ngày 24/11/2025".
pub(crate) fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&TZ).format("%H:%M ngày %d/%m/%Y").to_string()
}

fn percent(n: u32, total: u32) -> String {
    if total == 0 {
        return "—".to_string();
    }
    format!("{:.1}%", f64::from(n) * 100.0 / f64::from(total)).replace('.', ",")
}

pub(crate) fn agency_name(agency: &str) -> &str {
    if agency.trim().is_empty() { "(Chưa xác định cơ quan chủ trì)" } else { agency }
}

/// The channel heading a cell: "Thư điện tử", "Telegram", "Zalo".
pub(crate) fn channel_vi(c: Channel) -> String {
    capitalize(c.label_vi())
}

pub(crate) use dondoc_core::text::capitalize;

/// At most `max` characters, the last an ellipsis when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn helpers() {
        let cases = [
            (capitalize("đang thực hiện"), "Đang thực hiện"),
            (capitalize(""), ""),
            (shorten("Sở Nội vụ", 9), "Sở Nội vụ"),
            (shorten("Sở Nội vụ", 5), "Sở N…"),
            (percent(1, 3), "33,3%"),
            (percent(0, 0), "—"),
            (local_time(Utc.with_ymd_and_hms(2025, 11, 24, 0, 30, 0).unwrap()), "07:30 ngày 24/11/2025"),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }
}

//! The weekly summary as its templates see it: every date, count, percentage and name
//! already written the way people read them, so the templates only lay them out.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::calendar::TZ;
use dondoc_core::event::Channel;
use dondoc_core::summary::weekly::{OverdueTask, WeeklySummary};
use dondoc_core::text::date_vi;
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
    pub days_overdue: i64,
    pub rows: Vec<OverdueView>,
    pub more: usize,
}

/// One completed task's row.
#[derive(Debug, Serialize)]
pub struct CompletedView {
    pub agency: String,
    pub plan: String,
    pub code: String,
    pub title: String,
    pub completed_on: String,
    pub deadline: String,
    pub result: String,
    /// As the text alternative writes it (not capitalised).
    pub result_text: String,
}

/// One failed delivery's row.
#[derive(Debug, Serialize)]
pub struct FailureView {
    pub plan: String,
    pub code: String,
    pub recipient: String,
    pub channel: &'static str,
    pub at: String,
    pub error: String,
}

/// A channel out of order.
#[derive(Debug, Serialize)]
pub struct ChannelFaultView {
    pub channel: &'static str,
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
    /// The recipient's name.
    pub name: String,
    pub week_from: String,
    pub week_to: String,
    /// When the figures were taken ("07:30 ngày 24/11/2025").
    pub generated: String,
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
            days_overdue: a.days_overdue,
            more: a.tasks.len() - rows.len(),
            rows,
        });
    }
    let listed: usize = agencies.iter().map(|a| a.rows.len()).sum();
    SummaryView {
        subject: subject(summary),
        name: name.to_string(),
        week_from: date_vi(summary.week_from),
        week_to: date_vi(summary.week_to),
        generated: local_time(summary.generated_at),
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
                days_overdue: a.days_overdue,
                rows: Vec::new(),
                more: 0,
            })
            .collect(),
        newly_overdue: Rows::of(&summary.newly_overdue, EMAIL_ROWS, overdue),
        newly_completed: Rows::of(&summary.newly_completed, EMAIL_ROWS, |t| CompletedView {
            agency: agency_name(&t.lead).to_string(),
            plan: t.plan.clone(),
            code: t.code.clone(),
            title: t.title.clone(),
            completed_on: dmy(t.completed_on),
            deadline: t.deadline.map_or_else(|| "—".to_string(), dmy),
            result: capitalize(&t.classification_label),
            result_text: t.classification_label.clone(),
        }),
        failures: Rows::of(&summary.failed_deliveries, EMAIL_ROWS, |f| FailureView {
            plan: f.plan.clone(),
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

fn overdue(t: &OverdueTask) -> OverdueView {
    OverdueView {
        agency: agency_name(&t.lead).to_string(),
        plan: t.plan.clone(),
        code: t.code.clone(),
        title: task_title(t),
        deadline: if t.extended { format!("{} (đã gia hạn)", dmy(t.deadline)) } else { dmy(t.deadline) },
        days_overdue: t.days_overdue,
        working_days_overdue: t.working_days_overdue,
        status: t.status_label.clone(),
        status_title: capitalize(&t.status_label),
    }
}

/// The subject: "Báo cáo tổng hợp nhiệm vụ quá hạn tuần 17/11/2025 – 23/11/2025".
pub fn subject(summary: &WeeklySummary) -> String {
    format!("Báo cáo tổng hợp nhiệm vụ quá hạn tuần {} – {}", dmy(summary.week_from), dmy(summary.week_to))
}

/// The title, with the occurrence of a recurring task and its other overdue occurrences.
fn task_title(t: &OverdueTask) -> String {
    match (&t.occurrence, t.other_overdue) {
        (None, _) => t.title.clone(),
        (Some(o), 0) => format!("{} (kỳ {o})", t.title),
        (Some(o), n) => format!("{} (kỳ {o} và {n} kỳ khác quá hạn)", t.title),
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

pub(crate) fn channel_vi(c: Channel) -> &'static str {
    match c {
        Channel::Email => "Thư điện tử",
        Channel::Telegram => "Telegram",
        Channel::Zalo => "Zalo",
    }
}

/// Upper-cases the first letter ("đang thực hiện" → "Đang thực hiện").
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

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

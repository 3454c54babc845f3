//! The weekly summary: counts, overdue tasks by agency (worst first), the week's
//! boundaries for newly overdue and newly completed tasks, exclusions and failures.
//!
//! The job runs on Monday 24/11/2025 at 07:30: the week is 17/11 (Monday) to 23/11/2025
//! (Sunday). November 2025 has no holidays.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dondoc_core::calendar::{WorkCalendar, local_instant};
use dondoc_core::classify::{Classification, Classifier};
use dondoc_core::event::{Channel, Evidence, TaskStatus};
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::summary::weekly::{FailedDelivery, OverdueTask, WeeklySummary, summarize as weekly_summary, week_of};
use dondoc_core::task::{TaskCommand, TaskState, decide};
use dondoc_core::timeexpr::parse;

use Classification as C;
use dondoc_testkit::time::{at, date, s};

const PLAN: &str = "KH-125-UBND";

fn now() -> DateTime<Utc> {
    at(2025, 11, 24, 7, 30)
}

/// Builds a task from commands, each decided at its instant.
struct Task(TaskState);

impl Task {
    fn new(code: &str, lead: &str, finish: &str) -> Task {
        let define = TaskCommand::Define {
            plan: s(PLAN),
            code: s(code),
            title: format!("Nhiệm vụ {code}"),
            lead: s(lead),
            cooperating: vec![],
            start: None,
            finish: Some(parse(finish).unwrap_or_else(|e| panic!("{finish}: {e}"))),
            product: None,
            tracked_from: Some(date(2025, 1, 1)),
            tt: None,
            group: None,
        };
        Task(TaskState::default()).then(define, at(2025, 1, 2, 8, 0))
    }

    fn then(mut self, command: TaskCommand, now: DateTime<Utc>) -> Task {
        let events = decide(&self.0, &command, now).unwrap_or_else(|e| panic!("{command:?} at {now}: {e}"));
        for e in &events {
            self.0.apply(e);
        }
        self
    }

    fn start(self) -> Task {
        self.then(TaskCommand::Start { note: None }, at(2025, 1, 6, 9, 0))
    }

    fn complete(self, on: NaiveDate) -> Task {
        let evidence = Evidence { document: Some(s("125/BC-UBND")), ..Evidence::default() };
        let now = local_instant(on, NaiveTime::from_hms_opt(16, 0, 0).expect("valid time"));
        self.then(TaskCommand::Complete { on: Some(on), evidence, confirmed: true }, now)
    }

    fn cancel(self) -> Task {
        self.then(TaskCommand::Cancel { reason: s("Không còn phù hợp") }, at(2025, 11, 20, 9, 0))
    }

    fn submit(self, occurrence: &str, now: DateTime<Utc>) -> Task {
        let evidence = Evidence { document: Some(s("7/BC-UBND")), ..Evidence::default() };
        self.then(TaskCommand::SubmitReport { occurrence: Some(s(occurrence)), evidence, submitted_at: None }, now)
    }
}

fn board() -> Vec<TaskState> {
    let tasks = vec![
        // Sở Tài chính: two overdue tasks, 41 + 10 days.
        Task::new("TC-01", "Sở Tài chính", "14/10/2025").start(),
        Task::new("TC-02", "Sở Tài chính", "14/11/2025"),
        // Sở Nội vụ: two overdue tasks, both new this week (7 + 3 days).
        // 16/11 is a Sunday: due by 24:00 on Monday 17/11, the week's first day.
        Task::new("NV-01", "Sở Nội vụ", "16/11/2025").start(),
        Task::new("NV-02", "Sở Nội vụ", "21/11/2025").start(),
        // Not overdue: 22/11 is a Saturday, due on Monday 24/11 (today); due today.
        Task::new("NV-03", "Sở Nội vụ", "22/11/2025").start(),
        Task::new("NV-04", "Sở Nội vụ", "24/11/2025"),
        // Sở Y tế: a quarterly report with Q1 submitted; Q2 (25/6) and Q3 (25/9) missed.
        Task::new("YT-01", "Sở Y tế", "Hằng quý").start().submit("2025-Q1", at(2025, 3, 20, 10, 0)),
        // Completions: before the week, its first and last days, today.
        Task::new("XD-01", "Sở Xây dựng", "31/12/2025").complete(date(2025, 11, 16)),
        Task::new("XD-02", "Sở Xây dựng", "31/12/2025").start().complete(date(2025, 11, 17)),
        Task::new("XD-03", "Sở Xây dựng", "20/11/2025").start().complete(date(2025, 11, 23)),
        Task::new("XD-04", "Sở Xây dựng", "31/12/2025").complete(date(2025, 11, 24)),
        // Left out: cancelled (though overdue) and never defined.
        Task::new("VH-01", "Sở Văn hóa, Thể thao và Du lịch", "17/11/2025").start().cancel(),
        Task(TaskState::default()),
        // No deadline.
        Task::new("VH-02", "Sở Văn hóa, Thể thao và Du lịch", "Thường xuyên"),
    ];
    tasks.into_iter().map(|t| t.0).collect()
}

fn summarize(tasks: &[TaskState], failures: &[FailedDelivery]) -> WeeklySummary {
    summarize_at(tasks, failures, now())
}

fn summarize_at(tasks: &[TaskState], failures: &[FailedDelivery], now: DateTime<Utc>) -> WeeklySummary {
    let calendar = WorkCalendar::default();
    let policy = ReportingPolicy::nd09();
    weekly_summary(tasks, failures, &Classifier::new(&calendar, &policy), now)
}

#[test]
fn the_week_is_the_seven_days_before_the_day_of_now() {
    let cases = [
        ("Monday 07:30", at(2025, 11, 24, 7, 30), date(2025, 11, 17), date(2025, 11, 23)),
        ("Monday 00:00 local", at(2025, 11, 24, 0, 0), date(2025, 11, 17), date(2025, 11, 23)),
        ("Sunday 23:59 local", at(2025, 11, 23, 23, 59), date(2025, 11, 16), date(2025, 11, 22)),
        ("across a year", at(2026, 1, 5, 7, 30), date(2025, 12, 29), date(2026, 1, 4)),
    ];
    for (name, now, from, to) in cases {
        assert_eq!(week_of(now), (from, to), "{name}");
    }
    let summary = summarize(&[], &[]);
    assert_eq!((summary.week_from, summary.week_to), (date(2025, 11, 17), date(2025, 11, 23)));
    assert_eq!(summary.edition(), "2025-11-17");
    assert_eq!(summary.generated_at, now());
}

#[test]
fn counts_cover_every_category_but_cancelled_in_a_stable_order() {
    let summary = summarize(&board(), &[]);
    let got: Vec<(C, &str, u32)> =
        summary.counts.iter().map(|c| (c.classification, c.label.as_str(), c.count)).collect();
    let expected = vec![
        (C::InProgressOverdue, "chưa hoàn thành – quá hạn", 5),
        (C::DueSoon, "sắp đến hạn", 2),
        (C::InProgressOnTime, "chưa hoàn thành – trong hạn", 0),
        (C::NotYetDue, "chưa đến hạn", 0),
        (C::CompletedLate, "hoàn thành quá hạn", 1),
        (C::CompletedOnTime, "hoàn thành đúng hạn", 3),
        (C::NoDeadline, "không có thời hạn", 1),
    ];
    assert_eq!(got, expected);
    assert_eq!(summary.total, 12);
    assert_eq!(summary.counts.iter().map(|c| c.count).sum::<u32>(), summary.total);
    assert_eq!(summary.count(C::Cancelled), 0);
    assert_eq!(summary.overdue_tasks(), 5);
}

#[test]
fn overdue_tasks_are_grouped_by_agency_worst_first() {
    let summary = summarize(&board(), &[]);
    let agencies: Vec<(&str, Vec<&str>, i64)> = summary
        .overdue
        .iter()
        .map(|a| (a.agency.as_str(), a.tasks.iter().map(|t| t.code.as_str()).collect(), a.longest_days_overdue))
        .collect();
    assert_eq!(
        agencies,
        vec![
            // Two tasks each: the one with the longer delay first (never a sum of days).
            ("Sở Tài chính", vec!["TC-01", "TC-02"], 41),
            ("Sở Nội vụ", vec!["NV-01", "NV-02"], 7),
            ("Sở Y tế", vec!["YT-01"], 152),
        ]
    );
    // Per task: (code, occurrence, deadline, days, working days, status, other overdue occurrences).
    let rows: Vec<_> = summary
        .overdue
        .iter()
        .flat_map(|a| &a.tasks)
        .map(|t| {
            (
                t.code.as_str(),
                t.occurrence.as_deref(),
                t.deadline,
                t.days_overdue,
                t.working_days_overdue,
                t.status_label.as_str(),
                t.other_overdue,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("TC-01", None, date(2025, 10, 14), 41, 29, "đang thực hiện", 0),
            ("TC-02", None, date(2025, 11, 14), 10, 6, "chưa bắt đầu", 0),
            ("NV-01", None, date(2025, 11, 17), 7, 5, "đang thực hiện", 0),
            ("NV-02", None, date(2025, 11, 21), 3, 1, "đang thực hiện", 0),
            ("YT-01", Some("Quý II/2025"), date(2025, 6, 25), 152, 106, "đang thực hiện", 1),
        ]
    );
}

#[test]
fn agencies_tied_on_everything_keep_alphabetical_order() {
    let tasks: Vec<TaskState> = [("A-1", "Sở Y tế"), ("A-2", "Sở Công Thương"), ("A-3", "Sở Tư pháp")]
        .iter()
        .map(|(code, lead)| Task::new(code, lead, "14/11/2025").0)
        .collect();
    let summary = summarize(&tasks, &[]);
    let order: Vec<&str> = summary.overdue.iter().map(|a| a.agency.as_str()).collect();
    assert_eq!(order, vec!["Sở Công Thương", "Sở Tư pháp", "Sở Y tế"]);
}

#[test]
fn newly_overdue_are_the_deadlines_that_passed_during_the_week() {
    let summary = summarize(&board(), &[]);
    let got: Vec<(&str, NaiveDate, i64)> =
        summary.newly_overdue.iter().map(|t| (t.code.as_str(), t.deadline, t.days_overdue)).collect();
    // Not TC-02 (due 14/11, before the week), NV-03 (rolled over to today), VH-01 (cancelled).
    assert_eq!(got, vec![("NV-01", date(2025, 11, 17), 7), ("NV-02", date(2025, 11, 21), 3)]);
}

#[test]
fn a_recurring_task_is_listed_by_its_oldest_overdue_occurrence_and_new_ones() {
    // Q2 (due 25/6) and Q3 (due Thursday 25/9) missed; the job runs on Monday 29/9/2025.
    let task = Task::new("YT-01", "Sở Y tế", "Hằng quý").start().submit("2025-Q1", at(2025, 3, 20, 10, 0));
    let summary = summarize_at(&[task.0], &[], at(2025, 9, 29, 7, 30));
    let row = |t: &OverdueTask| (t.occurrence.clone(), t.deadline, t.days_overdue, t.other_overdue);
    let listed: Vec<_> = summary.overdue.iter().flat_map(|a| &a.tasks).map(row).collect();
    assert_eq!(listed, vec![(Some(s("Quý II/2025")), date(2025, 6, 25), 96, 1)]);
    let new: Vec<_> = summary.newly_overdue.iter().map(row).collect();
    assert_eq!(new, vec![(Some(s("Quý III/2025")), date(2025, 9, 25), 4, 1)]);
}

#[test]
fn newly_completed_are_the_completions_dated_in_the_week() {
    let summary = summarize(&board(), &[]);
    let got: Vec<(&str, NaiveDate, Option<NaiveDate>, C)> = summary
        .newly_completed
        .iter()
        .map(|t| (t.code.as_str(), t.completed_on, t.deadline, t.classification))
        .collect();
    assert_eq!(
        got,
        vec![
            ("XD-02", date(2025, 11, 17), Some(date(2025, 12, 31)), C::CompletedOnTime),
            ("XD-03", date(2025, 11, 23), Some(date(2025, 11, 20)), C::CompletedLate),
        ]
    );
    assert_eq!(summary.newly_completed[1].classification_label, "hoàn thành quá hạn");
}

#[test]
fn cancelled_and_undefined_tasks_are_left_out() {
    let tasks = vec![Task::new("VH-01", "Sở Văn hóa", "17/11/2025").start().cancel().0, TaskState::default()];
    let summary = summarize(&tasks, &[]);
    assert_eq!(summary.total, 0);
    assert!(summary.counts.iter().all(|c| c.count == 0));
    assert!(summary.overdue.is_empty() && summary.newly_overdue.is_empty() && summary.newly_completed.is_empty());
}

#[test]
fn failed_deliveries_are_listed_oldest_first() {
    let failure = |code: &str, at: Option<DateTime<Utc>>| FailedDelivery {
        plan: s(PLAN),
        code: s(code),
        recipient: s("snv-vanthu"),
        channel: Channel::Zalo,
        error: s("-124: access token hết hạn"),
        at,
    };
    let failures = [
        failure("NV-02", None),
        failure("NV-01", Some(at(2025, 11, 21, 8, 0))),
        failure("TC-01", Some(at(2025, 11, 18, 8, 0))),
    ];
    let summary = summarize(&[], &failures);
    let codes: Vec<&str> = summary.failed_deliveries.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["TC-01", "NV-01", "NV-02"]);
}

#[test]
fn the_summary_round_trips_through_json() {
    let summary = summarize(&board(), &[]);
    let json = serde_json::to_string(&summary).expect("serializes");
    assert!(json.contains("\"classification\":\"in_progress_overdue\""), "{json}");
    assert!(json.contains("\"week_from\":\"2025-11-17\""), "{json}");
    let back: WeeklySummary = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, summary);
    assert_eq!(back.overdue[0].tasks[0].status, TaskStatus::InProgress);
}

#[test]
fn overdue_tasks_whose_explanation_is_missing_or_late_are_listed() {
    let ask = |t: Task, by: NaiveDate| {
        let asked =
            TaskCommand::RequestExplanation { by, reason: s("Đề nghị giải trình nguyên nhân chậm") };
        t.then(asked, at(2025, 11, 10, 9, 0))
    };
    let explain = |t: Task, on: NaiveDate| {
        let now = local_instant(on, NaiveTime::from_hms_opt(10, 0, 0).expect("valid time"));
        t.then(TaskCommand::Explain { text: s("Chờ số liệu") }, now)
    };
    let tasks: Vec<TaskState> = vec![
        // Missing after its day (14/11).
        ask(Task::new("TC-01", "Sở Tài chính", "14/10/2025").start(), date(2025, 11, 14)),
        // Came late (due 12/11, given 18/11).
        explain(ask(Task::new("NV-01", "Sở Nội vụ", "14/10/2025"), date(2025, 11, 12)), date(2025, 11, 18)),
        // In time: not listed.
        explain(ask(Task::new("YT-01", "Sở Y tế", "14/10/2025"), date(2025, 11, 20)), date(2025, 11, 19)),
        // Not due yet: not listed.
        ask(Task::new("XD-01", "Sở Xây dựng", "14/10/2025"), date(2025, 11, 28)),
        // Asked, then completed: not overdue any more, not listed.
        ask(Task::new("VH-01", "Sở Văn hóa, Thể thao và Du lịch", "14/10/2025"), date(2025, 11, 12))
            .complete(date(2025, 11, 20)),
    ]
    .into_iter()
    .map(|t| t.0)
    .collect();
    let summary = summarize(&tasks, &[]);
    let got: Vec<(&str, NaiveDate, Option<NaiveDate>)> =
        summary.explanations.iter().map(|e| (e.code.as_str(), e.due, e.answered_on)).collect();
    assert_eq!(got, vec![("NV-01", date(2025, 11, 12), Some(date(2025, 11, 18))), ("TC-01", date(2025, 11, 14), None)]);
}

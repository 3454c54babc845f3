//! Classification of tasks and occurrences, with the statutory calendar (no per-year
//! notices) and the reporting policies. Instants are local (Asia/Ho_Chi_Minh).
//!
//! Reference days off used below: Quốc khánh 1–2/9/2025; Tết 2026: 16–20/02/2026;
//! 30/4 and 1/5; Giỗ Tổ 26/4/2026 (a Sunday, made up on Monday 27/4/2026).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dondoc_core::calendar::{WorkCalendar, local_instant};
use dondoc_core::classify::{Classification, Classifier, Deadline, TaskStanding};
use dondoc_core::event::Evidence;
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::task::{TaskCommand, TaskState, decide};
use dondoc_core::timeexpr::parse;

use Classification as C;
use dondoc_testkit::time::{at, date, s};

const PLAN: &str = "KH-125-UBND";
const CODE: &str = "NV-07";

fn evidence() -> Evidence {
    Evidence { document: Some(s("125/BC-UBND")), ..Evidence::default() }
}

/// Builds a task from commands, each decided at its instant.
struct Task(TaskState);

impl Task {
    fn new(finish: &str, tracked_from: NaiveDate) -> Task {
        let define = TaskCommand::Define {
            plan: s(PLAN),
            code: s(CODE),
            title: s("Báo cáo kết quả thực hiện Kế hoạch cải cách hành chính"),
            lead: s("Sở Nội vụ"),
            cooperating: vec![],
            start: None,
            finish: Some(parse(finish).unwrap_or_else(|e| panic!("{finish}: {e}"))),
            product: None,
            tracked_from: Some(tracked_from),
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

    fn start(self, now: DateTime<Utc>) -> Task {
        self.then(TaskCommand::Start { note: None }, now)
    }

    fn pause(self, now: DateTime<Utc>) -> Task {
        self.then(TaskCommand::Pause { reason: s("Chờ kinh phí") }, now)
    }

    fn complete(self, on: NaiveDate) -> Task {
        let now = at(2025, 12, 31, 17, 0).max(local_instant(on, NaiveTime::MIN));
        self.then(TaskCommand::Complete { on: Some(on), evidence: evidence(), confirmed: true }, now)
    }

    fn cancel(self, now: DateTime<Utc>) -> Task {
        self.then(TaskCommand::Cancel { reason: s("Không còn phù hợp") }, now)
    }

    fn extend(self, occurrence: Option<&str>, to: NaiveDate, now: DateTime<Utc>) -> Task {
        let command =
            TaskCommand::Extend { occurrence: occurrence.map(s), to, to_text: None, reason: s("Chờ ý kiến Bộ") };
        self.then(command, now)
    }

    fn submit(self, occurrence: &str, now: DateTime<Utc>) -> Task {
        self.then(
            TaskCommand::SubmitReport { occurrence: Some(s(occurrence)), evidence: evidence(), submitted_at: None },
            now,
        )
    }
}

fn classify_with(policy: &ReportingPolicy, task: &Task, now: DateTime<Utc>) -> TaskStanding {
    let calendar = WorkCalendar::default();
    Classifier::new(&calendar, policy).task(&task.0, now)
}

fn classify(task: &Task, now: DateTime<Utc>) -> TaskStanding {
    classify_with(&ReportingPolicy::nd09(), task, now)
}

// ---------------------------------------------------------------------------------------
// A one-off task
// ---------------------------------------------------------------------------------------

/// "Tháng 9/2025": due 30/09/2025, a Tuesday and a working day.
fn september() -> Task {
    Task::new("Tháng 9/2025", date(2025, 8, 1))
}

#[test]
fn a_one_off_task_through_its_deadline() {
    let started = || september().start(at(2025, 8, 20, 9, 0));
    let cases: Vec<(&str, Task, DateTime<Utc>, Classification)> = vec![
        ("not started, a month ahead", september(), at(2025, 9, 1, 9, 0), C::NotYetDue),
        ("in progress, a month ahead", started(), at(2025, 9, 1, 9, 0), C::InProgressOnTime),
        ("paused, weeks ahead", started().pause(at(2025, 9, 3, 9, 0)), at(2025, 9, 10, 9, 0), C::InProgressOnTime),
        ("6 working days ahead", started(), at(2025, 9, 22, 9, 0), C::InProgressOnTime),
        ("5 working days ahead", started(), at(2025, 9, 23, 9, 0), C::DueSoon),
        ("in progress, 25/9", started(), at(2025, 9, 25, 9, 0), C::DueSoon),
        ("not started, 25/9", september(), at(2025, 9, 25, 9, 0), C::DueSoon),
        ("the due day, 00:00", started(), at(2025, 9, 30, 0, 0), C::DueSoon),
        ("the due day, 23:59", started(), at(2025, 9, 30, 23, 59), C::DueSoon),
        ("24:00 of the due day", started(), at(2025, 10, 1, 0, 0), C::InProgressOverdue),
        ("not started, past the deadline", september(), at(2025, 10, 1, 0, 0), C::InProgressOverdue),
        (
            "paused, past the deadline",
            started().pause(at(2025, 9, 3, 9, 0)),
            at(2025, 10, 2, 9, 0),
            C::InProgressOverdue,
        ),
        ("completed on the due day", started().complete(date(2025, 9, 30)), at(2025, 10, 5, 9, 0), C::CompletedOnTime),
        ("completed early", september().complete(date(2025, 9, 2)), at(2025, 9, 3, 9, 0), C::CompletedOnTime),
        ("completed a day late", started().complete(date(2025, 10, 1)), at(2025, 10, 5, 9, 0), C::CompletedLate),
        ("cancelled before", started().cancel(at(2025, 9, 5, 9, 0)), at(2025, 9, 6, 9, 0), C::Cancelled),
        ("cancelled, past the deadline", started().cancel(at(2025, 10, 5, 9, 0)), at(2025, 10, 6, 9, 0), C::Cancelled),
    ];
    for (name, task, now, expected) in cases {
        let standing = classify(&task, now);
        assert_eq!(standing.classification, expected, "{name} ({now})");
        assert!(standing.occurrences.is_empty(), "{name}");
        let deadline = standing.deadline.expect("a one-off task has a deadline");
        assert_eq!(
            deadline,
            Deadline {
                original: Some(date(2025, 9, 30)),
                nominal: date(2025, 9, 30),
                due: date(2025, 9, 30),
                extended: false
            },
            "{name}"
        );
    }
}

#[test]
fn an_extended_deadline_replaces_the_plans() {
    let extended = || september().start(at(2025, 8, 20, 9, 0)).extend(None, date(2025, 10, 15), at(2025, 9, 26, 9, 0));
    let expected_deadline = Deadline {
        original: Some(date(2025, 9, 30)),
        nominal: date(2025, 10, 15),
        due: date(2025, 10, 15),
        extended: true,
    };
    let cases = [
        ("the plan's deadline has passed", extended(), at(2025, 10, 1, 9, 0), C::InProgressOnTime),
        ("5 working days before the new one", extended(), at(2025, 10, 8, 9, 0), C::DueSoon),
        ("past the new one", extended(), at(2025, 10, 16, 0, 0), C::InProgressOverdue),
        (
            "completed after the plan's, before the new one",
            extended().complete(date(2025, 10, 10)),
            at(2025, 10, 20, 9, 0),
            C::CompletedOnTime,
        ),
        (
            "completed after the new one",
            extended().complete(date(2025, 10, 16)),
            at(2025, 10, 20, 9, 0),
            C::CompletedLate,
        ),
    ];
    for (name, task, now, expected) in cases {
        let standing = classify(&task, now);
        assert_eq!(standing.classification, expected, "{name}");
        assert_eq!(standing.deadline, Some(expected_deadline), "{name}");
    }
    // The definition still says what the plan said.
    assert_eq!(extended().0.finish.map(|f| f.input), Some(s("Tháng 9/2025")));
}

#[test]
fn a_deadline_on_days_off_rolls_over_to_the_next_working_day() {
    // 30/4/2026 and 1/5 are holidays, 2–3/5 a weekend: due by 24:00 on Monday 4/5.
    let april = || Task::new("Tháng 4/2026", date(2026, 1, 1)).start(at(2026, 1, 5, 9, 0));
    let standing = classify(&april(), at(2026, 4, 20, 9, 0));
    assert_eq!(
        standing.deadline,
        Some(Deadline {
            original: Some(date(2026, 4, 30)),
            nominal: date(2026, 4, 30),
            due: date(2026, 5, 4),
            extended: false
        })
    );
    let cases = [
        (at(2026, 4, 30, 10, 0), C::DueSoon),
        (at(2026, 5, 1, 10, 0), C::DueSoon),
        (at(2026, 5, 2, 10, 0), C::DueSoon),
        (at(2026, 5, 4, 23, 59), C::DueSoon),
        (at(2026, 5, 5, 0, 0), C::InProgressOverdue),
    ];
    for (now, expected) in cases {
        assert_eq!(classify(&april(), now).classification, expected, "{now}");
    }
    let done = april().complete(date(2026, 5, 4));
    assert_eq!(classify(&done, at(2026, 5, 6, 9, 0)).classification, C::CompletedOnTime);
}

#[test]
fn due_soon_counts_working_days_not_calendar_days() {
    // "Trước ngày 25/02/2026": due 24/02/2026 (Tuesday), just after Tết (16–20/02/2026).
    let tet = || Task::new("Trước ngày 25/02/2026", date(2026, 1, 1)).start(at(2026, 1, 5, 9, 0));
    assert_eq!(classify(&tet(), at(2026, 2, 1, 9, 0)).deadline.map(|d| d.due), Some(date(2026, 2, 24)));
    // Across a weekend: due Monday 13/10/2025.
    let weekend = || Task::new("Trước ngày 14/10/2025", date(2025, 9, 1)).start(at(2025, 9, 2, 9, 0));
    assert_eq!(classify(&weekend(), at(2025, 10, 1, 9, 0)).deadline.map(|d| d.due), Some(date(2025, 10, 13)));

    let cases = [
        // 15 calendar days, but 10–13/2 and 23–24/2 are the only working days: 5.
        ("Tết: 15 days ahead", tet(), at(2026, 2, 9, 9, 0), C::InProgressOnTime),
        ("Tết: 14 days ahead", tet(), at(2026, 2, 10, 9, 0), C::DueSoon),
        ("Tết: 12 days ahead", tet(), at(2026, 2, 12, 9, 0), C::DueSoon),
        ("Tết: during the holiday", tet(), at(2026, 2, 18, 9, 0), C::DueSoon),
        ("weekend: 10 days ahead", weekend(), at(2025, 10, 3, 9, 0), C::InProgressOnTime),
        ("weekend: 7 days ahead", weekend(), at(2025, 10, 6, 9, 0), C::DueSoon),
        ("weekend: on Saturday", weekend(), at(2025, 10, 11, 9, 0), C::DueSoon),
    ];
    for (name, task, now, expected) in cases {
        assert_eq!(classify(&task, now).classification, expected, "{name}");
    }

    // A wider window is a parameter.
    let calendar = WorkCalendar::default();
    let policy = ReportingPolicy::nd09();
    let mut classifier = Classifier::new(&calendar, &policy);
    assert_eq!(classifier.due_soon_working_days, 5);
    classifier.due_soon_working_days = 6;
    assert_eq!(classifier.task(&tet().0, at(2026, 2, 9, 9, 0)).classification, C::DueSoon);
    classifier.due_soon_working_days = 0;
    assert_eq!(classifier.task(&tet().0, at(2026, 2, 23, 9, 0)).classification, C::InProgressOnTime);
    assert_eq!(classifier.task(&tet().0, at(2026, 2, 24, 9, 0)).classification, C::DueSoon);
}

#[test]
fn continuous_and_on_request_tasks_have_no_deadline() {
    for text in ["Thường xuyên", "Theo yêu cầu của Văn phòng Chính phủ", "Khi có yêu cầu", "Đột xuất"]
    {
        let task = || Task::new(text, date(2025, 1, 1));
        let cases = [
            ("not started", task(), C::NoDeadline),
            ("in progress", task().start(at(2025, 2, 1, 9, 0)), C::NoDeadline),
            ("completed", task().complete(date(2025, 6, 30)), C::CompletedOnTime),
            ("cancelled", task().cancel(at(2025, 2, 1, 9, 0)), C::Cancelled),
        ];
        for (name, t, expected) in cases {
            let standing = classify(&t, at(2025, 11, 20, 9, 0));
            assert_eq!(standing.classification, expected, "{text}: {name}");
            assert_eq!(standing.deadline, None, "{text}: {name}");
            assert!(standing.occurrences.is_empty(), "{text}: {name}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Recurring tasks
// ---------------------------------------------------------------------------------------

/// "Hằng quý", tracked from 1/1/2025: NĐ 09 makes each quarter due on the 25th of its
/// last month (25/3, 25/6, 25/9, 25/12/2025 are working days).
fn quarterly() -> Task {
    Task::new("Hằng quý", date(2025, 1, 1))
}

fn on_time(task: Task) -> Task {
    task.submit("2025-Q1", at(2025, 3, 20, 10, 0)).submit("2025-Q2", at(2025, 6, 24, 16, 0))
}

fn summary(standing: &TaskStanding) -> Vec<(String, String, NaiveDate, Classification)> {
    standing
        .occurrences
        .iter()
        .map(|o| (o.occurrence.period.key(), o.occurrence.period.label(), o.deadline.due, o.classification))
        .collect()
}

fn row(key: &str, label: &str, due: NaiveDate, c: Classification) -> (String, String, NaiveDate, Classification) {
    (s(key), s(label), due, c)
}

#[test]
fn quarterly_reports_under_nd09() {
    let nov20 = at(2025, 11, 20, 9, 0);
    let q = |n: u32, c| {
        let due = date(2025, 3 * n, 25);
        row(&format!("2025-Q{n}"), &format!("Quý {}/2025", ["I", "II", "III", "IV"][n as usize - 1]), due, c)
    };

    // All on time: the task is on time until Q4 comes within 5 working days of 25/12.
    let all = || on_time(quarterly()).submit("2025-Q3", at(2025, 9, 25, 23, 30));
    let standing = classify(&all(), nov20);
    assert_eq!(
        summary(&standing),
        vec![q(1, C::CompletedOnTime), q(2, C::CompletedOnTime), q(3, C::CompletedOnTime), q(4, C::InProgressOnTime),]
    );
    assert_eq!(standing.classification, C::InProgressOnTime);
    assert_eq!(standing.deadline, None);
    assert_eq!(classify(&all(), at(2025, 12, 17, 9, 0)).classification, C::InProgressOnTime);
    assert_eq!(classify(&all(), at(2025, 12, 18, 9, 0)).classification, C::DueSoon);
    assert_eq!(classify(&all(), at(2025, 12, 25, 23, 59)).classification, C::DueSoon);
    assert_eq!(classify(&all(), at(2025, 12, 26, 0, 0)).classification, C::InProgressOverdue);

    // The Q3 report missing: that occurrence and the task are overdue.
    let standing = classify(&on_time(quarterly()), nov20);
    assert_eq!(
        summary(&standing),
        vec![q(1, C::CompletedOnTime), q(2, C::CompletedOnTime), q(3, C::InProgressOverdue), q(4, C::InProgressOnTime),]
    );
    assert_eq!(standing.classification, C::InProgressOverdue);

    // Sent the day after: completed late; the task is back on time.
    let late = on_time(quarterly()).submit("2025-Q3", at(2025, 9, 26, 0, 5));
    let standing = classify(&late, nov20);
    assert_eq!(standing.occurrences[2].classification, C::CompletedLate);
    assert_eq!(standing.occurrences[2].submitted_at, Some(at(2025, 9, 26, 0, 5)));
    assert_eq!(standing.classification, C::InProgressOnTime);

    // A correction after the deadline does not make an on-time report late.
    let corrected = all().submit("2025-Q3", at(2025, 10, 2, 9, 0));
    assert_eq!(classify(&corrected, nov20).occurrences[2].classification, C::CompletedOnTime);

    // An extended occurrence is judged against its extension.
    let extended = on_time(quarterly())
        .extend(Some("2025-Q3"), date(2025, 10, 10), at(2025, 9, 24, 9, 0))
        .submit("2025-Q3", at(2025, 10, 8, 9, 0));
    let standing = classify(&extended, nov20);
    let q3 = &standing.occurrences[2];
    assert_eq!(q3.classification, C::CompletedOnTime);
    assert_eq!(
        q3.deadline,
        Deadline {
            original: Some(date(2025, 9, 25)),
            nominal: date(2025, 10, 10),
            due: date(2025, 10, 10),
            extended: true
        }
    );
    assert_eq!(standing.classification, C::InProgressOnTime);

    // Nothing sent and nothing started.
    let standing = classify(&quarterly(), nov20);
    assert_eq!(
        summary(&standing),
        vec![q(1, C::InProgressOverdue), q(2, C::InProgressOverdue), q(3, C::InProgressOverdue), q(4, C::NotYetDue),]
    );
    assert_eq!(standing.classification, C::InProgressOverdue);
}

#[test]
fn a_recurring_task_before_its_first_due_date() {
    let standing = classify(&quarterly(), at(2025, 2, 10, 9, 0));
    assert_eq!(summary(&standing), vec![row("2025-Q1", "Quý I/2025", date(2025, 3, 25), C::NotYetDue)]);
    assert_eq!(standing.classification, C::NotYetDue);
    let standing = classify(&quarterly(), at(2025, 3, 19, 9, 0));
    assert_eq!(standing.classification, C::DueSoon);
}

#[test]
fn closed_recurring_tasks_have_no_open_occurrences() {
    let done = on_time(quarterly()).complete(date(2025, 7, 1));
    let standing = classify(&done, at(2025, 11, 20, 9, 0));
    assert_eq!(standing.classification, C::CompletedOnTime);
    assert!(standing.occurrences.is_empty());
    let cancelled = quarterly().cancel(at(2025, 7, 1, 9, 0));
    assert_eq!(classify(&cancelled, at(2025, 11, 20, 9, 0)).classification, C::Cancelled);
}

#[test]
fn occurrences_due_before_tracking_began_are_not_counted() {
    // Tracked from 28/9/2025: the Q3 report was due on 25/9, before dondoc knew of the
    // task, so it is neither overdue nor waiting for a submission.
    let task = Task::new("Hằng quý", date(2025, 9, 28));
    let standing = classify(&task, at(2025, 10, 1, 9, 0));
    assert_eq!(summary(&standing), vec![row("2025-Q4", "Quý IV/2025", date(2025, 12, 25), C::NotYetDue)]);
    assert_eq!(standing.classification, C::NotYetDue);
    // Tracked from the due day itself: that report counts.
    let task = Task::new("Hằng quý", date(2025, 9, 25));
    let standing = classify(&task, at(2025, 10, 1, 9, 0));
    assert_eq!(standing.occurrences.first().map(|o| o.occurrence.period.key()), Some(s("2025-Q3")));
    assert_eq!(standing.classification, C::InProgressOverdue);
}

#[test]
fn quarterly_six_nine_months_and_year_are_four_reports_a_year() {
    let task = || Task::new("Quý, 6 tháng, 9 tháng, năm", date(2025, 1, 1));
    let nov20 = at(2025, 11, 20, 9, 0);

    let standing = classify(&task(), nov20);
    assert_eq!(
        summary(&standing),
        vec![
            row("2025-Q1", "Quý I/2025", date(2025, 3, 25), C::InProgressOverdue),
            row("2025-H1", "6 tháng đầu năm 2025", date(2025, 6, 25), C::InProgressOverdue),
            row("2025-9M", "9 tháng năm 2025", date(2025, 9, 25), C::InProgressOverdue),
            row("2025", "Năm 2025", date(2025, 12, 25), C::NotYetDue),
        ]
    );

    // Submissions are keyed by the occurrence's period.
    let sent = task()
        .submit("2025-Q1", at(2025, 3, 24, 9, 0))
        .submit("2025-H1", at(2025, 6, 25, 9, 0))
        .submit("2025-9M", at(2025, 9, 30, 9, 0));
    let standing = classify(&sent, nov20);
    let got: Vec<Classification> = standing.occurrences.iter().map(|o| o.classification).collect();
    assert_eq!(got, vec![C::CompletedOnTime, C::CompletedOnTime, C::CompletedLate, C::InProgressOnTime]);
    assert_eq!(standing.classification, C::InProgressOnTime);

    // Due on each period's last day under `end_of_period` (31/3/2025 is a Monday,
    // 30/6 a Monday, 30/9 a Tuesday, 31/12 a Wednesday).
    let standing = classify_with(&ReportingPolicy::end_of_period(), &task(), nov20);
    let dues: Vec<(String, NaiveDate)> =
        standing.occurrences.iter().map(|o| (o.occurrence.period.label(), o.deadline.due)).collect();
    assert_eq!(
        dues,
        vec![
            (s("Quý I/2025"), date(2025, 3, 31)),
            (s("6 tháng đầu năm 2025"), date(2025, 6, 30)),
            (s("9 tháng năm 2025"), date(2025, 9, 30)),
            (s("Năm 2025"), date(2025, 12, 31)),
        ]
    );

    // A whole year of the expression, straight from the time expression.
    let calendar = WorkCalendar::default();
    let expr = parse("Quý, 6 tháng, 9 tháng, năm").unwrap().expr;
    let labels: Vec<String> = expr
        .occurrences(date(2026, 1, 1), date(2026, 12, 31), &ReportingPolicy::nd09(), &calendar)
        .iter()
        .map(|o| o.period.label())
        .collect();
    assert_eq!(labels, vec!["Quý I/2026", "6 tháng đầu năm 2026", "9 tháng năm 2026", "Năm 2026"]);
}

#[test]
fn classification_names() {
    let cases = [
        (C::InProgressOverdue, "in_progress_overdue", "chưa hoàn thành – quá hạn"),
        (C::DueSoon, "due_soon", "sắp đến hạn"),
        (C::InProgressOnTime, "in_progress_on_time", "chưa hoàn thành – trong hạn"),
        (C::NotYetDue, "not_yet_due", "chưa đến hạn"),
        (C::CompletedLate, "completed_late", "hoàn thành quá hạn"),
        (C::CompletedOnTime, "completed_on_time", "hoàn thành đúng hạn"),
        (C::NoDeadline, "no_deadline", "không có thời hạn"),
        (C::Cancelled, "cancelled", "đã hủy"),
    ];
    assert_eq!(cases.map(|c| c.0), C::ALL);
    for (c, name, label) in cases {
        assert_eq!(c.as_str(), name);
        assert_eq!(serde_json::to_value(c).unwrap(), name);
        assert_eq!(c.label_vi(), label);
        assert_eq!(c.is_overdue(), c == C::InProgressOverdue);
    }
    // Worst first: the order a recurring task takes the worst of its occurrences by.
    assert!(C::ALL.windows(2).all(|w| w[0] < w[1]));
}

// ---------------------------------------------------------------------------------------
// Any task, any instant
// ---------------------------------------------------------------------------------------

mod properties {
    use std::sync::LazyLock;

    use chrono::Days;
    use dondoc_core::calendar::local_date;
    use dondoc_core::event::TaskStatus;
    use dondoc_core::timeexpr::TimeExpr;
    use proptest::prelude::*;

    use super::*;

    static CALENDAR: LazyLock<WorkCalendar> = LazyLock::new(WorkCalendar::default);

    const FINISHES: [&str; 10] = [
        "Tháng 9/2025",
        "Quý IV/2025",
        "Trước ngày 15/12/2025",
        "2025 - 2026",
        "Hằng quý",
        "Hằng tháng",
        "Hằng năm",
        "Quý, 6 tháng, 9 tháng, năm",
        "Thường xuyên",
        "Theo yêu cầu của Văn phòng Chính phủ",
    ];

    #[derive(Debug, Clone)]
    enum Step {
        Start,
        Pause,
        Complete(u64),
        Cancel,
        Submit(u8),
        Extend(Option<u8>, u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => Just(Step::Start),
            2 => Just(Step::Pause),
            1 => (0u64..400).prop_map(Step::Complete),
            1 => Just(Step::Cancel),
            8 => (0u8..8).prop_map(Step::Submit),
            4 => (prop::option::of(0u8..8), 0u64..400).prop_map(|(o, d)| Step::Extend(o, d)),
        ]
    }

    fn quarter_key(i: u8) -> String {
        format!("{}-Q{}", 2025 + i32::from(i / 4), i % 4 + 1)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn classification_is_total_and_consistent(
            finish in 0usize..FINISHES.len(),
            tracked in 0u64..500,
            steps in prop::collection::vec((step(), 0i64..(700 * 24)), 0..10),
            at_hours in 0i64..(800 * 24),
        ) {
            let base = at(2025, 1, 1, 0, 0);
            let mut task = Task::new(FINISHES[finish], date(2025, 1, 1) + Days::new(tracked)).0;
            for (step, hours) in steps {
                let now = base + chrono::Duration::hours(hours);
                let command = match step {
                    Step::Start => TaskCommand::Start { note: None },
                    Step::Pause => TaskCommand::Pause { reason: s("Chờ") },
                    Step::Complete(days) => TaskCommand::Complete {
                        on: Some(date(2025, 1, 1) + Days::new(days)),
                        evidence: evidence(),
                        confirmed: days % 2 == 0,
                    },
                    Step::Cancel => TaskCommand::Cancel { reason: s("Hủy") },
                    Step::Submit(i) => TaskCommand::SubmitReport {
                        occurrence: task.is_recurring().then(|| quarter_key(i)),
                        evidence: evidence(),
                        submitted_at: None,
                    },
                    Step::Extend(i, days) => TaskCommand::Extend {
                        occurrence: task.is_recurring().then(|| quarter_key(i.unwrap_or(0))),
                        to: date(2025, 6, 1) + Days::new(days),
                        to_text: None,
                        reason: s("Gia hạn"),
                    },
                };
                if let Ok(events) = decide(&task, &command, now) {
                    for e in &events {
                        task.apply(e);
                    }
                }
            }
            let now = base + chrono::Duration::hours(at_hours);
            let today = local_date(now);
            let policy = ReportingPolicy::nd09();
            let standing = Classifier::new(&CALENDAR, &policy).task(&task, now);
            let c = standing.classification;

            prop_assert_eq!(c == C::Cancelled, task.status == TaskStatus::Cancelled);
            let expr = task.deadline_expr().cloned();
            match expr {
                Some(TimeExpr::Recurring { .. }) => {
                    prop_assert_eq!(standing.deadline, None);
                    if task.status.is_closed() {
                        prop_assert!(standing.occurrences.is_empty());
                    } else {
                        let worst = standing
                            .occurrences
                            .iter()
                            .map(|o| o.classification)
                            .filter(|c| matches!(c, C::InProgressOverdue | C::DueSoon))
                            .min();
                        if let Some(w) = worst {
                            prop_assert_eq!(c, w);
                        } else {
                            prop_assert!(matches!(c, C::InProgressOnTime | C::NotYetDue), "{:?}", c);
                        }
                        let upcoming = standing
                            .occurrences
                            .iter()
                            .filter(|o| o.deadline.due >= today && o.submitted_at.is_none())
                            .count();
                        prop_assert!(upcoming <= 1, "{:?}", standing.occurrences);
                    }
                    for pair in standing.occurrences.windows(2) {
                        prop_assert!(pair[0].occurrence.period.last_day() < pair[1].occurrence.period.last_day());
                    }
                    for o in &standing.occurrences {
                        prop_assert!(o.deadline.due >= o.deadline.nominal);
                        prop_assert!(CALENDAR.is_working_day(o.deadline.due));
                        prop_assert!(o.occurrence.due >= task.tracked_from.unwrap());
                        prop_assert_eq!(o.classification.is_overdue(), o.submitted_at.is_none() && today > o.deadline.due);
                    }
                }
                Some(e) if e.has_single_deadline() => {
                    let d = standing.deadline.expect("a single deadline");
                    prop_assert!(d.due >= d.nominal);
                    prop_assert!(CALENDAR.is_working_day(d.due));
                    prop_assert_eq!(d.extended, task.main.extended_due.is_some());
                    if !task.status.is_closed() {
                        prop_assert_eq!(c.is_overdue(), today > d.due);
                    } else if task.status == TaskStatus::Completed {
                        prop_assert!(matches!(c, C::CompletedOnTime | C::CompletedLate));
                    }
                }
                _ => {
                    prop_assert_eq!(standing.deadline, None);
                    prop_assert!(matches!(c, C::NoDeadline | C::CompletedOnTime | C::Cancelled), "{:?}", c);
                }
            }
        }
    }
}

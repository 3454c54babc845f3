//! Which reminders are due, scenario by scenario, on the shipped calendar and agency directory.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::agency::{AgencyConfig, Directory};
use dondoc_core::calendar::{CalendarConfig, WorkCalendar};
use dondoc_core::contact::{Contact, QuietHours, Role};
use dondoc_core::event::{Channel, Evidence, Milestone, TaskEvent, TaskStatus};
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::reminder::{DeliveredSet, Digest, DueReminders, ReminderPolicy, delivery_id};
use dondoc_core::silence::{Silence, SilenceScope};
use dondoc_core::task::TaskState;
use dondoc_core::timeexpr;
use dondoc_testkit::time::local;

fn calendar() -> WorkCalendar {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/calendar.toml")).unwrap();
    WorkCalendar::new(&toml::from_str::<CalendarConfig>(&text).unwrap()).unwrap()
}

fn directory() -> Directory {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/agencies.toml")).unwrap();
    Directory::new(toml::from_str::<AgencyConfig>(&text).unwrap())
}

fn contact(id: &str, agency: &str, role: Role) -> Contact {
    Contact {
        id: id.into(),
        name: id.to_uppercase(),
        agency: agency.into(),
        role,
        position: None,
        channels: vec![(Channel::Email, format!("{id}@tinh.gov.vn"))],
        quiet: None,
    }
}

fn contacts() -> Vec<Contact> {
    vec![
        contact("a", "Sở Tài chính", Role::Officer),
        contact("h", "Sở Tài chính", Role::Head),
        contact("s", "Văn phòng UBND tỉnh", Role::Secretariat),
        contact("b", "Sở Nội vụ", Role::Officer),
    ]
}

fn task(code: &str, lead: &str, finish: &str) -> TaskState {
    TaskState::from_events(&[TaskEvent::TaskDefined {
        plan: "KH".into(),
        code: code.into(),
        title: format!("Nhiệm vụ {code}"),
        lead: lead.into(),
        cooperating: vec![],
        start: None,
        finish: Some(timeexpr::parse(finish).unwrap()),
        product: None,
        tracked_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        tt: None,
        group: None,
    }])
}

struct World {
    calendar: WorkCalendar,
    reporting: ReportingPolicy,
    reminders: ReminderPolicy,
    contacts: Vec<Contact>,
    directory: Directory,
    silences: Vec<Silence>,
    delivered: DeliveredSet,
    last_overdue: HashMap<String, NaiveDate>,
}

impl World {
    fn new() -> World {
        World {
            calendar: calendar(),
            reporting: ReportingPolicy::nd09(),
            reminders: ReminderPolicy::default(),
            contacts: contacts(),
            directory: directory(),
            silences: vec![],
            delivered: DeliveredSet::new(),
            last_overdue: HashMap::new(),
        }
    }

    fn due(&self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<Digest> {
        DueReminders {
            calendar: &self.calendar,
            reporting: &self.reporting,
            reminders: &self.reminders,
            contacts: &self.contacts,
            directory: &self.directory,
            silences: &self.silences,
            delivered: &self.delivered,
            last_overdue: &self.last_overdue,
        }
        .digests(tasks, now)
    }

    /// Plans and records every notice as delivered; returns (recipient, milestone, offset).
    fn sweep(&mut self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<(String, Milestone, i32)> {
        let digests = self.due(tasks, now);
        let mut out = Vec::new();
        for d in digests {
            for n in d.notices {
                self.delivered.insert(&delivery_id(&n.key));
                out.push((d.recipient.clone(), n.key.milestone, n.key.offset));
            }
        }
        out
    }
}

fn due(recipient: &str, offset: i32) -> (String, Milestone, i32) {
    (recipient.into(), Milestone::Due, offset)
}

#[test]
fn deadline_reminders_in_working_hours_once_each() {
    // "Tháng 9/2025": due Tuesday 30/9/2025. D-14 is 10/9, D-7 19/9, D-3 25/9, D-1 29/9.
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    assert_eq!(w.sweep(&tasks, local("2025-08-01", "09:00")), vec![], "30 working days ahead is 19/8");
    assert_eq!(w.sweep(&tasks, local("2025-08-19", "09:00")), vec![due("a", 30)]);
    assert_eq!(w.sweep(&tasks, local("2025-08-19", "15:00")), vec![], "never twice");
    assert_eq!(w.sweep(&tasks, local("2025-09-10", "07:45")), vec![], "ready from 08:00");
    assert_eq!(w.sweep(&tasks, local("2025-09-10", "08:00")), vec![due("a", 14)]);
    assert_eq!(w.sweep(&tasks, local("2025-09-20", "10:00")), vec![], "Saturday");
    // Ready since Friday 19/9 08:00 (D-7) and held over the weekend: Monday's office opens
    // at 07:30, the reminder still waits for send_at.
    assert_eq!(w.sweep(&tasks, local("2025-09-22", "07:30")), vec![], "nothing before send_at");
    assert_eq!(w.sweep(&tasks, local("2025-09-22", "07:59")), vec![], "nothing before send_at");
    assert_eq!(w.sweep(&tasks, local("2025-09-22", "09:00")), vec![due("a", 7)], "the weekend's reminder on Monday");
    assert_eq!(w.sweep(&tasks, local("2025-09-25", "12:00")), vec![], "lunch break");
    assert_eq!(w.sweep(&tasks, local("2025-09-25", "13:30")), vec![due("a", 3)]);
    assert_eq!(w.sweep(&tasks, local("2025-09-29", "08:30")), vec![due("a", 1)]);
    // The due day's reminder, in the evening: the deadline is hours away.
    assert_eq!(w.sweep(&tasks, local("2025-09-30", "19:00")), vec![due("a", 0)]);
}

#[test]
fn quiet_hours_defer_a_persons_reminders_urgent_ones_included_and_never_drop_them() {
    // Due Tuesday 30/9/2025; D-3 is Thursday 25/9.
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    w.contacts[0].quiet = Some(QuietHours { from: t(7, 0), until: t(10, 0) });
    // Mark D-30..D-7 as sent to start from D-3.
    w.sweep(&tasks, local("2025-09-22", "10:00"));
    assert_eq!(w.sweep(&tasks, local("2025-09-25", "08:00")), vec![], "inside a's quiet hours");
    assert_eq!(w.sweep(&tasks, local("2025-09-25", "09:59")), vec![], "still inside");
    assert_eq!(w.sweep(&tasks, local("2025-09-25", "10:00")), vec![due("a", 3)], "at the window's end");
    // The due day's urgent reminder in the evening waits for the window's end, and is
    // still sent before the deadline ends.
    w.contacts[0].quiet = Some(QuietHours { from: t(18, 0), until: t(21, 0) });
    w.sweep(&tasks, local("2025-09-29", "10:00"));
    assert_eq!(w.sweep(&tasks, local("2025-09-30", "19:00")), vec![], "urgent, but quiet");
    assert_eq!(w.sweep(&tasks, local("2025-09-30", "21:15")), vec![due("a", 0)]);
}

#[test]
fn a_daemon_that_was_down_catches_up_once() {
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    assert_eq!(w.sweep(&tasks, local("2025-09-26", "09:00")), vec![due("a", 3)], "not 30, 14 and 7 as well");
    assert_eq!(w.sweep(&tasks, local("2025-09-26", "16:00")), vec![]);
}

#[test]
fn overdue_repeats_and_escalation() {
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    w.sweep(&tasks, local("2025-09-30", "09:00"));
    assert_eq!(w.sweep(&tasks, local("2025-10-03", "09:00")), vec![], "not yet a week late");
    // 7/10 is a week late (the officer again) and 5 working days late: the head and the
    // secretariat hear of it.
    let mut got = w.sweep(&tasks, local("2025-10-07", "09:00"));
    got.sort();
    let want = vec![
        ("a".into(), Milestone::Overdue, -7),
        ("h".into(), Milestone::Escalation, -5),
        ("s".into(), Milestone::Escalation, -5),
    ];
    assert_eq!(got, want);
    assert_eq!(w.sweep(&tasks, local("2025-10-07", "14:00")), vec![]);
    assert_eq!(w.sweep(&tasks, local("2025-10-13", "09:00")), vec![]);
    assert_eq!(w.sweep(&tasks, local("2025-10-14", "08:00")), vec![(String::from("a"), Milestone::Overdue, -14)]);
}

#[test]
fn a_late_overdue_reminder_pushes_the_next_repeat_a_full_interval_away() {
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    // The daemon was down: the week-2 repeat (due 14/10) goes out late, on Thursday 16/10.
    w.delivered.insert("KH/01/-/due/0/a");
    let late = local("2025-10-16", "09:00");
    let first: Vec<_> = w.sweep(&tasks, late).into_iter().filter(|(_, m, _)| *m == Milestone::Overdue).collect();
    assert_eq!(first, vec![(String::from("a"), Milestone::Overdue, -14)]);
    w.last_overdue.insert("KH/01/-/a".into(), NaiveDate::from_ymd_opt(2025, 10, 16).unwrap());
    // The week-3 repeat (21/10) waits until a week after the late one (23/10).
    let overdue = |w: &mut World, day: &str| -> Vec<i32> {
        w.sweep(&tasks, local(day, "09:00"))
            .into_iter()
            .filter(|(_, m, _)| *m == Milestone::Overdue)
            .map(|x| x.2)
            .collect()
    };
    assert_eq!(overdue(&mut w, "2025-10-21"), Vec::<i32>::new());
    assert_eq!(overdue(&mut w, "2025-10-23"), vec![-21]);
}

#[test]
fn an_explanation_is_reminded_of_when_asked_the_day_before_and_on_its_day() {
    // Due Tuesday 30/9/2025, overdue since; the explanation is asked on Wednesday 8/10
    // for Friday 10/10.
    let mut overdue = task("01", "Sở Tài chính", "Tháng 9/2025");
    let mut w = World::new();
    w.sweep(std::slice::from_ref(&overdue), local("2025-10-07", "10:00")); // the overdue reminders so far
    let ask = |requested_on: (u32, u32), due: (u32, u32)| TaskEvent::ExplanationRequested {
        requested_on: NaiveDate::from_ymd_opt(2025, requested_on.0, requested_on.1).unwrap(),
        due: NaiveDate::from_ymd_opt(2025, due.0, due.1).unwrap(),
        reason: "Đề nghị giải trình nguyên nhân chậm".into(),
    };
    overdue.apply(&ask((10, 8), (10, 10)));
    let tasks = [overdue];
    let explanation = |n: i32| ("a".to_string(), Milestone::Explanation, n);
    let explanations = |w: &mut World, at| -> Vec<(String, Milestone, i32)> {
        w.sweep(&tasks, at).into_iter().filter(|r| r.1 == Milestone::Explanation).collect()
    };
    assert_eq!(explanations(&mut w, local("2025-10-08", "09:00")), vec![explanation(2)], "when asked");
    assert_eq!(explanations(&mut w, local("2025-10-08", "15:00")), vec![], "never twice");
    assert_eq!(explanations(&mut w, local("2025-10-09", "08:00")), vec![explanation(1)]);
    assert_eq!(explanations(&mut w, local("2025-10-10", "08:00")), vec![explanation(0)]);
    assert_eq!(explanations(&mut w, local("2025-10-13", "09:00")), vec![], "its day is over");
    // A second request has reminders of its own; an answer ends them.
    let mut tasks = tasks;
    tasks[0].apply(&ask((10, 15), (10, 17)));
    let digests = w.due(&tasks, local("2025-10-15", "09:00"));
    let notice = digests.iter().flat_map(|d| &d.notices).find(|n| n.key.milestone == Milestone::Explanation);
    let notice = notice.expect("the second request is reminded of");
    assert_eq!((notice.key.occurrence.as_deref(), notice.occurrence), (Some("2025-10-17"), None));
    tasks[0].apply(&TaskEvent::ExplanationGiven {
        given_on: NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        text: "Chờ số liệu".into(),
    });
    let digests = w.due(&tasks, local("2025-10-16", "09:00"));
    assert!(digests.iter().flat_map(|d| &d.notices).all(|n| n.key.milestone != Milestone::Explanation));
}

#[test]
fn done_acknowledged_or_silenced_work_gets_nothing() {
    let mut done = task("01", "Sở Tài chính", "Tháng 9/2025");
    done.apply(&TaskEvent::StatusChanged {
        from: TaskStatus::NotStarted,
        to: TaskStatus::Completed,
        note: None,
        completed_on: NaiveDate::from_ymd_opt(2025, 9, 1),
        evidence: Some(Evidence { note: Some("xong".into()), ..Evidence::default() }),
    });
    let w = World::new();
    assert!(w.due(&[done], local("2025-09-25", "09:00")).is_empty());

    let mut snoozed = task("02", "Sở Tài chính", "Tháng 9/2025");
    snoozed.apply(&TaskEvent::ReminderAcknowledged {
        acknowledged_at: local("2025-09-24", "09:00"),
        occurrence: None,
        key: None,
        snooze_until: Some(local("2025-09-29", "00:00")),
    });
    assert!(w.due(std::slice::from_ref(&snoozed), local("2025-09-25", "09:00")).is_empty());
    assert_eq!(w.due(&[snoozed], local("2025-09-29", "09:00")).len(), 1, "the snooze ends");

    let mut w = World::new();
    w.silences.push(Silence {
        scope: SilenceScope::Plan { plan: "KH".into() },
        from: local("2025-09-20", "00:00"),
        until: local("2025-09-27", "00:00"),
        reason: "Đợt sắp xếp tổ chức".into(),
    });
    let tasks = [task("03", "Sở Tài chính", "Tháng 9/2025")];
    assert!(w.due(&tasks, local("2025-09-25", "09:00")).is_empty());
    assert_eq!(w.due(&tasks, local("2025-09-29", "09:00")).len(), 1);
}

#[test]
fn one_digest_per_recipient_and_occurrences_of_recurring_reports() {
    let tasks = [
        task("01", "Sở Tài chính", "Tháng 9/2025"),
        task("02", "Sở Tài chính", "Hằng quý"),
        task("03", "Sở Nội vụ", "Tháng 9/2025"),
    ];
    let w = World::new();
    // Monday 22/9/2025: 01 is 6 working days away (D-7 ready), Q3 of 02 is due 25/9
    // (D-3 ready), Q1 and Q2 of 02 are overdue and were never sent.
    let digests = w.due(&tasks, local("2025-09-22", "09:00"));
    let recipients: Vec<&str> = digests.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients, ["a", "b", "h", "s"]);
    let a = &digests[0];
    let items: Vec<(String, Option<String>, Milestone)> =
        a.notices.iter().map(|n| (n.key.code.clone(), n.key.occurrence.clone(), n.key.milestone)).collect();
    assert!(items.contains(&("01".into(), None, Milestone::Due)));
    assert!(items.contains(&("02".into(), Some("2025-Q3".into()), Milestone::Due)));
    assert!(items.contains(&("02".into(), Some("2025-Q2".into()), Milestone::Overdue)));
    assert_eq!(a.channel, Channel::Email);
    assert_eq!(a.address, "a@tinh.gov.vn");
    assert_eq!(digests[1].notices.len(), 1, "Sở Nội vụ's officer hears only of 03");
}

#[test]
fn a_merged_agency_s_tasks_reach_the_successor() {
    // Sở Kế hoạch và Đầu tư merged into Sở Tài chính on 1/3/2025 (config/agencies.toml).
    let tasks = [task("01", "Sở KH&ĐT", "Tháng 9/2025")];
    let w = World::new();
    let digests = w.due(&tasks, local("2025-09-22", "09:00"));
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0].recipient, "a");
}

#[test]
fn a_digest_names_the_contact_s_other_channels_as_fallbacks() {
    let mut w = World::new();
    w.contacts[0].channels = vec![
        (Channel::Telegram, "12345".into()),
        (Channel::Email, "a@tinh.gov.vn".into()),
        (Channel::Zalo, "0900".into()),
    ];
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let digests = w.due(&tasks, local("2025-10-07", "09:00"));
    let a = digests.iter().find(|d| d.recipient == "a").unwrap();
    assert_eq!((a.channel, a.address.as_str()), (Channel::Telegram, "12345"));
    assert_eq!(a.fallbacks, vec![(Channel::Email, "a@tinh.gov.vn".into()), (Channel::Zalo, "0900".into())]);
    let h = digests.iter().find(|d| d.recipient == "h").unwrap();
    assert!(h.fallbacks.is_empty(), "a single channel has no fallback");
}

#[test]
fn planning_tasks_together_or_one_by_one_gives_the_same_notices() {
    // The sweep memoises per date, per lead and per recurrence: nothing may leak from one
    // task to another.
    let mut tasks = vec![
        task("01", "Sở Tài chính", "Tháng 9/2025"),
        task("02", "Sở Tài chính", "Hằng quý"),
        task("03", "Sở Nội vụ", "Hằng quý"),
        task("04", "Sở KH&ĐT", "Hằng quý"),
        task("05", "Sở Tài chính; Sở Nội vụ", "Hằng tháng"),
        task("06", "Sở Nội vụ", "Tháng 9/2025"),
    ];
    tasks[2].apply(&TaskEvent::ReportSubmitted {
        occurrence: Some("2025-Q2".into()),
        evidence: Evidence { document: Some("02/BC".into()), ..Evidence::default() },
        submitted_at: local("2025-07-10", "09:00"),
    });
    tasks[3].apply(&TaskEvent::StatusChanged {
        from: TaskStatus::NotStarted,
        to: TaskStatus::InProgress,
        note: None,
        completed_on: None,
        evidence: None,
    });
    tasks[5].apply(&TaskEvent::ReminderAcknowledged {
        acknowledged_at: local("2025-10-08", "09:00"),
        occurrence: None,
        key: None,
        snooze_until: None,
    });
    let w = World::new();
    let notices = |digests: Vec<Digest>| {
        let mut out: Vec<_> = digests
            .into_iter()
            .flat_map(|d| d.notices.into_iter().map(move |n| (d.recipient.clone(), n)))
            .map(|(r, n)| (r, delivery_id(&n.key), n.working_days_left, n.date))
            .collect();
        out.sort();
        out
    };
    for now in ["2025-09-22 09:00", "2025-10-07 09:00", "2025-10-15 10:00", "2025-12-29 08:30"] {
        let (date, time) = now.split_once(' ').unwrap();
        let together = notices(w.due(&tasks, local(date, time)));
        let one_by_one =
            notices(tasks.iter().flat_map(|t| w.due(std::slice::from_ref(t), local(date, time))).collect());
        assert!(!together.is_empty());
        assert_eq!(together, one_by_one, "at {now}");
    }
}

#[test]
fn a_steady_sweep_plans_only_what_was_not_delivered() {
    let tasks: Vec<TaskState> = (0..30)
        .map(|i| {
            task(&format!("{i:02}"), ["Sở Tài chính", "Sở Nội vụ"][i % 2], ["Tháng 9/2025", "Hằng quý"][i % 3 % 2])
        })
        .collect();
    let now = local("2025-10-07", "09:00");
    let mut w = World::new();
    let first = w.due(&tasks, now);
    let ids: Vec<String> = first.iter().flat_map(|d| d.notices.iter().map(|n| delivery_id(&n.key))).collect();
    assert!(ids.len() > 30);
    let (delivered, missing): (Vec<_>, Vec<_>) = ids.iter().enumerate().partition(|(i, _)| i % 4 != 0);
    w.delivered = DeliveredSet::from_ids(delivered.into_iter().map(|(_, id)| id.clone()));
    let mut again: Vec<String> =
        w.due(&tasks, now).iter().flat_map(|d| d.notices.iter().map(|n| delivery_id(&n.key))).collect();
    let mut missing: Vec<String> = missing.into_iter().map(|(_, id)| id.clone()).collect();
    again.sort();
    missing.sort();
    assert_eq!(again, missing);
    w.delivered.extend(&missing);
    assert!(w.due(&tasks, now).is_empty());
}

#[test]
fn the_delivered_set_is_exact() {
    let mut set = DeliveredSet::new();
    assert!(!set.contains("KH/01/-/due/3/a") && set.is_empty());
    assert!(set.insert("KH/01/-/due/3/a"));
    assert!(!set.insert("KH/01/-/due/3/a"), "once");
    assert!(set.insert(""));
    assert!(set.insert("KH/01/-/due/3/ab"));
    assert!(set.contains("KH/01/-/due/3/a") && set.contains("") && set.contains("KH/01/-/due/3/ab"));
    assert!(!set.contains("KH/01/-/due/3/") && !set.contains("KH/01/-/due/3/abc") && !set.contains("kh/01/-/due/3/a"));
    // Enough ids to grow the table many times; every one found, no other.
    let ids: Vec<String> = (0..5000)
        .map(|i| format!("Kế hoạch {}/{i:05}/2025-Q{}/due/{}/cv{}", i % 7, i % 4 + 1, i % 31, i % 40))
        .collect();
    set.extend(&ids);
    assert_eq!(set.len(), 5003);
    assert!(ids.iter().all(|id| set.contains(id)));
    assert!((0..5000).all(|i| !set.contains(&format!(
        "Kế hoạch {}/{i:05}/2025-Q{}/due/{}/cv{}",
        i % 7,
        i % 4 + 1,
        i % 31 + 1,
        i % 40
    ))));
    let order: Vec<&str> = set.iter().collect();
    assert_eq!(&order[..3], ["KH/01/-/due/3/a", "", "KH/01/-/due/3/ab"]);
    assert_eq!(order[3..], ids.iter().map(String::as_str).collect::<Vec<_>>()[..]);
    assert_eq!(DeliveredSet::from_ids(ids.clone()).len(), 5000);
    assert_eq!(ids.iter().collect::<DeliveredSet>().len(), 5000);
}

mod never_panics {
    //! The planner and the classifier are total: whatever the tasks (any time expression of
    //! the vocabulary, any year dondoc accepts, reports, extensions, acknowledgements) and
    //! whatever the instant, they answer; they never panic.

    use chrono::{Days, TimeZone as _};
    use dondoc_core::classify::Classifier;
    use proptest::prelude::*;

    use super::*;

    /// Years at and inside the edges of what stored events may hold (1900–2200).
    fn year() -> impl Strategy<Value = i32> {
        prop_oneof![Just(1900), Just(2200), 1900i32..=2200, 2020i32..=2030]
    }

    fn finish() -> impl Strategy<Value = String> {
        (year(), 1u32..=12, 1u32..=4, 1u32..=28, 0usize..12).prop_map(|(y, m, q, d, form)| match form {
            0 => format!("Tháng {m}/{y}"),
            1 => format!("Quý {}/{y}", ["I", "II", "III", "IV"][q as usize - 1]),
            2 => format!("Năm {y}"),
            3 => format!("Trước ngày {d}/{m}/{y}"),
            4 => "Hằng năm".to_string(),
            5 => "Hằng quý".to_string(),
            6 => "Hằng tháng".to_string(),
            7 => "Thường xuyên".to_string(),
            8 => format!("6 tháng đầu năm {y}"),
            9 => format!("Từ tháng {m}/{y} đến năm {}", y.min(2199) + 1),
            10 => "Khi có yêu cầu".to_string(),
            _ => format!("Ngày {d}/{m}/{y}"),
        })
    }

    fn instant(y: i32, day: u32, hour: u32) -> DateTime<Utc> {
        let start = NaiveDate::from_ymd_opt(y, 1, 1).unwrap() + Days::new(u64::from(day));
        Utc.from_utc_datetime(&start.and_hms_opt(hour, 0, 0).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn the_planner_and_the_classifier_never_panic(
            finishes in prop::collection::vec(finish(), 1..6),
            tracked in year(),
            steps in prop::collection::vec((0u8..5, year(), 0u32..360, 1u32..=4), 0..6),
            at in (year(), 0u32..365, 0u32..24),
        ) {
            let tracked_from = NaiveDate::from_ymd_opt(tracked, 1, 1).unwrap();
            let mut tasks = Vec::new();
            for (i, text) in finishes.iter().enumerate() {
                let Ok(finish) = timeexpr::parse(text) else { continue };
                let mut task = TaskState::from_events(&[TaskEvent::TaskDefined {
                    plan: "KH".into(),
                    code: format!("{i:02}"),
                    title: text.clone(),
                    lead: "Sở Tài chính".into(),
                    cooperating: vec![],
                    start: None,
                    finish: Some(finish),
                    product: None,
                    tracked_from,
                    tt: None,
                    group: None,
                }]);
                for (kind, y, day, q) in &steps {
                    let when = instant(*y, *day, 9);
                    let event = match kind {
                        0 => TaskEvent::ReportSubmitted {
                            occurrence: Some(format!("{y}-Q{q}")),
                            evidence: Evidence::default(),
                            submitted_at: when,
                        },
                        1 => TaskEvent::ReminderAcknowledged {
                            acknowledged_at: when,
                            occurrence: None,
                            key: None,
                            snooze_until: Some(instant(*y, (*day + 7) % 360, 9)),
                        },
                        2 => TaskEvent::DeadlineExtended {
                            occurrence: None,
                            previous_due: None,
                            new_due: when.date_naive(),
                            new_text: None,
                            reason: "Gia hạn".into(),
                        },
                        _ => TaskEvent::StatusChanged {
                            from: TaskStatus::NotStarted,
                            to: TaskStatus::InProgress,
                            note: None,
                            completed_on: None,
                            evidence: None,
                        },
                    };
                    task.apply(&event);
                }
                tasks.push(task);
            }
            let w = World::new();
            let now = instant(at.0, at.1, at.2);
            let _ = w.due(&tasks, now);
            let classifier = Classifier::new(&w.calendar, &w.reporting);
            for t in &tasks {
                let _ = classifier.task(t, now);
            }
        }
    }
}

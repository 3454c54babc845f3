//! The reminder planner, scenario by scenario, on the shipped calendar and agency directory.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dondoc_core::agency::{AgencyConfig, Directory};
use dondoc_core::calendar::{CalendarConfig, WorkCalendar, local_instant};
use dondoc_core::event::{Channel, Evidence, Milestone, TaskEvent, TaskStatus};
use dondoc_core::planner::{
    Contact, DeliveredSet, Digest, Planner, ReminderPolicy, Role, Silence, SilenceScope, delivery_id,
};
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::task::TaskState;
use dondoc_core::timeexpr;

fn calendar() -> WorkCalendar {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/calendar.toml")).unwrap();
    WorkCalendar::new(&toml::from_str::<CalendarConfig>(&text).unwrap()).unwrap()
}

fn directory() -> Directory {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/agencies.toml")).unwrap();
    Directory::new(toml::from_str::<AgencyConfig>(&text).unwrap())
}

fn at(date: &str, time: &str) -> DateTime<Utc> {
    local_instant(
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
        NaiveTime::parse_from_str(time, "%H:%M").unwrap(),
    )
}

fn contact(id: &str, agency: &str, role: Role) -> Contact {
    Contact {
        id: id.into(),
        name: id.to_uppercase(),
        agency: agency.into(),
        role,
        channels: vec![(Channel::Email, format!("{id}@tinh.gov.vn"))],
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
        }
    }

    fn plan(&self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<Digest> {
        Planner {
            calendar: &self.calendar,
            reporting: &self.reporting,
            reminders: &self.reminders,
            contacts: &self.contacts,
            directory: &self.directory,
            silences: &self.silences,
            delivered: &self.delivered,
        }
        .plan(tasks, now)
    }

    /// Plans and records every notice as delivered; returns (recipient, milestone, offset).
    fn sweep(&mut self, tasks: &[TaskState], now: DateTime<Utc>) -> Vec<(String, Milestone, i32)> {
        let digests = self.plan(tasks, now);
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
    assert_eq!(w.sweep(&tasks, at("2025-08-01", "09:00")), vec![], "30 working days ahead is 19/8");
    assert_eq!(w.sweep(&tasks, at("2025-08-19", "09:00")), vec![due("a", 30)]);
    assert_eq!(w.sweep(&tasks, at("2025-08-19", "15:00")), vec![], "never twice");
    assert_eq!(w.sweep(&tasks, at("2025-09-10", "07:45")), vec![], "ready from 08:00");
    assert_eq!(w.sweep(&tasks, at("2025-09-10", "08:00")), vec![due("a", 14)]);
    assert_eq!(w.sweep(&tasks, at("2025-09-20", "10:00")), vec![], "Saturday");
    assert_eq!(w.sweep(&tasks, at("2025-09-22", "09:00")), vec![due("a", 7)], "the weekend's reminder on Monday");
    assert_eq!(w.sweep(&tasks, at("2025-09-25", "12:00")), vec![], "lunch break");
    assert_eq!(w.sweep(&tasks, at("2025-09-25", "13:30")), vec![due("a", 3)]);
    assert_eq!(w.sweep(&tasks, at("2025-09-29", "08:30")), vec![due("a", 1)]);
    // The due day's reminder, in the evening: the deadline is hours away.
    assert_eq!(w.sweep(&tasks, at("2025-09-30", "19:00")), vec![due("a", 0)]);
}

#[test]
fn a_daemon_that_was_down_catches_up_once() {
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    assert_eq!(w.sweep(&tasks, at("2025-09-26", "09:00")), vec![due("a", 3)], "not 30, 14 and 7 as well");
    assert_eq!(w.sweep(&tasks, at("2025-09-26", "16:00")), vec![]);
}

#[test]
fn overdue_repeats_and_escalation() {
    let tasks = [task("01", "Sở Tài chính", "Tháng 9/2025")];
    let mut w = World::new();
    w.sweep(&tasks, at("2025-09-30", "09:00"));
    assert_eq!(w.sweep(&tasks, at("2025-10-03", "09:00")), vec![], "not yet a week late");
    // 7/10 is a week late (the officer again) and 5 working days late: the head and the
    // secretariat hear of it.
    let mut got = w.sweep(&tasks, at("2025-10-07", "09:00"));
    got.sort();
    let want = vec![
        ("a".into(), Milestone::Overdue, -7),
        ("h".into(), Milestone::Escalation, -5),
        ("s".into(), Milestone::Escalation, -5),
    ];
    assert_eq!(got, want);
    assert_eq!(w.sweep(&tasks, at("2025-10-07", "14:00")), vec![]);
    assert_eq!(w.sweep(&tasks, at("2025-10-13", "09:00")), vec![]);
    assert_eq!(w.sweep(&tasks, at("2025-10-14", "08:00")), vec![(String::from("a"), Milestone::Overdue, -14)]);
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
    assert!(w.plan(&[done], at("2025-09-25", "09:00")).is_empty());

    let mut snoozed = task("02", "Sở Tài chính", "Tháng 9/2025");
    snoozed.apply(&TaskEvent::ReminderAcknowledged {
        acknowledged_at: at("2025-09-24", "09:00"),
        occurrence: None,
        key: None,
        snooze_until: Some(at("2025-09-29", "00:00")),
    });
    assert!(w.plan(std::slice::from_ref(&snoozed), at("2025-09-25", "09:00")).is_empty());
    assert_eq!(w.plan(&[snoozed], at("2025-09-29", "09:00")).len(), 1, "the snooze ends");

    let mut w = World::new();
    w.silences.push(Silence {
        scope: SilenceScope::Plan { plan: "KH".into() },
        from: at("2025-09-20", "00:00"),
        until: at("2025-09-27", "00:00"),
        reason: "Đợt sắp xếp tổ chức".into(),
    });
    let tasks = [task("03", "Sở Tài chính", "Tháng 9/2025")];
    assert!(w.plan(&tasks, at("2025-09-25", "09:00")).is_empty());
    assert_eq!(w.plan(&tasks, at("2025-09-29", "09:00")).len(), 1);
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
    let digests = w.plan(&tasks, at("2025-09-22", "09:00"));
    let recipients: Vec<&str> = digests.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients, ["a", "b", "h", "s"]);
    let a = &digests[0];
    let items: Vec<(String, Option<String>, Milestone)> =
        a.notices.iter().map(|n| (n.task.code.clone(), n.key.occurrence.clone(), n.key.milestone)).collect();
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
    let digests = w.plan(&tasks, at("2025-09-22", "09:00"));
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0].recipient, "a");
}

#[allow(dead_code, clippy::all)]
#[path = "/tmp/old_planner.rs"]
mod old;

#[test]
fn equivalent_to_the_old_planner() {
    use dondoc_core::event::ReminderKey;
    let leads = ["Sở Tài chính", "Sở KH&ĐT", "Sở Nội vụ", "Sở Tài chính; Sở Nội vụ", "Sở Xây dựng", "Sở Không Có", ""];
    let finishes = [
        "Tháng 9/2025", "Quý IV/2025", "2026", "Tháng 12/2026", "Hằng tháng", "Hằng quý", "Quý, 6 tháng, 9 tháng, năm",
        "Hằng năm", "6 tháng, năm", "Thường xuyên", "Khi có yêu cầu", "Trước 15/10/2025", "Tháng 11/2025", "Quý I/2026",
    ];
    let mut tasks = Vec::new();
    for i in 0..600usize {
        let finish = timeexpr::parse(finishes[i % finishes.len()]).unwrap();
        let start = if i % 5 == 0 { Some(timeexpr::parse("Tháng 10/2025").unwrap()) } else { None };
        let mut events = vec![TaskEvent::TaskDefined {
            plan: if i % 3 == 0 { "KH/01".into() } else { "KH".into() },
            code: format!("{i:03}"),
            title: format!("Nhiệm vụ {i}"),
            lead: leads[i % leads.len()].into(),
            cooperating: vec![],
            start,
            finish: Some(finish),
            product: None,
            tracked_from: NaiveDate::from_ymd_opt(2025, 1 + (i % 6) as u32, 1).unwrap(),
            tt: None,
            group: None,
        }];
        let status = |to| TaskEvent::StatusChanged { from: TaskStatus::NotStarted, to, note: None, completed_on: None, evidence: None };
        match i % 11 {
            0 | 1 => events.push(status(TaskStatus::InProgress)),
            2 => events.push(TaskEvent::ReportSubmitted {
                occurrence: Some("2025-Q3".into()),
                evidence: Evidence { document: Some("02/BC".into()), ..Evidence::default() },
                submitted_at: at("2025-09-20", "09:00"),
            }),
            3 => events.push(TaskEvent::ReminderAcknowledged {
                acknowledged_at: at("2025-10-08", "09:00"),
                occurrence: None,
                key: None,
                snooze_until: Some(at("2025-10-20", "00:00")),
            }),
            4 => events.push(TaskEvent::ReminderAcknowledged {
                acknowledged_at: at("2025-11-03", "09:00"),
                occurrence: Some("2025-10".into()),
                key: None,
                snooze_until: None,
            }),
            5 => events.push(TaskEvent::DeadlineExtended {
                occurrence: None,
                previous_due: None,
                new_due: NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
                new_text: None,
                reason: "x".into(),
            }),
            6 => events.push(TaskEvent::DeadlineExtended {
                occurrence: Some("2025-Q4".into()),
                previous_due: None,
                new_due: NaiveDate::from_ymd_opt(2026, 1, 20).unwrap(),
                new_text: None,
                reason: "x".into(),
            }),
            _ => {}
        }
        tasks.push(TaskState::from_events(&events));
    }
    let mut contacts = contacts();
    contacts.push(Contact {
        id: "multi".into(),
        name: "M".into(),
        agency: "Sở Nội vụ".into(),
        role: Role::Head,
        channels: vec![(Channel::Telegram, "1".into()), (Channel::Email, "m@x".into()), (Channel::Zalo, "2".into())],
    });
    contacts.push(Contact { id: "a".into(), name: "dup".into(), agency: "Sở Xây dựng".into(), role: Role::Officer, channels: vec![(Channel::Zalo, "z".into())] });
    contacts.push(Contact { id: "none".into(), name: "N".into(), agency: "Sở Tài chính".into(), role: Role::Officer, channels: vec![] });
    contacts.push(contact("s2", "Văn phòng UBND tỉnh", Role::Secretariat));
    let silences = vec![
        Silence { scope: SilenceScope::Agency { agency: "sở nội vụ".into() }, from: at("2025-10-01", "00:00"), until: at("2025-10-15", "00:00"), reason: String::new() },
        Silence { scope: SilenceScope::Task { plan: "KH".into(), code: "004".into() }, from: at("2025-01-01", "00:00"), until: at("2026-06-01", "00:00"), reason: String::new() },
        Silence { scope: SilenceScope::Plan { plan: "KH/01".into() }, from: at("2025-12-01", "00:00"), until: at("2025-12-24", "00:00"), reason: String::new() },
    ];
    let w = World { contacts, silences, ..World::new() };
    let mut new_set = DeliveredSet::new();
    let mut old_set = std::collections::HashSet::new();
    let mut now = at("2025-07-01", "06:00");
    let end = at("2027-03-01", "00:00");
    let (mut sweeps, mut notices) = (0, 0);
    let simplify = |recipient: &str, name: &str, channel: Channel, address: &str, keys: Vec<(ReminderKey, String, i64, NaiveDate)>| {
        (recipient.to_string(), name.to_string(), channel, address.to_string(), keys)
    };
    while now < end {
        let p = Planner {
            calendar: &w.calendar, reporting: &w.reporting, reminders: &w.reminders, contacts: &w.contacts,
            directory: &w.directory, silences: &w.silences, delivered: &new_set,
        };
        let o = old::Planner {
            calendar: &w.calendar, reporting: &w.reporting, reminders: &w.reminders, contacts: &w.contacts,
            directory: &w.directory, silences: &w.silences, delivered: &old_set,
        };
        let got = p.plan(&tasks, now);
        let want = o.plan(&tasks, now);
        let got_s: Vec<_> = got.iter().map(|d| simplify(&d.recipient, &d.name, d.channel, &d.address,
            d.notices.iter().map(|n| (n.key.clone(), n.task.code.clone() + &n.title + &n.lead + &format!("{:?}", n.occurrence), n.working_days_left, n.date)).collect())).collect();
        let want_s: Vec<_> = want.iter().map(|d| simplify(&d.recipient, &d.name, d.channel, &d.address,
            d.notices.iter().map(|n| (n.key.clone(), n.task.code.clone() + &n.title + &n.lead + &format!("{:?}", n.occurrence), n.working_days_left, n.date)).collect())).collect();
        assert_eq!(got_s, want_s, "at {now}");
        for d in &got {
            let c = w.contacts.iter().find(|c| c.id == d.recipient && c.channels.first() == Some(&(d.channel, d.address.clone()))).unwrap();
            assert_eq!(d.fallbacks, c.channels[1..].to_vec());
        }
        sweeps += 1;
        for d in want {
            for n in d.notices {
                notices += 1;
                // Deliver only some, so that undelivered ones are planned again.
                if notices % 5 != 0 {
                    new_set.insert(&delivery_id(&n.key));
                    old_set.insert(old::delivery_id(&n.key));
                }
            }
        }
        now += chrono::Duration::minutes(60 * 7 + 13);
    }
    assert_eq!(new_set.len(), old_set.len());
    eprintln!("{sweeps} sweeps, {notices} notices compared");
    assert!(notices > 1000);
}

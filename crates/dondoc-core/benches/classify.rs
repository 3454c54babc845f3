//! Classify 100,000 tasks at one instant (target: under 50 ms on 2 cores), and run one
//! reminder-planner sweep over them (target: under 100 ms).
//!
//! Prints, besides criterion's report, the ratio against the raw floor measured in the
//! same run: comparing 100,000 precomputed due dates with today (no calendar, no policy,
//! no occurrences), i.e. the cost of the loop and memory traffic alone.
//!
//! Run: `cargo bench -p dondoc-core --bench classify`. For a profiler,
//! `DONDOC_BENCH_FIRST_SWEEP_ONLY=N` runs only N first sweeps after the classification.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use criterion::Criterion;

use dondoc_core::agency::Directory;
use dondoc_core::calendar::{WorkCalendar, local_instant};
use dondoc_core::classify::{Classification, Classifier};
use dondoc_core::contact::{Contact, Role};
use dondoc_core::event::Channel;
use dondoc_core::event::{Evidence, TaskEvent, TaskStatus};
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::reminder::{DeliveredSet, DueReminders, ReminderPolicy, delivery_id};
use dondoc_core::task::TaskState;
use dondoc_core::timeexpr;

/// The daemon's allocator, so that the figures are the daemon's (ARCHITECTURE.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TASKS: usize = 100_000;

/// A deterministic mix: 60% one-off deadlines, 25% recurring reports, 15% continuous or
/// on request; statuses and submissions spread over the set.
fn tasks() -> Vec<TaskState> {
    let finishes = ["Tháng 9/2025", "Quý IV/2025", "2026", "Tháng 12/2026", "6 tháng đầu năm 2027", "Quý I/2027"];
    let recurring = ["Hằng tháng", "Hằng quý", "Quý, 6 tháng, 9 tháng, năm", "Hằng năm", "6 tháng, năm"];
    let open = ["Thường xuyên", "Khi có yêu cầu"];
    let parse = |s: &str| timeexpr::parse(s).expect("valid");
    let tracked_from = NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid");
    (0..TASKS)
        .map(|i| {
            let finish = match i % 20 {
                0..12 => parse(finishes[i % finishes.len()]),
                12..17 => parse(recurring[i % recurring.len()]),
                _ => parse(open[i % open.len()]),
            };
            let mut events = vec![TaskEvent::TaskDefined {
                plan: "bench".into(),
                code: format!("{i:06}"),
                title: "Nhiệm vụ".into(),
                lead: format!("Sở {}", i % 40),
                cooperating: vec![],
                start: None,
                finish: Some(finish),
                product: None,
                tracked_from,
                tt: None,
                group: None,
            }];
            let status = |to| TaskEvent::StatusChanged {
                from: TaskStatus::NotStarted,
                to,
                note: None,
                completed_on: None,
                evidence: None,
            };
            match i % 7 {
                0 | 1 => events.push(status(TaskStatus::InProgress)),
                2 => events.push(TaskEvent::StatusChanged {
                    from: TaskStatus::NotStarted,
                    to: TaskStatus::Completed,
                    note: None,
                    completed_on: NaiveDate::from_ymd_opt(2025, 12, 1),
                    evidence: Some(Evidence { document: Some("01/BC".into()), ..Evidence::default() }),
                }),
                3 => events.push(TaskEvent::ReportSubmitted {
                    occurrence: Some("2025-Q3".into()),
                    evidence: Evidence { document: Some("02/BC".into()), ..Evidence::default() },
                    submitted_at: local_instant(NaiveDate::from_ymd_opt(2025, 9, 20).expect("valid"), NaiveTime::MIN),
                }),
                _ => {}
            }
            TaskState::from_events(&events)
        })
        .collect()
}

fn classify_all(c: &Classifier, tasks: &[TaskState], now: chrono::DateTime<chrono::Utc>) -> [usize; 8] {
    let mut counts = [0usize; 8];
    for t in tasks {
        let s = c.task(t, now);
        counts[Classification::ALL.iter().position(|k| *k == s.classification).unwrap_or(0)] += 1;
    }
    counts
}

fn raw_floor(dues: &[NaiveDate], today: NaiveDate) -> usize {
    dues.iter().filter(|d| **d < today).count()
}

fn time<R>(rounds: u32, mut f: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(f());
    }
    start.elapsed() / rounds
}

fn main() {
    let calendar = WorkCalendar::default();
    let policy = ReportingPolicy::nd09();
    let classifier = Classifier::new(&calendar, &policy);
    let tasks = tasks();
    // A Monday morning: a real sweep, in working hours.
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid");
    let now = local_instant(today, NaiveTime::from_hms_opt(10, 0, 0).expect("valid"));
    let dues: Vec<NaiveDate> = tasks.iter().map(|t| classifier.deadline(t).map_or(today, |d| d.due)).collect();
    // Warm the calendar's year tables once, as a running daemon has them.
    let counts = classify_all(&classifier, &tasks, now);

    let mut criterion = Criterion::default().configure_from_args().sample_size(20);
    criterion.bench_function("classify 100k tasks", |b| b.iter(|| classify_all(&classifier, &tasks, now)));
    criterion.bench_function("raw floor: compare 100k due dates", |b| b.iter(|| raw_floor(&dues, today)));
    criterion.final_summary();

    let ours = time(10, || classify_all(&classifier, &tasks, now));
    let floor = time(200, || raw_floor(&dues, today));
    println!("\nclassify {TASKS} tasks: {:.2} ms per run (target < 50 ms)", ours.as_secs_f64() * 1e3);
    println!("raw floor (compare {TASKS} due dates): {:.3} ms per run", floor.as_secs_f64() * 1e3);
    println!("ratio classify / raw floor: {:.0}x", ours.as_secs_f64() / floor.as_secs_f64().max(1e-12));
    // One planner sweep: 40 agencies with an officer each, a head and the secretariat.
    let mut contacts: Vec<Contact> = (0..40)
        .map(|i| Contact {
            id: format!("officer-{i}"),
            name: format!("Chuyên viên {i}"),
            agency: format!("Sở {i}"),
            role: Role::Officer,
            position: None,
            channels: vec![(Channel::Email, format!("cv{i}@tinh.gov.vn"))],
            quiet: None,
        })
        .collect();
    contacts.push(Contact {
        id: "secretariat".into(),
        name: "Tổ giúp việc".into(),
        agency: "Văn phòng UBND tỉnh".into(),
        role: Role::Secretariat,
        position: None,
        channels: vec![(Channel::Email, "tgv@tinh.gov.vn".into())],
        quiet: None,
    });
    let directory = Directory::default();
    let reminders = ReminderPolicy::default();
    let planner = |delivered: &DeliveredSet| {
        let p = DueReminders {
            calendar: &calendar,
            reporting: &policy,
            reminders: &reminders,
            contacts: &contacts,
            directory: &directory,
            silences: &[],
            delivered,
            last_overdue: &Default::default(),
        };
        p.digests(&tasks, now)
    };
    // The first sweep after an import catches up with everything already due.
    let nothing = DeliveredSet::new();
    let digests = planner(&nothing);
    if let Ok(rounds) = std::env::var("DONDOC_BENCH_FIRST_SWEEP_ONLY") {
        // For a profiler: only first sweeps, this many.
        let rounds = rounds.parse().unwrap_or(20);
        let first = time(rounds, || planner(&nothing));
        println!("planner, first sweep: {:.2} ms per run over {rounds} runs", first.as_secs_f64() * 1e3);
        return;
    }
    let first = time(3, || planner(&nothing));
    let notices: usize = digests.iter().map(|d| d.notices.len()).sum();
    // A steady sweep: everything due so far was delivered by the previous ones.
    let delivered: DeliveredSet = digests.iter().flat_map(|d| d.notices.iter().map(|n| delivery_id(&n.key))).collect();
    let steady = time(5, || planner(&delivered));
    println!(
        "planner, steady sweep over {TASKS} tasks: {:.2} ms per run (target < 100 ms); ratio sweep / raw floor: {:.0}x",
        steady.as_secs_f64() * 1e3,
        steady.as_secs_f64() / floor.as_secs_f64().max(1e-12)
    );
    println!(
        "planner, first sweep (catch-up: {} digests, {notices} notices): {:.2} ms per run; ratio sweep / raw floor: {:.0}x",
        digests.len(),
        first.as_secs_f64() * 1e3,
        first.as_secs_f64() / floor.as_secs_f64().max(1e-12)
    );
    let named: Vec<String> =
        Classification::ALL.iter().zip(counts).map(|(k, n)| format!("{}: {n}", k.label_vi())).collect();
    println!("classes: {}", named.join(", "));
}

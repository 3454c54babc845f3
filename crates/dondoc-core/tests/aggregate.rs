//! The task aggregate: every transition, every rejection, and replay.
//!
//! Tasks are built by applying the events `decide` produces for real commands, never by
//! writing `TaskState` fields by hand.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::event::{Channel, Evidence, Milestone, ReminderKey, TaskEvent, TaskKey, TaskStatus};
use dondoc_core::task::{CommandKind, DomainError, TaskCommand, TaskState, allowed_commands, decide};
use dondoc_core::timeexpr::{ParsedTime, parse};
use dondoc_testkit::time::{at, date, s};
use proptest::prelude::*;

const PLAN: &str = "KH-125-UBND";
const CODE: &str = "NV-07";

/// The default "now" of these tests: Wednesday 15/10/2025, 09:00 local.
fn now() -> DateTime<Utc> {
    at(2025, 10, 15, 9, 0)
}

fn pt(text: &str) -> ParsedTime {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn evidence() -> Evidence {
    Evidence { document: Some(s("125/BC-UBND")), ..Evidence::default() }
}

fn define_with(lead: &str, finish: Option<&str>) -> TaskCommand {
    TaskCommand::Define {
        plan: s(PLAN),
        code: s(CODE),
        title: s("Rà soát, sắp xếp các đơn vị sự nghiệp công lập thuộc tỉnh"),
        lead: s(lead),
        cooperating: vec![s("Sở Tài chính")],
        start: None,
        finish: finish.map(pt),
        product: Some(s("Báo cáo UBND tỉnh")),
        tracked_from: None,
        tt: None,
        group: None,
    }
}

fn define(finish: Option<&str>) -> TaskCommand {
    define_with("Sở Nội vụ", finish)
}

/// decide at `now`, then apply; panics when the command is refused.
fn run_at(state: &mut TaskState, command: TaskCommand, now: DateTime<Utc>) -> Vec<TaskEvent> {
    let events = decide(state, &command, now).unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
    for e in &events {
        state.apply(e);
    }
    events
}

fn run(state: &mut TaskState, command: TaskCommand) -> Vec<TaskEvent> {
    run_at(state, command, now())
}

fn refused(state: &TaskState, command: TaskCommand) -> DomainError {
    match decide(state, &command, now()) {
        Ok(events) => panic!("{command:?} accepted: {events:?}"),
        Err(e) => e,
    }
}

/// The field named by an `InvalidInput` refusal.
fn invalid_field(state: &TaskState, command: TaskCommand) -> &'static str {
    match refused(state, command) {
        DomainError::InvalidInput { task, field, .. } => {
            assert_eq!(task, TaskKey::new(PLAN, CODE));
            field
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// A defined task whose deadline is `finish`.
fn task(finish: Option<&str>) -> TaskState {
    let mut state = TaskState::default();
    run(&mut state, define(finish));
    state
}

fn rkey(occurrence: Option<&str>, offset: i32) -> ReminderKey {
    ReminderKey {
        plan: s(PLAN),
        code: s(CODE),
        occurrence: occurrence.map(s),
        milestone: Milestone::Due,
        offset,
        recipient: s("vanthu@snv.khanhhoa.gov.vn"),
        channel: Channel::Email,
    }
}

fn start() -> TaskCommand {
    TaskCommand::Start { note: None }
}

fn pause(reason: &str) -> TaskCommand {
    TaskCommand::Pause { reason: s(reason) }
}

fn complete(on: Option<NaiveDate>) -> TaskCommand {
    TaskCommand::Complete { on, evidence: evidence(), confirmed: true }
}

fn cancel(reason: &str) -> TaskCommand {
    TaskCommand::Cancel { reason: s(reason) }
}

fn reopen(reason: &str) -> TaskCommand {
    TaskCommand::Reopen { reason: s(reason) }
}

fn extend(occurrence: Option<&str>, to: NaiveDate) -> TaskCommand {
    TaskCommand::Extend {
        occurrence: occurrence.map(s), to, to_text: None, reason: s("Chờ ý kiến Bộ Nội vụ")
    }
}

fn request(occurrence: Option<&str>, to: NaiveDate) -> TaskCommand {
    TaskCommand::RequestExtension {
        occurrence: occurrence.map(s),
        to,
        to_text: Some(to.format("%d/%m/%Y").to_string()),
        reason: s("Chờ hướng dẫn của Trung ương"),
    }
}

fn submit(occurrence: Option<&str>) -> TaskCommand {
    TaskCommand::SubmitReport { occurrence: occurrence.map(s), evidence: evidence(), submitted_at: None }
}

fn progress(percent: Option<u8>, note: &str) -> TaskCommand {
    TaskCommand::ReportProgress { percent, note: s(note), occurrence: None }
}

// ---------------------------------------------------------------------------------------
// Define
// ---------------------------------------------------------------------------------------

#[test]
fn define_emits_one_trimmed_event_with_local_tracking_date() {
    let command = TaskCommand::Define {
        plan: s("  KH-125-UBND "),
        code: s("\tNV-07 "),
        title: s("  Xây dựng Đề án chuyển đổi số tỉnh Khánh Hòa  "),
        lead: s(" Sở Khoa học và Công nghệ "),
        cooperating: vec![s(" Sở Tài chính"), s("Sở Tài chính "), s(""), s("  "), s("Công an tỉnh"), s("Sở Tài chính")],
        start: Some(pt("Quý III/2025")),
        finish: Some(pt("Quý IV/2025")),
        product: Some(s("  Đề án trình UBND tỉnh ")),
        tracked_from: None,
        tt: None,
        group: None,
    };
    // 18:00 UTC on 30/9 is already 01:00 on 1/10 in Asia/Ho_Chi_Minh.
    let now = "2025-09-30T18:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let events = decide(&TaskState::default(), &command, now).unwrap();
    assert_eq!(
        events,
        vec![TaskEvent::TaskDefined {
            plan: s("KH-125-UBND"),
            code: s("NV-07"),
            title: s("Xây dựng Đề án chuyển đổi số tỉnh Khánh Hòa"),
            lead: s("Sở Khoa học và Công nghệ"),
            cooperating: vec![s("Sở Tài chính"), s("Công an tỉnh")],
            start: Some(pt("Quý III/2025")),
            finish: Some(pt("Quý IV/2025")),
            product: Some(s("Đề án trình UBND tỉnh")),
            tracked_from: date(2025, 10, 1),
            tt: None,
            group: None,
        }]
    );
    let state = TaskState::from_events(&events);
    assert!(state.defined);
    assert_eq!(state.key, TaskKey::new(PLAN, CODE));
    assert_eq!(state.status, TaskStatus::NotStarted);
    assert_eq!(state.tracked_from, Some(date(2025, 10, 1)));
    assert_eq!(state.events, 1);
}

#[test]
fn define_keeps_an_explicit_tracking_date_and_drops_a_blank_product() {
    let mut command = define(Some("Quý IV/2025"));
    if let TaskCommand::Define { tracked_from, product, lead, .. } = &mut command {
        *tracked_from = Some(date(2025, 1, 1));
        *product = Some(s("   "));
        *lead = s("  "); // A plan row may name no lead agency.
    }
    let events = decide(&TaskState::default(), &command, now()).unwrap();
    let [TaskEvent::TaskDefined { tracked_from, product, lead, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(*tracked_from, date(2025, 1, 1));
    assert_eq!(*product, None);
    assert_eq!(lead, "");
}

#[test]
fn define_twice_is_already_defined() {
    let state = task(Some("Quý IV/2025"));
    let err = refused(&state, define(Some("Quý IV/2025")));
    assert_eq!(err, DomainError::AlreadyDefined { task: TaskKey::new(PLAN, CODE) });
    assert!(err.to_string().contains("nhiệm vụ NV-07 (kế hoạch KH-125-UBND)"), "{err}");
}

#[test]
fn every_other_command_before_define_is_not_defined() {
    let state = TaskState::default();
    assert_eq!(allowed_commands(&state), vec![CommandKind::Define]);
    for kind in CommandKind::ALL {
        if kind == CommandKind::Define {
            continue;
        }
        let err = refused(&state, sample(kind));
        assert!(matches!(err, DomainError::NotDefined { .. }), "{kind:?}: {err:?}");
        assert!(err.to_string().contains("chưa được khai báo"), "{err}");
    }
}

#[test]
fn define_rejects_bad_identity_and_title() {
    type Edit = fn(&mut String, &mut String, &mut String);
    let cases: [(&str, Edit, &str); 9] = [
        ("empty plan", |p, _, _| *p = s(""), "kế hoạch"),
        ("blank plan", |p, _, _| *p = s("   "), "kế hoạch"),
        ("plan with slash", |p, _, _| *p = s("125/KH-UBND"), "kế hoạch"),
        ("plan with space", |p, _, _| *p = s("KH 125"), "kế hoạch"),
        ("empty code", |_, c, _| *c = s(""), "mã nhiệm vụ"),
        ("code with space", |_, c, _| *c = s("NV 07"), "mã nhiệm vụ"),
        ("code with slash", |_, c, _| *c = s("NV/07"), "mã nhiệm vụ"),
        ("code with line break", |_, c, _| *c = s("NV\n07"), "mã nhiệm vụ"),
        ("blank title", |_, _, t| *t = s(" \n "), "tên nhiệm vụ"),
    ];
    for (name, edit, expected_field) in cases {
        let mut command = define(Some("Quý IV/2025"));
        if let TaskCommand::Define { plan, code, title, .. } = &mut command {
            edit(plan, code, title);
        }
        match decide(&TaskState::default(), &command, now()) {
            Err(DomainError::InvalidInput { field, .. }) => assert_eq!(field, expected_field, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The transition matrix
// ---------------------------------------------------------------------------------------

/// A command of `kind` that is valid on the task built by [`in_status`] when its status
/// allows the kind.
fn sample(kind: CommandKind) -> TaskCommand {
    match kind {
        CommandKind::Define => define(Some("Quý IV/2025")),
        CommandKind::Revise => TaskCommand::Revise {
            title: s("Tên nhiệm vụ theo kế hoạch sửa đổi"),
            start: None,
            finish: Some(parse("Quý I/2026").unwrap()),
            product: None,
            tt: None,
            reason: s("Kế hoạch sửa đổi"),
        },
        CommandKind::Assign => TaskCommand::Assign {
            lead: s("Sở Tài chính"),
            cooperating: vec![s("Sở Nội vụ")],
            reason: Some(s("Theo Quyết định 1234/QĐ-UBND")),
        },
        CommandKind::Start => start(),
        CommandKind::Pause => pause("Chờ ý kiến chỉ đạo của UBND tỉnh"),
        CommandKind::Resume => TaskCommand::Resume { note: None },
        CommandKind::ReportProgress => progress(Some(40), "Đã hoàn thành dự thảo lần 1"),
        CommandKind::SubmitReport => submit(None),
        CommandKind::Complete => complete(None),
        CommandKind::RequestExtension => request(None, date(2026, 2, 15)),
        CommandKind::Extend => extend(None, date(2026, 1, 20)),
        CommandKind::RejectExtension => {
            TaskCommand::RejectExtension { occurrence: None, reason: s("Không có căn cứ gia hạn") }
        }
        CommandKind::Cancel => cancel("Nhiệm vụ đã được lồng ghép vào Kế hoạch 200/KH-UBND"),
        CommandKind::Reopen => reopen("Theo chỉ đạo của Chủ tịch UBND tỉnh"),
        CommandKind::Comment => TaskCommand::Comment { text: s("Đã làm việc với Sở Tài chính") },
        CommandKind::RecordDelivery => TaskCommand::RecordDelivery { key: rkey(None, 3), message_id: Some(s("m-1")) },
        CommandKind::RecordFailure => {
            TaskCommand::RecordFailure { key: rkey(None, 3), attempt: 1, error: s("SMTP 451"), will_retry: true }
        }
        CommandKind::RequeueReminder => {
            TaskCommand::RequeueReminder { key: rkey(None, 3), reason: s("Đã sửa cấu hình SMTP") }
        }
        CommandKind::Acknowledge => {
            TaskCommand::Acknowledge { occurrence: None, key: Some(rkey(None, 3)), snooze_until: None }
        }
        CommandKind::ConfirmCompletion => TaskCommand::ConfirmCompletion { note: None },
        CommandKind::ReturnCompletion => TaskCommand::ReturnCompletion { reason: s("Thiếu số liệu") },
        CommandKind::RequestExplanation => {
            TaskCommand::RequestExplanation { by: date(2026, 1, 30), reason: s("Đề nghị giải trình") }
        }
        CommandKind::Explain => TaskCommand::Explain { text: s("Chờ số liệu") },
    }
}

/// A task due "Quý IV/2025" with a pending extension request, in `status`, built from
/// real commands.
fn in_status(status: TaskStatus) -> TaskState {
    let mut state = task(Some("Quý IV/2025"));
    run(&mut state, request(None, date(2026, 1, 15)));
    match status {
        TaskStatus::NotStarted => {}
        TaskStatus::InProgress => {
            run(&mut state, start());
        }
        TaskStatus::Paused => {
            run(&mut state, start());
            run(&mut state, pause("Chờ kinh phí"));
        }
        TaskStatus::Completed => {
            run(&mut state, start());
            run(&mut state, complete(None));
        }
        TaskStatus::Cancelled => {
            run(&mut state, start());
            run(&mut state, cancel("Không còn phù hợp"));
        }
    }
    assert_eq!(state.status, status);
    state
}

const STATUSES: [TaskStatus; 5] =
    [TaskStatus::NotStarted, TaskStatus::InProgress, TaskStatus::Paused, TaskStatus::Completed, TaskStatus::Cancelled];

#[test]
fn allowed_commands_by_status() {
    use CommandKind as K;
    const ALWAYS: [CommandKind; 6] =
        [K::Comment, K::RecordDelivery, K::RecordFailure, K::RequeueReminder, K::Acknowledge, K::Revise];
    const OPEN: [CommandKind; 9] = [
        K::Assign,
        K::ReportProgress,
        K::SubmitReport,
        K::Complete,
        K::RequestExtension,
        K::Extend,
        K::RejectExtension,
        K::Cancel,
        K::RequestExplanation,
    ];
    let table: [(TaskStatus, &[CommandKind], bool); 5] = [
        (TaskStatus::NotStarted, &[K::Start], true),
        (TaskStatus::InProgress, &[K::Pause], true),
        (TaskStatus::Paused, &[K::Resume], true),
        (TaskStatus::Completed, &[K::Reopen], false),
        (TaskStatus::Cancelled, &[K::Reopen], false),
    ];
    for (status, own, open) in table {
        let mut expected: Vec<CommandKind> = own.to_vec();
        if open {
            expected.extend(OPEN);
        }
        expected.extend(ALWAYS);
        expected.sort();
        assert_eq!(allowed_commands(&in_status(status)), expected, "{status:?}");
    }
}

#[test]
fn every_status_accepts_exactly_its_allowed_commands() {
    let task_name = format!("nhiệm vụ {CODE} (kế hoạch {PLAN})");
    for status in STATUSES {
        let state = in_status(status);
        let allowed = allowed_commands(&state);
        for kind in CommandKind::ALL {
            let result = decide(&state, &sample(kind), now());
            if kind == CommandKind::Define {
                assert!(matches!(result, Err(DomainError::AlreadyDefined { .. })), "{status:?}: {result:?}");
                continue;
            }
            if allowed.contains(&kind) {
                let events = result.unwrap_or_else(|e| panic!("{status:?} should accept {kind:?}: {e}"));
                assert!(!events.is_empty(), "{status:?} {kind:?}");
                continue;
            }
            let err = result.expect_err("refused");
            let DomainError::InvalidTransition { task, status: st, action, allowed: listed } = &err else {
                panic!("{status:?} {kind:?}: expected InvalidTransition, got {err:?}");
            };
            assert_eq!(*task, TaskKey::new(PLAN, CODE));
            assert_eq!(*st, status);
            assert_eq!(*action, kind);
            assert_eq!(*listed, allowed);
            let message = err.to_string();
            assert!(message.contains(&task_name), "{message}");
            assert!(message.contains(&format!("\"{}\"", status.label_vi())), "{message}");
            assert!(message.starts_with(&format!("không thể {}", kind.label_vi())), "{message}");
            let moves = message.split("các thao tác được phép: ").nth(1).expect("lists the allowed moves");
            let labels: Vec<&str> = allowed.iter().filter(|k| !k.is_internal()).map(|k| k.label_vi()).collect();
            assert_eq!(moves, labels.join(", "), "{message}");
        }
    }
}

#[test]
fn refusal_message_reads_naturally() {
    let err = refused(&in_status(TaskStatus::Completed), start());
    assert_eq!(
        err.to_string(),
        "không thể bắt đầu nhiệm vụ NV-07 (kế hoạch KH-125-UBND): trạng thái hiện tại là \"đã hoàn thành\"; \
         các thao tác được phép: điều chỉnh theo kế hoạch sửa đổi, mở lại, ghi chú, xác nhận đã nhận nhắc việc"
    );
}

// ---------------------------------------------------------------------------------------
// Status transitions
// ---------------------------------------------------------------------------------------

fn status_change(from: TaskStatus, to: TaskStatus, note: Option<&str>) -> TaskEvent {
    TaskEvent::StatusChanged { from, to, note: note.map(s), completed_on: None, evidence: None }
}

#[test]
fn start_pause_resume() {
    let mut state = task(Some("Quý IV/2025"));
    let events = run(&mut state, TaskCommand::Start { note: Some(s("Đã giao phòng Tổ chức")) });
    assert_eq!(
        events,
        vec![status_change(TaskStatus::NotStarted, TaskStatus::InProgress, Some("Đã giao phòng Tổ chức"))]
    );

    for blank in ["", "   "] {
        assert_eq!(invalid_field(&state, pause(blank)), "lý do");
    }
    let events = run(&mut state, pause("  Chờ kinh phí  "));
    assert_eq!(events, vec![status_change(TaskStatus::InProgress, TaskStatus::Paused, Some("Chờ kinh phí"))]);
    assert_eq!(state.status, TaskStatus::Paused);

    let events = run(&mut state, TaskCommand::Resume { note: None });
    assert_eq!(events, vec![status_change(TaskStatus::Paused, TaskStatus::InProgress, None)]);
    assert_eq!(state.status, TaskStatus::InProgress);
}

#[test]
fn complete_needs_evidence_and_a_date_not_in_the_future() {
    let mut state = task(Some("Quý IV/2025"));
    run(&mut state, start());
    let blank_evidence = [
        Evidence::default(),
        Evidence { document: Some(s("  ")), link: Some(s("")), note: Some(s("\n")), ..Evidence::default() },
    ];
    for ev in blank_evidence {
        assert_eq!(
            invalid_field(&state, TaskCommand::Complete { on: None, evidence: ev, confirmed: true }),
            "minh chứng hoàn thành"
        );
    }
    assert_eq!(invalid_field(&state, complete(Some(date(2025, 10, 16)))), "ngày hoàn thành");

    // Today, by default: the local date of now (already 1/10 in Việt Nam).
    let late_evening = "2025-09-30T18:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let events = decide(&state, &complete(None), late_evening).unwrap();
    assert_eq!(
        events,
        vec![TaskEvent::StatusChanged {
            from: TaskStatus::InProgress,
            to: TaskStatus::Completed,
            note: None,
            completed_on: Some(date(2025, 10, 1)),
            evidence: Some(evidence()),
        }]
    );
    // Today is not the future; an earlier date is stored as given.
    assert!(decide(&state, &complete(Some(date(2025, 10, 15))), now()).is_ok());
    run(&mut state, complete(Some(date(2025, 10, 10))));
    assert_eq!(state.status, TaskStatus::Completed);
    assert_eq!(state.completed_on, Some(date(2025, 10, 10)));
    assert_eq!(state.completion_evidence, Some(evidence()));
}

#[test]
fn complete_a_task_that_never_started() {
    let mut state = task(Some("Quý IV/2025"));
    let events = run(&mut state, complete(None));
    assert!(matches!(
        events.as_slice(),
        [TaskEvent::StatusChanged { from: TaskStatus::NotStarted, to: TaskStatus::Completed, .. }]
    ));
    assert_eq!(state.completed_on, Some(date(2025, 10, 15)));
}

#[test]
fn cancel_needs_a_reason_and_reopen_returns_to_the_status_before() {
    type Commands = &'static [fn() -> TaskCommand];
    let build: [(TaskStatus, Commands); 3] = [
        (TaskStatus::NotStarted, &[]),
        (TaskStatus::InProgress, &[start]),
        (TaskStatus::Paused, &[start, || pause("Chờ kinh phí")]),
    ];
    for (from, commands) in build {
        let mut state = task(Some("Quý IV/2025"));
        for c in commands {
            run(&mut state, c());
        }
        assert_eq!(invalid_field(&state, cancel(" ")), "lý do");
        let events = run(&mut state, cancel(" Trùng với nhiệm vụ NV-03 "));
        assert_eq!(events, vec![TaskEvent::TaskCancelled { from, reason: s("Trùng với nhiệm vụ NV-03") }]);
        assert_eq!(state.status, TaskStatus::Cancelled);
        assert_eq!(state.cancelled_from, Some(from));

        assert_eq!(invalid_field(&state, reopen("")), "lý do mở lại");
        let events = run(&mut state, reopen("Theo chỉ đạo của UBND tỉnh"));
        assert_eq!(
            events,
            vec![TaskEvent::TaskReopened {
                from: TaskStatus::Cancelled,
                to: from,
                reason: s("Theo chỉ đạo của UBND tỉnh")
            }]
        );
        assert_eq!(state.status, from, "reopened to the status it was cancelled from");
        assert_eq!(state.cancelled_from, None);
    }
}

#[test]
fn reopen_a_completed_task_clears_the_completion() {
    let mut state = task(Some("Quý IV/2025"));
    run(&mut state, start());
    run(&mut state, complete(Some(date(2025, 10, 10))));
    let events = run(&mut state, reopen("Báo cáo chưa đạt yêu cầu"));
    assert_eq!(
        events,
        vec![TaskEvent::TaskReopened {
            from: TaskStatus::Completed,
            to: TaskStatus::InProgress,
            reason: s("Báo cáo chưa đạt yêu cầu"),
        }]
    );
    assert_eq!(state.status, TaskStatus::InProgress);
    assert_eq!(state.completed_on, None);
    assert_eq!(state.completion_evidence, None);
}

// ---------------------------------------------------------------------------------------
// Progress and reports
// ---------------------------------------------------------------------------------------

#[test]
fn report_progress() {
    let mut state = task(Some("Quý IV/2025"));
    assert_eq!(invalid_field(&state, progress(Some(101), "Vượt")), "tỷ lệ hoàn thành");
    assert_eq!(invalid_field(&state, progress(Some(50), "  ")), "nội dung báo cáo");
    let with_occurrence =
        TaskCommand::ReportProgress { percent: None, note: s("Quý III"), occurrence: Some(s("2025-Q3")) };
    assert_eq!(invalid_field(&state, with_occurrence), "kỳ báo cáo");

    // On a task not started, the report starts it first.
    let events = run(&mut state, progress(Some(30), " Đã xây dựng dự thảo "));
    assert_eq!(
        events,
        vec![
            status_change(TaskStatus::NotStarted, TaskStatus::InProgress, None),
            TaskEvent::ProgressReported {
                percent: Some(30), note: s("Đã xây dựng dự thảo"), occurrence: None
            },
        ]
    );
    assert_eq!(state.status, TaskStatus::InProgress);
    assert_eq!(state.progress_percent, Some(30));

    let events = run(&mut state, progress(None, "Đang lấy ý kiến các sở"));
    assert_eq!(events.len(), 1, "no second start: {events:?}");
    assert_eq!(state.progress_percent, Some(30), "a report without a percentage keeps the last one");
    run(&mut state, progress(Some(100), "Đã trình UBND tỉnh"));
    assert_eq!(state.progress_percent, Some(100));

    // A paused task takes progress reports without being resumed.
    run(&mut state, pause("Chờ kinh phí"));
    let events = run(&mut state, progress(Some(100), "Chờ ký ban hành"));
    assert_eq!(events.len(), 1);
    assert_eq!(state.status, TaskStatus::Paused);
}

#[test]
fn submit_report_on_a_one_off_task() {
    let mut state = task(Some("Quý IV/2025"));
    assert_eq!(
        invalid_field(
            &state,
            TaskCommand::SubmitReport { occurrence: None, evidence: Evidence::default(), submitted_at: None }
        ),
        "minh chứng"
    );
    assert_eq!(invalid_field(&state, submit(Some("2025-Q4"))), "kỳ báo cáo");

    let events = run(&mut state, submit(None));
    assert_eq!(
        events,
        vec![
            status_change(TaskStatus::NotStarted, TaskStatus::InProgress, None),
            TaskEvent::ReportSubmitted { occurrence: None, evidence: evidence(), submitted_at: now() },
        ]
    );
    assert_eq!(state.main.submissions, 1);
    assert_eq!(state.main.first_submitted_at, Some(now()));
}

#[test]
fn submit_report_on_a_recurring_task() {
    let mut state = task(Some("Hằng quý"));
    assert!(state.is_recurring());
    assert_eq!(invalid_field(&state, submit(None)), "kỳ báo cáo");
    for bad in ["Quý III/2025", "2025-Q5", "2025-13", "quý 3", ""] {
        assert_eq!(invalid_field(&state, submit(Some(bad))), "kỳ báo cáo", "{bad:?}");
    }

    let first = at(2025, 9, 20, 10, 0);
    let events = run_at(&mut state, submit(Some("2025-Q3")), first);
    assert_eq!(events.len(), 2, "starts the task, then the submission: {events:?}");
    assert_eq!(
        events[1],
        TaskEvent::ReportSubmitted { occurrence: Some(s("2025-Q3")), evidence: evidence(), submitted_at: first }
    );

    // A correction: counted, but the first submission time stays.
    let correction = Evidence { link: Some(s("https://vbdh.khanhhoa.gov.vn/125")), ..Evidence::default() };
    let later = at(2025, 9, 29, 15, 30);
    let events = run_at(
        &mut state,
        TaskCommand::SubmitReport {
            occurrence: Some(s(" 2025-Q3 ")),
            evidence: correction.clone(),
            submitted_at: None,
        },
        later,
    );
    assert_eq!(events.len(), 1);
    let q3 = state.occurrence(Some("2025-Q3")).expect("Q3 recorded");
    assert_eq!(q3.submissions, 2);
    assert_eq!(q3.first_submitted_at, Some(first));
    assert_eq!(q3.last_evidence, Some(correction));
    assert_eq!(state.main.submissions, 0);

    // Keys are normalised to the report that covers the period: month 9 ends Q3.
    let events = run(&mut state, submit(Some("2025-9")));
    assert!(
        matches!(&events[..], [TaskEvent::ReportSubmitted { occurrence: Some(k), .. }] if k == "2025-Q3"),
        "{events:?}"
    );
    assert_eq!(invalid_field(&state, submit(Some("2025-08"))), "kỳ báo cáo", "August ends no quarter");
}

#[test]
fn occurrence_keys_name_the_report_of_the_schedule() {
    let state = task(Some("Quý, 6 tháng, 9 tháng, năm"));
    let key = |k: &str| match &decide(&state, &submit(Some(k)), now()).unwrap()[..] {
        [_, TaskEvent::ReportSubmitted { occurrence: Some(o), .. }] => o.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(key("2025-Q1"), "2025-Q1");
    assert_eq!(key("2025-Q2"), "2025-H1", "the Q2 report is the 6-month one");
    assert_eq!(key("2025-Q3"), "2025-9M", "the Q3 report is the 9-month one");
    assert_eq!(key("2025-Q4"), "2025", "the Q4 report is the annual one");
    assert_eq!(key("2025"), "2025");
}

#[test]
fn a_report_sent_earlier_keeps_its_time() {
    let mut state = task(Some("Hằng quý"));
    let sent = at(2025, 9, 20, 10, 0);
    let cmd =
        |t| TaskCommand::SubmitReport { occurrence: Some(s("2025-Q3")), evidence: evidence(), submitted_at: Some(t) };
    let events = run_at(&mut state, cmd(sent), at(2025, 10, 2, 9, 0));
    assert!(matches!(&events[..], [_, TaskEvent::ReportSubmitted { submitted_at, .. }] if *submitted_at == sent));
    assert_eq!(state.occurrence(Some("2025-Q3")).unwrap().first_submitted_at, Some(sent));
    // Not in the future.
    let future = cmd(at(2025, 12, 1, 9, 0));
    assert_eq!(invalid_field(&state, future), "thời điểm nộp");
}

// ---------------------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------------------

#[test]
fn extensions_must_move_the_deadline_later() {
    // "Quý IV/2025": due 31/12/2025.
    let mut state = task(Some("Quý IV/2025"));
    run(&mut state, start());
    for (to, ok) in [(date(2025, 12, 30), false), (date(2025, 12, 31), false), (date(2026, 1, 1), true)] {
        let accepted = decide(&state, &extend(None, to), now()).is_ok();
        assert_eq!(accepted, ok, "extend to {to}");
        let accepted = decide(&state, &request(None, to), now()).is_ok();
        assert_eq!(accepted, ok, "request {to}");
    }
    assert_eq!(invalid_field(&state, extend(None, date(2025, 11, 30))), "hạn mới");
    assert_eq!(invalid_field(&state, request(None, date(2025, 11, 30))), "hạn đề nghị");
    let no_reason = TaskCommand::Extend { occurrence: None, to: date(2026, 1, 15), to_text: None, reason: s(" ") };
    assert_eq!(invalid_field(&state, no_reason), "lý do");
    assert_eq!(invalid_field(&state, extend(Some("2025-Q4"), date(2026, 1, 15))), "kỳ báo cáo");

    let events = run(&mut state, extend(None, date(2026, 1, 15)));
    assert_eq!(
        events,
        vec![TaskEvent::DeadlineExtended {
            occurrence: None,
            previous_due: None,
            new_due: date(2026, 1, 15),
            new_text: None,
            reason: s("Chờ ý kiến Bộ Nội vụ"),
        }]
    );
    assert_eq!(state.main.extended_due, Some(date(2026, 1, 15)));
    assert_eq!(state.finish, Some(pt("Quý IV/2025")), "the plan's deadline stays in the definition");

    // Now the extension is the deadline to beat.
    assert_eq!(invalid_field(&state, extend(None, date(2026, 1, 10))), "hạn mới");
    assert_eq!(invalid_field(&state, extend(None, date(2026, 1, 15))), "hạn mới");
    assert_eq!(invalid_field(&state, request(None, date(2026, 1, 15))), "hạn đề nghị");
    let events = run(&mut state, extend(None, date(2026, 1, 31)));
    assert!(
        matches!(
            &events[..],
            [TaskEvent::DeadlineExtended { previous_due: Some(p), new_due, .. }]
                if *p == date(2026, 1, 15) && *new_due == date(2026, 1, 31)
        ),
        "{events:?}"
    );
    assert_eq!(state.main.extended_due, Some(date(2026, 1, 31)));
}

#[test]
fn request_then_extend_or_reject() {
    let mut state = task(Some("Tháng 9/2025"));
    let reject = |reason: &str| TaskCommand::RejectExtension { occurrence: None, reason: s(reason) };
    assert_eq!(invalid_field(&state, reject("Không có căn cứ")), "đề nghị gia hạn");

    let events = run(&mut state, request(None, date(2025, 10, 15)));
    assert_eq!(
        events,
        vec![TaskEvent::DeadlineExtensionRequested {
            occurrence: None,
            requested_due: date(2025, 10, 15),
            requested_text: Some(s("15/10/2025")),
            reason: s("Chờ hướng dẫn của Trung ương"),
        }]
    );
    assert_eq!(state.main.pending_extension, Some((date(2025, 10, 15), s("Chờ hướng dẫn của Trung ương"))));
    assert_eq!(state.status, TaskStatus::NotStarted, "a request does not start the task");

    assert_eq!(invalid_field(&state, reject("  ")), "lý do");
    let events = run(&mut state, reject("Không có căn cứ"));
    assert_eq!(events, vec![TaskEvent::DeadlineExtensionRejected { occurrence: None, reason: s("Không có căn cứ") }]);
    assert_eq!(state.main.pending_extension, None);
    assert_eq!(state.main.extended_due, None);
    assert_eq!(invalid_field(&state, reject("Lần hai")), "đề nghị gia hạn");

    // Granting a request clears it too.
    run(&mut state, request(None, date(2025, 10, 15)));
    run(&mut state, extend(None, date(2025, 10, 15)));
    assert_eq!(state.main.pending_extension, None);
    assert_eq!(state.main.extended_due, Some(date(2025, 10, 15)));
}

#[test]
fn tasks_without_a_deadline_cannot_be_extended() {
    for text in ["Thường xuyên", "Theo yêu cầu của Văn phòng Chính phủ", "Khi có yêu cầu"] {
        let state = task(Some(text));
        assert_eq!(invalid_field(&state, extend(None, date(2026, 1, 15))), "hạn mới", "{text}");
        assert_eq!(invalid_field(&state, request(None, date(2026, 1, 15))), "hạn đề nghị", "{text}");
    }
}

#[test]
fn extend_an_occurrence_of_a_recurring_task() {
    let mut state = task(Some("Hằng quý"));
    assert_eq!(invalid_field(&state, extend(None, date(2025, 10, 10))), "kỳ báo cáo");
    let events = run(&mut state, extend(Some("2025-Q3"), date(2025, 10, 10)));
    assert!(
        matches!(&events[..], [TaskEvent::DeadlineExtended { occurrence: Some(k), previous_due: None, .. }] if k == "2025-Q3"),
        "{events:?}"
    );
    assert_eq!(state.occurrence(Some("2025-Q3")).and_then(|o| o.extended_due), Some(date(2025, 10, 10)));
    assert_eq!(state.main.extended_due, None);
    // Later extensions of that occurrence must beat the last one; other occurrences are free.
    assert_eq!(invalid_field(&state, extend(Some("2025-Q3"), date(2025, 10, 10))), "hạn mới");
    assert!(decide(&state, &extend(Some("2025-Q2"), date(2025, 7, 10)), now()).is_ok());
}

// ---------------------------------------------------------------------------------------
// Assignment, comments, reminders
// ---------------------------------------------------------------------------------------

#[test]
fn assign_is_idempotent_and_records_what_changed() {
    let mut state = TaskState::default();
    run(&mut state, define_with("", Some("Quý IV/2025")));
    let assign = |lead: &str, cooperating: &[&str]| TaskCommand::Assign {
        lead: s(lead),
        cooperating: cooperating.iter().map(|c| s(c)).collect(),
        reason: Some(s("Quyết định 1234/QĐ-UBND")),
    };
    assert_eq!(invalid_field(&state, assign("  ", &[])), "cơ quan chủ trì");

    // The first lead of a task that had none.
    let events = run(&mut state, assign(" Sở Nội vụ ", &["Sở Tài chính", " Sở Tài chính"]));
    assert_eq!(
        events,
        vec![TaskEvent::TaskAssigned {
            lead: s("Sở Nội vụ"),
            cooperating: vec![s("Sở Tài chính")],
            reason: Some(s("Quyết định 1234/QĐ-UBND")),
        }]
    );
    assert_eq!(state.lead, "Sở Nội vụ");

    // The same assignment again, written differently: nothing happens.
    assert_eq!(run(&mut state, assign("Sở Nội vụ", &["Sở Tài chính ", ""])), vec![]);
    let revision = state.events;

    // A change: reassigned, with what it was.
    let events = run(&mut state, assign("Sở Tài chính", &["Sở Nội vụ", "Kho bạc Nhà nước tỉnh"]));
    assert_eq!(
        events,
        vec![TaskEvent::TaskReassigned {
            from_lead: s("Sở Nội vụ"),
            from_cooperating: vec![s("Sở Tài chính")],
            lead: s("Sở Tài chính"),
            cooperating: vec![s("Sở Nội vụ"), s("Kho bạc Nhà nước tỉnh")],
            reason: Some(s("Quyết định 1234/QĐ-UBND")),
        }]
    );
    assert_eq!(state.events, revision + 1);
    assert_eq!(state.cooperating, vec![s("Sở Nội vụ"), s("Kho bạc Nhà nước tỉnh")]);

    // Only the cooperating agencies change: still a reassignment.
    let events = run(&mut state, assign("Sở Tài chính", &[]));
    assert!(matches!(&events[..], [TaskEvent::TaskReassigned { from_lead, lead, cooperating, .. }]
        if from_lead == lead && cooperating.is_empty()));
}

#[test]
fn a_task_defined_with_a_lead_is_reassigned_not_assigned() {
    let mut state = task(Some("Quý IV/2025"));
    let events = run(&mut state, TaskCommand::Assign { lead: s("Sở Tư pháp"), cooperating: vec![], reason: None });
    assert!(matches!(&events[..], [TaskEvent::TaskReassigned { from_lead, .. }] if from_lead == "Sở Nội vụ"));
}

#[test]
fn comments() {
    let mut state = in_status(TaskStatus::Completed);
    assert_eq!(invalid_field(&state, TaskCommand::Comment { text: s(" \t") }), "nội dung");
    let events = run(&mut state, TaskCommand::Comment { text: s("  Đã lưu hồ sơ  ") });
    assert_eq!(events, vec![TaskEvent::CommentAdded { text: s("Đã lưu hồ sơ") }]);
    run(&mut state, TaskCommand::Comment { text: s("Lần hai") });
    assert_eq!(state.comments, 2);
}

#[test]
fn reminder_deliveries_are_recorded_once() {
    let mut state = task(Some("Hằng quý"));
    let key = rkey(Some("2025-Q4"), 3);
    let deliver =
        |key: &ReminderKey| TaskCommand::RecordDelivery { key: key.clone(), message_id: Some(s("<a1@mail>")) };
    let events = run(&mut state, deliver(&key));
    assert_eq!(
        events,
        vec![TaskEvent::ReminderDelivered { key: key.clone(), sent_at: now(), message_id: Some(s("<a1@mail>")) }]
    );
    assert!(state.delivered.contains(&key.to_string()));
    assert_eq!(run(&mut state, deliver(&key)), vec![], "the same key again: nothing");

    // Another offset, channel or occurrence is another message.
    let other = ReminderKey { channel: Channel::Zalo, ..key.clone() };
    assert_eq!(run(&mut state, deliver(&other)).len(), 1);
    assert_eq!(state.delivered.len(), 2);

    // Keys of another task are refused.
    for foreign in
        [ReminderKey { code: s("NV-08"), ..key.clone() }, ReminderKey { plan: s("KH-126-UBND"), ..key.clone() }]
    {
        assert_eq!(invalid_field(&state, deliver(&foreign)), "khóa nhắc việc");
        let failure = TaskCommand::RecordFailure { key: foreign, attempt: 1, error: s("x"), will_retry: false };
        assert_eq!(invalid_field(&state, failure), "khóa nhắc việc");
    }
}

#[test]
fn reminder_failures_are_recorded_every_time() {
    let mut state = in_status(TaskStatus::Cancelled);
    let failure = |attempt| TaskCommand::RecordFailure {
        key: rkey(None, -2),
        attempt,
        error: s("Zalo OA: access token hết hạn"),
        will_retry: attempt < 3,
    };
    for attempt in 1..=3 {
        let events = run(&mut state, failure(attempt));
        assert_eq!(
            events,
            vec![TaskEvent::ReminderFailed {
                key: rkey(None, -2),
                attempt,
                error: s("Zalo OA: access token hết hạn"),
                will_retry: attempt < 3,
            }]
        );
    }
    assert!(state.delivered.is_empty());
}

#[test]
fn acknowledge_and_snooze() {
    let mut state = task(Some("Hằng quý"));
    let ack = |snooze: Option<DateTime<Utc>>| TaskCommand::Acknowledge {
        occurrence: Some(s("2025-Q4")),
        key: Some(rkey(Some("2025-Q4"), 3)),
        snooze_until: snooze,
    };
    assert_eq!(invalid_field(&state, ack(Some(now() - chrono::Duration::hours(1)))), "hoãn nhắc đến");
    assert_eq!(invalid_field(&state, ack(Some(now()))), "hoãn nhắc đến");

    let until = at(2025, 10, 17, 8, 0);
    let events = run(&mut state, ack(Some(until)));
    assert_eq!(
        events,
        vec![TaskEvent::ReminderAcknowledged {
            acknowledged_at: now(),
            occurrence: Some(s("2025-Q4")),
            key: Some(rkey(Some("2025-Q4"), 3)),
            snooze_until: Some(until),
        }]
    );
    let q4 = state.occurrence(Some("2025-Q4")).unwrap();
    assert_eq!(q4.acknowledged_at, Some(now()));
    assert_eq!(q4.snoozed_until, Some(until));

    // A later acknowledgement without a snooze keeps the first time and the snooze.
    run_at(&mut state, ack(None), at(2025, 10, 16, 8, 0));
    let q4 = state.occurrence(Some("2025-Q4")).unwrap();
    assert_eq!(q4.acknowledged_at, Some(now()));
    assert_eq!(q4.snoozed_until, Some(until));
    assert_eq!(state.status, TaskStatus::NotStarted, "acknowledging does not start the task");
}

#[test]
fn acknowledge_checks_the_occurrence_and_the_key() {
    let recurring = task(Some("Hằng quý"));
    let ack = |occurrence: Option<&str>, key: Option<ReminderKey>| TaskCommand::Acknowledge {
        occurrence: occurrence.map(s),
        key,
        snooze_until: None,
    };
    // Keys are normalised as everywhere else, so the acknowledgement lands on the occurrence.
    let events = decide(&recurring, &ack(Some("2025-9"), None), now()).unwrap();
    assert!(
        matches!(&events[..], [TaskEvent::ReminderAcknowledged { occurrence: Some(k), .. }] if k == "2025-Q3"),
        "{events:?}"
    );
    assert_eq!(invalid_field(&recurring, ack(Some("quý 4"), None)), "kỳ báo cáo");
    let foreign = ReminderKey { code: s("NV-08"), ..rkey(Some("2025-Q4"), 3) };
    assert_eq!(invalid_field(&recurring, ack(None, Some(foreign))), "khóa nhắc việc");

    let one_off = task(Some("Quý IV/2025"));
    assert_eq!(invalid_field(&one_off, ack(Some("2025-Q4"), None)), "kỳ báo cáo");
    assert!(decide(&one_off, &ack(None, Some(rkey(None, 0))), now()).is_ok());
}

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

#[test]
fn a_full_history_replays_to_the_same_state() {
    let mut state = TaskState::default();
    let mut log = Vec::new();
    let commands = [
        define(Some("Hằng quý")),
        submit(Some("2025-Q1")),
        extend(Some("2025-Q2"), date(2025, 7, 10)),
        submit(Some("2025-Q2")),
        pause("Chờ kinh phí"),
        TaskCommand::Resume { note: None },
        TaskCommand::RecordDelivery { key: rkey(Some("2025-Q3"), 3), message_id: None },
        TaskCommand::Acknowledge {
            occurrence: Some(s("2025-Q3")),
            key: None,
            snooze_until: Some(at(2025, 10, 20, 8, 0)),
        },
        TaskCommand::Comment { text: s("Đã nhắc qua điện thoại") },
        complete(None),
        reopen("Thiếu phụ lục"),
        cancel("Gộp vào nhiệm vụ NV-09"),
    ];
    for c in commands {
        log.extend(run(&mut state, c));
    }
    assert_eq!(state.events, log.len() as u64);
    assert_eq!(TaskState::from_events(&log), state);
    assert_eq!(state.status, TaskStatus::Cancelled);
    assert_eq!(state.cancelled_from, Some(TaskStatus::InProgress));
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(s("   ")),
        Just(s("Chờ ý kiến")),
        Just(s("  Sở Nội vụ ")),
        Just(s("Sở Tài chính")),
        "\\PC{0,12}",
    ]
}

fn arb_occurrence() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(s("2025-Q3"))),
        Just(Some(s("2025-Q4"))),
        Just(Some(s("2025-9"))),
        Just(Some(s("2025-H1"))),
        Just(Some(s("quý 3"))),
        Just(Some(s("2025-13"))),
        "[0-9QHWM-]{0,8}".prop_map(Some),
    ]
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..900).prop_map(|d| date(2025, 1, 1) + chrono::Days::new(d))
}

fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..(900 * 24 * 60)).prop_map(|m| at(2025, 1, 1, 0, 0) + chrono::Duration::minutes(m))
}

fn arb_evidence() -> impl Strategy<Value = Evidence> {
    prop_oneof![
        Just(Evidence::default()),
        Just(Evidence { note: Some(s("  ")), ..Evidence::default() }),
        Just(evidence()),
        arb_text().prop_map(|t| Evidence { link: Some(t), ..Evidence::default() }),
    ]
}

fn arb_key() -> impl Strategy<Value = ReminderKey> {
    (
        prop_oneof![Just(s(PLAN)), Just(s("KH-126-UBND"))],
        prop_oneof![Just(s(CODE)), Just(s("NV-08"))],
        arb_occurrence(),
        prop_oneof![
            Just(Milestone::Start),
            Just(Milestone::Due),
            Just(Milestone::Overdue),
            Just(Milestone::Escalation)
        ],
        -3i32..4,
        prop_oneof![Just(Channel::Email), Just(Channel::Telegram), Just(Channel::Zalo)],
    )
        .prop_map(|(plan, code, occurrence, milestone, offset, channel)| ReminderKey {
            plan,
            code,
            occurrence,
            milestone,
            offset,
            recipient: s("vanthu@snv.khanhhoa.gov.vn"),
            channel,
        })
}

fn arb_time() -> impl Strategy<Value = Option<ParsedTime>> {
    prop_oneof![
        Just(None),
        Just(Some(pt("Quý IV/2025"))),
        Just(Some(pt("Tháng 9/2025"))),
        Just(Some(pt("Trước ngày 15/12/2025"))),
        Just(Some(pt("2022 - 2030"))),
        Just(Some(pt("Hằng quý"))),
        Just(Some(pt("Quý, 6 tháng, 9 tháng, năm"))),
        Just(Some(pt("Thường xuyên"))),
        Just(Some(pt("Theo yêu cầu của Văn phòng Chính phủ"))),
    ]
}

fn arb_command() -> impl Strategy<Value = TaskCommand> {
    prop_oneof![
        (
            prop_oneof![Just(s(PLAN)), Just(s(" KH-126-UBND ")), Just(s("125/KH")), Just(String::new())],
            prop_oneof![Just(s(CODE)), Just(s("NV 07")), Just(s("NV-08"))],
            arb_text(),
            arb_text(),
            prop::collection::vec(arb_text(), 0..4),
            arb_time(),
            arb_time(),
            prop::option::of(arb_date()),
        )
            .prop_map(|(plan, code, title, lead, cooperating, start, finish, tracked_from)| {
                TaskCommand::Define {
                    plan,
                    code,
                    title,
                    lead,
                    cooperating,
                    start,
                    finish,
                    product: None,
                    tracked_from,
                    tt: None,
                    group: None,
                }
            }),
        (arb_text(), prop::collection::vec(arb_text(), 0..3), prop::option::of(arb_text()))
            .prop_map(|(lead, cooperating, reason)| TaskCommand::Assign { lead, cooperating, reason }),
        prop::option::of(arb_text()).prop_map(|note| TaskCommand::Start { note }),
        arb_text().prop_map(|reason| TaskCommand::Pause { reason }),
        prop::option::of(arb_text()).prop_map(|note| TaskCommand::Resume { note }),
        (prop::option::of(0u8..=120), arb_text(), arb_occurrence())
            .prop_map(|(percent, note, occurrence)| TaskCommand::ReportProgress { percent, note, occurrence }),
        (arb_occurrence(), arb_evidence()).prop_map(|(occurrence, evidence)| TaskCommand::SubmitReport {
            occurrence,
            evidence,
            submitted_at: None
        }),
        (prop::option::of(arb_date()), arb_evidence()).prop_map(|(on, evidence)| TaskCommand::Complete {
            on,
            evidence,
            confirmed: true
        }),
        (arb_occurrence(), arb_date(), arb_text()).prop_map(|(occurrence, to, reason)| {
            TaskCommand::RequestExtension { occurrence, to, to_text: None, reason }
        }),
        (arb_occurrence(), arb_date(), arb_text()).prop_map(|(occurrence, to, reason)| TaskCommand::Extend {
            occurrence,
            to,
            to_text: None,
            reason
        }),
        (arb_occurrence(), arb_text())
            .prop_map(|(occurrence, reason)| TaskCommand::RejectExtension { occurrence, reason }),
        arb_text().prop_map(|reason| TaskCommand::Cancel { reason }),
        arb_text().prop_map(|reason| TaskCommand::Reopen { reason }),
        arb_text().prop_map(|text| TaskCommand::Comment { text }),
        (arb_key(), prop::option::of(arb_text()))
            .prop_map(|(key, message_id)| TaskCommand::RecordDelivery { key, message_id }),
        (arb_key(), 0u32..5, arb_text(), any::<bool>()).prop_map(|(key, attempt, error, will_retry)| {
            TaskCommand::RecordFailure { key, attempt, error, will_retry }
        }),
        (arb_occurrence(), prop::option::of(arb_key()), prop::option::of(arb_instant()))
            .prop_map(|(occurrence, key, snooze_until)| TaskCommand::Acknowledge { occurrence, key, snooze_until }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_histories_replay_identically(
        first in prop::option::weighted(0.9, arb_time()),
        commands in prop::collection::vec((arb_command(), arb_instant()), 0..40),
    ) {
        let mut state = TaskState::default();
        let mut log: Vec<TaskEvent> = Vec::new();
        let mut sequence = commands;
        if let Some(finish) = first {
            // Most histories begin with a valid definition, so that later commands get further.
            let mut definition = define(None);
            if let TaskCommand::Define { finish: f, .. } = &mut definition {
                *f = finish;
            }
            sequence.insert(0, (definition, now()));
        }
        for (command, at) in &sequence {
            let before = state.clone();
            match decide(&state, command, *at) {
                Ok(events) => {
                    for e in &events {
                        state.apply(e);
                    }
                    log.extend(events);
                }
                Err(err) => {
                    // A refusal names the task and leaves nothing behind.
                    prop_assert!(!err.to_string().is_empty());
                    if let DomainError::InvalidTransition { allowed, action, .. } = &err {
                        prop_assert_eq!(allowed, &allowed_commands(&state));
                        prop_assert!(!allowed.contains(action));
                    }
                }
            }
            prop_assert!(state.events >= before.events);
            prop_assert_eq!(state.defined, log.first().is_some_and(|e| matches!(e, TaskEvent::TaskDefined { .. })));
            if state.status != TaskStatus::Completed {
                prop_assert_eq!(state.completed_on, None);
            }
            prop_assert_eq!(state.cancelled_from.is_some(), state.status == TaskStatus::Cancelled);
        }
        prop_assert_eq!(state.events, log.len() as u64);
        prop_assert_eq!(log.iter().filter(|e| matches!(e, TaskEvent::TaskDefined { .. })).count(), usize::from(state.defined));
        prop_assert_eq!(TaskState::from_events(&log), state);
    }
}

#[test]
fn a_revised_plan_changes_only_what_changed() {
    let mut state = task(Some("Quý IV/2025"));
    let (start, product) = (state.start.clone(), state.product.clone());
    let revise = |title: &str, finish: &str| TaskCommand::Revise {
        title: s(title),
        start: start.clone(),
        finish: Some(parse(finish).unwrap()),
        product: product.clone(),
        tt: None,
        reason: s("Kế hoạch sửa đổi 140/KH-UBND"),
    };
    let same_title = state.title.clone();
    // Nothing changed: no event (re-importing the same plan appends nothing).
    assert!(run(&mut state, revise(&same_title, "Quý IV/2025")).is_empty());
    let events = run(&mut state, revise(&same_title, "Quý I/2026"));
    match &events[..] {
        [TaskEvent::TaskRevised { title: None, start: None, finish: Some(Some(f)), product: None, .. }] => {
            assert_eq!(f.input, "Quý I/2026")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(state.finish.as_ref().unwrap().input, "Quý I/2026");
    assert_eq!(state.title, same_title);
}

// ---------------------------------------------------------------------------------------
// The tracking office's own workflows
// ---------------------------------------------------------------------------------------

#[test]
fn an_officers_completion_waits_for_the_secretariat() {
    // Reported by an officer: completed, on the reported day, awaiting confirmation.
    let mut state = task(Some("Quý IV/2025"));
    run(&mut state, start());
    let reported = TaskCommand::Complete { on: Some(date(2025, 10, 10)), evidence: evidence(), confirmed: false };
    let events = run(&mut state, reported.clone());
    assert!(matches!(
        events.as_slice(),
        [TaskEvent::StatusChanged { .. }, TaskEvent::CompletionAwaitingConfirmation {}]
    ));
    assert_eq!((state.status, state.completion_pending), (TaskStatus::Completed, true));
    let allowed = allowed_commands(&state);
    assert!(allowed.contains(&CommandKind::ConfirmCompletion) && allowed.contains(&CommandKind::ReturnCompletion));

    // Confirmed: the completion date stays the reported one.
    let mut confirmed = state.clone();
    run(&mut confirmed, TaskCommand::ConfirmCompletion { note: Some(s("Đã đối chiếu")) });
    assert_eq!((confirmed.completion_pending, confirmed.completed_on), (false, Some(date(2025, 10, 10))));
    assert!(!allowed_commands(&confirmed).contains(&CommandKind::ConfirmCompletion), "confirmed once");

    // Returned: open again, without the completion.
    let mut returned = state.clone();
    run(&mut returned, TaskCommand::ReturnCompletion { reason: s("Thiếu số liệu 3 huyện") });
    assert_eq!(
        (returned.status, returned.completed_on, returned.completion_pending),
        (TaskStatus::InProgress, None, false)
    );
    assert!(refused(&returned, TaskCommand::ReturnCompletion { reason: s("x") }).to_string().contains("trả lại"));

    // The secretariat's own completion needs no confirmation.
    let mut direct = task(Some("Quý IV/2025"));
    run(&mut direct, TaskCommand::Complete { on: None, evidence: evidence(), confirmed: true });
    assert!(!direct.completion_pending);
    assert!(!allowed_commands(&direct).contains(&CommandKind::ConfirmCompletion));
}

#[test]
fn explanations_are_asked_by_a_day_and_answered() {
    let mut state = task(Some("Quý III/2025"));
    assert!(!allowed_commands(&state).contains(&CommandKind::Explain), "nothing asked yet");
    let asked =
        TaskCommand::RequestExplanation { by: date(2026, 1, 10), reason: s("Quá hạn, đề nghị giải trình") };
    run(&mut state, asked);
    let e = state.explanation.clone().unwrap();
    assert_eq!(
        (e.requested_on, e.due, e.answer.is_none()),
        (dondoc_core::calendar::local_date(now()), date(2026, 1, 10), true)
    );
    assert!(!e.late(date(2026, 1, 10)) && e.late(date(2026, 1, 11)), "missing after its day");
    run(&mut state, TaskCommand::Explain { text: s("Chờ số liệu của Cục Thống kê") });
    let e = state.explanation.clone().unwrap();
    assert_eq!(e.answer.as_ref().map(|(_, t)| t.as_str()), Some("Chờ số liệu của Cục Thống kê"));
    assert!(!e.late(date(2026, 3, 1)), "answered in time stays in time");
    let past = TaskCommand::RequestExplanation { by: date(2020, 1, 1), reason: s("x") };
    assert!(matches!(refused(&state, past), DomainError::InvalidInput { field: "hạn giải trình", .. }));
}

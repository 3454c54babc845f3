//! Events are versioned facts: every stored shape must keep loading.
//!
//! `tests/fixtures/events/v1/<EventType>.json` holds one event of each type as written by
//! schema version 1. The files are golden: they were written once and are never
//! regenerated. If a change breaks one of these tests, the change breaks stored data:
//! teach `TaskEvent::decode` the old shape (and bump `SCHEMA_VERSION`) instead of editing
//! the file.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use dondoc_core::event::{
    Channel, EventDecodeError, EventMeta, Evidence, Milestone, ReminderKey, SCHEMA_VERSION, Source, TaskEvent, TaskKey,
    TaskStatus,
};
use dondoc_core::period::Period;
use dondoc_core::timeexpr::{Cadence, ParsedTime, Recurrence, TimeExpr};
use dondoc_testkit::time::{date, s};
use serde_json::{Value, json};
use unicode_normalization::is_nfc;
use uuid::Uuid;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().expect("RFC 3339 instant")
}

fn key() -> ReminderKey {
    ReminderKey {
        plan: s("KH-125-UBND"),
        code: s("NV-07"),
        occurrence: Some(s("2025-Q3")),
        milestone: Milestone::Due,
        offset: 3,
        recipient: s("vanthu@snv.khanhhoa.gov.vn"),
        channel: Channel::Email,
    }
}

/// The position of a variant. No wildcard arm: a new variant does not compile until it is
/// listed here, and then [`samples`] and the fixtures must follow.
fn variant_index(event: &TaskEvent) -> usize {
    match event {
        TaskEvent::TaskDefined { .. } => 0,
        TaskEvent::TaskAssigned { .. } => 1,
        TaskEvent::TaskReassigned { .. } => 2,
        TaskEvent::StatusChanged { .. } => 3,
        TaskEvent::ProgressReported { .. } => 4,
        TaskEvent::ReportSubmitted { .. } => 5,
        TaskEvent::DeadlineExtensionRequested { .. } => 6,
        TaskEvent::DeadlineExtended { .. } => 7,
        TaskEvent::DeadlineExtensionRejected { .. } => 8,
        TaskEvent::TaskCancelled { .. } => 9,
        TaskEvent::TaskReopened { .. } => 10,
        TaskEvent::CommentAdded { .. } => 11,
        TaskEvent::ReminderDelivered { .. } => 12,
        TaskEvent::ReminderFailed { .. } => 13,
        TaskEvent::ReminderAcknowledged { .. } => 14,
        TaskEvent::TaskRevised { .. } => 15,
        TaskEvent::ReminderRequeued { .. } => 16,
        TaskEvent::CompletionAwaitingConfirmation { .. } => 17,
        TaskEvent::CompletionConfirmed { .. } => 18,
        TaskEvent::CompletionReturned { .. } => 19,
        TaskEvent::ExplanationRequested { .. } => 20,
        TaskEvent::ExplanationGiven { .. } => 21,
    }
}

const VARIANTS: usize = 22;

/// One event of every type, with the content of its golden file.
fn samples() -> Vec<TaskEvent> {
    vec![
        TaskEvent::TaskDefined {
            plan: s("KH-125-UBND"),
            code: s("NV-07"),
            title: s("Báo cáo kết quả thực hiện Đề án sắp xếp, tổ chức lại các đơn vị sự nghiệp công lập"),
            lead: s("Sở Nội vụ"),
            cooperating: vec![s("Sở Tài chính"), s("Các sở, ban, ngành"), s("UBND các huyện, thị xã, thành phố")],
            // Built by hand, not parsed: the golden file pins the stored shape, not the parser.
            start: Some(ParsedTime {
                input: s("2025 - 2030"),
                expr: TimeExpr::Range { from: Period::Year { year: 2025 }, to: Period::Year { year: 2030 } },
                notes: vec![],
            }),
            finish: Some(ParsedTime {
                input: s("Quý, 6 tháng, 9 tháng, năm (khi có phát sinh)"),
                expr: TimeExpr::Recurring {
                    recurrence: Recurrence {
                        cadences: BTreeSet::from([
                            Cadence::Quarterly,
                            Cadence::HalfYearly,
                            Cadence::NineMonthly,
                            Cadence::Yearly,
                        ]),
                        months: None,
                        day_of_year: None,
                        ad_hoc: false,
                        at_least_every_years: None,
                    },
                },
                notes: vec![s("khi có phát sinh")],
            }),
            product: Some(s("Báo cáo của Sở Nội vụ gửi UBND tỉnh")),
            tracked_from: date(2025, 9, 15),
            tt: None,
            group: None,
        },
        TaskEvent::TaskAssigned {
            lead: s("Sở Khoa học và Công nghệ"),
            cooperating: vec![s("Sở Thông tin và Truyền thông")],
            reason: Some(s("Theo Quyết định số 1234/QĐ-UBND ngày 12/9/2025 của UBND tỉnh")),
        },
        TaskEvent::TaskReassigned {
            from_lead: s("Sở Khoa học và Công nghệ"),
            from_cooperating: vec![s("Sở Thông tin và Truyền thông")],
            lead: s("Sở Khoa học và Công nghệ"),
            cooperating: vec![s("Công an tỉnh")],
            reason: Some(s("Sáp nhập Sở Thông tin và Truyền thông vào Sở Khoa học và Công nghệ")),
        },
        TaskEvent::StatusChanged {
            from: TaskStatus::InProgress,
            to: TaskStatus::Completed,
            note: Some(s("Đã ban hành Quyết định phê duyệt Đề án")),
            completed_on: Some(date(2025, 12, 29)),
            evidence: Some(Evidence {
                document: Some(s("2345/QĐ-UBND")),
                link: Some(s("https://vbdh.khanhhoa.gov.vn/van-ban/2345-qd-ubnd")),
                file_sha256: Some(s("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")),
                note: Some(s("Bản ký số")),
                // An event from before files had names, sizes and types: still loads.
                ..Evidence::default()
            }),
        },
        TaskEvent::ProgressReported {
            percent: Some(60),
            note: s("Đã lấy ý kiến các sở, ngành; đang tổng hợp, tiếp thu"),
            occurrence: Some(s("2025-Q3")),
        },
        TaskEvent::ReportSubmitted {
            occurrence: Some(s("2025-Q3")),
            evidence: Evidence { document: Some(s("125/BC-SNV")), ..Evidence::default() },
            submitted_at: instant("2025-09-24T08:15:00Z"),
        },
        TaskEvent::DeadlineExtensionRequested {
            occurrence: None,
            requested_due: date(2026, 3, 31),
            requested_text: Some(s("Quý I/2026")),
            reason: s("Chờ hướng dẫn của Bộ Nội vụ về tiêu chí sắp xếp"),
        },
        TaskEvent::DeadlineExtended {
            occurrence: None,
            previous_due: Some(date(2026, 1, 31)),
            new_due: date(2026, 3, 31),
            new_text: Some(s("Quý I/2026")),
            reason: s("Đồng ý theo Công văn số 456/UBND-NC của UBND tỉnh"),
        },
        TaskEvent::DeadlineExtensionRejected {
            occurrence: Some(s("2025-Q4")),
            reason: s("Báo cáo định kỳ không được gia hạn"),
        },
        TaskEvent::TaskCancelled {
            from: TaskStatus::Paused,
            reason: s("Nhiệm vụ đã được lồng ghép vào Kế hoạch số 200/KH-UBND"),
        },
        TaskEvent::TaskReopened {
            from: TaskStatus::Cancelled,
            to: TaskStatus::Paused,
            reason: s("Theo chỉ đạo của Chủ tịch UBND tỉnh tại cuộc họp ngày 05/11/2025"),
        },
        TaskEvent::CommentAdded {
            text: s("Đã làm việc trực tiếp với Phòng Tổ chức cán bộ; hẹn gửi báo cáo trước 25/9"),
        },
        TaskEvent::ReminderDelivered {
            key: key(),
            sent_at: instant("2025-09-22T01:00:00Z"),
            message_id: Some(s("<20250922010000.nv07@dondoc.khanhhoa.gov.vn>")),
        },
        TaskEvent::ReminderFailed {
            key: ReminderKey { channel: Channel::Zalo, milestone: Milestone::Overdue, offset: -2, ..key() },
            attempt: 2,
            error: s("Zalo OA: access token hết hạn"),
            will_retry: true,
        },
        TaskEvent::ReminderAcknowledged {
            acknowledged_at: instant("2025-09-22T02:30:00Z"),
            occurrence: Some(s("2025-Q3")),
            key: Some(key()),
            snooze_until: Some(instant("2025-09-24T01:00:00Z")),
        },
        TaskEvent::TaskRevised {
            title: Some(s("Báo cáo kết quả sắp xếp, tổ chức lại các đơn vị sự nghiệp công lập (sửa đổi)")),
            start: None,
            finish: Some(Some(ParsedTime {
                input: s("Quý IV/2025"),
                expr: TimeExpr::Period { period: Period::Quarter { year: 2025, quarter: 4 } },
                notes: vec![],
            })),
            product: Some(None),
            tt: None,
            reason: s("Kế hoạch sửa đổi số 140/KH-UBND"),
        },
        TaskEvent::ReminderRequeued {
            key: ReminderKey { channel: Channel::Zalo, milestone: Milestone::Overdue, offset: -2, ..key() },
            reason: s("Đã cấu hình lại mẫu ZNS"),
        },
        TaskEvent::CompletionAwaitingConfirmation {},
        TaskEvent::CompletionConfirmed { note: Some(s("Đã đối chiếu Báo cáo số 112/BC-UBND")) },
        TaskEvent::CompletionReturned {
            to: TaskStatus::InProgress, reason: s("Báo cáo chưa có số liệu của 3 huyện")
        },
        TaskEvent::ExplanationRequested {
            requested_on: date(2025, 10, 6),
            due: date(2025, 10, 10),
            reason: s("Nhiệm vụ quá hạn 30 ngày, đề nghị giải trình nguyên nhân"),
        },
        TaskEvent::ExplanationGiven {
            given_on: date(2025, 10, 9),
            text: s("Chờ số liệu của Cục Thống kê; dự kiến hoàn thành trong tháng 11/2025"),
        },
    ]
}

fn fixture_path(event_type: &str) -> PathBuf {
    Path::new(FIXTURES).join("v1").join(format!("{event_type}.json"))
}

/// A golden file: (type, schema version, data).
fn read_fixture(path: &Path) -> (String, u16, Value) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(is_nfc(&text), "{} is not NFC", path.display());
    let file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let object = file.as_object().unwrap_or_else(|| panic!("{}: not an object", path.display()));
    let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["type", "schema_version", "data"]), "{}", path.display());
    let event_type = file["type"].as_str().expect("type is a string").to_string();
    let version = file["schema_version"].as_u64().and_then(|v| u16::try_from(v).ok()).expect("schema_version");
    (event_type, version, file["data"].clone())
}

#[test]
fn samples_cover_every_variant_once() {
    let samples = samples();
    let indices: Vec<usize> = samples.iter().map(variant_index).collect();
    assert_eq!(indices, (0..VARIANTS).collect::<Vec<_>>());
    let types: BTreeSet<&str> = samples.iter().map(TaskEvent::event_type).collect();
    assert_eq!(types.len(), VARIANTS, "event type names are distinct");
}

#[test]
fn every_event_type_has_a_golden_file_that_loads_and_round_trips() {
    for sample in samples() {
        let event_type = sample.event_type();
        let path = fixture_path(event_type);
        assert!(path.exists(), "no golden file for {event_type}: {}", path.display());
        let (file_type, version, data) = read_fixture(&path);
        assert_eq!(file_type, event_type, "{}", path.display());
        assert_eq!(version, 1, "{}", path.display());

        let decoded = TaskEvent::decode(&file_type, version, data.clone())
            .unwrap_or_else(|e| panic!("{event_type} no longer loads: {e}"));
        assert_eq!(decoded, sample, "{event_type}: the stored fact means something else now");

        let (encoded_type, encoded_version, encoded_data) = decoded.encode();
        assert_eq!(encoded_type, event_type);
        assert_eq!(encoded_version, SCHEMA_VERSION);
        assert_eq!(encoded_data, data, "{event_type}: encode(decode(file)) differs from the file");
    }
}

#[test]
fn no_golden_file_without_an_event_type() {
    let known: BTreeSet<String> = samples().iter().map(|e| e.event_type().to_string()).collect();
    let mut found = BTreeSet::new();
    for entry in fs::read_dir(Path::new(FIXTURES).join("v1")).expect("fixtures/events/v1 exists") {
        let path = entry.expect("readable directory").path();
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("json"), "{}", path.display());
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name").to_string();
        assert!(known.contains(&stem), "{}: no event type of that name", path.display());
        found.insert(stem);
    }
    assert_eq!(found, known);
}

#[test]
fn events_written_with_fewer_fields_still_load() {
    // Defaulted and optional fields may be absent from stored data.
    let cases = [
        (
            "TaskDefined",
            json!({"plan": "KH-125-UBND", "code": "NV-07", "title": "Rà soát thủ tục hành chính",
                   "lead": "", "tracked_from": "2025-09-15"}),
        ),
        ("TaskAssigned", json!({"lead": "Sở Tư pháp"})),
        ("TaskReassigned", json!({"from_lead": "Sở Tư pháp", "lead": "Văn phòng UBND tỉnh"})),
        ("StatusChanged", json!({"from": "not_started", "to": "in_progress"})),
        ("ProgressReported", json!({"note": "Đang triển khai"})),
        ("ReportSubmitted", json!({"evidence": {}, "submitted_at": "2025-09-24T08:15:00Z"})),
        ("DeadlineExtended", json!({"new_due": "2026-03-31", "reason": "Đồng ý"})),
        ("ReminderAcknowledged", json!({"acknowledged_at": "2025-09-22T02:30:00Z"})),
    ];
    for (event_type, data) in cases {
        let event = TaskEvent::decode(event_type, 1, data).unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(event.event_type(), event_type);
    }
    let event = TaskEvent::decode(
        "TaskDefined",
        1,
        json!({"plan": "KH-125-UBND", "code": "NV-07", "title": "T", "lead": "", "tracked_from": "2025-09-15"}),
    )
    .unwrap();
    let TaskEvent::TaskDefined { cooperating, start, finish, product, .. } = event else { unreachable!() };
    assert!(cooperating.is_empty());
    assert_eq!((start, finish, product), (None, None, None));
}

#[test]
fn a_future_schema_version_is_refused() {
    let (event_type, _, data) = read_fixture(&fixture_path("CommentAdded"));
    let err = TaskEvent::decode(&event_type, SCHEMA_VERSION + 1, data).expect_err("future version");
    match &err {
        EventDecodeError::FutureVersion { event_type, version } => {
            assert_eq!(event_type, "CommentAdded");
            assert_eq!(*version, SCHEMA_VERSION + 1);
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("CommentAdded") && message.contains(&(SCHEMA_VERSION + 1).to_string()), "{message}");
}

#[test]
fn malformed_data_is_refused_naming_the_type() {
    let cases = [
        ("TaskDefined", json!({"plan": 5})),
        ("TaskDefined", json!({"plan": "KH", "code": "NV", "title": "T", "lead": "", "tracked_from": "30/09/2025"})),
        ("StatusChanged", json!({"from": "done", "to": "in_progress"})),
        ("ProgressReported", json!({"percent": 300, "note": "x"})),
        ("ReminderFailed", json!({"key": {}, "attempt": 1, "error": "x", "will_retry": false})),
        ("CommentAdded", json!(null)),
        ("CommentAdded", json!([])),
        ("TaskExploded", json!({})),
    ];
    for (event_type, data) in cases {
        let err = TaskEvent::decode(event_type, 1, data.clone()).expect_err("malformed");
        match &err {
            EventDecodeError::Malformed { event_type: t, version, .. } => {
                assert_eq!(t, event_type);
                assert_eq!(*version, 1);
            }
            other => panic!("{event_type} {data}: {other:?}"),
        }
        assert!(err.to_string().contains(&format!("\"{event_type}\"")), "{err}");
    }
}

#[test]
fn hand_edited_periods_and_dates_are_refused_naming_the_field() {
    let submitted = |occurrence: &str, at: &str| json!({"occurrence": occurrence, "evidence": {"document": "45/BC"}, "submitted_at": at});
    let defined = |finish: Value| {
        json!({"plan": "KH", "code": "01", "title": "T", "lead": "Sở Tài chính", "cooperating": [],
               "finish": {"input": "Tháng 9/2025", "expr": finish}, "tracked_from": "2025-01-01"})
    };
    let cases = [
        ("ReportSubmitted", submitted("2026-Q7", "2026-03-24T03:00:00Z"), "occurrence"),
        ("ReportSubmitted", submitted("2026-13", "2026-03-24T03:00:00Z"), "occurrence"),
        ("ReportSubmitted", submitted("99999-Q1", "2026-03-24T03:00:00Z"), "occurrence"),
        ("ReportSubmitted", submitted("2026-Q1", "3025-03-24T03:00:00Z"), "submitted_at"),
        (
            "TaskDefined",
            defined(json!({"form": "period", "period": {"unit": "month", "year": 2025, "month": 13}})),
            "month",
        ),
        ("TaskDefined", defined(json!({"form": "period", "period": {"unit": "year", "year": 9999}})), "year"),
        ("TaskDefined", defined(json!({"form": "date", "date": "2999-01-01"})), "date"),
    ];
    for (event_type, data, field) in cases {
        let err = TaskEvent::decode(event_type, 1, data.clone()).expect_err("hand-edited");
        assert!(matches!(err, EventDecodeError::Invalid { .. }), "{event_type} {data}: {err:?}");
        assert!(err.to_string().contains(field), "{err}");
    }
    // Free text that looks like a date is text.
    let comment = json!({"text": "Hẹn 2026-13-45 hoặc năm 9999"});
    TaskEvent::decode("CommentAdded", 1, comment).expect("a comment is free text");
}

#[test]
fn event_meta_round_trips() {
    let full = EventMeta {
        actor: s("nguyenvana@snv.khanhhoa.gov.vn"),
        source: Source::Telegram,
        recorded_at: instant("2025-09-22T02:30:00.123456Z"),
        correlation_id: Uuid::from_u128(0x0192_5e2b_7c3a_7d11_8a4e_5f6a_7b8c_9d0e),
        causation_id: Some(Uuid::from_u128(0x0192_5e2b_7c3a_7d11_8a4e_5f6a_7b8c_9d0f)),
        command_id: Some(Uuid::from_u128(0x0192_5e2b_7c3a_7d11_8a4e_5f6a_7b8c_9d10)),
        schema_version: 1,
        chain: Some(s("b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c")),
    };
    let value = serde_json::to_value(&full).unwrap();
    assert_eq!(value["source"], "telegram");
    assert_eq!(value["correlation_id"], "01925e2b-7c3a-7d11-8a4e-5f6a7b8c9d0e");
    assert_eq!(serde_json::from_value::<EventMeta>(value).unwrap(), full);

    // Optional fields are left out when absent, and may be absent when read.
    let minimal = EventMeta {
        causation_id: None,
        command_id: None,
        chain: None,
        source: Source::Scheduler,
        actor: s("system"),
        ..full
    };
    let value = serde_json::to_value(&minimal).unwrap();
    let keys: BTreeSet<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["actor", "source", "recorded_at", "correlation_id", "schema_version"]));
    assert_eq!(serde_json::from_value::<EventMeta>(value).unwrap(), minimal);
}

#[test]
fn source_names_match_their_json() {
    for source in Source::ALL {
        assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
        assert_eq!(serde_json::from_value::<Source>(json!(source.as_str())).unwrap(), source);
    }
}

#[test]
fn reminder_key_display_is_stable() {
    let cases = [
        (key(), "KH-125-UBND/NV-07/2025-Q3/due/3/vanthu@snv.khanhhoa.gov.vn/email"),
        (
            ReminderKey { occurrence: None, milestone: Milestone::Start, offset: 0, ..key() },
            "KH-125-UBND/NV-07/-/start/0/vanthu@snv.khanhhoa.gov.vn/email",
        ),
        (
            ReminderKey { milestone: Milestone::Overdue, offset: -2, channel: Channel::Zalo, ..key() },
            "KH-125-UBND/NV-07/2025-Q3/overdue/-2/vanthu@snv.khanhhoa.gov.vn/zalo",
        ),
        (
            ReminderKey {
                occurrence: Some(s("2026-H1")),
                milestone: Milestone::Escalation,
                offset: -5,
                recipient: s("123456789"),
                channel: Channel::Telegram,
                ..key()
            },
            "KH-125-UBND/NV-07/2026-H1/escalation/-5/123456789/telegram",
        ),
    ];
    for (k, expected) in cases {
        assert_eq!(k.to_string(), expected);
        // The key is stored inside events too.
        let back: ReminderKey = serde_json::from_value(serde_json::to_value(&k).unwrap()).unwrap();
        assert_eq!(back, k);
    }
}

#[test]
fn task_key_names_its_stream() {
    let k = TaskKey::new("KH-125-UBND", "NV-07");
    assert_eq!(k.to_string(), "KH-125-UBND/NV-07");
    assert_eq!(k.stream(), "task-KH-125-UBND-NV-07");
}

#[test]
fn task_status_labels() {
    let cases = [
        (TaskStatus::NotStarted, "not_started", "chưa bắt đầu", false),
        (TaskStatus::InProgress, "in_progress", "đang thực hiện", false),
        (TaskStatus::Paused, "paused", "tạm dừng", false),
        (TaskStatus::Completed, "completed", "đã hoàn thành", true),
        (TaskStatus::Cancelled, "cancelled", "đã hủy", true),
    ];
    for (status, name, label, closed) in cases {
        assert_eq!(serde_json::to_value(status).unwrap(), name);
        assert_eq!(status.as_str(), name);
        assert_eq!(status.to_string(), label);
        assert_eq!(status.is_closed(), closed);
    }
}

#[test]
fn a_revision_that_renumbers_a_task_round_trips_and_older_revisions_still_load() {
    // The golden TaskRevised (above) has no `tt`: it loads as "number unchanged".
    let event = TaskEvent::TaskRevised {
        title: None,
        start: None,
        finish: None,
        product: None,
        tt: Some(s("3.2")),
        reason: s("Kế hoạch sửa đổi đánh số lại: TT 2 → TT 3.2"),
    };
    let (event_type, version, data) = event.encode();
    assert_eq!(data["tt"], "3.2");
    assert_eq!(TaskEvent::decode(event_type, version, data).unwrap(), event);
}

/// The catalogue of task events in `docs/events.md` (the part between its markers) is
/// generated from the samples and their golden files: every type, its Vietnamese name, its
/// schema version and each field with the JSON kind and an example. `DONDOC_BLESS=1`
/// rewrites it after review.
#[test]
fn the_event_catalogue_lists_every_type_and_field() {
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    fn example(v: &Value) -> String {
        let text = v.to_string().replace('|', "\\|");
        if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
    }
    let mut out = String::new();
    out.push_str("| Type | Tên sự kiện | Version | Fields (JSON kind, example) |\n|---|---|---|---|\n");
    for sample in samples() {
        let (event_type, version, data) = read_fixture(&fixture_path(sample.event_type()));
        let fields = data
            .as_object()
            .map(|m| {
                m.iter().map(|(k, v)| format!("`{k}` ({}, `{}`)", kind(v), example(v))).collect::<Vec<_>>().join("<br>")
            })
            .unwrap_or_default();
        out.push_str(&format!("| `{event_type}` | {} | {version} | {fields} |\n", sample.name_vi()));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md");
    let doc = fs::read_to_string(&path).expect("docs/events.md");
    let (begin, end) = ("<!-- generated: task events -->\n", "<!-- end generated -->");
    let (head, rest) = doc.split_once(begin).expect("the begin marker");
    let (_, tail) = rest.split_once(end).expect("the end marker");
    let expected = format!("{head}{begin}{out}{end}{tail}");
    if std::env::var_os("DONDOC_BLESS").is_some() {
        fs::write(&path, &expected).unwrap();
        return;
    }
    assert_eq!(doc, expected, "docs/events.md is behind the event types (DONDOC_BLESS=1 rewrites its table)");
}

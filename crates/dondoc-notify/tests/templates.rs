//! Reminder templates: what a message says to each reader (an officer, an agency head on
//! escalation, the secretariat), per channel, and chat length limits. The full text of a
//! fixed scenario is held in golden files (`tests/golden/`): a change of wording shows as
//! a diff to review. `DONDOC_BLESS=1 cargo test -p dondoc-notify --test templates` rewrites
//! them.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use dondoc_core::contact::Role;
use dondoc_core::event::{Channel, Milestone, ReminderKey};
use dondoc_core::period::Period;
use dondoc_core::reminder::{Digest, Notice};
use dondoc_notify::templates::{TELEGRAM_TEXT_LIMIT, Templates, Wording};
use unicode_normalization::UnicodeNormalization;

fn notice(code: &str, milestone: Milestone, left: i64, recipient: &str) -> Notice {
    Notice {
        key: ReminderKey {
            plan: "QN-2022".into(),
            code: code.into(),
            occurrence: None,
            milestone,
            offset: if left > 0 { left as i32 } else { -7 },
            recipient: recipient.into(),
            channel: Channel::Email,
        },
        title: "Xây dựng Quyết định ban hành Hệ thống báo cáo các chỉ tiêu thống kê cấp tỉnh".into(),
        lead: "Thống kê tỉnh".into(),
        cooperating: vec!["Sở Tài chính".into(), "Sở Nội vụ".into()],
        product: Some("Quyết định của UBND tỉnh".into()),
        occurrence: None,
        date: NaiveDate::from_ymd_opt(2025, 9, 30).unwrap(),
        working_days_left: left,
    }
}

fn digest(role: Role, notices: Vec<Notice>) -> Digest {
    let (name, position) = match role {
        Role::Officer => ("Nguyễn Văn An", None),
        Role::Head => ("Trần Văn Bình", Some("Chánh Văn phòng Thống kê tỉnh")),
        _ => ("Lê Thị Cúc", Some("Tổ giúp việc, Văn phòng UBND tỉnh")),
    };
    Digest {
        recipient: "c001".into(),
        name: name.into(),
        role,
        position: position.map(str::to_string),
        channel: Channel::Telegram,
        address: "1001".into(),
        fallbacks: vec![(Channel::Email, "an@example.vn".into())],
        notices,
    }
}

/// A digest of `n` notices for an officer: due in 3 working days and overdue, alternately.
fn officer_digest(n: usize) -> Digest {
    let notices = (0..n)
        .map(|i| {
            let code = format!("{:05}", 1000 + i);
            if i % 2 == 0 {
                notice(&code, Milestone::Due, 3, "c001")
            } else {
                notice(&code, Milestone::Overdue, -5, "c001")
            }
        })
        .collect();
    digest(Role::Officer, notices)
}

fn citations() -> HashMap<String, String> {
    HashMap::from([(
        "QN-2022".to_string(),
        "Kế hoạch số 145/KH-UBND ngày 20/10/2022 của UBND tỉnh triển khai thực hiện Chiến lược phát triển thống kê"
            .to_string(),
    )])
}

fn golden(name: &str, actual: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    dondoc_testkit::golden::assert_golden(&dir, name, actual);
}

#[test]
fn each_reader_gets_the_message_written_for_them() {
    let t = Templates::builtin(Wording::default()).unwrap();
    let mut recurring = notice("02", Milestone::Due, 12, "c001");
    recurring.occurrence = Some(Period::Quarter { year: 2025, quarter: 3 });
    recurring.product = None;
    recurring.cooperating.clear();
    let scenarios = [
        ("officer", officer_digest(2)),
        ("officer-early", digest(Role::Officer, vec![recurring, notice("03", Milestone::Start, 1, "c001")])),
        ("officer-due-today", digest(Role::Officer, vec![notice("04", Milestone::Due, 0, "c001")])),
        ("head", digest(Role::Head, vec![notice("05", Milestone::Escalation, -6, "c003")])),
        (
            "secretariat",
            digest(
                Role::Secretariat,
                vec![notice("05", Milestone::Escalation, -6, "c004"), notice("06", Milestone::Escalation, -12, "c004")],
            ),
        ),
    ];
    for (name, d) in scenarios {
        let email = t.render_digest(&d, Channel::Email, "x@example.vn", &citations()).unwrap();
        let chat = t.render_digest(&d, Channel::Telegram, "1001", &citations()).unwrap();
        for text in [&email.subject, &email.text, email.html.as_ref().unwrap(), &chat.text] {
            assert_eq!(*text, text.nfc().collect::<String>(), "{name}: NFC");
            for banned in ["bạn", "vui lòng", "Hệ thống dondoc", "hệ thống đôn đốc", "dondoc"] {
                assert!(!text.contains(banned), "{name}: {banned:?} in:\n{text}");
            }
        }
        golden(&format!("{name}.subject.txt"), &format!("{}\n", email.subject));
        golden(&format!("{name}.email.txt"), &email.text);
        golden(&format!("{name}.email.html"), email.html.as_ref().unwrap());
        golden(&format!("{name}.telegram.txt"), &chat.text);
    }
}

#[test]
fn a_reminder_names_the_plan_the_work_the_deadline_and_asks_for_action() {
    let t = Templates::builtin(Wording::default()).unwrap();
    let m = t.render_digest(&officer_digest(1), Channel::Telegram, "1001", &citations()).unwrap();
    for needle in [
        "Kính gửi: Đồng chí Nguyễn Văn An",
        "Thuộc Kế hoạch số 145/KH-UBND ngày 20/10/2022 của UBND tỉnh",
        "Nhiệm vụ 01000",
        "Cơ quan chủ trì: Thống kê tỉnh; cơ quan phối hợp: Sở Tài chính; Sở Nội vụ.",
        "Sản phẩm: Quyết định của UBND tỉnh.",
        "Hạn hoàn thành: thứ Ba, ngày 30/09/2025 (còn 3 ngày làm việc).",
        "Đề nghị hoàn thành đúng hạn, báo cáo kết quả về Văn phòng UBND tỉnh.",
        "Đồng chí bấm «Đã nhận»",
        "TỔ GIÚP VIỆC – VĂN PHÒNG UBND TỈNH",
    ] {
        assert!(m.text.contains(needle), "{needle:?} missing from:\n{}", m.text);
    }
    assert_eq!(m.actions.len(), 3);
    assert_eq!(m.keys.len(), 1);
    assert!(m.subject.starts_with("[Sắp đến hạn] Nhiệm vụ 01000"), "{}", m.subject);
    let email = t.render_digest(&officer_digest(2), Channel::Email, "an@example.vn", &citations()).unwrap();
    assert!(email.html.as_deref().unwrap().contains("<td>01000</td>"));
    assert!(email.actions.is_empty());
    assert!(email.keys.iter().all(|k| k.channel == Channel::Email));
    assert_eq!(email.subject, "[Nhắc việc] 2 nhiệm vụ cần thực hiện, trong đó 1 nhiệm vụ quá hạn");
    // "Sắp đến hạn" keeps its meaning (≤ 5 working days); earlier it is "Nhắc trước hạn".
    let early = digest(Role::Officer, vec![notice("07", Milestone::Due, 21, "c001")]);
    let m = t.render_digest(&early, Channel::Email, "an@example.vn", &citations()).unwrap();
    assert!(m.subject.starts_with("[Nhắc trước hạn]"), "{}", m.subject);
    let t7 = Templates::builtin(Wording::default()).unwrap().with_due_soon(30);
    let m = t7.render_digest(&early, Channel::Email, "an@example.vn", &citations()).unwrap();
    assert!(m.subject.starts_with("[Sắp đến hạn]"), "the window is configurable: {}", m.subject);
}

#[test]
fn a_digest_too_long_for_a_chat_message_sends_its_first_notices_and_leaves_the_rest() {
    let t = Templates::builtin(Wording::default()).unwrap();
    let m = t.render_digest(&officer_digest(80), Channel::Telegram, "1001", &citations()).unwrap();
    let length = m.text.chars().count();
    assert!(length <= TELEGRAM_TEXT_LIMIT, "{length}");
    assert!(m.keys.len() < 80 && m.keys.len() > 3, "{}", m.keys.len());
    assert!(m.text.contains(&format!("Còn {} nhắc việc khác", 80 - m.keys.len())), "{}", m.text);
    // Email has no such limit.
    let email = t.render_digest(&officer_digest(80), Channel::Email, "an@example.vn", &citations()).unwrap();
    assert_eq!(email.keys.len(), 80);
    assert!(!email.text.contains("Còn "));
}

//! Reminder templates: what a message says, per channel, and chat length limits.

use std::collections::HashMap;

use chrono::NaiveDate;
use dondoc_core::event::{Channel, Milestone, ReminderKey, TaskKey};
use dondoc_core::reminder::{Digest, Notice};
use dondoc_notify::templates::{TELEGRAM_TEXT_LIMIT, Templates, Wording};
use unicode_normalization::UnicodeNormalization;

fn digest(n: usize) -> Digest {
    let notices = (0..n)
        .map(|i| {
            let code = format!("{:05}", 1000 + i);
            Notice {
                key: ReminderKey {
                    plan: "QN-2022".into(),
                    code: code.clone(),
                    occurrence: None,
                    milestone: if i % 2 == 0 { Milestone::Due } else { Milestone::Overdue },
                    offset: if i % 2 == 0 { 3 } else { -7 },
                    recipient: "c001".into(),
                    channel: Channel::Telegram,
                },
                task: TaskKey::new("QN-2022", code),
                title: "Xây dựng Quyết định ban hành Hệ thống báo cáo các chỉ tiêu thống kê cấp tỉnh".into(),
                lead: "Cục Thống kê tỉnh".into(),
                occurrence: None,
                date: NaiveDate::from_ymd_opt(2025, 9, 30).unwrap(),
                working_days_left: if i % 2 == 0 { 3 } else { -5 },
            }
        })
        .collect();
    Digest {
        recipient: "c001".into(),
        name: "Nguyễn Văn An".into(),
        channel: Channel::Telegram,
        address: "1001".into(),
        fallbacks: vec![(Channel::Email, "an@example.vn".into())],
        notices,
    }
}

fn titles() -> HashMap<String, String> {
    HashMap::from([("QN-2022".to_string(), "Kế hoạch thực hiện Chiến lược phát triển thống kê".to_string())])
}

#[test]
fn a_reminder_names_plan_task_deadline_weekday_days_left_lead_and_how_to_answer() {
    let t = Templates::builtin(Wording::default()).unwrap();
    let m = t.render_digest(&digest(1), Channel::Telegram, "1001", &titles()).unwrap();
    for needle in [
        "Kính gửi Nguyễn Văn An",
        "Kế hoạch thực hiện Chiến lược phát triển thống kê",
        "01000",
        "Xây dựng Quyết định",
        "30/09/2025 (Thứ Ba)",
        "còn 3 ngày làm việc",
        "Cục Thống kê tỉnh",
        "Bấm «Đã nhận»",
    ] {
        assert!(m.text.contains(needle), "{needle:?} missing from:\n{}", m.text);
    }
    assert_eq!(m.text, m.text.nfc().collect::<String>(), "NFC");
    assert_eq!(m.actions.len(), 3);
    assert_eq!(m.keys.len(), 1);
    assert!(m.subject.starts_with("[Nhắc việc] Sắp đến hạn: 01000"), "{}", m.subject);
    let email = t.render_digest(&digest(2), Channel::Email, "an@example.vn", &titles()).unwrap();
    assert!(email.html.as_deref().unwrap().contains("<td>01000</td>"));
    assert!(email.actions.is_empty());
    assert!(email.keys.iter().all(|k| k.channel == Channel::Email));
    assert_eq!(email.subject, "[Nhắc việc] 2 nhiệm vụ cần chú ý, 1 quá hạn");
}

#[test]
fn a_digest_too_long_for_a_chat_message_sends_its_first_notices_and_leaves_the_rest() {
    let t = Templates::builtin(Wording::default()).unwrap();
    let m = t.render_digest(&digest(80), Channel::Telegram, "1001", &titles()).unwrap();
    let length = m.text.chars().count();
    assert!(length <= TELEGRAM_TEXT_LIMIT, "{length}");
    assert!(m.keys.len() < 80 && m.keys.len() > 5, "{}", m.keys.len());
    assert!(m.text.contains(&format!("Còn {} nhắc việc khác", 80 - m.keys.len())), "{}", m.text);
    // Email has no such limit.
    let email = t.render_digest(&digest(80), Channel::Email, "an@example.vn", &titles()).unwrap();
    assert_eq!(email.keys.len(), 80);
    assert!(!email.text.contains("Còn "));
}

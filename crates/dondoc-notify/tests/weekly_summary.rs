//! The weekly summary rendered: the email (subject, HTML with escaping and the inline
//! chart, text alternative, workbook), the chart PNG, the workbook's sheets and the short
//! Telegram/Zalo text. The summary is built from tasks folded through the aggregate; the
//! job runs on Monday 24/11/2025 at 07:30 (the week 17/11–23/11/2025). The text forms are
//! held in golden files (`tests/golden/summary.*`; `DONDOC_BLESS=1` rewrites them).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::calendar::WorkCalendar;
use dondoc_core::classify::Classifier;
use dondoc_core::event::{Channel, Evidence};
use dondoc_core::policy::ReportingPolicy;
use dondoc_core::summary::weekly::{FailedDelivery, WeeklySummary, summarize as weekly_summary};
use dondoc_core::task::{TaskCommand, TaskState, decide};
use dondoc_core::timeexpr::parse;
use dondoc_notify::Message;
use dondoc_notify::message::idempotency_key;
use dondoc_notify::summary::{CHART_CID, chart_png, xlsx};
use dondoc_notify::templates::{Templates, Wording};
use dondoc_testkit::time::{at, date, s};

const PLAN: &str = "KH-125-UBND";
const HOSTILE_TITLE: &str = "Rà soát <script>alert(\"x\")</script> & 'báo cáo'";
const HOSTILE_AGENCY: &str = "Sở A & B <Ban Quản lý>";
const ADDRESS: &str = "lanhdao@tinh.gov.vn";

fn render_email(summary: &WeeklySummary, name: &str, address: &str) -> Message {
    let salutation = dondoc_notify::templates::salutation(name, Some("Phó Chủ tịch UBND tỉnh"));
    Templates::builtin(Wording::default()).unwrap().weekly_email(summary, &salutation, name, address).unwrap()
}

fn render_text(summary: &WeeklySummary, channel: Channel, name: &str, address: &str) -> Message {
    let salutation = dondoc_notify::templates::salutation(name, Some("Phó Chủ tịch UBND tỉnh"));
    Templates::builtin(Wording::default()).unwrap().weekly_chat(summary, channel, &salutation, name, address).unwrap()
}

/// A task folded from commands decided through the aggregate.
fn task(code: &str, title: &str, lead: &str, finish: &str, completed_on: Option<NaiveDate>) -> TaskState {
    let mut state = TaskState::default();
    let mut run = |command: TaskCommand, now: DateTime<Utc>| {
        for e in decide(&state, &command, now).unwrap_or_else(|e| panic!("{command:?}: {e}")) {
            state.apply(&e);
        }
    };
    run(
        TaskCommand::Define {
            plan: s(PLAN),
            code: s(code),
            title: s(title),
            lead: s(lead),
            cooperating: vec![],
            start: None,
            finish: Some(parse(finish).unwrap_or_else(|e| panic!("{finish}: {e}"))),
            product: None,
            tracked_from: Some(date(2025, 1, 1)),
            tt: None,
            group: None,
        },
        at(2025, 1, 2, 8, 0),
    );
    run(TaskCommand::Start { note: None }, at(2025, 1, 6, 9, 0));
    if let Some(on) = completed_on {
        let evidence = Evidence { document: Some(s("125/BC-UBND")), ..Evidence::default() };
        run(TaskCommand::Complete { on: Some(on), evidence, confirmed: true }, at(2025, 11, 24, 7, 0));
    }
    state
}

fn failures() -> Vec<FailedDelivery> {
    vec![FailedDelivery {
        plan: s(PLAN),
        code: s("NV-01"),
        recipient: s("snv-vanthu"),
        channel: Channel::Zalo,
        error: s("-124: <access token> hết hạn"),
        at: Some(at(2025, 11, 21, 8, 0)),
    }]
}

fn summarize(tasks: &[TaskState]) -> WeeklySummary {
    let calendar = WorkCalendar::default();
    let policy = ReportingPolicy::nd09();
    weekly_summary(tasks, &failures(), &Classifier::new(&calendar, &policy), at(2025, 11, 24, 7, 30))
}

fn sample() -> WeeklySummary {
    summarize(&[
        task("TC-01", "Xây dựng dự toán ngân sách năm 2026", "Sở Tài chính", "14/10/2025", None),
        task("TC-02", "Báo cáo quyết toán vốn đầu tư công", "Sở Tài chính", "14/11/2025", None),
        task("NV-01", HOSTILE_TITLE, HOSTILE_AGENCY, "19/11/2025", None),
        task("YT-01", "Kế hoạch tiêm chủng mở rộng", "Sở Y tế", "31/12/2025", None),
        task("XD-01", "Quy hoạch chung đô thị", "Sở Xây dựng", "20/11/2025", Some(date(2025, 11, 21))),
    ])
}

#[test]
fn the_email_has_the_subject_identity_and_parts() {
    let summary = sample();
    let m = render_email(&summary, "Hồ Quang Em", ADDRESS);
    assert_eq!(m.subject, "Báo cáo tình hình thực hiện nhiệm vụ tuần 17/11/2025 – 23/11/2025");
    assert_eq!(m.channel, Channel::Email);
    assert_eq!((m.address.as_str(), m.recipient.as_str(), m.name.as_str()), (ADDRESS, ADDRESS, "Hồ Quang Em"));
    assert!(m.keys.is_empty());
    assert_eq!(m.idempotency_key, idempotency_key(&[], &format!("summary/2025-11-17/{ADDRESS}")));
    let parts: Vec<(&str, &str, Option<&str>)> =
        m.attachments.iter().map(|a| (a.filename.as_str(), a.content_type.as_str(), a.inline_id.as_deref())).collect();
    assert_eq!(
        parts,
        vec![
            ("bieu-do-tong-hop.png", "image/png", Some(CHART_CID)),
            (
                "tong-hop-nhiem-vu-2025-11-17.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                None
            ),
        ]
    );
    let html = m.html.as_deref().expect("an HTML body");
    assert!(html.contains(&format!("src=\"cid:{CHART_CID}\"")));
    // Sections, in order.
    // What leadership reads on Monday, in order (docs/van-phong.md §2).
    let html = &html_text(html);
    let sections = [
        "Tính đến 07:30 ngày 24/11/2025: theo dõi 5 nhiệm vụ; hoàn thành 1; chưa hoàn thành 4, trong đó quá hạn 3 (mới \
         quá hạn trong tuần 1).",
        "1. Nhiệm vụ mới quá hạn trong tuần (1)",
        "2. Nhiệm vụ đến hạn trong tuần tới, từ 24/11/2025 đến 30/11/2025 (0)",
        "3. Nhiệm vụ quá hạn theo cơ quan chủ trì (3)",
        "4. Nhiệm vụ hoàn thành trong tuần (1)",
        "5. Tổng hợp theo phân loại",
    ];
    let positions: Vec<usize> =
        sections.iter().map(|s| html.find(s).unwrap_or_else(|| panic!("{s} missing from\n{html}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // Worst agency first: two tasks, then one; the longest delay, never a sum of days.
    let tc = html.find("Sở Tài chính: 2 nhiệm vụ, lâu nhất quá hạn 41 ngày").expect("Sở Tài chính");
    let nv = html.find("Sở A & B <Ban Quản lý>: 1 nhiệm vụ").expect("the hostile agency");
    assert!(tc < nv);
    // Delivery failures are the secretariat's business, not leadership's.
    assert!(!html.contains("snv-vanthu") && !html.contains("không thành công"), "{html}");
}

/// The text of HTML with its character references decoded (the five that escaping uses,
/// by name or number).
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn html_escapes_every_text_from_the_data() {
    let m = render_email(&sample(), "Ông <b>Nguyễn</b> & cộng sự", ADDRESS);
    let html = m.html.expect("an HTML body");
    // Each text comes back whole once the character references of HTML are decoded
    // (HTML Living Standard §13.5: named references and numeric ones, decimal or hex).
    let decoded = html_text(&html);
    let cases = [
        ("task title", HOSTILE_TITLE),
        ("agency", HOSTILE_AGENCY),
        ("recipient name", "Kính gửi: Đồng chí Ông <b>Nguyễn</b> & cộng sự, Phó Chủ tịch UBND tỉnh"),
    ];
    for (what, text) in cases {
        assert!(decoded.contains(text), "{what}: {text} not in\n{decoded}");
    }
    // ... and none of them is markup in the HTML itself.
    for raw in ["<script>", "<b>Nguyễn", "<Ban Quản lý>", "& B", "& cộng"] {
        assert!(!html.contains(raw), "{raw} left unescaped");
    }
    // The text alternative is not HTML: kept as written.
    assert!(m.text.contains(HOSTILE_TITLE));
    assert!(m.text.contains("Kính gửi: Đồng chí Ông <b>Nguyễn</b> & cộng sự, Phó Chủ tịch UBND tỉnh"));
}

/// The golden file `tests/golden/<name>` holds `actual` (`DONDOC_BLESS=1` rewrites it).
fn golden(name: &str, actual: &str) {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    dondoc_testkit::golden::assert_golden(&dir, name, actual);
}

#[test]
fn the_text_alternative_has_counts_and_lists() {
    let mut summary = sample();
    summary.plans.insert(
        PLAN.to_string(),
        dondoc_core::plan::PlanName {
            reference: "Kế hoạch số 125/KH-UBND".into(),
            citation: "Kế hoạch số 125/KH-UBND ngày 10/01/2025 của UBND tỉnh về phát triển kinh tế – xã hội năm 2025"
                .into(),
        },
    );
    summary.proposals = vec!["Đề nghị UBND tỉnh chỉ đạo Sở Tài chính khẩn trương hoàn thành nhiệm vụ TC-01.".into()];
    let m = render_email(&summary, "Hồ Quang Em", ADDRESS);
    let expected = [
        "5. KIẾN NGHỊ CỦA TỔ GIÚP VIỆC\n- Đề nghị UBND tỉnh chỉ đạo Sở Tài chính khẩn trương hoàn thành nhiệm vụ TC-01.",
        "6. TỔNG HỢP THEO PHÂN LOẠI",
        "- Chưa hoàn thành – quá hạn: 3 (60,0%)",
        "- Hoàn thành quá hạn: 1 (20,0%)",
        "- Tổng số: 5",
        "Sở Tài chính: 2 nhiệm vụ, lâu nhất quá hạn 41 ngày",
        "  - Nhiệm vụ TC-01 (Kế hoạch số 125/KH-UBND): Xây dựng dự toán ngân sách năm 2026; hạn 14/10/2025, quá hạn 41 \
         ngày (29 ngày làm việc); đang thực hiện.",
        "1. NHIỆM VỤ MỚI QUÁ HẠN TRONG TUẦN (1)",
        "  - Sở Xây dựng: Nhiệm vụ XD-01 (Kế hoạch số 125/KH-UBND): Quy hoạch chung đô thị; hoàn thành ngày 21/11/2025, \
         hoàn thành quá hạn.",
        "Các kế hoạch:\n- Kế hoạch số 125/KH-UBND ngày 10/01/2025 của UBND tỉnh về phát triển kinh tế – xã hội năm 2025.",
        "TỔ GIÚP VIỆC – VĂN PHÒNG UBND TỈNH",
    ];
    for line in expected {
        assert!(m.text.contains(line), "{line} not in\n{}", m.text);
    }
    assert!(!m.text.contains("tổng ") && !m.text.contains("snv-vanthu"), "{}", m.text);
    golden("summary.email.txt", &m.text);
    golden("summary.telegram.txt", &render_text(&summary, Channel::Telegram, "Hồ Quang Em", "1").text);
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 33, "{} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn the_chart_is_a_png() {
    let cases = [("sample", sample()), ("no tasks", summarize(&[]))];
    for (name, summary) in cases {
        let png = chart_png(&summary);
        let (w, h) = png_size(&png);
        assert_eq!(w, 960, "{name}");
        assert!(h > 100, "{name}: {h}");
    }
    let email = render_email(&sample(), "A", ADDRESS);
    assert_eq!(email.attachments[0].bytes, chart_png(&sample()));
}

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_workbook_has_the_five_sheets() {
    let bytes = xlsx(&sample());
    assert_eq!(&bytes[..4], b"PK\x03\x04", "a zip file");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX workbook");
    assert_eq!(book.sheet_names(), vec!["Tổng hợp", "Quá hạn", "Mới quá hạn", "Đến hạn tuần tới", "Mới hoàn thành"]);

    let overview = sheet(&mut book, "Tổng hợp");
    assert_eq!(overview[0][0], "Báo cáo tình hình thực hiện nhiệm vụ tuần 17/11/2025 – 23/11/2025");
    assert_eq!(overview[3][..2], [s("Phân loại"), s("Số nhiệm vụ")]);
    assert_eq!(overview[4][..2], [s("Chưa hoàn thành – quá hạn"), s("3")]);

    // (sheet, rows including the header, first cells of the first data row)
    let cases: [(&str, usize, &[&str]); 4] = [
        ("Quá hạn", 4, &["Sở Tài chính", PLAN, "TC-01", "Xây dựng dự toán ngân sách năm 2026"]),
        ("Mới quá hạn", 2, &[HOSTILE_AGENCY, PLAN, "NV-01", HOSTILE_TITLE]),
        ("Mới hoàn thành", 2, &["Sở Xây dựng", PLAN, "XD-01", "Quy hoạch chung đô thị"]),
        ("Đến hạn tuần tới", 1, &["Cơ quan chủ trì", "Kế hoạch", "Mã số"]),
    ];
    for (name, rows, first) in cases {
        let cells = sheet(&mut book, name);
        assert_eq!(cells.len(), rows, "{name}: {cells:?}");
        let got: Vec<&str> = cells[rows.min(2) - 1].iter().take(first.len()).map(String::as_str).collect();
        assert_eq!(got, first, "{name}");
    }
    let overdue = sheet(&mut book, "Quá hạn");
    assert_eq!(overdue[0][7], "Số ngày quá hạn");
    assert_eq!(overdue[1][7], "41");
}

#[test]
fn the_short_text_fits_and_names_the_five_worst_agencies() {
    // Seven agencies, agency i with i overdue tasks; long names.
    let mut tasks = Vec::new();
    for i in 1..=7 {
        let agency = format!("Ban Quản lý dự án đầu tư xây dựng các công trình giao thông và nông nghiệp số {i}");
        for j in 0..i {
            tasks.push(task(&format!("A{i}-{j}"), "Nhiệm vụ", &agency, "14/11/2025", None));
        }
    }
    let summary = summarize(&tasks);
    for channel in [Channel::Telegram, Channel::Zalo] {
        let m = render_text(&summary, channel, "Hồ Quang Em", "123456789");
        assert_eq!(m.channel, channel);
        assert!(m.html.is_none() && m.attachments.is_empty() && m.keys.is_empty());
        assert!(m.text.chars().count() < 4000, "{} characters", m.text.chars().count());
        assert!(
            m.text.starts_with("Báo cáo tình hình thực hiện nhiệm vụ tuần 17/11/2025 – 23/11/2025\n"),
            "{}",
            m.text
        );
        for line in [
            "chưa hoàn thành 28, trong đó quá hạn 28",
            "1. Ban Quản lý dự án đầu tư xây dựng các công trình giao thông và nông nghiệp số 7: 7 nhiệm vụ, lâu nhất \
             quá hạn 10 ngày",
            "5. Ban Quản lý dự án đầu tư xây dựng các công trình giao thông và nông nghiệp số 3: 3 nhiệm vụ",
            "… và 2 cơ quan khác.",
            "Mới quá hạn trong tuần: 0 nhiệm vụ.",
            "Hoàn thành trong tuần: 0 nhiệm vụ.",
        ] {
            assert!(m.text.contains(line), "{line} not in\n{}", m.text);
        }
        assert!(!m.text.contains("số 2:"), "{}", m.text);
        assert_eq!(m.idempotency_key, idempotency_key(&[], "summary/2025-11-17/123456789"));
    }
}

#[test]
fn an_empty_week_still_renders() {
    let summary = summarize(&[]);
    let m = render_email(&summary, "A", ADDRESS);
    let html = m.html.expect("an HTML body");
    assert!(html.contains("Không có nhiệm vụ quá hạn."));
    assert!(m.text.contains("- Tổng số: 0"));
    let t = render_text(&summary, Channel::Telegram, "A", "1");
    assert!(t.text.contains("Không có nhiệm vụ quá hạn."), "{}", t.text);
}

/// Writes the sample's chart, HTML, workbook and texts for a person to look at, under
/// the target directory's `tmp/summary-samples/`.
#[test]
fn write_samples() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("summary-samples");
    std::fs::create_dir_all(&dir).expect("a samples directory");
    let summary = sample();
    let m = render_email(&summary, "Hồ Quang Em", ADDRESS);
    std::fs::write(dir.join("chart.png"), &m.attachments[0].bytes).expect("writes the chart");
    std::fs::write(dir.join("summary.html"), m.html.expect("an HTML body")).expect("writes the HTML");
    std::fs::write(dir.join("summary.txt"), &m.text).expect("writes the text");
    std::fs::write(dir.join("summary.xlsx"), xlsx(&summary)).expect("writes the workbook");
    let chat = render_text(&summary, Channel::Telegram, "A", "1").text;
    std::fs::write(dir.join("chat.txt"), chat).expect("writes the chat text");
}

/// The sample week with Zalo out of order since 20/11/2025.
fn with_channel_fault() -> WeeklySummary {
    let mut summary = sample();
    summary.channel_faults = vec![dondoc_core::summary::weekly::ChannelProblem {
        channel: Channel::Zalo,
        reason: "Zalo từ chối refresh token (-14014)".into(),
        since: chrono::DateTime::parse_from_rfc3339("2025-11-20T02:00:00Z").unwrap().with_timezone(&chrono::Utc),
    }];
    summary
}

#[test]
fn leadership_is_not_told_of_channels_out_of_order_or_failed_deliveries() {
    // The secretariat's business: its own report (below), /healthz, `reminders log --failed`.
    let summary = with_channel_fault();
    let email = render_email(&summary, "Hồ Quang Em", "em@ubnd.example.vn");
    let chat = render_text(&summary, Channel::Telegram, "Hồ Quang Em", "2002");
    for text in [html_text(email.html.as_deref().unwrap()), email.text, chat.text] {
        assert!(!text.contains("-14014") && !text.contains("đang lỗi") && !text.contains("-124"), "{text}");
    }
}

#[test]
fn the_secretariat_is_told_what_could_not_be_delivered_and_what_to_do() {
    let summary = with_channel_fault();
    let names = std::collections::HashMap::from([(s("snv-vanthu"), s("Trần Thị Hoa"))]);
    let salutation = dondoc_notify::templates::salutation("Lê Văn Bình", Some("Chuyên viên Văn phòng UBND tỉnh"));
    let templates = Templates::builtin(Wording::default()).unwrap();
    let email = templates
        .delivery_report(&summary, &names, Channel::Email, &salutation, "Lê Văn Bình", "binh@ubnd.example.vn")
        .unwrap();
    assert_eq!(email.kind, dondoc_notify::message::MessageKind::DeliveryReport);
    // The person is named, not the contact id; the plan is cited as the office does.
    assert!(email.text.contains("gửi Trần Thị Hoa qua Zalo") && !email.text.contains("snv-vanthu"), "{}", email.text);
    assert!(email.text.contains("Zalo từ chối refresh token (-14014)"));
    golden("delivery.subject.txt", &email.subject);
    golden("delivery.email.txt", &email.text);
    // Another week's report, or another person's, is another message.
    let other = templates
        .delivery_report(&summary, &names, Channel::Email, &salutation, "Lê Văn Bình", "other@ubnd.example.vn")
        .unwrap();
    assert_ne!(email.idempotency_key, other.idempotency_key);
}

#[test]
fn explanations_missing_or_late_are_listed_when_there_are_any() {
    let mut summary = sample();
    let plain = render_email(&summary, "Hồ Quang Em", ADDRESS);
    assert!(!plain.text.contains("giải trình"), "no section without explanations");
    summary.explanations = vec![
        dondoc_core::summary::weekly::ExplanationDue {
            plan: summary.overdue[0].tasks[0].plan.clone(),
            code: s("01"),
            title: s("Rà soát <danh mục>"),
            lead: s("Sở Tài chính"),
            due: date(2025, 11, 14),
            answered_on: None,
        },
        dondoc_core::summary::weekly::ExplanationDue {
            plan: summary.overdue[0].tasks[0].plan.clone(),
            code: s("02"),
            title: s("Báo cáo quý"),
            lead: s("Sở Nội vụ"),
            due: date(2025, 11, 12),
            answered_on: Some(date(2025, 11, 18)),
        },
    ];
    let m = render_email(&summary, "Hồ Quang Em", ADDRESS);
    for line in [
        "Nhiệm vụ quá hạn chưa giải trình hoặc giải trình muộn (2):",
        "hạn giải trình 14/11/2025, chưa giải trình.",
        "hạn giải trình 12/11/2025, giải trình ngày 18/11/2025, muộn.",
    ] {
        assert!(m.text.contains(line), "{line} not in\n{}", m.text);
    }
    let html = html_text(m.html.as_deref().unwrap());
    assert!(html.contains("Rà soát <danh mục>") && html.contains("Tình trạng giải trình"), "{html}");
    let chat = render_text(&summary, Channel::Telegram, "Hồ Quang Em", "1");
    assert!(chat.text.contains("Quá hạn chưa giải trình hoặc giải trình muộn: 2 nhiệm vụ."), "{}", chat.text);
}

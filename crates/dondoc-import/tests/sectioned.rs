//! The reader of section-numbered task tables and indicator catalogues ("sectioned"):
//! the Kon Tum seed against its expected tables, a synthetic plan of the same shape,
//! robustness on arbitrary and damaged input, and speed.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dondoc_import::text::{self, Shape, sectioned};
use dondoc_import::{ImportedPlan, IndicatorRow, PlanRow, ReadError};
use proptest::prelude::*;

const SEED: &str = "kon-tum-1012-2024.txt";

fn task_map(r: &PlanRow) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("section".into(), r.section.clone().unwrap_or_default());
    m.insert("tt".into(), r.tt.clone());
    m.insert("title".into(), r.title.clone());
    m.insert("result".into(), r.product.clone().unwrap_or_default());
    m.insert("deadline".into(), r.finish.clone().unwrap_or_default());
    m.insert("lead".into(), common::join(&r.lead));
    m.insert("cooperating".into(), common::join(&r.cooperating));
    m
}

fn indicator_map(r: &IndicatorRow) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("group".into(), r.group.clone());
    m.insert("tt".into(), r.tt.clone());
    m.insert("name".into(), r.name.clone());
    m.insert("scope".into(), r.scope.clone().unwrap_or_default());
    m.insert("frequency".into(), r.frequency.clone());
    m.insert("lead".into(), common::join(&r.lead));
    m.insert("notes".into(), r.notes.clone().unwrap_or_default());
    m
}

fn read_seed() -> ImportedPlan {
    sectioned::read(&common::seed_text(SEED)).expect("the seed reads")
}

// ---------------------------------------------------------------------------------------
// The seed
// ---------------------------------------------------------------------------------------

#[test]
fn seed_tasks_match_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.rows.iter().filter(|r| !r.heading).map(task_map).collect();
    let want = common::expected("kon-tum-1012-2024.tasks.csv");
    common::assert_rows_match("kon-tum-1012-2024.tasks.csv", &got, &want);
}

#[test]
fn seed_indicators_match_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.indicators.iter().map(indicator_map).collect();
    let want = common::expected("kon-tum-1012-2024.indicators.csv");
    common::assert_rows_match("kon-tum-1012-2024.indicators.csv", &got, &want);
}

/// The same document as other extractors print it: CRLF line ends, no trailing spaces (so
/// nothing tells a word broken across lines, "Tháng/Nă" + "m"), no blank lines (so nothing
/// separates a heading from the text below it), or both.
fn other_extractions(text: &str) -> Vec<(&'static str, String)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let trimmed = |keep_blank: bool| -> String {
        lines.iter().map(|l| l.trim_end()).filter(|l| keep_blank || !l.is_empty()).collect::<Vec<_>>().join("\n")
    };
    vec![
        ("crlf", lines.join("\r\n")),
        ("no trailing spaces", trimmed(true)),
        ("no blank lines", lines.iter().copied().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")),
        ("neither", trimmed(false)),
    ]
}

#[test]
fn seed_reads_the_same_from_other_extractions() {
    let want_tasks = common::expected("kon-tum-1012-2024.tasks.csv");
    let want_indicators = common::expected("kon-tum-1012-2024.indicators.csv");
    for (name, text) in other_extractions(&common::seed_text(SEED)) {
        let plan = sectioned::read(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tasks: Vec<_> = plan.rows.iter().map(task_map).collect();
        common::assert_rows_match(&format!("tasks, {name}"), &tasks, &want_tasks);
        let indicators: Vec<_> = plan.indicators.iter().map(indicator_map).collect();
        common::assert_rows_match(&format!("indicators, {name}"), &indicators, &want_indicators);
    }
}

#[test]
fn seed_task_rows_carry_the_model_fields() {
    let plan = read_seed();
    for r in &plan.rows {
        assert_eq!(r.code, None, "no code column: codes are derived later");
        assert_eq!(r.level, 1);
        assert!(!r.heading);
        assert_eq!(r.start, None);
        assert!(r.finish.is_some() && r.product.is_some(), "{r:?}");
        assert!(r.section.as_deref().is_some_and(|s| s.contains(". ")), "{r:?}");
        // Every deadline is a time expression.
        let finish = r.finish.as_deref().unwrap_or_default();
        assert!(dondoc_core::timeexpr::parse(finish).is_ok(), "{finish}");
    }
    // Lines point at the TT of each row.
    let first = &plan.rows[0];
    assert_eq!((first.line, first.tt.as_str()), (363, "1"));
    let text = common::seed_text(SEED);
    let lines: Vec<&str> = text.lines().collect();
    for r in &plan.rows {
        assert_eq!(lines[r.line - 1].trim(), r.tt, "row {r:?}");
    }
    for r in plan.indicators.iter().filter(|r| !r.tt.is_empty()) {
        assert!(lines[r.line - 1].trim().starts_with(&r.tt), "indicator {r:?}");
        assert!(dondoc_core::timeexpr::parse(&r.frequency).is_ok(), "{}", r.frequency);
    }
}

#[test]
fn seed_metadata_is_what_the_document_prints() {
    let plan = read_seed();
    assert_eq!(
        plan.title.as_deref(),
        Some(
            "Triển khai Quyết định số 1012/QĐ-TTg ngày 20 tháng 9 năm 2024 của Thủ tướng Chính phủ về ban hành Kế \
             hoạch hành động chuyển đổi số hoạt động chỉ đạo, điều hành của Chính phủ, Thủ tướng Chính phủ trực \
             tuyến và dựa trên dữ liệu giai đoạn 2024 - 2025, định hướng đến năm 2030"
        )
    );
    // "(Kèm theo Kế hoạch số           /KH-UBND ngày       tháng 11 năm 2024 của Ủy ban nhân dân
    // tỉnh Kon Tum)": number and day left blank for the signature.
    assert_eq!(plan.number, None);
    assert_eq!(plan.date, None);
    assert_eq!(plan.date_text.as_deref(), Some("ngày tháng 11 năm 2024"));
    assert_eq!(plan.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Kon Tum"));
    let messages: Vec<&str> = plan.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("số văn bản để trống")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("ngày ban hành")), "{messages:?}");
    // The indicator catalogue skips TT 3 under "IV. Kế hoạch và Đầu tư", and one row has no
    // agency: both reported, with their lines.
    assert!(plan.warnings.iter().any(|w| w.line == 1775 && w.message.contains("TT 4 sau TT 2")), "{:?}", plan.warnings);
    assert!(
        plan.warnings.iter().any(|w| w.line == 2824 && w.message.contains("không có cơ quan")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn shape_detection_claims_only_this_shape() {
    assert!(sectioned::looks_like(&common::seed_text(SEED)));
    assert_eq!(text::detect(&common::seed_text(SEED)), Some(Shape::Sectioned));
    for other in ["quang-nam-cltk-2022.txt", "dong-thap-thong-ke-2026.txt"] {
        assert!(!sectioned::looks_like(&common::seed_text(other)), "{other} is not this shape");
    }
    assert!(sectioned::looks_like(SYNTHETIC));
    assert!(!sectioned::looks_like(""));
    assert!(!sectioned::looks_like("TT Nội dung\nMột dòng"));
    // The header in any line-broken form.
    assert!(sectioned::looks_like(
        "TT\nNhiệm\nvụ\nKết quả thực hiện\nThời hạn hoàn thành\nCơ quan thực hiện\nCơ quan phối hợp\nI Tiêu đề\n"
    ));
    // An indicator catalogue alone.
    assert!(sectioned::looks_like("Phụ lục II\nTT Thông tin, dữ liệu Phạm vi Thời gian Phân tổ\nCơ quan\nthực hiện\n"));
    // Not with a Mã số column.
    assert!(!sectioned::looks_like("TT Nội dung công việc Mã số Chủ trì Phối hợp Thời gian hoàn thành\n"));
}

#[test]
fn unknown_text_is_an_error_not_a_guess() {
    match sectioned::read("Một văn bản không có bảng nào.\n") {
        Err(ReadError::UnknownShape(msg)) => assert!(msg.contains("TT")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_row_without_a_time_cell_is_left_for_review_with_its_line() {
    let text = "TT Nhiệm vụ Kết quả thực hiện Thời hạn hoàn thành Cơ quan thực hiện Cơ quan phối hợp\n\
                I Phần một\n\
                1\n\
                Làm một việc không có thời hạn\n\
                Sở Tài chính\n";
    let plan = sectioned::read(text).expect("the table is read");
    assert!(plan.rows.iter().all(|r| r.heading), "no task row made of it: {:?}", plan.rows);
    let item = &plan.review[0];
    assert_eq!((item.line, item.tt.as_deref(), item.column.as_deref()), (3, Some("1"), Some("thời hạn")));
    assert!(item.reason.contains("TT 1"), "{}", item.reason);
    assert!(item.text.contains("Làm một việc không có thời hạn"), "{}", item.text);
}

// ---------------------------------------------------------------------------------------
// A plan of the same shape, written for this test (not from shared/)
// ---------------------------------------------------------------------------------------

/// A fictional plan as the same extraction would print it: cells one after another, broken
/// over lines, header repeated after a page number, a row (II.1) broken across the page with
/// its title, result and cooperating agencies carried over (the last two on one line).
const SYNTHETIC: &str = " KẾ HOẠCH 
Ứng dụng dữ liệu số trong chỉ đạo, điều hành của 

Ủy ban nhân dân tỉnh năm 2025 
 

Căn cứ các văn bản của Trung ương, Ủy ban nhân dân tỉnh ban hành kế hoạch. 

Phụ lục I 
Nhiệm vụ ứng dụng dữ liệu số 
(Kèm theo Kế hoạch số 215/KH-UBND ngày 12 tháng 3 năm 2025 
của Ủy ban nhân dân tỉnh Gia Lai) 

TT Nhiệm vụ 
Kết quả thực 

hiện 

Thời hạn 
hoàn 
thành 

Cơ quan 
thực hiện 

Cơ quan 
phối hợp 

I Hoàn thiện thể chế, chính sách 

1 

Xây dựng quy chế quản lý, 

vận hành Hệ thống thông tin 

báo cáo của tỉnh 

Quyết định 

của UBND 

tỉnh 

Quý II/2025 

Sở Tài 

chính 

Văn phòng 
UBND tỉnh; 

Sở Nội vụ 

2 

Rà soát, cắt giảm các chế độ 

báo cáo định kỳ không còn 

phù hợp với yêu cầu quản lý 

Danh mục chế 

độ báo cáo 

được cắt giảm 

Hằng năm 

Văn 
phòng 

UBND 

tỉnh 

Các sở, ban, 

ngành; UBND 

các huyện 

II Phát triển hạ tầng số và dữ liệu dùng chung 

1 

Nâng cấp Trung tâm dữ liệu 

của tỉnh bảo đảm lưu trữ, xử 

lý dữ liệu phục vụ chỉ đạo, 

Trung tâm dữ 

liệu được nâng 

Thường 

xuyên 

Sở Khoa học 

và Công 

nghệ 

Công an 

tỉnh; Sở Tài 

2 
 TT Nhiệm vụ 
Kết quả thực 

hiện 

Thời hạn 
hoàn 
thành 

Cơ quan 
thực hiện 

Cơ quan 
phối hợp 

điều hành của tỉnh và kết nối 

với Trung ương 

cấp chính 

2 

Triển khai nền tảng tích hợp, 

chia sẻ dữ liệu (LGSP) kết nối 

các hệ thống thông tin của tỉnh 

Nền tảng 

LGSP vận 

hành ổn định 

Tháng 

6/2025 

Sở Khoa học 

và Công 

nghệ, Công 

an tỉnh 

Sở Tài chính; 

Sở Nội vụ; 

Văn phòng 

UBND tỉnh 

3 

Cung cấp dữ liệu chuyên ngành 

phục vụ điều hành trực tuyến 

Dữ liệu được 

cung cấp 

Khi có yêu 

cầu 

Các sở, ban, 

ngành 

Văn phòng 

UBND tỉnh 

 

Phụ lục II 
Danh mục chỉ số phục vụ chỉ đạo, điều hành 

TT Thông tin, dữ liệu Phạm vi Thời gian Phân tổ 
Cơ quan 
thực hiện 

A. Nhóm chỉ số kinh tế 
I Giá cả thị trường 

1 

Chỉ số giá tiêu dùng (so với 
tháng trước; so với cùng kỳ) 

Toàn tỉnh Tháng 
Nhóm hàng 

chính 

Thống kê 
tỉnh 

2 Giá xăng dầu bán lẻ Toàn tỉnh Tuần  Sở Công Thương 

II Ngân sách nhà nước 

1 

Thu, chi ngân sách địa 
phương (lũy kế đến kỳ báo 
cáo) 

Toàn tỉnh 
Quý/ 

Năm 

Khoản thu, 
khoản chi 

Sở Tài 
chính 

B. Nhóm chỉ số xã hội 

1 

Số lao động được tạo việc 
làm mới 

Toàn tỉnh 
Tháng 6 

và 12 hằng 

năm 

Giới tính 

Sở Nội vụ, 
Thống kê 
tỉnh 

2 

Tỷ lệ người dân có hồ sơ 
sức khỏe điện tử 

Huyện, 
thị xã 

Tháng 
Sở Y tế 
";

fn row(
    section: &str,
    tt: &str,
    title: &str,
    result: &str,
    deadline: &str,
    lead: &str,
    coop: &str,
) -> BTreeMap<String, String> {
    [
        ("section", section),
        ("tt", tt),
        ("title", title),
        ("result", result),
        ("deadline", deadline),
        ("lead", lead),
        ("cooperating", coop),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn indicator(
    group: &str,
    tt: &str,
    name: &str,
    scope: &str,
    freq: &str,
    lead: &str,
    notes: &str,
) -> BTreeMap<String, String> {
    [
        ("group", group),
        ("tt", tt),
        ("name", name),
        ("scope", scope),
        ("frequency", freq),
        ("lead", lead),
        ("notes", notes),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn synthetic_plan_of_the_same_shape() {
    let plan = sectioned::read(SYNTHETIC).expect("reads");
    check_synthetic(&plan);
    assert_eq!(
        plan.title.as_deref(),
        Some("Ứng dụng dữ liệu số trong chỉ đạo, điều hành của Ủy ban nhân dân tỉnh năm 2025")
    );
    assert_eq!(plan.number.as_deref(), Some("215/KH-UBND"));
    assert_eq!(plan.date, NaiveDate::from_ymd_opt(2025, 3, 12));
    assert_eq!(plan.date_text.as_deref(), Some("ngày 12 tháng 3 năm 2025"));
    assert_eq!(plan.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Gia Lai"));
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    for (name, text) in other_extractions(SYNTHETIC) {
        check_synthetic(&sectioned::read(&text).unwrap_or_else(|e| panic!("{name}: {e}")));
    }
}

/// The synthetic plan's rows, whatever the extraction.
fn check_synthetic(plan: &ImportedPlan) {
    let s1 = "I. Hoàn thiện thể chế, chính sách";
    let s2 = "II. Phát triển hạ tầng số và dữ liệu dùng chung";
    let want = vec![
        row(
            s1,
            "1",
            "Xây dựng quy chế quản lý, vận hành Hệ thống thông tin báo cáo của tỉnh",
            "Quyết định của UBND tỉnh",
            "Quý II/2025",
            "Sở Tài chính",
            "Văn phòng UBND tỉnh; Sở Nội vụ",
        ),
        row(
            s1,
            "2",
            "Rà soát, cắt giảm các chế độ báo cáo định kỳ không còn phù hợp với yêu cầu quản lý",
            "Danh mục chế độ báo cáo được cắt giảm",
            "Hằng năm",
            "Văn phòng UBND tỉnh",
            "Các sở, ban, ngành; UBND các huyện",
        ),
        row(
            s2,
            "1",
            "Nâng cấp Trung tâm dữ liệu của tỉnh bảo đảm lưu trữ, xử lý dữ liệu phục vụ chỉ đạo, điều hành của tỉnh \
             và kết nối với Trung ương",
            "Trung tâm dữ liệu được nâng cấp",
            "Thường xuyên",
            "Sở Khoa học và Công nghệ",
            "Công an tỉnh; Sở Tài chính",
        ),
        row(
            s2,
            "2",
            "Triển khai nền tảng tích hợp, chia sẻ dữ liệu (LGSP) kết nối các hệ thống thông tin của tỉnh",
            "Nền tảng LGSP vận hành ổn định",
            "Tháng 6/2025",
            "Sở Khoa học và Công nghệ; Công an tỉnh",
            "Sở Tài chính; Sở Nội vụ; Văn phòng UBND tỉnh",
        ),
        row(
            s2,
            "3",
            "Cung cấp dữ liệu chuyên ngành phục vụ điều hành trực tuyến",
            "Dữ liệu được cung cấp",
            "Khi có yêu cầu",
            "Các sở, ban, ngành",
            "Văn phòng UBND tỉnh",
        ),
    ];
    let got: Vec<_> = plan.rows.iter().map(task_map).collect();
    common::assert_rows_match("synthetic tasks", &got, &want);
    // Agencies as separate items.
    assert_eq!(plan.rows[3].cooperating.len(), 3);
    assert_eq!(plan.rows[3].lead, ["Sở Khoa học và Công nghệ", "Công an tỉnh"]);

    let a1 = "A. Nhóm chỉ số kinh tế > I. Giá cả thị trường";
    let a2 = "A. Nhóm chỉ số kinh tế > II. Ngân sách nhà nước";
    let b = "B. Nhóm chỉ số xã hội";
    let want = vec![
        indicator(
            a1,
            "1",
            "Chỉ số giá tiêu dùng (so với tháng trước; so với cùng kỳ)",
            "Toàn tỉnh",
            "Tháng",
            "Thống kê tỉnh",
            "Nhóm hàng chính",
        ),
        indicator(a1, "2", "Giá xăng dầu bán lẻ", "Toàn tỉnh", "Tuần", "Sở Công Thương", ""),
        indicator(
            a2,
            "1",
            "Thu, chi ngân sách địa phương (lũy kế đến kỳ báo cáo)",
            "Toàn tỉnh",
            "Quý/ Năm",
            "Sở Tài chính",
            "Khoản thu, khoản chi",
        ),
        indicator(
            b,
            "1",
            "Số lao động được tạo việc làm mới",
            "Toàn tỉnh",
            "Tháng 6 và 12 hằng năm",
            "Sở Nội vụ; Thống kê tỉnh",
            "Giới tính",
        ),
        indicator(b, "2", "Tỷ lệ người dân có hồ sơ sức khỏe điện tử", "Huyện, thị xã", "Tháng", "Sở Y tế", ""),
    ];
    let got: Vec<_> = plan.indicators.iter().map(indicator_map).collect();
    common::assert_rows_match("synthetic indicators", &got, &want);
}

#[test]
fn column_order_comes_from_the_header() {
    // Lead and cooperating before the deadline, no result column.
    let text = "TT Nội dung Cơ quan chủ trì Cơ quan phối hợp Thời gian hoàn thành\n\
                I Tuyên truyền\n\
                1\n\
                Tổ chức hội nghị tuyên truyền\n\
                về chuyển đổi số\n\
                Sở Văn hóa, Thể\n\
                thao và Du lịch\n\
                Các sở, ngành\n\
                Quý IV/2025\n";
    let plan = sectioned::read(text).expect("reads");
    assert_eq!(plan.rows.len(), 1);
    let r = &plan.rows[0];
    assert_eq!(r.title, "Tổ chức hội nghị tuyên truyền về chuyển đổi số");
    assert_eq!(r.lead, ["Sở Văn hóa, Thể thao và Du lịch"]);
    assert_eq!(r.cooperating, ["Các sở, ngành"]);
    assert_eq!(r.finish.as_deref(), Some("Quý IV/2025"));
    assert_eq!(r.product, None);
}

#[test]
fn numbered_groups_are_heading_rows() {
    // Rows printed on one line each; "1" and "2" group the rows numbered under them.
    let text = "TT Nhiệm vụ Kết quả thực hiện Thời hạn hoàn thành Cơ quan thực hiện Cơ quan phối hợp \n\
                I. NHIỆM VỤ CHUNG \n\
                1 Hoàn thiện thể chế \n\
                1.1 Ban hành quy chế vận hành hệ thống Quyết định Quý II/2025 Sở Tài chính Sở Nội vụ \n\
                1.2 Rà soát chế độ báo cáo Văn bản rà soát Hằng năm Văn phòng UBND tỉnh Các sở, ngành \n\
                2 Phát triển dữ liệu \n\
                2.1 Xây dựng kho dữ liệu dùng chung Kho dữ liệu Tháng 12/2025 Sở Khoa học và Công nghệ Các sở, ngành \n";
    let plan = sectioned::read(text).expect("reads");
    let got: Vec<(&str, u8, bool, &str)> =
        plan.rows.iter().map(|r| (r.tt.as_str(), r.level, r.heading, r.title.as_str())).collect();
    assert_eq!(
        got,
        [
            ("1", 1, true, "Hoàn thiện thể chế"),
            ("1.1", 2, false, "Ban hành quy chế vận hành hệ thống"),
            ("1.2", 2, false, "Rà soát chế độ báo cáo"),
            ("2", 1, true, "Phát triển dữ liệu"),
            ("2.1", 2, false, "Xây dựng kho dữ liệu dùng chung"),
        ]
    );
    assert!(plan.rows.iter().all(|r| r.section.as_deref() == Some("I. NHIỆM VỤ CHUNG")));
    assert!(plan.rows[0].lead.is_empty() && plan.rows[0].finish.is_none());
    let r = &plan.rows[4];
    assert_eq!(
        (r.product.as_deref(), r.finish.as_deref(), r.lead.as_slice(), r.cooperating.as_slice()),
        (
            Some("Kho dữ liệu"),
            Some("Tháng 12/2025"),
            &["Sở Khoa học và Công nghệ".to_string()][..],
            &["Các sở, ngành".to_string()][..]
        )
    );
}

#[test]
fn rows_without_numbers_under_a_heading() {
    let text = "TT Thông tin, dữ liệu Phạm vi Thời gian Phân tổ \nCơ quan \nthực hiện \n\n\
                A. Nhóm chỉ số môi trường \n\n\
                Chỉ số chất lượng không khí \n(AQI) \n\nToàn tỉnh Ngày \nTrạm quan \ntrắc \n\n\
                Sở Tài nguyên \nvà Môi trường \n\n\
                Lượng mưa tại các trạm \n\nToàn tỉnh Giờ/Ngày \nTrạm đo \n\nĐài Khí tượng \nthủy văn tỉnh \n\n\
                B. Nhóm chỉ số xã hội \n\n1 \nSố người có việc làm mới Toàn tỉnh Quý  Sở Nội vụ \n";
    let plan = sectioned::read(text).expect("reads");
    let got: Vec<_> = plan.indicators.iter().map(indicator_map).collect();
    let a = "A. Nhóm chỉ số môi trường";
    let want = vec![
        indicator(
            a,
            "",
            "Chỉ số chất lượng không khí (AQI)",
            "Toàn tỉnh",
            "Ngày",
            "Sở Tài nguyên và Môi trường",
            "Trạm quan trắc",
        ),
        indicator(a, "", "Lượng mưa tại các trạm", "Toàn tỉnh", "Giờ/Ngày", "Đài Khí tượng thủy văn tỉnh", "Trạm đo"),
        indicator("B. Nhóm chỉ số xã hội", "1", "Số người có việc làm mới", "Toàn tỉnh", "Quý", "Sở Nội vụ", ""),
    ];
    common::assert_rows_match("rows without numbers", &got, &want);
    assert_eq!(plan.indicators[1].line, 17);
}

// ---------------------------------------------------------------------------------------
// Never panic
// ---------------------------------------------------------------------------------------

/// Mutations of the seed: delete, duplicate or swap lines, then maybe cut the text short.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    /// Insert a line of structure-like text.
    Insert(usize, String),
    /// Cut a line in two at a character.
    Split(usize, usize),
}

fn mutate(seed: &str, edits: &[Edit], cut: Option<usize>) -> String {
    let mut lines: Vec<String> = seed.split('\n').map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match *e {
            Edit::Delete(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Edit::Duplicate(i) => {
                if !lines.is_empty() {
                    let l = lines[i % n].clone();
                    lines.insert(i % n, l);
                }
            }
            Edit::Swap(i, j) => {
                if !lines.is_empty() {
                    lines.swap(i % n, j % n);
                }
            }
            Edit::Insert(i, ref l) => lines.insert(i % (lines.len() + 1), l.clone()),
            Edit::Split(i, at) => {
                if !lines.is_empty() {
                    let l = lines.remove(i % n);
                    let chars: Vec<char> = l.chars().collect();
                    let at = at % (chars.len() + 1);
                    lines.insert(i % n, chars[at..].iter().collect());
                    lines.insert(i % n, chars[..at].iter().collect());
                }
            }
        }
    }
    let text = lines.join("\n");
    match cut {
        Some(c) => {
            let mut at = c % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_string()
        }
        None => text,
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let structure = prop_oneof![
        Just("1 ".to_string()),
        Just("XIV ".to_string()),
        Just("II Tiêu đề ".to_string()),
        Just("B. Nhóm ".to_string()),
        Just(" ".to_string()),
        Just("4117 15".to_string()),
        Just("- Trong đó: ".to_string()),
        Just("Tháng/Qu".to_string()),
        Just(" TT Nhiệm vụ ".to_string()),
        Just("Phụ lục III ".to_string()),
        Just("Toàn tỉnh Tháng  Sở Y tế ".to_string()),
        "\\PC{0,20}",
    ];
    prop_oneof![
        (0usize..4000).prop_map(Edit::Delete),
        (0usize..4000).prop_map(Edit::Duplicate),
        (0usize..4000, 0usize..4000).prop_map(|(i, j)| Edit::Swap(i, j)),
        (0usize..4000, structure).prop_map(|(i, l)| Edit::Insert(i, l)),
        (0usize..4000, 0usize..100).prop_map(|(i, at)| Edit::Split(i, at)),
    ]
}

/// Cases of a property: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig { cases: n, ..ProptestConfig::default() }
}

fn check_result(text: &str) {
    let _ = sectioned::looks_like(text);
    match sectioned::read(text) {
        Ok(plan) => {
            for r in &plan.rows {
                assert!(r.line >= 1 && r.line <= text.split('\n').count(), "{r:?}");
            }
            for r in &plan.review {
                assert!(r.line >= 1 && r.line <= text.split('\n').count(), "{r:?}");
            }
        }
        Err(ReadError::Row { line, text: quoted, .. }) => {
            assert!(line >= 1 && line <= text.split('\n').count());
            assert!(!quoted.is_empty());
        }
        Err(ReadError::UnknownShape(_)) => {}
    }
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn damaged_seed_never_panics(edits in prop::collection::vec(edit(), 0..40), cut in prop::option::of(0usize..60_000)) {
        let seed = common::seed_text(SEED);
        check_result(&mutate(&seed, &edits, cut));
    }

    #[test]
    fn damaged_synthetic_never_panics(edits in prop::collection::vec(edit(), 0..20), cut in prop::option::of(0usize..6_000)) {
        check_result(&mutate(SYNTHETIC, &edits, cut));
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        check_result(&s);
    }

    #[test]
    fn table_like_noise_never_panics(
        body in prop::collection::vec(
            prop_oneof![
                Just("TT Nhiệm vụ Kết quả thực hiện Thời hạn hoàn thành Cơ quan thực hiện Cơ quan phối hợp".to_string()),
                Just("TT Thông tin, dữ liệu Phạm vi Thời gian Phân tổ Cơ quan thực hiện".to_string()),
                Just("I Tiêu đề".to_string()),
                Just("A. Nhóm".to_string()),
                Just("XIV".to_string()),
                Just("1".to_string()),
                Just("2 Tên chỉ số Toàn tỉnh Tháng  Sở Y tế".to_string()),
                Just("Tháng/Qu".to_string()),
                Just("ý/ Năm".to_string()),
                Just(" ".to_string()),
                Just(String::new()),
                Just("Phụ lục II".to_string()),
                Just("Thường xuyên".to_string()),
                Just("Văn phòng UBND tỉnh; Sở Y tế,".to_string()),
                "\\PC{0,30}",
            ],
            0..60,
        )
    ) {
        check_result(&body.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------
// Speed
// ---------------------------------------------------------------------------------------

fn fastest(text: &str, runs: usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let plan = sectioned::read(text);
            let d = t.elapsed();
            assert!(plan.is_ok());
            d
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn seed_reads_fast() {
    let text = common::seed_text(SEED);
    let d = fastest(&text, 5);
    eprintln!("seed: {d:?} ({})", if cfg!(debug_assertions) { "debug" } else { "release" });
    let limit = if cfg!(debug_assertions) { 200 } else { 50 }; // generous on a shared machine
    assert!(d < Duration::from_millis(limit), "seed took {d:?}");
}

/// A plan of `n` tasks: the synthetic rows repeated with new TTs, page headers included.
fn big_plan(n: usize) -> String {
    let start = SYNTHETIC.find("II Phát triển").unwrap_or(0);
    let end = SYNTHETIC.find("Phụ lục II").unwrap_or(SYNTHETIC.len());
    let body = &SYNTHETIC[start..end];
    let blocks: Vec<&str> = body.split("\n\n1 \n\n").collect();
    let rows_text = blocks.get(1).copied().unwrap_or_default();
    // "Nâng cấp ... \n\n2 \n\n Triển khai ... \n\n3 \n\n Cung cấp ...": renumber in a loop.
    let mut parts: Vec<String> = rows_text.split("\n\n2 \n\n").map(str::to_string).collect();
    let rest = parts.pop().unwrap_or_default();
    let (second, third) = rest.split_once("\n\n3 \n\n").unwrap_or((&rest, ""));
    let templates = [parts.concat(), second.to_string(), third.to_string()];
    let header = &SYNTHETIC[..SYNTHETIC.find("I Hoàn thiện").unwrap_or(0)];
    let mut out = String::from(header);
    out.push_str("I Nhiệm vụ chung \n\n");
    for i in 0..n {
        out.push_str(&format!("{} \n\n", i + 1));
        out.push_str(templates[i % 3].trim_end());
        out.push_str(" \n\n");
    }
    out
}

#[test]
fn five_hundred_tasks_read_fast() {
    let text = big_plan(500);
    let plan = sectioned::read(&text).expect("reads");
    assert_eq!(plan.rows.len(), 500);
    assert_eq!(plan.rows[499].tt, "500");
    assert_eq!(plan.rows[3].title, plan.rows[0].title);
    assert_eq!(plan.rows[4].cooperating, ["Sở Tài chính", "Sở Nội vụ", "Văn phòng UBND tỉnh"]);
    let d = fastest(&text, 3);
    let (limit, mode) = if cfg!(debug_assertions) { (2000, "debug") } else { (100, "release") };
    eprintln!("500 tasks: {d:?} ({mode})");
    assert!(d < Duration::from_millis(limit), "500 tasks took {d:?}");
}

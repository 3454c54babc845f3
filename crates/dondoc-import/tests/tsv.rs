//! The reader of tab-separated plan tables with HTML residue (`text::tsv`): the Đồng Tháp
//! seed against its expected table, a synthetic document with the variations of the shape,
//! errors, robustness on arbitrary and damaged input, and speed.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dondoc_import::text::{self, tsv};
use dondoc_import::{ImportedPlan, PlanRow, ReadError};
use proptest::prelude::*;

const SEED: &str = "dong-thap-thong-ke-2026.txt";
const EXPECTED: &str = "dong-thap-thong-ke-2026.tasks.csv";

/// A row as the expected tables write it.
fn as_map(row: &PlanRow) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("tt".to_string(), row.tt.clone()),
        ("title".to_string(), row.title.clone()),
        ("lead".to_string(), common::join(&row.lead)),
        ("cooperating".to_string(), common::join(&row.cooperating)),
        ("time".to_string(), row.finish.clone().unwrap_or_default()),
    ])
}

/// Held by the timing tests and the property tests, so that the clock does not measure the
/// property tests running beside it.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_ok(text: &str) -> ImportedPlan {
    tsv::read(text).unwrap_or_else(|e| panic!("{e}"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn seed_rows_match_the_expected_table() {
    let text = common::seed_text(SEED);
    assert!(!text.ends_with('\n'), "the seed's last line has no line end; read it as it is");
    let plan = read_ok(&text);
    let got: Vec<_> = plan.rows.iter().map(as_map).collect();
    let want = common::expected(EXPECTED);
    common::assert_rows_match(EXPECTED, &got, &want);
    assert_eq!(plan.rows.len(), 36, "5 headings and 31 tasks");
}

#[test]
fn seed_row_fields() {
    let plan = read_ok(&common::seed_text(SEED));
    for row in &plan.rows {
        assert_eq!(row.code, None, "{}", row.tt);
        assert_eq!(row.section, None, "{}", row.tt);
        assert_eq!(row.start, None, "{}", row.tt);
        assert_eq!(row.product, None, "{}", row.tt);
        assert_eq!(row.level as usize, row.tt.split('.').count(), "{}", row.tt);
        assert_eq!(row.heading, !row.tt.contains('.'), "{}", row.tt);
        assert_eq!(row.heading, row.finish.is_none(), "{}", row.tt);
    }
    let line = |tt: &str| plan.rows.iter().find(|r| r.tt == tt).map(|r| r.line);
    assert_eq!(line("1"), Some(188));
    assert_eq!(line("1.1"), Some(189));
    assert_eq!(line("1.3"), Some(191), "a row broken by a page starts on its first line");
    assert_eq!(line("5.3"), Some(244), "the last line, without a line end");
}

#[test]
fn seed_plan_and_its_impossible_date() {
    let plan = read_ok(&common::seed_text(SEED));
    assert_eq!(
        plan.title.as_deref(),
        Some("Kế hoạch về nâng cao công tác thống kê Nhà nước trên địa bàn tỉnh Đồng Tháp")
    );
    assert_eq!(plan.number.as_deref(), Some("818/KH-UBND"));
    assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Đồng Tháp"));
    assert_eq!(plan.date_text.as_deref(), Some("04/16/2026"));
    assert_eq!(plan.date, None);
    assert!(plan.indicators.is_empty());
    assert_eq!(plan.warnings.len(), 1, "{:#?}", plan.warnings);
    let warning = &plan.warnings[0];
    assert_eq!(warning.line, 185);
    assert!(warning.message.contains("04/16/2026"), "{}", warning.message);
}

#[test]
fn recognises_the_seed_and_no_other_seed() {
    assert!(tsv::looks_like(&common::seed_text(SEED)));
    assert_eq!(text::detect(&common::seed_text(SEED)), Some(text::Shape::Tsv));
    for other in ["quang-nam-cltk-2022.txt", "kon-tum-1012-2024.txt"] {
        assert!(!tsv::looks_like(&common::seed_text(other)), "{other}");
    }
    assert!(!tsv::looks_like(""));
    assert!(!tsv::looks_like("STT Nội dung Chủ trì\n1 Việc Sở"));
    assert!(tsv::looks_like("\u{feff}TT\tNhiệm vụ\tThời hạn\r\n"));
    assert!(tsv::looks_like("a\tb\tc\td\na\tb\tc\td\na\tb\tc\td"));
    assert!(!tsv::looks_like("a\tb\tc\td\na\tb\tc\td\n"));
}

#[test]
fn line_ends_bom_and_a_final_newline_change_nothing() {
    let text = common::seed_text(SEED);
    let base = read_ok(&text);
    for variant in [
        text.replace('\n', "\r\n"),
        format!("\u{feff}{}", text.replace('\n', "\r")),
        format!("{text}\n"),
        format!("{text}\r\n\r\n"),
    ] {
        let plan = read_ok(&variant);
        assert_eq!(plan, base);
    }
}

/// A plan of the same shape written for this test: a header block with number, place and
/// date; CRLF and a BOM; a column-number line; roman parts; entities, `<br>`, nested lists,
/// bold in both spellings; empty cells; a cell broken by a line break (the rest on the next
/// line without tab or number); a row broken by a page with the header repeated; a time the
/// import will not read; text after the table.
const SYNTHETIC: &str = concat!(
    "\u{feff}ỦY BAN NHÂN DÂN\r\n",
    "TỈNH AN GIANG\r\n",
    "Số: 45/KH-UBND\r\n",
    "An Giang, ngày 3 tháng 2 năm 2026\r\n",
    "\r\n",
    "**KẾ HOẠCH**  \r\n",
    "**Triển khai công tác số hóa hồ sơ lưu trữ năm 2026**\r\n",
    "\r\n",
    "Căn cứ Luật Lưu trữ; Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:\r\n",
    "\r\n",
    "TT\tNội dung nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành\r\n",
    "(1)\t(2)\t(3)\t(4)\t(5)\r\n",
    "I\t<b>NHIỆM VỤ CHUNG</b>\t\t\t\r\n",
    "1\t**Rà soát &amp; thống kê hồ sơ**\t\t\t\r\n",
    "1.1\tRà soát hồ sơ tại các sở &quot;trọng điểm&quot;\tSở Nội vụ\t<ul><li>Các sở:<ul><li>Sở Tài chính;</li><li>Sở Tư pháp.</li></ul></li><li>UBND các xã, phường</li></ul>\tQuý I/2026\r\n",
    "1.2\tXây dựng danh mục hồ sơ<br>cần số hóa\tSở Nội vụ<br/>Trung tâm Lưu trữ lịch sử\t\tTháng 6/2026\r\n",
    "1.3.\tBáo cáo kết quả ( <i>định kỳ</i> )\tSở Nội vụ\tCác sở, ban, ngành&nbsp;tỉnh\t\r\n",
    "<strong>2. Số hóa</strong>\t\t\t\t\r\n",
    "2.1\tSố hóa hồ sơ giai đoạn 1, gồm:\r\n",
    "- hồ sơ đất đai;\r\n",
    "- hồ sơ hộ tịch\tSở Nội vụ\t- Sở Khoa học và Công nghệ; - Sở Nông nghiệp và Môi trường.\t2026 - 2027\r\n",
    "2.2\tVận hành kho lưu trữ số\tTrung tâm\tSở Khoa học và\t\r\n",
    "\r\n",
    "TT\tNội dung nhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành\r\n",
    "\tcủa tỉnh (kho dữ liệu dùng chung)\tLưu trữ lịch sử\tCông nghệ\tThường xuyên\r\n",
    "II\t<strong>NHIỆM VỤ KHÁC</strong>\t\t\t\r\n",
    "1\tTuyên truyền về lưu trữ số\tSở Văn hóa, Thể thao và Du lịch\tBáo và Phát thanh, Truyền hình An Giang\tHằng năm\r\n",
    "2\tTổng kết\tSở Nội vụ\t\tSau khi có hướng dẫn\r\n",
    "\r\n",
    "Nơi nhận:\r\n",
    "- Như trên;\r\n",
    "- Lưu: VT.",
);

#[test]
fn synthetic_document() {
    assert!(tsv::looks_like(SYNTHETIC));
    let plan = read_ok(SYNTHETIC);
    assert_eq!(plan.title.as_deref(), Some("Kế hoạch triển khai công tác số hóa hồ sơ lưu trữ năm 2026"));
    assert_eq!(plan.number.as_deref(), Some("45/KH-UBND"));
    assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh An Giang"));
    assert_eq!(plan.date_text.as_deref(), Some("3 tháng 2 năm 2026"));
    assert_eq!(plan.date, NaiveDate::from_ymd_opt(2026, 2, 3));

    let part_one = Some("I. NHIỆM VỤ CHUNG".to_string());
    let part_two = Some("II. NHIỆM VỤ KHÁC".to_string());
    let row = |line,
               section: &Option<String>,
               tt: &str,
               level,
               title: &str,
               lead: &[&str],
               coop: &[&str],
               finish: Option<&str>| PlanRow {
        line,
        section: section.clone(),
        tt: tt.into(),
        code: None,
        level,
        heading: lead.is_empty() && coop.is_empty(),
        title: title.into(),
        lead: strings(lead),
        cooperating: strings(coop),
        start: None,
        finish: finish.map(str::to_string),
        product: None,
    };
    let want = vec![
        row(13, &None, "I", 0, "NHIỆM VỤ CHUNG", &[], &[], None),
        row(14, &part_one, "1", 1, "Rà soát & thống kê hồ sơ", &[], &[], None),
        row(
            15,
            &part_one,
            "1.1",
            2,
            "Rà soát hồ sơ tại các sở \"trọng điểm\"",
            &["Sở Nội vụ"],
            &["Sở Tài chính", "Sở Tư pháp", "UBND các xã, phường"],
            Some("Quý I/2026"),
        ),
        row(
            16,
            &part_one,
            "1.2",
            2,
            "Xây dựng danh mục hồ sơ cần số hóa",
            &["Sở Nội vụ", "Trung tâm Lưu trữ lịch sử"],
            &[],
            Some("Tháng 6/2026"),
        ),
        row(17, &part_one, "1.3", 2, "Báo cáo kết quả (định kỳ)", &["Sở Nội vụ"], &["Các sở, ban, ngành tỉnh"], None),
        row(18, &part_one, "2", 1, "Số hóa", &[], &[], None),
        row(
            19,
            &part_one,
            "2.1",
            2,
            "Số hóa hồ sơ giai đoạn 1, gồm: - hồ sơ đất đai; - hồ sơ hộ tịch",
            &["Sở Nội vụ"],
            &["Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường"],
            Some("2026 - 2027"),
        ),
        row(
            22,
            &part_one,
            "2.2",
            2,
            "Vận hành kho lưu trữ số của tỉnh (kho dữ liệu dùng chung)",
            &["Trung tâm Lưu trữ lịch sử"],
            &["Sở Khoa học và Công nghệ"],
            Some("Thường xuyên"),
        ),
        row(26, &None, "II", 0, "NHIỆM VỤ KHÁC", &[], &[], None),
        row(
            27,
            &part_two,
            "1",
            1,
            "Tuyên truyền về lưu trữ số",
            &["Sở Văn hóa, Thể thao và Du lịch"],
            &["Báo và Phát thanh, Truyền hình An Giang"],
            Some("Hằng năm"),
        ),
        row(28, &part_two, "2", 1, "Tổng kết", &["Sở Nội vụ"], &[], Some("Sau khi có hướng dẫn")),
    ];
    assert_eq!(plan.rows.len(), want.len(), "{:#?}", plan.rows);
    for (got, want) in plan.rows.iter().zip(&want) {
        assert_eq!(got, want);
    }

    // Time cells are kept as written, even one the import will refuse ("Sau khi có hướng
    // dẫn"); the text after the table is skipped with one warning.
    let warnings: Vec<(usize, &str)> = plan.warnings.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].0, 30);
    assert!(warnings[0].1.contains("30–32"), "{}", warnings[0].1);
}

#[test]
fn columns_are_found_by_name_and_merged_headers_refined() {
    let text = "\
KẾ HOẠCH THỰC HIỆN CHƯƠNG TRÌNH X
(Kèm theo Kế hoạch số 7/KH-UBND ngày 31/12/2025 của Ủy ban nhân dân tỉnh)

STT\tNhiệm vụ\tThời hạn\tCơ quan thực hiện\t\tGhi chú
\t\t\tChủ trì\tPhối hợp\t
1\tViệc một\t2026\tSở A; Sở B\tSở C\tghi chú bỏ qua
";
    let plan = read_ok(text);
    assert_eq!(plan.title.as_deref(), Some("KẾ HOẠCH THỰC HIỆN CHƯƠNG TRÌNH X"));
    assert_eq!(plan.number.as_deref(), Some("7/KH-UBND"));
    assert_eq!(plan.date, NaiveDate::from_ymd_opt(2025, 12, 31));
    assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh"), "no place named: the unit stays as printed");
    assert_eq!(plan.rows.len(), 1);
    let r = &plan.rows[0];
    assert_eq!((r.title.as_str(), r.finish.as_deref()), ("Việc một", Some("2026")));
    assert_eq!(r.lead, ["Sở A", "Sở B"]);
    assert_eq!(r.cooperating, ["Sở C"]);
    assert!(plan.warnings.is_empty(), "{:#?}", plan.warnings);
}

#[test]
fn without_a_header_the_default_columns_apply() {
    let plan = read_ok("1\tViệc\tSở A\tSở B\tHằng năm\n2\tViệc khác\tSở A\t\t2026\n");
    assert_eq!(plan.rows.len(), 2);
    assert_eq!(plan.rows[1].lead, ["Sở A"]);
    assert_eq!(plan.warnings.len(), 1);
    assert!(matches!(tsv::read("văn bản thường\nkhông có bảng"), Err(ReadError::UnknownShape(_))));
}

#[test]
fn unreadable_rows_are_left_for_review_with_their_line_and_text() {
    let header = "STT\tNội dung\tChủ trì\tPhối hợp\tThời gian\n";
    let good = "9\tViệc đọc được\tSở E\tSở G\t2026\n";
    let cases = [
        (format!("{header}1\tViệc\tSở A\tSở B\t2026\tthừa\n{good}"), 2, "1 Việc Sở A Sở B 2026 thừa"),
        (format!("{header}{good}\nKhông số\tSở C\tSở D\t2026"), 4, "Không số Sở C Sở D 2026"),
        (format!("{header}\tTiếp nối\t\t\t\n{good}"), 2, "Tiếp nối"),
        (format!("{header}1.1\t\tSở A\t\t2026\n{good}"), 2, "1.1 Sở A 2026"),
    ];
    for (text, line, quoted) in cases {
        let plan = tsv::read(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let item = plan.review.first().unwrap_or_else(|| panic!("{text:?}: nothing to review"));
        assert_eq!((item.line, item.text.as_str()), (line, quoted), "{}", item.reason);
        assert!(!item.reason.is_empty());
        // The readable row is read all the same.
        assert!(plan.rows.iter().any(|r| r.title == "Việc đọc được"), "{text:?}: {:?}", plan.rows);
    }
}

#[test]
fn page_numbers_and_notes_between_pages() {
    let text = "\
STT\tNội dung\tChủ trì\tPhối hợp\tThời gian
1\tViệc một\tSở A\tSở B\t2026

Ghi chú: xem trang sau

2

STT\tNội dung\tChủ trì\tPhối hợp\tThời gian
\tcòn tiếp\t\t- Sở C\t
2\tViệc hai\tSở C\t\tQuý I/2026
3
";
    let plan = read_ok(text);
    let rows: Vec<_> = plan.rows.iter().map(|r| (r.tt.as_str(), r.title.as_str(), r.cooperating.clone())).collect();
    assert_eq!(rows, [("1", "Việc một còn tiếp", strings(&["Sở B", "Sở C"])), ("2", "Việc hai", vec![])]);
    let lines: Vec<usize> = plan.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [4, 6, 11], "{:#?}", plan.warnings);
}

#[test]
fn duplicate_numbers_are_reported() {
    let plan = read_ok("STT\tNội dung\tChủ trì\tPhối hợp\tThời gian\n1\tA\tSở A\t\t2026\n1\tB\tSở B\t\t2026\n");
    assert_eq!(plan.rows.len(), 2, "both rows are kept");
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(plan.warnings[0].line, 3);
}

#[test]
fn seed_reads_fast() {
    let _heavy = heavy();
    let text = common::seed_text(SEED);
    let best = (0..10)
        .map(|_| {
            let t = Instant::now();
            let plan = tsv::read(&text).unwrap();
            assert!(tsv::looks_like(&text));
            std::hint::black_box(plan);
            t.elapsed()
        })
        .min()
        .unwrap();
    eprintln!("seed: {best:?}");
    let limit = if cfg!(debug_assertions) { 100 } else { 20 }; // generous on a shared machine
    assert!(best < Duration::from_millis(limit), "{best:?}");
}

#[test]
fn five_hundred_rows_read_fast() {
    let _heavy = heavy();
    let mut text = String::from("**KẾ HOẠCH**\n\nSTT\tNội dung\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian\n");
    for group in 1..=25 {
        text.push_str(&format!("<b>{group}. Nhóm nhiệm vụ số {group}</b>\t\t\t\t\n"));
        for task in 1..=19 {
            text.push_str(&format!(
                "{group}.{task}\tNhiệm vụ <i>số</i> {task} của nhóm {group}, bảo đảm &quot;đúng hạn&quot;\tSở Tài chính; Thống kê tỉnh\t<ul><li>- Các sở, ban, ngành tỉnh;</li><li>- UBND các xã, phường.</li></ul>\tQuý, 6 tháng, 9 tháng, năm\n"
            ));
            if task % 7 == 0 {
                text.push_str("\nSTT\tNội dung\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian\n\t(tiếp theo)\t\t\t\n");
            }
        }
    }
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            let plan = tsv::read(&text).unwrap();
            assert_eq!(plan.rows.len(), 500);
            t.elapsed()
        })
        .min()
        .unwrap();
    eprintln!("500 rows: {best:?}");
    let limit = if cfg!(debug_assertions) { 500 } else { 50 };
    assert!(best < Duration::from_millis(limit), "{best:?}");
}

#[test]
fn pathological_input_stays_fast() {
    let _heavy = heavy();
    let header = "STT\tNội dung\tChủ trì\tPhối hợp\tThời gian\n";
    for body in [
        "&".repeat(100_000),
        "<!--".repeat(25_000),
        "<b ".repeat(30_000),
        "*a".repeat(50_000),
        " - A".repeat(25_000),
        "\t".repeat(100_000),
        "1\t".repeat(50_000),
        "\tx\t\t\t\n".repeat(20_000),
        "x\n".repeat(50_000),
        "1\n\n\n".repeat(30_000),
    ] {
        let text = format!("{header}1\tViệc\t{body}\t\t\n{body}");
        let t = Instant::now();
        check(&text);
        assert!(t.elapsed() < Duration::from_secs(3), "{:?} for {:?}…", t.elapsed(), &body[..8]);
    }
}

/// The invariants of any answer: no panic, rows and errors that point into the text.
fn check(text: &str) {
    let _ = tsv::looks_like(text);
    let lines = text.split(['\n', '\r']).count().max(1);
    match tsv::read(text) {
        Ok(plan) => {
            for row in &plan.rows {
                assert!(row.line >= 1 && row.line <= lines, "row line {} of {lines}", row.line);
                assert!(!row.tt.is_empty() && !row.title.is_empty());
                assert!(row.lead.iter().chain(&row.cooperating).all(|a| !a.is_empty()));
            }
            for w in &plan.warnings {
                assert!(w.line >= 1 && w.line <= lines, "warning line {} of {lines}", w.line);
            }
            for r in &plan.review {
                assert!(r.line >= 1 && r.line <= lines, "review line {} of {lines}", r.line);
            }
        }
        Err(ReadError::Row { line, .. }) => assert!(line >= 1 && line <= lines, "error line {line} of {lines}"),
        Err(ReadError::UnknownShape(_)) => {}
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Tab(usize, usize),
    Truncate(usize),
    Swap(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(l, c)| Edit::Tab(l, c)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = seed.split('\n').map(str::to_string).collect();
    let mut truncate = None;
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *e {
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Tab(i, c) => {
                let l = &mut lines[i % n];
                let bounds: Vec<usize> = (0..=l.len()).filter(|&b| l.is_char_boundary(b)).collect();
                l.insert(bounds[c % bounds.len()], '\t');
            }
            Edit::Truncate(at) => truncate = Some(at),
            Edit::Swap(a, b) => lines.swap(a % n, b % n),
        }
    }
    let mut text = lines.join("\n");
    if let Some(at) = truncate {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        let _heavy = heavy();
        check(&s);
    }

    #[test]
    fn never_panics_on_table_like_text(
        body in "[\\t\\n\\r<>/&;#*_()\\-.: 0-9IVXabliurpsong=\"ĐđƯưỦ\u{feff}\u{a0}]{0,300}"
    ) {
        let _heavy = heavy();
        check(&body);
        check(&format!("STT\tNội dung\tChủ trì\tPhối hợp\tThời gian\n{body}"));
        check(&format!("STT\tNội dung\tChủ trì\tPhối hợp\tThời gian\n1\tViệc\tSở A\t\t{body}"));
    }

    #[test]
    fn never_panics_on_a_damaged_seed(edits in proptest::collection::vec(edit(), 1..12)) {
        let _heavy = heavy();
        let seed = common::seed_text(SEED);
        let text = apply(&seed, &edits);
        check(&text);
    }
}

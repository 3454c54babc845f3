//! The reader of statistics-strategy plan tables (shape "CLTK") against the Quảng Nam seed
//! and its expected table, a synthetic plan of the same shape, speed, and arbitrary input.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dondoc_import::model::{ImportedPlan, PlanRow};
use dondoc_import::text::{self, Shape, cltk};
use proptest::prelude::*;

const SEED: &str = "quang-nam-cltk-2022.txt";
const EXPECTED: &str = "quang-nam-cltk-2022.tasks.csv";

fn as_map(r: &PlanRow) -> BTreeMap<String, String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    [
        ("tt", r.tt.clone()),
        ("code", opt(&r.code)),
        ("level", r.level.to_string()),
        ("title", r.title.clone()),
        ("lead", common::join(&r.lead)),
        ("cooperating", common::join(&r.cooperating)),
        ("start", opt(&r.start)),
        ("finish", opt(&r.finish)),
        ("product", opt(&r.product)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn read_seed() -> ImportedPlan {
    cltk::read(&common::seed_text(SEED)).expect("the seed reads")
}

#[test]
fn seed_matches_the_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.rows.iter().map(as_map).collect();
    common::assert_rows_match(SEED, &got, &common::expected(EXPECTED));
}

/// The seed's lines without its page furniture: each repeated header (from "Cơ quan thực
/// hiện ..." to the column index row) with the page number and blank lines above it.
fn seed_without_headers() -> (Vec<String>, Vec<String>) {
    let text = common::seed_text(SEED);
    let mut body: Vec<String> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut in_header = false;
    let mut pages = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("Cơ quan thực hiện Thời gian thực hiện") {
            in_header = true;
            pages += 1;
            while body.last().is_some_and(|l| l.trim().is_empty()) {
                body.pop();
            }
            if body.last().is_some_and(|l| l.trim() == pages.to_string()) {
                body.pop();
            }
            header.clear();
        }
        if in_header {
            header.push(line.to_string());
            in_header = !line.starts_with("(A) (B)");
        } else {
            body.push(line.to_string());
        }
    }
    (body, header)
}

#[test]
fn seed_reads_the_same_with_page_breaks_elsewhere() {
    let want = common::expected(EXPECTED);
    let (body, header) = seed_without_headers();
    // No page furniture at all.
    let plain = body.join("\n");
    let got: Vec<_> = cltk::read(&plain).unwrap().rows.iter().map(as_map).collect();
    common::assert_rows_match("seed without headers", &got, &want);
    // A page break (page number, header) every `every` lines, falling inside cells.
    for every in [17, 23, 37, 51] {
        let mut out: Vec<String> = Vec::new();
        let mut page = 1;
        for (i, line) in body.iter().enumerate() {
            if i > 30 && i % every == 0 {
                page += 1;
                out.extend(["".to_string(), page.to_string()]);
                out.extend(header.iter().cloned());
            }
            out.push(line.clone());
        }
        let text = out.join("\r\n");
        let plan = cltk::read(&text).unwrap();
        let got: Vec<_> = plan.rows.iter().map(as_map).collect();
        common::assert_rows_match(&format!("seed with a page every {every} lines"), &got, &want);
        assert_eq!(plan.warnings.len(), 3, "{every}: {:#?}", plan.warnings);
    }
}

#[test]
fn seed_misprinted_code_is_reported_and_both_rows_kept() {
    let plan = read_seed();
    let rows: Vec<&PlanRow> = plan.rows.iter().filter(|r| r.code.as_deref() == Some("03123")).collect();
    assert_eq!(rows.iter().map(|r| r.tt.as_str()).collect::<Vec<_>>(), ["3.1.2.2", "3.1.2.3"]);
    assert_eq!((rows[0].line, rows[1].line), (824, 853));
    assert_ne!(rows[0].title, rows[1].title);
    let dup: Vec<_> = plan.warnings.iter().filter(|w| w.message.contains("03123")).collect();
    assert_eq!(dup.len(), 1, "{:#?}", plan.warnings);
    assert_eq!(dup[0].line, 831, "the line where 03123 is printed for 3.1.2.2");
    for needle in ["3.1.2.2", "3.1.2.3", "03122", "824", "853"] {
        assert!(dup[0].message.contains(needle), "{needle} in {}", dup[0].message);
    }
    // Besides it, only the placeholders of the decision's number and day are reported.
    assert_eq!(plan.warnings.len(), 3, "{:#?}", plan.warnings);
    assert!(plan.warnings.iter().any(|w| w.line == 5 && w.message.contains("#sovb")));
    assert!(plan.warnings.iter().any(|w| w.line == 5 && w.message.contains("#nbh")));
}

#[test]
fn seed_particulars_lines_and_sections() {
    let plan = read_seed();
    assert_eq!(
        plan.title.as_deref(),
        Some(
            "KẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC PHÁT TRIỂN THỐNG KÊ GIAI ĐOẠN 2021-2030, TẦM NHÌN ĐẾN NĂM 2045 TRÊN ĐỊA BÀN TỈNH QUẢNG NAM"
        )
    );
    assert_eq!(plan.number, None, "printed as the placeholder #sovb");
    assert_eq!(plan.date, None, "printed as the placeholder #nbh");
    assert_eq!(plan.date_text.as_deref(), Some("ngày #nbh tháng 10 năm 2022"));
    assert_eq!(plan.issuer.as_deref(), Some("UBND tỉnh Quảng Nam"));
    assert!(plan.indicators.is_empty());

    let by_tt = |tt: &str| plan.rows.iter().find(|r| r.tt == tt).unwrap();
    assert_eq!(by_tt("I").line, 25);
    assert_eq!(by_tt("1.1.2.8").line, 99);
    assert_eq!(by_tt("4").line, 1005);
    assert_eq!(by_tt("11.4.4").line, 2669);
    assert_eq!(by_tt("1.1.2.3").section.as_deref(), Some("I. CÁC NHÓM NHIỆM VỤ VÀ GIẢI PHÁP"));
    assert_eq!(
        by_tt("10").section.as_deref(),
        Some("II. CÁC HOẠT ĐỘNG TRIỂN KHAI THỰC HIỆN, THEO DÕI VÀ ĐÁNH GIÁ CLTK21-30")
    );
    assert!(plan.rows.windows(2).all(|w| w[0].line < w[1].line));
    for r in &plan.rows {
        assert_eq!(r.heading, r.lead.is_empty() && r.cooperating.is_empty(), "{}", r.tt);
        assert_eq!(r.code.is_some(), r.level > 0, "{}", r.tt);
    }
    // Every time cell is a time expression.
    for r in &plan.rows {
        for t in r.start.iter().chain(&r.finish) {
            assert!(dondoc_core::timeexpr::parse(t).is_ok(), "{}: {t}", r.tt);
        }
    }
}

#[test]
fn shape_is_recognised_only_for_the_cltk_seed() {
    assert!(cltk::looks_like(&common::seed_text(SEED)));
    assert_eq!(text::detect(&common::seed_text(SEED)), Some(Shape::Cltk));
    for other in ["kon-tum-1012-2024.txt", "dong-thap-thong-ke-2026.txt"] {
        let t = common::seed_text(other);
        assert!(!cltk::looks_like(&t), "{other} is not a CLTK table");
        let _ = cltk::read(&t); // no panic, whatever it makes of it
    }
    assert!(cltk::looks_like(SYNTHETIC));
    // Without the header: the code-bearing rows are enough.
    let headerless: String = SYNTHETIC
        .lines()
        .filter(|l| !l.contains("Chủ trì") && !l.contains("Sản phẩm"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(cltk::looks_like(&headerless));
    assert!(!cltk::looks_like("TT Nội dung Chủ trì Phối hợp Thời gian\n1 Việc một Sở Tài chính 2025\n"));
}

#[test]
fn expected_codes_follow_the_row_numbers() {
    assert_eq!(cltk::expected_code("1.1.2.3").as_deref(), Some("01123"));
    assert_eq!(cltk::expected_code("10.1.2").as_deref(), Some("1012"));
    assert_eq!(cltk::expected_code("4").as_deref(), Some("04"));
    assert_eq!(cltk::expected_code("II"), None);
    assert_eq!(cltk::expected_code("2022"), None);
}

#[test]
fn seed_reads_fast() {
    let text = common::seed_text(SEED);
    let best = (0..5)
        .map(|_| {
            let t = Instant::now();
            cltk::read(&text).unwrap();
            t.elapsed()
        })
        .min()
        .unwrap();
    eprintln!("seed: {best:?}");
    // Generous in debug builds on a shared 2-core machine; the product target is the whole
    // 500-task import in under 1 s (tests/cli_import.rs).
    let limit = if cfg!(debug_assertions) { 200 } else { 50 };
    assert!(best < Duration::from_millis(limit), "reading the seed took {best:?}");
}

// ------------------------------------------------------------------ a synthetic plan

/// A plan of the same shape written for this test: a letterhead, a page break in the middle
/// of row 1.1.2 (page number and repeated header between its title and its code), columns
/// sharing lines, a row with only a start time, rows with two leads, heading rows, a
/// product line starting with a number, and numbering going on under part II.
const SYNTHETIC: &str = "ỦY BAN NHÂN DÂN
TỈNH HÒA BÌNH

KẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC PHÁT TRIỂN THỐNG KÊ 
NĂM 2026 TRÊN ĐỊA BÀN TỈNH HÒA BÌNH

(Kèm theo Quyết định số 1234/QĐ-UBND ngày 15 tháng 3 năm 2026 
của Ủy ban nhân dân tỉnh Hòa Bình)

Cơ quan thực hiện Thời gian thực hiện

TT Nội dung công việc Mã 
số Chủ trì Phối hợp

Thời 
gian bắt 

đầu

Thời gian 
hoàn 
thành

Sản phẩm

(A) (B) (C) (D) (E) (F) (G) (H)

I NHIỆM VỤ TRỌNG TÂM

1
Hoàn thiện thể chế thống 
kê của tỉnh

01  

1.1 Rà soát văn bản 011  

1.1.1
Rà soát, sửa đổi quy chế phối 
hợp cung cấp thông tin thống 
kê giữa các cơ quan

0111 UBND 
tỉnh

Thống kê 
tỉnh; các sở, 
ban, ngành

Quý IV/2026

Quy chế phối hợp được ban 
hành

1.1.2
Tổng hợp, đánh giá tình hình 
thực hiện chế độ báo cáo 
thống kê cấp tỉnh



2
Cơ quan thực hiện Thời gian thực hiện

TT Nội dung công việc Mã 
số Chủ trì Phối hợp

Thời 
gian bắt 

đầu

Thời gian 
hoàn 
thành

Sản phẩm

(A) (B) (C) (D) (E) (F) (G) (H)

0112
Sở Tài 
chính; 

Thống kê 
tỉnh

UBND các xã, 
phường

2026 2030
Báo cáo đánh giá hằng năm, 
5 năm

1.2 Đào tạo, bồi dưỡng 012

1.2.1 Tập huấn nghiệp vụ cho công chức 
cấp xã 0121 Thống kê 

tỉnh
Sở Nội vụ Hằng năm Số lớp tập huấn

2
Hiện đại hóa thu thập dữ liệu

02  

2.1.3
Ứng dụng phiếu điều tra điện tử

0213
Thống kê 
tỉnh
2027 2030 100% cuộc điều tra dùng 
phiếu điện tử

II
TỔ CHỨC THỰC HIỆN

3
Sơ kết thực hiện kế hoạch 03 UBND 
tỉnh, Thống 
kê tỉnh

Các sở, ban, 
ngành

Tháng 
12/2026

Báo cáo sơ kết
";

/// The rows of [`SYNTHETIC`]: tt, code, title, lead, cooperating, start, finish, product.
const SYNTHETIC_ROWS: &[[&str; 8]] = &[
    ["I", "", "NHIỆM VỤ TRỌNG TÂM", "", "", "", "", ""],
    ["1", "01", "Hoàn thiện thể chế thống kê của tỉnh", "", "", "", "", ""],
    ["1.1", "011", "Rà soát văn bản", "", "", "", "", ""],
    [
        "1.1.1",
        "0111",
        "Rà soát, sửa đổi quy chế phối hợp cung cấp thông tin thống kê giữa các cơ quan",
        "UBND tỉnh",
        "Thống kê tỉnh; các sở, ban, ngành",
        "Quý IV/2026",
        "",
        "Quy chế phối hợp được ban hành",
    ],
    [
        "1.1.2",
        "0112",
        "Tổng hợp, đánh giá tình hình thực hiện chế độ báo cáo thống kê cấp tỉnh",
        "Sở Tài chính; Thống kê tỉnh",
        "UBND các xã, phường",
        "2026",
        "2030",
        "Báo cáo đánh giá hằng năm, 5 năm",
    ],
    ["1.2", "012", "Đào tạo, bồi dưỡng", "", "", "", "", ""],
    [
        "1.2.1",
        "0121",
        "Tập huấn nghiệp vụ cho công chức cấp xã",
        "Thống kê tỉnh",
        "Sở Nội vụ",
        "Hằng năm",
        "",
        "Số lớp tập huấn",
    ],
    ["2", "02", "Hiện đại hóa thu thập dữ liệu", "", "", "", "", ""],
    [
        "2.1.3",
        "0213",
        "Ứng dụng phiếu điều tra điện tử",
        "Thống kê tỉnh",
        "",
        "2027",
        "2030",
        "100% cuộc điều tra dùng phiếu điện tử",
    ],
    ["II", "", "TỔ CHỨC THỰC HIỆN", "", "", "", "", ""],
    [
        "3",
        "03",
        "Sơ kết thực hiện kế hoạch",
        "UBND tỉnh; Thống kê tỉnh",
        "Các sở, ban, ngành",
        "Tháng 12/2026",
        "",
        "Báo cáo sơ kết",
    ],
];

fn expected_rows(rows: &[[&str; 8]]) -> Vec<BTreeMap<String, String>> {
    rows.iter()
        .map(|r| {
            let level = if r[1].is_empty() { 0 } else { r[0].split('.').count() };
            let cols = ["tt", "code", "title", "lead", "cooperating", "start", "finish", "product"];
            let mut m: BTreeMap<String, String> =
                cols.iter().zip(r).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            m.insert("level".into(), level.to_string());
            m
        })
        .collect()
}

#[test]
fn synthetic_plan_reads_as_written() {
    let plan = cltk::read(SYNTHETIC).unwrap();
    let got: Vec<_> = plan.rows.iter().map(as_map).collect();
    common::assert_rows_match("synthetic", &got, &expected_rows(SYNTHETIC_ROWS));
    assert!(plan.warnings.is_empty(), "{:#?}", plan.warnings);
    assert_eq!(
        plan.title.as_deref(),
        Some("KẾ HOẠCH THỰC HIỆN CHIẾN LƯỢC PHÁT TRIỂN THỐNG KÊ NĂM 2026 TRÊN ĐỊA BÀN TỈNH HÒA BÌNH")
    );
    assert_eq!(plan.number.as_deref(), Some("1234/QĐ-UBND"));
    assert_eq!(plan.date, chrono::NaiveDate::from_ymd_opt(2026, 3, 15));
    assert_eq!(plan.date_text.as_deref(), Some("ngày 15 tháng 3 năm 2026"));
    assert_eq!(plan.issuer.as_deref(), Some("Ủy ban nhân dân tỉnh Hòa Bình"));
    let lines: Vec<(&str, usize)> = plan.rows.iter().map(|r| (r.tt.as_str(), r.line)).collect();
    assert_eq!(&lines[..5], [("I", 28), ("1", 30), ("1.1", 36), ("1.1.1", 38), ("1.1.2", 55)]);
    let sections: Vec<Option<&str>> = plan.rows.iter().map(|r| r.section.as_deref()).collect();
    assert_eq!(sections[4], Some("I. NHIỆM VỤ TRỌNG TÂM"));
    assert_eq!(sections[10], Some("II. TỔ CHỨC THỰC HIỆN"));
    assert!(plan.rows[2].heading && !plan.rows[3].heading);
}

#[test]
fn synthetic_misprints_are_reported_and_kept() {
    // 2.1.3 printed with 0212: a misprint (one digit off), kept as printed.
    let plan = cltk::read(&SYNTHETIC.replace("0213\n", "0212\n")).unwrap();
    let row = plan.rows.iter().find(|r| r.tt == "2.1.3").unwrap();
    assert_eq!(row.code.as_deref(), Some("0212"));
    assert_eq!(row.title, "Ứng dụng phiếu điều tra điện tử");
    assert_eq!(plan.warnings.len(), 1, "{:#?}", plan.warnings);
    assert!(plan.warnings[0].message.contains("0213"));

    // 1.1.1 printed with the code of 1.1.2: a duplicate naming both rows; both kept.
    let plan = cltk::read(&SYNTHETIC.replace("0111 UBND", "0112 UBND")).unwrap();
    assert_eq!(plan.rows.len(), SYNTHETIC_ROWS.len());
    let twins: Vec<&str> =
        plan.rows.iter().filter(|r| r.code.as_deref() == Some("0112")).map(|r| r.tt.as_str()).collect();
    assert_eq!(twins, ["1.1.1", "1.1.2"]);
    assert_eq!(plan.warnings.len(), 1, "{:#?}", plan.warnings);
    let w = &plan.warnings[0];
    assert_eq!(w.line, 43, "where 0112 is printed for 1.1.1");
    assert!(w.message.contains("1.1.1") && w.message.contains("1.1.2") && w.message.contains("0111"), "{}", w.message);
}

#[test]
fn unreadable_text_is_an_error_naming_the_line() {
    let header_only = &SYNTHETIC[..SYNTHETIC.find("I NHIỆM VỤ").unwrap()];
    match cltk::read(header_only) {
        Err(dondoc_import::ReadError::Row { line, text, .. }) => {
            assert_eq!(line, 10);
            assert_eq!(text, "Cơ quan thực hiện Thời gian thực hiện");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(cltk::read("một dòng chữ"), Err(dondoc_import::ReadError::UnknownShape(_))));
    assert!(matches!(cltk::read(""), Err(dondoc_import::ReadError::UnknownShape(_))));
}

/// A plan of `groups` x 4 x 5 tasks (and their headings), built from the synthetic rows'
/// layouts with new numbers, with a page header every 12 rows.
fn big_plan(groups: u32) -> (String, usize) {
    let header = &SYNTHETIC[SYNTHETIC.find("Cơ quan thực hiện").unwrap()..SYNTHETIC.find("I NHIỆM VỤ").unwrap()];
    let mut s = String::from("KẾ HOẠCH THỐNG KÊ\n\n");
    s.push_str(header);
    s.push_str("I NHIỆM VỤ\n\n");
    let (mut tasks, mut rows, mut page) = (0, 0, 1);
    let mut row = |s: &mut String, text: String| {
        rows += 1;
        s.push_str(&text);
        if rows % 12 == 0 {
            page += 1;
            s.push_str(&format!("\n\n{page}\n{header}"));
        }
    };
    for g in 1..=groups {
        row(&mut s, format!("{g}\nNhóm nhiệm vụ số {g} về thống \nkê\n\n{g:02}  \n\n"));
        for a in 1..=4 {
            row(&mut s, format!("{g}.{a} Nhiệm vụ thành phần {a} {g:02}{a}  \n\n"));
            for t in 1..=5 {
                let tt = format!("{g}.{a}.{t}");
                let code = format!("{g:02}{a}{t}");
                let text = match t % 3 {
                    0 => format!(
                        "{tt}\nXây dựng báo cáo phân tích \nchuyên đề {t}\n\n{code} UBND \ntỉnh\n\nThống kê \ntỉnh; các sở, \nban, ngành\n\nQuý IV/2026\n\nBáo cáo được ban \nhành\n\n"
                    ),
                    1 => format!(
                        "{tt} Tập huấn nghiệp vụ cho công chức \ncấp xã {code} Thống kê \n\ntỉnh\nSở Nội vụ Hằng năm Số lớp tập huấn\n\n"
                    ),
                    _ => format!(
                        "{tt}\nTổng hợp, đánh giá tình hình \nthực hiện chế độ báo cáo\n\n{code}\nSở Tài \nchính; \n\nThống kê \ntỉnh\n\nUBND các xã, \nphường\n\n2026 2030\nBáo cáo đánh giá hằng năm, \n5 năm\n\n"
                    ),
                };
                row(&mut s, text);
                tasks += 1;
            }
        }
    }
    (s, tasks)
}

#[test]
fn five_hundred_tasks_read_fast() {
    let (doc, tasks) = big_plan(25);
    assert_eq!(tasks, 500);
    let (took, plan) = (0..3)
        .map(|_| {
            let t = Instant::now();
            let plan = cltk::read(&doc).unwrap();
            (t.elapsed(), plan)
        })
        .min_by_key(|(t, _)| *t)
        .unwrap();
    eprintln!("500 tasks ({} bytes): {took:?}", doc.len());
    assert_eq!(plan.rows.iter().filter(|r| !r.heading).count(), 500);
    assert_eq!(plan.rows.len(), 1 + 25 * (1 + 4 * 6));
    assert!(plan.warnings.is_empty(), "{:#?}", &plan.warnings[..plan.warnings.len().min(5)]);
    let r = plan.rows.iter().find(|r| r.tt == "25.4.5").unwrap();
    assert_eq!(
        (r.code.as_deref(), r.start.as_deref(), r.finish.as_deref()),
        (Some("2545"), Some("2026"), Some("2030"))
    );
    assert_eq!(r.lead, ["Sở Tài chính", "Thống kê tỉnh"]);
    // Release builds: well under 100 ms; unoptimised test builds get more room.
    let limit = if cfg!(debug_assertions) { Duration::from_secs(1) } else { Duration::from_millis(100) };
    assert!(took < limit, "500 tasks took {took:?}");
}

// ------------------------------------------------------------------ never panic

/// Pieces of plan text, so that random input reaches the reader's inner paths.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just(" ".to_string()),
        Just("(A) (B) (C) (D)\n".to_string()),
        Just("Cơ quan thực hiện Thời gian thực hiện\nTT Nội dung công việc Mã \nsố Chủ trì Phối hợp\n".to_string()),
        Just("Sản phẩm\n".to_string()),
        Just("I ".to_string()),
        Just("II\n".to_string()),
        Just("CÁC NHIỆM VỤ ".to_string()),
        Just("UBND \ntỉnh".to_string()),
        Just("Cục Thống kê tỉnh, ".to_string()),
        Just("các Sở, Ban, ngành; ".to_string()),
        Just("Tháng \n".to_string()),
        Just("13/2025".to_string()),
        Just("Hằng năm ".to_string()),
        Just("(Kèm theo Quyết định số ".to_string()),
        Just("ngày ".to_string()),
        Just("của ".to_string()),
        Just(")".to_string()),
        Just("(".to_string()),
        Just("KH&".to_string()),
        Just("-".to_string()),
        Just("PHỤ LỤC\n".to_string()),
        Just("Nơi nhận:\n".to_string()),
        Just("1 2 3 4 5 6 7 8\n".to_string()),
        Just("\n10  \n".to_string()),
        Just("10 UBND ".to_string()),
        Just("0112 ".to_string()),
        Just("1.1.2\n".to_string()),
        "[0-9]{1,5}",
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,6}",
        "20[0-9]{2}",
        "\\PC{0,12}",
    ]
}

fn mutate(text: &str, ops: &[(u8, usize, usize)]) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    for &(op, a, b) in ops {
        if lines.is_empty() {
            break;
        }
        let i = a % lines.len();
        match op % 4 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let at = b % (lines.len() + 1);
                lines.insert(at, lines[i]);
            }
            2 => lines.truncate(i + 1),
            _ => {
                let j = b % lines.len();
                lines.swap(i, j);
            }
        }
    }
    let mut out = lines.join("\n");
    // Cut the last line somewhere inside (at a character boundary).
    if let Some(&(_, _, b)) = ops.last() {
        let cut = out.char_indices().map(|(i, _)| i).nth(out.chars().count().saturating_sub(b % 40));
        if let Some(cut) = cut {
            out.truncate(cut);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        let _ = cltk::looks_like(&s);
        let _ = cltk::read(&s);
    }

    #[test]
    fn plan_like_text_never_panics(parts in proptest::collection::vec(piece(), 0..80)) {
        let s = parts.concat();
        let _ = cltk::looks_like(&s);
        if let Ok(plan) = cltk::read(&s) {
            prop_assert!(!plan.rows.is_empty());
            prop_assert!(plan.rows.windows(2).all(|w| w[0].line < w[1].line));
        }
    }

    #[test]
    fn mutated_seed_never_panics(ops in proptest::collection::vec((0u8..4, 0usize..4000, 0usize..4000), 1..12)) {
        let text = mutate(&common::seed_text(SEED), &ops);
        let _ = cltk::looks_like(&text);
        if let Ok(plan) = cltk::read(&text) {
            let n = text.lines().count();
            prop_assert!(plan.rows.iter().all(|r| r.line >= 1 && r.line <= n));
            prop_assert!(plan.warnings.iter().all(|w| w.line <= n));
        }
    }

    #[test]
    fn other_shapes_mutated_never_panic(
        which in 0usize..2,
        ops in proptest::collection::vec((0u8..4, 0usize..3000, 0usize..3000), 1..10),
    ) {
        let file = ["kon-tum-1012-2024.txt", "dong-thap-thong-ke-2026.txt"][which];
        let text = mutate(&common::seed_text(file), &ops);
        let _ = cltk::looks_like(&text);
        let _ = cltk::read(&text);
    }

    #[test]
    fn mutated_synthetic_never_panics(ops in proptest::collection::vec((0u8..4, 0usize..200, 0usize..200), 1..8)) {
        let text = mutate(SYNTHETIC, &ops);
        let _ = cltk::looks_like(&text);
        let _ = cltk::read(&text);
    }
}

#[test]
fn time_words_in_a_title_never_become_its_time_cell() {
    // A heading or task whose title speaks of "báo cáo tháng, quý, năm" (on one line or
    // broken before the words) keeps its row; its children are not lost; nothing for review.
    let variants = [
        (
            "1.1 Rà soát văn bản 011  ",
            "1.1 Rà soát chế độ báo cáo tháng, quý, năm 011  ",
            2,
            "Rà soát chế độ báo cáo tháng, quý, năm",
        ),
        (
            "1.1 Rà soát văn bản 011  ",
            "1.1 Rà soát chế độ báo cáo \ntháng, quý, năm 011  ",
            2,
            "Rà soát chế độ báo cáo tháng, quý, năm",
        ),
        (
            "1.1.1\nRà soát, sửa đổi quy chế phối ",
            "1.1.1\nRà soát chế độ báo cáo tháng, quý, năm; sửa đổi quy chế phối ",
            3,
            "Rà soát chế độ báo cáo tháng, quý, năm; sửa đổi quy chế phối hợp cung cấp thông tin thống kê giữa các cơ quan",
        ),
    ];
    for (from, to, row, title) in variants {
        let plan = text::read(&SYNTHETIC.replace(from, to)).unwrap();
        let mut want = expected_rows(SYNTHETIC_ROWS);
        want[row].insert("title".into(), title.into());
        let got: Vec<_> = plan.rows.iter().map(as_map).collect();
        common::assert_rows_match(to, &got, &want);
        assert!(plan.review.is_empty(), "{:#?}", plan.review);
    }
}

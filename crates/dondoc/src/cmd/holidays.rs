//! `dondoc holidays <year> [--json]`.

use anyhow::Result;
use chrono::{Datelike, NaiveDate, Weekday};
use dondoc_core::calendar::DayOffKind;
use dondoc_core::text::date_vi;

use crate::cli::{Global, HolidaysArgs};
use dondoc_app::AppError;

use crate::{config, outln, output};

/// Years the calendar is meant for.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

pub fn run(global: &Global, args: &HolidaysArgs) -> Result<()> {
    if !YEARS.contains(&args.year) {
        return Err(AppError::Input(format!(
            "năm {} nằm ngoài phạm vi hỗ trợ {}–{}",
            args.year,
            YEARS.start(),
            YEARS.end()
        ))
        .into());
    }
    let calendar = config::calendar(global)?;
    let days = calendar.days_off(args.year);
    if args.json {
        // `DayOff` serialises as {date: "YYYY-MM-DD", name, kind: holiday|compensatory|override,
        // provisional: bool}.
        return output::json(&days);
    }
    let status = calendar.year_status(args.year);
    outln!("Ngày nghỉ năm {} (ngoài thứ Bảy, Chủ nhật): {}", args.year, super::calendar::describe(&status));
    for d in &days {
        let kind = match d.kind {
            DayOffKind::Holiday => "lễ, tết",
            DayOffKind::Compensatory => "nghỉ bù",
            DayOffKind::Override => "theo thông báo",
        };
        let provisional = if d.provisional { ", TẠM TÍNH" } else { "" };
        outln!("  {:<22} {} ({kind}{provisional})", date_vi(d.date), d.name);
    }
    let worked = calendar.worked_weekend_days(args.year);
    if !worked.is_empty() {
        outln!("Ngày cuối tuần đi làm bù:");
        for (date, name) in worked {
            outln!("  {:<22} {name}", date_vi(date));
        }
    }
    // A holiday outside Art. 112(1) (24/11) on a weekend is not made up: say so, the rule
    // being unverified.
    for d in days.iter().filter(|d| d.kind == DayOffKind::Holiday && is_weekend(d.date)) {
        let made_up = days.iter().any(|c| c.kind == DayOffKind::Compensatory && c.name.contains(&d.name));
        if !made_up {
            outln!(
                "Lưu ý: {} ({}) trùng ngày nghỉ cuối tuần; dondoc không tính nghỉ bù vì Điều 111 khoản 3 Bộ luật Lao động \
                 chỉ áp dụng cho các ngày lễ tại Điều 112 khoản 1 (CHƯA XÁC MINH: ghi nhận thông báo của năm khi có).",
                d.name,
                d.date.format("%d/%m/%Y")
            );
        }
    }
    if status.is_provisional() {
        outln!(
            "Lưu ý: chưa có thông báo chính thức năm {} trong tệp lịch; các ngày TẠM TÍNH theo quy tắc mặc định \
             (Tết: hai ngày cuối năm âm lịch và mùng 1–3; Quốc khánh: 2/9 và ngày liền kề nối với ngày nghỉ cuối tuần), \
             chưa có ngày hoán đổi nào. Khi có thông báo, ghi nhận bằng \"dondoc calendar add-notice\".",
            args.year
        );
    }
    Ok(())
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

//! `dondoc holidays <year> [--json]`.

use anyhow::Result;
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
        // `DayOff` serialises as {date: "YYYY-MM-DD", name, kind: holiday|compensatory|override}.
        return output::json(&days);
    }
    outln!("Ngày nghỉ năm {} (ngoài thứ Bảy, Chủ nhật):", args.year);
    for d in &days {
        let kind = match d.kind {
            DayOffKind::Holiday => "lễ, tết",
            DayOffKind::Compensatory => "nghỉ bù",
            DayOffKind::Override => "theo thông báo",
        };
        outln!("  {:<22} {} ({kind})", date_vi(d.date), d.name);
    }
    let worked = calendar.worked_weekend_days(args.year);
    if !worked.is_empty() {
        outln!("Ngày cuối tuần đi làm bù:");
        for (date, name) in worked {
            outln!("  {:<22} {name}", date_vi(date));
        }
    }
    if !calendar.is_confirmed(args.year) {
        outln!(
            "Lưu ý: chưa có thông báo chính thức năm {} trong tệp lịch; ngày nghỉ Tết và Quốc khánh đang tính theo quy tắc mặc định.",
            args.year
        );
    }
    Ok(())
}

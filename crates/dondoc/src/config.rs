//! Loading configuration files into the core's types.

use std::path::Path;

use anyhow::{Context, Result, bail};
use dondoc_core::WorkCalendar;
use dondoc_core::calendar::CalendarConfig;
use dondoc_core::policy::{BeforeDate, ReportingPolicy};

use crate::cli::{BeforeDateArg, Global};

/// The calendar data shipped with dondoc (`config/calendar.toml`).
pub const DEFAULT_CALENDAR: &str = include_str!("../../../config/calendar.toml");

/// Parses and validates calendar data.
pub fn parse_calendar(text: &str, origin: &str) -> Result<WorkCalendar> {
    let config: CalendarConfig = toml::from_str(text).with_context(|| format!("không đọc được tệp lịch {origin}"))?;
    WorkCalendar::new(&config).with_context(|| format!("tệp lịch {origin} không hợp lệ"))
}

/// The calendar named by `--calendar`, or the built-in one.
pub fn calendar(global: &Global) -> Result<WorkCalendar> {
    match &global.calendar {
        Some(path) => load_calendar(path),
        None => parse_calendar(DEFAULT_CALENDAR, "mặc định (config/calendar.toml)"),
    }
}

fn load_calendar(path: &Path) -> Result<WorkCalendar> {
    let text = std::fs::read_to_string(path).with_context(|| format!("không mở được tệp lịch {}", path.display()))?;
    parse_calendar(&text, &path.display().to_string())
}

/// The reporting policy named by `--policy`, with `--before-date` applied.
pub fn policy(global: &Global) -> Result<ReportingPolicy> {
    let Some(mut policy) = ReportingPolicy::preset(&global.policy) else {
        bail!("không có chế độ báo cáo \"{}\"; chọn một trong: nd09, end_of_period, khanh_hoa_2023", global.policy);
    };
    if let Some(b) = global.before_date {
        policy.before_date = match b {
            BeforeDateArg::Strict => BeforeDate::Strict,
            BeforeDateArg::Inclusive => BeforeDate::Inclusive,
        };
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_calendar_is_valid() {
        let cal = parse_calendar(DEFAULT_CALENDAR, "test").unwrap();
        assert!(cal.is_confirmed(2025) && cal.is_confirmed(2026));
    }
}

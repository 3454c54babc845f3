//! `dondoc calendar add-notice` and `dondoc calendar status`: the secretariat records a
//! newly published day-off notice (the Tết days, the Quốc khánh pairing, swapped days) in
//! the data directory's `calendar-notices.toml`; deadlines and classifications follow at
//! once (the CLI reads the file on every command, a running daemon at its next job), the
//! events are untouched.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use dondoc_app::AppError;
use dondoc_core::WorkCalendar;
use dondoc_core::calendar::{CalendarConfig, NamedDay, Provenance, YearNotice, YearStatus};
use dondoc_core::text::{clean, date_vi, lower_first, weekday_vi};
use serde::Serialize;

use crate::cli::{AddNoticeArgs, CalendarAction, CalendarArgs, Global};
use crate::config::{self, NOTICES_FILE};
use crate::datadir::{self, DataDir};
use crate::{outln, output};

pub async fn run(global: &Global, args: &CalendarArgs) -> Result<()> {
    match &args.action {
        CalendarAction::AddNotice(a) => add_notice(global, a).await,
        CalendarAction::Status { from, to, json } => status(global, *from, *to, *json),
    }
}

/// What `add-notice --json` prints.
#[derive(Serialize)]
struct AddNoticeJson<'a> {
    year: i32,
    written: Option<String>,
    notice: &'a YearNotice,
    /// Days whose working status the notice changes: (date, working before, working after).
    days: Vec<DayChange>,
    deadlines: &'a [dondoc_app::calendar::DeadlineChange],
}

#[derive(Serialize)]
struct DayChange {
    date: NaiveDate,
    working_before: bool,
    working_after: bool,
}

async fn add_notice(global: &Global, args: &AddNoticeArgs) -> Result<()> {
    let data = DataDir::locate(global)?;
    let given = given_notice(args)?;
    let year_key = args.year.to_string();
    let base = config::base_calendar_config(global, &data.config, &data.dir)?;
    let mut recorded = config::recorded_notices(&data.dir)?;
    let before = WorkCalendar::new(&base.clone().with_notices(&recorded))?;
    let existing = recorded.years.get(&year_key).or_else(|| base.years.get(&year_key)).cloned().unwrap_or_default();
    let notice = existing.merged(&given);
    recorded.years.insert(year_key.clone(), notice.clone());
    let after = WorkCalendar::new(&base.with_notices(&recorded)).map_err(|e| AppError::Input(e.to_string()))?;

    let days = changed_days(&before, &after, args.year);
    let app = datadir::open(global).await?;
    let changes = dondoc_app::calendar::deadline_changes(&app, &before, &after, app.now()).await?;
    let path = data.dir.join(NOTICES_FILE);
    if !args.dry_run {
        write_notices(&path, &recorded)?;
    }
    if args.json {
        return output::json(&AddNoticeJson {
            year: args.year,
            written: (!args.dry_run).then(|| path.display().to_string()),
            notice: &notice,
            days,
            deadlines: &changes,
        });
    }
    if args.dry_run {
        outln!("Chạy thử: chưa ghi gì. Nếu ghi nhận thông báo này cho năm {}:", args.year);
    } else {
        outln!("Đã ghi nhận thông báo năm {} vào {}.", args.year, path.display());
    }
    if let Some(source) = &notice.source {
        outln!("  Nguồn: {source}");
    }
    if days.is_empty() {
        outln!("  Không ngày nào đổi: lịch tạm tính trước đây đã trùng với thông báo.");
    }
    for d in &days {
        let now = if d.working_after { "ngày làm việc" } else { "ngày nghỉ" };
        outln!("  {:<22} nay là {now}", date_vi(d.date));
    }
    if changes.is_empty() {
        outln!("Không hạn nhiệm vụ nào thay đổi.");
    } else {
        outln!("{} hạn nhiệm vụ thay đổi:", changes.len());
        for c in &changes {
            let period = c.period.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
            outln!(
                "  {}/{}{period}: {} → {} ({} → {})",
                c.plan,
                c.code,
                c.before.format("%d/%m/%Y"),
                c.after.format("%d/%m/%Y"),
                c.classification_before.label_vi(),
                c.classification_after.label_vi()
            );
        }
    }
    if !args.dry_run {
        outln!(
            "Các lệnh xem (list, show, export) dùng lịch mới ngay; dịch vụ đang chạy áp dụng ở việc định kỳ kế tiếp."
        );
    }
    Ok(())
}

/// The notice as given on the command line, checked.
fn given_notice(args: &AddNoticeArgs) -> Result<YearNotice> {
    let source = clean(&args.source);
    if source.is_empty() {
        return Err(AppError::input("--source: hãy ghi số, ký hiệu và ngày của văn bản").into());
    }
    let dates = |list: &[String], flag: &str| -> Result<Option<Vec<NaiveDate>>> {
        if list.is_empty() {
            return Ok(None);
        }
        list.iter().map(|s| parse_date(s, flag)).collect::<Result<Vec<_>>>().map(Some)
    };
    let tet = dates(&args.tet, "--tet")?;
    let national_day = dates(&args.national_day, "--national-day")?;
    let mut off = named(&args.day_off, "--day-off")?;
    let mut worked = named(&args.worked, "--worked")?;
    if tet.is_none() && national_day.is_none() && off.is_empty() && worked.is_empty() {
        return Err(
            AppError::input("thông báo chưa có ngày nào: dùng --tet, --national-day, --day-off hoặc --worked").into()
        );
    }
    name_swaps(&mut off, &mut worked);
    let named_days = |list: Vec<(NaiveDate, Option<String>)>| {
        list.into_iter().map(|(date, name)| NamedDay { date, name: name.unwrap_or_default() }).collect()
    };
    Ok(YearNotice {
        source: Some(source),
        unverified: args.unverified,
        tet,
        national_day,
        days_off: named_days(off),
        working_days: named_days(worked),
    })
}

/// `DATE` or `DATE=name`.
fn named(list: &[String], flag: &str) -> Result<Vec<(NaiveDate, Option<String>)>> {
    list.iter()
        .map(|item| {
            let (date, name) = match item.split_once('=') {
                Some((d, n)) => (d, Some(clean(n)).filter(|n| !n.is_empty())),
                None => (item.as_str(), None),
            };
            Ok((parse_date(date, flag)?, name))
        })
        .collect()
}

/// Names the days of a swap after each other when the notice pairs them one to one (in
/// date order), as the notices word them; otherwise a plain name.
fn name_swaps(off: &mut [(NaiveDate, Option<String>)], worked: &mut [(NaiveDate, Option<String>)]) {
    off.sort_by_key(|d| d.0);
    worked.sort_by_key(|d| d.0);
    let paired = off.len() == worked.len();
    for (i, (_, name)) in off.iter_mut().enumerate() {
        if name.is_none() {
            *name = Some(match paired.then(|| worked[i].0) {
                Some(w) => format!("Nghỉ hoán đổi (làm bù {} {})", weekday_lower(w), w.format("%d/%m/%Y")),
                None => "Nghỉ theo thông báo".to_string(),
            });
        }
    }
    for (i, (_, name)) in worked.iter_mut().enumerate() {
        if name.is_none() {
            *name = Some(match paired.then(|| off[i].0) {
                Some(o) => format!("Làm bù cho {} {}", weekday_lower(o), o.format("%d/%m/%Y")),
                None => "Làm bù theo thông báo".to_string(),
            });
        }
    }
}

/// "thứ Bảy", "chủ nhật": the weekday inside a sentence.
fn weekday_lower(d: NaiveDate) -> String {
    lower_first(weekday_vi(d.weekday()))
}

fn parse_date(s: &str, flag: &str) -> Result<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| AppError::Input(format!("{flag}: \"{s}\" không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)")).into())
}

/// The days of `year` whose working status differs between the two calendars.
fn changed_days(before: &WorkCalendar, after: &WorkCalendar, year: i32) -> Vec<DayChange> {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else { return Vec::new() };
    first
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter_map(|date| {
            let (b, a) = (before.is_working_day(date), after.is_working_day(date));
            (a != b).then_some(DayChange { date, working_before: b, working_after: a })
        })
        .collect()
}

/// Writes the recorded notices atomically (a temporary file renamed over the old one).
fn write_notices(path: &Path, notices: &CalendarConfig) -> Result<()> {
    let only_years = CalendarConfig { years: notices.years.clone(), ..CalendarConfig::default() };
    let body = toml::to_string(&only_years).context("không ghi được thông báo")?;
    let text = format!(
        "# Day-off notices recorded with `dondoc calendar add-notice` (one [year.YYYY] table per\n\
         # year; each replaces that year of the calendar file). Edit with the command, or by hand\n\
         # with the same keys as config/calendar.toml: every command checks the file.\n\n{body}"
    );
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("không ghi được {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("không ghi được {}", path.display()))?;
    Ok(())
}

/// `calendar status`: each year's provenance.
fn status(global: &Global, from: i32, to: i32, json: bool) -> Result<()> {
    if from > to || !(1900..=2199).contains(&from) || !(1900..=2199).contains(&to) {
        return Err(AppError::Input(format!("khoảng năm {from}–{to} không hợp lệ (1900–2199)")).into());
    }
    let calendar = config::calendar(global)?;
    let years: Vec<YearStatus> = (from..=to).map(|y| calendar.year_status(y)).collect();
    if json {
        return output::json(&years);
    }
    for s in &years {
        outln!("{}  {}", s.year, describe(s));
    }
    Ok(())
}

/// "chính thức: Thông báo …" / "tạm tính (chưa có thông báo): …".
pub fn describe(s: &YearStatus) -> String {
    let part = |p: Provenance| match p {
        Provenance::Notice => "theo thông báo",
        Provenance::Provisional => "tạm tính",
        Provenance::Statute => "theo luật",
    };
    let source = s.source.as_deref().map(|x| format!("; nguồn: {x}")).unwrap_or_default();
    let unverified = if s.unverified { " (nguồn thứ cấp, cần đối chiếu văn bản)" } else { "" };
    if s.is_provisional() {
        format!("TẠM TÍNH: Tết {}, Quốc khánh {}{source}{unverified}", part(s.tet), part(s.national_day))
    } else {
        format!("chính thức{unverified}{source}")
    }
}

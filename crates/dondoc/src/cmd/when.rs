//! `dondoc when "<expr>" [--as deadline|start] [--from D --to D] [--json]`.

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use dondoc_app::AppError;
use dondoc_core::calendar::{WorkCalendar, local_date};
use dondoc_core::text::date_vi;
use dondoc_core::timeexpr::{self, Occurrence};
use serde::Serialize;

use crate::cli::{Global, Reading, WhenArgs};
use crate::{config, outln, output};

/// The JSON object of `when --json` (a stable contract).
#[derive(Serialize)]
struct WhenJson<'a> {
    input: &'a str,
    kind: &'static str,
    /// The reading asked for with `--as`.
    #[serde(rename = "as")]
    reading: &'static str,
    start: Option<NaiveDate>,
    nominal_due: Option<NaiveDate>,
    due: Option<NaiveDate>,
    /// `start` when read as a start, `due` when read as a deadline.
    date: Option<NaiveDate>,
    notes: &'a [String],
    /// Provisional days off (the year's notice not recorded) that could still move `due`.
    provisional: Vec<dondoc_core::calendar::DayOff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<[NaiveDate; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurrences: Option<Vec<OccurrenceJson>>,
}

#[derive(Serialize)]
struct OccurrenceJson {
    period: String,
    key: String,
    data_from: NaiveDate,
    data_to: NaiveDate,
    nominal_due: NaiveDate,
    due: NaiveDate,
}

impl From<&Occurrence> for OccurrenceJson {
    fn from(o: &Occurrence) -> Self {
        OccurrenceJson {
            period: o.period.label(),
            key: o.period.key(),
            data_from: o.data_from,
            data_to: o.data_to,
            nominal_due: o.nominal_due,
            due: o.due,
        }
    }
}

pub fn run(global: &Global, args: &WhenArgs) -> Result<()> {
    let parsed = timeexpr::parse(&args.expr).map_err(|e| AppError::Input(e.to_string()))?;
    let calendar = config::calendar(global)?;
    let policy = config::policy(global)?;
    let resolved = parsed.expr.resolve(&policy, &calendar);
    let kind = parsed.expr.kind();
    let recurring = kind == timeexpr::ExprKind::Recurring;
    let today = local_date(crate::clock::now()?);
    let window = recurring.then(|| window(args.from, args.to, today)).transpose()?;
    let occurrences: Vec<Occurrence> =
        window.map(|[from, to]| parsed.expr.occurrences(from, to, &policy, &calendar)).unwrap_or_default();
    let date = match args.reading {
        Reading::Start => resolved.start,
        Reading::Deadline => resolved.due,
    };
    let provisional = match (resolved.nominal_due, resolved.due) {
        (Some(n), Some(d)) => calendar.provisional_days_near(n, d),
        _ => Vec::new(),
    };
    if args.json {
        return output::json(&WhenJson {
            input: &parsed.input,
            kind: kind.as_str(),
            reading: match args.reading {
                Reading::Start => "start",
                Reading::Deadline => "deadline",
            },
            start: resolved.start,
            nominal_due: resolved.nominal_due,
            due: resolved.due,
            date,
            notes: &parsed.notes,
            provisional,
            window,
            occurrences: recurring.then(|| occurrences.iter().map(OccurrenceJson::from).collect()),
        });
    }
    let mut rows = vec![("Biểu thức", format!("\"{}\"", parsed.input)), ("Loại", kind.label_vi().to_string())];
    if let timeexpr::TimeExpr::Recurring { recurrence } = &parsed.expr {
        let mut how: Vec<&str> = recurrence.cadences.iter().map(|c| c.label_vi()).collect();
        if recurrence.ad_hoc {
            how.push("đột xuất");
        }
        rows.push(("Tần suất", how.join(", ")));
    }
    for note in &parsed.notes {
        rows.push(("Ghi chú", note.clone()));
    }
    if kind.has_dates() {
        rows.push(("Bắt đầu", output::date_or_dash(resolved.start)));
        rows.push(("Hạn ghi trong kế hoạch", output::date_or_dash(resolved.nominal_due)));
        rows.push(("Hạn thực tế (hết 24:00)", due_line(&calendar, resolved.nominal_due, resolved.due)));
        if let Some(note) = output::provisional_note(&provisional) {
            rows.push(("Lưu ý", note));
        }
    }
    output::fields(&rows)?;
    if let Some([from, to]) = window {
        outln!(
            "Các kỳ có ngày cuối kỳ từ {} đến {} (chế độ báo cáo {}):",
            from.format("%d/%m/%Y"),
            to.format("%d/%m/%Y"),
            policy.name
        );
        if occurrences.is_empty() {
            outln!("  (không có kỳ nào)");
        }
        for o in &occurrences {
            outln!(
                "  {:<22} số liệu {}–{}  hạn {}{}",
                o.period.label(),
                o.data_from.format("%d/%m/%Y"),
                o.data_to.format("%d/%m/%Y"),
                date_vi(o.due),
                if o.due != o.nominal_due {
                    format!(" (lùi từ {})", o.nominal_due.format("%d/%m/%Y"))
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

/// The window for occurrences: as given, or the year of `today`.
fn window(from: Option<NaiveDate>, to: Option<NaiveDate>, today: NaiveDate) -> Result<[NaiveDate; 2]> {
    let this_year = today.year();
    let jan1 = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, f.checked_add_months(chrono::Months::new(12)).and_then(|d| d.pred_opt()).unwrap_or(f)),
        (None, Some(t)) => (jan1(t.year()), t),
        (None, None) => (jan1(this_year), NaiveDate::from_ymd_opt(this_year, 12, 31).expect("valid")),
    };
    if from > to {
        return Err(AppError::Input(format!("--from {from} sau --to {to}")).into());
    }
    if to.signed_duration_since(from).num_days() > 366 * 50 {
        return Err(AppError::input("khoảng --from/--to dài quá 50 năm").into());
    }
    Ok([from, to])
}

/// "Thứ Hai, 04/05/2026 (lùi từ Thứ Năm, 30/04/2026: Ngày Chiến thắng (30/4))".
fn due_line(calendar: &WorkCalendar, nominal: Option<NaiveDate>, due: Option<NaiveDate>) -> String {
    match (nominal, due) {
        (Some(n), Some(d)) if n != d => {
            let why = calendar.day_off(n).map(|o| o.name).unwrap_or_else(|| "ngày nghỉ cuối tuần".into());
            format!("{} (lùi từ {}: {why}; Điều 148 Bộ luật Dân sự 2015)", date_vi(d), date_vi(n))
        }
        (_, d) => output::date_or_dash(d),
    }
}

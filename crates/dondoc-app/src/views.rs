//! How tasks are shown: one task with its standing (the object of `show --json` and of the
//! API's task resource), and listings filtered by plan, agency, overdue and due window.

use chrono::{DateTime, Days, NaiveDate, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::calendar::local_date;
use dondoc_core::classify::{Classification, OccurrenceStanding, TaskStanding};
use dondoc_core::event::TaskKey;
use dondoc_projections::BoardTask;
use dondoc_projections::board::TaskFilter;
use serde_json::{Value, json};

use crate::App;
use crate::error::{AppError, Result};
use crate::suggest;

/// A task on the board with its standing at `at`; an unknown task is an input error
/// naming the nearest plans or codes.
pub async fn task(app: &App, key: &TaskKey, at: DateTime<Utc>) -> Result<(BoardTask, TaskStanding)> {
    let task = app
        .query(|read| match read.task(&key.plan, &key.code)? {
            Some(task) => Ok(task),
            None => Err(AppError::NotFound(suggest::unknown_task(read, key)?)),
        })
        .await?;
    let standing = app.classifier(&app.calendar()).task(&task.state, at);
    Ok((task, standing))
}

fn occurrence_json(o: &OccurrenceStanding) -> Value {
    json!({
        "period": o.occurrence.period.label(),
        "key": o.occurrence.period.key(),
        "due": o.deadline.due,
        "nominal_due": o.deadline.nominal,
        "extended": o.deadline.extended,
        "submitted_at": o.submitted_at,
        "classification": o.classification.as_str(),
    })
}

/// The task object of `show --json` and `GET /api/v1/tasks/{plan}/{code}` (a stable contract).
pub fn task_json(task: &BoardTask, standing: &TaskStanding, at: DateTime<Utc>) -> Value {
    let s = &task.state;
    json!({
        "plan": s.key.plan,
        "code": s.key.code,
        "tt": s.tt,
        "title": s.title,
        "lead": s.lead,
        "cooperating": s.cooperating,
        "start": s.start.as_ref().map(|p| &p.input),
        "finish": s.finish.as_ref().map(|p| &p.input),
        "product": s.product,
        "status": s.status.as_str(),
        "progress_percent": s.progress_percent,
        "completed_on": s.completed_on,
        "classification": standing.classification.as_str(),
        "classification_vi": classification_vi(task, standing),
        "completion_pending": s.completion_pending,
        "explanation": s.explanation.as_ref().map(|e| json!({
            "requested_on": e.requested_on,
            "due": e.due,
            "reason": e.reason,
            "answered_on": e.answer.as_ref().map(|(on, _)| on),
            "answer": e.answer.as_ref().map(|(_, text)| text),
            "late": e.late(local_date(at)),
        })),
        "due": standing.deadline.map(|d| d.due),
        "nominal_due": standing.deadline.map(|d| d.nominal),
        "original_due": standing.deadline.and_then(|d| d.original),
        "extended": standing.deadline.is_some_and(|d| d.extended),
        "revision": task.revision,
        "at": at,
        "occurrences": standing.occurrences.iter().map(occurrence_json).collect::<Vec<_>>(),
    })
}

/// The object of `show --json` and `GET /api/v1/tasks/{plan}/{code}`: the task with its
/// standing at `at`, and whether a provisional day off (the year's notice not recorded)
/// lies near its deadline.
pub async fn show_json(app: &App, key: &TaskKey, at: DateTime<Utc>) -> Result<Value> {
    let (task, standing) = self::task(app, key, at).await?;
    let mut value = task_json(&task, &standing, at);
    let calendar = app.calendar();
    let provisional =
        standing.deadline.as_ref().map(|d| calendar.provisional_days_near(d.nominal, d.due)).unwrap_or_default();
    value["due_provisional"] = Value::Bool(!provisional.is_empty());
    Ok(value)
}

/// How a task stands, in Vietnamese: the classification agreeing with its status, and
/// "(chờ xác nhận)" while a reported completion waits for the secretariat.
pub fn classification_vi(task: &BoardTask, standing: &TaskStanding) -> String {
    let label = standing.classification.label_for(task.state.status);
    if task.state.completion_pending { format!("{label} (chờ xác nhận)") } else { label.to_string() }
}

/// The years a standing may be asked for: the work calendar's range (its lunar tables and
/// holiday rules). Further out, classifying a recurring task would walk every occurrence
/// and every year's holidays up to the instant: refused, not computed for minutes.
pub const STANDING_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The longest due window, in days (ten years).
pub const MAX_WINDOW_DAYS: u64 = 3_660;

/// `at` if a standing can be computed at it, else an input error naming the range.
pub fn standing_instant(at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    use chrono::Datelike as _;
    if STANDING_YEARS.contains(&at.year()) {
        return Ok(at);
    }
    Err(AppError::Input(format!(
        "thời điểm {} nằm ngoài khoảng tính được (năm {}–{})",
        at.to_rfc3339(),
        STANDING_YEARS.start(),
        STANDING_YEARS.end()
    )))
}

/// A due window: calendar days ("7d") or working days ("5wd").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    Days(u64),
    WorkingDays(u32),
}

impl Within {
    /// Reads "7d", "7" (calendar days) or "5wd" (working days).
    pub fn parse(text: &str) -> Result<Within> {
        let t = text.trim().to_lowercase();
        let bad = || AppError::Input(format!("--due-within \"{text}\": dùng dạng 7d (ngày) hoặc 5wd (ngày làm việc)"));
        let too_long = || AppError::Input(format!("--due-within \"{text}\": dài quá {MAX_WINDOW_DAYS} ngày"));
        if let Some(n) = t.strip_suffix("wd") {
            let n: u32 = n.parse().map_err(|_| bad())?;
            return if u64::from(n) <= MAX_WINDOW_DAYS { Ok(Within::WorkingDays(n)) } else { Err(too_long()) };
        }
        let n: u64 = t.strip_suffix('d').unwrap_or(&t).parse().map_err(|_| bad())?;
        if n > MAX_WINDOW_DAYS {
            return Err(too_long());
        }
        Ok(Within::Days(n))
    }

    /// The last day of the window starting `today`.
    pub fn horizon(self, calendar: &WorkCalendar, today: NaiveDate) -> NaiveDate {
        match self {
            Within::Days(n) => today.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX),
            Within::WorkingDays(n) => calendar.add_working_days(today, i64::from(n)),
        }
    }
}

/// The earliest open due date of a task: its deadline, or its first unsubmitted occurrence.
pub fn next_open_due(standing: &TaskStanding) -> Option<NaiveDate> {
    let open = |c: Classification| !matches!(c, Classification::CompletedOnTime | Classification::CompletedLate);
    match standing.deadline {
        Some(d) if open(standing.classification) => Some(d.due),
        Some(_) => None,
        None => standing.occurrences.iter().filter(|o| open(o.classification)).map(|o| o.deadline.due).min(),
    }
}

/// What a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub filter: TaskFilter,
    /// Only tasks overdue at the instant.
    pub overdue: bool,
    /// Only tasks not done and due within this window.
    pub due_within: Option<Within>,
    /// Only tasks so classified at the instant.
    pub classification: Option<Classification>,
}

/// The tasks of a listing at `at`, with their standings, by plan and code.
pub async fn list(app: &App, listing: &Listing, at: DateTime<Utc>) -> Result<Vec<(BoardTask, TaskStanding)>> {
    let tasks = app.query(|read| Ok(read.tasks(&listing.filter)?)).await?;
    let calendar = app.calendar();
    let classifier = app.classifier(&calendar);
    let today = local_date(at);
    let until = listing.due_within.map(|w| w.horizon(&calendar, today));
    let mut rows = Vec::new();
    for task in tasks {
        let standing = classifier.task(&task.state, at);
        if listing.overdue && !standing.classification.is_overdue() {
            continue;
        }
        if listing.classification.is_some_and(|c| c != standing.classification) {
            continue;
        }
        if let Some(until) = until
            && !next_open_due(&standing).is_some_and(|d| today <= d && d <= until)
        {
            continue;
        }
        rows.push((task, standing));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_windows() {
        let cases =
            [("7d", Some(Within::Days(7))), ("7", Some(Within::Days(7))), ("5wd", Some(Within::WorkingDays(5)))];
        for (text, want) in cases {
            assert_eq!(Within::parse(text).ok(), want, "{text}");
        }
        assert!(Within::parse("x").is_err());
        // Ten years at most: a longer window would walk the calendar for minutes.
        assert_eq!(Within::parse("3660d").ok(), Some(Within::Days(3660)));
        assert!(Within::parse("3661d").unwrap_err().to_string().contains("dài quá 3660 ngày"));
        assert!(Within::parse("99999999wd").is_err());
    }

    #[test]
    fn standings_are_computed_within_the_calendars_years_only() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(standing_instant(at("2000-01-01T00:00:00Z")).is_ok());
        assert!(standing_instant(at("2100-12-31T16:59:59Z")).is_ok());
        assert!(standing_instant(at("1999-12-31T23:59:59Z")).is_err());
        let far = standing_instant(at("9999-12-30T17:00:00Z")).unwrap_err().to_string();
        assert!(far.contains("năm 2000–2100"), "{far}");
    }
}

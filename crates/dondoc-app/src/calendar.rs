//! What a change of the work calendar (a notice recorded) does to the deadlines: the
//! events stay as they are; the deadlines and classifications derived from them follow the
//! calendar, and this says which ones move before the change is made.

use chrono::{DateTime, NaiveDate, Utc};
use dondoc_core::WorkCalendar;
use dondoc_core::classify::{Classification, TaskStanding};
use dondoc_projections::board::TaskFilter;
use serde::Serialize;

use crate::App;
use crate::error::Result;

/// A deadline that one calendar puts on another day than the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineChange {
    pub plan: String,
    pub code: String,
    pub title: String,
    /// The occurrence of a recurring task ("Quý I/2028"); `None` for a one-off deadline.
    pub period: Option<String>,
    /// The nominal date both calendars roll over from.
    pub nominal: NaiveDate,
    pub before: NaiveDate,
    pub after: NaiveDate,
    pub classification_before: Classification,
    pub classification_after: Classification,
}

/// The deadlines of every task that `after` moves from where `before` puts them, judged at
/// `at`, by plan and code.
pub async fn deadline_changes(
    app: &App,
    before: &WorkCalendar,
    after: &WorkCalendar,
    at: DateTime<Utc>,
) -> Result<Vec<DeadlineChange>> {
    let tasks = app.read().await?.tasks(&TaskFilter::default())?;
    let (old, new) = (app.classifier(before), app.classifier(after));
    let mut out = Vec::new();
    for task in &tasks {
        let (a, b) = (old.task(&task.state, at), new.task(&task.state, at));
        let change = |period: Option<String>, nominal, x: NaiveDate, y: NaiveDate, cx, cy| DeadlineChange {
            plan: task.state.key.plan.clone(),
            code: task.state.key.code.clone(),
            title: task.state.title.clone(),
            period,
            nominal,
            before: x,
            after: y,
            classification_before: cx,
            classification_after: cy,
        };
        if let (Some(x), Some(y)) = (&a.deadline, &b.deadline)
            && x.due != y.due
        {
            out.push(change(None, x.nominal, x.due, y.due, a.classification, b.classification));
        }
        for (x, y) in occurrences(&a).iter().zip(occurrences(&b)) {
            if x.occurrence.period == y.occurrence.period && x.deadline.due != y.deadline.due {
                out.push(change(
                    Some(x.occurrence.period.label()),
                    x.deadline.nominal,
                    x.deadline.due,
                    y.deadline.due,
                    x.classification,
                    y.classification,
                ));
            }
        }
    }
    Ok(out)
}

fn occurrences(s: &TaskStanding) -> &[dondoc_core::classify::OccurrenceStanding] {
    &s.occurrences
}

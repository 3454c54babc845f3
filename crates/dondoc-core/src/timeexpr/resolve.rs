//! From a time expression to dates: start, nominal due, due after rollover, occurrences.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::{Recurrence, TimeExpr};
use crate::calendar::WorkCalendar;
use crate::period::{Period, PeriodKind};
use crate::policy::{BeforeDate, ReportingPolicy};

/// The dates of a non-recurring expression; `None` where the form has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// The first day, read as a start ("Tháng 9/2025" starts 01/09/2025).
    pub start: Option<NaiveDate>,
    /// The last day, read as a deadline ("Tháng 9/2025" is due 30/09/2025).
    pub nominal_due: Option<NaiveDate>,
    /// The nominal due date moved to the next working day if it is a day off
    /// (Bộ luật Dân sự 2015, Art. 148(5)); the deadline is 24:00 of that day.
    pub due: Option<NaiveDate>,
}

/// One occurrence of a recurring obligation. Its key ("2025-Q3") and label
/// ("Quý III/2025") come from the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The reporting period.
    pub period: Period,
    /// The data window of the report (cut-off rule of the policy).
    pub data_from: NaiveDate,
    pub data_to: NaiveDate,
    /// Due date by the policy, before rollover.
    pub nominal_due: NaiveDate,
    /// After rollover.
    pub due: NaiveDate,
}

impl TimeExpr {
    /// The first day, read as a start; `None` for recurring, continuous and on-request forms.
    pub fn start(&self) -> Option<NaiveDate> {
        match self {
            TimeExpr::Period { period } => Some(period.first_day()),
            TimeExpr::Date { date, .. } => Some(*date),
            TimeExpr::Range { from, .. } => Some(from.first_day()),
            _ => None,
        }
    }

    /// The last day, read as a deadline, before rollover.
    pub fn nominal_due(&self, policy: &ReportingPolicy) -> Option<NaiveDate> {
        match self {
            TimeExpr::Period { period } => Some(period.last_day()),
            TimeExpr::Date { date, before } => Some(before_reading(*date, *before, policy.before_date)),
            TimeExpr::Range { to, .. } => Some(to.last_day()),
            _ => None,
        }
    }

    /// Start, nominal due and due after rollover.
    pub fn resolve(&self, policy: &ReportingPolicy, calendar: &WorkCalendar) -> Resolved {
        let nominal_due = self.nominal_due(policy);
        Resolved { start: self.start(), nominal_due, due: nominal_due.map(|d| calendar.rollover(d)) }
    }

    /// The occurrences whose period ends within `[from, to]`; empty unless recurring.
    pub fn occurrences(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        policy: &ReportingPolicy,
        calendar: &WorkCalendar,
    ) -> Vec<Occurrence> {
        match self {
            TimeExpr::Recurring { recurrence } => recurrence.occurrences(from, to, policy, calendar),
            _ => Vec::new(),
        }
    }
}

fn before_reading(date: NaiveDate, before: bool, reading: BeforeDate) -> NaiveDate {
    match (before, reading) {
        (true, BeforeDate::Strict) => date.pred_opt().unwrap_or(date),
        _ => date,
    }
}

impl Recurrence {
    /// One occurrence per distinct period end in `[from, to]`, named after the longest
    /// period ending that day.
    pub fn occurrences(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        policy: &ReportingPolicy,
        calendar: &WorkCalendar,
    ) -> Vec<Occurrence> {
        if from > to {
            return Vec::new();
        }
        let mut by_end: BTreeMap<NaiveDate, Period> = BTreeMap::new();
        for cadence in &self.cadences {
            for period in periods_ending_within(cadence.period_kind(), from, to) {
                if let (Period::Month { month, .. }, Some(months)) = (period, &self.months)
                    && !months.contains(&month)
                {
                    continue;
                }
                by_end
                    .entry(period.last_day())
                    .and_modify(|p| {
                        if period.kind() < p.kind() {
                            *p = period;
                        }
                    })
                    .or_insert(period);
            }
        }
        by_end
            .into_values()
            .map(|period| {
                let nominal_due = match (self.day_of_year, period) {
                    (Some((m, d, before)), Period::Year { year }) => {
                        NaiveDate::from_ymd_opt(year, u32::from(m), u32::from(d))
                            .map(|date| before_reading(date, before, policy.before_date))
                            .unwrap_or_else(|| period.last_day())
                    }
                    _ => policy.nominal_due(&period, calendar),
                };
                let (data_from, data_to) = policy.data_window(&period);
                Occurrence { period, data_from, data_to, nominal_due, due: calendar.rollover(nominal_due) }
            })
            .collect()
    }
}

impl Recurrence {
    /// The occurrence period that reports on `period`: the longest period of this
    /// recurrence ending the same day ("Quý II/2025" of "Quý, 6 tháng, 9 tháng, năm" is the
    /// "6 tháng 2025" report). `None` when no occurrence ends that day.
    pub fn occurrence_for(&self, period: Period) -> Option<Period> {
        let end = period.last_day();
        self.cadences
            .iter()
            .flat_map(|c| periods_ending_within(c.period_kind(), end, end))
            .filter(|p| match (p, &self.months) {
                (Period::Month { month, .. }, Some(months)) => months.contains(month),
                _ => true,
            })
            .min_by_key(|p| p.kind())
    }
}

/// Every period of `kind` whose last day lies in `[from, to]`.
fn periods_ending_within(kind: PeriodKind, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let years = from.year()..=to.year();
    let mut out: Vec<Period> = match kind {
        PeriodKind::Year => years.map(|year| Period::Year { year }).collect(),
        PeriodKind::NineMonths => years.map(|year| Period::NineMonths { year }).collect(),
        PeriodKind::Half => years.flat_map(|year| [1, 2].map(|half| Period::Half { year, half })).collect(),
        PeriodKind::Quarter => {
            years.flat_map(|year| (1..=4).map(move |quarter| Period::Quarter { year, quarter })).collect()
        }
        PeriodKind::Month => years.flat_map(|year| (1..=12).map(move |month| Period::Month { year, month })).collect(),
        PeriodKind::Week => {
            let mut weeks = Vec::new();
            let mut monday = from - Days::new(u64::from(from.weekday().num_days_from_monday()));
            while monday <= to {
                let iso = monday.iso_week();
                weeks.push(Period::Week { year: iso.year(), week: iso.week() as u8 });
                monday = match monday.checked_add_days(Days::new(7)) {
                    Some(m) => m,
                    None => break,
                };
            }
            weeks
        }
        PeriodKind::Day => from.iter_days().take_while(|d| *d <= to).map(|date| Period::Day { date }).collect(),
    };
    out.retain(|p| from <= p.last_day() && p.last_day() <= to);
    debug_assert!(out.iter().all(|p| p.kind() != PeriodKind::Week || p.first_day().weekday() == Weekday::Mon));
    out
}

//! Office hours: when, on a working day, a reminder may go out.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// Intervals of a working day in local time (Asia/Ho_Chi_Minh), sorted and disjoint.
/// The default is the common public-sector schedule 07:30–11:30 and 13:30–17:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// `[start, end)` intervals, e.g. `[["07:30", "11:30"], ["13:30", "17:00"]]`.
    pub intervals: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        WorkingHours { intervals: vec![(t(7, 30), t(11, 30)), (t(13, 30), t(17, 0))] }
    }
}

impl WorkingHours {
    /// Non-empty, each interval non-empty, sorted and disjoint.
    pub fn validate(&self) -> Result<(), String> {
        if self.intervals.is_empty() {
            return Err("cần ít nhất một khoảng giờ làm việc".into());
        }
        let mut prev_end: Option<NaiveTime> = None;
        for (start, end) in &self.intervals {
            if start >= end {
                return Err(format!("khoảng {start}–{end} rỗng"));
            }
            if prev_end.is_some_and(|p| *start < p) {
                return Err(format!("khoảng {start}–{end} chồng lên khoảng trước hoặc sai thứ tự"));
            }
            prev_end = Some(*end);
        }
        Ok(())
    }

    /// Whether a local time of day is inside working hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        self.intervals.iter().any(|(s, e)| *s <= t && t < *e)
    }

    /// The first working moment at or after `t` on the same day, if any.
    pub fn next_on_same_day(&self, t: NaiveTime) -> Option<NaiveTime> {
        self.intervals.iter().find_map(|(s, e)| {
            if t < *s {
                Some(*s)
            } else if t < *e {
                Some(t)
            } else {
                None
            }
        })
    }

    /// The start of the working day.
    pub fn opening(&self) -> NaiveTime {
        self.intervals[0].0
    }
}

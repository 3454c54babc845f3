//! Time expressions: what a plan's time column says, as a typed value.
//!
//! [`parse`] accepts the forms found in provincial plans ("Tháng 9/2025", "Quý IV/2025",
//! "6 tháng đầu năm 2026", "Trước ngày 15/12/2025", "2022 - 2030", "Hằng năm",
//! "Quý, 6 tháng, 9 tháng, năm", "Thường xuyên", "Theo yêu cầu của ...", the bare
//! frequencies of indicator catalogues such as "Tháng/ Quý/ Năm") in any letter case,
//! NFC or NFD, with stray spaces and line breaks. Anything else is an error that quotes
//! the text and lists the accepted forms: never a guess.
//!
//! [`resolve`] turns a value into dates: the start (read as a start), the nominal due date
//! (read as a deadline: the last day of the period) and the due date after the calendar's
//! rollover; a recurrence yields its occurrences in a window.

mod parse;
mod resolve;

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::period::{Period, PeriodKind};

pub use parse::{ACCEPTED_FORMS, FIRST_WORDS, WORDS};
pub use resolve::{Occurrence, Resolved};

/// A parsed time cell: the text as written, its value, and what was said around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedTime {
    /// The text as written (NFC, whitespace collapsed).
    pub input: String,
    pub expr: TimeExpr,
    /// Parenthesised remarks and `;`-separated qualifiers kept verbatim, e.g.
    /// "khi có phát sinh" in "Hàng năm (khi có phát sinh)".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The value of a time expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum TimeExpr {
    /// A single period: a year, half year, nine months, quarter or month.
    Period { period: Period },
    /// A single day; `before` for "Trước ngày 15/12/2025".
    Date { date: NaiveDate, before: bool },
    /// From the start of one period to the end of another ("2022 - 2030").
    Range { from: Period, to: Period },
    /// A recurring obligation ("Hằng năm", "Quý, 6 tháng, 9 tháng, năm").
    Recurring { recurrence: Recurrence },
    /// Continuous work with no due date ("Thường xuyên").
    Continuous,
    /// Done when asked ("Khi có yêu cầu", "Theo yêu cầu của Văn phòng Chính phủ", "Đột xuất").
    OnRequest {
        /// Who asks, when the text names them ("Văn phòng Chính phủ", "Trung ương").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
}

/// The kind reported by `dondoc when --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    Year,
    HalfYear,
    Quarter,
    Month,
    Date,
    Range,
    Recurring,
    Continuous,
    OnRequest,
}

/// How often a recurring obligation falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// "Giờ": hourly data; tracked per day.
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    HalfYearly,
    NineMonthly,
    Yearly,
}

/// A recurrence. Several cadences mean one report at the end of each of their periods,
/// the periods that end on the same day being one report named after the longest
/// ("Quý, 6 tháng, 9 tháng, năm" is four reports a year: Quý I, 6 tháng, 9 tháng, năm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub cadences: BTreeSet<Cadence>,
    /// Only these months of each year ("Tháng 7 và 11 hằng năm").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<u8>>,
    /// A fixed day each year ("Trước ngày 15/12 hằng năm"): (month, day, before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_year: Option<(u8, u8, bool)>,
    /// Also ad hoc ("đột xuất").
    #[serde(default)]
    pub ad_hoc: bool,
    /// "ít nhất 05 năm một lần": at least once every N years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_every_years: Option<u32>,
}

/// Why a time expression could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeExprError {
    #[error("biểu thức thời gian trống")]
    Empty,
    #[error("không hiểu biểu thức thời gian \"{input}\". Các dạng được chấp nhận:\n  - {}", ACCEPTED_FORMS.join("\n  - "))]
    Unrecognized { input: String },
    #[error("biểu thức thời gian \"{input}\" có {detail}")]
    Invalid { input: String, detail: String },
}

impl TimeExprError {
    /// The text that could not be read.
    pub fn input(&self) -> &str {
        match self {
            TimeExprError::Empty => "",
            TimeExprError::Unrecognized { input } | TimeExprError::Invalid { input, .. } => input,
        }
    }
}

/// Parses a time cell. See the module documentation for the accepted forms.
pub fn parse(text: &str) -> Result<ParsedTime, TimeExprError> {
    parse::parse(text)
}

/// Parses a time cell as people write it: a complete expression followed by words without
/// a digit ("Tháng 9/2025 sơ kết") reads as the expression, the words kept as a note (the
/// second value) and the whole text as `input`. Anything else is [`parse`]'s answer.
pub fn parse_with_remark(text: &str) -> Result<(ParsedTime, Option<String>), TimeExprError> {
    let error = match parse(text) {
        Ok(p) => return Ok((p, None)),
        Err(e) => e,
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    for k in (1..words.len()).rev() {
        let rest = words[k..].join(" ");
        if rest.chars().any(|c| c.is_ascii_digit()) {
            break;
        }
        if let Ok(mut p) = parse(&words[..k].join(" ")) {
            p.input = crate::text::clean(text);
            p.notes.push(rest.clone());
            return Ok((p, Some(rest)));
        }
    }
    Err(error)
}

impl TimeExpr {
    /// The kind, as `dondoc when --json` reports it.
    pub fn kind(&self) -> ExprKind {
        match self {
            TimeExpr::Period { period } => match period.kind() {
                PeriodKind::Year => ExprKind::Year,
                PeriodKind::Half => ExprKind::HalfYear,
                PeriodKind::Quarter => ExprKind::Quarter,
                PeriodKind::Month => ExprKind::Month,
                PeriodKind::Day => ExprKind::Date,
                // Nine months and weeks are spans of several months or days.
                PeriodKind::NineMonths | PeriodKind::Week => ExprKind::Range,
            },
            TimeExpr::Date { .. } => ExprKind::Date,
            TimeExpr::Range { .. } => ExprKind::Range,
            TimeExpr::Recurring { .. } => ExprKind::Recurring,
            TimeExpr::Continuous => ExprKind::Continuous,
            TimeExpr::OnRequest { .. } => ExprKind::OnRequest,
        }
    }

    /// Whether the expression has a single due date (not recurring, continuous or on request).
    pub fn has_single_deadline(&self) -> bool {
        matches!(self, TimeExpr::Period { .. } | TimeExpr::Date { .. } | TimeExpr::Range { .. })
    }
}

impl ExprKind {
    /// The snake_case name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExprKind::Year => "year",
            ExprKind::HalfYear => "half_year",
            ExprKind::Quarter => "quarter",
            ExprKind::Month => "month",
            ExprKind::Date => "date",
            ExprKind::Range => "range",
            ExprKind::Recurring => "recurring",
            ExprKind::Continuous => "continuous",
            ExprKind::OnRequest => "on_request",
        }
    }

    /// Whether the form has a start and a due date.
    pub fn has_dates(&self) -> bool {
        !matches!(self, ExprKind::Recurring | ExprKind::Continuous | ExprKind::OnRequest)
    }

    /// Vietnamese name for people.
    pub fn label_vi(&self) -> &'static str {
        match self {
            ExprKind::Year => "năm",
            ExprKind::HalfYear => "nửa năm",
            ExprKind::Quarter => "quý",
            ExprKind::Month => "tháng",
            ExprKind::Date => "ngày",
            ExprKind::Range => "khoảng thời gian",
            ExprKind::Recurring => "định kỳ",
            ExprKind::Continuous => "thường xuyên",
            ExprKind::OnRequest => "theo yêu cầu",
        }
    }
}

impl fmt::Display for ExprKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Cadence {
    /// The period kind whose end closes one occurrence of this cadence.
    pub fn period_kind(&self) -> PeriodKind {
        match self {
            Cadence::Hourly | Cadence::Daily => PeriodKind::Day,
            Cadence::Weekly => PeriodKind::Week,
            Cadence::Monthly => PeriodKind::Month,
            Cadence::Quarterly => PeriodKind::Quarter,
            Cadence::HalfYearly => PeriodKind::Half,
            Cadence::NineMonthly => PeriodKind::NineMonths,
            Cadence::Yearly => PeriodKind::Year,
        }
    }

    /// Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Cadence::Hourly => "hằng giờ",
            Cadence::Daily => "hằng ngày",
            Cadence::Weekly => "hằng tuần",
            Cadence::Monthly => "hằng tháng",
            Cadence::Quarterly => "hằng quý",
            Cadence::HalfYearly => "6 tháng",
            Cadence::NineMonthly => "9 tháng",
            Cadence::Yearly => "hằng năm",
        }
    }
}

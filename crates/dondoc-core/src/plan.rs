//! Plan events: what dondoc knows of a plan itself (number, issuer, date, its headings),
//! on the stream `plan-<id>`, written with the task events of each import that changes it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The current schema version of plan events.
pub const PLAN_SCHEMA_VERSION: u16 = 1;

/// A heading row of the plan: it groups tasks and is not itself a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanGroup {
    pub code: String,
    pub tt: String,
    pub title: String,
    pub level: u8,
}

/// What the document says of the plan, and where it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// The date as printed, even when impossible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub groups: Vec<PlanGroup>,
    /// Rows of the document the import could not read (kept for review: nothing of the
    /// document is lost); added in schema 1 without a version change (absent = none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<ReviewItem>,
}

/// A row of a plan document that an import could not read or did not trust: where it is,
/// why, and its text as printed. It stays on the plan's review list until a task with its
/// code exists or the secretariat dismisses it with a reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// 1-based line of the source where the row starts.
    pub line: usize,
    /// The column at fault, as people name it ("thời hạn"); None for the whole row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: String,
    /// The row's text as printed (shortened to 300 characters).
    pub text: String,
    /// The row number (TT) and task code, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl ReviewItem {
    /// An item for a whole row.
    pub fn row(line: usize, reason: impl Into<String>, text: &str) -> ReviewItem {
        ReviewItem { line, reason: reason.into(), text: shorten(text), ..ReviewItem::default() }
    }

    /// "dòng 691, cột thời hạn: <reason>".
    pub fn place(&self) -> String {
        match &self.column {
            Some(c) => format!("dòng {}, cột {c}", self.line),
            None => format!("dòng {}", self.line),
        }
    }
}

/// The first 300 characters of a row's text, whitespace collapsed.
fn shorten(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = collapsed.chars();
    let head: String = chars.by_ref().take(300).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

/// Counts of an import's changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub added: u32,
    pub revised: u32,
    pub reassigned: u32,
    pub withdrawn: u32,
    /// Tasks under a new number (matched by title); absent in older events.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub renumbered: u32,
    /// Later deadlines proposed as extensions; absent in older events.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extensions_proposed: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A plan event. The variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PlanEvent {
    /// The first import of a plan.
    PlanRegistered {
        plan: String,
        info: PlanInfo,
        /// The file imported (name) and its SHA-256.
        source: String,
        source_sha256: String,
        counts: ImportCounts,
    },
    /// A later import that changed something (a re-issued plan).
    PlanRevised { info: PlanInfo, source: String, source_sha256: String, counts: ImportCounts },
    /// The secretariat stated how the plan is cited (`dondoc plan set`): its number, date,
    /// issuer and subject as signed, which a draft's text often leaves blank. Each given
    /// field overrides what any import read from the document.
    PlanDetailsSet { details: PlanDetails },
    /// The secretariat decided a row on the review list needs no task (a note, a
    /// duplicate): identified by its text as printed, so a re-import keeps the decision.
    ReviewDismissed { line: usize, text: String, reason: String },
}

/// How a plan is cited, as stated by the secretariat: each given field overrides the
/// document's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The subject (trích yếu), e.g. "Triển khai thực hiện Chiến lược phát triển thống kê".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl PlanDetails {
    /// These details completed by `later`: its given fields win.
    pub fn merged(&self, later: &PlanDetails) -> PlanDetails {
        PlanDetails {
            number: later.number.clone().or_else(|| self.number.clone()),
            date: later.date.or(self.date),
            issuer: later.issuer.clone().or_else(|| self.issuer.clone()),
            title: later.title.clone().or_else(|| self.title.clone()),
        }
    }
}

/// Verbs a plan's subject may start with; the citation then joins it without "về"
/// ("… của UBND tỉnh triển khai Quyết định số …").
const SUBJECT_VERBS: [&str; 6] = ["triển khai", "thực hiện", "tổ chức", "thi hành", "hướng dẫn", "tăng cường"];

/// How the office cites a plan: "Kế hoạch số 818/KH-UBND ngày 16/04/2026 của Ủy ban nhân dân
/// tỉnh về …", with what is known; the plan id when nothing is.
pub fn citation(plan: &str, details: &PlanDetails) -> String {
    let mut out = String::from("Kế hoạch");
    let known =
        details.number.is_some() || details.date.is_some() || details.issuer.is_some() || details.title.is_some();
    if !known {
        return format!("Kế hoạch {plan}");
    }
    if let Some(n) = details.number.as_deref().filter(|n| !n.trim().is_empty()) {
        out.push_str(" số ");
        out.push_str(n.trim());
    }
    if let Some(d) = details.date {
        out.push_str(&format!(" ngày {}", d.format("%d/%m/%Y")));
    }
    if let Some(i) = details.issuer.as_deref().filter(|i| !i.trim().is_empty()) {
        out.push_str(" của ");
        out.push_str(i.trim());
    }
    if let Some(t) = details.title.as_deref().map(subject).filter(|t| !t.is_empty()) {
        let folded = t.to_lowercase();
        if !SUBJECT_VERBS.iter().any(|v| folded.starts_with(v)) && !folded.starts_with("về ") {
            out.push_str(" về");
        }
        out.push(' ');
        out.push_str(&t);
    }
    out
}

/// A plan named briefly, beside a task in a list: "Kế hoạch số 818/KH-UBND" when its
/// number is known, else the citation.
pub fn reference(plan: &str, details: &PlanDetails) -> String {
    match details.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Kế hoạch số {n}"),
        None => citation(plan, &PlanDetails { title: None, ..details.clone() }),
    }
}

/// How a plan is named: briefly ([`reference`]) and in full ([`citation`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanName {
    pub reference: String,
    pub citation: String,
}

/// A subject as it reads inside a sentence: without a leading "Kế hoạch", first letter in
/// lower case unless the word is a proper name in capitals ("UBND").
fn subject(title: &str) -> String {
    let t = crate::text::clean(title);
    let t = t.strip_prefix("Kế hoạch ").or_else(|| t.strip_prefix("KẾ HOẠCH ")).unwrap_or(&t).trim().to_string();
    let mut chars = t.chars();
    let Some(first) = chars.next() else { return t };
    let second_upper = t.chars().nth(1).is_some_and(char::is_uppercase);
    if second_upper { t } else { first.to_lowercase().chain(chars).collect() }
}

impl crate::stream_event::StreamEvent for PlanEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PlanEvent::PlanRegistered { .. } => "PlanRegistered",
            PlanEvent::PlanRevised { .. } => "PlanRevised",
            PlanEvent::PlanDetailsSet { .. } => "PlanDetailsSet",
            PlanEvent::ReviewDismissed { .. } => "ReviewDismissed",
        }
    }
}

impl PlanEvent {
    /// The plan's event stream.
    pub fn stream(plan: &str) -> String {
        format!("plan-{plan}")
    }

    /// What the document says of the plan, for an import's event.
    pub fn info(&self) -> Option<&PlanInfo> {
        match self {
            PlanEvent::PlanRegistered { info, .. } | PlanEvent::PlanRevised { info, .. } => Some(info),
            PlanEvent::PlanDetailsSet { .. } | PlanEvent::ReviewDismissed { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    #[test]
    fn citations_read_as_the_office_writes_them() {
        let d = |number: Option<&str>, date: Option<(i32, u32, u32)>, issuer: Option<&str>, title: Option<&str>| {
            PlanDetails {
                number: number.map(str::to_string),
                date: date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                issuer: issuer.map(str::to_string),
                title: title.map(str::to_string),
            }
        };
        let table = [
            (d(None, None, None, None), "Kế hoạch MAU-2026"),
            (
                d(Some("818/KH-UBND"), Some((2026, 4, 16)), Some("UBND tỉnh"), Some("Phát triển thống kê năm 2026")),
                "Kế hoạch số 818/KH-UBND ngày 16/04/2026 của UBND tỉnh về phát triển thống kê năm 2026",
            ),
            (
                d(None, None, Some("Ủy ban nhân dân tỉnh Kon Tum"), Some("Triển khai Quyết định số 1012/QĐ-TTg")),
                "Kế hoạch của Ủy ban nhân dân tỉnh Kon Tum triển khai Quyết định số 1012/QĐ-TTg",
            ),
            (
                d(Some("12/KH-UBND"), None, None, Some("KẾ HOẠCH UBND tỉnh chỉ đạo")),
                "Kế hoạch số 12/KH-UBND về UBND tỉnh chỉ đạo",
            ),
        ];
        for (details, want) in table {
            assert_eq!(citation("MAU-2026", &details), want);
        }
    }

    #[test]
    fn round_trip() {
        let e = PlanEvent::PlanRegistered {
            plan: "QN-2022".into(),
            info: PlanInfo { issuer: Some("UBND tỉnh Quảng Nam".into()), ..PlanInfo::default() },
            source: "qn.txt".into(),
            source_sha256: "ab".into(),
            counts: ImportCounts { added: 3, ..ImportCounts::default() },
        };
        let (t, data) = e.encode();
        assert_eq!(t, "PlanRegistered");
        assert_eq!(PlanEvent::decode(t, data).unwrap(), e);
    }
}

//! From rows read off a document to the tasks of a plan, and from a (re-)import to the
//! changes it makes: new tasks, revised texts and deadlines, reassignments, withdrawals.
//!
//! Task codes: the printed Mã số when the plan has one. Otherwise a code derived from the
//! numbering, stable across re-imports of the same numbering:
//! - a task row under a section: the section's number and the TT, "II.3" (section "II.
//!   Xây dựng ...", TT 3);
//! - a task row without sections: its TT, "1.2";
//! - an indicator: "CS-" then the numbers of its headings and its TT, "CS-A.I.1".
//!
//! Whitespace and "/" are removed from codes. A printed code that repeats within a plan
//! is kept by the row whose TT it matches (TT 3.1.2.3 -> 03123); the other rows get
//! "<code>-TT<tt>" and a warning, so two tasks are never merged.

use std::collections::{BTreeMap, HashMap};

use dondoc_core::task::{TaskCommand, TaskState};
use dondoc_core::text::clean;
use dondoc_core::timeexpr::{self, ParsedTime};

use crate::model::{ImportWarning, ImportedPlan, IndicatorRow, PlanRow, ReviewItem};

/// A task as the imported plan defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    pub code: String,
    pub tt: String,
    /// The heading it sits under (its code, or the section as printed).
    pub group: Option<String>,
    pub title: String,
    pub lead: String,
    pub cooperating: Vec<String>,
    pub start: Option<ParsedTime>,
    pub finish: Option<ParsedTime>,
    pub product: Option<String>,
    /// Line in the source.
    pub line: usize,
}

/// A heading row: groups tasks, is not a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    pub code: String,
    pub tt: String,
    pub title: String,
    pub level: u8,
}

/// The tasks and groups of an imported plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSpec {
    pub tasks: Vec<TaskSpec>,
    pub groups: Vec<GroupSpec>,
    pub warnings: Vec<ImportWarning>,
    /// Rows left for review: the reader's, and rows whose time cells do not read.
    pub review: Vec<ReviewItem>,
}

fn sanitize(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '/').collect()
}

/// The leading number of a heading ("II. Xây dựng ..." -> "II", "A. Nhóm ..." -> "A").
fn heading_number(heading: &str) -> Option<&str> {
    let head = heading.trim().split(['.', ' ', ')']).next()?;
    (!head.is_empty() && head.chars().all(|c| c.is_ascii_alphanumeric())).then_some(head)
}

/// The code a TT implies in statistics-strategy plans: first level zero-padded to two
/// digits, then one digit per level (1.1.2.3 -> 01123).
pub fn code_for_tt(tt: &str) -> Option<String> {
    let parts: Vec<u32> = tt.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (first, rest) = parts.split_first()?;
    let mut code = format!("{first:02}");
    for p in rest {
        code += &p.to_string();
    }
    Some(code)
}

fn derived_code(row: &PlanRow) -> String {
    match (&row.code, row.section.as_deref().and_then(heading_number)) {
        (Some(c), _) if !c.trim().is_empty() => sanitize(c),
        (_, Some(section)) => sanitize(&format!("{section}.{}", row.tt)),
        _ => sanitize(&row.tt),
    }
}

fn indicator_code(row: &IndicatorRow) -> String {
    let path: Vec<&str> = row.group.split(" > ").filter_map(heading_number).collect();
    let mut code = String::from("CS-");
    for p in path {
        code += p;
        code.push('.');
    }
    code += &row.tt;
    sanitize(&code)
}

/// Parses a time cell; an unreadable one is a review item naming its line and column.
fn time(
    cell: &Option<String>,
    line: usize,
    column: &str,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Option<ParsedTime>, Box<ReviewItem>> {
    let Some(text) = cell.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    match timeexpr::parse_with_remark(text) {
        Ok((parsed, None)) => Ok(Some(parsed)),
        Ok((parsed, Some(rest))) => {
            let read = text.trim_end_matches(rest.as_str()).trim_end();
            warnings.push(ImportWarning {
                line,
                message: format!("cột {column} \"{text}\": đọc là \"{read}\", phần \"{rest}\" giữ làm ghi chú"),
            });
            Ok(Some(parsed))
        }
        Err(e) => {
            Err(Box::new(ReviewItem { column: Some(column.to_string()), ..ReviewItem::row(line, e.to_string(), text) }))
        }
    }
}

/// Turns rows into tasks and groups, with codes; collects every unreadable time cell.
pub fn spec(plan: &ImportedPlan) -> PlanSpec {
    let mut out = PlanSpec { warnings: plan.warnings.clone(), review: plan.review.clone(), ..PlanSpec::default() };
    let mut errors: Vec<ReviewItem> = Vec::new();
    // The heading each row sits under: the last heading of a lower level.
    let mut parents: Vec<(u8, String)> = Vec::new();
    let mut codes: Vec<(String, usize)> = Vec::new(); // (code, index in tasks) for duplicate detection
    for row in &plan.rows {
        let code = derived_code(row);
        while parents.last().is_some_and(|(level, _)| *level >= row.level) {
            parents.pop();
        }
        let group = parents.last().map(|(_, c)| c.clone()).or_else(|| row.section.clone());
        if row.heading {
            out.groups.push(GroupSpec {
                code: code.clone(),
                tt: row.tt.clone(),
                title: clean(&row.title),
                level: row.level,
            });
            parents.push((row.level, code));
            continue;
        }
        let start = time(&row.start, row.line, "bắt đầu", &mut out.warnings);
        let finish = time(&row.finish, row.line, "thời hạn", &mut out.warnings);
        let (start, finish) = match (start, finish) {
            (Ok(s), Ok(f)) => (s, f),
            (s, f) => {
                // The row as printed, with its number and code, so the review names it.
                for mut e in s.err().into_iter().chain(f.err()) {
                    e.tt = Some(row.tt.clone()).filter(|t| !t.is_empty());
                    e.code = Some(code.clone());
                    e.text =
                        format!("{} {} | {} | {}", row.tt, row.title, row.lead.join("; "), e.text).trim().to_string();
                    errors.push(*e);
                }
                continue;
            }
        };
        codes.push((code.clone(), out.tasks.len()));
        out.tasks.push(TaskSpec {
            code,
            tt: row.tt.clone(),
            group,
            title: clean(&row.title),
            lead: row.lead.join("; "),
            cooperating: row.cooperating.clone(),
            start,
            finish,
            product: row.product.as_deref().map(clean).filter(|p| !p.is_empty()),
            line: row.line,
        });
    }
    for ind in &plan.indicators {
        match time(&Some(ind.frequency.clone()), ind.line, "tần suất", &mut out.warnings) {
            Ok(finish) => {
                codes.push((indicator_code(ind), out.tasks.len()));
                let product = match (&ind.scope, &ind.notes) {
                    (Some(s), Some(n)) => Some(format!("Phạm vi: {s}; phân tổ: {n}")),
                    (Some(s), None) => Some(format!("Phạm vi: {s}")),
                    (None, Some(n)) => Some(format!("Phân tổ: {n}")),
                    (None, None) => None,
                };
                out.tasks.push(TaskSpec {
                    code: indicator_code(ind),
                    tt: ind.tt.clone(),
                    group: Some(ind.group.clone()),
                    title: clean(&ind.name),
                    lead: ind.lead.join("; "),
                    cooperating: Vec::new(),
                    start: None,
                    finish,
                    product,
                    line: ind.line,
                });
            }
            Err(mut e) => {
                e.tt = Some(ind.tt.clone());
                e.code = Some(indicator_code(ind));
                errors.push(*e);
            }
        }
    }
    separate_duplicates(&mut out, &codes);
    out.review.extend(errors);
    out.review.sort_by_key(|r| r.line);
    out
}

/// Keeps duplicated codes apart (see the module documentation).
fn separate_duplicates(out: &mut PlanSpec, codes: &[(String, usize)]) {
    let mut by_code: HashMap<&str, Vec<usize>> = HashMap::new();
    for (code, i) in codes {
        by_code.entry(code.as_str()).or_default().push(*i);
    }
    let mut renames = Vec::new();
    for (code, rows) in by_code.iter().filter(|(_, rows)| rows.len() > 1) {
        let owner =
            rows.iter().copied().find(|&i| code_for_tt(&out.tasks[i].tt).as_deref() == Some(*code)).unwrap_or(rows[0]);
        for &i in rows.iter().filter(|&&i| i != owner) {
            renames.push((i, owner, code.to_string()));
        }
    }
    renames.sort();
    for (i, owner, code) in renames {
        let task = &out.tasks[i];
        let new_code = sanitize(&format!("{code}-TT{}", task.tt));
        out.warnings.push(ImportWarning {
            line: task.line,
            message: format!(
                "mã số {code} in ở cả TT {} (dòng {}) và TT {} (dòng {}); giữ riêng hai nhiệm vụ, nhiệm vụ TT {} nhận mã {new_code}",
                out.tasks[owner].tt, out.tasks[owner].line, task.tt, task.line, task.tt
            ),
        });
        out.tasks[i].code = new_code;
    }
}

/// One change an import makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A task the board does not have.
    New(TaskSpec),
    /// Title, times or product differ.
    Revised { spec: TaskSpec, fields: Vec<&'static str> },
    /// Lead or cooperating agencies differ.
    Reassigned { spec: TaskSpec, from_lead: String, from_cooperating: Vec<String> },
    /// On the board, open, and no longer in the plan.
    Withdrawn { code: String, title: String },
    /// The same task under another number (its title matches): it keeps its code and
    /// takes the new number (`spec`: the task as on the board, with the new number).
    Renumbered { code: String, from_tt: String, to_tt: String, spec: TaskSpec },
    /// A later deadline in the revised plan: proposed as an extension for the secretariat
    /// to confirm (`task extend`) or reject, not applied by the import.
    ExtensionProposed { code: String, from: chrono::NaiveDate, to: chrono::NaiveDate, to_text: String },
}

impl Change {
    pub fn code(&self) -> &str {
        match self {
            Change::New(s) | Change::Revised { spec: s, .. } | Change::Reassigned { spec: s, .. } => &s.code,
            Change::Withdrawn { code, .. }
            | Change::Renumbered { code, .. }
            | Change::ExtensionProposed { code, .. } => code,
        }
    }

    /// The command that makes the change.
    pub fn command(&self, plan: &str, reason: &str, tracked_from: Option<chrono::NaiveDate>) -> TaskCommand {
        match self {
            Change::New(s) => TaskCommand::Define {
                plan: plan.to_string(),
                code: s.code.clone(),
                title: s.title.clone(),
                lead: s.lead.clone(),
                cooperating: s.cooperating.clone(),
                start: s.start.clone(),
                finish: s.finish.clone(),
                product: s.product.clone(),
                tracked_from,
                tt: Some(s.tt.clone()).filter(|t| !t.is_empty()),
                group: s.group.clone(),
            },
            Change::Revised { spec: s, .. } => TaskCommand::Revise {
                title: s.title.clone(),
                start: s.start.clone(),
                finish: s.finish.clone(),
                product: s.product.clone(),
                tt: None,
                reason: reason.to_string(),
            },
            Change::Reassigned { spec: s, .. } => TaskCommand::Assign {
                lead: s.lead.clone(),
                cooperating: s.cooperating.clone(),
                reason: Some(reason.to_string()),
            },
            Change::Withdrawn { .. } => TaskCommand::Cancel { reason: format!("Rút khỏi kế hoạch: {reason}") },
            Change::Renumbered { from_tt, to_tt, spec: s, .. } => TaskCommand::Revise {
                title: s.title.clone(),
                start: s.start.clone(),
                finish: s.finish.clone(),
                product: s.product.clone(),
                tt: Some(to_tt.clone()),
                reason: format!("Kế hoạch sửa đổi đánh số lại: TT {from_tt} → TT {to_tt} ({reason})"),
            },
            Change::ExtensionProposed { to, to_text, .. } => TaskCommand::RequestExtension {
                occurrence: None,
                to: *to,
                to_text: Some(to_text.clone()),
                reason: format!(
                    "Kế hoạch sửa đổi ghi thời hạn mới \"{to_text}\" ({reason}); chờ Tổ giúp việc xác nhận"
                ),
            },
        }
    }
}

/// What an import would change on a board holding `current` (the plan's tasks by code).
/// Importing the same plan again yields no change.
pub fn diff(spec: &PlanSpec, current: &BTreeMap<String, TaskState>) -> Vec<Change> {
    let mut changes = Vec::new();
    let renumbered = renumbered(spec, current);
    for s in &spec.tasks {
        let s = &match renumbered.iter().find(|(new, _)| *new == s.code) {
            Some((_, old)) => {
                let state = &current[old];
                // Matched before and already renumbered: only the code carries over.
                if state.tt.as_deref() == Some(s.tt.as_str()) {
                    TaskSpec { code: old.clone(), ..s.clone() }
                } else {
                    changes.push(Change::Renumbered {
                        code: old.clone(),
                        from_tt: state.tt.clone().unwrap_or_default(),
                        to_tt: s.tt.clone(),
                        spec: TaskSpec {
                            code: old.clone(),
                            tt: s.tt.clone(),
                            group: state.group.clone(),
                            title: state.title.clone(),
                            lead: state.lead.clone(),
                            cooperating: state.cooperating.clone(),
                            start: state.start.clone(),
                            finish: state.finish.clone(),
                            product: state.product.clone(),
                            line: s.line,
                        },
                    });
                    TaskSpec { code: old.clone(), ..s.clone() }
                }
            }
            None => s.clone(),
        };
        let Some(state) = current.get(&s.code) else {
            changes.push(Change::New(s.clone()));
            continue;
        };
        let mut fields = Vec::new();
        if state.title != s.title {
            fields.push("title");
        }
        if state.start != s.start {
            fields.push("start");
        }
        if state.finish != s.finish {
            fields.push("finish");
        }
        if state.product != s.product {
            fields.push("product");
        }
        if !fields.is_empty() {
            changes.push(Change::Revised { spec: s.clone(), fields });
        }
        if state.lead != s.lead || state.cooperating != s.cooperating {
            changes.push(Change::Reassigned {
                spec: s.clone(),
                from_lead: state.lead.clone(),
                from_cooperating: state.cooperating.clone(),
            });
        }
    }
    for (code, state) in current {
        let still_there = spec.tasks.iter().any(|s| &s.code == code) || renumbered.iter().any(|(_, old)| old == code);
        if !still_there && !state.status.is_closed() {
            changes.push(Change::Withdrawn { code: code.clone(), title: state.title.clone() });
        }
    }
    changes
}

/// Rows under a new number: (new code, old code) where a task of the file has no task of
/// its code on the board, an open task of the board is absent from the file, and their
/// titles are the same (folded); only pairs that are the one match on both sides.
fn renumbered(spec: &PlanSpec, current: &BTreeMap<String, TaskState>) -> Vec<(String, String)> {
    let codes: std::collections::HashSet<&str> = spec.tasks.iter().map(|s| s.code.as_str()).collect();
    let mut gone: HashMap<String, Vec<&String>> = HashMap::new();
    for (code, state) in current.iter().filter(|(c, st)| !codes.contains(c.as_str()) && !st.status.is_closed()) {
        gone.entry(dondoc_core::text::fold(&state.title)).or_default().push(code);
    }
    if gone.is_empty() {
        return Vec::new();
    }
    let mut new: HashMap<String, Vec<&TaskSpec>> = HashMap::new();
    for s in spec.tasks.iter().filter(|s| !current.contains_key(&s.code)) {
        new.entry(dondoc_core::text::fold(&s.title)).or_default().push(s);
    }
    let mut out: Vec<(String, String)> = new
        .iter()
        .filter_map(|(title, specs)| match (specs.as_slice(), gone.get(title).map(Vec::as_slice)) {
            ([s], Some([old])) => Some((s.code.clone(), (*old).clone())),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tt: &str, code: Option<&str>, lead: &str, finish: &str) -> PlanRow {
        PlanRow {
            line: 1,
            tt: tt.into(),
            code: code.map(str::to_string),
            level: tt.split('.').count() as u8,
            heading: lead.is_empty(),
            title: format!("Nhiệm vụ {tt}"),
            lead: if lead.is_empty() { vec![] } else { vec![lead.into()] },
            finish: Some(finish.to_string()).filter(|f| !f.is_empty()),
            ..PlanRow::default()
        }
    }

    #[test]
    fn codes_follow_the_tt_and_duplicates_stay_apart() {
        assert_eq!(code_for_tt("1.1.2.3").as_deref(), Some("01123"));
        assert_eq!(code_for_tt("3.1.2.2").as_deref(), Some("03122"));
        let plan = ImportedPlan {
            rows: vec![
                row("3.1.2", Some("0312"), "", ""),
                row("3.1.2.2", Some("03123"), "Thống kê tỉnh", "2022"),
                row("3.1.2.3", Some("03123"), "Thống kê tỉnh", "2023"),
            ],
            ..ImportedPlan::default()
        };
        let spec = spec(&plan);
        let codes: Vec<&str> = spec.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["03123-TT3.1.2.2", "03123"]);
        assert_eq!(spec.warnings.len(), 1);
        assert!(spec.warnings[0].message.contains("3.1.2.2") && spec.warnings[0].message.contains("3.1.2.3"));
        assert_eq!(spec.tasks[0].group.as_deref(), Some("0312"));
        assert_eq!(spec.groups[0].code, "0312");
    }

    #[test]
    fn derived_codes() {
        let mut r = row("3", None, "Văn phòng UBND tỉnh", "Thường xuyên");
        r.section = Some("II. Xây dựng, phát triển các hệ thống".into());
        assert_eq!(derived_code(&r), "II.3");
        assert_eq!(derived_code(&row("1.2", None, "x", "")), "1.2");
        let ind =
            IndicatorRow {
                group: "A. Nhóm chỉ số > I. Chỉ số giá".into(), tt: "1".into(), ..IndicatorRow::default()
            };
        assert_eq!(indicator_code(&ind), "CS-A.I.1");
    }

    #[test]
    fn an_unreadable_time_cell_names_its_line_and_column() {
        let mut r = row("1", None, "Sở Tài chính", "sau Tết");
        r.line = 42;
        let spec = spec(&ImportedPlan {
            rows: vec![r.clone(), row("2", None, "Sở Nội vụ", "Quý II/2026")],
            ..ImportedPlan::default()
        });
        assert_eq!(spec.tasks.len(), 1, "the other row is read");
        let item = &spec.review[0];
        assert_eq!((item.line, item.column.as_deref(), item.tt.as_deref()), (42, Some("thời hạn"), Some("1")));
        assert!(item.text.contains("sau Tết") && item.text.contains("Sở Tài chính"), "{item:?}");
    }
}

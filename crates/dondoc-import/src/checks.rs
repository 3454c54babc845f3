//! Checks every row a document reader produced before it becomes a task: a wrong row is
//! worse than a row left for review. A row that fails goes to the plan's review list with
//! the reason; the others are kept.
//!
//! - **Numbering.** A dotted row number follows the one before it (its first child, or the
//!   next number at some level). When numbers are skipped and a skipped one is printed at
//!   the start of a line of the text, that row was read into the row before it (a child
//!   swallowed by its parent, a task by its heading): the row before goes to review.
//! - **Agencies.** A lead or cooperating cell names an agency: it does not start with a row
//!   number and is not a sentence (at most [`AGENCY_WORDS`] words).
//! - **Header text.** No cell holds a table's column-letter row ("(A) (B) (C)", "(1) (2) (3)").
//!
//! Time cells are checked when rows become tasks ([`crate::tasks::spec`]): one complete
//! expression, or the row is left for review.

use crate::model::{ImportedPlan, PlanRow, ReviewItem};

/// The most words an agency's name has (the longest in the seed plans has 10).
pub const AGENCY_WORDS: usize = 16;

/// Moves the rows of `plan` that fail a check to its review list; `text` is the document
/// the rows were read from (for row numbers printed but not read).
pub fn check(plan: &mut ImportedPlan, text: &str) {
    let printed = printed_numbers(text);
    let rows = std::mem::take(&mut plan.rows);
    let mut failed: Vec<Option<String>> = rows.iter().map(cell_problem).collect();
    for (i, reason) in swallowed(&rows, &printed) {
        failed[i].get_or_insert(reason);
    }
    for (row, reason) in rows.into_iter().zip(failed) {
        match reason {
            None => plan.rows.push(row),
            Some(reason) => plan.review.push(review_of(&row, reason)),
        }
    }
    plan.review.sort_by_key(|r| r.line);
}

fn review_of(row: &PlanRow, reason: String) -> ReviewItem {
    let mut text = format!("{} {}", row.tt, row.title);
    for cell in [row.lead.join("; "), row.cooperating.join("; ")].iter().chain(row.finish.iter()) {
        if !cell.is_empty() {
            text.push_str(" | ");
            text.push_str(cell);
        }
    }
    ReviewItem {
        tt: Some(row.tt.clone()).filter(|t| !t.is_empty()),
        code: row.code.clone(),
        ..ReviewItem::row(row.line, reason, &text)
    }
}

/// The numbers of a dotted row number ("1.2.3" -> [1, 2, 3]); None for anything else.
fn dotted(tt: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = tt.trim_end_matches('.').split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// Whether `next` may follow `prev` in a numbering: its first child, or the next number at
/// one of its levels.
fn follows(prev: &[u32], next: &[u32]) -> bool {
    if next.len() == prev.len() + 1 && next.starts_with(prev) && next.last() == Some(&1) {
        return true;
    }
    next.len() <= prev.len()
        && next[..next.len() - 1] == prev[..next.len() - 1]
        && next[next.len() - 1] == prev[next.len() - 1] + 1
}

/// The numbers `next` skipped after `prev`: the next siblings up to it at its level, and the
/// first children in between ("1.1" -> "1.3" skipped "1.2"; "1" -> "1.2" skipped "1.1").
fn skipped(prev: &[u32], next: &[u32]) -> Vec<String> {
    let join = |p: &[u32]| p.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
    let mut out = Vec::new();
    let level = next.len();
    if level == 0 {
        return out;
    }
    let parent = &next[..level - 1];
    let from = if prev.len() >= level && prev[..level - 1] == *parent {
        prev[level - 1] + 1
    } else if prev.len() == level - 1 && prev == parent {
        1
    } else {
        return out;
    };
    for n in from..next[level - 1].min(from + 5) {
        let mut p = parent.to_vec();
        p.push(n);
        out.push(join(&p));
    }
    out
}

/// Dotted row numbers printed at the start of a line (with the line number).
fn printed_numbers(text: &str) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for (i, line) in text.split('\n').enumerate() {
        let first = line.split(['\t', ' ']).find(|w| !w.is_empty()).unwrap_or("");
        let tt = first.trim_end_matches('.');
        if tt.contains('.') && dotted(tt).is_some() {
            out.entry(tt.to_string()).or_insert(i + 1);
        }
    }
    out
}

/// Rows that swallowed a row printed after them: (index, reason).
fn swallowed(rows: &[PlanRow], printed: &std::collections::HashMap<String, usize>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut prev: Option<(usize, Vec<u32>)> = None;
    for (i, row) in rows.iter().enumerate() {
        let Some(parts) = dotted(&row.tt) else {
            if row.level == 0 {
                prev = None;
            }
            continue;
        };
        if let Some((p, before)) = &prev
            && rows[*p].section == row.section
            && !follows(before, &parts)
        {
            let lost: Vec<String> = skipped(before, &parts)
                .into_iter()
                .filter(|tt| tt.contains('.') && printed.get(tt).is_some_and(|&line| line > rows[*p].line))
                .collect();
            if let Some(tt) = lost.first() {
                out.push((
                    *p,
                    format!(
                        "TT {tt} in ở dòng {} không thành một dòng riêng: có thể đã bị đọc gộp vào dòng TT {}",
                        printed[tt], rows[*p].tt
                    ),
                ));
            }
        }
        prev = Some((i, parts));
    }
    out
}

/// A lead or cooperating cell that is not an agency, or a cell holding header text.
fn cell_problem(row: &PlanRow) -> Option<String> {
    for (column, cells) in [("chủ trì", &row.lead), ("phối hợp", &row.cooperating)] {
        for cell in cells {
            let first = cell.split_whitespace().next().unwrap_or("");
            if dotted(first).is_some() && first.chars().any(|c| c.is_ascii_digit()) {
                return Some(format!("ô {column} bắt đầu bằng số thứ tự \"{first}\": không phải tên cơ quan"));
            }
            if cell.split_whitespace().count() > AGENCY_WORDS {
                return Some(format!("ô {column} là một câu dài, không phải tên cơ quan: \"{cell}\""));
            }
        }
    }
    let cells = [Some(&row.title), row.product.as_ref(), row.start.as_ref(), row.finish.as_ref()];
    for cell in cells.into_iter().flatten().chain(row.lead.iter()).chain(row.cooperating.iter()) {
        if cell.contains("(A) (B)") || cell.contains("(1) (2) (3)") {
            return Some("một ô chứa dòng tiêu đề cột của bảng (\"(A) (B) (C) …\")".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_follows_and_skips() {
        assert!(follows(&[1], &[1, 1]));
        assert!(follows(&[1, 1], &[1, 2]));
        assert!(follows(&[1, 2, 3], &[2]));
        assert!(!follows(&[1, 1], &[1, 3]));
        assert!(!follows(&[1], &[1, 2]));
        assert_eq!(skipped(&[1, 1], &[1, 3]), ["1.2"]);
        assert_eq!(skipped(&[1], &[1, 2]), ["1.1"]);
        assert_eq!(skipped(&[1, 1, 2], &[1, 3]), ["1.2"]);
    }

    fn row(line: usize, tt: &str, lead: &str) -> PlanRow {
        PlanRow {
            line,
            tt: tt.into(),
            title: format!("Việc {tt}"),
            lead: if lead.is_empty() { vec![] } else { vec![lead.into()] },
            heading: lead.is_empty(),
            level: tt.split('.').count() as u8,
            ..PlanRow::default()
        }
    }

    #[test]
    fn a_row_that_swallowed_the_next_goes_to_review() {
        let text = "1 Nhóm\n1.1 Việc một\nSở A\n1.2 Việc hai\nSở B\n1.3 Việc ba\nSở C\n";
        let mut plan = ImportedPlan {
            rows: vec![row(1, "1", ""), row(2, "1.1", "Sở A"), row(6, "1.3", "Sở C")],
            ..ImportedPlan::default()
        };
        check(&mut plan, text);
        assert_eq!(plan.rows.iter().map(|r| r.tt.as_str()).collect::<Vec<_>>(), ["1", "1.3"]);
        assert_eq!(plan.review.len(), 1);
        assert!(plan.review[0].reason.contains("TT 1.2 in ở dòng 4"), "{:?}", plan.review);
    }

    #[test]
    fn a_number_the_document_skips_is_not_a_lost_row() {
        let text = "1 Nhóm\n1.1 Việc một\nSở A\n1.3 Việc ba\nSở C\n";
        let mut plan = ImportedPlan {
            rows: vec![row(1, "1", ""), row(2, "1.1", "Sở A"), row(4, "1.3", "Sở C")],
            ..ImportedPlan::default()
        };
        check(&mut plan, text);
        assert_eq!(plan.rows.len(), 3);
        assert!(plan.review.is_empty());
    }

    #[test]
    fn cells_that_are_not_agencies_or_hold_header_text() {
        let mut plan = ImportedPlan {
            rows: vec![
                row(1, "1", "1.2 Sở Tài chính"),
                row(
                    2,
                    "2",
                    "Sở Tài chính chủ trì, phối hợp với các sở, ngành liên quan tổ chức thực hiện rà soát, đánh giá và báo cáo kết quả",
                ),
                PlanRow { product: Some("Báo cáo (A) (B) (C) (D)".into()), ..row(3, "3", "Sở Nội vụ") },
                row(4, "4", "Sở Nội vụ"),
            ],
            ..ImportedPlan::default()
        };
        check(&mut plan, "");
        assert_eq!(plan.rows.len(), 1);
        let reasons: Vec<&str> = plan.review.iter().map(|r| r.reason.as_str()).collect();
        assert!(
            reasons[0].contains("số thứ tự") && reasons[1].contains("câu dài") && reasons[2].contains("(A) (B)"),
            "{reasons:?}"
        );
    }
}

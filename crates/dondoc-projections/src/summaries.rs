//! The summaries stream (`summaries`): per edition (a week's summary, a day's digest) and
//! person, whether it was delivered and how many attempts failed.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

use crate::streams::SummaryChange;
use crate::{ProjectionError, Projections};

/// Who received an edition, and the failed attempts of each person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionHistory {
    pub delivered: HashSet<String>,
    pub failures: HashMap<String, usize>,
}

pub(crate) fn write(conn: &Connection, change: &SummaryChange) -> Result<(), ProjectionError> {
    let (delivered, failures) = if change.delivered { (1, 0) } else { (0, 1) };
    conn.execute(
        "INSERT INTO proj_summary (edition, recipient, delivered, failures) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (edition, recipient) DO UPDATE SET delivered = MAX(delivered, excluded.delivered),
           failures = failures + excluded.failures",
        params![change.edition, change.recipient, delivered, failures],
    )?;
    Ok(())
}

impl Projections {
    /// Who received `edition` and how many attempts failed for each person.
    pub fn edition_history(&self, edition: &str) -> Result<EditionHistory, ProjectionError> {
        let mut stmt =
            self.conn().prepare("SELECT recipient, delivered, failures FROM proj_summary WHERE edition = ?1")?;
        let rows =
            stmt.query_map([edition], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?, r.get::<_, i64>(2)?)))?;
        let mut out = EditionHistory::default();
        for row in rows {
            let (recipient, delivered, failures) = row?;
            if delivered {
                out.delivered.insert(recipient.clone());
            }
            if failures > 0 {
                out.failures.insert(recipient, failures as usize);
            }
        }
        Ok(out)
    }
}

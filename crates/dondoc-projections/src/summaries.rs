//! The summaries stream (`summaries`): per edition (a week's summary, a day's digest) and
//! person, whether it was delivered and how many attempts failed.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

use crate::streams::SummaryChange;
use crate::{ProjectionError, Projections};

/// Who received an edition, who it failed for, and the failed attempts each person had
/// (failures that were a channel's own fault are not counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionHistory {
    pub delivered: HashSet<String>,
    /// Everyone it was sent to (delivered or not), whatever the cause of a failure.
    pub attempted: HashSet<String>,
    pub failures: HashMap<String, usize>,
}

pub(crate) fn write(conn: &Connection, change: &SummaryChange) -> Result<(), ProjectionError> {
    let delivered = i64::from(change.delivered);
    let failures = i64::from(!change.delivered && !change.channel_fault);
    let channel_faults = i64::from(!change.delivered && change.channel_fault);
    conn.execute(
        "INSERT INTO proj_summary (edition, recipient, delivered, failures, channel_faults) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (edition, recipient) DO UPDATE SET delivered = MAX(delivered, excluded.delivered),
           failures = failures + excluded.failures, channel_faults = channel_faults + excluded.channel_faults",
        params![change.edition, change.recipient, delivered, failures, channel_faults],
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
            out.attempted.insert(recipient.clone());
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

//! The task board: the current state of every task, by (plan, code).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dondoc_core::classify::{Classification, Classifier};
use dondoc_core::task::TaskState;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{ProjectionError, Projections};

/// A task on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardTask {
    pub stream: String,
    /// Revision of the last event applied (the stream's current revision).
    pub revision: u64,
    pub state: TaskState,
}

/// Narrows a listing; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub plan: Option<String>,
    /// Lead agency, or one of the cooperating agencies.
    pub agency: Option<String>,
}

fn row_to_task(stream: String, revision: i64, state: String) -> Result<BoardTask, ProjectionError> {
    let state: TaskState = serde_json::from_str(&state).map_err(|e| ProjectionError::State(stream.clone(), e))?;
    Ok(BoardTask { stream, revision: revision as u64, state })
}

pub(crate) fn load(conn: &Connection, stream: &str) -> Result<Option<BoardTask>, ProjectionError> {
    let row: Option<(String, i64, String)> = conn
        .query_row("SELECT stream, revision, state FROM proj_task WHERE stream = ?1", [stream], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    row.map(|(s, r, st)| row_to_task(s, r, st)).transpose()
}

pub(crate) fn save(conn: &Connection, stream: &str, revision: u64, state: &TaskState) -> Result<(), ProjectionError> {
    let json = serde_json::to_string(state).map_err(|e| ProjectionError::State(stream.to_string(), e))?;
    conn.execute(
        "INSERT INTO proj_task (plan, code, stream, revision, lead, status, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (plan, code) DO UPDATE SET stream = excluded.stream, revision = excluded.revision,
           lead = excluded.lead, status = excluded.status, state = excluded.state",
        params![state.key.plan, state.key.code, stream, revision as i64, state.lead, state.status.as_str(), json],
    )?;
    Ok(())
}

impl Projections {
    /// One task, if the board has it.
    pub fn task(&self, plan: &str, code: &str) -> Result<Option<BoardTask>, ProjectionError> {
        let row: Option<(String, i64, String)> = self
            .conn()
            .query_row(
                "SELECT stream, revision, state FROM proj_task WHERE plan = ?1 AND code = ?2",
                [plan, code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(s, r, st)| row_to_task(s, r, st)).transpose()
    }

    /// Tasks matching `filter`, ordered by plan and code.
    pub fn tasks(&self, filter: &TaskFilter) -> Result<Vec<BoardTask>, ProjectionError> {
        let mut stmt = self.conn().prepare(
            "SELECT stream, revision, state FROM proj_task WHERE (?1 IS NULL OR plan = ?1) ORDER BY plan, code",
        )?;
        let rows = stmt.query_map(params![filter.plan], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (s, r, st): (String, i64, String) = row?;
            let task = row_to_task(s, r, st)?;
            let agency_matches = filter
                .agency
                .as_deref()
                .is_none_or(|a| task.state.lead == a || task.state.cooperating.iter().any(|c| c == a));
            if agency_matches {
                out.push(task);
            }
        }
        Ok(out)
    }

    /// The plans on the board.
    pub fn plans(&self) -> Result<Vec<String>, ProjectionError> {
        let mut stmt = self.conn().prepare("SELECT DISTINCT plan FROM proj_task ORDER BY plan")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The task codes of a plan.
    pub fn codes(&self, plan: &str) -> Result<Vec<String>, ProjectionError> {
        let mut stmt = self.conn().prepare("SELECT code FROM proj_task WHERE plan = ?1 ORDER BY code")?;
        let rows = stmt.query_map([plan], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// How the tasks an agency leads stand at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyCounts {
    pub agency: String,
    pub counts: BTreeMap<Classification, u32>,
}

impl AgencyCounts {
    /// Tasks in a category.
    pub fn get(&self, c: Classification) -> u32 {
        self.counts.get(&c).copied().unwrap_or(0)
    }

    /// All tasks the agency leads.
    pub fn total(&self) -> u32 {
        self.counts.values().sum()
    }
}

/// Per lead agency, the number of tasks in each category at `at`; most overdue first.
pub fn agency_counts(tasks: &[BoardTask], classifier: &Classifier, at: DateTime<Utc>) -> Vec<AgencyCounts> {
    let mut by: BTreeMap<&str, BTreeMap<Classification, u32>> = BTreeMap::new();
    for t in tasks {
        let c = classifier.task(&t.state, at).classification;
        *by.entry(t.state.lead.as_str()).or_default().entry(c).or_default() += 1;
    }
    let mut out: Vec<AgencyCounts> =
        by.into_iter().map(|(agency, counts)| AgencyCounts { agency: agency.to_string(), counts }).collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.get(Classification::InProgressOverdue)));
    out
}

//! The daily digest: for each officer, the tasks their agency leads that are overdue or
//! due soon at an instant. The reminders say what changed; the digest says where things
//! stand. Pure: the tasks, contacts, directory and `now` are parameters.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::agency::Directory;
use crate::calendar::local_date;
use crate::classify::{Classification, Classifier};
use crate::contact::{Contact, Role};
use crate::task::TaskState;

/// One task in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestTask {
    pub plan: String,
    pub code: String,
    pub title: String,
    /// Overdue ([`Classification::InProgressOverdue`]) or due soon ([`Classification::DueSoon`]).
    pub classification: Classification,
    /// The effective due day of a one-off task.
    pub due: Option<NaiveDate>,
}

/// One officer's digest of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyDigest {
    pub day: NaiveDate,
    pub contact: Contact,
    pub tasks: Vec<DigestTask>,
}

/// The digests of the day of `now`: one per officer whose agency leads an open task that is
/// overdue or due soon, with those tasks in board order. Officers with nothing to report
/// get none.
pub fn digests(
    tasks: &[TaskState],
    contacts: &[Contact],
    directory: &Directory,
    classifier: &Classifier,
    now: DateTime<Utc>,
) -> Vec<DailyDigest> {
    let day = local_date(now);
    let canonical = |name: &str| directory.current_key(name, day);
    let open: Vec<&TaskState> = tasks.iter().filter(|t| t.defined && !t.status.is_closed()).collect();
    let mut out = Vec::new();
    for contact in contacts.iter().filter(|c| c.role == Role::Officer) {
        let agency = canonical(&contact.agency);
        let mut lines = Vec::new();
        for t in open.iter().filter(|t| t.lead.split("; ").any(|l| canonical(l) == agency)) {
            let standing = classifier.task(t, now);
            if matches!(standing.classification, Classification::InProgressOverdue | Classification::DueSoon) {
                lines.push(DigestTask {
                    plan: t.key.plan.clone(),
                    code: t.key.code.clone(),
                    title: t.title.clone(),
                    classification: standing.classification,
                    due: standing.deadline.map(|d| d.due),
                });
            }
        }
        if !lines.is_empty() {
            out.push(DailyDigest { day, contact: contact.clone(), tasks: lines });
        }
    }
    out
}

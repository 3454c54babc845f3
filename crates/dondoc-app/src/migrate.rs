//! Moving a history to another store (`dondoc migrate --to`): every event copied in log
//! order with its id, stream, revision, commit time and chain value; the copy's chains
//! verified on the target; an interrupted copy resumed where it stopped (the target's
//! last event must be the source's event at the same place, so that a copy is never
//! resumed onto another history).

use dondoc_store::EventStore;
use dondoc_store::any::Store;
use dondoc_store::chain::{VerifyReport, verify_all};

use crate::error::{AppError, Result};

/// Events read and written per step.
const PAGE: usize = 1_000;

/// What a migration did.
#[derive(Debug)]
pub struct Migration {
    /// Events the target held before this run (an interrupted copy's part).
    pub resumed_after: u64,
    /// Events copied by this run.
    pub copied: u64,
    /// Events in the source.
    pub source_events: u64,
    /// The target's chains, once the whole history is there.
    pub verified: Option<VerifyReport>,
}

impl Migration {
    /// Whether the target holds the whole history with every chain intact.
    pub fn complete(&self) -> bool {
        self.resumed_after + self.copied == self.source_events
            && self.verified.as_ref().is_some_and(|v| v.first_break.is_none())
    }
}

/// Copies `source`'s history to `target`, at most `max_events` in this run (the rest on
/// the next run); `progress` hears the number of events copied so far.
pub async fn migrate(
    source: &Store,
    target: &Store,
    max_events: Option<u64>,
    progress: &dyn Fn(u64),
) -> Result<Migration> {
    let resumed_after = target.event_count().await?;
    // Where the source is, after the events the target already has.
    let mut after = None;
    let mut seen = 0u64;
    while seen < resumed_after {
        let want = usize::try_from(resumed_after - seen).unwrap_or(PAGE).min(PAGE);
        let page = source.read_all(after, want).await?;
        let Some(last) = page.last() else {
            return Err(AppError::Input(format!(
                "kho đích đã có {resumed_after} sự kiện, nhiều hơn kho nguồn ({seen}): không phải bản sao của kho này"
            )));
        };
        seen += page.len() as u64;
        after = Some(last.position);
        if seen == resumed_after && target.last_event_id().await? != Some(last.id) {
            return Err(AppError::Input(format!(
                "sự kiện thứ {seen} của kho đích khác sự kiện thứ {seen} của kho nguồn: kho đích không phải bản sao dở dang của kho này"
            )));
        }
    }
    let mut copied = 0u64;
    let mut exhausted = false;
    loop {
        let room = max_events.map_or(PAGE as u64, |m| m.saturating_sub(copied)).min(PAGE as u64);
        if room == 0 {
            break;
        }
        let page = source.read_all(after, room as usize).await?;
        let Some(last) = page.last() else {
            exhausted = true;
            break;
        };
        after = Some(last.position);
        target.import_recorded(resumed_after + copied, &page).await?;
        copied += page.len() as u64;
        progress(resumed_after + copied);
    }
    if !exhausted {
        exhausted = source.read_all(after, 1).await?.is_empty();
    }
    let source_events = if exhausted { resumed_after + copied } else { source.event_count().await? };
    let verified = if exhausted { Some(verify_all(target).await?) } else { None };
    Ok(Migration { resumed_after, copied, source_events, verified })
}

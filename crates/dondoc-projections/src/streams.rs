//! The small streams besides the tasks': contacts, silences, the agency directory, each
//! plan's own stream and the summaries. Each is folded by the projector in the same
//! transaction as the checkpoint and kept as one row of `proj_stream` (its revision and,
//! for the folds, the folded state as JSON), so a sweep or an incoming message reads one
//! row instead of folding the whole stream again. The folds themselves are core's
//! (`ContactBook`, `Silences`, `Directory`); each stream's module (`contacts`, `silences`,
//! `agencies`, `plans`, `summaries`) owns its queries.

use dondoc_core::StreamEvent as _;
use dondoc_core::account::{ACCOUNT_STREAM, AccountBook, AccountEvent, TokenEffect};
use dondoc_core::agency::{AGENCY_STREAM, AgencyEvent};
use dondoc_core::contact::{CONTACT_STREAM, ContactBook, ContactEvent};
use dondoc_core::plan::PlanEvent;
use dondoc_core::silence::{SILENCE_STREAM, SilenceEvent, Silences};
use dondoc_core::summary::log::{SUMMARY_STREAM, SummaryEvent};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::ProjectionError;
use crate::plans::PlanRecord;

/// Prefix of each plan's stream (`plan-<id>`).
const PLAN_PREFIX: &str = "plan-";

/// The folded state of one small stream.
#[derive(Debug, Clone)]
pub(crate) enum Fold {
    Contacts(ContactBook),
    Silences(Silences),
    /// The directory's recorded renames and mergers, in order (the configuration they
    /// apply to is read at use, so a changed configuration takes effect at once).
    Agencies(Vec<AgencyEvent>),
    Plan(Box<PlanRecord>),
    /// The accounts; their tokens are kept in `proj_token`, row by row.
    Accounts(AccountBook),
    /// Kept in `proj_summary`, row by row; only the revision is in `proj_stream`.
    Summaries,
}

/// A change to a table kept row by row, made by one event of a small stream.
#[derive(Debug, Clone)]
pub(crate) enum RowChange {
    Summary(SummaryChange),
    Token(TokenEffect),
}

/// A change to `proj_summary` made by one summary event.
#[derive(Debug, Clone)]
pub(crate) struct SummaryChange {
    pub edition: String,
    pub recipient: String,
    pub delivered: bool,
    /// A failure that was the channel's fault, not the person's.
    pub channel_fault: bool,
}

impl Fold {
    /// The empty fold of a stream, or `None` for streams that are not small streams.
    pub(crate) fn empty(stream: &str) -> Option<Fold> {
        Some(match stream {
            CONTACT_STREAM => Fold::Contacts(ContactBook::default()),
            SILENCE_STREAM => Fold::Silences(Silences::default()),
            AGENCY_STREAM => Fold::Agencies(Vec::new()),
            SUMMARY_STREAM => Fold::Summaries,
            ACCOUNT_STREAM => Fold::Accounts(AccountBook::default()),
            s => Fold::Plan(Box::new(PlanRecord::empty(s.strip_prefix(PLAN_PREFIX)?))),
        })
    }

    /// Applies one stored event; a summary or token event also returns its row change.
    pub(crate) fn apply(&mut self, event_type: &str, data: Value) -> Result<Option<RowChange>, String> {
        let bad = |e: serde_json::Error| e.to_string();
        match self {
            Fold::Contacts(book) => book.apply(&ContactEvent::decode(event_type, data).map_err(bad)?),
            Fold::Silences(s) => s.apply(&SilenceEvent::decode(event_type, data).map_err(bad)?),
            Fold::Agencies(events) => events.push(AgencyEvent::decode(event_type, data).map_err(bad)?),
            Fold::Plan(record) => record.apply(&PlanEvent::decode(event_type, data).map_err(bad)?),
            Fold::Accounts(book) => {
                let event = AccountEvent::decode(event_type, data).map_err(bad)?;
                book.apply(&event);
                return Ok(event.token_effect().map(RowChange::Token));
            }
            Fold::Summaries => {
                let event = SummaryEvent::decode(event_type, data).map_err(bad)?;
                let (edition, recipient, delivered, channel_fault) = match event {
                    SummaryEvent::SummaryDelivered { edition, recipient, .. } => (edition, recipient, true, false),
                    SummaryEvent::SummaryFailed { edition, recipient, channel_fault, .. } => {
                        (edition, recipient, false, channel_fault)
                    }
                };
                return Ok(Some(RowChange::Summary(SummaryChange { edition, recipient, delivered, channel_fault })));
            }
        }
        Ok(None)
    }

    fn to_json(&self) -> Result<Option<String>, serde_json::Error> {
        match self {
            Fold::Contacts(book) => serde_json::to_string(book).map(Some),
            Fold::Silences(s) => serde_json::to_string(s).map(Some),
            Fold::Agencies(events) => serde_json::to_string(events).map(Some),
            Fold::Plan(record) => serde_json::to_string(record).map(Some),
            Fold::Accounts(book) => serde_json::to_string(book).map(Some),
            Fold::Summaries => Ok(None),
        }
    }

    /// Reads the stored state of `stream` (from a row written by [`save`]).
    fn from_json(stream: &str, state: Option<&str>) -> Result<Fold, serde_json::Error> {
        let empty = Fold::empty(stream).unwrap_or(Fold::Summaries);
        let Some(state) = state else { return Ok(empty) };
        Ok(match empty {
            Fold::Contacts(_) => Fold::Contacts(serde_json::from_str(state)?),
            Fold::Silences(_) => Fold::Silences(serde_json::from_str(state)?),
            Fold::Agencies(_) => Fold::Agencies(serde_json::from_str(state)?),
            Fold::Plan(_) => Fold::Plan(Box::new(serde_json::from_str(state)?)),
            Fold::Accounts(_) => Fold::Accounts(serde_json::from_str(state)?),
            Fold::Summaries => Fold::Summaries,
        })
    }
}

/// The stored fold of `stream` and the revision of its last event, if any.
pub(crate) fn load(conn: &Connection, stream: &str) -> Result<Option<(u64, Fold)>, ProjectionError> {
    let row: Option<(i64, Option<String>)> = conn
        .query_row("SELECT revision, state FROM proj_stream WHERE stream = ?1", [stream], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((revision, state)) = row else { return Ok(None) };
    let fold = Fold::from_json(stream, state.as_deref()).map_err(|e| ProjectionError::State(stream.to_string(), e))?;
    Ok(Some((revision as u64, fold)))
}

/// Writes the fold of `stream` at `revision`.
pub(crate) fn save(conn: &Connection, stream: &str, revision: u64, fold: &Fold) -> Result<(), ProjectionError> {
    let state = fold.to_json().map_err(|e| ProjectionError::State(stream.to_string(), e))?;
    conn.execute(
        "INSERT INTO proj_stream (stream, revision, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, state = excluded.state",
        params![stream, revision as i64, state],
    )?;
    Ok(())
}

/// The stored fold of a stream, or its empty fold when nothing was recorded on it.
pub(crate) fn current(conn: &Connection, stream: &str) -> Result<Fold, ProjectionError> {
    Ok(match load(conn, stream)? {
        Some((_, fold)) => fold,
        None => Fold::empty(stream).unwrap_or(Fold::Summaries),
    })
}

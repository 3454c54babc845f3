//! The sending lease on EventStoreDB: of several daemons on one log, one sends reminders.
//!
//! EventStoreDB has no locks, so the lease is a stream, `_dondoc-lease`, whose last event
//! says who holds it and until when (`until`, UTC). A daemon takes or renews it by
//! appending with the expected revision of the event it read: of two daemons racing, the
//! server accepts one. The holder renews every [`RENEW`]; it stops leading as soon as a
//! renewal fails or its own `until` passes without one, and the others take over only
//! after `until` plus [`SKEW`] (clocks of the machines may differ that much). A daemon that
//! stops releases the lease at once. Takeover after a crash: at most
//! [`TTL`] + [`SKEW`] + [`RENEW`] (22 s).

use std::time::Duration;

use chrono::{DateTime, Utc};
use kurrentdb::{AppendToStreamOptions, StreamState};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::EsdbStore;
use crate::{Direction, StoreError, StreamStart};

/// The lease stream.
pub const LEASE_STREAM: &str = "_dondoc-lease";
/// How long a taken or renewed lease lasts.
pub const TTL: Duration = Duration::from_secs(15);
/// How often the holder renews it and the others look at it.
pub const RENEW: Duration = Duration::from_secs(5);
/// The clock difference between machines the lease tolerates.
pub const SKEW: Duration = Duration::from_secs(2);

/// The lease stream's last event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LeaseRecord {
    pub holder: String,
    /// `None`: released.
    pub until: Option<DateTime<Utc>>,
}

/// Who holds the lease now, by this machine's wall clock.
pub async fn holder(store: &EsdbStore) -> Result<Option<String>, StoreError> {
    holder_at(store, wall_clock()).await
}

/// The wall clock: a lease's expiry is compared between machines, never at a replayed
/// instant.
fn wall_clock() -> DateTime<Utc> {
    Utc::now()
}

/// Who holds the lease at `now` (a released or expired lease has no holder).
pub async fn holder_at(store: &EsdbStore, now: DateTime<Utc>) -> Result<Option<String>, StoreError> {
    Ok(last(store).await?.and_then(|(_, r)| r.until.filter(|u| *u > now).map(|_| r.holder)))
}

async fn last(store: &EsdbStore) -> Result<Option<(u64, LeaseRecord)>, StoreError> {
    let tail = store.read_raw(LEASE_STREAM, Direction::Backwards, StreamStart::End, 1).await?;
    Ok(tail.into_iter().next().and_then(|e| serde_json::from_value(e.data).ok().map(|r| (e.revision, r))))
}

/// One attempt to take or renew the lease for `me` at `now`: whether `me` holds it after.
pub async fn try_take(store: &EsdbStore, me: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let current = last(store).await?;
    let free = match &current {
        None => true,
        Some((_, r)) if r.holder == me => true,
        Some((_, r)) => r.until.is_none_or(|u| u + SKEW < now),
    };
    if !free {
        return Ok(false);
    }
    let record = LeaseRecord { holder: me.to_owned(), until: Some(now + TTL) };
    write(store, current.map(|(rev, _)| rev), &record).await
}

/// Gives the lease up if `me` holds it.
pub async fn release(store: &EsdbStore, me: &str) -> Result<(), StoreError> {
    if let Some((rev, r)) = last(store).await?
        && r.holder == me
        && r.until.is_some()
    {
        write(store, Some(rev), &LeaseRecord { holder: me.to_owned(), until: None }).await?;
    }
    Ok(())
}

/// Events the server keeps of the lease stream (`$maxCount`): renewals every few seconds
/// would otherwise grow the log by thousands of events a day; older ones go at the next
/// scavenge.
pub const KEEP: u64 = 16;

/// Asks the server to keep only the last [`KEEP`] lease events (best effort: a user
/// without the right to write stream metadata leaves the stream unbounded, which only
/// costs space).
async fn bound(store: &EsdbStore) {
    let metadata = kurrentdb::StreamMetadata::builder().max_count(KEEP).build();
    let options = &AppendToStreamOptions::default();
    let metadata = &metadata;
    let _ = store
        .with_retry(|client| async move { client.set_stream_metadata(LEASE_STREAM, options, metadata).await })
        .await;
}

async fn write(store: &EsdbStore, after: Option<u64>, record: &LeaseRecord) -> Result<bool, StoreError> {
    let event = kurrentdb::EventData::json("Lease", record)
        .map_err(|e| StoreError::Invalid(e.to_string()))?
        .id(uuid::Uuid::new_v4());
    let state = after.map_or(StreamState::NoStream, StreamState::StreamRevision);
    let options = &AppendToStreamOptions::default().stream_state(state);
    let written = store
        .with_retry(|client| {
            let event = event.clone();
            async move {
                match client.append_to_stream(LEASE_STREAM, options, event).await {
                    Ok(_) => Ok(true),
                    Err(kurrentdb::Error::WrongExpectedVersion { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
    if written && after.is_none() {
        bound(store).await;
    }
    Ok(written)
}

/// Holds (or waits for) the lease for `me`; `leading` says whether it holds it. Runs until
/// `stop` turns true, then releases it.
pub async fn hold(store: EsdbStore, me: String, leading: &watch::Sender<bool>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        match tokio::time::timeout(RENEW, try_take(&store, &me, wall_clock())).await {
            Ok(Ok(true)) => {
                leading.send_replace(true);
            }
            _ => {
                // Not renewed (refused, failed or too slow): stop leading at once.
                leading.send_replace(false);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RENEW) => {}
            _ = stop.changed() => {}
        }
    }
    leading.send_replace(false);
    let _ = release(&store, &me).await;
}

//! `subscribe_all`: catch-up reads, then live wake-ups from the writer (see the module
//! documentation of [`crate::sqlite`] for why nothing is lost or repeated at the hand-over).

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::sync::watch;

use super::SqliteStore;
use crate::{EventStore, RecordedEvent, StoreError};

/// Events read per catch-up page.
const PAGE: usize = 256;

struct Subscription {
    store: SqliteStore,
    /// The last committed position, published by the writer after each commit.
    committed: watch::Receiver<Option<u64>>,
    /// The position of the last event delivered (or the subscription's start).
    last: Option<u64>,
    buffer: VecDeque<RecordedEvent>,
    /// The last read returned less than a page: wait for a commit before reading again.
    caught_up: bool,
    failed: bool,
}

pub(super) fn subscribe(
    store: SqliteStore,
    committed: watch::Receiver<Option<u64>>,
    after: Option<u64>,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let state =
        Subscription { store, committed, last: after, buffer: VecDeque::new(), caught_up: false, failed: false };
    stream::unfold(state, |mut sub| async move {
        let item = sub.next().await?;
        Some((item, sub))
    })
    .boxed()
}

impl Subscription {
    /// The next event; `None` when the store is gone or after an error was delivered.
    async fn next(&mut self) -> Option<Result<RecordedEvent, StoreError>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last = Some(event.position);
                return Some(Ok(event));
            }
            if self.caught_up {
                self.committed.changed().await.ok()?;
            }
            // Mark the current commit as seen *before* reading: a commit after this point
            // wakes the wait above even if the read below already returned its events.
            self.committed.borrow_and_update();
            match self.store.read_all(self.last, PAGE).await {
                Ok(page) => {
                    self.caught_up = page.len() < PAGE;
                    self.buffer.extend(page);
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

//! `subscribe_all`: catch-up reads of `$all` in pages, then the server's catch-up
//! subscription to `$all` from the last position delivered. The server starts a
//! subscription *after* the position it is given (exclusive), so the hand-over has no gap
//! and no duplicate. Bookkeeping and system events are skipped. On an error the stream
//! yields it and ends; the caller subscribes again from its checkpoint.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use kurrentdb::{Position, StreamPosition, SubscribeToAllOptions, Subscription as Live, SubscriptionEvent};

use super::{EsdbStore, codec, hidden};
use crate::{EventStore, RecordedEvent, StoreError};

/// Events read per catch-up page.
const PAGE: usize = 512;

struct Subscription {
    store: EsdbStore,
    last: Option<u64>,
    buffer: VecDeque<RecordedEvent>,
    live: Option<(u64, Live)>,
    failed: bool,
}

pub(super) fn subscribe(store: EsdbStore, after: Option<u64>) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let state = Subscription { store, last: after, buffer: VecDeque::new(), live: None, failed: false };
    stream::unfold(state, |mut sub| async move {
        let item = sub.next().await?;
        Some((item, sub))
    })
    .boxed()
}

impl Subscription {
    async fn next(&mut self) -> Option<Result<RecordedEvent, StoreError>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.last = Some(event.position);
                return Some(Ok(event));
            }
            let Some((generation, live)) = self.live.as_mut() else {
                match self.store.read_all(self.last, PAGE).await {
                    Ok(page) => {
                        if page.len() < PAGE {
                            self.live = Some(start_live(self.store.clone(), self.last).await);
                        }
                        self.buffer.extend(page);
                    }
                    Err(e) => return Some(self.fail(e)),
                }
                continue;
            };
            match live.next_subscription_event().await {
                Ok(SubscriptionEvent::EventAppeared(resolved)) => match codec::recorded(resolved) {
                    Ok(event) => {
                        if !hidden(&event.stream) && self.last.is_none_or(|l| event.position > l) {
                            self.buffer.push_back(event);
                        }
                    }
                    Err(e) => {
                        let error = self.store.error(*generation, e);
                        return Some(self.fail(error));
                    }
                },
                Ok(_) => {}
                Err(e) => {
                    let error = self.store.error(*generation, e);
                    return Some(self.fail(error));
                }
            }
        }
    }

    fn fail(&mut self, error: StoreError) -> Result<RecordedEvent, StoreError> {
        self.failed = true;
        Err(error)
    }
}

/// The server's catch-up subscription to `$all` after `last` (exclusive).
async fn start_live(store: EsdbStore, last: Option<u64>) -> (u64, Live) {
    let (generation, client) = store.client();
    let position = match last {
        None => StreamPosition::Start,
        Some(p) => StreamPosition::Position(Position { commit: p, prepare: p }),
    };
    let live = client.subscribe_to_all(&SubscribeToAllOptions::default().position(position)).await;
    (generation, live)
}

//! `subscribe_all`: catch-up reads, then live wake-ups: this handle's writer after each
//! commit, `NOTIFY dondoc_events` from any process, and a poll every second in case a
//! notification was lost while the listening connection was down.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, Config};

use super::PgStore;
use crate::{EventStore, RecordedEvent, StoreError};

/// Events read per catch-up page.
const PAGE: usize = 256;
/// The longest a caught-up subscription waits before reading again anyway.
const POLL: Duration = Duration::from_secs(1);

struct Subscription {
    store: PgStore,
    committed: watch::Receiver<Option<u64>>,
    notified: watch::Receiver<u64>,
    last: Option<u64>,
    buffer: VecDeque<RecordedEvent>,
    caught_up: bool,
    failed: bool,
}

pub(super) fn subscribe(
    store: PgStore,
    committed: watch::Receiver<Option<u64>>,
    notified: watch::Receiver<u64>,
    after: Option<u64>,
) -> BoxStream<'static, Result<RecordedEvent, StoreError>> {
    let state = Subscription {
        store,
        committed,
        notified,
        last: after,
        buffer: VecDeque::new(),
        caught_up: false,
        failed: false,
    };
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
            if self.caught_up {
                tokio::select! {
                    changed = self.committed.changed() => changed.ok()?,
                    _ = self.notified.changed() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            // Seen before reading: a commit after this point wakes the wait above.
            self.committed.borrow_and_update();
            self.notified.borrow_and_update();
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

/// Listens for `NOTIFY dondoc_events` and bumps `notified`; reconnects (with a growing
/// pause, up to 30 s) when the connection drops; ends when every receiver is gone.
pub(super) async fn listen(config: Config, tls: super::tls::Tls, notified: watch::Sender<u64>) {
    let mut pause = Duration::from_millis(200);
    while !notified.is_closed() {
        if let Ok((client, mut connection)) = config.connect(tls.clone()).await {
            pause = Duration::from_millis(200);
            // The connection must be polled for the client to work; it hands notifications on.
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let driver = tokio::spawn(async move {
                let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(message) = messages.next().await {
                    match message {
                        Ok(AsyncMessage::Notification(_)) => {
                            if tx.send(()).is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            });
            if client.batch_execute("LISTEN dondoc_events").await.is_ok() {
                loop {
                    tokio::select! {
                        message = rx.recv() => match message {
                            Some(()) => notified.send_modify(|n| *n = n.wrapping_add(1)),
                            None => break,
                        },
                        _ = notified.closed() => {
                            driver.abort();
                            return;
                        }
                    }
                }
            }
            driver.abort();
            drop(client);
            // Whatever was missed while reconnecting is caught by the next read.
            notified.send_modify(|n| *n = n.wrapping_add(1));
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = notified.closed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

//! How a writer answers the appends of a batch it committed.
//!
//! Waking a task from a thread outside the runtime costs a system call whenever the
//! runtime's threads sleep, and the SQLite writer is such a thread: one wake-up per append
//! cost it 10–21 µs per commit of about four appends (docs/benchmarks.md, "With the disk
//! taken out"). So [`answer_batch`] wakes one caller only, the first still waiting, and
//! gives it the other answers too; that caller hands them on from its own task
//! ([`Answer::into_result`]), where a wake-up is a push onto the runtime's queue. The
//! answers travel in a [`Relay`] that hands them on when it is dropped, so they arrive
//! even if that caller has meanwhile gone away: nobody waits for an answer that was
//! dropped.

use tokio::sync::oneshot;

use crate::{AppendResult, StoreError};

/// The writer's side of one append's answer.
pub(crate) type ReplySender = oneshot::Sender<Answer>;

/// One append's result, with the answers of others for this caller to hand on.
pub(crate) struct Answer {
    result: Result<AppendResult, StoreError>,
    relay: Relay,
}

impl Answer {
    /// An answer that carries no one else's.
    pub fn alone(result: Result<AppendResult, StoreError>) -> Self {
        Answer { result, relay: Relay::default() }
    }

    /// Hands the others' answers on, then gives this append's result.
    pub fn into_result(self) -> Result<AppendResult, StoreError> {
        let Answer { result, relay } = self;
        drop(relay);
        result
    }
}

/// Answers waiting to be handed on; handed on when dropped.
#[derive(Default)]
struct Relay(Vec<(ReplySender, Result<AppendResult, StoreError>)>);

impl Drop for Relay {
    fn drop(&mut self) {
        for (reply, result) in self.0.drain(..) {
            let _ = reply.send(Answer::alone(result));
        }
    }
}

/// Answers every append of a batch, waking one caller (see the module documentation).
pub(crate) fn answer_batch(answers: Vec<(ReplySender, Result<AppendResult, StoreError>)>) {
    let mut answers = answers.into_iter();
    while let Some((reply, result)) = answers.next() {
        let relay = Relay(answers.collect());
        match reply.send(Answer { result, relay }) {
            Ok(()) => return,
            // That caller is gone: the next one takes the rest.
            Err(mut refused) => answers = std::mem::take(&mut refused.relay.0).into_iter(),
        }
    }
}

/// Answers every append of a batch, each caller woken by the writer: for a writer that
/// runs on the runtime, where a wake-up is cheap and a relay would only add a hop.
pub(crate) fn answer_each(answers: Vec<(ReplySender, Result<AppendResult, StoreError>)>) {
    for (reply, result) in answers {
        let _ = reply.send(Answer::alone(result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(position: u64) -> Result<AppendResult, StoreError> {
        Ok(AppendResult { revision: 0, position })
    }

    fn position(answer: Answer) -> u64 {
        answer.into_result().unwrap().position
    }

    #[test]
    fn the_first_caller_gets_every_answer_and_hands_the_others_on() {
        let (senders, mut receivers): (Vec<_>, Vec<_>) = (0..4).map(|_| oneshot::channel::<Answer>()).unzip();
        answer_batch(senders.into_iter().zip((1..=4).map(ok)).collect());
        for later in &mut receivers[1..] {
            assert!(later.try_recv().is_err(), "only the first caller was woken");
        }
        let mut receivers = receivers.into_iter();
        assert_eq!(position(receivers.next().unwrap().try_recv().unwrap()), 1);
        let rest: Vec<u64> = receivers.map(|mut r| position(r.try_recv().unwrap())).collect();
        assert_eq!(rest, [2, 3, 4]);
    }

    #[test]
    fn callers_that_left_are_skipped_and_one_that_leaves_after_the_send_still_hands_on() {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..4).map(|_| oneshot::channel::<Answer>()).unzip();
        let mut receivers: Vec<Option<oneshot::Receiver<Answer>>> = receivers.into_iter().map(Some).collect();
        receivers[0] = None;
        answer_batch(senders.into_iter().zip((1..=4).map(ok)).collect());
        // The second caller took the batch's answers; it goes away without reading them.
        receivers[1] = None;
        let rest: Vec<u64> = receivers.into_iter().flatten().map(|mut r| position(r.try_recv().unwrap())).collect();
        assert_eq!(rest, [3, 4]);
    }

    #[test]
    fn answering_a_batch_whose_callers_all_left_is_harmless() {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel::<Answer>()).unzip();
        drop(receivers);
        answer_batch(senders.into_iter().zip((1..=3).map(ok)).collect());
    }
}

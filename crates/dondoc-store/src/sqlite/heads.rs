//! The stream heads the writer remembers, so that an append reads nothing before it
//! inserts.
//!
//! A head (a stream's last revision and chain value) is remembered from the writer's own
//! commits only. The memory is trusted while the log ends where this writer's last commit
//! left it: [`StreamHeads::begin`] is given the log's last position, read under the write
//! lock, and forgets everything if another connection (a CLI process beside the daemon)
//! appended since. The read models live in the same file, so "the file changed"
//! (`PRAGMA data_version`) would forget at every projection write; the log's end does not
//! move for those. A transaction's heads count only once it commits; any rollback forgets
//! them all.

use std::collections::HashMap;

/// A stream's last revision and its chain value (`None`: the stored metadata has none).
pub(crate) type Head = (u64, Option<String>);

/// Heads remembered at most; beyond, the memory starts again (a read costs little).
const MAX_HEADS: usize = 100_000;

/// The heads a writer knows: committed ones, and the open transaction's own on top.
#[derive(Default)]
pub(crate) struct StreamHeads {
    committed: HashMap<String, Head>,
    pending: HashMap<String, Head>,
    /// The log's last position when `committed` was last known true.
    log_end: Option<u64>,
}

impl StreamHeads {
    /// A transaction begins on a log ending at `log_end` (0: empty).
    pub fn begin(&mut self, log_end: u64) {
        self.pending.clear();
        if self.log_end != Some(log_end) || self.committed.len() > MAX_HEADS {
            self.committed.clear();
        }
        self.log_end = Some(log_end);
    }

    /// The remembered head of `stream`, if any (the transaction's own first).
    pub fn get(&self, stream: &str) -> Option<&Head> {
        self.pending.get(stream).or_else(|| self.committed.get(stream))
    }

    /// The open transaction moved `stream` to `head`.
    pub fn stage(&mut self, stream: &str, head: Head) {
        self.pending.insert(stream.to_owned(), head);
    }

    /// The open transaction committed; the log now ends at `log_end`.
    pub fn committed(&mut self, log_end: u64) {
        let pending = std::mem::take(&mut self.pending);
        self.committed.extend(pending);
        self.log_end = Some(log_end);
    }

    /// After a rollback, or a write the memory does not follow: read the heads again.
    pub fn forget(&mut self) {
        self.pending.clear();
        self.committed.clear();
        self.log_end = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(revision: u64) -> Head {
        (revision, Some(format!("c{revision}")))
    }

    #[test]
    fn a_committed_head_is_remembered_while_the_log_ends_where_it_was_left() {
        let mut heads = StreamHeads::default();
        heads.begin(0);
        heads.stage("a", head(0));
        assert_eq!(heads.get("a"), Some(&head(0)), "the transaction sees its own head");
        heads.committed(1);
        heads.begin(1);
        assert_eq!(heads.get("a"), Some(&head(0)));
    }

    #[test]
    fn another_writer_s_append_forgets_every_head() {
        let mut heads = StreamHeads::default();
        heads.begin(0);
        heads.stage("a", head(0));
        heads.committed(1);
        heads.begin(2);
        assert_eq!(heads.get("a"), None);
    }

    #[test]
    fn heads_of_a_transaction_that_did_not_commit_are_not_kept() {
        let mut heads = StreamHeads::default();
        heads.begin(0);
        heads.stage("a", head(0));
        heads.committed(1);
        heads.begin(1);
        heads.stage("a", head(1));
        heads.stage("b", head(0));
        // Rolled back: the next transaction begins on the same log end.
        heads.begin(1);
        assert_eq!(heads.get("a"), Some(&head(0)));
        assert_eq!(heads.get("b"), None);
        heads.forget();
        heads.begin(1);
        assert_eq!(heads.get("a"), None, "forgotten");
    }
}

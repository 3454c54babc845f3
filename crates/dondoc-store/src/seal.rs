//! Seals: the log's head authenticated with a key kept outside the data directory.
//!
//! The per-stream chains ([`crate::chain`]) prove that the events of a stream follow each
//! other unchanged, but anyone can compute a chain, and they say nothing about the last
//! events of a stream, a whole stream, or the columns the backend assigns (`position`,
//! `recorded_at`). A writer that holds the seal key closes each commit with a seal:
//!
//! ```text
//! line(e)  = RFC 8785 of {"chain":C,"position":P,"recorded_at":T,"revision":R,"stream":S}
//! digest   = hex(SHA-256(line(e₁) || 0x0A || line(e₂) || 0x0A || …))   (the commit's events, in position order)
//! mac      = hex(HMAC-SHA-256(key, RFC 8785 of
//!              {"digest":D,"events":N,"first":F,"key_id":K,"last":L,"prev":M,"sealed_at":A,"v":1}))
//! ```
//!
//! where `F`..`L` are the commit's first and last positions, `N` its number of events,
//! `M` the previous seal's mac (`""` for the first seal), `A` the commit time and `K` the
//! key's id ([`SealKey::id`]). Seals form a chain of their own, so [`Verifier`] reports:
//! an event deleted, added or edited in a sealed range (data through its chain, `position`,
//! `recorded_at`), a whole stream deleted, chains recomputed without the key, a seal
//! edited or deleted, and events written without the key (unsealed). What no seal can
//! show is a rollback: the newest events deleted together with their seals leave an older
//! but consistent log. An anchor ([`Anchor`]: the newest seal, printed and kept apart, for
//! instance in the weekly summary) detects a rollback behind it.

use std::fmt;

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The version of the seal format (the `"v"` member of what the mac covers).
pub const SEAL_VERSION: u64 = 1;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The secret key seals are made with: at least 32 bytes, written as hex in its file.
#[derive(Clone)]
pub struct SealKey {
    bytes: Vec<u8>,
    id: String,
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SealKey {
    /// A key from its file's text: 64 or more hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<SealKey, StoreError> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .map_err(|_| StoreError::Invalid("khóa niêm phong phải là chuỗi hex (64 chữ số trở lên)".into()))?;
        SealKey::from_bytes(bytes)
    }

    /// A key from raw bytes (at least 32).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SealKey, StoreError> {
        if bytes.len() < 32 {
            return Err(StoreError::Invalid(format!("khóa niêm phong quá ngắn: {} byte, cần ít nhất 32", bytes.len())));
        }
        let mut h = Sha256::new();
        h.update(b"dondoc-seal-key-id\0");
        h.update(&bytes);
        let id = hex::encode(&h.finalize()[..8]);
        Ok(SealKey { bytes, id })
    }

    /// A public name of the key (16 hex digits of a hash of it): which key made a seal.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes keys of any length")
    }
}

/// RFC 8785 canonical JSON of `value`.
fn jcs(value: &Value) -> Vec<u8> {
    crate::chain::jcs(value)
}

/// Integers up to this are written by RFC 8785 as their plain decimal digits (they are
/// exact binary64 values; ECMAScript prints them without exponent below 10^21).
const EXACT_INTEGER: u64 = 1 << 53;

/// What a seal covers of one event: RFC 8785 of its object. Written directly (the keys
/// are already in RFC 8785 order, the strings escaped as RFC 8785 escapes them), since the
/// writer makes one line per event inside its transaction; [`line_by_value`] is the
/// definition it must equal.
pub(crate) fn line(position: u64, recorded_at: &str, stream: &str, revision: u64, chain: &str) -> Vec<u8> {
    if position > EXACT_INTEGER || revision > EXACT_INTEGER {
        return line_by_value(position, recorded_at, stream, revision, chain);
    }
    let mut out = Vec::with_capacity(72 + chain.len() + recorded_at.len() + stream.len());
    out.extend_from_slice(b"{\"chain\":");
    crate::chain::write_string(chain, &mut out);
    out.extend_from_slice(b",\"position\":");
    out.extend_from_slice(position.to_string().as_bytes());
    out.extend_from_slice(b",\"recorded_at\":");
    crate::chain::write_string(recorded_at, &mut out);
    out.extend_from_slice(b",\"revision\":");
    out.extend_from_slice(revision.to_string().as_bytes());
    out.extend_from_slice(b",\"stream\":");
    crate::chain::write_string(stream, &mut out);
    out.push(b'}');
    out
}

/// [`line`] by its definition: the object as a JSON value, through the RFC 8785 serialiser.
fn line_by_value(position: u64, recorded_at: &str, stream: &str, revision: u64, chain: &str) -> Vec<u8> {
    jcs(&json!({
        "chain": chain,
        "position": position,
        "recorded_at": recorded_at,
        "revision": revision,
        "stream": stream,
    }))
}

/// The digest of a commit's lines, fed in position order.
#[derive(Default)]
pub(crate) struct Digester {
    hasher: Sha256,
    events: u64,
    first: Option<u64>,
    last: Option<u64>,
}

impl Digester {
    pub fn feed(&mut self, position: u64, line: &[u8]) {
        if self.events > 0 {
            self.hasher.update(b"\n");
        }
        self.hasher.update(line);
        self.events += 1;
        self.first.get_or_insert(position);
        self.last = Some(position);
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// (first, last, events, digest); `None` when nothing was fed.
    pub fn finish(self) -> (u64, u64, u64, String) {
        let (first, last) = (self.first.unwrap_or(0), self.last.unwrap_or(0));
        (first, last, self.events, hex::encode(self.hasher.finalize()))
    }
}

/// A stored seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealRecord {
    pub id: u64,
    pub first_position: u64,
    pub last_position: u64,
    pub events: u64,
    pub sealed_at: String,
    pub key_id: String,
    pub mac: String,
}

/// The mac of a seal (see the module documentation).
pub(crate) fn mac(
    key: &SealKey,
    prev: &str,
    first: u64,
    last: u64,
    events: u64,
    digest: &str,
    sealed_at: &str,
) -> String {
    let covered = jcs(&json!({
        "digest": digest,
        "events": events,
        "first": first,
        "key_id": key.id(),
        "last": last,
        "prev": prev,
        "sealed_at": sealed_at,
        "v": SEAL_VERSION,
    }));
    let mut m = key.mac();
    m.update(&covered);
    hex::encode(m.finalize().into_bytes())
}

/// The newest seal, to keep apart from the data directory: `audit verify --anchor` then
/// reports a log rolled back behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    /// `"dondoc-anchor-1"`.
    pub format: String,
    pub seal_id: u64,
    /// The last position the seal covers: the log's head when the anchor was taken.
    pub sealed_through: u64,
    pub sealed_at: String,
    pub key_id: String,
    pub mac: String,
}

impl Anchor {
    pub const FORMAT: &'static str = "dondoc-anchor-1";

    pub fn of(seal: &SealRecord) -> Anchor {
        Anchor {
            format: Anchor::FORMAT.to_string(),
            seal_id: seal.id,
            sealed_through: seal.last_position,
            sealed_at: seal.sealed_at.clone(),
            key_id: seal.key_id.clone(),
            mac: seal.mac.clone(),
        }
    }
}

/// What the log says about an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorCheck {
    /// The anchored seal is there, unchanged: the log was not rolled back behind it.
    Present,
    /// The anchored seal is gone: the log was rolled back behind the anchor (its newest
    /// events deleted with their seals), or its seals rewritten.
    Missing,
    /// A seal with the anchor's id is there but differs from the anchored one.
    Different(SealRecord),
}

impl Anchor {
    /// Compares the anchor with the seal stored under its id.
    pub fn check(&self, stored: Option<SealRecord>) -> AnchorCheck {
        match stored {
            None => AnchorCheck::Missing,
            Some(s) if s.mac == self.mac && s.last_position == self.sealed_through && s.key_id == self.key_id => {
                AnchorCheck::Present
            }
            Some(s) => AnchorCheck::Different(s),
        }
    }
}

/// Why a seal does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealProblem {
    /// The events now in the seal's range are not those it sealed: deleted, added or edited
    /// (data, chain, `position`, `recorded_at`), or the seal itself edited.
    Mismatch,
    /// Made with another key.
    OtherKey { key_id: String },
    /// Seals overlap or go backwards: seals were edited or deleted.
    Order,
}

impl fmt::Display for SealProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealProblem::Mismatch => f.write_str(
                "các sự kiện trong khoảng này không còn như lúc niêm phong (bị xóa, thêm, sửa nội dung, \
                 vị trí hoặc thời điểm ghi, hoặc chuỗi băm bị tính lại), hoặc dấu niêm phong bị sửa",
            ),
            SealProblem::OtherKey { key_id } => write!(f, "niêm phong bằng một khóa khác ({key_id})"),
            SealProblem::Order => f.write_str("các dấu niêm phong chồng lấn hoặc không theo thứ tự (bị sửa hoặc xóa)"),
        }
    }
}

/// The first seal that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealBreak {
    pub seal_id: u64,
    pub first_position: u64,
    pub last_position: u64,
    pub sealed_at: String,
    pub problem: SealProblem,
}

/// A range of positions no seal covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsealed {
    pub first: u64,
    pub last: u64,
    pub events: u64,
}

/// What the seals say about the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SealReport {
    /// Seals checked.
    pub seals: u64,
    /// Events covered by a seal that holds.
    pub sealed_events: u64,
    /// The newest seal.
    pub newest: Option<SealRecord>,
    /// Events no seal covers (written without the key, or inserted behind the store's back).
    pub unsealed: Vec<Unsealed>,
    pub first_break: Option<SealBreak>,
}

impl SealReport {
    /// Events no seal covers.
    pub fn unsealed_events(&self) -> u64 {
        self.unsealed.iter().map(|u| u.events).sum()
    }

    /// Whether every event is sealed and every seal holds.
    pub fn holds(&self) -> bool {
        self.first_break.is_none() && self.unsealed.is_empty()
    }
}

/// Checks seals against the log: feed events in position order ([`Verifier::event`]) and
/// seals in id order ([`Verifier::seal`]) as they come (seals by their first position).
pub struct Verifier<'k> {
    key: &'k SealKey,
    prev_mac: String,
    last_sealed: Option<u64>,
    current: Option<(SealRecord, Digester)>,
    /// Whether the previous event was unsealed (consecutive ones make one range).
    previous_unsealed: bool,
    report: SealReport,
}

impl<'k> Verifier<'k> {
    pub fn new(key: &'k SealKey) -> Self {
        Verifier {
            key,
            prev_mac: String::new(),
            last_sealed: None,
            current: None,
            previous_unsealed: false,
            report: SealReport::default(),
        }
    }

    /// The first position of the seal being filled, if any.
    pub fn open_seal(&self) -> Option<(u64, u64)> {
        self.current.as_ref().map(|(s, _)| (s.first_position, s.last_position))
    }

    /// Starts checking `seal` (the previous one is closed first).
    pub fn seal(&mut self, seal: SealRecord) {
        self.close();
        if self.last_sealed.is_some_and(|l| seal.first_position <= l) || seal.first_position > seal.last_position {
            self.fail(&seal, SealProblem::Order);
        }
        self.current = Some((seal, Digester::default()));
    }

    /// The next event of the log. An event before the open seal's range, or with no seal
    /// open, is unsealed.
    pub fn event(&mut self, position: u64, recorded_at: &str, stream: &str, revision: u64, chain: &str) {
        match &mut self.current {
            Some((seal, digester)) if (seal.first_position..=seal.last_position).contains(&position) => {
                digester.feed(position, &line(position, recorded_at, stream, revision, chain));
                self.previous_unsealed = false;
            }
            _ => self.unsealed(position),
        }
    }

    fn unsealed(&mut self, position: u64) {
        match self.report.unsealed.last_mut() {
            Some(u) if self.previous_unsealed => {
                u.last = position;
                u.events += 1;
            }
            _ => self.report.unsealed.push(Unsealed { first: position, last: position, events: 1 }),
        }
        self.previous_unsealed = true;
    }

    fn close(&mut self) {
        let Some((seal, digester)) = self.current.take() else { return };
        let events = digester.events();
        let (_, _, _, digest) = digester.finish();
        self.report.seals += 1;
        if seal.key_id != self.key.id() {
            self.fail(&seal, SealProblem::OtherKey { key_id: seal.key_id.clone() });
        } else {
            let expected = mac(
                self.key,
                &self.prev_mac,
                seal.first_position,
                seal.last_position,
                events,
                &digest,
                &seal.sealed_at,
            );
            if expected != seal.mac || events != seal.events {
                self.fail(&seal, SealProblem::Mismatch);
            } else {
                self.report.sealed_events += events;
            }
        }
        // Go on from the stored mac, so that one problem is reported once.
        self.prev_mac.clone_from(&seal.mac);
        self.last_sealed = Some(self.last_sealed.map_or(seal.last_position, |l| l.max(seal.last_position)));
        self.report.newest = Some(seal);
    }

    fn fail(&mut self, seal: &SealRecord, problem: SealProblem) {
        if self.report.first_break.is_none() {
            self.report.first_break = Some(SealBreak {
                seal_id: seal.id,
                first_position: seal.first_position,
                last_position: seal.last_position,
                sealed_at: seal.sealed_at.clone(),
                problem,
            });
        }
    }

    pub fn finish(mut self) -> SealReport {
        self.close();
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The direct writer equals the definition for every stream, time and chain text,
        /// including escapes, non-ASCII text and the integers around 2^53.
        #[test]
        fn a_line_is_its_rfc_8785_object(
            position in prop_oneof![0..100_000u64, (EXACT_INTEGER - 2)..(EXACT_INTEGER + 2), any::<u64>()],
            revision in prop_oneof![0..1_000u64, (EXACT_INTEGER - 2)..(EXACT_INTEGER + 2), any::<u64>()],
            recorded_at in "\\PC{0,30}|[\\x00-\\x20\"\\\\/\u{7f}\u{2028}]{0,8}",
            stream in any::<String>(),
            chain in "[0-9a-f]{0,64}|\\PC{0,8}",
        ) {
            prop_assert_eq!(
                line(position, &recorded_at, &stream, revision, &chain),
                line_by_value(position, &recorded_at, &stream, revision, &chain)
            );
        }
    }

    #[test]
    fn a_key_needs_32_bytes_of_hex() {
        assert!(SealKey::from_hex("abcd").is_err());
        assert!(SealKey::from_hex("zz").is_err());
        let key = SealKey::from_hex(&"0f".repeat(32)).unwrap();
        assert_eq!(key.id().len(), 16);
        assert!(!format!("{key:?}").contains("0f0f"), "the key never shows in logs");
    }

    #[test]
    fn the_mac_is_hmac_sha256_over_rfc_8785() {
        // Computed here from the definition, with the hmac crate directly.
        let key = SealKey::from_hex(&"01".repeat(32)).unwrap();
        let covered = format!(
            r#"{{"digest":"d","events":2,"first":5,"key_id":"{}","last":6,"prev":"","sealed_at":"t","v":1}}"#,
            key.id()
        );
        let mut m = HmacSha256::new_from_slice(&[1u8; 32]).unwrap();
        m.update(covered.as_bytes());
        assert_eq!(mac(&key, "", 5, 6, 2, "d", "t"), hex::encode(m.finalize().into_bytes()));
        assert_eq!(
            String::from_utf8(line(7, "2025-01-01T00:00:00.000000Z", "kế-hoạch", 3, "ab")).unwrap(),
            r#"{"chain":"ab","position":7,"recorded_at":"2025-01-01T00:00:00.000000Z","revision":3,"stream":"kế-hoạch"}"#
        );
    }
}

//! Tamper evidence: canonical bytes of an event and the per-stream hash chain.
//!
//! # The format (stable: other backends and auditors recompute it)
//!
//! Every event carries in its metadata a member `"chain"` whose value is 64 lowercase hex
//! digits:
//!
//! ```text
//! chain(e) = hex( SHA-256( prev || 0x00 || canonical(e) ) )
//! ```
//!
//! where `prev` is the ASCII bytes of the `chain` value of the previous event of the same
//! stream (revision − 1), and is empty for the stream's first event (revision 0), and
//! `canonical(e)` is the canonical JSON ([`canonical_bytes`]) of the object
//!
//! ```text
//! {"data":D,"event_type":T,"id":I,"metadata":M,"revision":R,"stream":S}
//! ```
//!
//! with `D` the event's data, `T` its type, `I` its id as a lowercase hyphenated UUID string
//! (`"67e55044-10b1-426f-9247-bb680e5fe0c8"`), `M` its metadata without the `chain` member,
//! `R` its revision (a JSON integer) and `S` its stream name. The global position and
//! `recorded_at` are not covered: they are assigned by the backend.
//!
//! Canonical JSON (as [`write_canonical`] writes it):
//!
//! - no whitespace anywhere;
//! - object members sorted by the UTF-8 bytes of their keys (plain byte order), recursively;
//!   array order kept;
//! - strings: the UTF-8 bytes as they are (no Unicode normalisation: NFC and NFD texts stay
//!   different); only `"` → `\"`, `\` → `\\`, U+0008 → `\b`, U+000C → `\f`, U+000A → `\n`,
//!   U+000D → `\r`, U+0009 → `\t`, and the other characters below U+0020 → `\u00xx` (lowercase
//!   hex) are escaped; `/` and U+007F and above are not escaped;
//! - `null`, `true`, `false`;
//! - integers (that fit in `u64` or `i64`) in plain decimal, `-` for negatives, no `+`, no
//!   leading zeros;
//! - other numbers (finite binary64 floats) in scientific form: the shortest decimal digits
//!   that read back as the same float, written `d[.ddd]e[-]x` with one digit before the
//!   point and the exponent in decimal without `+` or leading zeros, e.g. `1e0` (1.0),
//!   `1e-1` (0.1), `2.5e-8`, `1.7976931348623157e308`, `-0e0` (negative zero). This keeps a
//!   float a float when read back (an integer never has `.` or `e`).
//!
//! # Formats
//!
//! The metadata member `"chain_format"` names the format an event's chain was computed in;
//! without it, format 1.
//!
//! - Format 1 (events written before it had a number): `canonical(e)` as written above.
//! - Format 2 (every event written now): `canonical(e)` is the RFC 8785 (JSON
//!   Canonicalization Scheme) serialisation of the same object, made by the
//!   `serde_json_canonicalizer` crate: members sorted by UTF-16 code units, numbers as
//!   ECMAScript writes doubles (`1.0` → `1`, `1e21` → `1e+21`), strings escaped as in the
//!   first format. The metadata includes `"chain_format":2`. The stored `data` text stays
//!   the format-1 canonical JSON (exact integers); the hash covers RFC 8785 of its value.
//!   Where the two serialisations are the same bytes ([`jcs_is_canonical`]: no float, no
//!   integer beyond ±2^53, no key with a character in U+E000..=U+FFFF — nearly every
//!   event), the format-1 text is hashed as it is instead of serialising the value twice.
//!
//! Both formats verify side by side: a log written before format 2 still verifies.
//!
//! What the chain proves: editing, inserting or deleting an event in the middle of a stream
//! breaks the chain of that event or of its successor. It does not detect removing the last
//! events of a stream (truncation), removing a whole stream, editing the `position` or
//! `recorded_at` columns, or rewriting a stream's tail with recomputed chains: anyone can
//! compute a chain. The seals ([`crate::seal`]) cover those with a key.
//!
//! [`verify_all`] reads the whole log in position order in pages and recomputes every chain,
//! keeping only the last revision and chain of each stream (memory O(streams)).

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{EventStore, RecordedEvent, StoreError};

/// The metadata member that holds an event's chain value.
pub const CHAIN_KEY: &str = "chain";
/// The metadata member naming the chain format (absent: 1).
pub const FORMAT_KEY: &str = "chain_format";
/// The format new events are written in.
pub const CURRENT_FORMAT: u64 = 2;

/// The chain format named by `metadata` (1 when it names none).
pub fn format_of(metadata: &Value) -> u64 {
    metadata.get(FORMAT_KEY).map_or(Some(1), Value::as_u64).unwrap_or(0)
}

/// RFC 8785 canonical JSON of `value` (format 2).
pub fn jcs(value: &Value) -> Vec<u8> {
    // Serialising a `Value` cannot fail: every number is finite, every key a string.
    serde_json_canonicalizer::to_vec(value).unwrap_or_default()
}

/// Largest integer magnitude RFC 8785 writes as its plain decimal digits: it writes
/// numbers as binary64, which holds every integer up to 2^53 exactly.
const JCS_EXACT_INTEGER: u64 = 1 << 53;

/// Whether RFC 8785 ([`jcs`]) writes `value` byte for byte as the format-1 canonical JSON
/// ([`write_canonical`]) does, so that one serialisation serves both: true when `value`
/// holds no float, no integer beyond ±2^53, and no object key with a character in
/// U+E000..=U+FFFF (the only characters whose UTF-16 order, RFC 8785's key order, differs
/// from their UTF-8 byte order). Strings are escaped alike in both formats.
pub fn jcs_is_canonical(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => true,
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u <= JCS_EXACT_INTEGER,
            (None, Some(i)) => i.unsigned_abs() <= JCS_EXACT_INTEGER,
            (None, None) => false,
        },
        Value::Array(items) => items.iter().all(jcs_is_canonical),
        Value::Object(map) => map.iter().all(|(key, value)| {
            !key.chars().any(|c| ('\u{e000}'..='\u{ffff}').contains(&c)) && jcs_is_canonical(value)
        }),
    }
}

/// RFC 8785 of the JSON string `s`: the format-1 string, as [`jcs_is_canonical`] says.
pub fn jcs_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

/// RFC 8785 canonical JSON of `metadata` without its `chain` member (format 2).
pub fn jcs_metadata(metadata: &Value) -> Vec<u8> {
    match metadata {
        Value::Object(map) => {
            let without: serde_json::Map<String, Value> =
                map.iter().filter(|(k, _)| k.as_str() != CHAIN_KEY).map(|(k, v)| (k.clone(), v.clone())).collect();
            jcs(&Value::Object(without))
        }
        other => jcs(other),
    }
}

/// Events read per page by [`verify_all`].
const VERIFY_PAGE: usize = 512;

/// Writes `value` as canonical JSON (see the module documentation) to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map.iter(), out),
    }
}

/// `value` as canonical JSON text.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    String::from_utf8(out).expect("canonical JSON is UTF-8")
}

/// Canonical JSON of an object given by its members (sorted here; duplicates not expected).
fn write_object<'a>(members: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut Vec<u8>) {
    let mut members: Vec<_> = members.collect();
    members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_canonical(value, out);
    }
    out.push(b'}');
}

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(u) = n.as_u64() {
        write!(out, "{u}").expect("write to Vec");
    } else if let Some(i) = n.as_i64() {
        write!(out, "{i}").expect("write to Vec");
    } else {
        // A finite float (serde_json has no NaN or infinity). Rust's `{:e}` prints the
        // shortest round-tripping digits as `d[.ddd]e[-]x`.
        let f = n.as_f64().unwrap_or(0.0);
        write!(out, "{f:e}").expect("write to Vec");
    }
}

/// Writes `s` as a canonical JSON string (see the module documentation).
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            write!(out, "\\u{b:04x}").expect("write to Vec");
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Canonical JSON of metadata without its `chain` member (other values as they are).
pub fn canonical_metadata(metadata: &Value) -> String {
    match metadata {
        Value::Object(map) => {
            let mut out = Vec::new();
            write_object(map.iter().filter(|(k, _)| k.as_str() != CHAIN_KEY), &mut out);
            String::from_utf8(out).expect("canonical JSON is UTF-8")
        }
        other => canonical_json(other),
    }
}

/// The canonical pieces of one event, without its revision: what the SQLite writer keeps
/// ready so that the chain is one hash over borrowed slices.
pub(crate) struct CanonicalEvent<'a> {
    /// Canonical JSON of the data.
    pub data: &'a [u8],
    /// Canonical JSON string of the event type.
    pub event_type: &'a [u8],
    /// Lowercase hyphenated UUID.
    pub id: &'a [u8],
    /// Canonical JSON of the metadata without `chain`.
    pub metadata: &'a [u8],
    /// Canonical JSON string of the stream name.
    pub stream: &'a [u8],
}

impl CanonicalEvent<'_> {
    /// Feeds `canonical(e)` at `revision` to `sink`, piece by piece.
    pub fn feed(&self, revision: u64, mut sink: impl FnMut(&[u8])) {
        let revision = revision.to_string();
        for piece in [
            b"{\"data\":".as_slice(),
            self.data,
            b",\"event_type\":",
            self.event_type,
            b",\"id\":\"",
            self.id,
            b"\",\"metadata\":",
            self.metadata,
            b",\"revision\":",
            revision.as_bytes(),
            b",\"stream\":",
            self.stream,
            b"}",
        ] {
            sink(piece);
        }
    }

    /// The chain value of this event at `revision` after `prev`.
    pub fn chain(&self, prev: Option<&str>, revision: u64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev.unwrap_or("").as_bytes());
        hasher.update([0u8]);
        self.feed(revision, |piece| hasher.update(piece));
        hex::encode(hasher.finalize())
    }
}

/// The canonical bytes of an event (see the module documentation). A `chain` member of
/// `metadata_without_chain`, if any, is left out.
pub fn canonical_bytes(
    stream: &str,
    revision: u64,
    event_type: &str,
    id: &Uuid,
    data: &Value,
    metadata_without_chain: &Value,
) -> Vec<u8> {
    let parts = OwnedCanonical::new(stream, event_type, id, data, metadata_without_chain);
    let mut out = Vec::new();
    parts.borrow().feed(revision, |piece| out.extend_from_slice(piece));
    out
}

/// Owned canonical pieces (see [`CanonicalEvent`]).
struct OwnedCanonical {
    data: Vec<u8>,
    event_type: Vec<u8>,
    id: String,
    metadata: String,
    stream: Vec<u8>,
}

impl OwnedCanonical {
    /// The pieces in `format` (1 or 2).
    fn of(format: u64, stream: &str, event_type: &str, id: &Uuid, data: &Value, metadata: &Value) -> Self {
        if format == 1 {
            return Self::new(stream, event_type, id, data, metadata);
        }
        OwnedCanonical {
            data: jcs(data),
            event_type: jcs(&Value::String(event_type.to_owned())),
            id: id.hyphenated().to_string(),
            metadata: String::from_utf8(jcs_metadata(metadata)).unwrap_or_default(),
            stream: jcs(&Value::String(stream.to_owned())),
        }
    }

    fn new(stream: &str, event_type: &str, id: &Uuid, data: &Value, metadata: &Value) -> Self {
        let mut data_bytes = Vec::new();
        write_canonical(data, &mut data_bytes);
        let mut type_bytes = Vec::new();
        write_string(event_type, &mut type_bytes);
        let mut stream_bytes = Vec::new();
        write_string(stream, &mut stream_bytes);
        OwnedCanonical {
            data: data_bytes,
            event_type: type_bytes,
            id: id.hyphenated().to_string(),
            metadata: canonical_metadata(metadata),
            stream: stream_bytes,
        }
    }

    fn borrow(&self) -> CanonicalEvent<'_> {
        CanonicalEvent {
            data: &self.data,
            event_type: &self.event_type,
            id: self.id.as_bytes(),
            metadata: self.metadata.as_bytes(),
            stream: &self.stream,
        }
    }
}

/// `hex(SHA-256(prev || 0x00 || canonical))`, `prev` empty for a stream's first event.
pub fn next_chain(prev: Option<&str>, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.unwrap_or("").as_bytes());
    hasher.update([0u8]);
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}

/// The `chain` value stored in a recorded event's metadata, if any.
pub fn chain_of(event: &RecordedEvent) -> Option<&str> {
    event.metadata.get(CHAIN_KEY).and_then(Value::as_str)
}

/// The chain value `event` should carry after `prev` (the previous event's stored chain),
/// in the format its metadata names.
pub fn expected_chain(prev: Option<&str>, event: &RecordedEvent) -> String {
    let format = format_of(&event.metadata);
    let parts = OwnedCanonical::of(format, &event.stream, &event.event_type, &event.id, &event.data, &event.metadata);
    parts.borrow().chain(prev, event.revision)
}

/// Why verification stopped trusting an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// The stored chain differs from the one recomputed from the event and its predecessor.
    ChainMismatch { expected: String, found: String },
    /// The metadata has no `chain` string of 64 lowercase hex digits.
    MissingChain,
    /// The stream's revisions are not 0, 1, 2, … in position order.
    RevisionGap { expected: u64, found: u64 },
    /// Positions do not strictly increase in the log.
    PositionNotIncreasing { previous: u64 },
    /// The metadata names a chain format this version does not know.
    UnknownFormat,
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakReason::ChainMismatch { expected, found } => {
                write!(f, "chuỗi băm không khớp (tính lại {expected}, lưu {found})")
            }
            BreakReason::MissingChain => f.write_str("thiếu giá trị chuỗi băm"),
            BreakReason::RevisionGap { expected, found } => {
                write!(f, "phiên bản không liên tục (mong đợi {expected}, gặp {found})")
            }
            BreakReason::PositionNotIncreasing { previous } => {
                write!(f, "vị trí không tăng (sau {previous})")
            }
            BreakReason::UnknownFormat => f.write_str("định dạng chuỗi băm không xác định"),
        }
    }
}

/// The first event whose chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub stream: String,
    pub revision: u64,
    pub position: u64,
    pub reason: BreakReason,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "luồng {} phiên bản {} (vị trí {}): {}", self.stream, self.revision, self.position, self.reason)
    }
}

/// The outcome of [`verify_all`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Events read.
    pub events: u64,
    /// Distinct streams seen.
    pub streams: u64,
    /// The first break in log order, if any.
    pub first_break: Option<Break>,
}

/// Incremental chain verification: feed events in log order with [`ChainVerifier::check`].
/// Keeps the last revision and chain of each stream. After a break, the stream goes on from
/// the stored values, so one edit is reported once.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    heads: HashMap<String, (u64, Option<String>)>,
    last_position: Option<u64>,
    report: VerifyReport,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next event of the log; returns the break it shows, if any.
    pub fn check(&mut self, event: &RecordedEvent) -> Option<Break> {
        self.report.events += 1;
        let found = self.first_problem(event);
        self.last_position = Some(event.position);
        let stored = chain_of(event).filter(|c| is_chain_value(c)).map(str::to_owned);
        if !self.heads.contains_key(&event.stream) {
            self.report.streams += 1;
        }
        self.heads.insert(event.stream.clone(), (event.revision, stored));
        let found = found.map(|reason| Break {
            stream: event.stream.clone(),
            revision: event.revision,
            position: event.position,
            reason,
        });
        if self.report.first_break.is_none() {
            self.report.first_break.clone_from(&found);
        }
        found
    }

    fn first_problem(&self, event: &RecordedEvent) -> Option<BreakReason> {
        if let Some(previous) = self.last_position.filter(|&p| p >= event.position) {
            return Some(BreakReason::PositionNotIncreasing { previous });
        }
        let head = self.heads.get(&event.stream);
        let expected_revision = head.map_or(0, |(r, _)| r + 1);
        if event.revision != expected_revision {
            return Some(BreakReason::RevisionGap { expected: expected_revision, found: event.revision });
        }
        let Some(found) = chain_of(event).filter(|c| is_chain_value(c)) else {
            return Some(BreakReason::MissingChain);
        };
        if !matches!(format_of(&event.metadata), 1 | 2) {
            return Some(BreakReason::UnknownFormat);
        }
        let prev = head.and_then(|(_, chain)| chain.as_deref());
        let expected = expected_chain(prev, event);
        (expected != found).then(|| BreakReason::ChainMismatch { expected, found: found.to_owned() })
    }

    /// The report so far.
    pub fn report(&self) -> &VerifyReport {
        &self.report
    }

    /// The final report.
    pub fn finish(self) -> VerifyReport {
        self.report
    }
}

/// 64 lowercase hex digits.
fn is_chain_value(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reads the whole log (up to the position that is last when it starts) in pages and
/// recomputes every stream's chain. Memory is O(streams); an event that cannot be decoded
/// at all makes the read, and so this function, fail.
pub async fn verify_all<S: EventStore>(store: &S) -> Result<VerifyReport, StoreError> {
    let mut verifier = ChainVerifier::new();
    let Some(end) = store.last_position().await? else {
        return Ok(verifier.finish());
    };
    let mut after = None;
    loop {
        let page = store.read_all(after, VERIFY_PAGE).await?;
        let Some(last) = page.last().map(|e| e.position) else { break };
        for event in page.iter().take_while(|e| e.position <= end) {
            verifier.check(event);
        }
        if last >= end {
            break;
        }
        after = Some(last);
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Any JSON value, with the numbers and keys where the two formats part: floats,
    /// integers around ±2^53, keys with characters around U+E000 and beyond U+FFFF.
    fn any_json() -> impl Strategy<Value = Value> {
        let exact = JCS_EXACT_INTEGER as i64;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            ((exact - 2)..(exact + 2)).prop_map(Value::from),
            ((-exact - 2)..(-exact + 2)).prop_map(Value::from),
            (-1000i64..1000).prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x20\"\\\\/a\u{7f}\u{2028}]{0,6}".prop_map(Value::String),
        ];
        let key = prop_oneof!["[a-z_]{0,8}", any::<String>(), "[a\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{1f600}]{1,3}",];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Where [`jcs_is_canonical`] says so, the format-1 bytes are the RFC 8785 bytes
        /// the canonicaliser crate writes.
        #[test]
        fn jcs_is_canonical_only_where_the_bytes_agree(value in any_json()) {
            if jcs_is_canonical(&value) {
                prop_assert_eq!(canonical_json(&value).into_bytes(), jcs(&value));
            }
        }
    }

    #[test]
    fn jcs_is_canonical_for_the_events_dondoc_writes_and_not_where_the_formats_part() {
        let usual = json!({"task": "KH-12/2025-01123", "percent": 40, "note": "Đang thực hiện", "at": null,
                           "list": [1, -2, true], "nested": {"actor": "so-noi-vu", "chain_format": 2}});
        assert!(jcs_is_canonical(&usual));
        assert_eq!(canonical_json(&usual).into_bytes(), jcs(&usual));
        for (value, why) in [
            (json!({"x": 1.5}), "a float"),
            (json!({"x": 9_007_199_254_740_993u64}), "an integer beyond 2^53"),
            (json!({"x": -9_007_199_254_740_993i64}), "a negative integer beyond 2^53"),
            (json!({"\u{e000}": 1, "\u{10000}": 2}), "keys ordered differently by UTF-16"),
        ] {
            assert!(!jcs_is_canonical(&value), "{why}: {value}");
        }
        // The last one really is ordered differently.
        let keys = json!({"\u{e000}": 1, "\u{10000}": 2});
        assert_ne!(canonical_json(&keys).into_bytes(), jcs(&keys));
    }

    #[test]
    fn canonical_sorts_keys_by_bytes_and_drops_whitespace() {
        let v = json!({"b": 1, "a": [true, null, {"z": "x", "Z": -2}], "á": 0, "é": 1.5});
        assert_eq!(canonical_json(&v), r#"{"a":[true,null,{"Z":-2,"z":"x"}],"b":1,"á":0,"é":1.5e0}"#);
    }

    #[test]
    fn canonical_strings_escape_only_what_json_requires() {
        let v = json!("\"\\/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}Hoàn thành");
        assert_eq!(canonical_json(&v), "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}Hoàn thành\"");
    }

    #[test]
    fn canonical_numbers() {
        let cases = [
            (json!(0), "0"),
            (json!(-17), "-17"),
            (json!(u64::MAX), "18446744073709551615"),
            (json!(i64::MIN), "-9223372036854775808"),
            (json!(1.0), "1e0"),
            (json!(0.1), "1e-1"),
            (json!(-2.5e-8), "-2.5e-8"),
            (json!(f64::MAX), "1.7976931348623157e308"),
            (json!(-0.0), "-0e0"),
            (json!(123456.789), "1.23456789e5"),
        ];
        for (v, text) in cases {
            assert_eq!(canonical_json(&v), text);
            let back: Value = serde_json::from_str(text).unwrap();
            assert_eq!(canonical_json(&back), text, "round trip of {text}");
        }
    }

    #[test]
    fn nfc_and_nfd_stay_distinct() {
        let nfc = "Hoàn thành đúng hạn";
        let nfd = "Hoa\u{300}n tha\u{300}nh đu\u{301}ng ha\u{323}n";
        assert_ne!(canonical_json(&json!(nfc)), canonical_json(&json!(nfd)));
        assert_eq!(canonical_json(&json!(nfd)).as_bytes()[1..nfd.len() + 1], *nfd.as_bytes());
    }

    #[test]
    fn canonical_bytes_layout_and_chain_definition() {
        let id = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let bytes = canonical_bytes("t/1", 2, "Đã giao", &id, &json!({"b": 2, "a": 1}), &json!({"chain": "x", "m": 1}));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            r#"{"data":{"a":1,"b":2},"event_type":"Đã giao","id":"67e55044-10b1-426f-9247-bb680e5fe0c8","metadata":{"m":1},"revision":2,"stream":"t/1"}"#
        );
        let first = next_chain(None, &bytes);
        let mut manual = Sha256::new();
        manual.update([0u8]);
        manual.update(&bytes);
        assert_eq!(first, hex::encode(manual.finalize()));
        let second = next_chain(Some(&first), &bytes);
        let mut manual = Sha256::new();
        manual.update(first.as_bytes());
        manual.update([0u8]);
        manual.update(&bytes);
        assert_eq!(second, hex::encode(manual.finalize()));
        assert!(is_chain_value(&second));
    }

    #[test]
    fn piecewise_chain_equals_definition() {
        let id = Uuid::from_u128(7);
        let data = json!({"x": "Quý IV/2025"});
        let meta = json!({"actor": "a"});
        let owned = OwnedCanonical::new("s", "T", &id, &data, &meta);
        let canonical = canonical_bytes("s", 9, "T", &id, &data, &meta);
        assert_eq!(owned.borrow().chain(Some("ab"), 9), next_chain(Some("ab"), &canonical));
    }
}

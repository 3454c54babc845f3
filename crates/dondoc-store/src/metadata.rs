//! Reading some keys of an event's metadata without building the rest.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Parses an event's metadata: whole, or with `keep`, only those keys ([`keeping`]).
pub(crate) fn parse(text: &str, keep: Option<&[&str]>) -> Result<Value, serde_json::Error> {
    match keep {
        None => serde_json::from_str(text),
        Some(keys) => keeping(text, keys),
    }
}

/// Parses `text`, a JSON object, keeping only the values of `keys` (the others are parsed,
/// so the text is still checked, and dropped without being built).
pub(crate) fn keeping(text: &str, keys: &[&str]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = (&mut de).deserialize_map(Keeping(keys))?;
    de.end()?;
    Ok(value)
}

struct Keeping<'k>(&'k [&'k str]);

impl<'de> Visitor<'de> for Keeping<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.0.contains(&key.as_ref()) {
                kept.insert(key.into_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(kept))
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_named_keys_and_only_them() {
        let text = r#"{"chain":"ab","actor":"x","schema_version":2,"recorded_at":"2025-01-01T02:05:00Z",
            "nested":{"a":[1,2,{"b":null}]},"esc\u0061ped":"v"}"#;
        let cases: &[(&[&str], Value)] = &[
            (&["schema_version"], json!({"schema_version": 2})),
            (&["schema_version", "recorded_at"], json!({"schema_version": 2, "recorded_at": "2025-01-01T02:05:00Z"})),
            (&["nested"], json!({"nested": {"a": [1, 2, {"b": null}]}})),
            (&["escaped"], json!({"escaped": "v"})),
            (&["absent"], json!({})),
            (&[], json!({})),
        ];
        for (keys, expected) in cases {
            assert_eq!(keeping(text, keys).unwrap(), *expected, "{keys:?}");
        }
    }

    #[test]
    fn what_is_not_an_object_or_not_json_is_an_error() {
        for text in ["[1]", "\"s\"", "{\"a\":}", "{\"a\":1} x", "{\"a\":1", ""] {
            assert!(keeping(text, &["a"]).is_err(), "{text}");
        }
    }
}

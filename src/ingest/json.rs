//! JSON objects as the line readers see them: every key, in order, with
//! its raw value, so that a repeated key or two keys that differ only in
//! case are found rather than one silently winning.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The keys and raw values of one JSON object, in the order written.
#[derive(Debug)]
pub(crate) struct Object<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

/// Why a key could not be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The same key twice.
    Repeated(String),
    /// No exact match, and several keys equal to it but for case.
    Ambiguous(Vec<String>),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Repeated(key) => write!(f, "the key {key:?} appears twice"),
            KeyError::Ambiguous(keys) => write!(
                f,
                "the keys {} differ only in case; write the column's name exactly",
                keys.iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        }
    }
}

impl<'a> Object<'a> {
    /// Parse one line as a JSON object; `None` when it is not one.
    pub(crate) fn parse(line: &'a str) -> Result<Object<'a>, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// The value of `name`: an exact match first; otherwise the one key
    /// equal to it but for ASCII case (when `any_case`). A repeated key, or
    /// several case variants and no exact match, is an error.
    pub(crate) fn get(&self, name: &str, any_case: bool) -> Result<Option<&'a RawValue>, KeyError> {
        let mut exact = self.0.iter().filter(|(k, _)| k == name);
        if let Some((_, v)) = exact.next() {
            if exact.next().is_some() {
                return Err(KeyError::Repeated(name.to_string()));
            }
            return Ok(Some(v));
        }
        if !any_case {
            return Ok(None);
        }
        let variants: Vec<&(Cow<'a, str>, &'a RawValue)> = self
            .0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .collect();
        match variants.as_slice() {
            [] => Ok(None),
            [(_, v)] => Ok(Some(v)),
            [(first, _), ..] if variants.iter().all(|(k, _)| k == first) => {
                Err(KeyError::Repeated(first.to_string()))
            }
            _ => Err(KeyError::Ambiguous(
                variants.iter().map(|(k, _)| k.to_string()).collect(),
            )),
        }
    }

    /// The keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Object<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<'a>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Object<'de>, M::Error> {
                let mut pairs = Vec::new();
                while let Some(key) = map.next_key::<KeyText<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    pairs.push((key.0, value));
                }
                Ok(Object(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// A key, borrowed from the line unless it holds escapes.
struct KeyText<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyText<'de>, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = KeyText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<KeyText<'de>, E> {
                Ok(KeyText(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText<'de>, E> {
                Ok(KeyText(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(Text)
    }
}

/// The text of a raw JSON value: a string's content, a number's digits or
/// a boolean; `None` for null, objects and arrays.
pub(crate) fn text_of(raw: &RawValue) -> Option<String> {
    let t = raw.get();
    if t.starts_with('"') {
        serde_json::from_str::<String>(t).ok()
    } else if t == "null" || t.starts_with('{') || t.starts_with('[') {
        None
    } else {
        Some(t.to_string())
    }
}

/// A file's bytes without the UTF-8 byte order mark some editors put first.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_keys_win_and_case_variants_alone_are_ambiguous() {
        let line = r#"{"asset":"USD","Asset":"EUR","AMOUNT":"20","a\u0062c":1}"#;
        let o = Object::parse(line).unwrap();
        assert_eq!(o.get("asset", true).unwrap().unwrap().get(), "\"USD\"");
        assert_eq!(o.get("amount", true).unwrap().unwrap().get(), "\"20\"");
        assert!(o.get("amount", false).unwrap().is_none());
        assert_eq!(o.get("abc", false).unwrap().unwrap().get(), "1");
        let o = Object::parse(r#"{"Asset":"EUR","ASSET":"USD"}"#).unwrap();
        assert!(matches!(o.get("asset", true), Err(KeyError::Ambiguous(_))));
        let o = Object::parse(r#"{"to":"a","to":"b"}"#).unwrap();
        assert_eq!(
            o.get("to", true).unwrap_err(),
            KeyError::Repeated("to".into())
        );
        assert!(Object::parse("[1]").is_err());
    }
}

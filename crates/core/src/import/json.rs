//! Exports' JSON, read typed and leniently: only the fields a reader uses are
//! built; every other value is skipped as it is read (serde's `IgnoredAny`),
//! so reading costs the export's size plus what is kept, never a whole
//! document tree (a 249 KB .1pux once unpacked into a 4.5 GB
//! `serde_json::Value`). A field of an unexpected type counts as absent, as
//! the readers always took it; what is skipped is skipped by a loop, never
//! recursion, so no depth of nesting reaches the stack.

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer,
    de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};

use super::{Parsed, bad};

/// The most list entries one document may hold, all lists together: what
/// is kept of an export is bounded by this (each entry a small struct,
/// nested objects boxed) and by the document's own size, whatever its shape
/// (a realistic 10,000-item export holds well under 100,000).
pub const MAX_LIST_ENTRIES: usize = 1_000_000;

std::thread_local! {
    /// List entries this thread's current document may still hold.
    static BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Reads `bytes` (a BOM allowed) as `T`; `shape` says what was expected when
/// the top level is something else. serde_json's message names a line and
/// column, never the text there.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8], shape: &str) -> Parsed<T> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    BUDGET.with(|budget| budget.set(MAX_LIST_ENTRIES));
    serde_json::from_slice(bytes).map_err(|err| match err.classify() {
        _ if BUDGET.with(std::cell::Cell::get) == 0 => {
            bad(format!("it holds more than {MAX_LIST_ENTRIES} list entries, more than any export"))
        }
        serde_json::error::Category::Data => {
            bad(format!("expected {shape} (line {}, column {})", err.line(), err.column()))
        }
        _ => bad(format!("not JSON (line {}, column {})", err.line(), err.column())),
    })
}

/// What one JSON value turned out to be, for the lenient types below; a map
/// or a list it does not want is skipped as it is read.
enum Seen<T> {
    Wanted(T),
    Other,
}

/// A visitor taking scalars through `scalar`, skipping maps and lists.
struct Scalars<F>(F);

macro_rules! scalar_visits {
    ($($method:ident: $ty:ty => $convert:expr),* $(,)?) => {
        $(fn $method<E: serde::de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            Ok(($convert)(self.0, value))
        })*
    };
}

/// Any JSON value, as `Some` text for a string (and, with `numbers`, a number
/// or boolean as JSON writes it), `None` for anything else.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D, numbers: bool) -> Result<Option<String>, D::Error> {
    Ok(match deserializer.deserialize_any(Scalars(numbers))? {
        Seen::Wanted(text) => Some(text),
        Seen::Other => None,
    })
}

impl<'de> Visitor<'de> for Scalars<bool> {
    type Value = Seen<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    scalar_visits! {
        visit_str: &str => |_, v: &str| Seen::Wanted(v.to_owned()),
        visit_string: String => |_, v| Seen::Wanted(v),
        visit_bool: bool => |numbers: bool, v: bool| if numbers { Seen::Wanted(v.to_string()) } else { Seen::Other },
        visit_i64: i64 => |numbers: bool, v: i64| if numbers { Seen::Wanted(v.to_string()) } else { Seen::Other },
        visit_u64: u64 => |numbers: bool, v: u64| if numbers { Seen::Wanted(v.to_string()) } else { Seen::Other },
        visit_f64: f64 => |numbers: bool, v: f64| if numbers { Seen::Wanted(serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string())) } else { Seen::Other },
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Seen::Other)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Seen::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Seen::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Seen::Other)
    }
}
/// A string where the export has one; absent for anything else.
#[derive(Default)]
pub(crate) struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(deserializer, false).map(Text)
    }
}

impl Text {
    /// Non-empty, trimmed.
    pub fn get(&self) -> Option<String> {
        super::text(self.0.as_deref())
    }
}

/// A string, number or boolean, as text (numbers as JSON writes them).
#[derive(Default)]
pub(crate) struct Scalar(pub Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar(deserializer, true).map(Scalar)
    }
}

/// A whole number where the export has one.
#[derive(Default, Clone, Copy)]
pub(crate) struct Number(pub Option<u64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Number(scalar(deserializer, true)?.and_then(|text| text.parse().ok())))
    }
}

/// `true` or `false` where the export says so.
#[derive(Default, Clone, Copy)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Flag(scalar(deserializer, true)?.and_then(|text| text.parse().ok())))
    }
}

/// Present and not null.
#[derive(Default, Clone, Copy)]
pub(crate) struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<bool, E> {
                Ok(true)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<bool, E> {
                Ok(true)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<bool, E> {
                Ok(true)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<bool, E> {
                Ok(true)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<bool, E> {
                Ok(true)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(true)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(true)
            }
        }
        deserializer.deserialize_any(Any).map(Present)
    }
}

/// An object read as `T` where the export has one; absent for anything else.
/// Boxed, so an absent one costs a pointer in the struct holding it.
pub(crate) struct Obj<T>(pub Option<Box<T>>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = Option<Box<T>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Box<T>>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|value| Some(Box::new(value)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Box<T>>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Option<Box<T>>, E> {
                Ok(None)
            }
        }
        deserializer.deserialize_any(Object(PhantomData)).map(Obj)
    }
}

/// A list of `T` where the export has an array; empty for anything else.
pub(crate) struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Array<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Array<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    let left = BUDGET.with(|budget| {
                        let left = budget.get().saturating_sub(1);
                        budget.set(left);
                        left
                    });
                    if left == 0 {
                        return Err(serde::de::Error::custom("too many list entries"));
                    }
                    out.push(item);
                }
                Ok(out)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Vec::new())
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
        }
        deserializer.deserialize_any(Array(PhantomData)).map(List)
    }
}

impl<T> List<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Shape {
        name: Text,
        count: Number,
        tags: List<Text>,
        inner: Obj<Inner>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Inner {
        value: Scalar,
    }

    #[test]
    fn wrong_types_are_absent_and_unknown_fields_are_skipped() {
        let shape: Shape = parse(
            br#"{"name": 5, "count": "x", "tags": {"a": 1}, "inner": {"value": 3, "more": [[[1]]]}, "other": {"deep": [1, 2]}}"#,
            "an object",
        )
        .unwrap();
        assert!(shape.name.0.is_none() && shape.count.0.is_none() && shape.tags.0.is_empty());
        assert_eq!(shape.inner.0.unwrap().value.0.as_deref(), Some("3"));
        let shape: Shape =
            parse(br#"{"name": "n", "count": 7, "tags": ["a", 1], "inner": "no"}"#, "x").unwrap();
        assert_eq!((shape.name.0.as_deref(), shape.count.0), (Some("n"), Some(7)));
        assert_eq!(shape.tags.iter().map(|t| t.0.as_deref()).collect::<Vec<_>>(), [Some("a"), None]);
        assert!(shape.inner.0.is_none());
    }

    #[test]
    fn a_document_of_endless_small_entries_stops_at_the_budget() {
        let many = format!(r#"{{"tags": [{}"x"]}}"#, r#""x","#.repeat(MAX_LIST_ENTRIES + 5));
        let Err(super::super::Problem::Bad(reason)) = parse::<Shape>(many.as_bytes(), "an object") else {
            panic!("not refused");
        };
        assert!(reason.contains("more than 1000000 list entries"), "{reason}");
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursing() {
        // serde_json skips an ignored value with a loop, not recursion: no
        // depth reaches the stack, wherever it is.
        for deep in [
            format!(r#"{{"other": {}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000)),
            format!(r#"{{"tags": [{}1{}]}}"#, "[".repeat(100_000), "]".repeat(100_000)),
        ] {
            assert!(parse::<Shape>(deep.as_bytes(), "an object").is_ok());
        }
    }
}

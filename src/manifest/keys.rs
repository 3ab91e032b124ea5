//! A first pass over the YAML that finds a mapping key written twice.
//!
//! The parser's own duplicate check compares keys as YAML nodes, so
//! `!x version` and `version` (same text, different tags) pass it; serde's
//! derived structs then refuse the second with no location at all, and the
//! team map would keep only one of the two teams. Comparing keys by their
//! text here, with both positions, gives every repeat one clear error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::Loc;

/// A key written twice in one mapping.
#[derive(Debug)]
pub(super) struct Repeat {
    pub key: String,
    pub first: Loc,
    pub again: Loc,
}

/// The first key written twice in one mapping of `text`, in document order.
/// `None` also when the text does not parse: the real parse reports that.
pub(super) fn first_repeat(text: &str, mut options: serde_saphyr::Options) -> Option<Repeat> {
    // Every entry must reach the visitor, repeats included.
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::PassThrough;
    let found = RefCell::new(None);
    let _ = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        Node(&found).deserialize(de)
    });
    found.into_inner()
}

/// Any YAML node; records the first repeat in `.0` and stops there.
struct Node<'a>(&'a RefCell<Option<Repeat>>);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.deserialize(de)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.deserialize(de)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Node(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashMap<String, Loc> = HashMap::new();
        // Keys as the text the structs and the team map will see; a key
        // that is not a scalar fails here, and the real parse says where.
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let again = Loc::of(&key);
            if let Some(&first) = seen.get(&key.value) {
                *self.0.borrow_mut() = Some(Repeat { key: key.value, first, again });
                return Err(de::Error::custom("repeated key"));
            }
            seen.insert(key.value, again);
            map.next_value_seed(Node(self.0))?;
        }
        Ok(())
    }
}

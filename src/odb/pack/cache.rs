//! What one reading thread keeps between reads.

use std::sync::Arc;

use super::inflate::Inflater;
use super::Place;
use crate::odb::object::ObjectKind;

/// An object read before: its kind, its content, and whether that is all
/// of it (else its first bytes, from [`super::Packs::read_prefix`]).
#[derive(Clone)]
pub(super) struct Cached {
    pub(super) kind: ObjectKind,
    pub(super) data: Arc<[u8]>,
    pub(super) whole: bool,
}

/// What one reading thread keeps between reads: a decompressor and the
/// objects read lately, which are likely delta bases of the next ones.
pub struct ReadState {
    pub(super) inflater: Inflater,
    cache: std::collections::HashMap<(u32, u64), Cached>,
    order: std::collections::VecDeque<(u32, u64)>,
    bytes: usize,
}

impl Default for ReadState {
    fn default() -> ReadState {
        ReadState::new()
    }
}

impl ReadState {
    /// Bytes of objects kept for later reads.
    const CACHE_BYTES: usize = 32 << 20;

    /// A fresh state.
    pub fn new() -> ReadState {
        ReadState {
            inflater: Inflater::new(),
            cache: std::collections::HashMap::new(),
            order: std::collections::VecDeque::new(),
            bytes: 0,
        }
    }

    /// The object read before at `place`, if it is still kept.
    pub(super) fn get(&self, place: Place) -> Option<&Cached> {
        self.cache.get(&(place.pack, place.offset))
    }

    /// Keeps an object read at `place` for later reads, forgetting the
    /// oldest ones beyond [`Self::CACHE_BYTES`].
    pub(super) fn remember(&mut self, place: Place, object: Cached) {
        if object.data.len() > Self::CACHE_BYTES / 8 {
            return;
        }
        while self.bytes + object.data.len() > Self::CACHE_BYTES {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(gone) = self.cache.remove(&old) {
                self.bytes -= gone.data.len();
            }
        }
        let at = (place.pack, place.offset);
        self.bytes += object.data.len();
        self.order.push_back(at);
        if let Some(old) = self.cache.insert(at, object) {
            self.bytes -= old.data.len();
        }
    }
}

//! Files mapped into memory, read-only: packs, their indexes, and the
//! engine's saved state.

use std::fs::File;
use std::path::Path;

/// A read-only, private memory map of a whole file.
///
/// Git never rewrites a pack or an index in place (new ones are written
/// aside and renamed; old ones are unlinked), nor does git-split a state's
/// segment, so the mapped bytes cannot change or shrink under us: an
/// unlinked file stays mapped until dropped.
pub struct Map {
    ptr: *mut std::ffi::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned; sharing `&[u8]` views of it
// across threads is like sharing any immutable buffer.
unsafe impl Send for Map {}
unsafe impl Sync for Map {}

impl Map {
    /// Maps the file at `path`; `None` when it cannot be opened or is empty.
    pub fn open(path: &Path) -> Option<Map> {
        let file = File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh mapping chosen by the kernel (null hint), read-only
        // and private; see the type's comment on why the file is stable.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ,
                rustix::mm::MapFlags::PRIVATE,
                &file,
                0,
            )
        }
        .ok()?;
        Some(Map { ptr, len })
    }

    /// The file's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `open` mapped; no view outlives `self`.
        unsafe {
            let _ = rustix::mm::munmap(self.ptr, self.len);
        }
    }
}

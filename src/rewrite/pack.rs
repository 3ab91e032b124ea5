//! New objects go out as pack files, never as loose objects.
//!
//! Objects are compressed into an in-memory pack stream as they are written
//! and handed to libgit2's indexer (`odb.packwriter()`) when the buffer grows
//! past a threshold and at the end. No deltas: the final `git repack` of a
//! team repository finds those.

use std::collections::HashSet;
use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use git2::{ObjectType, Odb, Oid, Repository};
use sha1::{Digest, Sha1};

/// Write failures.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub struct PackError {
    /// What we were doing.
    pub context: String,
    /// Why it failed.
    pub message: String,
}

/// Flush once this many compressed bytes are pending.
const FLUSH_BYTES: usize = 64 << 20;

/// Writes objects into packs of one repository.
pub struct PackSink<'r> {
    odb: Odb<'r>,
    body: Vec<u8>,
    count: u32,
    /// Objects written by this sink (so a repeated tree is stored once).
    written: HashSet<Oid>,
    /// Objects written so far, in all packs.
    pub objects: u64,
}

fn type_code(kind: ObjectType) -> u8 {
    match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        ObjectType::Tag => 4,
        _ => unreachable!("only base object types are written"),
    }
}

impl<'r> PackSink<'r> {
    /// A sink writing packs into `repo`.
    pub fn new(repo: &'r Repository) -> Result<PackSink<'r>, PackError> {
        let odb = repo
            .odb()
            .map_err(|e| PackError { context: "opening the odb".into(), message: e.to_string() })?;
        Ok(PackSink { odb, body: Vec::new(), count: 0, written: HashSet::new(), objects: 0 })
    }

    /// Adds an object; returns its id.
    pub fn write(&mut self, kind: ObjectType, data: &[u8]) -> Result<Oid, PackError> {
        let id = Oid::hash_object(kind, data)
            .map_err(|e| PackError { context: "hashing an object".into(), message: e.to_string() })?;
        if !self.written.insert(id) {
            return Ok(id);
        }
        // Entry header: type and size, 4 bits then 7 bits per byte.
        let mut size = data.len();
        let mut byte = (type_code(kind) << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.body.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.body.push(byte);
        let mut z = ZlibEncoder::new(&mut self.body, Compression::fast());
        z.write_all(data)
            .and_then(|_| z.finish().map(|_| ()))
            .map_err(|e| PackError { context: "compressing an object".into(), message: e.to_string() })?;
        self.count += 1;
        self.objects += 1;
        if self.body.len() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(id)
    }

    /// True if this sink wrote `id`.
    pub fn wrote(&self, id: Oid) -> bool {
        self.written.contains(&id)
    }

    /// Writes pending objects as one pack and makes them visible.
    pub fn flush(&mut self) -> Result<(), PackError> {
        if self.count == 0 {
            return Ok(());
        }
        let err = |context: &str| {
            let context = context.to_string();
            move |e: git2::Error| PackError { context, message: e.to_string() }
        };
        let mut pack = Vec::with_capacity(self.body.len() + 32);
        pack.extend_from_slice(b"PACK");
        pack.extend_from_slice(&2u32.to_be_bytes());
        pack.extend_from_slice(&self.count.to_be_bytes());
        pack.append(&mut self.body);
        let digest = Sha1::digest(&pack);
        pack.extend_from_slice(&digest);
        let mut w = self.odb.packwriter().map_err(err("opening a pack writer"))?;
        w.write_all(&pack)
            .map_err(|e| PackError { context: "writing a pack".into(), message: e.to_string() })?;
        w.commit().map_err(err("indexing a pack"))?;
        self.odb.refresh().map_err(err("rescanning packs"))?;
        self.count = 0;
        Ok(())
    }
}

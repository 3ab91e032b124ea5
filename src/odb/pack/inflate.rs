//! Inflating zlib streams: whole objects, and the first bytes of one.

/// Inflates the start of a zlib stream: a delta's header is its first few
/// bytes. miniz_oxide's core decompressor is used directly: it writes into a
/// small buffer and its state re-initialises cheaply, where flate2's
/// `reset` clears a 32 KiB window for every object.
pub(super) struct Inflater(Box<miniz_oxide::inflate::core::DecompressorOxide>, flate2::Decompress);

impl Inflater {
    /// A fresh pair of decompressors.
    pub(super) fn new() -> Inflater {
        Inflater(Box::default(), flate2::Decompress::new(true))
    }

    /// Inflates the whole of `stream`, which must give exactly `size` bytes.
    /// (zlib proper here: for whole objects it is faster than miniz_oxide,
    /// whose per-block table set-up dominates on small streams.)
    pub(super) fn whole(&mut self, stream: &[u8], size: usize) -> Option<Vec<u8>> {
        self.1.reset(true);
        let mut out = Vec::with_capacity(size);
        let status = self.1.decompress_vec(stream, &mut out, flate2::FlushDecompress::Finish).ok()?;
        (status == flate2::Status::StreamEnd && out.len() == size).then_some(out)
    }

    /// Inflates `stream` until `out` is full or the stream ends, with zlib
    /// proper: past the first few bytes it is faster than miniz_oxide.
    /// Returns the bytes produced, or `None` for a damaged stream.
    pub(super) fn head(&mut self, stream: &[u8], out: &mut [u8]) -> Option<usize> {
        self.1.reset(true);
        match self.1.decompress(stream, out, flate2::FlushDecompress::None) {
            Ok(_) => Some(self.1.total_out() as usize),
            Err(_) => None,
        }
    }

    /// Inflates `stream` until `out` is full or the stream ends; returns the
    /// bytes produced, or `None` for a damaged stream.
    pub(super) fn prefix(&mut self, stream: &[u8], out: &mut [u8]) -> Option<usize> {
        use miniz_oxide::inflate::core::{decompress, inflate_flags};
        use miniz_oxide::inflate::TINFLStatus;
        self.0.init();
        let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let (status, _, written) = decompress(&mut self.0, stream, out, 0, flags);
        match status {
            TINFLStatus::Done | TINFLStatus::HasMoreOutput | TINFLStatus::NeedsMoreInput => Some(written),
            _ => None,
        }
    }
}

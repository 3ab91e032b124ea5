//! Placeholder until the real implementation lands (being written now).

/// Appends `key: value` to a commit message as `git interpret-trailers` would.
pub fn add_trailer(message: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut out = message.to_vec();
    out.extend_from_slice(format!("\n{key}: {value}\n").as_bytes());
    out
}

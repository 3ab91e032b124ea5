//! The lines of a JSON manifest's keys (`composer.json`, `package.json`),
//! which serde does not keep: a dependency is shown at the line that
//! declares it.

/// One step of a path into a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// The line of every object key at most three levels deep in `text`
/// (valid JSON: serde has parsed it), with its path.
pub(super) fn key_lines(text: &[u8]) -> Vec<(Vec<Seg>, u32)> {
    const MAX_DEPTH: usize = 3;
    // One frame per open container: the current key or array index.
    let mut stack: Vec<Seg> = Vec::new();
    let mut expect_key = false;
    let mut line = 1u32;
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'\n' => line += 1,
            b'{' => {
                stack.push(Seg::Key(String::new()));
                expect_key = true;
            }
            b'[' => stack.push(Seg::Index(0)),
            b'}' | b']' => drop(stack.pop()),
            b',' => match stack.last_mut() {
                Some(Seg::Index(i)) => *i += 1,
                Some(Seg::Key(_)) => expect_key = true,
                None => {}
            },
            b'"' => {
                let start = at;
                at += 1;
                while at < text.len() && text[at] != b'"' {
                    at += if text[at] == b'\\' { 2 } else { 1 };
                }
                if expect_key && stack.len() <= MAX_DEPTH {
                    let raw = &text[start..(at + 1).min(text.len())];
                    let key = serde_json::from_slice::<String>(raw)
                        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
                    if let Some(last) = stack.last_mut() {
                        *last = Seg::Key(key);
                    }
                    out.push((stack.clone(), line));
                }
                expect_key = false;
            }
            _ => {}
        }
        at += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_their_lines() {
        let text = b"{\n  \"a\": {\n    \"b\": 1,\n    \"c\\\"d\": [\n      {\"e\": 2}\n    ]\n  },\n  \"f\": \"}\"\n}";
        let key = |k: &str| Seg::Key(k.to_owned());
        assert_eq!(
            key_lines(text),
            vec![
                (vec![key("a")], 2),
                (vec![key("a"), key("b")], 3),
                (vec![key("a"), key("c\"d")], 4),
                (vec![key("f")], 8),
            ]
        );
    }
}

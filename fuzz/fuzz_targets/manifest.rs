//! Arbitrary bytes as `ownership.yaml`: the loader never panics, returns
//! promptly (`fuzz/run` gives each input a time limit), and every error but
//! "too large" points at a line and column that exist in the input; a
//! manifest it accepts obeys the rules validation promises.
#![no_main]

use std::path::Path;

use git_split::manifest::{ErrorKind, Manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Manifest::from_bytes(Path::new("ownership.yaml"), data) {
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("ownership.yaml"), "error without its file: {message}");
            if matches!(e.kind, ErrorKind::TooLarge(_) | ErrorKind::Read(_)) {
                return;
            }
            let loc = e.loc.unwrap_or_else(|| panic!("error without a location: {message}"));
            // YAML breaks lines at `\n`, `\r\n` and a lone `\r`.
            let lines = 1 + data
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n')))
                .count() as u64;
            assert!(loc.line >= 1 && loc.col >= 1, "location {loc:?} is not 1-based: {message}");
            assert!(loc.line <= lines, "line {} past the input's {lines} lines: {message}", loc.line);
            // The column is at most one past the end of that line, in characters.
            let text = String::from_utf8_lossy(data).replace("\r\n", "\n").replace('\r', "\n");
            let width = text.split('\n').nth(loc.line as usize - 1).map_or(0, |l| l.chars().count()) as u64;
            assert!(
                loc.col <= width + 1,
                "column {} past the end of line {} ({width} characters): {message}",
                loc.col,
                loc.line
            );
        }
        Ok(m) => {
            assert!(!m.teams.is_empty(), "accepted a manifest without teams");
            for pair in m.teams.windows(2) {
                assert!(pair[0].name < pair[1].name, "teams not sorted and unique: {:?}", pair[0].name);
            }
            for t in &m.teams {
                let n = &t.name;
                assert!(!n.is_empty() && n.len() <= 100, "team name {n:?}");
                assert!(
                    n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                    "team name {n:?}"
                );
                assert!(
                    !n.starts_with(['.', '-']) && !n.ends_with(".git") && !n.ends_with('.'),
                    "team name {n:?}"
                );
                assert!(!t.rule.is_empty(), "team {n} owns nothing");
                assert!(t.compat.is_none() || t.root.is_some(), "team {n}: compat without root");
                if let Some(root) = &t.root {
                    assert!(
                        !root.is_empty() && !root.starts_with('/') && !root.ends_with('/'),
                        "root {root:?}"
                    );
                }
            }
        }
    }
});

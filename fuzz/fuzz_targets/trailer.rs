//! Arbitrary commit messages through `add_trailer`: no panic, and the
//! result is a labelled message: it holds our `Split-Source` line, adding
//! the label again changes nothing (git reads back what we wrote) unless
//! git itself would add it again, and what follows a NUL byte is kept.
//!
//! With `FUZZ_TRAILER_GIT=1` every input is also compared byte for byte with
//! `git interpret-trailers --no-divider` (slow: one git process per input).
#![no_main]

use git_split::rewrite::trailer::add_trailer;
use libfuzzer_sys::fuzz_target;

const KEY: &str = "Split-Source";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

#[path = "../../tests/it/support/git_trailers.rs"]
mod git_trailers;

fn git(message: &[u8]) -> Vec<u8> {
    git_trailers::git_interpret_trailers(message, &format!("{KEY}: {SHA}"))
}

fuzz_target!(|message: &[u8]| {
    let out = add_trailer(message, KEY, SHA);

    // The label is there, as git's addIfDifferentNeighbor leaves it: ours,
    // or an equal one already last in the block (token compared on the
    // shorter length, value case-insensitively).
    let text = &out[..out.iter().position(|&b| b == 0).unwrap_or(out.len())];
    let labelled = text.split(|&b| b == b'\n').any(|line| {
        let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
        let (token, value) = (&line[..colon], &line[colon + 1..]);
        let token = token.trim_ascii();
        let n = token.len().min(KEY.len());
        !token.is_empty()
            && token[..n].eq_ignore_ascii_case(&KEY.as_bytes()[..n])
            && value.trim_ascii().eq_ignore_ascii_case(SHA.as_bytes())
    });
    assert!(labelled, "no Split-Source line in {:?}", out.escape_ascii().to_string());

    if let Some(nul) = message.iter().position(|&b| b == 0) {
        assert!(out.ends_with(&message[nul..]) || out.ends_with(&[&message[nul..], b"\n"].concat()));
    }

    // Labelling twice changes nothing, except where git's own rules make
    // a second run see the message differently: then both runs must be
    // git's. Known cases (tests/it/fuzz_regressions.rs): an old `Conflicts:`
    // block as the title, checked here against git as they come; and a NUL
    // byte right after a one-line title, not checked here because mutated
    // inputs hold NUL bytes so often that spawning git would slow the
    // fuzzer tenfold (FUZZ_TRAILER_GIT=1 checks them all).
    let twice = if message.contains(&0) { out.clone() } else { add_trailer(&out, KEY, SHA) };
    if twice != out {
        let esc = |b: &[u8]| b.escape_ascii().to_string();
        assert_eq!(
            esc(&out),
            esc(&git(message)),
            "labelling twice differs from once, and once differs from git"
        );
        assert_eq!(
            esc(&twice),
            esc(&git(&out)),
            "labelling twice differs from once, and twice differs from git"
        );
    }

    check_git(message, &out);
});

/// With `FUZZ_TRAILER_GIT` set, `out` must be git's answer for `message`.
fn check_git(message: &[u8], out: &[u8]) {
    if std::env::var_os("FUZZ_TRAILER_GIT").is_some() {
        assert_eq!(
            out.escape_ascii().to_string(),
            git(message).escape_ascii().to_string(),
            "ours vs git for {:?}",
            message.escape_ascii().to_string()
        );
    }
}

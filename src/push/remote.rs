//! Keeping credentials out of what `push` shows: a remote URL may carry
//! `user:token@`, and git's own messages may quote it whole, or only the
//! part it failed on (`unable to look up user:token@host`), so masking URLs
//! is not enough: every credential of the run is also masked wherever it
//! appears.

use crate::manifest::mask_userinfo;

/// Credentials shorter than this are masked inside URLs only: replacing a
/// two-letter password everywhere would garble every message, and hides
/// nothing a guess would not find.
const MIN_SECRET: usize = 3;

/// Masks the credentials of a set of remote URLs in any text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is masked whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for the credentials in `urls`.
    pub fn new<'a>(urls: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut secrets = Vec::new();
        for url in urls {
            let Some(userinfo) = userinfo(url) else { continue };
            // The whole userinfo (which is the token itself in
            // `https://TOKEN@host`), and the password alone.
            let password = userinfo.split_once(':').map(|(_, p)| p);
            for s in [Some(userinfo), password].into_iter().flatten() {
                secrets.push(s.to_string());
                // git decodes `%XX` before it uses (and may quote) them.
                let decoded = percent_decode(s);
                if decoded != s {
                    secrets.push(decoded);
                }
            }
        }
        secrets.retain(|s| s.len() >= MIN_SECRET);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with URL userinfo and every known credential masked as `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = mask_userinfo(text).into_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// The userinfo of a `scheme://userinfo@host/...` URL.
fn userinfo(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(&authority[..at]).filter(|u| !u.is_empty())
}

/// `%XX` escapes decoded (lossily, for matching only).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_in_urls_and_alone() {
        let r = Redactor::new([
            "https://ci-bot:ghp_S3cret%2Fx@github.com/acme/a.git",
            "https://TOKENONLY123@host/b.git",
            "git@github.com:acme/c.git",
            "https://u:ab@host/d.git",
        ]);
        let cases = [
            (
                "To https://ci-bot:ghp_S3cret%2Fx@github.com/acme/a.git",
                "To https://***@github.com/acme/a.git",
            ),
            ("unable to look up ci-bot:ghp_S3cret%2Fx@github.com", "unable to look up ***@github.com"),
            ("password ghp_S3cret/x was refused", "password *** was refused"),
            ("token TOKENONLY123 expired", "token *** expired"),
            ("fatal: https://u:ab@host/d.git: 403", "fatal: https://***@host/d.git: 403"),
            ("about a cab", "about a cab"),
        ];
        for (text, want) in cases {
            assert_eq!(r.redact(text), want, "{text}");
        }
    }

    #[test]
    fn userinfo_of_urls() {
        assert_eq!(userinfo("https://u:p@h/x"), Some("u:p"));
        assert_eq!(userinfo("https://h/x@y"), None);
        assert_eq!(userinfo("git@h:x"), None);
        assert_eq!(percent_decode("a%3Ab%2f%zz"), "a:b/%zz");
    }
}

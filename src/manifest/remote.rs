//! Where `push` sends a team repository: the `publish.remote` template and a
//! team's own `remote`, and the masking that keeps credentials written in a
//! URL (`https://user:token@host/...`) out of every message.

use std::borrow::Cow;

/// The only placeholder a remote template knows.
pub const TEAM_PLACEHOLDER: &str = "{team}";

/// A remote URL, or a template of one with `{team}` standing for the team's
/// name; checked when the manifest loads.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteTemplate(String);

/// Never the URL itself: it may carry a token.
impl std::fmt::Debug for RemoteTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteTemplate({:?})", mask_userinfo(&self.0))
    }
}

impl RemoteTemplate {
    /// Checks a template: not empty, no control character, and every `{`
    /// opens `{team}`. The error says why, for the manifest's message.
    pub fn parse(text: &str) -> Result<RemoteTemplate, String> {
        if text.trim().is_empty() {
            return Err("it is empty".into());
        }
        if text.chars().any(char::is_control) {
            return Err("it holds a control character".into());
        }
        check_placeholders(text)?;
        Ok(RemoteTemplate(text.to_string()))
    }

    /// The URL for `team`.
    pub fn expand(&self, team: &str) -> String {
        self.0.replace(TEAM_PLACEHOLDER, team)
    }

    /// The template as written, credentials masked: what messages may show.
    pub fn shown(&self) -> String {
        mask_userinfo(&self.0).into_owned()
    }
}

/// Every `{` of `text` opens `{team}`, the only placeholder; the error
/// says why not, for the manifest's message.
pub(super) fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let at = &rest[i..];
        if at.starts_with('}') {
            return Err("a `}` closes no `{`: the only placeholder is `{team}`".into());
        }
        let Some(end) = at.find('}') else {
            return Err("a `{` is never closed: the only placeholder is `{team}`".into());
        };
        let placeholder = &at[..=end];
        if placeholder != TEAM_PLACEHOLDER {
            return Err(format!(
                "unknown placeholder `{}`: the only one is `{TEAM_PLACEHOLDER}`",
                mask_userinfo(placeholder)
            ));
        }
        rest = &at[end + 1..];
    }
    Ok(())
}

/// Every `scheme://userinfo@` in `text` with the userinfo replaced by
/// `***`: what a URL may show in a log. The authority ends at the first `/`,
/// `?`, `#`, space, quote or bracket; its userinfo is everything before its
/// last `@`.
pub fn mask_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = i + 3;
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '\'' | '"' | '`' | '<' | '>' | '(' | ')' | '[' | ']')
                    || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) if at > 0 => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_know_only_team() {
        let t = RemoteTemplate::parse("git@github.com:acme/{team}.git").unwrap();
        assert_eq!(t.expand("web"), "git@github.com:acme/web.git");
        assert_eq!(RemoteTemplate::parse("https://h/{team}/{team}").unwrap().expand("a"), "https://h/a/a");
        assert_eq!(RemoteTemplate::parse("/srv/git/x.git").unwrap().expand("a"), "/srv/git/x.git");
        for (bad, why) in [
            ("", "empty"),
            ("  ", "empty"),
            ("https://h/{name}.git", "unknown placeholder `{name}`"),
            ("https://h/{Team}.git", "unknown placeholder `{Team}`"),
            ("https://h/{}.git", "unknown placeholder `{}`"),
            ("https://h/{team.git", "never closed"),
            ("https://h/team}.git", "closes no"),
            ("https://h/a\n.git", "control character"),
        ] {
            let e = RemoteTemplate::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn userinfo_is_masked_wherever_a_url_appears() {
        let cases = [
            ("https://user:tok@host/a.git", "https://***@host/a.git"),
            ("https://tok@host", "https://***@host"),
            (
                "fatal: unable to access 'https://u:p@h:8080/x/': 403",
                "fatal: unable to access 'https://***@h:8080/x/': 403",
            ),
            ("http://a:b@c/x and git://d:e@f/y", "http://***@c/x and git://***@f/y"),
            ("https://u:p@ss@host/x", "https://***@host/x"),
            ("https://host/a@b", "https://host/a@b"),
            ("git@github.com:acme/a.git", "git@github.com:acme/a.git"),
            ("ssh://git@host/x", "ssh://***@host/x"),
            ("no url at all", "no url at all"),
            ("trailing ://", "trailing ://"),
        ];
        for (text, want) in cases {
            assert_eq!(mask_userinfo(text), want, "{text}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = RemoteTemplate::parse("https://u:sekrit@h/{team}").unwrap();
        assert!(!format!("{t:?}").contains("sekrit"));
        assert_eq!(t.shown(), "https://***@h/{team}");
    }
}

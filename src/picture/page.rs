//! One self-contained HTML page: the template, its style and script, the
//! vendored libraries and the picture's data, all inline.
//!
//! The page makes no network request: a Content-Security-Policy that allows
//! nothing but inline script, inline style and `data:` images makes the
//! browser refuse any, whatever the script does.

use super::Picture;

const TEMPLATE: &str = include_str!("assets/page.html");
const STYLE: &str = include_str!("assets/page.css");
const SCRIPT: &str = include_str!("assets/page.js");
/// d3-hierarchy, for the squarified treemap layout (see `vendor/VERSIONS`).
const D3_HIERARCHY: &str = include_str!("vendor/d3-hierarchy.min.js");
const D3_HIERARCHY_LICENSE: &str = include_str!("vendor/d3-hierarchy.LICENSE");

/// The page for `picture`.
pub fn render(picture: &Picture) -> String {
    let title = format!("{} at {} — git-split plan", picture.header.repository, picture.header.ref_name);
    let data = serde_json::to_string(picture).expect("the picture serialises");
    let mut out = String::with_capacity(TEMPLATE.len() + data.len() + SCRIPT.len() + D3_HIERARCHY.len());
    // Placeholders are replaced in one left-to-right pass, so a value that
    // happens to contain another placeholder's name stays as it is.
    let mut rest = TEMPLATE;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").map(|e| at + e + 2).expect("placeholders are closed");
        match &rest[at + 2..end - 2] {
            "title" => out.push_str(&escape_html(&title)),
            "style" => out.push_str(STYLE),
            "d3_hierarchy" => {
                out.push_str("/*\n");
                out.push_str(&D3_HIERARCHY_LICENSE.replace("*/", "* /"));
                out.push_str("*/\n");
                out.push_str(D3_HIERARCHY);
            }
            "script" => out.push_str(SCRIPT),
            "data" => out.push_str(&script_safe(&data)),
            other => panic!("unknown placeholder {other} in the page template"),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Text for HTML element content and attribute values.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside a `<script>` element: `<` only ever appears in
/// JSON strings, where `\u003c` means the same, so no `</script>` or `<!--`
/// in a path or a source line can end the element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script_element() {
        let json = serde_json::to_string("a</script><script>alert(1)</script><!--").unwrap();
        let safe = script_safe(&json);
        assert!(!safe.contains('<'));
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), "a</script><script>alert(1)</script><!--");
    }

    #[test]
    fn title_is_escaped() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn template_has_every_placeholder_once() {
        for p in ["{{title}}", "{{style}}", "{{d3_hierarchy}}", "{{script}}", "{{data}}"] {
            assert_eq!(TEMPLATE.matches(p).count(), 1, "{p}");
        }
    }
}

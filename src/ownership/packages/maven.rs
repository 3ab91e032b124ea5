//! Maven: `pom.xml` `/project/artifactId`, also as `groupId:artifactId`.

use super::table::{exact, Entry, ManifestKind, Parsed};

/// How Maven modules are found.
pub(super) const KIND: ManifestKind = ManifestKind {
    file_names: &["pom.xml"],
    skip_component: None,
    boundaries: super::table::Boundaries::EveryPackage,
    parse,
    normalize: exact,
    link: super::table::unlinked,
};

fn parse(dir: &[u8], text: &[u8]) -> Parsed {
    let text = decode(text);
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc =
        roxmltree::Document::parse_with_options(&text, options).map_err(|e| format!("invalid XML: {e}"))?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err(format!("root element is <{}>, not <project>", project.tag_name().name()));
    }
    let Some(artifact) = text_of(child(project, "artifactId")) else {
        return Err("no <project><artifactId>".into());
    };
    let group = text_of(child(project, "groupId"))
        .or_else(|| text_of(child(project, "parent").and_then(|p| child(p, "groupId"))));
    let mut keys = vec![artifact.to_string()];
    if let Some(group) = group {
        keys.push(format!("{group}:{artifact}"));
    }
    Ok(vec![Entry::with_keys(keys, dir)])
}

/// The first child element named `name`. Real poms put everything in the
/// POM namespace, so only local names are compared.
pub(super) fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed, non-empty text of an element.
pub(super) fn text_of<'a>(node: Option<roxmltree::Node<'a, '_>>) -> Option<&'a str> {
    node.and_then(|n| n.text()).map(str::trim).filter(|t| !t.is_empty())
}

/// UTF-8 when it is; otherwise ISO-8859-1, the other encoding poms declare
/// (byte-for-byte the first 256 code points, so the names survive either way).
pub(super) fn decode(text: &[u8]) -> String {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    match std::str::from_utf8(text) {
        Ok(s) => s.to_string(),
        Err(_) => text.iter().map(|&b| char::from(b)).collect(),
    }
}

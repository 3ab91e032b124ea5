//! Maven: `pom.xml` `/project/artifactId`, also as `groupId:artifactId`;
//! [`read_pom`] reads what else `deps` needs of a pom.

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
    let pom = read_pom(text)?;
    let mut keys = vec![pom.artifact.clone()];
    if let Some(group) = &pom.group {
        keys.push(format!("{group}:{}", pom.artifact));
    }
    Ok(vec![Entry::with_keys(keys, dir)])
}

/// A module's `pom.xml`: its coordinates as written (the groupId and
/// version inherited from `<parent>` when it has none of its own), its
/// `<properties>`, and the other modules it names, each at its line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pom {
    /// `groupId`, its own or its parent's.
    pub group: Option<String>,
    /// `artifactId`.
    pub artifact: String,
    /// `version`, its own or its parent's.
    pub version: Option<String>,
    /// `<properties>`, in file order.
    pub properties: Vec<(String, String)>,
    /// `<parent>`.
    pub parent: Option<PomRef>,
    /// `<dependencies>`, build `<plugins>` and their dependencies, and build
    /// `<extensions>`, in file order (profiles, which a build may not
    /// activate, are left out).
    pub references: Vec<PomRef>,
}

/// Why a pom names another artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PomRefKind {
    /// `<parent>`: the pom inherits from it.
    Parent,
    /// A `<dependency>`, of the module or of one of its plugins.
    Dependency,
    /// A build `<plugin>`.
    Plugin,
    /// A build `<extension>`.
    Extension,
}

/// One artifact a pom names, as written (properties not interpolated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PomRef {
    /// What kind of reference.
    pub kind: PomRefKind,
    /// `groupId` (a plugin's defaults to `org.apache.maven.plugins`).
    pub group: Option<String>,
    /// `artifactId`.
    pub artifact: String,
    /// `version`.
    pub version: Option<String>,
    /// The line of the element's start tag, from 1.
    pub line: u32,
}

/// Reads a `pom.xml`.
pub fn read_pom(text: &[u8]) -> Result<Pom, String> {
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
    let line = |n: roxmltree::Node<'_, '_>| doc.text_pos_at(n.range().start).row;
    let parent = child(project, "parent").and_then(|p| pom_ref(p, PomRefKind::Parent, line(p)));
    let inherited = |name: &str| {
        text_of(child(project, name))
            .or_else(|| text_of(child(project, "parent").and_then(|p| child(p, name))))
    };
    let properties = child(project, "properties")
        .into_iter()
        .flat_map(|p| p.children().filter(|c| c.is_element()))
        .map(|p| (p.tag_name().name().to_owned(), p.text().unwrap_or("").trim().to_owned()))
        .collect();
    let mut references = Vec::new();
    for d in children(child(project, "dependencies"), "dependency") {
        references.extend(pom_ref(d, PomRefKind::Dependency, line(d)));
    }
    let build = child(project, "build");
    for p in children(build.and_then(|b| child(b, "plugins")), "plugin") {
        references.extend(pom_ref(p, PomRefKind::Plugin, line(p)));
        for d in children(child(p, "dependencies"), "dependency") {
            references.extend(pom_ref(d, PomRefKind::Dependency, line(d)));
        }
    }
    for e in children(build.and_then(|b| child(b, "extensions")), "extension") {
        references.extend(pom_ref(e, PomRefKind::Extension, line(e)));
    }
    Ok(Pom {
        group: inherited("groupId").map(str::to_owned),
        artifact: artifact.to_owned(),
        version: inherited("version").map(str::to_owned),
        properties,
        parent,
        references,
    })
}

/// The child elements named `name` of `node`, if there is one.
fn children<'a, 'i>(
    node: Option<roxmltree::Node<'a, 'i>>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.into_iter()
        .flat_map(move |n| n.children().filter(move |c| c.is_element() && c.tag_name().name() == name))
}

/// The coordinates an element names; `None` without an `artifactId`.
fn pom_ref(node: roxmltree::Node<'_, '_>, kind: PomRefKind, line: u32) -> Option<PomRef> {
    let artifact = text_of(child(node, "artifactId"))?.to_owned();
    let mut group = text_of(child(node, "groupId")).map(str::to_owned);
    if group.is_none() && kind == PomRefKind::Plugin {
        group = Some("org.apache.maven.plugins".to_owned());
    }
    let version = text_of(child(node, "version")).map(str::to_owned);
    Some(PomRef { kind, group, artifact, version, line })
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

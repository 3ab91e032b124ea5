//! The picture's columns against the tree they come from.

use super::*;

#[test]
fn directories_come_before_their_children_and_name_their_parents() {
    let mut t = Tree { dir_parent: vec![0], dir_name: vec![String::new()], ..Tree::default() };
    let mut dirs = HashMap::new();
    let deep = dir_id(&mut t, &mut dirs, b"a/b/c");
    let side = dir_id(&mut t, &mut dirs, b"a/x");
    let again = dir_id(&mut t, &mut dirs, b"a/b");
    assert_eq!(t.dir_name, ["", "a", "b", "c", "x"]);
    assert_eq!(t.dir_parent, [0, 0, 1, 2, 1]);
    assert_eq!((deep, side, again), (3, 4, 2));
    for (d, &p) in t.dir_parent.iter().enumerate().skip(1) {
        assert!((p as usize) < d, "a parent's index is below its child's");
    }
}

#[test]
fn edges_share_the_places_the_page_keeps() {
    use crate::deps::lang::Language;
    use crate::deps::{Break, Edge, RefKind, Report, TeamBreaks};
    let names: Vec<String> = (0..300).map(|i| format!("t{i}")).collect();
    let mut teams = Vec::new();
    let mut edges = Vec::new();
    for (i, from) in names.iter().enumerate() {
        let to = &names[(i + 1) % names.len()];
        let mut t = TeamBreaks { name: from.clone(), references: 500, files: 1, breaks: Vec::new() };
        t.breaks.push(Break {
            to_team: Some(to.clone()),
            references: 500,
            files: 1,
            target_files: 1,
            targets: Vec::new(),
            examples: Vec::new(),
        });
        teams.push(t);
        for line in 0..500 {
            edges.push(Edge {
                from_team: from.clone(),
                from_file: "a.rs".into(),
                line,
                to_team: Some(to.clone()),
                to_shared: false,
                to_path: "b.rs".into(),
                kind: RefKind::Import,
                language: Language::Rust,
                text: "use b;".into(),
                breaks: true,
            });
        }
    }
    let report = Report {
        commit: String::new(),
        ref_name: String::new(),
        teams,
        edges,
        duplicate_or_extract: Vec::new(),
        unresolved: Vec::new(),
        languages: Vec::new(),
    };
    let view = deps_view(&report, &names);
    assert_eq!(view.edges.len(), 300);
    let kept: usize = view.edges.iter().map(|e| e.places.len()).sum();
    assert!(kept <= MAX_PLACES, "{kept} places kept");
    assert!(view.edges.iter().all(|e| !e.places.is_empty()), "every edge keeps a place");
}

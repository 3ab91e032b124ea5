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

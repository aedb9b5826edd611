//! Projections: the attributes (or nested values) a read returns.
//!
//! A [`Projection`] is a list of document paths merged into a tree, so applying it walks the
//! item once. The result has the item's shape cut down to the projected values: maps keep the
//! projected keys; lists keep the projected elements in their original relative order, packed
//! (`l[3], l[1]` of a 5-element list gives `[l[1], l[3]]`), as DynamoDB returns them. A path
//! that is missing from the item contributes nothing, and neither do the maps and lists on the
//! way to it.

use std::collections::BTreeMap;

use crate::{AttributeValue, Item};

use super::path::{DocumentPath, PathElement};

/// A parsed `ProjectionExpression`, `AttributesToGet`, or the paths an update wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    paths: Vec<DocumentPath>,
    root: BTreeMap<String, Node>,
}

/// What to take from one value.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// The whole value.
    All,
    /// Some keys of a map.
    Keys(BTreeMap<String, Node>),
    /// Some elements of a list, by index.
    Elements(BTreeMap<usize, Node>),
}

impl Projection {
    /// A projection of `paths`. Paths that overlap (one a prefix of another) keep the shorter
    /// one; the parser rejects overlapping and conflicting paths before they get here.
    pub fn new(paths: Vec<DocumentPath>) -> Projection {
        let mut root = BTreeMap::new();
        for path in &paths {
            insert(&mut root, path);
        }
        Projection { paths, root }
    }

    /// A projection of top-level attributes (`AttributesToGet`).
    pub fn attributes<'n>(names: impl IntoIterator<Item = &'n str>) -> Projection {
        Projection::new(names.into_iter().map(DocumentPath::attribute).collect())
    }

    /// The projected paths, in the order given.
    pub fn paths(&self) -> &[DocumentPath] {
        &self.paths
    }

    /// The top-level attributes the projection reads from.
    pub fn top_level_attributes(&self) -> impl Iterator<Item = &str> {
        self.root.keys().map(String::as_str)
    }

    /// Whether the projection reads `name` or something inside it.
    pub fn reads_attribute(&self, name: &str) -> bool {
        self.root.contains_key(name)
    }

    /// The projected part of `item`.
    pub fn apply(&self, item: &Item) -> Item {
        let mut out = Item::new();
        for (name, node) in &self.root {
            if let Some(value) = item.get(name).and_then(|value| project(value, node)) {
                out.insert(name.clone(), value);
            }
        }
        out
    }
}

fn insert(root: &mut BTreeMap<String, Node>, path: &DocumentPath) {
    let elements = path.elements();
    let mut node = root
        .entry(path.top_level().to_string())
        .or_insert_with(|| empty_for(elements.get(1)));
    for (i, element) in elements.iter().enumerate().skip(1) {
        let next = elements.get(i + 1);
        node = match (node, element) {
            (Node::All, _) => return,
            (Node::Keys(keys), PathElement::Attribute(name)) => {
                keys.entry(name.clone()).or_insert_with(|| empty_for(next))
            }
            (Node::Elements(items), PathElement::Index(index)) => {
                items.entry(*index).or_insert_with(|| empty_for(next))
            }
            // A conflicting path (parsed paths never conflict): the first one wins.
            _ => return,
        };
    }
    *node = Node::All;
}

/// A node ready to take the element `next` (or the whole value if the path ends here).
fn empty_for(next: Option<&PathElement>) -> Node {
    match next {
        None => Node::All,
        Some(PathElement::Attribute(_)) => Node::Keys(BTreeMap::new()),
        Some(PathElement::Index(_)) => Node::Elements(BTreeMap::new()),
    }
}

fn project(value: &AttributeValue, node: &Node) -> Option<AttributeValue> {
    match (node, value) {
        (Node::All, value) => Some(value.clone()),
        (Node::Keys(keys), AttributeValue::M(map)) => {
            let projected: BTreeMap<String, AttributeValue> = keys
                .iter()
                .filter_map(|(key, node)| {
                    let child = project(map.get(key)?, node)?;
                    Some((key.clone(), child))
                })
                .collect();
            (!projected.is_empty()).then_some(AttributeValue::M(projected))
        }
        (Node::Elements(elements), AttributeValue::L(list)) => {
            let projected: Vec<AttributeValue> = elements
                .iter()
                .filter_map(|(index, node)| project(list.get(*index)?, node))
                .collect();
            (!projected.is_empty()).then_some(AttributeValue::L(projected))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Number;

    fn path(text: &str) -> DocumentPath {
        let elements = text
            .split('.')
            .flat_map(|part| {
                let mut out = Vec::new();
                let (name, rest) = part.split_once('[').unwrap_or((part, ""));
                if !name.is_empty() {
                    out.push(PathElement::Attribute(name.to_string()));
                }
                for index in rest.split('[').filter(|s| !s.is_empty()) {
                    out.push(PathElement::Index(
                        index.trim_end_matches(']').parse().unwrap(),
                    ));
                }
                out
            })
            .collect();
        DocumentPath::from_elements(elements).unwrap()
    }

    fn n(value: i64) -> AttributeValue {
        AttributeValue::N(Number::from(value))
    }

    fn item() -> Item {
        let map = AttributeValue::M(BTreeMap::from([
            ("x".to_string(), n(1)),
            ("y".to_string(), AttributeValue::L(vec![n(2), n(3)])),
        ]));
        Item::from([
            ("a".to_string(), map),
            ("l".to_string(), AttributeValue::L((0..5).map(n).collect())),
            ("s".to_string(), AttributeValue::from("text")),
        ])
    }

    #[test]
    fn top_level_attributes() {
        let projected = Projection::attributes(["s", "missing"]).apply(&item());
        assert_eq!(
            projected,
            Item::from([("s".to_string(), AttributeValue::from("text"))])
        );
    }

    #[test]
    fn list_elements_keep_their_relative_order() {
        let projected =
            Projection::new(vec![path("l[3]"), path("l[1]"), path("l[9]")]).apply(&item());
        assert_eq!(projected["l"], AttributeValue::L(vec![n(1), n(3)]));
    }

    #[test]
    fn nested_paths_keep_the_shape() {
        let projected =
            Projection::new(vec![path("a.y[1]"), path("a.z"), path("s.t")]).apply(&item());
        let expected = AttributeValue::M(BTreeMap::from([(
            "y".to_string(),
            AttributeValue::L(vec![n(3)]),
        )]));
        assert_eq!(projected, Item::from([("a".to_string(), expected)]));
    }

    #[test]
    fn a_shorter_path_takes_the_whole_value() {
        let projected = Projection::new(vec![path("a.x"), path("a")]).apply(&item());
        assert_eq!(projected["a"], item()["a"]);
    }
}

//! Document paths: `a.b[3].c`, a top-level attribute followed by map keys and list indexes.

use std::fmt;

use crate::{AttributeValue, Item};

/// One step of a [`DocumentPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// A top-level attribute or a key of a map (`.name`), after placeholder substitution: a
    /// name taken from `ExpressionAttributeNames` is used literally, dots and brackets included.
    Attribute(String),
    /// An element of a list (`[n]`), counted from 0.
    Index(usize),
}

/// A path to a value inside an item: never empty, and the first element is always an
/// [`PathElement::Attribute`] (the top-level attribute).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentPath {
    elements: Vec<PathElement>,
}

impl DocumentPath {
    /// A path naming one top-level attribute.
    pub fn attribute(name: impl Into<String>) -> DocumentPath {
        DocumentPath {
            elements: vec![PathElement::Attribute(name.into())],
        }
    }

    /// A path from its elements; `None` if `elements` is empty or does not start with an
    /// attribute name.
    pub fn from_elements(elements: Vec<PathElement>) -> Option<DocumentPath> {
        match elements.first() {
            Some(PathElement::Attribute(_)) => Some(DocumentPath { elements }),
            _ => None,
        }
    }

    /// The path's elements, the top-level attribute first.
    pub fn elements(&self) -> &[PathElement] {
        &self.elements
    }

    /// The top-level attribute the path starts at.
    pub fn top_level(&self) -> &str {
        match &self.elements[0] {
            PathElement::Attribute(name) => name,
            PathElement::Index(_) => unreachable!("a document path starts with an attribute"),
        }
    }

    /// Whether the path is just a top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.elements.len() == 1
    }

    /// The value the path points to in `item`, if there is one: every map key must exist,
    /// every index must be inside its list, and every step must go through a map (for a key)
    /// or a list (for an index).
    pub fn resolve<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut value = item.get(self.top_level())?;
        for element in &self.elements[1..] {
            value = step(value, element)?;
        }
        Some(value)
    }
}

/// The child of `value` that `element` names, if `value` has one.
pub(crate) fn step<'a>(
    value: &'a AttributeValue,
    element: &PathElement,
) -> Option<&'a AttributeValue> {
    match (value, element) {
        (AttributeValue::M(map), PathElement::Attribute(name)) => map.get(name),
        (AttributeValue::L(list), PathElement::Index(index)) => list.get(*index),
        _ => None,
    }
}

/// Renders the path as DynamoDB does in messages: `[a, b, [3], c]`.
impl fmt::Display for DocumentPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, element) in self.elements.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match element {
                PathElement::Attribute(name) => f.write_str(name)?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn path(elements: &[PathElement]) -> DocumentPath {
        DocumentPath::from_elements(elements.to_vec()).unwrap()
    }

    fn attr(name: &str) -> PathElement {
        PathElement::Attribute(name.to_string())
    }

    #[test]
    fn renders_like_dynamodb() {
        let p = path(&[attr("a"), attr("b"), PathElement::Index(3), attr("[3]")]);
        assert_eq!(p.to_string(), "[a, b, [3], [3]]");
    }

    #[test]
    fn must_start_with_an_attribute() {
        assert!(DocumentPath::from_elements(vec![]).is_none());
        assert!(DocumentPath::from_elements(vec![PathElement::Index(0)]).is_none());
    }

    #[test]
    fn resolves_through_maps_and_lists() {
        let inner = AttributeValue::M(BTreeMap::from([(
            "c".to_string(),
            AttributeValue::Bool(true),
        )]));
        let mut item = Item::new();
        item.insert(
            "a".to_string(),
            AttributeValue::L(vec![AttributeValue::Null, inner]),
        );
        let found = path(&[attr("a"), PathElement::Index(1), attr("c")]);
        assert_eq!(found.resolve(&item), Some(&AttributeValue::Bool(true)));
        for missing in [
            path(&[attr("a"), PathElement::Index(2)]),
            path(&[attr("a"), attr("c")]),
            path(&[attr("a"), PathElement::Index(0), attr("c")]),
            path(&[attr("b")]),
        ] {
            assert_eq!(missing.resolve(&item), None, "{missing}");
        }
    }
}

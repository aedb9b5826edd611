//! Applying an update (an `UpdateExpression`, or legacy `AttributeUpdates`) to an item.
//!
//! DynamoDB's semantics, which [`UpdateExpression::apply`] follows:
//! - every operand is read from the item as it was before the update, so `SET a = b, b = a`
//!   swaps; the paths an update writes never overlap (checked when parsed), so the actions are
//!   independent;
//! - `SET` on a nested path needs every parent to exist with the right type (a map for `.k`, a
//!   list for `[n]`); an index past the end of a list appends, several such in the order of
//!   their indexes;
//! - `REMOVE` of a list element shifts the later elements down; several removals from one list
//!   all use the indexes of the list as it was;
//! - `ADD` adds to a number (a missing attribute counts as 0) or adds members to a set (a
//!   missing attribute becomes the set); `DELETE` removes members from a set, and an emptied set
//!   disappears.

use std::cmp::Ordering;

use crate::value::{MAX_NESTING_LEVEL, ValueType};
use crate::{AttributeValue, Item};

use super::ast::{SetOperand, SetValue, UpdateAction};
use super::error::UpdateError;
use super::path::{DocumentPath, PathElement};
use super::projection::Projection;

/// A parsed update: its actions and the paths they write.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateExpression {
    actions: Vec<UpdateAction>,
    /// Converted from `AttributeUpdates`, whose type errors DynamoDB words differently.
    legacy: bool,
    updated: Projection,
}

impl UpdateExpression {
    /// An update from an `UpdateExpression`'s actions.
    pub(crate) fn new(actions: Vec<UpdateAction>) -> UpdateExpression {
        Self::build(actions, false)
    }

    /// An update converted from legacy `AttributeUpdates`.
    pub(crate) fn legacy(actions: Vec<UpdateAction>) -> UpdateExpression {
        Self::build(actions, true)
    }

    fn build(actions: Vec<UpdateAction>, legacy: bool) -> UpdateExpression {
        let updated = Projection::new(actions.iter().map(|a| a.path().clone()).collect());
        UpdateExpression {
            actions,
            legacy,
            updated,
        }
    }

    /// The actions, in the order written.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// The paths the update writes, as a projection: applied to the item before the update it
    /// gives `ReturnValues: UPDATED_OLD`, applied to the item after it `UPDATED_NEW`.
    pub fn updated_paths(&self) -> &Projection {
        &self.updated
    }

    /// The top-level attributes the update writes (each once, in the order first written):
    /// the engine refuses updates to key attributes.
    pub fn top_level_attributes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for action in &self.actions {
            let name = action.path().top_level();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Whether every action only takes something away (`REMOVE`, `DELETE`, or a legacy
    /// `DELETE`), and there is at least one: DynamoDB does not create a missing item for such
    /// an update, as there is nothing to take away from it. (An update with no actions at all
    /// does create the item.)
    pub fn only_removes(&self) -> bool {
        !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)))
    }

    /// Applies the update to `item` (an empty item if none exists yet) and returns the new
    /// item; `item` itself is not changed.
    ///
    /// # Errors
    /// [`UpdateError`] with DynamoDB's message when an operand is missing or has the wrong
    /// type, a path cannot be written, arithmetic leaves DynamoDB's number range, or the
    /// result nests deeper than 32 levels.
    pub fn apply(&self, item: &Item) -> Result<Item, UpdateError> {
        // Read every SET operand from the item as it was.
        let mut values = Vec::with_capacity(self.actions.len());
        for action in &self.actions {
            if let UpdateAction::Set(_, value) = action {
                values.push(self.evaluate(value, item)?);
            }
        }
        let mut new = item.clone();
        // Several SETs past the end of one list append in the order of their indexes, not of
        // the expression ("Update expressions": "the elements are sorted in order by element
        // number"). The paths never overlap, so only that order matters.
        let mut sets: Vec<(&DocumentPath, AttributeValue)> = self
            .actions
            .iter()
            .filter_map(|action| match action {
                UpdateAction::Set(path, _) => Some(path),
                _ => None,
            })
            .zip(values)
            .collect();
        sets.sort_by(|(a, _), (b, _)| a.elements().cmp(b.elements()));
        for (path, value) in sets {
            place(&mut new, path, value)?;
        }
        let mut removals: Vec<&DocumentPath> = Vec::new();
        for action in &self.actions {
            match action {
                UpdateAction::Set(..) => {}
                UpdateAction::Remove(path) => removals.push(path),
                UpdateAction::Add(path, value) => self.add(&mut new, path, value)?,
                UpdateAction::Delete(path, value) => {
                    if self.delete(&mut new, path, value)? {
                        removals.push(path);
                    }
                }
            }
        }
        // Removing a list element shifts the ones after it, so remove the highest indexes of
        // each list first: every index then still means what it meant in the original list.
        removals.sort_by(|a, b| removal_order(a, b));
        for path in removals {
            remove(&mut new, path)?;
        }
        for name in self.top_level_attributes() {
            if new.get(name).is_some_and(|v| v.depth() > MAX_NESTING_LEVEL) {
                return Err(UpdateError::TooDeep);
            }
        }
        Ok(new)
    }

    fn evaluate(&self, value: &SetValue, item: &Item) -> Result<AttributeValue, UpdateError> {
        match value {
            SetValue::Operand(operand) => operand_value(operand, item),
            SetValue::Plus(left, right) | SetValue::Minus(left, right) => {
                let (AttributeValue::N(a), AttributeValue::N(b)) =
                    (operand_value(left, item)?, operand_value(right, item)?)
                else {
                    return Err(UpdateError::OperandType);
                };
                let result = if matches!(value, SetValue::Plus(..)) {
                    a.checked_add(&b)
                } else {
                    a.checked_sub(&b)
                };
                Ok(AttributeValue::N(result?))
            }
        }
    }

    fn type_error(&self) -> UpdateError {
        if self.legacy {
            UpdateError::TypeMismatch
        } else {
            UpdateError::OperandType
        }
    }

    fn add(
        &self,
        item: &mut Item,
        path: &DocumentPath,
        value: &AttributeValue,
    ) -> Result<(), UpdateError> {
        let Some(existing) = resolve_mut(item, path)? else {
            return place(item, path, value.clone());
        };
        match (existing, value) {
            (AttributeValue::N(total), AttributeValue::N(n)) => *total = total.checked_add(n)?,
            (AttributeValue::Ss(set), AttributeValue::Ss(more)) => union(set, more),
            (AttributeValue::Ns(set), AttributeValue::Ns(more)) => union(set, more),
            (AttributeValue::Bs(set), AttributeValue::Bs(more)) => union(set, more),
            (AttributeValue::L(list), AttributeValue::L(more)) if self.legacy => {
                list.extend(more.iter().cloned())
            }
            _ => return Err(self.type_error()),
        }
        Ok(())
    }

    /// Removes `value`'s members from the set at `path`; true if the set is now empty (and so
    /// must be removed).
    fn delete(
        &self,
        item: &mut Item,
        path: &DocumentPath,
        value: &AttributeValue,
    ) -> Result<bool, UpdateError> {
        let Some(existing) = resolve_mut(item, path)? else {
            return Ok(false);
        };
        let emptied = match (existing, value) {
            (AttributeValue::Ss(set), AttributeValue::Ss(gone)) => difference(set, gone),
            (AttributeValue::Ns(set), AttributeValue::Ns(gone)) => difference(set, gone),
            (AttributeValue::Bs(set), AttributeValue::Bs(gone)) => difference(set, gone),
            _ => return Err(self.type_error()),
        };
        Ok(emptied)
    }
}

fn union<T: PartialEq + Clone>(set: &mut Vec<T>, more: &[T]) {
    for member in more {
        if !set.contains(member) {
            set.push(member.clone());
        }
    }
}

fn difference<T: PartialEq>(set: &mut Vec<T>, gone: &[T]) -> bool {
    set.retain(|member| !gone.contains(member));
    set.is_empty()
}

/// A `SET` operand's value in the item as it was.
fn operand_value(operand: &SetOperand, item: &Item) -> Result<AttributeValue, UpdateError> {
    match operand {
        SetOperand::Path(path) => path
            .resolve(item)
            .cloned()
            .ok_or(UpdateError::MissingOperand),
        SetOperand::Value(value) => Ok(value.clone()),
        SetOperand::IfNotExists(path, fallback) => match path.resolve(item) {
            Some(value) => Ok(value.clone()),
            None => operand_value(fallback, item),
        },
        SetOperand::ListAppend(first, second) => {
            let (AttributeValue::L(mut first), AttributeValue::L(second)) =
                (operand_value(first, item)?, operand_value(second, item)?)
            else {
                return Err(UpdateError::OperandType);
            };
            first.extend(second);
            Ok(AttributeValue::L(first))
        }
    }
}

/// The container `path`'s last element lives in: the item itself for a top-level attribute,
/// else the value at the path's parent, which must exist.
enum Parent<'a> {
    Item(&'a mut Item),
    Value(&'a mut AttributeValue),
}

fn parent<'a>(item: &'a mut Item, path: &DocumentPath) -> Result<Parent<'a>, UpdateError> {
    let elements = path.elements();
    if elements.len() == 1 {
        return Ok(Parent::Item(item));
    }
    let mut value = item
        .get_mut(path.top_level())
        .ok_or(UpdateError::InvalidPath)?;
    for element in &elements[1..elements.len() - 1] {
        value = match (value, element) {
            (AttributeValue::M(map), PathElement::Attribute(name)) => map.get_mut(name),
            (AttributeValue::L(list), PathElement::Index(index)) => list.get_mut(*index),
            _ => None,
        }
        .ok_or(UpdateError::InvalidPath)?;
    }
    Ok(Parent::Value(value))
}

fn last(path: &DocumentPath) -> &PathElement {
    path.elements().last().expect("a path is never empty")
}

/// The value at `path`, if there is one; an error if the path's parent cannot hold it.
fn resolve_mut<'a>(
    item: &'a mut Item,
    path: &DocumentPath,
) -> Result<Option<&'a mut AttributeValue>, UpdateError> {
    match (parent(item, path)?, last(path)) {
        (Parent::Item(item), _) => Ok(item.get_mut(path.top_level())),
        (Parent::Value(AttributeValue::M(map)), PathElement::Attribute(name)) => {
            Ok(map.get_mut(name))
        }
        (Parent::Value(AttributeValue::L(list)), PathElement::Index(index)) => {
            Ok(list.get_mut(*index))
        }
        _ => Err(UpdateError::InvalidPath),
    }
}

/// Writes `value` at `path`; an index past the end of a list appends.
fn place(item: &mut Item, path: &DocumentPath, value: AttributeValue) -> Result<(), UpdateError> {
    match (parent(item, path)?, last(path)) {
        (Parent::Item(item), _) => {
            item.insert(path.top_level().to_string(), value);
        }
        (Parent::Value(AttributeValue::M(map)), PathElement::Attribute(name)) => {
            map.insert(name.clone(), value);
        }
        (Parent::Value(AttributeValue::L(list)), PathElement::Index(index)) => {
            match list.get_mut(*index) {
                Some(slot) => *slot = value,
                None => list.push(value),
            }
        }
        _ => return Err(UpdateError::InvalidPath),
    }
    Ok(())
}

/// Removes the value at `path`, if any; an error if the path's parent is missing or cannot
/// hold it.
fn remove(item: &mut Item, path: &DocumentPath) -> Result<(), UpdateError> {
    match (parent(item, path)?, last(path)) {
        (Parent::Item(item), _) => {
            item.remove(path.top_level());
        }
        (Parent::Value(AttributeValue::M(map)), PathElement::Attribute(name)) => {
            map.remove(name);
        }
        (Parent::Value(AttributeValue::L(list)), PathElement::Index(index)) => {
            if *index < list.len() {
                list.remove(*index);
            }
        }
        _ => return Err(UpdateError::InvalidPath),
    }
    Ok(())
}

/// Orders removals so that, among paths through the same list, higher indexes come first.
fn removal_order(a: &DocumentPath, b: &DocumentPath) -> Ordering {
    for (x, y) in a.elements().iter().zip(b.elements()) {
        let order = match (x, y) {
            (PathElement::Index(i), PathElement::Index(j)) => j.cmp(i),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.elements().len().cmp(&b.elements().len())
}

/// Whether `value` is one of the three set types.
pub(crate) fn is_set(value: &AttributeValue) -> bool {
    matches!(
        value.value_type(),
        ValueType::Ss | ValueType::Ns | ValueType::Bs
    )
}

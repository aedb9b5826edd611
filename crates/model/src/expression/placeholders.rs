//! `ExpressionAttributeNames` and `ExpressionAttributeValues`: validation of the maps, lookup
//! of placeholders, and tracking of which ones the request's expressions used.
//!
//! One [`Placeholders`] serves every expression of a request (condition, update, filter, key
//! condition, projection), because DynamoDB reports a name or value as unused only if no
//! expression of the request uses it.

use std::collections::{BTreeMap, BTreeSet};

use crate::AttributeValue;

use super::error::ExpressionError;

/// `ExpressionAttributeNames`: placeholder (`#n`) to attribute name.
pub type AttributeNames = BTreeMap<String, String>;

/// `ExpressionAttributeValues`: placeholder (`:v`) to value.
pub type AttributeValues = BTreeMap<String, AttributeValue>;

/// A request's placeholder maps and which entries its expressions used.
#[derive(Debug)]
pub struct Placeholders<'a> {
    names: Option<&'a AttributeNames>,
    values: Option<&'a AttributeValues>,
    used_names: BTreeSet<&'a str>,
    used_values: BTreeSet<&'a str>,
}

impl<'a> Placeholders<'a> {
    /// Checks the maps (see [`Placeholders::check_maps`]) and starts tracking their use.
    ///
    /// # Errors
    /// As [`Placeholders::check_maps`].
    pub fn new(
        names: Option<&'a AttributeNames>,
        values: Option<&'a AttributeValues>,
    ) -> Result<Placeholders<'a>, ExpressionError> {
        Placeholders::check_maps(names, values)?;
        Ok(Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        })
    }

    /// Checks the maps as DynamoDB does before looking at their values or parsing any
    /// expression: a map that is present must not be empty, every key must be `#` (names)
    /// or `:` (values) followed by one or more of `[A-Za-z0-9_]`, and no name may be empty
    /// (attribute names have at least one character); names are checked before values.
    /// Generic over the values' type so the `api` crate can check the keys before it reports
    /// an invalid value ([`ExpressionError::InvalidValue`]), as DynamoDB does.
    ///
    /// # Errors
    /// [`ExpressionError::EmptyNames`], [`ExpressionError::InvalidNameKey`],
    /// [`ExpressionError::EmptyNameValue`], [`ExpressionError::EmptyValues`] or
    /// [`ExpressionError::InvalidValueKey`].
    pub fn check_maps<V>(
        names: Option<&AttributeNames>,
        values: Option<&BTreeMap<String, V>>,
    ) -> Result<(), ExpressionError> {
        if let Some(names) = names {
            if names.is_empty() {
                return Err(ExpressionError::EmptyNames);
            }
            if let Some(bad) = names.keys().find(|key| !is_valid_key(key, '#')) {
                return Err(ExpressionError::InvalidNameKey(bad.clone()));
            }
            if let Some((key, _)) = names.iter().find(|(_, name)| name.is_empty()) {
                return Err(ExpressionError::EmptyNameValue(key.clone()));
            }
        }
        if let Some(values) = values {
            if values.is_empty() {
                return Err(ExpressionError::EmptyValues);
            }
            if let Some(bad) = values.keys().find(|key| !is_valid_key(key, ':')) {
                return Err(ExpressionError::InvalidValueKey(bad.clone()));
            }
        }
        Ok(())
    }

    /// Placeholders with neither map, for requests that use only literal names.
    pub fn none() -> Placeholders<'static> {
        Placeholders {
            names: None,
            values: None,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// The attribute name `placeholder` (`#n`) stands for, marking it used; `None` if the
    /// request does not define it.
    pub(crate) fn name(&mut self, placeholder: &str) -> Option<&'a str> {
        let (key, name) = self.names?.get_key_value(placeholder)?;
        self.used_names.insert(key);
        Some(name)
    }

    /// The value `placeholder` (`:v`) stands for, marking it used; `None` if the request does
    /// not define it.
    pub(crate) fn value(&mut self, placeholder: &str) -> Option<&'a AttributeValue> {
        let (key, value) = self.values?.get_key_value(placeholder)?;
        self.used_values.insert(key);
        Some(value)
    }

    /// Fails if an entry of either map was used by none of the expressions parsed with these
    /// placeholders: unused names are reported before unused values, each list in key order.
    pub fn check_all_used(&self) -> Result<(), ExpressionError> {
        let unused_names = unused(self.names, &self.used_names);
        if !unused_names.is_empty() {
            return Err(ExpressionError::UnusedNames(unused_names));
        }
        let unused_values = unused(self.values, &self.used_values);
        if !unused_values.is_empty() {
            return Err(ExpressionError::UnusedValues(unused_values));
        }
        Ok(())
    }
}

fn unused<V>(map: Option<&BTreeMap<String, V>>, used: &BTreeSet<&str>) -> Vec<String> {
    map.into_iter()
        .flat_map(|map| map.keys())
        .filter(|key| !used.contains(key.as_str()))
        .cloned()
        .collect()
}

fn is_valid_key(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(keys: &[&str]) -> AttributeNames {
        keys.iter()
            .map(|k| (k.to_string(), "attr".to_string()))
            .collect()
    }

    fn values(keys: &[&str]) -> AttributeValues {
        keys.iter()
            .map(|k| (k.to_string(), AttributeValue::Null))
            .collect()
    }

    #[test]
    fn maps_must_not_be_empty() {
        let empty_names = names(&[]);
        let empty_values = values(&[]);
        assert_eq!(
            Placeholders::new(Some(&empty_names), None).unwrap_err(),
            ExpressionError::EmptyNames
        );
        assert_eq!(
            Placeholders::new(None, Some(&empty_values)).unwrap_err(),
            ExpressionError::EmptyValues
        );
    }

    #[test]
    fn keys_must_be_well_formed() {
        for bad in ["a", "#", "#a-b", ":a", "#ü"] {
            let map = names(&[bad]);
            assert_eq!(
                Placeholders::new(Some(&map), None).unwrap_err().to_string(),
                format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{bad}\""
                )
            );
        }
        let map = values(&["b"]);
        assert_eq!(
            Placeholders::new(None, Some(&map)).unwrap_err().to_string(),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\""
        );
        let good = names(&["#a", "#_", "#0a_Z"]);
        assert!(Placeholders::new(Some(&good), None).is_ok());
    }

    #[test]
    fn names_must_not_be_empty_strings() {
        let map: AttributeNames = [("#a", "a"), ("#e", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            Placeholders::new(Some(&map), None).unwrap_err().to_string(),
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #e"
        );
    }

    #[test]
    fn unused_names_come_before_unused_values() {
        let n = names(&["#a", "#b"]);
        let v = values(&[":x", ":y"]);
        let mut placeholders = Placeholders::new(Some(&n), Some(&v)).unwrap();
        assert_eq!(placeholders.name("#a"), Some("attr"));
        assert_eq!(placeholders.name("#c"), None);
        assert_eq!(
            placeholders.check_all_used().unwrap_err(),
            ExpressionError::UnusedNames(vec!["#b".into()])
        );
        placeholders.name("#b");
        placeholders.value(":y");
        assert_eq!(
            placeholders.check_all_used().unwrap_err(),
            ExpressionError::UnusedValues(vec![":x".into()])
        );
        placeholders.value(":x");
        assert!(placeholders.check_all_used().is_ok());
    }
}

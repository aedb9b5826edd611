//! DynamoDB's decimal number.

/// A DynamoDB number: up to 38 significant decimal digits, magnitude between 1E-130 and
/// 9.9999999999999999999999999999999999999E+125 (or zero), kept exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {}

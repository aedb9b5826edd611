//! Shared by the property tests: random DynamoDB numbers, and `Decimal`, a deliberately naive
//! exact reference (a fixed-point digit array wide enough for every DynamoDB number and for
//! the sum of two) to check `Number` against.

#![allow(dead_code)]

use std::cmp::Ordering;

use ferrodyn_model::Number;
use proptest::prelude::*;

/// Digits below the decimal point in a `Decimal`: the lowest digit of a 38-digit number whose
/// first digit is at 1E-130 sits at 1E-167.
const FRACTION_DIGITS: usize = 170;
/// Digits above it: 126 for the largest number, one more for a sum.
const INTEGER_DIGITS: usize = 130;
const WIDTH: usize = FRACTION_DIGITS + INTEGER_DIGITS;

/// An exact signed decimal: `digits` (most significant first) × 10^-170.
#[derive(Clone, Debug)]
pub struct Decimal {
    pub negative: bool,
    pub digits: Vec<u8>,
}

impl Decimal {
    /// `(-1)^negative × coefficient_digits × 10^exponent`; `coefficient_digits` is ASCII.
    pub fn new(negative: bool, coefficient_digits: &str, exponent: i32) -> Decimal {
        let mut digits = vec![0u8; WIDTH];
        let count = coefficient_digits.len() as i32;
        for (i, c) in coefficient_digits.bytes().enumerate() {
            // Digit i has weight 10^(exponent + count - 1 - i).
            let weight = exponent + count - 1 - i as i32;
            let index = WIDTH as i32 - 1 - (weight + FRACTION_DIGITS as i32);
            digits[index as usize] = c - b'0';
        }
        let mut decimal = Decimal { negative, digits };
        if decimal.is_zero() {
            decimal.negative = false;
        }
        decimal
    }

    pub fn from_number(number: &Number) -> Decimal {
        Decimal::new(
            number.is_negative(),
            &number.coefficient().to_string(),
            number.exponent(),
        )
    }

    pub fn is_zero(&self) -> bool {
        self.digits.iter().all(|&d| d == 0)
    }

    pub fn cmp(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| {
            if d.is_zero() {
                1
            } else if d.negative {
                0
            } else {
                2
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {
                let magnitude = self.digits.cmp(&other.digits);
                if self.negative {
                    magnitude.reverse()
                } else {
                    magnitude
                }
            }
            by_sign => by_sign,
        }
    }

    pub fn add(&self, other: &Decimal) -> Decimal {
        if self.negative == other.negative {
            let mut digits = vec![0u8; WIDTH];
            let mut carry = 0;
            for i in (0..WIDTH).rev() {
                let sum = self.digits[i] + other.digits[i] + carry;
                digits[i] = sum % 10;
                carry = sum / 10;
            }
            assert_eq!(carry, 0, "reference width too small");
            return Decimal {
                negative: self.negative,
                digits,
            };
        }
        let (big, small) = if self.digits >= other.digits {
            (self, other)
        } else {
            (other, self)
        };
        let mut digits = vec![0u8; WIDTH];
        let mut borrow = 0i8;
        for i in (0..WIDTH).rev() {
            let mut d = big.digits[i] as i8 - small.digits[i] as i8 - borrow;
            borrow = 0;
            if d < 0 {
                d += 10;
                borrow = 1;
            }
            digits[i] = d as u8;
        }
        let mut result = Decimal {
            negative: big.negative,
            digits,
        };
        if result.is_zero() {
            result.negative = false;
        }
        result
    }

    pub fn negated(&self) -> Decimal {
        let mut result = self.clone();
        result.negative = !self.negative && !self.is_zero();
        result
    }

    /// Plain decimal notation without superfluous zeros: DynamoDB's canonical form.
    pub fn canonical(&self) -> String {
        let text: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        let (integer, fraction) = text.split_at(INTEGER_DIGITS);
        let integer = integer.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        out.push_str(if integer.is_empty() { "0" } else { integer });
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
        if out == "-0" { "0".to_owned() } else { out }
    }

    /// Significant digits (first to last non-zero) and the scientific exponent; `None` for zero.
    pub fn significance(&self) -> Option<(usize, i32)> {
        let first = self.digits.iter().position(|&d| d != 0)?;
        let last = self.digits.iter().rposition(|&d| d != 0)?;
        let scientific = (WIDTH - 1 - first) as i32 - FRACTION_DIGITS as i32;
        Some((last - first + 1, scientific))
    }

    /// What DynamoDB stores for this exact value: the canonical text, or the error message.
    pub fn stored(&self) -> Result<String, String> {
        const OVERFLOW: &str = "Number overflow. Attempting to store a number with magnitude larger than supported range";
        const UNDERFLOW: &str = "Number underflow. Attempting to store a number with magnitude smaller than supported range";
        match self.significance() {
            None => Ok("0".to_owned()),
            Some((_, scientific)) if scientific > 125 => Err(OVERFLOW.to_owned()),
            Some((_, scientific)) if scientific < -130 => Err(UNDERFLOW.to_owned()),
            // DynamoDB reports an inexact result with its overflow message.
            Some((count, _)) if count > 38 => Err(OVERFLOW.to_owned()),
            Some(_) => Ok(self.canonical()),
        }
    }
}

/// A random valid number: coefficient of 1 to 38 digits (or zero) and any exponent that keeps it
/// in range, biased towards small exponents and few digits so that close values, equal
/// exponents and cancellation are common.
pub fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        1 => Just(Number::ZERO),
        4 => non_zero(1..=4, -3..=3),
        4 => non_zero(1..=38, -167..=125),
    ]
}

fn non_zero(
    digits: std::ops::RangeInclusive<u32>,
    exponent: std::ops::RangeInclusive<i32>,
) -> impl Strategy<Value = Number> {
    (any::<bool>(), digits, exponent)
        .prop_flat_map(|(negative, digits, exponent)| {
            let low = 10u128.pow(digits - 1);
            let high = 10u128.pow(digits) - 1;
            (Just(negative), low..=high, Just(exponent))
        })
        .prop_filter_map("in range", |(negative, coefficient, exponent)| {
            Number::from_parts(negative, coefficient, exponent).ok()
        })
}

/// A random valid attribute value, nested up to a few levels, with valid sets (non-empty, no
/// duplicates) and any strings and bytes, empty ones included.
pub fn attribute_value() -> impl Strategy<Value = ferrodyn_model::AttributeValue> {
    use ferrodyn_model::AttributeValue as V;
    let leaf = prop_oneof![
        any::<String>().prop_map(V::S),
        number().prop_map(V::N),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(V::B),
        any::<bool>().prop_map(V::Bool),
        Just(V::Null),
        prop::collection::btree_set(any::<String>(), 1..4)
            .prop_map(|s| V::Ss(s.into_iter().collect())),
        prop::collection::btree_set(number(), 1..4).prop_map(|s| V::Ns(s.into_iter().collect())),
        prop::collection::btree_set(prop::collection::vec(any::<u8>(), 0..4), 1..4)
            .prop_map(|s| V::Bs(s.into_iter().collect())),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(V::L),
            prop::collection::btree_map("[a-z]{0,3}", inner, 0..4).prop_map(V::M),
        ]
    })
}

/// A random item of valid values.
pub fn item() -> impl Strategy<Value = ferrodyn_model::Item> {
    prop::collection::btree_map("[a-zA-Z0-9_]{1,6}", attribute_value(), 0..6)
}

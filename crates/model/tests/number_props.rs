//! Property tests of `Number` against `common::Decimal`, an exact fixed-point reference: parse
//! and print round-trip through every spelling DynamoDB accepts, ordering agrees with the
//! reference, and addition and subtraction are exact or fail exactly when DynamoDB does.
//! A failure prints the minimal input and proptest's seed for replay.

mod common;

use std::cmp::Ordering;

use common::{Decimal, number};
use ferrodyn_model::Number;
use ferrodyn_model::number::NumberError;
use proptest::prelude::*;

/// Spells `number` in one of the many ways DynamoDB accepts.
#[derive(Debug, Clone)]
struct Spelling {
    point_at: usize,
    leading_zeros: usize,
    trailing_zeros: usize,
    plus_sign: bool,
    upper_e: bool,
    exponent_plus: bool,
    exponent_leading_zeros: usize,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (
        0usize..40,
        0usize..3,
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..3,
    )
        .prop_map(
            |(point_at, leading, trailing, plus, upper, exponent_plus, exponent_zeros)| Spelling {
                point_at,
                leading_zeros: leading,
                trailing_zeros: trailing,
                plus_sign: plus,
                upper_e: upper,
                exponent_plus,
                exponent_leading_zeros: exponent_zeros,
            },
        )
}

fn spell(number: &Number, how: &Spelling) -> String {
    let digits = number.coefficient().to_string();
    let point_at = how.point_at.min(digits.len());
    // Moving the point left by (len - point_at) digits is undone by the exponent.
    let exponent = number.exponent() + (digits.len() - point_at) as i32;
    let mut text = String::new();
    if number.is_negative() {
        text.push('-');
    } else if how.plus_sign {
        text.push('+');
    }
    text.push_str(&"0".repeat(how.leading_zeros));
    text.push_str(&digits[..point_at]);
    text.push('.');
    text.push_str(&digits[point_at..]);
    text.push_str(&"0".repeat(how.trailing_zeros));
    text.push(if how.upper_e { 'E' } else { 'e' });
    if exponent < 0 {
        text.push('-');
    } else if how.exponent_plus {
        text.push('+');
    }
    text.push_str(&"0".repeat(how.exponent_leading_zeros));
    text.push_str(&exponent.unsigned_abs().to_string());
    text
}

/// DynamoDB's number grammar, written independently of the parser under test.
fn is_number_syntax(text: &str) -> bool {
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mantissa_ok = mantissa.chars().filter(|&c| c == '.').count() <= 1
        && mantissa.chars().all(|c| c == '.' || c.is_ascii_digit())
        && mantissa.chars().any(|c| c.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn prints_canonically_and_parses_back(n in number()) {
        let text = n.to_string();
        prop_assert_eq!(&text, &Decimal::from_number(&n).canonical());
        prop_assert_eq!(Number::parse(&text), Ok(n));
    }

    #[test]
    fn parses_every_spelling(n in number(), how in spelling()) {
        let text = spell(&n, &how);
        prop_assert_eq!(Number::parse(&text), Ok(n), "spelling {}", text);
    }

    #[test]
    fn orders_like_the_reference(a in number(), b in number()) {
        let expected = Decimal::from_number(&a).cmp(&Decimal::from_number(&b));
        prop_assert_eq!(a.cmp(&b), expected);
        prop_assert_eq!(a == b, expected == Ordering::Equal);
    }

    #[test]
    fn adds_and_subtracts_exactly(a in number(), b in number()) {
        let (ra, rb) = (Decimal::from_number(&a), Decimal::from_number(&b));
        let sum = a.checked_add(&b).map(|n| n.to_string()).map_err(|e| e.to_string());
        prop_assert_eq!(sum, ra.add(&rb).stored(), "{} + {}", a, b);
        let difference = a.checked_sub(&b).map(|n| n.to_string()).map_err(|e| e.to_string());
        prop_assert_eq!(difference, ra.add(&rb.negated()).stored(), "{} - {}", a, b);
    }

    #[test]
    fn near_values_add_exactly(a in number(), delta in -1000i64..1000) {
        // Sums of neighbours stress equal exponents, carries into a new digit and cancellation.
        let b = Number::from(delta);
        let expected = Decimal::from_number(&a).add(&Decimal::from_number(&b)).stored();
        let sum = a.checked_add(&b).map(|n| n.to_string()).map_err(|e| e.to_string());
        prop_assert_eq!(sum, expected);
    }

    #[test]
    fn accepts_exactly_the_grammar(text in "[-+0-9.eE]{0,12}") {
        match Number::parse(&text) {
            Err(NumberError::Empty) => prop_assert!(text.is_empty()),
            Err(NumberError::Syntax { input }) => {
                prop_assert_eq!(&input, &text);
                prop_assert!(!is_number_syntax(&text), "rejected valid {}", text);
            }
            Ok(n) => {
                prop_assert!(is_number_syntax(&text), "accepted invalid {}", text);
                prop_assert_eq!(Number::parse(&n.to_string()), Ok(n));
            }
            Err(_) => prop_assert!(is_number_syntax(&text)),
        }
    }

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let _ = Number::parse(&text);
    }
}

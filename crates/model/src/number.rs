//! DynamoDB's decimal number.
//!
//! DynamoDB numbers are decimals with up to 38 significant digits and a magnitude between 1E-130
//! and 9.9999999999999999999999999999999999999E+125 (or zero), positive or negative. A
//! [`Number`] holds exactly that: a `u128` coefficient (38 digits fit: 10^38 < 2^128) times a
//! power of ten, kept normalised (no trailing zeros in the coefficient, zero has no sign) so that
//! derived equality and hashing are numeric: `1.0 == 1` and `-0 == 0`.
//!
//! Input syntax and error texts follow DynamoDB (see [`Number::parse`]); output is DynamoDB's
//! canonical form, always plain decimal notation (see the [`fmt::Display`] impl).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The most significant digits a number may hold.
pub const MAX_DIGITS: u32 = 38;
/// The largest decimal exponent, in scientific notation, of a non-zero number (…E+125).
pub const MAX_EXPONENT: i32 = 125;
/// The smallest decimal exponent, in scientific notation, of a non-zero number (1E-130).
pub const MIN_EXPONENT: i32 = -130;

/// `POW10[i] == 10^i` for every power a coefficient can be scaled by.
const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// Why a string or a computation is not a DynamoDB number. Each `Display` text is DynamoDB's own
/// message for the case, so the `api` crate can return it unchanged in a ValidationException.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The input was the empty string.
    #[error("The parameter cannot be converted to a numeric value")]
    Empty,
    /// The input is not in DynamoDB's number syntax (e.g. `abc`, `1e`, ` 1`, `NaN`).
    #[error("The parameter cannot be converted to a numeric value: {input}")]
    Syntax {
        /// The rejected text, quoted back as DynamoDB does.
        input: String,
    },
    /// More than 38 significant digits (leading and trailing zeros do not count).
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    /// The magnitude is 1E+126 or more.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// The magnitude is non-zero and below 1E-130.
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
    /// An exact sum or difference would need more than 38 significant digits (e.g. 1E50 + 1).
    /// DynamoDB reports this case with its overflow message, so this variant does too.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Inexact,
}

/// A DynamoDB number: up to 38 significant decimal digits, magnitude between 1E-130 and
/// 9.9999999999999999999999999999999999999E+125 (or zero), kept exactly.
///
/// The value is `(-1)^negative × coefficient × 10^exponent`. Invariants (hold for every value
/// this module hands out): the coefficient has at most 38 digits and, unless it is zero, does not
/// end in a zero digit; zero is `coefficient == 0, exponent == 0, negative == false`; the
/// scientific exponent lies in `MIN_EXPONENT..=MAX_EXPONENT`. So the derived `Eq` and `Hash` are
/// numeric equality, and `Ord` is numeric order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    coefficient: u128,
    exponent: i16,
    negative: bool,
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number {
        coefficient: 0,
        exponent: 0,
        negative: false,
    };

    /// Parses DynamoDB's number syntax: an optional sign (`+` or `-`), digits with at most one
    /// decimal point and at least one digit (`5`, `5.`, `.5`), then an optional exponent (`e` or
    /// `E`, an optional sign, at least one digit). Nothing else is allowed, not even surrounding
    /// whitespace. Leading and trailing zeros are not significant; any zero (`-0`, `0e999`) is
    /// zero.
    ///
    /// # Errors
    /// [`NumberError::Empty`] for `""`; [`NumberError::Syntax`] for anything else outside the
    /// syntax; then, in DynamoDB's order, [`NumberError::Overflow`] (magnitude ≥ 1E+126),
    /// [`NumberError::Underflow`] (non-zero magnitude < 1E-130) and
    /// [`NumberError::TooManyDigits`] (more than 38 significant digits).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        if text.is_empty() {
            return Err(NumberError::Empty);
        }
        let syntax = || NumberError::Syntax {
            input: text.to_owned(),
        };
        let bytes = text.as_bytes();
        let mut at = 0;
        let negative = match bytes[0] {
            b'-' => {
                at = 1;
                true
            }
            b'+' => {
                at = 1;
                false
            }
            _ => false,
        };

        let mut coefficient: u128 = 0;
        // Digits from the first to the last non-zero digit, including those not accumulated
        // because the coefficient already holds 38.
        let mut significant: u64 = 0;
        // Zeros after the last non-zero digit: only significant if a non-zero digit follows.
        let mut pending_zeros: u64 = 0;
        // Digits after the decimal point (the value is scaled down by 10^fraction_digits).
        let mut fraction_digits: u64 = 0;
        let mut any_digit = false;
        let mut seen_point = false;
        while at < bytes.len() {
            let byte = bytes[at];
            match byte {
                b'0'..=b'9' => {
                    any_digit = true;
                    if seen_point {
                        fraction_digits += 1;
                    }
                    if byte == b'0' {
                        if significant > 0 {
                            pending_zeros += 1;
                        }
                    } else {
                        let run = pending_zeros + 1;
                        if significant + run <= u64::from(MAX_DIGITS) {
                            let run = u32::try_from(run).expect("at most 38 digits");
                            coefficient =
                                coefficient * POW10[run as usize] + u128::from(byte - b'0');
                        }
                        significant += run;
                        pending_zeros = 0;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            at += 1;
        }
        if !any_digit {
            return Err(syntax());
        }

        let mut explicit_exponent: i64 = 0;
        if at < bytes.len() {
            if bytes[at] != b'e' && bytes[at] != b'E' {
                return Err(syntax());
            }
            at += 1;
            let exponent_negative = match bytes.get(at) {
                Some(b'-') => {
                    at += 1;
                    true
                }
                Some(b'+') => {
                    at += 1;
                    false
                }
                _ => false,
            };
            let start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                // Saturate far beyond any valid exponent; the range check below rejects it.
                explicit_exponent =
                    (explicit_exponent * 10 + i64::from(bytes[at] - b'0')).min(1 << 40);
                at += 1;
            }
            if at == start || at != bytes.len() {
                return Err(syntax());
            }
            if exponent_negative {
                explicit_exponent = -explicit_exponent;
            }
        }

        if significant == 0 {
            return Ok(Number::ZERO);
        }
        // Input length bounds every count, so these conversions and sums cannot overflow i64.
        let exponent = explicit_exponent + to_i64(pending_zeros) - to_i64(fraction_digits);
        let scientific = exponent + to_i64(significant) - 1;
        if scientific > i64::from(MAX_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if scientific < i64::from(MIN_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        if significant > u64::from(MAX_DIGITS) {
            return Err(NumberError::TooManyDigits);
        }
        let exponent = i16::try_from(exponent).expect("range-checked exponent fits i16");
        Ok(Number {
            coefficient,
            exponent,
            negative,
        })
    }

    /// Builds `(-1)^negative × coefficient × 10^exponent`, normalising trailing zeros away.
    ///
    /// # Errors
    /// [`NumberError::TooManyDigits`] if the normalised coefficient has more than 38 digits;
    /// [`NumberError::Overflow`] / [`NumberError::Underflow`] if the value is out of range.
    pub fn from_parts(
        negative: bool,
        coefficient: u128,
        exponent: i32,
    ) -> Result<Number, NumberError> {
        if coefficient == 0 {
            return Ok(Number::ZERO);
        }
        let (coefficient, exponent) = strip_trailing_zeros(coefficient, i64::from(exponent));
        let digits = digit_count(coefficient);
        let scientific = exponent + i64::from(digits) - 1;
        if scientific > i64::from(MAX_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if scientific < i64::from(MIN_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        if digits > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let exponent = i16::try_from(exponent).expect("range-checked exponent fits i16");
        Ok(Number {
            coefficient,
            exponent,
            negative,
        })
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.coefficient == 0
    }

    /// True for numbers below zero (never for zero).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The significant digits as an integer, without trailing zeros (0 for zero).
    pub fn coefficient(&self) -> u128 {
        self.coefficient
    }

    /// The power of ten the coefficient is multiplied by (0 for zero).
    pub fn exponent(&self) -> i32 {
        i32::from(self.exponent)
    }

    /// How many significant digits the number has: 1 to 38, and 1 for zero.
    pub fn digit_count(&self) -> u32 {
        digit_count(self.coefficient)
    }

    /// The exponent in scientific notation, `d.ddd × 10^e`: in `-130..=125` (0 for zero).
    pub fn scientific_exponent(&self) -> i32 {
        if self.is_zero() {
            0
        } else {
            self.exponent() + self.digit_count() as i32 - 1
        }
    }

    /// The absolute value.
    pub fn abs(&self) -> Number {
        Number {
            negative: false,
            ..*self
        }
    }

    /// The exact sum.
    ///
    /// # Errors
    /// [`NumberError::Inexact`] if the exact result needs more than 38 significant digits,
    /// [`NumberError::Overflow`] / [`NumberError::Underflow`] if it leaves DynamoDB's range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(*other);
        }
        if other.is_zero() {
            return Ok(*self);
        }
        // Align both coefficients to the smaller exponent. When the exponents differ, the
        // lowest digit of the result is the lowest digit of the operand with the smaller
        // exponent, and the result cannot be smaller than about the other operand; so a shift of
        // more than 38 digits always needs more than 38 digits and is rejected without wide
        // arithmetic. Within the shift, a scaled coefficient beyond u128 implies a result of
        // more than 38 digits as well (|result| ≥ |big| - |small| > 10^38 units).
        let (low, high) = if self.exponent <= other.exponent {
            (self, other)
        } else {
            (other, self)
        };
        let shift = u32::try_from(i32::from(high.exponent) - i32::from(low.exponent))
            .expect("high.exponent >= low.exponent");
        if shift > MAX_DIGITS {
            return Err(NumberError::Inexact);
        }
        let scaled = high
            .coefficient
            .checked_mul(POW10[shift as usize])
            .ok_or(NumberError::Inexact)?;
        let (negative, coefficient) = if low.negative == high.negative {
            (
                low.negative,
                low.coefficient
                    .checked_add(scaled)
                    .ok_or(NumberError::Inexact)?,
            )
        } else if scaled >= low.coefficient {
            (high.negative, scaled - low.coefficient)
        } else {
            (low.negative, low.coefficient - scaled)
        };
        match Number::from_parts(negative, coefficient, i32::from(low.exponent)) {
            Err(NumberError::TooManyDigits) => Err(NumberError::Inexact),
            result => result,
        }
    }

    /// The exact difference `self - other`.
    ///
    /// # Errors
    /// As [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&-*other)
    }

    /// Writes the canonical text (the `Display` text) into `buffer` and returns it, without
    /// allocating: the JSON writer's fast path.
    pub fn canonical<'b>(&self, buffer: &'b mut CanonicalBuffer) -> &'b str {
        let out = &mut buffer.0;
        let mut len = 0;
        let mut push = |bytes: &[u8]| {
            out[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        if self.is_zero() {
            push(b"0");
        } else {
            if self.negative {
                push(b"-");
            }
            let mut digit_buffer = [0u8; 40];
            let digits = coefficient_digits(self.coefficient, &mut digit_buffer);
            let exponent = i64::from(self.exponent);
            let count = digits.len() as i64;
            if exponent >= 0 {
                push(digits);
                push(&ZEROS[..exponent as usize]);
            } else if -exponent < count {
                let split = (count + exponent) as usize;
                push(&digits[..split]);
                push(b".");
                push(&digits[split..]);
            } else {
                push(b"0.");
                push(&ZEROS[..(-exponent - count) as usize]);
                push(digits);
            }
        }
        std::str::from_utf8(&buffer.0[..len]).expect("canonical number text is ASCII")
    }
}

/// Room for the longest canonical number: a sign, `0.`, 129 zeros and 38 digits (a 38-digit
/// number whose last digit is at 1E-167 has its first at 1E-130).
pub struct CanonicalBuffer([u8; 176]);

impl CanonicalBuffer {
    /// An empty buffer.
    pub fn new() -> CanonicalBuffer {
        CanonicalBuffer([0; 176])
    }
}

impl Default for CanonicalBuffer {
    fn default() -> CanonicalBuffer {
        CanonicalBuffer::new()
    }
}

/// Enough zeros for any canonical number: at most 129 after `0.`, or 125 after the digits.
const ZEROS: [u8; 130] = [b'0'; 130];

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).expect("a count bounded by the input length fits i64")
}

/// Digits of a coefficient (≤ 38 digits, plus room to spare), most significant first.
fn coefficient_digits(mut coefficient: u128, buffer: &mut [u8; 40]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (coefficient % 10) as u8;
        coefficient /= 10;
        if coefficient == 0 {
            return &buffer[start..];
        }
    }
}

/// Number of decimal digits of `value` (1 for zero).
pub(crate) fn digit_count(value: u128) -> u32 {
    if value == 0 { 1 } else { value.ilog10() + 1 }
}

fn strip_trailing_zeros(mut coefficient: u128, mut exponent: i64) -> (u128, i64) {
    debug_assert!(coefficient != 0);
    while coefficient.is_multiple_of(10) {
        coefficient /= 10;
        exponent += 1;
    }
    (coefficient, exponent)
}

impl std::ops::Neg for Number {
    type Output = Number;

    fn neg(self) -> Number {
        if self.is_zero() {
            self
        } else {
            Number {
                negative: !self.negative,
                ..self
            }
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let class = |n: &Number| {
            if n.is_zero() {
                1
            } else if n.negative {
                0
            } else {
                2
            }
        };
        let by_class = class(self).cmp(&class(other));
        if by_class != Ordering::Equal || self.is_zero() {
            return by_class;
        }
        let magnitude = compare_magnitude(self, other);
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares |a| and |b| for non-zero numbers: by scientific exponent, then by the coefficients
/// scaled to 38 digits (which fit u128).
fn compare_magnitude(a: &Number, b: &Number) -> Ordering {
    a.scientific_exponent()
        .cmp(&b.scientific_exponent())
        .then_with(|| {
            let scale = |n: &Number| n.coefficient * POW10[(MAX_DIGITS - n.digit_count()) as usize];
            scale(a).cmp(&scale(b))
        })
}

impl fmt::Display for Number {
    /// DynamoDB's canonical form, as GetItem returns a stored number: plain decimal notation
    /// with no exponent, no leading zeros (but `0.5`), no trailing fractional zeros, no `+`, and
    /// zero as `0`. So `1E2` prints `100` and `1E-130` prints `0.` then 129 zeros then `1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical(&mut CanonicalBuffer::new()))
    }
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Number, NumberError> {
        Number::parse(text)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Number {
        let coefficient = u128::from(value.unsigned_abs());
        Number::from_parts(value < 0, coefficient, 0).expect("every i64 is a valid number")
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Number {
        Number::from_parts(false, u128::from(value), 0).expect("every u64 is a valid number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn canonical_forms() {
        for (input, canonical) in [
            ("1.50", "1.5"),
            ("0100", "100"),
            ("1E2", "100"),
            ("-0", "0"),
            ("+0", "0"),
            ("0e1000", "0"),
            ("+5", "5"),
            ("5.", "5"),
            (".5", "0.5"),
            ("-.5", "-0.5"),
            ("1e+2", "100"),
            ("1.5E+3", "1500"),
            ("-0015.789e6", "-15789000"),
            ("0001.23", "1.23"),
            ("-17.4E37", "-174000000000000000000000000000000000000"),
            ("0.000", "0"),
            ("12.34e-5", "0.0001234"),
            (
                "-00001.23456789012345678901234567890123456780000",
                "-1.2345678901234567890123456789012345678",
            ),
            (
                "0000012345678901234567890123456789012345678",
                "12345678901234567890123456789012345678",
            ),
        ] {
            assert_eq!(n(input).to_string(), canonical, "input {input}");
        }
        let big = n("0009.99999999999999999999999999999999999990000e125").to_string();
        assert_eq!(big, format!("{}{}", "9".repeat(38), "0".repeat(88)));
        let tiny = n("-0001.000e-130").to_string();
        assert_eq!(tiny, format!("-0.{}1", "0".repeat(129)));
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        assert_eq!(Number::parse(""), Err(NumberError::Empty));
        for bad in [
            "abc",
            "NaN",
            "Infinity",
            "-Infinity",
            " 1",
            "1 ",
            "1e",
            "+e2",
            "1+2",
            "1.2.3",
            "++5",
            ".",
            "-",
            "e5",
            "1e+",
            "0x10",
            "1_000",
        ] {
            assert_eq!(
                Number::parse(bad),
                Err(NumberError::Syntax {
                    input: bad.to_owned()
                }),
                "input {bad:?}"
            );
        }
        assert_eq!(
            Number::parse("b").unwrap_err().to_string(),
            "The parameter cannot be converted to a numeric value: b"
        );
        for too_precise in [
            "123456789012345678901234567890123456789",
            "-1.23456789012345678901234567890123456789",
            "3.14159265358979323846264338327950288419",
            "314159265358979323846264338327950288419e30",
        ] {
            assert_eq!(Number::parse(too_precise), Err(NumberError::TooManyDigits));
        }
        for large in ["1e126", "-1e126", "11e125", "1e99999999999999999999"] {
            assert_eq!(Number::parse(large), Err(NumberError::Overflow), "{large}");
        }
        for small in ["1e-131", "-1e-131", "0.9e-130", "1e-99999999999999999999"] {
            assert_eq!(Number::parse(small), Err(NumberError::Underflow), "{small}");
        }
        // The range check comes before the precision check, as in DynamoDB.
        assert_eq!(
            Number::parse("1.23456789012345678901234567890123456789e200"),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn accepts_the_extremes() {
        for ok in [
            "1e125",
            "9.9999999999999999999999999999999999999E+125",
            "1e-130",
            "-1e-130",
        ] {
            assert!(Number::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            n("3.1415926535897932384626433832795028841").digit_count(),
            38
        );
    }

    #[test]
    fn numeric_equality_and_order() {
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("100"), n("1e2"));
        assert!(n("-1") < n("0"));
        assert!(n("-2") < n("-1"));
        assert!(n("0.5") < n("1"));
        assert!(n("9") < n("10"));
        assert!(n("-10") < n("-9"));
        assert!(n("1.2") < n("1.23"));
        assert!(n("-1.23") < n("-1.2"));
        assert!(n("1e-130") < n("1e125"));
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(n("0.3").checked_sub(&n("0.1")).unwrap(), n("0.2"));
        assert_eq!(
            n("1")
                .checked_add(&n("10000000000000000000000"))
                .unwrap()
                .to_string(),
            "10000000000000000000001"
        );
        assert_eq!(
            n("10000000000000000000000")
                .checked_sub(&n("1"))
                .unwrap()
                .to_string(),
            "9999999999999999999999"
        );
        assert_eq!(n("15").checked_add(&n("5")).unwrap(), n("20"));
        assert_eq!(n("1.5").checked_sub(&n("1.5")).unwrap(), Number::ZERO);
        assert_eq!(
            n("99999999999999999999999999999999999995")
                .checked_add(&n("5"))
                .unwrap(),
            n("1e38")
        );
        assert_eq!(
            n("1e-130").checked_add(&n("1e-125")).unwrap().to_string(),
            format!("0.{}100001", "0".repeat(124))
        );
    }

    #[test]
    fn arithmetic_errors() {
        assert_eq!(
            n("9e125").checked_add(&n("9e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("9e125").checked_sub(&n("-9e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(n("1e50").checked_add(&n("1")), Err(NumberError::Inexact));
        assert_eq!(n("1e50").checked_sub(&n("1")), Err(NumberError::Inexact));
        assert_eq!(n("1").checked_add(&n("1e-130")), Err(NumberError::Inexact));
        assert_eq!(
            n("1.1e-130").checked_sub(&n("1e-130")),
            Err(NumberError::Underflow)
        );
        assert_eq!(
            NumberError::Inexact.to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(Number::from(i64::MIN).to_string(), i64::MIN.to_string());
        assert_eq!(Number::from(u64::MAX).to_string(), u64::MAX.to_string());
        assert_eq!(Number::from(-120i64), n("-1.2e2"));
    }
}

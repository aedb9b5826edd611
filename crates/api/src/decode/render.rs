//! How a value prints inside a constraint message (`Value '...' at 'path'`).
//!
//! DynamoDB prints the Java object it decoded: strings and numbers as they are, lists as
//! `[a, b]`, maps as `{k=v, k2=v2}`, structures as `{Name: value,Other: value}` and attribute
//! values as `{S: text,}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ferrodyn_model::AttributeValue;

/// A value that can appear in a constraint message.
pub(crate) trait Render {
    /// Appends the value as DynamoDB prints it.
    fn render(&self, out: &mut String);
}

impl Render for String {
    fn render(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Render for bool {
    fn render(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Render for i64 {
    fn render(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Render for i32 {
    fn render(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Render for f64 {
    fn render(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl<T: Render> Render for Vec<T> {
    fn render(&self, out: &mut String) {
        out.push('[');
        for (i, element) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            element.render(out);
        }
        out.push(']');
    }
}

impl<T: Render> Render for BTreeMap<String, T> {
    fn render(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push('=');
            value.render(out);
        }
        out.push('}');
    }
}

impl Render for AttributeValue {
    fn render(&self, out: &mut String) {
        fn list<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                each(out, item);
            }
            out.push(']');
        }
        out.push('{');
        match self {
            AttributeValue::S(text) => {
                out.push_str("S: ");
                out.push_str(text);
            }
            AttributeValue::N(number) => {
                let _ = write!(out, "N: {number}");
            }
            AttributeValue::B(bytes) => {
                out.push_str("B: ");
                render_bytes(out, bytes);
            }
            AttributeValue::Bool(value) => {
                let _ = write!(out, "BOOL: {value}");
            }
            AttributeValue::Null => out.push_str("NULL: true"),
            AttributeValue::M(map) => {
                out.push_str("M: ");
                map.render(out);
            }
            AttributeValue::L(values) => {
                out.push_str("L: ");
                list(out, values, |out, value| value.render(out));
            }
            AttributeValue::Ss(strings) => {
                out.push_str("SS: ");
                list(out, strings, |out, text| out.push_str(text));
            }
            AttributeValue::Ns(numbers) => {
                out.push_str("NS: ");
                list(out, numbers, |out, number| {
                    let _ = write!(out, "{number}");
                });
            }
            AttributeValue::Bs(binaries) => {
                out.push_str("BS: ");
                list(out, binaries, |out, bytes| render_bytes(out, bytes));
            }
        }
        out.push_str(",}");
    }
}

/// Java prints a binary value as its buffer object; the byte count is what helps a reader.
fn render_bytes(out: &mut String, bytes: &[u8]) {
    let _ = write!(
        out,
        "java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]",
        bytes.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(value: &dyn Render) -> String {
        let mut out = String::new();
        value.render(&mut out);
        out
    }

    #[test]
    fn collections_print_as_java_does() {
        assert_eq!(rendered(&vec!["a".to_owned(), "b".to_owned()]), "[a, b]");
        assert_eq!(rendered(&Vec::<String>::new()), "[]");
        let mut map = BTreeMap::new();
        map.insert("a".to_owned(), 1_i64);
        map.insert("b".to_owned(), 2_i64);
        assert_eq!(rendered(&map), "{a=1, b=2}");
        assert_eq!(rendered(&BTreeMap::<String, i64>::new()), "{}");
    }

    #[test]
    fn attribute_values_print_as_java_does() {
        assert_eq!(rendered(&AttributeValue::S("x".into())), "{S: x,}");
        assert_eq!(rendered(&AttributeValue::Null), "{NULL: true,}");
        assert_eq!(
            rendered(&AttributeValue::Ss(vec!["a".into(), "b".into()])),
            "{SS: [a, b],}"
        );
        let mut map = BTreeMap::new();
        map.insert("k".to_owned(), AttributeValue::Bool(true));
        assert_eq!(rendered(&AttributeValue::M(map)), "{M: {k={BOOL: true,}},}");
    }
}
